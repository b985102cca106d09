"""The public surface for notebooks (triage.open_archive): the same answers as the CLI's --json, by name."""

from __future__ import annotations

import triage
from triage.config import Settings
from triage.service.search import search
from triage.service.shortlist import shortlist

from ..conftest import ingested


def test_a_notebook_opens_an_archive_and_asks_it_what_the_cli_would(settings: Settings) -> None:
    ingested(settings, "story.txt", "lyrics.md", "latin1.txt").close()
    archive = triage.open_archive(settings.data_dir, whisper_model="fake", text_model="fake", clip_model="fake",
                                  models_dir=settings.models_dir)
    assert [c["id"] for c in archive.callouts()] == ["lawn"] and archive.callouts()[0]["submissions"] == 3
    models = archive.models()
    assert archive.models() is models  # loaded once
    assert archive.shortlist("lawn", limit=2) == shortlist(archive.store, models, "lawn", limit=2)
    hits = archive.search("fox", callout_id="lawn")
    assert hits["items"] and hits == search(archive.store, models, "fox", callout_id="lawn",
                                            index_dir=settings.resolved_index_dir)
    first = hits["items"][0]["submission_id"]
    assert first not in {i["submission_id"] for i in archive.similar(first, callout_id="lawn")["items"]}
    assert archive.duplicates("lawn")["groups"] == []
    assert {p["submission_id"] for p in archive.pool_map("lawn")["points"]} == \
        {i["submission_id"] for i in archive.shortlist("lawn", limit=10)["items"]}
    assert archive.clusters("lawn")["clusters"]
    done = archive.decide([first], "shortlisted", by="notebook")
    assert done.submission_ids == (first,) and done.decided_by == "notebook"
    assert [i["submission_id"] for i in archive.shortlist("lawn", decision="shortlisted")["items"]] == [first]


def test_the_public_names_load_on_first_use() -> None:
    assert set(triage.__all__) == {"Archive", "open_archive"}
    assert triage.Archive.__name__ == "Archive"
