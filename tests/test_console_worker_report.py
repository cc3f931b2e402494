"""A grid worker reports an incident (上报事件) from his phone (390×844), on the 华宁县 demo.

A user trial on a phone found no way for a grid worker to report what he found on his round:
his 我的任务 had 上岗, 下岗 and 上报位置 but nothing to register a case, and only typing
``/dispatch/{code}`` found ＋ 登记案件, whose form defaulted to 来访, had no way to take the
phone's position (the spot tapped on a grey map) and drew the grid names over one another. These
tests walk the worker from 上报事件 on his 我的任务 to the case's page: the form open at once
(``?new=1``) with 网格员上报, 用我的位置 filling the point, the case stored with channel
``grid_worker`` where the phone was, the map's names apart; a refused position said in Chinese;
and a desktop desk as it was. Screenshots go to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk
from tests.test_console_phone import HEIGHT, WIDTH, _assert_fits, _box

TITLE = "网格巡查：村道旁电线杆倾斜"

# The map's names in view, each with its rectangle and whether it is shown.
LABELS = """() => {
    const view = document.querySelector('.dz-map .folium-map').getBoundingClientRect();
    return Array.from(document.querySelectorAll('.dz-label span'), (e) => {
        const r = e.getBoundingClientRect();
        return {text: e.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                shown: getComputedStyle(e).visibility !== 'hidden'};
    }).filter((r) => r.right > view.left && r.left < view.right
                     && r.bottom > view.top && r.top < view.bottom && r.right > r.left);
}"""


def _labels(page: RecordedPage) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(LABELS)
    return found


def _overlaps(labels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The pairs of names shown over one another."""
    shown = [label for label in labels if label["shown"]]
    return [
        (a["text"], b["text"])
        for i, a in enumerate(shown)
        for b in shown[i + 1 :]
        if min(a["right"], b["right"]) > max(a["left"], b["left"])
        and min(a["bottom"], b["bottom"]) > max(a["top"], b["top"])
    ]


def _settled_overlaps(page: RecordedPage) -> list[tuple[str, str]]:
    """The overlapping names once the map has settled (a zoom animates; names load late)."""
    overlaps = _overlaps(_labels(page))
    deadline = time.monotonic() + 5
    while overlaps and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        overlaps = _overlaps(_labels(page))
    return overlaps


def _quiet_spot(demo: ConsoleDemo, village: str) -> tuple[float, float]:
    """A point inside one of the village's grids, with the fewest open cases within 250 m.

    The worker's report then repeats no demo case (which would raise that one's risk).
    """
    with demo.owner.connect() as conn:
        row = conn.execute(
            text(
                """
                SELECT ST_X(g.p) AS lon, ST_Y(g.p) AS lat
                  FROM (SELECT code, ST_PointOnSurface(boundary) AS p FROM grids
                         WHERE area_code = :village AND retired_on IS NULL
                           AND boundary IS NOT NULL) g
                 ORDER BY (SELECT count(*) FROM cases c
                            WHERE c.state NOT IN ('resolved', 'evaluated', 'visited', 'archived')
                              AND ST_DWithin(geography(c.point), geography(g.p), 250)),
                          g.code
                 LIMIT 1
                """
            ),
            {"village": village},
        ).one()
    return round(float(row.lon), 6), round(float(row.lat), 6)


