"""Hostile audio and video in a real batch: each is rejected with its reason, stores nothing derived, and the
batch goes on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.conftest import MEDIA
from tests.media.hostile import (
    copies_of_one_video,
    needs_ffmpeg,
    one_packet_of_pcm,
    plain_wav,
    resolution_change,
    understated_duration,
)
from triage import runtime
from triage.config import Settings
from triage.ingest.runner import ingest
from triage.ingest.sources import Source
from triage.store import artifacts as art
from triage.store.callouts import upsert_callout
from triage.store.schema import Submission


@needs_ffmpeg
def test_hostile_media_is_rejected_and_the_batch_goes_on(settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"max_pixels": 100_000})
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Front Lawn Freaks", brief="Film yourself freaking out on your lawn.")
    for folder in ("switch", "tracks", "long"):
        (tmp_path / folder).mkdir()
    rejected = {  # file -> words of its reason
        "switch.ts": "640x480 pixels",
        "copies.mp4": "more than 32 tracks",
        "block.mkv": "MB packet",
    }
    files = {
        "switch.ts": resolution_change(tmp_path / "switch", "ts"),
        "copies.mp4": copies_of_one_video(tmp_path / "tracks", 40, "mp4"),
        "block.mkv": one_packet_of_pcm(tmp_path / "block.mkv", 200, stated_ms=1000.0),
        "nine.wav": plain_wav(tmp_path / "nine.wav", 9, 48_000, 1.0),
        "understated.mkv": understated_duration(tmp_path / "long", seconds=30, colour="gray"),
    }
    sources = [Source(name, path) for name, path in files.items()]
    sources.insert(len(sources) // 2, Source("speech.wav", MEDIA / "good" / "speech.wav"))
    analyse = runtime.analyser(settings, runtime.encoders(settings))
    results = {r.source: r for r in ingest(store, "lawn", sources, analyse, max_file_bytes=settings.max_file_bytes)}
    for name in ("speech.wav", "nine.wav", "understated.mkv"):
        assert results[name].status == "ready", results[name]
    for name, reason in rejected.items():
        assert results[name].status == "rejected" and reason in (results[name].error or ""), results[name]
        assert str(tmp_path) not in (results[name].error or "")
    with store.db.session() as session:
        for row in session.scalars(select(Submission).where(Submission.status == "rejected")):
            assert row.sha256 and not art.artifacts(session, row.sha256), row.original_filename
            assert not store.files.derived_dir(row.sha256).exists()
