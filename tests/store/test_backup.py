"""Backup and restore: everything comes back, each file checked; a backup taken during writes is consistent; a
second backup into the same folder copies no unchanged media; a damaged or foreign backup is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests import postgres
from tests.store.populated import ANA, Installation, populate
from triage import runtime
from triage.api.tokens import authenticate
from triage.config import Settings
from triage.errors import ChecksumMismatch, Conflict, NotFound, UnsafePath
from triage.service.erase import erase
from triage.service.index import sync_all
from triage.store.backup import backup
from triage.store.manifest import FILES, MANIFEST
from triage.store.restore import restore
from triage.store.schema import Base, Callout, Content
from triage.store.store import Store


@pytest.fixture
def installed(settings: Settings, tmp_path: Path) -> Installation:
    return populate(settings, tmp_path / "incoming")


def rows(store: Store) -> dict[str, list[str]]:
    """Every row of every table, as text: two databases holding the same data give the same answer."""
    with store.db.engine.connect() as conn:
        return {t.name: sorted(json.dumps(dict(r), default=str, sort_keys=True)
                               for r in conn.execute(t.select()).mappings())
                for t in Base.metadata.sorted_tables}


def files(store: Store) -> dict[str, bytes]:
    with store.db.session() as session:
        shas = list(session.scalars(select(Content.sha256)))
    return {str(p.relative_to(store.data_dir)): p.read_bytes() for sha in shas for p in store.files.content_files(sha)}


def _restored(settings: Settings, tmp_path: Path, url: str | None = None) -> Settings:
    return settings.model_copy(update={"data_dir": tmp_path / "restored", "database_url": url})


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_restore_brings_back_everything_and_rebuilds_the_indexes(settings: Settings, tmp_path: Path,
                                                                   kind: str, request: pytest.FixtureRequest) -> None:
    urls: list[str | None] = [None, None]
    if kind == "postgresql":
        server = request.getfixturevalue("postgres_server")
        urls = [postgres.new_database(server), postgres.new_database(server)]
    inst = populate(settings.model_copy(update={"database_url": urls[0]}), tmp_path / "incoming")
    before, media = rows(inst.store), files(inst.store)
    assert all(before[t] for t in ("submissions", "decisions", "notes", "votes", "assignments",
                                   "duplicate_overrides", "duplicate_keeps", "api_tokens", "vectors"))

    made = backup(inst.store, tmp_path / "backup")
    assert made.database == kind and made.counts["submissions"] == 6 and made.files == len(media) + 1  # + scores

    target = _restored(settings, tmp_path, urls[1])
    report = restore(tmp_path / "backup", target.data_dir, target.resolved_database_url)
    assert report.counts == made.counts and report.files == made.files
    store = runtime.open_store(target)
    indexes = {r.space: r for r in sync_all(store, target.resolved_index_dir, exact_max=target.exact_search_max,
                                            rebuild=True)}
    assert rows(store) == before  # every submission, decision, note, vote, verdict, kept copy, token, job
    assert files(store) == media  # every original and derived file, byte for byte
    assert (target.data_dir / "scores" / "lawn.json").read_bytes() == (settings.data_dir / "scores" / "lawn.json"
                                                                         ).read_bytes()
    with store.db.session() as session:
        assert authenticate(session, inst.tokens["cora"]) is not None  # tokens still sign in
        exemplars = session.get(Callout, "lawn").exemplars  # type: ignore[union-attr]
    assert exemplars == [inst.ids["ana-ext-video"]]
    vectors = {space: sum(1 for r in before["vectors"] if f'"space": "{space}"' in r) for space in ("text", "clip")}
    assert {s: (r.size, r.rebuilt) for s, r in indexes.items()} == {s: (n, True) for s, n in vectors.items()}
    assert (target.resolved_index_dir / "text.faiss").is_file() and (target.resolved_index_dir / "clip.faiss").is_file()
    if kind == "postgresql":  # a database holding triage data is never restored into
        with pytest.raises(Conflict, match="already holds triage data"):
            restore(tmp_path / "backup", tmp_path / "again", target.resolved_database_url)


def test_a_second_backup_copies_no_unchanged_media(installed: Installation, settings: Settings,
                                                   tmp_path: Path) -> None:
    store, dest = installed.store, tmp_path / "backup"
    first = backup(store, dest, link=False)
    assert first.copied == first.files > 20 and first.copied_bytes == first.bytes and first.linked == 0
    held = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (dest / FILES).rglob("*") if p.is_file()}

    second = backup(store, dest, link=False)
    assert (second.copied, second.copied_bytes, second.linked, second.removed) == (0, 0, 0, 0)
    assert second.unchanged == first.files
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (dest / FILES).rglob("*") if p.is_file()} == held

    erased = erase(store, contributors=[ANA], index_dir=settings.resolved_index_dir)
    third = backup(store, dest, link=False)  # the erased pieces leave the backup too
    gone = erased.removed["originals"] + erased.removed["derived_files"]
    assert third.removed == gone + 1 and third.copied == 0  # + the kept scores, deleted by the erasure
    assert sorted(json.loads((dest / MANIFEST).read_text())["files"]) == sorted(
        str(p.relative_to(dest / FILES)) for p in (dest / FILES).rglob("*") if p.is_file())

    linked = backup(store, tmp_path / "linked")  # the same filesystem: hard links, not copies
    assert linked.linked == linked.files and linked.copied == 0
    again = backup(store, tmp_path / "linked")
    assert (again.linked, again.copied, again.unchanged) == (0, 0, linked.files)


def test_a_backup_killed_half_way_is_not_taken_for_a_whole_one(installed: Installation, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store, dest = installed.store, tmp_path / "backup"
    backup(store, dest, link=False)
    calls = 0

    def dies(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        raise KeyboardInterrupt

    monkeypatch.setattr("triage.store.backup.dbcopy.copy_sqlite", dies)
    with pytest.raises(KeyboardInterrupt):
        backup(store, dest, link=False)
    assert calls == 1 and not (dest / MANIFEST).exists()
    with pytest.raises(Conflict, match="did not finish"):
        restore(dest, tmp_path / "restored", f"sqlite:///{tmp_path / 'restored' / 'triage.db'}")
    monkeypatch.undo()
    finished = backup(store, dest, link=False)
    assert finished.copied == 0 and finished.unchanged == finished.files  # what the killed run found is kept


def test_restore_refuses_a_non_empty_data_dir_and_a_damaged_backup(installed: Installation, settings: Settings,
                                                                     tmp_path: Path) -> None:
    dest = tmp_path / "backup"
    backup(installed.store, dest, link=False)
    with pytest.raises(Conflict, match="not empty"):
        restore(dest, settings.data_dir, settings.resolved_database_url)
    with pytest.raises(NotFound, match="no triage backup"):
        restore(tmp_path / "incoming", tmp_path / "new", f"sqlite:///{tmp_path / 'new' / 'triage.db'}")

    manifest = json.loads((dest / MANIFEST).read_text())
    victim = next(dest / FILES / rel for rel in manifest["files"] if rel.startswith("derived/"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte changed
    victim.write_bytes(bytes(data))
    target = tmp_path / "new"
    with pytest.raises(ChecksumMismatch, match="does not match its manifest"):
        restore(dest, target, f"sqlite:///{target / 'triage.db'}")
    assert [p for p in target.rglob("*")] == []  # nothing restored, nothing left behind

    manifest["files"]["../../outside"] = manifest["files"].pop(str(victim.relative_to(dest / FILES)))
    (dest / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(UnsafePath):
        restore(dest, target, f"sqlite:///{target / 'triage.db'}")
    manifest["schema_revision"] = "9999"
    (dest / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(Conflict, match="newer triage"):
        restore(dest, target, f"sqlite:///{target / 'triage.db'}")
