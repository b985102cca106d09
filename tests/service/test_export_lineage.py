"""The exported sheet's lineage columns: each row's credits ("bob 58%; ann 42%") and what it builds on. (Credits
reaching back through a source's sources are the graph's, checked against `lineage()` in test_lineage_counts.py.)"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.service.test_lineage import _ingest, _pieces
from triage import runtime
from triage.config import Settings
from triage.service.decisions import record
from triage.service.export import COLUMNS, SHEET, export, sheet
from triage.service.lineage import lineage
from triage.service.lineage_update import forget_archive
from triage.store.callouts import upsert_callout


def test_the_sheet_credits_each_piece_and_names_its_sources(settings: Settings, tmp_path: Path) -> None:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="a poem, a story and a sequel")
    forget_archive(store)
    _ingest(store, settings, _pieces(tmp_path / "in"), ["poem", "story", "sequel", "plain"])
    assert COLUMNS[-2:] == ["credits", "builds_on"]
    with store.db.session() as session:
        for name in ("poem", "story", "plain"):
            record(session, lineage(store, name)["submission"]["submission_id"], "shortlisted", note=None, by="cora")
    models = runtime.query_encoders(settings)
    rows = {r["external_id"]: r for r in csv.DictReader(io.StringIO(sheet(store, models, "lawn")))}
    assert set(rows) == {"poem", "story", "plain"}
    story = lineage(store, "story")
    assert rows["story"]["builds_on"] == "poem"
    assert rows["story"]["credits"] == "; ".join(f"{c['contributor']} {round(100 * c['share'])}%"
                                                 for c in story["credits"])
    assert rows["story"]["credits"].startswith(("bob ", "ann ")) and "ann" in rows["story"]["credits"]
    assert rows["poem"]["builds_on"] == "" and rows["poem"]["credits"] == "ann 100%"  # used by, owes nothing
    assert rows["plain"]["builds_on"] == "" and rows["plain"]["credits"] == "dee 100%"
    out = export(store, models, "lawn", tmp_path / "episode", with_media=False)  # `triage export` writes the same
    with open(Path(out["dest"]) / SHEET, encoding="utf-8-sig", newline="") as f:
        written = {r["external_id"]: r for r in csv.DictReader(f)}
    assert {k: (r["credits"], r["builds_on"]) for k, r in written.items()} \
        == {k: (r["credits"], r["builds_on"]) for k, r in rows.items()}
