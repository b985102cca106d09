"""Does search's "no good match" floor hold on corpora it was not calibrated on?

Builds two small corpora with the shared builder (texts and spoken pieces from fortune files that
calibrate_floor.py was told to leave out, with briefs written for this check), ingests each with `triage eval
--keep` (which also prints its nDCG), then asks the kept data dirs, through `triage.service.search.search`:

(a) on-topic prompts, searched in their call-out: each brief, and each short phrase of it (`callout_texts` clauses):
    the share whose top result is "good", and of the relevant pieces in the top 10, the share marked good
    (beside it, the share of the top 10's OTHER pieces marked good);
(b) off-topic prompts: the briefs of topics absent from the pool (the other corpus's, and every brief in
    benchmarks/corpora/*.json whose topic is neither a theme nor a distractor here): the share that end in
    "no good match" (good == 0), and the prompts that did not, with their best good piece.

    HF_HUB_OFFLINE=1 nice .venv/bin/python benchmarks/floor_eval.py /tmp/floor_eval
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/floor_eval.py /tmp/floor_eval --demo /tmp/floor_demo   # + demo

`--demo DATA_DIR`: a data dir holding samples/ ingested into `food` and `pets` (scripts/demo.sh's steps) for the
two demo prompts.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage import runtime
from triage.config import Settings
from triage.evaluation.corpus import Corpus, load_corpus
from triage.scoring.query import callout_texts
from triage.service import search as search_module
from triage.service.cache import PoolCache
from triage.service.search import search

HERE = Path(__file__).resolve().parent
BUILDER = HERE.parents[1] / "shared" / "eval" / "build_corpus.py"
COMMON = {"voices": ["en-us", "en-gb", "en-us+f3", "en-gb-x-rp"], "text_chars": [90, 420],
          "per_theme": {"text": 6, "audio": 2}, "duplicates_per_theme": {"text": 1},
          "per_distractor": {"text": 5, "audio": 1}}
CORPORA: dict[str, dict[str, Any]] = {
    "floor1": {"seed": 101, "id_prefix": "fl1", "distractors": ["people", "miscellaneous"], "themes": {
        "pets": {"title": "Animal Companions",
                 "brief": "Life with pets: dogs and cats, their odd habits, vets, walks and the chaos they "
                          "bring home."},
        "food": {"title": "Mealtime",
                 "brief": "Food and eating: cooking disasters, favourite dishes, restaurants, diets and what is "
                          "for dinner."},
        "sports": {"title": "Play Ball",
                   "brief": "Sports: athletes, teams, coaches, fans, big games and the joy and pain of competition."},
        "medicine": {"title": "Doctor's Orders",
                     "brief": "Medicine and health: doctors, nurses, hospitals, patients, illness and cures."},
        "law": {"title": "Objection!", "brief": "The law: lawyers, judges, courts, trials, crime and punishment."}}},
    "floor2": {"seed": 202, "id_prefix": "fl2", "distractors": ["platitudes", "humorists"], "themes": {
        "computers": {"title": "Tech Support",
                      "brief": "Computers: programmers, software, bugs, crashes and the people who fix the machines."},
        "love": {"title": "Lovestruck",
                 "brief": "Love and relationships: romance, dates, kisses, marriage and broken hearts."},
        "politics": {"title": "The Ballot", "brief": "Politics: politicians, elections, governments, parties and "
                                                     "the voters who put up with them."},
        "science": {"title": "The Lab", "brief": "Science: scientists, experiments, physics, chemistry, mathematics "
                                                 "and the laws of nature."},
        "kids": {"title": "Little Ones", "brief": "Children and family: kids, parents, babies, bedtime and "
                                                  "growing up."}}},
}
DEMO = (("food", "quarterly tax return spreadsheet deadline"), ("pets", "a dog that steals food"))


def build_and_ingest(name: str, work: Path) -> tuple[Corpus, Path, dict[str, Any]]:
    corpus, data = work / name, work / f"data_{name}"
    if not (corpus / "truth.json").is_file():
        config = work / f"{name}.config.json"
        config.write_text(json.dumps({**COMMON, **CORPORA[name]}, indent=1))
        subprocess.run([sys.executable, str(BUILDER), str(config), str(corpus)], check=True)
    saved = work / f"{name}.eval.json"
    if not saved.is_file():
        triage = Path(sys.executable).with_name("triage")
        done = subprocess.run([str(triage), "eval", str(corpus), "--json", "--keep", str(data)],
                              check=True, capture_output=True, text=True)
        saved.write_text(done.stdout)
    return load_corpus(corpus), data, json.loads(saved.read_text())


def phrases(title: str, brief: str) -> list[str]:
    """The brief's short phrases as search would split it (title, brief and "title: brief" left out)."""
    whole = {t.lower() for t in callout_texts(title, "")} | {t.lower() for t in callout_texts("", brief)[:1]}
    whole |= {t.lower() for t in callout_texts(title, brief) if t.lower().startswith(f"{title.lower()}: ")}
    return [t for t in callout_texts(title, brief) if t.lower() not in whole]


