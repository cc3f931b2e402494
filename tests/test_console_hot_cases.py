"""From a hot spot or an alert on the command view (指挥调度) to the cases behind it.

Against the served 华宁县 demo (``console_demo``), as the county's commander: an alert of a hot
cell says the same figures as the cell's popup, with the same labels (置信度 by the Gi* class,
本格案件数 and 本格及相邻格案件数, the latter the title's 「一带 N 起」); 定位 outlines the cell it
zooms to; 查看案件, from the popup or from the alert, lists the cases those figures count, each
linking to its case page, without the reporters' names; 仅本格 narrows the list to the cell's own
count. An analyst sees no 查看案件 and the API refuses them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login

COUNTY = "530424000000"
CONFIDENCE = {3: "99%", 2: "95%", 1: "90%"}


def _open_county(page: RecordedPage, demo: ConsoleDemo, role: str = "commander") -> str:
    scope = COUNTY if role == "commander" else None
    login(page, demo.origin, demo.username(role, scope), next_path=f"/console/{COUNTY}")
    page.wait_for_url(f"**/console/{COUNTY}")
    page.wait_for_function("window.zzReady === true")
    return demo.origin


def _alert_of_a_hot_cell(page: RecordedPage) -> dict[str, Any]:
    """An alert of a hot cell of the latest run whose own count differs from its title's."""
    feed = page.evaluate(f"zz.api('/api/command/{COUNTY}')")
    alerts = [
        a
        for a in feed["alerts"]
        if a["cell"]
        and not a["faded"]
        and a["cell"]["bin"] > 0
        and a["cell"]["own"] != a["cell"]["around"]
    ]
    assert alerts, "the demo has hot cells hot through their neighbours"
    alert: dict[str, Any] = alerts[0]
    return alert


def _alert_item(page: RecordedPage, alert_id: int) -> Locator:
    """The alert's line in 风险预警, its village's group opened if it stands in one."""
    page.locator(".zz-tab[data-pane=alerts]").click()
    item = page.locator(f"#zz-alerts li.zz-alert[data-alert-id='{alert_id}']")
    expect(item).to_be_attached()
    group = page.locator("#zz-alerts li.zz-alert-group").filter(
        has=page.locator(f"li.zz-alert[data-alert-id='{alert_id}']")
    )
    if group.count():
        group.locator("summary").click()
    expect(item).to_be_visible()
    return item


def _popup_rows(page: RecordedPage) -> dict[str, str]:
    popup = page.locator(".leaflet-popup-content")
    rows = popup.locator("tr").all()
    return {r.locator("th").inner_text(): r.locator("td").inner_text() for r in rows}


MARK_AND_CELL_JS = """(cellId) => {
    let cell = null;
    zzCommand.layers.hotspots.group.eachLayer((g) => g.eachLayer && g.eachLayer((l) => {
        if (l.feature && l.feature.id === cellId) cell = l;
    }));
    const marks = document.querySelectorAll('path.zz-cell-mark');
    if (!cell || marks.length !== 1) return null;
    const box = zzMap.getContainer().getBoundingClientRect();
    const b = cell.getBounds();
    const nw = zzMap.latLngToContainerPoint(b.getNorthWest());
    const se = zzMap.latLngToContainerPoint(b.getSouthEast());
    const r = marks[0].getBoundingClientRect();
    return {
        cell: [box.left + nw.x, box.top + nw.y, box.left + se.x, box.top + se.y],
        mark: [r.left, r.top, r.right, r.bottom],
        stroke: getComputedStyle(marks[0]).stroke,
    };
}"""


