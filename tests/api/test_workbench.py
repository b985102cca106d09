"""The workbench's API: a duplicate group decided as one, undo, bulk decisions, timed notes, votes and the team's
tally, splitting the pool, progress, and the duplicate rulings that can be taken back."""

from __future__ import annotations

import csv
import io

import pytest

from tests.api.conftest import Service
from tests.conftest import MEDIA

PILE = ["speech.mp4", "speech.mp3", "story.txt", "lyrics.md", "latin1.txt"]


@pytest.fixture
def pile(service: Service) -> dict[str, str]:
    """The pile uploaded by a curator and processed: file name -> submission id. speech.mp3 copies speech.mp4."""
    ids = {}
    for name in PILE:
        done = service.upload("curator", MEDIA / "good" / name, title=name)
        assert done.status_code in (200, 202), done.text
        ids[name] = str(done.json()["submission"]["submission_id"])
    assert all(service.wait_ready(sid)["status"] == "ready" for sid in ids.values())
    return ids


def _shortlist(service: Service, **params: object) -> dict:
    reply = service.client.get("/api/callouts/lawn/shortlist", headers=service.h("curator"),
                               params={"limit": 100, **params})
    assert reply.status_code == 200, reply.text
    return reply.json()


def _the_talk(service: Service, pile: dict[str, str]) -> tuple[str, str]:
    """(the piece the talk's group is shown as, its copy)."""
    entry = next(i for i in _shortlist(service)["items"] if i["duplicate_ids"])
    assert {entry["submission_id"], *entry["duplicate_ids"]} == {pile["speech.mp4"], pile["speech.mp3"]}
    return entry["submission_id"], entry["duplicate_ids"][0]


