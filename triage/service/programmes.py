"""Programmes (issue 20): create one for a call-out, place pieces, move and trim them, and see the running total
against the target. Every change returns the programme as it now stands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from triage.encoders.base import Encoders
from triage.errors import BadRequest, Conflict
from triage.programmes.budget import DEFAULT_TARGETS, TIMED, UNITS, length, total
from triage.programmes.plan import KINDS, ProgrammeKind, RenderSettings
from triage.service import programme_pieces as pieces
from triage.service.cache import PoolCache
from triage.service.programme_order import moment_of
from triage.store import programmes as rows
from triage.store.callouts import get_callout
from triage.store.rows import check_length
from triage.store.schema import Programme, ProgrammeItem
from triage.store.store import Store
from triage.store.submissions import lookup_near

MAX_PIECES = 500  # a programme is an episode, a book or a record, not a call-out's whole pool


@dataclass(frozen=True)
class PlacedPiece:
    """One piece of a programme as the workbench shows it."""

    position: int
    submission_id: str
    callout_id: str | None
    title: str
    contributor: str | None
    media_type: str | None
    start: float
    end: float
    whole: float  # the piece's own length, in its unit (seconds, or words for a text)
    length: float  # what it adds to the programme, in the programme's unit
    heading: str | None
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ProgrammeView:
    id: str
    name: str
    kind: str
    callout_id: str | None
    target: float
    unit: str
    used: float
    over: float
    pieces: tuple[PlacedPiece, ...]
    updated_at: datetime


def create(store: Store, name: str, kind: str, *, callout_id: str | None = None, target: float | None = None,
           by: str = "") -> ProgrammeView:
    name = name.strip()
    if not name:
        raise BadRequest("give the programme a name, e.g. 'Episode 1'")
    check_length(Programme, "name", name, "the name")
    if kind not in KINDS:
        raise BadRequest(f"a programme is one of {', '.join(KINDS)}, not {kind!r}")
    if target is not None and not target > 0:
        raise BadRequest("the target must be more than 0 (seconds for an episode or album, words for a book)")
    with store.db.session() as session:
        if callout_id is not None:
            get_callout(session, callout_id)
        row = Programme(id=rows.free_id(session, name), callout_id=callout_id, name=name, kind=kind,
                        target=float(target or DEFAULT_TARGETS[kind]), created_by=by)
        session.add(row)
        session.commit()
        programme_id = row.id
    return view(store, programme_id)


def view(store: Store, programme_id: str, settings: RenderSettings | None = None) -> ProgrammeView:
    settings = settings or RenderSettings()
    with store.db.session() as session:
        programme = rows.get_programme(session, programme_id)
        placed_rows = rows.items(session, programme_id)
        session.expunge_all()
    found = pieces.sources(store, [i.submission_id for i in placed_rows])
    kind: ProgrammeKind = programme.kind  # type: ignore[assignment]
    shown, counted, sound = [], [], []
    for item in placed_rows:
        source = found.get(item.submission_id)
        trouble = tuple(pieces.problems(source, item))
        if source is None:
            shown.append(PlacedPiece(item.position, item.submission_id, None, "(removed)", None, None, 0, 0, 0, 0,
                                     item.heading, trouble))
            continue
        start, end = pieces.cut_of(source, item)
        adds = 0.0
        if source.path is not None and pieces.cut_problem(source, start, end) is None:  # it would render
            put = pieces.placed(source, item)
            adds = length(kind, put, settings)
            counted.append(put)
            sound.append(source.has_audio)
        shown.append(PlacedPiece(item.position, source.submission_id, source.callout_id, source.title,
                                 source.contributor, source.media_type, start, end, source.length, round(adds, 3),
                                 item.heading, trouble))
    summed = total(kind, counted, programme.target, settings, sound)
    return ProgrammeView(programme.id, programme.name, programme.kind, programme.callout_id, programme.target,
                         UNITS[kind], summed.used, summed.over, tuple(shown), programme.updated_at)


def listing(store: Store, callout_id: str | None = None) -> list[ProgrammeView]:
    with store.db.session() as session:
        ids = [p.id for p in rows.list_programmes(session, callout_id)]
    return [view(store, programme_id) for programme_id in ids]


def add(store: Store, programme_id: str, ref: str, *, start: float | None = None, end: float | None = None,
        moment: tuple[float, float] | None = None, heading: str | None = None, at: int | None = None,
        models: Encoders | None = None, cache: PoolCache | None = None, by: str = "") -> ProgrammeView:
    """Place a piece (by id or external id), at the end or at position `at` (1 = first). Without in/out points it
    gets its default cut: the whole piece, or for an episode its matched `moment` with handles (the moment its
    call-out ranked it by, when `models` are given and no moment is)."""
    with store.db.session() as session:
        programme = rows.get_programme(session, programme_id)
        row = lookup_near(session, ref, programme.callout_id)
        placed_rows = rows.items(session, programme_id)
        if any(i.submission_id == row.id for i in placed_rows):
            raise Conflict(f"{ref!r} is in {programme.name!r} already")
        if len(placed_rows) >= MAX_PIECES:
            raise BadRequest(f"a programme holds at most {MAX_PIECES} pieces")
        submission_id, kind = row.id, programme.kind
    source = pieces.sources(store, [submission_id])[submission_id]
    if source.path is None:
        raise Conflict(f"{ref!r} is {source.status}, not ready: only analysed pieces can be placed")
    if start is None and end is None:
        if moment is None and models is not None and kind == "episode" and source.media_type in TIMED:
            moment = moment_of(store, models, source.callout_id, submission_id, cache)
        start, end = pieces.default_cut(source, kind, moment)  # type: ignore[arg-type]
    start, end = _checked_cut(source, start, end)
    with store.db.session() as session:
        placed_rows = rows.items(session, programme_id)
        item = ProgrammeItem(programme_id=programme_id, position=len(placed_rows) + 1, submission_id=submission_id,
                             sha256=source.sha256, start=start, end=end, heading=_heading(heading), added_by=by)
        session.add(item)
        place = len(placed_rows) if at is None else min(max(at, 1), len(placed_rows) + 1) - 1
        rows.renumber([*placed_rows[:place], item, *placed_rows[place:]])
        _touch(session, programme_id)
        try:
            session.commit()
        except IntegrityError:  # a second curator placed it a moment ago
            raise Conflict(f"{ref!r} is in the programme already") from None
    return view(store, programme_id)


def move(store: Store, programme_id: str, ref: str, to: int) -> ProgrammeView:
    """Move a piece to position `to` (1 = first; past the end = last)."""
    with store.db.session() as session:
        placed_rows = rows.items(session, programme_id)
        item = _item(session, programme_id, placed_rows, ref)
        placed_rows.remove(item)
        placed_rows.insert(min(max(to, 1), len(placed_rows) + 1) - 1, item)
        rows.renumber(placed_rows)
        _touch(session, programme_id)
        session.commit()
    return view(store, programme_id)


def reorder(store: Store, programme_id: str, order: list[str]) -> ProgrammeView:
    """Put the pieces in this order (submission ids, every piece once): a drag, or an accepted suggestion."""
    with store.db.session() as session:
        placed_rows = rows.items(session, programme_id)
        by_id = {i.submission_id: i for i in placed_rows}
        if sorted(order) != sorted(by_id):
            raise Conflict("the programme changed while you reordered it: reload it and try again")
        rows.renumber([by_id[sid] for sid in order])
        _touch(session, programme_id)
        session.commit()
    return view(store, programme_id)


def trim(store: Store, programme_id: str, ref: str, start: float | None, end: float | None) -> ProgrammeView:
    """Set a piece's in and out points (seconds, or word numbers for a text); None keeps that point as it is."""
    return _cut(store, programme_id, ref, lambda now: (now[0] if start is None else start,
                                                       now[1] if end is None else end))


