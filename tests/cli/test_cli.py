"""The `triage` command as a user types it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import FAKE_MODELS, MEDIA, triage_cmd
from triage.config import Settings


def triage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*triage_cmd(), *args], env=env, capture_output=True, text=True)


def test_callouts_create_is_idempotent_and_updates(cli_env: dict[str, str]) -> None:
    assert triage(cli_env, "callouts", "create", "lawn", "--title", "Lawn", "--brief", "b1").returncode == 0
    again = triage(cli_env, "callouts", "create", "lawn", "--brief", "b2")
    assert again.returncode == 0 and "updated" in again.stdout
    listed = json.loads(triage(cli_env, "callouts", "list", "--json").stdout)
    assert [(c["id"], c["title"], c["brief"]) for c in listed["callouts"]] == [("lawn", "Lawn", "b2")]


def test_ingest_show_and_status(cli_env: dict[str, str], tmp_path: Path) -> None:
    triage(cli_env, "callouts", "create", "lawn", "--title", "Lawn")
    manifest = tmp_path / "m.jsonl"
    good = MEDIA / "good"
    manifest.write_text("\n".join(json.dumps(r) for r in [
        {"path": os.path.relpath(good / "speech.mp4", tmp_path), "external_id": "v1",
         "title": "Talking", "contributor": "ana"},
        {"path": "../../etc/passwd", "external_id": "evil"},
    ]) + "\n")
    done = triage(cli_env, "ingest", "--callout", "lawn", "--manifest", str(manifest), "--allow-outside", "--json")
    assert done.returncode == 0, done.stderr
    results = {r["external_id"]: r for r in json.loads(done.stdout)["results"]}
    assert results["v1"]["status"] == "ready" and results["v1"]["media_type"] == "video"
    # --allow-outside permits it, but /etc/passwd is still not media
    assert results["evil"]["status"] == "rejected"

    shown = json.loads(triage(cli_env, "show", "v1", "--json").stdout)
    assert shown["status"] == "ready" and shown["media_type"] == "video" and shown["duration"] > 1
    assert shown["probe"]["has_audio"] is True
    assert shown["transcript"] is not None and "segments" in shown["transcript"]

    status = json.loads(triage(cli_env, "status", "--json").stdout)
    assert status["callouts"]["lawn"] == {"ready": 1, "rejected": 1}


def test_manifest_escape_refused_without_allow_outside(cli_env: dict[str, str], tmp_path: Path) -> None:
    triage(cli_env, "callouts", "create", "lawn")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"path": "../../etc/passwd", "external_id": "evil"}) + "\n")
    done = triage(cli_env, "ingest", "--callout", "lawn", "--manifest", str(manifest), "--json")
    assert done.returncode == 0
    [result] = json.loads(done.stdout)["results"]
    assert result["status"] == "rejected" and "outside the manifest's folder" in result["error"]


def test_errors_are_one_readable_line(cli_env: dict[str, str]) -> None:
    done = triage(cli_env, "ingest", "--callout", "nope", str(MEDIA / "good" / "story.txt"))
    assert done.returncode == 4
    assert done.stderr.strip().startswith("error: no call-out 'nope'")
    assert "Traceback" not in done.stderr
    assert triage(cli_env, "show", "missing", "--json").returncode == 4


def test_models_pull_is_the_one_step_that_goes_online_and_it_fails_fast_here(cli_env: dict[str, str]) -> None:
    env = {k: v for k, v in cli_env.items() if k != "HF_HUB_OFFLINE" and k not in FAKE_MODELS}
    env["TRIAGE_WHISPER_MODEL"] = "base.en"  # not installed: pull has something to fetch
    started = time.monotonic()
    done = triage(env, "models", "pull")
    assert done.returncode == 6, done.stderr
    assert "needs internet" in done.stderr and time.monotonic() - started < 60


def test_a_missing_model_stops_the_batch_clearly_and_a_rerun_resumes(cli_env: dict[str, str]) -> None:
    triage(cli_env, "callouts", "create", "lawn")
    story = str(MEDIA / "good" / "story.txt")
    broken = {**cli_env, "TRIAGE_WHISPER_MODEL": "base.en"}  # a real size name whose weights are not here
    done = triage(broken, "ingest", "--callout", "lawn", story)
    assert done.returncode == 6 and "triage models pull" in done.stderr and "Traceback" not in done.stderr
    assert json.loads(triage(cli_env, "status", "--json").stdout)["callouts"]["lawn"] == {"processing": 1}
    again = triage(cli_env, "ingest", "--callout", "lawn", "--json", story)
    assert again.returncode == 0 and json.loads(again.stdout)["results"][0]["status"] == "ready"


def test_duplicates_verdicts_from_the_command_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    triage(cli_env, "callouts", "create", "lawn", "--title", "Lawn")
    story = (MEDIA / "good" / "story.txt").read_text(encoding="utf-8")
    (tmp_path / "again.txt").write_text(story.upper(), encoding="utf-8")  # re-typed in capitals
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"path": str(MEDIA / "good" / "story.txt"), "external_id": "first"}) + "\n"
                        + json.dumps({"path": "again.txt", "external_id": "again"}) + "\n")
    assert triage(cli_env, "ingest", "--callout", "lawn", "--manifest", str(manifest),
                  "--allow-outside").returncode == 0

    def groups(*verdict: str) -> list[dict]:
        done = triage(cli_env, "duplicates", "--callout", "lawn", *verdict, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["groups"]

    assert [sorted(g["members"]) for g in groups()] == [["again", "first"]]
    assert groups("--not-duplicate", "first", "again", "--by", "ana") == []
    assert groups() == []  # the verdict is kept
    assert [sorted(g["members"]) for g in groups("--merge", "again", "first")] == [["again", "first"]]
    missing = triage(cli_env, "duplicates", "--not-duplicate", "first", "nobody")
    assert missing.returncode != 0 and "nobody" in missing.stderr and "Traceback" not in missing.stderr


def test_callouts_exemplar_marks_and_unmarks_by_external_id(cli_env: dict[str, str], tmp_path: Path) -> None:
    triage(cli_env, "callouts", "create", "lawn", "--title", "Lawn", "--brief", "On the lawn.")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"path": str(MEDIA / "good" / "story.txt"), "external_id": "s1"}) + "\n"
                        + json.dumps({"path": str(MEDIA / "bad" / "empty.mp4"), "external_id": "bad1"}) + "\n")
    triage(cli_env, "ingest", "--callout", "lawn", "--manifest", str(manifest), "--allow-outside")
    marked = triage(cli_env, "callouts", "exemplar", "lawn", "s1", "--json")
    assert marked.returncode == 0, marked.stderr
    sid = json.loads(marked.stdout)["exemplars"][0]
    assert json.loads(triage(cli_env, "show", "s1", "--json").stdout)["submission_id"] == sid
    assert "already" in triage(cli_env, "callouts", "exemplar", "lawn", "s1").stdout
    refused = triage(cli_env, "callouts", "exemplar", "lawn", "bad1")
    assert refused.returncode == 5 and "only ready submissions" in refused.stderr
    unmarked = triage(cli_env, "callouts", "exemplar", "lawn", "s1", "--unmark", "--json")
    assert json.loads(unmarked.stdout)["exemplars"] == []


def test_marking_an_exemplar_again_changes_nothing_even_when_it_is_not_the_last(cli_env: dict[str, str],
                                                                                  tmp_path: Path) -> None:
    triage(cli_env, "callouts", "create", "lawn", "--title", "Lawn", "--brief", "On the lawn.")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"path": str(MEDIA / "good" / "story.txt"), "external_id": "s1"}) + "\n"
                        + json.dumps({"path": str(MEDIA / "good" / "lyrics.md"), "external_id": "s2"}) + "\n")
    triage(cli_env, "ingest", "--callout", "lawn", "--manifest", str(manifest), "--allow-outside")
    triage(cli_env, "callouts", "exemplar", "lawn", "s1")
    both = json.loads(triage(cli_env, "callouts", "exemplar", "lawn", "s2", "--json").stdout)["exemplars"]
    assert "already" in triage(cli_env, "callouts", "exemplar", "lawn", "s1").stdout
    again = json.loads(triage(cli_env, "callouts", "exemplar", "lawn", "s1", "--json").stdout)["exemplars"]
    assert again == both and len(both) == 2  # same set, same order


def test_reprocess_json_exits_1_when_its_job_fails(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # README: exit 1 is "a failure on triage's side"; --json must not turn a failed job into a success
    from triage.cli import cli, maintain

    failed = {"id": 1, "kind": "reprocess", "status": "failed", "error": "ProcessingFailed: boom", "result": None}
    monkeypatch.setattr(maintain, "run_inline", lambda *args, **kwargs: failed)
    runner = CliRunner()
    as_json = runner.invoke(cli, ["--data-dir", str(settings.data_dir), "reprocess", "--json"])
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["status"] == "failed"
    as_text = runner.invoke(cli, ["--data-dir", str(settings.data_dir), "reprocess"])
    assert as_text.exit_code == 1
