"""The 数据导入 page gives a roster's workers 在岗 as ``--set 状态=在岗`` does (trial AV M3).

A county's first roster rarely has a 状态 column: its new workers were recorded 离岗 (never
dispatched), and the page told the clerk to add a column 状态 and fill 在岗 in every row, having
no way to give ``--set``. The 网格员 kind now has the box 本文件的网格员都记为在岗, which the job
passes to the command as ``--set 状态=在岗``; the dry run's advice names the box.

The API's side of it (the kinds that offer the box, each job's ``on_duty`` option and outcome) is
checked here too, on the page's login: it was a test of its own in ``tests/test_api_imports.py``
with its own dry run and import of the same roster.
"""

from __future__ import annotations

import csv
import secrets
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from layers.console_wording import ON_DUTY
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login

RUN_TIMEOUT = 120_000  # ms: the child process starts Python and imports the file
NAMES = ("付晓岚", "宁海波")


def _roster(folder: Path, grid: str, phones: list[str]) -> Path:
    """A township's roster of new workers with no 状态 column (UTF-8 with BOM)."""
    path = folder / "网格员补充.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "手机号", "所属网格"])
        writer.writerows([name, phone, grid] for name, phone in zip(NAMES, phones, strict=True))
    return path


def _statuses(demo: ConsoleDemo, phones: list[str]) -> list[str]:
    with demo.owner.connect() as conn:
        rows = conn.execute(
            text("SELECT status FROM workers WHERE phone = ANY(:p)"), {"p": phones}
        ).scalars()
        return sorted(str(status) for status in rows)


def _job(page: RecordedPage, job_id: str | None) -> Any:
    """The job as ``GET /api/imports/{id}`` gives it to the page's login."""
    assert job_id
    return page.evaluate("(id) => fetch('/api/imports/' + id).then((r) => r.json())", job_id)


@pytest.mark.browser
def test_a_dispatcher_imports_a_roster_on_duty_with_the_workers_box(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    demo = console_demo
    row = next(r for r in demo.report.logins if r.role == "dispatcher")
    grid = next(g.code for g in demo.data.territory.grids if g.code[:9] == row.scope_code[:9])
    phones = [f"137{secrets.randbelow(10**8):08d}" for _ in NAMES]
    path = _roster(tmp_path, grid, phones)

    login(page, demo.origin, row.username, next_path="/imports")
    page.wait_for_url(f"{demo.origin}/imports")
    kinds = page.evaluate("fetch('/api/imports/kinds').then((r) => r.json())")
    assert [k["kind"] for k in kinds["kinds"] if k["on_duty"]] == ["workers"]  # a roster's only
    box, field = page.locator("#im-on-duty"), page.locator("#im-on-duty-field")
    page.select_option("#im-kind", label="事件（案件）")
    expect(field).to_be_hidden()  # a roster's box only
    page.select_option("#im-kind", label="网格员")
    expect(field).to_be_visible()
    expect(field.locator("label")).to_have_text(ON_DUTY)
    expect(box).not_to_be_checked()
    page.set_input_files("#im-file", str(path))
    expect(page.locator("#im-dry-run")).to_be_checked()
    page.click("#im-submit")

    # the dry run's advice names the box, not a column to add to the file
    panel = page.locator("#im-job")
    expect(panel.locator("#im-job-state")).to_have_text("试运行通过", timeout=RUN_TIMEOUT)
    output = page.locator("#im-output")
    expect(output).to_contain_text(
        f"2 名新网格员未填在岗状态，记为离岗（不派单）；在岗的请在状态列填写在岗，或勾选“{ON_DUTY}”"
    )
    expect(output).not_to_contain_text("--set")
    expect(output).not_to_contain_text("每行都填")
    dry = _job(page, panel.get_attribute("data-id"))
    assert (dry["outcome"], dry["options"]["on_duty"]) == ("dry_ok", False)
    page.screenshot_step("1-advice")

    # 正式导入… with the box ticked: the workers are recorded 在岗
    panel.locator(".im-run").click()
    expect(page.locator("#im-form-title")).to_have_text("正式导入")
    expect(field).to_be_visible()
    box.check()
    page.click("#im-run-real")
    expect(panel.locator("#im-job-state")).to_have_text("已导入", timeout=RUN_TIMEOUT)
    expect(output).to_contain_text(f"勾选了“{ON_DUTY}”")
    expect(output).not_to_contain_text("未填在岗状态")
    real = _job(page, panel.get_attribute("data-id"))
    assert (real["outcome"], real["options"]["on_duty"]) == ("done", True)
    assert _statuses(demo, phones) == ["on_duty", "on_duty"]
    page.screenshot_step("2-on-duty")
    page.assert_clean(demo.origin)
