"""The command view (指挥调度) and its big-screen mode: API, page shell and headless Chromium.

The browser tests run against ``console_demo`` (the 华宁县 demo county, served): a city commander
drills down city → county → township → village (on the map and in the list of child units) and
back up with the breadcrumbs; a special-population popup shows the masked ID only; every label
is Chinese; a queued case is reminded (催办) from the queue; big-screen mode loads.
"""
# ruff: noqa: F811

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import text

from api.auth import issue_token
from importers.demo.plan import DEMO_PASSWORD
from importers.pipeline import ImportOptions, run_import
from layers.china_time import CHINA
from layers.command import CARD_LABELS
from layers.workflow import OPEN_STATES
from tests.api_fixtures import COUNTY_A, TOWN_A1, ApiWorld
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.import_fixtures import csv_text
from tests.workflow_data import later_run_missing
from web.maps import layer_config

Headers = Callable[[str], dict[str, str]]
COUNTY = "530424000000"
CITY = "530400000000"
PROVINCE = "530000000000"
MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
LATIN = re.compile(r"[A-Za-z]")


# ---- API and page shell (no browser) -----------------------------------------------------------


def test_outline_and_hot_cells_are_geojson(api_client: TestClient, auth_headers: Headers) -> None:
    response = api_client.get(f"/api/console/{COUNTY_A}/outline", headers=auth_headers("cmd_a"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    features = response.json()["features"]
    assert features[0]["properties"] == {
        "code": COUNTY_A,
        "name": features[0]["properties"]["name"],
        "level": 3,
        "kind": "jurisdiction",
        "role": "unit",
    }
    assert {f["properties"]["code"] for f in features[1:]} == {TOWN_A1, "460105002000"}
    cells = api_client.get(f"/api/console/{COUNTY_A}/hotspots", headers=auth_headers("cmd_a"))
    assert cells.status_code == 200 and cells.json()["type"] == "FeatureCollection"


def test_case_points_scoped_and_not_for_analysts(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    url = f"/api/console/{COUNTY_A}/cases?state=recent&days=366&limit=5000"
    body = api_client.get(url, headers=auth_headers("cmd_a")).json()
    ids = {str(f["id"]) for f in body["features"]}
    assert ids <= api_world.in_scope("cases", COUNTY_A)
    assert api_client.get(url, headers=auth_headers("analyst_a")).status_code == 403
    outside = api_client.get(f"/api/console/{COUNTY_A}/cases", headers=auth_headers("disp_a1"))
    assert outside.status_code == 404  # the county is above the dispatcher's township
    # one 0.5° cell holds the county's cases: at least 3, so the analyst sees the count
    heat = api_client.get(
        f"/api/console/{COUNTY_A}/heat?days=3660&cell=0.5", headers=auth_headers("analyst_a")
    )
    assert heat.status_code == 200
    assert sum(point[2] for point in heat.json()) == len(api_world.in_scope("cases", COUNTY_A))


def test_workers_and_persons_in_view_are_points_where_they_fit_else_counts_per_grid(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    """The command map's one read per layer and move (trial BC S3), in the reader's scope."""
    box = "100,10,120,30"
    url = f"/api/command/{COUNTY_A}/points/{{}}?bbox={box}&limit={{}}"
    for layer in ("workers", "persons"):
        mine = api_world.in_scope(layer, COUNTY_A)
        points = api_client.get(url.format(layer, len(mine)), headers=auth_headers("cmd_a"))
        assert points.status_code == 200 and points.json()["shown"] == "points"
        assert {str(f["id"]) for f in points.json()["features"]} == mine
        counts = api_client.get(url.format(layer, len(mine) - 1), headers=auth_headers("cmd_a"))
        body = counts.json()
        assert body["shown"] == "grid" and body["numberMatched"] == len(mine)
        assert sum(g["total"] for g in body["groups"]) == len(mine)
        assert all(g["kind"] == "grid" and g["code"][:6] == COUNTY_A[:6] for g in body["groups"])
        assert "features" not in body
    status = body["groups"][0]["status"]  # the persons have none; the workers' by status
    workers = api_client.get(url.format("workers", 1), headers=auth_headers("cmd_a")).json()
    assert status == {} and workers["groups"][0]["status"]["on_duty"] == 1
    # readers of counts only keep the tiles' hexagons; a unit outside the scope is not found
    refused = [("workers", "analyst_a"), ("persons", "cmd_city"), ("workers", "disp_a1")]
    answers = [api_client.get(url.format(k, 9), headers=auth_headers(who)) for k, who in refused]
    assert [r.status_code for r in answers] == [403, 403, 404]
    assert api_client.get(url.format("cases", 9), headers=auth_headers("cmd_a")).status_code == 422
    unboxed = f"/api/command/{COUNTY_A}/points/workers"
    assert api_client.get(unboxed, headers=auth_headers("cmd_a")).status_code == 422


def test_pages_carry_the_catalog_layers(api_client: TestClient) -> None:
    page = api_client.get(f"/console/{COUNTY_A}")
    assert page.status_code == 200
    html = page.text
    assert 'id="zz-layers"' in html and "特殊人群" in html and "矛盾纠纷与事件热力图" in html
    assert 'data-screen="0"' in html and "zz-action-dialog" in html
    screen = api_client.get(f"/screen/{COUNTY_A}").text
    assert 'data-screen="1"' in screen and "zz-action-dialog" not in screen
    assert "退出大屏" in screen
    assert 'data-screen="1"' in api_client.get(f"/console/{COUNTY_A}?screen=1").text
    assert api_client.get("/console/12345").status_code == 422


def test_layer_config_comes_from_the_catalog() -> None:
    from layers.catalog import COLLECTIONS

    config = {layer["id"]: layer for layer in layer_config()}
    for layer in config.values():
        collection = COLLECTIONS[layer["collection"]]
        assert layer["title"].startswith(collection.title)
        assert layer["min_zoom"] == collection.min_zoom
        assert layer["style"]["color"] == collection.style.color
    assert config["persons"]["aggregate_roles"] == ["analyst"]
    assert "commander" in config["persons"]["feature_roles"]
    assert "admin" not in config["cases"]["feature_roles"] + config["cases"]["aggregate_roles"]


# ---- headless Chromium against the demo county -------------------------------------------------


def _names(demo: ConsoleDemo, codes: list[str]) -> list[str]:
    with demo.owner.connect() as conn:
        rows = dict(
            conn.execute(
                text("SELECT code, name FROM jurisdictions WHERE code = ANY(:c)"), {"c": codes}
            ).all()
        )
    return [rows[c] for c in codes]


def _set_view(page: RecordedPage, lat: float, lon: float, zoom: int) -> None:
    """Centre the map at once; nothing is returned (Leaflet's ``setView`` returns the map,
    whose object graph Playwright may fail to serialise)."""
    page.evaluate(
        "([lat, lon, zoom]) => { zzMap.setView([lat, lon], zoom, {animate: false}); }",
        [lat, lon, zoom],
    )


def _wait_ready(page: RecordedPage, code: str) -> None:
    page.wait_for_url(f"**/{code}")
    page.wait_for_function("window.zzReady === true")


def _api_as(demo: ConsoleDemo, username: str) -> httpx2.Client:
    """A client of the served platform, logged in as ``username`` by a token issued here (what
    the login page would get, without a page load or a password check)."""
    with demo.owner.connect() as conn:
        user_id = conn.execute(
            text("SELECT id FROM users WHERE username = :u"), {"u": username}
        ).scalar_one()
    token = issue_token(demo.settings, user_id, now=datetime.now(UTC))
    return httpx2.Client(
        base_url=demo.origin, timeout=30, headers={"Authorization": f"Bearer {token.token}"}
    )


def _open_county(page: RecordedPage, demo: ConsoleDemo) -> str:
    """Log the city's commander in on the county's command view; return the origin."""
    login(page, demo.origin, demo.username("commander", CITY), next_path=f"/console/{COUNTY}")
    _wait_ready(page, COUNTY)
    return demo.origin


def _check_level(page: RecordedPage, demo: ConsoleDemo, chain: list[str]) -> None:
    """Breadcrumbs are the units from the province down; KPI cards show the feed's figures."""
    crumbs = page.locator("#zz-breadcrumbs li").all_inner_texts()
    assert [c.strip() for c in crumbs] == _names(demo, chain)
    active = page.locator("#zz-breadcrumbs li.active")
    assert active.get_attribute("data-code") == chain[-1]
    feed = page.evaluate(f"zz.api('/api/command/{chain[-1]}')")
    shown = page.locator('#zz-kpis .zz-kpi[data-kpi="open"] .zz-kpi-value').inner_text()
    assert shown == str(feed["unit"]["kpis"]["open"])
    overdue = page.locator('#zz-kpis .zz-kpi[data-kpi="overdue"] .zz-kpi-value').inner_text()
    assert overdue == str(feed["unit"]["kpis"]["overdue"])
    assert page.locator("#zz-kpis .zz-kpi").count() == len(CARD_LABELS)
    contact = page.locator('#zz-kpis .zz-kpi[data-kpi="overdue_contact"] .zz-kpi-value')
    assert contact.inner_text() == str(feed["unit"]["kpis"]["overdue_contact"])
    assert page.locator("#zz-queue-body tr").count() == len(feed["queue"])
    assert page.locator("#zz-children-body tr").count() == len(feed["children"])


CHILD_POINT_JS = """(code) => {
    let target = null;
    zzCommand.childLayer.eachLayer((l) => {
        if (l.feature.properties.code === code) target = l;
    });
    const b = target.getBounds();
    const lat = b.getCenter().lat;
    const width = b.getEast() - b.getWest();
    for (let i = 0; i < 40; i++) {  // scan the middle row of its box, from the centre out
        const lon = b.getWest() + width * (20 + (i % 2 ? 1 : -1) * Math.ceil(i / 2)) / 40;
        if (target._containsPoint(zzMap.latLngToLayerPoint([lat, lon]))) {
            const p = zzMap.latLngToContainerPoint([lat, lon]);
            const box = zzMap.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }
    }
    return null;
}"""


def _click_child_on_map(page: RecordedPage, code: str) -> None:
    """Click the child unit's polygon on the map (at a point inside it)."""
    point = page.evaluate(CHILD_POINT_JS, code)
    assert point is not None
    page.mouse.click(point[0], point[1])


@pytest.mark.browser
def test_city_commander_drills_down_and_back(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", CITY))
    _wait_ready(page, CITY)  # the landing page of a commander is the command view of the scope
    _check_level(page, console_demo, [PROVINCE, CITY])
    assert page.locator("#zz-breadcrumbs li a").count() == 0  # the province is above the scope
    # each card says what it counts, and over which window
    card = page.locator('#zz-kpis .zz-kpi[data-kpi="resolved_share"]')
    assert card.get_attribute("title") == "近 30 日登记的案件中已办结的比例"
    hot = page.locator('#zz-kpis .zz-kpi[data-kpi="active_hotspots"]').get_attribute("title")
    assert hot is not None and "只发一条风险预警" in hot
    # the city's figures are its one county's: the page says which counties it holds
    expect(page.locator("#zz-held")).to_have_text(
        "本平台接入的县（市、区）：华宁县（1 个）。"
        "本页数字只含这些县（市、区）的数据，未接入的县（市、区）不在统计之内。"
    )
    page.screenshot_step("1-city")

    # city → county: click the county on the map (hot spots off, so the click reaches the unit)
    # the layer panel starts folded up to 1366 px wide and on the big screen (trial AM N6, N7)
    page.evaluate("document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()")
    page.locator('[data-layer="hotspots"] input').uncheck()
    page.locator("#zz-layer-fold").click()  # folded again: the map was fitted beside it folded
    _click_child_on_map(page, COUNTY)
    _wait_ready(page, COUNTY)
    _check_level(page, console_demo, [PROVINCE, CITY, COUNTY])
    expect(page.locator("#zz-held")).to_be_hidden()  # a county's own figures are whole
    page.screenshot_step("2-county")

    # county → township → village: the list of child units
    township = page.locator("#zz-children-body tr").first.get_attribute("data-code")
    assert township is not None and township.startswith("530424") and township.endswith("000")
    page.locator(".zz-tab[data-pane=children]").click()
    page.locator(f'#zz-children-body tr[data-code="{township}"] a').click()
    _wait_ready(page, township)
    _check_level(page, console_demo, [PROVINCE, CITY, COUNTY, township])
    page.screenshot_step("3-township")

    page.locator(".zz-tab[data-pane=children]").click()
    village = page.locator("#zz-children-body tr").first.get_attribute("data-code")
    assert village is not None and village.startswith(township[:9])
    page.locator(f'#zz-children-body tr[data-code="{village}"] a').click()
    _wait_ready(page, village)
    _check_level(page, console_demo, [PROVINCE, CITY, COUNTY, township, village])
    kinds = page.evaluate("zzCommand.feed.children.map((c) => c.kind)")
    assert set(kinds) <= {"grid"}  # a village's children are its grids
    page.screenshot_step("4-village")

    # back up with the breadcrumbs: township, then city
    page.locator(f'#zz-breadcrumbs li[data-code="{township}"] a').click()
    _wait_ready(page, township)
    _check_level(page, console_demo, [PROVINCE, CITY, COUNTY, township])
    page.screenshot_step("5-back-to-township")
    page.locator(f'#zz-breadcrumbs li[data-code="{CITY}"] a').click()
    _wait_ready(page, CITY)
    _check_level(page, console_demo, [PROVINCE, CITY])
    page.screenshot_step("6-back-to-city")
    page.assert_clean(origin)


CLASS = re.compile(r"^(?P<lo>\d+)(?: – (?P<hi>\d+)| (?P<up>以上))?$")

SHADES_JS = """() => {
    const out = {};
    zzCommand.childLayer.eachLayer((l) => (out[l.feature.properties.code] = l.options.fillColor));
    return out;
}"""


@pytest.mark.browser
def test_the_shading_classes_are_whole_counts_that_do_not_overlap(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """A village's grids hold a few open cases each: classes 0, 1, 2 …, not 0 – 1, 1 – 1."""
    origin = console_demo.origin
    commander = console_demo.username("commander", CITY)
    with _api_as(console_demo, commander) as api:  # the village, found as the county's page would
        county = api.get(f"/api/command/{COUNTY}").json()
        township = county["children"][0]["code"]
        villages = api.get(f"/api/command/{township}").json()["children"]
    village = max(villages, key=lambda v: v["kpis"]["open"])["code"]
    login(page, origin, commander, next_path=f"/console/{village}")  # straight there
    _wait_ready(page, village)
    grids = page.evaluate(f"zz.api('/api/command/{village}')")["children"]
    assert max(g["kpis"]["open"] for g in grids) >= 2
    lines = page.locator("#zz-legend .zz-legend-class").all_inner_texts()
    classes = [CLASS.match(line.strip()) for line in lines]
    assert all(classes) and len(set(lines)) == len(lines) >= 2, lines
    bounds: list[tuple[int, float]] = []
    for found in classes:
        assert found is not None
        lo = int(found["lo"])
        assert lo == (bounds[-1][1] + 1 if bounds else 0), lines  # each starts past the last
        hi = float("inf") if found["up"] else int(found["hi"] or lo)
        bounds.append((lo, hi))
    assert bounds[-1][1] == float("inf")
    swatches = page.locator("#zz-legend .zz-legend-class i").evaluate_all(
        "(nodes) => nodes.map((n) => n.getAttribute('style').replace('background:', ''))"
    )
    shades = page.evaluate(SHADES_JS)
    for grid in grids:  # each grid is drawn in the colour of the one class its count falls in
        value = grid["kpis"]["open"]
        k = next(i for i, (lo, hi) in enumerate(bounds) if lo <= value <= hi)
        assert shades[grid["code"]] == swatches[k], (grid["code"], value, lines)
    page.screenshot_step("village-legend")
    page.assert_clean(origin)


@pytest.mark.browser
def test_person_popup_shows_the_masked_id(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    origin = console_demo.origin
    with console_demo.owner.connect() as conn:
        person = conn.execute(
            text(
                "SELECT area_code, ST_X(residence) AS lon, ST_Y(residence) AS lat FROM persons "
                "WHERE area_code LIKE '530424%' AND residence IS NOT NULL ORDER BY id LIMIT 1"
            )
        ).one()
        masked = set(
            conn.execute(
                text("SELECT id_masked FROM persons WHERE area_code = :a"), {"a": person.area_code}
            ).scalars()
        )
    # the person's township dispatcher: the layer's features are for those who direct visits
    login(
        page,
        origin,
        console_demo.username("dispatcher", person.area_code[:9] + "000"),
        next_path=f"/console/{person.area_code}",
    )
    page.wait_for_function("window.zzReady === true")
    assert page.evaluate("zz.me()")["can_unmask"] is False
    # the layer panel starts folded up to 1366 px wide and on the big screen (trial AM N6, N7)
    page.evaluate("document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()")
    page.locator('[data-layer="persons"] input').check()
    _set_view(page, person.lat, person.lon, 18)
    page.wait_for_function("zzCommand.layers.persons.mode === 'features'")
    marker = page.locator(".zz-person").first
    marker.wait_for()
    page.evaluate(
        f"""() => {{
            const entry = zzCommand.layers.persons;
            let best = null, dist = Infinity;
            Object.values(entry.markers).forEach((m) => {{
                const d = m.getLatLng().distanceTo([{person.lat}, {person.lon}]);
                if (d < dist) {{ dist = d; best = m; }}
            }});
            best.openPopup();
        }}"""
    )
    popup = page.locator(".zz-person-popup")
    popup.wait_for()
    shown = popup.locator(".zz-id-masked").inner_text().strip()
    assert MASKED_ID.match(shown), shown
    assert not re.fullmatch(r"\d{17}[\dX]", shown)
    assert shown in masked
    assert "证件号码" in popup.inner_text()
    with console_demo.owner.connect() as conn:  # who follows that person up, as imported
        names = conn.execute(
            text(
                "SELECT w.name || '（' || r.duty || '）' FROM persons p "
                "JOIN person_responsibles r ON r.person_id = p.id "
                "JOIN workers w ON w.id = r.worker_id "
                "WHERE p.id_masked = :m AND p.area_code = :a ORDER BY w.name"
            ),
            {"m": shown, "a": person.area_code},
        ).scalars()
        responsibles = "、".join(names)
    assert responsibles  # the demo gives every person one
    assert popup.locator("tr", has_text="责任人").locator("td").inner_text() == responsibles
    with console_demo.owner.connect() as conn:  # the grid by its name, not its 15-digit code
        grid_name = conn.execute(
            text(
                "SELECT g.name FROM persons p JOIN grids g ON g.code = p.grid_code"
                " WHERE p.id_masked = :m AND p.area_code = :a"
            ),
            {"m": shown, "a": person.area_code},
        ).scalar_one()
    assert popup.locator("tr", has_text="所属网格").locator("td").inner_text() == grid_name
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    page.screenshot_step("person-popup")
    page.assert_clean(origin)


@pytest.mark.browser
def test_labels_are_chinese_a_case_is_reminded_and_persons_are_never_clear_to_the_city(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """The city's commander on the county's page (one login and page load for all of it).

    Every label is Chinese and the top bar leads on; 催办 a queued case: a dialog, a toast, an
    event, the row marked; the risk alerts in Chinese, one located on the map. The top bar names
    him once and the page tells him a city account never sees persons in clear, and what holds
    for a county's case instead.
    """
    origin = _open_county(page, console_demo)
    for selector in (
        "header.zz-topbar",
        "#zz-layer-panel",
        "#zz-kpis",
        ".zz-tabs",
        "#zz-queue-pane thead",
        "#zz-children-pane thead",
        "#zz-legend",
    ):
        visible = page.locator(selector).inner_text()
        assert not LATIN.search(visible), f"{selector}: {visible!r}"
    body = page.locator("body").inner_text()
    assert not LATIN.search(body), re.findall(r"[A-Za-z]+", body)[:10]
    # the operator reaches the unit's 调度台 from the top bar
    expect(page.locator("#zz-dispatch-link")).to_be_visible()
    expect(page.locator("#zz-dispatch-link")).to_have_attribute("href", f"/dispatch/{COUNTY}")
    expect(page.locator("#zz-trends-link")).to_have_attribute("href", f"/trends/{COUNTY}")
    page.screenshot_step("1-county")
    # the top bar names him once: his name holds his role
    expect(page.locator("#zz-user")).to_have_text("玉溪市指挥中心值班员")
    me = page.evaluate("zz.api('/api/me')")
    assert me["can_unmask"] is False
    assert me["unmask_refusal"].startswith("市级账号不能查看个人信息明文")
    # the county's first queued case, whose page says so below
    queued = page.evaluate(f"zz.api('/api/command/{COUNTY}').then((f) => f.queue[0].id)")

    # 催办 (remind) the first queued case the city may remind: a dialog, a toast, an event
    button = page.locator(".zz-act[data-action=remind]").first
    row = button.locator("xpath=ancestor::tr")
    case_id = int(row.get_attribute("data-case-id") or 0)
    button.click()
    dialog = page.locator("#zz-action-dialog")
    assert dialog.locator("#zz-action-title").inner_text().startswith("催办")
    dialog.locator("#zz-action-note").fill("请加快办理")
    page.screenshot_step("2-remind-dialog")
    dialog.locator("#zz-action-submit").click()
    page.locator(".zz-toasts .alert-success").wait_for()
    with console_demo.owner.connect() as conn:
        notes = conn.execute(
            text("SELECT note FROM case_events WHERE case_id = :c AND action = 'remind'"),
            {"c": case_id},
        ).scalars()
        assert "请加快办理" in list(notes)
    # the row says it was pressed, and what was said (the township reads it on its queue too)
    mark = page.locator(f"#zz-queue-body tr[data-case-id='{case_id}'] .zz-reminded")
    # the queue is drawn again after the action; a loaded machine may take a while
    expect(mark).to_have_attribute("title", re.compile("：请加快办理$"), timeout=20_000)
    expect(mark).to_have_text(re.compile(r"^催办(×\d+)?$"))
    page.screenshot_step("3-reminded")

    # the risk alerts from hot spots, in Chinese; one is located on the map
    page.locator(".zz-tab[data-pane=alerts]").click()
    alerts = page.locator("#zz-alerts li.zz-alert")
    assert alerts.count() > 0
    assert not LATIN.search(page.locator("#zz-alerts").inner_text())
    page.locator("#zz-alerts li.zz-alert-locatable").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.inner_text().startswith("热点")
    page.screenshot_step("4-alert-located")
    page.assert_clean(origin)

    # a city account is told it can never see persons in clear, on a county's case
    page.goto(f"{origin}/cases/{queued}")
    note = page.locator("#cz-masked-note")
    # what holds for this case: the county handles it, the city reads the reporters of its own
    # cases; never 「市级账号不能查看个人信息明文」, which the city's own cases belie (trial AU m3)
    expect(note).to_have_text(
        "个人信息已脱敏显示：本案件由县级办理，反映人联系方式由办理层级查看；"
        "市级办理的案件，本级需联系或回访反映人时可查看（须填写事由，记入审计日志）。"
    )
    expect(note).not_to_contain_text("需由管理员授予")  # no administrator can give it
    page.assert_clean(origin)


@pytest.mark.browser
def test_a_villages_several_alerts_stand_on_one_line_until_opened(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    # one hot spot raises one alert; a village with a second hot spot apart gets a second one
    with console_demo.owner.begin() as conn:
        second = conn.execute(
            text(
                "INSERT INTO alerts (area_code, kind, level, title, detail, run_id, cell_id,"
                " unit_id, state) SELECT a.area_code, a.kind, a.level, a.title || '（另一处）',"
                " a.detail, a.run_id, c.id, c.unit_id, 'open' FROM alerts AS a"
                " JOIN hotspot_cells AS c ON c.run_id = a.run_id AND c.area_code = a.area_code"
                " AND c.id <> a.cell_id AND c.bin >= 2"
                " WHERE a.state <> 'closed' AND a.area_code LIKE '530424%'"
                " ORDER BY a.id, c.id LIMIT 1 RETURNING id"
            )
        ).scalar_one()
    try:
        origin = _open_county(page, console_demo)
        page.locator(".zz-tab[data-pane=alerts]").click()
        feed = page.evaluate(f"zz.api('/api/command/{COUNTY}')")
        # hot spots' alerts: a 集中反映 (case_id) stands on its own line, never in a group
        per_area = Counter(a["area_code"] for a in feed["alerts"] if not a["case_id"])
        area, most = per_area.most_common(1)[0]
        assert most > 1
        groups = page.locator("#zz-alerts li.zz-alert-group")
        expect(groups).to_have_count(sum(1 for n in per_area.values() if n > 1))
        group = page.locator(f"#zz-alerts li.zz-alert-group[data-area='{area}']")
        listed = [a for a in feed["alerts"] if a["area_code"] == area and not a["case_id"]]
        unsigned = sum(1 for a in listed if a["state"] == "open")
        place = listed[0]["parent_name"] + listed[0]["area_name"]  # the township: names repeat
        said = f"{place}：{most} 条预警，{unsigned} 条未签收"
        expect(group.locator("summary")).to_have_text(said)
        expect(group.locator("li.zz-alert")).to_have_count(most)
        expect(group.locator("li.zz-alert").first).to_be_hidden()
        group.locator("summary").click()
        expect(group.locator("li.zz-alert").first).to_be_visible()
        page.screenshot_step("alerts-of-a-village")
        page.assert_clean(origin)
    finally:
        with console_demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM alerts WHERE id = :i"), {"i": second})


@pytest.mark.browser
def test_an_alert_is_signed_for_then_closed_with_what_was_done(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = _open_county(page, console_demo)
    page.locator(".zz-tab[data-pane=alerts]").click()
    count = int(page.locator("#zz-alert-count").inner_text())
    alert_id = page.evaluate(
        f"zz.api('/api/command/{COUNTY}').then(f => f.alerts[f.alerts.length - 1].id)"
    )
    last = page.locator(f"#zz-alerts li.zz-alert[data-alert-id='{alert_id}']")
    # opened if it stands with others of its village (it stays open as the list is redrawn)
    expect(last).to_be_attached()
    village = page.locator("#zz-alerts li.zz-alert-group").filter(
        has=page.locator(f"li.zz-alert[data-alert-id='{alert_id}']")
    )
    if village.count():
        village.locator("summary").click()
    title = last.locator(".zz-alert-title").inner_text()
    try:
        last.locator(".zz-alert-acknowledge").click()
        page.locator(".zz-toasts .alert-success", has_text="已签收").wait_for()
        signed = page.locator(f"#zz-alerts li.zz-alert[data-alert-id='{alert_id}']")
        expect(signed.locator(".zz-alert-meta")).to_contain_text("已签收（")
        expect(signed.locator(".zz-alert-acknowledge")).to_have_count(0)
        page.screenshot_step("1-signed-for")

        signed.locator(".zz-alert-close").click()
        form = signed.locator("form.zz-unmask-form")
        expect(form).to_contain_text("处置情况")
        form.locator(".zz-unmask-submit").click()
        expect(form.locator(".zz-unmask-error")).to_have_text("请选择或填写处置情况")
        form.locator(".zz-unmask-choice").select_option("已会同相关部门处置")
        page.screenshot_step("2-closing")
        form.locator(".zz-unmask-submit").click()
        page.locator(".zz-toasts .alert-success", has_text="已关闭").wait_for()
        expect(page.locator("#zz-alert-count")).to_have_text(str(count - 1))
        expect(page.locator("#zz-alerts li.zz-alert", has_text=title)).to_have_count(0)
        with console_demo.owner.connect() as conn:
            state, note = conn.execute(
                text("SELECT state, close_note FROM alerts WHERE id = :id"), {"id": alert_id}
            ).one()
        assert (state, note) == ("closed", "已会同相关部门处置")
        page.locator("#zz-closed-alerts summary").click()
        closed = page.locator("#zz-closed-list li", has_text=title)
        expect(closed.locator(".zz-alert-detail")).to_have_text("处置情况：已会同相关部门处置")
        expect(closed.locator(".zz-alert-meta")).to_contain_text("关闭")
        page.screenshot_step("3-closed-list")
        # the last 7 days' brief (近7日简报) lists it with what was done
        # the layer panel starts folded up to 1366 px wide and on the big screen (trial AM N6, N7)
        page.evaluate("document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()")
        with page.expect_download() as download:
            page.locator("#zz-briefs a[data-days='7']").click()
        assert download.value.suggested_filename.startswith("近7日简报_华宁县_")
        book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
        rows = list(book["风险预警"].iter_rows(values_only=True))
        # with what its class was judged on (trial AO M3: weeks, not the trends page's months)
        assert [(r[2][:5], r[8]) for r in rows if r[1] == title] == [
            ("按周判定，", "已会同相关部门处置")
        ]
        # last month's 月总结, and that of a month picked under 往月
        today = datetime.now(CHINA).date()
        last_month = today.replace(day=1) - timedelta(days=1)
        with page.expect_download() as download:
            page.locator("#zz-briefs a[data-period='month']").click()
        assert download.value.suggested_filename == f"月总结_华宁县_{last_month:%Y%m}.xlsx"
        picked = last_month.replace(day=1)  # the picker's second month: three months back
        for _ in range(2):
            picked = (picked - timedelta(days=1)).replace(day=1)
        following = (picked + timedelta(days=31)).replace(day=1)
        # 往月 goes back to the month of the demo's first case, not before it (trial AA)
        first = min(c.reported_at for c in console_demo.data.cases).astimezone(CHINA)
        months = page.locator("#zz-brief-month option")
        expect(months.last).to_have_attribute("value", f"{first:%Y-%m}-01")
        page.locator("#zz-brief-month").select_option(label=f"{picked.year}年{picked.month}月")
        with page.expect_download() as download:
            page.locator("#zz-brief-month-link").click()
        assert download.value.suggested_filename == f"月总结_华宁县_{picked:%Y%m}.xlsx"
        book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
        summary = {r[0]: r[1] for r in book["概况"].iter_rows(values_only=True)}
        assert summary["统计时段"] == f"{picked} 00:00 至 {following} 00:00"
        # closed by mistake: 重新打开 brings it back to the feed, signed for by this commander
        closed.locator(".zz-alert-reopen").click()
        reopening = closed.locator("form.zz-unmask-form")
        expect(reopening).to_contain_text("重新打开的原因")
        reopening.locator(".zz-unmask-choice").select_option("误关闭")
        # a run refreshes another alert meanwhile: the console reads its lists again, and the form
        # the operator is filling in stays as it is
        with page.expect_response(lambda r: f"/api/command/{COUNTY}" in r.url):
            with console_demo.owner.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE alerts SET refreshed_at = now()"
                        " WHERE id <> :id AND state <> 'closed'"
                    ),
                    {"id": alert_id},
                )
        page.wait_for_timeout(1000)
        expect(reopening.locator(".zz-unmask-choice")).to_have_value("误关闭")
        reopening.locator(".zz-unmask-submit").click()
        page.locator(".zz-toasts .alert-success", has_text="已重新打开").wait_for()
        expect(page.locator("#zz-alert-count")).to_have_text(str(count))
        expect(page.locator("#zz-closed-list li", has_text=title)).to_have_count(0)
        back = page.locator(f"#zz-alerts li.zz-alert[data-alert-id='{alert_id}']")
        expect(back.locator(".zz-alert-meta")).to_contain_text("已签收（")
        page.screenshot_step("4-reopened")
        page.assert_clean(origin)
    finally:  # the other console tests see the demo's alerts as loaded
        with console_demo.owner.begin() as conn:
            conn.execute(
                text(
                    "UPDATE alerts SET state = 'open', acknowledged_by = NULL,"
                    " acknowledged_at = NULL, closed_by = NULL, closed_at = NULL,"
                    " close_note = NULL WHERE id = :id"
                ),
                {"id": alert_id},
            )


@pytest.mark.browser
def test_the_alerts_whose_hot_spot_faded_are_closed_at_once(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    owner = console_demo.owner
    with owner.begin() as conn:  # a later nightly run over one village no longer finds its spot
        area, resolution = conn.execute(
            text(
                "SELECT a.area_code, r.params -> 'resolution' FROM alerts a"
                " JOIN hotspot_runs r ON r.id = a.run_id WHERE a.state <> 'closed'"
                " ORDER BY a.id LIMIT 1"
            )
        ).one()
        run = later_run_missing(conn, COUNTY, area, resolution)
        faded = set(
            conn.execute(
                text("SELECT id FROM alerts WHERE area_code = :a AND state <> 'closed'"),
                {"a": area},
            ).scalars()
        )
    try:
        origin = _open_county(page, console_demo)
        page.locator(".zz-tab[data-pane=alerts]").click()
        button = page.locator("#zz-faded-bar button")
        expect(button).to_have_text(f"关闭已消退的预警（{len(faded)}）")
        button.click()
        page.locator("#zz-faded-bar .zz-unmask-choice").select_option(index=1)
        page.screenshot_step("1-closing-faded")
        page.locator("#zz-faded-bar .zz-unmask-submit").click()
        page.locator(
            ".zz-toasts .alert-success", has_text=f"已关闭 {len(faded)} 条已消退的预警"
        ).wait_for()
        expect(page.locator("#zz-faded-bar")).to_be_hidden()
        with owner.connect() as conn:
            notes = conn.execute(
                text("SELECT DISTINCT close_note FROM alerts WHERE id = ANY(:ids)"),
                {"ids": list(faded)},
            ).scalars()
            assert list(notes) == ["热点已消退，经核查无需继续处置"]
        page.assert_clean(origin)
    finally:  # the other console tests see the demo's alerts and runs as loaded
        with owner.begin() as conn:
            conn.execute(text("DELETE FROM hotspot_runs WHERE id = :r"), {"r": run})
            conn.execute(
                text(
                    "UPDATE alerts SET state = 'open', acknowledged_by = NULL,"
                    " acknowledged_at = NULL, closed_by = NULL, closed_at = NULL,"
                    " close_note = NULL WHERE id = ANY(:ids)"
                ),
                {"ids": list(faded)},
            )


@pytest.mark.browser
@pytest.mark.browser_timezone("America/Los_Angeles")
def test_times_are_shown_and_typed_in_beijing_time_wherever_the_browser_runs(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """A browser on a machine set to another time zone (16 hours behind) still shows 北京时间."""
    origin = _open_county(page, console_demo)
    assert page.evaluate("new Date().getTimezoneOffset()") == 480  # the browser is at UTC-8
    beijing = ZoneInfo("Asia/Shanghai")

    def minutes_around(moment: datetime, fmt: str) -> set[str]:
        """The minute of ``moment`` and those either side (read before the page acts, the clock
        shown once a second: a minute may turn between the two)."""
        return {
            (moment + timedelta(minutes=m)).astimezone(beijing).strftime(fmt) for m in (-1, 0, 1)
        }

    now = datetime.now(UTC)
    assert page.locator("#zz-clock").inner_text()[:16] in minutes_around(now, "%Y-%m-%d %H:%M")
    assert page.evaluate("zz.dayStart('2026-12-01')") == "2026-11-30T16:00:00.000Z"

    # 督办 with a deadline: offered three days on in Beijing time; a typed one is read as such
    button = page.locator(".zz-act[data-action=supervise]").first
    case_id = int(button.locator("xpath=ancestor::tr").get_attribute("data-case-id") or 0)
    with console_demo.owner.connect() as conn:
        saved = conn.execute(
            text("SELECT supervision_deadline FROM cases WHERE id = :id"), {"id": case_id}
        ).scalar_one()
    try:
        now = datetime.now(UTC)
        button.click()
        deadline = page.locator("#zz-f-deadline")
        offered = minutes_around(now + timedelta(days=3), "%Y-%m-%dT%H:%M")
        assert deadline.input_value() in offered
        deadline.fill("2027-01-05T09:00")
        expect(page.locator("#zz-action-note-label")).to_have_text("督办意见（必填）")
        page.locator("#zz-action-submit").click()  # the browser asks for the 督办意见 first
        assert page.locator("#zz-action-note").evaluate("(n) => n.validity.valueMissing")
        page.locator("#zz-action-note").fill("限期办结并报告办理结果")
        page.locator("#zz-action-submit").click()
        page.locator(".zz-toasts .alert-success").wait_for()
        with console_demo.owner.connect() as conn:
            stored = conn.execute(
                text("SELECT supervision_deadline FROM cases WHERE id = :id"), {"id": case_id}
            ).scalar_one()
        assert stored == datetime(2027, 1, 5, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
        page.assert_clean(origin)
    finally:
        with console_demo.owner.begin() as conn:
            conn.execute(
                text("UPDATE cases SET supervision_deadline = :d WHERE id = :id"),
                {"d": saved, "id": case_id},
            )


@pytest.mark.browser
def test_queue_countdowns_turn_soon_when_the_server_warns(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    # Two queued county cases: one 25 of 30 days in (5 days left, past the last fifth: 临期),
    # one 90 of 120 minutes in (30 minutes left, not yet in its last fifth: not 临期). A fixed
    # 24 hours would colour them the other way round.
    with console_demo.owner.begin() as conn:
        saved = conn.execute(
            text(
                "SELECT id, risk_level, reported_at, deadline FROM cases WHERE handling_level = 3"
                " AND area_code LIKE '530424%' AND state = ANY(:open) ORDER BY id LIMIT 2"
            ),
            {"open": sorted(OPEN_STATES)},
        ).all()
        assert len(saved) == 2
        windows = [("25 days", "5 days"), ("90 minutes", "30 minutes")]
        for case, (gone, left) in zip(saved, windows, strict=True):
            conn.execute(
                text(
                    "UPDATE cases SET risk_level = 1, reported_at = now() - CAST(:g AS interval),"
                    " deadline = now() + CAST(:l AS interval) WHERE id = :id"
                ),
                {"g": gone, "l": left, "id": case.id},
            )
    try:
        origin = _open_county(page, console_demo)
        cells = [page.locator(f"tr[data-case-id='{c.id}'] .zz-countdown") for c in saved]
        assert cells[0].inner_text().startswith("剩余 4天23小时")
        assert cells[1].inner_text().startswith("剩余 29分")
        assert "zz-soon" in (cells[0].get_attribute("class") or "")
        assert "zz-soon" not in (cells[1].get_attribute("class") or "")
        # the colour the operator sees (Bootstrap's table cells set their own)
        expect(cells[0]).to_have_css("color", "rgb(230, 85, 13)")
        expect(cells[1]).to_have_css("color", "rgb(0, 0, 0)")
        expect(page.locator(".zz-countdown.zz-overdue").first).to_have_css(
            "color", "rgb(215, 25, 28)"
        )
        page.assert_clean(origin)
    finally:
        with console_demo.owner.begin() as conn:
            for case in saved:
                conn.execute(
                    text(
                        "UPDATE cases SET risk_level = :r, reported_at = :at, deadline = :d"
                        " WHERE id = :id"
                    ),
                    {
                        "r": case.risk_level,
                        "at": case.reported_at,
                        "d": case.deadline,
                        "id": case.id,
                    },
                )


@pytest.mark.browser
def test_big_screen_mode_loads(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", CITY), next_path=f"/screen/{COUNTY}")
    _wait_ready(page, COUNTY)
    assert "zz-screen" in (page.locator("body").get_attribute("class") or "")
    assert page.locator(".zz-act").count() == 0  # no editing in big-screen mode
    assert page.locator("#zz-action-dialog").count() == 0
    assert page.locator("#zz-dispatch-link, #zz-trends-link").count() == 0
    # the alerts are listed without 签收 / 关闭 (the city commander could act on them elsewhere)
    expect(page.locator("#zz-alerts li.zz-alert").first).to_be_attached()
    assert page.locator("#zz-alerts .zz-alert-actions, #zz-faded-bar button").count() == 0
    value = page.locator('#zz-kpis .zz-kpi[data-kpi="open"] .zz-kpi-value').inner_text()
    assert value.isdigit()
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.zz-kpi-value')).fontSize)"
    )
    normal = 1.35 * 16
    assert size >= 1.4 * normal  # larger cards for the wall
    assert not LATIN.search(page.locator("body").inner_text())
    # drilling down stays in big-screen mode
    href = page.locator("#zz-children-body tr a").first.get_attribute("href") or ""
    assert href.startswith("/screen/")
    page.screenshot_step("big-screen")
    page.assert_clean(origin)


@pytest.mark.browser
def test_a_red_case_and_a_case_reported_up_stay_until_acknowledged(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = _open_county(page, console_demo)  # the city's commander
    page.wait_for_function("zzCommand.live && zzCommand.live.zzReady === true")
    centre = page.evaluate("[zzMap.getCenter().lng, zzMap.getCenter().lat]")
    with httpx2.Client(base_url=origin, timeout=30) as client:
        login_form = {"username": console_demo.username("commander", COUNTY)}
        token = client.post("/api/auth/token", data=login_form | {"password": DEMO_PASSWORD})
        county = {"Authorization": f"Bearer {token.json()['access_token']}"}
        made = {}
        # 1 km apart, so the second is not taken for a repeat of the first
        for risk, title, dx in (
            (1, "红色测试：聚集上访苗头", 0.0),
            (4, "上报测试：跨县水事纠纷", 0.01),
        ):
            posted = client.post(
                "/api/cases",
                json={"channel": "phone", "category": "dispute", "risk_level": risk}
                | {"title": title, "lon": centre[0] + dx, "lat": centre[1], "handling_level": 3},
                headers=county,
            )
            assert posted.status_code == 201, posted.text
            made[risk] = posted.json()
        up = client.post(
            f"/api/cases/{made[4]['id']}/actions/escalate",
            json={"version": made[4]["version"], "note": "涉及两县，请市级协调"},
            headers=county,
        )
        assert up.status_code == 200 and up.json()["handling_level"] == 2, up.text
    red = page.locator(".zz-toasts .zz-sticky", has_text="红色测试")
    expect(red).to_contain_text(f"红色风险案件登记（{made[1]['code']}）")
    expect(red.locator("a")).to_have_attribute("href", f"/cases/{made[1]['id']}")
    escalated = page.locator(".zz-toasts .zz-sticky", has_text="上报测试")
    registered = page.locator(".zz-toasts .alert", has_text="新登记案件：上报测试")
    expect(registered).to_be_visible()
    expect(escalated).to_contain_text(f"下级上报案件（{made[4]['code']}）")
    # an ordinary notice is gone after five seconds (within the six waited here for it, as long
    # as the notices are shown); these stay until 知道了
    expect(registered).to_have_count(0, timeout=6_000)
    expect(red).to_be_visible()
    expect(escalated).to_be_visible()
    page.screenshot_step("sticky-notices")
    red.get_by_role("button", name="知道了").click()
    expect(red).to_have_count(0)
    expect(escalated).to_be_visible()
    page.assert_clean(origin)


@pytest.mark.browser
def test_worker_position_arrives_live(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    origin = console_demo.origin
    with console_demo.owner.connect() as conn:  # an off-duty worker: no dispatch test needs it
        worker = conn.execute(
            text(
                "SELECT id, area_code, ST_X(last_position) AS lon, ST_Y(last_position) AS lat "
                "FROM workers WHERE area_code LIKE '530424%' AND status = 'off_duty' "
                "AND last_position IS NOT NULL ORDER BY id LIMIT 1"
            )
        ).one()
    login(
        page,
        origin,
        console_demo.username("commander", CITY),
        next_path=f"/console/{worker.area_code}",
    )
    _wait_ready(page, worker.area_code)
    # the layer panel starts folded up to 1366 px wide and on the big screen (trial AM N6, N7)
    page.evaluate("document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()")
    page.locator('[data-layer="workers"] input').check()
    _set_view(page, worker.lat, worker.lon, 17)
    page.wait_for_function(
        f"zzCommand.layers.workers.markers && zzCommand.layers.workers.markers[{worker.id}]"
    )
    page.wait_for_function("zzCommand.live && zzCommand.live.zzReady === true")
    lon = worker.lon + 0.0004
    status = page.evaluate(
        """([id, lon, lat]) => fetch('/api/workers/' + id + '/position', {method: 'POST',
            credentials: 'same-origin', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({lon: lon, lat: lat})}).then((r) => r.status)""",
        [worker.id, lon, worker.lat],
    )
    assert status == 200
    page.wait_for_function(
        f"Math.abs(zzCommand.layers.workers.markers[{worker.id}].getLatLng().lng - {lon}) < 1e-6",
        timeout=10_000,
    )
    page.screenshot_step("worker-moved")
    page.assert_clean(origin)


_FEWEST_BADGE = """() => {
    const all = Array.from(document.querySelectorAll('.zz-count-badge.zz-count-workers'));
    return all.indexOf(all.reduce((a, b) => (+b.dataset.total < +a.dataset.total ? b : a)));
}"""


@pytest.mark.browser
def test_workers_beyond_what_the_map_draws_are_counted_per_grid_and_drawn_once_zoomed_in(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial BC S3: more workers in view than the page draws are counted per grid (or village),
    every one of them in a badge of 在岗/总数, not the first ones by id; a badge's click zooms in
    until they are drawn one by one. The page's cap is lowered to the demo county's size."""
    origin = console_demo.origin
    with console_demo.owner.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(boundary) AS c FROM jurisdictions"
                " WHERE level = 4 AND code LIKE :county ORDER BY code DESC LIMIT 1) t"
            ),
            {"county": COUNTY[:6] + "%"},
        ).one()
    login(page, origin, console_demo.username("commander", COUNTY), next_path=f"/console/{COUNTY}")
    _wait_ready(page, COUNTY)
    page.evaluate("zzCommand.pointCap = 30")
    page.evaluate("document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()")
    _set_view(page, lat, lon, 12)
    page.locator('[data-layer="workers"] input').check()
    badges = page.locator(".zz-count-badge.zz-count-workers")
    badges.first.wait_for(timeout=15_000)
    reads = [u for u in page.requests if f"/api/command/{COUNTY}/points/workers?" in u]
    assert len(reads) == 1 and "limit=30" in reads[0]  # one read for the move
    west, south, east, north = (float(x) for x in reads[0].split("bbox=")[1].split(","))
    with console_demo.owner.connect() as conn:
        in_box, on_duty = conn.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE status = 'on_duty') FROM workers"
                " WHERE area_code LIKE :county"
                " AND last_position && ST_MakeEnvelope(:w, :s, :e, :n, 4490)"
            ),
            {"county": COUNTY[:6] + "%", "w": west, "s": south, "e": east, "n": north},
        ).one()
    assert in_box > 30
    shown = badges.evaluate_all("(nodes) => nodes.map((n) => n.textContent)")
    assert sum(int(t.split("/")[1]) for t in shown) == in_box  # every one, none left out
    assert sum(int(t.split("/")[0]) for t in shown) == on_duty
    assert page.evaluate("Object.keys(zzCommand.layers.workers.markers).length") == 0
    hint = page.locator('[data-layer="workers"] .zz-layer-hint')
    expect(hint).to_have_text(re.compile("^按(网格|村（社区）)计数$"))
    expect(page.locator("#zz-people-legend .zz-count-note")).to_contain_text("在岗/总数")
    said = badges.first.locator("xpath=..").get_attribute("title") or ""
    assert re.search(r"名（在岗 \d+、处置中 \d+、离岗 \d+", said), said
    page.screenshot_step("workers-counted")
    for _ in range(4):  # a village's badge, then its grid's: zoomed in until drawn one by one
        if page.evaluate("!zzCommand.layers.workers.counted"):
            break
        # the fewest workers' badge (a dense grid may hold more than the lowered cap),
        # clicked where it is: the open legend and layer panel cover most of the map
        with page.expect_request(lambda r: f"/api/command/{COUNTY}/points/workers?" in r.url):
            badges.nth(page.evaluate(_FEWEST_BADGE)).dispatch_event("click")
        page.wait_for_function("!zzCommand.layers.workers.reading")
    page.wait_for_function("Object.keys(zzCommand.layers.workers.markers).length > 0")
    assert badges.count() == 0
    expect(hint).to_have_text("")
    page.screenshot_step("workers-drawn")
    page.assert_clean(origin)


@pytest.mark.browser
def test_an_import_arrives_as_one_toast_and_a_fresh_queue(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    """A clerk imports a week's 12345 export: one toast for its new open cases, not one each."""
    origin = _open_county(page, console_demo)
    page.wait_for_function("zzCommand.live && zzCommand.live.zzReady === true")
    with console_demo.owner.begin() as conn:
        conn.execute(text("SELECT set_config('zongzhi.scope_lo', '', true)"))
        conn.execute(text("SELECT set_config('zongzhi.scope_hi', '~', true)"))
        village = conn.execute(
            text("SELECT code FROM jurisdictions WHERE level = 5 AND code LIKE '530424%' LIMIT 1")
        ).scalar_one()
    title = "导入推送测试"
    # work-order numbers in digits, as 12345 gives them: the desk's test, which may run after
    # this one, finds no Latin word on the desk (IMP-0 in its queue read as an untranslated label)
    number = "8812026113009{:02d}".format
    open_rows = [
        [number(i), "邻里纠纷", title, village, "2026-11-30 09:00", "办理中", ""] for i in range(3)
    ]
    settled = [
        [number(i), "邻里纠纷", title, village, "2026-11-01 09:00", "已办结", "2026-11-03 10:00"]
        for i in range(3, 5)
    ]
    path = tmp_path / "12345工单.csv"
    headers = ["工单编号", "事件类型", "标题", "所属社区", "登记时间", "办理状态", "办结时间"]
    path.write_text(csv_text(headers, open_rows + settled), encoding="utf-8")
    open_kpi = page.locator('#zz-kpis .zz-kpi[data-kpi="open"] .zz-kpi-value')
    before = int(open_kpi.inner_text())
    with console_demo.owner.connect() as conn:
        outcome = run_import(conn, path, ImportOptions(kind="cases", user="tester"))
    assert outcome.committed and outcome.counts is not None and outcome.counts.inserted == 5
    toast = page.locator(".zz-toasts .alert", has_text="导入新案件")
    toast.wait_for(timeout=10_000)
    assert toast.inner_text() == "导入新案件 3 件，待分流"  # the settled two are history
    assert page.locator(".zz-toasts .alert").count() == 1
    # the feed is read again once; a loaded test machine may take a while to answer it
    expect(open_kpi).to_have_text(str(before + 3), timeout=15_000)
    page.screenshot_step("import-toast")
    page.assert_clean(origin)


@pytest.mark.browser
def test_the_queue_pane_lists_overdue_and_new_cases_escalating_warns_and_a_case_arrives_live(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """The city's commander on the county's page (one login and page load for all of it).

    The queue pane lists the area's overdue cases at every level and its cases of the last 24
    hours; 提级办理 of a county's dispatched case says which dispatch it withdraws (trial AM
    N10, AH S1), on the command page and on the case page; a case another operator registers
    arrives live, as a toast.
    """
    with console_demo.owner.connect() as conn:
        held = conn.execute(
            text(
                "SELECT c.id, d.department AS assignee_name FROM cases c"
                " JOIN dispatches d ON d.case_id = c.id"
                " WHERE c.handling_level = 3 AND c.area_code LIKE :county AND d.department <> ''"
                " AND c.state = ANY(:open) AND d.status IN ('assigned', 'accepted', 'arrived')"
                " ORDER BY c.id LIMIT 1"
            ),
            {"county": COUNTY[:6] + "%", "open": sorted(OPEN_STATES)},
        ).one()
    origin = _open_county(page, console_demo)
    feed = page.evaluate(f"zz.api('/api/command/{COUNTY}')")
    with console_demo.owner.connect() as conn:
        overdue, recent, levels = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE state = ANY(:open) AND deadline < now()),"
                " count(*) FILTER (WHERE reported_at >= now() - interval '24 hours'),"
                " count(DISTINCT handling_level) FILTER (WHERE state = ANY(:open)"
                " AND deadline < now()) FROM cases WHERE area_code LIKE :county"
            ),
            {"open": sorted(OPEN_STATES), "county": COUNTY[:6] + "%"},
        ).one()
    assert overdue == feed["unit"]["kpis"]["overdue"] and levels > 1  # not only the county's own
    rows = page.locator("#zz-queue-body tr")
    expect(rows).to_have_count(len(feed["queue"]))
    # the 超期案件 card opens the area's overdue cases, the longest overdue first
    page.locator('#zz-kpis .zz-kpi[data-kpi="overdue"]').click()
    expect(page.locator("#zz-queue-scope")).to_have_value("overdue")
    expect(rows).to_have_count(overdue)
    expect(page.locator("#zz-queue-count")).to_have_text(str(overdue))
    expect(rows.first.locator(".zz-case-sub")).to_contain_text("级办理")
    assert "乡镇（街道）级办理" in page.locator("#zz-queue-body").inner_text()
    page.screenshot_step("1-overdue-in-the-area")
    page.select_option("#zz-queue-scope", "recent")
    expect(rows).to_have_count(recent)
    if not recent:
        expect(page.locator("#zz-queue-empty")).to_have_text("辖区近24小时无新登记案件")
    page.select_option("#zz-queue-scope", "queue")
    expect(rows).to_have_count(len(feed["queue"]))
    page.assert_clean(origin)

    # 提级办理 says which dispatch it withdraws
    row = page.locator(f"#zz-queue-body tr[data-case-id='{held.id}']")
    escalate = row.locator(".zz-act[data-action=escalate]")
    # the city's 上报 of the county's case takes it up, and says so (trial AM N10)
    expect(escalate).to_have_text("提级办理")
    escalate.click()
    # where it goes: a county's case to the city (trial AH S1: 上报 said nowhere)
    expect(page.locator("#zz-action-title")).to_have_text(re.compile("^提级办理（改由市级办理）："))
    # the city reads why: the reason is asked (上报原因, required like 督办意见)
    expect(page.locator("#zz-action-note-label")).to_have_text("上报原因（必填）")
    assert page.evaluate("document.getElementById('zz-action-note').required")
    warning = page.locator("#zz-action-dialog .zz-escalate-warning")
    expect(warning).to_have_text(
        re.compile(f"上报后，派给 {held.assignee_name} 的派单（.+）将撤回")
    )
    page.screenshot_step("1-escalate-dialog")
    page.click("#zz-action-cancel")

    # a new case arrives live
    page.wait_for_function("zzCommand.live && zzCommand.live.zzReady === true")
    centre = page.evaluate("[zzMap.getCenter().lng, zzMap.getCenter().lat]")
    open_kpi = page.locator('#zz-kpis .zz-kpi[data-kpi="open"] .zz-kpi-value')
    visits_kpi = page.locator('#zz-kpis .zz-kpi[data-kpi="overdue_visits"]')
    cameras_kpi = page.locator('#zz-kpis .zz-kpi[data-kpi="cameras"] .zz-kpi-value')
    open_before, visits_before = int(open_kpi.inner_text()), visits_kpi.inner_text()
    cameras_before = cameras_kpi.inner_text()
    full_url = f"{origin}/api/command/{COUNTY}"
    full_reads = page.requests.count(full_url)
    # another operator registers a case (a fetch outside the page's own code)
    title = "实时推送测试纠纷"
    status = page.evaluate(
        """([lon, lat, title]) => fetch('/api/cases', {method: 'POST',
            credentials: 'same-origin', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({channel: 'phone', category: 'dispute', risk_level: 4,
                                  title: title, lon: lon, lat: lat})}).then((r) => r.status)""",
        [*centre, title],
    )
    assert status == 201
    toast = page.locator(".zz-toasts .alert", has_text=title)
    toast.wait_for(timeout=10_000)
    assert toast.inner_text().startswith("新登记案件")
    # the event reads again only what a case event can change (trial BC M4): the case figures
    # anew, 走访逾期 and the cameras as the last full read gave them, no full read
    expect(open_kpi).to_have_text(str(open_before + 1), timeout=15_000)
    assert f"{full_url}?parts=cases" in page.requests
    assert page.requests.count(full_url) == full_reads
    assert visits_kpi.inner_text() == visits_before and cameras_kpi.inner_text() == cameras_before
    page.screenshot_step("live-toast")
    page.assert_clean(origin)

    # the case page says it too
    page.goto(f"{origin}/cases/{held.id}")
    page.locator("#cz-actions button[data-action=escalate]").click()
    expect(page.locator("#cz-escalate-warning")).to_contain_text(f"派给 {held.assignee_name}")
    page.assert_clean(origin)


@pytest.mark.browser
def test_a_summons_names_a_new_department_only_when_ticked(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial AQ S3: the command page's 吹哨 took any typed name; a name outside the list now
    needs 新增部门名称 ticked there too, as on the case page (or it could not be sent at all)."""
    login(
        page,
        console_demo.origin,
        console_demo.username("commander", COUNTY),
        next_path=f"/console/{COUNTY}",
    )
    _wait_ready(page, COUNTY)
    button = page.locator(".zz-act[data-action=summon]").first
    case_id = int(button.locator("xpath=ancestor::tr").get_attribute("data-case-id") or 0)
    button.click()
    fresh = page.locator("#zz-f-new-departments")
    expect(fresh).not_to_be_checked()
    page.locator("#zz-f-departments").fill("县应急管理局")
    page.locator("#zz-action-note").fill("请派员到场核查")
    page.locator("#zz-action-submit").click()
    expect(page.locator("#zz-action-error")).to_contain_text("新增部门名称")
    fresh.check()
    page.locator("#zz-action-submit").click()
    page.locator(".zz-toasts .alert-success").wait_for()
    with console_demo.owner.connect() as conn:
        named = conn.execute(
            text(
                "SELECT payload -> 'departments' FROM case_events"
                " WHERE case_id = :id AND action = 'summon' ORDER BY id DESC LIMIT 1"
            ),
            {"id": case_id},
        ).scalar_one()
    assert named == ["县应急管理局"]
    page.assert_clean(console_demo.origin, expected_errors=(r"status of 4\d\d .*/summon",))
