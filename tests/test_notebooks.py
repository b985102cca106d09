"""Every notebook runs top to bottom (code cells in order, in one namespace): each with the fake models, and
the tour and the evaluation with the real bundled ones too."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

import triage
from tests.conftest import FAKE_MODELS, ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _run(notebook: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    # The notebooks point TRIAGE_MODELS_DIR at the repo's models/ unless it is set: set it here, so the variable
    # is gone again after the test.
    monkeypatch.setenv("TRIAGE_MODELS_DIR", str(ROOT / "models"))
    cells = json.loads(notebook.read_text())["cells"]
    namespace: dict[str, object] = {"__name__": "__main__"}
    for number, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
        source = "".join(cell["source"])
        exec(compile(source, f"{notebook.name}[{number}]", "exec"), namespace)  # noqa: S102
    return namespace


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(notebook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_MODELS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ROOT)
    _run(notebook, monkeypatch)


@pytest.mark.real_models
@pytest.mark.slow
def test_tour_runs_with_the_bundled_models(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT / "notebooks")  # where Jupyter starts it
    namespace = _run(ROOT / "notebooks" / "tour.ipynb", monkeypatch)
    ids = {c["id"] for c in namespace["callouts"]}  # type: ignore[attr-defined]
    # the ingest cell prints "<call-out> {statuses} {actions}" once per call-out
    ingested = [line for line in capsys.readouterr().out.splitlines() if line.split(" ", 1)[0] in ids]
    assert len(ingested) == len(ids)
    assert all("ready" in line and "failed" not in line and "processing" not in line for line in ingested)
    page = namespace["page"]
    assert page["items"] and page["items"][0]["rank"] == 1  # type: ignore[index]


@pytest.mark.real_models
@pytest.mark.slow
def test_evaluation_runs_with_the_bundled_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.delenv("TRIAGE_EVAL_CORPUS", raising=False)  # the notebook builds its own small corpus
    namespace = _run(ROOT / "notebooks" / "evaluation.ipynb", monkeypatch)
    report: dict = namespace["report"]  # type: ignore[assignment]
    assert report["models"]["whisper"] == "tiny.en"
    assert {c["callout"] for c in report["callouts"]} == {"food", "computers", "pets"}
    average = report["average"]
    assert average["ingest"]["by_status"] == {"ready": len(namespace["corpus"].category)}  # type: ignore[attr-defined]
    assert average["search"]["ndcg@10"] > average["bm25"]["ndcg@10"]
    assert average["repeats"] == 0


# What a notebook's code may import: the public surface (`import triage`, its names in triage.__all__), the standard
# library, and plotting and array libraries. Never triage's internal modules: they may move, the surface stays.
PLOTTING = {"matplotlib", "numpy", "PIL", "pandas"}


def surface_problems(source: str, name: str) -> list[str]:
    """What a code cell reaches past the public surface for: an import of a triage module, or of anything but the
    standard library and the plotting libraries, or a `triage.<name>` not in triage.__all__."""
    public = set(triage.__all__) | {"__version__"}
    problems = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
            if node.module == "triage":
                problems += [f"from triage import {a.name}" for a in node.names if a.name not in public]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "triage":
            problems += [f"triage.{node.attr}"] if node.attr not in public else []
            continue
        else:
            continue
        problems += [f"import {m}" for m in modules if m.startswith("triage.")
                     or m.split(".")[0] not in {"triage", *sys.stdlib_module_names, *PLOTTING}]
    return sorted(f"{name}: {p}" for p in problems)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_use_only_the_public_surface(notebook: Path) -> None:
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    problems = [p for number, cell in enumerate(cells)
                for p in surface_problems("".join(cell["source"]), f"{notebook.name}[{number}]")]
    assert problems == [], "use `import triage` and its names (triage/api/archive.py), not internal modules"


def test_the_surface_check_catches_internal_imports() -> None:
    bad = ("from triage import runtime\nimport triage.config\nfrom triage.service.search import search\n"
           "import triage\ntriage.runtime.open_store\nimport requests\n")
    assert surface_problems(bad, "x") == ["x: from triage import runtime", "x: import requests",
                                          "x: import triage.config", "x: import triage.service.search",
                                          "x: triage.runtime"]
    good = ("import json\nimport triage\nimport matplotlib.pyplot as plt\nfrom PIL import Image\n"
            "triage.open_archive('d')\n")
    assert surface_problems(good, "x") == []


def test_there_is_a_notebook() -> None:
    assert NOTEBOOKS, "notebooks/ should hold at least the tour"
