"""`triage tokens` and `triage jobs` as a user types them."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import triage_cmd


def triage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*triage_cmd(), *args], env=env, capture_output=True, text=True)


def test_tokens_are_printed_once_and_stored_hashed(cli_env: dict[str, str]) -> None:
    made = triage(cli_env, "tokens", "create", "--role", "curator", "--name", "cora")
    assert made.returncode == 0 and made.stdout.strip().startswith("tri_")
    listed = json.loads(triage(cli_env, "tokens", "list", "--json").stdout)["tokens"]
    assert [(t["name"], t["role"], t["revoked"]) for t in listed] == [("cora", "curator", False)]
    assert made.stdout.strip() not in json.dumps(listed)
    assert triage(cli_env, "tokens", "create", "--role", "boss", "--name", "x").returncode != 0
    assert triage(cli_env, "tokens", "revoke", "1").returncode == 0
    assert json.loads(triage(cli_env, "tokens", "list", "--json").stdout)["tokens"][0]["revoked"] is True


def test_jobs_commands_explain_unknown_ids(cli_env: dict[str, str]) -> None:
    assert json.loads(triage(cli_env, "jobs", "list", "--json").stdout) == {"jobs": []}
    missing = triage(cli_env, "jobs", "retry", "7")
    assert missing.returncode == 4 and "no job 7" in missing.stderr
