"""The registration form's help before it is sent, and what it asks of each category (trial AC).

Trial AC found a township registrar learnt only on 登记 that a picked point lay outside the
township, saw the place as coordinates, could name no 责任人 but himself, and could give none of
the category's fields (释放日期, 原罪名 …); a 34-year-old went in as 重点青少年. The form now
asks ``GET /api/persons/residence`` where the point lies and who works there, and
``GET /api/persons/fields`` what each category records; the registration stores those fields
and refuses a 重点青少年 outside 6–25. A refused duplicate is audited under the record it
repeats.
"""
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from geo.codes import make_resident_id
from layers.person_entry import ELSEWHERE
from tests.api_fixtures import VILLAGES, grid_centre
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
PERSONS = "/api/persons"
RESIDENCE = PERSONS + "/residence"


DATED = {"correction": {"end_date": "2027-06-30"}, "released": {"release_date": "2026-11-28"}}
"""The dates a registration of these categories must give (trial AW m3)."""


def _form(born: date = date(1988, 6, 1), serial: int = 52, **changes: Any) -> dict[str, Any]:
    lon, lat = grid_centre(0, 0)
    category = changes.get("category", "correction")
    return {
        "category": category,
        "name": "欧阳表单",
        "resident_id": make_resident_id("460105", born, serial, "F"),
        "lon": lon,
        "lat": lat,
        "attributes": DATED.get(category, {}),
    } | changes


@pytest.fixture
def registered(database: SuiteDatabase) -> Iterator[None]:
    """Delete the persons a test registers (named 欧阳…) afterwards."""
    yield
    with database.owner.begin() as db:
        db.execute(text("DELETE FROM persons WHERE name LIKE '欧阳%'"))


def test_a_picked_point_is_named_with_the_workers_who_may_follow_the_person(
    api_client: TestClient, auth_headers: Headers
) -> None:
    lon, lat = grid_centre(0, 0)
    place = api_client.get(
        RESIDENCE, params={"lon": lon, "lat": lat}, headers=auth_headers("disp_a1")
    )
    assert place.status_code == 200, place.text
    body = place.json()
    assert (body["area_code"], body["grid_code"]) == (VILLAGES[0], f"{VILLAGES[0]}001")
    assert (body["area_name"], body["grid_name"]) == ("测试村1", "测试村1第1网格")
    # the grid's own worker first, then the village's
    assert [(c["name"], c["of_grid"], c["grid_name"]) for c in body["candidates"]] == [
        ("网格员00", True, "测试村1第1网格"),
        ("网格员01", False, "测试村1第2网格"),  # told apart by his grid (trial AG)
    ]


@pytest.mark.parametrize(
    ("who", "point", "says"),
    [
        ("disp_a1", grid_centre(3, 1), "所选位置不在您的辖区内"),  # another county's village
        ("cmd_city", grid_centre(0, 0), "您的角色或层级不能查看特殊人群名单"),  # counts only
    ],
)
def test_a_point_the_registration_would_refuse_is_refused_when_picked(
    api_client: TestClient,
    auth_headers: Headers,
    who: str,
    point: tuple[float, float],
    says: str,
) -> None:
    lon, lat = point
    refused = api_client.get(RESIDENCE, params={"lon": lon, "lat": lat}, headers=auth_headers(who))
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(says)


