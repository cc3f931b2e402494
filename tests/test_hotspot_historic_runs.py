"""A planner's look at the past stays off today's console; alert titles name the cases behind them.

A hot-spot run over a window that ended more than one time bin ago is a *historic analysis*
(:mod:`layers.hotspot_current`): stored and readable by its number, it raises no alert and the
command console, its map and its ``active_hotspots`` KPI keep showing the latest current run.
An alert's title counts the cases of the hot spot (the cell and the cells next to it, which
Gi* weighs) over the run's window, and how many of its periods were hot: never "0 起案件".
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import numpy as np
import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.app import create_app
from api.auth import issue_token
from api.settings import ApiSettings
from geo.codes import scope_range
from layers import command, command_map, hotspot_runs, hotspots_cli
from layers.china_time import CHINA
from layers.database import DatabaseUrls, apply_scope, make_engine
from layers.errors import NotFound
from layers.model import Alert, HotspotCell
from layers.secrets import keys_from_master
from layers.settings import Settings
from tests.conftest import SuiteDatabase, separate_database
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_user,
    ensure_world,
    township,
    village,
    village_centre,
)

TODAY_SPOT = village(100, 1)
PAST_SPOT = village(200, 1)
PAST_START = datetime(2024, 1, 1, tzinfo=UTC)
PAST_END = datetime(2025, 1, 1, tzinfo=UTC)
ALERTING = {"new_hot", "consecutive_hot", "persistent_hot", "intensifying_hot", "sporadic_hot"}


def _add_case(session: Session, n: int, lon: float, lat: float, at: datetime) -> None:
    area = (
        session.execute(
            text(
                "SELECT code FROM jurisdictions WHERE level = 5 AND ST_Covers(boundary,"
                " ST_SetSRID(ST_MakePoint(:x, :y), 4490)) LIMIT 1"
            ),
            {"x": lon, "y": lat},
        ).scalar()
        or township()
    )
    session.execute(
        text(
            "INSERT INTO cases (code, channel, category, title, point, area_code, state,"
            " handling_level, reported_at, risk_level) VALUES (:c, 'phone', 'dispute', 't',"
            " ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 'resolved', 4, :t, 4)"
        ),
        {"c": f"hh-{n}", "x": lon, "y": lat, "a": area, "t": at},
    )


def _seed(session: Session, now: datetime) -> None:
    """Cases of today (a new cluster in the last week) and of 2024 (a year-long cluster)."""
    ensure_world(session)
    rng = np.random.default_rng(11)
    n = 0
    today_lon, today_lat = village_centre(TODAY_SPOT)
    past_lon, past_lat = village_centre(PAST_SPOT)
    for _ in range(60):  # background over the county's townships, the last 12 weeks
        lon, lat = 102.50 + rng.uniform(0, 0.16), 24.30 + rng.uniform(0, 0.02)
        _add_case(session, n, lon, lat, now - timedelta(days=int(rng.integers(1, 84))))
        n += 1
    for _ in range(60):  # today's cluster, in the last week
        lon, lat = today_lon + rng.normal(0, 0.0006), today_lat + rng.normal(0, 0.0006)
        _add_case(session, n, lon, lat, now - timedelta(days=int(rng.integers(1, 6))))
        n += 1
    for _ in range(80):  # background of 2024
        lon, lat = 102.50 + rng.uniform(0, 0.16), 24.30 + rng.uniform(0, 0.02)
        _add_case(session, n, lon, lat, PAST_START + timedelta(days=int(rng.integers(0, 366))))
        n += 1
    for day in range(0, 366, 4):  # 2024's persistent cluster, a case every four days
        lon, lat = past_lon + rng.normal(0, 0.0006), past_lat + rng.normal(0, 0.0006)
        _add_case(session, n, lon, lat, PAST_START + timedelta(days=day, hours=3))
        n += 1


@pytest.fixture
def world(db: Session) -> Session:
    """The cases at the suite's fixed ``NOW``, rolled back after the test."""
    _seed(db, NOW)
    return db


def _current_run(session: Session) -> hotspot_runs.RunResult:
    return hotspot_runs.run(
        session,
        actor=actor("commander", COUNTY),
        scope_code=COUNTY,
        window_start=NOW - timedelta(days=84),
        window_end=NOW,
        now=NOW,
    )


