"""A programme built in a real browser (Debian's chromium via Playwright) against a real `triage serve`, by keyboard
alone: started from the list, its pieces added from the shortlist's cards with `p`, reordered with Alt+arrows, a
piece trimmed, rendered by the server's worker and a file of the render downloaded; the workbench checked by axe-core
and photographed at desktop and phone width (build/screenshots/programme-*.png)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, sync_playwright

from tests.conftest import FAKE_MODELS
from tests.web.browser import PHONE, Server, launch, serious_problems, serve, shoot, sign_in

pytestmark = [pytest.mark.slow]
FILES = ("speech.mp4", "story.txt", "photo.jpg")
WIDE = ViewportSize(width=1280, height=800)
NARROW = ViewportSize(width=PHONE["width"], height=PHONE["height"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("programme")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    # a small frame keeps the rough cut's render to seconds on a shared machine
    env.update(FAKE_MODELS, TRIAGE_DATA_DIR=str(folder / "data"), TRIAGE_MODELS_DIR=str(folder / "models"),
               HF_HUB_OFFLINE="1", TRIAGE_RENDER_WIDTH="320", TRIAGE_RENDER_HEIGHT="180", TRIAGE_RENDER_FPS="12")
    with serve(env, folder, FILES) as running:
        yield running


def _listen(page: Page) -> list[str]:
    said: list[str] = []
    page.on("console", lambda m: said.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: said.append(f"pageerror: {e}"))
    return said


def _tab_to(page: Page, selector: str, most: int = 150) -> None:
    """Press Tab until the focus is on (or inside) what `selector` names."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!(document.activeElement && document.activeElement.closest(s))", selector):
            return
    raise AssertionError(f"{selector} never got the focus by Tab")


def _focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement ? document.activeElement.id : ''"))


def _order(page: Page) -> list[str]:
    return [str(li.get_attribute("data-sid")) for li in page.locator("#running-order li.slot").all()]


def _both_widths(page: Page, name: str) -> None:
    assert serious_problems(page) == [], name
    shoot(page, f"{name}-desktop")
    page.set_viewport_size(NARROW)
    time.sleep(0.2)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{name}: too wide"
    assert serious_problems(page) == [], f"{name} on a phone"
    shoot(page, f"{name}-phone")
    page.set_viewport_size(WIDE)


