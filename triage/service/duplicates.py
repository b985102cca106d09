"""Duplicate groups of a pool, with the curators' "not a duplicate" and "merge" verdicts applied."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.errors import BadRequest, NotFound
from triage.scoring.dedup import DuplicateGroup, find_duplicates
from triage.scoring.evidence import describe
from triage.service.pool import Pool, load_pool
from triage.service.verdicts import kept, with_kept
from triage.store.rows import check_length, insert_if_absent
from triage.store.schema import DuplicateOverride, Submission
from triage.store.store import Store

VERDICTS = ("not_duplicate", "merge")


def overrides(session: Session) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {v: [] for v in VERDICTS}
    for row in session.scalars(select(DuplicateOverride)):
        out[row.verdict].append((row.submission_a, row.submission_b))
    return out


def pool_groups(session: Session, pool: Pool) -> list[DuplicateGroup]:
    """Fingerprint-based groups, split where a curator said "not a duplicate" and joined where they said "merge",
    each shown as the piece a curator chose to keep where one did."""
    verdicts = overrides(session)
    vectors = {i: words.pooled_vector() for i, item in pool.items.items()
               if (words := item.text or item.transcript) is not None}
    groups = find_duplicates(list(pool.fingerprints.values()), not_duplicates=verdicts["not_duplicate"],
                             items=pool.items, vectors=vectors)
    merged = _merge(groups, [p for p in verdicts["merge"] if p[0] in pool.items and p[1] in pool.items], pool)
    return with_kept(merged, kept(session))


def _merge(groups: list[DuplicateGroup], merges: list[tuple[str, str]], pool: Pool) -> list[DuplicateGroup]:
    if not merges:
        return groups
    member_sets = [set(g.members) for g in groups]
    for a, b in merges:
        touching = [s for s in member_sets if a in s or b in s]
        joined = set().union(*touching, {a, b})
        member_sets = [s for s in member_sets if s not in touching] + [joined]
    out = []
    for members in member_sets:
        old = next((g for g in groups if set(g.members) == members), None)
        if old is not None:
            out.append(old)
            continue
        rep = max(members, key=lambda i: (pool.items[i].quality, -pool.items[i].created_at, i))
        out.append(DuplicateGroup(rep, (rep, *sorted(members - {rep})), ()))
    return sorted(out, key=lambda g: g.representative)


def groups(store: Store, callout_id: str | None) -> dict[str, Any]:
    """`triage duplicates --json`: groups of two or more, members include the representative."""
    with store.db.session() as session:
        pool = load_pool(session, callout_id)
        found = pool_groups(session, pool)
    return {"groups": [{"representative": pool.external(g.representative),
                        "members": [pool.external(m) for m in g.members],
                        "submission_ids": list(g.members),
                        "evidence": [{"a": pool.external(e.a), "b": pool.external(e.b), "kind": e.kind,
                                      "score": round(e.score, 3), "words": describe(e)} for e in g.edges]}
                       for g in found]}


def set_override(store: Store, a: str, b: str, verdict: str, by: str) -> list[str]:
    """Record a curator's verdict on a pair of submissions (ids); it replaces any earlier verdict on that pair.

    Returns the call-outs whose pools hold either submission: their groups, and so their rankings, change.
    """
    if verdict not in VERDICTS:
        raise BadRequest(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if a == b:
        raise BadRequest("a submission cannot be compared with itself")
    check_length(DuplicateOverride, "decided_by", by, "the curator's name")
    first, second = sorted((a, b))
    with store.db.session() as session:
        callouts = set()
        for sid in (first, second):
            submission = session.get(Submission, sid)
            if submission is None:
                raise NotFound(f"no submission {sid!r}")
            callouts.add(submission.callout_id)
        if not insert_if_absent(session, DuplicateOverride, submission_a=first, submission_b=second,
                                verdict=verdict, decided_by=by):
            row = session.scalar(select(DuplicateOverride).where(
                DuplicateOverride.submission_a == first, DuplicateOverride.submission_b == second))
            assert row is not None
            row.verdict, row.decided_by = verdict, by
    return sorted(callouts)
