# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures and test_visit_schedule
"""Photos of a special-population visit (走访), over HTTP (usability trial AO M8).

A grid worker documents his 走访 of a 刑满释放 person with photos
(``POST /api/persons/{id}/visits/with-photos``), each stored re-encoded without the EXIF of the
file sent. A photo refused (图片过大, 格式不支持, a seventh) is named by file and writes no visit.
The photos show the person: the worker who took them reads them; a reader who may read the
person in clear reads them through his unmasked read, each photo opened an audit entry; anyone
else sees only how many a visit has (照片 N 张).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import visit_photos
from layers.accounts import Reader
from layers.database import apply_scope
from layers.errors import Forbidden
from tests.api_fixtures import ApiWorld
from tests.conftest import SuiteDatabase
from tests.test_case_photos import GPS, _jpeg_with_gps, _png
from tests.test_visit_schedule import Followed, followed  # noqa: F401 - fixture

Headers = Callable[[str], dict[str, str]]


def _send(
    client: TestClient,
    headers: dict[str, str],
    person_id: int,
    photos: list[tuple[str, bytes, str]],
    *,
    visited_on: str = "",
    note: str = "",
) -> Any:
    """POST the visit with its photos as the phone's form does (multipart)."""
    return client.post(
        f"/api/persons/{person_id}/visits/with-photos",
        data={"visited_on": visited_on, "note": note},
        files=[("photos", photo) for photo in photos],
        headers=headers,
    )


def _visits(database: SuiteDatabase, person_id: int) -> int:
    with database.owner.connect() as db:
        return int(
            db.scalar(
                text("SELECT count(*) FROM person_visits WHERE person_id = :p"), {"p": person_id}
            )
        )


def _audit(database: SuiteDatabase, action: str, username: str) -> list[Any]:
    with database.owner.connect() as db:
        return list(
            db.execute(
                text(
                    "SELECT id, outcome, object_id, reason, detail FROM audit_log"
                    " WHERE action = :a AND actor_name = :u ORDER BY id"
                ),
                {"a": action, "u": username},
            ).all()
        )


def test_a_visit_is_recorded_with_its_photos_stored_without_exif(
    api_client: TestClient, auth_headers: Headers, followed: Followed, database: SuiteDatabase
) -> None:
    worker = auth_headers("worker_v0")
    day = followed.today - timedelta(days=1)
    sent = _send(
        api_client,
        worker,
        followed.mine,
        [("在家.jpg", _jpeg_with_gps(), "image/jpeg"), ("签字.png", _png(), "image/png")],
        visited_on=day.isoformat(),
        note="在家，情绪稳定",
    )
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert (body["photos"], body["already"], body["visited_on"]) == (2, False, day.isoformat())
    with database.owner.connect() as db:
        rows = db.execute(
            text(
                "SELECT p.visit_id, p.area_code, v.area_code AS visit_area, p.width, p.height,"
                " p.content, p.thumbnail FROM visit_photos p JOIN person_visits v"
                " ON v.id = p.visit_id WHERE p.person_id = :p ORDER BY p.id"
            ),
            {"p": followed.mine},
        ).all()
    assert [(r.visit_id, r.width, r.height) for r in rows] == [
        (body["id"], 1600, 1067),
        (body["id"], 800, 600),
    ]
    assert all(r.area_code == r.visit_area for r in rows)  # in the visit's unit
    for row in rows:
        stored = Image.open(io.BytesIO(bytes(row.content)))
        assert stored.format == "JPEG" and dict(stored.getexif()) == {}
        assert not stored.getexif().get_ifd(GPS)
        assert b"Exif" not in bytes(row.content) and b"TestPhone" not in bytes(row.content)
        assert max(Image.open(io.BytesIO(bytes(row.thumbnail))).size) == 240
    entry = _audit(database, "visit.record", "t46_worker_v0")[-1]
    assert (entry.outcome, entry.object_id) == ("ok", str(followed.mine))
    assert entry.detail == {
        "visit": body["id"],
        "visited_on": day.isoformat(),
        "outcome": "met",  # 见到本人 unless said (trial AW S2)
        "photos": 2,
    }

    # the same day again adds to the visit's photos, up to six in all
    four = [(f"{n}.png", _png((40, 30)), "image/png") for n in range(4)]
    more = _send(api_client, worker, followed.mine, four, visited_on=day.isoformat())
    assert more.status_code == 201, more.text
    assert (more.json()["id"], more.json()["already"], more.json()["photos"]) == (
        body["id"],
        True,
        4,
    )
    seventh = _send(api_client, worker, followed.mine, four[:1], visited_on=day.isoformat())
    assert seventh.status_code == 422 and seventh.json()["detail"] == "最多 6 张照片"

    # the worker reads his own, not audited
    listed = api_client.get(f"/api/persons/{followed.mine}/visit-photos", headers=worker).json()
    assert [(v["id"], v["photos"], v["own"]) for v in listed] == [(body["id"], 6, True)]
    first = listed[0]["photo_ids"][0]
    own = api_client.get(f"/api/persons/{followed.mine}/visit-photos/{first}", headers=worker)
    assert own.status_code == 200 and own.headers["content-type"] == "image/jpeg"
    assert own.headers["cache-control"] == "no-store"
    assert Image.open(io.BytesIO(own.content)).size == (1600, 1067)
    assert _audit(database, "person.visit_photo", "t46_worker_v0") == []


