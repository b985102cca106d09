"""The whole path with the real bundled models (Whisper tiny.en, all-MiniLM-L6-v2) on committed fixtures."""

from __future__ import annotations

import json

import pytest

from tests.conftest import MEDIA
from triage import runtime
from triage.config import Settings
from triage.ingest.runner import ingest
from triage.ingest.sources import from_paths
from triage.service.duplicates import groups
from triage.service.search import search
from triage.service.shortlist import shortlist
from triage.store.callouts import upsert_callout

pytestmark = [pytest.mark.real_models, pytest.mark.slow]

# One espeak recording of "The quick brown fox jumps over the lazy dog near the river bank." in five containers.
FOX = ("speech.mp4", "speech.mp3", "speech.wav", "speech.flac", "speech.ogg", "speech.m4a")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path_factory.mktemp("e2e") / "data")
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "wild", title="Into the Wild",
                       brief="Animals outdoors: foxes, dogs and birds by rivers and fields.")
        upsert_callout(session, "night", title="Night Moves", brief="Dancing, parties and music after dark.")
    results = ingest(store, "wild", list(from_paths([MEDIA / "good"])),
                     runtime.analyser(settings, runtime.encoders(settings)), max_file_bytes=settings.max_file_bytes)
    assert {r.status for r in results} == {"ready"}, [(r.source, r.error) for r in results if r.error]
    return settings, store, {r.source.rsplit("/", 1)[-1]: r for r in results}


def test_transcripts_are_real_words(archive) -> None:  # type: ignore[no-untyped-def]
    settings, store, by_name = archive
    from triage.store.artifacts import transcript_of
    from triage.textnorm import word_error_rate

    spoken = json.loads((MEDIA / "spoken.json").read_text())
    with store.db.session() as session:
        for name in ("speech.mp4", "speech.mp3", "speech.webm"):
            transcript = transcript_of(session, by_name[name].sha256)
            assert transcript is not None and transcript.segments
            assert word_error_rate(spoken[f"good/{name}"], transcript.text) <= 0.25, transcript.text
        silent = transcript_of(session, by_name["silent.mp4"].sha256)
        assert silent is None or not silent.text.strip()


def test_copies_are_grouped_and_look_alikes_are_not(archive) -> None:  # type: ignore[no-untyped-def]
    settings, store, by_name = archive
    found = [set(g["members"]) for g in groups(store, "wild")["groups"]]
    ext = {name: r.external_id for name, r in by_name.items()}
    # one picture saved as JPEG, PNG, WebP and rotated by EXIF; a clip and the same clip behind a black intro
    assert {ext["photo.jpg"], ext["image.png"], ext["image.webp"], ext["rotated.jpg"]} in found
    assert {ext["silent.mp4"], ext["black_intro.mp4"]} in found
    # speech.mp4 shares silent.mp4's background but says something: not a copy
    assert not any({ext["speech.mp4"], ext["silent.mp4"]} <= g for g in found)


def test_a_short_recording_in_many_containers_is_one_group(archive) -> None:  # type: ignore[no-untyped-def]
    """4.5 s clips: too short for Chromaprint alone, matched by the fine band hash."""
    settings, store, by_name = archive
    found = [set(g["members"]) for g in groups(store, "wild")["groups"]]
    copies = {by_name[n].external_id for n in FOX}
    assert any(copies <= g for g in found), found
    assert not any(by_name["speech.webm"].external_id in g and copies & g for g in found)


def test_search_finds_the_moment_and_shows_each_piece_once(archive) -> None:  # type: ignore[no-untyped-def]
    settings, store, by_name = archive
    result = search(store, runtime.query_encoders(settings), "a brown fox jumping over a lazy dog", limit=5)
    top = result["items"][0]
    fox = {by_name[n].external_id for n in FOX}
    assert top["external_id"] in fox and set(top["duplicates"]) <= fox  # one entry for the whole group
    assert top["snippet"] and "lazy dog" in top["snippet"].lower()
    assert top["media_type"] in ("audio", "video") and top["moment"] is not None
    assert top["moment"]["end"] > top["moment"]["start"] >= 0
    ids = [i["external_id"] for i in result["items"]] + [d for i in result["items"] for d in i["duplicates"]]
    assert len(ids) == len(set(ids)), "a duplicate appeared twice"


def test_shortlist_ranks_on_theme_pieces_first_with_a_reason(archive) -> None:  # type: ignore[no-untyped-def]
    settings, store, by_name = archive
    page = shortlist(store, runtime.query_encoders(settings), "wild", limit=3, diversity=0.0)
    assert page["items"] and all(0.0 <= i["score"] <= 1.0 for i in page["items"])
    assert page["items"][0]["external_id"] in {by_name[n].external_id for n in FOX}
    assert "river" in (page["items"][0]["why"]["snippet"] or "").lower()
