"""The workbench's pages in-process: the review's bugs each pinned, in-place answers, the edges (404s, offline API
docs, readiness)."""

from __future__ import annotations

import html
import json
import re
import time

from fastapi.testclient import TestClient

from tests.api.conftest import Service
from tests.api.test_workbench import pile  # noqa: F401  (the fixture)
from tests.web.test_pages import sign_in


def _card(page: str, sid: str) -> str:
    start = page.index(f'id="card-{sid}"')
    return page[start:page.index("</article>", start)]


def test_a_note_is_its_own_form_and_never_decides(service: Service, pile: dict[str, str]) -> None:  # noqa: F811
    csrf = sign_in(service)
    story = pile["story.txt"]
    card = _card(service.client.get("/callouts/lawn").text, story)
    note_form = card[card.index(f'action="/submissions/{story}/notes"'):]
    note_form = note_form[:note_form.index("</form>")]
    assert 'name="text"' in note_form and 'name="decision"' not in note_form
    service.client.post(f"/submissions/{story}/notes", data={"text": "lovely", "csrf": csrf, "next": "/"})
    after = _card(service.client.get("/callouts/lawn").text, story)
    assert "lovely" in after and 'data-decision="unrated"' in after  # before: Enter in a note shortlisted the piece


def test_an_undecided_card_presses_no_button_and_its_players_have_names(service: Service,
                                                                        pile: dict[str, str]) -> None:  # noqa: F811
    sign_in(service)
    page = service.client.get("/callouts/lawn").text
    for sid in pile.values():
        if f'id="card-{sid}"' not in page:
            continue  # a copy: shown with its group
        decide = _card(page, sid)
        decide = decide[decide.index('class="decide"'):]
        decide = decide[:decide.index("</form>")]
        assert 'aria-pressed="true"' not in decide  # before: a solid black "Clear", announced as pressed
    players = re.findall(r"<(video|audio) [^>]*>", page)
    assert players and all("aria-label=" in tag for tag in re.findall(r"<(?:video|audio) [^>]*>", page))


def test_a_page_past_the_end_says_so(service: Service, pile: dict[str, str]) -> None:  # noqa: F811
    sign_in(service)
    page = service.client.get("/callouts/lawn?page=5").text
    assert "past the end" in page and "4 in all" in page and "0–96" not in page and "of 4</span>" not in page
    last = html.unescape(re.search(r'href="([^"]+)">Go to the last page', page).group(1))  # type: ignore[union-attr]
    assert last == "/callouts/lawn"


def test_unknown_addresses_get_a_page_or_the_apis_error(service: Service) -> None:
    sign_in(service)
    page = service.client.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "Not found" in page.text and "/static/app.css" in page.text
    assert "Back to the call-outs" in page.text and "{" not in page.text.split("<main")[1][:200]
    api = service.client.get("/api/no/such/thing")
    assert api.status_code == 404 and api.json()["error"] == "NotFound"


def test_the_api_docs_load_nothing_from_elsewhere(service: Service) -> None:
    docs = service.client.get("/docs").text
    assert "/static/docs/swagger-ui-bundle.js" in docs and "cdn." not in docs and "https://" not in docs
    assert service.client.get("/static/docs/swagger-ui-bundle.js").status_code == 200
    assert service.client.get("/static/docs/swagger-ui.css").status_code == 200
    assert "/static/docs/redoc.standalone.js" in service.client.get("/redoc").text
    assert service.client.get("/favicon.ico").headers["content-type"].startswith("image/svg+xml")


def test_page_titles_say_what_is_on_them(service: Service, pile: dict[str, str]) -> None:  # noqa: F811
    sign_in(service)
    titles = {path: re.search(r"<title>(.*?)</title>", service.client.get(path).text).group(1)  # type: ignore[union-attr]
              for path in ("/", "/callouts/lawn", "/callouts/lawn?q=story", "/callouts/lawn/duplicates",
                           f"/submissions/{pile['story.txt']}")}
    assert titles["/"] == "Call-outs · triage"
    assert titles["/callouts/lawn"] == "Shortlist · Front Lawn Freaks · triage"
    assert "story" in titles["/callouts/lawn?q=story"] and "Duplicates" in titles["/callouts/lawn/duplicates"]
    assert "story.txt" in titles[f"/submissions/{pile['story.txt']}"]