@pytest.mark.browser
def test_an_alert_and_its_cell_say_the_same_and_locate_marks_the_cell(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = _open_county(page, console_demo)
    alert = _alert_of_a_hot_cell(page)
    cell = alert["cell"]
    confidence = CONFIDENCE[cell["bin"]]
    item = _alert_item(page, alert["id"])
    # the title's 「一带 N 起」 is the 本格及相邻格 figure, and the line under it says so
    assert re.search(rf"一带 {cell['around']} 起案件", item.locator(".zz-alert-title").inner_text())
    # what its class means first (trial AF), then the cell's figures
    meaning = (alert["detail"] or "").split("；")[0]
    assert meaning.endswith("（按周判定）"), alert["detail"]
    # said once: the title has 「（按周判定）」, so the line under it does not say it again
    assert "（按周判定）" in item.locator(".zz-alert-title").inner_text()
    meaning = meaning.removesuffix("（按周判定）")
    expect(item.locator(".zz-alert-detail")).to_have_text(
        f"{meaning} · 置信度 {confidence} · 本格案件数 {cell['own']} 起 · "
        f"本格及相邻格案件数 {cell['around']} 起 · 热点得分 {cell['z']:.2f}"
    )
    page.screenshot_step("1-alert")

    item.click()  # 定位
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".zz-popup-title")).to_have_text(f"热点（置信度 {confidence}）")
    rows = _popup_rows(page)
    assert rows["本格案件数"] == f"{cell['own']} 起"
    assert rows["本格及相邻格案件数"] == f"{cell['around']} 起"
    assert rows["热点得分"] == f"{cell['z']:.2f}"
    # the cell located is outlined: one mark, drawn over exactly that cell
    shown = page.evaluate(MARK_AND_CELL_JS, alert["cell_id"])
    assert shown is not None, "定位 left no outline on the cell"
    assert all(abs(m - c) < 4 for m, c in zip(shown["mark"], shown["cell"], strict=True)), shown
    expect(page.locator("path.zz-cell-mark")).to_be_visible()
    page.screenshot_step("2-located-and-marked")

    # 查看案件 from the popup: the cases the figures count, each a link to its page
    popup.locator(".zz-cell-cases").click()
    dialog = page.locator("#zz-cell-cases")
    expect(dialog).to_be_visible()
    summary = dialog.locator("#zz-cell-cases-summary")
    expect(summary).to_contain_text(f"本格案件数 {cell['own']} 起")
    expect(summary).to_contain_text(f"本格及相邻格案件数 {cell['around']} 起")
    listed = dialog.locator("#zz-cell-cases-body tr")
    expect(listed).to_have_count(cell["around"])
    wheres = dialog.locator("#zz-cell-cases-body .zz-cell-where").all_inner_texts()
    assert wheres.count("本格") == cell["own"] and set(wheres) <= {"本格", "相邻格"}
    assert wheres == sorted(wheres, key=lambda w: w != "本格")  # the cell's own first
    ids = [int(i) for i in listed.evaluate_all("rows => rows.map(r => r.dataset.caseId)")]
    hrefs = dialog.locator("#zz-cell-cases-body a.zz-case-link").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert hrefs == [f"/cases/{i}" for i in ids]
    with console_demo.owner.connect() as conn:
        names = conn.execute(
            text(
                "SELECT reporter_name, reporter_phone FROM cases WHERE id = ANY(:ids)"
                " AND reporter_name IS NOT NULL"
            ),
            {"ids": ids},
        ).all()
    said = dialog.inner_text()
    assert names, "the demo's cases have reporters"
    assert not [n for n, p in names if n in said or (p and p in said)]
    assert not re.search(r"[A-Za-z]", said), said
    page.screenshot_step("3-cases-of-the-cell")

    dialog.locator("#zz-cell-cases-scope button[data-around='0']").click()  # 仅本格
    expect(listed).to_have_count(cell["own"])
    assert set(dialog.locator("#zz-cell-cases-body .zz-cell-where").all_inner_texts()) == {"本格"}

    first = dialog.locator("#zz-cell-cases-body a.zz-case-link").first
    case_id = first.evaluate("a => a.closest('tr').dataset.caseId")
    code = first.locator("xpath=following-sibling::div").inner_text().split(" · ")[0]
    first.click()
    page.wait_for_url(f"**/cases/{case_id}")
    expect(page.locator("#cz-code")).to_have_text(code)
    page.assert_clean(origin)


@pytest.mark.browser
def test_the_cases_of_an_alert_open_from_the_alert_and_not_for_an_analyst(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = _open_county(page, console_demo)
    alert = _alert_of_a_hot_cell(page)
    item = _alert_item(page, alert["id"])
    item.locator(".zz-alert-cases").click()
    dialog = page.locator("#zz-cell-cases")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#zz-cell-cases-title")).to_have_text(
        re.sub(r"[（(]\s*H3[^）)]*[）)]", "", alert["title"]).strip()
    )
    expect(dialog.locator("#zz-cell-cases-body tr")).to_have_count(alert["cell"]["around"])
    # opening the list neither located the alert nor signed for it
    expect(page.locator(".leaflet-popup-content")).to_have_count(0)
    dialog.locator("#zz-cell-cases-close").click()
    expect(dialog).to_be_hidden()
    page.assert_clean(origin)

    log_out(page)
    _open_county(page, console_demo, role="analyst")
    item = _alert_item(page, alert["id"])
    expect(item.locator(".zz-alert-cases")).to_have_count(0)
    item.click()
    expect(page.locator(".leaflet-popup-content .zz-popup-title")).to_contain_text("热点")
    expect(page.locator(".leaflet-popup-content .zz-cell-cases")).to_have_count(0)
    refused = page.evaluate(
        "(id) => fetch('/api/hotspots/cells/' + id + '/cases')"
        ".then(r => r.json().then(b => [r.status, JSON.stringify(b)]))",
        alert["cell_id"],
    )
    assert refused[0] == 403 and "研判分析员" in refused[1], refused
    page.assert_clean(origin, expected_errors=(r"status of 403",))


@pytest.mark.browser
def test_an_alert_of_a_cell_the_map_does_not_show_is_marked_where_it_was(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial Y: an alert of the county's run, the map showing a township's run of smaller cells,
    answered only 该预警的热点不在最新一次分析结果中."""
    origin = _open_county(page, console_demo)
    alert = _alert_of_a_hot_cell(page)
    item = _alert_item(page, alert["id"])
    removed = page.evaluate(
        """async (cellId) => {
            const entry = zzCommand.layers.hotspots;
            await entry.loading;  // the cells drawn once loaded, not drawn again after this
            let removed = 0;
            entry.group.eachLayer((g) => g.eachLayer && g.eachLayer((l) => {
                if (l.feature && l.feature.id === cellId) { g.removeLayer(l); removed += 1; }
            }));
            return removed;
        }""",
        alert["cell_id"],
    )  # as if the map showed another run
    assert removed == 1, "the alert's cell was drawn on the map before it was taken off"
    item.click()
    page.locator(".zz-toasts .alert", has_text="已标出其所在位置").wait_for()
    expect(page.locator("path.zz-cell-mark")).to_have_count(1)
    ring = alert["cell"]["ring"]
    lat = sum(p[0] for p in ring) / len(ring)
    lng = sum(p[1] for p in ring) / len(ring)
    assert page.evaluate(f"zzMap.getBounds().contains([{lat}, {lng}])")
    page.screenshot_step("marked-from-another-run")
    page.assert_clean(origin)
