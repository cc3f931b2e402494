"""The console's 数据导入 page (``/imports``): a clerk imports a file from the browser.

Township staff and command-centre clerks work in the console, not on the server: the page
uploads a file with the options of ``zongzhi import`` (试运行 ticked by default), follows the
job while it waits and runs, shows the command's own output and the files it wrote (the reject
report), and runs a kept upload again with its options changed (重新导入… or, after a dry run
that read the file, 正式导入…: the form prefilled, 重新试运行 or 正式导入; trial U N2). The top
bar links to it for the accounts that may import; the others see no link, and the page tells
them they may not.
The browser tests go the real path: a headless Chromium, the served demo county, the server's
runner and the ``zongzhi import`` child process, the rows checked in the database. What the
runner cannot be made to show at a given moment (a job running, one stopped after it wrote) is
a job row the test writes itself through ``layers.import_jobs`` and ends before it returns.

Trial U: each import says what it did (outcome badge, a line of counts, 导入编号; no exit code:
F1, F17); the real import of a run with rejected rows warns that nothing is imported without
有退回的行时仍导入其余有效行 (F2); 取消 asks first, and a stopped import says what the API says
(F9); a running import shows its output so far (F8); a kept upload can be deleted (F10); the form
remembers the last kind (F17).
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
from sqlalchemy.orm import Session

from api.import_runner import JobFiles
from layers import import_jobs
from layers.accounts import may_import
from layers.model import ImportJob, JobState, Role
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login
from web.app import PAGE_MODULES
from web.pages.imports import COMPLETE_NOTES

ROOT = Path(__file__).resolve().parents[1]
COMMON_JS = ROOT / "web" / "static" / "console" / "common.js"
KINDS = ("jurisdictions", "grids", "workers", "video", "cases", "persons", "visits")
CASE_HEADERS = ["工单编号", "来源渠道", "事件类型", "所属社区", "来电时间", "事件描述"]
RUN_TIMEOUT = 120_000  # ms: the child process starts Python and imports the file
LATIN = re.compile(r"[A-Za-z]+")
ROW_IDS = "rows => rows.map((r) => Number(r.dataset.id))"
PARTIAL_LABEL = "有退回的行时仍导入其余有效行"
IMPORT_ID = re.compile(r"导入编号 (\d+)$")


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
    # what a new centre imports first, and who imports the units (trial AD)
    assert "新中心先导入什么" in html and "由指挥中心值班员或管理员导入" in html
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


def _jobs_of_file(demo: ConsoleDemo, name: str) -> list[tuple[int, str | None]]:
    """The import jobs of an uploaded file (by its name), oldest first, with their 坐标系."""
    with demo.owner.connect() as conn:
        rows = conn.execute(
            text("SELECT id, options->>'crs' FROM import_jobs WHERE file_name = :n ORDER BY id"),
            {"n": name},
        ).all()
    return [(int(job), crs) for job, crs in rows]


def _call_time(demo: ConsoleDemo) -> str:
    return (demo.now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")


def _one_case_file(demo: ConsoleDemo, tmp_path: Path, name: str) -> tuple[str, str, Path]:
    """The first dispatcher, and a file of one case of theirs: login, 工单编号, path."""
    username, township = _dispatcher(demo)
    village, _ = _villages(demo, township)
    number = f"WEB-{uuid.uuid4().hex[:10]}"
    return username, number, _cases_csv(tmp_path, name, [(number, village)], _call_time(demo))


def _open_imports(page: RecordedPage, demo: ConsoleDemo, username: str) -> None:
    """Log ``username`` in on the 数据导入 page."""
    login(page, demo.origin, username, next_path="/imports")
    page.wait_for_url(f"{demo.origin}/imports")


def _choose_and_upload(page: RecordedPage, path: Path) -> None:
    page.select_option("#im-kind", label="事件（案件）")
    page.set_input_files("#im-file", str(path))
    expect(page.locator("#im-file-name")).to_contain_text(path.name)
    expect(page.locator("#im-dry-run")).to_be_checked()
    page.click("#im-submit")


@pytest.mark.browser
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
    expect(panel.locator("#im-job-counts")).to_have_text(
        "试运行，未写入：新增 1 · 更新 0 · 未变 0 · 退回 0"
    )
    expect(panel.locator("#im-job-facts")).not_to_contain_text("退出码")
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

    # 正式导入: the same file, the same options; 重新试运行 beside it
    run = panel.locator(".im-run")
    expect(run).to_have_text("正式导入…")
    run.click()
    expect(page.locator("#im-form-title")).to_have_text("正式导入")
    expect(page.locator("#im-dry-run")).to_be_hidden()  # the two buttons say which
    expect(page.locator("#im-submit")).to_have_text("重新试运行")
    expect(page.locator("#im-file-field")).to_be_hidden()
    expect(page.locator("#im-run-banner")).to_contain_text("12345工单.csv")
    page.click("#im-run-real")
    expect(panel).not_to_have_attribute("data-id", str(dry_id))
    expect(panel.locator("#im-job-state")).to_have_text("已导入", timeout=RUN_TIMEOUT)
    real_id = int(panel.get_attribute("data-id") or 0)
    counts = panel.locator("#im-job-counts")
    expect(counts).to_have_text(re.compile(r"^新增 1 · 更新 0 · 未变 0 · 退回 0 · 导入编号 \d+$"))
    assert _import_run_of(demo, _import_id(counts.inner_text())) == (1, 0)
    real_row = page.locator(f"#im-jobs tbody tr[data-id='{real_id}']")
    expect(real_row.locator("td.im-mode")).to_have_text(f"导入（按任务 {dry_id} 的试运行）")
    ids = page.locator("#im-jobs tbody tr").evaluate_all(ROW_IDS)
    assert ids.index(real_id) < ids.index(dry_id)  # newest first
    expect(page.locator("#im-form-title")).to_have_text("上传文件")  # the form uploads again
    expect(page.locator("#im-dry-run")).to_be_checked()
    expect(page.locator("#im-run-real")).to_be_hidden()
    expect(dry_row.locator(".im-run")).to_have_count(0)  # its upload moved to the real import
    assert _case_areas(demo, [number]) == {number: village}
    page.screenshot_step("3-imported")
    # what the import wrote: its cases in 调度台's 查找案件, by their readable codes
    import_id = _import_id(counts.inner_text())
    cases_link = panel.locator("#im-job-cases")
    expect(cases_link).to_have_text(f"在调度台查看本次导入的案件（导入编号 {import_id}）")
    cases_link.click()
    expect(page.locator("#dz-search-summary")).to_contain_text("找到 1 件")
    expect(page.locator("#dz-search-input")).to_have_value(f"导入编号 {import_id}")
    code = page.locator("#dz-search-list .dz-item-code")
    expect(code).to_have_text(re.compile(rf"^{village[:6]}-\d{{8}}-\d{{8}}"))
    page.screenshot_step("4-imported-cases")
    page.go_back()
    page.reload()  # the form starts on the kind chosen last
    expect(page.locator("#im-work")).to_be_visible()
    expect(page.locator("#im-kind")).to_have_value("cases")
    expect(page.locator("#im-history-field")).to_be_visible()
    page.assert_clean(origin)


@pytest.mark.browser
def test_a_refused_upload_is_run_again_with_another_option(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    """Trial U N2: a workbook of two data sheets is refused (exit 2); 重新导入 names the sheet."""
    import openpyxl

    demo = console_demo
    username, township = _dispatcher(demo)
    village, _ = _villages(demo, township)
    numbers = [f"WEB-{uuid.uuid4().hex[:10]}", f"WEB-{uuid.uuid4().hex[:10]}"]
    book = openpyxl.Workbook()
    sheets = [book.active, book.create_sheet("四月")]
    for sheet, number in zip(sheets, numbers, strict=True):
        assert sheet is not None
        sheet.append(CASE_HEADERS)
        sheet.append([number, "12345", "邻里纠纷", village, _call_time(demo), "楼上漏水"])
    path = tmp_path / "两个月工单.xlsx"
    book.save(path)

    _open_imports(page, demo, username)
    _choose_and_upload(page, path)
    panel = page.locator("#im-job")
    badge = panel.locator("#im-job-state")
    expect(badge).to_have_attribute("data-result", "refused", timeout=RUN_TIMEOUT)
    expect(page.locator("#im-output")).to_contain_text("有 2 个数据工作表")
    expect(panel.locator("#im-job-counts")).to_have_text("未写入任何数据")  # no 共 0 行 · 退回 0
    expect(panel.locator("#im-job-time")).to_contain_text("可调整选项后重新试运行或正式导入")
    refused_id = int(panel.get_attribute("data-id") or 0)
    run = panel.locator(".im-run")
    expect(run).to_have_text("重新导入…")
    run.click()
    expect(page.locator("#im-form-title")).to_have_text("重新导入")
    expect(page.locator("#im-submit")).to_have_text("重新试运行")
    expect(page.locator("#im-keep-mapping-field")).to_be_hidden()  # it came without one
    page.fill("#im-sheet", "四月")
    page.click("#im-submit")
    expect(panel).not_to_have_attribute("data-id", str(refused_id))
    expect(badge).to_have_text("试运行通过", timeout=RUN_TIMEOUT)
    expect(page.locator("#im-output")).to_contain_text("四月")
    expect(panel.locator(".im-run")).to_have_text("正式导入…")
    assert _case_areas(demo, numbers) == {}
    page.screenshot_step("run-again")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_a_projected_crs_is_chosen_by_its_epsg_number_an_unknown_one_refused_on_the_form(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    """坐标系 offers 投影坐标 with the EPSG number typed beside it (``--crs EPSG:4543``).

    Trial U N2: a mistyped EPSG number is said on the form (no job); 正式导入… brings the form
    back with the job's number and changes 坐标系. (Two tests once, each with its login and its
    dry run of the same file.)
    """
    demo = console_demo
    name = f"坐标系{uuid.uuid4().hex[:6]}.csv"
    username, number, path = _one_case_file(demo, tmp_path, name)
    _open_imports(page, demo, username)
    page.select_option("#im-kind", label="事件（案件）")
    page.set_input_files("#im-file", str(path))
    expect(page.locator("#im-epsg-field")).to_be_hidden()
    page.select_option("#im-crs", label="投影坐标（填写 EPSG 编号）")
    expect(page.locator("#im-epsg-field")).to_be_visible()
    page.fill("#im-epsg", "45x")
    page.click("#im-submit")
    expect(page.locator("#im-form-error")).to_have_text("请填写 4 至 5 位数字的 EPSG 编号，如 4543")
    page.fill("#im-epsg", "9999")
    page.click("#im-submit")
    expect(page.locator("#im-form-error")).to_contain_text("EPSG:9999 不是可用的坐标系")
    expect(page.locator("#im-submit")).to_be_enabled()
    assert _jobs_of_file(demo, name) == []  # refused before any job

    page.fill("#im-epsg", "4543")  # the file and the other options stay on the form
    page.click("#im-submit")
    expect(page.locator("#im-form-error")).to_be_hidden()
    panel = page.locator("#im-job")
    badge = panel.locator("#im-job-state")
    expect(badge).to_have_text("试运行通过", timeout=RUN_TIMEOUT)  # no points: any 坐标系 reads it
    first_id = int(panel.get_attribute("data-id") or 0)
    assert _jobs_of_file(demo, name) == [(first_id, "EPSG:4543")]

    run = panel.locator(".im-run")
    expect(run).to_have_text("正式导入…")
    run.click()
    expect(page.locator("#im-form-title")).to_have_text("正式导入")
    expect(page.locator("#im-run-banner")).to_contain_text(f"（任务 {first_id}）")
    expect(page.locator("#im-crs")).to_have_value("epsg")  # the job's own options
    expect(page.locator("#im-epsg")).to_have_value("4543")  # the form comes back with it
    expect(page.locator("#im-epsg-field")).to_be_visible()
    expect(page.locator("#im-dry-run")).to_be_hidden()
    expect(page.locator("#im-submit")).to_have_text("重新试运行")
    expect(page.locator("#im-run-real")).to_have_text("正式导入")
    page.screenshot_step("run-again-form")
    page.select_option("#im-crs", label="CGCS2000（国家2000坐标系）")
    expect(page.locator("#im-epsg-field")).to_be_hidden()
    page.click("#im-submit")
    expect(panel).not_to_have_attribute("data-id", str(first_id))
    expect(badge).to_have_text("试运行通过", timeout=RUN_TIMEOUT)
    dry_id = int(panel.get_attribute("data-id") or 0)
    with demo.owner.connect() as conn:
        options = conn.execute(
            text("SELECT options FROM import_jobs WHERE id = :id"), {"id": dry_id}
        ).scalar_one()
    assert (options["crs"], options["dry_run"]) == ("cgcs2000", True)
    first_row = page.locator(f"#im-jobs tbody tr[data-id='{first_id}']")
    expect(first_row.locator(".im-run")).to_have_count(0)  # its upload went to the new job
    expect(panel.locator(".im-run")).to_have_text("正式导入…")
    assert _case_areas(demo, [number]) == {}
    page.screenshot_step("run-again-crs")
    page.assert_clean(demo.origin, expected_errors=(r"status of 400 .*/api/imports\)",))


@pytest.mark.browser
def test_a_row_outside_the_township_is_reported_with_its_rejects_file(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    """A row of another township: its dry run, its refused and its partial real import.

    Then, on the same page (trial AD; a test of its own once, with its login), a file whose
    every row is rejected offers no 正式导入…, only 重新导入….
    """
    demo = console_demo
    origin = demo.origin
    username, township = _dispatcher(demo)
    village, elsewhere = _villages(demo, township)
    numbers = [f"WEB-{uuid.uuid4().hex[:10]}" for _ in range(3)]
    rows = [(numbers[0], village), (numbers[1], elsewhere)]
    when = _call_time(demo)
    path = _cases_csv(tmp_path, "跨镇工单.csv", rows, when)

    _open_imports(page, demo, username)
    expect(page.locator("#im-work")).to_be_visible()
    _choose_and_upload(page, path)
    panel = page.locator("#im-job")
    badge = panel.locator("#im-job-state")
    expect(badge).to_have_text("试运行：有退回的行", timeout=RUN_TIMEOUT)
    expect(badge).to_have_attribute("data-result", "dry_rejected")
    dry_id = int(panel.get_attribute("data-id") or 0)
    # the job's number is a 任务's, not the 导入编号 of what an import wrote (trial AB), and
    # named apart from it (trial AR m3: 第 3 号导入任务 beside 导入编号 8)
    expect(panel.locator("#im-job-title")).to_have_text(f"任务 {dry_id}")
    counts = panel.locator("#im-job-counts")
    expect(counts).to_have_text("试运行，未写入：新增 1 · 更新 0 · 未变 0 · 退回 1")
    # why, on the page: the reject digest's line (trial X saw only 退回 6)
    reasons = panel.locator("#im-job-reasons li")
    expect(reasons).to_have_count(1)
    expect(reasons.first).to_contain_text(re.compile(r"第 \d+ 行"))  # the row named
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

    # 正式导入 without 仍导入其余有效行: the form says that nothing would be imported
    panel.locator(".im-run").click()
    warning = page.locator("#im-run-warning")
    expect(warning).to_have_text(
        f"试运行有 1 行退回：正式导入时不勾选“{PARTIAL_LABEL}”将不导入任何数据"
    )
    page.check("#im-partial")
    expect(warning).to_be_hidden()
    page.uncheck("#im-partial")
    expect(warning).to_be_visible()
    page.screenshot_step("run-warning")
    page.click("#im-run-real")
    expect(panel).not_to_have_attribute("data-id", str(dry_id))
    expect(badge).to_have_attribute("data-result", "rejected", timeout=RUN_TIMEOUT)
    expect(badge).to_contain_text("未导入")
    refused_id = int(panel.get_attribute("data-id") or 0)
    expect(counts).to_have_text("未写入任何数据：共 2 行 · 退回 1")
    refused_row = page.locator(f"#im-jobs tbody tr[data-id='{refused_id}'] .im-outcome")
    expect(refused_row).to_have_attribute("data-result", "rejected")
    assert _case_areas(demo, numbers) == {}

    # the upload is kept: imported again (正式导入), the valid row only
    panel.locator(".im-run").click()
    expect(page.locator("#im-run-banner")).to_contain_text(f"（任务 {refused_id}）")
    expect(page.locator("#im-submit")).to_have_text("重新试运行")
    expect(page.locator("#im-run-real")).to_have_text("正式导入")
    expect(warning).to_have_text(
        f"上次导入有 1 行退回：正式导入时不勾选“{PARTIAL_LABEL}”将不导入任何数据"
    )
    page.check("#im-partial")
    page.click("#im-run-real")
    expect(panel).not_to_have_attribute("data-id", str(refused_id))
    expect(badge).to_have_text("部分导入", timeout=RUN_TIMEOUT)
    expect(badge).to_have_attribute("data-result", "partial")
    expect(counts).to_have_text(re.compile(r"^新增 1 · 更新 0 · 未变 0 · 退回 1 · 导入编号 \d+$"))
    assert _import_run_of(demo, _import_id(counts.inner_text())) == (1, 1)
    assert _case_areas(demo, numbers) == {numbers[0]: village}
    colours = page.locator("#im-jobs tbody .im-outcome").evaluate_all(
        "nodes => nodes.map((n) => [n.dataset.result, getComputedStyle(n).backgroundColor,"
        " getComputedStyle(n).color])"
    )
    by_result = {result: (back, fore) for result, back, fore in colours}
    assert {"dry_rejected", "rejected", "partial"} <= set(by_result)
    assert len({by_result[r] for r in ("dry_rejected", "rejected", "partial")}) == 3
    page.screenshot_step("partial")

    # trial AD: every row rejected, and the page still offered 正式导入…
    partial_id = panel.get_attribute("data-id") or ""
    _choose_and_upload(page, _cases_csv(tmp_path, "全是外镇.csv", [(numbers[2], elsewhere)], when))
    expect(panel).not_to_have_attribute("data-id", partial_id)
    expect(badge).to_have_text("试运行：有退回的行", timeout=RUN_TIMEOUT)
    expect(panel.locator(".im-run")).to_have_text("重新导入…")  # to fix and run again
    page.assert_clean(origin)


@pytest.mark.browser
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


def _import_id(counts: str) -> int:
    found = IMPORT_ID.search(counts)
    assert found is not None, counts
    return int(found.group(1))


def _import_run_of(demo: ConsoleDemo, import_id: int) -> tuple[int, int]:
    """Rows loaded and rejected of an import (``import_runs``), by the number the page shows."""
    with demo.owner.connect() as conn:
        row = conn.execute(
            text("SELECT rows_loaded, rows_rejected FROM import_runs WHERE id = :id"),
            {"id": import_id},
        ).one()
    return int(row[0]), int(row[1])


def _account_id(demo: ConsoleDemo, username: str) -> int:
    with demo.owner.connect() as conn:
        found = conn.execute(text("SELECT id FROM users WHERE username = :u"), {"u": username})
        return int(found.scalar_one())


def _job_of_test(
    session: Session,
    demo: ConsoleDemo,
    username: str,
    name: str,
    options: dict[str, object],
    kind: str = "cases",
) -> ImportJob:
    """A job of ``username``'s, made as the API makes one (queued until the caller commits)."""
    township = next(r.scope_code for r in demo.report.logins if r.username == username)
    return import_jobs.create(
        session,
        account_id=_account_id(demo, username),
        username=username,
        scope_code=township,
        kind=kind,
        file_name=name,
        file_sha256=uuid.uuid4().hex * 2,
        file_bytes=120,
        options={"crs": None, "sheet": None, "partial": True, "again": False, **options},
    )


