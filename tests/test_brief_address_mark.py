"""The brief's case lists say 地址与位置不符 as the 调度台 does (trial BA m7).

Order YN12345-202612010004 had the address 「华宁县盘溪镇竹铺村委会大寨组」 but a point in 宁州街道;
the 调度台 marked it 地址与位置不符, while the brief's 超期案件 listed it under 宁州街道 with no
note. Now each list's 所在单位 carries the mark, read as the desk reads it
(:func:`layers.address_townships.for_cases`: the last import that found it, while the address and
the area are still those). The mark is written here as an import writes it, on a case registered
through the API.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from tests.api_fixtures import COUNTY_A, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
ADDRESS = "测试县乙镇竹铺村大寨组"


def test_the_briefs_lists_mark_an_address_naming_another_township(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    database: SuiteDatabase,
    made: list[int],
) -> None:
    county = auth_headers("cmd_a")
    answer = api_client.post(
        "/api/cases",
        json={
            "channel": "hotline_12345",
            "category": "dispute",
            "subcategory": "consumer",
            "title": "地址核对测试：过期牛奶",
            "area_code": VILLAGES[0],
            "address": ADDRESS,
        },
        headers=county,
    )
    assert answer.status_code == 201, answer.text
    case = answer.json()
    made.append(case["id"])
    with database.owner.begin() as conn:
        area = conn.execute(
            text("SELECT area_code FROM cases WHERE id = :i"), {"i": case["id"]}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO case_events (case_id, area_code, actor_name, action, payload)"
                " VALUES (:i, :a, '数据导入', 'import', CAST(:p AS jsonb))"
            ),
            {
                "i": case["id"],
                "a": area,
                "p": json.dumps(
                    {
                        "address_elsewhere": {
                            "named": "乙镇",
                            "placed": "甲一街道测试村1",
                            "address": ADDRESS,
                            "area_code": area,
                        }
                    }
                ),
            },
        )
    brief = api_client.get(f"/api/command/{COUNTY_A}/brief.xlsx?days=1", headers=county)
    assert brief.status_code == 200, brief.text
    book = load_workbook(io.BytesIO(brief.content), read_only=True)
    sheet: list[Any] = [list(r) for r in book["新登记案件"].iter_rows(values_only=True)]
    row = next(dict(zip(sheet[0], r, strict=True)) for r in sheet[1:] if r[0] == case["code"])
    assert row["所在单位"].endswith("（地址与位置不符：地址写乙镇，点位在甲一街道测试村1）")
