"""Calibrate search's "no good match" floor: the null distribution of the raw words score between unrelated texts.

For each text model, the score is the one search ranks by before any standardising: the raw blend of
`triage.scoring.modality.modality_scores` (the piece's pooled vector and its best sentence or pair of sentences
against the prompt's rows, as `triage.scoring.query.callout_texts` makes them), computed by that very function.

The null pairs a short prompt-like phrase (the first 3 to 24 words of a sentence) from one file of Debian's
`fortunes` package with a piece-like text (entries of ANOTHER file joined to a length drawn log-uniformly from 8 to
480 words, chunked as ingest chunks texts). Pieces of many lengths, because the score takes a piece's best span: a
longer piece has more spans to find a chance match in. Entries found in more than one file are dropped. Nothing about
any call-out, brief or evaluation corpus goes in; `--exclude` keeps named files out altogether (the committed
calibration leaves out the files its evaluation corpora were built from, so those pieces are unseen).

The floor is the PERCENTILE-th percentile of the null. Beside it the script reports what the choice means: the share
of unrelated pairs over the floor by piece length, the expected share of unrelated prompts that find no good match
in pools of 20 to 500 unrelated pieces, and, as a rough view of the other side, the share of SAME-file pairs over it
(a phrase and a piece from one file share its topic; never the phrase's own entry).

    HF_HUB_OFFLINE=1 nice .venv/bin/python benchmarks/calibrate_floor.py --exclude F1 F2 ...     # default model
    HF_HUB_OFFLINE=1 nice .venv/bin/python benchmarks/calibrate_floor.py --model nomic-embed-text-v1.5 ...
    ... --dry-run                                                                               # write nothing

The result is merged, per model name, into triage/scoring/floor_calibration.json with the command, date and sample
sizes. A joined model ("a+b") also calibrates each part from the same vectors: its cosine is their
dimension-weighted mean, so a part's vector is its slice of the joined one, made unit again.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import random
import re
import shlex
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from triage import runtime
from triage.chunking import chunk_text, pool
from triage.config import Settings
from triage.encoders.base import TextEncoder
from triage.encoders.joined import JoinedTextEncoder
from triage.pipeline import CHUNK_WORDS
from triage.scoring.modality import modality_scores
from triage.scoring.query import callout_texts
from triage.scoring.relevance import RelevanceParams
from triage.scoring.types import Vectors, unit

FORTUNES = Path("/usr/share/games/fortunes")
NOT_PROSE = {"ascii-art"}  # drawings, not words
OUT = Path(__file__).resolve().parents[1] / "triage" / "scoring" / "floor_calibration.json"
PIECE_WORDS = (8, 480)  # one short entry up to about three minutes of speech
PROMPT_WORDS = (3, 24)  # a few words up to a brief's sentence
# One unrelated piece in a hundred clears the floor by chance (see benchmarks/RESULTS.md, "A floor for search").
PERCENTILE = 99.0
REPORTED = (95.0, 98.0, 99.0, 99.5, 99.9)
LENGTH_BUCKETS = ((1, 1), (2, 3), (4, 7), (8, 15))  # chunks per piece
POOLS = (20, 100, 500)


@dataclass
class Text:
    file: str
    text: str
    entries: frozenset[int]  # which entries of the file it holds


def read_entries(path: Path) -> list[str]:
    """One file's entries as single-spaced prose, attribution lines dropped (as the eval corpus builder reads them)."""
    out = []
    for entry in re.split(r"\n%\n", path.read_text(encoding="latin-1")):
        text = re.sub(r"\s--\s.*$", "", " ".join(entry.split()))
        if len(text) >= 20 and text.isascii():
            out.append(text)
    return out


def fortune_files(exclude: set[str]) -> dict[str, list[str]]:
    """Each prose file's entries, without those that appear in another file too (no pair of files shares a text)."""
    files = {p.name: read_entries(p) for p in sorted(FORTUNES.iterdir())
             if p.is_file() and not p.is_symlink() and p.suffix == "" and p.name not in NOT_PROSE | exclude}
    seen = Counter(e.lower() for entries in files.values() for e in set(entries))
    files = {f: [e for e in entries if seen[e.lower()] == 1] for f, entries in files.items()}
    return {f: entries for f, entries in files.items() if len(entries) >= 20}