def whole(store: Store, programme_id: str, ref: str) -> ProgrammeView:
    """Use the whole piece again."""
    return _cut(store, programme_id, ref, lambda _now: (None, None))


def _cut(store: Store, programme_id: str, ref: str,
         choose: Callable[[tuple[float, float]], tuple[float | None, float | None]]) -> ProgrammeView:
    with store.db.session() as session:
        item = _item(session, programme_id, rows.items(session, programme_id), ref)
        submission_id = item.submission_id
        session.expunge(item)
    source = pieces.sources(store, [submission_id]).get(submission_id)
    if source is None or source.path is None:
        raise Conflict("this piece was removed or is not ready: take it out of the programme instead")
    start, end = _checked_cut(source, *choose(pieces.cut_of(source, item)))
    with store.db.session() as session:
        item = _item(session, programme_id, rows.items(session, programme_id), submission_id)
        item.start, item.end, item.sha256 = start, end, source.sha256
        item.updated_at = datetime.now(UTC)  # a trim looks at the piece as it is now: its warnings are answered
        _touch(session, programme_id)
        session.commit()
    return view(store, programme_id)


def set_heading(store: Store, programme_id: str, ref: str, heading: str | None) -> ProgrammeView:
    """Open a section at this piece (None or blank: no section starts here)."""
    with store.db.session() as session:
        item = _item(session, programme_id, rows.items(session, programme_id), ref)
        item.heading = _heading(heading)
        _touch(session, programme_id)
        session.commit()
    return view(store, programme_id)


def remove(store: Store, programme_id: str, ref: str) -> ProgrammeView:
    with store.db.session() as session:
        placed_rows = rows.items(session, programme_id)
        item = _item(session, programme_id, placed_rows, ref)
        session.delete(item)
        placed_rows.remove(item)
        rows.renumber(placed_rows)
        _touch(session, programme_id)
        session.commit()
    return view(store, programme_id)


def _item(session: Session, programme_id: str, placed_rows: list[ProgrammeItem], ref: str) -> ProgrammeItem:
    """A placed piece by submission id, external id or position ("3")."""
    programme = rows.get_programme(session, programme_id)
    for item in placed_rows:
        if item.submission_id == ref:
            return item
    if ref.isdigit() and 1 <= int(ref) <= len(placed_rows):
        return placed_rows[int(ref) - 1]
    wanted = lookup_near(session, ref, programme.callout_id).id
    for item in placed_rows:
        if item.submission_id == wanted:
            return item
    raise BadRequest(f"{ref!r} is not in {programme.name!r}")


def _checked_cut(source: pieces.Source, start: float | None, end: float | None) -> tuple[float, float]:
    start = 0.0 if start is None else float(start)
    end = source.length if end is None else float(end)
    if source.media_type == "text":
        start, end = float(round(start)), float(round(end))  # a text is cut between words
    problem = pieces.cut_problem(source, start, end)
    if problem:
        raise BadRequest(problem)
    return round(start, 3), round(end, 3)


def _heading(heading: str | None) -> str | None:
    text = (heading or "").strip()
    if text:
        check_length(ProgrammeItem, "heading", text, "the heading")
    return text or None


def _touch(session: Session, programme_id: str) -> None:
    rows.get_programme(session, programme_id).updated_at = datetime.now(UTC)
