"""An installation with something of every kind in it (for the backup and erasure tests): media of each type
from three contributors, one file sent by two of them, decisions with notes, timed notes, votes, an assignment,
a duplicate verdict, a kept copy, an exemplar, tokens, jobs, kept scores and built indexes."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import MEDIA
from triage import runtime
from triage.api.tokens import create_token
from triage.config import Settings
from triage.ingest.runner import ingest
from triage.ingest.sources import from_manifest
from triage.service import notes, votes
from triage.service.decisions import record
from triage.service.index import sync_all
from triage.service.rescore import rescore
from triage.store.callouts import set_exemplar, upsert_callout
from triage.store.schema import Assignment, DuplicateKeep, DuplicateOverride, Job, Submission
from triage.store.store import Store

ANA = "Ana Erasmus-Quill"  # the contributor the erasure tests erase: a name found nowhere else
# (file name in the manifest's folder, source, external id, contributor, title)
PIECES = [
    ("ana-lawn-video.mp4", MEDIA / "good" / "speech.mp4", "ana-ext-video", ANA, "Ana's lawn video"),
    ("ana-fox-song.wav", MEDIA.parent / "speech" / "fox.wav", "ana-ext-fox", ANA, "Ana's fox song"),
    ("ana-story.txt", MEDIA / "good" / "story.txt", "ana-ext-story", ANA, "Ana's tiny story"),
    ("ana-shared-copy.wav", MEDIA / "good" / "speech.wav", "ana-ext-shared", ANA, "Ana's shared copy"),
    ("ben-speech.wav", MEDIA / "good" / "speech.wav", "ben-ext-speech", "Ben", "Ben talks"),
    ("cleo-photo.jpg", MEDIA / "good" / "photo.jpg", "cleo-ext-photo", "Cleo", "Cleo's photo"),
]
ANA_NOTE = "Ana's piece: keep the quiet opening"
ANA_DECISION_NOTE = "the fox line lands"


@dataclass
class Installation:
    store: Store
    ids: dict[str, str]  # external id -> submission id
    tokens: dict[str, str]  # name -> plain token


def populate(settings: Settings, folder: Path) -> Installation:
    """Ingest PIECES into the call-out "lawn" and give each kind of curator data something to hold."""
    store = runtime.open_store(settings)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, source, external_id, contributor, title in PIECES:
        shutil.copyfile(source, folder / name)
        lines.append({"path": name, "external_id": external_id, "contributor": contributor, "title": title})
    (folder / "batch.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Front Lawn Freaks", brief="foxes, dogs and people talking on a lawn")
    models = runtime.encoders(settings)
    results = ingest(store, "lawn", list(from_manifest(folder / "batch.jsonl")), runtime.analyser(settings, models),
                     max_file_bytes=settings.max_file_bytes)
    assert all(r.status == "ready" for r in results), [(r.external_id, r.error) for r in results]
    ids = {str(r.external_id): str(r.submission_id) for r in results}
    video, fox, ben, photo = ids["ana-ext-video"], ids["ana-ext-fox"], ids["ben-ext-speech"], ids["cleo-ext-photo"]
    tokens = {}
    with store.db.session() as session:
        record(session, video, "shortlisted", note=None, by="cora")
        record(session, fox, "starred", note=ANA_DECISION_NOTE, by="cora")
        record(session, ben, "shortlisted", note="Ben's is fine", by="cora")
        record(session, photo, "rejected", note=None, by="dan")
        notes.add(session, video, ANA_NOTE, author="cora", at=0.5)
        notes.add(session, ben, "Ben: clear voice", author="cora")
        votes.cast(session, video, 5, voter="cora")
        votes.cast(session, ben, 3, voter="dan")
        session.add(Assignment(callout_id="lawn", submission_id=fox, assignee="dan", assigned_by="ada"))
        session.add(Assignment(callout_id="lawn", submission_id=photo, assignee="cora", assigned_by="ada"))
        a, b = sorted((video, ben))
        session.add(DuplicateOverride(submission_a=a, submission_b=b, verdict="not_duplicate", decided_by="cora"))
        session.add(DuplicateKeep(submission_id=ids["ana-ext-shared"], decided_by="cora"))
        session.add(DuplicateKeep(submission_id=photo, decided_by="cora"))
        row = session.get(Submission, video)
        assert row is not None
        set_exemplar(session, "lawn", row, True)
        for name, role in (("ada", "admin"), ("cora", "curator"), ("sam", "submitter")):
            tokens[name] = create_token(session, name, role)[1]
        sha = session.get(Submission, fox).sha256  # type: ignore[union-attr]
        # as the server's jobs leave them: an upload's, and a reprocess whose errors name a piece
        session.add(Job(kind="process_upload", callout_id="lawn", status="done", params={
            "sha256": sha, "name": "ana-fox-song.wav", "submission_id": fox,
            "result": {"sha256": sha, "status": "ready", "error": None}}))
        session.add(Job(kind="reprocess", status="done", params={
            "only": ["text"], "result": {"recomputed": 1, "errors": [f"{sha}: a model hiccup"]}}))
    rescore(store, runtime.query_encoders(settings), "lawn")
    sync_all(store, settings.resolved_index_dir, exact_max=settings.exact_search_max)
    return Installation(store, ids, tokens)
