"""An analyst's hot-spot runs are trial runs (试算): no alert, never the command pages' latest run.

Trial AY S1: analyst.530424 tried out cell sizes and time bins with ``POST /api/hotspots/runs``
(``resolution`` 7 and 10 over 90 days, 30-day bins over two years). Each run raised live 风险预警
(the county's board went from 6 open alerts to 20, near-duplicates on the same places) and
became the run the command map, the 大屏 and the township console's 「热点分析（最近一次）」 drew.
An analyst's run is now always a trial: stored and read by its number, listed as ``trial``,
raising and refreshing no alert and leaving the run the command pages show as it was. An
operator asks for one with ``"trial": true``; an operator's ordinary run is the current one as
before. A window that starts after today is refused in Chinese (it was accepted as
``too_few``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import issue_token
from api.settings import ApiSettings
from layers.china_time import CHINA
from layers.database import apply_scope, make_engine
from layers.secrets import keys_from_master
from layers.settings import Settings
from tests.conftest import SuiteDatabase, separate_database
from tests.test_hotspot_historic_runs import Served, _seed
from tests.workflow_data import COUNTY, add_user, township

SERVED_DATABASE = "zongzhi_hotspot_trials"
USERS = {
    "county": ("commander", COUNTY),
    "town": ("commander", township(100)),
    "analyst": ("analyst", COUNTY),
}
# what the analyst tried in trial AY (90 days in cells of resolution 7 and 10, 30-day bins over
# two years), the last as an analyst who asks for a current run
TRIED: tuple[dict[str, Any], ...] = (
    {"resolution": 7, "days": 90},
    {"resolution": 10, "days": 90},
    {"days": 730, "bin_days": 30, "trial": False},
)


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
                ids[key] = add_user(session, username=f"ht_{key}", role=role, scope_code=scope)
    finally:
        owner.dispose()
    settings = ApiSettings(
        database=Settings(
            home=tmp_path_factory.mktemp("trial-home"),
            database_url=urls.owner,
            app_database_url=urls.app,
        ),
        urls=urls,
        jwt_secret="trial-hotspots-jwt-secret-0123456789ab",
        keys=keys_from_master(b"zongzhi trial hot spot runs key 3"),
        pool_size=2,
    )
    issued = datetime.now(UTC)
    headers = {
        key: {"Authorization": f"Bearer {issue_token(settings, uid, now=issued).token}"}
        for key, uid in ids.items()
    }
    with TestClient(create_app(settings)) as client:
        yield Served(client, urls, headers)


def _board(served: Served) -> dict[str, Any]:
    """What command sees: the open alerts, the runs the county and a township show, the KPI."""
    feed = served.get("county", f"/api/command/{COUNTY}")
    town = served.get("town", f"/api/command/{township(100)}")
    alerts = served.get("county", f"/api/alerts?code={COUNTY}&limit=500")
    return {
        "alerts": sorted(a["id"] for a in alerts["alerts"]),
        "matched": alerts["matched"],
        "refreshed": sorted((a["id"], a["refreshed_at"]) for a in alerts["alerts"]),
        "county_runs": [r["id"] for r in feed["hotspot_runs"]],
        "town_runs": [r["id"] for r in town["hotspot_runs"]],
        "console": served.console("county", COUNTY),
    }


def _current(served: Served) -> dict[str, Any]:
    """An operator's ordinary run over the nightly run's year: the current one."""
    run = served.post_run("county", scope_code=COUNTY)
    assert run["trial"] is False and run["historic"] is False and run["status"] == "done"
    assert run["note"].startswith("本次结果已成为指挥台、大屏和各级指挥调度页面的最近一次热点分析")
    return run


def test_an_analyst_s_runs_are_trials_that_leave_command_as_it_was(served: Served) -> None:
    current = _current(served)
    before = _board(served)
    assert before["county_runs"] == before["town_runs"] == [current["run_id"]]
    assert before["matched"] >= 1
    tried = []
    for body in TRIED:
        run = served.post_run("analyst", scope_code=COUNTY, **body)
        # stored and analysed, but a trial: no alert raised or refreshed
        assert run["status"] == "done" and run["hot_cells"] >= 1, run
        assert run["trial"] is True and run["historic"] is True and run["look"] is True
        assert (run["alerts"], run["refreshed"]) == (0, 0)
        assert run["note"].startswith(f"试算：结果已保存（热点分析 {run['run_id']}）")
        assert "仍显示原来的最近一次热点分析" in run["note"]
        tried.append(run)
        # the board, the map, the 大屏's and the township console's latest run are as they were
        assert _board(served) == before
    # listed as trials, and each read by its number by whoever started it
    listed = {r["id"]: r for r in served.get("analyst", "/api/hotspots/runs")}
    assert listed[current["run_id"]]["trial"] is False
    for run in tried:
        assert listed[run["run_id"]]["trial"] is True
        assert listed[run["run_id"]]["historic"] is True
        shown = served.get("analyst", f"/api/hotspots/runs/{run['run_id']}")
        assert shown["run"]["trial"] is True and len(shown["features"]) == run["cells"]
    assert listed[tried[1]["run_id"]]["params"]["resolution"] == 10


def test_an_operator_asks_for_a_trial_and_an_ordinary_run_stays_current(served: Served) -> None:
    first = _current(served)
    before = _board(served)
    trial = served.post_run("county", scope_code=COUNTY, resolution=9, trial=True)
    assert trial["trial"] is True and trial["historic"] is True and trial["alerts"] == 0
    assert trial["note"].startswith("试算：")
    assert _board(served) == before
    # the operator's next ordinary run is the latest the command pages show, as before; it
    # finds the same hot spots again: their alerts are refreshed, none is raised twice
    again = _current(served)
    assert again["run_id"] > trial["run_id"] > first["run_id"]
    assert (again["alerts"], again["refreshed"]) == (0, first["alerts"] + first["refreshed"])
    after = _board(served)
    assert after["county_runs"] == after["town_runs"] == [again["run_id"]]
    assert after["alerts"] == before["alerts"]


def test_a_window_that_starts_after_today_is_refused(served: Served) -> None:
    today = datetime.now(CHINA).date()
    runs = len(served.get("analyst", "/api/hotspots/runs?limit=500"))
    start = datetime(today.year, today.month, today.day, tzinfo=CHINA) + timedelta(days=2)
    for user in ("analyst", "county"):
        refused = served.client.post(
            "/api/hotspots/runs",
            headers=served.headers[user],
            json={
                "scope_code": COUNTY,
                "window_start": start.isoformat(),
                "window_end": (start + timedelta(days=30)).isoformat(),
            },
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == (
            f"分析时间范围始于 {start.date().isoformat()}，晚于今天（{today.isoformat()}）："
            "还没有案件可以分析，请选择今天或更早开始的时间范围"
        )
    assert len(served.get("analyst", "/api/hotspots/runs?limit=500")) == runs
    # a window that starts today is analysed (too few cases yet, as said)
    started_today = served.post_run(
        "county",
        scope_code=COUNTY,
        window_start=(start - timedelta(days=2)).isoformat(),
        trial=True,
    )
    assert started_today["status"] == "too_few" and started_today["alerts"] == 0
