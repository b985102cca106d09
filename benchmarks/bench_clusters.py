"""Cluster quality (NMI, purity against truth categories) on ingested eval data dirs, before/after k choice.

Usage: python benchmarks/bench_clusters.py CORPUS_DIR:DATA_DIR [...]
"Before" is silhouette over k in [2, sqrt(n)] (the earlier rule); "after" is cluster_pool as shipped.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from triage import runtime
from triage.config import Settings
from triage.evaluation.cluster_metrics import nmi, purity
from triage.evaluation.corpus import load_corpus
from triage.scoring.cluster import cluster_pool, item_features, kmeans, silhouette
from triage.service.pool import load_pool


def old_k(x: np.ndarray) -> int:
    scores = {k: silhouette(x, kmeans(x, k, 0)) for k in range(2, min(12, int(math.sqrt(len(x)))) + 1)}
    return max(scores, key=lambda k: (scores[k], -k))


def main(pairs: list[str]) -> None:
    for pair in pairs:
        corpus_dir, data_dir = pair.split(":")
        corpus = load_corpus(Path(corpus_dir))
        store = runtime.open_store(Settings(data_dir=Path(data_dir)))
        with store.db.session() as session:
            pool = load_pool(session, corpus.callouts[0]["id"], with_fingerprints=False)
        items = list(pool.items.values())
        truth = [corpus.category.get(pool.external(i.submission_id), "?") for i in items]
        before = list(kmeans(item_features(items), old_k(item_features(items)), 0))
        t0 = time.perf_counter()
        clusters = cluster_pool(items)
        seconds = time.perf_counter() - t0
        of = {m: c.id for c in clusters for m in c.members}
        after = [of[i.submission_id] for i in items]
        print(f"| {Path(corpus_dir).name} | {len(items)} | {len(set(before))} | {nmi(before, truth):.3f} | "
              f"{purity(before, truth):.3f} | {len(clusters)} | {nmi(after, truth):.3f} | "
              f"{purity(after, truth):.3f} | {seconds:.2f} |")
        for c in clusters[:4]:
            print(f"  {Path(corpus_dir).name}: {c.size} items: {c.label}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", nargs="+", metavar="CORPUS_DIR:DATA_DIR",
                        help="a corpus and the data dir `triage eval CORPUS_DIR --keep DATA_DIR` left behind")
    main(parser.parse_args().pairs)
