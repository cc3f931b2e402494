# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""Photos of a case's 上报, sent by its reporter right after the case (s49), over HTTP.

A grid worker's 上报事件 is JSON (``POST /api/cases``); its 现场照片 follow it
(``POST /api/cases/{id}/report-photos``) and are kept with the case's ``register`` event,
re-encoded without EXIF, read by whoever reads the case, audited as ``case.report_photos``.
Only the one who registered the case may send them (another of the same township is refused,
audited), up to six to the report in all; a photo refused keeps the case as it was.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from tests.conftest import SuiteDatabase
from tests.test_case_photos import _jpeg_with_gps, _png, readers  # noqa: F401
from tests.test_dispatch_recall import V1, Headers, desk  # noqa: F401
from tests.workflow_data import village_centre


def _reported(client: TestClient, worker: dict[str, str], title: str) -> dict[str, Any]:
    """A case the worker reports from his phone (上报事件: channel 网格员上报)."""
    lon, lat = village_centre(V1)
    body = {
        "channel": "grid_worker",
        "category": "safety_hazard",
        "title": title,
        "lon": lon,
        "lat": lat,
    }
    made = client.post("/api/cases", json=body, headers=worker)
    assert made.status_code == 201, made.text
    case: dict[str, Any] = made.json()
    return case


def _send(
    client: TestClient,
    headers: dict[str, str],
    case_id: int,
    photos: list[tuple[str, bytes, str]],
) -> Any:
    return client.post(
        f"/api/cases/{case_id}/report-photos",
        files=[("photos", photo) for photo in photos],
        headers=headers,
    )


def _audited(database: SuiteDatabase, case_id: int) -> list[tuple[str, str, Any]]:
    with database.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT outcome, actor_name, detail FROM audit_log"
                " WHERE action = 'case.report_photos' AND object_id = :c ORDER BY id"
            ),
            {"c": str(case_id)},
        ).all()
    return [(r.outcome, r.actor_name, r.detail) for r in rows]


def test_the_reporter_sends_the_photos_of_his_report_kept_with_its_register_event(
    api_client: TestClient,
    desk: tuple[Headers, int],
    readers: Headers,
    database: SuiteDatabase,
) -> None:
    users, _ = desk
    worker = users("worker")
    case = _reported(api_client, worker, "上报照片：路边电线杆倾斜")
    sent = _send(
        api_client,
        worker,
        case["id"],
        [("电线杆.jpg", _jpeg_with_gps(), "image/jpeg"), ("警示.png", _png(), "image/png")],
    )
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"case_id": case["id"], "photos": 2}

    events = api_client.get(f"/api/cases/{case['id']}/events", headers=worker).json()
    register = next(e for e in events if e["action"] == "register")
    for reader in (worker, users("town"), users("county")):
        photos = api_client.get(f"/api/cases/{case['id']}/photos", headers=reader).json()
        assert [(p["event_id"], p["width"], p["height"]) for p in photos] == [
            (register["id"], 1600, 1067),
            (register["id"], 800, 600),
        ]
    stored = api_client.get(f"/api/cases/{case['id']}/photos/{photos[0]['id']}", headers=worker)
    assert stored.headers["content-type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(stored.content)).getexif()) == {}
    assert b"TestPhone" not in stored.content
    # another township's reader does not see the case, nor its photos; the analyst none
    elsewhere = api_client.get(f"/api/cases/{case['id']}/photos", headers=readers("elsewhere"))
    assert elsewhere.status_code == 404
    assert (
        api_client.get(f"/api/cases/{case['id']}/photos", headers=readers("analyst")).status_code
        == 403
    )

    # audited as the report's photos, how many, by whom
    audited = _audited(database, case["id"])
    assert [(outcome, detail["photos"]) for outcome, _, detail in audited] == [("ok", 2)]
    assert "recall_worker" in audited[0][1]


def test_only_the_reporter_may_send_them_six_in_all_and_a_refusal_keeps_the_case(
    api_client: TestClient,
    desk: tuple[Headers, int],
    readers: Headers,
    database: SuiteDatabase,
) -> None:
    users, _ = desk
    worker, town = users("worker"), users("town")
    case = _reported(api_client, worker, "上报照片：河道护栏缺失")
    case_id = case["id"]
    one = [("a.png", _png((40, 30)), "image/png")]

    # the township reads the case but did not report it; another township does not read it
    refused = _send(api_client, town, case_id, one)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "只有上报人可以为本次上报附照片"
    assert _send(api_client, readers("elsewhere"), case_id, one).status_code == 404
    assert _send(api_client, readers("analyst"), case_id, one).status_code == 403
    # each refusal audited (not in scope: as any case write refused so)
    assert [outcome for outcome, _, _ in _audited(database, case_id)] == [
        "denied",
        "failed",
        "denied",
    ]

    # a file that is not a photo, by name; the case and its text as registered
    fake = one + [("fake.jpg", b"not a photo", "image/jpeg")]
    answer = _send(api_client, worker, case_id, fake)
    assert answer.status_code == 422
    assert answer.json()["detail"] == "照片 fake.jpg：格式不支持：只能上传 JPEG 或 PNG 图片"
    after = api_client.get(f"/api/cases/{case_id}", headers=worker).json()
    assert (after["title"], after["state"], after["version"]) == (
        "上报照片：河道护栏缺失",
        case["state"],
        case["version"],
    )
    assert api_client.get(f"/api/cases/{case_id}/photos", headers=worker).json() == []

    # sent again: four, then two more (six in all), a seventh refused
    four = [(f"{n}.png", _png((40, 30)), "image/png") for n in range(4)]
    assert _send(api_client, worker, case_id, four).json()["photos"] == 4
    assert _send(api_client, worker, case_id, four[:2]).json()["photos"] == 2
    seventh = _send(api_client, worker, case_id, one)
    assert seventh.status_code == 422 and seventh.json()["detail"] == "最多 6 张照片"
    assert len(api_client.get(f"/api/cases/{case_id}/photos", headers=worker).json()) == 6

    # a desk's own registration takes its photos as a worker's does
    desk_case = _reported(api_client, town, "上报照片：窨井盖破损")
    assert _send(api_client, town, desk_case["id"], one).status_code == 200
    assert _send(api_client, worker, desk_case["id"], one).status_code == 403
