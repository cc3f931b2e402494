"""Retired units (a re-division abolished them) leave the map, the lists and the scopes.

A re-division retired the grids 兴复第3、12网格 (successor 兴复第8网格, whose new boundary
covers them), the village 南河村 (successor 南河社区, likewise) and 老街村 (no successor; 盘溪社区
covers it). Through the real API, command line and console, in a database of its own (the
retirements are committed, after the fixture read the console as it was before):

* the OGC collections, the vector tiles and the command view's outlines show live units only;
* the command feed lists live children only, while the unit's totals (by code range) still
  count the retired units' cases: retiring a unit does not change them; the trends list the
  retired units with cases in the window after the live ones, marked 已撤销 (history stays in
  the unit where it happened);
* a retired unit is refused as a user's scope, a dispatch target or a hot-spot run's area, in
  Chinese, naming its successor;
* dispatch gives no own-grid bonus for a retired grid; a case registered or a hot cell placed by
  its point goes to the live unit;
* a case of a retired grid or village still names them, marked 已撤销 (history).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import mapbox_vector_tile
import pytest
import typer
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.app import create_app
from api.auth import issue_token
from api.cli import served_in_thread
from api.routers import trends as trends_route
from api.settings import ApiSettings
from layers import accounts
from layers.china_time import CHINA
from layers.database import DatabaseUrls, apply_scope, make_engine
from layers.model import Case, Worker
from layers.secrets import keys_from_master
from layers.settings import Settings
from layers.users_cli import register as register_users
from tests.browser import RecordedPage
from tests.conftest import SuiteDatabase, separate_database

DATABASE = "zongzhi_retired_units"
PASSWORD = "Zz#Retired-2026"
COUNTY = "530424000000"
TOWN_1 = "530424101000"  # 宁州街道: one village, its grids re-divided
TOWN_2 = "530424102000"  # 盘溪镇: 南河村 merged into 南河社区, 老街村 into 盘溪社区
XINGFU = "530424101001"
GRID_1, GRID_3, GRID_8, GRID_12 = (XINGFU + s for s in ("001", "003", "008", "012"))
# 老街村 has a lower code than 盘溪社区 that covers it: a lookup by code range meets it first
LAOJIE, NANHE_SQ, PANXI, NANHE_CUN = "530424102002", "530424102003", "530424102005", "530424102201"
RETIRED_ON = "2026-03-10"
NANHE_REFUSAL = f"南河村（{NANHE_CUN}）已于{RETIRED_ON}撤销，请用继承单位 南河社区（{NANHE_SQ}）"
# boxes (west, south, east, north); a successor covers what it took over
BOXES = {
    **dict.fromkeys(("530000000000", "530400000000", COUNTY), (102.80, 24.20, 103.00, 24.30)),
    TOWN_1: (102.80, 24.20, 102.90, 24.30),
    TOWN_2: (102.90, 24.20, 103.00, 24.30),
    XINGFU: (102.80, 24.20, 102.90, 24.30),
    GRID_1: (102.80, 24.20, 102.85, 24.30),
    GRID_8: (102.85, 24.20, 102.90, 24.30),
    GRID_3: (102.85, 24.27, 102.90, 24.30),
    GRID_12: (102.87, 24.20, 102.90, 24.25),
    PANXI: (102.90, 24.20, 102.95, 24.30),
    NANHE_SQ: (102.95, 24.20, 103.00, 24.30),
    NANHE_CUN: (102.96, 24.20, 103.00, 24.25),
    LAOJIE: (102.90, 24.25, 102.95, 24.30),
}
# before the re-division (the successors' new boundaries cover what they took over)
BEFORE = {
    GRID_8: (102.85, 24.20, 102.87, 24.27),
    NANHE_SQ: (102.95, 24.25, 103.00, 24.30),
    PANXI: (102.90, 24.20, 102.95, 24.25),
}
NANHE_POINT = (102.98, 24.22)  # in 南河村 and 南河社区
LAOJIE_POINT = (102.925, 24.275)  # in 老街村 and 盘溪社区
GRID_12_POINT = (102.885, 24.225)  # in 兴复第12网格 and 兴复第8网格
GRID_3_POINT = (102.875, 24.285)  # in 兴复第3网格 and 兴复第8网格
BEFORE_PATHS = {
    "town": f"/api/command/{TOWN_2}",
    "village": f"/api/command/{XINGFU}",
    "trends": f"/api/trends/{TOWN_2}?periods=4",
}


def _box(code: str, boxes: Mapping[str, tuple[float, float, float, float]] = BOXES) -> str:
    w, s, e, n = boxes.get(code, BOXES[code])
    return f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"


def _centre(code: str) -> tuple[float, float]:
    w, s, e, n = BOXES[code]
    return (w + e) / 2, (s + n) / 2


@dataclass(frozen=True)
class World:
    """The served database, its owner engine, tokens and the ids the tests use."""

    client: TestClient
    settings: ApiSettings
    owner: Engine
    urls: DatabaseUrls
    headers: dict[str, dict[str, str]]
    cases: dict[str, int]
    workers: dict[str, int]
    before: dict[str, Any]
    """Command feeds and trends read before the re-division, by :data:`BEFORE_PATHS` key."""

    def get(self, user: str, path: str, **params: Any) -> Any:
        """GET ``path`` as ``user``; assert 200 and return the JSON."""
        response = self.client.get(path, headers=self.headers[user], params=params or None)
        assert response.status_code == 200, response.text
        return response.json()


def _seed(session: Session, now: datetime) -> tuple[dict[str, int], dict[str, int]]:
    """Insert the county as it was before the re-division (retired units first: as old rows)."""
    units = [
        ("530000000000", "云南省", 1, None),
        ("530400000000", "玉溪市", 2, "530000000000"),
        (COUNTY, "华宁县", 3, "530400000000"),
        (TOWN_1, "宁州街道", 4, COUNTY),
        (TOWN_2, "盘溪镇", 4, COUNTY),
        (NANHE_CUN, "南河村", 5, TOWN_2),
        (LAOJIE, "老街村", 5, TOWN_2),
        (XINGFU, "兴复社区", 5, TOWN_1),
        (PANXI, "盘溪社区", 5, TOWN_2),
        (NANHE_SQ, "南河社区", 5, TOWN_2),
    ]
    for code, name, level, parent in units:
        session.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, boundary) VALUES"
                f" (:c, :n, :l, :p, {_geometry('jurisdictions')})"
            ),
            {"c": code, "n": name, "l": level, "p": parent, "w": _box(code, BEFORE)},
        )
    names = {
        GRID_12: "兴复第12网格",
        GRID_3: "兴复第3网格",
        GRID_1: "兴复第1网格",
        GRID_8: "兴复第8网格",
    }
    for code, name in names.items():
        session.execute(
            text(
                "INSERT INTO grids (code, name, area_code, boundary) VALUES"
                " (:c, :n, :a, ST_GeomFromText(:w, 4490))"
            ),
            {"c": code, "n": name, "a": XINGFU, "w": _box(code, BEFORE)},
        )

    def case(key: str, area: str, grid: str | None, state: str, at: tuple[float, float]) -> Case:
        return Case(
            code=f"RT-{key}",
            channel="grid_worker",
            category="dispute",
            subcategory="neighbours",
            title=f"测试事件{key}",
            risk_level=3,
            point=f"SRID=4490;POINT({at[0]} {at[1]})",
            area_code=area,
            grid_code=grid,
            state=state,
            handling_level=4,
            reported_at=now - timedelta(days=5),
            closed_at=now - timedelta(days=1) if state == "archived" else None,
        )

    def near(point: tuple[float, float], i: int) -> tuple[float, float]:
        return point[0] + i * 1e-4, point[1]

    made = [
        *(case(f"nanhe-{i}", NANHE_CUN, None, "archived", near(NANHE_POINT, i)) for i in range(2)),
        # 30 in 老街村: enough located cases in the month for the trends to tell hot spots
        *(case(f"laojie-{i}", LAOJIE, None, "archived", near(LAOJIE_POINT, i)) for i in range(30)),
        case("grid12-closed", XINGFU, GRID_12, "archived", GRID_12_POINT),
        case("grid12-open", XINGFU, GRID_12, "triaged", GRID_12_POINT),
        case("nanhe-sq-open", NANHE_SQ, None, "triaged", _centre(NANHE_SQ)),
    ]
    session.add_all(made)
    session.execute(
        text(
            "INSERT INTO video_points (device_id, name, status, point, area_code, fov_deg,"
            " range_m) VALUES ('53042410001320000001', '兴复路口', 'online',"
            " ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 60, 80)"
        ),
        {"x": GRID_3_POINT[0], "y": GRID_3_POINT[1], "a": XINGFU},
    )
    lon, lat = GRID_12_POINT

    def worker(name: str, grid: str, east: float) -> Worker:
        return Worker(
            name=name,
            role="grid_worker",
            home_grid=grid,
            area_code=XINGFU,
            status="on_duty",
            last_position=f"SRID=4490;POINT({lon + east} {lat})",
            last_seen_at=now,
        )

    workers = {
        # 250 m away, in the retired grid: its own-grid bonus (300 m) would put it first
        "in_grid_12": worker("甲网格员", GRID_12, 0.0025),
        "in_grid_8": worker("乙网格员", GRID_8, 0.001),
    }
    session.add_all(workers.values())
    session.flush()
    return {c.code[3:]: c.id for c in made}, {k: w.id for k, w in workers.items()}


def _geometry(table: str) -> str:
    shape = "ST_GeomFromText(:w, 4490)"
    return f"ST_Multi({shape})" if table == "jurisdictions" else shape


def _retire(conn: Any) -> None:
    """Retire 兴复第3、12网格, 南河村 and 老街村 as the re-division did."""
    conn.execute(
        text(
            "UPDATE jurisdictions SET retired_on = DATE '2026-03-10',"
            " successor_code = CASE WHEN code = :nanhe THEN :heir END"
            " WHERE code IN (:nanhe, :laojie)"
        ),
        {"nanhe": NANHE_CUN, "heir": NANHE_SQ, "laojie": LAOJIE},
    )
    conn.execute(
        text(
            "UPDATE grids SET retired_on = DATE '2026-03-10', successor_code = :grid8"
            " WHERE code IN (:grid3, :grid12)"
        ),
        {"grid8": GRID_8, "grid3": GRID_3, "grid12": GRID_12},
    )
    # and the successors' new boundaries cover what they took over
    for table, code in (("grids", GRID_8), ("jurisdictions", NANHE_SQ), ("jurisdictions", PANXI)):
        conn.execute(
            text(f"UPDATE {table} SET boundary = {_geometry(table)} WHERE code = :c"),
            {"c": code, "w": _box(code)},
        )


@pytest.fixture(scope="module")
def world(database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Seed the county, create users, retire the units (committed) and serve the platform."""
    urls = separate_database(database, DATABASE)
    owner = make_engine(urls.owner, pool_size=2)
    now = datetime.now(UTC)
    users = {
        "county": ("commander", COUNTY),
        "town1": ("dispatcher", TOWN_1),
        "town2": ("dispatcher", TOWN_2),
    }
    with Session(owner) as session, session.begin():
        apply_scope(session, None)
        cases, workers = _seed(session, now)
        ids = {
            key: accounts.create_user(
                session,
                username=f"rt_{key}",
                password=PASSWORD,
                role=role,
                scope_code=scope,
                display_name=f"测试{key}",
            ).id
            for key, (role, scope) in users.items()
        }
    settings = ApiSettings(
        database=Settings(
            home=tmp_path_factory.mktemp("retired-home"),
            database_url=urls.owner,
            app_database_url=urls.app,
        ),
        urls=urls,
        jwt_secret="retired-units-jwt-secret-0123456789abcdef",
        keys=keys_from_master(b"zongzhi retired units master key"),
        pool_size=2,
    )
    issued = datetime.now(UTC)  # after the accounts were made: older tokens are refused
    headers = {
        key: {"Authorization": f"Bearer {issue_token(settings, uid, now=issued).token}"}
        for key, uid in ids.items()
    }
    # the trends count complete months: their clock stands just after the month of the cases
    # (5 days back: from the 6th of a month on, that month is not over yet)
    seeded = (now - timedelta(days=5)).astimezone(CHINA)
    month_after = datetime(
        seeded.year + seeded.month // 12, seeded.month % 12 + 1, 1, 1, tzinfo=CHINA
    )
    clock = pytest.MonkeyPatch()
    clock.setattr(trends_route, "utcnow", lambda: month_after.astimezone(UTC))
    try:
        with TestClient(create_app(settings)) as client:
            world = World(client, settings, owner, urls, headers, cases, workers, {})
            # what the console showed before the re-division (the trends are cached then)
            for key, path in BEFORE_PATHS.items():
                world.before[key] = world.get("county", path)
            with owner.begin() as conn:
                _retire(conn)
            yield world
    finally:
        clock.undo()
        owner.dispose()


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int(
        (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    )


def _tile_codes(world: World, layer: str, at: tuple[float, float]) -> set[str]:
    x, y = _tile_of(*at, 13)
    response = world.client.get(f"/tiles/{layer}/13/{x}/{y}.mvt", headers=world.headers["county"])
    assert response.status_code == 200
    decoded = mapbox_vector_tile.decode(response.content)
    return {f["properties"]["code"] for f in decoded.get(layer, {"features": []})["features"]}


def _codes(features: list[dict[str, Any]]) -> set[str]:
    return {f["properties"]["code"] for f in features}


def test_map_layers_show_live_units_only(world: World) -> None:
    grids = world.get("county", "/ogc/collections/grids/items", limit=100)
    assert _codes(grids["features"]) == {GRID_1, GRID_8}
    assert grids["numberMatched"] == 2
    units = world.get("county", "/ogc/collections/jurisdictions/items", limit=100)
    assert NANHE_CUN not in _codes(units["features"]) and NANHE_SQ in _codes(units["features"])
    assert LAOJIE not in _codes(units["features"])
    gone = world.client.get(
        f"/ogc/collections/grids/items/{GRID_12}", headers=world.headers["county"]
    )
    assert gone.status_code == 404
    # vector tiles where the retired units lie under their successors
    assert _tile_codes(world, "grids", GRID_12_POINT) == {GRID_8}
    assert NANHE_CUN not in _tile_codes(world, "jurisdictions", NANHE_POINT)
    assert NANHE_SQ in _tile_codes(world, "jurisdictions", NANHE_POINT)
    # the command view's outlines: the unit and its live children
    village = world.get("county", f"/api/console/{XINGFU}/outline")["features"]
    assert [f["properties"]["code"] for f in village if f["properties"]["role"] == "child"] == [
        GRID_1,
        GRID_8,
    ]
    town = world.get("county", f"/api/console/{TOWN_2}/outline")["features"]
    assert {f["properties"]["code"] for f in town if f["properties"]["role"] == "child"} == {
        PANXI,
        NANHE_SQ,
    }
    # a retired unit's own outline stays readable (history)
    own = world.get("county", f"/api/console/{NANHE_CUN}/outline")["features"]
    assert [f["properties"]["code"] for f in own] == [NANHE_CUN]


def test_command_children_are_live_and_totals_do_not_change(world: World) -> None:
    town_before, village_before = world.before["town"], world.before["village"]
    assert {c["code"] for c in town_before["children"]} == {PANXI, NANHE_SQ, NANHE_CUN, LAOJIE}
    town = world.get("county", f"/api/command/{TOWN_2}")
    assert [c["code"] for c in town["children"]] == [NANHE_SQ, PANXI]
    assert town["unit"]["kpis"] == town_before["unit"]["kpis"]
    assert town["unit"]["kpis"]["reported"] == 33  # with 南河村's and 老街村's closed cases
    assert {c["code"] for c in village_before["children"]} == {GRID_1, GRID_3, GRID_8, GRID_12}
    village = world.get("county", f"/api/command/{XINGFU}")
    assert [c["code"] for c in village["children"]] == [GRID_1, GRID_8]
    # the camera in 兴复第3网格 (merged into 兴复第8网格) counts in the live grid covering it
    assert [c["kpis"]["cameras"] for c in village["children"]] == [0, 1]
    assert village["unit"]["kpis"] == village_before["unit"]["kpis"]
    assert village["unit"]["kpis"]["open"] == 1 and village["unit"]["kpis"]["reported"] == 2
    county = world.get("county", f"/api/command/{COUNTY}")
    assert county["unit"]["kpis"]["reported"] == 35
    # a retired unit's own feed stays readable (history)
    assert world.get("county", f"/api/command/{NANHE_CUN}")["unit"]["kpis"]["reported"] == 2


def test_trends_list_live_children(world: World) -> None:
    before = world.before["trends"]  # analysed (and cached) before the re-division
    assert {c["code"] for c in before["unit"]["children"]} == {PANXI, NANHE_SQ, NANHE_CUN, LAOJIE}
    body = world.get("county", f"/api/trends/{TOWN_2}", periods=4)
    children = body["unit"]["children"]
    assert [c["code"] for c in children] == [NANHE_SQ, PANXI, LAOJIE, NANHE_CUN]
    assert [c["retired_on"] is not None for c in children] == [False, False, True, True]
    assert children[3]["label"] == "南河村（2026-03-10 已撤销，由南河社区继承）"
    # the hot cells of 老街村's and 南河村's cases are named after the live units covering them
    named = {(c["area_code"], c["area_name"]) for c in body["cells"]}
    assert (PANXI, "盘溪社区") in named and named <= {(PANXI, "盘溪社区"), (NANHE_SQ, "南河社区")}
    outlines = world.get("county", f"/api/trends/{TOWN_2}/outlines")["features"]
    assert _codes(outlines) == {TOWN_2, PANXI, NANHE_SQ}
    assert world.get("county", f"/api/trends/{NANHE_CUN}", periods=4)["unit"]["name"] == "南河村"


def _unspaced(value: str) -> str:
    return "".join(value.split())


def _cli(world: World, scope: str, name: str) -> Any:
    app = typer.Typer()
    register_users(app)
    env = {
        "ZONGZHI_DATABASE_URL": world.urls.owner,
        "ZONGZHI_APP_DATABASE_URL": world.urls.app,
    }
    return CliRunner().invoke(
        app,
        ["user", "add", name, "--role", "dispatcher", "--scope", scope, "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
    )


def test_user_add_refuses_a_retired_scope_naming_the_successor(world: World) -> None:
    refused = _cli(world, NANHE_CUN, "rt_nanhe")
    assert refused.exit_code == 1
    assert _unspaced(NANHE_REFUSAL) in _unspaced(refused.output)  # rich may wrap it
    orphan = _cli(world, LAOJIE, "rt_laojie")
    assert orphan.exit_code == 1
    assert f"老街村（{LAOJIE}）已于{RETIRED_ON}撤销，没有继承单位" in _unspaced(orphan.output)
    with world.owner.connect() as conn:
        made = conn.execute(text("SELECT count(*) FROM users WHERE username LIKE 'rt_%'"))
        assert made.scalar_one() == 3  # the fixture's three, no more
    done = _cli(world, NANHE_SQ, "rt_nanhe_sq")
    assert done.exit_code == 0, done.output


def test_dispatch_and_hotspot_runs_refuse_a_retired_unit(world: World) -> None:
    case_id = world.cases["nanhe-sq-open"]
    refused = world.client.post(
        f"/api/cases/{case_id}/dispatch",
        headers=world.headers["town2"],
        json={"unit_code": NANHE_CUN, "version": 1},
    )
    assert refused.status_code == 422
    assert NANHE_REFUSAL in refused.text
    run = world.client.post(
        "/api/hotspots/runs", headers=world.headers["county"], json={"scope_code": NANHE_CUN}
    )
    assert run.status_code == 422
    assert NANHE_REFUSAL in run.text
    sent = world.client.post(
        f"/api/cases/{case_id}/dispatch",
        headers=world.headers["town2"],
        json={"unit_code": NANHE_SQ, "version": 1},
    )
    assert sent.status_code == 200, sent.text


def test_dispatch_gives_no_own_grid_bonus_for_a_retired_grid(world: World) -> None:
    case_id = world.cases["grid12-open"]
    found = world.get("town1", f"/api/cases/{case_id}/candidates", stale_minutes=24 * 60)
    ranked = [(c["worker_id"], c["own_grid"]) for c in found["candidates"]]
    assert ranked == [(world.workers["in_grid_8"], False), (world.workers["in_grid_12"], False)]


def test_points_go_to_live_units(world: World) -> None:
    lon, lat = GRID_12_POINT
    made = world.client.post(
        "/api/cases",
        headers=world.headers["town1"],
        json={"channel": "walk_in", "category": "dispute", "title": "来访", "lon": lon, "lat": lat},
    )
    assert made.status_code == 201, made.text
    assert (made.json()["area_code"], made.json()["grid_code"]) == (XINGFU, GRID_8)
    lon, lat = NANHE_POINT
    made = world.client.post(
        "/api/cases",
        headers=world.headers["town2"],
        json={"channel": "walk_in", "category": "dispute", "title": "来访", "lon": lon, "lat": lat},
    )
    assert made.status_code == 201, made.text
    assert made.json()["area_code"] == NANHE_SQ
    # a retired unit or grid named outright is refused, naming what took it over
    for named, said in ((NANHE_CUN, NANHE_REFUSAL), (f"{XINGFU}", None)):
        body = {"channel": "walk_in", "category": "dispute", "title": "来访", "area_code": named}
        if said is None:
            body["grid_code"] = GRID_12
        refused = world.client.post("/api/cases", headers=world.headers["county"], json=body)
        assert refused.status_code == 422, refused.text
        message = refused.json()["detail"]
        assert (
            message == said if said else message.startswith(f"网格 兴复第12网格（{GRID_12}）已于")
        )
    # hot cells of a run are placed in the live unit that covers their centre
    end = datetime.now(UTC)
    run = world.client.post(
        "/api/hotspots/runs",
        headers=world.headers["county"],
        json={
            "scope_code": TOWN_2,
            "window_start": (end - timedelta(days=30)).isoformat(),
            "window_end": end.isoformat(),
            "resolution": 9,
            "permutations": 9,
        },
    )
    assert run.status_code == 201, run.text
    run_id = run.json()["run_id"]
    cells = world.get("county", "/ogc/collections/hotspots/items", limit=1000)["features"]
    areas = {f["properties"]["area_code"] for f in cells if f["properties"]["run_id"] == run_id}
    assert PANXI in areas and areas <= {PANXI, NANHE_SQ}


def test_case_detail_names_retired_units(world: World) -> None:
    detail = world.get("town1", f"/api/cases/{world.cases['grid12-closed']}/detail")
    assert detail["grid"] == {
        "code": GRID_12,
        "name": "兴复第12网格",
        "retired_on": RETIRED_ON,
        "label": "兴复第12网格（已撤销）",
    }
    assert detail["area"]["label"] == "兴复社区" and detail["area"]["retired_on"] is None
    nanhe = world.get("town2", f"/api/cases/{world.cases['nanhe-0']}/detail")
    assert nanhe["area"]["label"] == "南河村（已撤销）" and nanhe["grid"] is None


@pytest.mark.browser
def test_console_case_page_names_retired_units(world: World, page: RecordedPage) -> None:
    case_id = world.cases["grid12-closed"]
    with served_in_thread(create_app(world.settings)) as origin:
        page.goto(f"{origin}/login?next=/cases/{case_id}")
        page.fill("#username", "rt_town1")
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(f"{origin}/cases/{case_id}")
        expect(page.locator("#cz-grid")).to_have_text("兴复第12网格（已撤销）")
        expect(page.locator("#cz-area")).to_have_text("兴复社区")
        expect(page.locator("#cz-location + dt")).to_have_text("所属辖区")
        page.screenshot_step("case-in-retired-grid")
        page.assert_clean(origin)
