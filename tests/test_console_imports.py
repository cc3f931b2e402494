"""The console's 数据导入 page (``/imports``): a clerk imports a file from the browser.

Township staff and command-centre clerks work in the console, not on the server: the page
uploads a file with the options of ``zongzhi import`` (试运行 ticked by default), follows the
job while it waits and runs, shows the command's own output and the files it wrote (the reject
report), and imports a dry-run file for real with one click (正式导入). The top bar links to it
for the accounts that may import; the others see no link, and the page tells them they may not.
The browser tests go the real path: a headless Chromium, the served demo county, the server's
runner and the ``zongzhi import`` child process, the rows checked in the database.
"""
# ruff: noqa: F811

from __future__ import annotations

import csv
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import text

from layers.accounts import may_import
from layers.model import Role
from tests.api_fixtures import api_client, api_settings, api_world  # noqa: F401
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from web.app import PAGE_MODULES
from web.pages.imports import COMPLETE_NOTES

ROOT = Path(__file__).resolve().parents[1]
COMMON_JS = ROOT / "web" / "static" / "console" / "common.js"
KINDS = ("jurisdictions", "grids", "workers", "video", "cases", "persons", "visits")
CASE_HEADERS = ["工单编号", "来源渠道", "事件类型", "所属社区", "来电时间", "事件描述"]
RUN_TIMEOUT = 120_000  # ms: the child process starts Python and imports the file
LATIN = re.compile(r"[A-Za-z]+")
ROW_IDS = "rows => rows.map((r) => Number(r.dataset.id))"


# ---- page shell, link and roles (no browser) ---------------------------------------------------


def test_the_page_is_mounted_and_its_shell_is_chinese(api_client: TestClient) -> None:
    assert "web.pages.imports" in PAGE_MODULES
    page = api_client.get("/imports")
    assert page.status_code == 200
    html = page.text
    for element in ("im-form", "im-kind", "im-file", "im-dry-run", "im-jobs", "im-output"):
        assert f'id="{element}"' in html
    assert 'id="im-dry-run" checked' in html  # 试运行 by default
    assert "试运行：只检查，不写入" in html and "确认重新导入旧文件" in html
    assert "/static/console/imports.js" in html and "/static/console/imports.css" in html
    assert COMPLETE_NOTES["video"] in html  # the page's own settings


def test_every_console_page_has_the_import_link_hidden_until_the_api_says(
    api_client: TestClient,
) -> None:
    html = api_client.get("/audit").text
    assert re.search(r'<a [^>]*id="zz-imports-link" href="/imports" hidden>数据导入</a>', html)


def _import_roles_of_common_js() -> set[str]:
    source = COMMON_JS.read_text(encoding="utf-8")
    found = re.search(r"const IMPORT_ROLES = \[([^\]]*)\]", source)
    assert found is not None
    return set(re.findall(r'"([a-z_]+)"', found.group(1)))


def test_the_roles_that_ask_for_the_link_are_those_that_may_import() -> None:
    """The top bar asks ``/api/imports/kinds`` only for roles that may import some kind."""
    scopes = ("530000000000", "530400000000", "530424000000", "530424100000")
    may = {
        role.value
        for role in Role
        if any(may_import(role.value, scope, kind) for scope in scopes for kind in KINDS)
    }
    assert _import_roles_of_common_js() == may


# ---- headless Chromium against the demo county -------------------------------------------------


def _dispatcher(demo: ConsoleDemo) -> tuple[str, str]:
    """The first demo dispatcher: login and township code."""
    login_row = next(row for row in demo.report.logins if row.role == "dispatcher")
    return login_row.username, login_row.scope_code


def _villages(demo: ConsoleDemo, township: str) -> tuple[str, str]:
    """A village of ``township`` and one of another township of the county."""
    villages = demo.data.territory.villages
    inside = next(v.code for v in villages if v.parent_code == township)
    outside = next(v.code for v in villages if v.parent_code != township)
    return inside, outside


