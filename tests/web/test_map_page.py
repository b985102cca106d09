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


def test_the_pieces_picked_on_the_map_open_in_the_workbench(service: Service) -> None:
    """`?ids=` (the map's "Open these in the workbench") keeps only those pieces, says so, and survives the filters."""
    from tests.conftest import MEDIA

    sids = []
    for name in ("story.txt", "lyrics.md", "latin1.txt"):
        done = service.upload("curator", MEDIA / "good" / name)
        assert done.status_code == 202, done.text
        sid = done.json()["submission"]["submission_id"]
        assert service.wait_ready(sid)["status"] == "ready"
        sids.append(sid)
    sign_in(service)
    whole = service.client.get("/callouts/lawn").text
    assert all(f'id="card-{s}"' in whole for s in sids)
    page = service.client.get(f"/callouts/lawn?ids={sids[0]},{sids[2]}").text
    assert f'id="card-{sids[0]}"' in page and f'id="card-{sids[2]}"' in page and f'id="card-{sids[1]}"' not in page
    assert "Only the 2 pieces picked on the" in page and 'href="/callouts/lawn"' in page
    assert f'name="ids" value="{",".join(sorted([sids[0], sids[2]]))}"' in page  # the filter form keeps them
    too_many = ",".join(f"s_{i}" for i in range(1001))
    refused = service.client.get(f"/callouts/lawn?ids={too_many}", headers={"Accept": "text/html"})
    assert refused.status_code == 422 and "at most 1000" in refused.text