def off_topic_briefs(name: str) -> list[str]:
    here = set(CORPORA[name]["themes"]) | set(CORPORA[name]["distractors"])
    briefs = [t["brief"] for other, cfg in CORPORA.items() if other != name for t in cfg["themes"].values()]
    for path in sorted((HERE / "corpora").glob("*.json")):
        briefs += [t["brief"] for topic, t in json.loads(path.read_text())["themes"].items() if topic not in here]
    return list(dict.fromkeys(briefs))


@dataclass
class Hit:
    """One search: what it returned, and the similarity of every entry of its whole ranking, in order (recorded
    as search asks `match` about each, so that other floors can be tried without searching again)."""

    found: dict[str, Any]
    similarity: list[float | None]
    relevant: list[bool]  # of the returned items

    def good(self, floor: float) -> int:
        return sum(s is not None and s >= floor for s in self.similarity)


_seen: list[float | None] = []
_match = search_module.match


def _recording(similarity: float | None, floor: float | None) -> str | None:
    _seen.append(similarity)
    return _match(similarity, floor)


search_module.match = _recording  # type: ignore[assignment]  # the answers are search's own, only remembered


def searcher(data: Path, corpus: Corpus | None) -> Callable[[str, str], Hit]:
    settings = Settings(data_dir=data)
    store, models, cache = runtime.open_store(settings), runtime.query_encoders(settings), PoolCache()

    def run(prompt: str, callout: str) -> Hit:
        _seen.clear()
        found = search(store, models, prompt, callout_id=callout, limit=10, cache=cache)
        relevant = corpus.relevant_ids(callout) if corpus is not None else set()
        hit = Hit(found, list(_seen), [i["external_id"] in relevant for i in found["items"]])
        assert found["good"] is None or hit.good(found["floor"]) == found["good"], "recorded another ranking"
        return hit
    return run


def top10(h: Hit, floor: float) -> list[tuple[dict[str, Any], bool, bool]]:
    """(item, relevant, good at `floor`) for each returned item: the first entries of the ranking."""
    sims = h.similarity[:len(h.found["items"])]
    return [(i, r, s is not None and s >= floor) for i, r, s in zip(h.found["items"], h.relevant, sims, strict=True)]


