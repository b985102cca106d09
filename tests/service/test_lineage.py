"""Lineage end to end with the real matchers: texts ingested, matched against the archive, read as a graph; the
credits survive a restart, a rebuild, a re-score and a duplicate verdict; erasure and platform assets remove edges."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from tests.conftest import triage_cmd
from triage import runtime
from triage.config import Settings
from triage.ingest.runner import ingest
from triage.ingest.sources import Source
from triage.service.lineage import lineage, mark_asset
from triage.service.lineage_update import forget_archive, rebuild_lineage, update_lineage
from triage.store.callouts import upsert_callout
from triage.store.store import Store

SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "sha", "dor", "fin", "gal", "hem", "jus")


def _words(rng: random.Random, n: int) -> str:
    """Made-up words from a vocabulary of thousands, so unrelated texts share no more than chance allows."""
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(n))


def _pieces(folder: Path) -> dict[str, tuple[Path, str]]:
    """A poem, a story quoting 35 of its words, a later piece quoting the story's own words and the poem's, and
    one that borrows nothing. Name -> (file, contributor)."""
    rng = random.Random(7)
    poem = _words(rng, 60)
    story_own = _words(rng, 40)
    pieces = {
        "poem": f"A poem\n{poem}\n",
        "story": f"It began like this. {story_own}. Then the poem: {' '.join(poem.split()[10:45])}. The end.\n",
        "sequel": f"A sequel of my own. {_words(rng, 60)} Then the story: {story_own}. Nothing else.\n",
        "plain": "Nothing borrowed at all, a few words about the morning and a dog.\n",
    }
    folder.mkdir()
    out = {}
    for i, (name, text) in enumerate(pieces.items()):
        path = folder / f"{name}.txt"
        path.write_text(text)
        out[name] = (path, ["ann", "bob", "cy", "dee"][i])
    return out


def _ingest(store: Store, settings: Settings, pieces: dict[str, tuple[Path, str]], names: list[str]) -> None:
    analyse = runtime.analyser(settings, runtime.encoders(settings))
    for name in names:  # one at a time: each arrives after the ones before, as uploads do
        path, contributor = pieces[name]
        done = ingest(store, "lawn", [Source(str(path), path, external_id=name, contributor=contributor)], analyse,
                      max_file_bytes=10**6)
        update_lineage(store, [r.sha256 for r in done if r.sha256])


@pytest.fixture
def archive(settings: Settings, tmp_path: Path) -> Store:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="anything")
    forget_archive(store)
    _ingest(store, settings, _pieces(tmp_path / "in"), ["poem", "story", "sequel", "plain"])
    return store


def _sources(found: dict) -> list[str]:
    return [b["external_id"] for b in found["builds_on"]]


def _credits(found: dict) -> dict[str, float]:
    return {c["contributor"]: c["share"] for c in found["credits"]}


def test_a_quote_is_an_edge_with_ranges_share_and_credits(archive: Store) -> None:
    story = lineage(archive, "story")
    assert _sources(story) == ["poem"]
    edge = story["builds_on"][0]
    assert edge["kind"] == "text" and edge["contributor"] == "ann" and 0.2 < edge["share"] < 0.8
    assert edge["range"][1] > edge["range"][0] and "poem" in edge["evidence"] and "story" in edge["evidence"]
    assert set(_credits(story)) == {"bob", "ann"} and sum(_credits(story).values()) == pytest.approx(1.0, abs=1e-3)
    assert [u["external_id"] for u in lineage(archive, "poem")["used_by"]] == ["story"]
    assert lineage(archive, "plain")["builds_on"] == [] and _credits(lineage(archive, "plain")) == {"dee": 1.0}


def test_credits_reach_back_through_a_source_of_a_source(archive: Store) -> None:
    sequel = lineage(archive, "sequel")
    assert "story" in _sources(sequel)
    assert {"cy", "bob"} <= set(_credits(sequel))
    assert sum(_credits(sequel).values()) == pytest.approx(1.0, abs=1e-3)


def test_credits_survive_a_restart_a_rebuild_a_rescore_and_a_verdict(archive: Store, settings: Settings) -> None:
    before = lineage(archive, "sequel")
    archive.close()
    store = runtime.open_store(settings)
    forget_archive(store)
    assert lineage(store, "sequel") == before
    assert rebuild_lineage(store)["reuses"] >= 2
    assert lineage(store, "sequel") == before
    from triage.service.duplicates import set_override
    from triage.service.rescore import rescore

    rescore(store, runtime.encoders(settings), "lawn")
    ids = {name: lineage(store, name)["submission"]["submission_id"] for name in ("story", "poem")}
    set_override(store, ids["story"], ids["poem"], "not_duplicate", "cora")  # what they are: no change
    assert lineage(store, "sequel") == before


def test_an_erased_source_makes_no_edge(archive: Store, settings: Settings) -> None:
    from triage.service.erase import erase

    erase(archive, submissions=["poem"], index_dir=settings.resolved_index_dir)
    story = lineage(archive, "story")
    assert story["builds_on"] == [] and _credits(story) == {"bob": 1.0}
    assert (archive.data_dir / "lineage" / "sound" / "generation").is_file()  # a saved sound index dropped


def test_a_platform_asset_makes_no_edges_marked_before_or_after(settings: Settings, tmp_path: Path) -> None:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="anything")
    forget_archive(store)
    rng = random.Random(11)
    theme = _words(rng, 40)
    folder = tmp_path / "assets"
    folder.mkdir()
    pieces = {}
    for name, text in (("theme", theme), ("one", f"First. {_words(rng, 60)} {theme}"),
                       ("two", f"Second. {_words(rng, 60)} {theme}")):
        (folder / f"{name}.txt").write_text(text)
        pieces[name] = (folder / f"{name}.txt", name)
    _ingest(store, settings, pieces, ["theme", "one", "two"])
    assert "theme" in _sources(lineage(store, "two"))
    mark_asset(store, "theme", "cora")  # after matching: masked when read
    assert lineage(store, "two")["builds_on"] == [] and lineage(store, "one")["used_by"] == []
    assert lineage(store, "theme")["platform_asset"] is True
    rebuild_lineage(store)  # matched again while marked: still masked
    assert lineage(store, "two")["builds_on"] == []
    mark_asset(store, "theme", "cora", marked=False)
    assert "theme" in _sources(lineage(store, "two"))


def test_the_cli_prints_the_contract(archive: Store, cli_env: dict[str, str]) -> None:
    archive.close()
    done = subprocess.run([*triage_cmd(), "lineage", "story", "--json"], env=cli_env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert set(found) >= {"submission", "builds_on", "used_by", "credits"}
    assert set(found["builds_on"][0]) >= {"external_id", "contributor", "kind", "source_range", "range", "share",
                                          "evidence"}
    marked = subprocess.run([*triage_cmd(), "lineage", "asset", "poem"], env=cli_env, capture_output=True, text=True)
    assert marked.returncode == 0 and "is a platform asset" in marked.stdout
    missing = subprocess.run([*triage_cmd(), "lineage", "nope"], env=cli_env, capture_output=True, text=True)
    assert missing.returncode != 0 and "no submission" in missing.stderr


def test_a_piece_not_ready_has_no_lineage_yet(archive: Store) -> None:
    from triage.domain import Status
    from triage.errors import Conflict
    from triage.store.submissions import lookup, set_status

    with archive.db.session() as session:
        set_status(lookup(session, "plain"), Status.PROCESSING)
    with pytest.raises(Conflict, match="once it is ready"):
        lineage(archive, "plain")
    story = lineage(archive, "story")
    assert story["builds_on"][0]["submission_id"] == lineage(archive, "poem")["submission"]["submission_id"]


def _one_video(settings: Settings) -> tuple[Store, str]:
    """A store holding one ingested talking video, and its content's hash."""
    from tests.conftest import MEDIA

    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="anything")
    done = ingest(store, "lawn", [Source("speech.mp4", MEDIA / "good" / "speech.mp4")],
                  runtime.analyser(settings, runtime.encoders(settings)), max_file_bytes=10**9)
    return store, str(done[0].sha256)


