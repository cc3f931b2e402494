"""The 数据导入 page leads back to the account's own page and on as the command page does.

A user trial found /imports with no way back to the 调度台 or 指挥调度 but the brand's link to
/: its breadcrumb now leads back as 案件详情's does (指挥调度 for a commander, 调度台 for a
dispatcher) and its top bar has the command page's 调度台, 研判分析 and 大屏模式 by role.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login

WAYS = ("#zz-dispatch-link", "#zz-trends-link", "#zz-screen-link")


def _scope(demo: ConsoleDemo, role: str) -> tuple[str, str]:
    """The first demo login of ``role``: username and scope code."""
    row = next(r for r in demo.report.logins if r.role == role)
    return row.username, row.scope_code


@pytest.mark.browser
def test_the_imports_page_leads_back_and_on_by_role(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    expected = {  # role: breadcrumb back, the top bar's ways on shown (the others hidden)
        "commander": (("指挥调度", "/console/"), ["调度台", "研判分析", "大屏模式"]),
        "dispatcher": (
            ("调度台", "/dispatch/"),
            ["研判分析", "大屏模式"],
        ),  # his desk: the way back
        "admin": (None, []),  # an administrator's own page, 账号管理, is in the top bar already
    }
    for role, (back, ways) in expected.items():
        username, code = _scope(console_demo, role)
        login(page, origin, username, next_path="/imports")
        page.wait_for_url(f"{origin}/imports")
        expect(page.locator("#zz-user")).not_to_be_empty()
        expect(page.locator("#zz-imports-link")).to_be_visible()
        if back is None:
            expect(page.locator("#zz-accounts-link")).to_be_visible()
            expect(page.locator("#im-back-item")).to_be_hidden()
        else:
            link = page.locator("#im-back")
            expect(link).to_be_visible()
            expect(link).to_have_text(back[0])
            expect(link).to_have_attribute("href", back[1] + code)
        shown = [page.locator(w) for w in WAYS if page.locator(w).is_visible()]
        assert [w.inner_text() for w in shown] == ways
        for way in shown:
            path = {"调度台": "/dispatch/", "研判分析": "/trends/", "大屏模式": "/screen/"}
            assert way.get_attribute("href") == path[way.inner_text()] + code
        page.screenshot_step(role)
        page.assert_clean(origin)
        log_out(page)
