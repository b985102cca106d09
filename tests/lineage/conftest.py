"""Fixtures the lineage tests share."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def tmp(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the media one test module makes (module-scoped: its index is built once)."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
