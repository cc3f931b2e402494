"""Trial AM (city and province command centres) on the served 华宁县 demo, in the browser.

* M4, N1: the city's alert cards give 本格及相邻格案件数 (the number 查看案件 then lists), and their
  words wrap within the pane.
* M2, N9: a 督办 from the city is 新 on the county's page (tab badge, the list over the queue,
  the row's 新), its badge's tooltip gives the 督办意见 and who issued it; the toast says what
  was done (已督办（督办时限 …）).
* M6, N4, N5: the cards' tooltips say what 近期热点 counts, why 走访超期 is withheld, and that
  上报次数 includes this level's own.
* M5: a summary-only account's special-population layer: a legend of counts, a count per click.
* N6, N7: the layer panel starts folded up to 1366 px and on the big screen.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login

COUNTY = "530424000000"
CITY = "530400000000"
UNFOLD = "document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()"


def _open(page: RecordedPage, demo: ConsoleDemo, scope: str, view: str = "console") -> None:
    login(page, demo.origin, demo.username("commander", scope), next_path=f"/{view}/{scope}")
    page.wait_for_url(f"**/{view}/{scope}")
    page.wait_for_function("window.zzReady === true")


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_the_layer_panel_starts_folded_at_1366_and_the_city_reads_the_figures_its_cases_list(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """N6, then M4 and N1, on one city page at 1366×768 (one login and page load for both).

    The layer panel starts folded at 1366 and opens; the city's alert cards give 本格及相邻格案件数,
    the number 查看案件 then lists, their words wrapped within the pane.
    """
    _open(page, console_demo, CITY)
    fold = page.locator("#zz-layer-fold")
    expect(fold).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#zz-layer-body")).to_be_hidden()
    assert page.locator("#zz-layer-panel").bounding_box()["height"] < 60  # type: ignore[index]
    page.screenshot_step("1-folded-1366")
    fold.click()
    expect(page.locator("#zz-layer-body")).to_be_visible()
    expect(page.locator('[data-layer="persons"] input')).to_be_visible()
    page.assert_clean(console_demo.origin)
    fold.click()  # folded again, as the page opened, for what follows
    expect(page.locator("#zz-layer-body")).to_be_hidden()

    # M4, N1: the city's alert cards
    feed = page.evaluate(f"zz.api('/api/command/{CITY}')")
    hot = [a for a in feed["alerts"] if a["cell"] and not a["faded"]]
    assert hot and all(a["cell"]["around"] is not None for a in hot)  # 不予显示 no more
    page.locator(".zz-tab[data-pane=alerts]").click()
    pane = page.locator("#zz-alerts")
    expect(pane.locator("li.zz-alert").first).to_be_visible()
    expect(pane).not_to_contain_text("不予显示")
    alert = hot[0]
    item = pane.locator(f"li.zz-alert[data-alert-id='{alert['id']}']")
    group = pane.locator("li.zz-alert-group").filter(has=item)
    if group.count():
        group.locator("summary").click()
    expect(item.locator(".zz-alert-detail")).to_contain_text(
        f"本格及相邻格案件数 {alert['cell']['around']} 起"
    )
    # N1: no card runs past the pane's right edge
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('#zz-alerts li.zz-alert')]
            .filter((li) => li.offsetParent !== null)
            .map((li) => li.scrollWidth - li.clientWidth)"""
    )
    assert overflow and max(overflow) <= 1, overflow
    page.screenshot_step("1-city-alerts")
    item.locator(".zz-alert-cases").click()
    dialog = page.locator("#zz-cell-cases")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#zz-cell-cases-summary")).to_contain_text(
        f"本格及相邻格案件数 {alert['cell']['around']} 起"
    )
    page.assert_clean(console_demo.origin)


