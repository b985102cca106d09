"""triage on PostgreSQL: the same CLI session gives the same answers as on SQLite."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from tests.conftest import MEDIA, triage_cmd
from triage.store.db import Database

pytestmark = pytest.mark.slow

def test_migrations_build_the_schema_on_postgresql(postgres_url: str) -> None:
    db = Database(postgres_url)
    Database(postgres_url).close()  # a second start migrates nothing and breaks nothing
    tables = set(inspect(db.engine).get_table_names())
    assert {"callouts", "contents", "submissions", "artifacts", "vectors", "decisions", "duplicate_overrides",
            "jobs", "api_tokens", "alembic_version"} <= tables
    assert "ix_submissions_uploader" in {i["name"] for i in inspect(db.engine).get_indexes("submissions")}
    assert "ix_vectors_pooled_model" in {i["name"] for i in inspect(db.engine).get_indexes("vectors")}
    assert "session_epoch" in {c["name"] for c in inspect(db.engine).get_columns("api_tokens")}
    db.close()


def _session(env: dict[str, str], pile: Path) -> dict[str, Any]:
    """Create a call-out, ingest the pile, then ask for everything a curator reads."""
    def run(*args: str) -> Any:
        done = subprocess.run([*triage_cmd(), *args, "--json"], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    run("callouts", "create", "lawn", "--title", "Front Lawn Freaks", "--brief", "Freaking out on the lawn.")
    ingested = run("ingest", "--callout", "lawn", "--manifest", str(pile / "manifest.jsonl"))
    return {"ingest": sorted((r["external_id"], r["status"], r["media_type"]) for r in ingested["results"]),
            "shortlist": _ranked(run("shortlist", "lawn")),
            "search": _ranked(run("search", "someone talking")),
            "duplicates": sorted(sorted(g["members"]) for g in run("duplicates")["groups"]),
            "clusters": sorted(sorted(c["members"]) for c in run("clusters", "lawn")["clusters"])}


def _ranked(answer: dict[str, Any]) -> tuple[list[float], list[tuple[Any, ...]]]:
    """The scores in rank order, and each entry. Submission ids are random per database and break ties
    between equal scores, so entries of equal score may come in another order; everything else must agree."""
    entries = [(i["external_id"], i["media_type"], i["score"], sorted(i["duplicates"]), i.get("moment"))
               for i in answer["items"]]
    return [i["score"] for i in answer["items"]], sorted(entries, key=repr)


def test_a_curator_session_gives_the_same_answers_on_postgresql_and_sqlite(
        postgres_url: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    pile = tmp_path / "pile"
    shutil.copytree(MEDIA / "good", pile)
    lines = [json.dumps({"path": p.name, "external_id": p.name}) for p in sorted(pile.iterdir())]
    (pile / "manifest.jsonl").write_text("\n".join(lines) + "\n")

    on_sqlite = _session({**cli_env, "TRIAGE_DATA_DIR": str(tmp_path / "sqlite")}, pile)
    on_postgres = _session({**cli_env, "TRIAGE_DATA_DIR": str(tmp_path / "postgres"),
                            "TRIAGE_DATABASE_URL": postgres_url}, pile)
    assert {status for _, status, _ in on_sqlite["ingest"]} == {"ready"}
    assert on_sqlite["shortlist"][0] and on_sqlite["duplicates"] and on_sqlite["clusters"]
    assert on_postgres == on_sqlite
