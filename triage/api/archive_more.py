"""The parts of `triage.Archive` (api/archive.py) longer than a call: ingesting files as `triage ingest --json`
reports them, drawing a pool map as `triage map --png` does, and the evidence each pair of pieces gives the
duplicate grouping (for notebooks that study its bar). Also `open_corpus`, a labelled corpus for `Archive.evaluate`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from triage import runtime
from triage.api.schemas import CalloutCreate
from triage.config import Settings
from triage.errors import ConfigError
from triage.evaluation.corpus import Corpus, load_corpus
from triage.service import Store

log = logging.getLogger(__name__)

MARKERS = {"shortlisted": ("o", "#1a7f37"), "starred": ("*", "#bf8700"), "rejected": ("x", "#cf222e"),
           "unrated": ("s", "#57606a")}


def open_corpus(root: str | Path) -> Corpus:
    """A labelled evaluation corpus (the format of shared/eval/README.md): its call-outs, and the answer key as
    `category` ({external id: topic}), `duplicate_groups` (lists of external ids) and `relevant_ids(callout_id)`."""
    return load_corpus(Path(root))


def checked_callouts(path: Path) -> list[CalloutCreate]:
    """The call-outs of a JSON list of {"id", "title", "brief", "prompts", "negative_prompts"}, every entry checked
    with the API's rules before any is written (as `triage callouts import`)."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(rows, list) and all(isinstance(r, dict) and r.get("id") for r in rows)
    except (ValueError, AssertionError) as exc:
        raise ConfigError(f"{path} must be a JSON list of objects with an \"id\"") from exc
    checked = []
    for number, row in enumerate(rows, start=1):
        try:
            checked.append(CalloutCreate.model_validate(row))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            rule = CalloutCreate.model_fields["id"].description if where == "id" else None
            said = f"use {rule}" if rule and problem["type"] == "string_pattern_mismatch" else problem["msg"]
            raise ConfigError(f"{path}, call-out {number} ({row.get('id')!r}): {where}: {said}") from exc
    return checked


def ingest_files(settings: Settings, store: Store, callout_id: str, *, manifest: str | Path | None,
                 paths: Sequence[str | Path] | None, allow_outside: bool) -> dict[str, Any]:
    """`triage ingest --json`: analyse the files into the call-out, bring the search indexes up to date and find
    what the new pieces build on."""
    from triage.ingest.runner import ingest
    from triage.ingest.sources import from_manifest, from_paths
    from triage.service.after_ingest import bring_up_to_date
    from triage.service.callouts import require_callout

    if (manifest is None) == (not paths):
        raise ConfigError("give either paths or a manifest")
    items = list(from_manifest(Path(manifest), allow_outside=allow_outside) if manifest is not None
                 else from_paths([Path(p) for p in paths or ()], allow_outside=allow_outside))
    require_callout(store, callout_id)  # before any model loads
    analysis = runtime.analysis_engine(settings)
    try:
        results = ingest(store, callout_id, items, analysis, max_file_bytes=settings.max_file_bytes,
                         allow_mislabelled=settings.allow_mislabelled)
    finally:
        analysis.close()
    bring_up_to_date(store, results, index_dir=settings.resolved_index_dir, exact_max=settings.exact_search_max,
                     threads=settings.threads)
    return {"callout": callout_id, "results": [r.to_dict() for r in results],
            "summary": {"total": len(results), "by_status": dict(Counter(r.status for r in results)),
                        "by_action": dict(Counter(r.action for r in results))}}


def draw_map(found: dict[str, Any], ax: Any) -> None:
    """Draw a pool map (`Archive.pool_map`'s answer) on a matplotlib Axes as `triage map --png` does: points
    coloured by cluster, sized by score, copies joined by thin lines, decided pieces ringed in their decision's
    colour and shape."""
    import matplotlib.pyplot as plt

    points = found["points"]
    colours = plt.get_cmap("tab10" if len(found["clusters"]) <= 10 else "tab20")
    by_id = {p["submission_id"]: p for p in points}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in points:
        if p["group"]:
            groups[p["group"]].append(p)
    for members in groups.values():
        head = by_id.get(members[0]["group"], members[0])
        for p in members:
            if p is not head:
                ax.plot([head["x"], p["x"]], [head["y"], p["y"]], color="#888888", linewidth=0.6, zorder=1)
    if points:
        ax.scatter([p["x"] for p in points], [p["y"] for p in points],
                   c=[colours(p["cluster"] % colours.N) if p["cluster"] is not None else "#bbbbbb" for p in points],
                   s=[12 + 140 * (p["score"] or 0.0) for p in points], alpha=0.8, linewidths=0, zorder=2)
    for decision, (marker, colour) in MARKERS.items():
        decided = [p for p in points if p["decision"] == decision]
        if decided:
            ax.scatter([p["x"] for p in decided], [p["y"] for p in decided], marker=marker, s=60,
                       facecolors="none" if marker in "os" else colour, edgecolors=colour, linewidths=1.2,
                       label=decision, zorder=3)
    for c in found["clusters"]:
        ax.annotate(f"{c['label']} ({c['size']})", (c["x"], c["y"]), ha="center", va="center", fontsize=8,
                    zorder=4, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colours(c["id"] % colours.N),
                                    "alpha": 0.85})
    if any(p["decision"] for p in points):
        ax.legend(loc="best", fontsize=7, frameon=False)
    ax.set_title(f"{found['callout']}: {found['count']} pieces (size: relevance; lines join copies)", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
