"""Running FFmpeg and ffprobe: one command, a clear error naming what failed, and the few probes renders need."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from triage.errors import ProcessingFailed

# stderr lines that say nothing about why a command failed: skip them when naming the cause
_NOISE = ("Conversion failed!", "Exiting normally", "Press [q]", "frame=", "size=", "video:", "[out#", "[q]",
          "Error while processing the decoded data", "Failed to inject frame", "Error reinitializing filters",
          "Error while filtering", "Error marking filters as finished", "Error closing")


def run(args: list[str], what: str) -> None:
    """Run `ffmpeg -hide_banner -nostdin -y <args>`; ProcessingFailed naming `what` and FFmpeg's reason if it fails."""
    _ffmpeg(["-loglevel", "error", *args], what)


def output(args: list[str], what: str) -> str:
    """Run FFmpeg (as `run`, but at info level) and return its stderr, which filters like ebur128 report on."""
    return _ffmpeg(["-nostats", *args], what)


def _ffmpeg(args: list[str], what: str) -> str:
    try:
        done = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-y", *args], capture_output=True, text=True,
                              errors="replace")
    except FileNotFoundError as e:
        raise ProcessingFailed(f"{what}: ffmpeg is not installed") from e
    if done.returncode != 0:
        raise ProcessingFailed(f"{what}: {last_line(done.stderr) or f'ffmpeg exited {done.returncode}'}")
    return done.stderr


def last_line(stderr: str) -> str:
    """The last stderr line that explains something (not a progress or summary line)."""
    for line in reversed(stderr.strip().splitlines()):
        line = line.strip()
        if line and not line.startswith(_NOISE):
            return line[:300]
    return ""


def _probe(path: Path, entries: list[str]) -> dict:
    cmd = ["ffprobe", "-v", "error", "-of", "json", *entries, str(path)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    except FileNotFoundError as e:
        raise ProcessingFailed(f"probing {path.name}: ffprobe is not installed") from e
    if done.returncode != 0:
        raise ProcessingFailed(f"probing {path.name}: {last_line(done.stderr) or 'ffprobe failed'}")
    try:
        return json.loads(done.stdout or "{}")
    except json.JSONDecodeError as e:
        raise ProcessingFailed(f"probing {path.name}: unreadable ffprobe output") from e


def duration(path: Path) -> float:
    """The file's duration in seconds, from its container (ffprobe's format duration)."""
    fmt = _probe(path, ["-show_entries", "format=duration"]).get("format", {})
    try:
        return float(fmt["duration"])
    except (KeyError, TypeError, ValueError) as e:
        raise ProcessingFailed(f"probing {path.name}: no duration") from e


def sound_length(path: Path) -> float | None:
    """Seconds of the file's first sound stream, where its container says (a video's sound often stops before its
    picture does); None when it does not."""
    streams = _probe(path, ["-select_streams", "a:0", "-show_entries", "stream=duration"]).get("streams", [])
    try:
        return float(streams[0]["duration"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def has_stream(path: Path, kind: str) -> bool:
    """Whether the file has at least one stream of `kind` ("audio" or "video"; cover art counts as video)."""
    if kind not in ("audio", "video"):
        raise ValueError(f"stream kind must be audio or video, not {kind!r}")
    streams = _probe(path, ["-select_streams", kind[0], "-show_entries", "stream=index"]).get("streams", [])
    return bool(streams)
