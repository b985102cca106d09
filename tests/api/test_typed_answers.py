"""Every JSON route of the API declares what it answers (a `*Public` model, in /openapi.json), and the models say
exactly what the routes return: a key a route gives that its model does not know would be dropped on the way out,
so the real routes are called and what they return is compared with what is sent."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import routing
from httpx import Response
from pydantic import TypeAdapter

from tests.api.conftest import Service
from tests.conftest import MEDIA
from triage.api.public_submissions import UploadPublic
from triage.api.schemas import ErrorPublic, InvalidPublic

# Defined in triage/api/app.py beside the app, not in a router: their answers are still plain objects.
UNTYPED = {("get", "/api/health"), ("get", "/api/ready")}
METHODS = ("get", "post", "put", "patch", "delete")
ANY = TypeAdapter(Any)


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path.startswith("/api/") and method in METHODS:
                yield method, path, op


def _is_model(schema: dict[str, Any]) -> bool:
    """A named model, or a choice between named models (a submitter's view beside a curator's)."""
    return "$ref" in schema or bool(schema.get("anyOf")) and all("$ref" in s for s in schema["anyOf"])


def test_every_json_route_declares_a_model_for_its_answer(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    untyped, files = [], []
    for method, path, op in _operations(spec):
        answers = {status: r for status, r in op["responses"].items() if status.startswith("2")}
        assert answers, f"{method.upper()} {path} documents no success"
        for status, answer in answers.items():
            content = answer.get("content", {})
            if "application/json" not in content:
                files.append((method, path))  # a file, a CSV: documented by its media type
                assert content, f"{method.upper()} {path} {status} documents no content"
            elif not _is_model(content["application/json"].get("schema", {})):
                untyped.append((method, path))
    assert set(untyped) == UNTYPED, "JSON routes without a model: " + ", ".join(f"{m.upper()} {p}" for m, p in untyped)
    assert {p.rsplit("/", 1)[-1] for _, p in files} == {"media", "poster", "{index}", "sheet.csv", "payouts.csv",
                                                        "{name}"}


def test_every_refusal_is_documented_with_the_error_shapes(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    for method, path, op in _operations(spec):
        if (method, path) in UNTYPED:
            continue
        refusals = {status: r for status, r in op["responses"].items() if status[0] in "45"}
        assert {"401", "403", "404"} <= set(refusals), f"{method.upper()} {path}: {sorted(refusals)}"
        for status, refusal in refusals.items():
            content = refusal.get("content", {"application/json": {}})
            assert content, f"{method.upper()} {path} {status} documents no content"
            if "application/json" in content:  # else a file route's plain-text 416
                schema = content["application/json"].get("schema", {})
                assert _is_model(schema), f"{method.upper()} {path} {status}: {schema}"
        if op.get("requestBody", {}).get("content", {}).get("application/json"):
            assert {"400", "413", "422", "503"} <= set(refusals), f"{method.upper()} {path}: {sorted(refusals)}"
    # what the error handlers really send
    c, h = service.client, service.h("curator")
    ErrorPublic.model_validate(c.get("/api/submissions/nope", headers=h).json())
    ErrorPublic.model_validate(c.get("/api/callouts", headers={"Authorization": "Bearer nope"}).json())
    ErrorPublic.model_validate(c.post("/api/callouts", headers=h, json={"id": "x"}).json())  # 403
    InvalidPublic.model_validate(c.get("/api/submissions", headers=h, params={"limit": 0}).json())
    InvalidPublic.model_validate(c.post("/api/callouts", headers=service.h("admin"), json={"id": "no spaces"}).json())
    ErrorPublic.model_validate(c.get("/api/no/such/route", headers=h).json())


@dataclass
class Returned:
    model: Any  # the route's response_model
    raw: Any  # what the route returned
    exclude_unset: bool
    sent: Any  # what went out, parsed


@dataclass
class Seen:
    """What each route returned before its model shaped it and what was sent, and each call the client made."""

    returned: list[Returned] = field(default_factory=list)
    calls: list[tuple[str, str, Response]] = field(default_factory=list)


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    found = Seen()
    serialize = routing.serialize_response

    async def recording(**kwargs: Any) -> Any:
        out = await serialize(**kwargs)
        if kwargs.get("field") is not None:
            sent = json.loads(out) if isinstance(out, bytes) else out
            found.returned.append(Returned(kwargs["field"].field_info.annotation, kwargs["response_content"],
                                           kwargs.get("exclude_unset", False), sent))
        return out

    monkeypatch.setattr(routing, "serialize_response", recording)
    return found


def _template(spec: dict[str, Any], url: str) -> str:
    """The OpenAPI path an URL falls under (a fixed path before one with parameters)."""
    paths = sorted(spec["paths"], key=lambda p: p.count("{"))
    return next(p for p in paths if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", p), url.split("?")[0]))


def _call(service: Service, seen: Seen, method: str, url: str, role: str, **kw: Any) -> Any:
    response = service.client.request(method, url, headers=service.h(role), **kw)
    assert response.status_code < 300, f"{method} {url}: {response.status_code} {response.text[:300]}"
    seen.calls.append((method, url, response))
    return response.json()


def test_the_routes_answer_what_their_models_say(service: Service, seen: Seen) -> None:
    ids = {}
    for name, role in (("speech.mp4", "submitter"), ("speech.mp3", "curator"), ("story.txt", "curator"),
                       ("photo.jpg", "curator")):
        done = service.upload(role, MEDIA / "good" / name, title=name, external_id=name, contributor="me")
        assert done.status_code == 202, done.text
        UploadPublic.model_validate(done.json())
        ids[name] = done.json()["submission"]["submission_id"]
    assert all(service.wait_ready(sid)["status"] == "ready" for sid in ids.values())
    again = service.upload("submitter", MEDIA / "good" / "speech.mp4", title="speech.mp4", external_id="speech.mp4",
                           contributor="me")
    assert again.status_code == 200 and UploadPublic.model_validate(again.json()).job is None
    video, text = ids["speech.mp4"], ids["story.txt"]
    seen.returned.clear()  # from here on, one answer per call

    def call(method: str, url: str, role: str = "curator", **kw: Any) -> Any:
        return _call(service, seen, method, url, role, **kw)

    for role in ("admin", "curator", "submitter"):
        call("GET", "/api/callouts", role)
        call("GET", "/api/callouts/lawn", role)
        call("GET", "/api/submissions", role)
        call("GET", f"/api/submissions/{video}", role)
    call("POST", "/api/callouts", "admin", json={"id": "one", "title": "One", "brief": "b", "prompts": ["x"]})
    call("PATCH", "/api/callouts/one", "admin", json={"brief": "anything"})
    call("POST", "/api/callouts/one/close", "admin")
    call("PUT", f"/api/callouts/lawn/exemplars/{text}")
    call("DELETE", f"/api/callouts/lawn/exemplars/{text}")
    for sid in ids.values():
        call("GET", f"/api/submissions/{sid}")
    call("POST", f"/api/submissions/{video}/decisions", json={"decision": "shortlisted", "note": "n"})
    call("GET", f"/api/submissions/{video}/decisions")
    call("GET", "/api/submissions", params={"decision": "shortlisted"})
    call("GET", "/api/callouts/lawn/shortlist")
    call("GET", "/api/search", params={"q": "lawn", "callout": "lawn"})
    call("GET", "/api/search", params={"q": "talking"})
    call("GET", f"/api/submissions/{video}/similar", params={"callout": "lawn"})
    call("GET", "/api/callouts/lawn/duplicates")
    call("POST", "/api/duplicates/overrides", json={"a": video, "b": text, "verdict": "not_duplicate"})
    call("DELETE", "/api/duplicates/overrides", params={"a": video, "b": text})
    call("GET", "/api/callouts/lawn/clusters", params={"k": 2})
    call("POST", "/api/callouts/lawn/decisions", json={"submission_ids": [text], "decision": "starred"})
    call("POST", "/api/callouts/lawn/undo")
    call("POST", f"/api/submissions/{video}/notes", json={"text": "the dog", "at": 1.5})
    call("GET", f"/api/submissions/{video}/notes")
    call("PUT", f"/api/submissions/{video}/vote", json={"rating": 4})
    call("GET", "/api/callouts/lawn/tally")
    call("GET", "/api/callouts/lawn/progress")
    call("POST", "/api/callouts/lawn/assignments", "admin", json={"curators": ["cora"]})
    call("DELETE", "/api/callouts/lawn/assignments", "admin")
    call("PUT", f"/api/duplicates/keep/{video}")
    call("DELETE", f"/api/duplicates/keep/{video}")
    job = call("POST", "/api/callouts/lawn/rescore")["job"]
    call("GET", "/api/jobs")
    call("GET", f"/api/jobs/{job}")
    call("GET", "/api/tokens", "admin")
    token = call("POST", "/api/tokens", "admin", json={"name": "x", "role": "curator"})
    call("DELETE", f"/api/tokens/{token['id']}", "admin")
    call("POST", "/api/programmes", json={"name": "Episode 1", "kind": "episode", "callout_id": "lawn"})
    call("POST", "/api/programmes/episode-1/pieces", json={"submission_id": video})
    call("POST", "/api/programmes/episode-1/pieces", json={"submission_id": text, "heading": "Words", "whole": True})
    call("PATCH", f"/api/programmes/episode-1/pieces/{video}", json={"start": 0.5, "position": 2})
    call("PUT", "/api/programmes/episode-1/order", json={"order": [video, text]})
    call("GET", "/api/programmes", params={"callout": "lawn"})
    call("GET", "/api/programmes/episode-1")
    call("GET", "/api/programmes/episode-1/suggestion")
    call("GET", "/api/programmes/episode-1/credits")
    call("POST", "/api/programmes/episode-1/render")
    call("GET", "/api/programmes/episode-1/render")
    call("DELETE", f"/api/programmes/episode-1/pieces/{text}")
    call("GET", "/api/contributors", params={"like": "ME"})
    call("POST", "/api/contributors/merge", json={"names": ["me"], "person": "Me"})
    call("POST", "/api/contributors/unmerge", json={"names": ["me"]})
    deadline = time.monotonic() + 90  # an erasure waits for the jobs working on its pieces
    while any(j["status"] in ("queued", "running") for j in call("GET", "/api/jobs")["items"]):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    call("POST", "/api/erasures", "admin", json={"submission_ids": [ids["photo.jpg"]]})
    call("GET", f"/api/submissions/{ids['photo.jpg']}")  # a tombstone

    spec = service.client.get("/openapi.json").json()
    for method, url, response in seen.calls:
        documented = spec["paths"][_template(spec, url)][method.lower()]["responses"]
        assert str(response.status_code) in documented, (method, url, response.status_code)
    assert len(seen.returned) == len(seen.calls), "a JSON route without a response model"
    for answer in seen.returned:
        shape = TypeAdapter(answer.model)
        shape.validate_python(answer.sent)  # the body fits its declared model
        if isinstance(answer.raw, dict):  # (a model instance is already what is sent)
            # nothing the route returned was lost or changed on the way out, as a key its model lacks would be
            kept = shape.dump_python(shape.validate_python(answer.raw), mode="json", exclude_unset=answer.exclude_unset)
            assert kept == ANY.dump_python(answer.raw, mode="json"), f"{answer.model}: returned {answer.raw}"