def test_a_group_is_decided_as_one_and_never_surfaces_alone(service: Service, pile: dict[str, str]) -> None:
    head, copy = _the_talk(service, pile)
    done = service.client.post(f"/api/submissions/{head}/decisions", json={"decision": "shortlisted"},
                               headers=service.h("curator"))
    assert done.status_code == 201 and done.json()["copies"] == [copy] and done.json()["batch"]
    undecided = {i["submission_id"] for i in _shortlist(service, decision="undecided")["items"]}
    assert head not in undecided and copy not in undecided  # before: the copy came back as #1, alone
    chosen = _shortlist(service, decision="shortlisted")["items"]
    assert [i["submission_id"] for i in chosen] == [head] and chosen[0]["duplicate_ids"] == [copy]
    assert chosen[0]["duplicates"]  # the badge survives the filter
    sheet = service.client.get("/api/callouts/lawn/sheet.csv?decision=shortlisted", headers=service.h("curator"))
    rows = list(csv.DictReader(io.StringIO(sheet.text.lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["duplicates"]  # and so does the sheet's column
    shown = service.client.get(f"/api/submissions/{copy}", headers=service.h("curator")).json()
    assert shown["decision"]["decision"] == "shortlisted"  # the copy's own record says so too


def test_undo_takes_back_the_last_action_whole_and_walks_further_back(service: Service,
                                                                      pile: dict[str, str]) -> None:
    head, copy = _the_talk(service, pile)
    story = pile["story.txt"]
    h = service.h("curator")
    service.client.post(f"/api/submissions/{story}/decisions", json={"decision": "rejected"}, headers=h)
    service.client.post(f"/api/submissions/{head}/decisions", json={"decision": "starred"}, headers=h)
    undone = service.client.post("/api/callouts/lawn/undo", headers=h).json()["undone"]
    assert undone["submission_ids"] == [head] and undone["copies"] == [copy] and undone["decision"] == "starred"
    undecided = {i["submission_id"] for i in _shortlist(service, decision="undecided")["items"]}
    assert head in undecided  # undecided again, not "unrated"
    # a new decision after an undo is seen at once (SQLite gives the new row the id the undone one had)
    service.client.post(f"/api/submissions/{head}/decisions", json={"decision": "rejected"}, headers=h)
    assert {i["submission_id"] for i in _shortlist(service, decision="rejected")["items"]} == {head, story}
    assert service.client.post("/api/callouts/lawn/undo", headers=h).json()["undone"]["decision"] == "rejected"
    assert service.client.post("/api/callouts/lawn/undo", headers=h).json()["undone"]["submission_ids"] == [story]
    assert service.client.post("/api/callouts/lawn/undo", headers=h).json() == {"undone": None}
    # another curator's undo never takes back this curator's decisions
    service.client.post(f"/api/submissions/{story}/decisions", json={"decision": "rejected"}, headers=h)
    assert service.client.post("/api/callouts/lawn/undo", headers=service.h("admin")).json() == {"undone": None}


def test_bulk_decisions_are_one_action(service: Service, pile: dict[str, str]) -> None:
    h = service.h("curator")
    picked = [pile["story.txt"], pile["lyrics.md"]]
    done = service.client.post("/api/callouts/lawn/decisions", json={"submission_ids": picked, "decision": "starred"},
                               headers=h)
    assert done.status_code == 201 and sorted(done.json()["submission_ids"]) == sorted(picked)
    assert {i["submission_id"] for i in _shortlist(service, decision="starred")["items"]} == set(picked)
    assert sorted(service.client.post("/api/callouts/lawn/undo", headers=h).json()["undone"]["submission_ids"]) \
        == sorted(picked)
    missing = service.client.post("/api/callouts/lawn/decisions", headers=h,
                                  json={"submission_ids": ["s_nope"], "decision": "starred"})
    assert missing.status_code == 404


def test_notes_stand_on_their_own_with_a_moment_inside_the_piece(service: Service, pile: dict[str, str]) -> None:
    h = service.h("curator")
    talk = pile["speech.mp4"]
    made = service.client.post(f"/api/submissions/{talk}/notes", json={"text": "the dog enters", "at": 0.8}, headers=h)
    assert made.status_code == 201 and made.json()["at"] == 0.8 and made.json()["author"] == "cora"
    assert service.client.get(f"/api/submissions/{talk}", headers=h).json()["decision"]["decision"] == "unrated"
    past_the_end = service.client.post(f"/api/submissions/{talk}/notes", json={"text": "x", "at": 9999}, headers=h)
    assert past_the_end.status_code == 422 and "outside the piece" in past_the_end.json()["detail"]
    untimed = service.client.post(f"/api/submissions/{pile['story.txt']}/notes", json={"text": "x", "at": 1}, headers=h)
    assert untimed.status_code == 422
    listed = service.client.get(f"/api/submissions/{talk}/notes", headers=h).json()["items"]
    assert [n["text"] for n in listed] == ["the dog enters"]
    note = listed[0]["id"]
    assert service.client.delete(f"/api/notes/{note}", headers=service.h("admin")).status_code == 200  # an admin may
    mine = service.client.post(f"/api/submissions/{talk}/notes", json={"text": "mine"}, headers=h).json()["id"]
    other = service.client.post("/api/tokens", json={"name": "dan", "role": "curator"}, headers=service.h("admin"))
    dan = {"Authorization": f"Bearer {other.json()['token']}"}
    assert service.client.delete(f"/api/notes/{mine}", headers=dan).status_code == 403  # not someone else's


def test_votes_tally_and_disagreements(service: Service, pile: dict[str, str]) -> None:
    head, copy = _the_talk(service, pile)
    story = pile["story.txt"]
    cora, ada = service.h("curator"), service.h("admin")
    service.client.put(f"/api/submissions/{head}/vote", json={"rating": 5}, headers=cora)
    service.client.put(f"/api/submissions/{copy}/vote", json={"rating": 1}, headers=ada)  # on the copy: same piece
    service.client.put(f"/api/submissions/{story}/vote", json={"rating": 4}, headers=cora)
    service.client.put(f"/api/submissions/{story}/vote", json={"rating": 3}, headers=ada)
    assert service.client.put(f"/api/submissions/{story}/vote", json={"rating": 6}, headers=ada).status_code == 422
    tally = service.client.get("/api/callouts/lawn/tally", headers=cora).json()
    assert tally["voted"] == 2 and tally["split"] == 1
    first, second = tally["items"]
    assert first["submission_id"] == head and first["votes"] == {"ada": 1, "cora": 5} and first["split"]
    assert second["submission_id"] == story and second["mean"] == 3.5 and not second["split"]
    entry = next(i for i in _shortlist(service)["items"] if i["submission_id"] == head)
    assert entry["team"] == {"votes": {"ada": 1, "cora": 5}, "mean": 3.0, "split": True}
    assert [i["submission_id"] for i in _shortlist(service, split=True)["items"]] == [head]
    assert service.client.delete(f"/api/submissions/{copy}/vote", headers=ada).json()["rating"] is None
    assert service.client.get("/api/callouts/lawn/tally", headers=cora).json()["split"] == 0


def test_a_lead_splits_the_pool_and_each_curator_sees_their_progress(service: Service, pile: dict[str, str]) -> None:
    head, copy = _the_talk(service, pile)
    dealt = service.client.post("/api/callouts/lawn/assignments", json={"curators": ["cora", "ada"]},
                                headers=service.h("admin"))
    assert dealt.status_code == 200 and dealt.json()["curators"] == {"cora": 2, "ada": 2}  # 4 cards: 5 pieces, 1 copy
    mine = {i["submission_id"] for i in _shortlist(service, mine=True)["items"]}
    assert len(mine) == 2
    progress = service.client.get("/api/callouts/lawn/progress", headers=service.h("curator")).json()
    assert progress["entries"] == 4 and progress["assigned"] == 2 and progress["assigned_decided"] == 0
    for sid in mine:
        service.client.post(f"/api/submissions/{sid}/decisions", json={"decision": "rejected"},
                            headers=service.h("curator"))
    progress = service.client.get("/api/callouts/lawn/progress", headers=service.h("curator")).json()
    assert progress["assigned_left"] == 0 and progress["decided"] == 2 and progress["left"] == 2
    ada = service.client.get("/api/callouts/lawn/progress", headers=service.h("curator"),
                             params={"curator": "ada"}).json()
    assert ada["assigned"] == 2 and ada["assigned_decided"] == 0
    # the talk's group went whole to one curator
    owners = service.client.get("/api/callouts/lawn/shortlist", headers=service.h("admin"),
                                params={"mine": True}).json()["items"]
    assert (head in mine) != any(i["submission_id"] == head for i in owners)
    assert service.client.delete("/api/callouts/lawn/assignments", headers=service.h("admin")).json()["cleared"] == 5


def test_keeping_the_copy_and_taking_rulings_back(service: Service, pile: dict[str, str]) -> None:
    head, copy = _the_talk(service, pile)
    h = service.h("curator")
    assert service.client.put(f"/api/duplicates/keep/{copy}", headers=h).json()["kept"] is True
    entry = next(i for i in _shortlist(service)["items"] if i["duplicate_ids"])
    assert entry["submission_id"] == copy and entry["duplicate_ids"] == [head]  # shown as the piece chosen
    assert service.client.delete(f"/api/duplicates/keep/{copy}", headers=h).status_code == 200
    assert _the_talk(service, pile) == (head, copy)
    assert service.client.delete(f"/api/duplicates/keep/{copy}", headers=h).status_code == 404

    apart = {"a": head, "b": copy, "verdict": "not_duplicate"}
    assert service.client.post("/api/duplicates/overrides", json=apart, headers=h).status_code == 201
    assert not any(i["duplicate_ids"] for i in _shortlist(service)["items"])
    back = service.client.delete("/api/duplicates/overrides", params={"a": copy, "b": head}, headers=h)
    assert back.status_code == 200 and back.json()["verdict"] is None
    assert _the_talk(service, pile) == (head, copy)


def test_a_decision_after_an_undo_is_seen_whatever_the_cache_remembers(service: Service,
                                                                        pile: dict[str, str]) -> None:
    # The cache had seen the state before the undone decision: the undo's answer comes from it, and SQLite then
    # gives the next decision the id of the row the undo removed. The page must still see the new decision.
    h = service.h("curator")
    story, lyrics = pile["story.txt"], pile["lyrics.md"]
    for sid, decision in ((story, "shortlisted"), (lyrics, "shortlisted")):
        service.client.post(f"/api/submissions/{sid}/decisions", json={"decision": decision}, headers=h)
        _shortlist(service)  # each state seen by the cache
    service.client.post("/api/callouts/lawn/undo", headers=h)
    _shortlist(service)
    service.client.post(f"/api/submissions/{lyrics}/decisions", json={"decision": "starred"}, headers=h)
    assert [i["submission_id"] for i in _shortlist(service, decision="starred")["items"]] == [lyrics]


def test_search_results_keep_the_filters(service: Service, pile: dict[str, str]) -> None:
    h = service.h("curator")
    story, lyrics = pile["story.txt"], pile["lyrics.md"]
    service.client.post(f"/api/submissions/{story}/decisions", json={"decision": "starred"}, headers=h)
    everything = service.client.get("/api/search", headers=h, params={"q": "a tiny story", "callout": "lawn"}).json()
    assert {story, lyrics} <= {i["submission_id"] for i in everything["items"]}
    starred = service.client.get("/api/search", headers=h,
                                 params={"q": "a tiny story", "callout": "lawn", "decision": "starred"}).json()
    assert [i["submission_id"] for i in starred["items"]] == [story] and starred["total"] == 1
    texts = service.client.get("/api/search", headers=h,
                               params={"q": "a tiny story", "callout": "lawn", "media_type": "text"}).json()
    assert {i["media_type"] for i in texts["items"]} == {"text"}
    service.client.post("/login", data={"token": service.tokens["curator"]})
    page = service.client.get("/callouts/lawn", params={"q": "a tiny story", "decision": "starred"}).text
    assert page.count('<article class="card result') == 1 and f'id="card-{story}"' in page
    assert '<option value="starred" selected>' in page  # the filter stays set on the results page
