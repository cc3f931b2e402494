"""指挥调度's 部门考核: the county's commander reads each 承办部门's month, as the API counts it.

Trial BA S1: no per-department figures anywhere. The console's 部门考核 link (under 导出简报)
opens a table, one row a department, with the same figures as ``GET /api/figures/departments``
(and the brief's 部门办理情况), and a link to the month's brief. A case dispatched to a
department of its own is made through the API in the demo and removed afterwards.
"""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from layers.database import apply_scope
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk, _token
from tests.workflow_data import delete_cases

DEPARTMENT = "部门考核测试局"


@pytest.mark.browser
def test_the_county_reads_each_departments_month_as_the_api_counts_it(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    village = _desk(demo).village
    county = village[:6] + "000000"
    commander = demo.username("commander", county)
    made: list[int] = []
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        headers = _token(client, commander)
        try:
            answer = client.post(
                "/api/cases",
                json={
                    "channel": "hotline_12345",
                    "category": "dispute",
                    "subcategory": "labour_wages",
                    "title": "部门考核测试：工地欠薪",
                    "area_code": village,
                },
                headers=headers,
            )
            assert answer.status_code == 201, answer.text
            made.append(answer.json()["id"])
            for action, params in (("triage", {}), ("dispatch", {"department": DEPARTMENT})):
                version = client.get(f"/api/cases/{made[0]}", headers=headers).json()["version"]
                done = client.post(
                    f"/api/cases/{made[0]}/actions/{action}",
                    json={"version": version, "params": params},
                    headers=headers,
                )
                assert done.status_code == 200, done.text
            counted = client.get(
                "/api/figures/departments", params={"unit": county}, headers=headers
            ).json()
            login(page, demo.origin, commander, next_path=f"/console/{county}")
            page.wait_for_function("window.zzReady === true", timeout=60_000)

            # under 导出简报, in the layer panel that starts folded up to 1366 px wide
            page.evaluate("document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()")
            page.locator("#zz-dept-figures-open").click()
            expect(page.locator("#zz-dept-figures")).to_be_visible()
            mine = page.locator("#zz-dept-figures-body tr", has_text=DEPARTMENT)
            expect(mine).to_have_count(1)
            labels = [c["label"] for c in counted["columns"]]
            expect(page.locator("#zz-dept-figures-head th")).to_have_text(labels)
            # every row as the API counts it, then 合计
            shown = [
                [str(v) for v in row]
                for row in page.locator("#zz-dept-figures-body tr").evaluate_all(
                    "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
                )
            ]

            def cells(row: dict[str, object]) -> list[str]:
                share = row["satisfied_share"]
                return [
                    ("无" if share is None else f"{float(str(share)) * 100:.1f}%")
                    if c["key"] == "satisfied_share"
                    else str(row[c["key"]])
                    for c in counted["columns"]
                ]

            assert shown == [cells(r) for r in counted["rows"]] + [cells(counted["total"])]
            assert shown[-1][0] == "合计"
            expect(mine.locator("td[data-key=received]")).to_have_text("1")
            expect(page.locator("#zz-dept-figures-brief")).to_have_attribute(
                "href",
                f"/api/command/{county}/brief.xlsx?period=month&date="
                + counted["window"]["start"][:8]
                + "01",
            )
            page.screenshot_step("0-department-figures")
            assert page.latin_words() == []
            page.assert_clean(demo.origin)
        finally:
            with Session(demo.owner) as session, session.begin():
                apply_scope(session, None)
                delete_cases(session, made)
