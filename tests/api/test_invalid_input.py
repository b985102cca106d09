"""Input that is not text (a lone surrogate) is refused with a reason, and a refusal never repeats a large input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Service

SURROGATE = '"a\\ud800"'  # JSON's escape for half of a UTF-16 pair: valid JSON, not valid text


def _json(service: Service, role: str, url: str, body: str) -> Any:
    return service.client.post(url, headers={**service.h(role), "Content-Type": "application/json"}, content=body)


@pytest.mark.parametrize(("body", "where"), [
    ('{"id": "pets", "title": ' + SURROGATE + "}", "title"),
    ('{"id": ' + SURROGATE + ', "title": "Pets"}', "id"),
    ('{"id": "pets", "prompts": ["fine", ' + SURROGATE + "]}", "prompts.1"),  # pydantic lets this one through
    ('{"id": "pets", "title": "Pets", ' + SURROGATE + ": 1}", "a key of the body"),
])
def test_a_lone_surrogate_in_a_json_body_is_a_422_with_a_reason(service: Service, body: str, where: str) -> None:
    done = _json(service, "admin", "/api/callouts", body)
    assert done.status_code == 422, done.text
    assert done.json()["detail"].startswith(f"{where} contains a lone surrogate")
    assert service.client.get("/api/callouts/pets", headers=service.h("admin")).status_code == 404  # not stored


def test_a_lone_surrogate_in_a_json_note_is_a_422_that_names_the_field(service: Service, ready_video: str) -> None:
    done = _json(service, "curator", f"/api/submissions/{ready_video}/notes", '{"text": ' + SURROGATE + "}")
    assert done.status_code == 422, done.text
    assert done.json() == {"error": "BadRequest", "detail": "text contains a lone surrogate (an unpaired "
                           "\\ud800-\\udfff escape), which is not valid Unicode text"}


def test_a_lone_surrogate_in_a_form_field_is_a_422(service: Service) -> None:
    """A multipart form may name its charset; in UTF-7, "+2AA-" spells a lone surrogate."""
    body = b'--b\r\nContent-Disposition: form-data; name="token"\r\n\r\n+2AA-\r\n--b--\r\n'
    done = service.client.post("/login", content=body,
                               headers={"Content-Type": "multipart/form-data; boundary=b; charset=utf-7"})
    assert done.status_code == 422, done.text
    assert "surrogate" in done.text


def test_a_422_does_not_repeat_a_large_input(service: Service) -> None:
    big = "x" * 900_000
    for body in ({"id": 5, "title": big},  # a wrong field beside a big one: the whole body was echoed
                 {"id": "pets", "title": big},  # a big value that is too long itself
                 {"title": "no id", "brief": big}):  # a missing field: the whole body was echoed
        done = service.client.post("/api/callouts", headers=service.h("admin"), json=body)
        assert done.status_code == 422, done.text
        assert len(done.content) < 2_000, done.text[:300]
        assert all(isinstance(p["msg"], str) for p in done.json()["detail"])


def test_a_422_still_shows_a_short_wrong_value(service: Service) -> None:
    done = service.client.post("/api/callouts", headers=service.h("admin"),
                               json={"id": "pets", "title": "Pets", "prompts": "perhaps"})
    assert done.status_code == 422
    problem = json.loads(done.text)["detail"][0]
    assert problem["loc"] == ["body", "prompts"] and problem["input"] == "perhaps"
