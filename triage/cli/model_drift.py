"""The warning the scoring commands give when stored vectors belong to another model than the configured one."""

from __future__ import annotations

import click

from triage import runtime
from triage.config import Settings
from triage.service.model_drift import SpaceDrift, model_drift
from triage.store.store import Store

# What a piece is ranked without while its vectors of a space belong to another model.
LOST = {"text": "their words", "clip": "their frames and images"}


def warn_of_model_drift(settings: Settings, store: Store) -> None:
    """One `warning:` line on stderr per space whose stored vectors another encoder made (stdout may carry JSON)."""
    with store.db.session() as session:
        drift = model_drift(session, runtime.encoder_names(settings))
    for space in drift.values():
        if space.stale_contents:
            click.echo(f"warning: {describe(space)}", err=True)


def describe(space: SpaceDrift) -> str:
    """The stale pieces of one space, and the remedy, in one line."""
    pieces = "piece has" if space.contents == 1 else ("pieces has" if space.stale_contents == 1 else "pieces have")
    return (f"{space.stale_contents} of {space.contents} {pieces} {space.space} vectors from "
            f"{' and '.join(space.stored_by)}, not the configured {space.configured}; run 'triage reprocess' to "
            f"re-embed them (until then they are ranked without {LOST.get(space.space, 'them')})")
