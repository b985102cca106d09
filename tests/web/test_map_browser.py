"""The pool map in a real browser (Debian's chromium via Playwright) against a real `triage serve` (issue 24): point
at a dot for its tooltip, click one for its card, box-select three, lasso three, walk the map by keyboard, a finger
that scrolls the page over the map unless "Select by touch" is on, axe-core at desktop and phone width, and a
photograph of each (build/screenshots/map-desktop.png, map-phone.png, map-touch.png)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.web.browser import DESKTOP, PHONE, Server, launch, serious_problems, serve, shoot, sign_in

pytestmark = pytest.mark.slow
# speech.mp3 is a copy of the talk in speech.mp4: a line joins them on the map
FILES = ("speech.mp4", "speech.mp3", "story.txt", "lyrics.md", "latin1.txt", "photo.jpg")


@pytest.fixture
def server(cli_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    with serve(cli_env, tmp_path, FILES) as running:
        yield running


def _api(server: Server, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(server.url + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {server.token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.load(reply)


def _listen(page: Page) -> list[str]:
    said: list[str] = []
    page.on("console", lambda m: said.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: said.append(f"pageerror: {e}"))
    return said


def _drawn(page: Page) -> list[dict[str, Any]]:
    page.wait_for_selector("#map-canvas[data-drawn]", timeout=60_000)
    box = page.locator("#map-canvas").bounding_box()
    assert box
    found = page.evaluate("""() => triageMap.points.map((p, i) => ({sid: p.submission_id,
        name: p.title || p.external_id || p.submission_id, x: triageMap.at(i).x, y: triageMap.at(i).y}))""")
    for p in found:
        p["x"] += box["x"]
        p["y"] += box["y"]
    return list(found)


def _alone(points: list[dict[str, Any]], room: float) -> list[dict[str, Any]]:
    """The dots with no other dot within `room` pixels either way (a small box around one takes it alone)."""
    return [p for p in points if all(abs(p["x"] - q["x"]) > room or abs(p["y"] - q["y"]) > room
                                     for q in points if q is not p)]


def _box(page: Page, p: dict[str, Any], room: float, add: bool) -> None:
    if add:
        page.keyboard.down("Shift")
    page.mouse.move(p["x"] - room, p["y"] - room)
    page.mouse.down()
    page.mouse.move(p["x"], p["y"] + 2, steps=3)
    page.mouse.move(p["x"] + room, p["y"] + room, steps=3)
    page.mouse.up()
    if add:
        page.keyboard.up("Shift")


def _lasso(page: Page, dots: list[dict[str, Any]], room: float) -> None:
    """A freehand loop around each dot, joined by a path walked there and back again: the even-odd rule leaves
    exactly the loops inside, whatever lies between the dots."""
    corners = [(d["x"] - room, d["y"] - room) for d in dots]
    page.mouse.move(*corners[0])
    page.mouse.down()
    for d, start in zip(dots, corners, strict=True):
        page.mouse.move(*start, steps=4)
        for x, y in ((d["x"] + room, d["y"] - room), (d["x"] + room, d["y"] + room), (d["x"] - room, d["y"] + room),
                     start):
            page.mouse.move(x, y, steps=4)
    for start in reversed(corners[:-1]):
        page.mouse.move(*start, steps=4)
    page.mouse.up()


def _listed(page: Page) -> list[str]:
    return sorted(str(li.get_attribute("data-sid")) for li in page.locator("#picked li[data-sid]").all())


def test_the_pool_map_by_pointer_and_by_keyboard(server: Server) -> None:
    ready = _api(server, "GET", "/api/submissions?callout=lawn&status=ready&limit=50")["items"]
    sids = [s["submission_id"] for s in ready]
    _api(server, "POST", f"/api/submissions/{sids[0]}/decisions", {"decision": "starred"})
    _api(server, "POST", f"/api/submissions/{sids[1]}/decisions", {"decision": "rejected"})
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport=DESKTOP)
        said = _listen(page)
        page.set_default_timeout(20_000)
        sign_in(page, server, "/callouts/lawn/map")
        points = _drawn(page)
        assert len(points) >= 5
        assert "pieces in" in page.inner_text("#map-status")
        assert page.locator("#map-clusters li").count() >= 1
        assert page.locator("#map-table tbody tr").count() == len(points)

        # hover: the tooltip names the piece
        first = points[0]
        page.mouse.move(first["x"], first["y"])
        page.wait_for_selector("#map-tip:not([hidden])")
        assert first["name"] in page.inner_text("#map-tip")
        assert "score" in page.inner_text("#map-tip")

        # box selection: three dots, one box each (Shift+drag adds to the selection); the list shows those three
        alone = _alone(points, 9)
        assert len(alone) >= 3, points
        three = alone[:3]
        for i, dot in enumerate(three):
            _box(page, dot, 8, add=i > 0)
        listed = [str(li.get_attribute("data-sid")) for li in page.locator("#picked li[data-sid]").all()]
        assert sorted(listed) == sorted(d["sid"] for d in three)
        assert page.inner_text("#picked-count") == "3"
        for dot in three:
            assert dot["name"] in page.inner_text("#picked")

        # the lasso: a freehand outline around three other dots selects those three, and the list shows them
        page.click("#picked-clear")
        assert page.inner_text("#picked-count") == "0"
        page.click(".map-tools [data-tool=lasso]")
        assert page.get_attribute(".map-tools [data-tool=lasso]", "aria-pressed") == "true"
        lassoed = (alone[3:] + alone)[:3]
        _lasso(page, lassoed, 7)
        assert _listed(page) == sorted(d["sid"] for d in lassoed)
        assert page.inner_text("#picked-count") == "3"
        assert set(page.evaluate("() => triageMap.selected()")) == {d["sid"] for d in lassoed}
        opened = unquote(str(page.get_attribute("#picked-open", "href")).split("ids=")[1]).split(",")
        assert sorted(opened) == sorted(d["sid"] for d in lassoed)  # the workbench link opens those three
        _lasso(page, three, 7)  # a new lasso without Shift replaces the selection: the box's three again
        assert _listed(page) == sorted(d["sid"] for d in three)
        page.click(".map-tools [data-tool=box]")
        page.mouse.move(first["x"], first["y"])
        page.wait_for_selector("#map-tip:not([hidden])")

        # axe-core at both sizes, and a photograph of each
        assert serious_problems(page) == []
        shoot(page, "map-desktop")
        page.set_viewport_size(PHONE)
        time.sleep(0.4)  # the map is laid out again for the narrower frame
        page.wait_for_selector("#map-canvas[data-drawn]")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert serious_problems(page) == []
        shoot(page, "map-phone")
        page.set_viewport_size(DESKTOP)
        time.sleep(0.4)

        # "Open these in the workbench": the shortlist of those three alone, then back to the map (the selection stays)
        page.click("#picked-open")
        page.wait_for_selector(".picked-note")
        cards = {str(c.get_attribute("data-sid")) for c in page.locator("#cards [data-sid]").all()}
        assert {d["sid"] for d in three} <= cards and len(cards) == 3, cards
        page.go_back()
        page.wait_for_selector("#map-canvas[data-drawn]")
        if page.inner_text("#picked-count") != "3":  # a browser may not keep the page's state on the way back
            for i, dot in enumerate(three):
                _box(page, dot, 8, add=i > 0)

        # the selection feeds the workbench's bulk form: one action decides the three, and the map shows it
        page.click("#picked-decide button[value=shortlisted]")
        page.wait_for_url(f"{server.url}/callouts/lawn/map")
        points = _drawn(page)
        marked = page.evaluate(
            "() => triageMap.points.filter(p => p.decision === 'shortlisted').map(p => p.submission_id)")
        assert {d["sid"] for d in three} <= set(marked)
        assert page.inner_text("#picked-count") == "0"

        # the keyboard: the skip link lands on the map; an arrow walks to a piece and announces it; Space selects it,
        # Escape clears the selection; Enter opens the piece's card
        page.locator(".skip").focus()
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "map-canvas"
        heard = "(name) => document.getElementById('announce').textContent.includes(name)"
        page.keyboard.press("ArrowRight")  # the first arrow: the strongest piece
        focused = page.evaluate("() => triageMap.focused()")
        assert focused is not None
        page.wait_for_function(heard, arg=next(d["name"] for d in points if d["sid"] == focused))
        page.keyboard.press("ArrowDown")  # the nearest piece below, or a word that there is none
        moved = page.evaluate("() => triageMap.focused()")
        page.wait_for_function(heard, arg="No piece further" if moved == focused else
                               next(d["name"] for d in points if d["sid"] == moved))
        focused = moved
        page.keyboard.press("Space")
        assert page.inner_text("#picked-count") == "1"
        page.keyboard.press("Escape")
        assert page.inner_text("#picked-count") == "0" and page.locator("#picked li").count() == 0
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.url}/submissions/{focused}")

        # a click opens the card of the dot clicked
        page.go_back()
        points = _drawn(page)
        target = _alone(points, 9)[0]
        page.mouse.click(target["x"], target["y"])
        page.wait_for_url(f"{server.url}/submissions/{target['sid']}")
        assert said == [], said
        _by_touch(browser, server)
        browser.close()


def _by_touch(browser: Any, server: Server) -> None:
    """A phone: a finger swiping over the map scrolls the page; a tap shows a dot's title; with "Select by touch"
    on, the same swipe no longer scrolls (it selects)."""
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = phone.new_page()
    said = _listen(page)
    page.set_default_timeout(20_000)
    sign_in(page, server, "/callouts/lawn/map")
    points = _drawn(page)
    assert page.is_visible("#map-touch") and page.get_attribute("#map-touch", "aria-pressed") == "false"
    assert serious_problems(page) == []
    shoot(page, "map-touch")
    cdp = phone.new_cdp_session(page)

    def swipe() -> float:
        page.evaluate("() => window.scrollTo(0, 0)")
        box = page.locator("#map-canvas").bounding_box()
        assert box and box["y"] + 60 < PHONE["height"]
        x, y = box["x"] + box["width"] / 2, box["y"] + 40
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for k in range(1, 11):  # a finger moving up 250 px, as the browser's own input would
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - 25 * k}]})
            time.sleep(0.02)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        time.sleep(0.3)
        return float(page.evaluate("() => window.scrollY"))

    assert swipe() > 50  # the page scrolled under the finger
    target = _alone(points, 12)[0]
    page.evaluate("() => window.scrollTo(0, 0)")
    page.touchscreen.tap(target["x"], target["y"])
    page.wait_for_selector("#map-tip:not([hidden])")
    assert target["name"] in page.inner_text("#map-tip") and page.url.endswith("/callouts/lawn/map")
    page.tap("#map-touch")
    assert page.get_attribute("#map-touch", "aria-pressed") == "true"
    assert swipe() < 5  # now the finger selects: the page stays put
    assert said == [], said
    phone.close()
