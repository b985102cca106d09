"""Measure remix lineage (issue 19) on a corpus from build_lineage_corpus.py, through the real CLI.

Ingests the corpus into a fresh data dir in its creation order (one `triage ingest` per wave: platform assets,
originals, pieces that build on them, pieces that build on those), marks the platform assets after the first
wave, reads every piece's lineage and scores the "builds on" edges against truth.json. Prints JSON.

    python3 benchmarks/eval_lineage.py /tmp/lineage-corpus [--keep DATA_DIR] [--one-by-one] [--rebuild]
    python3 benchmarks/eval_lineage.py /tmp/lineage-corpus --keep DATA_DIR --read-only   (score a kept data dir again)

The commands it runs, each as `python -m triage.cli ...` with TRIAGE_DATA_DIR set to the fresh folder:
    callouts create CALLOUT --title T --brief B
    ingest --callout CALLOUT --manifest WAVE.jsonl --allow-outside --json    (external ids = file stems)
    lineage asset EXTERNAL_ID                                                 (each platform asset, after wave 0)
    lineage rebuild                                                           (only with --rebuild)
    lineage EXTERNAL_ID --json                                                (every file)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from triage.evaluation.lineage_metrics import Edge, score_lineage


def cli(data_dir: Path, *args: str) -> str:
    """Run one triage command against `data_dir`; its stdout, or exit with its error."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRIAGE_DATABASE_URL", "TRIAGE_INDEX_DIR")}
    env["TRIAGE_DATA_DIR"] = str(data_dir)
    done = subprocess.run([sys.executable, "-m", "triage.cli", *args], env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1) or (done.returncode == 1 and args[0] != "ingest"):
        raise SystemExit(f"triage {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def waves(files: list[dict], one_by_one: bool) -> list[list[dict]]:
    """The files in creation order, grouped so that sources are ingested before the pieces that use them."""
    ordered = sorted(files, key=lambda f: f["order"])
    if one_by_one:
        return [[f] for f in ordered]
    groups: dict[int, list[dict]] = {}
    for f in ordered:
        groups.setdefault(f["wave"], []).append(f)
    return [groups[w] for w in sorted(groups)]


def ingest(data_dir: Path, work: Path, corpus: Path, callout: str, group: list[dict],
           statuses: dict[str, int]) -> None:
    """One `triage ingest` of a manifest (written in `work`) holding `group`: absolute paths, external id, title,
    contributor."""
    manifest = work / f"wave-{group[0]['order']:04d}.jsonl"
    with open(manifest, "w") as f:
        for row in group:
            f.write(json.dumps({"path": str(corpus / row["path"]), "external_id": row["external_id"],
                                "title": row["title"], "contributor": row["contributor"]}) + "\n")
    report = json.loads(cli(data_dir, "ingest", "--callout", callout, "--manifest", str(manifest),
                            "--allow-outside", "--json"))
    for r in report["results"]:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        if r["status"] in ("rejected", "failed"):
            print(f"warning: {r['source']}: {r['status']}: {r.get('error')}", file=sys.stderr)


def _range(item: dict, name: str) -> tuple[float, float] | None:
    value = item.get(name)
    return (float(value[0]), float(value[1])) if value else None


def read_lineage(data_dir: Path, ext_ids: list[str]) -> tuple[list[Edge], set[tuple[str, str, str]], dict]:
    """Edges from every piece's builds_on, the keys its used_by names, and each piece's credits."""
    edges, used_by, credits = [], set(), {}
    for ext in ext_ids:
        data = json.loads(cli(data_dir, "lineage", ext, "--json"))
        for item in data.get("builds_on", []):
            edges.append(Edge(ext, item["external_id"], item["kind"], _range(item, "source_range"),
                              _range(item, "range")))
        used_by |= {(item["external_id"], ext, item["kind"]) for item in data.get("used_by", [])}
        credits[ext] = {c["contributor"]: float(c.get("share", 0.0)) for c in data.get("credits", [])}
    return edges, used_by, credits


def truth_edges(truth: dict) -> list[Edge]:
    return [Edge(e["user"], e["source"], e["kind"], _range(e, "source_range"), _range(e, "range"),
                 e["source_unit"], e["unit"]) for e in truth["edges"]]


def expected_credits(truth: dict) -> dict[str, set[str]]:
    """Each piece's maker plus the makers of everything it builds on, transitively."""
    maker = {f["external_id"]: f["contributor"] for f in truth["files"]}
    sources: dict[str, set[str]] = {}
    for e in truth["edges"]:
        sources.setdefault(e["user"], set()).add(e["source"])

    def walk(ext: str, seen: set[str]) -> set[str]:
        for s in sources.get(ext, set()) - seen:
            seen.add(s)
            walk(s, seen)
        return seen

    return {ext: {maker[ext]} | {maker[s] for s in walk(ext, set())} for ext in maker}


def credit_scores(truth: dict, credits: dict[str, dict[str, float]]) -> dict[str, object]:
    """How many pieces list exactly the right contributors (shares are not scored)."""
    want = expected_credits(truth)
    wrong = sorted(ext for ext in want if set(credits.get(ext, {})) != want[ext])
    return {"pieces": len(want), "exact": len(want) - len(wrong), "wrong": wrong}


def load_all(data_dir: Path, work: Path, corpus: Path, truth: dict, one_by_one: bool) -> dict[str, int]:
    """Create the call-out, ingest the waves in order and mark the platform assets as soon as they are in."""
    callout = json.loads((corpus / "callouts.json").read_text())[0]
    cli(data_dir, "callouts", "create", callout["id"], "--title", callout["title"], "--brief", callout["brief"])
    statuses: dict[str, int] = {}
    for group in waves(truth["files"], one_by_one):
        ingest(data_dir, work, corpus, callout["id"], group, statuses)
        for row in group:
            if row["external_id"] in truth["platform_assets"]:
                cli(data_dir, "lineage", "asset", row["external_id"])
    return statuses


def found_by_role(truth: dict, missed: list[tuple[str, str, str]]) -> dict[str, list[int]]:
    """[found, planted] edges per role of the piece that builds on another ("uses sound", "reads words aloud")."""
    role = {f["external_id"]: f.get("role", "") for f in truth["files"]}
    out: dict[str, list[int]] = {}
    for e in truth["edges"]:
        counts = out.setdefault(f"{role[e['user']]} ({e['kind']})", [0, 0])
        counts[0] += (e["user"], e["source"], e["kind"]) not in missed
        counts[1] += 1
    return dict(sorted(out.items()))


def evaluate(corpus: Path, data_dir: Path, work: Path, one_by_one: bool, rebuild: bool, tolerance_s: float,
             tolerance_chars: float, read_only: bool = False) -> dict[str, object]:
    truth = json.loads((corpus / "truth.json").read_text())
    assets = list(truth["platform_assets"])
    began = time.perf_counter()
    statuses = {} if read_only else load_all(data_dir, work, corpus, truth, one_by_one)
    if rebuild:
        cli(data_dir, "lineage", "rebuild")
    ingested = time.perf_counter()
    ext_ids = [f["external_id"] for f in sorted(truth["files"], key=lambda f: f["order"])]
    predicted, used_by, credits = read_lineage(data_dir, ext_ids)
    built_on = {e.key for e in predicted}
    scores = score_lineage(truth_edges(truth), [*predicted, *(Edge(*k) for k in used_by - built_on)],
                           assets=assets, tolerated=[(t["user"], t["source"], t["kind"]) for t in truth["tolerated"]],
                           tolerance_s=tolerance_s, tolerance_chars=tolerance_chars)
    return {"corpus": str(corpus), "files": len(ext_ids), "ingest": statuses,
            "seconds": {"ingest": round(ingested - began, 1), "lineage": round(time.perf_counter() - ingested, 1)},
            "edges": scores.to_dict(), "found_by_role": found_by_role(truth, scores.missed),
            "mirror_mismatches": len(used_by ^ built_on),
            "credits": credit_scores(truth, credits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--keep", type=Path, help="use (and keep) this new data dir instead of a temporary one")
    parser.add_argument("--one-by-one", action="store_true", help="one ingest per file, in creation order")
    parser.add_argument("--rebuild", action="store_true", help="run `triage lineage rebuild` before reading")
    parser.add_argument("--read-only", action="store_true", help="score the --keep data dir as it is (no ingest)")
    parser.add_argument("--tolerance-s", type=float, default=1.0)
    parser.add_argument("--tolerance-chars", type=float, default=20.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="triage-lineage-"))
    data_dir = args.keep.resolve() if args.keep else work / "data"
    if args.read_only != (data_dir.exists() and any(data_dir.iterdir())):
        raise SystemExit(f"{data_dir}: --read-only needs a kept data dir; otherwise give a new folder")
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = evaluate(args.corpus.resolve(), data_dir, work, args.one_by_one, args.rebuild, args.tolerance_s,
                          args.tolerance_chars, args.read_only)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
