"""The shortlist as a spreadsheet from the API and the web page: the rows `triage export` writes."""

from __future__ import annotations

import csv
import io

from tests.api.conftest import Service
from tests.conftest import MEDIA


def test_the_sheet_lists_the_chosen_pieces_for_curators_only(service: Service, ready_video: str) -> None:
    c, h = service.client, service.h("curator")
    story = service.upload("curator", MEDIA / "good" / "story.txt", title="-1 points").json()["submission"]
    assert service.wait_ready(story["submission_id"])["status"] == "ready"
    c.post(f"/api/submissions/{ready_video}/decisions", headers=h, json={"decision": "shortlisted", "note": "yes"})

    got = c.get("/api/callouts/lawn/sheet.csv", headers=h)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="lawn-chosen.csv"' in got.headers["content-disposition"]  # shortlisted and starred
    assert got.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert [(r["submission_id"], r["note"], r["decided_by"], r["file"]) for r in rows] \
        == [(ready_video, "yes", "cora", "")]
    # a starred piece is chosen too, and the sheet carries the notes (with their moments), votes and moments
    c.post(f"/api/submissions/{story['submission_id']}/decisions", headers=h, json={"decision": "starred"})
    c.post(f"/api/submissions/{ready_video}/notes", headers=h, json={"text": "the dog enters", "at": 1.0})
    c.put(f"/api/submissions/{ready_video}/vote", headers=h, json={"rating": 4})
    chosen = list(csv.DictReader(io.StringIO(c.get("/api/callouts/lawn/sheet.csv",
                                                   headers=h).content.decode("utf-8-sig"))))
    assert {r["submission_id"] for r in chosen} == {ready_video, story["submission_id"]}
    video = next(r for r in chosen if r["submission_id"] == ready_video)
    assert video["notes"] == "0:01 cora: the dog enters" and video["votes"] == "cora 4" \
        and video["team_rating"] == "4.0"
    assert video["moment_start"] != ""
    only = c.get("/api/callouts/lawn/sheet.csv", headers=h, params={"decision": "shortlisted"})
    assert 'filename="lawn-shortlisted.csv"' in only.headers["content-disposition"]
    everything = list(csv.DictReader(io.StringIO(
        c.get("/api/callouts/lawn/sheet.csv", headers=h, params={"decision": "any"}).content.decode("utf-8-sig"))))
    assert {r["submission_id"] for r in everything} == {ready_video, story["submission_id"]}
    assert next(r for r in everything if r["submission_id"] == story["submission_id"])["title"] == "'-1 points"

    assert c.get("/api/callouts/lawn/sheet.csv", headers=service.h("submitter")).status_code == 403
    assert c.get("/api/callouts/nope/sheet.csv", headers=h).status_code == 404
    assert c.get("/api/callouts/lawn/sheet.csv", headers=h, params={"decision": "maybe"}).status_code == 422