def _cases_csv(folder: Path, name: str, rows: list[tuple[str, str]], when: str) -> Path:
    """A CSV of cases (工单编号, village) as a 12345 hotline exports them (UTF-8 with BOM)."""
    path = folder / name
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CASE_HEADERS)
        for number, village in rows:
            writer.writerow([number, "12345", "邻里纠纷", village, when, "楼上漏水引发邻里纠纷"])
    return path


def _case_areas(demo: ConsoleDemo, numbers: list[str]) -> dict[str, str]:
    """Area of each of this test's cases (by its own 工单编号) in the console's database."""
    with demo.owner.connect() as conn:
        rows = conn.execute(
            text("SELECT external_no, area_code FROM cases WHERE external_no = ANY(:n)"),
            {"n": numbers},
        ).all()
    return {str(number): str(area) for number, area in rows}


def _call_time(demo: ConsoleDemo) -> str:
    return (demo.now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")


def _choose_and_upload(page: RecordedPage, path: Path) -> None:
    page.select_option("#im-kind", label="事件（案件）")
    page.set_input_files("#im-file", str(path))
    expect(page.locator("#im-file-name")).to_contain_text(path.name)
    expect(page.locator("#im-dry-run")).to_be_checked()
    page.click("#im-submit")


@pytest.mark.browser
@pytest.mark.xdist_group("console")
def test_a_dispatcher_dry_runs_then_imports_a_file_of_cases(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    demo = console_demo
    origin = demo.origin
    username, township = _dispatcher(demo)
    village, _ = _villages(demo, township)
    number = f"WEB-{uuid.uuid4().hex[:10]}"
    path = _cases_csv(tmp_path, "12345工单.csv", [(number, village)], _call_time(demo))

    login(page, origin, username)  # lands on the dispatch desk: the top bar links to the page
    link = page.locator("#zz-imports-link")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"{origin}/imports")
    expect(page.locator("#im-work")).to_be_visible()
    kinds = page.locator("#im-kind option").all_inner_texts()
    assert "事件（案件）" in kinds and "辖区" not in kinds  # a dispatcher imports no jurisdictions
    page.select_option("#im-kind", label="视频点位")  # --complete, said with its consequence
    expect(page.locator("#im-complete-field")).to_be_visible()
    expect(page.locator("#im-complete-note")).to_have_text(COMPLETE_NOTES["video"])
    expect(page.locator("#im-history-field")).to_be_hidden()
    page.select_option("#im-kind", label="事件（案件）")
    expect(page.locator("#im-history-field")).to_be_visible()  # --history: cases only
    expect(page.locator("#im-complete-field")).to_be_hidden()
    assert page.locator("#im-template").get_attribute("href") == "/api/imports/templates/cases"
    with page.expect_download() as template:
        page.click("#im-template")
    assert template.value.suggested_filename == "事件（案件）导入模板.xlsx"
    labels = page.locator("#im-form label, #im-form button, #im-form .card-header, #im-template")
    assert LATIN.findall(" ".join(labels.all_inner_texts())) == []
    assert page.latin_words("#im-jobs thead") == []
    page.screenshot_step("1-form")

    # 试运行: checked, nothing written
    _choose_and_upload(page, path)
    panel = page.locator("#im-job")
    expect(panel.locator("#im-job-state")).to_have_text("试运行通过", timeout=RUN_TIMEOUT)
    dry_id = int(panel.get_attribute("data-id") or 0)
    output = page.locator("#im-output")
    expect(output).to_contain_text("试运行")
    expect(output).to_contain_text("12345工单.csv")
    assert output.get_attribute("data-empty") == "false"
    dry_row = page.locator(f"#im-jobs tbody tr[data-id='{dry_id}']")
    expect(dry_row.locator("td.im-mode")).to_have_text("试运行")
    expect(dry_row.locator("td.im-result")).to_have_text("试运行通过")
    expect(dry_row.locator("td.im-name")).to_have_text("12345工单.csv")
    assert _case_areas(demo, [number]) == {}
    page.screenshot_step("2-dry-run")

    # 正式导入: the same file, the same options, 试运行 unticked
    panel.locator(".im-run").click()
    expect(page.locator("#im-form-title")).to_have_text("正式导入")
    expect(page.locator("#im-dry-run")).not_to_be_checked()
    expect(page.locator("#im-file-field")).to_be_hidden()
    expect(page.locator("#im-run-banner")).to_contain_text("12345工单.csv")
    page.click("#im-submit")
    expect(panel).not_to_have_attribute("data-id", str(dry_id))
    expect(panel.locator("#im-job-state")).to_have_text("已导入", timeout=RUN_TIMEOUT)
    real_id = int(panel.get_attribute("data-id") or 0)
    real_row = page.locator(f"#im-jobs tbody tr[data-id='{real_id}']")
    expect(real_row.locator("td.im-mode")).to_have_text(f"导入（按第 {dry_id} 号试运行）")
    ids = page.locator("#im-jobs tbody tr").evaluate_all(ROW_IDS)
    assert ids.index(real_id) < ids.index(dry_id)  # newest first
    expect(page.locator("#im-form-title")).to_have_text("上传文件")  # the form uploads again
    expect(page.locator("#im-dry-run")).to_be_checked()
    expect(dry_row.locator(".im-run")).to_have_count(0)  # its upload moved to the real import
    assert _case_areas(demo, [number]) == {number: village}
    page.screenshot_step("3-imported")
    page.assert_clean(origin)


@pytest.mark.browser
@pytest.mark.xdist_group("console")
def test_a_row_outside_the_township_is_reported_with_its_rejects_file(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    demo = console_demo
    origin = demo.origin
    username, township = _dispatcher(demo)
    village, elsewhere = _villages(demo, township)
    numbers = [f"WEB-{uuid.uuid4().hex[:10]}", f"WEB-{uuid.uuid4().hex[:10]}"]
    rows = [(numbers[0], village), (numbers[1], elsewhere)]
    path = _cases_csv(tmp_path, "跨镇工单.csv", rows, _call_time(demo))

    login(page, origin, username, next_path="/imports")
    page.wait_for_url(f"{origin}/imports")
    expect(page.locator("#im-work")).to_be_visible()
    _choose_and_upload(page, path)
    panel = page.locator("#im-job")
    expect(panel.locator("#im-job-state")).to_have_text("有退回的行", timeout=RUN_TIMEOUT)
    expect(page.locator("#im-output")).to_contain_text(elsewhere)
    report = page.locator("#im-job-file-list a.im-file-link").filter(has_text="rejects")
    expect(report).to_have_count(1)
    href = report.get_attribute("href") or ""
    assert href.startswith("/api/imports/") and "/files/" in href
    with page.expect_download() as download:
        report.click()
    assert download.value.suggested_filename.endswith(".rejects.xlsx")
    assert _case_areas(demo, numbers) == {}  # a dry run writes nothing
    page.screenshot_step("rejected")
    page.assert_clean(origin)


@pytest.mark.browser
@pytest.mark.xdist_group("console")
def test_a_grid_worker_has_no_link_and_may_not_import(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("grid_worker"))
    expect(page.locator("#zz-user")).not_to_be_empty()
    expect(page.locator("#zz-imports-link")).to_be_hidden()
    assert not [url for url in page.requests if "/api/imports" in url]  # not even asked
    page.goto(f"{origin}/imports")
    refused = page.locator("#im-refused")
    expect(refused).to_be_visible()
    expect(refused).to_have_text(
        "网格员账号不能导入数据；可以导入数据的岗位：系统管理员、指挥中心值班员、乡镇调度员。"
    )
    expect(page.locator("#im-work")).to_be_hidden()
    expect(page.locator("#zz-imports-link")).to_be_hidden()
    page.screenshot_step("refused")
    page.assert_clean(origin)
