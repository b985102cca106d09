"""The selects timeline: each piece cut to its moment with handles, picture and sound side by side."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from triage.service.timeline import HANDLE, RATE, Select, cut, timeline


def _seconds(t: otio.opentime.RationalTime) -> float:
    return float(t.to_seconds())


def test_a_moment_is_cut_with_handles_inside_the_piece() -> None:
    assert cut(Select("a.mp4", 30.0, True, True, (10.0, 12.0))) == (10.0 - HANDLE, 12.0 + HANDLE)
    assert cut(Select("a.mp4", 5.0, True, True, (0.5, 4.5))) == (0.0, 5.0)  # never before 0 or past the end
    assert cut(Select("a.mp4", 8.0, True, False, (3.0, 3.0)), handle=1.0) == (2.0, 4.0)  # a frame: a span around it
    assert cut(Select("a.wav", 7.5, False, True)) == (0.0, 7.5)  # no moment: the whole piece
    assert cut(Select("a.wav", 7.5, False, True, (20.0, 21.0))) == (0.0, 7.5)  # past the end (stale): the whole


def test_pieces_follow_each_other_and_a_gap_stands_in_for_what_one_lacks() -> None:
    line = timeline("lawn selects", [
        Select("0001-v.mp4", 20.0, True, True, (5.0, 9.0), {"rank": 1}),
        Select("0002-a.wav", 6.0, False, True, None, {"rank": 2}),
        Select("0003-silent.mp4", 4.0, True, False, (1.0, 1.0), {"rank": 3}),
        Select("0004-empty.wav", 0.0, False, True),  # nothing to cut: left off
    ])
    video, audio = line.tracks
    assert [type(x).__name__ for x in video] == ["Clip", "Gap", "Clip"]
    assert [type(x).__name__ for x in audio] == ["Clip", "Clip", "Gap"]
    first = video[0]
    assert first.name == "0001-v.mp4" and first.media_reference.target_url == "0001-v.mp4"
    assert _seconds(first.source_range.start_time) == 5.0 - HANDLE
    assert _seconds(first.source_range.duration) == 4.0 + 2 * HANDLE
    assert first.metadata["triage"] == {"rank": 1}
    # picture and sound stay in sync: every item lasts as long on both tracks, so each piece starts at one time
    assert [_seconds(v.duration()) for v in video] == [_seconds(a.duration()) for a in audio] == [8.0, 6.0, 3.0]
    assert _seconds(line.duration()) == 17.0 and line.global_start_time.rate == RATE


def test_the_timeline_survives_a_round_trip_through_its_file_format(tmp_path: pytest.TempPathFactory) -> None:
    line = timeline("x", [Select("0001-v.mp4", 3.3, True, True, (1.0, 2.0), {"why": "a dog"})])
    back = otio.adapters.read_from_string(otio.adapters.write_to_string(line, "otio_json"), "otio_json")
    clips = list(back.find_clips())
    assert [c.name for c in clips] == ["0001-v.mp4", "0001-v.mp4"] and clips[0].metadata["triage"]["why"] == "a dog"
    assert _seconds(clips[0].available_range().duration) == pytest.approx(round(3.3 * RATE) / RATE)  # whole frames
