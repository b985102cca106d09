"""Analyses in batches, in this process: the local engine of `triage ingest`, `reprocess` and `eval`.

A thread prepares each file as soon as it is submitted (probe, decode, derived files, picture and sound
fingerprints: no model), at a lower scheduling priority. On a CPU, which decodes clips one at a time anyway, a
second thread runs Whisper over each file as soon as it is prepared; the caller's thread runs the text model over
all of a batch's words, and stores files and saves rows meanwhile. On a GPU the caller's thread runs Whisper over
several short clips at once, then the text model. So decoding and the caller's own work overlap model compute,
and a pool of 10-second clips pays Whisper's fixed cost per call once a batch instead of once a file.

A bad file still fails alone, with its reason: it is rejected while being prepared, and a batch the models fail
on is finished again file by file. Memory stays flat: at most `capacity` files are in flight, and the thread
stops preparing ahead while the files waiting for the models hold more than `ahead_bytes`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import traceback
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from triage.errors import ConfigError, ModelUnavailable
from triage.ingest.engine import Analyse, Analyser, AnalysisEngine, LocalEngine, Outcome, Request
from triage.pipeline import Prepared

# A clip of at most one Whisper window shares a batch; a longer file is a batch of its own (its windows are
# already batched by Whisper, and its sound alone can be large).
SHORT_S = 30.0
# Decoded sound, kept frames and derived files prepared ahead of the models: a few long files' worth.
AHEAD_BYTES = 256 * 1024**2
# How many steps of niceness (up to 19, the lowest priority) the preparing thread takes below the models.
PREPARE_NICENESS = 10


class _Closed(Exception):
    """The engine closed while a file waited to be prepared."""


class BatchEngine:
    """An AnalysisEngine that prepares files on a thread of its own and runs the models over batches of them."""

    def __init__(self, analyser: Analyser, *, batch_size: int | None = None, ahead_bytes: int = AHEAD_BYTES) -> None:
        self.batch_size = max(1, batch_size or analyser.batch_size)
        self.capacity = 2 * self.batch_size  # one batch with the models while the next is prepared
        self._analyser = analyser
        self._ahead_bytes = ahead_bytes
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage-prepare",
                                        initializer=_yield_to_the_models)
        # Whisper ahead of the batch, off the caller's thread: it keeps transcribing while the caller stores the next
        # files, embeds a batch's words and saves its rows (on a CPU those were 3-4 s of 35 with Whisper idle).
        self._speech = ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage-speech")
        self._pending: deque[tuple[str, Future[Prepared]]] = deque()  # submitted, in order, with Whisper's part done
        self._done: deque[Outcome] = deque()
        self._held = 0  # bytes of prepared files not yet taken into a batch
        self._room = threading.Condition()
        self._closed = False

    def submit(self, request: Request) -> None:
        prepared = self._pool.submit(self._prepare, request)
        self._pending.append((request.sha256, self._speech.submit(self._ahead, prepared)))

    def in_flight(self) -> int:
        return len(self._pending) + len(self._done)

    def ready(self) -> Iterator[Outcome]:
        while self._done:
            yield self._done.popleft()

    def next_done(self) -> Outcome:
        while not self._done:
            if not self._pending:
                raise RuntimeError("next_done with nothing in flight")
            self._done.extend(self._finish(self._next_batch()))
        return self._done.popleft()

    def close(self) -> None:
        with self._room:
            self._closed = True
            self._room.notify_all()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._speech.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()
        self._done.clear()

    def _prepare(self, request: Request) -> Prepared:
        with self._room:
            self._room.wait_for(lambda: self._held <= self._ahead_bytes or self._closed)
            if self._closed:
                raise _Closed
        prepared = self._analyser.prepare(request)
        with self._room:
            self._held += prepared.nbytes
        return prepared

    def _ahead(self, prepared: Future[Prepared]) -> Prepared:
        """What the models do for one file before its batch is ready (Whisper, on a CPU), once it is prepared. A
        failure here is that file's alone, and its bytes no longer count as ahead."""
        done = prepared.result()
        try:
            return self._analyser.ahead(done)
        except BaseException:
            self._release(done.nbytes)
            raise

    def _take(self) -> Prepared:
        """The first pending file, prepared (waiting for it if need be); its bytes no longer count as ahead."""
        prepared = self._pending[0][1].result()
        self._pending.popleft()
        self._release(prepared.nbytes)
        return prepared

    def _release(self, nbytes: int) -> None:
        with self._room:
            self._held -= nbytes
            self._room.notify_all()

    def _next_batch(self) -> list[tuple[str, Prepared]]:
        """The next files in order: up to `batch_size` short ones, or one long one. A file that could not be
        prepared (a bad file, mostly) or that Whisper failed on goes straight to the outcomes, with its reason."""
        batch: list[tuple[str, Prepared]] = []
        while self._pending and len(batch) < self.batch_size:
            sha256, future = self._pending[0]
            try:
                long = future.result().seconds > SHORT_S
            except Exception as exc:
                self._pending.popleft()
                self._done.append(Outcome(sha256, error=exc, trace=_trace(exc)))
                continue
            if long and batch:
                break
            batch.append((sha256, self._take()))
            if long:
                break
        return batch

    def _finish(self, batch: list[tuple[str, Prepared]]) -> list[Outcome]:
        """The batch's outcomes; when the models fail on the batch, each file is finished alone, so only the
        file at fault fails (unless no file can be analysed at all: a missing model, a bad setting)."""
        if not batch:
            return []
        try:
            analyses = self._analyser.finish([prepared for _, prepared in batch])
        except Exception as exc:
            if len(batch) == 1 or isinstance(exc, ModelUnavailable | ConfigError):
                return [Outcome(sha256, error=exc, trace=_trace(exc)) for sha256, _ in batch]
            return [outcome for one in batch for outcome in self._finish([one])]
        return [Outcome(sha256, analysis=analysis) for (sha256, _), analysis in zip(batch, analyses, strict=True)]


def _yield_to_the_models() -> None:
    """Lower the preparing thread's scheduling priority (Linux sets it per thread), so that the models' threads
    get the cores when both want them and preparing takes what they leave: Whisper on a CPU leaves about a
    quarter of two cores idle, and fighting it for the rest slowed it by more than preparing gained."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + PREPARE_NICENESS))


def _trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def engine_for(analyse: Analyse | AnalysisEngine) -> AnalysisEngine:
    """An engine for what the runner was given: an Analyser batches, another function analyses one file at a
    time, an engine is used as it is."""
    if isinstance(analyse, Analyser):
        return BatchEngine(analyse)
    return LocalEngine(analyse) if callable(analyse) else analyse
