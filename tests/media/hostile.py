"""Builders of small hostile audio/video files, made at test time (ffmpeg for the encoded ones)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the ffmpeg command is not installed")


def ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def _x264(size: str, seconds: float, rate: int, out: Path, *extra: str) -> None:
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *extra, out)


def resolution_change(tmp: Path, kind: str, later: str = "640x480") -> Path:
    """A video that starts at 320x240 and switches to `later` after a second; its header states 320x240.

    kind: "ts" (two H.264 transport streams one after the other), "mkv" (the same stream copied into
    Matroska) or "webm" (two VP8 WebM files joined by ffmpeg's concat demuxer).
    """
    if kind == "webm":
        for name, size in (("a", "320x240"), ("b", later)):
            ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=10:duration=1", "-c:v", "libvpx",
                   "-deadline", "realtime", "-cpu-used", "8", tmp / f"{name}.webm")
        (tmp / "list.txt").write_text("file a.webm\nfile b.webm\n")
        ffmpeg("-f", "concat", "-safe", "0", "-i", tmp / "list.txt", "-c", "copy", tmp / "switch.webm")
        return tmp / "switch.webm"
    _x264("320x240", 1, 10, tmp / "a.ts")
    _x264(later, 1, 10, tmp / "b.ts", "-output_ts_offset", "1")
    joined = tmp / "switch.ts"
    joined.write_bytes((tmp / "a.ts").read_bytes() + (tmp / "b.ts").read_bytes())
    if kind == "ts":
        return joined
    ffmpeg("-i", joined, "-c", "copy", tmp / "switch.mkv")
    return tmp / "switch.mkv"


def huge_frame_midway(tmp: Path, size: str = "8000x8000") -> Path:
    """A second of 320x240 H.264 video, then one flat grey frame of `size` (a few hundred KB in all)."""
    _x264("320x240", 1, 10, tmp / "a.ts")
    ffmpeg("-f", "lavfi", "-i", f"color=c=gray:size={size}:rate=1:duration=1", "-c:v", "libx264",
           "-preset", "ultrafast", "-crf", "51", "-pix_fmt", "yuv420p", "-output_ts_offset", "1", tmp / "b.ts")
    joined = tmp / "huge_midway.ts"
    joined.write_bytes((tmp / "a.ts").read_bytes() + (tmp / "b.ts").read_bytes())
    return joined


def set_mkv_duration(path: Path, milliseconds: float) -> None:
    """Overwrite the duration a Matroska file states (its Segment Info Duration element) in place."""
    data = bytearray(path.read_bytes())
    at = data.find(b"\x44\x89")
    assert at > 0 and data[at + 2] == 0x88, "no 8-byte Duration element"
    data[at + 3:at + 11] = struct.pack(">d", milliseconds)
    path.write_bytes(bytes(data))


def understated_duration(tmp: Path, seconds: int = 60, colour: str = "black") -> Path:
    """Every frame a keyframe for `seconds` seconds (25 fps), in a Matroska file that says it lasts one second."""
    path = tmp / "understated.mkv"
    ffmpeg("-f", "lavfi", "-i", f"color=c={colour}:size=320x240:rate=25:duration={seconds}", "-c:v", "libx264",
           "-preset", "ultrafast", "-g", "1", path)
    set_mkv_duration(path, 1000.0)
    return path
