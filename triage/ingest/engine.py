"""Where analyses run: in this process, one at a time (`LocalEngine`), or on a Ray cluster (jobs.ray_backend).

The ingest runner hands an engine stored files by their sha256 and collects `Outcome`s as they finish; it
alone writes to the database, so an engine never needs one. Failures come back as values, not exceptions,
so one bad file never stops the others in flight.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from triage.pipeline import Analysis

Analyse = Callable[[Path], Analysis]


@dataclass
class Outcome:
    """What analysing one stored file gave: an analysis, or the exception it raised (with its traceback)."""

    sha256: str
    analysis: Analysis | None = None
    error: BaseException | None = None
    trace: str = ""


def analyse_safely(sha256: str, path: Path, analyse: Analyse) -> Outcome:
    """Run `analyse`, turning any exception into an Outcome the caller can judge (rejected, failed, fatal)."""
    try:
        return Outcome(sha256, analysis=analyse(path))
    except Exception as exc:
        return Outcome(sha256, error=exc, trace=traceback.format_exc())


class AnalysisEngine(Protocol):
    """Runs analyses of stored files, up to `capacity` at a time."""

    capacity: int

    def submit(self, sha256: str, path: Path) -> None:
        """Start analysing the stored file `path` (whose bytes hash to `sha256`)."""

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

    def submit(self, sha256: str, path: Path) -> None:
        self._done.append(analyse_safely(sha256, path, self._analyse))

    def in_flight(self) -> int:
        return len(self._done)

    def ready(self) -> Iterator[Outcome]:
        while self._done:
            yield self._done.pop(0)

    def next_done(self) -> Outcome:
        return self._done.pop(0)

    def close(self) -> None:
        self._done.clear()
