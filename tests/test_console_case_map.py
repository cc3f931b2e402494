"""The case page's map, 定位 and 导航, and the desk's word on a worker to be phoned (trial AO).

M7: a grid worker going to the place read 「地址 —」 and raw coordinates. The case page now draws
the case's point and grid on a small map, says 地址未登记 with the village and grid, links 导航
to 高德地图 at the point in GCJ-02 and, on a phone, 定位 shows his position and the distance.
M9: the desk's confirmation of a 派单 to a worker without a platform account said 「对方受理前可
撤回派单」 as if he could take it in the app; it now says to phone him, with his number.
Headless Chromium on the 华宁县 demo; screenshots under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import colorsys
import math
import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import Row, text

from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import Desk, _act, _desk, _matter_of_its_own, _register, _token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_viewport(1366, 768),  # a desk's screen, unless a test says a phone's
]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two lon/lat points (haversine, metres)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


@pytest.fixture
def desk(console_demo: ConsoleDemo) -> Desk:
    """The demo's grid worker, his township's dispatcher and a spot of his village."""
    return _desk(console_demo)


def _registered(demo: ConsoleDemo, desk: Desk, title: str, *, triage: bool = False) -> Any:
    """A case the desk's dispatcher registers at the desk's spot (and triages): its JSON.

    Of a dispute subcategory no case near the spot has, so that it is no repeat of another
    test's case (a made-up subcategory is refused since trial AU m1).
    """
    sub = _matter_of_its_own(demo, desk.spot)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, desk.dispatcher)
        case = _register(client, me, desk.spot, title, sub, 0)
        return _act(client, me, case["id"], "triage") if triage else case


def _workers_without_account(demo: ConsoleDemo, village: str) -> list[Row[Any]]:
    """The village's on-duty workers no platform account belongs to, by id."""
    with demo.owner.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT w.id, w.name, w.phone, w.status, w.last_position, w.last_seen_at"
                    " FROM workers w WHERE w.area_code = :v AND w.status = 'on_duty'"
                    "   AND NOT EXISTS (SELECT 1 FROM users u WHERE u.worker_id = w.id)"
                    " ORDER BY w.id"
                ),
                {"v": village},
            )
        )


def _hue(css: str) -> float | None:
    """The hue (degrees) of a computed colour ``rgb(r, g, b)``, None for a grey."""
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    h, _, s = colorsys.rgb_to_hls(r, g, b)
    return None if s < 0.15 else h * 360


