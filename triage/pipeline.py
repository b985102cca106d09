"""The stages that turn one file into everything triage knows about it.

probe -> decode -> transcribe -> embed -> fingerprint. Each stage is a plain function, in two halves: `prepare`
runs those that need no model on one file, `finish` runs the models over several prepared files at once (the
batch engine overlaps the two), and `analyse` composes them for one file. Nothing here touches the database: the
store saves an `Analysis` in one transaction.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from triage import fingerprints, media
from triage.chunking import chunk_text, chunk_transcript, pool
from triage.domain import Chunk, Decoded, Embedding, MediaLimits, MediaType, Probe, Transcript
from triage.encoders.base import BatchTranscriber, Encoders, ImageTextEncoder, TextEncoder
from triage.errors import ConfigError
from triage.media.audio import SAMPLE_RATE
from triage.media.ocr import OcrLine
from triage.media.ocr_frames import line_chunks, read_pictures

# Stage names, as used by `triage reprocess --only`.
STAGES = ("transcripts", "text", "visual", "fingerprints", "ocr")
# Names how fingerprints are made; stored beside them, so `triage reprocess` redoes those an older way made
# (frame hashes before bars and borders were trimmed carried "phash+chromaprint+minhash").
FINGERPRINTS_MODEL = "phash-trimmed+chromaprint+minhash"

# Chunks of a sentence or two (and transcript windows of a few seconds) let an explanation point at the
# sentence or moment that matched; the pooled vector still represents the whole piece.
CHUNK_WORDS = 40
TRANSCRIPT_WINDOW_S = 15.0


@dataclass
class Analysis:
    """What one file yields; `stages` says which parts were computed (the rest is left as stored)."""

    probe: Probe
    stages: tuple[str, ...] = STAGES
    files: dict[str, bytes] = field(default_factory=dict)  # derived file name -> bytes
    thumbs: list[dict[str, Any]] = field(default_factory=list)  # [{"time", "file"}]
    text: str | None = None
    waveform: list[float] = field(default_factory=list)
    transcript: Transcript | None = None
    embeddings: list[Embedding] = field(default_factory=list)
    fingerprints: dict[str, Any] = field(default_factory=dict)
    visual_model: str | None = None  # None: frames wait for visual weights
    # The lines printed in its pictures (images and videos), None where OCR did not run (off, or no Tesseract).
    ocr: list[OcrLine] | None = None
    ocr_model: str = ""  # the reader that made `ocr`; "" when it did not run
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, for logs and benchmarks


class Stopwatch:
    """Adds the wall time of each `with clock(name):` block to `seconds[name]`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def waveform(audio: np.ndarray, buckets: int = 120) -> list[float]:
    """Peak loudness in `buckets` equal slices, scaled so the loudest is 1: enough to draw a waveform on a card."""
    if audio.size < buckets:
        return []
    peaks = np.abs(audio[: audio.size // buckets * buckets]).reshape(buckets, -1).max(axis=1)
    top = float(peaks.max())
    return [round(float(p) / top, 3) for p in peaks] if top > 0 else [0.0] * buckets


def derived_files(decoded: Decoded, thumb_side: int) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """Poster, one thumbnail per representative frame, and the 16 kHz audio, as file name -> bytes."""
    files: dict[str, bytes] = {}
    if decoded.poster is not None:
        files["poster.jpg"] = media.jpeg_bytes(decoded.poster.rgb, max_side=thumb_side * 2)
    thumbs = []
    if decoded.probe.media_type == MediaType.VIDEO:
        for i, frame in enumerate(decoded.frames):
            name = f"frame_{i:02d}.jpg"
            files[name] = media.jpeg_bytes(frame.rgb, max_side=thumb_side)
            thumbs.append({"time": round(frame.time, 3), "file": name})
    if decoded.audio is not None and decoded.audio.size:
        files["audio16k.wav"] = media.wav_bytes(decoded.audio)
    return files, thumbs


def text_vectors_model(encoder: TextEncoder) -> str:
    """What made a text-space vector: the model and the chunking, so changing either marks vectors stale."""
    return f"{encoder.name}|chunks={CHUNK_WORDS}w,{TRANSCRIPT_WINDOW_S:g}s"


def encoder_of(stored_model: str) -> str:
    """The encoder's name in a vector's `model` (without the chunking): vectors of one encoder compare with each
    other and with its queries, whatever the chunking was."""
    return stored_model.split("|", 1)[0]


def word_chunks(text: str | None, transcript: Transcript | None,
                ocr: list[OcrLine] | None = None) -> list[tuple[str, list[Chunk]]]:
    """The chunks to embed, by source: the text's sentences, the transcript's windows of a few seconds and the
    lines printed in the pictures, in that order (the pool reads a modality's first pooled vector as its own)."""
    out = [("text", chunk_text(text, max_words=CHUNK_WORDS) if text else []),
           ("transcript", chunk_transcript(transcript, max_words=CHUNK_WORDS, max_seconds=TRANSCRIPT_WINDOW_S)
            if transcript and transcript.text.strip() else []),
           ("ocr", line_chunks(ocr, max_words=CHUNK_WORDS))]
    return [(source, chunks) for source, chunks in out if chunks]


def embed_words_many(pieces: list[tuple[str | None, Transcript | None]], encoder: TextEncoder,
                     ocr: list[list[OcrLine] | None] | None = None) -> list[list[Embedding]]:
    """`embed_words` for several pieces, with one encoder call for all their chunks (the model batches them).
    `ocr` holds each piece's printed lines (None: no pictures read)."""
    model = text_vectors_model(encoder)
    printed = ocr if ocr is not None else [None] * len(pieces)
    planned = [word_chunks(text, transcript, lines)
               for (text, transcript), lines in zip(pieces, printed, strict=True)]
    texts = [c.text for sources in planned for _, chunks in sources for c in chunks]
    vectors = iter(encoder.encode(texts) if texts else [])
    out: list[list[Embedding]] = []
    for sources in planned:
        embedded: list[Embedding] = []
        for source, chunks in sources:
            rows = np.stack([next(vectors) for _ in chunks])
            embedded += [Embedding("text", source, "chunk", i, model, v, c)
                         for i, (c, v) in enumerate(zip(chunks, rows, strict=True))]
            weights = np.array([max(1, len(c.text)) for c in chunks], dtype=np.float32)
            embedded.append(Embedding("text", source, "pooled", 0, model, pool(rows, weights)))
        out.append(embedded)
    return out


def embed_words(text: str | None, transcript: Transcript | None, encoder: TextEncoder,
                ocr: list[OcrLine] | None = None) -> list[Embedding]:
    """Chunk vectors plus one pooled vector for the text, the transcript and the printed lines, in the sentence
    space."""
    return embed_words_many([(text, transcript)], encoder, [ocr])[0]


def embed_frames(decoded: Decoded, encoder: ImageTextEncoder) -> list[Embedding]:
    """CLIP vectors of each representative frame (or the image) plus a pooled one."""
    if not decoded.frames:
        return []
    source = "image" if decoded.probe.media_type == MediaType.IMAGE else "frames"
    vectors = encoder.encode_images([f.rgb for f in decoded.frames])
    out = []
    for i, (frame, vector) in enumerate(zip(decoded.frames, vectors, strict=True)):
        chunk = None if source == "image" else Chunk(text="", char_start=0, char_end=0,
                                                     start=frame.time, end=frame.time)
        out.append(Embedding("clip", source, "frame", i, encoder.name, vector, chunk))
    out.append(Embedding("clip", source, "pooled", 0, encoder.name, pool(vectors, np.ones(len(vectors), np.float32))))
    return out


def media_fingerprints(decoded: Decoded) -> dict[str, Any]:
    """Perceptual frame hashes and the acoustic fingerprints, JSON-ready: all a file's fingerprints but its words'."""
    data: dict[str, Any] = {}
    if decoded.frames:
        data["frames"] = [[t, f"{h:016x}"] for t, h in fingerprints.frame_phashes(decoded.frames)]
    if decoded.audio is not None and decoded.audio.size:
        raw = fingerprints.audio_fingerprint(decoded.audio)
        data["audio"] = base64.b64encode(raw.astype("<u4").tobytes()).decode()
        bands = fingerprints.audio_band_hash(decoded.audio)
        data["audio_bands"] = base64.b64encode(bands.astype("<u4").tobytes()).decode()
    return data


def words_fingerprint(text: str | None, transcript: Transcript | None) -> dict[str, Any]:
    """A MinHash of the words (the text, else the transcript), JSON-ready; empty without words."""
    words = text if text else (transcript.text if transcript else "")
    if not words.strip():
        return {}
    return {"minhash": base64.b64encode(fingerprints.text_minhash(words).astype("<u8").tobytes()).decode()}


def fingerprint(decoded: Decoded, text: str | None, transcript: Transcript | None) -> dict[str, Any]:
    """Perceptual frame hashes, the acoustic fingerprint and a MinHash of the words, JSON-ready."""
    return {**media_fingerprints(decoded), **words_fingerprint(text, transcript)}


@dataclass
class Prepared:
    """A file decoded, its derived files made and its pictures and sound fingerprinted: the part of its analysis
    that needs no model, and what the models still need of it (its frames only when CLIP will embed them)."""

    analysis: Analysis
    decoded: Decoded
    stored_transcript: Transcript | None = None
    transcript: Transcript | None = None  # Whisper's, when it ran before the rest of the batch (transcribe_ahead)

    @property
    def seconds(self) -> float:
        """How long its sound lasts (0 without sound): the work it brings Whisper."""
        audio = self.decoded.audio
        return 0.0 if audio is None else audio.size / SAMPLE_RATE

    @property
    def nbytes(self) -> int:
        """About how much memory it holds while it waits for the models."""
        audio = self.decoded.audio
        return (sum(len(data) for data in self.analysis.files.values()) + (0 if audio is None else audio.nbytes)
                + sum(f.rgb.nbytes for f in self.decoded.frames) + len(self.decoded.text or ""))


def prepare(path: Path, *, limits: MediaLimits, max_frames: int, thumb_side: int, stages: tuple[str, ...] = STAGES,
            stored_transcript: Transcript | None = None, keep_frames: bool = True, ocr: bool = True) -> Prepared:
    """The stages of one file that need no model. Bad input raises InvalidSubmission (from the probe or decoder).

    keep_frames=False drops the decoded frames once hashed, thumbnailed and read, so a file waiting for Whisper
    holds little more than its sound. ocr=False leaves the words printed in its pictures unread.
    """
    clock = Stopwatch()
    with clock("probe"):
        probe = media.probe(path, limits)  # by content only: names belong to submissions (see settle_from_content)
    with clock("decode"):
        decoded = media.decode(path, probe, limits, max_frames=max_frames)
    result = Analysis(probe=probe, stages=stages, text=decoded.text, timings=clock.seconds)
    with clock("derived_files"):
        result.files, result.thumbs = derived_files(decoded, thumb_side)
        if decoded.audio is not None:
            result.waveform = waveform(decoded.audio)
    with clock("fingerprint"):
        if "fingerprints" in stages:
            result.fingerprints = media_fingerprints(decoded)
    with clock("ocr"):
        if ocr and {"ocr", "text"} & set(stages):  # "text" embeds the printed words too, so it reads them again
            result.ocr, result.ocr_model = read_pictures(decoded)
    if not keep_frames:
        decoded = replace(decoded, frames=[], poster=None)
    return Prepared(result, decoded, stored_transcript)


def _wants_whisper(prepared: Prepared) -> bool:
    return "transcripts" in prepared.analysis.stages and prepared.seconds > 0 and prepared.transcript is None


def transcribe_ahead(prepared: Prepared, encoders: Encoders) -> Prepared:
    """The file with its transcript, when the speech model decodes clips one at a time anyway (Whisper on a
    CPU): then a batch's first clip need not wait for the rest of the batch to be decoded, and the transcript is
    the one the batch would get. Unchanged where the model decodes clips together (a GPU): `finish` does it."""
    model = encoders.transcriber
    audio = prepared.decoded.audio
    if (model is None or audio is None or not _wants_whisper(prepared)
            or (isinstance(model, BatchTranscriber) and model.batch_size > 1)):
        return prepared
    started = time.perf_counter()
    transcript = model.transcribe(audio, vad=encoders.vad)
    timings = {**prepared.analysis.timings, "transcribe": time.perf_counter() - started}
    return replace(prepared, transcript=transcript, analysis=replace(prepared.analysis, timings=timings))


def _transcripts(batch: list[Prepared], encoders: Encoders) -> list[Transcript | None]:
    """Each file's transcript: Whisper's, for those of the batch that have sound, in one call (but for those
    transcribed ahead); else the stored one."""
    wanted = [i for i, p in enumerate(batch) if _wants_whisper(p)]
    out = [p.transcript if "transcripts" in p.analysis.stages else p.stored_transcript for p in batch]
    if wanted:
        if encoders.transcriber is None:
            raise ConfigError("no speech model loaded; transcription needs one")
        audios = [a for i in wanted if (a := batch[i].decoded.audio) is not None]
        model = encoders.transcriber
        found = (model.transcribe_many(audios, vad=encoders.vad) if isinstance(model, BatchTranscriber)
                 else [model.transcribe(audio, vad=encoders.vad) for audio in audios])
        for i, transcript in zip(wanted, found, strict=True):
            out[i] = transcript
    return out


def finish(batch: list[Prepared], encoders: Encoders) -> list[Analysis]:
    """The model stages over several prepared files at once: Whisper over their sound, the text model over all
    their words, then CLIP and the words' fingerprint per file. Leaves `batch` as it was, so a failed batch can
    be finished again file by file. Each stage's time is shared among the files."""
    clock = Stopwatch()
    with clock("transcribe"):
        transcripts = _transcripts(batch, encoders)
    with clock("embed_text"):
        wanted = [i for i, p in enumerate(batch) if "text" in p.analysis.stages]
        words = embed_words_many([(batch[i].decoded.text, transcripts[i]) for i in wanted], encoders.text,
                                 [batch[i].analysis.ocr for i in wanted])
        embeddings: list[list[Embedding]] = [[] for _ in batch]
        for i, vectors in zip(wanted, words, strict=True):
            embeddings[i] = vectors
    out = []
    for p, transcript, vectors in zip(batch, transcripts, embeddings, strict=True):
        timings = dict(p.analysis.timings)
        for name, seconds in clock.seconds.items():
            timings[name] = timings.get(name, 0.0) + seconds / len(batch)
        result = replace(p.analysis, transcript=transcript, embeddings=list(vectors), timings=timings)
        own = Stopwatch()
        with own("embed_frames"):
            if "visual" in result.stages and encoders.clip is not None:
                result.embeddings += embed_frames(p.decoded, encoders.clip)
                result.visual_model = encoders.clip.name
        with own("fingerprint"):
            if "fingerprints" in result.stages:
                result.fingerprints = {**result.fingerprints, **words_fingerprint(p.decoded.text, transcript)}
        for name, seconds in own.seconds.items():
            result.timings[name] = result.timings.get(name, 0.0) + seconds
        out.append(result)
    return out


def analyse(
    path: Path,
    *,
    limits: MediaLimits,
    encoders: Encoders,
    max_frames: int,
    thumb_side: int,
    stages: tuple[str, ...] = STAGES,
    stored_transcript: Transcript | None = None,
    ocr: bool = True,
) -> Analysis:
    """Run the given stages on one file: `prepare`, then `finish` as a batch of one. Bad input raises
    InvalidSubmission (from the probe or decoder).

    `stored_transcript` stands in for the transcription stage when only later stages are recomputed.
    """
    prepared = prepare(path, limits=limits, max_frames=max_frames, thumb_side=thumb_side, stages=stages,
                       stored_transcript=stored_transcript,
                       keep_frames="visual" in stages and encoders.clip is not None, ocr=ocr)
    return finish([prepared], encoders)[0]
