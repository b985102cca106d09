"""Out-of-range options and unknown names give one readable line and an exit code, never a traceback or a quiet
empty answer. In-process (click's runner) with the fake models, so each case takes milliseconds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import FAKE_MODELS
from triage.cli import callouts, cli, jobs, maintain, query  # noqa: F401  (importing registers the commands)

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(tmp_path: Path) -> Invoke:
    env = {**FAKE_MODELS, "TRIAGE_DATA_DIR": str(tmp_path / "data"), "TRIAGE_MODELS_DIR": str(tmp_path / "models")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env)

    assert run("callouts", "create", "lawn", "--brief", "dogs on the lawn").exit_code == 0
    return run


@pytest.mark.parametrize("args", [
    ["shortlist", "lawn", "--diversity", "2"],
    ["shortlist", "lawn", "--diversity", "-0.1"],
    ["shortlist", "lawn", "--limit", "-3"],
    ["shortlist", "lawn", "--limit", "0"],
    ["shortlist", "lawn", "--offset", "-1"],
    ["shortlist", "lawn", "--decision", "bogus"],
    ["shortlist", "lawn", "--cluster", "-1"],
    ["shortlist", "lawn", "--min-duration", "-5"],
    ["search", "a dog", "--limit", "-1"],
    ["search", "a dog", "--offset", "-5"],
    ["similar", "x", "--limit", "0"],
    ["clusters", "lawn", "-k", "0"],
    ["jobs", "list", "--limit", "-1"],
])
def test_out_of_range_options_are_usage_errors(invoke: Invoke, args: list[str]) -> None:
    done = invoke(*args)
    assert done.exit_code == 2, done.output
    assert "Traceback" not in done.output and "Invalid value" in done.output


def test_an_empty_search_prompt_is_refused(invoke: Invoke) -> None:
    for prompt in ("", "   "):
        done = invoke("search", prompt)
        assert done.exit_code == 2 and "search prompt is empty" in done.output, done.output


@pytest.mark.parametrize("args", [["duplicates", "--callout", "nope"], ["reprocess", "--callout", "nope"]])
def test_an_unknown_callout_is_not_found(invoke: Invoke, args: list[str]) -> None:
    done = invoke(*args)
    assert done.exit_code == 4 and "no call-out 'nope'" in done.output, done.output


def test_the_documented_decisions_are_accepted(invoke: Invoke) -> None:
    for decision in ("shortlisted", "rejected", "starred", "unrated", "undecided"):
        done = invoke("shortlist", "lawn", "--decision", decision, "--json")
        assert done.exit_code == 0, done.output


@pytest.mark.parametrize(("entries", "says"), [
    ([{"id": "ok1"}, {"id": "bad id"}], "call-out 2 ('bad id'): id: use 1-64 letters"),
    ([{"id": "x", "prompts": "a single string"}], "prompts: Input should be a valid list"),
    ([{"id": "y", "title": 5}], "title: Input should be a valid string"),
    ([{"id": "z", "negative_prompts": [1, 2]}], "negative_prompts.0: Input should be a valid string"),
])
def test_a_bad_callouts_file_is_refused_whole(invoke: Invoke, tmp_path: Path, entries: list[dict],
                                              says: str) -> None:
    file = tmp_path / "callouts.json"
    file.write_text(json.dumps(entries))
    done = invoke("callouts", "import", str(file))
    assert done.exit_code == 2 and says in done.output and "Traceback" not in done.output, done.output
    assert "created" not in done.output
    listed = json.loads(invoke("callouts", "list", "--json").output)
    assert [c["id"] for c in listed["callouts"]] == ["lawn"]  # nothing of the file was written


def test_marking_an_exemplar_of_an_unknown_callout_names_the_callout(invoke: Invoke) -> None:
    done = invoke("callouts", "exemplar", "nope", "x")
    assert done.exit_code == 4 and "no call-out 'nope'" in done.output, done.output
