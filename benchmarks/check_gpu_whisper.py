"""Can Whisper run on this machine's GPU? What does device "auto" do, and how fast is each device?

Run: HF_HUB_OFFLINE=1 python benchmarks/check_gpu_whisper.py [--model tiny.en|FOLDER] [--seconds 60]

Loads the model through `triage.encoders.registry` (the path ingest uses) with device "auto" and then
"cuda", and prints which device each one got, the reason when CUDA was refused, and the real-time factor
on each device that works. The audio is synthetic (tones in noise): the speed is real, the words are not.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from triage.encoders import cache, registry
from triage.errors import TriageError

SR = 16_000


def synthetic_audio(seconds: float, seed: int = 0) -> np.ndarray:
    """Bursts of tones in noise, so voice detection keeps most of it and the decoder has work to do."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    tones = sum(np.sin(2 * np.pi * f * t) for f in (180.0, 360.0, 720.0)) / 3
    bursts = (np.sin(2 * np.pi * 0.5 * t) > -0.3).astype(np.float32)
    return (0.3 * tones * bursts + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


def try_device(model: str, device: str, audio: np.ndarray) -> str:
    cache.clear()
    start = time.perf_counter()
    try:
        transcriber = registry.transcriber(model, device=device, threads=8)
    except TriageError as exc:
        return f"| {device} | refused | {exc} |"
    load = time.perf_counter() - start
    transcriber.transcribe(audio[: 5 * SR])  # warm-up
    start = time.perf_counter()
    transcriber.transcribe(audio)
    speed = len(audio) / SR / (time.perf_counter() - start)
    return f"| {device} | {transcriber.name} | loaded in {load:.1f} s, {speed:.1f}x real time |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny.en", help="a Whisper size or a local CTranslate2 folder")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="log: %(message)s")
    import ctranslate2

    print(f"CTranslate2 {ctranslate2.__version__} sees {ctranslate2.get_cuda_device_count()} CUDA device(s); "
          f"torch picks {registry.resolve_device('auto')!r} for 'auto'.\n")
    print("| asked for | got | result |\n| --- | --- | --- |")
    audio = synthetic_audio(args.seconds)
    for device in ("cpu", "auto", "cuda"):
        print(try_device(args.model, device, audio), flush=True)


if __name__ == "__main__":
    main()
