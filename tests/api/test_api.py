"""The JSON API as a client uses it: call-outs, uploads, submissions, media ranges, decisions, jobs."""

from __future__ import annotations

import time

import pytest

from tests.api.conftest import Service
from tests.conftest import MEDIA
from triage.config import Settings


def test_callouts_create_update_close_and_list(service: Service) -> None:
    c, admin = service.client, service.h("admin")
    made = c.post("/api/callouts", headers=admin, json={"id": "one", "title": "One", "brief": "the number one"})
    assert made.status_code == 201 and made.json()["open"] is True
    assert c.post("/api/callouts", headers=admin, json={"id": "one"}).status_code == 409
    assert c.patch("/api/callouts/one", headers=admin, json={"brief": "anything about one"}).json()["brief"] == \
        "anything about one"
    assert c.post("/api/callouts/one/close", headers=admin).json()["open"] is False
    bad = c.post("/api/callouts", headers=admin, json={"id": "no spaces!"})
    assert bad.status_code == 422
    listed = {x["id"]: x for x in c.get("/api/callouts", headers=service.h("curator")).json()["callouts"]}
    assert listed["one"]["open"] is False and listed["lawn"]["submissions"] == 0
    # submitters see open call-outs only, and no counts
    mine = c.get("/api/callouts", headers=service.h("submitter")).json()["callouts"]
    assert {x["id"] for x in mine} == {"lawn"} and "submissions" not in mine[0]


def test_a_new_brief_queues_a_rescoring_of_the_pool(service: Service, ready_video: str) -> None:
    c, admin, curator = service.client, service.h("admin"), service.h("curator")

    def rescores() -> list[dict]:
        items = c.get("/api/jobs", headers=curator, params={"callout": "lawn"}).json()["items"]
        return [j for j in items if j["kind"] == "rescore"]

    assert c.patch("/api/callouts/lawn", headers=admin, json={"open": True}).status_code == 200
    assert rescores() == []  # opening or closing changes no score
    assert c.patch("/api/callouts/lawn", headers=admin, json={"brief": "Dogs and rivers"}).status_code == 200
    deadline = time.monotonic() + 60
    while not (jobs := rescores()) or jobs[0]["status"] != "done":
        assert time.monotonic() < deadline, jobs
        time.sleep(0.2)
    assert len(jobs) == 1 and jobs[0]["result"]["submissions"] >= 1


def test_a_curator_marks_an_exemplar_and_the_pool_is_rescored(service: Service, ready_video: str) -> None:
    c, curator = service.client, service.h("curator")
    url = f"/api/callouts/lawn/exemplars/{ready_video}"
    marked = c.put(url, headers=curator)
    assert marked.status_code == 200 and marked.json()["exemplars"] == [ready_video]
    assert c.put(url, headers=curator).json()["exemplars"] == [ready_video]  # marking twice changes nothing
    assert c.get("/api/callouts/lawn", headers=curator).json()["exemplars"] == [ready_video]
    jobs = c.get("/api/jobs", headers=curator, params={"callout": "lawn"}).json()["items"]
    assert [j["kind"] for j in jobs].count("rescore") == 1
    assert "exemplars" not in c.get("/api/callouts/lawn", headers=service.h("submitter")).json()
    assert c.delete(url, headers=curator).json()["exemplars"] == []
    assert c.put("/api/callouts/lawn/exemplars/nope", headers=curator).status_code == 404
    c.post("/api/callouts", headers=service.h("admin"), json={"id": "other", "title": "Other"})
    assert c.put(f"/api/callouts/other/exemplars/{ready_video}", headers=curator).status_code == 404


def test_upload_is_processed_by_a_job_and_shows_its_transcript(service: Service, ready_video: str) -> None:
    detail = service.client.get(f"/api/submissions/{ready_video}", headers=service.h("curator")).json()
    assert detail["media_type"] == "video" and detail["duration"] > 1 and detail["title"] == "Talking"
    assert detail["transcript"] is not None and detail["decision"]["decision"] == "unrated"
    jobs = service.client.get("/api/jobs", headers=service.h("curator")).json()["items"]
    upload = next(j for j in jobs if j["kind"] == "process_upload")  # its lineage job comes after it
    assert upload["status"] == "done" and upload["progress"] == 1
    assert [j["status"] for j in jobs if j["kind"] == "lineage"] == ["done"]