def _end_job(session: Session, job: ImportJob, state: JobState, **values: object) -> None:
    session.execute(
        text(
            "UPDATE import_jobs SET state = :state, started_at = now(), finished_at = "
            "CASE WHEN :state = 'running' THEN NULL ELSE now() END WHERE id = :id"
        ),
        {"state": state.value, "id": job.id},
    )
    for name, value in values.items():
        setattr(job, name, value)
    session.flush()


@pytest.mark.browser
def test_a_running_import_shows_its_output_and_cancelling_asks_first(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    username, _ = _dispatcher(demo)
    steps = "导入事件（案件）：大批工单.csv\n读取并检查文件：50,000 行\n有效行写入暂存表 50,000 行"
    written = {
        "committed": True,
        "status": "partial",
        "import_id": 9017,
        "import_ids": [9017],
        "committed_at": "2026-11-20T16:13:05+08:00",
        "rows": 7,
        "inserted": 5,
        "updated": 0,
        "unchanged": 0,
        "rejected_rows": 2,
        "report": None,
        "finished": False,
    }
    with Session(demo.owner) as session:
        running = _job_of_test(session, demo, username, "大批工单.csv", {"dry_run": False})
        _end_job(session, running, JobState.RUNNING, output=steps)
        stopped = _job_of_test(session, demo, username, "已取消的工单.csv", {"dry_run": False})
        ending = import_jobs.ending_note(JobState.CANCELLED, written)
        _end_job(session, stopped, JobState.CANCELLED, output=steps + "\n" + ending)
        stopped.result = written
        session.commit()
        running_id, stopped_id = running.id, stopped.id
    try:
        _open_imports(page, demo, username)
        page.locator(f"#im-jobs tbody tr[data-id='{running_id}'] .im-view").click()
        panel = page.locator("#im-job")
        expect(panel).to_have_attribute("data-id", str(running_id))
        expect(panel.locator("#im-job-state")).to_have_attribute("data-result", "running")
        output = page.locator("#im-output")
        expect(output).to_contain_text("有效行写入暂存表 50,000 行")  # its steps while it runs
        assert output.get_attribute("data-empty") == "false"

        asked: list[str] = []

        def answer_no(dialog: object) -> None:
            asked.append(dialog.message)  # type: ignore[attr-defined]
            dialog.dismiss()  # type: ignore[attr-defined]

        page.once("dialog", answer_no)
        panel.locator(".im-cancel").click()
        expect(panel.locator(".im-cancel")).to_be_visible()
        assert asked == ["确定取消这次导入吗？"]
        assert not [url for url in page.requests if url.endswith("/cancel")]  # not cancelled
        page.screenshot_step("running")

        # stopped after its import had committed: the panel says what the API says
        page.locator(f"#im-jobs tbody tr[data-id='{stopped_id}'] .im-view").click()
        expect(panel).to_have_attribute("data-id", str(stopped_id))
        expect(panel.locator("#im-job-time")).to_contain_text(ending)
        expect(panel.locator("#im-job-time")).not_to_contain_text("未写入任何数据")
        expect(panel.locator("#im-job-state")).to_have_attribute("data-result", "partial")
        expect(panel.locator("#im-job-counts")).to_have_text(
            "新增 5 · 更新 0 · 未变 0 · 退回 2 · 导入编号 9017"
        )
        page.screenshot_step("cancelled-after-commit")
        page.assert_clean(demo.origin)
    finally:
        with Session(demo.owner) as session:
            job = session.get(ImportJob, running_id)
            assert job is not None
            _end_job(session, job, JobState.INTERRUPTED)
            session.commit()


@pytest.mark.browser
def test_a_kept_upload_can_be_deleted_from_the_panel(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    username, _ = _dispatcher(demo)
    with Session(demo.owner) as session:
        dry = _job_of_test(session, demo, username, "只想核对的名单.csv", {"dry_run": True})
        _end_job(session, dry, JobState.FINISHED, exit_code=0, upload_kept=True, output="试运行")
        dry.result = {
            "committed": False,
            "status": "loaded",
            "rows": 1,
            "inserted": 1,
            "updated": 0,
            "unchanged": 0,
            "rejected_rows": 0,
        }
        session.commit()
        dry_id = dry.id
        upload = JobFiles.of(demo.settings).make_folder(dry_id) / dry.file_name
    upload.write_text("工单编号\n1\n", encoding="utf-8")

    _open_imports(page, demo, username)
    page.locator(f"#im-jobs tbody tr[data-id='{dry_id}'] .im-view").click()
    panel = page.locator("#im-job")
    expect(panel).to_have_attribute("data-id", str(dry_id))
    expect(panel.locator("#im-job-time")).to_contain_text("上传的文件保留 24 小时")
    page.once("dialog", lambda dialog: dialog.accept())
    panel.locator(".im-drop").click()
    expect(panel.locator(".im-drop")).to_have_count(0)
    expect(panel.locator(".im-run")).to_have_count(0)
    expect(panel.locator("#im-job-time")).to_contain_text("上传的文件已删除")
    assert not upload.exists()
    page.screenshot_step("upload-deleted")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_a_dry_run_that_would_retire_cameras_says_so_and_names_its_files(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """The retirements among the updated, that they wait for 确认, what each file is."""
    demo = console_demo
    username, _ = _dispatcher(demo)
    name = "本月点位.csv"
    with Session(demo.owner) as session:
        dry = _job_of_test(session, demo, username, name, {"dry_run": True}, kind="video")
        _end_job(session, dry, JobState.FINISHED, exit_code=1, output="试运行")
        counts = {"rows": 2, "inserted": 0, "updated": 345, "unchanged": 2, "rejected_rows": 0}
        dry.result = {
            "committed": False,
            "status": "dry-run",
            **counts,
            "ended": 345,
            "held_back": True,
        }
        session.commit()
        dry_id = dry.id
    folder = JobFiles.of(demo.settings).make_folder(dry_id)
    (folder / "本月点位.完整列表.试运行.csv").write_text("说明,项目\n", encoding="utf-8")

    _open_imports(page, demo, username)
    page.locator(f"#im-jobs tbody tr[data-id='{dry_id}'] .im-view").click()
    panel = page.locator("#im-job")
    expect(panel.locator("#im-job-state")).to_have_text("试运行：撤销须确认")
    expect(panel.locator("#im-job-counts")).to_have_text(
        "试运行，未写入：新增 0 · 更新 345（其中将撤销视频点位 345 个） · 未变 2 · 退回 0"
        "；撤销须勾选“确认重新导入旧文件”确认后才执行"
    )
    expect(panel.locator("#im-job-file-list li")).to_have_text(
        re.compile(r"^试运行的完整列表（摘要中未列全的各项）：本月点位\.完整列表\.试运行\.csv（")
    )
    page.screenshot_step("dry-run-retires")
    page.assert_clean(demo.origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_a_dry_run_with_a_mapping_its_row_at_1366_and_1440_px_and_the_commander_follows_it(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    """One dispatcher's dry run with a 列对照文件, its row at two widths, in the commander's list.

    F4: a file whose type column has a header of its own is read with the 列对照文件 that goes
    with the upload. Trial AD at 1366 px: file names wrapped a character a line, the row's
    重新导入 under the panel. Trial AR m4 at 1440 px: 2026-12- / 06 / 13:18:48 on three lines,
    事件（案 / 件） on two. Trial U F15: 督导 — the dispatcher's import in the county commander's
    read-only list. (Four tests once, each with its login, its upload and its child process.)
    """
    demo = console_demo
    username, township = _dispatcher(demo)
    village, _ = _villages(demo, township)
    number = f"WEB-{uuid.uuid4().hex[:10]}"
    name = f"宁州街道2026年11月12345热线工单导出（含已办结工单）{uuid.uuid4().hex[:6]}.csv"
    path = _cases_csv(tmp_path, name, [(number, village)], _call_time(demo))
    path.write_text(path.read_text(encoding="utf-8-sig").replace("事件类型", "本所分类"), "utf-8")
    mapping = tmp_path / "列对照.json"
    mapping.write_text('{"事件类型": "本所分类"}', encoding="utf-8")
    _open_imports(page, demo, username)
    expect(page.locator("#im-mapping-field")).to_be_visible()
    assert page.latin_words("#im-mapping-field", allowed=("TOML", "JSON")) == []
    page.select_option("#im-kind", label="事件（案件）")
    page.set_input_files("#im-file", str(path))
    expect(page.locator("#im-file-name")).to_contain_text(path.name)
    page.set_input_files("#im-mapping", str(mapping))
    expect(page.locator("#im-mapping-name")).to_contain_text("列对照.json")
    expect(page.locator("#im-dry-run")).to_be_checked()
    page.click("#im-submit")
    panel = page.locator("#im-job")
    expect(panel.locator("#im-job-state")).to_have_text("试运行通过", timeout=RUN_TIMEOUT)
    expect(page.locator("#im-output")).to_contain_text("事件类型 ← 本所分类")
    expect(page.locator("#im-mapping-name")).to_have_text(
        "未选择（可不选）"
    )  # not kept for the next
    page.screenshot_step("mapping")
    expect(page.locator("#im-supervised")).to_be_hidden()  # a dispatcher supervises nobody
    row = page.locator(f"#im-jobs tbody tr[data-id='{panel.get_attribute('data-id')}']")
    expect(row.locator(".im-run")).to_have_text("正式导入…")
    row.locator(".im-run").scroll_into_view_if_needed()
    row.locator(".im-run").click(trial=True, timeout=5000)  # it takes the click: nothing over it
    # the list fits its column: no button cut off at its edge (trial AF)
    fits = page.evaluate(
        "(() => { const b = document.querySelector('#im-list .card-body');"
        " const widths = Array.from(b.querySelectorAll('tbody tr:first-child td'),"
        " (td) => td.className + ':' + Math.round(td.getBoundingClientRect().width));"
        " return [b.scrollWidth, b.clientWidth, widths]; })()"
    )
    assert fits[0] <= fits[1] + 1, f"the list scrolls sideways at 1366 px: {fits}"
    name_cell = row.locator("td.im-name").bounding_box()
    assert name_cell is not None and name_cell["width"] >= 8 * 12, name_cell  # 8rem at least

    # the same row on a 1440 px screen: the day over the time, the kind on one line
    page.set_viewport_size({"width": 1440, "height": 900})
    assert page.evaluate("window.innerWidth") == 1440
    lines = row.evaluate(
        "(tr) => ['td.im-time', 'td.im-type'].map((css) => {"
        " const range = document.createRange(); range.selectNodeContents(tr.querySelector(css));"
        " return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size; })"
    )
    assert lines == [2, 1], lines  # the day over the time; the kind on one line
    expect(row.locator("td.im-time")).to_have_text(
        re.compile(r"^\d{4}-\d{2}-\d{2}\d{2}:\d{2}:\d{2}$")
    )
    page.assert_clean(demo.origin)

    commander = next(
        login_row
        for login_row in demo.report.logins
        if login_row.role == "commander"
        and login_row.scope_code.endswith("000000")
        and not login_row.scope_code.endswith("00000000")
    )
    log_out(page)
    _open_imports(page, demo, commander.username)
    listed = page.locator("#im-supervised-jobs tbody tr").filter(has_text=path.name)
    expect(listed).to_have_count(1)
    expect(listed.locator("td.im-by")).to_have_text(username)
    expect(listed.locator(".im-outcome")).to_have_text("试运行通过")  # not 试运行：试运行通过
    listed.click()
    expect(page.locator("#im-supervised-output")).to_contain_text(path.name)
    expect(page.locator("#im-supervised-title")).to_contain_text(username)
    page.screenshot_step("supervised")
    page.assert_clean(demo.origin)
