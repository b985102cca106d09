"""How good is "more like this"? Precision@10 of `triage similar` on ingested evaluation corpora.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/similar_quality.py NAME:CORPUS_DIR:DATA_DIR [...]
(DATA_DIR: a data dir `triage eval CORPUS_DIR --keep DATA_DIR` left behind.)

Each query is a piece on one of the call-outs' topics (40 per corpus, drawn with a fixed seed); a hit is a piece
of the same topic among its top ten, copies left out as `similar` leaves them out. Beside it: the same with plain
cosine between whole-piece word vectors, and the share a random order would give. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np

from triage import runtime
from triage.config import Settings
from triage.evaluation.corpus import Corpus, load_corpus
from triage.scoring.modality import text_space_vectors
from triage.service.cache import PoolCache
from triage.service.duplicates import pool_groups
from triage.service.pool import load_pool
from triage.service.search import similar
from triage.store.store import Store

QUERIES = 40


def queries(corpus: Corpus) -> list[str]:
    topics = {t for c in corpus.callouts for t in corpus.relevant.get(c["id"], [])}
    pieces = sorted(e for e, topic in corpus.category.items() if topic in topics)
    random.Random(0).shuffle(pieces)
    return pieces[:QUERIES]


def same_topic(corpus: Corpus, query: str, found: list[str]) -> float:
    return float(np.mean([corpus.category.get(e) == corpus.category[query] for e in found])) if found else 0.0


def cosine_top10(store: Store, callout_id: str, query: str) -> list[str]:
    """The baseline: nearest whole-piece word vectors, one per duplicate group, the piece's group left out."""
    with store.db.session() as session:
        pool = load_pool(session, callout_id)
        groups = pool_groups(session, pool)
    ids = list(pool.items)
    vectors = text_space_vectors([pool.items[i] for i in ids])
    group_of = {m: tuple(g.members) for g in groups for m in g.members}
    sid = next(i for i in ids if pool.external(i) == query)
    q = vectors[ids.index(sid)]
    if q is None:
        return []
    ranked = sorted(((float(q @ v), i) for i, v in zip(ids, vectors, strict=True) if v is not None), reverse=True)
    seen, top = {group_of.get(sid, (sid,))}, []
    for _, i in ranked:
        group = group_of.get(i, (i,))
        same_bytes = pool.submissions[i].sha256 == pool.submissions[sid].sha256
        if group in seen or same_bytes:
            continue
        seen.add(group)
        top.append(pool.external(i))
        if len(top) == 10:
            break
    return top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="+", metavar="NAME:CORPUS_DIR:DATA_DIR")
    args = parser.parse_args()
    print("| corpus | queries | triage similar P@10 | plain cosine P@10 | random P@10 | median ms per query |")
    print("| --- | --- | --- | --- | --- | --- |")
    for arg in args.corpora:
        name, corpus_dir, data_dir = arg.split(":")
        corpus = load_corpus(Path(corpus_dir))
        settings = Settings(data_dir=Path(data_dir))
        store, models, cache = runtime.open_store(settings), runtime.encoders(settings), PoolCache()
        callout_id = corpus.callouts[0]["id"]  # every call-out's pool is the whole corpus
        ours, cosine, chance, times = [], [], [], []
        for query in queries(corpus):
            start = time.perf_counter()
            found = similar(store, models, query, callout_id=callout_id, limit=10, cache=cache)
            times.append(time.perf_counter() - start)
            ours.append(same_topic(corpus, query, [i["external_id"] for i in found["items"]]))
            cosine.append(same_topic(corpus, query, cosine_top10(store, callout_id, query)))
            peers = sum(1 for topic in corpus.category.values() if topic == corpus.category[query]) - 1
            chance.append(peers / (len(corpus.category) - 1))
        print(f"| {name} | {len(ours)} | {np.mean(ours):.2f} | {np.mean(cosine):.2f} | {np.mean(chance):.2f} "
              f"| {1000 * np.median(times):.0f} |", flush=True)


if __name__ == "__main__":
    main()
