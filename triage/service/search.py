"""Search by a text prompt over one call-out or the whole archive, with the moment that matched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from triage.pipeline import Encoders
from triage.scoring.relevance import score_pool
from triage.scoring.shortlist import shortlist as rank
from triage.scoring.types import Explanation
from triage.service.duplicates import pool_groups
from triage.service.index import candidate_contents
from triage.service.pool import Pool, count_ready, load_pool
from triage.service.queries import prompt_query
from triage.store.callouts import get_callout
from triage.store.store import Store


def moment(why: Explanation) -> dict[str, float] | None:
    if why.start is not None and why.end is not None:
        return {"start": round(why.start, 2), "end": round(why.end, 2)}
    if why.frame_time is not None:
        return {"start": round(why.frame_time, 2), "end": round(why.frame_time, 2)}
    return None


def why_dict(why: Explanation) -> dict[str, Any]:
    return {"modality": why.modality, "score": round(why.score, 4), "snippet": why.snippet,
            "start": why.start, "end": why.end, "frame_time": why.frame_time}


def search(store: Store, models: Encoders, text: str, *, callout_id: str | None = None, limit: int = 20,
           offset: int = 0, index_dir: Path | None = None, narrow_above: int = 20_000,
           exact_max: int = 50_000) -> dict[str, Any]:
    """Ranked submissions for `text`; each duplicate group appears once, its other members attached.

    Pools up to `narrow_above` submissions are scored whole. Larger ones are first narrowed to the contents
    whose chunks the FAISS index (exact up to `exact_max` vectors, IVF above) ranks highest, then scored the
    same way.
    """
    with store.db.session() as session:
        if callout_id:
            get_callout(session, callout_id)
        query = prompt_query(session, models, text)
        shas = None
        if index_dir is not None and count_ready(session, callout_id) > narrow_above:
            shas = candidate_contents(store, index_dir, {"text": query.text, "clip": query.clip},
                                      want=offset + limit, exact_max=exact_max)
        pool = load_pool(session, callout_id, shas=shas)
        groups = pool_groups(session, pool)
    scored = score_pool(list(pool.items.values()), query)
    page = rank(scored, pool.items, groups=groups, diversity=0.0, offset=offset, limit=limit)
    return {"query": text, "callout": callout_id, "total": page.total,
            "items": [_entry(pool, e.rank, e.item_id, e.score, e.why, e.duplicates) for e in page.entries]}


def _entry(pool: Pool, rank_: int, sid: str, score: float, why: Explanation, dups: tuple[str, ...]) -> dict[str, Any]:
    return {"rank": rank_, "submission_id": sid, "external_id": pool.external(sid),
            "media_type": pool.items[sid].media_type.value, "score": round(score, 4), "moment": moment(why),
            "snippet": why.snippet, "duplicates": [pool.external(d) for d in dups]}
