"""The encoders on CUDA against the same encoders on the CPU of the same machine: speed and agreement.

Run from the repository's root on a machine with an NVIDIA GPU:
  HF_HUB_OFFLINE=1 PYTHONPATH=. python benchmarks/bench_gpu_encoders.py [--text-model PATH] [--reference REF.npz]
On a machine without one it measures the CPU side only. `--save-reference REF.npz` writes the sentence
model's CPU embeddings of the benchmark texts, so a GPU run elsewhere can be checked against them.

Everything goes through `triage.encoders.registry`, the path ingest uses, with device "cpu" or "cuda".
`--text-model random-nomic-bert` times nomic-embed-text's network (12 layers, 768-d, GGUF, nomic.py) with seeded
random weights and a small vocabulary, for machines its 274 MB of real weights cannot reach. CLIP runs with seeded
RANDOM weights (no pretrained weights can be fetched here). Their speeds are real, and their agreement between
float16 on CUDA and the CPU is a real check of the numerics, but their embeddings mean nothing. Prints a Markdown
section for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from triage.encoders import registry
from triage.encoders.device import cuda_available, resolve_device

WORDS = Path(__file__).read_text().split()


LABELS = {"short": "short sentences (10 words)", "paragraphs": "paragraphs (150 words)"}


def benchmark_texts(seed: int = 0) -> dict[str, list[str]]:
    """Deterministic word salads of two lengths; only their token counts matter for speed."""
    rng = np.random.default_rng(seed)
    vocab = sorted({w.strip(".,:;()\"'`").lower() for w in WORDS if w.isascii() and len(w) > 2})
    return {"short": [" ".join(rng.choice(vocab, 10)) for _ in range(1024)],
            "paragraphs": [" ".join(rng.choice(vocab, 150)) for _ in range(256)]}


def timed(fn: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    """Best wall time of `repeats` calls after one warm-up call, and the last result."""
    result = fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        if cuda_available():
            import torch

            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best, result


def min_row_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The worst agreement between matching rows of two sets of unit vectors."""
    return float(np.min(np.sum(a * b, axis=1)))


def bench_text(model: str, devices: list[str], threads: int, reference: Path | None) -> list[dict[str, Any]]:
    ref = np.load(reference) if reference else None
    # With a reference, its own texts: the word salads come from this file, which may have changed since.
    texts = {k: [str(t) for t in ref[f"{k}_texts"]] for k in LABELS} if ref is not None else benchmark_texts()
    rows: list[dict[str, Any]] = []
    first: dict[str, np.ndarray] = {}
    for device in devices:
        for batch in (32, 256) if device == "cuda" else (32,):
            enc = registry.text_encoder(model, device=device, threads=threads)
            enc.batch_size = batch  # type: ignore[attr-defined]  # the adapter reads it on each call
            for key, items in texts.items():
                seconds, vectors = timed(lambda: enc.encode(items))  # noqa: B023 - called at once
                first.setdefault(key, vectors)
                row = {"family": "text", "device": device, "batch": batch, "input": LABELS[key],
                       "per_s": len(items) / seconds, "min_cos_vs_first": min_row_cosine(vectors, first[key])}
                if ref is not None:
                    row["min_cos_vs_reference"] = min_row_cosine(vectors, ref[key])
                rows.append(row)
    return rows


RANDOM_NOMIC = "random-nomic-bert"


def random_nomic_bert(folder: Path) -> str:
    """A full-size nomic-bert GGUF with seeded random weights (its speed is real, its vectors mean nothing)."""
    from tests.encoders.tiny_gguf import nomic_bert

    return str(nomic_bert(folder / "random-nomic-bert.gguf", dim=768, heads=12, layers=12))


def save_reference(model: str, threads: int, path: Path) -> None:
    """The benchmark texts and their CPU embeddings, for checking a GPU run on another machine."""
    enc = registry.text_encoder(model, device="cpu", threads=threads)
    texts = benchmark_texts()
    np.savez(path, **{k: enc.encode(v) for k, v in texts.items()},
             **{f"{k}_texts": np.array(v) for k, v in texts.items()})