def test_a_refused_photo_is_named_and_writes_no_visit(
    api_client: TestClient, auth_headers: Headers, followed: Followed, database: SuiteDatabase
) -> None:
    worker = auth_headers("worker_v0")

    def refused(photos: list[tuple[str, bytes, str]]) -> str:
        answer = _send(api_client, worker, followed.mine, photos, note="在家")
        assert answer.status_code == 422, answer.text
        assert _visits(database, followed.mine) == 0  # the visit not written
        message: str = answer.json()["detail"]
        return message

    too_large = b"\xff\xd8\xff\xe0" + b"\0" * (8 * 1024 * 1024)
    good = ("a.png", _png((40, 30)), "image/png")
    assert refused([good, ("大图.jpg", too_large, "image/jpeg")]) == (
        "照片 大图.jpg：图片过大：每张不超过 8 MB"
    )
    unsupported = "：格式不支持：只能上传 JPEG 或 PNG 图片"
    assert refused([("记录.txt", "走访".encode(), "text/plain")]) == "照片 记录.txt" + unsupported
    assert refused([good, ("fake.jpg", b"not a photo", "image/jpeg")]) == (
        "照片 fake.jpg" + unsupported
    )
    assert refused([(f"{n}.png", _png((40, 30)), "image/png") for n in range(7)]) == (
        "最多 6 张照片"
    )
    with database.owner.connect() as db:
        assert (
            db.scalar(
                text("SELECT count(*) FROM visit_photos WHERE person_id = :p"), {"p": followed.mine}
            )
            == 0
        )
    # each refusal audited, without the file's name (a phone names a file as it is told)
    failed = [e for e in _audit(database, "visit.record", "t46_worker_v0") if e.outcome != "ok"]
    reasons = [e.reason for e in failed[-4:]]
    assert reasons == [
        "InvalidInput: 图片过大：每张不超过 8 MB",
        "InvalidInput: 格式不支持：只能上传 JPEG 或 PNG 图片",
        "InvalidInput: 格式不支持：只能上传 JPEG 或 PNG 图片",
        "InvalidInput: 最多 6 张照片",
    ]
    # a note with a resident ID is refused as on the plain visit, with no photo kept
    note = _send(api_client, worker, followed.mine, [good], note="身份证 110101199003077777")
    assert note.status_code == 422 and _visits(database, followed.mine) == 0