def make_piece(file: str, entries: list[str], rng: random.Random) -> Text:
    """Entries of one file joined until a length drawn log-uniformly in PIECE_WORDS (whole entries, no repeats)."""
    want = math.exp(rng.uniform(math.log(PIECE_WORDS[0]), math.log(PIECE_WORDS[1])))
    picked: list[int] = []
    words = 0
    for i in rng.sample(range(len(entries)), len(entries)):
        picked.append(i)
        words += len(entries[i].split())
        if words >= want:
            break
    return Text(file, " ".join(entries[i] for i in picked), frozenset(picked))


def make_prompt(file: str, entries: list[str], rng: random.Random) -> Text:
    """A prompt-like phrase: the first 3 to 24 words of a sentence of one entry, edge punctuation stripped."""
    while True:
        i = rng.randrange(len(entries))
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", entries[i]) if len(s.split()) >= PROMPT_WORDS[0]]
        if sentences:
            words = rng.choice(sentences).split()[:rng.randint(*PROMPT_WORDS)]
            return Text(file, " ".join(words).strip(" .,;:!?\"'()[]-"), frozenset({i}))


def sample(files: dict[str, list[str]], n_pieces: int, n_prompts: int, seed: int) -> tuple[list[Text], list[Text]]:
    """Pieces and prompts, files drawn uniformly so that no big file dominates."""
    rng = random.Random(seed)
    names = sorted(files)
    pieces = [make_piece(f, files[f], rng) for f in (rng.choice(names) for _ in range(n_pieces))]
    prompts = [make_prompt(f, files[f], rng) for f in (rng.choice(names) for _ in range(n_prompts))]
    return pieces, prompts


Piece = tuple[np.ndarray, list[int]]  # chunk vectors, chunk lengths (the pooling weights ingest uses)


def embed(encoder: TextEncoder, pieces: list[Text], prompts: list[Text]) -> tuple[list[Piece], list[np.ndarray]]:
    """Each piece's chunk vectors as ingest makes them; each prompt's query rows as search makes them."""
    chunked = [chunk_text(p.text, max_words=CHUNK_WORDS) for p in pieces]
    vectors = encoder.encode([c.text for cs in chunked for c in cs])
    out: list[Piece] = []
    at = 0
    for cs in chunked:
        out.append((vectors[at:at + len(cs)], [max(1, len(c.text)) for c in cs]))
        at += len(cs)
    rows = [callout_texts("", p.text) or [p.text] for p in prompts]
    flat = encoder.encode_queries([r for rs in rows for r in rs])
    queries, at = [], 0
    for rs in rows:
        queries.append(flat[at:at + len(rs)])
        at += len(rs)
    return out, queries


def views(encoder: TextEncoder, pieces: list[Piece], queries: list[np.ndarray]) -> dict[str, tuple[list, list]]:
    """The model's vectors by its name, and for a joined model each part's."""
    out = {encoder.name: (pieces, queries)}
    if isinstance(encoder, JoinedTextEncoder):
        lo = 0
        for part in encoder.parts:
            cut = slice(lo, lo + part.dim)
            out[part.name] = ([(unit(v[:, cut]), w) for v, w in pieces], [unit(q[:, cut]) for q in queries])
            lo += part.dim
    return out


def all_scores(pieces: list[Piece], queries: list[np.ndarray], params: RelevanceParams) -> np.ndarray:
    """(prompts, pieces) raw scores, each row from one call of the scoring function search uses."""
    vecs: list[Vectors | None] = [Vectors(matrix=v, chunks=[], pooled=pool(v, w)) for v, w in pieces]
    return np.stack([modality_scores(vecs, q, params.pooled_weight, params.max_weight).raw for q in queries])


def percentiles(s: np.ndarray) -> dict[str, float]:
    return {f"p{p:g}": round(float(np.percentile(s, p)), 4) for p in REPORTED}