def test_a_programme_built_by_keyboard_alone_from_the_shortlist(server: Server, tmp_path: Path) -> None:
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=WIDE, accept_downloads=True)
        page = context.new_page()
        said = _listen(page)
        page.set_default_timeout(20_000)

        # start a programme from the list
        sign_in(page, server, "/programmes")
        _tab_to(page, "#new-name")
        page.keyboard.type("Episode 1")
        page.keyboard.press("Tab")  # kind: an episode is the first choice
        page.keyboard.press("Tab")  # call-out
        page.keyboard.type("Front")
        page.keyboard.press("Tab")
        page.keyboard.type("0:40")
        page.keyboard.press("Enter")
        page.wait_for_url(server.url + "/programmes/episode-1")
        assert "No pieces yet" in page.inner_text(".empty")

        # add every card of the shortlist with `p`: the card says so, and so does the live region
        page.goto(server.url + "/callouts/lawn")
        page.wait_for_load_state("networkidle")
        cards = [str(c.get_attribute("data-sid")) for c in page.locator("#cards article.card.result").all()]
        assert len(cards) == 3
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the skip link: the first card has the focus
        for i, sid in enumerate(cards):
            if i:
                page.keyboard.press("j")
            assert _focused(page) == f"card-{sid}"
            page.keyboard.press("p")
            page.wait_for_selector(f"#added-{sid}:has-text('Added to Episode 1 as piece {i + 1}')")
        page.wait_for_function("() => document.getElementById('announce').textContent.includes('Added to Episode 1')")
        shoot(page, "programme-cards-desktop")

        # the workbench: three pieces, in the order they were added
        page.goto(server.url + "/programmes/episode-1")
        page.wait_for_load_state("networkidle")
        assert _order(page) == cards
        _both_widths(page, "programme-workbench")

        # reorder by keyboard: into the second piece, Alt+Up makes it first; Alt+Down from the piece puts it back
        _tab_to(page, f"#piece-{cards[1]}")
        page.keyboard.press("Alt+ArrowUp")
        page.wait_for_function("s => document.querySelector('#running-order li.slot').dataset.sid === s", arg=cards[1])
        time.sleep(0.2)
        assert _order(page) == [cards[1], cards[0], cards[2]] and _focused(page) == f"piece-{cards[1]}"
        page.wait_for_function("() => document.getElementById('announce').textContent.includes('Moved to place 1')")
        page.keyboard.press("Alt+ArrowDown")
        page.wait_for_function("s => document.querySelector('#running-order li.slot').dataset.sid !== s",
                               arg=cards[1])
        time.sleep(0.2)
        assert _order(page) == cards
        # and by drag: the last piece dropped on the top half of the first
        page.locator(f"#piece-{cards[2]} .pos").drag_to(page.locator(f"#piece-{cards[0]}"),
                                                        target_position={"x": 40, "y": 4})
        page.wait_for_function("s => document.querySelector('#running-order li.slot').dataset.sid === s", arg=cards[2])
        page.wait_for_function("() => document.getElementById('announce').textContent.includes('order is saved')")
        page.reload()
        assert _order(page) == [cards[2], cards[0], cards[1]]  # saved, not only moved on the page

        # a suggested order, with how often a contributor follows themself; accepted by keyboard
        _tab_to(page, "#suggest-button")
        page.keyboard.press("Enter")
        page.wait_for_selector("#suggestion ol.suggested")
        time.sleep(0.2)
        assert _focused(page) == "suggest-title" and "follows themself" in page.inner_text("#suggestion")
        shoot(page, "programme-suggest-desktop")
        if page.locator("#accept-order").count():
            suggested = page.locator("#suggestion ol.suggested li").all_inner_texts()
            _tab_to(page, "#accept-order")
            page.keyboard.press("Enter")
            page.wait_for_function("() => !document.querySelector('#suggestion ol.suggested')")
            titles = page.locator("#running-order li.slot h3 a").all_inner_texts()
            assert titles == suggested

        # trim the video: its Trim link, then the in and out points typed, Enter saves the cut
        video = page.locator("#running-order li.slot", has=page.locator(".type", has_text="video")).first
        vid = str(video.get_attribute("data-sid"))
        _tab_to(page, f"#piece-{vid} .trim-link")
        page.keyboard.press("Enter")
        page.wait_for_selector("#trim video.cut-player")
        time.sleep(0.2)
        assert _focused(page) == "cut-title"
        _tab_to(page, "#cut-in")
        page.keyboard.press("Control+a")
        page.keyboard.type("0.5")
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('set-point')"):
            page.keyboard.press("Tab")
        page.keyboard.press("Control+a")
        page.keyboard.type("3.5")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#piece-{vid} .meta:has-text('cut 0:00.5–0:03.5')")
        # a bad out point: refused in words beside the cut, the focus on the reason
        _tab_to(page, "#cut-out")
        page.keyboard.press("Control+a")
        page.keyboard.type("99")
        page.keyboard.press("Enter")
        page.wait_for_selector("#error-cut:has-text('past the end')")
        time.sleep(0.2)
        assert _focused(page) == "error-cut"
        # the player's time as the out point (`o`), where the player stands
        page.evaluate("() => { const p = document.querySelector('#trim .cut-player'); p.currentTime = 2; }")
        page.wait_for_function("() => document.querySelector('#trim .cut-player').currentTime >= 1.9")
        page.locator("#cut-title").focus()
        page.keyboard.press("o")
        assert page.input_value("#cut-out") == "2.00"
        page.keyboard.press("Tab")  # into the page again, not a field: `i` takes the player's time as the in point
        _both_widths(page, "programme-trim")

        # render: the button, the progress, then the files; one downloaded by keyboard
        page.goto(server.url + "/programmes/episode-1")
        page.wait_for_load_state("networkidle")
        _tab_to(page, "#render-button")
        page.keyboard.press("Enter")
        page.wait_for_selector("#render-state:has-text('Last render')", timeout=60_000)
        files = page.locator("#render-state .files a").all_inner_texts()
        assert any(f.endswith(".mp4") for f in files) and "payouts.csv" in files, files
        assert "LUFS" in page.inner_text("#render-state")
        _tab_to(page, "#render-state .files a[href$='.mp4']")
        with page.expect_download() as arrived:
            page.keyboard.press("Enter")
        saved = tmp_path / arrived.value.suggested_filename
        arrived.value.save_as(saved)
        assert saved.stat().st_size > 1000
        assert re.search(r"\d+\.\d%", page.inner_text("#credits"))
        _both_widths(page, "programme-rendered")

        page.goto(server.url + "/programmes")
        page.wait_for_load_state("networkidle")
        assert "Episode 1" in page.inner_text("main")
        _both_widths(page, "programme-list")
        # the one refusal asked for (the bad out point) is the browser's only complaint
        assert [s for s in said if "status of 422" not in s] == [] and len(said) <= 1, said
        browser.close()
