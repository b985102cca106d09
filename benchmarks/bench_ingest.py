"""End-to-end analysis of a 60 s talking video with the real bundled models: stage timings, speed, peak memory.

Generates the video at run time (espeak-ng speech over an ffmpeg test pattern, 1280x720), then runs
`triage.pipeline.analyse` (probe, decode, transcribe, embed, fingerprint) with Whisper greedy and beam 5, and with
the default text model (in float32 and at "auto" precision, bfloat16 on CPUs that have it) against
all-MiniLM-L6-v2 alone, side by side, each after one warm-up run. Prints a Markdown table for benchmarks/RESULTS.md.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_ingest.py [--threads 2] [--seconds 60]
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import torch

from triage.config import Settings
from triage.domain import MediaLimits
from triage.encoders import registry
from triage.encoders.base import Encoders
from triage.pipeline import analyse

FORTUNES = Path("/usr/share/games/fortunes/fortunes")


def varied_text(words: int) -> str:
    """Real, non-repeating prose (Debian's fortunes): repeated text would trip Whisper's repetition fallback
    and measure that instead of ordinary speech."""
    entries = [" ".join(e.split()) for e in FORTUNES.read_text(encoding="latin-1").split("\n%\n")]
    picked, count = [], 0
    for entry in entries:
        if entry.isascii() and 15 < len(entry.split()) < 80:
            picked.append(entry)
            count += len(entry.split())
        if count >= words:
            break
    return " ".join(picked)


def make_video(folder: Path, seconds: float) -> Path:
    wav, out = folder / "speech.wav", folder / "talking720p.mp4"
    text = varied_text(int(seconds * 3.2))  # espeak at 165 wpm speaks ~2.75 words a second
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(wav), text], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                    "-i", str(wav), "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast",
                    "-c:a", "aac", "-shortest", str(out)],
                   check=True)
    return out


def run(path: Path, models: Encoders, repeats: int = 2) -> tuple[float, dict[str, float], float]:
    best, timings, duration = float("inf"), {}, 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        result = analyse(path, limits=MediaLimits(), encoders=models, max_frames=16, thumb_side=320)
        wall = time.perf_counter() - started
        if wall < best:
            best, timings, duration = wall, result.timings, result.probe.duration or 0.0
    return best, timings, duration


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        video = make_video(Path(tmp), args.seconds)
        rows = []
        default = Settings().text_model
        for beam, text_model, precision in ((1, default, "auto"), (5, default, "auto"), (1, default, "float32"),
                                            (1, "all-MiniLM-L6-v2", "auto")):
            text = registry.text_encoder(text_model, threads=args.threads, precision=precision)
            whisper = registry.transcriber("tiny.en", beam_size=beam, threads=args.threads)
            wall, timings, duration = run(video, Encoders(transcriber=whisper, text=text, clip=None))
            rows.append((beam, f"{text_model} ({precision})", wall, timings, duration))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.processor() or platform.machine()}, {args.threads} threads, torch {torch.__version__}, "
          f"cuda {torch.cuda.is_available()}; video {rows[0][4]:.1f} s 1280x720 30 fps H.264 + AAC speech\n")
    stages = list(rows[0][3])
    print("| whisper | text model | " + " | ".join(stages) + " | total s | x real time |")
    print("| --- | --- | " + " | ".join("---" for _ in stages) + " | --- | --- |")
    for beam, text_model, wall, timings, duration in rows:
        cells = " | ".join(f"{timings.get(s, 0):.2f}" for s in stages)
        print(f"| {'greedy' if beam == 1 else f'beam {beam}'} | {text_model} | {cells} | {wall:.2f} "
              f"| {duration / wall:.1f} |")
    print(f"\npeak RSS of the process: {peak_mb:.0f} MB (CLIP not loaded: no weights here)")


if __name__ == "__main__":
    main()