def _past_run(session: Session) -> hotspot_runs.RunResult:
    return hotspot_runs.run(
        session,
        actor=actor("analyst", COUNTY),
        scope_code=COUNTY,
        window_start=PAST_START,
        window_end=PAST_END,
        bin_days=30,
        now=NOW,
    )


def _alerts(session: Session, run_id: int) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.run_id == run_id)).all())


def _map_windows(session: Session, code: str, who: str = COUNTY) -> set[str]:
    cells = json.loads(command_map.hot_cells(session, code, actor=actor("commander", who)))
    return {f["properties"]["window_end"][:10] for f in cells["features"]}


def test_a_past_window_is_historic_raises_no_alert_and_leaves_the_console(
    world: Session,
) -> None:
    current = _current_run(world)
    assert not current.historic and current.alerts >= 1
    feed = command.feed(world, COUNTY, actor=actor("commander", COUNTY), now=NOW)
    kpi_before = feed["unit"]["kpis"]["active_hotspots"]
    alerts_before = [a["id"] for a in feed["alerts"]]
    assert kpi_before == current.hot_cells
    past = _past_run(world)
    assert past.status == "done" and past.historic
    # the analysis itself is whole: 2024's cluster is a hot spot of an alerting class ...
    cells = world.scalars(select(HotspotCell).where(HotspotCell.run_id == past.run_id)).all()
    assert len(cells) == past.cells > 0
    hottest = max(cells, key=lambda c: c.count)
    assert hottest.area_code == PAST_SPOT and hottest.bin >= 2
    assert any(c.bin >= 2 and c.pattern in ALERTING for c in cells)
    # ... yet it raised no alert, and the console shows today's run as before
    assert past.alerts == 0 and _alerts(world, past.run_id) == []
    after = command.feed(world, COUNTY, actor=actor("commander", COUNTY), now=NOW)
    assert after["unit"]["kpis"]["active_hotspots"] == kpi_before
    assert [a["id"] for a in after["alerts"]] == alerts_before
    assert _map_windows(world, COUNTY) == {NOW.date().isoformat()}
    # a current run made after it is current as before (it finds today's hot spots again: their
    # alerts are refreshed, none is raised twice)
    again = _current_run(world)
    assert not again.historic and (again.alerts, again.refreshed) == (0, current.alerts)
    assert _map_windows(world, COUNTY) == {NOW.date().isoformat()}


def test_a_township_sees_the_county_s_current_run_not_the_historic_one(world: Session) -> None:
    current = _current_run(world)
    _past_run(world)
    town = township(100)
    apply_scope(world, town, set_role=True)  # as the app role, under row-level security
    who = actor("commander", town)
    feed = command.feed(world, town, actor=who, now=NOW)
    in_town = world.execute(
        text(
            "SELECT count(*) FROM hotspot_cells WHERE run_id = :r AND bin >= 2"
            " AND area_code >= :lo AND area_code < :hi"
        ),
        {"r": current.run_id, "lo": town, "hi": township(101)},
    ).scalar_one()
    assert in_town >= 1 and feed["unit"]["kpis"]["active_hotspots"] == in_town
    assert _map_windows(world, town, town) == {NOW.date().isoformat()}
    # the county's run is read there, never changed or deleted from there
    changed = world.execute(
        text("UPDATE hotspot_runs SET status = 'x' WHERE id = :r"), {"r": current.run_id}
    )
    deleted = world.execute(text("DELETE FROM hotspot_runs WHERE id = :r"), {"r": current.run_id})
    assert changed.rowcount == deleted.rowcount == 0  # type: ignore[attr-defined]
    apply_scope(world, "520425000000")  # another county reads nothing of it
    seen = world.execute(
        text("SELECT count(*) FROM hotspot_runs WHERE id = :r"), {"r": current.run_id}
    )
    assert seen.scalar_one() == 0


def _hot_in(session: Session, run_id: int, lo: str, hi: str) -> int:
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM hotspot_cells WHERE run_id = :r AND bin >= 2"
                " AND area_code >= :lo AND area_code < :hi"
            ),
            {"r": run_id, "lo": lo, "hi": hi},
        ).scalar_one()
    )


