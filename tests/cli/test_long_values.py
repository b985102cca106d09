"""Values longer than the database's columns: refused in words or kept short, on SQLite and PostgreSQL.

SQLite ignores VARCHAR lengths, PostgreSQL refuses the whole insert; neither may stop the batch.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MEDIA, triage_cmd


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, cli_env: dict[str, str]) -> dict[str, str]:
    if request.param == "postgresql":
        return {**cli_env, "TRIAGE_DATABASE_URL": str(request.getfixturevalue("postgres_url"))}
    return cli_env


def test_overlong_fields_are_refused_with_a_reason_and_the_batch_goes_on(env: dict[str, str], tmp_path: Path) -> None:
    deep = tmp_path / "/".join(["a-rather-long-folder-name-for-a-folder"] * 12)  # a path of about 480 characters
    deep.mkdir(parents=True)
    (deep / "story.txt").write_bytes((MEDIA / "good" / "story.txt").read_bytes())
    (tmp_path / "lyrics.md").write_bytes((MEDIA / "good" / "lyrics.md").read_bytes())
    lines = [{"path": "lyrics.md", "external_id": "x" * 201},
             {"path": "lyrics.md", "external_id": "t1", "title": "T" * 301},
             {"path": "lyrics.md", "external_id": "c1", "contributor": "C" * 201},
             {"path": str(deep.relative_to(tmp_path) / "story.txt")},
             {"path": "missing/" + "m" * 450 + ".txt"},
             {"path": "lyrics.md", "external_id": "fine", "title": "T" * 300}]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))

    def ingest() -> list[dict]:
        subprocess.run([*triage_cmd(), "callouts", "create", "lawn", "--title", "Lawn"], env=env, check=True)
        done = subprocess.run([*triage_cmd(), "ingest", "--callout", "lawn", "--manifest", str(tmp_path / "m.jsonl"),
                               "--json"], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        return list(json.loads(done.stdout)["results"])

    results = ingest()
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "ready", "rejected", "ready"]
    assert "external_id is longer than 200 characters" in results[0]["error"]
    assert "title is longer than 300 characters" in results[1]["error"]
    assert "contributor is longer than 200 characters" in results[2]["error"]
    assert "file not found" in results[4]["error"]
    again = ingest()  # a second run finds every row it wrote, the long path's too
    assert [r["status"] for r in again] == [r["status"] for r in results]
    assert again[3]["action"] == "unchanged"


def test_overlong_names_are_refused_in_words(env: dict[str, str], tmp_path: Path) -> None:
    def triage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*triage_cmd(), *args], env=env, capture_output=True, text=True)

    long_title = triage("callouts", "create", "lawn", "--title", "T" * 301)
    assert long_title.returncode == 2 and "the title is longer than 300 characters" in long_title.stderr
    assert "Traceback" not in long_title.stderr
    long_name = triage("tokens", "create", "--role", "curator", "--name", "N" * 201)
    assert long_name.returncode == 2 and "the name is longer than 200 characters" in long_name.stderr
    assert triage("callouts", "create", "lawn", "--title", "Lawn").returncode == 0
    (tmp_path / "m.jsonl").write_text("".join(json.dumps({"path": str(MEDIA / "good" / name), "external_id": name})
                                              + "\n" for name in ("story.txt", "lyrics.md")))
    assert triage("ingest", "--callout", "lawn", "--manifest", str(tmp_path / "m.jsonl"),
                  "--allow-outside").returncode == 0
    verdict = triage("duplicates", "--callout", "lawn", "--not-duplicate", "story.txt", "lyrics.md", "--by", "B" * 201)
    assert verdict.returncode == 2 and "the curator's name is longer than 200 characters" in verdict.stderr
    assert triage("status").returncode == 0  # the database is fine afterwards
