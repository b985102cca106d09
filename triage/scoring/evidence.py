"""Duplicate evidence in words: the facts a comparison saw (EdgeDetail) and one sentence a curator can read.

The facts come from the fingerprint comparison that decided the pair (`dedup.compare`), never from a second
look; `describe` only puts them into words, about "the first" piece (edge.a) and "the second" (edge.b).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from triage.fingerprints import AudioMatch, FramesMatch, ItemClock
from triage.scoring.types import Fingerprint

if TYPE_CHECKING:
    from triage.scoring.dedup import DuplicateEdge

# Differences smaller than these are not worth a curator's reading: a second of length (containers and
# encoders round the ends), a 1% change of pace, a tenth of a length.
_SECONDS = 1.0
_PACE = 0.01
_TENTH = 0.1
_PACE_AGREES = 0.05  # the lengths tell a copy's pace when they agree with the matched stretch this well (_pace)
# A match "holds all" of a piece when it leaves out less than this: encoders pad or cut the ends a little.
_WHOLE = 0.5


@dataclass(frozen=True)
class EdgeDetail:
    """What the comparison of a pair saw. "a" is the edge's first piece, "b" its second; a field is None where
    the edge's kind says nothing of it."""

    duration_a: float | None = None  # seconds, as probed; None for texts and images
    duration_b: float | None = None
    # the sound ("audio", "audio+frames")
    seconds: float | None = None  # how long the sound matched, in the first piece's time
    start_a: float | None = None  # where the matched sound starts in each piece, in seconds
    start_b: float | None = None
    whole_a: bool | None = None  # the match holds all of the piece's sound (all but half a second at most)
    whole_b: bool | None = None
    tempo: float | None = None  # the second's pace over the first's: 1.08 when it plays 8% faster
    # the pictures ("frames", "audio+frames")
    frames_matched: int | None = None  # frames showing the same picture, of the piece with fewer frames
    frames_compared: int | None = None  # that piece's frames with a picture in them (blank ones prove nothing)
    mirrored: bool | None = None  # the second's pictures flipped left-right against the first's
    shift: float | None = None  # seconds the second's pictures come later than the first's (negative: earlier)
    blank_intro: bool | None = None  # the later one shows no picture before then
    # the words ("text")
    words_share: float | None = None  # estimated share of the texts' character 5-grams that both have
    chars_a: int | None = None
    chars_b: int | None = None


def edge_detail(x: Fingerprint, y: Fingerprint, *facts: dict[str, Any]) -> EdgeDetail:
    """The detail of a timed pair: both durations and the facts of each modality that decided it."""
    return EdgeDetail(duration_a=x.duration, duration_b=y.duration, **{k: v for f in facts for k, v in f.items()})


def sound_facts(m: AudioMatch, clock: ItemClock, x: Fingerprint, y: Fingerprint) -> dict[str, Any]:
    """Where and how long the sound matched, in seconds. A match that holds all of a piece lasts as long as the
    piece: its probed duration is more exact than a count of items."""
    tempo = _pace(m.tempo, x.duration, y.duration)
    whole_a, whole_b = (clock.at(n - span) <= _WHOLE for n, span in ((m.len_a, m.span_a), (m.len_b, m.span_b)))
    seconds = clock.span(m.span_a)
    if whole_a and x.duration:
        seconds = x.duration
    elif whole_b and y.duration:
        seconds = y.duration * tempo
    for bound in (x.duration, y.duration * tempo if y.duration else None):
        seconds = min(seconds, bound) if bound else seconds
    return {"seconds": round(seconds, 2), "start_a": round(clock.at(m.start_a), 2),
            "start_b": round(clock.at(m.start_b), 2), "whole_a": whole_a, "whole_b": whole_b,
            "tempo": round(tempo, 3)}


def _pace(stretch: float, duration_a: float | None, duration_b: float | None) -> float:
    """The second's pace over the first's. The stretch that matched best comes in steps of 1.5% from a guess
    that the hash's window skews (by up to 4% on short clips); where the two lengths agree with it, as for a
    whole piece played faster, their ratio is the finer measure."""
    if stretch == 1.0 or not duration_a or not duration_b:
        return stretch
    ratio = duration_a / duration_b
    return ratio if abs(ratio / stretch - 1.0) <= _PACE_AGREES else stretch


def frames_facts(fm: FramesMatch) -> dict[str, Any]:
    """How many pictures matched, of how many, mirrored or not, and how much later one's pictures come."""
    # to the half second: frames are sampled at keyframes, a fraction of a second apart in two copies
    return {"frames_matched": fm.matched, "frames_compared": fm.compared, "mirrored": fm.mirrored,
            "shift": round(2 * fm.shift) / 2, "blank_intro": fm.blank_intro}


def words_detail(share: float, x: Fingerprint, y: Fingerprint) -> EdgeDetail:
    """The detail of a pair of texts: the share of words they have in common and their lengths."""
    return EdgeDetail(words_share=round(share, 3), chars_a=x.text_len, chars_b=y.text_len)


def flipped(edge: DuplicateEdge) -> DuplicateEdge:
    """The same edge told the other way round: its second piece first."""
    d = edge.detail
    if d is not None:
        tempo = d.tempo or 1.0
        d = replace(d, duration_a=d.duration_b, duration_b=d.duration_a, start_a=d.start_b, start_b=d.start_a,
                    whole_a=d.whole_b, whole_b=d.whole_a, chars_a=d.chars_b, chars_b=d.chars_a,
                    seconds=None if d.seconds is None else round(d.seconds / tempo, 2),  # in the new first's time
                    tempo=None if d.tempo is None else round(1.0 / d.tempo, 3),
                    shift=None if d.shift is None else -d.shift)
    return replace(edge, a=edge.b, b=edge.a, detail=d)


