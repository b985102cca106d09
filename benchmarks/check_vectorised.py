"""Check on a real data dir that the vectorised scoring (issue 21) ranks as the per-piece path did.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/check_vectorised.py DATA_DIR [--prompts 20]

For every call-out: its own query and prompts (the other call-outs' phrases, a few fixed ones), each scored by
`score_pool` and by the per-piece reference kept in tests/scoring/reference_relevance.py, with the models the
data dir's settings name. Prints the largest score gap, how many rank positions and reasons differ, and the floor's
good/weak marks that differ (all should be 0 but float-rounding ties).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scoring import reference_relevance as ref  # noqa: E402
from triage import runtime  # noqa: E402
from triage.config import Settings  # noqa: E402
from triage.scoring.floor import floor_for, match  # noqa: E402
from triage.scoring.modality import PoolFeatures  # noqa: E402
from triage.scoring.query import callout_texts  # noqa: E402
from triage.scoring.relevance import score_pool  # noqa: E402
from triage.service.memo import Embeddings  # noqa: E402
from triage.service.pool import load_pool, model_names  # noqa: E402
from triage.service.queries import callout_query, prompt_query  # noqa: E402
from triage.service.search import floor_calibration  # noqa: E402
from triage.store.callouts import list_callouts  # noqa: E402

FIXED = ["a dog that steals food", "my first day at a new job", "rain", "the number one", "tv"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--prompts", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings(data_dir=args.data_dir)
    store = runtime.open_store(settings)
    models = runtime.query_encoders(settings)
    floor = floor_for(models.text.name, floor_calibration())
    with store.db.session() as session:
        callouts = list_callouts(session)
        prompts = FIXED + [t for c in callouts for t in callout_texts(c.title, c.brief)[3:]]
        prompts = prompts[:args.prompts]
        kept = Embeddings()  # each text embedded once
        queries = {c.id: [("call-out", callout_query(session, models, c, kept))] for c in callouts}
        for c in callouts:
            queries[c.id] += [(p, prompt_query(session, models, p, kept)) for p in prompts]
        pools = {c.id: load_pool(session, c.id, models=model_names(models)) for c in callouts}
    totals = {"queries": 0, "pieces": 0, "gap": 0.0, "moved": 0, "reasons": 0, "marks": 0, "new_s": 0.0, "old_s": 0.0}
    for callout_id, pool in pools.items():
        items = list(pool.items.values())
        if not items:
            continue
        features = PoolFeatures(items)
        for _, query in queries[callout_id]:
            t = time.perf_counter()
            new = score_pool(items, query, features=features)
            totals["new_s"] += time.perf_counter() - t
            t = time.perf_counter()
            old = ref.score_pool(items, query)
            totals["old_s"] += time.perf_counter() - t
            totals["queries"] += 1
            totals["pieces"] += len(items)
            totals["gap"] = max(totals["gap"], *(abs(a.score - b.score) for a, b in zip(new, old, strict=True)))
            order = [s.item_id for s in sorted(new, key=lambda s: (-s.score, s.item_id))]
            before = [s.item_id for s in sorted(old, key=lambda s: (-s.score, s.item_id))]
            totals["moved"] += sum(a != b for a, b in zip(order, before, strict=True))
            totals["reasons"] += sum((a.why.modality, a.why.snippet, a.why.start, a.why.frame_time)
                                     != (b.why.modality, b.why.snippet, b.why.start, b.why.frame_time)
                                     for a, b in zip(new, old, strict=True))
            totals["marks"] += sum(match(a.words_similarity, floor) != match(b.words_similarity, floor)
                                   for a, b in zip(new, old, strict=True))
    print(f"data dir {args.data_dir}, text model {models.text.name}, floor {floor}")
    print(f"{totals['queries']} queries over {len(pools)} call-outs ({totals['pieces']} piece scores): "
          f"largest score gap {totals['gap']:.2e}, rank positions moved {totals['moved']}, "
          f"reasons differing {totals['reasons']}, floor marks differing {totals['marks']}")
    print(f"scoring time: vectorised {totals['new_s']:.2f} s, per-piece reference {totals['old_s']:.2f} s")


if __name__ == "__main__":
    main()
