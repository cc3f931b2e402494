"""Trial AL M7 in the console: 督导 lists an import run on the server as it lists a job.

A county supervisor expects every import listed with the same facts: kind, file, who, when,
the result (written, or refused and why in one line) and the counts. An import run by
``zongzhi import`` showed only 「导入 N 行」, and one refused whole was not listed at all.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from layers.database import apply_scope
from layers.import_runs import WrittenRows, finish_run, start_run
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.import_fixtures import refused_run


@pytest.mark.browser
def test_the_supervisor_reads_the_servers_imports_as_the_consoles(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    commander = next(
        row
        for row in demo.report.logins
        if row.role == "commander"
        and row.scope_code.endswith("000000")
        and not row.scope_code.endswith("00000000")
    )
    tag = uuid.uuid4().hex[:6]
    refused_name, loaded_name = f"点位{tag}（无法导入）.xlsx", f"点位{tag}.xlsx"
    with demo.owner.begin() as conn:
        apply_scope(conn, None)
        refused = refused_run(
            conn,
            kind="video",
            file_name=refused_name,
            user="county.root",
            refusal="缺少必填的列：国标编码",
            sha256="a" * 64,
            area_code=commander.scope_code,
        )
        loaded = start_run(
            conn,
            kind="video",
            file_name=loaded_name,
            sha256="b" * 64,
            source_crs="gcj02",
            user="county.root",
            rows_total=12,
            area_code=commander.scope_code,
        )
        finish_run(conn, loaded, loaded=11, rejected=1, written=WrittenRows(10, 1, 0))
    login(page, demo.origin, commander.username, next_path="/imports")
    page.wait_for_url(f"{demo.origin}/imports")
    rows = page.locator("#im-cli-runs tbody tr")
    not_written = rows.filter(has_text=refused_name)
    expect(not_written).to_have_count(1)
    expect(not_written).to_have_attribute("data-id", str(refused))
    expect(not_written.locator("td.im-by")).to_have_text("county.root")
    expect(not_written.locator("td.im-type")).to_have_text("视频点位")
    expect(not_written.locator(".im-outcome")).to_have_text("导入：无法导入")
    expect(not_written.locator(".im-why")).to_have_text("未写入任何数据：缺少必填的列：国标编码")
    expect(not_written.locator("td.im-counts")).to_have_text("未写入任何数据")
    written = rows.filter(has_text=loaded_name)
    expect(written.locator(".im-outcome")).to_have_text("导入：部分导入")
    expect(written.locator(".im-why")).to_have_count(0)
    expect(written.locator("td.im-counts")).to_have_text(
        re.compile(rf"^新增 10 · 更新 1 · 未变 0 · 退回 1 · 导入编号 {loaded}$")
    )
    # the same columns as the console's jobs above it
    heads = page.locator("#im-cli-runs thead th")
    expect(heads).to_have_count(page.locator("#im-supervised-jobs thead th").count())
    page.screenshot_step("command-line")
    page.assert_clean(demo.origin)
