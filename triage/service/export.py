"""Hand a call-out's chosen pieces to the people who cut the show: the original files in shortlist order, a sheet
(CSV) of who made each piece (with the credits its remix lineage owes), what it is and why it ranked where it did,
and a selects timeline of the moments."""

from __future__ import annotations

import csv
import io
import mimetypes
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from triage.domain import CHOSEN
from triage.encoders.base import Encoders
from triage.errors import ConfigError, ProcessingFailed
from triage.service import notes, timeline
from triage.service.decisions import latest
from triage.service.lineage_counts import credits_text, sheet_lineage
from triage.service.shortlist import shortlist
from triage.store.callouts import get_callout
from triage.store.schema import Submission
from triage.store.store import Store
from triage.timefmt import clock

SHEET = "shortlist.csv"
COLUMNS = ["rank", "file", "submission_id", "external_id", "title", "contributor", "media_type", "duration",
           "score", "decision", "note", "decided_by", "cluster", "moment_start", "moment_end", "why", "duplicates",
           "notes", "votes", "team_rating", "credits", "builds_on"]  # the last two: remix lineage (issue 19)
_ALL = 10**9  # no limit: the whole shortlist
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSIONS = {"audio/ogg": ".ogg"}  # what players expect, where mimetypes knows a rarer one (.oga)


