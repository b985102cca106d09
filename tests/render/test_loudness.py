"""Loudness measured with ebur128 and set with two-pass loudnorm, on generated tones; FFmpeg's own errors named."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from triage.errors import ProcessingFailed
from triage.render import ffmpeg, loudness

# loudnorm works at 192 kHz and these WAVs carry no channel layout: back to 48 kHz stereo
AFTER = ",aresample=48000,aformat=channel_layouts=stereo"


def _tone(path: Path, gain_db: float, seconds: float = 6.0) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=f=1000:d={seconds}:sample_rate=48000",
                    "-af", f"volume={gain_db}dB", "-ac", "2", str(path)], check=True)
    return path


def test_measure_follows_the_level(tmp_path: Path) -> None:
    loud = loudness.measure(_tone(tmp_path / "loud.wav", 0.0))
    quiet = loudness.measure(_tone(tmp_path / "quiet.wav", -10.0))
    assert loud.integrated_lufs - quiet.integrated_lufs == pytest.approx(10.0, abs=0.3)
    assert loud.true_peak_db - quiet.true_peak_db == pytest.approx(10.0, abs=0.3)
    assert loud.true_peak_db == pytest.approx(-21.07, abs=0.3)  # 1/8 of full scale, -3 dB spread to two channels


def test_two_pass_loudnorm_reaches_the_target(tmp_path: Path) -> None:
    source = _tone(tmp_path / "quiet.wav", -20.0)
    norm = loudness.loudnorm_filter(source, -16.0, -1.0)
    assert "measured_I=" in norm and "linear=true" in norm
    out = tmp_path / "out.wav"
    ffmpeg.run(["-i", str(source), "-af", norm + AFTER, str(out)], "normalising")
    measured = loudness.measure(out)
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=1.0)
    assert measured.true_peak_db <= -1.0 + 0.2


def test_silence_measures_low_and_still_gives_a_filter(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    ffmpeg.run(["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "3", str(silent)], "silence")
    assert loudness.measure(silent).integrated_lufs <= -69.0
    out = tmp_path / "out.wav"
    ffmpeg.run(["-i", str(silent), "-af", f"{loudness.loudnorm_filter(silent, -16, -1)}{AFTER}",
                str(out)], "normalising silence")
    assert ffmpeg.duration(out) == pytest.approx(3.0, abs=0.05)


def test_failures_name_what_and_why(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"nothing here")
    with pytest.raises(ProcessingFailed, match=r"^decoding junk: .*Invalid data"):
        ffmpeg.run(["-i", str(junk), str(tmp_path / "x.wav")], "decoding junk")
    with pytest.raises(ProcessingFailed, match="junk.mp4"):
        loudness.measure(junk)
    tone = _tone(tmp_path / "t.wav", 0.0, 1.0)
    assert ffmpeg.has_stream(tone, "audio") and not ffmpeg.has_stream(tone, "video")
    assert ffmpeg.duration(tone) == pytest.approx(1.0, abs=0.01)