def test_a_county_keeps_its_run_when_a_township_analyses_itself(world: Session) -> None:
    """A township's own run at resolution 9 is the township's, not the county's (trial X).

    The county's 活跃热点 counted the latest run with a cell in it: the township's, made after
    the county's nightly run, so the county's map and KPI showed one township's finer cells.
    """
    county_run = _current_run(world)
    town = township(100)
    town_run = hotspot_runs.run(
        world,
        actor=actor("commander", town),
        scope_code=town,
        window_start=NOW - timedelta(days=84),
        window_end=NOW,
        resolution=9,
        now=NOW,
    )
    assert town_run.status == "done" and town_run.run_id > county_run.run_id
    county = command.feed(world, COUNTY, actor=actor("commander", COUNTY), now=NOW)
    assert county["unit"]["kpis"]["active_hotspots"] == county_run.hot_cells
    # the county's children: each township's count of the county's run, this one included
    by_child = {c["code"]: c["kpis"]["active_hotspots"] for c in county["children"]}
    assert by_child[town] == _hot_in(world, county_run.run_id, *scope_range(town))
    drawn = json.loads(command_map.hot_cells(world, COUNTY, actor=actor("commander", COUNTY)))
    county_cells = world.execute(
        text("SELECT id FROM hotspot_cells WHERE run_id = :r AND bin > 0"),
        {"r": county_run.run_id},
    ).scalars()
    assert {f["id"] for f in drawn["features"]} == set(county_cells)
    # the township sees its own run, the latest over it
    apply_scope(world, town, set_role=True)
    own = command.feed(world, town, actor=actor("commander", town), now=NOW)
    assert own["unit"]["kpis"]["active_hotspots"] == town_run.hot_cells


def test_the_historic_run_is_listed_and_read_by_its_number(world: Session) -> None:
    current = _current_run(world)
    past = _past_run(world)
    analyst = actor("analyst", COUNTY)
    listed = {r["id"]: r for r in hotspot_runs.list_runs(world, actor=analyst)}
    assert listed[past.run_id]["historic"] is True
    assert listed[current.run_id]["historic"] is False
    shown = hotspot_runs.run_cells(world, past.run_id, actor=analyst)
    assert shown["run"]["id"] == past.run_id and shown["run"]["historic"] is True
    assert shown["run"]["window_end"].startswith("2025-01-01")
    assert len(shown["features"]) == past.cells
    hot = [f for f in shown["features"] if f["properties"]["bin"] >= 2]
    assert len(hot) == past.hot_cells
    assert {f["properties"]["area_code"] for f in hot} >= {PAST_SPOT}
    # a township sees the part of the county's run inside it; another county's user nothing
    town = hotspot_runs.run_cells(world, past.run_id, actor=actor("analyst", township(200)))
    assert town["features"] and all(
        f["properties"]["area_code"].startswith(township(200)[:9]) for f in town["features"]
    )
    with pytest.raises(NotFound):
        hotspot_runs.run_cells(world, past.run_id, actor=actor("analyst", "520425000000"))


def test_the_rule_is_one_bin_before_now() -> None:
    from layers.hotspot_current import is_historic

    assert not is_historic(NOW, now=NOW, bin_days=7)
    assert not is_historic(NOW - timedelta(days=7), now=NOW, bin_days=7)
    assert is_historic(NOW - timedelta(days=7, seconds=1), now=NOW, bin_days=7)
    assert not is_historic(NOW - timedelta(days=20), now=NOW, bin_days=30)
    assert not is_historic(NOW + timedelta(days=1), now=NOW, bin_days=7)


# ---- F15: alert titles ------------------------------------------------------------------------

TITLE = re.compile(
    r"^(?P<prefix>(新增|加剧|持续)热点)（按周判定）：(?P<place>\S+)一带 (?P<n>\d+) 起案件，"
    r"近 (?P<steps>\d+) 周中 (?P<hot>\d+) 周为热点$"
)


