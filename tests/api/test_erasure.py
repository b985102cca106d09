"""`POST /api/erasures` (admins): a submitter's upload erased with everything about it, a tombstone left, the
report typed in the OpenAPI document; again changes nothing."""

from __future__ import annotations

from tests.api.conftest import Service
from tests.conftest import MEDIA


def test_an_admin_erases_an_upload_and_a_tombstone_stays(service: Service, ready_video: str) -> None:
    sid, curator = ready_video, service.h("curator")
    assert service.client.post(f"/api/submissions/{sid}/notes", headers=curator,
                               json={"text": "the dog enters", "at": 0.5}).status_code in (200, 201)
    assert service.client.post(f"/api/submissions/{sid}/decisions", headers=curator,
                               json={"decision": "starred", "note": "keep it"}).status_code in (200, 201)
    other = service.upload("submitter2", MEDIA / "good" / "story.txt", title="Sue's story")
    kept = other.json()["submission"]["submission_id"]
    assert service.wait_ready(kept)["status"] == "ready"

    body = {"submission_ids": [sid]}
    assert service.client.post("/api/erasures", headers=curator, json=body).status_code == 403
    reply = service.client.post("/api/erasures", headers=service.h("admin"), json=body)
    assert reply.status_code == 200, reply.text
    report = reply.json()
    assert report["erased"] == [sid] and report["callouts"] == ["lawn"] and report["decisions_kept"] == 1
    removed = report["removed"]
    assert removed["originals"] == 1 and removed["derived_files"] > 1 and removed["notes"] == 1
    assert removed["transcripts"] == 1 and removed["vectors"] > 0 and removed["jobs"] == 2  # upload + lineage jobs

    shown = service.client.get(f"/api/submissions/{sid}", headers=curator).json()
    assert shown["status"] == "erased" and shown["title"] is None and shown["sha256"] is None
    assert service.client.get(f"/api/submissions/{sid}/media", headers=curator).status_code == 404
    assert service.client.get(f"/api/submissions/{sid}/notes", headers=curator).json()["items"] == []
    listed = service.client.get("/api/callouts/lawn/shortlist", headers=curator).json()
    assert [i["submission_id"] for i in listed["items"]] == [kept]
    assert service.client.get(f"/api/submissions/{kept}/media", headers=curator).status_code == 200

    again = service.client.post("/api/erasures", headers=service.h("admin"), json=body).json()
    assert again["erased"] == [] and again["already_erased"] == [sid] and not any(again["removed"].values())
    assert service.client.post("/api/erasures", headers=service.h("admin"), json={}).status_code == 422
    assert service.client.post("/api/erasures", headers=service.h("admin"),
                               json={"submission_ids": ["s_nope"]}).status_code == 404


def test_the_report_is_typed_in_the_openapi_document(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    answer = spec["paths"]["/api/erasures"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/ErasurePublic"}
    fields = spec["components"]["schemas"]["ErasurePublic"]["properties"]
    assert {"erased", "already_erased", "removed", "kept_shared", "decisions_kept"} <= set(fields)
