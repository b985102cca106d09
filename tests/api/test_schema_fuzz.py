"""Property-based run of the whole OpenAPI schema (schemathesis): whatever a client sends, no 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.conftest import make_tokens
from triage.api.app import create_app
from triage.config import Settings

_DIR = Path(tempfile.mkdtemp(prefix="triage-fuzz-"))
APP = create_app(Settings(data_dir=_DIR / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                          models_dir=_DIR / "models"), workers=0)
TOKENS = make_tokens(APP)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call(headers={"Authorization": f"Bearer {TOKENS['admin']}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
