"""`triage doctor` finds what is wrong with a data dir and repairs what it safely can."""

from __future__ import annotations

import json
import shutil
import subprocess

from tests.conftest import ingested, triage_cmd
from triage.config import Settings
from triage.jobs.doctor import examine
from triage.store.schema import Submission


def _check(settings: Settings, repair: bool = False) -> list:
    from triage import runtime

    store = runtime.open_store(settings)
    try:
        return examine(store, settings.resolved_index_dir, repair=repair, exact_max=settings.exact_search_max)
    finally:
        store.close()


def test_a_healthy_data_dir_has_nothing_wrong(settings: Settings) -> None:
    ingested(settings, "story.txt", "speech.mp3").close()
    assert _check(settings) == []


def test_leftovers_are_found_and_removed_and_a_damaged_original_is_named(settings: Settings) -> None:
    store = ingested(settings, "story.txt", "speech.mp3")
    (store.files.tmp / "half-an-upload").write_bytes(b"x" * 10)
    stray = store.files.original_path("ab" * 32)
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"no row knows me")
    with store.db.session() as session:
        sha = session.query(Submission).filter(Submission.original_filename == "story.txt").one().sha256
    store.files.original_path(sha).write_bytes(b"not the story any more")
    store.close()
    found = _check(settings)
    assert {f.check for f in found} == {"leftovers", "originals"} and not any(f.repaired for f in found)
    assert "damaged" in next(f.problem for f in found if f.check == "originals")
    repaired = _check(settings, repair=True)
    assert next(f for f in repaired if f.check == "leftovers").repaired
    assert not next(f for f in repaired if f.check == "originals").repaired  # only a backup brings it back
    assert [f.check for f in _check(settings)] == ["originals"]


def test_a_damaged_index_is_rebuilt_and_a_half_way_submission_handed_to_a_job(settings: Settings,
                                                                              cli_env: dict[str, str]) -> None:
    store = ingested(settings, "story.txt", "lyrics.md")
    from triage.service.index import sync_all

    sync_all(store, settings.resolved_index_dir, exact_max=settings.exact_search_max)
    index = settings.resolved_index_dir / "text.faiss"
    damaged = bytearray(index.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    index.write_bytes(bytes(damaged))
    with store.db.session() as session:
        session.query(Submission).filter(Submission.original_filename == "lyrics.md").one().status = "processing"
    store.close()
    done = subprocess.run([*triage_cmd(), "doctor", "--json"], env=cli_env, capture_output=True, text=True)
    assert done.returncode == 1
    assert {f["check"] for f in json.loads(done.stdout)["findings"]} == {"indexes", "submissions"}
    fixed = subprocess.run([*triage_cmd(), "doctor", "--repair"], env=cli_env, capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "repaired" in fixed.stdout
    again = subprocess.run([*triage_cmd(), "doctor", "--json"], env=cli_env, capture_output=True, text=True)
    assert json.loads(again.stdout)["findings"] == []  # the submission waits for its job now: not stuck


def test_a_saved_lineage_index_that_cannot_be_loaded_is_named_and_removed(settings: Settings) -> None:
    from tests.service.test_picture_snapshot import _built
    from triage.lineage.frame_track import FrameTrack
    from triage.service import lineage_saved, picture_snapshot

    store = ingested(settings, "story.txt")
    saved = lineage_saved._pictures_dir(store)
    stored: dict[str, FrameTrack] = {}
    index = _built(store.files.tmp / "scratch", stored)
    assert picture_snapshot.save(index, saved, lineage_saved._pictures_recipe(), since="")
    index.close()
    shutil.rmtree(store.files.tmp / "scratch")
    store.close()
    assert _check(settings) == []  # a snapshot the next process loads is no problem
    part = next(p for p in saved.iterdir() if p.is_dir())
    (part / "times.bin").write_bytes(b"cut short")
    found = _check(settings)
    assert [f.check for f in found] == ["indexes"] and "saved picture index" in found[0].problem
    assert _check(settings, repair=True)[0].repaired
    assert not (saved / "snapshot.json").exists() and not [p for p in saved.iterdir() if p.is_dir()]
    assert _check(settings) == []
