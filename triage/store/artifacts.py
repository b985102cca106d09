"""Derived data per content: artifacts (transcripts, files, fingerprints) and vectors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from triage.domain import Embedding, Transcript
from triage.store.rows import batches
from triage.store.schema import Artifact, Vector


def put_artifact(session: Session, sha256: str, kind: str, *, model: str = "", path: str | None = None,
                 data: dict[str, Any] | None = None) -> None:
    """Insert or replace the artifact of this kind for this content."""
    session.execute(delete(Artifact).where(Artifact.sha256 == sha256, Artifact.kind == kind))
    session.add(Artifact(sha256=sha256, kind=kind, model=model, path=path, data=data))


def artifacts(session: Session, sha256: str) -> dict[str, Artifact]:
    return {a.kind: a for a in session.scalars(select(Artifact).where(Artifact.sha256 == sha256))}


def artifacts_by_sha(session: Session, shas: Iterable[str], kinds: tuple[str, ...]) -> dict[str, dict[str, Artifact]]:
    """{sha256: {kind: artifact}} of the given kinds for many contents."""
    out: dict[str, dict[str, Artifact]] = {}
    for batch in batches(shas):
        for row in session.scalars(select(Artifact).where(Artifact.sha256.in_(batch), Artifact.kind.in_(kinds))):
            out.setdefault(row.sha256, {})[row.kind] = row
    return out


def transcript_of(session: Session, sha256: str) -> Transcript | None:
    row = session.scalar(select(Artifact).where(Artifact.sha256 == sha256, Artifact.kind == "transcript"))
    if row is None or not row.data:
        return None
    return Transcript.from_dict(row.data)


def replace_vectors(session: Session, sha256: str, space: str, embeddings: list[Embedding]) -> None:
    """Swap every vector of one content in one space for the given ones."""
    session.execute(delete(Vector).where(Vector.sha256 == sha256, Vector.space == space))
    for e in embeddings:
        c = e.chunk
        session.add(Vector(
            sha256=sha256, space=e.space, source=e.source, kind=e.kind, ordinal=e.ordinal, model=e.model,
            char_start=c.char_start if c else None, char_end=c.char_end if c else None,
            start=c.start if c else None, end=c.end if c else None, snippet=c.text if c and c.text else None,
            vector=np.asarray(e.vector, dtype="<f4").tobytes(),
        ))
