"""Compute what the first curator of each call-out will ask for before they ask: the server does it at start."""

from __future__ import annotations

import logging
import time

from triage.encoders.base import Encoders
from triage.errors import TriageError
from triage.service.cache import PoolCache
from triage.service.clusters import clusters
from triage.service.shortlist import shortlist
from triage.store.callouts import list_callouts
from triage.store.store import Store

log = logging.getLogger(__name__)


def warm_callouts(store: Store, models: Encoders, cache: PoolCache,
                  limits: tuple[int, ...] = (20,)) -> dict[str, float]:
    """Each call-out's shortlist (first page, for each page size in `limits`) and clusters, into `cache`.
    Returns the seconds each call-out took; one that fails is logged and skipped."""
    with store.db.session() as session:
        ids = [c.id for c in list_callouts(session)]
    took = {}
    for callout_id in ids:
        started = time.monotonic()
        try:
            for limit in limits:
                shortlist(store, models, callout_id, limit=limit, cache=cache)
            clusters(store, models, callout_id, cache=cache)
        except TriageError as exc:
            log.warning("could not warm call-out %s: %s", callout_id, exc)
            continue
        took[callout_id] = round(time.monotonic() - started, 3)
    return took
