"""`triage eval` on a tiny corpus built at test time with the shared corpus builder."""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, triage_cmd
from triage.errors import ConfigError
from triage.evaluation.corpus import load_corpus

BUILDER = Path(__file__).resolve().parents[3] / "shared" / "eval" / "build_corpus.py"
TINY = {
    "seed": 5, "id_prefix": "t", "voices": ["en-us"], "text_chars": [90, 300],
    "themes": {
        "food": {"title": "Kitchen", "brief": "Food, cooking and eating."},
        "computers": {"title": "Machines", "brief": "Computers, software and programming."},
    },
    "per_theme": {"text": 2, "audio": 1, "video": 0},
    "duplicates_per_theme": {"text": 1, "audio": 1},
    "distractors": ["wisdom"], "per_distractor": {"text": 1},
}


def _check_tools() -> None:
    """scripts/bootstrap.sh installs all of these and CI lays shared/ beside the clone: a gap is a broken setup."""
    missing = [name for name, ok in (
        (str(BUILDER), BUILDER.is_file()), ("espeak-ng", shutil.which("espeak-ng")), ("ffmpeg", shutil.which("ffmpeg")),
        ("fortunes", Path("/usr/share/games/fortunes/food").is_file())) if not ok]
    assert not missing, f"missing {missing}: run scripts/bootstrap.sh (and keep ../shared/eval beside the repo)"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _check_tools()
    root = tmp_path_factory.mktemp("corpus")
    config = root / "config.json"
    config.write_text(json.dumps(TINY))
    subprocess.run([sys.executable, str(BUILDER), str(config), str(root / "c")], check=True, capture_output=True)
    return root / "c"


def _eval(corpus: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*triage_cmd(), "eval", str(corpus), *extra], env=env, capture_output=True, text=True,
                          timeout=600)


def _in_unit(x: float | None) -> bool:
    return x is not None and 0.0 <= x <= 1.0


def _check_figures(doc: dict, corpus: Path) -> None:
    n = len((corpus / "submissions.jsonl").read_text().splitlines())
    truth = json.loads((corpus / "truth.json").read_text())
    pairs = sum(len(g) * (len(g) - 1) // 2 for g in truth["duplicate_groups"])
    spoken_media = sum(1 for line in (corpus / "submissions.jsonl").read_text().splitlines()
                       if not json.loads(line)["path"].endswith(".txt"))
    assert {c["callout"] for c in doc["callouts"]} == set(TINY["themes"])
    for c in doc["callouts"]:
        assert c["pool"] == n  # every call-out's pool is the whole corpus
        for section, keys in (("search", ("ndcg@10", "precision@10")), ("bm25", ("ndcg@10", "precision@10")),
                              ("shortlist", ("precision@5",)), ("duplicates", ("precision", "recall", "f1"))):
            assert all(_in_unit(c[section][k]) for k in keys), (section, c[section])
        assert c["duplicates"]["true_pairs"] == pairs
        assert c["wer"]["items"] == spoken_media and c["wer"]["mean"] >= 0
    avg = doc["average"]
    assert _in_unit(avg["search"]["ndcg@10"]) and _in_unit(avg["bm25"]["ndcg@10"])
    assert avg["ingest"]["seconds_first"] > 0 and avg["ingest"]["by_status"] == {"ready": n}


def test_eval_json_with_fake_models(corpus: Path, cli_env: dict[str, str], tmp_path: Path) -> None:
    keep = tmp_path / "kept"
    done = _eval(corpus, cli_env, "--json", "--keep", str(keep))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    _check_figures(doc, corpus)
    assert (keep / "triage.db").is_file()  # --keep leaves the data dir for a closer look
    # benchmarks/eval_corpora.py makes RESULTS.md's table from this document: its keys must still be there
    row = runpy.run_path(str(ROOT / "benchmarks" / "eval_corpora.py"))["row"]
    assert row("tiny", doc).startswith("| tiny | ") and row("tiny", doc).count(" | ") == 8


def test_eval_table_and_refuses_a_used_data_dir(corpus: Path, cli_env: dict[str, str], tmp_path: Path) -> None:
    done = _eval(corpus, cli_env)
    assert done.returncode == 0, done.stderr
    assert "AVERAGE" in done.stdout and "duplicates: precision" in done.stdout
    used = tmp_path / "used"
    used.mkdir()
    (used / "x").write_text("x")
    refused = _eval(corpus, cli_env, "--keep", str(used))
    assert refused.returncode != 0 and "not empty" in refused.stderr


def test_eval_says_what_is_missing(tmp_path: Path, cli_env: dict[str, str]) -> None:
    done = _eval(tmp_path, cli_env)
    assert done.returncode != 0 and "truth.json" in done.stderr


@pytest.mark.real_models
def test_eval_with_real_models(corpus: Path, cli_env: dict[str, str]) -> None:
    env = {k: v for k, v in cli_env.items() if k not in ("TRIAGE_WHISPER_MODEL", "TRIAGE_TEXT_MODEL")}
    env["TRIAGE_MODELS_DIR"] = os.environ.get("TRIAGE_MODELS_DIR", str(Path.cwd() / "models"))
    done = _eval(corpus, env, "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    _check_figures(doc, corpus)
    assert doc["average"]["wer"]["mean"] < 0.5  # real Whisper recovers most of the synthetic speech


@pytest.mark.parametrize(("callouts", "truth", "says"), [
    ([{"id": "a", "brief": "b"}], [], "truth.json is not an answer key"),
    ([{"id": "a", "brief": "b"}], {"relevant": [1]}, "truth.json is not an answer key"),
    ({"id": "a"}, {}, "callouts.json must be a JSON list"),
])
def test_a_malformed_corpus_is_named_not_a_traceback(tmp_path: Path, callouts: object, truth: object,
                                                     says: str) -> None:
    (tmp_path / "submissions.jsonl").write_text("")
    (tmp_path / "callouts.json").write_text(json.dumps(callouts))
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    with pytest.raises(ConfigError, match=says):
        load_corpus(tmp_path)
