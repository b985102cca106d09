"""Archive-wide answers when one platform submission is filed under two call-outs (two rows, one external id)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import triage
from tests.conftest import MEDIA


def test_a_piece_in_two_callouts_lists_its_copies_once_and_never_itself(cli_env: dict[str, str],
                                                                        tmp_path: Path) -> None:
    story = (MEDIA / "good" / "story.txt").read_text(encoding="utf-8")
    (tmp_path / "again.txt").write_text(story.upper(), encoding="utf-8")  # re-typed in capitals: a copy
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"path": str(MEDIA / "good" / "story.txt"), "external_id": "first"}) + "\n"
                        + json.dumps({"path": "again.txt", "external_id": "again"}) + "\n")
    for callout in ("lawn", "kitchen"):
        triage(cli_env, "callouts", "create", callout, "--title", callout.title())
        done = triage(cli_env, "ingest", "--callout", callout, "--manifest", str(manifest), "--allow-outside")
        assert done.returncode == 0, done.stderr

    found = triage(cli_env, "search", story.split(".")[0], "--json")
    assert found.returncode == 0, found.stderr
    items = json.loads(found.stdout)["items"]
    assert len(items) == 1  # four rows, one group of copies
    (hit,) = items
    assert hit["duplicates"] == [{"first": "again", "again": "first"}[hit["external_id"]]]

    page = triage(cli_env, "shortlist", "lawn", "--json")
    assert page.returncode == 0, page.stderr
    assert [(i["external_id"], i["duplicates"]) for i in json.loads(page.stdout)["items"]] in (
        [("first", ["again"])], [("again", ["first"])])
