# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""One person closed out in the console: ``POST /api/persons/{id}/end`` (注销, trial AW M1).

A death, a 迁出 or the end of a 社区矫正 could only be recorded by importing a roster with
在册状态; now the township's or the village's operator (or the county's) closes one person out,
stored as the import stores it, audited under the person with the reason and no personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id, mask_resident_id
from importers import vocabulary
from importers.vocabulary import RegisterStatus
from layers.china_time import CHINA
from layers.person_closing import DETAIL_MAX, REASONS, ended_reason
from layers.secrets import hash_resident_id, seal
from tests.api_fixtures import VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
_SERIAL = count(1)
TODAY = datetime.now(CHINA).date()


@pytest.fixture
def register(
    api_world: ApiWorld, database: SuiteDatabase
) -> Iterator[Callable[..., dict[str, Any]]]:
    """Put a fresh person on record in village 0 (as a roster would): their id and category.

    They are removed after the test, so that the shared world's counts stay its own (the
    visit list's tests count the county's persons).
    """
    ids: list[int] = []

    def made(name: str = "王建国", since: date | None = None) -> dict[str, Any]:
        serial = next(_SERIAL)
        resident_id = make_resident_id("460105", date(1985, 3, 12), 400 + serial, "M")
        with Session(database.owner) as session, session.begin():
            pid = session.execute(
                text(
                    "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                    " management_level, attributes, area_code, grid_code, residence,"
                    " on_record_since) SELECT 'released', :name, :h, :m, :s, 2, '{}',"
                    " g.area_code, g.code, ST_PointOnSurface(g.boundary), :since"
                    " FROM grids g WHERE g.code = :g RETURNING id"
                ),
                {
                    "name": name,
                    "h": hash_resident_id(api_world.keys, resident_id),
                    "m": mask_resident_id(resident_id),
                    "s": seal(api_world.keys, resident_id),
                    "since": since or TODAY - timedelta(days=30),
                    "g": f"{VILLAGES[0]}003",
                },
            ).scalar_one()
        ids.append(int(pid))
        return {"id": int(pid), "category": "released"}

    yield made
    with Session(database.owner) as session, session.begin():
        session.execute(text("DELETE FROM persons WHERE id = ANY(:ids)"), {"ids": ids})


def _end(client: TestClient, headers: dict[str, str], pid: int, **body: Any) -> Any:
    return client.post(f"/api/persons/{pid}/end", json=body, headers=headers)


def _entries(client: TestClient, headers: Headers, pid: int) -> list[dict[str, Any]]:
    page = client.get(
        "/api/audit",
        params={"object_type": "person", "object_id": str(pid)},
        headers=headers("auditor"),
    )
    assert page.status_code == 200, page.text
    return page.json()["entries"]  # type: ignore[no-any-return]


def test_a_dispatcher_closes_a_person_out_as_the_import_does(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    register: Callable[..., dict[str, Any]],
) -> None:
    person = register()
    pid = person["id"]
    with Session(database.owner) as session, session.begin():  # a visit, to be kept
        session.execute(
            text(
                "INSERT INTO person_visits (person_id, area_code, visited_on, note)"
                " SELECT id, area_code, :day, '上门走访' FROM persons WHERE id = :id"
            ),
            {"id": pid, "day": TODAY - timedelta(days=3)},
        )
    dispatcher = auth_headers("disp_a1")
    listed = api_client.get("/api/persons/visits?status=all&limit=1000", headers=dispatcher)
    assert pid in [p["id"] for p in listed.json()["persons"]]
    followed = listed.json()["followed"]
    day = TODAY - timedelta(days=1)
    ended = _end(
        api_client, dispatcher, pid, reason="迁出", detail="迁往昆明市官渡区", ended_on=str(day)
    )
    assert ended.status_code == 200, ended.text
    assert ended.json() == {
        "id": pid,
        "category": "released",
        "name_masked": "王**",
        "ended_on": day.isoformat(),
        "ended_reason": "迁出（迁往昆明市官渡区）",
        "message": "已注销 王**（迁出）：不再显示在地图上，不计入走访统计，走访记录保留",
    }
    assert "王建国" not in ended.text
    with Session(database.owner) as session:
        stored = session.execute(
            text(
                "SELECT p.ended_on, p.ended_reason,"
                " (SELECT count(*) FROM person_visits v WHERE v.person_id = p.id) AS visits"
                " FROM persons p WHERE p.id = :id"
            ),
            {"id": pid},
        ).one()
    assert (stored.ended_on, stored.ended_reason, stored.visits) == (
        day,
        "迁出（迁往昆明市官渡区）",
        1,
    )
    # off the due list and its counts, off the map
    listed = api_client.get("/api/persons/visits?status=all&limit=1000", headers=dispatcher)
    assert pid not in [p["id"] for p in listed.json()["persons"]]
    assert listed.json()["followed"] == followed - 1
    features = api_client.get("/ogc/collections/persons/items?limit=1000", headers=dispatcher)
    assert features.status_code == 200, features.text
    assert pid not in [f["id"] for f in features.json()["features"]]
    # the auditor's filter by the person shows it: the reason and the day, no personal data
    entry = next(e for e in _entries(api_client, auth_headers, pid) if e["action"] == "person.end")
    assert entry["outcome"] == "ok" and entry["actor_name"] == "t46_disp_a1"
    assert entry["detail"] == {
        "category": "released",
        "reason": "迁出",
        "ended_on": day.isoformat(),
        "by": "console",
    }
    assert entry["texts"]["action"] == "注销人员"
    assert "王建国" not in str(entry) and "官渡" not in str(entry)
    # twice: a Chinese 409, audited
    again = _end(api_client, dispatcher, pid, reason="死亡")
    assert again.status_code == 409, again.text
    assert again.json()["detail"] == (
        f"该人员已于 {day:%Y-%m-%d} 注销（迁出（迁往昆明市官渡区）），不能再次注销"
    )
    refused = _entries(api_client, auth_headers, pid)[0]
    assert (refused["action"], refused["outcome"]) == ("person.end", "failed")


def test_the_village_and_the_county_close_out_and_the_day_defaults_to_today(
    api_client: TestClient, auth_headers: Headers, register: Callable[..., dict[str, Any]]
) -> None:
    village, county = register(), register()
    answer = _end(api_client, auth_headers("cmd_village"), village["id"], reason="死亡")
    assert answer.status_code == 200, answer.text
    assert answer.json()["ended_reason"] == "死亡"
    beijing = datetime.now(CHINA).date()
    assert answer.json()["ended_on"] == beijing.isoformat()
    answer = _end(
        api_client, auth_headers("cmd_a"), county["id"], reason="其他", detail="经核查重复登记"
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["ended_reason"] == "其他（经核查重复登记）"


@pytest.mark.parametrize(
    ("who", "told"),
    [
        ("worker_v0", "网格员不能注销人员"),
        ("analyst_a", "研判分析员不能注销人员"),
        ("dept_a", "职能部门账号只能查看"),
        ("admin", "不能查看业务数据"),
        ("auditor", "不能查看业务数据"),
        ("cmd_city", "账号只查看特殊人群统计数"),
    ],
)
def test_other_roles_are_refused_in_chinese(
    api_client: TestClient,
    auth_headers: Headers,
    register: Callable[..., dict[str, Any]],
    who: str,
    told: str,
) -> None:
    pid = register()["id"]
    refused = _end(api_client, auth_headers(who), pid, reason="死亡")
    assert refused.status_code == 403, refused.text
    assert told in refused.json()["detail"]


def test_out_of_scope_and_bad_input_are_refused(
    api_client: TestClient, auth_headers: Headers, register: Callable[..., dict[str, Any]]
) -> None:
    pid = register(since=TODAY - timedelta(days=10))["id"]
    other_county = auth_headers("cmd_b")
    assert _end(api_client, other_county, pid, reason="死亡").status_code == 404
    dispatcher = auth_headers("disp_a1")
    cases = [
        ({"reason": "出国"}, "注销原因须为以下之一：" + "、".join(REASONS)),
        ({"reason": "其他"}, "注销原因为“其他”时，请在“说明”中写明原因"),
        ({"reason": "迁出", "detail": "迁" * (DETAIL_MAX + 1)}, f"去向或说明最多 {DETAIL_MAX} 字"),
        (
            {"reason": "迁出", "detail": "迁往官渡区，电话 139 8771 2345"},
            "去向或说明中不要写手机号：电话不要写入去向或说明（随人员记录供他人查看）",
        ),
        (
            {"reason": "其他", "detail": make_resident_id("530424", date(1985, 3, 12), 351, "M")},
            "去向或说明中不要写身份证号：该人员的身份证号已在其记录中加密保存，不必写入",
        ),
        ({"reason": "死亡", "ended_on": str(TODAY + timedelta(days=2))}, "注销日期不能晚于今天"),
        (
            {"reason": "死亡", "ended_on": str(TODAY - timedelta(days=11))},
            f"注销日期不能早于该人员的在册日期 {TODAY - timedelta(days=10):%Y-%m-%d}",
        ),
    ]
    for body, told in cases:
        refused = _end(api_client, dispatcher, pid, **body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["detail"] == told, body
    # still on the register
    assert _end(api_client, dispatcher, pid, reason="解除矫正").status_code == 200


def test_an_import_reads_the_consoles_reasons_as_注销() -> None:
    """Both ways store alike: a roster saying what the console stored ends the person too."""
    stored = [ended_reason(r, None) for r in REASONS if r != "其他"]
    stored.append(ended_reason("迁出", "迁往昆明市官渡区"))
    said = vocabulary.codes_of(pd.Series(stored), RegisterStatus)
    leading = pd.Series(stored).str.split(vocabulary.STATUS_CLAUSE, n=1, regex=True).str[0]
    said = said.where(said.notna(), vocabulary.codes_of(leading, RegisterStatus))
    assert said.tolist() == [RegisterStatus.ENDED.value] * len(stored), stored
