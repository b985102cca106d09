"""One piece's lineage as its submission page shows it: `lineage()`'s answer, each edge with the piece on the far
side (so its player can be cued to the matched moment) and, for written texts, the matched passage itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from triage.errors import Conflict, NotFound
from triage.service.lineage import lineage
from triage.service.pieces import PieceFacts, facts
from triage.store.schema import Artifact, Submission
from triage.store.store import Store

CONTEXT_CHARS = 120  # of a quoted passage's own text, either side of it
PASSAGE_CHARS = 1_500  # a longer passage is cut: the evidence says where it ends


@dataclass(frozen=True)
class Passage:
    """A written text's matched characters, with a little of what surrounds them."""

    before: str
    quoted: str
    after: str


@dataclass(frozen=True)
class Side:
    """One piece of an edge: its facts, its matched range (seconds, or characters of a text) and the passage."""

    piece: PieceFacts | None  # None: a piece this page cannot open (not found by its name)
    start: float
    end: float
    passage: Passage | None


def lineage_page(store: Store, submission_id: str) -> dict[str, Any] | None:
    """What the page's Lineage section shows; None when the piece is not ready (no stored file, failed, still
    being analysed: the graph knows only ready pieces)."""
    mine = facts(store, [submission_id]).get(submission_id)
    if mine is None or mine.status != "ready":
        return None
    try:
        found = lineage(store, submission_id)
    except (NotFound, Conflict):
        return None
    far = facts(store, [e["submission_id"] for e in found["builds_on"] + found["used_by"]])
    wanted = [p for p in (mine, *far.values()) if p is not None and p.media_type == "text"]
    texts = _texts(store, [p.submission_id for p in wanted])
    for key, builds_on in (("builds_on", True), ("used_by", False)):
        found[key] = [_edge(e, mine, far.get(e["submission_id"]), texts, builds_on=builds_on) for e in found[key]]
    return found


def _edge(edge: dict[str, Any], mine: PieceFacts | None, other: PieceFacts | None, texts: dict[str, str], *,
          builds_on: bool) -> dict[str, Any]:
    """The edge with both sides: this piece's range is `range` where it builds on the other, else `source_range`."""
    my_range, their_range = (edge["range"], edge["source_range"]) if builds_on else \
        (edge["source_range"], edge["range"])
    return {**edge, "mine": _side(mine, my_range, texts), "theirs": _side(other, their_range, texts)}


def _side(piece: PieceFacts | None, span: list[float], texts: dict[str, str]) -> Side:
    start, end = float(span[0]), float(span[1])
    text = texts.get(piece.submission_id) if piece is not None else None
    return Side(piece, start, end, _passage(text, int(start), int(end)) if text is not None else None)


def _passage(text: str, start: int, end: int) -> Passage:
    quoted = text[start:end]
    if len(quoted) > PASSAGE_CHARS:
        quoted = quoted[:PASSAGE_CHARS] + "…"
    before, after = text[max(0, start - CONTEXT_CHARS):start], text[end:end + CONTEXT_CHARS]
    if start > CONTEXT_CHARS:  # cut context at a word's edge, not inside a word
        before = "…" + re.sub(r"^\S*\s+", "", before, count=1)
    if end + CONTEXT_CHARS < len(text):
        after = re.sub(r"\s+\S*$", "", after, count=1) + "…"
    return Passage(before, quoted, after)


def _texts(store: Store, submission_ids: list[str]) -> dict[str, str]:
    """The written words of these text pieces, by submission id."""
    if not submission_ids:
        return {}
    with store.db.session() as session:
        query = (select(Submission.id, Artifact.data).join(Artifact, Artifact.sha256 == Submission.sha256)
                 .where(Submission.id.in_(submission_ids), Artifact.kind == "text"))
        return {sid: str((data or {}).get("text") or "") for sid, data in session.execute(query)}
