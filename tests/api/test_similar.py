"""More like this: pieces like one submission, never the piece itself, its copies or its bytes uploaded again."""

from __future__ import annotations

import json
import subprocess

from tests.api.conftest import Service
from tests.conftest import MEDIA, triage_cmd

PILE = ["speech.mp4", "speech.webm", "speech.mp3", "story.txt", "lyrics.md", "photo.jpg", "latin1.txt"]


def _ready(service: Service, role: str, name: str) -> str:
    done = service.upload(role, MEDIA / "good" / name)
    assert done.status_code in (200, 202), done.text
    sid = str(done.json()["submission"]["submission_id"])
    assert service.wait_ready(sid)["status"] == "ready"
    return sid


def test_similar_through_the_api_the_page_and_the_cli(service: Service) -> None:
    ids = {name: _ready(service, "submitter", name) for name in PILE}
    again = _ready(service, "submitter2", "speech.mp4")  # the same bytes from someone else
    curator = service.h("curator")
    piece = ids["speech.mp4"]
    groups = service.client.get("/api/callouts/lawn/duplicates", headers=curator).json()["groups"]
    copies = {m for g in groups if piece in g["submission_ids"] for m in g["submission_ids"]}
    assert len(copies) >= 3  # the same talk as webm and mp3, and its bytes uploaded again

    found = service.client.get(f"/api/submissions/{piece}/similar?callout=lawn&limit=50", headers=curator)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["like"]["submission_id"] == piece and body["callout"] == "lawn"
    listed = {i["submission_id"] for i in body["items"]}
    assert listed and not listed & (copies | {piece, again})
    assert [i["rank"] for i in body["items"]] == list(range(1, len(listed) + 1))

    assert service.client.get(f"/api/submissions/{piece}/similar", headers=service.h("submitter")).status_code == 403
    assert service.client.get("/api/submissions/s_nope/similar", headers=curator).status_code == 404

    service.client.post("/login", data={"token": service.tokens["curator"]})
    page = service.client.get(f"/callouts/lawn?like={piece}")
    assert page.status_code == 200 and "More like" in page.text
    assert f"/callouts/lawn?like={piece}" in service.client.get(f"/submissions/{piece}").text

    env = {"TRIAGE_DATA_DIR": str(service.settings.data_dir), "TRIAGE_WHISPER_MODEL": "fake",
           "TRIAGE_TEXT_MODEL": "fake", "TRIAGE_CLIP_MODEL": "fake", "HF_HUB_OFFLINE": "1",
           "PATH": "/usr/bin:/bin"}
    cli = subprocess.run([*triage_cmd(), "similar", piece, "--callout", "lawn", "--json"], env=env,
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert {i["submission_id"] for i in json.loads(cli.stdout)["items"]} == listed


def test_a_far_page_asks_the_index_for_no_more_than_it_holds(service: Service) -> None:
    # A pool narrowed by the index (as big ones are): the index was asked for 20 candidates per result up to the
    # offset, so ?offset=1000000 took 660 MB for a two-piece index, and larger offsets failed for want of memory.
    service.settings.search_narrow_above = 0
    piece, _ = _ready(service, "submitter", "story.txt"), _ready(service, "submitter", "lyrics.md")
    curator = service.h("curator")
    near = service.client.get(f"/api/submissions/{piece}/similar", headers=curator)
    assert near.status_code == 200 and near.json()["items"], near.text
    far = service.client.get(f"/api/submissions/{piece}/similar", params={"offset": 10**9}, headers=curator)
    assert far.status_code == 200 and far.json()["items"] == [], far.text


def test_an_external_id_names_the_piece_of_the_call_out_asked_about(service: Service) -> None:
    # external ids are the call-outs' own: the same one may name different pieces in two call-outs
    assert service.client.post("/api/callouts", headers=service.h("admin"), json={"id": "other"}).status_code == 201
    first = service.upload("curator", MEDIA / "good" / "story.txt", external_id="entry-1").json()["submission"]
    mine = service.upload("curator", MEDIA / "good" / "lyrics.md", callout="other",
                          external_id="entry-1").json()["submission"]
    for sid in (first["submission_id"], mine["submission_id"]):
        assert service.wait_ready(sid)["status"] == "ready"
    found = service.client.get("/api/submissions/entry-1/similar?callout=other", headers=service.h("curator"))
    assert found.status_code == 200, found.text
    assert found.json()["like"]["submission_id"] == mine["submission_id"]
    service.client.post("/login", data={"token": service.tokens["curator"]})
    page = service.client.get("/callouts/other?like=entry-1").text
    assert "More like “lyrics.md”" in page
