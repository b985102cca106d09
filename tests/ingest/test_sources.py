"""Where ingestion may read from: folders, manifests, and the paths it must refuse."""

from __future__ import annotations

import json
from pathlib import Path

from triage.ingest.sources import from_manifest, from_paths


def write_manifest(folder: Path, rows: list[object]) -> Path:
    manifest = folder / "submissions.jsonl"
    manifest.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return manifest


def test_manifest_paths_are_relative_to_its_folder(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.txt").write_text("hello there")
    manifest = write_manifest(tmp_path, [{"path": "media/a.txt", "external_id": "x1", "title": "T",
                                          "contributor": "c"}])
    [source] = from_manifest(manifest)
    assert source.error is None
    assert source.path == (tmp_path / "media" / "a.txt").resolve()
    assert (source.external_id, source.title, source.contributor) == ("x1", "T", "c")


def test_manifest_refuses_escaping_and_absolute_paths(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "secret.txt").write_text("not yours")
    manifest = write_manifest(inner, [{"path": "../../etc/passwd"}, {"path": "/etc/passwd"},
                                      {"path": "../secret.txt"}, "not json", {"title": "no path"}])
    errors = [s.error for s in from_manifest(manifest)]
    assert all(errors)
    assert "outside the manifest's folder" in errors[0]
    assert "absolute path" in errors[1]
    assert "outside the manifest's folder" in errors[2]
    assert "not valid JSON" in errors[3]
    assert "needs a \"path\"" in errors[4]
    assert not any(s.path for s in from_manifest(manifest))


def test_allow_outside_permits_absolute_paths(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("fine")
    inner = tmp_path / "inner"
    inner.mkdir()
    manifest = write_manifest(inner, [{"path": str(outside)}])
    [source] = from_manifest(manifest, allow_outside=True)
    assert source.error is None and source.path == outside.resolve()


def test_folders_are_walked_recursively_and_links_out_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "pile"
    (root / "sub").mkdir(parents=True)
    (root / "b.txt").write_text("b")
    (root / "sub" / "a.txt").write_text("a")
    (root / ".hidden").write_text("skip me")
    (tmp_path / "outside.txt").write_text("o")
    (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    sources = list(from_paths([root]))
    names = [Path(s.display).name for s in sources]
    assert names == ["b.txt", "link.txt", "a.txt"]
    link = sources[1]
    assert link.error and "outside" in link.error
    assert [s.error for s in from_paths([tmp_path / "missing.mp4"])] == [f"file not found: {tmp_path / 'missing.mp4'}"]
