"""`triage backup`, `triage restore` and `triage erase` as a user types them: output, JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from tests.conftest import FAKE_MODELS
from tests.store.populated import ANA, populate
from triage.cli import backup, cli, erase  # noqa: F401  (importing registers the commands)
from triage.config import Settings


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], env={**FAKE_MODELS, "HF_HUB_OFFLINE": "1"})


def test_backup_restore_and_erase_from_the_command_line(settings: Settings, tmp_path: Path) -> None:
    inst = populate(settings, tmp_path / "incoming")
    dest, restored = tmp_path / "backup", tmp_path / "restored"
    made = run(settings.data_dir, "backup", str(dest), "--copy")
    assert made.exit_code == 0, made.output
    assert "backed up 6 submissions" in made.stdout and "0 linked" in made.stdout
    again = json.loads(run(settings.data_dir, "backup", str(dest), "--json").stdout)
    assert again["copied"] == again["linked"] == 0 and again["unchanged"] == again["files"]

    back = run(restored, "restore", str(dest))
    assert back.exit_code == 0, back.output
    assert "restored 6 submissions" in back.stdout and "indexes rebuilt: text" in back.stdout
    assert (restored / "index" / "text.faiss").is_file() and (restored / "originals").is_dir()
    assert run(restored, "restore", str(dest)).exit_code == 5  # not into a data dir that holds something
    assert run(tmp_path / "other", "restore", str(tmp_path / "incoming")).exit_code == 4  # no backup there
    assert run(settings.data_dir, "backup", str(settings.data_dir / "inside")).exit_code == 2  # a usage error

    erased = run(restored, "erase", "--contributor", ANA)
    assert erased.exit_code == 0, erased.output
    assert "erased 4 submissions in lawn" in erased.stdout and "kept the bytes of 1 piece" in erased.stdout
    report = json.loads(run(restored, "erase", "--submission", inst.ids["ana-ext-video"], "--json").stdout)
    assert report["erased"] == [] and report["already_erased"] == [inst.ids["ana-ext-video"]]
    assert "nothing to erase" in run(restored, "erase", "--contributor", "Nobody").stdout
    assert run(restored, "erase").exit_code == 2  # names nothing
    assert run(restored, "erase", "--submission", "s_nope").exit_code == 4
