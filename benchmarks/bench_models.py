"""Model speed and accuracy on this machine: Whisper, the sentence models, CLIP image throughput.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_models.py [--threads 2] [--quick] [--only text]
Prints a Markdown section for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import re
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from triage.encoders import registry, whisper
from triage.textnorm import edit_distance, normalize_words

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
SR = 16_000


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768


def librivox() -> list[tuple[np.ndarray, str]]:
    """Real read speech with reference transcripts from Debian's pocketsphinx-testdata."""
    refs = {}
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        m = re.match(r"<s>(.*)</s>\s*\((.+)\)", line.strip())
        if m:
            refs[m.group(2)] = m.group(1).strip()
    return [(read_wav(LIBRIVOX / f"{fid}.wav"), refs[fid]) for fid in sorted(refs)]


def bench_whisper(threads: int, quick: bool) -> list[str]:
    clips = librivox()
    seconds = sum(len(a) for a, _ in clips) / SR
    path = whisper.resolve("tiny.en", Path("models"))
    configs = [("int8", True, 1), ("int8", False, 1), ("int8", True, 5), ("float32", True, 1)]
    if quick:
        configs = configs[:2]
    rows = [f"Whisper tiny.en on {len(clips)} LibriVox clips from pocketsphinx-testdata "
            f"({seconds:.1f} s of real read speech), {threads} threads, best of 2 runs:", "",
            "| compute | VAD | beam | load s | real-time factor (x faster than real time) | WER |",
            "| --- | --- | --- | --- | --- | --- |"]
    for compute, vad, beam in configs:
        t0 = time.perf_counter()
        model = whisper.WhisperTranscriber(path, label="tiny.en", threads=threads, beam_size=beam, vad=vad,
                                           compute_type=compute)
        load = time.perf_counter() - t0
        best = float("inf")
        for _ in range(2):
            edits = words = 0
            t1 = time.perf_counter()
            for audio, ref in clips:
                hyp = model.transcribe(audio).text
                edits += edit_distance(normalize_words(ref), normalize_words(hyp))
                words += len(normalize_words(ref))
            best = min(best, time.perf_counter() - t1)
        rows.append(f"| {compute} | {'on' if vad else 'off'} | {'greedy' if beam == 1 else beam} | {load:.2f} "
                    f"| {seconds / best:.1f}x | {edits / words:.1%} |")
    return rows


TEXT_MODELS = ("all-MiniLM-L6-v2", "all-mpnet-base-v2", "all-MiniLM-L6-v2+all-mpnet-base-v2")


def bench_text(threads: int) -> list[str]:
    """Each bundled sentence model and the default join of both, on the same texts in the same run."""
    rng = np.random.default_rng(0)
    vocab = [w for w in normalize_words(Path(__file__).read_text()) if len(w) > 2]
    short = [" ".join(rng.choice(vocab, 10)) for _ in range(256)]
    chunks = [" ".join(rng.choice(vocab, 40)) for _ in range(96)]  # the ingest's chunk size
    paras = [" ".join(rng.choice(vocab, 150)) for _ in range(32)]
    rows = [f"Sentence models, {threads} threads, texts per second (batch of 32 / one by one):", "",
            "| model | precision | dim | load s | short sentences (10 words) | 40-word chunks (as ingested) "
            "| paragraphs (150 words) |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, precision in [(m, p) for m in TEXT_MODELS for p in ("float32", "bfloat16")]:
        t0 = time.perf_counter()
        enc = registry.text_encoder(name, device="cpu", threads=threads, precision=precision)
        load = time.perf_counter() - t0
        cells = []
        for texts in (short, chunks, paras):
            enc.encode(texts[:4])  # warm-up
            t0 = time.perf_counter()
            enc.encode(texts)
            batch = len(texts) / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            for t in texts[:32]:
                enc.encode([t])
            single = min(32, len(texts)) / (time.perf_counter() - t0)
            cells.append(f"{batch:.0f} / {single:.0f}")
        rows.append(f"| {name} | {precision} | {enc.dim} | {load:.1f} | {' | '.join(cells)} |")
    return rows


def bench_clip(threads: int, quick: bool) -> list[str]:
    import open_clip
    import torch

    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32")  # random weights: the speed is real, the embeddings are not
    n = 32 if quick else 96
    images = [np.random.default_rng(i).integers(0, 256, (480, 640, 3), dtype=np.uint8) for i in range(n)]
    rows = [f"CLIP ViT-B-32 with RANDOM weights (no pretrained weights can be fetched here; the speed is real, "
            f"the embeddings are not), {n} images of 640x480, {threads} threads, through the adapter:", "",
            "| batch size | images/s | prompts/s |", "| --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "random-vit-b-32.pt"
        torch.save(model.state_dict(), ckpt)
        del model
        for batch in (1, 32):
            enc = registry.image_text_encoder("ViT-B-32", "", checkpoint=ckpt, device="cpu", threads=threads,
                                              batch_size=batch)
            enc.encode_images(images[:2])
            t0 = time.perf_counter()
            enc.encode_images(images)
            ips = n / (time.perf_counter() - t0)
            prompts = [f"a photo of thing {i}" for i in range(64)]
            t0 = time.perf_counter()
            enc.encode_texts(prompts)
            pps = len(prompts) / (time.perf_counter() - t0)
            rows.append(f"| {batch} | {ips:.1f} | {pps:.0f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="fewer configurations, for a smoke run")
    parser.add_argument("--only", choices=("whisper", "text", "clip"), help="one family only")
    args = parser.parse_args()
    out = ["## Models (issue 3)", "",
           f"Machine: {platform.machine()}, {args.threads} CPU threads, no GPU; other work was running "
           "concurrently on the same 2 cores, so treat speeds as lower bounds.",
           f"Command: `HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_models.py --threads {args.threads}"
           f"{' --quick' if args.quick else ''}{f' --only {args.only}' if args.only else ''}`", ""]
    benches = {"whisper": lambda: bench_whisper(args.threads, args.quick), "text": lambda: bench_text(args.threads),
               "clip": lambda: bench_clip(args.threads, args.quick)}
    for family, bench in benches.items():
        if args.only in (None, family):
            out += [*bench(), ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
