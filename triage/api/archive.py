"""triage for Python (notebooks, scripts): open a data directory and ask what the CLI and the server answer.

The answers are the same dicts as `triage ... --json` prints and the HTTP API sends. `triage/__init__.py`
re-exports `open_archive` and `Archive`, so `import triage; archive = triage.open_archive("data")` is all a
notebook needs; the modules behind it may move, these names stay.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage import runtime
from triage.config import Settings
from triage.encoders.base import Encoders
from triage.service import Store
from triage.service.decisions import Decided


def open_archive(data_dir: str | Path = "data", **settings: Any) -> Archive:
    """The archive in `data_dir`; other settings by their names in lower case (`text_model="fake"`), else from
    the TRIAGE_* environment as for the CLI."""
    chosen = Settings(data_dir=Path(data_dir), **settings)
    return Archive(chosen, runtime.open_store(chosen))


@dataclass
class Archive:
    """One data directory: its store, and the models that score and search it, loaded on first use."""

    settings: Settings
    store: Store
    _models: Encoders | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def models(self) -> Encoders:
        """The text model and CLIP (if installed): what scoring and search use; no speech model."""
        with self._lock:
            if self._models is None:
                self._models = runtime.query_encoders(self.settings)
            return self._models

    def callouts(self) -> list[dict[str, Any]]:
        """Every call-out with its submissions counted per status."""
        from triage.service.callouts import callouts_with_counts

        return callouts_with_counts(self.store)

    def shortlist(self, callout_id: str, **options: Any) -> dict[str, Any]:
        """The ranked, de-duplicated, diverse shortlist of a call-out (options as `triage shortlist`'s)."""
        from triage.service.shortlist import shortlist

        return shortlist(self.store, self.models(), callout_id, **options)

    def search(self, text: str, *, callout_id: str | None = None, **options: Any) -> dict[str, Any]:
        """Submissions matching a text prompt, each with the moment that matched (the whole archive by default)."""
        from triage.service.search import search

        return search(self.store, self.models(), text, callout_id=callout_id,
                      **{**runtime.index_options(self.settings), **options})

    def similar(self, submission: str, *, callout_id: str | None = None, **options: Any) -> dict[str, Any]:
        """Submissions like one submission (id or external id)."""
        from triage.service.search import similar

        return similar(self.store, self.models(), submission, callout_id=callout_id,
                       **{**runtime.index_options(self.settings), **options})

    def clusters(self, callout_id: str, *, k: int | None = None) -> dict[str, Any]:
        """Sub-themes of a call-out's pool with readable labels."""
        from triage.service.clusters import clusters

        return clusters(self.store, self.models(), callout_id, k=k)

    def duplicates(self, callout_id: str | None = None) -> dict[str, Any]:
        """Groups of re-uploads, re-encodes, trims and re-typed copies (one call-out, or the whole archive)."""
        from triage.service.duplicates import groups

        return groups(self.store, callout_id)

    def decide(self, submission_ids: list[str], decision: str, *, by: str, note: str | None = None) -> Decided:
        """Record a curator's decision (shortlisted, starred, rejected, unrated) on pieces and every copy of them."""
        from triage.service.deciding import decide

        return decide(self.store, self.models(), submission_ids, decision, by=by, note=note)

    def pool_map(self, callout_id: str) -> dict[str, Any]:
        """Every ready piece of a call-out placed on a 2-D map of what it is about, with its cluster and score."""
        from triage.service.pool_map import pool_map

        return pool_map(self.store, self.models(), callout_id)

    def lineage(self, submission: str) -> dict[str, Any]:
        """What a piece (id or external id) builds on, what builds on it, and its credits (`triage lineage --json`)."""
        from triage.service.lineage import lineage

        return lineage(self.store, submission)
