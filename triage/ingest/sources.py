"""What to ingest: files and folders from the command line, or the lines of a JSONL manifest.

Path checks live here: nothing outside the given folder (or the manifest's folder) is read unless the
user explicitly allows it, and a refused line becomes a rejected submission rather than a crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.store.submissions import FIELD_LIMITS, field_problem


@dataclass(frozen=True)
class Source:
    """One thing to ingest. `error` is set when it was refused before any byte was read."""

    display: str  # the path as the user or manifest gave it
    path: Path | None
    external_id: str | None = None
    title: str | None = None
    contributor: str | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        return Path(self.display).name


def from_paths(paths: list[Path], *, allow_outside: bool = False) -> Iterator[Source]:
    """Files as given, folders walked recursively in a stable order (hidden files skipped)."""
    for given in paths:
        if given.is_dir():
            root = given.resolve()
            for path in sorted(p for p in given.rglob("*") if not _hidden(p.relative_to(given))):
                if path.is_dir():
                    continue
                real = path.resolve()
                if not allow_outside and not real.is_relative_to(root):
                    yield Source(str(path), None, error=f"{path} is a link to {real}, outside {given}; "
                                 "pass --allow-outside to follow it")
                else:
                    yield Source(str(path), real)
        elif given.exists():
            yield Source(str(given), given.resolve())
        else:
            yield Source(str(given), None, error=f"file not found: {given}")


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def from_manifest(manifest: Path, *, allow_outside: bool = False) -> Iterator[Source]:
    """One Source per non-blank manifest line; paths are relative to the manifest's folder."""
    with open(manifest, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield _manifest_line(line, number, manifest.resolve(), allow_outside)


def _manifest_line(line: str, number: int, manifest: Path, allow_outside: bool) -> Source:
    where, folder = f"manifest line {number}", manifest.parent
    # A line without a usable path is recorded under the manifest's own path and line, not under "line 3"
    # alone, which every manifest has: another manifest's bad line 3 would read as this one, "unchanged".
    unreadable = f"{manifest} line {number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return Source(unreadable, None, error=f"{where} is not valid JSON ({exc.msg})")
    if not isinstance(row, dict) or not isinstance(row.get("path"), str) or not row["path"].strip():
        return Source(unreadable, None, error=f"{where} needs a \"path\" string")
    fields = {k: str(row[k]) for k in FIELD_LIMITS if row.get(k) not in (None, "")}
    if problem := field_problem(fields):  # keep only what fits, to record the refusal with
        fit = {k: v for k, v in fields.items() if len(v) <= FIELD_LIMITS[k]}
        return Source(row["path"], None, **fit, error=f"{where}: {problem}")
    given = row["path"]
    raw = Path(given)
    if raw.is_absolute() and not allow_outside:
        return Source(given, None, **fields, error=f"{where}: absolute path {given!r} refused; "
                      "paths must be relative to the manifest's folder (or pass --allow-outside)")
    real = (folder / raw).resolve()
    if not allow_outside and not real.is_relative_to(folder):
        return Source(given, None, **fields, error=f"{where}: path {given!r} leads outside the manifest's folder; "
                      "refused (pass --allow-outside to permit it)")
    if not real.is_file():
        return Source(given, None, **fields, error=f"{where}: file not found: {given}")
    return Source(given, real, **fields)
