"""Render a programme: check its pieces, resolve them to files, and hand the plan to the kind's renderer; the
output lands in `<data dir>/programmes/<id>/<kind>/` with the payout sheet and a manifest written last, so a
folder without a manifest is a render that did not finish."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.config import Settings
from triage.errors import BadRequest, NotFound
from triage.programmes.budget import total
from triage.programmes.plan import ProgrammeKind, Rendered, RenderPlan, RenderSettings
from triage.render.album import render_album
from triage.render.book import render_book
from triage.render.episode import render_episode
from triage.service import programme_pieces as pieces
from triage.service.programme_credits import BASIS, Credits, credits_for, payout_csv
from triage.store import programmes as rows
from triage.store.files import atomic_write
from triage.store.store import Store
from triage.timefmt import clock

FOLDER = "programmes"
MANIFEST = "render.json"
PAYOUTS = "payouts.csv"
RENDERERS: dict[str, Callable[..., Rendered]] = {"episode": render_episode, "book": render_book,
                                                 "album": render_album}
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Checked:
    """A programme ready to render: the plan, its pieces' contents (for lineage) and what the curator should know."""

    plan: RenderPlan
    sources: tuple[pieces.Source, ...]
    warnings: tuple[str, ...]


def settings_of(settings: Settings | None) -> RenderSettings:
    if settings is None:
        return RenderSettings()
    return RenderSettings(width=settings.render_width, height=settings.render_height, fps=settings.render_fps,
                          loudness_lufs=settings.render_loudness_lufs, true_peak_db=settings.render_true_peak_db)


def check(store: Store, programme_id: str, render_settings: RenderSettings) -> Checked:
    """The plan, or a BadRequest naming every piece that stops it (removed, not ready, cut past its end)."""
    found = _gather(store, programme_id, render_settings)
    if not found.plan.pieces and not found.blocking:
        raise BadRequest(f"{found.plan.name!r} has no pieces to render: add some first")
    if found.blocking:
        raise BadRequest("cannot render yet: " + " | ".join(found.blocking))
    credits = credits_for(store, found.plan.kind, found.plan.pieces, found.sources, render_settings)
    return Checked(replace(found.plan, credits=credits.lines), found.sources, found.warnings)


def credits(store: Store, programme_id: str, render_settings: RenderSettings | None = None) -> Credits:
    """The credits of the pieces that can be rendered now (shown while the programme is being made)."""
    found = _gather(store, programme_id, render_settings or RenderSettings())
    return credits_for(store, found.plan.kind, found.plan.pieces, found.sources, found.plan.settings)


@dataclass(frozen=True)
class _Gathered(Checked):
    blocking: tuple[str, ...]


def _gather(store: Store, programme_id: str, render_settings: RenderSettings) -> _Gathered:
    """The pieces that can be rendered as a plan (without credits), what stops the others, and what to look at."""
    with store.db.session() as session:
        programme = rows.get_programme(session, programme_id)
        placed_rows = rows.items(session, programme_id)
        session.expunge_all()
    found = pieces.sources(store, [i.submission_id for i in placed_rows])
    blocking, warnings, placed, used = [], [], [], []
    for item in placed_rows:
        source = found.get(item.submission_id)
        said = pieces.problems(source, item)
        name = f"piece {item.position} ({source.title if source else item.submission_id})"
        if source is None or source.path is None or pieces.cut_problem(source, *pieces.cut_of(source, item)):
            blocking.append(f"{name}: {'; '.join(said)}")
            continue
        warnings += [f"{name}: {s}" for s in said]
        placed.append(pieces.placed(source, item))
        used.append(source)
    kind: ProgrammeKind = programme.kind  # type: ignore[assignment]
    summed = total(kind, placed, programme.target, render_settings, [s.has_audio for s in used])
    if summed.over:
        warnings.append(f"it runs {_amount(summed.over, summed.unit)} over its target of "
                        f"{_amount(summed.target, summed.unit)}")
    # An album's picture is its cover (the first, if a curator placed several): a record has no other use for one.
    cover = next((p.path for p in placed if p.media_type == "image"), None) if kind == "album" else None
    plan = RenderPlan(programme.id, programme.name, kind, tuple(placed), (), render_settings, cover)
    return _Gathered(plan, tuple(used), tuple(warnings), tuple(blocking))


def render(store: Store, programme_id: str, settings: Settings | None = None,
           progress: Progress | None = None) -> dict[str, Any]:
    """Render the programme now (a job calls this); the manifest of what was written."""
    checked = check(store, programme_id, settings_of(settings))
    plan = checked.plan
    dest = folder_of(store, plan.programme_id, plan.kind)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with store.files.active():  # a sweep meanwhile leaves the render's unfinished folder alone
        made = RENDERERS[plan.kind](plan, dest, progress)
    credits = Credits(BASIS[plan.kind], plan.credits)
    atomic_write(dest / PAYOUTS, payout_csv(credits).encode("utf-8"))
    manifest = {"programme": plan.programme_id, "name": plan.name, "kind": plan.kind,
                "files": [*made.files, PAYOUTS], "duration_s": made.duration_s, "loudness_lufs": made.loudness_lufs,
                "true_peak_db": made.true_peak_db, "warnings": [*checked.warnings, *made.warnings],
                "pieces": [p.submission_id for p in plan.pieces], "credits": [asdict(c) for c in plan.credits],
                "rendered_at": datetime.now(UTC).isoformat(timespec="seconds")}
    text = json.dumps(manifest, indent=2)
    atomic_write(dest / MANIFEST, text.encode("utf-8"))
    return dict(json.loads(text))  # as `rendered` reads it back


def folder_of(store: Store, programme_id: str, kind: str) -> Path:
    return store.data_dir / FOLDER / programme_id / kind


def rendered(store: Store, programme_id: str) -> dict[str, Any] | None:
    """The manifest of the programme's last finished render, or None."""
    with store.db.session() as session:
        kind = rows.get_programme(session, programme_id).kind
    path = folder_of(store, programme_id, kind) / MANIFEST
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def output_file(store: Store, programme_id: str, name: str) -> Path:
    """A file of the last render by its name in the manifest: never a path of the caller's making."""
    manifest = rendered(store, programme_id)
    if manifest is None or name not in manifest["files"]:
        raise NotFound(f"{programme_id!r} has no rendered file {name!r}; render it first")
    return folder_of(store, programme_id, manifest["kind"]) / name


def _amount(value: float, unit: str) -> str:
    return f"{round(value)} words" if unit == "words" else clock(value)
