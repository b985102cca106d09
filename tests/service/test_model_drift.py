"""Stored pieces whose vectors another model made (scoring leaves them out) are counted per space, from an index."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from tests.conftest import ingested
from triage import runtime
from triage.config import Settings
from triage.ingest import reprocess as rp
from triage.service.model_drift import model_drift
from triage.store.db import Database
from triage.store.schema import Vector
from triage.store.store import Store

PIECES = ("story.txt", "lyrics.md", "photo.jpg")  # two with words, one with pixels only


def drift(store: Store, settings: Settings) -> dict[str, Any]:
    with store.db.session() as session:
        return {space: d.to_dict() for space, d in model_drift(session, runtime.encoder_names(settings)).items()}


def test_nothing_is_stale_while_the_models_match(settings: Settings) -> None:
    assert drift(ingested(settings, *PIECES), settings) == {
        "text": {"configured": "fake-text-256", "contents": 2, "stale_contents": 0, "stored_by": []},
        "clip": {"configured": "fake-clip", "contents": 1, "stale_contents": 0, "stored_by": []},
    }


def test_another_text_model_finds_every_piece_with_words_stale_until_reprocessed(settings: Settings) -> None:
    store = ingested(settings, *PIECES)
    joined = settings.model_copy(update={"text_model": "fake+fake"})
    assert drift(store, joined) == {
        "text": {"configured": "fake-text-256+fake-text-256", "contents": 2, "stale_contents": 2,
                 "stored_by": ["fake-text-256"]},
        "clip": {"configured": "fake-clip", "contents": 1, "stale_contents": 0, "stored_by": []},
    }
    with store.db.session() as session:
        first, *_ = sorted(set(session.scalars(select(Vector.sha256).where(Vector.space == "text"))))
    analyse = runtime.analyser(joined, runtime.encoders(joined))
    assert rp.reprocess_one(store, first, ("text",), analyse).error is None
    assert drift(store, joined)["text"]["stale_contents"] == 1  # half-way through a reprocess
    assert drift(store, settings)["text"] == {"configured": "fake-text-256", "contents": 2, "stale_contents": 1,
                                              "stored_by": ["fake-text-256+fake-text-256"]}


def test_an_empty_archive_has_nothing_stale(settings: Settings) -> None:
    store = runtime.open_store(settings)
    assert drift(store, settings)["text"] == {"configured": "fake-text-256", "contents": 0, "stale_contents": 0,
                                              "stored_by": []}


def test_the_count_reads_an_index_not_the_vectors(database_url: str) -> None:
    # The health check runs it on every probe: on a big archive, a scan of the vectors table would take seconds.
    db = Database(database_url)
    sent: list[tuple[str, Any]] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, parameters, _context, _many: sent.append((statement, parameters)))
    with db.session() as session:
        model_drift(session, {"text": "a", "clip": "b"})
    [(statement, parameters)] = [(s, p) for s, p in sent if "vectors" in s]
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            plan = str(connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all())
            assert "USING COVERING INDEX ix_vectors_pooled_model" in plan, plan
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")  # an empty table is read whole otherwise
            plan = str(connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all())
            assert "Index Only Scan using ix_vectors_pooled_model" in plan, plan
    db.close()
