"""A storm night's incidents have subcategories of their own (trial AZ m1).

The tester filed a 停电 as 社情民意/基础设施, a missing 独居老人 as 社情民意/公共服务 and 电线落地
as 其他安全隐患: the night's reports and hot spots then read as "public opinion". The safety
hazards' code table now has 内涝积水, 电力设施隐患, 停电断电 and 人员走失: registration takes them
(and still refuses a code of no table), and an import reads them from a 12345 classification or
a 事件小类 column.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from layers.database import apply_scope
from layers.model.cases import HazardType
from tests.api_fixtures import VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase
from tests.import_fixtures import GRID, csv_text, seed_jurisdictions
from tests.workflow_data import delete_cases

Headers = Callable[[str], dict[str, str]]
STORM = {
    "waterlogging": "内涝积水",
    "power_line": "电力设施隐患",
    "power_outage": "停电断电",
    "missing_person": "人员走失",
}


def test_the_hazard_table_has_the_storm_kinds() -> None:
    labels = HazardType.labels()
    assert {code: labels[code] for code in STORM} == STORM
    assert list(labels)[-1] == "other_hazard"  # 其他安全隐患 stays the last choice


def test_registration_takes_each_storm_kind(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, api_world: ApiWorld
) -> None:
    made: list[int] = []
    try:
        for code in STORM:
            body = {"channel": "hotline_12345", "category": "safety_hazard", "subcategory": code}
            body |= {"title": f"暴雨夜{STORM[code]}", "area_code": VILLAGES[0]}
            answer = api_client.post("/api/cases", json=body, headers=auth_headers("cmd_a"))
            assert answer.status_code == 201, answer.text
            made.append(answer.json()["id"])
            assert answer.json()["subcategory"] == code
        # a 停电 is a hazard's, not an opinion's: the table still refuses it elsewhere
        body = {"channel": "phone", "category": "public_opinion", "subcategory": "power_outage"}
        refused = api_client.post(
            "/api/cases",
            json=body | {"title": "停电", "area_code": VILLAGES[0]},
            headers=auth_headers("cmd_a"),
        )
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith("子类与类别“社情民意”不符")
    finally:
        with database.owner.connect() as conn, conn.begin():
            session = Session(bind=conn)
            apply_scope(session, None)
            delete_cases(session, made)
            session.flush()


def test_an_import_reads_the_storm_kinds(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    headers = ["工单编号", "来源渠道", "问题分类", "事件小类", "所属网格", "受理时间"]
    rows = [
        ["ST-1", "12345", "城乡建设>市政设施>道路积水", "", GRID, "2026-12-06 23:10"],
        ["ST-2", "12345", "能源>电力>电线落地", "", GRID, "2026-12-06 23:12"],
        ["ST-3", "12345", "能源>电力>大面积停电", "", GRID, "2026-12-06 23:15"],
        ["ST-4", "来电", "安全隐患", "人员走失", GRID, "2026-12-06 23:20"],
        ["ST-5", "来电", "安全隐患", "停电断电", GRID, "2026-12-06 23:25"],
    ]
    path = tmp_path / "暴雨夜工单.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.problems == [] and outcome.committed
    stored = db.execute(
        text(
            "SELECT external_no, category, subcategory FROM cases"
            " WHERE external_no LIKE 'ST-%' ORDER BY external_no"
        )
    ).all()
    assert [tuple(r) for r in stored] == [
        ("ST-1", "safety_hazard", "waterlogging"),
        ("ST-2", "safety_hazard", "power_line"),
        ("ST-3", "safety_hazard", "power_outage"),
        ("ST-4", "safety_hazard", "missing_person"),
        ("ST-5", "safety_hazard", "power_outage"),
    ]
