"""Only offline cameras see the spot: the desk and the case page say no camera covers it.

Trial BB M3: a dead camera was listed first as 「◉ 可见」 and 「没有摄像头覆盖该位置」 was said only
when no camera at all saw the spot, so the operator was not told that no live video exists.
Both the 调度台 and the case page's 附近视频 now say 可见 only of an online camera, list an offline
one that would see the spot as 离线（可见范围内）, and say so when all of them are offline.
"""

from __future__ import annotations

import re

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk, _matter_of_its_own, _register, _token
from tests.workflow_data import delete_cases

pytestmark = [pytest.mark.browser, pytest.mark.browser_viewport(1366, 768)]

ALL_DARK = re.compile(r"^没有摄像头覆盖该位置：可见该位置的摄像头均离线；")
_STATUS = text("UPDATE video_points SET status = :s WHERE id = ANY(:ids)")
_NEIGHBOUR = text(
    "SELECT code, name FROM jurisdictions WHERE level = 4 AND code <> :t"
    " AND left(code, 6) = left(:t, 6) ORDER BY code LIMIT 1"
)
# an offline dome of another township, seeing the spot (trial BB M5: listed, with its unit)
_ACROSS = text(
    "INSERT INTO video_points (device_id, name, ptz_type, fov_deg, range_m, status, point,"
    " area_code) VALUES (:dev, '邻镇交界球机', 1, 60, :range, 'offline',"
    " ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), :area) RETURNING id"
)


def test_offline_cameras_that_see_the_spot_do_not_cover_it(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    sub = _matter_of_its_own(demo, desk.spot)
    dark: list[int] = []
    across: int | None = None
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, desk.dispatcher)
        case_id = _register(client, me, desk.spot, "离线点位测试：路口护栏损坏", sub, 0)["id"]
        try:
            url = f"/api/cases/{case_id}/cameras"
            cameras = client.get(url, params={"limit": 50}, headers=me).json()["cameras"]
            dark = [c["id"] for c in cameras if c["sees"] and c["status"] == "online"]
            assert dark, "the demo's spot is seen by an online camera"
            # beyond the demo's cameras that see the spot, so theirs stays first
            beyond = max(c["distance_m"] for c in cameras if c["id"] in dark) + 10
            with demo.owner.begin() as conn:
                conn.execute(_STATUS, {"s": "offline", "ids": dark})
                other, other_name = conn.execute(_NEIGHBOUR, {"t": township}).one()
                north = desk.spot.lat + beyond / 111_000
                dev = f"{other[:8]}001399990042"
                values = {"lon": desk.spot.lon, "lat": north, "range": beyond + 50}
                across = conn.execute(_ACROSS, values | {"dev": dev, "area": other}).scalar_one()
            neighbours = f"{other_name}的点位"
            login(
                page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}?case={case_id}"
            )
            expect(page.locator("#dz-cameras li").first).to_have_text(ALL_DARK)
            expect(page.locator("#dz-cameras .dz-camera-sees")).to_have_count(0)
            first = page.locator("#dz-cameras .dz-camera").first
            expect(first).to_have_class(re.compile(r"\bdz-camera-dark\b"))
            expect(first).to_contain_text(desk.spot.camera_name)
            expect(first).to_contain_text("离线（可见范围内）")
            theirs = page.locator("#dz-cameras .dz-camera-dark").filter(has_text=neighbours)
            expect(theirs).to_have_count(1)
            page.goto(f"{demo.origin}/cases/{case_id}")
            expect(page.locator("#cz-cameras li").first).to_have_text(ALL_DARK)
            expect(page.locator("#cz-cameras .cz-camera-sees")).to_have_count(0)
            expect(page.locator("#cz-cameras .cz-camera-dark").first).to_contain_text(
                "离线（可见范围内）"
            )
            theirs = page.locator("#cz-cameras .cz-camera-dark").filter(has_text=neighbours)
            expect(theirs).to_have_count(1)
            page.assert_clean(demo.origin)
        finally:
            with demo.owner.begin() as conn:
                if dark:
                    conn.execute(_STATUS, {"s": "online", "ids": dark})
                if across is not None:
                    conn.execute(text("DELETE FROM video_points WHERE id = :id"), {"id": across})
                delete_cases(Session(bind=conn), [case_id])
