"""The pool map page in-process (issue 24): it renders for curators, is linked from the workbench, refuses the
others like the workbench does, and answers 404 for a call-out that does not exist."""

from __future__ import annotations

import re

from tests.api.conftest import Service
from tests.web.test_pages import sign_in


def test_the_map_page_renders_for_a_curator_and_the_workbench_links_it(service: Service, ready_video: str) -> None:
    sign_in(service)
    workbench = service.client.get("/callouts/lawn").text
    assert 'href="/callouts/lawn/map"' in workbench
    reply = service.client.get("/callouts/lawn/map")
    assert reply.status_code == 200 and reply.headers["x-frame-options"] == "DENY"
    page = reply.text
    assert re.search(r"<title>Map · Front Lawn Freaks · triage</title>", page)
    canvas = re.search(r"<canvas [^>]*>", page)
    assert canvas and 'tabindex="0"' in canvas.group(0) and 'data-src="/api/callouts/lawn/map"' in canvas.group(0)
    assert 'src="/static/map.js"' in page and 'id="map-table"' in page and 'id="announce"' in page
    assert "Shortlisted" in page and "Rejected" in page  # the decisions' legend
    assert 'href="/callouts/lawn"' in page  # back to the workbench
    # the page's script reads the points with the session cookie
    points = service.client.get("/api/callouts/lawn/map").json()["points"]
    assert [p["submission_id"] for p in points] == [ready_video]
    assert service.client.get("/static/map.js").status_code == 200


def test_an_admin_sees_the_map_too(service: Service) -> None:
    sign_in(service, "admin")
    assert service.client.get("/callouts/lawn/map").status_code == 200


def test_an_unknown_call_out_has_no_map(service: Service) -> None:
    sign_in(service)
    reply = service.client.get("/callouts/no-such/map", headers={"Accept": "text/html"})
    assert reply.status_code == 404 and "/static/app.css" in reply.text


def test_the_map_page_is_for_signed_in_curators_only(service: Service) -> None:
    anonymous = service.client.get("/callouts/lawn/map", headers={"Accept": "text/html"}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/callouts/lawn/map"
    # a token is for the API: the pages take the session cookie alone, and a submitter cannot get one
    for role in ("submitter", "curator"):
        with_token = service.client.get("/callouts/lawn/map", headers=service.h(role), follow_redirects=False)
        assert with_token.status_code == 401
    assert service.client.get("/callouts/lawn").status_code == service.client.get("/callouts/lawn/map").status_code
