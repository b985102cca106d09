"""Signing out ends the session on the server: a copy of the cookie taken before is refused after it, in every
browser of that token, while other tokens' sessions go on."""

from __future__ import annotations

import time

from tests.api.conftest import Service
from tests.web.test_pages import sign_in
from triage.api import session as web


def signed_in(service: Service, role: str) -> tuple[str, str]:
    """Sign in as a new browser would; returns the session cookie (as someone could copy it) and the CSRF token."""
    service.client.cookies.clear()
    csrf = sign_in(service, role)
    cookie = service.client.cookies.get(web.COOKIE)
    assert cookie
    return cookie, csrf


def works(service: Service, cookie: str) -> bool:
    """Whether a browser that sends only this cookie gets the pages and the API."""
    service.client.cookies.clear()
    sent = {"Cookie": f"{web.COOKIE}={cookie}"}
    page = service.client.get("/", headers={**sent, "Accept": "text/html"}, follow_redirects=False)
    api = service.client.get("/api/callouts", headers=sent)
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code, api.status_code)
    if page.status_code != 200:
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert api.status_code == 401
    return page.status_code == 200


def sign_out(service: Service, cookie: str, csrf: str) -> None:
    service.client.cookies.clear()
    done = service.client.post("/logout", data={"csrf": csrf}, headers={"Cookie": f"{web.COOKIE}={cookie}"},
                               follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"


def test_a_cookie_copied_before_sign_out_is_refused_after_it(service: Service) -> None:
    cookie, csrf = signed_in(service, "curator")
    assert works(service, cookie)
    sign_out(service, cookie, csrf)
    assert not works(service, cookie)
    again, _ = signed_in(service, "curator")  # signing in again at once works
    assert works(service, again) and not works(service, cookie)


def test_sign_out_ends_the_tokens_sessions_in_every_browser_and_no_other_tokens(service: Service) -> None:
    admin, _ = signed_in(service, "admin")
    laptop, _ = signed_in(service, "curator")
    phone, csrf = signed_in(service, "curator")
    sign_out(service, phone, csrf)
    assert not works(service, phone) and not works(service, laptop)  # the same token: said on the button
    assert works(service, admin)  # another token's session goes on
    assert service.client.get("/api/callouts", headers=service.h("curator")).status_code == 200  # and the token


def test_the_sign_out_button_says_it_ends_every_browsers_session(service: Service) -> None:
    signed_in(service, "curator")
    assert "Ends this token's sessions in every browser" in service.client.get("/").text


def test_a_cookie_from_before_sessions_could_end_is_refused(service: Service) -> None:
    # The format without the epoch (token.issued.nonce.mac), correctly signed: such a session cannot be ended, so
    # its holder signs in again.
    secret = service.client.app.state.triage.secret  # type: ignore[attr-defined]
    body = f"2.{int(time.time())}.{'ab' * 16}"  # token 2: the curator
    old = f"{body}.{web._mac(secret, body)}"
    assert web.read(secret, old) is None and not works(service, old)
