"""What a programme's pieces are made of now: each placed submission's file, length and words, its cut (in and
out points, or the default), and what changed since it was placed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from triage.domain import Status, Transcript
from triage.programmes.budget import TIMED
from triage.programmes.plan import Placed, ProgrammeKind
from triage.service.timeline import HANDLE
from triage.store.artifacts import artifacts_by_sha
from triage.store.schema import Content, ProgrammeItem, Submission
from triage.store.store import Store


@dataclass(frozen=True)
class Source:
    """A submission as a programme uses it."""

    submission_id: str
    callout_id: str
    external_id: str
    title: str
    contributor: str | None
    media_type: str | None
    status: str
    sha256: str | None
    duration: float  # seconds; 0 for text and images
    has_audio: bool
    text: str  # a text piece's words
    transcript: Transcript | None
    path: Path | None  # the original file, while the piece is ready
    analysed_at: datetime | None  # when its content last changed state (a re-analysis moves it)

    @property
    def maker(self) -> str:
        """Who made it, as credits name them: a piece with no contributor named is its own unnamed maker (as
        lineage names it), never one person with every other unnamed piece."""
        return self.contributor or f"unnamed ({self.external_id})"

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def length(self) -> float:
        """Its whole length in its own unit: seconds, or words for a text."""
        return float(self.words) if self.media_type == "text" else self.duration


def sources(store: Store, submission_ids: Iterable[str]) -> dict[str, Source]:
    ids = list(dict.fromkeys(submission_ids))
    if not ids:
        return {}
    with store.db.session() as session:
        rows = list(session.scalars(select(Submission).where(Submission.id.in_(ids))))
        shas = {r.sha256 for r in rows if r.sha256}
        made = artifacts_by_sha(session, shas, ("text", "transcript"))
        changed = {sha: at for sha, at in session.execute(
            select(Content.sha256, Content.updated_at).where(Content.sha256.in_(shas)))}
    out = {}
    for row in rows:
        found = made.get(row.sha256 or "", {})
        said = found.get("transcript")
        probe = row.probe or {}
        ready = row.status == Status.READY.value and row.sha256 is not None
        out[row.id] = Source(
            row.id, row.callout_id, row.external_id or row.original_filename or row.id,
            row.title or row.original_filename or row.external_id or row.id, row.contributor,
            row.media_type, row.status, row.sha256, float(probe.get("duration") or 0.0),
            bool(probe.get("has_audio")) or row.media_type == "audio",
            ((found["text"].data or {}).get("text") or "") if "text" in found else "",
            Transcript.from_dict(said.data) if said is not None and said.data else None,
            store.files.original_path(row.sha256) if ready and row.sha256 else None,
            changed.get(row.sha256 or ""))
    return out


def default_cut(source: Source, kind: ProgrammeKind, moment: tuple[float, float] | None = None) -> tuple[float, float]:
    """The whole piece; for an episode, a timed piece's matched moment with handles either side."""
    whole = (0.0, source.length)
    if kind != "episode" or moment is None or source.media_type not in TIMED or moment[0] >= source.duration:
        return whole
    start, end = moment
    lo = max(0.0, start - HANDLE)
    return round(lo, 3), round(min(source.duration, max(end, start) + HANDLE), 3)


def cut_of(source: Source, item: ProgrammeItem) -> tuple[float, float]:
    """The item's in and out points, the whole piece where it has none."""
    return (item.start if item.start is not None else 0.0,
            item.end if item.end is not None else source.length)


def cut_problem(source: Source, start: float, end: float) -> str | None:
    """Why an in/out pair does not fit the piece, in words a curator acts on; None when it fits."""
    unit = "words" if source.media_type == "text" else "s"
    if source.media_type == "image":
        return None if start == 0 and end in (0, source.length) else f"{source.title!r} is a picture: it has no in/out"
    if start < 0 or end <= start:
        return f"the in point ({start:g} {unit}) must come before the out point ({end:g} {unit})"
    if start >= source.length:
        return (f"the in point ({start:g} {unit}) is past the end of {source.title!r}, "
                f"which is {source.length:g} {unit} long")
    if end > source.length + 1e-3:
        return (f"the out point ({end:g} {unit}) is past the end of {source.title!r}, "
                f"which is {source.length:g} {unit} long")
    return None


def problems(source: Source | None, item: ProgrammeItem) -> list[str]:
    """What stops a piece from rendering (removed, not ready, a cut past its end) or should be looked at (its file
    changed or was analysed again since it was placed), in words for the curator."""
    if source is None or source.status == "erased":
        return ["this piece was removed after it was placed: take it out of the programme"]
    if source.path is None:
        return [f"this piece is {source.status}, not ready: it cannot be rendered until it is"]
    found = []
    if item.sha256 and source.sha256 != item.sha256:
        found.append("its file was replaced since it was placed: check the in and out points")
    elif source.analysed_at is not None and item.updated_at is not None and source.analysed_at > item.updated_at:
        found.append("it was analysed again since it was placed: check the in and out points")
    problem = cut_problem(source, *cut_of(source, item))
    if problem:
        found.append(problem)
    return found


def spoken_words(transcript: Transcript | None, start: float, end: float) -> str:
    """The transcript's words said between start and end (whole segments that overlap the span)."""
    if transcript is None:
        return ""
    return " ".join(s.text.strip() for s in transcript.segments if s.end > start and s.start < end).strip()


def placed(source: Source, item: ProgrammeItem) -> Placed:
    """The piece as a render takes it."""
    start, end = cut_of(source, item)
    if source.media_type == "image":
        start = end = 0.0
    words = source.text if source.media_type == "text" else spoken_words(source.transcript, start, end)
    return Placed(source.submission_id, source.title, source.contributor or "", source.media_type or "text",
                  source.path if source.media_type != "text" else None, source.duration, start, end, words,
                  item.heading or None)
