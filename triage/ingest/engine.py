"""Where analyses run: in this process, in batches (`ingest.batch`) or one at a time (`LocalEngine`), or on a Ray
cluster (`ingest.ray_engine`). `runtime.analysis_engine` chooses one.

The ingest runner and reprocessing hand an engine `Request`s for stored files and collect `Outcome`s as they
finish; they alone write to the database, so an engine never needs one. Failures come back as values, not exceptions,
so one bad file never stops the others in flight.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from triage import pipeline
from triage.domain import MediaLimits, Transcript
from triage.encoders.base import Encoders
from triage.pipeline import STAGES, Analysis, Prepared


class Analyse(Protocol):
    """One file's analysis, as runtime.analyser makes it (an `Analyser`): the given stages, or all of them;
    `stored_transcript` stands in for Whisper when only later stages are redone."""

    def __call__(self, path: Path, stages: tuple[str, ...] = STAGES,
                 stored_transcript: Transcript | None = None) -> Analysis: ...


@dataclass
class Request:
    """One stored file to analyse: all stages (ingest), or some of them over stored results (reprocessing)."""

    sha256: str
    path: Path
    stages: tuple[str, ...] = STAGES
    stored_transcript: Transcript | None = None


@dataclass
class Analyser:
    """The pipeline bound to one run's limits and models, as runtime.analyser makes it. Called with a path, it
    analyses one file (an `Analyse`); `prepare` and `finish` split that in two for a BatchEngine, which batches
    `batch_size` files. The models load on first use, once (thread-safe), so a re-run with nothing left to
    analyse never loads Whisper."""

    limits: MediaLimits
    max_frames: int
    thumb_side: int
    load_models: Callable[[], Encoders]
    batch_size: int = 1
    ocr: bool = True  # read the words printed in pictures (settings.ocr)
    _models: Encoders | None = field(default=None, init=False, repr=False)
    _failed: Exception | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def models(self) -> Encoders:
        """The loaded models; a load that failed fails again at once (no file can be analysed without them)."""
        with self._lock:
            if self._failed is not None:
                raise self._failed
            if self._models is None:
                try:
                    self._models = self.load_models()
                except Exception as exc:
                    self._failed = exc
                    raise
            return self._models

    def prepare(self, request: Request) -> Prepared:
        """The stages of one file that need no model; its frames are kept only for CLIP."""
        keep_frames = "visual" in request.stages and self.models().clip is not None
        return pipeline.prepare(request.path, limits=self.limits, max_frames=self.max_frames,
                                thumb_side=self.thumb_side, stages=request.stages,
                                stored_transcript=request.stored_transcript, keep_frames=keep_frames, ocr=self.ocr)

    def ahead(self, prepared: Prepared) -> Prepared:
        """What the models can do for one prepared file before the rest of its batch is ready."""
        return pipeline.transcribe_ahead(prepared, self.models())

    def finish(self, batch: list[Prepared]) -> list[Analysis]:
        """The model stages over prepared files, all at once."""
        return pipeline.finish(batch, self.models())

    def __call__(self, path: Path, stages: tuple[str, ...] = STAGES,
                 stored_transcript: Transcript | None = None) -> Analysis:
        return self.finish([self.prepare(Request("", path, stages, stored_transcript))])[0]


@dataclass
class Outcome:
    """What analysing one stored file gave: an analysis, or the exception it raised (with its traceback)."""

    sha256: str
    analysis: Analysis | None = None
    error: BaseException | None = None
    trace: str = ""


def analyse_safely(request: Request, analyse: Analyse, path: Path | None = None) -> Outcome:
    """Run `analyse` on the request's file (or on `path`, a copy of it), turning any exception into an Outcome
    the caller can judge (rejected, failed or fatal)."""
    try:
        analysis = analyse(path or request.path, stages=request.stages, stored_transcript=request.stored_transcript)
        return Outcome(request.sha256, analysis=analysis)
    except Exception as exc:
        return Outcome(request.sha256, error=exc, trace=traceback.format_exc())


class AnalysisEngine(Protocol):
    """Runs analyses of stored files, up to `capacity` at a time."""

    capacity: int

    def submit(self, request: Request) -> None:
        """Start analysing a stored file."""

    def in_flight(self) -> int:
        """How many submitted analyses have not been collected yet."""

    def ready(self) -> Iterator[Outcome]:
        """The analyses finished so far, without waiting."""

    def next_done(self) -> Outcome:
        """Wait for the next analysis to finish (any order) and return it."""

    def close(self) -> None:
        """Stop the workers; analyses still in flight are abandoned (a re-run resumes their files)."""


class LocalEngine:
    """Analyses each file in this process as it is submitted: the plain, one-at-a-time behaviour."""

    capacity = 1

    def __init__(self, analyse: Analyse) -> None:
        self._analyse = analyse
        self._done: list[Outcome] = []

    def submit(self, request: Request) -> None:
        self._done.append(analyse_safely(request, self._analyse))

    def in_flight(self) -> int:
        return len(self._done)

    def ready(self) -> Iterator[Outcome]:
        while self._done:
            yield self._done.pop(0)

    def next_done(self) -> Outcome:
        return self._done.pop(0)

    def close(self) -> None:
        self._done.clear()


def run_all(engine: AnalysisEngine, requests: Iterable[Request], on_outcome: Callable[[Outcome], None]) -> None:
    """Feed every request to the engine, at most `capacity` in flight, and pass each outcome on as it finishes.

    `requests` may be a generator that does work between requests (the ingest runner stores the next file);
    `on_outcome` runs in this thread, so it may write to the database.
    """
    for request in requests:
        while engine.in_flight() >= engine.capacity:
            on_outcome(engine.next_done())
        engine.submit(request)
        for outcome in engine.ready():
            on_outcome(outcome)
    while engine.in_flight():
        on_outcome(engine.next_done())