def on_topic(hits: list[tuple[bool, Hit]], floor: float) -> dict[str, Any]:
    """(is it the brief, its search) for each call-out's brief and phrases, searched in that call-out."""
    shown = [top10(h, floor) for _, h in hits]
    briefs = [h for is_brief, h in hits if is_brief]
    rel = [good for rows in shown for _, r, good in rows if r]
    other = [good for rows in shown for _, r, good in rows if not r]
    by_words = {"one word": lambda n: n == 1, "2-4 words": lambda n: 2 <= n <= 4, "5+ words": lambda n: n >= 5}
    return {"prompts": len(hits), "top_good": mean([bool(rows) and rows[0][2] for rows in shown]),
            "no_good_match": mean([h.good(floor) == 0 for _, h in hits]),
            "briefs_no_good_match": f"{sum(h.good(floor) == 0 for h in briefs)} of {len(briefs)}",
            "no_good_match_by_prompt": {
                k: f"{sum(h.good(floor) == 0 for h in group)} of {len(group)}" for k, test in by_words.items()
                if (group := [h for _, h in hits if test(len(h.found["query"].split()))])},
            "relevant_in_top10_good": mean(rel), "relevant_in_top10": len(rel),
            "other_in_top10_good": mean(other), "other_in_top10": len(other)}


def off_topic(hits: list[tuple[str, Hit]], floor: float) -> dict[str, Any]:
    fails = []
    for brief, h in hits:
        if h.good(floor):
            shown = [i["snippet"][:70] for i, _, good in top10(h, floor) if good]
            fails.append(f"{brief!r}: {h.good(floor)} good, e.g. {shown[:1]}")
    return {"prompts": len(hits), "no_good_match": mean([h.good(floor) == 0 for _, h in hits]), "failures": fails}


def mean(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 3) if flags else float("nan")


def searches(name: str, corpus: Corpus, data: Path) -> tuple[list[tuple[bool, Hit]], list[tuple[str, Hit]]]:
    """On-topic: each brief and its phrases in its call-out. Off-topic: absent topics' briefs, searched once (every
    call-out of a corpus has the same pool, and `good` depends on raw similarity alone, not on the contrast)."""
    run = searcher(data, corpus)
    on = [(p == c["brief"], run(p, c["id"]))
          for c in corpus.callouts for p in [c["brief"], *phrases(c["title"], c["brief"])]]
    off = [(b, run(b, corpus.callouts[0]["id"])) for b in off_topic_briefs(name)]
    return on, off


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", type=Path)
    parser.add_argument("--demo", type=Path, help="a data dir with samples/ ingested into food and pets")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    model = runtime.query_encoders(Settings()).text.name
    calibration = search_module.floor_calibration()[model]
    floor = calibration["floor"]
    rows = []
    for name in CORPORA:
        corpus, data, evaluated = build_and_ingest(name, args.work)
        on, off = searches(name, corpus, data)
        print(f"## {name}: {len(corpus.category)} pieces, "
              f"search nDCG@10 {evaluated['average']['search']['ndcg@10']:.3f}, floor {floor} ({model})")
        print(json.dumps({"on_topic": on_topic(on, floor), "off_topic": off_topic(off, floor)}, indent=1))
        for key, value in calibration["null"].items():
            if re.fullmatch(r"p[\d.]+", key):
                a, b = on_topic(on, value), off_topic(off, value)
                rows.append(f"| {key}{' (the floor)' if value == floor else ''} | {value:.3f} | {name} "
                            f"| {a['top_good']:.2f} | {a['no_good_match']:.2f} | {a['relevant_in_top10_good']:.2f} "
                            f"| {a['other_in_top10_good']:.3f} | {b['no_good_match']:.2f} |")
    print("\nThe same searches with the floor at other percentiles of the null (a sensitivity view, not a choice):\n")
    print("| null percentile | floor | corpus | on-topic: top good | on-topic: no good match | relevant in top 10 good "
          "| others in top 10 good | off-topic: no good match |\n| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(sorted(rows, key=lambda r: float(r.split("|")[2]))))
    if args.demo:
        run = searcher(args.demo, None)
        for callout, prompt in DEMO:
            found = run(prompt, callout).found
            print(f"demo {callout}: {prompt!r}: good={found['good']} of {found['total']}, top: "
                  f"{[(i['match'], i['snippet'][:50]) for i in found['items'][:3]]}")


if __name__ == "__main__":
    main()
