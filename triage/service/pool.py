"""Load a pool of ready submissions from the store as the scoring layer's Items and Fingerprints."""

from __future__ import annotations

import base64
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from triage.domain import Chunk, MediaType, Status
from triage.encoders.base import Encoders
from triage.pipeline import encoder_of
from triage.scoring.types import Fingerprint, Item, Vectors
from triage.service.gc_pause import collector_paused
from triage.service.index import SPACES
from triage.store.rows import batches
from triage.store.schema import Artifact, Content, Submission, Vector

# The words printed in pictures ("ocr") join the piece's spoken words where it has them, else its text (pictures
# have no typed text): so a video's words vector stays its speech (duplicates compare copies on it, and a caption
# burned into one copy only must not tell them apart), and a poster's is its printed words.
SOURCE_TO_MODALITY = {"text": "text", "transcript": "transcript", "frames": "frames", "image": "frames",
                      "ocr": "text"}
_COLUMNS = (Vector.sha256, Vector.space, Vector.source, Vector.kind, Vector.model, Vector.vector, Vector.snippet,
            Vector.char_start, Vector.char_end, Vector.start, Vector.end)  # rows, not ORM objects: 3x faster


@dataclass
class Pool:
    """Ready submissions of one call-out (or of the whole archive), keyed by submission id."""

    submissions: dict[str, PoolRow]
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


class PoolRow(NamedTuple):
    """What the pool's readers use of a ready submission: a plain row, not an ORM object (a pool reads 100,000s),
    with the three numbers of its probe read by the database instead of parsing each probe's JSON here."""

    id: str
    external_id: str | None
    title: str | None
    contributor: str | None
    media_type: str | None
    sha256: str | None
    size: int | None
    created_at: datetime
    duration: float | None
    width: float | None
    height: float | None


_POOL_ROW = select(Submission.id, Submission.external_id, Submission.title, Submission.contributor,
                   Submission.media_type, Submission.sha256, Submission.size, Submission.created_at,
                   *(Submission.probe[key].as_float() for key in ("duration", "width", "height")))


def ready_submissions(session: Session, callout_id: str | None, shas: set[str] | None = None) -> list[PoolRow]:
    if shas is None:
        query = _POOL_ROW.where(Submission.status == Status.READY.value)
        if callout_id:
            query = query.where(Submission.callout_id == callout_id)
        return [PoolRow(*r) for r in session.connection().execute(query.order_by(Submission.created_at,
                                                                                    Submission.id))]
    # A few candidates of a big archive: read those rows by their bytes' hash alone (with the call-out and status
    # in the query, SQLite walks the call-out's index instead: a second per batch at 1,000,000 pieces).
    query = _POOL_ROW.add_columns(Submission.status, Submission.callout_id)
    rows = [PoolRow(*r[:-2]) for batch in batches(sorted(shas))
            for r in session.execute(query.where(Submission.sha256.in_(batch)))
            if r.status == Status.READY.value and (not callout_id or r.callout_id == callout_id)]
    return sorted(rows, key=lambda r: (r.created_at, r.id))


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
    with collector_paused():  # a big pool is millions of objects: no full collections while they are built
        rows = ready_submissions(session, callout_id, shas)
        present = _Contents(sorted({r.sha256 for r in rows if r.sha256}), session)
        vectors = _vectors_by_sha(session, present, models or {})
        arts = _artifacts(session, present, with_fingerprints)
        items, fps = {}, {}
        for row, stacked in zip(rows, _stacked(rows, vectors), strict=True):
            sha = row.sha256 or ""
            found = arts.get(sha, {})
            items[row.id] = _item(row, stacked, found)
            if with_fingerprints:
                fps[row.id] = _fingerprint(row, found)
        return Pool({r.id: r for r in rows}, items, fps)


def model_names(models: Encoders | None) -> dict[str, str]:
    """{vector space: the name of the encoder that embeds it now}, for `load_pool`."""
    if models is None:
        return {}
    return {"text": models.text.name, **({"clip": models.clip.name} if models.clip is not None else {})}


_WORDS = ("transcript", "text", "ocr")
_SCAN_ROWS = 2000  # rows fetched at a time by a scan


