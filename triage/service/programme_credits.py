"""A programme's credits and payouts: who made each piece and what the pieces build on (lineage), each person's
share by seconds on screen (episode), words (book) or tracks (album), as lines and as the payout CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from triage.programmes.budget import length
from triage.programmes.credits import Weighed, credit_lines, payout_rows
from triage.programmes.plan import CreditLine, Placed, ProgrammeKind, RenderSettings
from triage.service.lineage_counts import sheet_lineage
from triage.service.programme_pieces import Source
from triage.store import programmes as rows
from triage.store.store import Store

BASIS = {"episode": "seconds on screen", "book": "words (a picture: a page)", "album": "tracks (the cover: one)"}
PAYOUT_COLUMNS = ["name", "role", "share", "basis", "pieces"]
WORDS_PER_PAGE = 250.0  # a picture fills a page of a book: it earns what a page of words would


@dataclass(frozen=True)
class Credits:
    basis: str
    lines: tuple[CreditLine, ...]


def credits_for(store: Store, kind: ProgrammeKind, placed: Sequence[Placed], sources: Sequence[Source],
                settings: RenderSettings) -> Credits:
    """The credits of these pieces in this kind of programme (`sources`: each piece's submission, for its maker
    and its lineage)."""
    owed = sheet_lineage(store, [s.sha256 for s in sources if s.sha256])
    with store.db.session() as session:
        merged = rows.aliases(session)
    weighed = []
    cover = next((p.submission_id for p in placed if p.media_type == "image"), None)
    for piece, source in zip(placed, sources, strict=True):
        on_record = piece.submission_id == cover or (source.has_audio and piece.path is not None)
        if kind == "album" and not on_record:
            continue  # not on the record (the render says so): nothing to credit
        weight = _weight(kind, piece, settings)
        found = owed.get(source.sha256 or "")
        weighed.append(Weighed(piece.title, source.maker, weight, found.credits if found else ()))
    return Credits(BASIS[kind], tuple(credit_lines(weighed, merged)) if weighed else ())


def _weight(kind: ProgrammeKind, piece: Placed, settings: RenderSettings) -> float:
    """A piece's part of the programme: on an album a track each (its cover counts as one); in a book its words, a
    picture a page's worth; in an episode its seconds on screen."""
    if kind == "album":
        return 1.0
    if kind == "book" and piece.media_type == "image":
        return WORDS_PER_PAGE
    return length(kind, piece, settings)


def payout_csv(found: Credits) -> str:
    """The payout sheet as CSV text (UTF-8, a header row; shares sum to 1)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, PAYOUT_COLUMNS)
    writer.writeheader()
    writer.writerows(payout_rows(found.lines, found.basis))
    return out.getvalue()
