"""Build the evaluation corpora and run `triage eval` on each: the "Triage quality" table of RESULTS.md.

dev comes from `../shared/eval/dev_config.json`; the others from `benchmarks/corpora/*.json`, built by the shared
builder, or by `build_hard_corpus.py` for the `hard*` configs. A corpus already built under WORK is reused; each
eval starts from a fresh data dir (kept under WORK/data_NAME for a look afterwards).

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/eval_corpora.py /tmp/ev            # all of them
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/eval_corpora.py /tmp/ev alt2 hard1 # some
    .venv/bin/python benchmarks/eval_corpora.py /tmp/ev --table                      # the table from earlier runs
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED_EVAL = HERE.parents[1] / "shared" / "eval"
CONFIGS = {"dev": SHARED_EVAL / "dev_config.json", **{p.stem: p for p in sorted((HERE / "corpora").glob("*.json"))}}


def build(name: str, work: Path) -> Path:
    """The corpus folder for `name`, built from its config unless it is there already."""
    target = work / name
    if (target / "truth.json").is_file():  # the builder writes it last
        return target
    builder = HERE / "build_hard_corpus.py" if name.startswith("hard") else SHARED_EVAL / "build_corpus.py"
    subprocess.run([sys.executable, str(builder), str(CONFIGS[name]), str(target)], check=True)
    return target


def evaluate(name: str, corpus: Path, work: Path) -> dict:
    data = work / f"data_{name}"
    shutil.rmtree(data, ignore_errors=True)
    triage = Path(sys.executable).with_name("triage")
    done = subprocess.run([str(triage), "eval", str(corpus), "--json", "--keep", str(data)],
                          check=True, capture_output=True, text=True)
    result: dict = json.loads(done.stdout)
    (work / f"{name}.json").write_text(json.dumps(result, indent=1))
    return result


def row(name: str, result: dict) -> str:
    avg = result["average"]
    dup, wer, ingest = avg["duplicates"], avg.get("wer") or {}, avg["ingest"]
    ready = ingest["by_status"].get("ready", 0)
    return (f"| {name} | {avg['search']['ndcg@10']:.3f} | {avg['search']['precision@10']:.2f} "
            f"| {avg['bm25']['ndcg@10']:.3f} | {avg['shortlist']['precision@5']:.2f} "
            f"| {dup['precision']:.2f} / {dup['recall']:.2f} / {dup['f1']:.2f} ({dup['true_pairs']}) "
            f"| {avg['repeats']} | {wer.get('mean', float('nan')):.2f} "
            f"| {ingest['seconds_total']:.0f} s, {ready} ready |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", type=Path, help="where corpora, data dirs and results go")
    parser.add_argument("names", nargs="*", help=f"corpora to run (default: all of {', '.join(CONFIGS)})")
    parser.add_argument("--table", action="store_true", help="only print the table from results already in WORK")
    args = parser.parse_args()
    names = args.names or list(CONFIGS)
    unknown = set(names) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown corpora {sorted(unknown)}; known: {', '.join(CONFIGS)}")
    args.work.mkdir(parents=True, exist_ok=True)
    print("| corpus | search nDCG@10 | P@10 | BM25 nDCG@10 | shortlist P@5 | duplicates P / R / F1 (pairs) "
          "| shown twice | WER mean | ingest |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    means = []
    for name in names:
        saved = args.work / f"{name}.json"
        if args.table:
            if not saved.is_file():
                continue
            result = json.loads(saved.read_text())
        else:
            result = evaluate(name, build(name, args.work), args.work)
        means.append(result["average"]["search"]["ndcg@10"])
        print(row(name, result), flush=True)
    if means:
        print(f"\nsearch nDCG@10 averaged over {len(means)} corpora: {sum(means) / len(means):.3f}")


if __name__ == "__main__":
    main()
