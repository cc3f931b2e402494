"""The hotline's loose ends on the console (trial AX M4, m4, and the case page's 催办).

M4: an order whose 地址 names another township than the one its point lies in carries the mark
地址与位置不符 on the 调度台's queue and case panel and on the case page. m4: the department's
desk card named the case by its internal code only; the department and the hotline speak of the
12345 work-order number (工单号). And the case page listed no standing 催办, though the case's
API gave them and the desk's panel showed them.
"""

from __future__ import annotations

import secrets
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
from tests.test_console_dispatch import _act, _desk, _token
from tests.workflow_data import delete_cases

NOTE = "群众再次来电，请今天联系反映人"
TITLE = "工单号测试：工地拖欠工资"


@pytest.mark.browser
def test_an_order_placed_elsewhere_is_marked_its_reminders_listed_and_its_number_shown(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    county = demo.data.county_code.ljust(12, "0")
    with demo.owner.connect() as conn:
        here, other = (
            str(
                conn.execute(
                    text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": township}
                ).scalar_one()
            ),
            str(
                conn.execute(
                    text(
                        "SELECT name FROM jurisdictions WHERE level = 4 AND code LIKE :county"
                        " AND code <> :c ORDER BY code LIMIT 1"
                    ),
                    {"county": county[:6] + "%", "c": township},
                ).scalar_one()
            ),
        )
    number = "YN12345-BA6-" + secrets.token_hex(3).upper()
    reported = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=2)).strftime(
        "%Y-%m-%d %H:%M"
    )
    headers = ["工单编号", "诉求类型", "标题", "地址", "经度", "纬度", "来电时间"]
    place = [f"{other}新城社区朝阳路18号", f"{desk.spot.lon + 0.0007:.7f}", f"{desk.spot.lat:.7f}"]
    up = number + "-2"  # 上报'd to the county: in its command console's queue
    rows = [
        [number, "欠薪", TITLE, *place, reported],
        [up, "欠薪", TITLE + "（二）", *place, reported],
    ]
    path = tmp_path / "12345工单_地址核对.csv"
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    ids: list[int] = []
    try:
        with demo.owner.connect() as conn:  # the clerk's import finds it and says so
            options = ImportOptions(kind="cases", user="root", crs="cgcs2000")
            outcome = run_import(conn, path, options)
            assert outcome.committed, outcome.problems
            assert [p.rule for p in outcome.problems if "地址与位置不符" in p.rule], (
                outcome.problems
            )
            numbered = conn.execute(
                text("SELECT external_no, id FROM cases WHERE external_no LIKE :n"),
                {"n": number + "%"},
            ).all()
        by_number = {str(n): int(i) for n, i in numbered}
        ids += sorted(by_number.values())
        found, escalated = by_number[number], by_number[up]
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            me = _token(client, desk.dispatcher)
            case = client.get(f"/api/cases/{found}", headers=me).json()
            superior = _token(client, demo.username("commander", county))
            _act(client, superior, case["id"], "remind", NOTE)
            _act(client, me, escalated, "escalate", "涉及多个乡镇，请县级协调")
            sent_up = client.get(f"/api/cases/{escalated}", headers=me).json()["code"]
            read = client.get(f"/api/cases/{case['id']}", headers=me).json()
        mismatch = read["address_mismatch"]
        assert mismatch["named"] == other and mismatch["placed"].startswith(here), mismatch
        said = mismatch["text"] + "，请核对地址或点位"

        login(
            page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}?case={case['id']}"
        )
        expect(page.locator("#dz-case-code")).to_have_text(case["code"])
        expect(page.locator("#dz-case-address-mismatch")).to_have_text(said)
        page.click("[data-filter='all']")
        item = page.locator("#dz-queue-list .dz-case-item", has_text=case["code"])
        expect(item.locator(".dz-address-mark")).to_have_text("地址与位置不符")
        page.screenshot_step("1-desk-marked")

        page.goto(f"{demo.origin}/cases/{case['id']}")
        expect(page.locator("#cz-address-mismatch")).to_have_text(said)
        reminders = page.locator("#cz-reminders .cz-reminder")
        expect(reminders).to_have_count(1)
        expect(reminders.first).to_contain_text(f"催办：催办意见：{NOTE}；")
        expect(reminders.first).to_contain_text(" 催办")
        page.screenshot_step("2-case-page")

        # the county's command console: its queue (the feed) and its 24 hours' list
        login(page, demo.origin, demo.username("commander", county), next_path=f"/console/{county}")
        page.wait_for_url(f"**/console/{county}")
        queued = page.locator(f"#zz-queue-body tr[data-case-id='{escalated}']")
        expect(queued).to_contain_text(sent_up)
        expect(queued.locator(".zz-address-mark")).to_have_text("地址与位置不符")
        page.select_option("#zz-queue-scope", "recent")
        recent = page.locator(f"#zz-queue-body tr[data-case-id='{case['id']}']")
        expect(recent.locator(".zz-address-mark")).to_have_text("地址与位置不符")
        page.screenshot_step("3-county-console")

        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            me = _token(client, desk.dispatcher)
            _act(client, me, case["id"], "triage")
            version = client.get(f"/api/cases/{case['id']}", headers=me).json()["version"]
            sent = client.post(
                f"/api/cases/{case['id']}/dispatch",
                json={"department": "县人社局", "version": version},
                headers=me,
            )
            assert sent.status_code == 200, sent.text
        login(page, demo.origin, demo.username("department", demo.data.county_code))
        page.wait_for_url(f"**/desk/{demo.data.county_code}")
        page.wait_for_function("window.zzReady === true")
        card = page.locator("#dk-list-to_accept .dk-case", has_text=TITLE)
        expect(card.locator(".dk-meta")).to_contain_text(f"工单号 {number} · {case['code']}")
        expect(card.locator(".dk-address-mark")).to_have_text(said)
        page.screenshot_step("4-department-card")
        page.assert_clean(
            demo.origin, expected_errors=(r"status of 403 .*/api/(command|console)/",)
        )
    finally:
        with Session(demo.owner) as session, session.begin():
            if ids:
                delete_cases(session, ids)
            session.execute(text("DELETE FROM import_runs WHERE file_name = :f"), {"f": path.name})