@pytest.mark.browser
def test_a_supervision_from_the_city_is_new_on_the_county_page(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    # the city's commander, straight on the county's page (not through the city's own first)
    login(
        page,
        console_demo.origin,
        console_demo.username("commander", CITY),
        next_path=f"/console/{COUNTY}",
    )
    page.wait_for_url(f"**/console/{COUNTY}")
    page.wait_for_function("window.zzReady === true")
    row = page.locator("#zz-queue-body tr:has(.zz-act[data-action=supervise])").first
    expect(row).to_be_visible()
    case_id = int(row.get_attribute("data-case-id") or 0)
    title = row.locator(".zz-case-link").inner_text()
    row.locator(".zz-act[data-action=supervise]").click()
    note = "请于12月10日前办结并报送办理结果（试验用）"
    page.fill("#zz-action-note", note)
    page.click("#zz-action-submit")
    # N9: the toast says what was done and until when, not 「督办成功」
    expect(page.locator("#zz-toasts .alert", has_text=title).last).to_have_text(
        re.compile(r"^已督办（督办时限 \d{4}-\d{2}-\d{2} \d{2}:\d{2}）：" + re.escape(title))
    )
    by = page.evaluate("zz.me()")["display_name"]
    # the city on the county's page reads that the county has not acted, not 本级 (trial AN N7)
    unit = page.evaluate("window.zzCommand.feed.unit.name")
    expect(page.locator("#zz-supervisions .zz-supervisions-title")).to_contain_text(
        f"上级督办后{unit}尚未处理"
    )
    log_out(page)

    _open(page, console_demo, COUNTY)
    badge = page.locator("#zz-supervision-count")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("新督办")
    listed = page.locator(f"#zz-supervisions li[data-case-id='{case_id}']")
    expect(listed).to_contain_text(title)
    expect(listed).to_contain_text(f"{by} ")
    expect(listed).to_contain_text(note)
    expect(page.locator("#zz-supervisions .zz-supervisions-title")).to_contain_text("本级尚未处理")
    row = page.locator(f"#zz-queue-body tr[data-case-id='{case_id}']")
    expect(row.locator(".zz-supervision-new")).to_have_text("新")
    tip = row.locator(".zz-supervised").get_attribute("title") or ""
    assert f"督办意见：{note}" in tip and f"督办：{by}（" in tip and "督办时限：" in tip, tip
    assert tip.startswith("新督办"), tip
    page.screenshot_step("1-county-new-supervision")
    page.assert_clean(console_demo.origin)


PERSON_HEXAGON_JS = """() => {
    const box = zzMap.getContainer().getBoundingClientRect();
    for (const path of document.querySelectorAll('.leaflet-zzPersonCounts-pane path')) {
        const r = path.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        const inside = x > box.left + 40 && x < box.right - 40;
        if (!inside || y < box.top + 40 || y > box.bottom - 40) continue;
        if (document.elementFromPoint(x, y) === path) return [x, y];
    }
    return null;
}"""


@pytest.mark.browser
def test_the_cards_say_what_they_count_and_the_city_reads_persons_as_counts_per_hexagon(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """M6, N4, N5, then M5, on one city page (one login and page load for both), then the county.

    The cards' tooltips say what 近期热点 counts, why 走访超期 is withheld, and that 上报次数
    includes this level's own; the city's special-population layer is a legend of counts and a
    count per click; the county reads its 走访超期 figure, nothing withheld to explain.
    """
    _open(page, console_demo, CITY)
    hot = page.locator(".zz-kpi[data-kpi=active_hotspots]")
    expect(hot.locator(".zz-kpi-label")).to_have_text("近期热点（按周）")
    expect(hot).to_have_attribute("title", re.compile(r"^统计的热点分析：\d{4}-\d{2}-\d{2} 至 "))
    expect(hot).to_have_attribute("title", re.compile("按周分期，六边形每个约 [\\d.]+ 平方公里"))
    expect(hot).to_have_attribute("title", re.compile("本期热点单元.*按月"))
    escalations = page.locator(".zz-kpi[data-kpi=escalations]")
    expect(escalations).to_have_attribute("title", re.compile("本级向上级上报"))
    visits = page.locator(".zz-kpi[data-kpi=overdue_visits]")
    if page.evaluate(f"zz.api('/api/command/{CITY}')")["unit"]["kpis"]["overdue_visits"] is None:
        expect(visits.locator(".zz-kpi-value")).to_have_text("—")
        expect(visits).to_have_attribute("title", re.compile("本级不显示此数：为保护个人信息"))
    else:  # trial AY M1: a total not small itself is given, the city's of its one county too
        expect(visits.locator(".zz-kpi-value")).to_have_text(re.compile(r"^\d+$"))

    # M5: a summary-only account's special-population layer
    page.evaluate(UNFOLD)
    page.locator('[data-layer="persons"] input').check()
    for other in ("cases", "video_points", "hotspots"):
        box = page.locator(f'[data-layer="{other}"] input')
        if box.count() and box.is_checked():
            box.uncheck()
    page.evaluate(UNFOLD.replace("false", "true"))  # fold it again: out of the map's way
    page.evaluate("zzMap.setView([24.30, 102.95], 13, {animate: false})")
    page.wait_for_function("zzCommand.layers.persons.mode === 'hexagons'")
    legend = page.locator("#zz-people-legend")
    expect(legend).to_contain_text("特殊人群人数（每格，少于 3 人不显示）")
    expect(legend).not_to_contain_text("姓名脱敏")  # no points are ever drawn for this account
    expect(legend).not_to_contain_text("放大后显示")
    page.wait_for_function(f"({PERSON_HEXAGON_JS})() !== null", timeout=30_000)
    x, y = page.evaluate(PERSON_HEXAGON_JS)
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("特殊人群")
    expect(popup.locator("td")).to_have_text(re.compile(r"^\d+ 人$"))
    n = int(popup.locator("td").inner_text().split()[0])
    assert n >= 3
    expect(popup).to_contain_text("本账号只能查看汇总数")
    page.screenshot_step("1-person-count-popup")
    assert page.url.endswith(f"/console/{CITY}")  # the click did not drill into the county
    page.assert_clean(console_demo.origin)
    log_out(page)
    _open(page, console_demo, COUNTY)  # the county reads its figure: nothing withheld to explain
    visits = page.locator(".zz-kpi[data-kpi=overdue_visits]")
    expect(visits.locator(".zz-kpi-value")).to_have_text(re.compile(r"^\d+$"))
    assert "不显示" not in (visits.get_attribute("title") or "")
    page.assert_clean(console_demo.origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(1920, 1080)
def test_the_layer_panel_is_open_at_1920_and_folded_on_the_big_screen(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    _open(page, console_demo, CITY)
    expect(page.locator("#zz-layer-fold")).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#zz-layer-body")).to_be_visible()
    page.goto(f"{console_demo.origin}/screen/{CITY}")
    page.wait_for_function("window.zzReady === true")
    expect(page.locator("#zz-layer-fold")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#zz-layer-body")).to_be_hidden()
    expect(page.locator("#zz-kpi-select")).to_be_hidden()
    page.assert_clean(console_demo.origin)
