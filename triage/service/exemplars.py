"""Pieces a curator marks as examples of what a call-out wants; shared by the CLI, the API and the pages."""

from __future__ import annotations

from typing import Any

from triage.service.views import callout_dict
from triage.store.callouts import get_callout, set_exemplar
from triage.store.store import Store
from triage.store.submissions import lookup


def mark(store: Store, callout_id: str, submission_ref: str, marked: bool) -> tuple[dict[str, Any], bool]:
    """Mark or unmark a submission (id or external id) of the call-out. Returns the call-out as the CLI and
    API show it, and whether its exemplars changed (the pool then needs re-scoring)."""
    with store.db.session() as session:
        get_callout(session, callout_id)  # first: a mistyped call-out is not "no such submission"
        callout, changed = set_exemplar(session, callout_id, lookup(session, submission_ref, callout_id), marked)
        return callout_dict(callout), changed