def _map_shows_the_case(page: RecordedPage, case: dict[str, object]) -> None:
    """The map is on screen with the case's pin inside it, and 导航 opens 高德地图 at the point."""
    expect(page.locator("#cz-address")).to_contain_text("地址未登记（位于")
    box = page.locator("#cz-map")
    pin = box.locator(".cz-case-pin")
    expect(box).to_be_visible()
    expect(pin).to_be_visible()
    page.wait_for_function(
        """() => {
          const m = document.getElementById("cz-map").getBoundingClientRect();
          const p = document.querySelector("#cz-map .cz-case-pin").getBoundingClientRect();
          const x = p.left + p.width / 2, y = p.top + p.height / 2;
          return m.width > 200 && m.height > 150 &&
            x > m.left + 20 && x < m.right - 20 && y > m.top + 20 && y < m.bottom - 20;
        }"""
    )
    # the grid drawn whole and large, named, and the pin told from 我的位置 (trial AP M2): at
    # whole zooms a fit fills more than half of the map inside case.js's 28 px padding
    page.wait_for_function(
        """() => {
          const map = window.zzMap;
          let grid = null;
          map.eachLayer((l) => { if (l instanceof L.Polygon) grid = l; });
          if (!grid) return false;
          const b = grid.getBounds(), size = map.getSize(), inner = size.subtract([56, 56]);
          const nw = map.latLngToContainerPoint(b.getNorthWest());
          const se = map.latLngToContainerPoint(b.getSouthEast());
          return nw.x >= -1 && nw.y >= -1 && se.x <= size.x + 1 && se.y <= size.y + 1 &&
            (se.x - nw.x > inner.x * 0.5 || se.y - nw.y > inner.y * 0.5);
        }"""
    )
    legend = page.locator("#cz-legend")
    expect(legend).to_be_visible()
    expect(page.locator("#cz-legend-grid")).to_have_text(re.compile(r"网格"))
    expect(page.locator("#cz-legend-case")).to_have_text("案件位置")
    expect(page.locator("#cz-legend-me")).to_be_hidden()
    href = page.locator("#cz-navigate").get_attribute("href") or ""
    url = urlparse(href)
    assert (url.scheme, url.netloc, url.path) == ("https", "uri.amap.com", "/marker")
    query = parse_qs(url.query)
    lon, lat = (float(v) for v in query["position"][0].split(","))
    point = (float(str(case["lon"])), float(str(case["lat"])))
    assert _metres((lon, lat), wgs84_to_gcj02(*point)) < 1.0
    assert _metres((lon, lat), point) > 100  # GCJ-02, not the stored point
    assert unquote(query["name"][0]).endswith("（案件位置）")
    assert query["coordinate"] == ["gaode"]
    # 百度地图 beside it, at the point in BD-09 (lat,lon), titled by the place, not the case
    expect(page.locator("#cz-navigate-baidu")).to_have_text("导航（百度地图）")
    expect(page.locator("#cz-navigate-baidu")).to_be_visible()
    baidu = urlparse(page.locator("#cz-navigate-baidu").get_attribute("href") or "")
    assert (baidu.scheme, baidu.netloc, baidu.path) == ("https", "api.map.baidu.com", "/marker")
    said = parse_qs(baidu.query)
    bd_lat, bd_lon = (float(v) for v in said["location"][0].split(","))
    assert _metres((bd_lon, bd_lat), wgs84_to_bd09(*point)) < 1.0
    assert said["coord_type"] == ["bd09ll"]
    assert said["output"] == ["html"]
    assert said["src"] == ["zongzhi"]
    assert said["title"] == said["content"] == query["name"]
    assert str(case["title"]) not in baidu.query and str(case["title"]) not in unquote(baidu.query)


def test_the_case_page_maps_the_case_and_links_navigation_on_a_desk(
    page: RecordedPage, console_demo: ConsoleDemo, desk: Desk
) -> None:
    demo = console_demo
    case = _registered(demo, desk, "地图测试：路边摊位纠纷")
    login(page, demo.origin, desk.dispatcher, next_path=f"/cases/{case['id']}")
    _map_shows_the_case(page, case)
    # 定位 is a phone's: the desk's position is not the place's
    expect(page.locator("#cz-locate")).to_be_hidden()
    # 附近视频 beside the map: the 调度台's list (same API), the online camera that sees the spot
    # first, each with its 国标编码 to type into the 雪亮 platform (trial BB M2)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, desk.dispatcher)
        url = f"/api/cases/{case['id']}/cameras"
        listed = client.get(url, params={"limit": 5}, headers=me).json()["cameras"]
    items = page.locator("#cz-cameras .cz-camera")
    expect(items).to_have_count(len(listed))
    texts = items.all_inner_texts()
    assert all(c["name"] in t and c["device_id"] in t for c, t in zip(listed, texts, strict=True))
    expect(items.first).to_have_class(re.compile(r"\bcz-camera-sees\b"))
    expect(items.first).to_contain_text(desk.spot.camera_name)
    expect(items.first).to_contain_text("可见 · 在线")
    page.screenshot_step("desk-case-map")
    page.assert_clean(demo.origin)


