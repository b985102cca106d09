"""One Protocol per model family. Adapters and fakes implement these; nothing else in triage imports a model library."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from triage.domain import Transcript


@runtime_checkable
class Transcriber(Protocol):
    """Speech to text."""

    name: str  # model id and version, recorded on every transcript it makes
    device: str  # where it runs: "cpu" or "cuda"

    def transcribe(self, audio: np.ndarray, *, vad: bool = True) -> Transcript:
        """Transcribe mono float32 16 kHz audio. Silence and music give an empty transcript, never invented text."""
        ...


@runtime_checkable
class BatchTranscriber(Transcriber, Protocol):
    """A Transcriber that can take several clips at once (the pipeline falls back to one call per clip)."""

    batch_size: int  # clips decoded together; 1 decodes them one at a time whatever a call is given

    def transcribe_many(self, audios: Sequence[np.ndarray], *, vad: bool = True) -> list[Transcript]:
        """Transcribe each clip; the same transcripts as one `transcribe` call per clip, in order."""
        ...


@runtime_checkable
class TextEncoder(Protocol):
    """Texts to L2-normalised float32 vectors."""

    name: str
    device: str  # where it runs: "cpu" or "cuda"
    dim: int
    max_tokens: int  # longest input the model reads; longer texts must be chunked first

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dim), float32, each row of unit length."""
        ...

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Like encode, for what is searched with (call-out texts, prompts); asymmetric models embed these apart."""
        ...


@runtime_checkable
class ImageTextEncoder(Protocol):
    """Images and prompts into one shared space (CLIP)."""

    name: str
    device: str  # where it runs: "cpu" or "cuda"
    dim: int

    def encode_images(self, images: list[np.ndarray]) -> np.ndarray:
        """RGB uint8 arrays (H, W, 3) to (n, dim) float32 unit vectors."""
        ...

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """Prompts to (n, dim) float32 unit vectors in the image space."""
        ...


@dataclass
class Encoders:
    """The models one run uses. `clip` is None when no visual weights are installed."""

    transcriber: Transcriber | None  # None for query-only work (search, shortlist)
    text: TextEncoder
    clip: ImageTextEncoder | None = None
    vad: bool = True
