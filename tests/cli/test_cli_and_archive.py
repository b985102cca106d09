"""`triage show` reads as `Archive.piece` does: one service function (service/pieces.py `shown`). In-process, with
the fake models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import triage
from tests.conftest import FAKE_MODELS, MEDIA
from triage.cli import callouts, cli  # noqa: F401  (importing registers the commands)
from triage.errors import NotFound


def _invoke(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], env={**FAKE_MODELS, "HF_HUB_OFFLINE": "1"})


def _archive(data_dir: Path) -> triage.Archive:
    return triage.open_archive(data_dir, whisper_model="fake", text_model="fake", clip_model="fake",
                               models_dir=data_dir.parent / "models")


def _as_printed(data: dict[str, Any]) -> Any:
    """A piece as `triage show --json` prints it: times as ISO text."""
    return json.loads(json.dumps(data, default=lambda v: v.isoformat()))


def test_show_prints_the_piece_the_archive_gives(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    archive = _archive(data_dir)
    archive.create_callout("lawn")
    archive.create_callout("river")
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"path": str(MEDIA / "good" / "story.txt"), "external_id": "fox"}) + "\n")
    archive.ingest("lawn", manifest=manifest, allow_outside=True)

    for callout_id in (None, "lawn"):
        where = ["--callout", callout_id] if callout_id else []
        done = _invoke(data_dir, "show", "fox", "--json", *where)
        assert done.exit_code == 0, done.output
        assert json.loads(done.output) == _as_printed(archive.piece("fox", callout_id=callout_id))
    # Both look only in the call-out named: neither falls back to the piece filed elsewhere.
    assert _invoke(data_dir, "show", "fox", "--callout", "river").exit_code == 4
    with pytest.raises(NotFound):
        archive.piece("fox", callout_id="river")
