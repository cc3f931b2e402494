"""The 数据导入 page's 导入范围 and the second confirmation of a large withdrawal (trial AR S1, M1).

A county commander chooses the 范围 by name, level by level (the county, a township, a
village): rows outside it are refused, and the job says the 范围 chosen. A grids file of one
grid, as the whole of its village, would withdraw the village's other grids: its dry run says
so (将撤销网格 N 个（占本范围 M 个的 …）), and its 正式导入 repeats the number beside a box that
must be ticked, or 正式导入 is refused in the form. Headless Chromium against the demo county;
the test imports nothing for real.
"""

from __future__ import annotations

import csv
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_imports import RUN_TIMEOUT, _call_time, _cases_csv

GRID_HEADERS = ["网格编码", "网格名称", "所属社区", "边界"]


def _county_commander(demo: ConsoleDemo) -> str:
    return demo.username("commander", demo.data.county_code)


def _names(demo: ConsoleDemo, codes: list[str]) -> dict[str, str]:
    with demo.owner.connect() as conn:
        rows = conn.execute(
            text("SELECT code, name FROM jurisdictions WHERE code = ANY(:c)"), {"c": codes}
        ).all()
    return {str(code): str(name) for code, name in rows}


def _village_with_grids(demo: ConsoleDemo) -> tuple[str, str, int, list[str]]:
    """A village with three grids or more: its code, township, grids in use, one grid's row."""
    with demo.owner.connect() as conn:
        village, count = conn.execute(
            text(
                "SELECT area_code, count(*) FROM grids WHERE retired_on IS NULL"
                " GROUP BY area_code HAVING count(*) >= 3 ORDER BY area_code LIMIT 1"
            )
        ).one()
        code, name, wkt = conn.execute(
            text(
                "SELECT code, name, ST_AsText(boundary) FROM grids WHERE area_code = :v"
                " AND retired_on IS NULL ORDER BY code LIMIT 1"
            ),
            {"v": village},
        ).one()
    return str(village), str(village)[:9] + "000", int(count), [code, name, village, wkt]


def _choose_area(page: RecordedPage, names: list[str]) -> None:
    """Choose the 导入范围 level by level, by name (a village opens no level below it)."""
    for depth, name in enumerate(names):
        pick = page.locator("#im-area-picks select").nth(depth)
        expect(pick.locator("option", has_text=name)).to_have_count(1)
        pick.select_option(label=name)
        expect(page.locator("#im-area-field")).to_have_attribute("data-code", pick.input_value())


