"""The public surface for notebooks (triage.open_archive): the same answers as the CLI's --json, by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import triage
from triage.config import Settings
from triage.errors import ConfigError, NotFound
from triage.scoring.dedup import DedupParams
from triage.service.search import search
from triage.service.shortlist import shortlist
from triage.service.views import submission_dict
from triage.store.submissions import lookup

from ..conftest import MEDIA, ingested


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


def test_an_archive_loads_a_pool_once_for_its_calls_and_sees_every_write(settings: Settings,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from triage.service import cache as cache_module

    loads: list[str | None] = []
    real = cache_module.load_pool
    monkeypatch.setattr(cache_module, "load_pool", lambda session, callout_id, **k: (
        loads.append(callout_id), real(session, callout_id, **k))[1])
    ingested(settings, "story.txt", "lyrics.md").close()
    archive = triage.open_archive(settings.data_dir, whisper_model="fake", text_model="fake", clip_model="fake",
                                  models_dir=settings.models_dir)
    first = archive.shortlist("lawn", limit=5)
    archive.clusters("lawn")
    archive.search("fox", callout_id="lawn")
    assert loads == ["lawn"]
    done = archive.ingest("lawn", paths=[MEDIA / "good" / "latin1.txt"], allow_outside=True)
    assert done["summary"]["by_status"] == {"ready": 1}
    again = archive.shortlist("lawn", limit=5)
    assert len(again["items"]) == len(first["items"]) + 1
    assert again == shortlist(archive.store, archive.models(), "lawn", limit=5)  # as a fresh computation gives it


def test_the_public_names_load_on_first_use() -> None:
    assert set(triage.__all__) == {"Archive", "open_archive", "open_corpus"}
    assert triage.Archive.__name__ == "Archive" and callable(triage.open_corpus)


def _archive(settings: Settings) -> triage.Archive:
    return triage.open_archive(settings.data_dir, whisper_model="fake", text_model="fake", clip_model="fake",
                               models_dir=settings.models_dir)


def test_a_notebook_makes_callouts_ingests_and_reads_a_piece_without_internal_modules(settings: Settings,
                                                                                    tmp_path: Path) -> None:
    archive = _archive(settings)
    made = archive.create_callout("lawn", title="Lawn", brief="Stories about foxes, dogs and rivers.")
    assert (made["id"], made["title"], made["brief"]) == ("lawn", "Lawn", "Stories about foxes, dogs and rivers.")
    again = archive.create_callout("lawn", title="The lawn")  # as `triage callouts create`: updates what is given
    assert (again["title"], again["brief"]) == ("The lawn", made["brief"])
    listed = tmp_path / "callouts.json"
    listed.write_text(json.dumps([{"id": "river", "title": "River", "brief": "Water."}, {"id": "sea"}]))
    assert [c["id"] for c in archive.import_callouts(listed)] == ["river", "sea"]
    listed.write_text(json.dumps([{"id": "pond"}, {"id": "bad id!"}]))
    with pytest.raises(ConfigError, match="bad id"):
        archive.import_callouts(listed)
    assert "pond" not in {c["id"] for c in archive.callouts()}  # every entry checked before any is written

    done = archive.ingest("lawn", paths=[MEDIA / "good" / n for n in ("story.txt", "lyrics.md", "photo.jpg")])
    assert done["callout"] == "lawn" and done["summary"] == {"total": 3, "by_status": {"ready": 3},
                                                             "by_action": {"added": 3}}
    assert {r["status"] for r in done["results"]} == {"ready"} and all(r["submission_id"] for r in done["results"])
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"path": str(MEDIA / "good" / "story.txt"), "external_id": "flamingo"}) + "\n")
    (again_done,) = archive.ingest("river", manifest=manifest, allow_outside=True)["results"]
    assert (again_done["status"], again_done["action"], again_done["external_id"]) == ("ready", "reused", "flamingo")
    with pytest.raises(ConfigError):
        archive.ingest("lawn")  # neither files nor a manifest
    with pytest.raises(NotFound):
        archive.ingest("nowhere", paths=[MEDIA / "good" / "story.txt"])
    assert archive.search("fox", callout_id="lawn")["items"]  # the indexes were brought up to date

    piece = archive.piece("flamingo")
    with archive.store.db.session() as session:  # what `triage show --json` prints
        assert piece == submission_dict(session, lookup(session, "flamingo", None))
    assert piece["status"] == "ready" and piece["callout"] == "river" and "flamingo" in piece["text"]
    photo = next(r["submission_id"] for r in done["results"] if r["source"].endswith("photo.jpg"))
    poster = archive.file(photo, "poster")
    assert poster is not None and poster.is_file() and poster.is_relative_to(settings.data_dir)
    assert archive.file("flamingo", "poster") is None
    with pytest.raises(NotFound):
        archive.piece("no-such-piece")


def test_a_notebook_draws_the_pool_map(settings: Settings) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ingested(settings, "story.txt", "lyrics.md", "latin1.txt").close()
    archive = _archive(settings)
    archive.decide([archive.shortlist("lawn", limit=1)["items"][0]["submission_id"]], "starred", by="test")
    before = set(plt.get_fignums())
    found = archive.map_figure("lawn")
    try:
        assert found == archive.pool_map("lawn") and found["count"] == 3
        (new,) = set(plt.get_fignums()) - before  # a 7x5 in figure of its own
        ax = plt.figure(new).axes[0]
        assert ax.get_title().startswith("lawn: 3 pieces") and ax.get_legend() is not None  # the starred piece
        fig, mine = plt.subplots()
        assert archive.map_figure("lawn", mine) == found and mine.collections  # or on the caller's Axes
    finally:
        plt.close("all")


TEXTS = {"fox1": "The quick brown fox jumps over the lazy dog by the river bank every single morning in spring.",
         "fox2": "The quick brown fox jumps over the lazy dog by the river bank every single morning in spring!",
         "soup": "Slowly stir the onion soup and add a spoon of butter, then bake the bread for the dinner table.",
         "code": "The compiler rejects my program because the software expects a pointer, not an integer value."}


def _corpus(root: Path) -> Path:
    (root / "media").mkdir(parents=True)
    lines = []
    for ext, text in TEXTS.items():
        (root / "media" / f"{ext}.txt").write_text(text)
        lines.append(json.dumps({"external_id": ext, "path": f"media/{ext}.txt", "title": ext}))
    (root / "submissions.jsonl").write_text("\n".join(lines) + "\n")
    (root / "callouts.json").write_text(json.dumps([{"id": "animals", "title": "Animals", "brief": "Foxes and dogs."},
                                                    {"id": "food", "title": "Food", "brief": "Cooking soup."}]))
    (root / "truth.json").write_text(json.dumps({
        "category": {"fox1": "animals", "fox2": "animals", "soup": "food", "code": "computers"},
        "duplicate_groups": [["fox1", "fox2"]], "relevant": {"animals": ["animals"], "food": ["food"]},
        "spoken": TEXTS}))
    return root


def test_a_notebook_evaluates_a_corpus_and_studies_the_duplicate_bar(settings: Settings, tmp_path: Path) -> None:
    corpus = triage.open_corpus(_corpus(tmp_path / "corpus"))
    assert corpus.relevant_ids("animals") == {"fox1", "fox2"}
    archive = _archive(settings)
    report = archive.evaluate(corpus)  # what `triage eval --json` prints
    assert {c["callout"] for c in report["callouts"]} == {"animals", "food"}
    assert report["average"]["ingest"]["by_status"] == {"ready": 4} and report["data_dir"] == str(settings.data_dir)
    assert report["average"]["duplicates"]["recall"] == 1.0
    with pytest.raises(ConfigError, match="fresh archive"):
        archive.evaluate(tmp_path / "corpus")  # the figures must start from nothing
    # the archive keeps the corpus: its answers can be studied after
    assert {"fox1", "fox2"} in [set(g["members"]) for g in archive.duplicates()["groups"]]
    pairs = archive.duplicate_evidence()  # each piece once, though filed under both call-outs
    assert len(pairs) == 6 and {p["kind"] for p in pairs} == {"minhash"}
    for p in pairs:
        assert p["a"] < p["b"] and p["bar"] == DedupParams().text_min
        assert (p["similarity"] >= p["bar"]) == ((p["a"], p["b"]) == ("fox1", "fox2"))
    assert archive.duplicate_evidence("food") == pairs  # the corpus went to every call-out
