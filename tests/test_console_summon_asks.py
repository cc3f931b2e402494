"""One 吹哨, each department its own ask, on the case page and the department's desk (trial AZ m7).

One 吹哨 to three departments carried one note for all, and each desk showed the whole text. The
case page's 吹哨 now gives a line per department named; the timeline says each department's
ask, and the department's desk shows its own under the shared note, not another's.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login
from tests.test_console_dispatch import _act, _desk, _register, _token
from tests.workflow_data import delete_cases

pytestmark = pytest.mark.browser
TITLE = "吹哨事项测试：工业园区群体讨薪"
NOTE = "工业园区群体讨薪，请各部门今晚到场协同处置"
POLICE_ASK = "维护现场秩序，防止冲突升级"
LABOUR_ASK = "依法督促用工单位支付欠薪"


@pytest.fixture
def made(console_demo: ConsoleDemo) -> Iterator[list[int]]:
    """The ids of the cases the test registers, deleted afterwards."""
    ids: list[int] = []
    try:
        yield ids
    finally:
        with console_demo.owner.begin() as conn:
            delete_cases(Session(bind=conn), ids)


def test_each_department_reads_its_own_ask(
    page: RecordedPage, console_demo: ConsoleDemo, made: list[int]
) -> None:
    demo = console_demo
    desk = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, desk.dispatcher)
        case = _register(client, me, desk.spot, TITLE, "labour_wages", 0.0017)
        made.append(case["id"])
        _act(client, me, case["id"], "triage")
    login(page, demo.origin, desk.dispatcher, next_path=f"/cases/{case['id']}")
    page.wait_for_url(f"**/cases/{case['id']}")
    page.click("#cz-actions [data-action='summon']")
    page.fill("#cz-p-departments", "县公安局、县人社局")
    police = page.locator("#cz-p-asks input[data-department='县公安局']")
    labour = page.locator("#cz-p-asks input[data-department='县人社局']")
    expect(page.locator("#cz-p-asks label").first).to_have_text(
        "对县公安局的事项（选填，仅该部门看到）"
    )
    police.fill(POLICE_ASK)
    labour.fill(LABOUR_ASK)
    page.fill("#cz-p-departments", "县公安局、县人社局、")  # redrawn: what was typed stays
    expect(police).to_have_value(POLICE_ASK)
    page.fill("#cz-action-note", NOTE)
    page.screenshot_step("1-summon-with-asks")
    page.click("#cz-action-submit")
    row = page.locator("#cz-timeline tr", has_text="吹哨部门")
    expect(row).to_contain_text(f"县公安局（{POLICE_ASK}）、县人社局（{LABOUR_ASK}）")
    page.assert_clean(demo.origin)
    log_out(page)
    county = demo.data.county_code
    login(page, demo.origin, demo.username("department", county))  # 县人社局
    page.wait_for_url(f"**/desk/{county}")
    page.wait_for_function("window.zzReady === true")
    item = page.locator("#dk-list-summoned .dk-case", has_text=TITLE)
    expect(item.locator(".dk-summon-note")).to_have_text("吹哨说明：" + NOTE)
    expect(item.locator(".dk-summon-ask")).to_have_text("本部门事项：" + LABOUR_ASK)
    expect(item).not_to_contain_text(POLICE_ASK)
    page.screenshot_step("2-labour-desk")
    page.assert_clean(demo.origin)


def test_the_command_page_summons_with_an_ask_per_department(
    page: RecordedPage, console_demo: ConsoleDemo, made: list[int]
) -> None:
    """The 指挥调度 page's 吹哨 dialog gives each department named its own line too."""
    demo = console_demo
    desk = _desk(demo)
    county = demo.data.county_code.ljust(12, "0")
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        answer = client.post(
            "/api/cases",
            json={"channel": "hotline_12345", "category": "dispute", "title": TITLE + "（县级）"}
            | {"subcategory": "labour_wages", "risk_level": 1, "lon": desk.spot.lon + 0.0019}
            | {"lat": desk.spot.lat},
            headers=_token(client, demo.username("commander", county)),
        )
        assert answer.status_code == 201, answer.text
        case = answer.json()
        made.append(case["id"])
    login(page, demo.origin, demo.username("commander", county), next_path=f"/console/{county}")
    page.wait_for_url(f"**/console/{county}")
    page.wait_for_function("window.zzReady === true")
    page.locator(
        f"#zz-queue-body tr[data-case-id='{case['id']}'] .zz-act[data-action=summon]"
    ).click()
    page.locator("#zz-f-departments").fill("县公安局、县人社局")
    page.locator("#zz-f-asks input[data-department='县人社局']").fill(LABOUR_ASK)
    page.locator("#zz-action-note").fill(NOTE)
    page.locator("#zz-action-submit").click()
    page.locator(".zz-toasts .alert-success").wait_for()
    with demo.owner.connect() as conn:
        payload = conn.execute(
            text("SELECT payload FROM case_events WHERE case_id = :id AND action = 'summon'"),
            {"id": case["id"]},
        ).scalar_one()
    assert payload["departments"] == ["县公安局", "县人社局"]
    assert payload["asks"] == {"县人社局": LABOUR_ASK}
    # a second 吹哨 opens empty, its departments first: the note's count says 0, not the length
    # of the note sent (a user trial saw 已输入 5/2000 under an empty 备注)
    page.locator(
        f"#zz-queue-body tr[data-case-id='{case['id']}'] .zz-act[data-action=summon]"
    ).click()
    expect(page.locator("#zz-action-note")).to_have_value("")
    expect(page.locator("#zz-action-note + .zz-note-count")).to_have_text("已输入 0/2000")
    page.assert_clean(demo.origin)
