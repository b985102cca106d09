"""The measurement scripts still start: each benchmark and dev script imports what it uses from triage and
answers --help. Nothing checks them otherwise (mypy covers triage/ only, ruff does not resolve imports), so a
renamed function would break them silently until the next measurement."""

from __future__ import annotations

import json
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPTS = sorted([*(ROOT / "benchmarks").glob("*.py"), *(ROOT / "scripts").glob("*.py")])
SHARED_BUILDER = ROOT.parent / "shared" / "eval" / "build_corpus.py"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_script_imports_and_answers_help(script: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.syspath_prepend(str(script.parent))  # as `python benchmarks/x.py` has it
    if script.name == "build_hard_corpus.py":  # the shared builder's own command line, no --help
        if not SHARED_BUILDER.is_file():
            pytest.skip("needs ../shared/eval beside the repo")
        runpy.run_path(str(script))
        return
    monkeypatch.setattr(sys, "argv", [str(script), "--help"])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(script), run_name="__main__")
    assert done.value.code == 0
    assert "usage:" in capsys.readouterr().out


@pytest.fixture(scope="module")
def lineage_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smallest pool build_lineage_corpus.py makes (every kind once), built once for the tests below."""
    if not all(shutil.which(tool) for tool in ("ffmpeg", "espeak-ng")):
        pytest.skip("needs ffmpeg and espeak-ng")
    out = tmp_path_factory.mktemp("lineage") / "corpus"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "build_lineage_corpus.py"), "--out", str(out),
                    "--pieces", "5", "--seed", "7"], check=True, capture_output=True)
    return out


@pytest.mark.slow
def test_lineage_corpus_plants_every_kind_with_sources_first(lineage_corpus: Path) -> None:
    truth = json.loads((lineage_corpus / "truth.json").read_text())
    files = {f["external_id"]: f for f in truth["files"]}
    assert all((lineage_corpus / f["path"]).is_file() for f in files.values())
    assert {e["kind"] for e in truth["edges"]} == {"audio", "video", "text"}
    assert {e["how"] for e in truth["edges"]} >= {"quoted", "read aloud", "drawn on a poster", "drawn into the video"}
    for e in truth["edges"]:
        assert files[e["source"]]["order"] < files[e["user"]]["order"]
        assert files[e["source"]]["contributor"] != files[e["user"]]["contributor"]
        assert e["source_range"][0] < e["source_range"][1]
        assert e["range"] is None or e["range"][0] < e["range"][1]
    assert not {e["user"] for e in truth["edges"]} & set(truth["platform_assets"])
    assert not {e["source"] for e in truth["edges"]} & set(truth["platform_assets"])
    rows = [json.loads(line) for line in (lineage_corpus / "submissions.jsonl").read_text().splitlines()]
    assert [r["external_id"] for r in rows] == [f["external_id"] for f in sorted(files.values(),
                                                                                  key=lambda f: f["order"])]
    quoted = next(e for e in truth["edges"] if e["how"] == "quoted")
    source = (lineage_corpus / files[quoted["source"]]["path"]).read_text()
    user = (lineage_corpus / files[quoted["user"]]["path"]).read_text()
    a, b = (int(x) for x in quoted["source_range"])
    c, d = (int(x) for x in quoted["range"])
    assert user[c:d].replace(" / ", "\n") == source[a:b]


@pytest.mark.slow
def test_eval_lineage_scores_a_perfect_answer_as_perfect(lineage_corpus: Path, monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """eval_lineage against a stand-in CLI that answers from the truth: every edge found, assets marked first."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import eval_lineage

    truth = json.loads((lineage_corpus / "truth.json").read_text())
    maker = {f["external_id"]: f["contributor"] for f in truth["files"]}
    calls: list[tuple[str, ...]] = []

    def item(e: dict, other: str) -> dict:
        return {"external_id": e[other], "contributor": maker[e[other]], "kind": e["kind"],
                "source_range": e["source_range"], "range": e["range"], "share": 0.5, "evidence": ""}

    def fake_cli(data_dir: Path, *args: str) -> str:
        calls.append(args)
        if args[0] == "ingest":
            rows = (Path(args[args.index("--manifest") + 1])).read_text().splitlines()
            return json.dumps({"results": [{"status": "ready", "source": r} for r in rows]})
        if args[0] == "lineage" and args[-1] == "--json":
            ext = args[1]
            wants = eval_lineage.expected_credits(truth)[ext]
            return json.dumps({"submission": {"submission_id": ext, "external_id": ext},
                               "builds_on": [item(e, "source") for e in truth["edges"] if e["user"] == ext],
                               "used_by": [item(e, "user") for e in truth["edges"] if e["source"] == ext],
                               "credits": [{"contributor": c, "share": 1 / len(wants)} for c in wants]})
        return ""

    monkeypatch.setattr(eval_lineage, "cli", fake_cli)
    result = eval_lineage.evaluate(lineage_corpus, lineage_corpus / "data", lineage_corpus, False, False, 1.0, 20.0)
    edges = result["edges"]
    assert (edges["precision"], edges["recall"], edges["asset_edges"], edges["ranges_within"]) == (1.0, 1.0, 0, 1.0)
    assert result["mirror_mismatches"] == 0 and result["credits"]["wrong"] == []
    marks = [i for i, c in enumerate(calls) if c[:2] == ("lineage", "asset")]
    ingests = [i for i, c in enumerate(calls) if c[0] == "ingest"]
    assert len(marks) == len(truth["platform_assets"]) and ingests[0] < min(marks) and max(marks) < ingests[1]
