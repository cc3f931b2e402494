"""集中反映: reports of one matter crowding in within hours raise a live alert (trial AZ M1).

On the trial's storm night 30 incidents, six of them reports of one wage protest and four of one
landslide, came in within minutes and raised no alert: alerts came from hot-spot runs only.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import alerts, cases, repeat_alerts
from layers.model import Alert, Case
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_visits import _township_login
from tests.workflow_data import (
    NOW,
    actor,
    delete_cases,
    ensure_world,
    township,
    village,
    village_centre,
)

TOWN = township(400)
V1 = village(400, 1)
DESK = actor("dispatcher", TOWN)


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _report(db: Session, minutes: int, offset_m: float = 0.0) -> Case:
    lon, lat = village_centre(V1)
    return cases.register(
        db,
        actor=DESK,
        channel="phone",
        category="safety_hazard",
        subcategory="geology",
        title="后山出现裂缝，疑似山体滑坡",
        reported_at=NOW + timedelta(minutes=minutes),
        lon=lon + offset_m / 100_000,
        lat=lat,
        risk_level=4,  # two repeats raise it to 橙色, the alert 二级
    ).case


def _alerts(db: Session) -> list[Alert]:
    return list(db.scalars(select(Alert).where(Alert.kind == repeat_alerts.KIND)))


def test_the_third_report_within_two_hours_raises_one_alert_the_next_refresh_it(
    world: Session,
) -> None:
    original = _report(world, 0)
    _report(world, 10, 20)
    assert _alerts(world) == []  # two reports: not yet
    _report(world, 25, 40)
    (alert,) = _alerts(world)
    assert alert.area_code == V1 and alert.state == "open" and alert.level == 2
    assert alert.unit_id == f"case:{original.id}"
    place = "2 小时内 3 次反映"
    assert alert.title.startswith("集中反映：") and alert.title.endswith("地质灾害隐患，" + place)
    assert f"案件 {original.code}，累计 3 次" in (alert.detail or "")
    assert "后山" not in alert.title + (alert.detail or "")  # the kind and place, not the title

    _report(world, 40, 60)
    _report(world, 50, 80)
    (alert,) = _alerts(world)  # refreshed, not raised again
    assert alert.title.endswith("2 小时内 5 次反映") and alert.level == 1
    assert alert.refreshed_at is not None


def test_reports_spread_over_a_day_raise_none(world: Session) -> None:
    _report(world, 0)
    _report(world, 180, 20)
    _report(world, 360, 40)
    assert _alerts(world) == []


def test_the_alert_is_listed_on_the_feed_and_never_fades(world: Session) -> None:
    for minutes in (0, 5, 10):
        _report(world, minutes, minutes * 2)
    page = alerts.listed(world, scope_range(TOWN), state="unclosed", min_count=1)
    (listed,) = [a for a in page.alerts if a["kind"] == repeat_alerts.KIND]
    assert listed["faded"] is False and listed["basis"] is None
    assert listed["title"].endswith("2 小时内 3 次反映")


@pytest.mark.browser
def test_an_open_console_shows_the_surge_alert_live_with_its_case(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    login_ = _township_login(demo)
    town = login_.scope_code
    with demo.owner.connect() as conn:  # a spot no open 地质灾害隐患 case is near
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(g.boundary) AS p"
                " FROM grids g WHERE g.area_code LIKE :prefix ORDER BY g.code) s"
                " WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.subcategory = 'geology'"
                " AND ST_DWithin(geography(c.point), geography(s.p), 1000)) LIMIT 1"
            ),
            {"prefix": town[:9] + "%"},
        ).one()
    ids: list[int] = []
    try:
        login(page, demo.origin, login_.username)
        page.wait_for_url(f"{demo.origin}/console/{town}")
        page.wait_for_function("window.zzReady === true")
        for n in range(3):
            ids.append(
                page.evaluate(
                    """async ([lon, lat, n]) => (await zz.api("/api/cases", {method: "POST",
                        json: {channel: "phone", category: "safety_hazard", subcategory: "geology",
                               title: "测试集中反映" + n, reported_at: new Date().toISOString(),
                               lon: lon + n * 0.0002, lat: lat, risk_level: 4}})).id""",
                    [lon, lat, n],
                )
            )
        page.locator('.zz-tab[data-pane="alerts"]').click()
        # its own alert: other tests of the shared demo raise 集中反映 of their own
        item = page.locator(f'#zz-alerts .zz-alert:has(a.zz-alert-case[href="/cases/{ids[0]}"])')
        expect(item).to_contain_text("地质灾害隐患，2 小时内 3 次反映")  # live, no reload
        expect(item).to_be_visible()  # its own line, not folded into its village's hot spots
        expect(item.locator(".zz-alert-case")).to_have_attribute("href", f"/cases/{ids[0]}")
        page.screenshot_step("1-surge-alert")
    finally:
        with Session(demo.owner) as session, session.begin():
            session.execute(
                text("DELETE FROM alerts WHERE unit_id = ANY(:u)"),
                {"u": [repeat_alerts.unit_key(i) for i in ids]},
            )
            if ids:
                delete_cases(session, ids)
