"""The planners' trends page in a real browser, against the full demo county."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import h3
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser import RecordedPage, serve_directory
from tests.console_fixtures import ConsoleDemo, login

PATTERN_NAMES = ("新增热点", "连续热点", "加剧热点", "持续热点", "减弱热点", "零星热点", "振荡热点")
COLD_NAMES = ("新增冷点", "持续冷点", "历史冷点")


def _change(now: int, before: int) -> str:
    """A change as the page writes it: +12%, −3%, ±0%, or — when there was nothing before."""
    if before == 0:
        return "—"
    pct = math.floor((now - before) / before * 100 + 0.5)
    return f"{'+' if pct > 0 else '−' if pct < 0 else '±'}{abs(pct)}%"


@pytest.mark.browser
def test_analyst_trends_page(page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path) -> None:
    origin = console_demo.origin
    county = console_demo.data.county_code.ljust(12, "0")
    login(page, origin, console_demo.username("analyst"))
    page.wait_for_url(f"{origin}/trends/{county}")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)

    # the emerging hot spot legend, in Chinese
    legend = page.locator("#legend-patterns")
    text = legend.inner_text()
    for name in PATTERN_NAMES + ("历史热点", "无显著模式") + COLD_NAMES:
        assert name in text, name
    # a swatch for the classes the window's cells have; the others named in one line (trial AF)
    series = page.evaluate(f"zz.api('/api/trends/{county}')")
    present = {p["label"] for p in series["legend"]["patterns"] if p["cells"]} | {"无显著模式"}
    swatched = legend.locator(".zz-legend-item").all_inner_texts()
    assert {re.sub(r" \(\d+\)$", "", t) for t in swatched} == present, swatched
    assert len(present) < 17
    expect(page.locator("#legend-absent")).to_contain_text("本时段未出现：")
    assert page.locator("#zz-breadcrumbs").inner_text().strip().endswith("华宁县")
    page.screenshot_step("1-landed")

    # the kernel density overlay and the category / month chart are drawn
    overlay = page.locator("img.zz-kde-overlay")
    overlay.wait_for(state="attached")
    assert "/kde.png" in (overlay.get_attribute("src") or "")
    page.wait_for_function(
        "document.querySelector('img.zz-kde-overlay').complete"
        " && document.querySelector('img.zz-kde-overlay').naturalWidth > 0"
    )
    bars = page.locator("#category-svg rect")
    assert bars.count() > 24 * 3
    # the axis counts in four equal whole steps (a top of 250 read 63, 125, 188)
    ticks = [
        int(t) for t in page.locator('#category-svg text[text-anchor="end"]').all_text_contents()
    ]
    assert len(ticks) == 5 and ticks[1] > 0 and ticks == [k * ticks[1] for k in range(5)], ticks
    assert "矛盾纠纷" in page.locator("#chart-categories").inner_text()
    assert page.locator("#chart-subcategories svg").count() == 1
    page.wait_for_function("document.getElementById('uncovered-count').textContent !== ''")
    # a hot-spot count says what it counts: cells of the county's size
    hot_line = re.search(
        r"本期热点单元 \d+ 个（六边形，每个约 ([\d.]+) 平方公里）",
        page.locator("#period-range").inner_text(),
    )
    assert hot_line is not None
    series = page.evaluate(f"zz.api('/api/trends/{county}')")
    resolution = series["resolution"]
    # where hot spots emerge or fade, by place: each place's classes count its cells (trial AF)
    assert series["patterns_judged"] is True
    patterned = [c for c in series["cells"] if c["pattern"] != "no_pattern"]
    assert patterned, "the demo has emerging patterns"
    place = patterned[0]["area_name"]
    mine = [c for c in patterned if c["area_name"] == place]
    labels = {p["code"]: p["label"] for p in series["legend"]["patterns"]}
    first = mine[0]["pattern"]
    township = patterned[0]["township_name"]  # a village's township, said first (trial AG)
    assert township and all(c["township_name"] == township for c in mine)
    expect(page.locator("#table-patterns thead th").first).to_have_text("乡镇（街道）")
    row = page.locator("#table-patterns tbody tr").filter(
        has=page.locator("td.zz-place", has_text=re.compile(f"^{re.escape(place)}$"))
    )
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text(township)
    n = sum(c["pattern"] == first for c in mine)
    expect(row.locator("td").nth(2)).to_contain_text(f"{labels[first]} {n}")
    expect(page.locator("#patterns-basis")).to_have_text(
        f"按全部 {len(series['periods'])} 个月判定，单位为六边形单元数"
    )
    # a place's classes wrap inside the panel, none cut off at its right edge
    overflow = page.evaluate(
        "(() => { const box = document.getElementById('table-patterns');"
        " return box.scrollWidth - box.clientWidth; })()"
    )
    assert overflow <= 0, overflow
    km2 = float(hot_line[1])
    assert abs(km2 - h3.average_hexagon_area(resolution, "km^2")) / km2 < 0.05
    assert f"每个约 {hot_line[1]} 平方公里" in page.locator("#kpis").inner_text()
    # 本期热点单元 says what period it covers and how it differs from the command page's
    # 近期热点（按周）, whose tooltip says the same from its side (trial AM M6)
    last = series["periods"][-1]
    title = page.locator("#kpis .zz-kpi[data-kpi=hot_cells]").get_attribute("title") or ""
    assert title.startswith(f"本期（{last['label']}，{last['start']} 至 {last['end']}）单独判定")
    assert "按月分期" in title and "“近期热点（按周）”" in title and "按周分期" in title
    # the analyst reads neither a hexagon's small case count nor a small count of persons
    expect(page.locator("#suppression-note")).to_contain_text(
        "地图六边形单元的案件数和特殊人群人数小于3的不予显示"
    )
    # the period's cases against the month before (环比) and the same month a year before (同比)
    cases = [p["cases"] for p in series["periods"]]
    change = page.locator("#kpis .zz-kpi-change")
    assert (
        change.inner_text()
        == f"环比 {_change(cases[-1], cases[-2])} · 同比 {_change(cases[-1], cases[-13])}"
    )
    assert change.get_attribute("title") == (
        f"上期（{series['periods'][-2]['label']}）{cases[-2]} 件，"
        f"上年同期（{series['periods'][-13]['label']}）{cases[-13]} 件"
    )
    # 走访逾期人数 is marked (red) only when someone's visit is overdue (trial Y: a red 0)
    visits = page.locator("#kpis .zz-kpi", has_text="走访逾期人数")
    overdue = page.evaluate(f"zz.api('/api/trends/{county}/visits')")["overdue"]
    assert ("warn" in (visits.get_attribute("class") or "")) == bool(overdue)
    # 定位 marks the cell it locates: its circle's tooltip opens, its layer shown again if hidden
    page.uncheck("#layer-uncovered")
    first = page.locator("#table-uncovered tbody tr").first
    first.locator(".zz-locate").click()
    assert page.is_checked("#layer-uncovered")
    tooltip = page.locator(".leaflet-tooltip", has_text="无摄像机覆盖")
    assert tooltip.count() == 1
    assert first.locator("td").first.inner_text() in tooltip.inner_text()
    # a county's grids lie in several townships: each named; a list cut at 12 says so
    header = page.locator("#visits-table thead th").all_inner_texts()
    assert header == ["网格", "乡镇（街道）", "村（社区）", "列管", "逾期", "逾期率"]
    listed = page.evaluate(f"zz.api('/api/trends/{county}/visits')")
    rows = page.locator("#visits-table tbody tr")
    assert rows.count() == min(12, listed["grid_count"])
    assert rows.first.locator("td").nth(1).inner_text() == listed["grids"][0]["township_name"]
    assert listed["grid_count"] > 12  # the demo county's
    expect(page.locator("#visits-cut")).to_have_text(
        f"共 {listed['grid_count']} 个网格逾期不少于 3 人，上表列出逾期人数最多的 12 个；"
        "全部见「导出统计表」的「走访逾期」表"
    )
    expect(visits).to_contain_text("当前")  # today's, whatever the period shown
    page.locator("#visits-cut").scroll_into_view_if_needed()
    page.screenshot_step("2a-overdue-visits-table")
    # analysts never see a count below 3
    shown = page.eval_on_selector_all(
        "#visits-table tbody td:nth-child(4), #visits-table tbody td:nth-child(5)",
        "cells => cells.map(c => c.textContent)",
    )
    assert shown and not {"1", "2"} & set(shown)
    page.screenshot_step("2-overlay-and-charts")
    assert page.latin_words() == []  # every visible label is Chinese
    page.uncheck("#layer-bins")
    page.uncheck("#layer-patterns")
    page.screenshot_step("2b-density-only")
    page.check("#layer-visits")
    page.screenshot_step("2c-overdue-visits-by-grid")
    page.uncheck("#layer-visits")
    page.check("#layer-bins")
    page.check("#layer-patterns")

    # the time slider changes the period
    latest = page.locator("#period-label").inner_text()
    slider = page.locator("#period-slider")
    assert slider.get_attribute("max") == "23"
    slider.fill("11")
    page.wait_for_function(
        "(l) => document.getElementById('period-label').textContent !== l", arg=latest
    )
    earlier = page.locator("#period-label").inner_text()
    assert re.fullmatch(r"\d{4}年\d{1,2}月", earlier) and earlier != latest
    key = page.locator("#export-xlsx").get_attribute("href") or ""
    assert "period=" in key
    page.wait_for_function(
        "(k) => (document.querySelector('img.zz-kde-overlay') || {}).src"
        " && document.querySelector('img.zz-kde-overlay').src.includes(k)",
        arg=key.split("period=")[1],
    )
    page.screenshot_step("3-slider-moved")
    assert page.latin_words() == []  # every visible label is Chinese

    # the XLSX export of that period
    with page.expect_download() as info:
        page.click("#export-xlsx")
    xlsx = info.value.path()
    book = load_workbook(io.BytesIO(Path(xlsx).read_bytes()))
    assert book.sheetnames == [
        "概况",
        "热点及模式单元",
        "热点变化（按辖区）",
        "变化对比（近6个月）",
        "分类月度统计",
        "纠纷类型月度统计",
        "乡镇（街道）月度统计",
        "无覆盖热点",
        "走访逾期",
        "走访逐期统计",
        "重复反映",
        "部门办理情况",
    ]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True)}
    assert summary["统计期"].startswith(earlier)
    assert summary["分析单元"] == f"H3 第{resolution}级六边形，每个约 {hot_line[1]} 平方公里"
    assert "华宁县" in summary["辖区"]
    assert [c.value for c in book["走访逾期"][1]] == [
        "网格",
        "所属乡镇（街道）",
        "所属村（社区）",
        "列管人数",
        "逾期人数",
        "逾期比例",
    ]
    overdue_rows = [  # less the line of the townships' totals, as the 月总结 gives them
        r
        for r in book["走访逾期"].iter_rows(min_row=2, values_only=True)
        if not str(r[0]).startswith("各乡镇（街道）走访逾期人数")
    ]
    assert len(overdue_rows) == listed["grid_count"] + 2  # every grid, 合计, the note
    for row in overdue_rows[:-1]:
        assert row[3] not in (1, 2) and row[4] not in (1, 2)
    months = [row[0] for row in book["分类月度统计"].iter_rows(min_row=2, values_only=True)]
    assert len(months) == 24 + 1 and earlier in months and months[-1] == "合计"

    # the standalone HTML map of that period
    with page.expect_download() as info:
        page.click("#export-html")
    html = Path(info.value.path()).read_text(encoding="utf-8")
    assert re.search(r"https?://", html) is None
    assert earlier in html and "新兴热点模式" in html and "data:image/png;base64," in html
    assert "<script src=" not in html and 'rel="stylesheet"' not in html
    assert "@page{size:A4 landscape" in html  # printed whole for a meeting (trial AF)
    # the month's 工作简报 from here too (trial AF: only on the command page)
    with page.expect_download() as info:
        page.click("#export-brief")
    brief = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert "简报" in brief.sheetnames
    page.screenshot_step("4-exports-downloaded")

    # quarters instead of months
    page.select_option("#granularity", "quarter")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    assert slider.get_attribute("max") == "7"
    # the quarter's 季度总结 (trial AY M2: the button disappeared by quarter)
    expect(page.locator("#export-brief")).to_have_text("导出季度总结")
    quarter = page.locator("#period-label").inner_text()
    assert "period=quarter&date=" in (page.locator("#export-brief").get_attribute("href") or "")
    with page.expect_download() as info:
        page.click("#export-brief")
    brief = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    facts = {r[0]: r[1] for r in brief["概况"].iter_rows(values_only=True)}
    year, q = re.findall(r"\d+", quarter)
    assert facts["简报"] == "季度总结"
    assert str(facts["统计时段"]).startswith(f"{year}-{int(q) * 3 - 2:02d}-01 00:00"), facts
    assert re.fullmatch(r"\d{4}年第[1-4]季度", page.locator("#period-label").inner_text())
    assert "按季度" in page.locator("#chart-categories").locator("xpath=..").inner_text()
    page.screenshot_step("4b-quarters")
    page.assert_clean(origin)

    # the file opens on its own: it loads nothing (served from an empty folder of its own)
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    with serve_directory(tmp_path) as local:
        # leave the trends page first: a request it started (the quarter's density overlay)
        # is recorded before the blank page has loaded, not after the list is cleared
        page.goto("about:blank")
        page.requests.clear()
        page.goto(f"{local}/report.html", wait_until="load")
        page.wait_for_selector(".leaflet-overlay-pane path")
        assert page.evaluate("L.version") == "1.9.4"
        assert page.locator(".legend").inner_text().count("热点") >= 8
        page.screenshot_step("5-exported-report")
        assert page.requests == [f"{local}/report.html"]
        page.assert_clean(local)


@pytest.mark.browser
def test_a_city_trends_page_says_which_counties_it_holds_and_opens_on_them(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    county = console_demo.data.county_code.ljust(12, "0")
    city = county[:4].ljust(12, "0")
    login(page, origin, console_demo.username("commander", city), next_path=f"/trends/{city}")
    page.wait_for_url(f"{origin}/trends/{city}")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    note = page.locator("#held-note")
    assert note.is_visible()
    assert note.inner_text().startswith("本平台接入的县（市、区）：华宁县（1 个）。")
    # the city's commander reads a hexagon's case count as on the command map, where he lists
    # its cases; the persons keep their rule (trial AM M4)
    expect(page.locator("#suppression-note")).to_have_text(
        "注：案件数（含地图六边形单元的案件数）按实数显示；为保护个人信息，特殊人群人数小于3的"
        "不予显示（见走访逾期表下的说明）。"
    )
    # the map opens on the county's cells, not on the whole city (华宁县 is about 0.6 degrees
    # across; 玉溪市 about 2)
    span = page.evaluate("zzMap.getBounds().getEast() - zzMap.getBounds().getWest()")
    assert span < 1.2, span
    report = page.request.get(f"{origin}/api/trends/{city}/report.html")
    assert report.ok and "本报告数字只含这些县（市、区）的数据" in report.text()
    fitted = re.search(
        r"fitBounds\(\s*\[\[[-\d.]+, ([-\d.]+)\], \[[-\d.]+, ([-\d.]+)\]\]", report.text()
    )
    assert fitted is not None
    west, east = (float(v) for v in fitted.groups())
    assert east - west < 1.2, (west, east)  # the offline report's map too
    page.screenshot_step("city-trends")
    page.assert_clean(origin)
