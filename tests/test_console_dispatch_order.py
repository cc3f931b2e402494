"""The desk shows 推荐网格员 before the case's cameras, folded to three (trial AZ m2).

On the trial's 1366×768 desk a selected case listed its ten nearest cameras above 「推荐网格员」,
so every one of the night's dispatches needed a scroll.
Screenshots go to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _register, _token
from tests.workflow_data import delete_cases

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_viewport(1366, 768),
]


def _top(page: RecordedPage, selector: str) -> float:
    top: float = page.evaluate(
        "(s) => document.querySelector(s).getBoundingClientRect().top", selector
    )
    return top


def test_the_recommended_workers_come_first_and_the_cameras_fold(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    _worker, _worker_id, village, _status, dispatcher, spot = _desk(demo)
    township = village[:9] + "000"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, dispatcher)
        title = "调度台顺序测试：广场噪音"
        case_id = _register(client, me, spot, title, "neighbours", 0.0001)["id"]
        try:
            _act(client, me, case_id, "triage")
            cameras = client.get(f"/api/cases/{case_id}/cameras", headers=me).json()["cameras"]
            assert len(cameras) > 3, "the demo's spot has more cameras than are shown"

            login(page, demo.origin, dispatcher, next_path=f"/dispatch/{township}?case={case_id}")
            expect(page.locator("#dz-state")).to_have_text("已分流")
            expect(page.locator("#dz-candidates tbody tr").first).to_be_visible()
            expect(page.locator("#dz-cameras .dz-camera").first).to_be_visible()
            page.screenshot_step("1-desk-1366")
            # the map's colours are the console map's: purple a camera online, hollow grey one
            # offline, green a recommended worker (trial BB m7: grey was any camera not seeing)
            marks = page.evaluate(
                """() => {
                  const out = [];
                  zzMap.eachLayer((l) => {
                    if (!(l instanceof L.CircleMarker) || !l.getTooltip()) return;
                    const said = /（(在线|离线)）$/.exec(l.getTooltip().getContent());
                    const o = l.options;
                    out.push([said ? said[1] : "worker", o.fillColor, o.color]);
                  });
                  return out;
                }"""
            )
            looks = {"在线": ["#6a3d9a", "#fff"], "离线": ["#fff", "#969696"]}
            for status in {cam["status"] for cam in cameras}:
                said = "在线" if status == "online" else "离线"
                drawn = [m[1:] for m in marks if m[0] == said]
                assert drawn and all(look == looks[said] for look in drawn), marks
            assert ["worker", "#1a9850", "#fff"] in marks, marks
            expect(page.locator("#dz-legend > span")).to_have_text(
                ["案件（按风险着色）", "摄像头在线", "离线", "淡色：看不到案发位置", "推荐网格员"]
            )
            # 推荐网格员 and its first rows on the first screen, the cameras after them
            heads = page.locator(".dz-section").all_inner_texts()
            assert heads.index("推荐网格员") < heads.index("可见该位置的摄像头"), heads
            first_row = page.locator("#dz-candidates tbody tr").first.bounding_box()
            assert first_row is not None and first_row["y"] + first_row["height"] <= 768
            assert _top(page, "#dz-candidates") < _top(page, "#dz-cameras")
            # trial AZ M3: the load column says the cases held now, then the day's
            expect(page.locator("#dz-candidates thead th").nth(3)).to_have_text("在办")
            load = page.locator("#dz-candidates tbody tr").first.locator("td").nth(3)
            expect(load).to_contain_text("在办 0 件")
            expect(load).to_contain_text("24小时")
            expect(page.locator("#dz-candidates-note")).to_contain_text(
                "“在办”为其手上未办结的案件数"
            )

            # three shown (or all that see the spot), the rest behind 更多点位
            seeing = sum(1 for cam in cameras if cam["sees"])
            shown = max(3, seeing)
            visible = page.locator("#dz-cameras .dz-camera:visible")
            expect(visible).to_have_count(shown)
            more = page.locator("#dz-cameras-more")
            expect(more).to_have_text(f"更多点位（另 {len(cameras) - shown} 个）")
            more.click()
            expect(visible).to_have_count(len(cameras))
            expect(more).to_have_text("收起")
            expect(more).to_have_attribute("aria-expanded", "true")
            more.click()
            expect(visible).to_have_count(shown)
            assert page.latin_words(".dz-detail") == []
            page.assert_clean(demo.origin)
        finally:
            with demo.owner.begin() as conn:
                delete_cases(Session(bind=conn), [case_id])