def scans_whole_tables(session: Session, contents: int) -> bool:
    """Whether a pool of this many contents is read by a pass over whole tables: when it is at least half of the
    archive, so a scan reads at most twice what the pool holds."""
    return contents > 0 and 2 * contents >= int(session.scalar(select(func.count()).select_from(Content)) or 0)


class _Contents:
    """The pool's contents (sha256s), and how to read their rows of a table keyed by sha256: by the hash, a batch
    at a time, or, when they are most of the archive, the whole table in one pass, keeping theirs (at 100,000
    pieces, 0.6 s against 1.2 s for the vectors: a hundred index walks of a thousand hashes, each batch sorted)."""

    def __init__(self, shas: list[str], session: Session) -> None:
        self.shas = shas
        self.wanted = set(shas)
        self.scan = scans_whole_tables(session, len(shas))

    def rows(self, session: Session, query: Select[*tuple[Any, ...]], column: Any, *narrowing: Any) -> Iterator[Any]:
        """The rows of `query` (its first column the sha256) for these contents, each content's in query order.
        `narrowing`: conditions for the batches only (an index they let SQLite use; a scan leaves them to the
        caller, since with them SQLite would walk that index and sort the whole table)."""
        # Core rows, not the ORM's (a third faster to fetch: these are plain columns, no objects to load)
        connection = session.connection()
        if self.scan:  # streamed, a few thousand rows at a time, rather than the whole table fetched first
            wanted = self.wanted
            return (row for row in connection.execute(query.execution_options(yield_per=_SCAN_ROWS))
                    if row[0] in wanted)
        return (row for batch in batches(self.shas)
                for row in connection.execute(query.where(column.in_(batch), *narrowing)))


def _artifacts(session: Session, shas: _Contents, with_fingerprints: bool) -> dict[str, dict[str, Any]]:
    """{sha256: {kind: value}}: the words of its text, transcript and printed lines (each artifact's "text", read
    by the database: a transcript's segments and word times are not parsed here) and its fingerprints' data."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    queries = [select(Artifact.sha256, Artifact.kind, Artifact.data["text"].as_string())
               .where(Artifact.kind.in_(_WORDS))]
    if with_fingerprints:
        queries.append(select(Artifact.sha256, Artifact.kind, Artifact.data).where(Artifact.kind == "fingerprints"))
    for query in queries:
        for sha, kind, value in shas.rows(session, query, Artifact.sha256):
            out[sha][kind] = value
    return out


@dataclass
class _Found:
    """One content's vectors of one modality, as read: chunk rows in order, their chunks, the first pooled row."""

    blobs: list[bytes] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    pooled: bytes | None = None


def _vectors_by_sha(session: Session, shas: _Contents, models: Mapping[str, str]) -> dict[str, dict[str, _Found]]:
    out: dict[str, dict[str, _Found]] = defaultdict(dict)
    comparable: dict[tuple[str, str], bool] = {}
    # The spaces let a batch use the (space, sha256) index; without them SQLite reads the whole table per batch.
    query = select(*_COLUMNS).order_by(Vector.id)
    for sha, space, source, kind, model, blob, snippet, char_start, char_end, start, end in \
            shas.rows(session, query, Vector.sha256, Vector.space.in_(SPACES)):
        ok = comparable.get((space, model))
        if ok is None:  # another space (a scan reads them all), or another model's: not comparable with the queries
            ok = comparable[space, model] = space in SPACES and (space not in models
                                                                 or encoder_of(model) == models[space])
        if not ok:
            continue
        modality = SOURCE_TO_MODALITY[source]
        of_sha = out[sha]
        if source == "ocr" and "transcript" in of_sha:  # rows come in id order: a transcript's first
            modality = "transcript"
        found = of_sha.get(modality)
        if found is None:
            found = of_sha[modality] = _Found()
        if kind != "pooled":
            found.blobs.append(blob)
            found.chunks.append(Chunk(snippet or "", char_start or 0, char_end or 0, start, end))
        elif found.pooled is None:
            found.pooled = blob
    return out


