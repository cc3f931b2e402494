# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""Photos as on-site evidence of 处置反馈 and 办结, over HTTP (usability trial AO M8).

The grid worker sends up to six photos with his 处置反馈 or 办结
(``POST /api/cases/{id}/actions/{action}/with-photos``): each is stored re-encoded as a JPEG of
at most 1600 px, without the EXIF (GPS position, phone make) of the file sent, with a thumbnail,
linked to the action's event. Whoever may read the case reads them; a reader of another unit
gets 404, the analyst 403. A photo too large, not a JPEG or PNG, or a seventh is refused in
Chinese and the action is not done.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from tests.api_fixtures import act, bearer_of
from tests.conftest import SuiteDatabase
from tests.test_dispatch_recall import Headers, _dispatched, _register, desk  # noqa: F401
from tests.workflow_data import add_user, village

GPS = 0x8825


def _jpeg_with_gps(size: tuple[int, int] = (3000, 2000)) -> bytes:
    """A phone's photo: a JPEG whose EXIF says the phone's make and where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"
    exif[GPS] = {1: "N", 2: (24.0, 30.0, 7.56), 3: "E", 4: (103.0, 0.0, 7.56)}
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, "JPEG", exif=exif, quality=95)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS)  # the GPS is there to lose
    return data


def _png(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 30, 30, 128)).save(out, "PNG")
    return out.getvalue()


def _send(
    client: TestClient,
    headers: dict[str, str],
    case_id: int,
    action: str,
    photos: list[tuple[str, bytes, str]],
    *,
    note: str | None = None,
    params: str = "{}",
) -> Any:
    """POST the action with its photos as the phone's form does (multipart)."""
    version = client.get(f"/api/cases/{case_id}", headers=headers).json()["version"]
    return client.post(
        f"/api/cases/{case_id}/actions/{action}/with-photos",
        data={"version": str(version), "note": note or "", "params": params},
        files=[("photos", photo) for photo in photos],
        headers=headers,
    )


@pytest.fixture(scope="module")
def readers(
    database: SuiteDatabase, api_settings: ApiSettings, desk: tuple[Headers, int]
) -> Iterator[Headers]:
    """A commander of another township's village and an analyst of the county."""
    with Session(database.owner) as owner, owner.begin():
        ids = {
            "elsewhere": add_user(
                owner, username="photo_elsewhere", role="commander", scope_code=village(100, 1)
            ),
            "analyst": add_user(
                owner, username="photo_analyst", role="analyst", scope_code="520424000000"
            ),
        }
    yield bearer_of(api_settings, ids)
    # the desk's own teardown purges the test world's users


def _accepted(client: TestClient, users: Headers, worker_id: int, title: str) -> int:
    case_id = _dispatched(client, users, worker_id, title)
    assert act(client, users("worker"), case_id, "accept").status_code == 200
    return case_id


