"""Remix lineage where curators work: a submission page's Lineage section in a real browser (a story that quotes a
poem: the quoted passage highlighted on both sides, the credits, the platform-asset button reached and pressed by
keyboard alone, axe-core clean, photographed at desktop and phone width), the card's line, and both players cued
to their matched moments (in-process)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, sync_playwright

from tests.api.conftest import Service
from tests.conftest import FAKE_MODELS, MEDIA
from tests.web.browser import DESKTOP, PHONE, Server, launch, run, serious_problems, serve, shoot, sign_in
from tests.web.test_pages import sign_in as sign_in_here

POEM = ("The river keeps the names of every stone it carried down from the hills, and at night the lanterns on the "
        "harbor wall lean over the water to listen, as the wind turns the paper pages of the garden and the violet "
        "shadows count the boats that never came home before the morning.")
STORY_OWN = ("My grandmother read us a poem every winter, always the same one, and we pretended to be bored. Years "
             "later I found it copied in her hand inside a cookbook:")
STORY = f"{STORY_OWN} \"{' '.join(POEM.split()[4:44])}\" I still cannot read it aloud without stopping twice.\n"
PLAIN = "A short note about the dog next door, who barks at the postman and at nothing else at all.\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    """A served call-out with a poem, a story quoting 40 of its words, and a note that borrows nothing."""
    folder = tmp_path_factory.mktemp("lineage")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update(FAKE_MODELS, TRIAGE_DATA_DIR=str(folder / "data"), TRIAGE_MODELS_DIR=str(folder / "models"),
               HF_HUB_OFFLINE="1")
    texts = folder / "texts"
    texts.mkdir()
    with serve(env, folder, ("photo.jpg",)) as running:
        for name, text, who in (("poem", POEM, "ann"), ("story", STORY, "bob"), ("note", PLAIN, "cy")):
            (texts / f"{name}.txt").write_text(text)
            (texts / f"{name}.jsonl").write_text(json.dumps({"path": f"{name}.txt", "external_id": name,
                                                             "title": name.capitalize(), "contributor": who}) + "\n")
            run(env, "ingest", "--callout", "lawn", "--manifest", str(texts / f"{name}.jsonl"))  # one after another
        _remix(texts / "remix.wav")  # a recording with 3.8 s of another's voice in the middle
        for name, who in (("voice", "dee"), ("remix", "eve")):
            (texts / f"{name}.jsonl").write_text(json.dumps({"path": str(MEDIA / "good" / "speech.wav") if name ==
                                                             "voice" else "remix.wav", "external_id": name,
                                                             "title": name.capitalize(), "contributor": who}) + "\n")
            run(env, "ingest", "--callout", "lawn", "--allow-outside", "--manifest", str(texts / f"{name}.jsonl"))
        remix = json.loads(run(env, "lineage", "remix", "--json"))
        assert [(e["external_id"], e["kind"]) for e in remix["builds_on"]] == [("voice", "audio")], remix
        found = json.loads(run(env, "lineage", "story", "--json"))
        poem = json.loads(run(env, "lineage", "poem", "--json"))
        assert [e["external_id"] for e in found["builds_on"]] == ["poem"], found
        ids = {"story": found["submission"]["submission_id"], "poem": poem["submission"]["submission_id"],
               "remix": remix["submission"]["submission_id"]}
        yield running, ids


def _remix(path: Path) -> None:
    """speech.wav's 0.4-4.2 s between two stretches of quiet pink noise, as one 16 kHz recording."""
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anoisesrc=d=3:c=pink:a=0.05:r=16000", "-ss", "0.4", "-t", "3.8",
         "-i", str(MEDIA / "good" / "speech.wav"), "-f", "lavfi", "-i", "anoisesrc=d=3:c=pink:a=0.05:r=16000:seed=5",
         "-filter_complex", "[1:a]aresample=16000,aformat=channel_layouts=mono[x];[0:a][x][2:a]concat=n=3:v=0:a=1[o]",
         "-map", "[o]", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def _listen(page: Page) -> list[str]:
    said: list[str] = []
    page.on("console", lambda m: said.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: said.append(f"pageerror: {e}"))
    return said