def report(scores: np.ndarray, pieces: list[Text], prompts: list[Text], chunks: np.ndarray) -> dict[str, Any]:
    """The floor and what it means, from the (prompts, pieces) score matrix."""
    pf = np.array([p.file for p in pieces])
    other = pf[None, :] != np.array([q.file for q in prompts])[:, None]
    own = np.array([[q.entries <= p.entries if p.file == q.file else False for p in pieces] for q in prompts])
    same = ~other & ~own  # one topic, but not the phrase's own entry
    null = scores[other]
    floor = round(float(np.percentile(null, PERCENTILE)), 4)
    lengths = np.broadcast_to(chunks[None, :], scores.shape)
    by_length = {}
    for lo, hi in LENGTH_BUCKETS:
        sel = other & (lengths >= lo) & (lengths <= hi)
        by_length[f"{lo}-{hi} chunks"] = {"pairs": int(sel.sum()),
                                          "over_floor": round(float(np.mean(scores[sel] > floor)), 4),
                                          **percentiles(scores[sel])}
    over = np.array([np.mean(row[keep] > floor) for row, keep in zip(scores, other, strict=True)])
    return {
        "floor": floor,
        "percentile": PERCENTILE,
        "null": {"pairs": int(other.sum()), "mean": round(float(null.mean()), 4), "std": round(float(null.std()), 4),
                 **percentiles(null), "by_piece_length": by_length},
        # mean over prompts of (1 - its share of pieces over the floor) ** n: some generic phrases come near many texts
        "unrelated_prompts_with_no_good_match": {f"pool of {n}": round(float(np.mean((1 - over) ** n)), 3)
                                                 for n in POOLS},
        "same_file_pairs_over_floor": {"pairs": int(same.sum()),
                                       "share": round(float(np.mean(scores[same] > floor)), 4)},
    }


def precision(encoder: TextEncoder) -> str:
    parts = getattr(encoder, "parts", [encoder])
    return "bfloat16" if any(getattr(p, "bf16", False) for p in parts) else "float32"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=Settings().text_model, help="a TRIAGE_TEXT_MODEL setting")
    parser.add_argument("--pieces", type=int, default=1200)
    parser.add_argument("--prompts", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exclude", nargs="*", default=[], help="fortune files to leave out (an eval corpus's)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--dry-run", action="store_true", help="print the result, write nothing")
    args = parser.parse_args()

    files = fortune_files(set(args.exclude))
    pieces, prompts = sample(files, args.pieces, args.prompts, args.seed)
    encoder = runtime.text_encoder(Settings(text_model=args.model))
    started = time.perf_counter()
    piece_vecs, query_vecs = embed(encoder, pieces, prompts)
    print(f"embedded {sum(len(w) for _, w in piece_vecs)} chunks and {sum(len(q) for q in query_vecs)} query rows "
          f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    params = RelevanceParams()
    chunks = np.array([len(w) for _, w in piece_vecs])
    result = {}
    for name, (pv, qv) in views(encoder, piece_vecs, query_vecs).items():
        result[name] = {
            **report(all_scores(pv, qv, params), pieces, prompts, chunks),
            "sample": {"pieces": len(pieces), "prompts": len(prompts), "seed": args.seed,
                       "chunks_per_piece": {"median": float(np.median(chunks)), "max": int(chunks.max())},
                       "fortune_files": sorted(files), "excluded": sorted(args.exclude)},
            "score": {"pooled_weight": params.pooled_weight, "max_weight": params.max_weight,
                      "chunk_words": CHUNK_WORDS},
            "precision": precision(encoder),
            "command": "HF_HUB_OFFLINE=1 python benchmarks/calibrate_floor.py " + shlex.join(sys.argv[1:]),
            "date": datetime.date.today().isoformat(),
        }
    print(json.dumps(result, indent=1))
    if not args.dry_run:
        saved = json.loads(args.out.read_text()) if args.out.is_file() else {}
        saved.update(result)
        args.out.write_text(json.dumps(dict(sorted(saved.items())), indent=1) + "\n")
        print(f"wrote {', '.join(result)} to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
