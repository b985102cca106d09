"""The programme pages in-process: the list and its form, the workbench's every change as a plain form and as an
in-place (htmx) answer, refusals shown in words beside what was acted on, the card's "add to programme", roles."""

from __future__ import annotations

import html
import re

import pytest

from tests.api.conftest import Service
from tests.conftest import MEDIA
from tests.web.test_pages import sign_in

HX = {"HX-Request": "true"}


@pytest.fixture
def pieces(service: Service) -> dict[str, str]:
    """A recording, a story and a photo in the call-out "lawn", ready: name -> submission id."""
    ids = {}
    for name, title in (("speech.wav", "The talk"), ("story.txt", "A tiny story"), ("photo.jpg", "The lawn")):
        done = service.upload("curator", MEDIA / "good" / name, title=title)
        assert done.status_code in (200, 202), done.text
        ids[name] = str(done.json()["submission"]["submission_id"])
    assert all(service.wait_ready(sid)["status"] == "ready" for sid in ids.values())
    service.wait_jobs()
    return ids


def _create(service: Service, csrf: str, name: str = "Episode 1", kind: str = "episode", target: str = "0:30") -> str:
    done = service.client.post("/programmes", data={"name": name, "kind": kind, "callout": "lawn", "target": target,
                                                    "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303, done.text
    return str(done.headers["location"].rsplit("/", 1)[1])


def _add(service: Service, csrf: str, programme: str, sid: str, **extra: str) -> None:
    done = service.client.post("/programmes/add", data={"programme": programme, "sid": sid, "csrf": csrf,
                                                        "next": "/callouts/lawn", **extra}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/callouts/lawn#card-{sid}", done.text


def _order(service: Service, programme: str) -> list[str]:
    page = service.client.get(f"/programmes/{programme}").text
    return re.findall(r'<li class="slot[^"]*" id="piece-([^"]+)"', page)


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_list_creates_a_programme_and_refuses_a_bad_target_in_words(service: Service) -> None:
    csrf = sign_in(service)
    home = service.client.get("/").text
    assert 'href="/programmes"' in home  # the nav
    assert 'href="/programmes?callout=lawn"' in service.client.get("/callouts/lawn").text
    page = service.client.get("/programmes")
    assert page.status_code == 200 and "Start a programme" in page.text and "No programmes yet" in page.text
    bad = service.client.post("/programmes", data={"name": "Ep", "kind": "episode", "target": "soon", "csrf": csrf})
    assert bad.status_code == 422 and "is not a length" in _text(bad.text) and 'value="Ep"' in bad.text
    assert "Traceback" not in bad.text
    programme = _create(service, csrf)
    assert programme == "episode-1"
    listed = _text(service.client.get("/programmes?callout=lawn").text)
    assert "Episode 1" in listed and "0:00 of 0:30" in listed and "0 pieces" in listed
    assert service.client.post("/programmes", data={"name": "x", "kind": "episode", "csrf": "forged"}).status_code \
        == 403
    assert service.client.get("/programmes?callout=nope", headers={"Accept": "text/html"}).status_code == 404


def test_a_programme_built_from_the_cards_moved_trimmed_headed_and_cut_down(service: Service,
                                                                            pieces: dict[str, str]) -> None:
    csrf = sign_in(service)
    programme = _create(service, csrf, target="0:20")
    card_page = service.client.get("/callouts/lawn").text
    assert 'action="/programmes/add"' in card_page and 'aria-keyshortcuts="p"' in card_page
    assert ">Episode 1</option>" in card_page and "/static/programme.js" in card_page
    talk, story, photo = pieces["speech.wav"], pieces["story.txt"], pieces["photo.jpg"]
    _add(service, csrf, programme, talk, start="1.0", end="2.0")  # the card's moment: with handles either side
    _add(service, csrf, programme, story)
    # in place: the card gets a confirmation, and the page an event to announce it
    done = service.client.post("/programmes/add", data={"programme": programme, "sid": photo, "csrf": csrf},
                               headers=HX)
    assert done.status_code == 200 and "Added to Episode 1 as piece 3" in done.text
    assert "triage:added" in done.headers["hx-trigger-after-settle"]
    again = service.client.post("/programmes/add", data={"programme": programme, "sid": photo, "csrf": csrf},
                                headers=HX)
    assert again.status_code == 409 and "Not added" in again.text and "already" in again.text
    assert _order(service, programme) == [talk, story, photo]

    page = service.client.get(f"/programmes/{programme}").text
    words = _text(page)
    assert 'role="meter"' in page and "of 0:20" in words and "Running order" in words
    assert re.search(r"cut 0:00(\.\d)?–0:0\d", words)  # the talk's moment with handles, not the whole talk
    assert 'aria-label="Move “The talk” up"' in page and "Remove “A tiny story” from the programme" in page

    # move down (plain form: back to the piece), and up in place (the board, with where the focus goes)
    moved = service.client.post(f"/programmes/{programme}/pieces/{talk}/move", data={"way": "down", "csrf": csrf},
                                follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"].endswith(f"#piece-{talk}")
    assert _order(service, programme) == [story, talk, photo]
    moved = service.client.post(f"/programmes/{programme}/pieces/{talk}/move", data={"way": "up", "csrf": csrf},
                                headers=HX)
    assert moved.status_code == 200 and moved.text.lstrip().startswith(("{#", '<div id="board"'))
    assert f'"focus": "piece-{talk}"' in moved.headers["hx-trigger-after-settle"]
    assert _order(service, programme) == [talk, story, photo]

    # a drag: the whole new order; an order that is not the programme's pieces is refused in words
    assert service.client.post(f"/programmes/{programme}/order", data={"order": f"{photo},{talk},{story}",
                                                                       "csrf": csrf}).status_code == 200
    assert _order(service, programme) == [photo, talk, story]
    stale = service.client.post(f"/programmes/{programme}/order", data={"order": f"{photo},{talk}", "csrf": csrf},
                                headers=HX)
    assert stale.status_code == 409 and "changed while you reordered it" in stale.text

    # trim: a bad in point is a readable 422 beside the cut, never a stack trace; a good one is saved
    bad = service.client.post(f"/programmes/{programme}/pieces/{talk}/trim",
                              data={"start": "99", "end": "100", "csrf": csrf})
    assert bad.status_code == 422 and "Traceback" not in bad.text
    assert 'id="error-cut"' in bad.text and "past the end of" in _text(bad.text)
    bad = service.client.post(f"/programmes/{programme}/pieces/{talk}/trim",
                              data={"start": "3", "end": "1", "csrf": csrf}, headers=HX)
    assert bad.status_code == 422 and "must come before the out point" in _text(bad.text)
    assert "error-cut" in bad.headers["hx-trigger-after-settle"]
    good = service.client.post(f"/programmes/{programme}/pieces/{talk}/trim",
                               data={"start": "0:00.5", "end": "3.25", "csrf": csrf}, follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == f"/programmes/{programme}?piece={talk}#trim"
    page = service.client.get(f"/programmes/{programme}?piece={talk}").text
    assert "cut 0:00.5–0:03.2" in _text(page) or "cut 0:00.5–0:03.3" in _text(page)
    assert f'src="/api/submissions/{talk}/media#t=0.5"' in page and "Set in at current time" in page
    text_cut = service.client.get(f"/programmes/{programme}?piece={story}").text
    assert "word number" in text_cut and 'class="wn">0<' in text_cut
    whole = service.client.post(f"/programmes/{programme}/pieces/{talk}/trim", data={"whole": "1", "csrf": csrf},
                                headers=HX)
    assert whole.status_code == 200 and "(whole)" in _text(whole.text)

    # a section heading, then none
    headed = service.client.post(f"/programmes/{programme}/pieces/{story}/heading",
                                 data={"heading": "Stories", "csrf": csrf}, headers=HX)
    assert headed.status_code == 200 and 'class="section-head"' in headed.text and "Stories" in headed.text
    service.client.post(f"/programmes/{programme}/pieces/{story}/heading", data={"heading": " ", "csrf": csrf})
    assert 'class="section-head"' not in service.client.get(f"/programmes/{programme}").text

    # over the target: the total says so in words, in the warning style
    page = service.client.get(f"/programmes/{programme}").text
    assert "over the target" in _text(page) and 'class="total over"' in page

    # remove
    gone = service.client.post(f"/programmes/{programme}/pieces/{photo}/remove", data={"csrf": csrf},
                               follow_redirects=False)
    assert gone.status_code == 303 and _order(service, programme) == [talk, story]
    assert service.client.post(f"/programmes/{programme}/pieces/{photo}/remove", data={"csrf": csrf}).status_code \
        in (404, 422)
    assert service.client.post(f"/programmes/{programme}/pieces/{talk}/move",
                               data={"way": "down", "csrf": "forged"}).status_code == 403


def test_suggest_accept_render_and_credits(service: Service, pieces: dict[str, str]) -> None:
    csrf = sign_in(service)
    programme = _create(service, csrf, "Record", "album", "45:00")
    empty = service.client.post(f"/programmes/{programme}/render", data={"csrf": csrf}, headers=HX)
    assert empty.status_code == 422 and "has no pieces to render" in _text(empty.text)
    for sid in (pieces["story.txt"], pieces["speech.wav"]):
        _add(service, csrf, programme, sid)

    page = service.client.get(f"/programmes/{programme}?suggest=1").text
    assert "Suggested order" in page and "follows themself" in page
    order = re.search(r'name="order" value="([^"]+)"><input type="hidden" name="focus" value="running-order"', page)
    if order:  # a different order: accept it
        accepted = service.client.post(f"/programmes/{programme}/order",
                                       data={"order": order.group(1), "focus": "running-order", "csrf": csrf},
                                       headers=HX)
        assert accepted.status_code == 200 and '"focus": "running-order"' in \
            accepted.headers["hx-trigger-after-settle"]
        assert _order(service, programme) == order.group(1).split(",")
    else:
        assert "the suggested one already" in page

    credits = _text(service.client.get(f"/programmes/{programme}").text)
    assert "Shares by tracks" in credits and "100.0%" in credits and "contributor" in credits
    assert f"/api/programmes/{programme}/payouts.csv" in service.client.get(f"/programmes/{programme}").text

    queued = service.client.post(f"/programmes/{programme}/render", data={"csrf": csrf}, headers=HX)
    assert queued.status_code in (200, 409), queued.text
    jobs = service.client.get("/api/jobs", headers=service.h("admin")).json()["items"]
    assert any(j["kind"] == "render" and j["params"].get("programme_id") == programme for j in jobs)
    polled = service.client.get(f"/programmes/{programme}/render", headers=HX)
    assert polled.status_code == 200 and 'id="render-state"' in polled.text
    assert service.client.get(f"/programmes/{programme}/render", follow_redirects=False).status_code == 303
    service.wait_jobs(timeout=120)
    done = service.client.get(f"/programmes/{programme}/render", headers=HX).text
    assert "Last render" in done and f"/api/programmes/{programme}/files/" in done and "LUFS" in done
    assert "hx-trigger" not in done  # finished: no more polling


def test_submitters_and_strangers_are_refused(service: Service) -> None:
    sign_in(service)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', service.client.get("/programmes").text).group(1)  # type: ignore[union-attr]
    programme = _create(service, csrf)
    service.client.cookies.clear()
    assert service.client.get("/programmes", headers={"Accept": "text/html"},
                              follow_redirects=False).status_code == 303  # to sign in
    for path in ("/programmes", f"/programmes/{programme}"):
        refused = service.client.get(path, headers=service.h("submitter"))
        assert refused.status_code in (401, 403)
    from triage.api import session as web
    from triage.service.tokens import sign_in as token_sign_in

    app_state = service.client.app.state.triage  # type: ignore[attr-defined]
    who, epoch = token_sign_in(app_state.store, service.tokens["submitter"])
    assert who is not None
    service.client.cookies.set(web.COOKIE, web.issue(app_state.secret, who.token_id, epoch))
    for path in ("/programmes", f"/programmes/{programme}"):
        assert service.client.get(path, headers={"Accept": "text/html"}).status_code == 403
    refused = service.client.post(f"/programmes/{programme}/render", data={"csrf": "x"})
    assert refused.status_code == 403


def test_an_unknown_programme_is_a_page_that_says_so(service: Service) -> None:
    sign_in(service)
    page = service.client.get("/programmes/no-such", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "no-such" in page.text and "Traceback" not in page.text


def test_a_piece_to_look_at_shows_its_problem_in_words(service: Service, pieces: dict[str, str]) -> None:
    from sqlalchemy import update

    from triage import runtime
    from triage.store.schema import ProgrammeItem

    csrf = sign_in(service)
    programme = _create(service, csrf, "Book", "book", "500")
    _add(service, csrf, programme, pieces["story.txt"])
    store = runtime.open_store(service.settings)
    with store.db.session() as session:  # as if the file had been replaced since it was placed
        session.execute(update(ProgrammeItem).where(ProgrammeItem.programme_id == programme).values(sha256="0" * 64))
    page = service.client.get(f"/programmes/{programme}").text
    piece = page[page.index(f'id="piece-{pieces["story.txt"]}"'):]
    piece = piece[:piece.index("</li>\n</ol>") if "</li>\n</ol>" in piece else len(piece)]
    assert 'class="slot trouble' in page and 'class="problems"' in piece
    assert "its file was replaced since it was placed" in piece
    assert "of 500 words" in _text(page)


def test_names_written_two_ways_are_merged_and_unmerged_from_the_credits(service: Service) -> None:
    csrf = sign_in(service)
    ids = {}
    for name, who in (("speech.wav", "Ann Lee"), ("story.txt", "ann  lee")):
        done = service.upload("curator", MEDIA / "good" / name, title=name, contributor=who)
        ids[name] = str(done.json()["submission"]["submission_id"])
        assert service.wait_ready(ids[name])["status"] == "ready"
    service.wait_jobs()
    programme = _create(service, csrf, name="Book", kind="book", target="800")
    for sid in ids.values():
        _add(service, csrf, programme, sid)
    before = _text(service.client.get(f"/programmes/{programme}").text)
    assert "Merge names that are one person" in before and "ann lee" in before
    blank = service.client.post(f"/programmes/{programme}/credits/merge", headers=HX,
                                data={"names": ["ann  lee"], "person": "  ", "csrf": csrf})
    assert blank.status_code == 422 and 'id="error-credits"' in blank.text
    merged = service.client.post(f"/programmes/{programme}/credits/merge", headers=HX,
                                 data={"names": ["Ann Lee", "ann  lee"], "person": "Ann Lee", "csrf": csrf})
    assert merged.status_code == 200, merged.text
    shown = _text(merged.text)
    assert "“ann lee” is credited as “Ann Lee”" in shown and "100.0%" in shown
    undone = service.client.post(f"/programmes/{programme}/credits/unmerge", data={"names": "ann  lee", "csrf": csrf},
                                 follow_redirects=False)
    assert undone.status_code == 303
    assert "is credited as" not in _text(service.client.get(f"/programmes/{programme}").text)
