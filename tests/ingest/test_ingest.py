"""Ingesting a mixed pile: every good file kept and analysed, every bad one rejected with its reason,
re-runs add nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import MEDIA
from triage import runtime
from triage.config import Settings
from triage.ingest.runner import ingest
from triage.ingest.sources import Source, from_manifest, from_paths
from triage.store import artifacts as art
from triage.store.callouts import upsert_callout
from triage.store.schema import Content, Submission, Vector
from triage.store.store import Store

EXPECTED_BAD = {
    "empty.mp4": "empty",
    "truncated.mp4": "truncated",
    "text_named.mp4": "named .mp4",
    "video_named.txt": "named .txt",
    "random.bin": "not",
    "tiny.png": "1x1",
    "bomb.png": "50000x50000",
    "undetectable.txt": "encoding",
}


@pytest.fixture
def store(settings: Settings) -> Store:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Front Lawn Freaks", brief="Film yourself freaking out on your lawn.")
        upsert_callout(session, "one", title="One", brief="Anything about the number one.")
    return store


def run(store: Store, settings: Settings, sources: list[Source], callout: str = "lawn"):  # type: ignore[no-untyped-def]
    analyse = runtime.analyser(settings, runtime.encoders(settings))
    return ingest(store, callout, sources, analyse, max_file_bytes=settings.max_file_bytes)


def test_good_files_become_ready_with_their_media_type(store: Store, settings: Settings) -> None:
    results = run(store, settings, list(from_paths([MEDIA / "good"])))
    assert {r.status for r in results} == {"ready"}, [r.error for r in results if r.error]
    kinds = {Path(r.source).name: r.media_type for r in results}
    assert kinds["speech.mp4"] == kinds["speech.webm"] == kinds["silent.mp4"] == "video"
    assert kinds["speech.mp3"] == kinds["cover_art.mp3"] == kinds["speech.flac"] == "audio"
    assert kinds["photo.jpg"] == kinds["image.webp"] == "image"
    assert kinds["story.txt"] == kinds["lyrics.md"] == "text"
    with store.db.session() as session:
        mp4 = session.scalar(select(Submission).where(Submission.original_filename == "speech.mp4"))
        assert mp4 is not None and mp4.sha256
        found = art.artifacts(session, mp4.sha256)
        assert {"poster", "audio16k", "thumbs", "transcript", "fingerprints", "visual"} <= set(found)
        assert store.files.resolve(found["poster"].path).read_bytes()[:2] == b"\xff\xd8"  # a JPEG
        assert session.scalar(select(func.count()).select_from(Vector).where(Vector.sha256 == mp4.sha256)) > 0
        assert store.files.original_path(mp4.sha256).read_bytes() == (MEDIA / "good" / "speech.mp4").read_bytes()


def test_bad_files_are_rejected_with_a_reason_and_the_batch_goes_on(store: Store, settings: Settings) -> None:
    sources = [Source(str(MEDIA / "bad" / name), MEDIA / "bad" / name) for name in EXPECTED_BAD]
    sources.insert(3, Source(str(MEDIA / "good" / "story.txt"), MEDIA / "good" / "story.txt"))
    results = run(store, settings, sources)
    by_name = {Path(r.source).name: r for r in results}
    assert by_name["story.txt"].status == "ready"
    for name, words in EXPECTED_BAD.items():
        result = by_name[name]
        assert result.status == "rejected", name
        assert result.error and words in result.error.lower(), (name, result.error)
    with store.db.session() as session:
        stored = {s.original_filename: s for s in session.scalars(select(Submission))}
        assert stored["bomb.png"].status == "rejected" and "50000" in (stored["bomb.png"].error or "")


def test_rerunning_the_same_ingest_adds_nothing(store: Store, settings: Settings) -> None:
    first = run(store, settings, list(from_paths([MEDIA / "good"])))
    second = run(store, settings, list(from_paths([MEDIA / "good"])))
    assert {r.action for r in second} == {"unchanged"}
    assert [r.submission_id for r in first] == [r.submission_id for r in second]
    with store.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == len(first)


def test_identical_bytes_are_processed_once_across_callouts(store: Store, settings: Settings, tmp_path: Path) -> None:
    copy = tmp_path / "renamed.mp4"
    shutil.copy(MEDIA / "good" / "speech.mp4", copy)
    calls: list[str] = []
    inner = runtime.analyser(settings, runtime.encoders(settings))

    def counting(path: Path, **options):  # type: ignore[no-untyped-def]
        calls.append(path.name)
        return inner(path, **options)

    ingest(store, "lawn", [Source("a", MEDIA / "good" / "speech.mp4")], counting, max_file_bytes=10**9)
    results = ingest(store, "one", [Source("b", copy)], counting, max_file_bytes=10**9)
    assert len(calls) == 1
    assert results[0].action == "reused" and results[0].status == "ready"
    with store.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Content)) == 1
        assert session.scalar(select(func.count()).select_from(Submission)) == 2


def test_file_over_the_size_limit_is_refused_before_copying(store: Store, settings: Settings) -> None:
    analyse = runtime.analyser(settings, runtime.encoders(settings))
    [result] = ingest(store, "lawn", [Source("big", MEDIA / "good" / "speech.wav")], analyse, max_file_bytes=1000)
    assert result.status == "rejected" and "limit" in (result.error or "")
    assert not list((store.data_dir / "originals").rglob("*/*/*"))


def test_manifest_escape_is_recorded_as_a_rejected_submission(store: Store, settings: Settings) -> None:
    [result] = run(store, settings, [Source("../../etc/passwd", None, external_id="x9", error="leads outside")])
    assert result.status == "rejected" and result.external_id == "x9"


def test_a_failure_on_our_side_is_recorded_and_retried(store: Store, settings: Settings) -> None:
    def broken(path: Path, **options):  # type: ignore[no-untyped-def]
        raise RuntimeError("model exploded")

    [failed] = ingest(store, "lawn", [Source("s", MEDIA / "good" / "story.txt")], broken, max_file_bytes=10**9)
    assert failed.status == "failed" and "model exploded" in (failed.error or "")
    [retried] = run(store, settings, [Source("s", MEDIA / "good" / "story.txt")])
    assert retried.status == "ready" and retried.submission_id == failed.submission_id


def test_a_wrong_name_rejects_that_submission_only(store: Store, settings: Settings, tmp_path: Path) -> None:
    misnamed = tmp_path / "story.mp4"
    shutil.copy(MEDIA / "good" / "story.txt", misnamed)
    bad, good = run(store, settings, [Source(str(misnamed), misnamed),
                                      Source("story.txt", MEDIA / "good" / "story.txt")])
    assert bad.status == "rejected" and "named .mp4" in (bad.error or "")
    assert good.status == "ready" and good.sha256 == bad.sha256


def test_allow_mislabelled_accepts_by_content_with_a_note(store: Store, settings: Settings, tmp_path: Path) -> None:
    misnamed = tmp_path / "clip.txt"
    shutil.copy(MEDIA / "good" / "speech.mp4", misnamed)
    analyse = runtime.analyser(settings, runtime.encoders(settings))
    [result] = ingest(store, "lawn", [Source(str(misnamed), misnamed)], analyse, max_file_bytes=10**9,
                      allow_mislabelled=True)
    assert result.status == "ready" and result.media_type == "video"
    with store.db.session() as session:
        row = session.get(Submission, result.submission_id)
        assert row is not None and any("named .txt" in n for n in row.probe["notes"])



def test_a_source_refused_before_reading_is_tried_again_once_it_is_fixed(store: Store, settings: Settings,
                                                                          tmp_path: Path) -> None:
    # A manifest line whose file was missing, and a path given before its file arrived: the producer puts the
    # files in place and runs the same batch again.
    manifest, late, later = tmp_path / "m.jsonl", tmp_path / "late.txt", tmp_path / "later.txt"
    manifest.write_text(json.dumps({"path": "late.txt", "external_id": "e1"}) + "\n")
    first = run(store, settings, [*from_manifest(manifest), *from_paths([later])])
    assert [r.status for r in first] == ["rejected", "rejected"]
    shutil.copy(MEDIA / "good" / "story.txt", late)
    shutil.copy(MEDIA / "good" / "latin1.txt", later)
    again = run(store, settings, [*from_manifest(manifest), *from_paths([later])])
    assert [(r.status, r.action) for r in again] == [("ready", "resumed"), ("ready", "resumed")]
    assert [r.submission_id for r in again] == [r.submission_id for r in first]
    with store.db.session() as session:  # the fixed files took their refusals' rows: no stale rejection left
        assert session.scalar(select(func.count()).select_from(Submission)) == 2


def test_an_external_id_given_to_a_second_file_is_refused(store: Store, settings: Settings, tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    for name in ("story.txt", "latin1.txt"):
        shutil.copy(MEDIA / "good" / name, tmp_path / name)
    manifest.write_text("".join(json.dumps({"path": name, "external_id": "e1"}) + "\n"
                                for name in ("story.txt", "latin1.txt")))
    first, second = run(store, settings, list(from_manifest(manifest)))
    assert first.status == "ready"
    assert second.status == "rejected" and "already used for a different file" in (second.error or "")
    assert second.submission_id is None and second.external_id == "e1"
    # A re-run says the same, and a later batch's different file (by size or by bytes) is refused as well.
    assert [r.status for r in run(store, settings, list(from_manifest(manifest)))] == ["ready", "rejected"]
    (tmp_path / "same_size.txt").write_bytes(b"x" * (tmp_path / "story.txt").stat().st_size)
    manifest.write_text(json.dumps({"path": "same_size.txt", "external_id": "e1"}) + "\n")
    with store.db.session() as session:  # as if the first run was killed before the file was analysed
        session.scalar(select(Submission).where(Submission.external_id == "e1")).status = "processing"
    [third] = run(store, settings, list(from_manifest(manifest)))
    assert third.status == "rejected" and "already used" in (third.error or "")
    with store.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 1
        assert session.scalar(select(func.count()).select_from(Content)) == 1


def test_bad_lines_of_two_manifests_are_two_refusals_with_their_own_reasons(store: Store, settings: Settings,
                                                                           tmp_path: Path) -> None:
    for folder, line in (("a", "{not json"), ("b", json.dumps({"title": "no path"}))):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "batch.jsonl").write_text(line + "\n")
    first = run(store, settings, list(from_manifest(tmp_path / "a" / "batch.jsonl")))
    second = run(store, settings, list(from_manifest(tmp_path / "b" / "batch.jsonl")))
    assert [(r.status, r.action) for r in first + second] == [("rejected", "added"), ("rejected", "added")]
    assert "not valid JSON" in (first[0].error or "") and "needs a \"path\"" in (second[0].error or "")
