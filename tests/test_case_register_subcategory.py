"""Registration refuses a subcategory that is not of the case's category (trial AU m1).

``POST /api/cases`` with ``"subcategory": "wage_arrears"`` was answered 201 and the case page
read 矛盾纠纷 / wage_arrears; a triage already refused such a code. Registration now refuses it
as the triage does, naming the category's subcategories; a code of the table, or none, is kept.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from layers import cases
from layers.database import apply_scope
from layers.errors import InvalidInput
from tests.api_fixtures import VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase
from tests.workflow_data import NOW, actor, delete_cases, ensure_world, village

Headers = Callable[[str], dict[str, str]]
DISPUTE_KINDS = (
    "婚姻家庭、邻里纠纷、土地山林、劳资欠薪、物业管理、医疗纠纷、交通事故、征地拆迁、环境污染、"
    "消费维权、借贷合同、其他纠纷"
)


def test_the_layer_refuses_a_subcategory_of_no_table_or_another_category(db: Session) -> None:
    ensure_world(db)
    desk = actor()

    def register(category: str, subcategory: str | None) -> str | None:
        made = cases.register(
            db,
            actor=desk,
            channel="phone",
            category=category,
            subcategory=subcategory,
            title="劳资纠纷",
            reported_at=NOW,
            area_code=village(),
        )
        return made.case.subcategory

    with pytest.raises(InvalidInput) as unknown:
        register("dispute", "wage_arrears")
    assert str(unknown.value) == f"子类与类别“矛盾纠纷”不符，可选：{DISPUTE_KINDS}"
    with pytest.raises(InvalidInput, match="子类与类别“安全隐患”不符，可选：消防安全隐患"):
        register("safety_hazard", "labour_wages")  # a dispute's, not a hazard's
    assert register("dispute", "labour_wages") == "labour_wages"
    assert register("public_opinion", None) is None
    assert register("public_opinion", "") is None


def test_the_api_refuses_it_in_chinese(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, api_world: ApiWorld
) -> None:
    body = {"channel": "walk_in", "category": "dispute", "title": "工地拖欠工资"}
    body |= {"area_code": VILLAGES[0]}
    refused = api_client.post(
        "/api/cases", json=body | {"subcategory": "wage_arrears"}, headers=auth_headers("cmd_a")
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == f"子类与类别“矛盾纠纷”不符，可选：{DISPUTE_KINDS}"
    made = api_client.post(
        "/api/cases", json=body | {"subcategory": "labour_wages"}, headers=auth_headers("cmd_a")
    )
    assert made.status_code == 201, made.text
    assert made.json()["subcategory"] == "labour_wages"
    with database.owner.connect() as conn, conn.begin():
        session = Session(bind=conn)
        apply_scope(session, None)
        delete_cases(session, [made.json()["id"]])
        session.flush()
