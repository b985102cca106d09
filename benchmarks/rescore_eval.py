"""Re-score kept `triage eval` data dirs without ingesting again: search-by-brief nDCG@10 per corpus, as
scored now and with perfect transcripts (the corpus's true spoken words in place of Whisper's, same chunking).

The second figure tells how much transcription errors cost search. A third is a supervised baseline over the
same whole-piece word vectors: a logistic regression trained on four fifths of the answer key (5 folds,
stratified, copies of one piece kept in one fold), ranking each fold's pieces it never saw. Each data dir comes
from `triage eval CORPUS --keep DATA`.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/rescore_eval.py CORPUS DATA [CORPUS DATA ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from triage import runtime
from triage.chunking import chunk_text
from triage.config import Settings
from triage.encoders.base import TextEncoder
from triage.evaluation.corpus import Corpus, load_corpus
from triage.evaluation.metrics import ndcg_at_k
from triage.pipeline import CHUNK_WORDS
from triage.scoring.dedup import DuplicateGroup
from triage.scoring.modality import text_space_vectors
from triage.scoring.relevance import score_pool
from triage.scoring.shortlist import shortlist
from triage.scoring.types import CalloutQuery, Explanation, Scored, Vectors
from triage.service.duplicates import pool_groups
from triage.service.pool import Pool, load_pool
from triage.service.queries import prompt_query

Prepared = list[tuple[str, Pool, CalloutQuery, list[DuplicateGroup], set[str]]]


def prepare(corpus: Corpus, data_dir: Path) -> tuple[Prepared, TextEncoder]:
    """Each call-out's pool, its brief as a search query, and its duplicate groups, read from a kept data dir."""
    settings = Settings(data_dir=data_dir)
    store = runtime.open_store(settings)
    models = runtime.query_encoders(settings)
    out: Prepared = []
    for callout in corpus.callouts:
        with store.db.session() as session:
            pool = load_pool(session, callout["id"])
            query = prompt_query(session, models, callout["brief"])
            groups = pool_groups(session, pool)
        out.append((callout["id"], pool, query, groups, corpus.relevant_ids(callout["id"])))
    return out, models.text


def search_ndcg(corpus: Corpus, prepared: Prepared) -> dict[str, float]:
    figures = {}
    for callout_id, pool, query, groups, relevant in prepared:
        scored = score_pool(list(pool.items.values()), query)
        page = shortlist(scored, pool.items, groups=groups, diversity=0.0, limit=10)
        ranked = [pool.external(e.item_id) for e in page.entries]
        figures[callout_id] = ndcg_at_k(ranked, relevant, 10, corpus.duplicate_groups)
    return figures


def probe_ndcg(corpus: Corpus, prepared: Prepared) -> dict[str, float]:
    """nDCG@10 of a linear classifier trained on most of the answer key, over the pieces it was not trained on."""
    from sklearn.linear_model import LogisticRegression  # comes with sentence-transformers
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

    copies = {m: k for k, group in enumerate(corpus.duplicate_groups) for m in group}
    figures = {}
    for callout_id, pool, _query, groups, relevant in prepared:
        items = list(pool.items.values())
        vectors = text_space_vectors(items)
        dim = next(len(v) for v in vectors if v is not None)
        x = np.stack([v if v is not None else np.zeros(dim) for v in vectors])
        y = np.array([pool.external(i.submission_id) in relevant for i in items])
        folds = [copies.get(pool.external(i.submission_id), pool.external(i.submission_id)) for i in items]
        cv = StratifiedGroupKFold(5, shuffle=True, random_state=0)
        p = cross_val_predict(LogisticRegression(max_iter=2000), x, y, groups=folds, cv=cv,
                              method="predict_proba")[:, 1]
        scored = [Scored(i.submission_id, float(p[k]), {}, Explanation("text", float(p[k])))
                  for k, i in enumerate(items)]
        page = shortlist(scored, pool.items, groups=groups, diversity=0.0, limit=10)
        figures[callout_id] = ndcg_at_k([pool.external(e.item_id) for e in page.entries], relevant, 10,
                                        corpus.duplicate_groups)
    return figures


def use_true_words(corpus_dir: Path, prepared: Prepared, encoder: TextEncoder) -> None:
    """Replace every transcript's vectors with those of the words really spoken (chunked like ingest does)."""
    spoken = json.loads((corpus_dir / "truth.json").read_text(encoding="utf-8"))["spoken"]
    seen: set[int] = set()
    for _, pool, *_ in prepared:
        if id(pool) in seen:
            continue
        seen.add(id(pool))
        for sid, item in pool.items.items():
            words = spoken.get(pool.external(sid))
            if item.transcript is None or not words:
                continue
            chunks = chunk_text(words, max_words=CHUNK_WORDS)
            item.transcript = Vectors(matrix=encoder.encode([c.text for c in chunks]), chunks=chunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="+", type=Path, help="CORPUS_DIR DATA_DIR, repeated")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give corpus and data dirs in pairs")
    print("| corpus | search nDCG@10 | with perfect transcripts | supervised baseline "
          "| per call-out (perfect transcripts) |")
    print("| --- | --- | --- | --- | --- |")
    for corpus_dir, data_dir in zip(args.pairs[::2], args.pairs[1::2], strict=True):
        corpus = load_corpus(corpus_dir)
        prepared, encoder = prepare(corpus, data_dir)
        now = search_ndcg(corpus, prepared)
        probe = probe_ndcg(corpus, prepared)
        use_true_words(corpus_dir, prepared, encoder)
        perfect = search_ndcg(corpus, prepared)
        per = " ".join(f"{k} {v:.2f}" for k, v in perfect.items())
        print(f"| {corpus_dir.name} | {np.mean(list(now.values())):.3f} | {np.mean(list(perfect.values())):.3f} "
              f"| {np.mean(list(probe.values())):.3f} | {per} |")


if __name__ == "__main__":
    main()
