"""The scoring commands warn once on stderr when stored vectors belong to another model; stdout stays JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from tests.conftest import FAKE_MODELS, ingested
from triage.cli import cli, query, serve  # noqa: F401  (importing registers the commands)
from triage.config import Settings

WARNING = ("warning: 2 of 2 pieces have text vectors from fake-text-256, not the configured "
           "fake-text-256+fake-text-256; run 'triage reprocess' to re-embed them (until then they are ranked "
           "without their words)\n")


def triage(settings: Settings, text_model: str, *args: str) -> Result:
    env = {**FAKE_MODELS, "TRIAGE_TEXT_MODEL": text_model, "TRIAGE_MODELS_DIR": str(settings.models_dir)}
    done = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *args], env=env)
    assert done.exit_code == 0, done.output
    return done


@pytest.mark.parametrize("command", [["shortlist", "lawn"], ["search", "foxes and rivers"]])
def test_a_scoring_command_warns_once_on_stderr_when_stored_vectors_belong_to_another_model(
        settings: Settings, command: list[str]) -> None:
    ingested(settings, "story.txt", "lyrics.md")
    changed = triage(settings, "fake+fake", *command, "--json")
    assert changed.stderr == WARNING
    assert json.loads(changed.stdout)["items"]  # stdout is the JSON document alone
    assert triage(settings, "fake", *command, "--json").stderr == ""


def test_serve_warns_at_start_up(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # start up, then return at once
    ingested(settings, "story.txt", "lyrics.md")
    started = triage(settings, "fake+fake", "serve").stderr.splitlines(keepends=True)
    assert started[0].startswith("triage is serving on") and started[1:] == [WARNING]
    assert len(triage(settings, "fake", "serve").stderr.splitlines()) == 1
