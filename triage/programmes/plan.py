"""What a render is given: a programme's pieces in order, already checked and resolved to files, with its credits.

The render code (triage/render/) reads nothing else: no database, no settings, so each kind is tested on plain
files and the service decides what goes in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ProgrammeKind = Literal["episode", "book", "album"]
KINDS: tuple[ProgrammeKind, ...] = ("episode", "book", "album")


@dataclass(frozen=True)
class Placed:
    """One piece in its place. In and out points are seconds for video and audio, word indexes for text
    (`words.split()[start:end]`), and 0 for images, which have no length of their own."""

    submission_id: str
    title: str
    contributor: str
    media_type: str  # "video" | "audio" | "image" | "text"
    path: Path | None  # the piece's original file; None for a text piece, whose words are in `words`
    duration: float  # seconds of the whole piece; 0 for text and images
    start: float
    end: float
    words: str = ""  # a text piece's whole text; a spoken piece's transcript of the span used (for cards, books)
    heading: str | None = None  # a section heading that opens with this piece


@dataclass(frozen=True)
class CreditLine:
    """One person in the credits: their share of the programme and the pieces it comes from."""

    name: str
    share: float  # of the programme, 0..1; every line's share together sums to 1
    pieces: tuple[str, ...]  # the titles of their pieces
    role: str = "contributor"  # or "builds on": the author of something a piece reuses (lineage)


@dataclass(frozen=True)
class RenderSettings:
    """How a render looks and sounds. Defaults: 720p at 25 fps, web loudness (EBU R128, -16 LUFS, -1 dBTP)."""

    width: int = 1280
    height: int = 720
    fps: int = 25
    sample_rate: int = 48000
    loudness_lufs: float = -16.0
    true_peak_db: float = -1.0
    section_card_s: float = 3.0  # a section's title card
    image_s: float = 6.0  # a still image on screen
    min_text_card_s: float = 4.0  # a text or sound-only piece's card: long enough to read
    words_per_second: float = 2.5
    credits_s: float = 8.0
    album_gap_s: float = 2.0  # silence after each track
    font: Path | None = None  # a TrueType font for cards; None: DejaVu Sans where installed


@dataclass(frozen=True)
class RenderPlan:
    """A whole programme to render, in running order."""

    programme_id: str
    name: str
    kind: ProgrammeKind
    pieces: tuple[Placed, ...]
    credits: tuple[CreditLine, ...]
    settings: RenderSettings = field(default_factory=RenderSettings)
    cover: Path | None = None  # an image for the album's tags and the book's cover


@dataclass(frozen=True)
class Rendered:
    """What a render wrote, probed afterwards: its folder, the files in it, and what was measured."""

    folder: Path
    files: tuple[str, ...]  # names relative to `folder`
    duration_s: float | None = None  # of the rough cut, or of the album's tracks together
    loudness_lufs: float | None = None  # measured by FFmpeg's ebur128 on the output
    true_peak_db: float | None = None
    warnings: tuple[str, ...] = ()
