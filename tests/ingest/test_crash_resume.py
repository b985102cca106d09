"""Real `triage ingest` runs killed half-way or racing each other: one row per file, nothing half-written."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import MEDIA, triage_cmd

pytestmark = pytest.mark.slow


def make_pile(folder: Path) -> int:
    """Distinct media so every file needs real work: the good fixtures plus many small texts."""
    folder.mkdir()
    for path in sorted((MEDIA / "good").iterdir()):
        shutil.copy(path, folder / path.name)
    for i in range(40):
        (folder / f"story_{i:02d}.txt").write_text(f"Story number {i}: the lawn sprinkler chased me {i} times.\n")
    return len(list(folder.iterdir()))


def ready_count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("select count(*) from submissions where status = 'ready'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_sigkill_then_rerun_leaves_exactly_one_row_per_file(tmp_path: Path, cli_env: dict[str, str]) -> None:
    pile = tmp_path / "pile"
    n_files = make_pile(pile)
    data = Path(cli_env["TRIAGE_DATA_DIR"])
    subprocess.run([*triage_cmd(), "callouts", "create", "lawn", "--title", "Lawn"], env=cli_env, check=True)

    proc = subprocess.Popen([*triage_cmd(), "ingest", "--callout", "lawn", str(pile)], env=cli_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while ready_count(data / "triage.db") < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "ingest finished before it could be killed; the pile is too small"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = ready_count(data / "triage.db")
    assert killed_at < n_files

    rerun = subprocess.run([*triage_cmd(), "ingest", "--callout", "lawn", "--json", str(pile)], env=cli_env,
                           capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr

    with sqlite3.connect(data / "triage.db") as conn:
        rows = conn.execute("select original_filename, status, sha256 from submissions").fetchall()
        contents = {r[0] for r in conn.execute("select sha256 from contents")}
        ready = {r[0] for r in conn.execute("select sha256 from contents where status = 'ready'")}
        dangling = conn.execute("select count(*) from artifacts where sha256 not in (select sha256 from contents)")
        assert dangling.fetchone()[0] == 0
    names = [r[0] for r in rows]
    assert sorted(names) == sorted(p.name for p in pile.iterdir()), "exactly one row per file"
    assert {r[1] for r in rows} <= {"ready", "rejected"}
    assert not list((data / "tmp").iterdir()), "no temp files left"
    originals = {p.name for p in (data / "originals").glob("*/*/*")}
    assert originals == contents, "every original has a row and every row its original"
    derived = {p.name for p in (data / "derived").glob("*/*/*")}
    assert derived <= ready, "derived files only for finished contents"
    assert not list((data / "derived").rglob(".*.tmp"))


def test_two_ingests_of_one_pile_at_once_both_finish_with_one_row_per_file(tmp_path: Path,
                                                                           cli_env: dict[str, str]) -> None:
    # A batch and a second batch (or a server upload) meeting the same new bytes raced on inserting their
    # rows, and the loser stopped with a traceback.
    pile = tmp_path / "pile"
    n_files = make_pile(pile)
    data = Path(cli_env["TRIAGE_DATA_DIR"])
    subprocess.run([*triage_cmd(), "callouts", "create", "lawn", "--title", "Lawn"], env=cli_env, check=True)
    runs = [subprocess.Popen([*triage_cmd(), "ingest", "--callout", "lawn", str(pile)], env=cli_env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    with sqlite3.connect(data / "triage.db") as conn:
        rows = conn.execute("select status from submissions").fetchall()
        statuses = {r[0] for r in conn.execute("select status from contents")}
    assert len(rows) == n_files
    assert {r[0] for r in rows} <= {"ready", "rejected"} and statuses <= {"ready", "rejected"}