_UNDETAILED = {"exact": "the same file", "text": "the same words", "audio": "the same sound",
               "frames": "the same pictures", "audio+frames": "the same sound and pictures"}


def describe(edge: DuplicateEdge, first: str | None = None) -> str:
    """One short sentence on what makes two pieces copies, such as "the second is a 12 s trim of the first (from
    0:04)". It speaks of "the first" (edge.a) and "the second" (edge.b), or of `first` (one of the two ids) as the
    first; no ids. Lengths read "31 s" or "1:05", places in a piece "0:04"."""
    if first is not None and first not in (edge.a, edge.b):
        raise ValueError(f"{first!r} is neither piece of the edge {edge.a!r}~{edge.b!r}")
    if first == edge.b:
        edge = flipped(edge)
    d = edge.detail
    if edge.kind == "exact" or d is None:
        return _UNDETAILED.get(edge.kind, "alike")
    if edge.kind == "text":
        return _words(d)
    # what sets each piece apart, as "the second one mirrored and with a 2 s blank intro"
    of_second: list[str] = []
    of_first: list[str] = []
    clauses = []
    if edge.kind in ("audio", "audio+frames"):
        clauses.append(_sound(d))
        _faster(d, of_second, of_first)
    if edge.kind in ("frames", "audio+frames"):
        clauses.append(_pictures(d))
        _picture_remarks(d, of_second, of_first, lengths=edge.kind == "frames")
    return " and ".join(clauses) + _remarks(of_second, of_first)


def _sound(d: EdgeDetail) -> str:
    seconds = d.seconds or 0.0
    if _pace_changed(d):
        return f"the same sound for {length(seconds)}"
    if d.whole_b and not d.whole_a and _longer(d.duration_a, d.duration_b):
        return f"the second is {_a(length(d.duration_b or seconds))} trim of the first (from {at(d.start_a)})"
    if d.whole_a and not d.whole_b and _longer(d.duration_b, d.duration_a):
        return f"the first is {_a(length(d.duration_a or seconds))} trim of the second (from {at(d.start_b)})"
    if d.whole_a or d.whole_b:
        return f"the same sound for {length(seconds)}"
    where = f"from {at(d.start_a)} in the first and {at(d.start_b)} in the second"
    return f"the same sound for {length(seconds)}, {where}"


def _pace_changed(d: EdgeDetail) -> bool:
    return d.tempo is not None and abs(d.tempo - 1.0) >= _PACE


def _faster(d: EdgeDetail, second: list[str], first: list[str]) -> None:
    if not _pace_changed(d):
        return
    tempo = d.tempo or 1.0
    (second if tempo > 1.0 else first).append(f"{_percent(max(tempo, 1.0 / tempo) - 1.0)} faster")


def _pictures(d: EdgeDetail) -> str:
    if d.frames_compared == 1:
        return "the same picture"
    return f"the same pictures in {d.frames_matched} of {d.frames_compared} frames"


def _picture_remarks(d: EdgeDetail, second: list[str], first: list[str], lengths: bool) -> None:
    if d.mirrored:
        second.append("mirrored")
    shift = d.shift or 0.0
    if abs(shift) >= _SECONDS:
        said = length(abs(shift))
        intro = f"with {_a(said)} blank intro" if d.blank_intro else f"with {said} more at the start"
        (second if shift > 0 else first).append(intro)
    else:
        shift = 0.0
    if lengths and d.duration_a and d.duration_b:
        # what the pictures' shift does not explain: a trim or an ending the other lacks, somewhere
        extra = d.duration_b - d.duration_a - shift
        if abs(extra) >= max(_SECONDS, _TENTH * max(d.duration_a, d.duration_b)):
            second.append(f"{length(abs(extra))} {'longer' if extra > 0 else 'shorter'}")


def _words(d: EdgeDetail) -> str:
    share = d.words_share or 0.0
    said = "the same words" if share >= 0.995 else f"the same words ({_percent(share)} of them)"
    a, b = d.chars_a or 0, d.chars_b or 0
    if a and b and abs(b - a) >= _TENTH * min(a, b):
        change = f"{_percent(b / a - 1.0)} longer" if b > a else f"{_percent(1.0 - b / a)} shorter"
        return f"{said}, re-typed, the second one {change}"
    return f"{said}, re-typed"


def _remarks(second: list[str], first: list[str]) -> str:
    return "".join(f", the {who} one {' and '.join(said)}" for who, said in (("second", second), ("first", first))
                   if said)


def _longer(long: float | None, short: float | None) -> bool:
    return bool(long and short and long - short >= _SECONDS)


def _a(number: str) -> str:
    """The number with its article: "a 12 s", "an 8 s", "an 11 s", "an 18 s"."""
    vowel = number.startswith("8") or (number[:2] in ("11", "18") and not number[2:3].isdigit())
    return f"an {number}" if vowel else f"a {number}"


def _percent(share: float) -> str:
    return f"{round(100 * share)}%"


def length(seconds: float) -> str:
    """A length as a curator reads it: "2.5 s", "31 s", "1:05"."""
    if seconds < 9.95:
        return f"{seconds:.1f}".removesuffix(".0") + " s"
    if seconds < 59.5:
        return f"{round(seconds)} s"
    return at(seconds)


def at(seconds: float | None) -> str:
    """A place in a piece as a player shows it: "0:04", "1:05", "1:02:09"."""
    whole = int((seconds or 0.0) + 0.5)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
