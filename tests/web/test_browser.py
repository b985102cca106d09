"""A curator's session in a real browser (Debian's chromium via Playwright) against a real `triage serve`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.web.browser import Server, launch, serve

pytestmark = pytest.mark.slow


@pytest.fixture
def server(cli_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    with serve(cli_env, tmp_path, ("speech.mp4", "speech.mov", "speech.mp3", "story.txt", "photo.jpg")) as running:
        yield running


def test_curator_session_in_a_browser(server: Server, tmp_path: Path) -> None:
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)

        # sign in
        page.goto(f"{server.url}/callouts/lawn")
        assert "/login" in page.url
        page.fill("input[name=token]", server.token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/callouts/lawn")

        # the shortlist: ranked cards with a reason each
        cards = page.locator("article.result")
        assert cards.count() >= 3
        assert page.locator("article.result .why").first.inner_text().strip()

        # search by a phrase: results in the same cards
        page.fill("input[name=q]", "quick brown fox near the river")
        page.press("input[name=q]", "Enter")
        page.wait_for_url("**q=quick*")
        assert "Results for" in page.content()
        video_card = page.locator("article.result:has(video)").first
        sid = video_card.get_attribute("data-sid")
        assert sid

        # play from the matched moment: the player seeks (needs HTTP range requests) and plays
        video = video_card.locator("video")
        video.evaluate("v => { v.muted = true; }")
        play = video_card.locator("button.play-from:not(.frame)")
        start = float(play.get_attribute("data-start") or 0)
        play.click()
        time.sleep(1.0)
        position = float(video.evaluate("v => v.currentTime"))
        assert position >= start - 0.3
        seekable = video.evaluate("v => v.seekable.length > 0 && v.seekable.end(0) > 1")
        assert seekable

        # a note on its own, then a decision, both saved in place; a reload keeps them
        video_card.locator("input[name=text]").fill("opening shot")
        video_card.locator("form.note button").click()
        page.wait_for_selector(f"#card-{sid} .notes li:has-text('opening shot')")
        video_card.locator("form.decide button[value=starred]").click()
        page.wait_for_selector(f"#card-{sid} .state[data-decision=starred]")
        page.reload()
        kept = page.locator(f"#card-{sid}")
        assert kept.locator("form.decide button[value=starred]").get_attribute("aria-pressed") == "true"
        assert "opening shot" in kept.locator(".notes").inner_text()

        # mark it as an exemplar of the call-out: the card says so, and so it does after a reload
        kept.locator(".exemplar button").click()
        page.wait_for_selector(f"#card-{sid} .exemplar button[aria-pressed=true]")
        page.reload()
        assert page.locator(f"#card-{sid} .exemplar button").get_attribute("aria-pressed") == "true"

        # the filter bar: only what the curator starred, then "any" again shows everything
        page.goto(f"{server.url}/callouts/lawn")
        everything = page.locator("article.result").count()
        page.select_option("form.filters select[name=decision]", "starred")
        page.click("form.filters button:has-text('Apply')")
        page.wait_for_url("**decision=starred*")
        assert [c.get_attribute("data-sid") for c in page.locator("article.result").all()] == [sid]
        page.select_option("form.filters select[name=decision]", "")
        page.click("form.filters button:has-text('Apply')")
        page.wait_for_load_state()
        assert page.locator("article.result").count() == everything

        # the submission page shows the transcript and the decision history
        page.goto(f"{server.url}/submissions/{sid}")
        assert "Transcript" in page.content() and "opening shot" in page.content()

        # phone-sized screen: cards stack in one column, no sideways scrolling
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{server.url}/callouts/lawn")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{server.url}/callouts/lawn")
        shot = tmp_path / "callout.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        browser.close()
