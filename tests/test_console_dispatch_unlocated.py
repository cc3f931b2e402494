"""A case without a location on the 调度台 says that no camera can be looked for, without asking
the API (which refuses it with 422) and without an error in the console (helper C saw one)."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _token


@pytest.mark.browser
def test_a_case_without_a_location_asks_for_no_cameras(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    _worker, _worker_id, village, _status, dispatcher, _spot = _desk(demo)
    township = village[:9] + "000"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, dispatcher)
        made = client.post(
            "/api/cases",
            json={"channel": "phone", "category": "public_opinion", "title": "无位置测试：来电咨询"}
            | {"area_code": village},
            headers=me,
        )
        assert made.status_code == 201, made.text
        case_id = made.json()["id"]
        _act(client, me, case_id, "triage")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/cameras" in r.url else None)
    login(page, demo.origin, dispatcher, next_path=f"/dispatch/{township}?case={case_id}")
    expect(page.locator("#dz-state")).to_have_text("已分流")
    expect(page.locator("#dz-cameras")).to_have_text("该案件没有位置，无法查找周边摄像机。")
    assert asked == []
    page.assert_clean(demo.origin)
