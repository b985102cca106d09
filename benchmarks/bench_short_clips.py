"""Ingest of a pool of short clips against Whisper alone on the same audio: speed, peak memory, word error rate.

Each figure is measured in a fresh child process (so its peak RSS is its own), with the real bundled models:
- "whisper alone, one clip a call": the loaded Whisper transcribes each clip's decoded 16 kHz audio in turn (the
  floor the issue names);
- "whisper alone, many": the same clips through `transcribe_many`, `--batch` at a time (where the code has it):
  with `--whisper-batches` over 1, Whisper's batched decoding across the clips;
- "ingest": `triage.ingest.runner.ingest` of every clip into a fresh data dir through `runtime.analysis_engine`
  (probe, decode, derived files, Whisper, both text models, fingerprints, every row written), models loaded
  before the clock starts (their load time is printed beside it; peak RSS includes loading them). Each clip's
  transcript, and a digest of every vector stored for it, are compared across the runs at the end.
With `--baseline DIR` (a tree of other code, such as `git archive HEAD | tar -x -C DIR`) the same children run that
code too, alternating with this tree's in every round, so before and after share the machine's load.

    python3 benchmarks/build_short_clips.py /tmp/short40
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_short_clips.py /tmp/short40 --baseline /tmp/head --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


def cpu_seconds() -> float:
    """CPU time of this process so far, all threads (the work done, whatever else the machine runs)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def corpus_audio(corpus: Path) -> tuple[list[str], list[Any]]:
    """External ids and decoded 16 kHz audio of every clip, as the pipeline decodes them."""
    from triage import media
    from triage.domain import MediaLimits
    from triage.ingest.sources import from_manifest

    ids, audios = [], []
    for source in from_manifest(corpus / "submissions.jsonl"):
        assert source.path is not None and source.external_id is not None
        probe = media.probe(source.path, MediaLimits())
        ids.append(source.external_id)
        audios.append(media.decode(source.path, probe, MediaLimits()).audio)
    return ids, audios


def whisper_alone(corpus: Path, threads: int, batch: int | None, whisper_batch: int) -> dict[str, Any]:
    """One clip a call (batch None: the model on all threads), or `transcribe_many` over `batch` clips at a time."""
    from triage.encoders import registry

    ids, audios = corpus_audio(corpus)
    whisper: Any = registry.transcriber("tiny.en", threads=threads)
    if hasattr(whisper, "transcribe_many"):
        whisper.batch_size = whisper_batch
    whisper.transcribe(audios[0])  # warm-up
    cpu, started = cpu_seconds(), time.perf_counter()
    if batch is None:
        transcripts = [whisper.transcribe(audio) for audio in audios]
    else:
        transcripts = [t for i in range(0, len(audios), batch) for t in whisper.transcribe_many(audios[i:i + batch])]
    wall = time.perf_counter() - started
    return {"wall": wall, "cpu": cpu_seconds() - cpu,
            "texts": {i: t.text for i, t in zip(ids, transcripts, strict=True)}}


def ingest_all(corpus: Path, threads: int, batch: int, whisper_batch: int) -> dict[str, Any]:
    from triage import runtime
    from triage.config import Settings
    from triage.ingest.runner import ingest
    from triage.ingest.sources import from_manifest
    from triage.store import artifacts as art
    from triage.store.callouts import upsert_callout

    sources = list(from_manifest(corpus / "submissions.jsonl"))
    with tempfile.TemporaryDirectory() as tmp:
        options: dict[str, Any] = {"data_dir": Path(tmp), "threads": threads, "engine": "local"}
        if "ingest_batch_size" in Settings.model_fields:
            options.update(ingest_batch_size=batch, whisper_batch_size=whisper_batch)
        settings = Settings(**options)
        store = runtime.open_store(settings)
        with store.db.session() as session:
            upsert_callout(session, "bench", title="Bench", brief="Anything.")
        started = time.perf_counter()
        models = runtime.encoders(settings)
        load = time.perf_counter() - started
        cpu, started = cpu_seconds(), time.perf_counter()
        engine = runtime.analysis_engine(settings, models)
        try:
            results = ingest(store, "bench", sources, engine, max_file_bytes=settings.max_file_bytes)
        finally:
            engine.close()
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        texts, vectors = {}, {}
        with store.db.session() as session:
            for r in results:
                transcript = art.transcript_of(session, r.sha256) if r.sha256 else None
                texts[r.external_id] = transcript.text if transcript else ""
                vectors[r.external_id] = vector_digest(session, r.sha256)
    return {"wall": wall, "cpu": cpu, "load": load, "statuses": sorted({r.status for r in results}), "texts": texts,
            "vectors": vectors}