def test_alert_titles_count_the_cases_behind_the_hot_spot(world: Session) -> None:
    current = _current_run(world)
    cells = world.scalars(select(HotspotCell).where(HotspotCell.run_id == current.run_id)).all()
    count_of = {c.unit_id: c.count for c in cells}
    by_id = {c.id: c for c in cells}
    alerts = _alerts(world, current.run_id)
    assert alerts
    # Gi* makes the cells next to a dense one hot too, yet one hot spot raises one alert: no
    # two alerts of a level are for adjacent cells
    assert sum(c.bin >= 2 for c in cells) > len(alerts)
    spots = [(a.level, by_id[a.cell_id].unit_id) for a in alerts if a.cell_id is not None]
    for (level, unit), (other_level, other) in itertools.combinations(spots, 2):
        assert level != other_level or not h3.are_neighbor_cells(unit, other)
    for alert in alerts:
        assert alert.cell_id is not None
        cell = by_id[alert.cell_id]
        found = TITLE.match(alert.title)
        assert found, alert.title
        around = sum(count_of.get(u, 0) for u in h3.grid_disk(cell.unit_id, 1))
        assert int(found["n"]) == around > 0
        assert 1 <= int(found["hot"]) <= int(found["steps"]) == 12
        assert f"本单元 {cell.count} 起" in (alert.detail or "")
        assert "分析时段 2026-08-31 至 2026-11-23" in (alert.detail or "")
        # what the class means, and on which periods (trial AF: 零星 read as minor)
        assert (alert.detail or "").startswith(f"{found['prefix']}：")
        assert "（按周判定）" in (alert.detail or "")


# ---- over HTTP and from the command line, in a database of their own ---------------------------

SERVED_DATABASE = "zongzhi_hotspot_historic"
USERS = {
    "county": ("commander", COUNTY),
    "town": ("commander", township(100)),
    "analyst": ("analyst", COUNTY),
}


