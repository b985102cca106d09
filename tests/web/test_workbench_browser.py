"""The workbench in a real browser (Debian's chromium via Playwright) against a real `triage serve`: a whole call-out
triaged by keyboard alone, a duplicate ruled on side by side, a search with no close match, two curators voting,
every page checked by axe-core and photographed at desktop and phone width."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.conftest import FAKE_MODELS
from tests.web.browser import DESKTOP, PHONE, Server, active, launch, serious_problems, serve, shoot, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.real_models]
# speech.mp3 and speech.ogg are copies of the talk in speech.mp4: five cards in all
FILES = ("speech.mp4", "speech.mp3", "speech.ogg", "story.txt", "lyrics.md", "latin1.txt", "photo.jpg")
CARDS = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("workbench")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    # The real MiniLM embeds the words (search's "no good match" floor is calibrated for it); speech and pictures
    # come from the fast fakes.
    env.update(FAKE_MODELS, TRIAGE_TEXT_MODEL="all-MiniLM-L6-v2", TRIAGE_DATA_DIR=str(folder / "data"),
               TRIAGE_MODELS_DIR=str(folder / "models"), HF_HUB_OFFLINE="1")
    with serve(env, folder, FILES, people=(("curator", "cora"), ("curator", "ben"), ("admin", "ada"))) as running:
        yield running


def _cards(page: Page) -> list[str]:
    return [str(c.get_attribute("id")) for c in page.locator("#cards article.card.result").all()]


def _decision(page: Page, card: str) -> str:
    return str(page.locator(f"#{card} .state").get_attribute("data-decision"))


def _settled(page: Page, selector: str) -> None:
    try:
        page.wait_for_selector(selector, timeout=20_000)
    except Exception:
        raise AssertionError(f"{selector} never came; the page said: {getattr(page, 'said', [])}") from None
    time.sleep(0.15)  # the focus moves when htmx has settled the swap


def _listen(page: Page) -> Page:
    """Keep what the page's scripts complain of: a test fails on any script error."""
    said: list[str] = []
    page.on("console", lambda m: said.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: said.append(f"pageerror: {e}"))
    page.said = said  # type: ignore[attr-defined]
    return page