def vector_digest(session: Any, sha256: str | None) -> str:
    """SHA-256 of every vector stored for a content, bytes and labels, in a fixed order: equal only when the
    vectors are bit for bit the same."""
    import hashlib

    from sqlalchemy import select

    from triage.store.schema import Vector

    digest = hashlib.sha256()
    if sha256:
        rows = session.execute(select(Vector.space, Vector.source, Vector.kind, Vector.ordinal, Vector.model,
                                      Vector.vector).where(Vector.sha256 == sha256)).all()
        for *labels, data in sorted(rows):
            digest.update(repr(labels).encode() + bytes(data))
    return digest.hexdigest()


def child(mode: str, args: argparse.Namespace) -> None:
    if mode == "whisper-one":
        out = whisper_alone(args.corpus, args.threads, None, args.whisper_batch)
    elif mode == "whisper-many":
        out = whisper_alone(args.corpus, args.threads, args.batch, args.whisper_batch)
    else:
        out = ingest_all(args.corpus, args.threads, args.batch, args.whisper_batch)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run_child(tree: Path, mode: str, whisper_batch: int, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, str(HERE), str(args.corpus), "--child", mode, "--threads",
                           str(args.threads), "--batch", str(args.batch), "--whisper-batch", str(whisper_batch)],
                          env=env, cwd=tree, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def corpus_wer(texts: dict[str, str], spoken: dict[str, str]) -> float:
    from triage.textnorm import normalize_words, word_error_rate

    edits = words = 0.0
    for ext, reference in spoken.items():
        n = len(normalize_words(reference))
        edits, words = edits + word_error_rate(reference, texts.get(ext, "")) * n, words + n
    return edits / words


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--baseline", type=Path, help="a tree of other code to measure alongside")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8, help="files the local engine analyses at once")
    parser.add_argument("--whisper-batch", type=int, default=1, help="Whisper windows decoded together (a child)")
    parser.add_argument("--whisper-batches", default="1,8", help="the Whisper batch sizes to measure")
    parser.add_argument("--child", choices=["whisper-one", "whisper-many", "ingest"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return
    sys.path.insert(0, str(HERE.parent.parent))
    spoken = json.loads((args.corpus / "truth.json").read_text())["spoken"]
    _, audios = corpus_audio(args.corpus)
    seconds = sum(a.size for a in audios) / 16_000
    print(f"{len(audios)} clips, {seconds:.0f} s of audio; {args.threads} threads; batches of {args.batch} files\n")
    print("| round | code | what | Whisper batch | wall s | x real time | CPU s | peak RSS MB | corpus WER "
          "| load before |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    batches = [int(b) for b in args.whisper_batches.split(",")]
    runs = [("this", HERE.parent.parent, "whisper-one", 1)]
    runs += [("this", HERE.parent.parent, "whisper-many", b) for b in batches]
    runs += [("this", HERE.parent.parent, "ingest", b) for b in batches]
    if args.baseline:
        runs += [("baseline", args.baseline.resolve(), mode, 1) for mode in ("whisper-one", "ingest")]
    texts: dict[str, dict[str, str]] = {}
    vectors: dict[str, dict[str, str]] = {}
    for round_ in range(1, args.rounds + 1):
        for label, tree, mode, whisper_batch in runs:
            before = load_average()
            out = run_child(tree, mode, whisper_batch, args)
            texts[f"{label} {mode} {whisper_batch}"] = out["texts"]
            if "vectors" in out:
                vectors[f"{label} {mode} {whisper_batch}"] = out["vectors"]
            extra = f" (+{out['load']:.1f} s loading models; {','.join(out['statuses'])})" if mode == "ingest" else ""
            print(f"| {round_} | {label} | {mode}{extra} | {whisper_batch} | {out['wall']:.1f} | "
                  f"{seconds / out['wall']:.1f} | {out['cpu']:.1f} | {out['peak_mb']:.0f} | "
                  f"{corpus_wer(out['texts'], spoken):.3f} | {before} |", flush=True)
    print()
    keys = list(texts)
    for a in keys:
        for b in keys[keys.index(a) + 1:]:
            same = sum(texts[a].get(k) == texts[b].get(k) for k in spoken)
            print(f"same transcripts, {a} vs {b}: {same} of {len(spoken)} clips")
    keys = list(vectors)
    for a in keys:
        for b in keys[keys.index(a) + 1:]:
            same = sum(vectors[a].get(k) == vectors[b].get(k) for k in spoken)
            print(f"same vectors (bit for bit), {a} vs {b}: {same} of {len(spoken)} clips")


if __name__ == "__main__":
    main()