def test_an_action_from_the_page_script_answers_in_place(service: Service, pile: dict[str, str]) -> None:  # noqa: F811
    csrf = sign_in(service)
    story = pile["story.txt"]
    reply = service.client.post(f"/submissions/{story}/decision", headers={"HX-Request": "true"},
                                data={"decision": "starred", "csrf": csrf, "next": "/callouts/lawn"})
    assert reply.status_code == 200 and reply.headers["cache-control"] == "no-store"
    assert reply.text.lstrip().startswith(f'<section class="state" id="state-{story}" data-decision="starred"')
    assert 'id="progress" class="progress" hx-swap-oob="true"' in reply.text and "<strong>1</strong> of 4" in reply.text
    event = json.loads(reply.headers["hx-trigger-after-settle"])["triage:decided"]
    assert event == {"sid": story, "say": "Starred: “story.txt”"}
    undo = service.client.post("/callouts/lawn/undo", headers={"HX-Request": "true"},
                               data={"csrf": csrf, "next": "/callouts/lawn"})
    assert f'id="state-{story}" data-decision="unrated"' in undo.text and 'hx-swap-oob="true"' in undo.text
    assert json.loads(undo.headers["hx-trigger-after-settle"])["triage:undone"]["sid"] == story
    marked = service.client.post("/callouts/lawn/exemplars", headers={"HX-Request": "true"},
                                 data={"sid": story, "mark": "1", "csrf": csrf, "next": "/callouts/lawn"})
    assert marked.text.lstrip().startswith('<form method="post" action="/callouts/lawn/exemplars" class="exemplar"')
    assert 'aria-pressed="true"' in marked.text and "◆ Exemplar" in marked.text
    plain = service.client.post(f"/submissions/{story}/vote",
                                data={"rating": "4", "csrf": csrf, "next": "/callouts/lawn"},
                                follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == f"/callouts/lawn#card-{story}"


def test_chip_counts_equal_the_cards_they_open(service: Service, pile: dict[str, str]) -> None:  # noqa: F811
    sign_in(service)
    page = service.client.get("/callouts/lawn").text
    chips = re.findall(r'class="chip ?"[^>]* href="([^"]+)"[^>]*>[^<]*<span class="count">(\d+)</span>', page)
    assert chips
    for link, count in chips:
        opened = service.client.get(html.unescape(link)).text
        assert len(re.findall(r'<article class="card result', opened)) == int(count), link


def test_the_server_is_ready_once_models_are_loaded_and_call_outs_warmed(service: Service,
                                                                         pile: dict[str, str]) -> None:  # noqa: F811
    from triage.api.app import create_app

    service.wait_jobs()  # the uploads' lineage jobs write fingerprints after the pieces are ready: let them finish
    with TestClient(create_app(service.settings, workers=0)) as restarted:  # the same data, a server just started
        deadline = time.monotonic() + 30
        while (reply := restarted.get("/api/ready")).status_code == 503 and time.monotonic() < deadline:
            assert reply.headers["retry-after"]
            time.sleep(0.05)
        assert reply.status_code == 200 and reply.json()["ready"] is True
        assert set(reply.json()["callouts_s"]) == {"lawn", "shut"} and restarted.get("/api/health").json()["ready"]
        cache = restarted.app.state.triage.cache  # type: ignore[attr-defined]
        misses = cache.memo.misses
        assert restarted.get("/api/callouts/lawn/shortlist", headers=service.h("curator")).status_code == 200
        assert cache.memo.misses == misses  # the first shortlist was computed before anyone asked