@pytest.mark.browser_viewport(390, 844)
def test_a_worker_on_his_phone_maps_the_case_and_his_distance_to_it(
    page: RecordedPage, console_demo: ConsoleDemo, desk: Desk
) -> None:
    demo = console_demo
    case = _registered(demo, desk, "地图测试：楼道噪音")
    with demo.owner.begin() as conn:  # a 蓝色 (low-risk) case: its pin is blue
        conn.execute(text("UPDATE cases SET risk_level = 4 WHERE id = :c"), {"c": case["id"]})
    here = (desk.spot.lon + 0.003, desk.spot.lat + 0.001)
    page.context.grant_permissions(["geolocation"], origin=demo.origin)
    page.context.set_geolocation({"longitude": here[0], "latitude": here[1], "accuracy": 15})
    login(page, demo.origin, desk.worker_login, next_path=f"/cases/{case['id']}")
    _map_shows_the_case(page, case)
    # the map fits the phone's width, under the facts
    width = page.evaluate("document.getElementById('cz-map').getBoundingClientRect().width")
    assert 300 < width <= 390
    locate = page.locator("#cz-locate")
    expect(locate).to_be_visible()
    locate.click()
    said = page.locator("#cz-distance")
    expect(said).to_have_text(re.compile(r"^您距案件约 \d+ 米（定位精度约 ±15 米）$"))
    metres = int(re.findall(r"\d+", said.inner_text())[0])
    assert abs(metres - _metres(here, (case["lon"], case["lat"]))) <= 2
    expect(page.locator("#cz-map .cz-me-pin")).to_be_visible()
    expect(page.locator("#cz-legend-me")).to_have_text("我的位置")
    expect(page.locator("#cz-legend-me")).to_be_visible()
    # 我的位置 is told from a 蓝色 case's blue pin by its colour, and the legend draws both as
    # the map does (trial AP M2: two blue dots)
    colours = page.evaluate(
        """() => {
          const bg = (s) => getComputedStyle(document.querySelector(s)).backgroundColor;
          return {
            pin: bg("#cz-map .cz-case-pin-head"), me: bg("#cz-map .cz-me-pin"),
            legendPin: bg("#cz-legend .cz-legend-pin"), legendMe: bg("#cz-legend .cz-legend-me"),
          };
        }"""
    )
    assert colours["pin"] == "rgb(44, 123, 182)", colours  # zz.riskColor(4)
    assert colours["me"] != colours["pin"], colours
    assert colours["legendPin"] == colours["pin"] and colours["legendMe"] == colours["me"], colours
    # the risk levels' colours as the browser draws them (1 red … 4 blue, then grey)
    risk_colours = page.evaluate(
        """() => [1, 2, 3, 4, 0].map((r) => {
          const probe = document.createElement("i");
          probe.style.background = zz.riskColor(r);
          document.body.appendChild(probe);
          const c = getComputedStyle(probe).backgroundColor;
          probe.remove();
          return c;
        })"""
    )
    # and of a hue far from every risk level's (red, orange, yellow, blue): not another blue
    hues = [_hue(c) for c in risk_colours if _hue(c) is not None]
    me = _hue(colours["me"])
    assert me is not None and len(hues) == 4, (colours, risk_colours)
    assert min(min(abs(me - h), 360 - abs(me - h)) for h in hues) >= 40, (colours, risk_colours)
    # the map fitted to both: the case's pin and 我的位置 on it
    page.wait_for_function(
        """() => {
          const m = document.getElementById("cz-map").getBoundingClientRect();
          return [".cz-case-pin", ".cz-me-pin"].every((s) => {
            const p = document.querySelector("#cz-map " + s).getBoundingClientRect();
            return p.left >= m.left && p.right <= m.right && p.top >= m.top && p.bottom <= m.bottom;
          });
        }"""
    )
    page.screenshot_step("phone-case-map-located", full_page=True)
    page.assert_clean(demo.origin)


