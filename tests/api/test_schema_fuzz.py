"""Property-based run of the whole OpenAPI schema (schemathesis): whatever a client sends, no 5xx, and every answer
is one the schema documents: a status code it lists, a content type it names, a body that fits the declared model
(the `*Public` answers, ErrorPublic/InvalidPublic for refusals)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from tests.api.conftest import make_tokens
from tests.conftest import ingested
from triage.api.app import create_app
from triage.config import Settings
from triage.store.schema import Submission

_DIR = Path(tempfile.mkdtemp(prefix="triage-fuzz-"))
_SETTINGS = Settings(data_dir=_DIR / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                     models_dir=_DIR / "models")
# A small pool of real pieces, so that lists, shortlists, searches and the pieces themselves answer with bodies to
# check, not only with 404s.
with ingested(_SETTINGS, "speech.mp4", "speech.mp3", "story.txt", "photo.jpg").db.session() as _session:
    REAL = {"callout_id": ["lawn"], "submission_id": sorted(_session.scalars(select(Submission.id)))}
APP = create_app(_SETTINGS, workers=0)
TOKENS = make_tokens(APP)
OURS = range(1, len(TOKENS) + 1)  # their row ids
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.hook("map_path_parameters")
def _real_ids(context, path_parameters):  # type: ignore[no-untyped-def]
    """About half the generated call-out and submission ids become real ones (which, from the generated value); the
    tokens the run calls with are never revoked (DELETE /api/tokens/1 would turn the rest of the run into 401s)."""
    if not path_parameters:
        return path_parameters
    for name, real in REAL.items():
        made = str(path_parameters.get(name, ""))
        if name in path_parameters and len(made) % 2 == 0:
            path_parameters[name] = real[len(made) // 2 % len(real)]
    if path_parameters.get("token_id") in OURS:
        path_parameters["token_id"] += 1_000
    return path_parameters


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_documented(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call(headers={"Authorization": f"Bearer {TOKENS['admin']}"})
    case.validate_response(response, checks=CHECKS)


@schema.include(method="GET").parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_submitter_sees_documented_answers(case) -> None:  # type: ignore[no-untyped-def]
    # A submitter gets other shapes (an open call-out without counts, no decisions) or 403s: documented too.
    response = case.call(headers={"Authorization": f"Bearer {TOKENS['submitter']}"})
    case.validate_response(response, checks=CHECKS)
