"""Conditional GETs of the ranking routes: a repeated identical request is answered 304 without ranking anything,
and anything that changes the answer (a decision, another query) changes the ETag."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.requests import Request

from tests.api.conftest import Service
from tests.conftest import MEDIA
from triage.api.etag import etag, fresh


def _request(if_none_match: str | None) -> Request:
    headers = [] if if_none_match is None else [(b"if-none-match", if_none_match.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_a_tag_depends_on_its_parts_and_matches_weak_strong_lists_and_star() -> None:
    tag = etag("shortlist", "lawn", 1)
    assert tag == etag("shortlist", "lawn", 1) != etag("shortlist", "lawn", 2)
    assert tag.startswith('"') and tag.endswith('"')
    assert fresh(_request(tag), tag) and fresh(_request(f"W/{tag}"), tag) and fresh(_request(f'"x", {tag}'), tag)
    assert fresh(_request("*"), tag)
    assert not fresh(_request(None), tag) and not fresh(_request('"other"'), tag)


@pytest.fixture
def story(service: Service) -> str:
    done = service.upload("submitter", MEDIA / "good" / "story.txt", title="A story")
    assert done.status_code == 202, done.text
    sid = str(done.json()["submission"]["submission_id"])
    assert service.wait_ready(sid)["status"] == "ready"
    workers = service.client.app.state.triage.pool  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while workers.busy and time.monotonic() < deadline:  # the call-out is warmed after the job: let it finish
        time.sleep(0.1)
    return sid


def _get(service: Service, path: str, tag: str | None = None, **params: Any) -> Any:
    headers = {**service.h("curator"), **({"If-None-Match": tag} if tag else {})}
    return service.client.get(path, headers=headers, params=params)


@pytest.mark.parametrize("path, params", [("/api/callouts/lawn/shortlist", {}),
                                          ("/api/search", {"q": "a story", "callout": "lawn"}),
                                          ("/api/search", {"q": "a story"})])
def test_the_same_request_again_is_304_and_ranks_nothing(service: Service, story: str, path: str,
                                                         params: dict[str, str]) -> None:
    first = _get(service, path, **params)
    assert first.status_code == 200 and first.json()["items"]
    tag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    cache = service.client.app.state.triage.cache  # type: ignore[attr-defined]
    hits, misses = cache.memo.hits, cache.memo.misses
    again = _get(service, path, tag, **params)
    assert again.status_code == 304 and again.headers["ETag"] == tag and not again.content
    assert (cache.memo.hits, cache.memo.misses) == (hits, misses), "a 304 looks nothing up"
    assert _get(service, path, '"stale"', **params).status_code == 200
    other = _get(service, path, tag, **{**params, "limit": "5"})
    assert other.status_code == 200 and other.headers["ETag"] != tag


def test_a_decision_changes_the_shortlists_tag(service: Service, story: str) -> None:
    first = _get(service, "/api/callouts/lawn/shortlist")
    tag = first.headers["ETag"]
    decided = service.client.post(f"/api/submissions/{story}/decisions", headers=service.h("curator"),
                                  json={"decision": "starred"})
    assert decided.status_code == 201, decided.text
    after = _get(service, "/api/callouts/lawn/shortlist", tag)
    assert after.status_code == 200 and after.headers["ETag"] != tag
    assert [i["decision"] for i in after.json()["items"] if i["submission_id"] == story] == ["starred"]
    assert _get(service, "/api/callouts/lawn/shortlist", after.headers["ETag"]).status_code == 304
    # a search without the decision filter answers the same after a decision; with it, not
    plain = _get(service, "/api/search", q="a story", callout="lawn")
    filtered = _get(service, "/api/search", q="a story", callout="lawn", decision="starred")
    service.client.post(f"/api/submissions/{story}/decisions", headers=service.h("curator"),
                        json={"decision": "rejected"})
    assert _get(service, "/api/search", plain.headers["ETag"], q="a story", callout="lawn").status_code == 304
    assert _get(service, "/api/search", filtered.headers["ETag"], q="a story", callout="lawn",
                decision="starred").status_code == 200
