from __future__ import annotations

from pathlib import Path

import pytest

from triage.domain import MediaLimits

MEDIA = Path(__file__).resolve().parent.parent / "data" / "media"
GOOD = MEDIA / "good"
BAD = MEDIA / "bad"


@pytest.fixture
def limits() -> MediaLimits:
    return MediaLimits()
