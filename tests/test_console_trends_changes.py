"""The trends page's 变化对比 at 1366 x 768 (trial AO M1, m6): which villages got worse over the
last months, and in what, counted again here from the demo's cases."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from layers.trend_tables import kind_label
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, open_trends_as_analyst

CHINA = ZoneInfo("Asia/Shanghai")


def _month(index: int) -> datetime:
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=CHINA)


def _counted(
    demo: ConsoleDemo, county: str, months: int
) -> dict[str, dict[tuple[str, str], list[int]]]:
    """Each area's cases by type in the last ``months`` complete months and the months before."""
    today = datetime.now(UTC).astimezone(CHINA)
    end = today.year * 12 + today.month - 1  # this month's index: the last complete one before it
    start, mid, stop = _month(end - 2 * months), _month(end - months), _month(end)
    with demo.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT area_code, category, coalesce(subcategory, '') AS sub, reported_at"
                " FROM cases WHERE area_code LIKE :prefix AND duplicate_of IS NULL"
                " AND reported_at >= :s AND reported_at < :e"
            ),
            {"prefix": county[:6] + "%", "s": start, "e": stop},
        ).all()
    out: dict[str, dict[tuple[str, str], list[int]]] = {}
    for r in rows:
        kinds = out.setdefault(r.area_code, {})
        kinds.setdefault((r.category, r.sub), [0, 0])[0 if r.reported_at >= mid else 1] += 1
    return out


def _table(page: RecordedPage) -> list[dict[str, Any]]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('#changes-table tbody tr[data-code]'))
             .map((tr) => ({code: tr.dataset.code,
                            cells: Array.from(tr.cells).map((td) => td.innerText.trim())}))"""
    )


def _check(page: RecordedPage, counted: dict[str, dict[tuple[str, str], list[int]]]) -> None:
    """The rows: the exact counts of their village, the largest rise first, their rising types."""
    totals = {
        a: [sum(k[0] for k in v.values()), sum(k[1] for k in v.values())]
        for a, v in counted.items()
    }
    rows = _table(page)
    assert len(rows) == min(15, len(counted)) and rows
    rises = []
    for row in rows:
        recent, earlier = totals[row["code"]]
        assert row["cells"][1:3] == [str(recent), str(earlier)], row
        change = recent - earlier
        assert row["cells"][3].startswith(f"+{change}" if change > 0 else str(change)), row
        rises.append(change)
        labels = {kind_label(*k): v for k, v in counted[row["code"]].items()}
        for line in row["cells"][4].splitlines():
            if line == "—":
                continue
            said = re.fullmatch(r"(.+) (\S+)（前 (\S+)）", line)
            assert said, line
            label, now, before = said.groups()
            exact = labels[label]
            for shown, n in ((now, exact[0]), (before, exact[1])):
                assert shown == ("<3" if 0 < n < 3 else str(n)), (row, line)
            assert exact[0] > exact[1], (row, line)  # it rose
    assert rises == sorted(rises, reverse=True)
    assert rises[0] == max(r - e for r, e in totals.values())


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_the_villages_change_at_1366(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    _, county = open_trends_as_analyst(page, console_demo)
    page.locator("#changes-table").wait_for()
    expect(page.locator("#changes-range")).to_contain_text("近6个月：")
    _check(page, _counted(console_demo, county, 6))
    # the table fits the panel at 1366 px: nothing runs past its right edge
    fit = page.evaluate(
        """() => { const box = document.getElementById('table-changes');
             const side = document.querySelector('.zz-trends-side').getBoundingClientRect();
             const table = document.getElementById('changes-table').getBoundingClientRect();
             return [box.scrollWidth - box.clientWidth, table.right - side.right]; }"""
    )
    assert fit[0] <= 0 and fit[1] <= 0, fit
    page.locator("#changes-card").scroll_into_view_if_needed()
    page.screenshot_step("changes-6")
    # three months against the three before: the table and the export follow
    page.select_option("#change-months", "3")
    expect(page.locator("#changes-table thead")).to_contain_text("近3月")
    three = _counted(console_demo, county, 3)
    _check(page, three)
    if len(three) > 15:  # the rest on 显示全部, every village with a case in either stretch
        page.click("#changes-all")
        expect(page.locator("#changes-table tbody tr[data-code]")).to_have_count(len(three))
    assert "months=3" in (page.locator("#export-xlsx").get_attribute("href") or "")
    # 截止统计期 shows its whole choice (trial AO m6: 「最新（2026年第3季.」 at 1366 px)
    page.select_option("#granularity", "quarter")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    room = page.evaluate(
        """() => { const s = document.getElementById('period-end');
             const css = getComputedStyle(s);
             const ctx = document.createElement('canvas').getContext('2d');
             ctx.font = css.font;
             const needed = ctx.measureText(s.options[s.selectedIndex].text).width;
             const pad = parseFloat(css.paddingLeft) + parseFloat(css.paddingRight);
             const inner = s.clientWidth - pad;
             return [s.options[s.selectedIndex].text, inner - needed]; }"""
    )
    assert room[0].startswith("最新（") and room[0].endswith("季度）") and room[1] >= 0, room
