"""Plain data shared by every layer: no I/O, no models, no database."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np


class MediaType(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    IMAGE = "image"
    TEXT = "text"


# A curator's decision on a submission; "unrated" takes a rating back. UNDECIDED names pieces nobody has decided on.
DECISIONS = ("shortlisted", "rejected", "starred", "unrated")
UNDECIDED = "undecided"
CHOSEN = "chosen"  # a filter: shortlisted or starred, what a producer takes from a call-out


class Status(StrEnum):
    """Life of a submission: received -> processing -> ready, or rejected (bad input) / failed (our fault)."""

    RECEIVED = "received"
    PROCESSING = "processing"
    READY = "ready"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True)
class MediaLimits:
    """What a submission may be. Built from Settings at the edges and passed down."""

    max_file_bytes: int = 2 * 1024**3
    max_duration_s: float = 15 * 60
    max_pixels: int = 40_000_000  # one decoded image or video frame
    max_side: int = 16_384
    min_side: int = 16
    max_text_chars: int = 200_000


@dataclass(frozen=True)
class Probe:
    """What a file is, found from its content (never from its name)."""

    media_type: MediaType
    format_name: str  # container or file format, e.g. "mp4", "mp3", "png", "text"
    mime: str
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    has_audio: bool = False
    has_video: bool = False
    encoding: str | None = None  # texts only
    char_count: int | None = None  # texts only
    notes: tuple[str, ...] = ()  # harmless oddities worth showing a curator

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["media_type"] = self.media_type.value
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Probe:
        data = dict(data)
        data["media_type"] = MediaType(data["media_type"])
        data["notes"] = tuple(data.get("notes", ()))
        return cls(**data)


@dataclass
class Frame:
    """One decoded picture: RGB uint8 array of shape (height, width, 3) and its time in seconds."""

    time: float
    rgb: np.ndarray


@dataclass
class Decoded:
    """Everything the models need from one file."""

    probe: Probe
    frames: list[Frame] = field(default_factory=list)  # representative frames; the image itself for images
    poster: Frame | None = None
    audio: np.ndarray | None = None  # mono float32 at 16 kHz
    text: str | None = None


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...]
    language: str
    duration: float
    model: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = tuple(
            Segment(**{**s, "words": tuple(Word(**w) for w in s.get("words", ()))}) for s in data["segments"]
        )
        return cls(text=data["text"], segments=segments, language=data["language"],
                   duration=data["duration"], model=data["model"])


@dataclass(frozen=True)
class Chunk:
    """A piece of a text or transcript that gets its own vector, with where it sits in the source."""

    text: str
    char_start: int
    char_end: int
    start: float | None = None  # seconds, transcripts only
    end: float | None = None


@dataclass
class Embedding:
    """One vector and what it stands for, ready to be stored."""

    space: str  # "text" (sentence model) or "clip"
    source: str  # "text", "transcript", "frames" or "image"
    kind: str  # "chunk", "pooled" or "frame"
    ordinal: int
    model: str
    vector: np.ndarray
    chunk: Chunk | None = None