def test_the_form_learns_each_categorys_fields_labelled_in_chinese(
    api_client: TestClient, auth_headers: Headers
) -> None:
    fields = api_client.get(PERSONS + "/fields", headers=auth_headers("disp_a1")).json()
    assert set(fields) == {"released", "correction", "mental", "drug", "aids_risk", "youth"}
    released = {f["name"]: f for f in fields["released"]}
    assert released["sentence_months"]["label"] == "原判刑期（月）"  # full-width, as the UI writes
    assert released["release_date"]["kind"] == "date"
    assert released["recidivist"]["kind"] == "yes_no"
    correction = {f["name"]: f for f in fields["correction"]}
    assert correction["correction_type"]["choices"] == ["管制", "缓刑", "假释", "暂予监外执行"]
    assert "period" not in correction  # the one-cell 矫正起止日期 of rosters: start and end here
    assert {f["name"]: f for f in fields["mental"]}["risk_assessment"]["maximum"] == 5
    drug = {f["name"]: f for f in fields["drug"]}  # trial AE: 管控状态, 尿检结果 free text only
    assert drug["urine_test_result"]["suggestions"] == ["阴性", "阳性"]
    assert (
        drug["control_status"]["kind"] == "text"
        and "社区康复" in drug["control_status"]["suggestions"]
    )


def test_the_categorys_fields_are_kept_with_the_registration(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, registered: None
) -> None:
    form = _form(
        attributes={
            "correction_type": "缓刑",
            "start_date": "2026-03-01",
            "end_date": "2027-02-28",
            "original_crime": "盗窃罪",
            "absconded": False,
            "electronic_monitoring": "",
        }
    )
    answer = api_client.post(PERSONS, json=form, headers=auth_headers("disp_a1"))
    assert answer.status_code == 201, answer.text
    with database.owner.connect() as db:
        stored = db.scalar(
            text("SELECT attributes::text FROM persons WHERE id = :id"), {"id": answer.json()["id"]}
        )
    assert json.loads(stored) == {
        "correction_type": "缓刑",
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
        "original_crime": "盗窃罪",
        "absconded": False,
    }


@pytest.mark.parametrize(
    ("category", "attributes", "says"),
    [
        ("correction", {"correction_type": "判刑"}, "矫正类别填写有误：必须是以下之一：管制、缓刑"),
        (
            "correction",
            {"start_date": "2026-03-01", "end_date": "2025-03-01"},
            "矫正结束日期 2025-03-01 早于开始日期",
        ),
        ("mental", {"risk_assessment": 7}, "危险性评估填写有误：不能超过 5"),
        ("released", {"release_date": "2026-02-30"}, "释放日期填写有误：日期 2026-02-30 不存在"),
        ("released", {"diagnosis": "无"}, "“diagnosis”不是刑满释放人员的属性"),
    ],
)
def test_a_category_field_breaking_its_rule_is_refused_by_its_label(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    registered: None,
    category: str,
    attributes: dict[str, Any],
    says: str,
) -> None:
    form = _form(category=category, attributes=attributes)
    refused = api_client.post(PERSONS, json=form, headers=auth_headers("disp_a1"))
    assert refused.status_code == 422, refused.text
    assert says in refused.json()["detail"]
    with database.owner.connect() as db:
        assert db.scalar(text("SELECT count(*) FROM persons WHERE name LIKE '欧阳%'")) == 0


def test_a_key_youth_is_six_to_twenty_five(
    api_client: TestClient, auth_headers: Headers, registered: None
) -> None:
    today = date.today()
    adult = _form(category="youth", born=date(today.year - 34, 1, 15))
    refused = api_client.post(PERSONS, json=adult, headers=auth_headers("disp_a1"))
    assert refused.status_code == 422
    assert "重点青少年应为 6 至 25 周岁，该人员列管时 34 周岁" in refused.json()["detail"]
    young = _form(category="youth", born=date(today.year - 16, 1, 15), serial=53)
    assert api_client.post(PERSONS, json=young, headers=auth_headers("disp_a1")).status_code == 201


def test_a_refused_duplicate_is_audited_under_the_record_it_repeats(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, registered: None
) -> None:
    first = api_client.post(PERSONS, json=_form(), headers=auth_headers("disp_a1"))
    assert first.status_code == 201, first.text
    again = api_client.post(PERSONS, json=_form(), headers=auth_headers("disp_a1"))
    assert again.status_code == 409
    with database.owner.connect() as db:
        entry = db.execute(
            text(
                "SELECT outcome, object_type, object_id FROM audit_log"
                " WHERE action = 'person.register' ORDER BY id DESC LIMIT 1"
            )
        ).one()
    assert tuple(entry) == ("failed", "person", str(first.json()["id"]))