def test_others_read_a_visit_photo_only_by_an_audited_unmasked_read_or_see_its_count(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    followed: Followed,
    database: SuiteDatabase,
) -> None:
    worker = auth_headers("worker_v0")
    day = followed.today - timedelta(days=2)
    sent = _send(
        api_client,
        worker,
        followed.mine,
        [("a.jpg", _jpeg_with_gps((1200, 900)), "image/jpeg"), ("b.png", _png(), "image/png")],
        visited_on=day.isoformat(),
        note="谈心，无异常",
    )
    assert sent.status_code == 201, sent.text
    visit_id = sent.json()["id"]
    photos = api_client.get(f"/api/persons/{followed.mine}/visit-photos", headers=worker).json()
    photo_ids = photos[0]["photo_ids"]
    path = f"/api/persons/{followed.mine}/visit-photos"

    # the county's commander without the unmask right: the count only, in the visits list too
    masked = auth_headers("cmd_a")
    due = api_client.get("/api/persons/visits?status=all&limit=1000", headers=masked).json()
    person = next(p for p in due["persons"] if p["id"] == followed.mine)
    assert (person["last_visit"], person["last_visit_photos"]) == (day.isoformat(), 2)
    assert {p["last_visit_photos"] for p in due["persons"] if p["id"] != followed.mine} == {0}
    counted = api_client.get(path, headers=masked).json()
    assert counted == [
        {"id": visit_id, "visited_on": day.isoformat(), "photos": 2, "own": False, "photo_ids": []}
    ]
    for query in ("", "?thumbnail=true"):
        denied = api_client.get(f"{path}/{photo_ids[0]}{query}", headers=masked)
        assert denied.status_code == 403
        assert "只有走访人和有查看明文权限的账号可以查看" in denied.json()["detail"]

    # the commander who may unmask: not without an unmasked read of the person
    clear_reader = auth_headers("cmd_a_unmask")
    before = api_client.get(f"{path}/{photo_ids[0]}", headers=clear_reader)
    assert before.status_code == 403 and "须先查看该人员的身份信息" in before.json()["detail"]
    assert api_client.get(path, headers=clear_reader).json()[0]["photo_ids"] == []

    # his unmasked read shows the thumbnails with the visit, and its audit entry counts them
    clear = api_client.post(
        f"/api/persons/{followed.mine}/unmasked",
        json={"reason": "核实走访对象身份"},
        headers=clear_reader,
    ).json()
    shown = clear["visits"][0]
    assert (shown["id"], shown["note"]) == (visit_id, "谈心，无异常")
    assert [p["id"] for p in shown["photos"]] == photo_ids
    prefix = "data:image/jpeg;base64,"
    assert shown["photos"][0]["thumbnail"].startswith(prefix)
    thumb = Image.open(io.BytesIO(base64.b64decode(shown["photos"][0]["thumbnail"][len(prefix) :])))
    assert thumb.format == "JPEG" and max(thumb.size) == 240
    unmask_entry = _audit(database, "person.unmask", "t46_cmd_a_unmask")[-1]
    assert unmask_entry.id == clear["audit_id"]
    assert unmask_entry.detail["visit_photos"] == 2

    # each photo opened after it is an audit entry of its own, with the read's reason
    opened = api_client.get(f"{path}/{photo_ids[1]}?read={clear['audit_id']}", headers=clear_reader)
    assert opened.status_code == 200, opened.text
    assert Image.open(io.BytesIO(opened.content)).size == (800, 600)
    reads = _audit(database, "person.visit_photo", "t46_cmd_a_unmask")
    assert [(e.outcome, e.object_id, e.reason) for e in reads] == [
        ("ok", str(followed.mine), "核实走访对象身份")
    ]
    assert reads[0].detail == {
        "photo": photo_ids[1],
        "unmask_entry": clear["audit_id"],
        "thumbnail": False,
    }
    assert b"PNG" not in str(reads[0].detail).encode()  # ids, not the image

    # an unmasked read of another person, or another account's, does not open it
    other = api_client.post(
        f"/api/persons/{followed.other}/unmasked",
        json={"reason": "核实走访对象身份"},
        headers=clear_reader,
    ).json()
    wrong = api_client.get(f"{path}/{photo_ids[0]}?read={other['audit_id']}", headers=clear_reader)
    assert wrong.status_code == 403
    borrowed = api_client.get(f"{path}/{photo_ids[0]}?read={clear['audit_id']}", headers=masked)
    assert borrowed.status_code == 403
    assert len(_audit(database, "person.visit_photo", "t46_cmd_a_unmask")) == 1
    assert _audit(database, "person.visit_photo", "t46_cmd_a") == []

    # an hour after the unmasked read, it opens no photo: the person is to be read again
    user = api_world.users["cmd_a_unmask"]
    reader = Reader(user.id, user.username, user.role, user.scope_code, True)
    with Session(database.app) as session, session.begin():
        apply_scope(session, user.scope_code)
        later = datetime.now(UTC) + visit_photos.READ_VALID + timedelta(minutes=5)
        with pytest.raises(Forbidden, match="超过 1 小时"):
            visit_photos.read_clear(
                session,
                followed.mine,
                photo_ids[0],
                reader=reader,
                after=clear["audit_id"],
                now=later,
            )
    assert len(_audit(database, "person.visit_photo", "t46_cmd_a_unmask")) == 1

    # another county does not find the person, nor the photo
    elsewhere = auth_headers("cmd_b")
    assert api_client.get(path, headers=elsewhere).status_code == 404
    assert api_client.get(f"{path}/{photo_ids[0]}", headers=elsewhere).status_code == 404
    # a photo is read through its own person only
    assert (
        api_client.get(
            f"/api/persons/{followed.other}/visit-photos/{photo_ids[0]}", headers=worker
        ).status_code
        == 404
    )