@pytest.mark.browser
def test_a_county_clerk_confines_an_import_to_a_township_by_name_then_withdraws_grids(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    """Rows outside the township chosen are refused; then withdrawing most of a village's grids
    asks again with the number (:func:`_withdrawing_most_of_the_area_asks_again_with_the_number`).
    """
    demo = console_demo
    username = _county_commander(demo)
    villages = demo.data.territory.villages
    township = villages[0].parent_code
    inside = villages[0].code
    outside = next(v.code for v in villages if v.parent_code != township)
    town_name = _names(demo, [township])[township]
    numbers = [f"AREA-{uuid.uuid4().hex[:8]}-{n}" for n in (1, 2)]
    path = _cases_csv(
        tmp_path, "工单.csv", [(numbers[0], inside), (numbers[1], outside)], _call_time(demo)
    )
    login(page, demo.origin, username, next_path="/imports")
    page.wait_for_url(f"{demo.origin}/imports")
    first = page.locator("#im-area-picks select").first
    expect(first.locator("option").first).to_have_text(re.compile(r"^本辖区全部（华宁县）$"))
    _choose_area(page, [town_name])
    expect(page.locator("#im-area-picks select")).to_have_count(2)  # its villages to choose
    expect(page.locator("#im-area-hint")).to_contain_text(f"文件所属的辖区：{town_name}")
    page.select_option("#im-kind", label="事件（案件）")
    page.set_input_files("#im-file", str(path))
    page.click("#im-submit")
    panel = page.locator("#im-job")
    expect(panel.locator("#im-job-state")).to_have_text(re.compile("有退回"), timeout=RUN_TIMEOUT)
    expect(panel.locator("#im-job-counts")).to_contain_text("退回 1")
    expect(panel.locator("#im-job-facts")).to_contain_text(f"导入范围 {town_name}（{township}）")
    page.screenshot_step("area-dry-run")
    _withdrawing_most_of_the_area_asks_again_with_the_number(page, demo, tmp_path)


def _withdrawing_most_of_the_area_asks_again_with_the_number(
    page: RecordedPage, demo: ConsoleDemo, tmp_path: Path
) -> None:
    """The county commander, on the page of the test above: a grids file of one grid.

    A test of its own once, with its login and page load.
    """
    village, township, count, row = _village_with_grids(demo)
    names = _names(demo, [village, township])
    path = tmp_path / "一个网格.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([GRID_HEADERS, row])
    page.select_option("#im-kind", label="网格")
    _choose_area(page, [names[township], names[village]])
    page.check("#im-complete")
    page.set_input_files("#im-file", str(path))
    page.click("#im-submit")
    panel = page.locator("#im-job")
    expect(panel.locator("#im-job-state")).to_have_text(
        re.compile("撤销须确认"), timeout=RUN_TIMEOUT
    )
    dry_id = panel.get_attribute("data-id")
    share = f"将撤销网格 {count - 1} 个（占本范围 {count} 个的 {(count - 1) / count:.0%}）"
    output = page.locator("#im-output")
    expect(output).to_contain_text("将撤销网格")
    found = re.search(r"将撤销网格 \d+ 个（占本范围 \d+ 个的 \d+%）", output.inner_text())
    assert found is not None and found[0] == share, (found, share)

    panel.locator(".im-run").click()
    expect(page.locator("#im-form-title")).to_have_text("正式导入")
    held = page.locator("#im-held-field")
    expect(held).to_be_visible()
    expect(held).to_contain_text(f"确认撤销：{share}")
    expect(page.locator("#im-held-confirm")).not_to_be_checked()
    # the 范围 of the dry run: the county's select on the township, the township's on the village
    expect(page.locator("#im-area-field")).to_have_attribute("data-code", village)
    expect(page.locator("#im-area-picks select")).to_have_count(2)
    page.click("#im-run-real")  # not confirmed: refused in the form, nothing sent
    expect(page.locator("#im-form-error")).to_contain_text(f"正式导入前请确认：{share}")
    expect(panel).to_have_attribute("data-id", dry_id or "")
    with demo.owner.connect() as conn:
        jobs = conn.execute(
            text("SELECT count(*) FROM import_jobs WHERE follows_job_id = :d"),
            {"d": int(dry_id or 0)},
        ).scalar_one()
    assert jobs == 0
    page.screenshot_step("held-confirm")


@pytest.mark.browser
def test_the_provinces_administrator_of_one_county_starts_at_the_county(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """admin.530424's scope is 云南省, which holds 玉溪市 and 华宁县 only (trial BA m8)."""
    demo = console_demo
    county = demo.data.county_code.ljust(12, "0")
    province = county[:2].ljust(12, "0")
    login(page, demo.origin, demo.username("admin"), next_path="/imports")
    page.wait_for_url(f"{demo.origin}/imports")
    picks = page.locator("#im-area-picks select")
    expect(page.locator("#im-area-field")).to_have_attribute("data-code", county)
    expect(page.locator("#im-area-hint")).to_contain_text("文件所属的辖区：华宁县")
    expect(picks).to_have_count(3)  # 云南省 → 玉溪市 → 华宁县's townships
    # the province is still a choice above it
    picks.first.select_option(index=0)
    expect(page.locator("#im-area-field")).to_have_attribute("data-code", province)
    expect(picks).to_have_count(1)