def test_fingerprints_made_by_an_older_recipe_are_made_again(settings: Settings) -> None:
    from sqlalchemy import select

    from triage.service.lineage_prints import FRAMES, MADE_BY, PEAKS, prints_of
    from triage.store.schema import Artifact

    store, sha = _one_video(settings)
    first = prints_of(store, [sha])[sha]
    assert first.track is not None and len(first.track.times) > 0 and first.peaks is not None

    def models() -> dict[str, str]:
        with store.db.session() as session:
            return {a.kind: a.model for a in session.scalars(select(Artifact).where(Artifact.sha256 == sha,
                                                                                   Artifact.kind.in_((PEAKS, FRAMES))))}

    assert models() == MADE_BY
    with store.db.session() as session:
        session.execute(Artifact.__table__.update().where(Artifact.sha256 == sha, Artifact.kind == FRAMES)
                        .values(model="frames-1"))
    again = prints_of(store, [sha])[sha]
    assert models() == MADE_BY and again.track is not None and len(again.track.times) == len(first.track.times)


def test_a_copy_is_a_duplicate_not_a_remix_unless_a_curator_says_otherwise(settings: Settings, tmp_path: Path) -> None:
    from triage.service.duplicates import set_override

    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="anything")
    forget_archive(store)
    text = _words(random.Random(13), 60)
    folder = tmp_path / "copies"
    folder.mkdir()
    (folder / "first.txt").write_text(f"{text}\n")
    (folder / "again.txt").write_text(f"{text}.\n")  # retyped: other bytes, the same words
    _ingest(store, settings, {n: (folder / f"{n}.txt", n) for n in ("first", "again")}, ["first", "again"])
    assert lineage(store, "again")["builds_on"] == []
    ids = [lineage(store, n)["submission"]["submission_id"] for n in ("first", "again")]
    set_override(store, ids[0], ids[1], "not_duplicate", "cora")
    assert _sources(lineage(store, "again")) == ["first"]


def test_the_picture_index_reads_a_merged_videos_track_from_its_stored_fingerprint(settings: Settings) -> None:
    import numpy as np

    from triage.service.lineage_prints import prints_of, stored_track

    store, sha = _one_video(settings)
    made = prints_of(store, [sha])[sha].track
    read = stored_track(store, sha)
    assert made is not None and read is not None and len(read.times) > 0
    assert all(np.array_equal(getattr(read, name), getattr(made, name))
               for name in ("times", "plain", "mirrored", "centre", "blank", "upper", "upper_mirrored", "centre_upper"))
    assert stored_track(store, "0" * 64) is None  # none stored (erased, or never a video)
