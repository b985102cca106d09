"""`triage eval`: ingest a labelled corpus into a fresh data dir and measure what curators would notice.

Every call-out's pool is the whole corpus (the manifest is ingested into each call-out; identical bytes are
processed once), so each call-out must find its own pieces among everyone else's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Any

from triage import runtime
from triage.config import Settings
from triage.domain import MediaType
from triage.encoders.base import Encoders
from triage.evaluation.bm25 import BM25
from triage.evaluation.cluster_metrics import nmi, purity
from triage.evaluation.corpus import Corpus
from triage.evaluation.metrics import duplicate_pair_scores, ndcg_at_k, precision_at_k
from triage.ingest import sources as src
from triage.ingest.runner import ingest
from triage.scoring.cluster import cluster_pool
from triage.service import duplicates as dup_service
from triage.service.pool import Pool, load_pool, model_names
from triage.service.search import search
from triage.service.shortlist import shortlist
from triage.store.callouts import upsert_callout
from triage.store.store import Store
from triage.textnorm import word_error_rate

SEARCH_K = 10
SHORTLIST_K = 5
PAGE = 20  # the page checked for a duplicate shown twice


@dataclass
class IngestFigures:
    seconds_first: float  # the one ingest that processes every file
    seconds_total: float  # all call-outs (the later ones reuse the processed bytes)
    by_status: dict[str, int]


def setup(store: Store, settings: Settings, corpus: Corpus, models: Encoders,
          on_file: Callable[[], None] | None = None) -> IngestFigures:
    """Create the call-outs and ingest the manifest into every one of them."""
    with store.db.session() as session:
        for c in corpus.callouts:
            upsert_callout(session, c["id"], title=c.get("title"), brief=c.get("brief"),
                           prompts=c.get("prompts"), negative_prompts=c.get("negative_prompts"))
    by_status: dict[str, int] = {}
    first = 0.0
    start = time.perf_counter()
    engine = runtime.analysis_engine(settings, models)  # TRIAGE_ENGINE=ray spreads the first ingest over Ray
    try:
        for n, c in enumerate(corpus.callouts):
            t0 = time.perf_counter()
            results = ingest(store, c["id"], list(src.from_manifest(corpus.manifest)), engine,
                             max_file_bytes=settings.max_file_bytes, allow_mislabelled=settings.allow_mislabelled,
                             on_result=(lambda _r: on_file()) if on_file else None)
            if n == 0:
                first = time.perf_counter() - t0
                for r in results:
                    by_status[r.status] = by_status.get(r.status, 0) + 1
    finally:
        engine.close()
    return IngestFigures(first, time.perf_counter() - start, by_status)


def ranking_figures(ranked: Sequence[str], relevant: set[str], groups: list[list[str]]) -> dict[str, float]:
    """nDCG@10 and precision@10, a duplicate of an item already listed counting as not relevant."""
    return {"ndcg@10": ndcg_at_k(ranked, relevant, SEARCH_K, groups),
            "precision@10": precision_at_k(ranked, relevant, SEARCH_K, groups)}


def repeats(ranked: Sequence[str], groups: list[list[str]]) -> int:
    """How many listed items are true duplicates of an item listed above them."""
    group = {m: g for g, members in enumerate(groups) for m in members}
    seen: set[int] = set()
    count = 0
    for ext in ranked:
        if ext in group:
            count += group[ext] in seen
            seen.add(group[ext])
    return count


def bm25_ranking(pool: Pool, query: str) -> list[str]:
    """External ids of the pool ranked by BM25 over the same words triage sees (texts and transcripts)."""
    # Ties (many pieces share no query word) fall in external-id order: submission ids are new at every ingest,
    # and would make the baseline differ from one run of the same corpus to the next.
    ids = sorted(pool.items, key=lambda i: (pool.external(i), i))
    order = BM25([pool.items[i].words for i in ids]).rank(query)
    return [pool.external(ids[k]) for k in order]


def transcript_wer(pool: Pool, corpus: Corpus) -> dict[str, Any]:
    """Word error rate of the transcripts of audio and video pieces whose spoken words are known."""
    rates = [word_error_rate(corpus.spoken[pool.external(sid)], item.words)
             for sid, item in pool.items.items()
             if item.media_type in (MediaType.AUDIO, MediaType.VIDEO) and corpus.spoken.get(pool.external(sid))]
    return {"items": len(rates), "mean": mean(rates) if rates else None,
            "median": sorted(rates)[len(rates) // 2] if rates else None}


def duplicate_figures(store: Store, pool: Pool, corpus: Corpus) -> dict[str, Any]:
    """Pairwise precision/recall/F1 of the duplicate groups triage finds in the pool."""
    with store.db.session() as session:
        found = dup_service.pool_groups(session, pool)
    predicted = [[pool.external(m) for m in g.members] for g in found]
    s = duplicate_pair_scores(predicted, corpus.duplicate_groups)
    return {"precision": s.precision, "recall": s.recall, "f1": s.f1,
            "predicted_pairs": s.predicted_pairs, "true_pairs": s.true_pairs}


def cluster_figures(pool: Pool, corpus: Corpus) -> dict[str, Any]:
    """NMI and purity of the pool's automatic clusters against the answer key's categories."""
    found = cluster_pool(list(pool.items.values()))
    of = {m: c.id for c in found for m in c.members}
    known = [sid for sid in pool.items if pool.external(sid) in corpus.category]
    predicted = [of[sid] for sid in known]
    truth = [corpus.category[pool.external(sid)] for sid in known]
    return {"k": len(found), "nmi": nmi(predicted, truth), "purity": purity(predicted, truth)}


def evaluate_callout(store: Store, models: Encoders, corpus: Corpus, callout: dict) -> dict[str, Any]:
    """Search by the brief, the shortlist and the duplicate groups of one call-out, scored against the key."""
    cid = callout["id"]
    brief = callout.get("brief") or callout.get("title") or cid
    relevant = corpus.relevant_ids(cid)
    groups = corpus.duplicate_groups
    found = search(store, models, brief, callout_id=cid, limit=PAGE)
    ranked = [i["external_id"] for i in found["items"]]
    listed = shortlist(store, models, cid, limit=PAGE)
    short = [i["external_id"] for i in listed["items"]]
    with store.db.session() as session:
        pool = load_pool(session, cid, models=model_names(models))
    baseline = bm25_ranking(pool, brief)
    return {
        "callout": cid, "pool": len(pool.items), "relevant": len(relevant),
        "search": ranking_figures(ranked, relevant, groups),
        "bm25": ranking_figures(baseline, relevant, groups),
        "shortlist": {"precision@5": precision_at_k(short, relevant, SHORTLIST_K, groups)},
        "duplicates": duplicate_figures(store, pool, corpus),
        "repeats": {"search": repeats(ranked, groups), "shortlist": repeats(short, groups)},
        "wer": transcript_wer(pool, corpus),
        "clusters": cluster_figures(pool, corpus),
        "top": {"search": ranked[:SEARCH_K], "bm25": baseline[:SEARCH_K], "shortlist": short[:SHORTLIST_K]},
    }


def summarise(per_callout: list[dict[str, Any]], ingest_figs: IngestFigures) -> dict[str, Any]:
    """Averages over call-outs; duplicate and WER figures are the same pool's, so the first is reported."""
    def avg(section: str, key: str) -> float:
        return mean(c[section][key] for c in per_callout) if per_callout else 0.0

    first = per_callout[0] if per_callout else {}
    return {
        "search": {"ndcg@10": avg("search", "ndcg@10"), "precision@10": avg("search", "precision@10")},
        "bm25": {"ndcg@10": avg("bm25", "ndcg@10"), "precision@10": avg("bm25", "precision@10")},
        "shortlist": {"precision@5": avg("shortlist", "precision@5")},
        "duplicates": first.get("duplicates", {}),
        "wer": first.get("wer", {}),
        "repeats": sum(c["repeats"]["search"] + c["repeats"]["shortlist"] for c in per_callout),
        "ingest": {"seconds_first": ingest_figs.seconds_first, "seconds_total": ingest_figs.seconds_total,
                   "by_status": ingest_figs.by_status},
    }


def run_eval(corpus: Corpus, settings: Settings, on_file: Callable[[], None] | None = None) -> dict[str, Any]:
    """Ingest `corpus` into `settings.data_dir` (which should be fresh) and measure everything."""
    store = runtime.open_store(settings)
    models = runtime.encoders(settings)
    figures = setup(store, settings, corpus, models, on_file)
    per_callout = [evaluate_callout(store, models, corpus, c) for c in corpus.callouts]
    return {"corpus": str(corpus.root), "data_dir": str(settings.data_dir),
            "models": {"whisper": settings.whisper_model, "text": settings.text_model,
                       "clip": settings.clip_model if models.clip is not None else None},
            "callouts": per_callout, "average": summarise(per_callout, figures)}