def test_same_file_again_is_not_processed_twice(service: Service, ready_video: str) -> None:
    again = service.upload("submitter", MEDIA / "good" / "speech.mp4")
    assert again.status_code == 200 and again.json()["submission"]["submission_id"] == ready_video
    other = service.upload("curator", MEDIA / "good" / "speech.mp4")  # same bytes, someone else: reuse
    assert other.status_code == 202 and other.json()["job"] is None
    assert other.json()["submission"]["status"] == "ready"


def test_submitters_see_only_their_own(service: Service, ready_video: str) -> None:
    c = service.client
    assert c.get(f"/api/submissions/{ready_video}", headers=service.h("submitter")).status_code == 200
    assert c.get(f"/api/submissions/{ready_video}", headers=service.h("submitter2")).status_code == 404
    assert c.get(f"/api/submissions/{ready_video}/media", headers=service.h("submitter2")).status_code == 404
    assert c.get("/api/submissions", headers=service.h("submitter2")).json()["total"] == 0
    assert c.get("/api/submissions", headers=service.h("submitter")).json()["total"] == 1
    assert "decision" not in c.get(f"/api/submissions/{ready_video}", headers=service.h("submitter")).json()


def test_submitter_cannot_upload_to_a_closed_callout(service: Service) -> None:
    done = service.upload("submitter", MEDIA / "good" / "story.txt", callout="shut")
    assert done.status_code == 409 and "closed" in done.json()["detail"]
    assert service.upload("submitter", MEDIA / "good" / "story.txt", callout="nope").status_code == 404
    # anyone's upload to an unknown call-out is a 404, not a failed insert
    assert service.upload("curator", MEDIA / "good" / "story.txt", callout="nope").status_code == 404


