"""The 调度台 offers a 12345 order's 承办单位, and the timeline names an import 数据导入 (trial AX).

S4: the hotline platform had named the department (县人社局 …) and every order had to be sent
there again by hand. m1: the case timeline named the OS account that ran the import (``root``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.import_fixtures import csv_text
from tests.test_console_dispatch import _act, _demo_village, _token
from tests.workflow_data import delete_cases

LABOUR = "县人社局"  # the demo county's department account (importers.demo.staff)
UNKNOWN = "县某某服务中心"


@pytest.mark.browser
def test_the_desk_preselects_a_hotline_orders_department_and_the_timeline_says_import(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    demo = console_demo
    village = _demo_village(demo, 2)
    # a 县… 承办单位 keeps the order at the county's desk, which dispatches it (trial BA M1)
    township = village[:6] + "000000"
    dispatcher = demo.username("commander", township)
    reported = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=2)).strftime(
        "%Y-%m-%d %H:%M"
    )
    headers = ["工单编号", "事件类型", "标题", "所属社区", "登记时间", "承办单位", "办理时限"]
    rows = [
        [
            "AX1-S4-1",
            "邻里纠纷",
            "承办单位测试：排水沟堵塞",
            village,
            reported,
            LABOUR,
            "5个工作日",
        ],
        ["AX1-S4-2", "邻里纠纷", "承办单位测试：院墙纠纷", village, reported, UNKNOWN, "3天"],
    ]
    path = tmp_path / "12345工单_承办单位.csv"
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    ids: list[int] = []
    try:
        with demo.owner.connect() as conn:
            outcome = run_import(conn, path, ImportOptions(kind="cases", user="root"))
            assert outcome.committed, outcome.problems
            found = conn.execute(
                text("SELECT external_no, id FROM cases WHERE external_no LIKE 'AX1-S4-%'")
            ).all()
        by_number = {str(n): int(i) for n, i in found}
        ids = sorted(by_number.values())
        known, unknown = by_number["AX1-S4-1"], by_number["AX1-S4-2"]
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            me = _token(client, dispatcher)
            for case_id in ids:
                _act(client, me, case_id, "triage")
            offered = client.get(f"/api/departments?case={known}", headers=me).json()
        assert (offered["suggested"], offered["suggested_known"]) == (LABOUR, True)

        login(page, demo.origin, dispatcher, next_path=f"/dispatch/{township}?case={known}")
        expect(page.locator("#dz-state")).to_have_text("已分流")
        hint = page.locator("#dz-department-suggested")
        expect(hint).to_have_text(f"12345工单承办单位：{LABOUR}（已预先选中，可改选）")
        expect(page.locator("#dz-department")).to_have_value(LABOUR)
        page.locator("#dz-department-form").scroll_into_view_if_needed()
        page.screenshot_step("1-department-preselected")
        # an unknown 承办单位 is shown as text, and the form is not filled with it (nor kept
        # with the previous case's)
        page.goto(f"{demo.origin}/dispatch/{township}?case={unknown}")
        expect(hint).to_have_text(
            f"12345工单承办单位：{UNKNOWN}（本平台无此职能部门，请核对后选择或填写）"
        )
        expect(page.locator("#dz-department")).to_have_value("")
        assert page.latin_words("#dz-picks") == []

        page.goto(f"{demo.origin}/cases/{known}")
        timeline = page.locator("#cz-timeline tbody tr")
        expect(timeline.first).to_be_visible()
        first = [timeline.first.locator("td").nth(i).inner_text() for i in (1, 2, 4)]
        assert first[:2] == ["导入", "数据导入（root）"]
        # the 办结时限 the order came with, from the file's 办理时限 (trial BA M4)
        assert re.fullmatch(
            f"从文件导入；来源承办单位：{LABOUR}；"
            r"办结时限 \d{4}-\d\d-\d\d \d\d:\d\d（来源系统的办理时限）",
            first[2],
        ), first[2]
        page.assert_clean(demo.origin)
    finally:
        with Session(demo.owner) as session, session.begin():
            if ids:
                delete_cases(session, ids)
            session.execute(text("DELETE FROM import_runs WHERE file_name = :f"), {"f": path.name})
