"""Recompute derived data after a model changes: only the stages that depend on it, for ready contents."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select

from triage.domain import Status
from triage.encoders.base import Encoders
from triage.errors import ConfigError, InvalidSubmission, ModelUnavailable
from triage.ingest.engine import Analyse, AnalysisEngine, LocalEngine, Outcome, Request, run_all
from triage.ingest.save import save_analysis
from triage.pipeline import FINGERPRINTS_MODEL, STAGES, text_vectors_model
from triage.store.artifacts import artifacts, transcript_of
from triage.store.schema import Content, Submission, Vector
from triage.store.store import Store

log = logging.getLogger(__name__)

# A stage's output feeds these later stages, so they are recomputed with it.
DEPENDENTS = {"transcripts": ("text", "fingerprints"), "ocr": ("text",)}


def with_dependents(stages: tuple[str, ...]) -> tuple[str, ...]:
    wanted = set(stages)
    for stage in stages:
        wanted.update(DEPENDENTS.get(stage, ()))
    return tuple(s for s in STAGES if s in wanted)


def stale_stages(store: Store, sha256: str, models: Encoders) -> tuple[str, ...]:
    """Stages whose stored output was made by another model than the configured one (or is missing). Pictures
    analysed before OCR existed get their printed words with `--only ocr` (or with any rerun of "text")."""
    stale = []
    with store.db.session() as session:
        found = artifacts(session, sha256)
        content = session.get(Content, sha256)
        has_audio = bool(content and content.probe and content.probe.get("has_audio"))
        transcript = found.get("transcript")
        if has_audio and models.transcriber is not None and (transcript is None
                                                             or transcript.model != models.transcriber.name):
            stale.append("transcripts")
        text_models = set(session.scalars(select(Vector.model).where(Vector.sha256 == sha256, Vector.space == "text")))
        if text_models and text_models != {text_vectors_model(models.text)}:
            stale.append("text")
        visual = found.get("visual")
        if visual is not None and models.clip is not None and visual.model != models.clip.name:
            stale.append("visual")
        if "fingerprints" not in found or found["fingerprints"].model != FINGERPRINTS_MODEL:
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
            query = query.where(Content.sha256.in_(
                select(Submission.sha256).where(Submission.callout_id == callout_id)))
        return list(session.scalars(query.order_by(Content.sha256)))


def reprocess_all(store: Store, plan: Iterable[tuple[str, tuple[str, ...]]], engine: AnalysisEngine,
                  on_done: Callable[[ReprocessResult], None] | None = None) -> list[ReprocessResult]:
    """Rerun the planned stages of each stored original on `engine`; other stages' stored results stay.

    A file whose analysis fails keeps its rows and gets its reason in the result; a missing model or a bad
    setting stops the run (every later file would fail the same way).
    """
    results: list[ReprocessResult] = []
    planned: dict[str, tuple[str, ...]] = {}

    def done(result: ReprocessResult) -> None:
        results.append(result)
        if on_done:
            on_done(result)

    def requests() -> Iterator[Request]:
        for sha256, stages in plan:
            if not stages:
                done(ReprocessResult(sha256, ()))
                continue
            with store.db.session() as session:
                stored = transcript_of(session, sha256)
            planned[sha256] = stages
            yield Request(sha256, store.files.original_path(sha256), stages, stored)

    def collect(outcome: Outcome) -> None:
        stages, error = planned.pop(outcome.sha256), outcome.error
        if isinstance(error, ModelUnavailable | ConfigError):
            raise error
        if error is None and outcome.analysis is not None:
            save_analysis(store, outcome.sha256, outcome.analysis)
        elif not isinstance(error, InvalidSubmission):
            log.error("reprocessing %s failed:\n%s", outcome.sha256, outcome.trace or repr(error))
        # e.g. the decoder changed its mind about an old file, or a worker died: say so, keep the rows
        done(ReprocessResult(outcome.sha256, stages, None if error is None else str(error) or type(error).__name__))

    run_all(engine, requests(), collect)
    return results


def reprocess_one(store: Store, sha256: str, stages: tuple[str, ...], analyse: Analyse) -> ReprocessResult:
    """Rerun `stages` on one stored original, here and now."""
    return reprocess_all(store, [(sha256, stages)], LocalEngine(analyse))[0]
