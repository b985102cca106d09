"""Lineage over HTTP: uploads are matched by their job, GET .../lineage answers the CLI's contract (typed), and
curators mark platform assets."""

from __future__ import annotations

import random
from pathlib import Path

from tests.api.conftest import Service
from tests.service.test_lineage import _words


def test_an_uploaded_quote_builds_on_its_source(service: Service, tmp_path: Path) -> None:
    rng = random.Random(5)
    poem = _words(rng, 50)
    (tmp_path / "poem.txt").write_text(poem)
    quote = " ".join(poem.split()[5:40])
    (tmp_path / "story.txt").write_text(f"{_words(rng, 60)}. Once, I read this aloud: {quote}. Then I left.")
    ids = {}
    for name, who in (("poem", "ann"), ("story", "bob")):
        sent = service.upload("curator", tmp_path / f"{name}.txt", external_id=name, contributor=who)
        assert sent.status_code == 202, sent.text
        ids[name] = sent.json()["submission"]["submission_id"]
        assert service.wait_ready(ids[name])["status"] == "ready"
    service.wait_jobs()  # each upload's lineage is found by a job of its own, after the upload is ready
    got = service.client.get(f"/api/submissions/{ids['story']}/lineage", headers=service.h("curator"))
    assert got.status_code == 200, got.text
    found = got.json()
    assert found["submission"] == {"submission_id": ids["story"], "external_id": "story"}
    assert [(b["external_id"], b["contributor"], b["kind"]) for b in found["builds_on"]] == [("poem", "ann", "text")]
    assert {c["contributor"] for c in found["credits"]} == {"ann", "bob"}
    assert service.client.get(f"/api/submissions/{ids['story']}/lineage",
                              headers=service.h("submitter")).status_code == 403
    marked = service.client.put("/api/submissions/poem/platform-asset", headers=service.h("curator"))
    assert marked.status_code == 200 and marked.json()["platform_asset"] is True and marked.json()["changed"]
    assert service.client.get("/api/submissions/story/lineage", headers=service.h("curator")).json()["builds_on"] == []
    unmarked = service.client.delete("/api/submissions/poem/platform-asset", headers=service.h("admin"))
    assert unmarked.status_code == 200 and unmarked.json()["platform_asset"] is False
    assert service.client.get("/api/submissions/nope/lineage", headers=service.h("curator")).status_code == 404
