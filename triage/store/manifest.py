"""A backup's manifest: what the folder holds, written last, checked on restore. Shared by backup and restore."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory

from triage.errors import NotFound
from triage.store.db import MIGRATIONS
from triage.store.files import CHUNK, atomic_write, copy_hashing

MANIFEST = "manifest.json"
FORMAT = 1
FILES = "files"  # DEST/files/ mirrors the data dir's originals/, derived/, scores/ and session_secret
# The tables a manifest counts: what a restore must bring back (checked against the restored database).
COUNTED = ("callouts", "contents", "submissions", "artifacts", "vectors", "decisions", "notes", "votes",
           "assignments", "duplicate_overrides", "duplicate_keeps", "api_tokens", "jobs", "reuse_matches",
           "platform_assets", "programmes", "programme_items", "contributor_aliases")


def triage_version() -> str:
    try:
        return version("triage")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def schema_head() -> str:
    """The newest schema revision this triage knows (its migrations' head)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    return str(head)


def known_revisions() -> set[str]:
    """Every schema revision this triage's migrations know: a backup of any of them can be brought up to date."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256, size) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def copy_hashed(source: Path, target: Path) -> tuple[str, int]:
    """Copy `source` to `target` via a temp file beside it (a killed copy leaves no half file under the real
    name), hashing the bytes as they pass; returns (sha256, size) of what was written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        found = copy_hashing(source, temp)
        shutil.copystat(source, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return found


def link_into(source: Path, target: Path) -> None:
    """Hard-link `source` at `target` (same filesystem only), replacing what was there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        os.link(source, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def read_manifest(folder: Path, name: str = MANIFEST) -> dict[str, Any] | None:
    """The manifest of a backup folder, or None where there is none (or it cannot be read)."""
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def require_manifest(folder: Path) -> dict[str, Any]:
    found = read_manifest(folder)
    if found is None:
        raise NotFound(f"{folder} holds no triage backup (no readable {MANIFEST}); make one with: triage backup DEST")
    return found


def write_manifest(folder: Path, data: dict[str, Any]) -> None:
    atomic_write(folder / MANIFEST, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))
