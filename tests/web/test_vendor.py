"""The front-end files the pages load (and the test-only axe-core) are the very files their manifests name."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = [ROOT / "triage/api/static/vendor/vendor.json", ROOT / "tests/web/vendor/vendor.json"]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_vendored_file_matches_its_checksum_and_nothing_else_is_there(manifest: Path) -> None:
    listed = json.loads(manifest.read_text())["files"]
    for entry in listed:
        body = (manifest.parent / entry["file"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"], entry["file"]
        assert entry["version"] in entry["file"] and entry["license"]
    present = {p.name for p in manifest.parent.iterdir()} - {manifest.name}
    assert present == {e["file"] for e in listed}


def test_pages_load_only_their_own_files() -> None:
    templates = (ROOT / "triage/api/templates").glob("*.html")
    sources = [src for t in templates for src in re.findall(r'(?:src|href)="([^"{]+)"', t.read_text())]
    elsewhere = [s for s in sources if not s.startswith(("/", "#", "?"))]  # no other host, no CDN
    assert sources and elsewhere == []
    vendored = {e["file"] for e in json.loads(MANIFESTS[0].read_text())["files"]}
    base = (ROOT / "triage/api/templates/base.html").read_text()
    assert {f for f in vendored if f"/static/vendor/{f}" in base} == vendored  # each vendored file is used
