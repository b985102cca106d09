"""Builders of small hostile audio/video files, made at test time (ffmpeg for the encoded ones)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
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


def _ebml(element_id: bytes, payload: bytes) -> bytes:
    size = len(payload)
    length = next(n for n in range(1, 9) if size < (1 << (7 * n)) - 1)
    return element_id + ((1 << (7 * length)) | size).to_bytes(length, "big") + payload


def _ebml_uint(element_id: bytes, value: int) -> bytes:
    return _ebml(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def many_tracks_mkv(path: Path, tracks: int) -> Path:
    """A one-second Matroska file declaring `tracks` 8 kHz PCM audio tracks (only the first has data); no ffmpeg."""
    header = _ebml(b"\x1a\x45\xdf\xa3", _ebml_uint(b"\x42\x86", 1) + _ebml(b"\x42\x82", b"matroska")
                   + _ebml_uint(b"\x42\x87", 4) + _ebml_uint(b"\x42\x85", 2))
    duration = _ebml(b"\x44\x89", struct.pack(">d", 1000.0))
    info = _ebml(b"\x15\x49\xa9\x66", _ebml_uint(b"\x2a\xd7\xb1", 1_000_000) + duration)
    rate = _ebml(b"\xb5", struct.pack(">d", 8000.0))
    audio = _ebml(b"\xe1", rate + _ebml_uint(b"\x9f", 1) + _ebml_uint(b"\x62\x64", 16))
    entries = b"".join(
        _ebml(b"\xae", _ebml_uint(b"\xd7", n) + _ebml_uint(b"\x73\xc5", n) + _ebml_uint(b"\x83", 2)
              + _ebml(b"\x86", b"A_PCM/INT/LIT") + audio)
        for n in range(1, tracks + 1)
    )
    blocks = b"".join(_ebml(b"\xa3", b"\x81" + struct.pack(">hB", t * 100, 0x80) + bytes(1600)) for t in range(10))
    cluster = _ebml(b"\x1f\x43\xb6\x75", _ebml_uint(b"\xe7", 0) + blocks)
    path.write_bytes(header + _ebml(b"\x18\x53\x80\x67", info + _ebml(b"\x16\x54\xae\x6b", entries) + cluster))
    return path


def copies_of_one_video(tmp: Path, copies: int, ext: str = "mkv") -> Path:
    """One second of 320x240 H.264 video, stream-copied into `copies` video tracks of one file."""
    _x264("320x240", 1, 5, tmp / "one.mkv")
    maps = [arg for _ in range(copies) for arg in ("-map", "0:v")]
    ffmpeg("-i", tmp / "one.mkv", *maps, "-c", "copy", tmp / f"copies.{ext}")
    return tmp / f"copies.{ext}"


def plain_wav(path: Path, channels: int, rate: int, seconds: float, tone_hz: float = 440.0) -> Path:
    """A 16-bit PCM WAV with no channel layout (no WAVE_FORMAT_EXTENSIBLE): a tone in every channel."""
    count = int(rate * seconds)
    tone = (8000 * np.sin(2 * np.pi * tone_hz * np.arange(count) / rate)).astype("<i2")
    data = np.repeat(tone[:, None], channels, axis=1).tobytes()
    block = 2 * channels
    fmt = struct.pack("<IHHIIHH", 16, 1, channels, rate, (rate * block) & 0xFFFFFFFF, block, 16)
    path.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" + b"fmt " + fmt
                     + b"data" + struct.pack("<I", len(data)) + data)
    return path


def one_packet_of_pcm(path: Path, seconds: float, stated_ms: float | None = None, rate: int = 48_000) -> Path:
    """A Matroska file whose whole PCM audio track (mono, at `rate`) is one packet; no ffmpeg needed."""
    import av  # the writer only; the code under test reads with its own settings

    count = int(rate * seconds)
    tone = (8000 * np.sin(2 * np.pi * 0.3 * np.arange(count))).astype("<i2")
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout="mono")
        packet = av.Packet(tone.tobytes())
        packet.stream, packet.pts, packet.dts = stream, 0, 0
        packet.time_base = Fraction(1, rate)
        out.mux(packet)
    if stated_ms is not None:
        set_mkv_duration(path, stated_ms)
    return path


def _rewrite_boxes(data: bytes, change: dict[bytes, object]) -> bytes:
    """An MP4's boxes again, the container ones walked into, each box in `change` given a new body."""
    out = b""
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + size]
        if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
            body = _rewrite_boxes(body, change)
        elif kind in change:
            body = change[kind](body)  # type: ignore[operator]
        out += struct.pack(">I4s", len(body) + 8, kind) + body
        at += size
    return out


def declared_samples_mp4(tmp: Path, samples: int, audio: bool = False) -> Path:
    """A tiny MP4 whose sample-size box declares `samples` samples of one constant size, without a table: a few
    bytes that make FFmpeg's MP4 reader index every one of them. Its media data comes first (ffmpeg's default),
    so rewriting the index moves no offsets."""
    source = tmp / ("one.m4a" if audio else "one.mp4")
    if audio:
        ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", source)
    else:
        _x264("64x48", 1, 10, source)
    out = tmp / ("declared.m4a" if audio else "declared.mp4")
    out.write_bytes(_rewrite_boxes(source.read_bytes(),
                                   {b"stsz": lambda body: body[:4] + struct.pack(">II", 1, samples)}))
    return out
