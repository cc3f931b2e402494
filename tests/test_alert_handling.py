"""A risk alert is signed for and closed with what was done; a later run refreshes it.

A nightly run finds a persistent hot spot again every night: it brings the unclosed alert of the
same cell up to date (run, figures, ``refreshed_at``), keeping its state, instead of stacking one
more; a hot spot whose alert was closed raises a new one. Commanders and dispatchers of the
alert's unit or above sign for it (签收) and close it with 处置情况 (关闭); another role, another
unit, a second 签收 or a second 关闭 are refused in Chinese, and each act is audited.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import alerts, audit, command, hotspot_runs, hotspots_cli
from layers.database import apply_scope
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.hotspot_runs import RunResult
from layers.model import Alert, AlertState
from tests.api_fixtures import COUNTY_A, TOWN_A1, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase
from tests.migration_steps import migration_steps
from tests.test_hotspot_runs import V1, world  # noqa: F401
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_user,
    later_run_missing,
    township,
    village,
    village_centre,
)

Headers = Callable[[str], dict[str, str]]


def _run(session: Session, now_days: int = 0) -> RunResult:
    return hotspot_runs.run(
        session,
        actor=actor("commander", COUNTY),
        scope_code=COUNTY,
        window_start=NOW - timedelta(days=84) + timedelta(days=now_days),
        window_end=NOW + timedelta(days=now_days),
        resolution=8,
        now=NOW + timedelta(days=now_days),
    )


def _cluster(
    session: Session,
    area_code: str,
    prefix: str,
    seed: int,
    *,
    days: tuple[float, float],
    around: str = V1,
) -> None:
    """Add 60 cases around the centre of village ``around`` (the fixture's cluster), ``days``
    after NOW."""
    lon0, lat0 = village_centre(around)
    rng = np.random.default_rng(seed)
    for n in range(60):
        session.execute(
            text(
                "INSERT INTO cases (code, channel, category, title, point, area_code, state,"
                " handling_level, reported_at, risk_level) VALUES (:c, 'phone', 'dispute', 't',"
                " ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 'registered', 4, :t, 4)"
            ),
            {
                "c": f"{prefix}-{n}",
                "x": lon0 + rng.normal(0, 0.0006),
                "y": lat0 + rng.normal(0, 0.0006),
                "a": area_code,
                "t": NOW + timedelta(days=float(rng.uniform(*days))),
            },
        )


def _unclosed(session: Session) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.area_code.startswith("520424"), Alert.state != AlertState.CLOSED)
            .order_by(Alert.id)
        )
    )


def test_a_later_run_refreshes_the_unclosed_alerts_and_a_closed_one_comes_back_new(
    world: Session,  # noqa: F811
) -> None:
    first = _run(world)
    assert first.alerts >= 1 and first.refreshed == 0
    raised = _unclosed(world)
    assert len(raised) == first.alerts
    assert all(a.unit_id and a.run_id == first.run_id for a in raised)
    commander = actor(
        "commander", COUNTY, add_user(world, username="al_cmd", role="commander", scope_code=COUNTY)
    )
    signed = alerts.acknowledge(world, raised[0].id, actor=commander, now=NOW)

    second = _run(world)
    assert (second.alerts, second.refreshed) == (0, first.alerts)
    assert hotspots_cli.run_summary(second).endswith(
        f"新发风险预警 0 条，更新未关闭的预警 {first.alerts} 条"
    )
    again = _unclosed(world)
    assert [a.id for a in again] == [a.id for a in raised], "no alert stacked on another"
    assert all(a.run_id == second.run_id and a.refreshed_at is not None for a in again)
    assert signed.state == AlertState.ACKNOWLEDGED, "a refresh keeps the state"
    cells = {
        c
        for (c,) in world.execute(
            text("SELECT id FROM hotspot_cells WHERE run_id = :r"), {"r": second.run_id}
        )
    }
    assert {a.cell_id for a in again} <= cells

    alerts.close(world, raised[0].id, actor=commander, note="已组织排查，加强巡逻", now=NOW)
    third = _run(world)
    assert (third.alerts, third.refreshed) == (1, first.alerts - 1)
    comeback = [a for a in _unclosed(world) if a.unit_id == raised[0].unit_id]
    assert len(comeback) == 1 and comeback[0].id != raised[0].id

    # a later run at its resolution over an alert's unit that does not find it again: 已消退
    def faded() -> dict[int, bool]:
        page = alerts.listed(world, scope_range(COUNTY), limit=500, min_count=1)
        return {a["id"]: a["faded"] for a in page.alerts}

    assert set(faded().values()) == {False}
    target = _unclosed(world)[0]
    for historic, resolution in ((True, 8), (False, 9), (False, 8)):
        later_run_missing(world, COUNTY, target.area_code, resolution, historic=historic)
        # a planner's look at the past fades nothing, nor does a run at another resolution
        # (a township's finer cells); a current run at the alert's that missed it does
        expected = {
            a.id: not historic and resolution == 8 and a.area_code == target.area_code
            for a in _unclosed(world)
        }
        assert faded() == expected, (historic, resolution)


@pytest.fixture
def alert(world: Session) -> Alert:  # noqa: F811
    """An open alert of village 1 of township 100 (no run needed)."""
    made = Alert(
        area_code=f"{township()[:9]}001",
        kind="hotspot_new_hot",
        level=2,
        title="新增热点：某村一带 12 起案件",
        unit_id="88407181bdfffff",
        state="open",
    )
    world.add(made)
    world.flush()
    return made


def test_operators_sign_for_and_close_an_alert_of_their_scope(
    world: Session,  # noqa: F811
    alert: Alert,
) -> None:
    dispatcher_id = add_user(world, username="al_disp", role="dispatcher", scope_code=township())
    dispatcher = actor("dispatcher", township(), dispatcher_id)
    commander = actor(
        "commander",
        COUNTY,
        add_user(world, username="al_cmd2", role="commander", scope_code=COUNTY),
    )
    with pytest.raises(Forbidden, match="研判分析员不能签收或关闭风险预警"):
        alerts.acknowledge(world, alert.id, actor=actor("analyst", COUNTY), now=NOW)
    with pytest.raises(Forbidden):
        alerts.close(
            world, alert.id, actor=actor("grid_worker", township()), note="已处置", now=NOW
        )
    with pytest.raises(NotFound, match="不在您的辖区内"):
        alerts.acknowledge(world, alert.id, actor=actor("dispatcher", township(101)), now=NOW)

    alerts.acknowledge(world, alert.id, actor=dispatcher, now=NOW)
    assert (alert.state, alert.acknowledged_by, alert.acknowledged_at) == (
        AlertState.ACKNOWLEDGED,
        dispatcher_id,
        NOW,
    )
    with pytest.raises(Conflict, match="该预警已由al_disp于"):
        alerts.acknowledge(world, alert.id, actor=commander, now=NOW)
    listed = alerts.alert_json(world, alert.id, min_count=1)
    assert listed["state"] == "acknowledged" and listed["acknowledged_by_name"] == "al_disp"

    for blank in ("", "   "):
        with pytest.raises(InvalidInput, match="请填写处置情况"):
            alerts.close(world, alert.id, actor=commander, note=blank, now=NOW)
    with pytest.raises(InvalidInput, match="不超过 500 字"):
        alerts.close(world, alert.id, actor=commander, note="查" * 501, now=NOW)
    alerts.close(world, alert.id, actor=commander, note=" 已会同派出所处置 ", now=NOW)
    assert (alert.state, alert.closed_by, alert.close_note) == (
        AlertState.CLOSED,
        commander.user_id,
        "已会同派出所处置",
    )
    assert alert.acknowledged_by == dispatcher_id, "who signed for it stays"
    with pytest.raises(Conflict, match="已由al_cmd2于.*关闭"):
        alerts.close(world, alert.id, actor=dispatcher, note="再关一次", now=NOW)
    hour = timedelta(hours=1)
    for since, before, found in ((NOW - hour, NOW + hour, True), (NOW - hour, NOW, False)):
        page = alerts.listed(
            world,
            scope_range(COUNTY),
            state="closed",
            closed_since=since,
            closed_before=before,
            min_count=1,
        )
        assert (alert.id in [a["id"] for a in page.alerts]) is found, (since, before)
    feed = command.feed(world, township(), actor=dispatcher, now=NOW)
    assert alert.id not in [a["id"] for a in feed["alerts"]]
    done = audit.entries(world, object_type="alert", object_id=str(alert.id)).entries
    assert [(e.action, e.actor_name) for e in reversed(done)] == [
        ("alert.acknowledge", dispatcher.name),
        ("alert.close", commander.name),
    ]
    assert all("已会同" not in str(e.detail) for e in done), "the note stays on the alert"


def test_an_open_alert_closed_at_once_counts_as_signed_for_by_its_closer(
    world: Session,  # noqa: F811
    alert: Alert,
) -> None:
    closer = actor(
        "dispatcher",
        township(),
        add_user(world, username="al_disp3", role="dispatcher", scope_code=township()),
    )
    alerts.close(world, alert.id, actor=closer, note="经核查无需处置", now=NOW)
    assert (alert.state, alert.acknowledged_by, alert.closed_by) == (
        AlertState.CLOSED,
        closer.user_id,
        closer.user_id,
    )


def test_a_closed_alert_is_reopened_with_a_reason_and_the_close_it_undoes_is_audited(
    world: Session,  # noqa: F811
    alert: Alert,
) -> None:
    closer = actor(
        "dispatcher",
        township(),
        add_user(world, username="al_disp4", role="dispatcher", scope_code=township()),
    )
    opener = actor(
        "commander",
        COUNTY,
        add_user(world, username="al_cmd4", role="commander", scope_code=COUNTY),
    )
    with pytest.raises(Conflict, match="该预警未关闭"):
        alerts.reopen(world, alert.id, actor=opener, reason="误关闭", now=NOW)
    alerts.close(world, alert.id, actor=closer, note="经核查无需处置", now=NOW)
    with pytest.raises(Forbidden, match="研判分析员不能"):
        alerts.reopen(world, alert.id, actor=actor("analyst", COUNTY), reason="误关闭", now=NOW)
    with pytest.raises(NotFound, match="不在您的辖区内"):
        alerts.reopen(
            world, alert.id, actor=actor("dispatcher", township(101)), reason="误关闭", now=NOW
        )
    with pytest.raises(InvalidInput, match="请填写重新打开的原因"):
        alerts.reopen(world, alert.id, actor=opener, reason="  ", now=NOW)

    later = NOW + timedelta(hours=2)
    alerts.reopen(world, alert.id, actor=opener, reason=" 问题仍未解决，继续处置 ", now=later)
    assert (alert.state, alert.acknowledged_by, alert.acknowledged_at) == (
        AlertState.ACKNOWLEDGED,
        opener.user_id,
        later,
    )
    assert (alert.closed_by, alert.closed_at, alert.close_note) == (None, None, None)
    feed = command.feed(world, township(), actor=closer, now=later)
    assert alert.id in [a["id"] for a in feed["alerts"]], "back in the feed"
    entry = audit.entries(world, object_type="alert", object_id=str(alert.id)).entries[0]
    assert (entry.action, entry.actor_name, entry.reason) == (
        "alert.reopen",
        opener.name,
        "问题仍未解决，继续处置",
    )
    assert entry.detail["undone_close"] == {
        "closed_by": closer.user_id,
        "closed_at": NOW.isoformat(),
        "close_note": "经核查无需处置",
    }
    with pytest.raises(Conflict, match="未关闭"):
        alerts.reopen(world, alert.id, actor=opener, reason="误关闭", now=later)

    # closed again, and the hot spot came back meanwhile as a new alert: that one stands for it
    alerts.close(world, alert.id, actor=opener, note="已化解，持续关注", now=later)
    world.add(
        Alert(
            area_code=alert.area_code,
            kind="hotspot_persistent_hot",
            level=2,
            title="持续热点：某村一带 15 起案件",
            unit_id=alert.unit_id,
            state="open",
        )
    )
    world.flush()
    with pytest.raises(Conflict, match="该热点已有未关闭的预警"):
        alerts.reopen(world, alert.id, actor=opener, reason="误关闭", now=later)
    assert alert.state == AlertState.CLOSED


# --- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def served_alert(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[int]:  # noqa: F811
    """An open alert committed in county A's first village; removed afterwards."""
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        alert_id = owner.execute(
            text(
                "INSERT INTO alerts (area_code, kind, level, title, unit_id, state) VALUES"
                " (:a, 'hotspot_persistent_hot', 2, '持续热点：测试一带 30 起案件',"
                " 'http-alert-cell', 'open') RETURNING id"
            ),
            {"a": VILLAGES[0]},
        ).scalar_one()
    yield int(alert_id)
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        owner.execute(text("DELETE FROM alerts WHERE id = :id"), {"id": alert_id})


def test_the_alert_api_signs_for_and_closes_and_refuses_in_chinese(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    served_alert: int,
    database: SuiteDatabase,
) -> None:
    def post(user: str, path: str, json: object = None) -> tuple[int, dict[str, object]]:
        response = api_client.post(
            f"/api/alerts/{served_alert}/{path}", json=json or {}, headers=auth_headers(user)
        )
        return response.status_code, response.json()

    status, body = post("analyst_a", "acknowledge")
    assert status == 403 and body["detail"] == "研判分析员不能签收或关闭风险预警"
    status, body = post("cmd_b", "acknowledge")
    assert status == 404 and body["detail"] == alerts.NO_ALERT
    status, body = post("disp_a1", "acknowledge")
    assert status == 200, body
    assert (body["state"], body["acknowledged_by_name"]) == ("acknowledged", "测试disp_a1")
    status, body = post("cmd_a", "acknowledge")
    assert status == 409 and str(body["detail"]).startswith("该预警已由测试disp_a1于")
    assert post("cmd_a", "close", {"note": ""})[0] == 422
    status, body = post("cmd_a", "close", {"note": "   "})
    assert status == 422 and body["detail"] == "请填写处置情况"
    status, body = post("cmd_a", "close", {"note": "已会同相关部门处置"})
    assert status == 200, body
    assert (body["state"], body["close_note"]) == ("closed", "已会同相关部门处置")
    feed = api_client.get(f"/api/command/{COUNTY_A}", headers=auth_headers("cmd_a")).json()
    assert served_alert not in [a["id"] for a in feed["alerts"]]

    def listed(user: str, **params: object) -> tuple[int, dict[str, object]]:
        response = api_client.get("/api/alerts", params=params, headers=auth_headers(user))
        return response.status_code, response.json()

    status, page = listed("disp_a1", code=TOWN_A1, state="closed")
    assert status == 200, page
    closed = [a for a in page["alerts"] if a["id"] == served_alert]  # type: ignore[union-attr]
    assert [(a["close_note"], a["closed_by_name"], a["acknowledged_by_name"]) for a in closed] == [
        ("已会同相关部门处置", "测试cmd_a", "测试disp_a1")
    ]
    # its village and the township above it (a county's villages may share a name)
    assert [(a["area_name"], a["parent_name"]) for a in closed] == [("测试村1", "甲一街道")]
    status, page = listed("disp_a1", code=TOWN_A1)  # the feed's: not closed yet
    assert served_alert not in [a["id"] for a in page["alerts"]]  # type: ignore[union-attr]
    brief = api_client.get(
        f"/api/command/{COUNTY_A}/brief.xlsx?days=1", headers=auth_headers("cmd_a")
    )
    rows = list(load_workbook(io.BytesIO(brief.content))["风险预警"].iter_rows(values_only=True))
    shown = [r for r in rows if r[1] == "持续热点：测试一带 30 起案件"]
    # 判定依据 (r[2]) is its run's; this one was raised by none
    assert [(r[0], r[2], r[3], r[5], r[6], r[8]) for r in shown] == [
        ("已关闭", "—", "甲一街道测试村1", "测试disp_a1", "测试cmd_a", "已会同相关部门处置")
    ]
    assert listed("cmd_b", code=COUNTY_A, state="closed")[0] == 404
    assert listed("cmd_a", code=COUNTY_A, state="shut")[0] == 422
    with Session(database.owner) as owner:
        apply_scope(owner, None)
        outcomes = owner.execute(
            text(
                "SELECT action, outcome FROM audit_log WHERE object_type = 'alert'"
                " AND object_id = :id ORDER BY id"
            ),
            {"id": str(served_alert)},
        ).all()
    assert [tuple(o) for o in outcomes] == [
        ("alert.acknowledge", "denied"),  # the analyst
        ("alert.acknowledge", "failed"),  # another county: not found
        ("alert.acknowledge", "ok"),
        ("alert.acknowledge", "failed"),  # signed for already
        ("alert.close", "failed"),  # a blank note (an empty one never reached the platform)
        ("alert.close", "ok"),
    ]

    # 重新打开: back to the feed, signed for by whoever reopened it
    assert post("disp_a1", "reopen", {"reason": ""})[0] == 422
    status, body = post("analyst_a", "reopen", {"reason": "误关闭"})
    assert status == 403 and "研判分析员不能" in str(body["detail"])
    status, body = post("disp_a1", "reopen", {"reason": "误关闭"})
    assert status == 200, body
    assert (body["state"], body["acknowledged_by_name"], body["close_note"]) == (
        "acknowledged",
        "测试disp_a1",
        None,
    )
    status, body = post("cmd_a", "reopen", {"reason": "误关闭"})
    assert status == 409 and body["detail"] == "该预警未关闭，无需重新打开"
    feed = api_client.get(f"/api/command/{COUNTY_A}", headers=auth_headers("cmd_a")).json()
    assert served_alert in [a["id"] for a in feed["alerts"]]


def test_migration_0023_keeps_the_newest_of_the_alerts_stacked_on_a_cell(db: Session) -> None:
    """Upgrading: alerts take their cell's id; of those stacked on a cell the newest stays open."""
    with migration_steps(db, "0023_alert_handling.py") as (module, conn):
        module.downgrade()
        run = conn.execute(
            text(
                "INSERT INTO hotspot_runs (area_code, method, params, window_start,"
                " window_end, status) VALUES (:a, 'gi_star_h3', '{}', now(), now(), 'done')"
                " RETURNING id"
            ),
            {"a": COUNTY},
        ).scalar_one()
        cells = [
            conn.execute(
                text(
                    "INSERT INTO hotspot_cells (run_id, area_code, unit_id, geom, count, z, p,"
                    " bin) VALUES (:r, :a, :u, ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))',"
                    " 4490), 9, 3.0, 0.01, 3) RETURNING id"
                ),
                {"r": run, "a": township(), "u": unit},
            ).scalar_one()
            for unit in ("cell-stacked", "cell-alone")
        ]
        ids = [
            conn.execute(
                text(
                    "INSERT INTO alerts (area_code, kind, level, title, cell_id, state)"
                    " VALUES (:a, 'hotspot_persistent_hot', 2, '持续热点', :c, :s) RETURNING id"
                ),
                {"a": township(), "c": cell, "s": state},
            ).scalar_one()
            for cell, state in (
                (cells[0], "open"),
                (cells[0], "acknowledged"),
                (cells[0], "closed"),
                (cells[0], "open"),
                (cells[1], "open"),
            )
        ]
        module.upgrade()
        rows = conn.execute(
            text(
                "SELECT id, unit_id, state, close_note FROM alerts WHERE id = ANY(:ids) ORDER BY id"
            ),
            {"ids": ids},
        ).all()
        merged = f"同一热点有较新的预警（编号 {ids[3]}），本条合并关闭"
        assert [tuple(r) for r in rows] == [
            (ids[0], "cell-stacked", "closed", merged),
            (ids[1], "cell-stacked", "closed", merged),
            (ids[2], "cell-stacked", "closed", None),
            (ids[3], "cell-stacked", "open", None),
            (ids[4], "cell-alone", "open", None),
        ]


def test_the_alerts_whose_hot_spot_faded_are_closed_at_once_with_one_note(
    world: Session,  # noqa: F811
) -> None:
    elsewhere = village(200, 1)  # a second hot spot, in another township
    _cluster(world, elsewhere, "hs-far", 17, days=(-6.9, -0.1), around=elsewhere)
    first = _run(world)
    assert first.alerts >= 2
    target = _unclosed(world)[0]
    later_run_missing(world, COUNTY, target.area_code, 8)
    faded = {a.id for a in _unclosed(world) if a.area_code == target.area_code}
    kept = {a.id for a in _unclosed(world)} - faded
    assert faded and kept
    user_id = add_user(world, username="al_fade", role="commander", scope_code=COUNTY)
    commander = actor("commander", COUNTY, user_id)
    with pytest.raises(Forbidden, match="研判分析员不能"):
        alerts.close_faded(
            world, scope_range(COUNTY), actor=actor("analyst", COUNTY), note="已消退", now=NOW
        )
    with pytest.raises(InvalidInput, match="请填写处置情况"):
        alerts.close_faded(world, scope_range(COUNTY), actor=commander, note=" ", now=NOW)
    closed = alerts.close_faded(
        world, scope_range(COUNTY), actor=commander, note="热点已消退，经核查无需继续处置", now=NOW
    )
    assert {a.id for a in closed} == faded
    assert {(a.state, a.close_note) for a in closed} == {
        (AlertState.CLOSED, "热点已消退，经核查无需继续处置")
    }
    assert {a.id for a in _unclosed(world)} == kept, "the others stay"
    for a in closed:
        done = audit.entries(world, object_type="alert", object_id=str(a.id)).entries
        assert [e.action for e in done] == ["alert.close"]
    assert alerts.close_faded(world, scope_range(COUNTY), actor=commander, note="再", now=NOW) == []


def test_the_api_closes_faded_alerts_of_a_unit_in_scope_only(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
) -> None:
    url = "/api/alerts/close-faded"
    body = {"code": COUNTY_A, "note": "热点已消退"}
    done = api_client.post(url, json=body, headers=auth_headers("cmd_a"))
    assert done.status_code == 200 and done.json() == {"closed": 0, "ids": []}, done.text
    outside = api_client.post(url, json=body, headers=auth_headers("disp_a1"))
    assert outside.status_code == 404
    analyst = api_client.post(url, json=body, headers=auth_headers("analyst_a"))
    assert analyst.status_code == 403 and "研判分析员不能" in analyst.json()["detail"]
    blank = api_client.post(url, json=body | {"note": ""}, headers=auth_headers("cmd_a"))
    assert blank.status_code == 422


def test_a_new_hot_spot_that_stays_hot_keeps_its_alert_as_a_consecutive_one(
    world: Session,  # noqa: F811
) -> None:
    """Hot in the last period, then in the last two: 新增热点 becomes 连续热点, the same alert."""
    _run(world)
    new = [a for a in _unclosed(world) if a.kind == "hotspot_new_hot"]
    assert new, "the fixture's cluster of the last week is a new hot spot"
    _cluster(world, new[0].area_code, "hs-week", 11, days=(0.1, 6.9))  # on through the next week
    week = _run(world, now_days=7)
    assert week.refreshed >= len(new)
    kept = {a.id: a for a in _unclosed(world)}
    assert all(a.id in kept for a in new), "not stacked anew"
    assert {kept[a.id].kind for a in new} == {"hotspot_consecutive_hot"}
    assert all(kept[a.id].title.startswith("连续热点") for a in new)
    shown = alerts.listed(world, scope_range(COUNTY), limit=500, min_count=1).alerts
    assert not any(a["faded"] for a in shown if a["id"] in {n.id for n in new})


def test_a_hot_spot_back_after_a_quiet_week_raises_a_sporadic_alert(
    world: Session,  # noqa: F811
) -> None:
    """Hot in the week before, quiet for two weeks, hot again this week: 零星热点, alerted.

    (Two quiet weeks: a week's Gi* counts the week before it too (neighbourhood time step 1), so
    the quiet week right after a hot one reads hot, and one quiet week would leave it 连续.)
    """
    _run(world)
    new = [a for a in _unclosed(world) if a.kind == "hotspot_new_hot"]
    assert new, "the fixture's cluster of the last week is a new hot spot"
    _cluster(world, new[0].area_code, "hs-again", 13, days=(14.1, 20.9))  # after two quiet weeks
    _run(world, now_days=21)
    sporadic = [a for a in _unclosed(world) if a.kind == "hotspot_sporadic_hot"]
    assert sporadic, [a.kind for a in _unclosed(world)]
    assert all(a.title.startswith("零星热点") and a.level == 3 for a in sporadic)
    # the cell of the first alert: refreshed as the sporadic one, not stacked anew
    assert {a.unit_id for a in new} & {a.unit_id for a in sporadic}
