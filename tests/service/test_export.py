"""`triage export`: the chosen pieces as files in shortlist order, a sheet and a timeline, all or nothing."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import opentimelineio as otio
import pytest

from tests.conftest import MEDIA
from triage import runtime
from triage.config import Settings
from triage.errors import ConfigError, NotFound, ProcessingFailed
from triage.ingest.runner import ingest
from triage.ingest.sources import from_manifest
from triage.service import timeline
from triage.service.decisions import record
from triage.service.export import SHEET, export
from triage.store.callouts import upsert_callout
from triage.store.store import Store


@pytest.fixture
def store(settings: Settings, tmp_path: Path) -> Store:
    """A call-out with a video, a recording, a story and its re-typed copy; three of them decided on."""
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Front Lawn Freaks", brief="someone talking on a lawn")
    story = (MEDIA / "good" / "story.txt").read_text(encoding="utf-8")
    (tmp_path / "again.txt").write_text(story.upper(), encoding="utf-8")
    lines = [{"path": str(MEDIA / "good" / "speech.mp4"), "external_id": "v/1", "title": "=HYPERLINK(\"x\")"},
             {"path": str(MEDIA.parent / "speech" / "fox.wav"), "external_id": "a1", "contributor": "Ana"},
             {"path": str(MEDIA / "good" / "story.txt"), "external_id": "t1"},
             {"path": "again.txt", "external_id": "t1-copy"}]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    results = ingest(store, "lawn", list(from_manifest(tmp_path / "m.jsonl", allow_outside=True)),
                     runtime.analyser(settings, runtime.encoders(settings)), max_file_bytes=settings.max_file_bytes)
    ids = {r.external_id: r.submission_id for r in results}
    assert all(r.status == "ready" for r in results)
    with store.db.session() as session:
        record(session, ids["v/1"], "shortlisted", note="+ great opening", by="cora")
        record(session, ids["a1"], "shortlisted", note=None, by="cora")
        record(session, ids["t1"], "rejected", note=None, by="cora")
    return store


def _sheet(folder: Path) -> list[dict[str, str]]:
    with open(folder / SHEET, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_the_shortlisted_pieces_are_copied_in_order_with_a_sheet(store: Store, settings: Settings,
                                                                  tmp_path: Path) -> None:
    out = export(store, runtime.query_encoders(settings), "lawn", tmp_path / "episode-1")
    assert out["count"] == out["files"] == 2
    rows = _sheet(tmp_path / "episode-1")
    assert [r["rank"] for r in rows] == ["1", "2"] and {r["external_id"] for r in rows} == {"v/1", "a1"}
    files = sorted(p.name for p in (tmp_path / "episode-1").iterdir())
    assert files == sorted([SHEET, timeline.FILE, *(r["file"] for r in rows)])
    video = next(r for r in rows if r["external_id"] == "v/1")
    assert video["file"].endswith("-v_1.mp4") and video["media_type"] == "video"
    assert (tmp_path / "episode-1" / video["file"]).read_bytes() == (MEDIA / "good" / "speech.mp4").read_bytes()
    assert video["title"] == "'=HYPERLINK(\"x\")" and video["note"] == "'+ great opening"  # text, not formulas
    assert video["decided_by"] == "cora" and video["decision"] == "shortlisted"
    song = next(r for r in rows if r["external_id"] == "a1")
    assert song["file"].endswith(".wav") and song["contributor"] == "Ana" and float(song["duration"]) > 0


def test_the_export_has_a_selects_timeline_of_the_moments(store: Store, settings: Settings, tmp_path: Path) -> None:
    """The video and the recording, in rank order, each cut to its moment; the files it names lie beside it."""
    out = export(store, runtime.query_encoders(settings), "lawn", tmp_path / "cut")
    assert out["timeline"] == timeline.FILE and out["on_timeline"] == 2
    rows = _sheet(tmp_path / "cut")
    line = otio.adapters.read_from_file(str(tmp_path / "cut" / timeline.FILE))
    video, audio = line.tracks
    by_rank = [r["file"] for r in rows]
    assert [c.name for c in audio.find_clips()] == by_rank  # both pieces have sound
    assert [c.name for c in video.find_clips()] == [r["file"] for r in rows if r["media_type"] == "video"]
    for clip in line.find_clips():
        row = next(r for r in rows if r["file"] == clip.name)
        assert (tmp_path / "cut" / clip.media_reference.target_url).is_file()
        assert clip.metadata["triage"]["external_id"] == row["external_id"]
        if row["media_type"] == "video":  # the submitter's words as they are: the sheet's formula guard is the sheet's
            assert clip.metadata["triage"]["title"] == '=HYPERLINK("x")' and row["title"].startswith("'=")
        used = clip.source_range
        assert 0 <= used.start_time.to_seconds() < used.end_time_exclusive().to_seconds() \
            <= float(row["duration"]) + 0.04
        if row["moment_start"]:  # the moment lies inside the cut
            assert used.start_time.to_seconds() <= float(row["moment_start"]) + 0.04
            assert float(row["moment_end"]) <= used.end_time_exclusive().to_seconds() + 0.04
    export(store, runtime.query_encoders(settings), "lawn", tmp_path / "sheet-only", with_media=False)
    assert not (tmp_path / "sheet-only" / timeline.FILE).exists()  # no files, nothing to cut


def test_any_decision_exports_the_whole_shortlist_once_per_duplicate_group(store: Store, settings: Settings,
                                                                           tmp_path: Path) -> None:
    export(store, runtime.query_encoders(settings), "lawn", tmp_path / "all", decision=None, with_media=False)
    rows = _sheet(tmp_path / "all")
    assert len(rows) == 3 and all(r["file"] == "" for r in rows)  # the story and its copy are one entry
    story = next(r for r in rows if r["external_id"] in ("t1", "t1-copy"))
    assert story["duplicates"] in ("t1", "t1-copy") and story["duplicates"] != story["external_id"]
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [SHEET]


def test_an_export_never_mixes_with_a_folder_or_leaves_half_of_itself(store: Store, settings: Settings,
                                                                      tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    models = runtime.query_encoders(settings)
    (tmp_path / "taken.partial").mkdir()  # a folder of the user's that an export must never touch
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "cut.edl").write_text("mine")
    with pytest.raises(ConfigError, match="not an empty folder"):
        export(store, models, "lawn", tmp_path / "taken")
    with pytest.raises(NotFound):
        export(store, models, "nope", tmp_path / "x")

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", broken)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProcessingFailed, match="No space left on device; nothing was exported"):
        export(store, models, "lawn", tmp_path / "empty")
    assert [p.name for p in tmp_path.iterdir() if "empty" in p.name] == ["empty"]  # no partial folder left
    assert not any((tmp_path / "empty").iterdir()) and (tmp_path / "taken.partial").is_dir()
