"""Hostile audio and video that pass the first checks: each is refused or bounded, never decoded blindly."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.media.hostile import (
    copies_of_one_video,
    declared_samples_mp4,
    ffmpeg,
    huge_frame_midway,
    many_tracks_mkv,
    needs_ffmpeg,
    one_packet_of_pcm,
    plain_wav,
    resolution_change,
    understated_duration,
)
from triage.domain import MediaLimits
from triage.errors import InvalidSubmission, TooLarge, UnsupportedMedia
from triage.media import decode, probe
from triage.media.mp4_index import index_entries
from triage.media.video import sample_frames

ROOT = Path(__file__).resolve().parents[2]


def _probe_and_decode(path: Path, limits: MediaLimits) -> None:
    decode(path, probe(path, limits), limits)


@needs_ffmpeg
@pytest.mark.parametrize("kind", ["ts", "mkv", "webm"])
def test_a_stream_that_grows_past_the_pixel_limit_midway_is_too_large(kind, tmp_path):
    # Only the first frame's size used to be checked: a stream that switched to a larger size at a later
    # keyframe (its header still saying 320x240) was decoded at that size and accepted.
    path = resolution_change(tmp_path, kind, later="640x480")
    limits = replace(MediaLimits(), max_pixels=100_000)
    _probe_and_decode(path, replace(limits, max_pixels=400_000))  # both sizes allowed: accepted
    with pytest.raises(TooLarge, match=r"640x480 pixels \(307.2 thousand\); the limit is 100 thousand") as err:
        _probe_and_decode(path, limits)
    assert str(tmp_path) not in str(err.value)


# Peak memory from VmHWM, which exec resets: ru_maxrss would start from the test process's own peak.
_MEASURE = """
import json, sys
from pathlib import Path
from triage.domain import MediaLimits
from triage.media import decode, probe
from triage.media.video import sample_frames
path, limits = Path(sys.argv[1]), MediaLimits(max_pixels=10_000_000)
try:
    decode(path, probe(path, limits), limits)
    outcome = "accepted"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
