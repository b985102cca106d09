"""`triage map ID --png FILE`: the pool map drawn into a PNG for reports; --json prints the points."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from tests.conftest import FAKE_MODELS, ingested
from triage.cli import cli, map  # noqa: F401  (importing registers the command)
from triage.config import Settings
from triage.service.decisions import record
from triage.store.schema import Submission


def triage(settings: Settings, *args: str) -> Result:
    env = {**FAKE_MODELS, "TRIAGE_MODELS_DIR": str(settings.models_dir), "HF_HUB_OFFLINE": "1"}
    return CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *args], env=env)


def test_map_draws_a_png(settings: Settings, tmp_path: Path) -> None:
    store = ingested(settings, "story.txt", "lyrics.md", "latin1.txt", "speech.mp3")
    with store.db.session() as session:
        first = min(session.scalars(select(Submission.id)))
        record(session, first, "starred", note=None, by="cora")
    png = tmp_path / "out" / "lawn.png"
    done = triage(settings, "map", "lawn", "--png", str(png), "--dpi", "60")
    assert done.exit_code == 0, done.output
    assert "lawn: 4 pieces" in done.output and str(png) in done.output
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert 200 < width < 1000 and 150 < height < 800 and 2_000 < len(data) < 500_000
    assert not [p for p in png.parent.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_map_as_json_and_unknown_callout(settings: Settings) -> None:
    ingested(settings, "story.txt", "lyrics.md")
    done = triage(settings, "map", "lawn", "--json")
    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)
    assert found["count"] == 2 and {"x", "y", "cluster", "score", "decision", "group"} <= set(found["points"][0])
    missing = triage(settings, "map", "nope")
    assert missing.exit_code != 0 and "nope" in missing.output
