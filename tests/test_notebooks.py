"""Every notebook runs top to bottom (code cells in order, in one namespace), here with the fake models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FAKE_MODELS, ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(notebook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_MODELS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ROOT)
    cells = json.loads(notebook.read_text())["cells"]
    namespace: dict[str, object] = {"__name__": "__main__"}
    for number, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
        source = "".join(cell["source"])
        exec(compile(source, f"{notebook.name}[{number}]", "exec"), namespace)  # noqa: S102


def test_there_is_a_notebook() -> None:
    assert NOTEBOOKS, "notebooks/ should hold at least the tour"
