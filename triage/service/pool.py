"""Load a pool of ready submissions from the store as the scoring layer's Items and Fingerprints."""

from __future__ import annotations

import base64
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.domain import Chunk, MediaType, Status
from triage.pipeline import Encoders, encoder_of
from triage.scoring.types import Fingerprint, Item, Vectors
from triage.store.artifacts import artifacts_by_sha
from triage.store.rows import batches
from triage.store.schema import Artifact, Submission, Vector

SOURCE_TO_MODALITY = {"text": "text", "transcript": "transcript", "frames": "frames", "image": "frames"}


@dataclass
class Pool:
    """Ready submissions of one call-out (or of the whole archive), keyed by submission id."""

    submissions: dict[str, Submission]
    items: dict[str, Item]
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)

    def external(self, submission_id: str) -> str:
        row = self.submissions[submission_id]
        return row.external_id or row.id

    def copies(self, submission_id: str, duplicates: Iterable[str]) -> list[str]:
        """The external ids of a piece's copies, each once and never the piece's own: across call-outs one
        platform submission filed under two call-outs is two rows with one external id."""
        own = self.external(submission_id)
        return [e for e in dict.fromkeys(self.external(d) for d in duplicates) if e != own]


def ready_submissions(session: Session, callout_id: str | None, shas: set[str] | None = None) -> list[Submission]:
    query = select(Submission).where(Submission.status == Status.READY.value)
    if callout_id:
        query = query.where(Submission.callout_id == callout_id)
    rows = session.scalars(query.order_by(Submission.created_at, Submission.id))
    return [r for r in rows if shas is None or r.sha256 in shas]


def count_ready(session: Session, callout_id: str | None) -> int:
    query = select(func.count()).select_from(Submission).where(Submission.status == Status.READY.value)
    if callout_id:
        query = query.where(Submission.callout_id == callout_id)
    return int(session.scalar(query) or 0)


def load_pool(session: Session, callout_id: str | None, *, with_fingerprints: bool = True,
              shas: set[str] | None = None, models: Mapping[str, str] | None = None) -> Pool:
    """Everything the scoring functions need about a call-out's ready submissions (archive-wide when None).

    `shas` narrows the pool to those contents (the candidates an ANN search found). `models` ({space: model
    name}, see `model_names`) keeps only the vectors those models made: while `triage reprocess` moves the
    archive to another text model, or after it was stopped half-way, a piece whose words the current model has
    not embedded yet lacks that modality instead of mixing vectors of two sizes into one comparison.
    """
    rows = ready_submissions(session, callout_id, shas)
    present = sorted({r.sha256 for r in rows if r.sha256})
    vectors = _vectors_by_sha(session, present, models or {})
    arts = artifacts_by_sha(session, present, ("transcript", "text", "fingerprints"))
    items, fps = {}, {}
    for row in rows:
        sha = row.sha256 or ""
        found = arts.get(sha, {})
        items[row.id] = _item(row, vectors.get(sha, {}), found)
        if with_fingerprints:
            fps[row.id] = _fingerprint(row, found)
    return Pool({r.id: r for r in rows}, items, fps)


def model_names(models: Encoders | None) -> dict[str, str]:
    """{vector space: the name of the encoder that embeds it now}, for `load_pool`."""
    if models is None:
        return {}
    return {"text": models.text.name, **({"clip": models.clip.name} if models.clip is not None else {})}


def _vectors_by_sha(session: Session, shas: list[str],
                    models: Mapping[str, str]) -> dict[str, dict[str, list[Vector]]]:
    out: dict[str, dict[str, list[Vector]]] = defaultdict(lambda: defaultdict(list))
    for batch in batches(shas):
        for v in session.scalars(select(Vector).where(Vector.sha256.in_(batch)).order_by(Vector.id)):
            if v.space in models and encoder_of(v.model) != models[v.space]:
                continue  # another model's vector: not comparable with this model's queries
            out[v.sha256][SOURCE_TO_MODALITY[v.source]].append(v)
    return out


def _modality(rows: list[Vector]) -> Vectors | None:
    chunks = [r for r in rows if r.kind != "pooled"]
    if not chunks:
        return None
    pooled = next((r for r in rows if r.kind == "pooled"), None)
    matrix = np.stack([np.frombuffer(r.vector, dtype="<f4") for r in chunks]).astype(np.float32)
    return Vectors(
        matrix=matrix,
        chunks=[Chunk(r.snippet or "", r.char_start or 0, r.char_end or 0, r.start, r.end) for r in chunks],
        pooled=np.frombuffer(pooled.vector, dtype="<f4").astype(np.float32) if pooled else None,
    )


def _item(row: Submission, vectors: dict[str, list[Vector]], arts: dict[str, Artifact]) -> Item:
    probe = row.probe or {}
    transcript = arts.get("transcript")
    text = arts.get("text")
    words = (text.data or {}).get("text", "") if text else ""
    if not words and transcript and transcript.data:
        words = transcript.data.get("text", "")
    return Item(
        submission_id=row.id, external_id=row.external_id or row.id, media_type=MediaType(row.media_type or "text"),
        duration=probe.get("duration"), created_at=row.created_at.timestamp(), quality=quality(probe, row.size),
        text=_modality(vectors.get("text", [])), transcript=_modality(vectors.get("transcript", [])),
        frames=_modality(vectors.get("frames", [])), words=words,
    )


def quality(probe: dict, size: int | None) -> float:
    """Higher for more pixels and a higher bitrate: picks the best copy in a duplicate group."""
    pixels = (probe.get("width") or 0) * (probe.get("height") or 0)
    duration = probe.get("duration") or 0
    bitrate = (size or 0) * 8 / duration if duration else 0
    return math.log1p(pixels) + 0.1 * math.log1p(bitrate)


def _fingerprint(row: Submission, arts: dict[str, Artifact]) -> Fingerprint:
    data = (arts["fingerprints"].data or {}) if "fingerprints" in arts else {}
    probe = row.probe or {}
    transcript = arts.get("transcript")
    words = ((arts["text"].data or {}).get("text", "") if "text" in arts else "") or (
        (transcript.data or {}).get("text", "") if transcript and transcript.data else "")
    return Fingerprint(
        submission_id=row.id, media_type=MediaType(row.media_type or "text"), sha256=row.sha256 or "",
        frames=[(float(t), int(h, 16)) for t, h in data.get("frames", [])],
        audio=_uint32(data.get("audio")),
        minhash=np.frombuffer(base64.b64decode(data["minhash"]), dtype="<u8").astype(np.uint64) if data.get("minhash") else None,
        text_len=len(words), duration=probe.get("duration"),
        has_speech=bool(words.strip()) if row.media_type in ("audio", "video") else None,
        audio_bands=_uint32(data.get("audio_bands")),
    )


def _uint32(encoded: str | None) -> np.ndarray | None:
    return np.frombuffer(base64.b64decode(encoded), dtype="<u4").astype(np.uint32) if encoded else None
