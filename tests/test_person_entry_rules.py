"""What the special-population desk's registration holds to (trial AW S1, m2, m3, M5).

Trial AW registered a 严重精神障碍患者 of 危险性评估 4 at 管控级别 一般 (visited every 90 days),
raised another's grade to 4 by a one-row import that left her 关注; typed a phone number into
帮教情况 (accepted, though 走访情况 refuses one); and registered a 社区矫正人员 with no
矫正结束日期, on which the 司法所's reminders run. The level now follows the grade (by form and by
import, said so), the free-text fields refuse personal numbers (an import's row with the value
masked), and the form and the API ask the dates an import only counts.
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.person_attributes import missing_required, required_level
from layers.person_entry import ELSEWHERE, ENDED_ELSEWHERE
from tests.api_fixtures import grid_centre
from tests.conftest import SuiteDatabase
from tests.demo_runs import demo_of_the_run
from tests.import_fixtures import VILLAGE, csv_text, seed_jurisdictions
from tests.test_import import KEYS

Headers = Callable[[str], dict[str, str]]
PERSONS = "/api/persons"


def _form(category: str, serial: int, **changes: Any) -> dict[str, Any]:
    lon, lat = grid_centre(0, 1)
    return {
        "category": category,
        "name": "欧阳规则",
        "resident_id": make_resident_id("460105", date(1979, 4, 3), serial, "M"),
        "lon": lon,
        "lat": lat,
    } | changes


@pytest.fixture
def registered(database: SuiteDatabase) -> Iterator[None]:
    """Delete the persons a test registers (named 欧阳…) afterwards."""
    yield
    with database.owner.begin() as db:
        db.execute(text("DELETE FROM persons WHERE name LIKE '欧阳%'"))


def _level(database: SuiteDatabase, person_id: int) -> int:
    with database.owner.connect() as db:
        return int(
            db.scalar(
                text("SELECT management_level FROM persons WHERE id = :id"), {"id": person_id}
            )
        )


@pytest.mark.parametrize(
    ("grade", "given", "kept", "notice"),
    [
        (4, 3, 1, "危险性评估 4 级：管控级别按规定提为重点管控"),
        (3, 2, 1, "危险性评估 3 级：管控级别按规定提为重点管控"),
        (2, 3, 2, "危险性评估 2 级：管控级别按规定提为关注"),
        (1, 1, 1, None),
        (0, 3, 3, None),
    ],
)
def test_a_mental_patients_risk_grade_sets_how_strictly_he_is_managed(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    registered: None,
    grade: int,
    given: int,
    kept: int,
    notice: str | None,
) -> None:
    form = _form("mental", 70, management_level=given, attributes={"risk_assessment": grade})
    answer = api_client.post(PERSONS, json=form, headers=auth_headers("disp_a1"))
    assert answer.status_code == 201, answer.text
    person = answer.json()
    assert person["management_level"] == kept
    assert _level(database, person["id"]) == kept
    assert person["notices"] == ([notice] if notice else [])
    # the visit interval is the level's: due 7 days on for 重点管控
    listed = api_client.get(PERSONS + "/visits?status=all", headers=auth_headers("disp_a1"))
    due = {p["id"]: p for p in listed.json()["persons"]}[person["id"]]
    assert due["management_level"] == kept


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("assistance", "帮教小组：司法所张某，联系电话13987712345", "帮教情况中不要写手机号"),
        ("resettlement", "已安置，身份证 530424198503123516", "安置情况中不要写身份证号"),
    ],
)
def test_a_free_text_field_refuses_personal_numbers(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    registered: None,
    field: str,
    value: str,
    says: str,
) -> None:
    form = _form("released", 71, attributes={"release_date": "2026-11-28", field: value})
    refused = api_client.post(PERSONS, json=form, headers=auth_headers("disp_a1"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith(says)
    assert "13987712345" not in refused.text and "530424198503123516" not in refused.text
    with database.owner.connect() as db:
        assert db.scalar(text("SELECT count(*) FROM persons WHERE name LIKE '欧阳%'")) == 0


def test_a_guardian_with_a_phone_is_refused_too(
    api_client: TestClient, auth_headers: Headers, registered: None
) -> None:
    form = _form("mental", 72, attributes={"guardian": "其妻，电话 139 1234 5678"})
    refused = api_client.post(PERSONS, json=form, headers=auth_headers("disp_a1"))
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "监护人中不要写手机号：电话不要写入人员信息（人员信息随记录供他人查看）"
    )


@pytest.mark.parametrize(
    ("category", "attributes", "says"),
    [
        ("correction", {"correction_type": "缓刑"}, "请填写矫正结束日期：社区矫正人员必填"),
        ("released", {"original_crime": "盗窃罪"}, "请填写释放日期：刑满释放人员必填"),
    ],
)
def test_the_dates_the_reminders_run_on_are_asked(
    api_client: TestClient,
    auth_headers: Headers,
    registered: None,
    category: str,
    attributes: dict[str, str],
    says: str,
) -> None:
    refused = api_client.post(
        PERSONS, json=_form(category, 73, attributes=attributes), headers=auth_headers("disp_a1")
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith(says)
    # the 矫正起止日期 of one cell gives the end too; and the released person his 释放日期
    dated = {"correction": {"period": "2026-03-01至2027-02-28"}, "released": {}}[category]
    dated = dated or {"release_date": "2026-11-28", "prison": "云南省第一监狱"}
    answer = api_client.post(
        PERSONS,
        json=_form(category, 73, attributes=attributes | dated),
        headers=auth_headers("disp_a1"),
    )
    assert answer.status_code == 201, answer.text


def test_the_form_learns_what_is_required_and_what_sets_the_level(
    api_client: TestClient, auth_headers: Headers
) -> None:
    fields = api_client.get(PERSONS + "/fields", headers=auth_headers("disp_a1")).json()
    released = {f["name"]: f for f in fields["released"]}
    assert released["release_date"]["required"] is True
    assert released["prison"]["label"] == "服刑场所"
    assert {f["name"] for f in fields["correction"] if f["required"]} == {"end_date"}
    risk = {f["name"]: f for f in fields["mental"]}["risk_assessment"]
    assert dict(map(tuple, risk["sets_level"])) == {5: 1, 4: 1, 3: 1, 2: 2, 1: 2}


def test_a_person_who_moved_within_the_county_is_taken_on_where_he_lives_now(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, registered: None
) -> None:
    """Trial AW M2: 陈晓东, 迁出 from 盘溪镇, could be registered by neither the receiving
    township nor the county it was sent to."""
    form = _form("drug", 74, name="欧阳迁移")
    first = api_client.post(PERSONS, json=form, headers=auth_headers("disp_a1"))
    assert first.status_code == 201, first.text
    person = first.json()
    elsewhere = _form(
        "drug", 74, name="欧阳迁移", lon=grid_centre(3, 2)[0], lat=grid_centre(3, 2)[1]
    )
    # on the register in another county's township: refused neutrally, sent to the county
    # (trial AW M7: the answer told the registrar the person was on a register elsewhere)
    live = api_client.post(PERSONS, json=elsewhere, headers=auth_headers("disp_b1"))
    assert (live.status_code, live.json()["detail"]) == (409, ELSEWHERE)
    assert "请联系县综治中心" in ELSEWHERE and "其他" not in ELSEWHERE
    with database.owner.begin() as db:
        db.execute(
            text(
                "UPDATE persons SET ended_on = DATE '2026-12-05', on_record_since = DATE"
                " '2026-11-01', ended_reason = '迁出（迁往宁州街道）' WHERE id = :id"
            ),
            {"id": person["id"]},
        )
    ended = api_client.post(PERSONS, json=elsewhere, headers=auth_headers("disp_b1"))
    assert (ended.status_code, ended.json()["detail"]) == (409, ENDED_ELSEWHERE)
    assert ENDED_ELSEWHERE == ELSEWHERE  # the answer tells nothing of the record
    # another name under the ID is refused, not revived
    other = api_client.post(
        PERSONS,
        json=_form("drug", 74, name="欧阳别人", **_point(2)),
        headers=auth_headers("cmd_a"),
    )
    assert other.status_code == 409 and "姓名与本次填写的不同" in other.json()["detail"]
    # the county, whose scope holds both townships, registers him where he lives now
    moved = api_client.post(
        PERSONS,
        json=_form("drug", 74, name="欧阳迁移", management_level=2, **_point(2)),
        headers=auth_headers("cmd_a"),
    )
    assert moved.status_code == 201, moved.text
    answer = moved.json()
    assert answer["id"] == person["id"]  # one record of a person in a category
    assert answer["area_code"] == "460105002001"
    [notice] = answer["notices"]
    township = person["area_name"] and notice.split("登记（")[0].removeprefix("该人员此前在")
    assert notice == (
        f"该人员此前在{township}登记（欧***，编号 {person['id']}），已于 2026-12-05 注销"
        f"（迁出（迁往宁州街道））：已恢复在册，记录转入{answer['area_name']}，原走访记录保留，"
        "应访日期仍从上次走访起算（从未走访的从 2026-11-01 列管起算）"
    )
    with database.owner.connect() as db:
        row = db.execute(
            text(
                "SELECT area_code, ended_on, ended_reason, management_level, on_record_since,"
                " (SELECT j.name FROM jurisdictions j WHERE j.code = '460105001000') AS town"
                " FROM persons WHERE id = :id"
            ),
            {"id": person["id"]},
        ).one()
    assert township == row.town
    assert (row.area_code, row.ended_on, row.ended_reason, row.management_level) == (
        "460105002001",
        None,
        None,
        2,
    )
    # never visited: his 走访 clock runs on from his first registration, not from today
    assert row.on_record_since == date(2026, 11, 1)


def _point(village_index: int) -> dict[str, float]:
    lon, lat = grid_centre(village_index, 2)
    return {"lon": lon, "lat": lat}


# ------------------------------------------------------------------------------------ imports

MENTAL = ["姓名", "身份证号", "人员类别", "所属社区", "管控级别", "危险性评估"]


def _ids(seq: int) -> str:
    return make_resident_id("530424", date(1970, 8, 9), 400 + seq, "F")


def _import(db: Session, path: Path, headers: list[str], rows: list[list[str]]) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="persons", partial=True), keys=KEYS)


def _levels(db: Session) -> dict[str, int]:
    rows = db.execute(text("SELECT name, management_level FROM persons WHERE name LIKE '风险%'"))
    return {name: int(level) for name, level in rows}


def test_an_import_raises_the_level_a_risk_grade_requires_and_says_so(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    rows = [
        ["风险甲", _ids(1), "严重精神障碍患者", VILLAGE, "一般", "4"],
        ["风险乙", _ids(2), "严重精神障碍患者", VILLAGE, "关注", "3"],
        ["风险丙", _ids(3), "严重精神障碍患者", VILLAGE, "一般", "2"],
        ["风险丁", _ids(4), "严重精神障碍患者", VILLAGE, "一般", "0"],
    ]
    outcome = _import(db, tmp_path / "精防.csv", MENTAL, rows)
    assert outcome.committed
    assert _levels(db) == {"风险甲": 1, "风险乙": 1, "风险丙": 2, "风险丁": 3}
    assert (
        "3 名严重精神障碍患者的管控级别低于其危险性评估的要求，已按规定提级"
        "（危险性评估 3–5 级提为重点管控 2 人、危险性评估 1–2 级提为关注 1 人），"
        "应访日期随之提前" in outcome.notes
    )
    # trial AW: a one-row file raising a grade to 4, without a 管控级别 column
    raised = _import(
        db,
        tmp_path / "risk.csv",
        ["姓名", "身份证号", "人员类别", "所属社区", "危险性评估"],
        [
            ["风险丁", _ids(4), "严重精神障碍患者", VILLAGE, "4级"],
            ["风险丙", _ids(3), "严重精神障碍患者", VILLAGE, "1"],
        ],
    )
    assert raised.committed and not raised.problems
    assert _levels(db) == {"风险甲": 1, "风险乙": 1, "风险丙": 2, "风险丁": 1}
    assert any("危险性评估 3–5 级提为重点管控 1 人" in note for note in raised.notes)
    assert not any("提为关注" in note for note in raised.notes)  # 风险丙 was 关注 already


def test_an_imported_free_text_with_a_phone_rejects_its_row_masked(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["姓名", "身份证号", "人员类别", "所属社区", "释放日期", "帮教情况"]
    rows = [
        ["风险戊", _ids(5), "刑满释放人员", VILLAGE, "2026-10-01", "已落实帮教"],
        ["风险己", _ids(6), "刑满释放人员", VILLAGE, "2026-10-01", "联系电话13987712345"],
    ]
    outcome = _import(db, tmp_path / "帮教.csv", headers, rows)
    assert outcome.committed
    assert set(_levels(db)) == {"风险戊"}
    [problem] = outcome.problems
    assert (problem.row, problem.column, problem.value) == (3, "帮教情况", "联系电话139****2345")
    assert problem.rule == "不要写手机号：电话不要写入人员信息（人员信息随记录供他人查看）"


def test_an_old_roster_without_the_dates_loads_and_is_counted(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    headers = ["姓名", "身份证号", "人员类别", "所属社区", "矫正类别", "矫正结束日期"]
    rows = [
        ["风险庚", _ids(7), "社区矫正人员", VILLAGE, "缓刑", "2027-05-01"],
        ["风险辛", _ids(8), "社区矫正人员", VILLAGE, "缓刑", ""],
        ["风险壬", _ids(9), "社区矫正人员", VILLAGE, "假释", ""],
        ["风险癸", _ids(10), "刑满释放人员", VILLAGE, "", ""],
    ]
    outcome = _import(db, tmp_path / "矫正.csv", headers, rows)
    assert outcome.committed and not outcome.problems
    assert len(_levels(db)) == 4
    assert (
        "2 名社区矫正人员没有矫正结束日期：照常导入；司法所的到期提醒要按此日期计算，请补齐"
        in outcome.notes
    )
    assert (
        "1 名刑满释放人员没有释放日期：照常导入；司法所的到期提醒要按此日期计算，请补齐"
        in outcome.notes
    )
    # a later list of the dates alone fills them: nothing is said of them any more
    later = _import(
        db,
        tmp_path / "补齐.csv",
        ["姓名", "身份证号", "人员类别", "所属社区", "矫正结束日期"],
        [
            ["风险辛", _ids(8), "社区矫正人员", VILLAGE, "2027-06-01"],
            ["风险壬", _ids(9), "社区矫正人员", VILLAGE, "2027-07-01"],
        ],
    )
    assert later.committed and not later.problems
    assert not any("没有矫正结束日期" in note for note in later.notes)


def test_the_demos_records_keep_the_rules(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The demo's 4,525 persons: each mental patient at least as strictly managed as his
    危险性评估 requires, each 社区矫正 and 刑满释放 record with the date its reminders need.

    (The demo of tests/test_demo.py's full load, generated once per run for both.)"""
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    data = demo_of_the_run(tmp_path_factory, "530424", seed=7, now=now)
    assert len(data.people) == 4525
    for person in data.people:
        required = required_level(person.category, person.attributes)
        assert required is None or person.management_level <= required, person.attributes
        assert missing_required(person.category, person.attributes) == [], person.category
    assert any(required_level(p.category, p.attributes) == 1 for p in data.people)
