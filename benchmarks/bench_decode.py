"""Decoding throughput: media-seconds decoded per wall-second, sampled frames vs. decoding every frame.

    .venv/bin/python benchmarks/bench_decode.py

Uses the committed fixtures plus a 60 s 720p H.264 + AAC video generated with ffmpeg into a temporary
folder (never committed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from triage.domain import MediaLimits, MediaType  # noqa: E402
from triage.media import decode, probe  # noqa: E402

GOOD = ROOT / "tests" / "data" / "media" / "good"
REPEATS = 3


def best_of(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def full_decode(path: Path) -> int:
    """Baseline: decode every video frame to RGB (what sampling avoids)."""
    with av.open(str(path)) as container:
        return sum(1 for f in container.decode(video=0) if f.to_ndarray(format="rgb24") is not None)


def make_long_video(folder: Path) -> Path:
    path = folder / "long720p.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=60",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=60", "-c:v", "libx264", "-preset", "veryfast",
                    "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    limits = MediaLimits()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = sorted(p for p in GOOD.iterdir() if p.suffix not in {".txt", ".md"}) + [make_long_video(Path(tmp))]
        for path in files:
            info = probe(path, limits)
            probe_s = best_of(lambda p=path: probe(p, limits))
            decode_s = best_of(lambda p=path, i=info: decode(p, i, limits))
            frames = len(decode(path, info, limits).frames)
            seconds = info.duration or 0.0
            full_s = best_of(lambda p=path: full_decode(p)) if info.media_type is MediaType.VIDEO else None
            rows.append((path.name, info.media_type.value, seconds, probe_s, decode_s, frames, full_s))
    print("| file | type | media s | probe ms | decode ms (sampled frames + audio) | frames | media-s per wall-s "
          "| full decode of every frame ms | speed-up |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, kind, seconds, probe_s, decode_s, frames, full_s in rows:
        rate = f"{seconds / decode_s:.0f}" if seconds else "-"
        full = f"{full_s * 1000:.0f}" if full_s else "-"
        speedup = f"{full_s / decode_s:.1f}x" if full_s else "-"
        print(f"| {name} | {kind} | {seconds:.1f} | {probe_s * 1000:.1f} | {decode_s * 1000:.0f} | {frames} | {rate} "
              f"| {full} | {speedup} |")


if __name__ == "__main__":
    main()
