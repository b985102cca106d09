"""The curator pages in-process: sign-in, session cookie, CSRF, cards, decisions that persist."""

from __future__ import annotations

import html
import re

import pytest

from tests.api.conftest import Service
from tests.conftest import MEDIA
from triage.api import workbench


def sign_in(service: Service, role: str = "curator") -> str:
    """Sign in through the form; returns the CSRF token the pages carry."""
    done = service.client.post("/login", data={"token": service.tokens[role], "next": "/"}, follow_redirects=False)
    assert done.status_code == 303
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    page = service.client.get("/").text
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found
    return found.group(1)


def test_anonymous_visitors_are_sent_to_sign_in(service: Service) -> None:
    done = service.client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/login")
    assert "Sign in" in service.client.get("/login").text


def test_bad_and_submitter_tokens_cannot_sign_in(service: Service) -> None:
    assert service.client.post("/login", data={"token": "nope"}).status_code == 401
    assert "Submitter tokens" in service.client.post("/login", data={"token": service.tokens["submitter"]}).text


def test_callout_page_shows_cards_and_decisions_persist(service: Service, ready_video: str) -> None:
    service.upload("curator", MEDIA / "good" / "story.txt", title="A tiny story")
    csrf = sign_in(service)
    home = service.client.get("/").text
    assert "Front Lawn Freaks" in home and "submissions" in home
    page = service.client.get("/callouts/lawn").text
    assert f'id="card-{ready_video}"' in page and "<video" in page and "#t=" in page
    assert "viewport" in page
    url = f"/submissions/{ready_video}/decision"
    refused = service.client.post(url, data={"decision": "starred", "csrf": "forged", "next": "/callouts/lawn"})
    assert refused.status_code == 403
    done = service.client.post(url, data={"decision": "starred", "csrf": csrf, "next": "/callouts/lawn"},
                               follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/callouts/lawn")
    noted = service.client.post(f"/submissions/{ready_video}/notes", data={"text": "keeper", "csrf": csrf,
                                                                          "next": "/callouts/lawn"},
                                follow_redirects=False)
    assert noted.status_code == 303
    again = service.client.get("/callouts/lawn").text
    card = again[again.index(f'id="card-{ready_video}"'):]
    card = card[:card.index("</article>")]
    assert "keeper" in card and 'value="starred" class="d-starred" aria-pressed="true"' in card
    assert card.count('aria-pressed="true"') == 1  # the one decision; no rating yet
    detail = service.client.get(f"/submissions/{ready_video}").text
    assert "Transcript" in detail and "keeper" in detail and "cora" in detail


def test_a_transcript_in_another_language_says_which(service: Service, ready_video: str) -> None:
    from sqlalchemy import select

    from triage.store.schema import Artifact, Submission

    sign_in(service)
    english = service.client.get(f"/submissions/{ready_video}").text
    assert 'class="transcript" lang="en"' in english and "(language:" not in english
    store = service.client.app.state.triage.store  # type: ignore[attr-defined]
    with store.db.session() as session:
        sha = session.get(Submission, ready_video).sha256
        row = session.scalar(select(Artifact).where(Artifact.sha256 == sha, Artifact.kind == "transcript"))
        row.data = {**row.data, "language": "es"}  # as TRIAGE_WHISPER_OTHER_LANGUAGES=base writes Spanish speech
    spanish = service.client.get(f"/submissions/{ready_video}").text
    assert 'class="transcript" lang="es"' in spanish and "(language: es)" in spanish


def test_search_shows_results_in_cards(service: Service, ready_video: str) -> None:
    sign_in(service)
    page = service.client.get("/callouts/lawn", params={"q": "quick brown fox"}).text
    assert "Results for" in page and f'id="card-{ready_video}"' in page


def test_session_cookie_works_for_media_but_api_changes_need_csrf(service: Service, ready_video: str) -> None:
    csrf = sign_in(service)
    assert service.client.get(f"/api/submissions/{ready_video}/media",
                              headers={"Range": "bytes=0-9"}).status_code == 206
    url = f"/api/submissions/{ready_video}/decisions"
    assert service.client.post(url, json={"decision": "rejected"}).status_code == 403
    assert service.client.post(url, json={"decision": "rejected"}, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_a_forged_cookie_or_csrf_token_with_any_characters_is_refused_not_a_crash(service: Service) -> None:
    odd = "\u00e9".encode("latin-1")  # a byte a client may send in a header, not ASCII
    # token.epoch.issued.nonce.mac, well formed up to the MAC: the check reaches the comparison of MACs
    forged = service.client.get("/", headers={"Cookie": b"triage_session=1.0.1." + odd + b".x" + odd,
                                              "Accept": "text/html"}, follow_redirects=False)
    assert forged.status_code == 303 and forged.headers["location"].startswith("/login")
    sign_in(service)
    assert service.client.post("/logout", data={"csrf": "\u00e9t\u00e9"}).status_code == 403
    assert service.client.post("/api/callouts/lawn/rescore", headers={"X-CSRF-Token": odd}).status_code == 403


def test_no_other_site_may_frame_the_pages(service: Service) -> None:
    # A same-site page (another port on this host) gets the session cookie in a frame: it could put the decision
    # buttons under a curator's click.
    login = service.client.get("/login")
    sign_in(service)
    for page in (login, service.client.get("/"), service.client.get("/callouts/lawn"),
                 service.client.get("/submissions/s_nope", headers={"Accept": "text/html"})):
        assert page.headers["x-frame-options"] == "DENY", page.url
        policy = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy


def test_sign_out_ends_the_session(service: Service) -> None:
    csrf = sign_in(service)
    service.client.post("/logout", data={"csrf": csrf})
    assert service.client.get("/", headers={"Accept": "text/html"}, follow_redirects=False).status_code == 303


def test_redirects_never_leave_the_site(service: Service) -> None:
    done = service.client.post("/login", data={"token": service.tokens["curator"], "next": "//evil.example/"},
                               follow_redirects=False)
    assert done.headers["location"] == "/"


def test_a_ruling_on_the_duplicates_page_is_kept_and_queues_a_rescoring(service: Service, ready_video: str) -> None:
    story = service.upload("curator", MEDIA / "good" / "story.txt", title="A tiny story").json()["submission"]
    assert service.wait_ready(story["submission_id"])["status"] == "ready"
    csrf = sign_in(service)
    form = {"a": ready_video, "b": story["submission_id"], "verdict": "merge", "callout": "lawn"}
    assert service.client.post("/duplicates/override", data={**form, "csrf": "forged"}).status_code == 403
    done = service.client.post("/duplicates/override", data={**form, "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/callouts/lawn/duplicates#pair-{ready_video}-{story['submission_id']}"
    page = service.client.get("/callouts/lawn/duplicates").text
    assert "A tiny story" in page  # the two now form a group on the review page
    jobs = service.client.get("/api/jobs", headers=service.h("curator"), params={"callout": "lawn"}).json()["items"]
    assert any(j["kind"] == "rescore" for j in jobs)


def test_a_card_marks_its_piece_as_an_exemplar(service: Service, ready_video: str) -> None:
    csrf = sign_in(service)
    form = {"sid": ready_video, "mark": "1", "next": "/callouts/lawn"}
    assert service.client.post("/callouts/lawn/exemplars", data={**form, "csrf": "forged"}).status_code == 403
    done = service.client.post("/callouts/lawn/exemplars", data={**form, "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/callouts/lawn#card-{ready_video}"
    page = service.client.get("/callouts/lawn").text
    card = page[page.index(f'id="card-{ready_video}"'):]
    card = card[:card.index("</article>")]
    assert 'class="link" aria-pressed="true"' in card and "◆ Exemplar" in card
    callout = service.client.get("/api/callouts/lawn", headers=service.h("curator")).json()
    assert callout["exemplars"] == [ready_video]


def test_unknown_filter_values_on_the_callout_page_are_refused_not_a_crash(service: Service) -> None:
    sign_in(service)
    for query in ({"media_type": "bogus"}, {"decision": "bogus"}, {"cluster": "-1"}):
        assert service.client.get("/callouts/lawn", params=query).status_code == 422, query
    assert service.client.get("/callouts/lawn", params={"media_type": "text", "decision": "unrated"}).status_code == 200
    for t in ("nan", "inf", "-3"):  # the moment a submission page starts at
        assert service.client.get("/submissions/s_0000000000000000", params={"t": t}).status_code == 422, t


def test_a_blank_search_shows_the_shortlist(service: Service, ready_video: str) -> None:
    sign_in(service)
    page = service.client.get("/callouts/lawn", params={"q": "   "}).text
    assert "Results for" not in page and ">Shortlist<" in page and f'id="card-{ready_video}"' in page


def test_sign_in_returns_to_the_page_asked_for_with_its_query(service: Service) -> None:
    asked = "/callouts/lawn?q=fox&cluster=0"
    sent = service.client.get(asked, headers={"Accept": "text/html"}, follow_redirects=False)
    assert sent.status_code == 303
    form = service.client.get(sent.headers["location"]).text
    assert 'name="next" value="/callouts/lawn?q=fox&amp;cluster=0"' in form
    done = service.client.post("/login", data={"token": service.tokens["curator"], "next": asked},
                               follow_redirects=False)
    assert done.headers["location"] == asked


def test_deciding_on_a_result_of_a_long_search_in_any_script_goes_back_to_it(service: Service,
                                                                              ready_video: str) -> None:
    csrf = sign_in(service)
    q = "焦げたチーズと失敗したケーキの話" * 30  # 480 characters: the page takes up to 500
    page = service.client.get("/callouts/lawn", params={"q": q}).text
    here = re.search(r'name="next" value="([^"]+)"', page)
    assert here and len(here.group(1)) > 500  # percent-encoded, each character is 9
    form = {"csrf": csrf, "next": html.unescape(here.group(1))}
    done = service.client.post(f"/submissions/{ready_video}/decision", data={**form, "decision": "starred"},
                               follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{form['next']}#card-{ready_video}"
    marked = service.client.post("/callouts/lawn/exemplars", data={**form, "sid": ready_video, "mark": "1"},
                                 follow_redirects=False)
    assert marked.status_code == 303
    signed_in = service.client.post("/login", data={"token": service.tokens["curator"], "next": form["next"]},
                                    follow_redirects=False)
    assert signed_in.headers["location"] == form["next"]


def _cards(page: str) -> list[str]:
    return re.findall(r'id="card-(s_[0-9a-f]+)"', page)


def test_the_callout_page_goes_page_by_page_over_the_whole_shortlist(service: Service,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbench, "PAGE_SIZE", 2)
    ids = {service.upload("curator", MEDIA / "good" / name).json()["submission"]["submission_id"]
           for name in ("story.txt", "lyrics.md", "latin1.txt")}
    assert all(service.wait_ready(sid)["status"] == "ready" for sid in ids)
    sign_in(service)
    first = service.client.get("/callouts/lawn").text
    assert "1–2 of 3" in first and 'rel="prev"' not in first
    following = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))  # type: ignore[union-attr]
    assert following == "/callouts/lawn?page=2"
    second = service.client.get(following).text
    assert "3–3 of 3" in second and 'rel="next"' not in second
    assert html.unescape(re.search(r'href="([^"]+)" rel="prev"', second).group(1)) == "/callouts/lawn"  # type: ignore[union-attr]
    assert set(_cards(first)) | set(_cards(second)) == ids and len(_cards(first) + _cards(second)) == 3


def test_the_filter_form_narrows_the_shortlist_and_any_means_no_filter(service: Service, ready_video: str) -> None:
    story = service.upload("curator", MEDIA / "good" / "story.txt").json()["submission"]["submission_id"]
    assert service.wait_ready(story)["status"] == "ready"
    csrf = sign_in(service)
    service.client.post(f"/submissions/{story}/decision", data={"decision": "starred", "csrf": csrf, "next": "/"})
    assert set(_cards(service.client.get("/callouts/lawn", params={"media_type": "", "decision": ""}).text)) \
        == {story, ready_video}
    starred = service.client.get("/callouts/lawn", params={"media_type": "", "decision": "starred"}).text
    assert _cards(starred) == [story] and '<option value="starred" selected>' in starred
    assert _cards(service.client.get("/callouts/lawn", params={"decision": "undecided"}).text) == [ready_video]
    assert _cards(service.client.get("/callouts/lawn", params={"media_type": "video"}).text) == [ready_video]
    chips = [html.unescape(h) for h in re.findall(r'class="chip[^"]*" href="([^"]+)"', starred)]
    assert chips[0] == "/callouts/lawn?decision=starred"  # "all" drops only the cluster
    assert chips[1] == "/callouts/lawn?decision=starred&cluster=0"  # a cluster keeps the other filters


def test_a_browser_meets_errors_as_pages_and_api_clients_as_json(service: Service) -> None:
    sign_in(service)
    browser = {"Accept": "text/html,application/xhtml+xml"}
    missing = service.client.get("/submissions/s_0000000000000000", headers=browser)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Not found" in missing.text and "no submission" in missing.text and 'href="/"' in missing.text
    bad = service.client.get("/callouts/lawn", params={"media_type": "bogus"}, headers=browser)
    assert bad.status_code == 422 and "media_type" in bad.text and bad.headers["content-type"].startswith("text/html")
    api = service.client.get("/api/submissions/s_0000000000000000", headers={**browser, **service.h("curator")})
    assert api.status_code == 404 and api.json()["error"] == "NotFound"
    assert service.client.get("/api/callouts/lawn/shortlist", params={"limit": 0},
                              headers=service.h("curator")).json()["detail"][0]["loc"] == ["query", "limit"]