def test_the_desk_says_to_phone_a_worker_without_an_account(
    page: RecordedPage, console_demo: ConsoleDemo, desk: Desk
) -> None:
    demo = console_demo
    township = desk.village[:9] + "000"
    worker = next(w for w in _workers_without_account(demo, desk.village) if w.phone is not None)
    try:
        with demo.owner.begin() as conn:  # right at the spot, just now: the ranking's first
            conn.execute(
                text(
                    "UPDATE workers SET last_seen_at = now(),"
                    " last_position = ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) WHERE id = :w"
                ),
                {"lon": desk.spot.lon + 0.00005, "lat": desk.spot.lat, "w": worker.id},
            )
        case = _registered(demo, desk, "派单测试：无账号网格员", triage=True)
        path = f"/dispatch/{township}?case={case['id']}"
        login(page, demo.origin, desk.dispatcher, next_path=path)
        row = page.locator(f"#dz-candidates tr[data-worker-id='{worker.id}']")
        expect(row).to_contain_text("无平台账号，需电话通知")
        phone = row.locator("a.dz-phone")
        expect(phone).to_have_text(f"电话 {worker.phone}")
        assert phone.get_attribute("href") == f"tel:{worker.phone}"
        expect(page.locator("#dz-candidates-note")).to_contain_text(
            "标明“需电话通知”的网格员不能在平台接收派单"
        )
        row.locator(".dz-assign").click()
        confirm = page.locator("#dz-confirm")
        expect(confirm).to_contain_text(f"派给网格员 {worker.name}（距案件 ")
        expect(confirm).to_contain_text(
            f"该网格员无平台账号，不能在平台接收派单：派单后请电话通知（电话 {worker.phone}），"
            "其受理、到场、办结由调度员在案件详情页代为登记。受理登记前可撤回派单。"
        )
        expect(confirm).not_to_contain_text("对方受理前")
        page.screenshot_step("confirm-no-account")
        page.click("#dz-confirm-cancel")
        expect(confirm).to_have_count(0)
        page.assert_clean(demo.origin)
    finally:
        with demo.owner.begin() as conn:
            conn.execute(
                text("UPDATE workers SET last_seen_at = :seen, last_position = :pos WHERE id = :w"),
                {"seen": worker.last_seen_at, "pos": worker.last_position, "w": worker.id},
            )


def test_the_desk_registers_an_accept_for_a_worker_without_an_account_by_name(
    page: RecordedPage, console_demo: ConsoleDemo, desk: Desk
) -> None:
    """Trial AP m4: the 受理 form and the timeline did not say for whom the desk registered it,
    and the 派单 row's 说明 was empty."""
    demo = console_demo
    worker = _workers_without_account(demo, desk.village)[-1]
    case = _registered(demo, desk, "代为登记测试：楼道堆物", triage=True)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        sent = client.post(
            f"/api/cases/{case['id']}/dispatch",
            json={"worker_id": worker.id, "version": case["version"]},
            headers=_token(client, desk.dispatcher),
        )
        assert sent.status_code == 200, sent.text
    try:
        login(page, demo.origin, desk.dispatcher, next_path=f"/cases/{case['id']}")
        page.locator("#cz-actions button[data-action='accept']").click()
        expect(page.locator("#cz-action-title")).to_have_text(f"代 {worker.name} 登记受理")
        page.locator("#cz-action-submit").click()
        timeline = page.locator("#cz-timeline tbody")
        expect(timeline.locator("tr[data-action='accept']")).to_contain_text(f"代{worker.name}登记")
        expect(timeline.locator("tr[data-action='dispatch']")).to_contain_text(
            f"派单至{worker.name}"
        )
        page.screenshot_step("accept-on-behalf")
        page.assert_clean(demo.origin)
    finally:
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            me = _token(client, desk.dispatcher)
            _act(client, me, case["id"], "return", note="测试结束，退回")
        with demo.owner.begin() as conn:  # the worker free, his day's workload as it was
            conn.execute(
                text("UPDATE workers SET status = :s WHERE id = :w"),
                {"s": worker.status, "w": worker.id},
            )
            conn.execute(
                text(
                    "UPDATE dispatches SET assigned_at = assigned_at - interval '2 days'"
                    " WHERE case_id = :c"
                ),
                {"c": case["id"]},
            )
