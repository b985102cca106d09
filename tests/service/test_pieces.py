"""What `triage show` and `Archive.piece` tell of one piece (service/pieces.py, `shown`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MEDIA
from triage import runtime
from triage.config import Settings
from triage.errors import NotFound
from triage.ingest.runner import ingest
from triage.ingest.sources import from_manifest
from triage.service.pieces import shown
from triage.store.callouts import upsert_callout


def test_a_piece_is_found_by_id_or_external_id_and_only_in_the_callout_named(settings: Settings,
                                                                           tmp_path: Path) -> None:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn")
        upsert_callout(session, "river")
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"path": str(MEDIA / "good" / "story.txt"), "external_id": "fox"}) + "\n")
    ingest(store, "lawn", list(from_manifest(manifest, allow_outside=True)),
           runtime.analyser(settings, runtime.encoders(settings)), max_file_bytes=10**9)

    piece = shown(store, "fox")
    assert (piece["external_id"], piece["callout"], piece["status"]) == ("fox", "lawn", "ready") and piece["text"]
    assert shown(store, piece["submission_id"]) == piece
    assert shown(store, "fox", "lawn") == piece
    with pytest.raises(NotFound):
        shown(store, "fox", "river")  # a call-out named is the only place looked in
    with pytest.raises(NotFound):
        shown(store, "no-such-piece")