def _tab_to(page: Page, element_id: str, most: int = 120) -> int:
    """Press Tab until `element_id` has the focus; how many presses it took."""
    for n in range(1, most + 1):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return n
    raise AssertionError(f"#{element_id} never got the focus by Tab")


def _shoot_both(page: Page, name: str) -> None:
    assert serious_problems(page) == [], name
    shoot(page, f"{name}-desktop")
    page.set_viewport_size(ViewportSize(width=PHONE["width"], height=PHONE["height"]))
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), name
    assert serious_problems(page) == [], f"{name} on a phone"
    shoot(page, f"{name}-phone")
    page.set_viewport_size(ViewportSize(width=DESKTOP["width"], height=DESKTOP["height"]))


@pytest.mark.slow
def test_the_lineage_section_in_a_browser_and_the_asset_button_by_keyboard(
        server: tuple[Server, dict[str, str]]) -> None:
    running, ids = server
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport=DESKTOP)
        said = _listen(page)
        page.set_default_timeout(20_000)
        sign_in(page, running, f"/submissions/{ids['story']}")
        section = page.locator("#lineage")
        assert section.locator("h3").first.inner_text() == "Builds on 1 piece"
        edge = section.locator("article.edge")
        assert edge.count() == 1 and "by ann" in edge.inner_text() and "words" in edge.inner_text()
        marks = edge.locator("mark").all_inner_texts()  # the quoted passage on both sides, highlighted
        assert len(marks) == 2 and all("lanterns on the harbor wall" in m for m in marks)
        credits = section.locator(".credits li").all_inner_texts()
        assert [c.split()[0] for c in credits] == ["bob", "ann"]
        _shoot_both(page, "lineage-story")

        page.goto(running.url + f"/submissions/{ids['story']}")
        page.wait_for_load_state("networkidle")
        _tab_to(page, "asset-button")  # keyboard alone, from the top of the page
        assert page.locator("#asset-button").inner_text() == "Mark as a platform asset"
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/submissions/.*#lineage$"))
        page.wait_for_load_state("networkidle")
        assert "Marked as a platform asset" in page.locator("#lineage").inner_text()
        assert page.locator("#lineage article.edge").count() == 0
        assert serious_problems(page) == []
        shoot(page, "lineage-asset-desktop")
        _tab_to(page, "asset-button")
        assert page.locator("#asset-button").inner_text() == "Unmark as a platform asset"
        page.keyboard.press("Enter")
        page.wait_for_load_state("networkidle")
        time.sleep(0.2)
        assert page.locator("#lineage article.edge").count() == 1

        page.goto(running.url + f"/submissions/{ids['poem']}")
        page.wait_for_load_state("networkidle")
        assert page.locator("#lineage h3").first.inner_text() == "Used by 1 piece"
        _shoot_both(page, "lineage-poem")

        page.goto(running.url + f"/submissions/{ids['remix']}")  # sound: both players, each at its own moment
        page.wait_for_load_state("networkidle")
        edge = page.locator("#lineage article.edge")
        assert edge.count() == 1 and "by dee" in edge.inner_text() and "sound" in edge.inner_text()
        sources = edge.locator("audio").evaluate_all("ps => ps.map(p => p.getAttribute('src'))")
        assert len(sources) == 2 and all(re.search(r"/media#t=[0-9.]+,[0-9.]+$", src) for src in sources)
        edge.locator("button.play-matched").click()
        time.sleep(1.0)
        times = edge.locator("audio").evaluate_all("ps => ps.map(p => [p.currentTime, p.muted, p.paused])")
        starts = [float(s.split("#t=")[1].split(",")[0]) for s in sources]
        assert [t >= start - 0.3 for (t, _, _), start in zip(times, starts, strict=True)] == [True, True], times
        assert [(m, p) for _, m, p in times] == [(False, False), (True, False)]  # both play, the other side muted
        edge.locator("button.play-matched").click()  # again: both pause
        assert edge.locator("audio").evaluate_all("ps => ps.map(p => p.paused)") == [True, True]
        _shoot_both(page, "lineage-sound")

        page.goto(running.url + "/callouts/lawn?all=1")
        page.wait_for_load_state("networkidle")
        line = page.locator(f"#card-{ids['story']} a.badge.lineage")
        assert line.inner_text() == "builds on 1 piece"
        assert page.locator(f"#card-{ids['poem']} a.badge.lineage").inner_text() == "used by 1 piece"
        assert serious_problems(page) == []
        shoot(page, "lineage-cards-desktop")
        line.click()
        page.wait_for_url(re.compile(r".*#lineage$"))
        assert said == [], said
        browser.close()