status = open("/proc/self/status").read().split("VmHWM:")[1].split()
print(json.dumps({"outcome": outcome, "peak_mb": int(status[0]) // 1024}))
"""


def _measured(path: Path, max_pixels: int = 40_000_000) -> dict:
    """Probe and decode in a fresh process: the outcome and the process's peak memory."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path), str(max_pixels)], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout)


@needs_ffmpeg
def test_a_huge_frame_midway_is_refused_before_the_decoder_allocates_it(tmp_path):
    # An 8000x8000 frame (64 million pixels) after a second of 320x240: FFmpeg used to allocate it (and more)
    # before anything looked; with the cap the decoder refuses it first. Measured in a fresh process.
    result = _measured(huge_frame_midway(tmp_path, "8000x8000"), max_pixels=10_000_000)
    assert result["outcome"].startswith("TooLarge") and "8000x8000" in result["outcome"], result
    assert result["peak_mb"] < 250, result  # 475 MB before the cap, about 75 MB with it


@needs_ffmpeg
def test_a_video_far_longer_than_it_says_keeps_a_bounded_number_of_frames(tmp_path, limits):
    # 1500 keyframes in a file that says it lasts 1 s: the sampler spaced its candidates for 1 s, so it kept
    # every keyframe, each a 320x240 RGB array (947 MB for 3000 of them, from an 816 KB file).
    path = understated_duration(tmp_path, seconds=60)
    assert probe(path, limits).duration == pytest.approx(1.0)
    frames, blanks = sample_frames(path, "matroska", "a Matroska (MKV) video", 1.0, 16, limits)
    assert not frames and 0 < len(blanks) <= 10 * 16  # a few per wanted frame; every one of the 1500 before
    assert blanks[-1].time > 30  # still spread over what the file really holds


@pytest.mark.parametrize("tracks", [33, 2000])
def test_a_file_with_too_many_tracks_is_refused(tracks, tmp_path, limits):
    path = many_tracks_mkv(tmp_path / "tracks.mkv", tracks)
    with pytest.raises(TooLarge, match="more than 32 tracks"):
        probe(path, limits)
    assert probe(many_tracks_mkv(tmp_path / "two.mkv", 2), limits).notes == ("2 audio tracks: only one is used",)


@needs_ffmpeg
def test_many_video_tracks_are_refused_before_ffmpeg_decodes_each_one(tmp_path, limits):
    # FFmpeg opens a decoder and decodes frames of every stream while opening a file: 300 copies of one
    # 320x240 track (a 9 MB file) cost 411 MB, and 999 tiny ones 850 MB, before anything was checked.
    result = _measured(copies_of_one_video(tmp_path, 300))
    assert result["outcome"].startswith("TooLarge") and "more than 32 tracks" in result["outcome"], result
    assert result["peak_mb"] < 250, result
    (tmp_path / "mp4").mkdir()
    with pytest.raises(TooLarge, match="more than 32 tracks"):  # MP4 and AVI fail to open instead
        probe(copies_of_one_video(tmp_path / "mp4", 40, "mp4"), limits)


@pytest.mark.parametrize(("channels", "rate"), [(9, 48_000), (64, 768_000)])
def test_many_channels_without_a_layout_are_mixed_down(channels, rate, tmp_path, limits):
    # FFmpeg cannot mix channels that have no speaker positions past 8 of them: a plain 9-channel WAV was
    # rejected as "truncated or corrupt WAV: Failed to configure output pad on auto_aresample_0".
    path = plain_wav(tmp_path / "many.wav", channels, rate, 0.25)
    decoded = decode(path, probe(path, limits), limits)
    assert decoded.audio is not None and len(decoded.audio) == pytest.approx(4000, abs=200)
    assert 0.15 < float(abs(decoded.audio).max()) < 0.35  # the tone, averaged, not noise or silence


def test_a_sample_rate_nothing_can_convert_is_refused_with_that_reason(tmp_path, limits):
    path = plain_wav(tmp_path / "absurd.wav", 1, 2**31 - 1, 0.0005)
    with pytest.raises(UnsupportedMedia, match=r"1 channel at 2,147,483,647 Hz\) cannot be converted to 16 kHz"):
        decode(path, probe(path, limits), limits)


@pytest.mark.parametrize("stated_ms", [None, 1000.0])
def test_minutes_of_sound_in_one_packet_are_refused_before_decoding(stated_ms, tmp_path, limits):
    # The decode cap is checked between packets: a file saying it lasts 1 s whose one packet held ten
    # minutes of PCM (58 MB) was decoded whole, at 740 MB, and accepted.
    path = one_packet_of_pcm(tmp_path / "block.mkv", 200, stated_ms)
    with pytest.raises(InvalidSubmission, match=r"audio track has a 18.3 MB packet, more than the 16.0 MB"):
        decode(path, probe(path, limits), limits)


def test_a_wav_at_a_gigahertz_is_read_in_small_packets(tmp_path):
    # FFmpeg sizes WAV packets from the sample rate: at 1 GHz the whole 48 MB file was one packet, and
    # decoding it took 600 MB.
    path = plain_wav(tmp_path / "fast.wav", 1, 1_000_000_000, 0.024)
    result = _measured(path)
    assert result["outcome"] == "accepted", result
    assert result["peak_mb"] < 300, result


def test_hours_of_sound_at_one_hertz_in_one_small_packet_are_not_resampled_whole(tmp_path):
    # A 40 KB packet holds 20,000 samples at 1 Hz: 5.5 hours, 320 million samples at 16 kHz. The decode cap
    # (the stated 1 s) was checked after the packet, so resampling it whole took 1.25 GB.
    result = _measured(one_packet_of_pcm(tmp_path / "slow.mkv", 20_000, stated_ms=1000.0, rate=1))
    assert result["peak_mb"] < 300, result


@needs_ffmpeg
@pytest.mark.parametrize("audio", [False, True])
def test_an_mp4_index_declaring_millions_of_samples_is_refused_before_ffmpeg_builds_it(audio, tmp_path):
    # A 3 KB file whose sample-size box declares 80 million samples: FFmpeg's MP4 reader took 1 GB building the
    # index while opening it. The count is read from the boxes first. Measured in a fresh process.
    result = _measured(declared_samples_mp4(tmp_path, 80_000_000, audio=audio))
    assert result["outcome"].startswith("TooLarge") and "80,000,000 samples" in result["outcome"], result
    assert result["peak_mb"] < 250, result  # 1 GB before the check


@needs_ffmpeg
def test_long_uncompressed_audio_in_a_mov_is_not_mistaken_for_an_index_bomb(tmp_path, limits):
    # PCM in QuickTime declares one sample per sound sample (28.8 million for 10 minutes at 48 kHz), but FFmpeg
    # indexes it by chunk, so it costs nothing and must pass; a real video's count is far below the bar.
    ffmpeg("-f", "lavfi", "-i", "sine=duration=600:sample_rate=48000", "-c:a", "pcm_s16le", tmp_path / "pcm.mov")
    assert index_entries(tmp_path / "pcm.mov") < 100
    assert probe(tmp_path / "pcm.mov", limits).duration == pytest.approx(600, abs=1)
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=3", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           "-movflags", "frag_keyframe+empty_moov", "-g", "10", tmp_path / "frag.mp4")
    assert index_entries(tmp_path / "frag.mp4") == 30  # fragments count too: their runs hold the samples
