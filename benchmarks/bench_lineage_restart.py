"""Lineage in a new process at archive scale: the first match after a restart, the sound (or picture) index built
from every stored peaks file (or frame track) as the baseline, against the same index loaded from the snapshot the
build saved.

The data dir holds --pieces ready recordings of 30-90 s whose peaks are stored as ingest stores them (artifact
rows and .npz files). Their peaks are synthetic (about 20 a second, times and frequencies drawn at random: some 80
landmarks a second, as in bench_lineage_sound.py), except one piece that really holds 12 s of the query's melody,
so the answer can be checked. The query, a 60 s melody, is the newest recording. Each measurement is a fresh child
process calling `update_lineage` for the query, as the first upload after a restart does: "build" drops the
snapshot first, "load" starts from the one the build saved. The reuses found are compared.

    .venv/bin/python benchmarks/bench_lineage_restart.py --data-dir DIR [--pieces 100000] [--rounds 1] [--videos]

The pool is made once in DIR (it takes minutes at 100,000) and reused; the sound index's runs live in DIR's tmp/.
With --videos the pieces are videos of 30-90 s whose frame tracks are stored instead (synthetic, shot by shot, as
bench_lineage_pictures.py makes them; one holds 10 s of the 60 s query's pictures), and the picture index is timed.

With --text-pool DIR (a copy of a pool made by `bench_big_pool.py shortlist --n 100000 --data-dir DIR`: its pieces
are texts, and the matches found are written to it), the first match after a restart is timed there instead, where
the words indexes are what a new process builds, this tree and --baseline TREE alternating.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common.child_json import run_child  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SR = 16_000

CHILD = """
import json, resource, sys, time
from pathlib import Path
from triage import runtime
from triage.config import Settings
from triage.service import lineage_update
root, mode, query = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if mode == "text":
    from sqlalchemy import select
    from triage.store.schema import Content
sys.path.insert(0, str(Path(sys.argv[4])))
from bench_lineage_sound import AnonPeak
anon = AnonPeak()
settings = Settings(data_dir=root / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                    models_dir=root / "models")
store = runtime.open_store(settings)
if mode == "build":
    from triage.service.lineage_saved import drop_saved_indexes
    drop_saved_indexes(store)
if mode == "text":
    with store.db.session() as session:
        query = session.scalars(select(Content.sha256).order_by(Content.created_at.desc()).limit(1)).one()
