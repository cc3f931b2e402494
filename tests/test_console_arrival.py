"""The phone's 到场 sends where it stands, and the case's timeline says how far (trial AZ M4).

The trial's worker tapped 到场 at the landslide: the form had only 备注 and 照片, the event had
no payload and his last position stayed the login's, 400 m away. Now 到场 takes a fresh fix (as
用我的位置 does) and the timeline's 到场 reads 「到场位置距案件 35 米」.
Screenshots go to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk, _dispatch_to_worker
from tests.workflow_data import delete_cases

pytestmark = pytest.mark.browser

NORTH_35_M = 35 / 110_800  # degrees of latitude, about 35 m at 24° N


@contextmanager
def _worker_kept(demo: ConsoleDemo, worker_id: int, case_ids: list[int]) -> Iterator[None]:
    """The worker's position as it was and he free, the test's cases and fixes gone."""
    with demo.owner.connect() as conn:
        kept = conn.execute(
            text("SELECT last_position, last_seen_at FROM workers WHERE id = :w"),
            {"w": worker_id},
        ).one()
    since = datetime.now(UTC)
    try:
        yield
    finally:
        with demo.owner.begin() as conn:
            delete_cases(Session(bind=conn), case_ids)
            conn.execute(
                text("DELETE FROM worker_positions WHERE worker_id = :w AND at >= :since"),
                {"w": worker_id, "since": since},
            )
            conn.execute(  # on duty again once his (deleted) dispatch is gone, as a 退回 does
                text(
                    "UPDATE workers SET last_position = :p, last_seen_at = :t,"
                    " status = CASE WHEN status = 'busy' AND NOT EXISTS (SELECT 1 FROM dispatches d"
                    "   WHERE d.worker_id = workers.id AND d.status IN ('assigned', 'accepted',"
                    "   'arrived')) THEN 'on_duty' ELSE status END WHERE id = :w"
                ),
                {"p": kept.last_position, "t": kept.last_seen_at, "w": worker_id},
            )


@pytest.mark.browser_viewport(360, 780)
def test_the_phones_arrive_sends_its_position_and_the_timeline_says_how_far(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    cases: list[int] = []
    with _worker_kept(demo, desk.worker_id, cases):
        case_id = _dispatch_to_worker(demo, "到场定位测试：复安路边坡落石", accept=True)
        cases.append(case_id)
        here = {"longitude": desk.spot.lon, "latitude": desk.spot.lat + NORTH_35_M}
        page.context.grant_permissions(["geolocation"], origin=demo.origin)
        page.context.set_geolocation(here)
        login(page, demo.origin, desk.worker_login)
        page.wait_for_url(f"{demo.origin}/console/{desk.village}")
        page.wait_for_function("window.zzReady === true", timeout=60_000)
        task = page.locator(f"#zz-tasks-body tr[data-case-id='{case_id}']")
        task.locator("button[data-action='arrive']").tap()
        expect(page.locator("#zz-action-dialog .zz-arrive-hint")).to_contain_text(
            "获取您当前的位置"
        )
        page.screenshot_step("1-arrive-form")
        page.locator("#zz-action-submit").tap()
        expect(page.locator("#zz-toasts")).to_contain_text("已登记到场（已记录到场位置）")
        with demo.owner.connect() as conn:
            arrived = conn.execute(
                text(
                    "SELECT e.payload, ST_Y(w.last_position) AS lat FROM case_events e,"
                    " workers w WHERE e.case_id = :c AND e.action = 'arrive' AND w.id = :w"
                ),
                {"c": case_id, "w": desk.worker_id},
            ).one()
        assert arrived.payload["located"] is True
        assert 33 <= arrived.payload["distance_m"] <= 37, arrived.payload
        assert arrived.lat == pytest.approx(here["latitude"]), "his last position is the fix"

        page.goto(f"{demo.origin}/cases/{case_id}")
        row = page.locator("#cz-timeline tr[data-action='arrive'] td")
        expect(row.nth(1)).to_have_text("到场")
        expect(row.nth(4)).to_contain_text(f"到场位置距案件 {arrived.payload['distance_m']} 米")
        page.screenshot_step("2-timeline")
        page.assert_clean(demo.origin)


@pytest.mark.browser_viewport(360, 780)
def test_an_arrive_without_a_position_is_registered_and_says_so(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    cases: list[int] = []
    with _worker_kept(demo, desk.worker_id, cases):
        case_id = _dispatch_to_worker(demo, "到场定位测试：无定位权限", accept=True)
        cases.append(case_id)
        page.context.clear_permissions()  # headless: no prompt, the position is refused
        login(page, demo.origin, desk.worker_login)
        page.wait_for_url(f"{demo.origin}/console/{desk.village}")
        page.wait_for_function("window.zzReady === true", timeout=60_000)
        task = page.locator(f"#zz-tasks-body tr[data-case-id='{case_id}']")
        task.locator("button[data-action='arrive']").tap()
        page.locator("#zz-action-submit").tap()
        expect(page.locator("#zz-toasts")).to_contain_text("已登记到场（未获取位置）")
        page.goto(f"{demo.origin}/cases/{case_id}")
        expect(page.locator("#cz-timeline tr[data-action='arrive'] td").nth(4)).to_contain_text(
            "未获取位置"
        )
        page.assert_clean(demo.origin)
