"""Ingested without visual weights, a video stays usable and gets its frame vectors later from a reprocess job."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import MEDIA
from tests.encoders.test_clip_real import tiny_checkpoint  # noqa: F401  (the fixture)
from triage import runtime
from triage.config import Settings
from triage.ingest.runner import ingest
from triage.ingest.sources import Source
from triage.jobs import queue
from triage.jobs.worker import run_inline
from triage.store import artifacts as art
from triage.store.callouts import upsert_callout
from triage.store.schema import Vector

pytestmark = pytest.mark.real_models


def test_frames_get_visual_vectors_once_weights_exist(settings: Settings, tiny_checkpoint: Path) -> None:  # noqa: F811
    settings.clip_model = "ViT-B-32"  # real architecture, no weights installed here
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="anything")
    models = runtime.encoders(settings)
    assert models.clip is None
    [result] = ingest(store, "lawn", [Source("speech.mp4", MEDIA / "good" / "speech.mp4")],
                      runtime.analyser(settings, models), max_file_bytes=10**9)
    assert result.status == "ready" and result.sha256
    with store.db.session() as session:
        visual = art.artifacts(session, result.sha256)["visual"]
        assert (visual.data or {}).get("state") == "pending"
        assert not list(session.scalars(select(Vector).where(Vector.space == "clip")))
        assert list(session.scalars(select(Vector).where(Vector.space == "text")))  # usable through its words

    settings.clip_model, settings.clip_checkpoint = "TriageTiny-CLIP", tiny_checkpoint
    job_id = queue.enqueue(store.db, "reprocess", params={"only": ["visual"]})
    job = run_inline(store, job_id, settings=settings)
    assert job["status"] == "done", job["error"]
    assert job["result"]["recomputed"] == 1
    with store.db.session() as session:
        visual = art.artifacts(session, result.sha256)["visual"]
        assert (visual.data or {}).get("state") == "ready" and visual.model
        frames = list(session.scalars(select(Vector).where(Vector.space == "clip", Vector.kind == "frame")))
        assert frames and all(v.start is not None for v in frames)
        assert list(session.scalars(select(Vector).where(Vector.space == "text")))  # words untouched
