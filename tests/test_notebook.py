"""The tour notebook runs top to bottom with the bundled models, so it cannot drift from the code it shows."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.real_models, pytest.mark.slow]


def test_tour_notebook_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = json.loads((ROOT / "notebooks" / "tour.ipynb").read_text(encoding="utf-8"))
    monkeypatch.chdir(ROOT / "notebooks")  # where Jupyter starts it
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                exec(compile("".join(cell["source"]), "tour.ipynb", "exec"), namespace)  # noqa: S102
    ids = {c["id"] for c in namespace["callouts"]}  # type: ignore[attr-defined]
    # the ingest cell prints "<call-out> {statuses} {actions}" once per call-out
    ingested = [line for line in printed.getvalue().splitlines() if line.split(" ", 1)[0] in ids]
    assert len(ingested) == len(ids)
    assert all("ready" in line and "failed" not in line and "processing" not in line for line in ingested)
    assert Path(str(namespace["settings"].data_dir)).is_dir()  # type: ignore[attr-defined]
    page = namespace["page"]
    assert page["items"] and page["items"][0]["rank"] == 1  # type: ignore[index]
