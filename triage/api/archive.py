"""triage for Python (notebooks, scripts): open a data directory and ask what the CLI and the server answer.

The answers are the same dicts as `triage ... --json` prints and the HTTP API sends. `triage/__init__.py`
re-exports `open_archive`, `Archive` and `open_corpus` (a labelled corpus for `Archive.evaluate`), so
`import triage; archive = triage.open_archive("data")` is all a notebook needs; the modules behind it may move, these
names stay. The longer parts live in api/archive_more.py.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage import runtime
from triage.api.archive_more import checked_callouts, draw_map, ingest_files, open_corpus
from triage.config import Settings
from triage.encoders.base import Encoders
from triage.errors import ConfigError
from triage.evaluation.corpus import Corpus
from triage.service import Store
from triage.service.cache import PoolCache
from triage.service.decisions import Decided

__all__ = ["Archive", "open_archive", "open_corpus"]


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
    # Pools and their scores, shared by this archive's calls as the server's requests share them: a notebook that
    # asks for a shortlist, the clusters and the map of one call-out loads and scores its pool once.
    _cache: PoolCache = field(default_factory=PoolCache, repr=False)

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

        return shortlist(self.store, self.models(), callout_id, **{"cache": self._cache, **options})

    def search(self, text: str, *, callout_id: str | None = None, **options: Any) -> dict[str, Any]:
        """Submissions matching a text prompt, each with the moment that matched (the whole archive by default)."""
        from triage.service.search import search

        return search(self.store, self.models(), text, callout_id=callout_id,
                      **{**runtime.index_options(self.settings), "cache": self._cache, **options})

    def similar(self, submission: str, *, callout_id: str | None = None, **options: Any) -> dict[str, Any]:
        """Submissions like one submission (id or external id)."""
        from triage.service.search import similar

        return similar(self.store, self.models(), submission, callout_id=callout_id,
                       **{**runtime.index_options(self.settings), "cache": self._cache, **options})

    def clusters(self, callout_id: str, *, k: int | None = None) -> dict[str, Any]:
        """Sub-themes of a call-out's pool with readable labels."""
        from triage.service.clusters import clusters

        return clusters(self.store, self.models(), callout_id, k=k, cache=self._cache)

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

        return pool_map(self.store, self.models(), callout_id, cache=self._cache)

    def lineage(self, submission: str) -> dict[str, Any]:
        """What a piece (id or external id) builds on, what builds on it, and its credits (`triage lineage --json`)."""
        from triage.service.lineage import lineage

        return lineage(self.store, submission)

    def create_callout(self, callout_id: str, *, title: str | None = None, brief: str | None = None,
                       prompts: list[str] | None = None, negative_prompts: list[str] | None = None) -> dict[str, Any]:
        """Create a call-out, or update the fields given (as `triage callouts create --json`)."""
        from triage.service.callouts import put_callout

        return put_callout(self.store, callout_id, title=title, brief=brief, prompts=prompts,
                           negative_prompts=negative_prompts)[0]

    def import_callouts(self, path: str | Path) -> list[dict[str, Any]]:
        """Create or update the call-outs of a JSON list (`triage callouts import`), each checked before any is
        written and all in one transaction; the call-outs as `create_callout` gives them."""
        from triage.service.callouts import import_callouts

        return [callout for callout, _ in import_callouts(self.store, checked_callouts(Path(path)))]

    def ingest(self, callout_id: str, *, manifest: str | Path | None = None,
               paths: Sequence[str | Path] | None = None, allow_outside: bool = False) -> dict[str, Any]:
        """Ingest files and folders, or a manifest (JSONL), into a call-out: {"callout", "results": one outcome
        per file (status, action, error...), "summary"}, as `triage ingest --json`. Bad files are rejected with a
        reason; identical bytes are analysed once."""
        return ingest_files(self.settings, self.store, callout_id, manifest=manifest, paths=paths,
                            allow_outside=allow_outside)

    def piece(self, submission: str, *, callout_id: str | None = None) -> dict[str, Any]:
        """One submission (id or external id, only within `callout_id` when given) as `triage show --json` tells it:
        status, error, probe, transcript, text, the words in its pictures, its derived files..."""
        from triage.service.pieces import shown

        return shown(self.store, submission, callout_id)

    def file(self, submission: str, kind: str = "poster") -> Path | None:
        """Where a derived file of a piece lies ("poster" for pictures and videos, "audio16k"), or None."""
        found = self.piece(submission)["files"].get(kind)
        return self.store.files.resolve(found) if found else None

    def map_figure(self, callout_id: str, ax: Any = None) -> dict[str, Any]:
        """Draw the pool map of a call-out (as `triage map --png`) on a matplotlib Axes, on a new 7x5 in figure
        when none is given; returns the map drawn (`pool_map`'s answer)."""
        found = self.pool_map(callout_id)
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(7, 5))
        draw_map(found, ax)
        return found

    def duplicate_evidence(self, callout_id: str | None = None) -> list[dict[str, Any]]:
        """Every pair of pieces the duplicate grouping compares on one kind of evidence (words, or the sound of
        pieces that speak): {"a", "b" (external ids), "kind", "similarity", "bar"}. All pairs: for studying the
        bar on a corpus, not for a big archive."""
        from triage.service.duplicate_evidence import pair_evidence

        return pair_evidence(self.store, callout_id)

    def evaluate(self, corpus: str | Path | Corpus) -> dict[str, Any]:
        """Ingest a labelled corpus (a folder, or `triage.open_corpus`'s answer) into this archive, which must be
        empty, and measure search, shortlist, duplicates and transcripts as `triage eval --json` reports them.
        The archive keeps the corpus, so its rankings can be studied after."""
        from triage.evaluation.run import run_eval

        if self.callouts():
            raise ConfigError(f"{self.settings.data_dir} already holds call-outs: evaluate into a fresh archive, "
                              "so the figures start from nothing")
        return run_eval(corpus if isinstance(corpus, Corpus) else open_corpus(corpus), self.settings)
