"""How long a programme runs against its target: seconds on screen for an episode, words for a book, seconds of
sound for an album. The same lengths the renders give each piece, so the total a curator sees is what they get."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from triage.programmes.plan import Placed, ProgrammeKind, RenderSettings

# Defaults a curator changes per programme: a half-hour slot's 22 minutes, a slim book, one side of a record pair.
DEFAULT_TARGETS: dict[str, float] = {"episode": 22 * 60.0, "book": 10_000.0, "album": 45 * 60.0}
UNITS: dict[str, str] = {"episode": "s", "book": "words", "album": "s"}
MAX_TEXT_CARD_S = 40.0  # a card longer than this is a wall of words: the card shrinks its type instead
TIMED = ("video", "audio")


def word_count(text: str) -> int:
    return len(text.split())


def text_card_s(placed: Placed, settings: RenderSettings) -> float:
    """How long a card stays up for a text piece (its words) or a sound-only piece (under its own sound)."""
    if placed.media_type in TIMED:
        return max(0.0, placed.end - placed.start)
    words = max(0, int(placed.end) - int(placed.start)) if placed.media_type == "text" else 0
    return min(MAX_TEXT_CARD_S, max(settings.min_text_card_s, words / settings.words_per_second))


def screen_s(placed: Placed, settings: RenderSettings) -> float:
    """Seconds a piece is on screen in the rough cut (its section card not counted)."""
    if placed.media_type in TIMED:
        return max(0.0, placed.end - placed.start)
    if placed.media_type == "image":
        return settings.image_s
    return text_card_s(placed, settings)


def book_words(placed: Placed) -> int:
    """Words a piece puts in the book: a text's span, a spoken piece's transcript; a picture none."""
    if placed.media_type == "text":
        return max(0, int(placed.end) - int(placed.start))
    return word_count(placed.words)


def album_s(placed: Placed) -> float:
    """Seconds of a track: pieces with sound only (text and pictures have none to put on a record)."""
    return max(0.0, placed.end - placed.start) if placed.media_type in TIMED and placed.path is not None else 0.0


def length(kind: ProgrammeKind, placed: Placed, settings: RenderSettings) -> float:
    """One piece's length in its programme's unit."""
    if kind == "episode":
        return screen_s(placed, settings)
    if kind == "book":
        return float(book_words(placed))
    return album_s(placed)


@dataclass(frozen=True)
class Total:
    """The running total against the target, in the programme's unit (UNITS)."""

    used: float
    target: float
    unit: str

    @property
    def over(self) -> float:
        return max(0.0, self.used - self.target)

    @property
    def left(self) -> float:
        return max(0.0, self.target - self.used)


def total(kind: ProgrammeKind, pieces: Sequence[Placed], target: float, settings: RenderSettings,
          has_sound: Sequence[bool] | None = None) -> Total:
    """The whole programme's length: its pieces, and for an episode the section cards and end credits too; for an
    album the gaps between tracks. `has_sound` says which pieces make tracks (None: every timed piece)."""
    sound = list(has_sound) if has_sound is not None else [True] * len(pieces)
    lengths = [length(kind, p, settings) if kind != "album" or heard else 0.0
               for p, heard in zip(pieces, sound, strict=True)]
    used = sum(lengths)
    if kind == "episode" and pieces:
        used += settings.section_card_s * sum(1 for p in pieces if p.heading) + settings.credits_s
    if kind == "album":
        used += settings.album_gap_s * max(0, sum(1 for n in lengths if n) - 1)
    return Total(round(used, 3), target, UNITS[kind])