def bench_clip(devices: list[str], threads: int, n_images: int) -> list[dict[str, Any]]:
    import open_clip
    import torch

    rng = np.random.default_rng(0)
    # frames as the pipeline keeps them: long side at most 512 (triage.media.frames.MAX_FRAME_SIDE)
    images = [rng.integers(0, 256, (384, 512, 3), dtype=np.uint8) for _ in range(n_images)]
    prompts = [" ".join(rng.choice(WORDS, 8)) for _ in range(512)]
    rows: list[dict[str, Any]] = []
    first: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        checkpoint = Path(tmp) / "random-vit-b-32.pt"
        torch.save(open_clip.create_model("ViT-B-32").state_dict(), checkpoint)
        for device in devices:
            enc = registry.image_text_encoder("ViT-B-32", "", checkpoint=checkpoint, device=device,
                                              threads=threads, batch_size=64)
            resize_here = "frames 512x384, resized on the GPU" if device == "cuda" else "frames 512x384"
            runs = [(resize_here, lambda: enc.encode_images(images)),  # noqa: B023
                    ("prompts", lambda: enc.encode_texts(prompts))]  # noqa: B023
            if device == "cuda":
                before = "frames 512x384, resized on the CPU with PIL (before)"
                runs.append((before, lambda: pil_frames(enc, images)))  # noqa: B023
            for label, fn in runs:
                seconds, vectors = timed(fn, repeats=2)
                key = "prompts" if label == "prompts" else "frames"
                first.setdefault(key, vectors)
                count = len(prompts) if key == "prompts" else len(images)
                rows.append({"family": "clip", "device": device, "batch": 64, "input": label,
                             "per_s": count / seconds, "min_cos_vs_first": min_row_cosine(vectors, first[key])})
            rows.append(model_only_row(enc, device))
    return rows


def pil_frames(enc: Any, images: list[np.ndarray]) -> np.ndarray:
    """The adapter as it was before frames were resized on the GPU: open_clip's PIL transform on the CPU."""
    steps, enc._tensor_steps = enc._tensor_steps, None
    try:
        return np.asarray(enc.encode_images(images))
    finally:
        enc._tensor_steps = steps


def model_only_row(enc: Any, device: str) -> dict[str, Any]:
    """Images/s of the vision tower alone on already-preprocessed 224x224 batches: the ceiling."""
    import torch

    pixels = torch.randn(64, 3, 224, 224).to(enc.device, dtype=enc._dtype)

    def forward() -> None:
        with torch.inference_mode():
            for _ in range(4):
                enc._model.encode_image(pixels, normalize=True)

    seconds, _ = timed(forward, repeats=2)
    return {"family": "clip", "device": device, "batch": 64, "input": "vision tower only, preprocessed 224x224",
            "per_s": 4 * 64 / seconds, "min_cos_vs_first": None}


def machine() -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {"cpu_threads": os.cpu_count(), "python": platform.python_version(),
                            "torch": torch.__version__, "auto_device": resolve_device("auto")}
    if cuda_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def markdown(info: dict[str, Any], rows: list[dict[str, Any]], threads: int) -> str:
    lines = [f"Machine: {info.get('gpu', 'no GPU')}, {info['cpu_threads']} CPU threads (CPU rows use {threads}), "
             f"Python {info['python']}, torch {info['torch']}; device 'auto' resolved to {info['auto_device']}.", "",
             "| model | device | batch | input | items/s | worst cosine vs first row's device |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        cos = "" if r["min_cos_vs_first"] is None else f"{r['min_cos_vs_first']:.5f}"
        if "min_cos_vs_reference" in r:
            cos += f" (vs reference {r['min_cos_vs_reference']:.5f})"
        lines.append(f"| {r['family']} | {r['device']} | {r['batch']} | {r['input']} | {r['per_s']:.0f} | {cos} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text-model", default="all-MiniLM-L6-v2", help="name or local folder")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="CPU threads for the CPU rows")
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--reference", type=Path, help="CPU text embeddings saved by --save-reference")
    parser.add_argument("--save-reference", type=Path)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--no-clip", action="store_true", help="time the text model only")
    args = parser.parse_args()
    if args.text_model == RANDOM_NOMIC:
        folder = Path(tempfile.mkdtemp())
        atexit.register(shutil.rmtree, folder, ignore_errors=True)  # 226 MB of random weights
        args.text_model = random_nomic_bert(folder)
    if args.save_reference:
        save_reference(args.text_model, args.threads, args.save_reference)
        return
    devices = ["cpu", "cuda"] if cuda_available() else ["cpu"]
    info = machine()
    rows = bench_text(args.text_model, devices, args.threads, args.reference)
    print(markdown(info, rows, args.threads), flush=True)
    if not args.no_clip:
        rows += bench_clip(devices, args.threads, args.images)
        print(markdown(info, rows, args.threads))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
