"""Damaged copies of the good media fixtures, for checking that ingest refuses bad files cleanly.

Each mutant is a good fixture cut short, with bits flipped, a span zeroed or repeated, or its tail replaced
by another file's bytes: the damage real uploads suffer. `tests/ingest/test_mutants.py` ingests a fixed
set of them; a longer campaign, which prints every mutant that did not end ready or cleanly refused:

    HF_HUB_OFFLINE=1 .venv/bin/python -m tests.mutants --seed 7 --count 400 [--real-models]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections import Counter
from pathlib import Path

from tests.conftest import MEDIA
from triage import runtime
from triage.config import Settings
from triage.ingest.runner import ItemResult, ingest
from triage.ingest.sources import from_paths
from triage.store.callouts import upsert_callout

KINDS = ("cut", "flip", "scramble", "zero", "splice", "repeat")


def mutate(data: bytes, kind: str, rng: random.Random, other: bytes) -> bytes:
    """One kind of damage to `data`; `other` is another file's bytes for splicing."""
    out = bytearray(data)
    at = rng.randrange(len(out))
    if kind == "cut":
        return bytes(out[: max(1, at)])
    if kind == "flip":
        for _ in range(rng.randrange(1, 8)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    elif kind == "scramble":  # about 2% of the bytes replaced
        for _ in range(len(out) // 50 + 1):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif kind == "zero":
        end = min(len(out), at + rng.randrange(1, 4096))
        out[at:end] = bytes(end - at)
    elif kind == "splice":
        return bytes(out[:at]) + other[rng.randrange(len(other)):]
    elif kind == "repeat":
        end = min(len(out), at + rng.randrange(1, 2048))
        return bytes(out[:end]) + bytes(out[at:end]) + bytes(out[end:])
    return bytes(out)


def write_mutants(out: Path, count: int, seed: int) -> list[Path]:
    """`count` mutants of the good fixtures in `out`, named after their damage and source."""
    rng = random.Random(seed)
    good = sorted((MEDIA / "good").iterdir())
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        source, other = rng.choice(good), rng.choice(good)
        kind = rng.choice(KINDS)
        path = out / f"{i:04d}_{kind}_{source.name}"
        path.write_bytes(mutate(source.read_bytes(), kind, rng, other.read_bytes()))
        paths.append(path)
    return paths


def ingest_all(settings: Settings, folder: Path) -> list[ItemResult]:
    """Ingest every file of `folder` into a fresh call-out, in one batch."""
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "mutants", title="Mutants", brief="Damaged copies of the fixtures.")
    analyse = runtime.analyser(settings, runtime.encoders(settings))
    return ingest(store, "mutants", list(from_paths([folder])), analyse, max_file_bytes=settings.max_file_bytes)


def unclean(results: list[ItemResult], private: Path) -> list[tuple[str, str, str | None]]:
    """The results that are neither ready nor refused with a reason, or whose reason names a path under `private`."""
    return [(Path(r.source).name, r.status, r.error) for r in results
            if r.status not in ("ready", "rejected") or (r.status == "rejected" and not r.error)
            or str(private) in (r.error or "")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--real-models", action="store_true", help="the bundled models instead of the fakes")
    args = parser.parse_args()
    fake = {} if args.real_models else {"whisper_model": "fake", "text_model": "fake", "clip_model": "fake"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_mutants(root / "media", args.count, args.seed)
        results = ingest_all(Settings(data_dir=root / "data", **fake), root / "media")  # type: ignore[arg-type]
        print(Counter(r.status for r in results))
        for name, status, error in unclean(results, root):
            print(status, name, error)


if __name__ == "__main__":
    main()
