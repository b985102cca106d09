"""The shortlist's decision filter means what a card shows: "unrated" includes pieces nobody has rated yet."""

from __future__ import annotations

from tests.api.conftest import Service
from tests.conftest import MEDIA


def test_unrated_includes_the_never_decided_and_undecided_is_only_those(service: Service) -> None:
    c, h = service.client, service.h("curator")
    ids = []
    for name in ("story.txt", "lyrics.md"):
        done = service.upload("curator", MEDIA / "good" / name)
        assert done.status_code == 202, done.text
        ids.append(done.json()["submission"]["submission_id"])
        assert service.wait_ready(ids[-1])["status"] == "ready"
    rated, fresh = ids

    def listed(decision: str) -> set[str]:
        page = c.get(f"/api/callouts/lawn/shortlist?decision={decision}", headers=h)
        assert page.status_code == 200, page.text
        return {i["submission_id"] for i in page.json()["items"]}

    assert c.post(f"/api/submissions/{rated}/decisions", headers=h, json={"decision": "starred"}).status_code == 201
    assert listed("starred") == {rated}
    assert listed("unrated") == {fresh}  # as the submissions list and the cards count it
    assert listed("undecided") == {fresh}
    assert c.post(f"/api/submissions/{rated}/decisions", headers=h, json={"decision": "unrated"}).status_code == 201
    assert listed("unrated") == {rated, fresh}
    assert listed("undecided") == {fresh}
    assert {i["submission_id"] for i in c.get("/api/submissions?decision=unrated", headers=h).json()["items"]} \
        == {rated, fresh}
    assert c.get("/api/callouts/lawn/shortlist?decision=maybe", headers=h).status_code == 422
