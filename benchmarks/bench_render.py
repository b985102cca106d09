"""Episode render benchmark: a rough cut of 40 synthetic pieces (about 22 minutes) at 1280x720.

    .venv/bin/python benchmarks/bench_render.py [--pieces 40] [--width 1280] [--height 720] [--keep DIR]

The pieces are made with FFmpeg's lavfi sources into a temporary folder (nothing is committed): videos of 20-60 s
at 640x360 with a tone, silent videos, sound-only pieces (cards over their sound), texts and still images, with a
section heading every ten pieces. Reports wall time against the cut's real length, the peak RSS of this process and
of its FFmpeg children (resource.getrusage, SELF + CHILDREN maxrss: the largest single process of each), and the
machine. Prints a markdown row.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from triage.programmes.plan import CreditLine, Placed, RenderPlan, RenderSettings  # noqa: E402
from triage.render.episode import render_episode  # noqa: E402

WORDS = ["river", "sea", "morning", "light", "voice", "street", "market", "song", "window", "rain", "bread",
         "hands", "harbour", "kitchen", "bicycle", "school", "garden", "evening", "radio", "bridge"]


def _ffmpeg(args: list[str], out: Path) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(out)], check=True)
    return out


def make_pieces(folder: Path, count: int) -> list[Placed]:
    """`count` pieces in a fixed mix: mostly video, then sound, text and images, deterministic lengths."""
    pieces = []
    for i in range(count):
        kind = ("video", "video", "video", "silent", "audio", "video", "text", "image", "video", "audio")[i % 10]
        heading = f"Part {i // 10 + 1}" if i % 10 == 0 else None
        title, who = f"Piece {i + 1}", f"Contributor {i % 13 + 1}"
        length = 20.0 + (i * 7) % 41  # 20..60 s
        if kind in ("video", "silent"):
            src = f"testsrc2=s=640x360:r=30:d={length}" if i % 2 else f"smptebars=s=640x360:r=25:d={length}"
            sound = [] if kind == "silent" else ["-f", "lavfi", "-i", f"sine=f={200 + 20 * i}:d={length}",
                                                 "-af", f"volume={-6 - (i % 5) * 4}dB", "-c:a", "aac"]
            path = _ffmpeg(["-f", "lavfi", "-i", src, *sound, "-c:v", "libx264", "-preset", "ultrafast",
                            "-crf", "28", "-shortest"], folder / f"p{i:02d}.mp4")
            pieces.append(Placed(f"s{i}", title, who, "video", path, length, 1.0, length - 1.0, heading=heading))
        elif kind == "audio":
            path = _ffmpeg(["-f", "lavfi", "-i", f"sine=f={300 + 10 * i}:d={length}", "-af", "volume=-20dB",
                            "-c:a", "flac"], folder / f"p{i:02d}.flac")
            words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(60))
            pieces.append(Placed(f"s{i}", title, who, "audio", path, length, 0.0, length, words, heading))
        elif kind == "text":
            words = " ".join(WORDS[(i * 3 + k) % len(WORDS)] for k in range(120))
            pieces.append(Placed(f"s{i}", title, who, "text", None, 0.0, 0, 120, words, heading))
        else:
            path = folder / f"p{i:02d}.png"
            Image.new("RGB", (900, 1200), (40 + i, 90, 140)).save(path)
            pieces.append(Placed(f"s{i}", title, who, "image", path, 0.0, 0.0, 0.0, heading=heading))
    return pieces


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=40)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--keep", type=Path, default=None, help="render into this folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        pieces = make_pieces(work, args.pieces)
        made = time.perf_counter() - t0
        names = sorted({p.contributor for p in pieces})
        credits = tuple(CreditLine(n, 1 / len(names), ()) for n in names)
        plan = RenderPlan("bench", "Benchmark episode", "episode", tuple(pieces), credits,
                          RenderSettings(width=args.width, height=args.height))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        done = render_episode(plan, args.keep or work / "out")
        wall = time.perf_counter() - t0
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    length = done.duration_s or 0.0
    print(f"inputs made in {made:.0f} s (not counted); children peak before render {before / 1024:.0f} MiB")
    print(f"machine: {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), {_cpu()}")
    print("| pieces | cut length | render wall | x real time | loudness / true peak | peak RSS self / largest child "
          "| warnings |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(f"| {len(pieces)} | {length / 60:.1f} min | {wall:.0f} s | {length / wall:.2f}x | "
          f"{done.loudness_lufs} LUFS / {done.true_peak_db} dBTP | {self_rss:.0f} / {child_rss:.0f} MiB | "
          f"{len(done.warnings)} |")


if __name__ == "__main__":
    main()
