"""Every endpoint x every role: who may call it (table-driven), and that nobody else can."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Service
from tests.conftest import MEDIA

A, C, S = "admin", "curator", "submitter"
ROLES = (A, C, S)

# (method, path, json body, roles allowed). {sid} is a submission uploaded by the submitter "sam".
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("GET", "/api/callouts", None, {A, C, S}),
    ("GET", "/api/callouts/lawn", None, {A, C, S}),
    ("POST", "/api/callouts", {"id": "new-one"}, {A}),
    ("PATCH", "/api/callouts/lawn", {"brief": "x"}, {A}),
    ("POST", "/api/callouts/shut/close", None, {A}),
    ("GET", "/api/submissions", None, {A, C, S}),
    ("GET", "/api/submissions/{sid}", None, {A, C, S}),
    ("GET", "/api/submissions/{sid}/media", None, {A, C, S}),
    ("GET", "/api/submissions/{sid}/poster", None, {A, C, S}),
    ("GET", "/api/submissions/{sid}/frames/0", None, {A, C, S}),
    ("GET", "/api/submissions/{sid}/decisions", None, {A, C}),
    ("POST", "/api/submissions/{sid}/decisions", {"decision": "starred"}, {A, C}),
    ("POST", "/api/callouts/lawn/uploads", None, {A, C, S}),
    ("GET", "/api/callouts/lawn/shortlist", None, {A, C}),
    ("GET", "/api/callouts/lawn/sheet.csv", None, {A, C}),
    ("GET", "/api/search?q=lawn", None, {A, C}),
    ("GET", "/api/submissions/{sid}/similar", None, {A, C}),
    ("GET", "/api/callouts/lawn/duplicates", None, {A, C}),
    ("POST", "/api/duplicates/overrides", {"a": "{sid}", "b": "{sid}", "verdict": "not_duplicate"}, {A, C}),
    ("GET", "/api/callouts/lawn/clusters", None, {A, C}),
    ("GET", "/api/callouts/lawn/map", None, {A, C}),
    ("GET", "/api/submissions/{sid}/lineage", None, {A, C}),
    ("PUT", "/api/submissions/{sid}/platform-asset", None, {A, C}),
    ("DELETE", "/api/submissions/{sid}/platform-asset", None, {A, C}),
    ("POST", "/api/callouts/lawn/rescore", None, {A, C}),
    ("PUT", "/api/callouts/lawn/exemplars/{sid}", None, {A, C}),
    ("DELETE", "/api/callouts/lawn/exemplars/{sid}", None, {A, C}),
    ("GET", "/api/jobs", None, {A, C}),
    ("GET", "/api/jobs/1", None, {A, C}),
    ("POST", "/api/jobs/999/cancel", None, {A, C}),
    ("POST", "/api/jobs/999/retry", None, {A, C}),
    ("POST", "/api/callouts/lawn/decisions", {"submission_ids": ["{sid}"], "decision": "starred"}, {A, C}),
    ("POST", "/api/callouts/lawn/undo", None, {A, C}),
    ("GET", "/api/submissions/{sid}/notes", None, {A, C}),
    ("POST", "/api/submissions/{sid}/notes", {"text": "the dog enters", "at": 0.5}, {A, C}),
    ("DELETE", "/api/notes/999", None, {A, C}),
    ("PUT", "/api/submissions/{sid}/vote", {"rating": 4}, {A, C}),
    ("DELETE", "/api/submissions/{sid}/vote", None, {A, C}),
    ("GET", "/api/callouts/lawn/tally", None, {A, C}),
    ("GET", "/api/callouts/lawn/progress", None, {A, C}),
    ("POST", "/api/callouts/lawn/assignments", {"curators": ["cora"]}, {A}),
    ("DELETE", "/api/callouts/lawn/assignments", None, {A}),
    ("PUT", "/api/duplicates/keep/{sid}", None, {A, C}),
    ("DELETE", "/api/duplicates/keep/{sid}", None, {A, C}),
    ("DELETE", "/api/duplicates/overrides?a={sid}&b=nope", None, {A, C}),
    ("GET", "/api/tokens", None, {A}),
    ("POST", "/api/tokens", {"name": "x", "role": "curator"}, {A}),
    ("DELETE", "/api/tokens/999", None, {A}),
    ("POST", "/api/erasures", {"submission_ids": ["{sid}"]}, {A}),
    ("GET", "/api/programmes", None, {A, C}),
    ("POST", "/api/programmes", {"name": "Ep", "kind": "episode"}, {A, C}),
    ("GET", "/api/programmes/p", None, {A, C}),
    ("POST", "/api/programmes/p/pieces", {"submission_id": "{sid}"}, {A, C}),
    ("PATCH", "/api/programmes/p/pieces/{sid}", {"heading": "x"}, {A, C}),
    ("DELETE", "/api/programmes/p/pieces/{sid}", None, {A, C}),
    ("PUT", "/api/programmes/p/order", {"order": []}, {A, C}),
    ("GET", "/api/programmes/p/suggestion", None, {A, C}),
    ("GET", "/api/programmes/p/credits", None, {A, C}),
    ("GET", "/api/programmes/p/payouts.csv", None, {A, C}),
    ("POST", "/api/programmes/p/render", None, {A, C}),
    ("GET", "/api/programmes/p/render", None, {A, C}),
    ("GET", "/api/programmes/p/files/x", None, {A, C}),
    ("GET", "/api/contributors", None, {A, C}),
    ("POST", "/api/contributors/merge", {"names": ["a"], "person": "b"}, {A, C}),
    ("POST", "/api/contributors/unmerge", {"names": ["a"]}, {A, C}),
]


def _call(service: Service, role: str | None, method: str, path: str, body: Any, sid: str) -> int:
    path = path.replace("{sid}", sid)
    headers = service.h(role) if role else {}
    if path.endswith("/uploads"):
        with open(MEDIA / "good" / "story.txt", "rb") as f:
            return service.client.post(path, headers=headers, files={"file": ("story.txt", f)}).status_code
    if body is not None:
        body = {k: (v.replace("{sid}", sid) if isinstance(v, str) else
                    [x.replace("{sid}", sid) for x in v] if isinstance(v, list) else v) for k, v in body.items()}
    return service.client.request(method, path, headers=headers, json=body).status_code


@pytest.fixture
def sid(service: Service, ready_video: str) -> str:
    return ready_video


def test_table_covers_every_api_route(service: Service) -> None:
    routes = {(m, p) for p, ops in service.client.get("/openapi.json").json()["paths"].items() for m in ops}
    covered = set()
    for method, path, _, _ in ENDPOINTS:
        template = path.split("?")[0].replace("{sid}", "{submission_id}")
        template = template.replace("/lawn", "/{callout_id}").replace("/shut", "/{callout_id}")
        template = template.replace("/frames/0", "/frames/{index}").replace("/files/x", "/files/{name}")
        template = template.replace("/programmes/p", "/programmes/{programme_id}").replace("/pieces/{submission_id}",
                                                                                           "/pieces/{ref}")
        for n in ("1", "999"):
            template = template.replace(f"/jobs/{n}", "/jobs/{job_id}").replace(f"/tokens/{n}", "/tokens/{token_id}")
            template = template.replace(f"/notes/{n}", "/notes/{note_id}")
        covered.add((method.lower(), template))
    assert routes - {("get", "/api/health"), ("get", "/api/ready")} == covered


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_roles(service: Service, sid: str, method: str, path: str, body: Any, allowed: set[str]) -> None:
    assert _call(service, None, method, path, body, sid) == 401
    for role in ROLES:
        status = _call(service, role, method, path, body, sid)
        if role in allowed:
            assert status not in (401, 403), f"{role} refused ({status})"
        else:
            assert status == 403, f"{role} got {status}"


@pytest.mark.parametrize("path", ["/api/submissions/{sid}", "/api/submissions/{sid}/media",
                                  "/api/submissions/{sid}/poster", "/api/submissions/{sid}/frames/0"])
def test_a_submitter_never_sees_another_submitters_data(service: Service, sid: str, path: str) -> None:
    assert _call(service, "submitter2", "GET", path, None, sid) == 404
    listed = service.client.get("/api/submissions", headers=service.h("submitter2")).json()
    assert listed["items"] == []
