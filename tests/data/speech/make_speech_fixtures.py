"""Regenerate the committed speech fixtures with espeak-ng and ffmpeg (16 kHz mono 16-bit WAV).

Run from anywhere: `python tests/data/speech/make_speech_fixtures.py`. The reference texts live in
transcripts.json next to the clips; the tests read both.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CLIPS = {
    "fox": ("en-us", "The quick brown fox jumps over the lazy dog near the river bank."),
    "recording": ("en-us", "Please send me the recording of your favourite song before Friday evening."),
    "window": ("en-gb", "She opened the window and listened to the rain falling on the garden."),
}


def make(name: str, voice: str, text: str) -> Path:
    """Synthesise one clip and resample it to 16 kHz mono."""
    out = HERE / f"{name}.wav"
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(raw), "-ar", "16000", "-ac", "1",
                        "-c:a", "pcm_s16le", "-map_metadata", "-1", "-fflags", "+bitexact", str(out)],
                       check=True)
    return out


def main() -> None:
    for name, (voice, text) in CLIPS.items():
        make(name, voice, text)
    refs = {name: text for name, (_, text) in CLIPS.items()}
    (HERE / "transcripts.json").write_text(json.dumps(refs, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
