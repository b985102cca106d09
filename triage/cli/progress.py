"""Progress for batch commands: a live bar with counts and ETA on a terminal, plain lines in a pipe."""

from __future__ import annotations

import sys
import time
from collections import Counter
from types import TracebackType

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from triage.cli.output import one_line


class BatchProgress:
    """Counts outcomes as they arrive; draws a bar (TTY) or prints one line per item (pipe)."""

    def __init__(self, total: int, label: str, *, quiet: bool = False) -> None:
        self.total, self.label, self.quiet = total, label, quiet
        self.counts: Counter[str] = Counter()
        self.done = 0
        self.started = time.monotonic()
        self.live = sys.stderr.isatty() and not quiet
        self._progress: Progress | None = None

    def __enter__(self) -> BatchProgress:
        if self.live:
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=self.total, counts="")
        return self

    def advance(self, outcome: str, line: str) -> None:
        self.done += 1
        self.counts[outcome] += 1
        if self._progress is not None:
            summary = " ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))
            self._progress.update(self._task, advance=1, counts=summary)
        elif not self.quiet:
            click.echo(f"[{self.done}/{self.total}] {one_line(line)}", err=True)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def follow(self, done: int, total: int) -> None:
        """A job's progress callback: (done, total) as the job reports it."""
        self.total = total
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total)
        elif not self.quiet and done and (done == total or done % max(1, total // 20) == 0):
            click.echo(f"[{done}/{total}]", err=True)
        self.done = done

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started