def test_feedback_photos_are_stored_re_encoded_without_exif_and_read_in_scope(
    api_client: TestClient,
    desk: tuple[Headers, int],
    readers: Headers,
    database: SuiteDatabase,
) -> None:
    users, worker_id = desk
    worker = users("worker")
    case_id = _accepted(api_client, users, worker_id, "现场照片：小区围墙裂缝")
    sent = _send(
        api_client,
        worker,
        case_id,
        "feedback",
        [("before.jpg", _jpeg_with_gps(), "image/jpeg"), ("agreement.png", _png(), "image/png")],
        note="已到现场查看，围墙已设警示",
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["photos"] == 2
    events = api_client.get(f"/api/cases/{case_id}/events", headers=worker).json()
    feedback = [e for e in events if e["action"] == "feedback"]
    assert len(feedback) == 1 and feedback[0]["note"] == "已到现场查看，围墙已设警示"

    listed = api_client.get(f"/api/cases/{case_id}/photos", headers=worker)
    assert listed.status_code == 200, listed.text
    photos = listed.json()
    assert [p["event_id"] for p in photos] == [feedback[0]["id"]] * 2
    assert [(p["width"], p["height"]) for p in photos] == [(1600, 1067), (800, 600)]

    # the stored photo: a JPEG at most 1600 px without any EXIF (no GPS, no make)
    first = api_client.get(f"/api/cases/{case_id}/photos/{photos[0]['id']}", headers=worker)
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/jpeg"
    stored = Image.open(io.BytesIO(first.content))
    assert stored.format == "JPEG" and stored.size == (1600, 1067)
    assert dict(stored.getexif()) == {} and b"Exif" not in first.content
    assert b"TestPhone" not in first.content
    thumb = api_client.get(
        f"/api/cases/{case_id}/photos/{photos[0]['id']}?thumbnail=true", headers=worker
    )
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 240
    # the PNG is a JPEG now, its transparency on white
    second = api_client.get(f"/api/cases/{case_id}/photos/{photos[1]['id']}", headers=worker)
    assert Image.open(io.BytesIO(second.content)).format == "JPEG"

    # the township and the county read them as they read the case
    for reader in ("town", "county"):
        seen = api_client.get(f"/api/cases/{case_id}/photos", headers=users(reader))
        assert [p["id"] for p in seen.json()] == [p["id"] for p in photos]
        one = api_client.get(
            f"/api/cases/{case_id}/photos/{photos[1]['id']}", headers=users(reader)
        )
        assert one.status_code == 200 and one.content == second.content
    # another township's village does not, nor the analyst
    elsewhere = readers("elsewhere")
    assert api_client.get(f"/api/cases/{case_id}", headers=elsewhere).status_code == 404
    assert api_client.get(f"/api/cases/{case_id}/photos", headers=elsewhere).status_code == 404
    hidden = api_client.get(f"/api/cases/{case_id}/photos/{photos[0]['id']}", headers=elsewhere)
    assert hidden.status_code == 404
    analyst = readers("analyst")
    assert api_client.get(f"/api/cases/{case_id}/photos", headers=analyst).status_code == 403
    # a photo is read through its own case only
    other = _register(api_client, users("town"), "现场照片：另一案件")["id"]
    wrong = api_client.get(f"/api/cases/{other}/photos/{photos[0]['id']}", headers=users("town"))
    assert wrong.status_code == 404

    # row-level security keeps the photos in the case's unit, as its events
    with database.owner.connect() as conn:
        rows = conn.execute(
            text("SELECT DISTINCT area_code FROM case_photos WHERE case_id = :c"), {"c": case_id}
        ).scalars()
        assert list(rows) == [village(200, 1)]
    # the worker free for the next test (one task at a time)
    assert act(api_client, worker, case_id, "return", note="测试结束，退回").status_code == 200


def test_resolve_with_photos_and_the_refusals_leave_the_case_as_it_was(
    api_client: TestClient, desk: tuple[Headers, int]
) -> None:
    users, worker_id = desk
    worker = users("worker")
    case_id = _accepted(api_client, users, worker_id, "现场照片：楼道堆物")
    resolve = {"note": "已清理楼道堆物", "params": '{"outcome": "mediated"}'}

    def refused(photos: list[tuple[str, bytes, str]]) -> str:
        before = api_client.get(f"/api/cases/{case_id}", headers=worker).json()
        answer = _send(api_client, worker, case_id, "resolve", photos, **resolve)
        assert answer.status_code == 422, answer.text
        after = api_client.get(f"/api/cases/{case_id}", headers=worker).json()
        assert (after["state"], after["version"]) == (before["state"], before["version"])
        message: str = answer.json()["detail"]
        return message

    too_large = b"\xff\xd8\xff\xe0" + b"\0" * (8 * 1024 * 1024)
    # each refusal names the file, as the page's own do (trial AP m2)
    assert (
        refused([("big.jpg", too_large, "image/jpeg")]) == "照片 big.jpg：图片过大：每张不超过 8 MB"
    )
    unsupported = "：格式不支持：只能上传 JPEG 或 PNG 图片"
    assert (
        refused([("notes.txt", "现场情况".encode(), "text/plain")])
        == "照片 notes.txt" + unsupported
    )
    # a text renamed .jpg, sent as a JPEG
    fake = [("a.png", _png((40, 30)), "image/png"), ("fake.jpg", b"not a photo", "image/jpeg")]
    assert refused(fake) == "照片 fake.jpg" + unsupported
    gif = io.BytesIO()
    Image.new("RGB", (20, 20)).save(gif, "GIF")
    assert refused([("a.gif", gif.getvalue(), "image/gif")]) == "照片 a.gif" + unsupported
    seven = [(f"{n}.png", _png((40, 30)), "image/png") for n in range(7)]
    assert refused(seven) == "最多 6 张照片"
    assert api_client.get(f"/api/cases/{case_id}/photos", headers=worker).json() == []

    # six are taken with 办结
    six = seven[:6]
    done = _send(api_client, worker, case_id, "resolve", six, **resolve)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "resolved"
    photos = api_client.get(f"/api/cases/{case_id}/photos", headers=worker).json()
    events = api_client.get(f"/api/cases/{case_id}/events", headers=worker).json()
    resolved = next(e["id"] for e in events if e["action"] == "resolve")
    assert [p["event_id"] for p in photos] == [resolved] * 6
    # only 处置反馈 and 办结 take photos
    other = _accepted(api_client, users, worker_id, "现场照片：到场")
    wrong = _send(api_client, worker, other, "arrive", [("a.png", _png(), "image/png")])
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == "只有受理、处置反馈和办结可以附照片"
    assert act(api_client, worker, other, "return", note="测试结束，退回").status_code == 200


def test_the_worker_accepts_with_photos_and_a_refused_one_leaves_the_case_dispatched(
    api_client: TestClient, desk: tuple[Headers, int]
) -> None:
    """Trial AO M8: the 受理 note takes photos too (the scene as the worker found it)."""
    users, worker_id = desk
    worker = users("worker")
    case_id = _dispatched(api_client, users, worker_id, "现场照片：受理时的现场")
    refused = _send(
        api_client,
        worker,
        case_id,
        "accept",
        [("a.png", _png((40, 30)), "image/png"), ("fake.jpg", b"not a photo", "image/jpeg")],
        note="已联系当事人",
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "照片 fake.jpg：格式不支持：只能上传 JPEG 或 PNG 图片"
    assert api_client.get(f"/api/cases/{case_id}", headers=worker).json()["state"] == "dispatched"

    accepted = _send(
        api_client,
        worker,
        case_id,
        "accept",
        [("现场.jpg", _jpeg_with_gps((1200, 900)), "image/jpeg")],
        note="已联系当事人，下午到场",
    )
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["state"], accepted.json()["photos"]) == ("accepted", 1)
    events = api_client.get(f"/api/cases/{case_id}/events", headers=worker).json()
    accept = next(e for e in events if e["action"] == "accept")
    assert accept["note"] == "已联系当事人，下午到场"
    photos = api_client.get(f"/api/cases/{case_id}/photos", headers=users("town")).json()
    assert [(p["event_id"], p["width"], p["height"]) for p in photos] == [(accept["id"], 1200, 900)]
    stored = api_client.get(f"/api/cases/{case_id}/photos/{photos[0]['id']}", headers=worker)
    assert dict(Image.open(io.BytesIO(stored.content)).getexif()) == {}
    assert act(api_client, worker, case_id, "return", note="测试结束，退回").status_code == 200
