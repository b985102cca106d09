"""Recompute derived data after a model changes: only the stages that depend on it, for ready contents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from triage.domain import Status
from triage.errors import InvalidSubmission
from triage.ingest.save import save_analysis
from triage.pipeline import STAGES, Analysis, Encoders, text_vectors_model
from triage.store import artifacts as art
from triage.store.schema import Content, Submission, Vector
from triage.store.store import Store

# A stage's output feeds these later stages, so they are recomputed with it.
DEPENDENTS = {"transcripts": ("text", "fingerprints")}

Analyse = Callable[..., Analysis]


def with_dependents(stages: tuple[str, ...]) -> tuple[str, ...]:
    wanted = set(stages)
    for stage in stages:
        wanted.update(DEPENDENTS.get(stage, ()))
    return tuple(s for s in STAGES if s in wanted)


def stale_stages(store: Store, sha256: str, models: Encoders) -> tuple[str, ...]:
    """Stages whose stored output was made by another model than the configured one (or is missing)."""
    stale = []
    with store.db.session() as session:
        found = art.artifacts(session, sha256)
        content = session.get(Content, sha256)
        has_audio = bool(content and content.probe and content.probe.get("has_audio"))
        transcript = found.get("transcript")
        if has_audio and models.transcriber is not None and (transcript is None or transcript.model != models.transcriber.name):
            stale.append("transcripts")
        text_models = set(session.scalars(select(Vector.model).where(Vector.sha256 == sha256, Vector.space == "text")))
        if text_models and text_models != {text_vectors_model(models.text)}:
            stale.append("text")
        visual = found.get("visual")
        if visual is not None and models.clip is not None and visual.model != models.clip.name:
            stale.append("visual")
        if "fingerprints" not in found:
            stale.append("fingerprints")
    return with_dependents(tuple(stale))


@dataclass
class ReprocessResult:
    sha256: str
    stages: tuple[str, ...]
    error: str | None = None


def contents_in_scope(store: Store, callout_id: str | None) -> list[str]:
    with store.db.session() as session:
        query = select(Content.sha256).where(Content.status == Status.READY.value)
        if callout_id:
            query = query.where(Content.sha256.in_(select(Submission.sha256).where(Submission.callout_id == callout_id)))
        return list(session.scalars(query.order_by(Content.sha256)))


def reprocess_one(store: Store, sha256: str, stages: tuple[str, ...], analyse: Analyse) -> ReprocessResult:
    """Rerun `stages` on one stored original; the other stages' stored results stay as they are."""
    if not stages:
        return ReprocessResult(sha256, ())
    with store.db.session() as session:
        stored = art.transcript_of(session, sha256)
    try:
        analysis = analyse(store.files.original_path(sha256), stages=stages, stored_transcript=stored)
    except InvalidSubmission as exc:  # the decoder changed its mind about an old file: say so, keep the rows
        return ReprocessResult(sha256, stages, str(exc))
    save_analysis(store, sha256, analysis)
    return ReprocessResult(sha256, stages)