def _stored_case(demo: ConsoleDemo, case_id: int, lon: float, lat: float) -> Any:
    """The case as stored, with its distance in metres to (lon, lat)."""
    with demo.owner.connect() as conn:
        return conn.execute(
            text(
                "SELECT channel, title, area_code, category, ST_Distance(geography(point),"
                " geography(ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))) AS off_m"
                " FROM cases WHERE id = :c"
            ),
            {"c": case_id, "lon": lon, "lat": lat},
        ).one()


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_a_grid_worker_reports_an_incident_at_his_position_from_his_phone(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    origin = demo.origin
    desk = _desk(demo)
    # the phone stands in the village (WGS84 degrees, as a phone's positioning gives them)
    lon, lat = _quiet_spot(demo, desk.village)
    lon, lat = lon + 0.00012, lat - 0.00007
    page.context.grant_permissions(["geolocation"], origin=origin)
    page.context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 15})

    # 1. 上报事件 on his 我的任务, beside 上报位置, a finger high and within the screen
    login(page, origin, desk.worker_login)
    page.wait_for_url(f"{origin}/console/{desk.village}")
    page.wait_for_function("window.zzReady === true", timeout=60_000)
    report = page.locator("#zz-duty #zz-report-case")
    expect(report).to_have_text("上报事件")
    expect(report).to_be_visible()
    report.scroll_into_view_if_needed()
    box = _box(page, "#zz-report-case")
    assert box["height"] >= 40 and box["left"] >= 0 and box["right"] <= WIDTH, box
    page.screenshot_step("1-my-tasks")
    report.tap()

    # 2. the 调度台 of his village with the form open, 网格员上报 chosen
    page.wait_for_url(f"{origin}/dispatch/{desk.village}?new=1")
    form = page.locator("#dz-register")
    expect(form).to_be_visible()
    expect(page.locator("#dz-register-title")).to_contain_text("上报事件")
    channel = page.locator("#dz-channel")
    expect(channel).to_have_value("grid_worker")
    assert channel.evaluate("(s) => s.selectedOptions[0].textContent") == "网格员上报"
    # his own channels only: no 上级交办, 12345 or 信访 offered to a worker (trial AW m4)
    offered = channel.evaluate("(s) => Array.from(s.options, (o) => o.textContent)")
    assert offered == ["网格员上报", "来访", "来电"], offered
    form_box = _box(page, "#dz-register")
    assert form_box["left"] >= 0 and form_box["right"] <= WIDTH and form_box["top"] < HEIGHT
    _assert_fits(page)

    # the map's names, fitted to his village, apart: those that would collide are hidden
    expect(page.locator(".dz-label-village span").first).to_be_visible()
    assert _settled_overlaps(page) == []
    shown = [label["text"] for label in _labels(page) if label["shown"]]
    assert len(shown) >= 3, shown
    page.screenshot_step("2-form-opened")

    # 3. 用我的位置: the phone's position becomes the case's point, the map centred on it
    locate = page.locator("#dz-locate")
    locate.scroll_into_view_if_needed()
    assert _box(page, "#dz-locate")["height"] >= 40
    with page.expect_response(lambda r: "/ogc/collections/grids/items" in r.url):
        locate.tap()  # zoomed in to 16: the grids' names are read
    expect(page.locator("#dz-locate-note")).to_contain_text("已取得您的位置（精度约 15 米）")
    expect(page.locator("#dz-lon")).to_have_value(f"{lon:.6f}")
    expect(page.locator("#dz-lat")).to_have_value(f"{lat:.6f}")
    expect(page.locator("#dz-locate-error")).to_be_hidden()
    # zoomed in, the grids' names (from zoom 15) are his village's grids, each named once
    # (they were drawn a second time over themselves), and none over another
    page.wait_for_function("window.zzMap.getZoom() >= 16", timeout=10_000)
    page.wait_for_timeout(500)  # the names read drawn
    names = [label["text"] for label in _labels(page)]
    assert names and len(names) == len(set(names)), names
    # the point taken (a marker of the overlay pane) is drawn over the names, not under them
    names_z, markers_z = page.evaluate(
        "() => [document.querySelector('.dz-label').closest('.leaflet-pane'),"
        " document.querySelector('.dz-map .leaflet-overlay-pane')]"
        ".map((pane) => Number(getComputedStyle(pane).zIndex))"
    )
    assert names_z < markers_z, (names_z, markers_z)
    centre = page.evaluate(
        "(() => { const c = window.zzMap.getCenter(); return [c.lng, c.lat]; })()"
    )
    assert abs(centre[0] - lon) < 1e-4 and abs(centre[1] - lat) < 1e-4, centre
    assert _settled_overlaps(page) == []
    page.screenshot_step("3-located")

    # 4. what he saw, and 登记: he lands on the case's page
    page.select_option("#dz-category", "public_opinion")
    page.fill("#dz-title", TITLE)
    page.locator("#dz-register-submit").tap()
    page.wait_for_url(lambda url: "/cases/" in url, timeout=30_000)
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#cz-title")).to_have_text(TITLE)
    expect(page.locator("#cz-channel")).to_have_text("网格员上报")
    page.screenshot_step("4-case-page")

    stored = _stored_case(demo, case_id, lon, lat)
    assert stored.channel == "grid_worker"
    assert stored.title == TITLE and stored.category == "public_opinion"
    assert stored.area_code == desk.village
    assert stored.off_m < 50, stored.off_m  # a phone's WGS84 taken as CGCS2000, as 上报位置
    assert page.latin_words("#cz-content") == []

    # 5. back on 我的任务, 我上报的 lists it (it went to the township's queue, not to his)
    page.goto(f"{origin}/console/{desk.village}")
    mine = page.locator(f"#zz-mine-list a[href='/cases/{case_id}']")
    expect(mine).to_have_text(TITLE)
    item = page.locator("#zz-mine-list li").filter(has=page.locator(f"a[href='/cases/{case_id}']"))
    expect(item.locator(".zz-state")).to_have_text("已登记")
    expect(page.locator("#zz-mine-empty")).to_be_hidden()
    page.screenshot_step("5-reported-by-me")
    page.assert_clean(origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_the_worker_is_told_in_chinese_when_his_position_is_refused(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    page.context.clear_permissions()  # the worker said no to the browser's question
    login(page, demo.origin, desk.worker_login, next_path=f"/dispatch/{desk.village}?new=1")
    expect(page.locator("#dz-register")).to_be_visible()
    expect(page.locator("#dz-channel")).to_have_value("grid_worker")
    page.locator("#dz-locate").tap()
    error = page.locator("#dz-locate-error")
    expect(error).to_contain_text("浏览器拒绝了定位权限")
    expect(error).to_contain_text("允许本网站获取位置")
    expect(error).to_contain_text("在地图上点选事发位置")
    expect(page.locator("#dz-locate")).to_have_text("用我的位置")
    assert page.input_value("#dz-lon") == "" and page.input_value("#dz-lat") == ""
    page.screenshot_step("refused")

    # the spot is still tapped on the map, as the message says
    page.locator(".dz-map .folium-map").tap(position={"x": 60, "y": 200})
    assert page.input_value("#dz-lon") != "" and page.input_value("#dz-lat") != ""

    # 取消 takes him back to 我的任务, where 上报事件 came from
    page.locator("#dz-register-cancel").tap()
    page.wait_for_url(f"{demo.origin}/console/{desk.village}")
    expect(page.locator("#zz-report-case")).to_be_visible()
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_desktop_desk_keeps_its_walk_in_default_and_every_name(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """At 1280×800 a dispatcher's ?new=1 opens the form as 来访; no name is hidden.

    用我的位置 is not offered: the desk's computer is not where a walk-in's matter happened.
    """
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}?new=1")
    expect(page.locator("#dz-register")).to_be_visible()
    expect(page.locator("#dz-channel")).to_have_value("walk_in")
    expect(page.locator("#dz-register-title")).to_contain_text("案件登记")
    expect(page.locator("#dz-locate")).to_be_hidden()
    expect(page.locator("#dz-register p").first).not_to_contain_text(
        "用我的位置", use_inner_text=True
    )
    expect(page.locator(".dz-label-village span").first).to_be_visible()
    page.wait_for_timeout(1000)  # the fit's zoom and the names settled
    labels = _labels(page)
    assert labels and all(label["shown"] for label in labels), labels
    assert page.locator(".dz-label-hidden").count() == 0
    # a draft: a 12345 order with its number, point and title, then 取消 on the desk: back to the
    # placeholder, the dispatcher stays, and the next registration starts empty (trial Z: a 来信
    # took the cancelled order's point, 子类 and number, and was linked as its repeat)
    page.select_option("#dz-channel", "hotline_12345")
    page.fill("#dz-external-no", "YX12345-20261205-0031")
    page.fill("#dz-lon", "103.0016")
    page.fill("#dz-lat", "24.4960")
    page.fill("#dz-title", "物业停水")
    page.click("#dz-register-cancel")
    expect(page.locator("#dz-placeholder")).to_be_visible()
    assert page.url.endswith(f"/dispatch/{township}?new=1")
    page.click("#dz-new")
    expect(page.locator("#dz-register")).to_be_visible()
    expect(page.locator("#dz-channel")).to_have_value("walk_in")
    for field in ("#dz-external-no", "#dz-lon", "#dz-lat", "#dz-title"):
        expect(page.locator(field)).to_have_value("")
    page.assert_clean(demo.origin)
