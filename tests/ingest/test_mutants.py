"""Damaged copies of every fixture, ingested in one batch: each ends ready or refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutants import ingest_all, unclean, write_mutants
from triage.config import Settings

SEED = 3  # on the code before it, this set gave an IndexError from a damaged GIF and a server path in a message


@pytest.mark.slow
def test_damaged_files_are_ready_or_refused_with_a_reason_and_no_server_path(settings: Settings,
                                                                            tmp_path: Path) -> None:
    paths = write_mutants(tmp_path / "mutants", 150, SEED)
    results = ingest_all(settings, tmp_path / "mutants")
    assert len(results) == len(paths)
    assert not unclean(results, tmp_path)
    assert {r.status for r in results} == {"ready", "rejected"}  # the damage is neither all fatal nor all harmless