def _stacked(rows: list[PoolRow], vectors: Mapping[str, Mapping[str, _Found]]) -> list[dict[str, Vectors]]:
    """Each submission's Vectors per modality. A modality's rows of the whole pool lie in one read-only buffer, one
    piece after another, and each piece's matrix is a view into it: scoring stacks them without a copy."""
    plan: list[tuple[int, str, _Found, bool]] = []
    blobs: dict[tuple[str, int], tuple[list[bytes], list[bytes]]] = defaultdict(lambda: ([], []))
    out: list[dict[str, Vectors]] = [{} for _ in rows]
    for i, row in enumerate(rows):
        for modality, found in vectors.get(row.sha256 or "", {}).items():
            size = len(found.blobs[0]) if found.blobs else 0
            if not size or (len(found.blobs) > 1 and any(len(b) != size for b in found.blobs)):
                vecs = _modality(found)  # none, or of several sizes: as it comes
                if vecs is not None:
                    out[i][modality] = vecs
                continue
            stacked = found.pooled is not None and len(found.pooled) == size
            plan.append((i, modality, found, stacked))
            parts = blobs[modality, size]
            parts[0].extend(found.blobs)
            if stacked and found.pooled is not None:
                parts[1].append(found.pooled)
    matrices = {key: [np.frombuffer(b"".join(parts), dtype="<f4").reshape(-1, key[1] // 4) for parts in pair]
                for key, pair in blobs.items()}
    at: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for i, modality, found, stacked in plan:
        key = (modality, len(found.blobs[0]))
        (matrix, pooled_matrix), (chunk_at, pooled_at) = matrices[key], at[key]
        n = len(found.blobs)
        out[i][modality] = Vectors(matrix=matrix[chunk_at:chunk_at + n], chunks=found.chunks,  # read once: no copy
                                   pooled=pooled_matrix[pooled_at] if stacked else _vector(found.pooled))
        at[key] = [chunk_at + n, pooled_at + stacked]
    return out


def _vector(blob: bytes | None) -> np.ndarray | None:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32) if blob is not None else None


def _modality(found: _Found) -> Vectors | None:
    if not found.blobs:
        return None
    matrix = np.stack([np.frombuffer(b, dtype="<f4") for b in found.blobs]).astype(np.float32)
    return Vectors(matrix=matrix, chunks=list(found.chunks), pooled=_vector(found.pooled))


_MEDIA_TYPES = {m.value: m for m in MediaType}


def _media_type(value: str | None) -> MediaType:
    """MediaType(value or "text"), by a dict (the Enum's own lookup costs a few seconds a million calls)."""
    return _MEDIA_TYPES.get(value or "text") or MediaType(value or "text")


def _item(row: PoolRow, vectors: dict[str, Vectors], arts: Mapping[str, Any]) -> Item:
    words = arts.get("text") or arts.get("transcript") or ""
    if not words.strip() and "ocr" in arts:  # a poster's or a silent video's only words are those printed in it
        words = arts["ocr"] or ""
    return Item(
        submission_id=row.id, external_id=row.external_id or row.id, media_type=_media_type(row.media_type),
        duration=row.duration, created_at=row.created_at.timestamp(), quality=quality(row),
        text=vectors.get("text"), transcript=vectors.get("transcript"), frames=vectors.get("frames"), words=words,
    )


def quality(row: PoolRow) -> float:
    """Higher for more pixels and a higher bitrate: picks the best copy in a duplicate group."""
    pixels = (row.width or 0) * (row.height or 0)
    duration = row.duration or 0
    bitrate = (row.size or 0) * 8 / duration if duration else 0
    return math.log1p(pixels) + 0.1 * math.log1p(bitrate)


def _fingerprint(row: PoolRow, arts: Mapping[str, Any]) -> Fingerprint:
    data = arts.get("fingerprints") or {}
    words = arts.get("text") or arts.get("transcript") or ""
    return Fingerprint(
        submission_id=row.id, media_type=_media_type(row.media_type), sha256=row.sha256 or "",
        frames=[(float(t), int(h, 16)) for t, h in data.get("frames", [])],
        audio=_uint32(data.get("audio")),
        minhash=(np.frombuffer(base64.b64decode(data["minhash"]), dtype="<u8").astype(np.uint64)
                 if data.get("minhash") else None),
        text_len=len(words), duration=row.duration,
        has_speech=bool(words.strip()) if row.media_type in ("audio", "video") else None,
        audio_bands=_uint32(data.get("audio_bands")),
    )


def _uint32(encoded: str | None) -> np.ndarray | None:
    return np.frombuffer(base64.b64decode(encoded), dtype="<u4").astype(np.uint32) if encoded else None
