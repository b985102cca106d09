"""Inputs and outputs of the pure scoring functions: arrays and dataclasses, nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from triage.domain import Chunk, MediaType


@dataclass
class Vectors:
    """Unit vectors of one modality of one item, one row per chunk (sentence, segment window or frame).

    Frames use chunks with start == end == the frame time and empty text.
    `pooled` is one vector for the whole item (None: the mean of the rows is used).
    """

    matrix: np.ndarray  # (n, d) float32, rows of unit length
    chunks: list[Chunk]
    pooled: np.ndarray | None = None  # (d,)

    def pooled_vector(self) -> np.ndarray:
        """The item-level vector: `pooled` if given, else the normalised mean of the rows."""
        if self.pooled is not None:
            return np.asarray(self.pooled, dtype=np.float32)
        return unit(np.asarray(self.matrix, dtype=np.float32).mean(axis=0))


@dataclass
class Item:
    """One submission as the scoring functions see it."""

    submission_id: str
    external_id: str | None
    media_type: MediaType
    duration: float | None = None
    created_at: float = 0.0
    quality: float = 0.0  # higher is better; picks a duplicate group's representative
    text: Vectors | None = None  # typed text (text files, lyrics), in the text-encoder space
    transcript: Vectors | None = None  # spoken words, in the text-encoder space
    frames: Vectors | None = None  # images / video frames, in the image-text (CLIP) space
    words: str = ""  # the item's readable words (text or transcript) for labels and keyword search


@dataclass
class Fingerprint:
    """Content fingerprints of one submission (made by triage.fingerprints)."""

    submission_id: str
    media_type: MediaType
    sha256: str
    frames: list[tuple[float, int]] = field(default_factory=list)  # (time, 64-bit pHash)
    audio: np.ndarray | None = None  # uint32 chromaprint of the audio track, None when there is none
    minhash: np.ndarray | None = None  # uint64 signature of the words (text or transcript)
    text_len: int = 0
    duration: float | None = None
    has_speech: bool | None = None  # None: unknown; False says the audio carries no speech
    audio_bands: np.ndarray | None = None  # uint32 fine-grained hash of the first seconds (short clips)


@dataclass
class CalloutQuery:
    """A call-out embedded in each space, plus what contrasts it with the archive's other call-outs.

    `text` rows are the title, the brief, its sentences/phrases and curator prompts (text-encoder space);
    `clip` the same texts in the image-text space. `others_text`/`others_clip` hold one matrix per
    OTHER call-out of the archive. `exemplar_ids` are submissions a curator marked as a good answer.
    """

    text: np.ndarray  # (m, d_text)
    clip: np.ndarray | None = None  # (m, d_clip)
    negative_text: np.ndarray | None = None
    negative_clip: np.ndarray | None = None
    exemplar_ids: tuple[str, ...] = ()
    others_text: list[np.ndarray] = field(default_factory=list)
    others_clip: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class Explanation:
    """Why an item scored as it did: the modality and the moment or sentence that matched best."""

    modality: str  # "text" | "transcript" | "frames" | "none"
    score: float
    snippet: str = ""
    start: float | None = None  # seconds, transcripts
    end: float | None = None
    frame_time: float | None = None  # seconds, frames
    char_start: int | None = None
    char_end: int | None = None


@dataclass(frozen=True)
class Scored:
    """The fused relevance of one item to one call-out, in [0, 1], with per-modality scores and a reason."""

    item_id: str
    score: float
    per_modality: dict[str, float]
    why: Explanation
    # The raw similarity of the item's words (text or transcript, the better) to the query, before any
    # standardising over the pool: what search's "no good match" floor is calibrated on. None without words.
    words_similarity: float | None = None


def unit(v: np.ndarray) -> np.ndarray:
    """Scale a vector (or each row of a matrix) to unit length; zero rows stay zero."""
    v = np.asarray(v, dtype=np.float32)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, norm, out=np.zeros_like(v), where=norm > 0)