started = time.perf_counter()
lineage_update.update_lineage(store, [query])
seconds = time.perf_counter() - started
archive = lineage_update._archive(store)
found = lineage_update.match(archive, lineage_update.prints_of(store, [query])[query])
said = sorted(r.evidence for r in found)
print(json.dumps({"seconds": seconds, "recordings": len(archive.sound), "texts": len(archive.words),
                  "videos": len(archive.pictures),
                  "found": said, "peak_anon_mb": anon.peak,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def melody(seconds: float, seed: int) -> np.ndarray:
    """Notes of 0.1-0.4 s with two harmonics, as tests/lineage/helpers.py makes them."""
    rng = np.random.default_rng(seed)
    out = []
    while sum(len(x) for x in out) < seconds * SR:
        f = 220.0 * 2 ** (rng.integers(0, 24) / 12)
        t = np.arange(int(rng.uniform(0.1, 0.4) * SR)) / SR
        out.append((0.5 * np.sin(2 * np.pi * f * t) + 0.2 * np.sin(4 * np.pi * f * t)) * np.hanning(len(t)))
    return np.concatenate(out)[:int(seconds * SR)].astype(np.float32)


def populate(data_dir: Path, pieces: int, videos: bool = False) -> str:
    """The pool's contents and their peaks (or frame tracks); returns the query's sha."""
    from bench_lineage_pictures import planted as planted_track
    from bench_lineage_pictures import synthetic

    from triage import runtime
    from triage.config import Settings
    from triage.lineage.landmarks import Peaks, find_peaks
    from triage.service.lineage_prints import FRAMES, FRAMES_FILE, MADE_BY, PEAKS, PEAKS_FILE
    from triage.store.schema import Artifact, Content

    settings = Settings(data_dir=data_dir / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                        models_dir=data_dir / "models")
    store = runtime.open_store(settings)
    rng = np.random.default_rng(1)
    query_audio = melody(60.0, seed=7)
    planted = melody(40.0, seed=8)
    planted[10 * SR:22 * SR] += query_audio[30 * SR:42 * SR]  # the query's 30-42 s at the piece's 10-22 s

    def peaks_of(i: int) -> Peaks:
        if i == pieces - 2:
            return find_peaks(planted)
        if i == pieces - 1:
            return find_peaks(query_audio)
        seconds = float(rng.uniform(30, 90))
        count = int(seconds * 20)
        return Peaks(np.sort(rng.uniform(0, seconds, count)).astype(np.float32),
                     rng.uniform(np.log2(200.0), np.log2(3_800.0), count).astype(np.float32), seconds)

    query_track = synthetic(60.0, rng)

    def track_of(i: int) -> tuple[bytes, float]:
        track = (planted_track(query_track, rng) if i == pieces - 2 else query_track if i == pieces - 1
                 else synthetic(float(rng.uniform(30, 90)), rng))
        return track.to_bytes(), track.duration

    def made(i: int) -> tuple[bytes, float]:
        if videos:
            return track_of(i)
        peaks = peaks_of(i)
        return peaks.to_bytes(), peaks.duration

    kind, file, media = (FRAMES, FRAMES_FILE, "video") if videos else (PEAKS, PEAKS_FILE, "audio")
    sha = ""
    for start in range(0, pieces, 1000):
        contents, arts = [], []
        for i in range(start, min(start + 1000, pieces)):
            sha = hashlib.sha256(f"recording {i}".encode()).hexdigest()
            data, seconds = made(i)
            path = store.files.derived_dir(sha) / file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            contents.append({"sha256": sha, "size": 1, "media_type": media, "status": "ready",
                             "probe": {"media_type": media, "duration": seconds}})
            arts.append({"sha256": sha, "kind": kind, "model": MADE_BY[kind], "path": store.files.relative(path)})
        with store.db.session() as session:
            session.execute(Content.__table__.insert(), contents)
            session.execute(Artifact.__table__.insert(), arts)
    store.close()
    return sha


def text_pool(args: argparse.Namespace) -> None:
    trees = [("this", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
    for _ in range(args.rounds):
        for name, tree in trees:
            got = run_child(CHILD, tree, str(args.text_pool), "text", "", str(ROOT / "benchmarks"))
            print(f"{name}: first match in a new process {got['seconds']:.1f} s, {got['texts']:,} texts indexed, "
                  f"peak anonymous memory {got['peak_anon_mb']:.0f} MB; found {len(got['found'])}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="the sound pool: made once, then reused")
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1, help="build then load, this many times")
    parser.add_argument("--text-pool", type=Path, help="time the first match in this text pool instead")
    parser.add_argument("--baseline", type=Path, help="with --text-pool: a tree of older code to alternate with")
    parser.add_argument("--videos", action="store_true", help="a pool of videos: time the picture index (see above)")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    if args.text_pool:
        text_pool(args)
        return
    if args.data_dir is None:
        parser.error("name the sound pool (--data-dir) or a text pool (--text-pool)")
    query = hashlib.sha256(f"recording {args.pieces - 1}".encode()).hexdigest()
    if not (args.data_dir / "data" / "triage.db").exists():
        started = time.perf_counter()
        populate(args.data_dir, args.pieces, args.videos)
        what = "videos" if args.videos else "recordings"
        print(f"populated {args.pieces:,} {what} in {time.perf_counter() - started:.0f} s", flush=True)
    answers = set()
    for _ in range(args.rounds):
        for mode in ("build", "load"):
            got = run_child(CHILD, ROOT, str(args.data_dir), mode, query, str(ROOT / "benchmarks"))
            answers.add(tuple(got["found"]))  # type: ignore[arg-type]
            indexed = f"{got['videos']:,} videos" if args.videos else f"{got['recordings']:,} recordings"
            print(f"{mode}: first match in a new process {got['seconds']:.1f} s, {indexed} "
                  f"indexed, peak anonymous memory {got['peak_anon_mb']:.0f} MB (RSS with mapped postings "
                  f"{got['peak_rss_mb']:.0f} MB); found {'; '.join(got['found'])}", flush=True)
    print("answers: " + ("the same" if len(answers) == 1 else f"DIFFER: {answers}"))


if __name__ == "__main__":
    main()
