"""Damaged copies of every fixture, ingested in one batch: each ends ready or refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutants import write_mutants
from triage import runtime
from triage.config import Settings
from triage.ingest.runner import ingest
from triage.ingest.sources import from_paths
from triage.store.callouts import upsert_callout

SEED = 3  # on the code before it, this set gave an IndexError from a damaged GIF and a server path in a message


@pytest.mark.slow
def test_damaged_files_are_ready_or_refused_with_a_reason_and_no_server_path(settings: Settings,
                                                                            tmp_path: Path) -> None:
    paths = write_mutants(tmp_path / "mutants", 150, SEED)
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "m", title="Mutants", brief="Damaged copies of the fixtures.")
    analyse = runtime.analyser(settings, runtime.encoders(settings))
    results = ingest(store, "m", list(from_paths([tmp_path / "mutants"])), analyse,
                     max_file_bytes=settings.max_file_bytes)
    assert len(results) == len(paths)
    unclean = [(Path(r.source).name, r.status, r.error) for r in results
               if r.status not in ("ready", "rejected") or (r.status == "rejected" and not r.error)
               or str(tmp_path) in (r.error or "")]
    assert not unclean
    assert {r.status for r in results} == {"ready", "rejected"}  # the damage is neither all fatal nor all harmless
