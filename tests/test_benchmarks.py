"""The measurement scripts still start: each benchmark and dev script imports what it uses from triage and
answers --help. Nothing checks them otherwise (mypy covers triage/ only, ruff does not resolve imports), so a
renamed function would break them silently until the next measurement."""

from __future__ import annotations

import runpy
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