def _video(sid: str, title: str) -> Any:
    from triage.service.pieces import PieceFacts

    return PieceFacts(sid, "lawn", title, title, "ann", "video", "ready", 5.0, False, (), (), "")


def test_both_players_are_cued_to_their_matched_moments(service: Service, ready_video: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a browser: each side's player plays its own range (a media fragment, so no script is needed)."""
    from triage.api.routes import pages
    from triage.service.lineage_view import Side

    edge = {"external_id": "other", "contributor": "ann", "kind": "video", "source_range": [2.0, 4.0],
            "range": [1.0, 3.0], "share": 0.4, "evidence": "other's pictures for 0:02-0:04 in this at 0:01-0:03",
            "mine": Side(_video(ready_video, "This"), 1.0, 3.0, None),
            "theirs": Side(_video("s_other", "Other"), 2.0, 4.0, None)}
    found = {"submission": {"submission_id": ready_video, "external_id": "v"}, "builds_on": [edge], "used_by": [],
             "credits": [{"contributor": "bob", "share": 0.6}, {"contributor": "ann", "share": 0.4}],
             "platform_asset": False}
    monkeypatch.setattr(pages, "lineage_page", lambda store, sid: found)
    sign_in_here(service)
    page = service.client.get(f"/submissions/{ready_video}").text
    section = page[page.index('id="lineage"'):]
    assert f'src="/api/submissions/{ready_video}/media#t=1.0,3.0"' in section
    assert 'src="/api/submissions/s_other/media#t=2.0,4.0"' in section
    assert "Play both from the matched moments" in section and "40% of this piece is theirs" in section
    assert re.search(r'bob</span> <span class="share">60(\.0)?%', section)


def test_the_asset_button_is_a_plain_form(service: Service, ready_video: str) -> None:
    """Without scripts: the form posts, the CSRF token is checked, the answer goes back to the Lineage section."""
    csrf = sign_in_here(service)
    page = service.client.get(f"/submissions/{ready_video}").text
    assert 'id="lineage"' in page and "No part of another piece was found" in page and ">Mark as a platform" in page
    url = f"/submissions/{ready_video}/platform-asset"
    assert service.client.post(url, data={"marked": "1", "csrf": "forged"}).status_code == 403
    done = service.client.post(url, data={"marked": "1", "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/submissions/{ready_video}#lineage"
    page = service.client.get(f"/submissions/{ready_video}").text
    assert "Marked as a platform asset" in page and ">Unmark as a platform asset" in page
    service.client.post(url, data={"marked": "0", "csrf": csrf})
    assert ">Mark as a platform asset" in service.client.get(f"/submissions/{ready_video}").text


def test_a_piece_not_ready_has_no_lineage_section(service: Service, ready_video: str) -> None:
    """The graph knows only ready pieces: the page of one whose analysis failed after its bytes were stored (or is
    still running) shows no Lineage section rather than failing."""
    from sqlalchemy import update

    from triage import runtime
    from triage.store.schema import Submission

    store = runtime.open_store(service.settings)
    with store.db.session() as session:
        session.execute(update(Submission).where(Submission.id == ready_video).values(status="failed"))
    store.close()
    sign_in_here(service)
    page = service.client.get(f"/submissions/{ready_video}")
    assert page.status_code == 200 and 'id="lineage"' not in page.text


def test_the_card_line_counts_both_ways() -> None:
    from triage.api.cards import lineage_line
    from triage.service.lineage_counts import Counts

    assert lineage_line(None) == "" and lineage_line(Counts()) == ""
    assert lineage_line(Counts(2, 0)) == "builds on 2 pieces"
    assert lineage_line(Counts(1, 3)) == "builds on 1 piece · used by 3 pieces"