@dataclass(frozen=True)
class Served:
    """The served database (cases seeded at the real clock) and the tokens of its users."""

    client: TestClient
    urls: DatabaseUrls
    headers: dict[str, dict[str, str]]

    def get(self, user: str, path: str) -> Any:
        """GET ``path`` as ``user``; assert 200 and return the JSON."""
        response = self.client.get(path, headers=self.headers[user])
        assert response.status_code == 200, response.text
        return response.json()

    def post_run(self, user: str, **body: Any) -> dict[str, Any]:
        """Start a run as ``user``; assert 201 and return the result."""
        response = self.client.post("/api/hotspots/runs", headers=self.headers[user], json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def console(self, user: str, code: str) -> tuple[int, list[int], set[str]]:
        """The unit's hot-spot KPI, its open alerts and the windows its map's hot cells end."""
        feed = self.get(user, f"/api/command/{code}")
        cells = self.get(user, f"/api/console/{code}/hotspots")
        ends = {f["properties"]["window_end"][:10] for f in cells["features"]}
        return feed["unit"]["kpis"]["active_hotspots"], [a["id"] for a in feed["alerts"]], ends


@pytest.fixture(scope="module")
def served(database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Seed the cases at the real clock (the API's) in a database of their own, and serve it."""
    urls = separate_database(database, SERVED_DATABASE)
    owner = make_engine(urls.owner, pool_size=1)
    ids: dict[str, int] = {}
    try:
        with Session(owner) as session, session.begin():
            apply_scope(session, None)
            _seed(session, datetime.now(UTC))
            for key, (role, scope) in USERS.items():
                ids[key] = add_user(session, username=f"hh_{key}", role=role, scope_code=scope)
    finally:
        owner.dispose()
    settings = ApiSettings(
        database=Settings(
            home=tmp_path_factory.mktemp("historic-home"),
            database_url=urls.owner,
            app_database_url=urls.app,
        ),
        urls=urls,
        jwt_secret="historic-hotspots-jwt-secret-0123456789",
        keys=keys_from_master(b"zongzhi historic hot spots key 32"),
        pool_size=2,
    )
    issued = datetime.now(UTC)
    headers = {
        key: {"Authorization": f"Bearer {issue_token(settings, uid, now=issued).token}"}
        for key, uid in ids.items()
    }
    with TestClient(create_app(settings)) as client:
        yield Served(client, urls, headers)


def test_a_past_window_over_http_leaves_the_console_and_is_read_by_its_number(
    served: Served,
) -> None:
    now = datetime.now(UTC)
    current = served.post_run(
        "county",
        scope_code=COUNTY,
        window_start=(now - timedelta(days=84)).isoformat(),
        window_end=now.isoformat(),
    )
    assert current["historic"] is False and current["alerts"] >= 1
    county_before = served.console("county", COUNTY)
    town_before = served.console("town", township(100))
    assert county_before[0] >= 1 and county_before[2] == {now.date().isoformat()}
    # the township's map shows its part of the county's run (the run's row is readable there)
    assert town_before[0] >= 1 and town_before[2] == {now.date().isoformat()}
    past = served.post_run(
        "analyst",
        scope_code=COUNTY,
        window_start="2024-01-01T00:00:00+08:00",
        window_end="2025-01-01T00:00:00+08:00",
        bin_days=30,
    )
    assert past["historic"] is True and past["alerts"] == 0 and past["hot_cells"] >= 1
    assert served.console("county", COUNTY) == county_before
    assert served.console("town", township(100)) == town_before
    # the analyst reads the historic run by its number, with every cell
    shown = served.get("analyst", f"/api/hotspots/runs/{past['run_id']}")
    assert shown["type"] == "FeatureCollection" and shown["run"]["historic"] is True
    assert len(shown["features"]) == past["cells"]
    assert sum(f["properties"]["bin"] >= 2 for f in shown["features"]) == past["hot_cells"]
    listed = {r["id"]: r["historic"] for r in served.get("analyst", "/api/hotspots/runs")}
    assert listed[past["run_id"]] is True and listed[current["run_id"]] is False
    # the alerts raised before keep pointing at their run's cells
    alerts = served.get("county", f"/api/command/{COUNTY}")["alerts"]
    mine = [a for a in alerts if a["run_id"] == current["run_id"]]
    assert len(mine) == current["alerts"]
    cells = served.get("county", f"/api/hotspots/runs/{current['run_id']}")["features"]
    assert {a["cell_id"] for a in mine} <= {f["id"] for f in cells}
    missing = served.client.get("/api/hotspots/runs/999999", headers=served.headers["county"])
    assert missing.status_code == 404 and "热点分析" in missing.json()["detail"]


def _cli(served: Served, *args: str) -> Any:
    app = typer.Typer()
    hotspots_cli.register(app)
    env = {"ZONGZHI_DATABASE_URL": served.urls.owner, "ZONGZHI_APP_DATABASE_URL": served.urls.app}
    return CliRunner().invoke(app, ["hotspots", "run", "--scope", COUNTY[:6], *args], env=env)


def test_the_command_line_analyses_a_past_period_as_history(served: Served) -> None:
    done = _cli(served)  # the nightly run first: today's hot spots
    assert done.exit_code == 0, done.output
    assert "新发风险预警" in done.output and "历史分析" not in done.output
    before = served.console("county", COUNTY)
    past = _cli(served, "--start", "2024-01-01", "--end", "2024年12月31日", "--bin-days", "30")
    assert past.exit_code == 0, past.output
    assert (
        "（历史分析 2024-01-01 至 2024-12-31：不发风险预警，指挥台仍显示当前热点）" in past.output
    )
    assert "新发风险预警" not in past.output
    run_id = int(re.search(r"热点分析 (\d+)", past.output)[1])  # type: ignore[index]
    shown = served.get("analyst", f"/api/hotspots/runs/{run_id}")
    assert shown["run"]["historic"] is True
    assert shown["run"]["params"]["bin_days"] == 30
    assert datetime.fromisoformat(shown["run"]["window_start"]) == datetime(
        2024, 1, 1, tzinfo=CHINA
    )
    assert datetime.fromisoformat(shown["run"]["window_end"]) == datetime(2025, 1, 1, tzinfo=CHINA)
    assert served.console("county", COUNTY) == before


def test_the_command_line_refuses_wrong_dates_in_chinese(served: Served) -> None:
    wrong = _cli(served, "--start", "2024-13-01")
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output
    assert "错误：--start 的日期“2024-13-01”无效，请写成年-月-日，如 2024-01-01" in wrong.output
    inverted = _cli(served, "--start", "2024-12-31", "--end", "2024-01-01")
    assert inverted.exit_code == 2 and "错误：开始日期晚于结束日期" in inverted.output
    shown = _cli(served, "--help")
    assert shown.exit_code == 0 and "--start" in shown.output and "历史分析" in shown.output
