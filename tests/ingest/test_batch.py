"""The batch engine: what one file at a time stores, a bad file failing alone, memory held flat, clean stops."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.conftest import MEDIA
from triage import media, runtime
from triage.config import Settings
from triage.domain import MediaLimits, Transcript
from triage.encoders.base import Encoders
from triage.encoders.fake import FakeTranscriber
from triage.errors import ModelUnavailable, ProcessingFailed
from triage.ingest.batch import BatchEngine
from triage.ingest.engine import AnalysisEngine, LocalEngine, Request
from triage.ingest.runner import ItemResult, ingest
from triage.ingest.sources import Source, from_paths
from triage.store import artifacts as art
from triage.store.callouts import upsert_callout
from triage.store.schema import Content, Vector
from triage.store.store import Store


def _store(settings: Settings, name: str) -> Store:
    store = runtime.open_store(settings.model_copy(update={"data_dir": settings.data_dir / name}))
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="Anything on a lawn.")
    return store


def _pile(tmp_path: Path) -> list[Source]:
    """Every good and bad fixture, then a copy of one under another name (two submissions, one analysis)."""
    again = tmp_path / "again.wav"
    shutil.copy(MEDIA / "good" / "speech.wav", again)
    return list(from_paths([MEDIA / "good", MEDIA / "bad", again]))


def _run(store: Store, sources: list[Source], engine: AnalysisEngine) -> list[ItemResult]:
    try:
        return ingest(store, "lawn", sources, engine, max_file_bytes=10**9)
    finally:
        engine.close()


def _stored(store: Store) -> dict[str, object]:
    """Everything an analysis leaves in the database, by content."""
    with store.db.session() as session:
        contents = {c.sha256: (c.status, c.error, c.media_type) for c in session.scalars(select(Content))}
        transcripts = {sha: t.to_dict() if (t := art.transcript_of(session, sha)) else None for sha in contents}
        fingerprints = {sha: found["fingerprints"].data if "fingerprints" in (found := art.artifacts(session, sha))
                        else None for sha in contents}
        vectors = {(v.sha256, v.space, v.source, v.kind, v.ordinal): bytes(v.vector)
                   for v in session.scalars(select(Vector))}
    return {"contents": contents, "transcripts": transcripts, "fingerprints": fingerprints, "vectors": vectors}


def _models(settings: Settings, transcriber: FakeTranscriber | None = None) -> Encoders:
    models = runtime.encoders(settings)
    if transcriber is not None:
        models.transcriber = transcriber
    return models


def test_a_batch_stores_what_one_file_at_a_time_stores(tmp_path: Path, settings: Settings) -> None:
    models = _models(settings)
    one, batched = _store(settings, "one"), _store(settings, "batched")
    alone = _run(one, _pile(tmp_path), LocalEngine(runtime.analyser(settings, models)))
    together = _run(batched, _pile(tmp_path), BatchEngine(runtime.analyser(settings, models), batch_size=4))
    assert [(r.status, r.error, r.action, r.sha256) for r in together] == \
        [(r.status, r.error, r.action, r.sha256) for r in alone]
    assert {r.status for r in together} == {"ready", "rejected"}
    assert together[-1].action == "reused"  # the copy shares the first one's analysis
    assert _stored(batched) == _stored(one)


def test_a_bad_file_in_a_batch_is_rejected_alone_with_its_reason(tmp_path: Path, settings: Settings) -> None:
    files = [MEDIA / "good" / "speech.mp3", MEDIA / "bad" / "truncated.mp4", MEDIA / "good" / "story.txt",
             MEDIA / "bad" / "text_named.mp4", MEDIA / "good" / "speech.webm"]
    results = _run(_store(settings, "data"), list(from_paths(files)),
                   BatchEngine(runtime.analyser(settings, _models(settings)), batch_size=8))
    assert [r.status for r in results] == ["ready", "rejected", "ready", "rejected", "ready"]
    assert "truncated" in (results[1].error or "") and "named .mp4" in (results[3].error or "")


class _Poisoned(FakeTranscriber):
    """Fails on clips of one length, and counts the clips of each call; decodes `batch_size` clips together."""

    def __init__(self, poison: int, batch_size: int) -> None:
        super().__init__()
        self.poison, self.batch_size = poison, batch_size
        self.calls: list[int] = []

    def transcribe(self, audio: np.ndarray, *, vad: bool | None = None) -> Transcript:
        return self.transcribe_many([audio], vad=vad)[0]

    def transcribe_many(self, audios: Sequence[np.ndarray], *, vad: bool | None = None) -> list[Transcript]:
        self.calls.append(len(audios))
        if any(a.size == self.poison for a in audios):
            raise ProcessingFailed("this clip breaks the model")
        return [super(_Poisoned, self).transcribe(audio, vad=vad) for audio in audios]


def _samples(path: Path) -> int:
    probe = media.probe(path, MediaLimits())
    audio = media.decode(path, probe, MediaLimits()).audio
    assert audio is not None
    return int(audio.size)


@pytest.mark.parametrize("whisper_batch", [8, 1])
def test_a_file_the_models_fail_on_fails_alone_and_the_rest_of_its_batch_goes_on(
        settings: Settings, whisper_batch: int) -> None:
    files = [MEDIA / "good" / name for name in ("speech.mp3", "speech.mov", "cover_art.mp3", "story.txt")]
    poisoned = _Poisoned(_samples(files[2]), whisper_batch)
    results = _run(_store(settings, "data"), list(from_paths(files)),
                   BatchEngine(runtime.analyser(settings, _models(settings, poisoned)), batch_size=8))
    assert [r.status for r in results] == ["ready", "ready", "failed", "ready"]
    assert "this clip breaks the model" in (results[2].error or "")
    if whisper_batch > 1:  # the three files with sound in one call, then each of them alone
        assert poisoned.calls[0] == 3 and sorted(poisoned.calls[1:]) == [1, 1, 1]
    else:  # each file transcribed as soon as it is prepared, once
        assert poisoned.calls == [1, 1, 1]


def test_a_missing_model_stops_the_batch_at_the_first_file_and_loads_once(settings: Settings) -> None:
    loads = []

    def missing() -> Encoders:
        loads.append(1)
        raise ModelUnavailable("Whisper tiny.en is missing")

    analyser = runtime.analyser(settings, missing)
    with pytest.raises(ModelUnavailable):
        _run(_store(settings, "data"), list(from_paths([MEDIA / "good"])), BatchEngine(analyser, batch_size=4))
    assert loads == [1]


@dataclass
class _Piece:
    """Stands in for a prepared file: how long its sound is and how much memory it holds."""

    name: str
    seconds: float
    nbytes: int = 100


class _Stages:
    """An analyser stand-in that records what the batch engine asks of it."""

    batch_size = 4

    def __init__(self, seconds: dict[str, float], prepare_s: float = 0.0) -> None:
        self.seconds, self.prepare_s = seconds, prepare_s
        self.batches: list[list[str]] = []
        self.aheads: list[str] = []
        self.niceness: set[int] = set()
        self.outstanding = self.most_outstanding = 0
        self._lock = threading.Lock()

    def prepare(self, request: Request) -> _Piece:
        time.sleep(self.prepare_s)
        if sys.platform.startswith("linux"):
            self.niceness.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        with self._lock:
            self.outstanding += 1
            self.most_outstanding = max(self.most_outstanding, self.outstanding)
        return _Piece(request.sha256, self.seconds.get(request.sha256, 5.0))

    def ahead(self, piece: _Piece) -> _Piece:
        self.aheads.append(piece.name)
        return piece

    def finish(self, batch: list[_Piece]) -> list[str]:
        with self._lock:
            self.outstanding -= len(batch)
        self.batches.append([piece.name for piece in batch])
        return [piece.name for piece in batch]


def _drain(engine: BatchEngine, names: list[str]) -> list[str]:
    """Submit every name as run_all would (at most `capacity` in flight); the names in the order they finish."""
    done: list[str] = []
    for name in names:
        while engine.in_flight() >= engine.capacity:
            done.append(engine.next_done().sha256)
        engine.submit(Request(name, Path(name)))
    while engine.in_flight():
        done.append(engine.next_done().sha256)
    engine.close()
    return done


def test_a_file_longer_than_one_whisper_window_is_a_batch_of_its_own() -> None:
    stages = _Stages({"long": 600.0})
    names = ["a", "b", "long", "c", "d", "e", "f", "g"]
    assert sorted(_drain(BatchEngine(stages), names)) == sorted(names)  # type: ignore[arg-type]
    assert stages.batches == [["a", "b"], ["long"], ["c", "d", "e", "f"], ["g"]]


def test_files_prepared_ahead_stay_within_the_memory_budget() -> None:
    stages = _Stages({})
    engine = BatchEngine(stages, batch_size=8, ahead_bytes=250)  # type: ignore[arg-type]
    assert engine.capacity == 16
    _drain(engine, [f"f{i}" for i in range(40)])
    # Held at once: the batch with the models (8) and what fits under the budget ahead of it (three pieces of
    # 100 bytes: the third starts below 250), not all 16 files in flight.
    assert stages.most_outstanding <= 8 + 3
    assert sum(len(b) for b in stages.batches) == 40 and max(len(b) for b in stages.batches) == 8


def test_closing_while_the_thread_waits_for_room_does_not_hang() -> None:
    engine = BatchEngine(_Stages({}, prepare_s=0.01), batch_size=4, ahead_bytes=0)  # type: ignore[arg-type]
    for i in range(8):
        engine.submit(Request(f"f{i}", Path(f"f{i}")))
    time.sleep(0.1)  # the thread has prepared one file and waits for room for the next
    started = time.monotonic()
    engine.close()
    assert time.monotonic() - started < 2 and engine.in_flight() == 0


class _FirstBeforeTheRest(_Stages):
    """Prepares every file but the first only once the models have started on the first."""

    def __init__(self) -> None:
        super().__init__({})
        self.started = threading.Event()

    def prepare(self, request: Request) -> _Piece:
        if request.sha256 != "f0" and not self.started.wait(timeout=5):
            raise RuntimeError("the models waited for the whole batch")
        return super().prepare(request)

    def ahead(self, piece: _Piece) -> _Piece:
        self.started.set()
        return super().ahead(piece)


def test_the_models_start_on_a_file_before_the_rest_of_its_batch_is_prepared() -> None:
    stages = _FirstBeforeTheRest()
    done = _drain(BatchEngine(stages, batch_size=4), [f"f{i}" for i in range(6)])  # type: ignore[arg-type]
    assert done == [f"f{i}" for i in range(6)]
    assert stages.aheads == done and stages.batches == [["f0", "f1", "f2", "f3"], ["f4", "f5"]]
    if sys.platform.startswith("linux"):  # preparing yields the cores to the models
        assert stages.niceness == {min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)}


class _SpeechBesideTheCaller(_Stages):
    """Finishes the first batch only once the models have started on a file of the next: the caller's thread is
    busy in `finish` meanwhile, so that can only happen when Whisper runs on a thread of its own."""

    def __init__(self) -> None:
        super().__init__({})
        self.next_started = threading.Event()

    def ahead(self, piece: _Piece) -> _Piece:
        if piece.name == "f2":
            self.next_started.set()
        return super().ahead(piece)

    def finish(self, batch: list[_Piece]) -> list[str]:
        if batch[0].name == "f0" and not self.next_started.wait(timeout=5):
            raise RuntimeError("Whisper waited for the caller")
        return super().finish(batch)


def test_whisper_goes_on_with_the_next_batch_while_the_caller_finishes_this_one() -> None:
    stages = _SpeechBesideTheCaller()
    done = _drain(BatchEngine(stages, batch_size=2), [f"f{i}" for i in range(4)])  # type: ignore[arg-type]
    assert done == ["f0", "f1", "f2", "f3"]
    assert stages.batches == [["f0", "f1"], ["f2", "f3"]] and stages.aheads == done


def test_a_file_the_models_fail_on_ahead_of_its_batch_fails_alone() -> None:
    class Failing(_Stages):
        def ahead(self, piece: _Piece) -> _Piece:
            if piece.name == "f1":
                raise ProcessingFailed("this clip breaks the model")
            return super().ahead(piece)

    stages = Failing({})
    engine = BatchEngine(stages, batch_size=4)  # type: ignore[arg-type]
    for i in range(4):
        engine.submit(Request(f"f{i}", Path(f"f{i}")))
    outcomes = [engine.next_done() for _ in range(4)]
    engine.close()
    assert [(o.sha256, o.error is not None) for o in outcomes] == \
        [("f1", True), ("f0", False), ("f2", False), ("f3", False)]
    assert stages.batches == [["f0", "f2", "f3"]]


def test_a_transcript_made_ahead_is_the_one_the_batch_would_make(settings: Settings) -> None:
    analyser = runtime.analyser(settings, _models(settings))
    prepared = analyser.prepare(Request("", MEDIA / "good" / "speech.mp3"))
    ahead = analyser.ahead(prepared)
    assert ahead.transcript is not None and ahead.transcript.text
    together, alone = analyser.finish([ahead]), analyser.finish([prepared])
    assert together[0].transcript == alone[0].transcript
    assert [e.vector.tobytes() for e in together[0].embeddings] == [e.vector.tobytes() for e in alone[0].embeddings]
    assert together[0].fingerprints == alone[0].fingerprints


def test_a_model_that_decodes_clips_together_waits_for_the_batch(settings: Settings) -> None:
    models = _models(settings, _Poisoned(poison=-1, batch_size=8))
    analyser = runtime.analyser(settings, models)
    prepared = analyser.prepare(Request("", MEDIA / "good" / "speech.mp3"))
    assert analyser.ahead(prepared) is prepared
