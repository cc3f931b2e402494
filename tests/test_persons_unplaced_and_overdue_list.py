"""未落图/未划入网格 persons listed and counted (trial AV M1); the 走访逾期名单 export (AW M3).

Trial AV: a roster without grids or points put 40 persons on no map and no worker's list, and
nobody could see which. ``GET /api/persons/visits?status=unplaced`` lists the persons of the
scope with no residence point or no grid, masked, each card saying what is missing and what to
do, and every list counts them (``unplaced``). Trial AW: the township had overdue figures but no
list to hand out at the monthly meeting. ``GET /api/persons/overdue.xlsx`` is that list, masked,
audited as a read of the persons layer.
"""
# ruff: noqa: F811

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Connection, text

from geo.codes import make_resident_id, mask_resident_id
from layers.china_time import CHINA
from layers.secrets import Keys, hash_resident_id, seal
from tests.api_fixtures import VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
VISITS = "/api/persons/visits"
EXPORT = "/api/persons/overdue.xlsx"


@dataclass(frozen=True)
class Added:
    """The persons the tests add to the first village: by what they lack, and their IDs."""

    no_point: int
    no_grid: int
    overdue: int
    resident_ids: dict[int, str]
    names: dict[int, str]


def _insert(
    db: Connection, keys: Keys, n: int, name: str, *, point: bool, grid: bool, since: date
) -> tuple[int, str]:
    village = VILLAGES[0]
    resident_id = make_resident_id(village[:6], date(1978, 5, 1 + n), n, "M")
    person = db.scalar(
        text(
            "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
            " management_level, attributes, residence, address, grid_code, area_code,"
            " on_record_since)"
            " VALUES ('released', :name, :h, :m, :s, 2, '{}',"
            " CASE WHEN :point THEN ST_SetSRID(ST_MakePoint(110.0512, 20.0623), 4490) END,"
            " '测试地址', CASE WHEN :grid THEN :g END, :a, :since) RETURNING id"
        ),
        {
            "name": name,
            "h": hash_resident_id(keys, resident_id),
            "m": mask_resident_id(resident_id),
            "s": seal(keys, resident_id),
            "point": point,
            "grid": grid,
            "g": f"{village}007",
            "a": village,
            "since": since,
        },
    )
    return int(person), resident_id


@pytest.fixture
def added(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[Added]:
    """One person with no point, one with no grid, one placed and overdue; removed afterwards."""
    today = datetime.now(UTC).astimezone(CHINA).date()
    with database.owner.begin() as db:
        added_rule = db.scalar(
            text(
                "INSERT INTO visit_rules VALUES ('released', 2, 30) ON CONFLICT DO NOTHING"
                " RETURNING interval_days"
            )
        )
        interval = db.scalar(
            text(
                "SELECT interval_days FROM visit_rules WHERE category = 'released'"
                " AND management_level = 2"
            )
        )
        keys = api_world.keys
        late = today - timedelta(days=interval + 12)
        rows = [
            ("欧阳无点", False, True, today),
            ("欧阳无格", True, False, today),
            ("欧阳逾期", True, True, late),
        ]
        made = [
            _insert(db, keys, 20 + n, name, point=point, grid=grid, since=since)
            for n, (name, point, grid, since) in enumerate(rows)
        ]
    ids = [pid for pid, _ in made]
    try:
        yield Added(
            ids[0],
            ids[1],
            ids[2],
            dict(made),
            {pid: row[0] for pid, row in zip(ids, rows, strict=True)},
        )
    finally:
        with database.owner.begin() as db:
            db.execute(text("DELETE FROM persons WHERE id = ANY(:ids)"), {"ids": ids})
            if added_rule is not None:
                db.execute(
                    text(
                        "DELETE FROM visit_rules WHERE category = 'released'"
                        " AND management_level = 2"
                    )
                )


def test_the_township_lists_its_persons_with_no_point_or_no_grid(
    api_client: TestClient, auth_headers: Headers, added: Added
) -> None:
    township = auth_headers("disp_a1")
    counted = api_client.get(VISITS, headers=township)
    assert counted.status_code == 200, counted.text
    assert counted.json()["unplaced"] == 2  # said with every list: the page shows the count
    listed = api_client.get(VISITS, params={"status": "unplaced"}, headers=township)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["matched"] == 2
    cards = {p["id"]: p for p in body["persons"]}
    assert set(cards) == {added.no_point, added.no_grid}
    assert cards[added.no_point]["notices"] == [
        "未落图（没有居住位置，地图上不显示）："
        "请在人员名单中补填居住位置（坐标或地址）后重新导入"
    ]
    assert cards[added.no_grid]["notices"] == [
        "未划入网格（不在任何网格的走访名单上）："
        "点“划入网格”指定所在网格（或在人员名单中补填所属网格后重新导入）"
    ]
    # masked by default, as every list is
    for pid in (added.no_point, added.no_grid):
        assert added.names[pid] not in listed.text
        assert added.resident_ids[pid] not in listed.text
        assert cards[pid]["name_masked"] == "欧***"


def _sheet_rows(body: bytes) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    book = load_workbook(io.BytesIO(body))
    return (
        list(book["走访逾期名单"].iter_rows(values_only=True)),
        list(book["说明"].iter_rows(values_only=True)),
    )


def test_the_overdue_list_is_exported_masked_and_audited(
    api_client: TestClient,
    auth_headers: Headers,
    added: Added,
    database: SuiteDatabase,
) -> None:
    answer = api_client.get(EXPORT, headers=auth_headers("disp_a1"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows, notes = _sheet_rows(answer.content)
    assert rows[0] == (
        "序号",
        "姓名",
        "证件号码",
        "人员类别",
        "管控级别",
        "村（社区）",
        "网格",
        "应访日期",
        "逾期天数",
        "上次走访",
        "责任人",
    )
    mine = [r for r in rows[1:] if r[1] == "欧***"]
    (row,) = mine
    rid = added.resident_ids[added.overdue]
    assert row[2] == mask_resident_id(rid) and row[3] == "刑满释放人员" and row[4] == "关注"
    assert row[8] == 12 and row[9] == "无记录"
    text_of = repr(rows) + repr(notes)
    for pid in (added.no_point, added.no_grid, added.overdue):
        assert added.names[pid] not in text_of and added.resident_ids[pid] not in text_of
    assert ("脱敏", "姓名、证件号码已脱敏；本名单的每次导出记入审计日志，请勿翻拍外传。") in notes
    with database.owner.connect() as db:
        detail = db.scalar(
            text(
                "SELECT detail FROM audit_log WHERE action = 'layer.read'"
                " AND actor_name = 't46_disp_a1' ORDER BY id DESC LIMIT 1"
            )
        )
    assert (detail["view"], detail["returned"]) == ("overdue_export", len(rows) - 1)
    # the county's analyst, who reads counts only, gets no list
    refused = api_client.get(EXPORT, headers=auth_headers("analyst_a"))
    assert refused.status_code == 403
