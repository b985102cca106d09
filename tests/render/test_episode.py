"""The episode's rough cut, rendered with real FFmpeg from small generated inputs and read back."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import opentimelineio as otio
import pytest

from triage.errors import BadRequest, ProcessingFailed
from triage.programmes.plan import CreditLine, Placed, RenderPlan, RenderSettings
from triage.render import ffmpeg, loudness, staging
from triage.render.episode import render_episode

SETTINGS = RenderSettings(width=320, height=180, image_s=2.0, min_text_card_s=2.0, section_card_s=1.0, credits_s=2.0)
TEXT = "one two three four five six seven eight nine ten"


def _make(args: list[str], out: Path) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    return {
        "video": _make(["-f", "lavfi", "-i", "testsrc=s=640x360:r=30:d=4", "-f", "lavfi", "-i", "sine=f=440:d=4",
                        "-af", "volume=-3dB", "-c:v", "libx264", "-preset", "ultrafast", "-shortest"], d / "v.mp4"),
        "silent": _make(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-c:v", "libx264", "-preset",
                         "ultrafast"], d / "silent.mp4"),
        "audio": _make(["-f", "lavfi", "-i", "sine=f=300:d=3", "-af", "volume=-25dB"], d / "a.wav"),
        "image": _make(["-f", "lavfi", "-i", "testsrc=s=200x300:d=1", "-frames:v", "1"], d / "i.png"),
    }


def _plan(media: dict[str, Path], **changes: object) -> RenderPlan:
    pieces = (
        Placed("v1", "Video one", "Ann", "video", media["video"], 4.0, 0.5, 3.5, heading="Part one"),
        Placed("s1", "Silent", "Bob", "video", media["silent"], 3.0, 0.0, 3.0),
        Placed("a1", "Song", "Cy", "audio", media["audio"], 3.0, 1.0, 3.0, words="la la la"),
        Placed("t1", "Poem", "Di", "text", None, 0.0, 2, 9, words=TEXT),
        Placed("i1", "Pic", "Ed", "image", media["image"], 0.0, 0.0, 0.0),
    )
    credits = (CreditLine("Ann", 0.6, ("Video one",)), CreditLine("Bob", 0.4, ("Silent",), role="builds on"))
    plan = RenderPlan("p1", "Episode one", "episode", pieces, credits, SETTINGS)
    return replace(plan, **changes)  # type: ignore[arg-type]


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith((".out", "out"))]


def test_rough_cut_length_loudness_and_timeline(media: dict[str, Path], tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    done = render_episode(_plan(media), tmp_path / "out", lambda f, m: seen.append((f, m)))
    cut = tmp_path / "out" / "rough-cut.mp4"
    # section 1 + video 3 + silent video 3 + sound 2 + text 7 words at 2.5/s + image 2 + credits 2
    expected = 1.0 + 3.0 + 3.0 + 2.0 + 7 / 2.5 + 2.0 + 2.0
    assert abs(ffmpeg.duration(cut) - expected) <= 1 / SETTINGS.fps
    assert done.duration_s is not None and abs(done.duration_s - expected) <= 1 / SETTINGS.fps
    assert set(done.files) == {"rough-cut.mp4", "rough-cut.otio", "cut.json"}
    measured = loudness.measure(cut)
    assert abs(measured.integrated_lufs - (-16.0)) <= 1.0
    assert measured.true_peak_db <= -1.0
    assert done.warnings == ()
    assert ffmpeg.has_stream(cut, "video") and ffmpeg.has_stream(cut, "audio")
    errors = subprocess.run(["ffmpeg", "-v", "error", "-i", str(cut), "-f", "null", "-"], capture_output=True,
                            text=True).stderr
    assert errors.strip() == ""  # the joined streams decode cleanly

    line = otio.adapters.read_from_file(str(tmp_path / "out" / "rough-cut.otio"))
    video = line.tracks[0]
    assert [item.name for item in video] == ["Part one", "Video one", "Silent", "Song", "Poem", "Pic",
                                             "credits 1 of 1"]
    first = next(c for c in line.find_clips() if c.name == "Video one")
    assert first.source_range.start_time.to_seconds() == pytest.approx(0.5, abs=0.05)
    assert first.media_reference.target_url.endswith("v.mp4")
    assert line.duration().to_seconds() == pytest.approx(expected, abs=1 / SETTINGS.fps)
    sound = [c.name for c in line.tracks[1].find_clips()]
    assert sound == ["Video one", "Song"]

    rows = json.loads((tmp_path / "out" / "cut.json").read_text())["segments"]
    assert [r["kind"] for r in rows] == ["section", "piece", "piece", "card", "card", "piece", "credits"]
    assert [r["submission_id"] for r in rows if r["submission_id"]] == ["v1", "s1", "a1", "t1", "i1"]
    assert rows[-1]["end"] == pytest.approx(expected, abs=1 / SETTINGS.fps)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(m == "piece 3 of 5" for _, m in seen)
    assert _leftovers(tmp_path) == ["out"]


def test_corrupt_file_mid_plan_leaves_nothing(media: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    plan = _plan(media)
    pieces = list(plan.pieces)
    pieces.insert(2, Placed("b1", "Broken clip", "Fay", "video", bad, 3.0, 0.0, 2.0))
    with pytest.raises(ProcessingFailed, match="Broken clip"):
        render_episode(replace(plan, pieces=tuple(pieces)), tmp_path / "out")
    assert _leftovers(tmp_path) == []


def test_undecodable_sound_mid_render_leaves_nothing(media: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + bytes(range(256)) * 40)
    plan = _plan(media)
    pieces = list(plan.pieces)
    pieces.insert(3, Placed("b2", "Broken song", "Fay", "audio", bad, 3.0, 0.0, 2.0))  # after three segments
    seen: list[str] = []
    with pytest.raises(ProcessingFailed, match="Broken song"):
        render_episode(replace(plan, pieces=tuple(pieces)), tmp_path / "out", lambda f, m: seen.append(m))
    assert "piece 3 of 6" in seen  # it failed mid-render, after segments were written
    assert _leftovers(tmp_path) == []


def test_failed_render_keeps_the_older_output(media: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "rough-cut.mp4").write_bytes(b"old")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    plan = _plan(media, pieces=(Placed("b1", "Broken", "Fay", "video", bad, 3.0, 0.0, 2.0),))
    with pytest.raises(ProcessingFailed):
        render_episode(plan, tmp_path / "out")
    assert (tmp_path / "out" / "rough-cut.mp4").read_bytes() == b"old"
    assert _leftovers(tmp_path) == ["out"]


def test_in_point_past_end(media: dict[str, Path], tmp_path: Path) -> None:
    late = Placed("v9", "Late start", "Gus", "video", media["video"], 4.0, 7.5, 9.0)
    with pytest.raises(BadRequest, match=r"Late start.*7\.50.*4\.00"):
        render_episode(_plan(media, pieces=(late,)), tmp_path / "out")
    assert _leftovers(tmp_path) == []


def test_plan_problems_are_bad_requests(media: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="no pieces"):
        render_episode(_plan(media, pieces=()), tmp_path / "out")
    gone = Placed("m1", "Missing one", "Hal", "audio", tmp_path / "nowhere.wav", 3.0, 0.0, 2.0)
    with pytest.raises(BadRequest, match="Missing one"):
        render_episode(_plan(media, pieces=(gone,)), tmp_path / "out")
    text = Placed("t2", "Short text", "Ida", "text", None, 0.0, 50, 60, words=TEXT)
    with pytest.raises(BadRequest, match="Short text"):
        render_episode(_plan(media, pieces=(text,)), tmp_path / "out")
    assert _leftovers(tmp_path) == []


def test_near_silent_cut_warns_rather_than_fails(media: dict[str, Path], tmp_path: Path) -> None:
    text = Placed("t1", "Poem", "Di", "text", None, 0.0, 0, 4, words=TEXT)
    done = render_episode(_plan(media, pieces=(text,)), tmp_path / "out")
    assert abs((done.duration_s or 0) - 4.0) <= 1 / SETTINGS.fps  # a 2 s text card (its minimum) + 2 s credits
    assert any("loudness" in w for w in done.warnings)


def test_staged_folder_replaces_and_cleans(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    with staging.staged(dest) as folder:
        assert folder.parent == tmp_path and folder.name.startswith(".out.partial-")
        (folder / "a").write_text("first")
    with staging.staged(dest) as folder:
        (folder / "b").write_text("second")
    assert sorted(p.name for p in dest.iterdir()) == ["b"]
    with pytest.raises(RuntimeError), staging.staged(dest) as folder:
        (folder / "c").write_text("third")
        raise RuntimeError("boom")
    assert sorted(p.name for p in dest.iterdir()) == ["b"]
    assert _leftovers(tmp_path) == ["out"]
