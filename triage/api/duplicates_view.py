"""The duplicate review page's data: each group as pairs (the piece kept beside each copy) with the evidence in
words and the curators' rulings, and the pairs curators ruled apart."""

from __future__ import annotations

from typing import Any

from triage.api.deps import AppState
from triage.scoring.dedup import DuplicateEdge, DuplicateGroup
from triage.scoring.evidence import describe
from triage.service.cache import View
from triage.service.card_state import card_states
from triage.service.pieces import PieceFacts, facts
from triage.service.verdicts import Ruling, kept, rulings


def _evidence(group: DuplicateGroup, kept_id: str, copy: str) -> str:
    """What ties the copy to its group, told with the kept piece first where they were compared directly."""
    edges: list[DuplicateEdge] = [e for e in group.edges if copy in (e.a, e.b)]
    direct = next((e for e in edges if kept_id in (e.a, e.b)), None)
    if direct is not None:
        return describe(direct, first=kept_id)
    if edges:  # joined through another copy
        e = edges[0]
        return describe(e, first=copy) + " (against another copy in the group)"
    return "joined by a curator"


def _side(piece: PieceFacts) -> dict[str, Any]:
    return {"sid": piece.submission_id, "title": piece.title, "contributor": piece.contributor,
            "media_type": piece.media_type, "duration": piece.duration, "has_poster": piece.has_poster,
            "peaks": list(piece.peaks), "excerpt": piece.excerpt, "start": 0, "end": 0}


def duplicate_review(state: AppState, callout_id: str, curator: str) -> dict[str, Any]:
    """{"groups": [...], "apart": [...]}: each group with its kept piece, its pairs and their rulings."""
    view = View(state.store, state.models(), callout_id, state.cache)
    groups = view.groups()
    pool = view.pool()
    ids = [m for g in groups for m in g.members]
    with state.store.db.session() as session:
        said = rulings(session, pool.items)
        chosen = kept(session)
    apart = [r for r in said if r.verdict == "not_duplicate"]
    pieces = facts(state.store, ids + [x for r in apart for x in (r.a, r.b)])
    decided = card_states(state.store, state.models(), callout_id, [g.representative for g in groups], curator,
                          cache=state.cache)
    verdict = {(r.a, r.b): r for r in said}
    out = []
    for g in groups:
        rep = g.representative
        pairs = []
        for copy in g.members[1:]:
            ruling: Ruling | None = verdict.get(tuple(sorted((rep, copy))))  # type: ignore[arg-type]
            pairs.append({"id": f"{rep}-{copy}", "first": _side(pieces[rep]), "second": _side(pieces[copy]),
                          "evidence": _evidence(g, rep, copy), "ruling": ruling})
        out.append({"id": rep, "kept": _side(pieces[rep]), "chosen_by_curator": rep in chosen,
                    "decision": decided[rep].decision, "pairs": pairs})
    return {"groups": out, "apart": [{"ruling": r, "first": _side(pieces[r.a]), "second": _side(pieces[r.b])}
                                     for r in apart if r.a in pieces and r.b in pieces]}
