"""Build an eval corpus whose re-uploads are harder than the stock builder's: every kind issue 4 names.

The shared builder (`../shared/eval/build_corpus.py`) makes re-encodes, trims, a quieter copy and padding. This
subclass adds the other kinds a curator meets: mirrored and recoloured video, a black intro, a resize with a
frame-rate change, a container change to AVI, a louder copy, telephone-band audio, a trim at both ends, stereo
FLAC, and text re-typed twice over (two edits at once). The corpus format is unchanged, so `triage eval` reads it.

    python3 benchmarks/build_hard_corpus.py benchmarks/corpora/hard1.json /tmp/ev/hard1
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "eval"))

import build_corpus as base  # noqa: E402  (the shared builder, found beside the project)

HARD_VIDEO_VARIANTS = {
    **base.VIDEO_VARIANTS,
    "mirrored": (".mp4", ["-vf", "hflip", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"]),
    "recoloured": (".mp4", ["-vf", "hue=h=50:s=1.4,eq=brightness=0.06", "-c:v", "libx264", "-preset", "veryfast",
                            "-c:a", "aac"]),
    "black_intro": (".mp4", ["-vf", "tpad=start_duration=1.5:color=black", "-af", "adelay=1500|1500",
                             "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"]),
    "small_15fps": (".mp4", ["-vf", "scale=320:-2", "-r", "15", "-c:v", "libx264", "-crf", "30", "-preset", "veryfast",
                             "-c:a", "aac", "-b:a", "48k"]),
    "avi": (".avi", ["-c:v", "mpeg4", "-q:v", "6", "-c:a", "libmp3lame", "-b:a", "96k"]),
}

HARD_AUDIO_VARIANTS = {
    **base.AUDIO_VARIANTS,
    "louder_mp3": (".mp3", ["-af", "volume=5dB,alimiter=limit=0.95", "-b:a", "64k"]),
    "phone_wav": (".wav", ["-af", "highpass=f=300,lowpass=f=3400", "-ar", "8000"]),
    "both_ends_trimmed_ogg": (".ogg", ["-ss", "0.6", "-af", "areverse,atrim=start=0.5,areverse", "-c:a", "libvorbis"]),
    "stereo_flac": (".flac", ["-ac", "2", "-ar", "48000"]),
}


_RETYPED_ONCE = base.text_variant


def retyped_twice(text: str, rng: random.Random) -> str:
    """Two re-typing edits on top of each other (say, lower case and a sign-off line)."""
    return _RETYPED_ONCE(_RETYPED_ONCE(text, rng), rng)


class _Recorded(dict):
    """A variant table that remembers which variants the builder looked up, for the corpus's report."""

    def __init__(self, table: dict, used: list[str]):
        super().__init__(table)
        self.used = used

    def __getitem__(self, name: str):
        self.used.append(name)
        return super().__getitem__(name)


class HardBuilder(base.Builder):
    def __init__(self, config: dict, out: Path):
        super().__init__(config, out)
        self.used: list[str] = []
        self.audio_variants = _Recorded(HARD_AUDIO_VARIANTS, self.used)
        self.video_variants = _Recorded(HARD_VIDEO_VARIANTS, self.used)

    def build(self) -> None:
        super().build()
        counts = {name: self.used.count(name) for name in sorted(set(self.used))}
        (self.out / "variants.json").write_text(json.dumps(counts, indent=1))
        print("re-uploads of sound and pictures:", counts)

    def make_duplicates(self, category: str, originals: dict, dup_counts: dict[str, int]) -> None:
        base.text_variant = retyped_twice  # the shared builder calls the module's function for text copies
        try:
            super().make_duplicates(category, originals, dup_counts)
        finally:
            base.text_variant = _RETYPED_ONCE


if __name__ == "__main__":
    base.main(sys.argv, HardBuilder)
