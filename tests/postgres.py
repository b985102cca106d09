"""A throwaway PostgreSQL server for the tests that run triage on PostgreSQL.

Where PostgreSQL's server programs or psycopg are missing those tests are skipped, unless
TRIAGE_TEST_POSTGRES=required (CI sets it), which makes the absence a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest


def server_programs() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian's layout), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


def skip_or_fail(reason: str) -> NoReturn:
    if os.environ.get("TRIAGE_TEST_POSTGRES") == "required":
        pytest.fail(f"{reason}, and TRIAGE_TEST_POSTGRES=required")
    pytest.skip(reason)


@contextmanager
def running_server() -> Iterator[str]:
    """Start a private server on a Unix socket; yield a SQLAlchemy URL template with a {db} field."""
    programs = server_programs()
    if programs is None or importlib.util.find_spec("psycopg") is None:
        skip_or_fail("PostgreSQL is not installed (apt install postgresql; pip install 'psycopg[binary]')")
    # initdb refuses to run as root: as root, the server runs as Debian's postgres user, in a folder it can
    # reach (pytest's own temporary folders are private to root).
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="triage-pg-"))
    if as_user:
        shutil.chown(root, "postgres")
    data = root / "data"

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True)

    try:
        run(str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", "triage", "--no-sync")
        run(str(programs / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "start",
            "-o", f"-k {root} -c listen_addresses='' -F")
        yield f"postgresql+psycopg://triage@/{{db}}?host={root}"
    finally:
        if (data / "postmaster.pid").exists():
            run(str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def new_database(server: str) -> str:
    """Create an empty database on the server; return its SQLAlchemy URL."""
    import psycopg

    name = "triage_" + uuid.uuid4().hex[:12]
    admin = server.format(db="postgres").replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.format(db=name)