def export(store: Store, models: Encoders, callout_id: str, dest: Path, *, decision: str | None = CHOSEN,
           limit: int | None = None, diversity: float = 0.3, with_media: bool = True) -> dict[str, Any]:
    """Write the call-out's shortlist (only pieces with `decision`, None for all) into a new folder `dest`.

    The folder is built beside `dest` and renamed into place at the end, so a failed export leaves no half-written
    folder behind; an existing non-empty `dest` is refused rather than mixed with.
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ConfigError(f"{dest} already exists and is not an empty folder; choose a new one")
    chosen = _chosen(store, models, callout_id, decision, limit, diversity)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial",
                                    dir=dest.parent))  # never a folder of theirs
    try:
        lines = [_line(e, row, note, store, partial if with_media else None) for e, row, note in chosen]
        with open(partial / SHEET, "w", newline="", encoding="utf-8-sig") as f:  # with a BOM: spreadsheets read UTF-8
            write_sheet(f, lines)
        on_timeline = timeline.write(partial, f"{callout_id} selects", _selects(chosen, lines)) if with_media else 0
        if dest.exists():
            dest.rmdir()  # empty, checked above
        os.replace(partial, dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return {"callout": callout_id, "dest": str(dest), "decision": decision, "count": len(lines),
            "files": sum(1 for line in lines if line["file"]), "sheet": SHEET,
            "timeline": timeline.FILE if on_timeline else None, "on_timeline": on_timeline}


def sheet(store: Store, models: Encoders, callout_id: str, *, decision: str | None = CHOSEN,
          limit: int | None = None, diversity: float = 0.3) -> str:
    """The sheet alone, as CSV text (the web page's download): the same rows, no files."""
    out = io.StringIO()
    write_sheet(out, [_line(e, row, note, store, None)
                      for e, row, note in _chosen(store, models, callout_id, decision, limit, diversity)])
    return out.getvalue()


def write_sheet(f: IO[str], lines: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(f, COLUMNS)
    writer.writeheader()
    writer.writerows(lines)


def _chosen(store: Store, models: Encoders, callout_id: str, decision: str | None, limit: int | None,
            diversity: float) -> list[tuple[dict[str, Any], Submission, tuple[str, str]]]:
    """Each shortlist entry to export, with its submission row and the curator's (note, name)."""
    with store.db.session() as session:
        get_callout(session, callout_id)
    entries = _entries(store, models, callout_id, decision, limit, diversity)
    ids = [e["submission_id"] for e in entries]
    with store.db.session() as session:
        rows = {r.id: r for r in session.scalars(select(Submission).where(Submission.id.in_(ids)))}
        decided = {sid: (d.note or "", d.decided_by) for sid, d in latest(session, ids).items()}
        said = notes.of(session, [m for e in entries for m in (e["submission_id"], *e["duplicate_ids"])])
    for e in entries:  # the notes on the piece and its copies, each with its moment and author
        group = sorted((n for m in (e["submission_id"], *e["duplicate_ids"]) for n in said.get(m, [])),
                       key=lambda n: n.id)
        e["notes"] = " | ".join(f"{clock(n.at) + ' ' if n.at is not None else ''}{n.author}: {n.text}" for n in group)
    owed = sheet_lineage(store, [r.sha256 for r in rows.values() if r.sha256])  # one graph for every row
    for e in entries:
        found = owed.get(rows[e["submission_id"]].sha256 or "")
        e["credits"] = credits_text(found.credits) if found else ""
        e["builds_on"] = "; ".join(found.builds_on) if found else ""
    return [(e, rows[e["submission_id"]], decided.get(e["submission_id"], ("", ""))) for e in entries]


def _entries(store: Store, models: Encoders, callout_id: str, decision: str | None, limit: int | None,
             diversity: float) -> list[dict[str, Any]]:
    """The shortlist's entries in order, up to `limit`: one ranking, since each page would redo its diversity."""
    return list(shortlist(store, models, callout_id, limit=limit or _ALL, diversity=diversity,
                          decision=decision)["items"])


def _line(entry: dict[str, Any], row: Submission, decided: tuple[str, str], store: Store,
          folder: Path | None) -> dict[str, Any]:
    """One row of the sheet; copies the original into `folder` (None: the sheet only)."""
    file = ""
    if folder is not None and row.sha256:
        file = f"{entry['rank']:04d}-{_safe(entry['external_id'])}{_suffix(row)}"
        try:
            shutil.copyfile(store.files.original_path(row.sha256), folder / file)
        except OSError as exc:  # a full disk, or a data dir that lost a file: say which piece, keep nothing
            raise ProcessingFailed(f"cannot copy {entry['external_id']!r} into the export: "
                                   f"{exc.strerror or exc}; nothing was exported") from exc
    moment = entry.get("moment") or {}
    team = entry.get("team") or {"votes": {}, "mean": None}
    note, by = decided
    duration = (row.probe or {}).get("duration")
    return {"rank": entry["rank"], "file": file, "submission_id": row.id, "external_id": _cell(entry["external_id"]),
            "title": _cell(row.title), "contributor": _cell(row.contributor), "media_type": entry["media_type"],
            "duration": round(duration, 2) if duration else "", "score": entry["score"],
            "decision": entry.get("decision") or "", "note": _cell(note), "decided_by": _cell(by),
            "cluster": _cell(entry.get("cluster_label")), "moment_start": moment.get("start", ""),
            "moment_end": moment.get("end", ""), "why": _cell((entry.get("why") or {}).get("snippet")),
            "duplicates": _cell(";".join(entry.get("duplicates") or [])), "notes": _cell(entry.get("notes")),
            "votes": _cell("; ".join(f"{who} {r}" for who, r in sorted(team["votes"].items()))),
            "team_rating": team["mean"] if team["mean"] is not None else "", "credits": _cell(entry.get("credits")),
            "builds_on": _cell(entry.get("builds_on"))}


def _selects(chosen: list[tuple[dict[str, Any], Submission, tuple[str, str]]],
             lines: list[dict[str, Any]]) -> list[timeline.Select]:
    """The copied videos and recordings, in rank order, each with its matched moment. Their metadata holds the
    words as given: the sheet's guard against formulas (_cell) is for spreadsheets only."""
    out = []
    for (entry, row, _), line in zip(chosen, lines, strict=True):
        probe = row.probe or {}
        moment = entry.get("moment")
        if line["file"] and probe.get("duration"):
            out.append(timeline.Select(
                file=line["file"], duration=float(probe["duration"]), has_video=bool(probe.get("has_video")),
                has_audio=bool(probe.get("has_audio")), moment=(moment["start"], moment["end"]) if moment else None,
                metadata={"rank": entry["rank"], "external_id": entry["external_id"], "title": row.title or "",
                          "contributor": row.contributor or "", "score": entry["score"],
                          "why": (entry.get("why") or {}).get("snippet") or ""}))
    return out


def _cell(text: str | None) -> str:
    """Submitters' words as spreadsheet text: a leading =, +, - or @ would make a formula run on opening."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _safe(name: str) -> str:
    """A file-name part from an external id: letters, digits, '.', '_' and '-' only, never a path."""
    return _UNSAFE.sub("_", name).strip("._")[:80] or "piece"


def _suffix(row: Submission) -> str:
    """The extension of what the bytes are (the probe's type), else of the name they came with."""
    mime = (row.probe or {}).get("mime") or ""
    guessed = _EXTENSIONS.get(mime) or (mimetypes.guess_extension(mime) if mime else None)
    return guessed or Path(row.original_filename or "").suffix.lower()[:10]
