"""What the CLI prints stays one line per file, whatever the file is called."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import MEDIA, triage_cmd
from triage.cli.output import one_line


def test_control_characters_are_shown_escaped() -> None:
    assert one_line("a\nb\tc\x1b[2Jd é 🦊") == "a\\nb\\tc\\x1b[2Jd é 🦊"


def test_a_file_name_with_a_newline_is_still_one_progress_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    pile = tmp_path / "pile"
    pile.mkdir()
    shutil.copy(MEDIA / "good" / "story.txt", pile / "two\nlines.txt")
    (pile / "empty\x1b[31m.txt").write_bytes(b"")
    subprocess.run([*triage_cmd(), "callouts", "create", "lawn"], env=cli_env, check=True)
    done = subprocess.run([*triage_cmd(), "ingest", "--callout", "lawn", str(pile)], env=cli_env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 2 and any("two\\nlines.txt" in line for line in progress)
    assert "\x1b" not in done.stdout + done.stderr and "empty\\x1b[31m.txt" in done.stdout
