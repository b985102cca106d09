"""Erasure: afterwards no file of the data dir and no row of the database holds a byte, hash, id or word of the
erased pieces (tombstones aside); bytes another contributor also sent stay theirs; running it again changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.store.populated import ANA, ANA_DECISION_NOTE, ANA_NOTE, PIECES, Installation, populate
from triage import runtime
from triage.config import Settings
from triage.errors import BadRequest, Conflict, NotFound
from triage.service.erase import PENDING, erase
from triage.service.shortlist import shortlist
from triage.store.files import FileStore
from triage.store.schema import Base, Decision, Job, Note, Submission, Vector, Vote

# Where a tombstone's id may stay: the tombstone itself and the decisions that name it.
ID_MAY_STAY = {("submissions", "id"), ("submissions", "source_key"), ("decisions", "submission_id"),
               ("decisions", "via")}


@pytest.fixture
def installed(settings: Settings, tmp_path: Path, database_url: str) -> Installation:
    # SQLite in the data dir, where it lives by default: the scans below read its files too
    url = None if database_url.startswith("sqlite") else database_url
    return populate(settings.model_copy(update={"database_url": url}), tmp_path / "incoming")


def _erase(inst: Installation, settings: Settings, **named: Any) -> Any:
    return erase(inst.store, index_dir=settings.resolved_index_dir, **named)


def _slices(data: bytes, n: int = 4, width: int = 32) -> list[bytes]:
    """Stretches of a file varied enough to be found in no other file (not the zeros of a silence)."""
    found = []
    for start in range(len(data) // 3, len(data) - width, max(1, len(data) // (3 * n))):
        piece = data[start:start + width]
        if len(set(piece)) > 20:
            found.append(piece)
    return found[:n] or [data]


def _traces(inst: Installation, ana: list[str]) -> tuple[set[str], set[bytes]]:
    """(words, byte stretches) that only the pieces being erased hold."""
    with inst.store.db.session() as session:
        rows = [session.get(Submission, sid) for sid in ana]
        shas = {r.sha256 for r in rows if r and r.sha256}
        shared = {s for s in session.scalars(select(Submission.sha256).where(Submission.id.not_in(ana))) if s}
        story = next(r for r in rows if r and r.external_id == "ana-ext-story")
        blobs = set(session.scalars(select(Vector.vector).where(Vector.sha256 == story.sha256)))
    gone = shas - shared
    assert len(gone) == 3 and len(shas) == 4  # the shared copy's bytes are Ben's too
    words = gone | {ANA, ANA_NOTE, ANA_DECISION_NOTE} | {str(p[i]) for p in PIECES if p[3] == ANA for i in (0, 2, 4)}
    stretches = set(blobs)
    for sha in gone:
        for path in inst.store.files.content_files(sha):
            stretches.update(_slices(path.read_bytes()))
    for sha in shared:  # the video's sound, decoded, is the very sound of Ben's recording: those stretches are his
        for path in inst.store.files.content_files(sha):
            data = path.read_bytes()
            stretches = {s for s in stretches if s not in data}
    story_text = next(p[1] for p in PIECES if p[2] == "ana-ext-story").read_text(encoding="utf-8")
    words.add(story_text.split("\n")[0][:40])
    return words, stretches


def _scan_files(root: Path, words: set[str], stretches: set[bytes], ids: list[str]) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for needle in [w.encode() for w in words] + list(stretches):
            if needle in data:
                found.append(f"{path.relative_to(root)} holds {needle[:40]!r}")
        if not path.name.startswith("triage.db"):  # the database keeps the tombstones' ids, by design
            found += [f"{path.relative_to(root)} holds the id {sid}" for sid in ids if sid.encode() in data]
    return found


def _scan_tables(inst: Installation, words: set[str], ids: list[str]) -> list[str]:
    found = []
    with inst.store.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()).mappings():
                for column, value in row.items():
                    said = json.dumps(value, default=str) if not isinstance(value, bytes) else value.hex()
                    found += [f"{table.name}.{column} holds {w[:40]!r}" for w in words if w in said]
                    if (table.name, column) not in ID_MAY_STAY:
                        found += [f"{table.name}.{column} holds the id {sid}" for sid in ids if sid in said]
    return found


def test_nothing_of_an_erased_contributor_remains(installed: Installation, settings: Settings) -> None:
    inst = installed
    ana = sorted(inst.ids[p[2]] for p in PIECES if p[3] == ANA)
    words, stretches = _traces(inst, ana)
    assert _scan_files(settings.data_dir, words, stretches, ana)  # the scan does find them beforehand

    report = _erase(inst, settings, contributors=[ANA])

    assert report.erased == ana and report.already_erased == [] and report.kept_shared == 1
    removed = report.removed
    assert (removed["contents"], removed["originals"], removed["texts"], removed["fingerprints"]) == (3, 3, 1, 3)
    assert removed["derived_files"] >= 18 and removed["transcripts"] >= 2 and removed["waveforms"] >= 2
    assert removed["vectors"] > 0 and removed["index_entries"] == removed["vectors"]
    assert (removed["notes"], removed["votes"], removed["assignments"], removed["duplicate_verdicts"]) == (1, 1, 1, 1)
    assert (removed["kept_copies"], removed["exemplar_marks"], removed["decision_notes"]) == (1, 1, 1)
    assert removed["score_snapshots"] == 1 and removed["jobs"] == 2 and report.decisions_kept == 2
    assert report.database_compacted

    assert _scan_files(settings.data_dir, words, stretches, ana) == []
    assert _scan_tables(inst, words, ana) == []
    with inst.store.db.session() as session:
        for sid in ana:  # tombstones: the id, the call-out and times, nothing else
            row = session.get(Submission, sid)
            assert row is not None and row.status == "erased" and row.erased_at is not None
            assert row.callout_id == "lawn" and row.source_key == f"erased:{sid}"
            assert not any((row.title, row.contributor, row.external_id, row.original_filename, row.sha256,
                            row.size, row.probe, row.media_type, row.uploaded_by, row.error))
        kept = list(session.scalars(select(Decision).where(Decision.submission_id.in_(ana))))
        assert sorted(d.decision for d in kept) == ["shortlisted", "starred"] and all(d.note is None for d in kept)
        reprocess = session.scalar(select(Job).where(Job.kind == "reprocess"))
        assert reprocess is not None and reprocess.params["result"]["errors"] == ["(erased): a model hiccup"]
    _others_intact(inst, settings)
    inst.store.close()  # and once SQLite has folded its log back in on closing
    assert _scan_files(settings.data_dir, words, stretches, ana) == []


def _others_intact(inst: Installation, settings: Settings) -> None:
    ben, photo = inst.ids["ben-ext-speech"], inst.ids["cleo-ext-photo"]
    with inst.store.db.session() as session:
        row = session.get(Submission, ben)
        assert row is not None and row.status == "ready" and row.contributor == "Ben"
        assert inst.store.files.original_path(row.sha256 or "").is_file()
        assert session.scalar(select(Vector.id).where(Vector.sha256 == row.sha256)) is not None
        assert [n.text for n in session.scalars(select(Note).where(Note.submission_id == ben))] == ["Ben: clear voice"]
        assert [v.rating for v in session.scalars(select(Vote).where(Vote.submission_id == ben))] == [3]
    listed = shortlist(inst.store, runtime.query_encoders(settings), "lawn", limit=50)
    shown = {i["submission_id"] for i in listed["items"]} | {d for i in listed["items"] for d in i["duplicate_ids"]}
    assert shown == {ben, photo}


def test_erasing_again_changes_nothing_and_shared_bytes_stay(installed: Installation, settings: Settings) -> None:
    inst = installed
    shared, ben = inst.ids["ana-ext-shared"], inst.ids["ben-ext-speech"]
    first = _erase(inst, settings, submissions=["ana-ext-shared"])  # by its external id
    assert first.erased == [shared] and first.kept_shared == 1
    assert first.removed["contents"] == first.removed["originals"] == first.removed["vectors"] == 0
    assert first.removed["kept_copies"] == 1  # the curators' choice named the erased copy
    with inst.store.db.session() as session:
        row = session.get(Submission, ben)
        assert row is not None and row.status == "ready"
        sha = row.sha256 or ""
    assert inst.store.files.original_path(sha).read_bytes() == PIECES[4][1].read_bytes()
    assert (inst.store.files.derived_dir(sha) / "audio16k.wav").is_file()

    again = _erase(inst, settings, submissions=[shared])
    assert again.erased == [] and again.already_erased == [shared] and not any(again.removed.values())
    assert _erase(inst, settings, contributors=["Nobody At All"]).erased == []
    with pytest.raises(NotFound):
        _erase(inst, settings, submissions=["ana-ext-shared"])  # an erased piece's external id is gone too
    with pytest.raises((NotFound, BadRequest)):  # PostgreSQL cannot even compare a NUL: the caller's error
        _erase(inst, settings, submissions=["s_\x00"])
    everyone = _erase(inst, settings, contributors=[ANA])
    assert shared not in everyone.erased and len(everyone.erased) == 3
    assert not any(_erase(inst, settings, contributors=[ANA]).removed.values())


def test_an_interrupted_erasure_is_finished_by_the_next(installed: Installation, settings: Settings,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    inst = installed
    video = inst.ids["ana-ext-video"]
    with inst.store.db.session() as session:
        sha = str(session.get(Submission, video).sha256)  # type: ignore[union-attr]
    real = FileStore.remove_content

    def killed(self: FileStore, sha256: str) -> tuple[int, int]:
        raise KeyboardInterrupt  # as if the process died after its transaction

    monkeypatch.setattr(FileStore, "remove_content", killed)
    with pytest.raises(KeyboardInterrupt):
        _erase(inst, settings, submissions=[video])
    assert (settings.data_dir / PENDING).exists() and inst.store.files.original_path(sha).exists()
    monkeypatch.setattr(FileStore, "remove_content", real)
    again = _erase(inst, settings, submissions=[video])
    assert again.already_erased == [video] and again.removed["originals"] == 1
    assert not inst.store.files.original_path(sha).exists() and not inst.store.files.derived_dir(sha).exists()
    assert not (settings.data_dir / PENDING).exists()


def test_erasure_waits_for_a_running_rescore_of_the_callout(installed: Installation, settings: Settings) -> None:
    inst = installed
    with inst.store.db.session() as session:
        session.add(Job(kind="rescore", callout_id="lawn", status="running"))
    with pytest.raises(Conflict, match="rescore"):
        _erase(inst, settings, contributors=[ANA])
    with inst.store.db.session() as session:  # nothing was erased
        assert session.get(Submission, inst.ids["ana-ext-video"]).status == "ready"  # type: ignore[union-attr]