def _check(page: Page, name: str) -> None:
    """axe-core finds nothing serious on the page; a photograph of it at desktop and at phone width."""
    assert serious_problems(page) == [], name
    shoot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), name
    assert serious_problems(page) == [], f"{name} on a phone"
    shoot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_a_whole_call_out_triaged_by_keyboard_alone(server: Server) -> None:
    with sync_playwright() as p:
        browser = launch(p)
        page = _listen(browser.new_page(viewport=DESKTOP))
        page.set_default_timeout(20_000)
        sign_in(page, server, "/callouts/lawn")
        cards = _cards(page)
        assert len(cards) == CARDS
        _check(page, "workbench")

        # from the top of the page to the first card: two keys (the issue counted 26 Tab presses to its button)
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.classList.contains('skip')")
        page.keyboard.press("Enter")
        assert active(page) == cards[0]

        # every card: a note, then a decision; the focus moves on to the next undecided card by itself
        keys = ["s", "t", "x", "s", "x"]
        for i, card in enumerate(cards):
            assert active(page) == card, f"card {i} lost the focus"
            page.keyboard.press("n")
            page.keyboard.type(f"note {i}: worth a look")
            page.keyboard.press("Enter")  # saves the note, decides nothing
            _settled(page, f"#{card} .notes li:has-text('note {i}')")
            assert _decision(page, card) == "unrated" and active(page) == card
            page.keyboard.press(keys[i])
            _settled(page, f"#{card} .state:not([data-decision=unrated])")
        assert all(_decision(page, c) != "unrated" for c in cards)
        assert "Every card on this page is decided" in page.inner_text("#announce")
        assert "<strong>5</strong> of 5" in page.inner_html("#progress")

        # undo: the last decision is taken back, the card is undecided again and has the focus
        page.keyboard.press("z")
        _settled(page, f"#{cards[-1]} .state[data-decision=unrated]")
        assert active(page) == cards[-1] and "Undid" in page.inner_text("#announce")
        page.keyboard.press("t")
        _settled(page, f"#{cards[-1]} .state[data-decision=starred]")

        # the curator's own rating, and the keys' help
        page.keyboard.press("4")
        _settled(page, f"#{cards[-1]} .vote button[value='4'][aria-pressed=true]")
        page.keyboard.press("Shift+Slash")
        assert page.locator("#keys").is_visible()
        _check(page, "keys")
        page.keyboard.press("Escape")
        assert not page.locator("#keys").is_visible()

        # the talk (a video with two copies): play from the moment, pause, and a note that records the moment
        talk = next(c for c in cards if page.locator(f"#{c} video").count())
        page.evaluate(f"() => document.getElementById('{talk}').focus()")
        page.locator(f"#{talk} video").evaluate("v => { v.muted = true; }")
        page.keyboard.press("Space")
        time.sleep(1.2)
        page.keyboard.press("Space")
        position = float(page.locator(f"#{talk} video").evaluate("v => v.currentTime"))
        assert position > 0.3 and page.locator(f"#{talk} video").evaluate("v => v.paused")
        page.keyboard.press("n")
        # the moment is shown by the player's "pause" event, dispatched after `paused` turns true: wait for it
        page.locator(f"#{talk} .note .at").wait_for(state="visible", timeout=5000)
        page.keyboard.type("the dog enters")
        page.keyboard.press("Enter")
        _settled(page, f"#{talk} .notes li:has-text('the dog enters') button.at")
        stamp = page.locator(f"#{talk} .notes li:has-text('the dog enters') button.at").get_attribute("data-start")
        assert abs(float(stamp or 0) - position) < 0.3

        # a reload keeps everything
        page.reload()
        page.wait_for_load_state("networkidle")
        assert [_decision(page, c) for c in cards] == ["shortlisted", "starred", "rejected", "shortlisted", "starred"]
        assert all(page.locator(f"#{c} .notes li").count() >= 1 for c in cards)
        assert page.locator(f"#{cards[-1]} .vote button[value='4'][aria-pressed=true]").count() == 1

        # the duplicates, side by side: confirm, undo, then split one copy off
        page.goto(server.url + "/callouts/lawn/duplicates")
        page.wait_for_load_state("networkidle")
        pairs = [str(x.get_attribute("id")) for x in page.locator("article.pair").all()]
        assert len(pairs) == 2
        assert page.locator(f"#{pairs[0]} .side").count() == 2 and "same sound" in page.inner_text(f"#{pairs[0]}")
        _check(page, "duplicates")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        assert active(page) == pairs[0]
        page.keyboard.press("c")
        _settled(page, f"#{pairs[0]} .ruling:has-text('Confirmed copies')")
        assert active(page) == pairs[0]
        page.keyboard.press("z")
        _settled(page, f"#{pairs[0]} .ruling:has-text('Found by fingerprints')")
        assert active(page) == pairs[0]
        page.keyboard.press("j")
        assert active(page) == pairs[1]
        page.keyboard.press("x")
        _settled(page, "section.apart li")
        assert page.locator("article.pair").count() == 1
        page.goto(server.url + "/callouts/lawn")
        page.wait_for_load_state("networkidle")
        assert len(_cards(page)) == CARDS + 1  # the copy ruled apart is a card of its own now

        # a search nothing matches says so, and shows the nearest few under that heading
        page.keyboard.press("/")
        page.keyboard.type("quarterly tax return spreadsheet deadline")
        page.keyboard.press("Enter")
        page.wait_for_url("**q=quarterly*")
        page.wait_for_load_state("networkidle")
        assert "No close match for" in page.inner_text("#results-heading")
        assert 0 < len(_cards(page)) <= 5 and page.locator("#cards .badge.close").count() == 0
        everything = page.locator("a:has-text('show all')").get_attribute("href")
        _check(page, "search-no-close-match")
        page.goto(server.url + str(everything))
        assert "Results for" in page.inner_text("#results-heading") and len(_cards(page)) == CARDS + 1
        page.keyboard.press("Tab")  # back to where the keyboard starts
        page.keyboard.press("/")
        page.keyboard.press("Control+a")
        page.keyboard.type("a neighbour watering a plastic flamingo")
        page.keyboard.press("Enter")
        page.wait_for_url("**q=a+neighbour*")
        page.wait_for_load_state("networkidle")
        assert "Results for" in page.inner_text("#results-heading")
        first = page.locator("#cards article.card.result").first
        assert "flamingo" in first.inner_text() and first.locator("mark").count() >= 2
        assert first.locator(".badge.close").count() == 1  # its words come close to the phrase
        _check(page, "search")

        # one submission, its page checked too
        page.goto(server.url + f"/submissions/{talk.removeprefix('card-')}")
        page.wait_for_load_state("networkidle")
        _check(page, "submission")
        page.goto(server.url + "/")
        _check(page, "callouts")
        page.goto(server.url + "/no/such/page")
        assert "Not found" in page.inner_text("main")
        _check(page, "not-found")
        browser.close()


def test_two_curators_vote_and_the_tally_shows_where_they_disagree(server: Server, tmp_path: Path) -> None:
    with sync_playwright() as p:
        browser = launch(p)
        pages = {}
        for name in ("cora", "ben"):
            pages[name] = browser.new_context(viewport=DESKTOP).new_page()
            sign_in(pages[name], server, "/callouts/lawn?sort=score", server.tokens[name])
        cards = _cards(pages["cora"])
        first, second = cards[0], cards[1]
        for name, ratings in (("cora", {first: "5", second: "4"}), ("ben", {first: "1", second: "4"})):
            page = pages[name]
            for card, rating in ratings.items():
                page.evaluate(f"() => document.getElementById('{card}').focus()")
                page.keyboard.press(rating)
                _settled(page, f"#{card} .vote button[value='{rating}'][aria-pressed=true]")
        request = urllib.request.Request(f"{server.url}/api/callouts/lawn/tally",
                                         headers={"Authorization": f"Bearer {server.tokens['ada']}"})
        with urllib.request.urlopen(request) as reply:
            tally = json.load(reply)
        by_card = {f"card-{i['submission_id']}": i for i in tally["items"]}
        assert by_card[first]["votes"] == {"ben": 1, "cora": 5} and by_card[first]["split"] is True
        assert by_card[first]["mean"] == 3.0
        assert by_card[second]["votes"] == {"ben": 4, "cora": 4} and by_card[second]["split"] is False
        assert tally["split"] == 1 and tally["items"][0]["submission_id"] == first.removeprefix("card-")

        page = pages["cora"]
        page.reload()
        page.wait_for_load_state("networkidle")
        assert "disagree" in page.inner_text(f"#{first} .team") and "from 2" in page.inner_text(f"#{first} .team")
        page.goto(server.url + "/callouts/lawn?split=1")
        assert _cards(page) == [first]
        _check(page, "team-disagrees")
        browser.close()