def test_media_supports_range_requests(service: Service, ready_video: str) -> None:
    url, h = f"/api/submissions/{ready_video}/media", service.h("curator")
    whole = service.client.get(url, headers=h)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"].startswith("video/")
    part = service.client.get(url, headers={**h, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
    tail = service.client.get(url, headers={**h, "Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    beyond = service.client.get(url, headers={**h, "Range": f"bytes={len(whole.content) + 5}-"})
    assert beyond.status_code == 416
    poster = service.client.get(f"/api/submissions/{ready_video}/poster", headers=h)
    assert poster.status_code == 200 and poster.content[:2] == b"\xff\xd8"
    assert service.client.get(f"/api/submissions/{ready_video}/frames/0", headers=h).status_code == 200
    assert service.client.get(f"/api/submissions/{ready_video}/frames/999", headers=h).status_code == 404


def test_decisions_keep_history_and_filter_lists(service: Service, ready_video: str) -> None:
    c, h, url = service.client, service.h("curator"), f"/api/submissions/{ready_video}/decisions"
    assert c.post(url, headers=h, json={"decision": "shortlisted"}).status_code == 201
    c.post(url, headers=h, json={"decision": "starred", "note": "great energy"})
    assert c.post(url, headers=h, json={"decision": "maybe"}).status_code == 422
    current = c.get(f"/api/submissions/{ready_video}", headers=h).json()["decision"]
    assert current["decision"] == "starred" and current["note"] == "great energy" and current["decided_by"] == "cora"
    assert [d["decision"] for d in c.get(url, headers=h).json()["history"]] == ["starred", "shortlisted"]
    assert c.get("/api/submissions?decision=starred", headers=h).json()["total"] == 1
    assert c.get("/api/submissions?decision=unrated", headers=h).json()["total"] == 0
    assert c.get("/api/submissions?callout=lawn&media_type=audio", headers=h).json()["total"] == 0


def test_list_pagination(service: Service) -> None:
    for name in ("story.txt", "lyrics.md", "latin1.txt"):
        assert service.upload("curator", MEDIA / "good" / name).status_code == 202
    h = service.h("curator")
    page = service.client.get("/api/submissions?callout=lawn&limit=2&offset=0", headers=h).json()
    rest = service.client.get("/api/submissions?callout=lawn&limit=2&offset=2", headers=h).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and len(rest["items"]) == 1
    assert {i["submission_id"] for i in page["items"]}.isdisjoint({i["submission_id"] for i in rest["items"]})


BAD = {  # file -> (status, words the message must contain)
    "blank.txt": (422, "blank"),
    "bomb.png": (413, "limit"),
    "control_chars.txt": (415, "control characters"),
    "empty.mp4": (422, "empty"),
    "png_named.mp3": (415, "named .mp3"),
    "random.bin": (415, "binary"),
    "text_named.mp4": (415, "plain text"),
    "tiny.png": (422, "1x1"),
    "truncated.mp4": (422, "truncated"),
    "truncated_faststart.mp4": (422, "truncated"),
    "undetectable.txt": (415, "UTF-8"),
    "video_named.txt": (415, "MP4"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_uploads_get_the_right_status_and_reason(service: Service, name: str) -> None:
    status, words = BAD[name]
    done = service.upload("submitter", MEDIA / "bad" / name)
    assert done.status_code == status, done.text
    assert words in done.json()["detail"]
    assert service.client.get("/api/submissions", headers=service.h("submitter")).json()["total"] == 0


def test_every_bad_fixture_is_covered() -> None:
    assert {p.name for p in (MEDIA / "bad").iterdir()} == set(BAD)


def test_size_limit_is_enforced_while_streaming(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from tests.api.conftest import make_tokens
    from triage.api.app import create_app

    settings.max_file_bytes = 50_000
    app = create_app(settings, workers=0)
    with TestClient(app) as client:
        token = make_tokens(app)["submitter"]
        boundary = "xyz"

        def body():  # a chunked body with no Content-Length: only the streaming check can stop it
            yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
                   "Content-Type: text/plain\r\n\r\n").encode()
            for _ in range(100):
                yield b"a" * 10_000
            yield f"\r\n--{boundary}--\r\n".encode()

        done = client.post("/api/callouts/lawn/uploads", content=body(),
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert done.status_code == 413 and "limit" in done.json()["detail"]
        store = app.state.triage.store
        assert not any(store.files.tmp.iterdir())  # nothing left on disk
        declared = client.post("/api/callouts/lawn/uploads", headers={"Authorization": f"Bearer {token}"},
                               files={"file": ("big.txt", b"b" * 200_000)})
        assert declared.status_code == 413


def test_upload_needs_a_file_part(service: Service) -> None:
    done = service.client.post("/api/callouts/lawn/uploads", headers=service.h("submitter"), data={"title": "x"},
                               files={"other": ("a.txt", b"hello")})
    assert done.status_code == 422 and "file" in done.json()["detail"]
    assert service.client.post("/api/callouts/lawn/uploads", headers=service.h("submitter"),
                               json={"a": 1}).status_code == 422


def test_tokens_are_managed_by_admins_and_revocation_bites(service: Service) -> None:
    c, admin = service.client, service.h("admin")
    made = c.post("/api/tokens", headers=admin, json={"name": "temp", "role": "curator"}).json()
    h = {"Authorization": f"Bearer {made['token']}"}
    assert c.get("/api/jobs", headers=h).status_code == 200
    assert "token" not in c.get("/api/tokens", headers=admin).json()["items"][0]
    assert c.delete(f"/api/tokens/{made['id']}", headers=admin).json()["revoked"] is True
    assert c.get("/api/jobs", headers=h).status_code == 401
    assert c.get("/api/jobs", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_health_needs_no_token(service: Service) -> None:
    assert service.client.get("/api/health").json()["status"] == "ok"


def test_a_short_prompt_is_searched_and_a_blank_one_refused(service: Service, ready_video: str) -> None:
    c, h = service.client, service.h("curator")
    for q in ("tv", "🦊"):  # shorter than the brief's fragments, but a prompt a curator may well type
        found = c.get("/api/search", headers=h, params={"q": q, "callout": "lawn"}).json()
        assert [i["submission_id"] for i in found["items"]] == [ready_video]
        assert "nothing to compare" not in (found["items"][0]["snippet"] or ""), q
    blank = c.get("/api/search", headers=h, params={"q": "  \t "})
    assert blank.status_code == 422 and "empty" in blank.json()["detail"]


def test_media_answers_head_requests(service: Service, ready_video: str) -> None:
    h = service.h("curator")
    for part in ("media", "poster", "frames/0"):
        url = f"/api/submissions/{ready_video}/{part}"
        whole = service.client.get(url, headers=h)
        head = service.client.head(url, headers=h)
        assert head.status_code == 200 and head.content == b"", part
        assert head.headers["content-length"] == str(len(whole.content))
        assert head.headers["accept-ranges"] == "bytes" \
            and head.headers["content-type"] == whole.headers["content-type"]
    assert service.client.head("/api/submissions/nope/media", headers=h).status_code == 404
    assert service.client.head(f"/api/submissions/{ready_video}/media").status_code == 401
    assert service.client.head("/api/health").status_code == 200
    assert not any("head" in ops for ops in service.client.get("/openapi.json").json()["paths"].values())


def test_every_time_in_the_json_names_its_zone(service: Service, ready_video: str) -> None:
    c, h = service.client, service.h("curator")
    c.post(f"/api/submissions/{ready_video}/decisions", headers=h, json={"decision": "starred"})
    times = [c.get("/api/callouts/lawn", headers=h).json()["created_at"],
             c.get(f"/api/submissions/{ready_video}", headers=h).json()["created_at"],
             c.get(f"/api/submissions/{ready_video}", headers=h).json()["decision"]["decided_at"],
             c.get("/api/submissions", headers=h).json()["items"][0]["created_at"],
             c.get("/api/tokens", headers=service.h("admin")).json()["items"][0]["created_at"]]
    assert all(t.endswith("Z") or t.endswith("+00:00") for t in times), times


def test_the_openapi_schema_names_the_refusals_a_client_must_handle(service: Service) -> None:
    paths = service.client.get("/openapi.json").json()["paths"]
    assert {"401", "403", "404", "422"} <= set(paths["/api/callouts/{callout_id}/shortlist"]["get"]["responses"])
    assert "409" in paths["/api/callouts"]["post"]["responses"]
    assert {"200", "202", "409", "413", "415", "429"} \
        <= set(paths["/api/callouts/{callout_id}/uploads"]["post"]["responses"])
    refusal = service.client.get("/api/submissions/s_0000000000000000", headers=service.h("curator")).json()
    assert set(refusal) == {"error", "detail"}  # the declared ErrorPublic shape


def test_a_new_or_changed_callout_queues_the_other_scored_ones_too(service: Service) -> None:
    """Each call-out is ranked against the others: when one appears or changes, the open ones and the closed ones
    with saved scores are re-scored."""
    c, admin, curator = service.client, service.h("admin"), service.h("curator")

    def rescored(callout: str, status: str | None = None) -> int:
        items = c.get("/api/jobs", headers=curator, params={"callout": callout}).json()["items"]
        return sum(1 for j in items if j["kind"] == "rescore" and status in (None, j["status"]))

    def settle(**wanted: int) -> None:
        deadline = time.monotonic() + 30
        while any(rescored(callout, "done") != n for callout, n in wanted.items()):
            assert time.monotonic() < deadline, {callout: rescored(callout) for callout in wanted}
            time.sleep(0.1)

    assert c.post("/api/callouts", headers=admin, json={"id": "pets", "brief": "Animals at home"}).status_code == 201
    settle(lawn=1)
    assert (rescored("shut"), rescored("pets")) == (0, 0)  # closed, never scored: lazy; the new one has no pool yet
    assert c.post("/api/callouts/shut/rescore", headers=curator).status_code == 202
    settle(lawn=1, shut=1)  # now the closed one has saved scores that a producer may open
    assert c.patch("/api/callouts/pets", headers=admin, json={"brief": "Cats and dogs"}).status_code == 200
    settle(pets=1, lawn=2, shut=2)