def _at(village_index: int) -> dict[str, float]:
    lon, lat = grid_centre(village_index, 0)
    return {"lon": lon, "lat": lat}


def test_an_id_on_record_under_another_name_is_refused_and_the_same_name_told(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, registered: None
) -> None:
    """Trial AE: 赵芳 as 严重精神障碍患者, then 陈小明 under her ID as 吸毒人员, went in."""
    shared = make_resident_id("460105", date(1985, 3, 2), 42, "F")
    first = api_client.post(
        PERSONS,
        json=_form(category="mental", name="欧阳芳", resident_id=shared),
        headers=auth_headers("disp_a1"),
    )
    assert first.status_code == 201, first.text
    assert first.json()["notices"] == []
    record = first.json()
    another = api_client.post(
        PERSONS,
        json=_form(category="drug", name="欧阳小明", resident_id=shared),
        headers=auth_headers("disp_a1"),
    )
    assert another.status_code == 409, another.text
    said = f"严重精神障碍患者（欧**，{record['area_name']}，编号 {record['id']}）"
    assert another.json()["detail"] == (
        f"该公民身份号码已登记为{said}，"
        "姓名与本次填写的不同；一个身份证号只属于一人，请核对身份证号和姓名"
    )
    same = api_client.post(
        PERSONS,
        json=_form(category="drug", name="欧阳芳", resident_id=shared),
        headers=auth_headers("disp_a1"),
    )
    assert same.status_code == 201, same.text
    assert same.json()["notices"] == [f"该人员另作为{said}在册"]
    with database.owner.connect() as db:
        names = db.execute(
            text("SELECT category, name FROM persons WHERE name LIKE '欧阳%' ORDER BY category")
        ).all()
        refusal = db.execute(
            text(
                "SELECT object_id FROM audit_log WHERE action = 'person.register'"
                " AND outcome = 'failed' ORDER BY id DESC LIMIT 1"
            )
        ).scalar_one()
    assert [tuple(row) for row in names] == [("drug", "欧阳芳"), ("mental", "欧阳芳")]
    assert refusal == str(record["id"])


def test_an_id_on_record_out_of_scope_is_refused_naming_neither_category_nor_name(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, registered: None
) -> None:
    """Trial AI S4: another township's registrar read the category of any ID it typed, and
    confirmed a guessed name by a registration that went through; the probes were audited
    under no record."""
    shared = make_resident_id("460105", date(1990, 7, 9), 61, "M")
    first = api_client.post(
        PERSONS,
        json=_form(category="released", name="欧阳远", resident_id=shared),
        headers=auth_headers("disp_a1"),
    )
    assert first.status_code == 201, first.text
    answers = [
        api_client.post(
            PERSONS,
            json=_form(category=category, name=name, resident_id=shared, **_at(3)),
            headers=auth_headers("disp_b1"),
        )
        for category, name in (("drug", "欧阳近"), ("drug", "欧阳远"), ("released", "欧阳远"))
    ]
    assert [a.status_code for a in answers] == [409, 409, 409], [a.text for a in answers]
    assert {a.json()["detail"] for a in answers} == {ELSEWHERE}
    with database.owner.connect() as db:
        filed = (
            db.execute(
                text(
                    "SELECT object_id FROM audit_log WHERE action = 'person.register'"
                    " AND outcome = 'failed' ORDER BY id DESC LIMIT 3"
                )
            )
            .scalars()
            .all()
        )
        names = (
            db.execute(text("SELECT name FROM persons WHERE name LIKE '欧阳%' ORDER BY id"))
            .scalars()
            .all()
        )
    assert filed == [str(first.json()["id"])] * 3  # a look-up of the person finds each probe
    assert names == ["欧阳远"]  # nothing registered out of the first scope
