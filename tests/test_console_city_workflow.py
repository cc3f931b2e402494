"""The city's 调度台 and case page for a case its county escalated (usability trial AM), in
headless Chromium: 派往职能部门 offers the city's own departments (M1); 交办 asks for its
交办意见 and an empty one is said in the page, in Chinese (N11, N2); the desk lists 下级上报,
我督办的 and 我交办的 and names its 上报上级 tab apart (M3); the 督办 dialog says its 督办时限
as the platform writes times (N2)."""

from __future__ import annotations

import re

import httpx2
import pytest
from playwright.sync_api import expect

from importers.demo.staff import CITY_DEPARTMENTS
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _register, _token

CITY_NAMES = [name for _, name in CITY_DEPARTMENTS]


def _city(demo: ConsoleDemo) -> tuple[str, str, str, str]:
    """The county's and the city's codes and commanders."""
    county = demo.data.county_code.ljust(12, "0")
    city = demo.data.county_code[:4].ljust(12, "0")
    return county, city, demo.username("commander", county), demo.username("commander", city)


@pytest.mark.browser
def test_the_city_desk_sends_an_escalated_case_to_its_departments_or_hands_it_down(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county, city, county_commander, city_commander = _city(demo)
    *_, spot = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        below = _token(client, county_commander)
        above = _token(client, city_commander)
        up = _register(client, below, spot, "市级测试：跨县河道采砂纠纷", "neighbours", 0.0006)
        _act(client, below, up["id"], "escalate", "涉及两县，县级协调不了")
        _act(client, above, up["id"], "triage")

    login(page, demo.origin, city_commander, next_path=f"/dispatch/{city}")
    # the tab of cases handled above is named apart from what came up from below
    expect(page.locator("[data-filter='escalated']")).to_contain_text("上报上级")
    page.click("[data-filter='from_below']")
    item = page.locator(f"#dz-queue-list [data-case-id='{up['id']}']")
    expect(item).to_be_visible()
    expect(item.locator(".dz-from-below")).to_have_text("下级上报")  # though 已分流 now
    expect(item.locator(".dz-state")).to_have_text("已分流")

    page.goto(f"{demo.origin}/dispatch/{city}?case={up['id']}")
    expect(page.locator("#dz-state")).to_have_text("已分流")
    chips = page.locator("#dz-picks .zz-department")
    expect(chips).to_have_count(len(CITY_NAMES))
    assert sorted(chips.all_inner_texts()) == sorted(CITY_NAMES)
    expect(page.locator("#dz-department-note")).to_be_hidden()
    page.screenshot_step("1-city-departments")

    # 交办 without its 交办意见: said in the page, the dialog stays, nothing is sent
    page.click("#dz-hand-down")
    expect(page.locator("#dz-act-note-label")).to_have_text("交办意见（必填）")
    page.click("#dz-act-submit")
    problem = page.locator("#dz-act-form .zz-field-problem")
    expect(problem).to_have_text("请填写交办意见")
    expect(page.locator("#dz-act-form")).to_be_visible()
    expect(page.locator("#dz-state")).to_have_text("已分流")
    page.screenshot_step("2-hand-down-needs-its-note")
    page.fill("#dz-act-note", "请县级牵头组织调处，12月10日前报送结果")
    expect(problem).to_have_count(0)
    page.click("#dz-act-submit")
    expect(page.locator("#dz-case-next")).to_contain_text("现由县级办理")

    page.click("[data-filter='handed_down']")
    expect(page.locator(f"#dz-queue-list [data-case-id='{up['id']}']")).to_be_visible()
    expect(page.locator("#dz-count-handed_down")).not_to_have_text("0")
    assert page.latin_words(".dz-tabs") == []
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_city_supervises_with_a_chinese_prompt_and_follows_it_on_its_desk(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county, city, county_commander, city_commander = _city(demo)
    *_, spot = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        below = _token(client, county_commander)
        case = _register(client, below, spot, "市级测试：县内拖欠工资纠纷", "neighbours", 0.0007)
        _act(client, below, case["id"], "triage")

    login(page, demo.origin, city_commander, next_path=f"/cases/{case['id']}")
    # the city's 上报 on the county's case takes it up: it says so (trial AM N10)
    take_up = page.locator("#cz-actions button[data-action='escalate']")
    expect(take_up).to_have_text("提级办理")
    take_up.click()
    expect(page.locator("#cz-action-title")).to_have_text("提级办理：改由市级办理")
    expect(page.locator("#cz-action-lead")).to_contain_text("提级后由市级办理（现由县级办理）")
    page.click("#cz-action-cancel")
    page.locator("#cz-actions button[data-action='supervise']").click()
    expect(page.locator("#cz-action-note-label")).to_have_text("督办意见（必填）")
    page.fill("#cz-p-deadline", "2030-12-09T07:02")
    # the 督办时限 as the platform writes times, whatever the browser draws in the field
    expect(page.locator("#cz-action-form .zz-time-echo")).to_have_text(
        "即 2030-12-09 07:02（北京时间，24小时制）"
    )
    page.click("#cz-action-submit")
    expect(page.locator("#cz-action-form .zz-field-problem")).to_have_text("请填写督办意见")
    expect(page.locator("#cz-action-form")).to_be_visible()
    page.screenshot_step("1-supervise-needs-its-note")
    page.fill("#cz-action-note", "请于三日内办结并报送办理结果")
    page.click("#cz-action-submit")
    expect(page.locator("#cz-timeline tbody tr").last).to_contain_text("请于三日内办结")

    page.goto(f"{demo.origin}/dispatch/{city}")
    page.click("[data-filter='supervised']")
    item = page.locator(f"#dz-queue-list [data-case-id='{case['id']}']")
    expect(item.locator(".dz-supervised-note")).to_have_text(
        re.compile(r"^时限 2030-12-09 07:02 · 督办后尚未办理$")
    )
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        _act(client, _token(client, county_commander), case["id"], "triage")
    page.reload()
    page.click("[data-filter='supervised']")
    expect(item.locator(".dz-supervised-note")).to_contain_text("已分流")
    assert page.latin_words("#dz-queue-list") == []
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_command_pages_supervise_and_summon_dialogs_speak_to_the_city(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """督办 from the city's 待办队列: an empty 督办意见 is said in the page, and the 督办时限 read
    as 2026-12-09 07:02 beneath its field (trial AM N2); its 吹哨 lists the city's own bureaus
    apart from its counties' and its example names the city's (a user trial: 市 and 县 bureaus
    in one row under 「如：县公安局」)."""
    demo = console_demo
    county, city, county_commander, city_commander = _city(demo)
    *_, spot = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        below = _token(client, county_commander)
        case = _register(client, below, spot, "市级测试：县内物业纠纷", "neighbours", 0.0008)
        _act(client, below, case["id"], "triage")

    login(page, demo.origin, city_commander, next_path=f"/console/{city}")
    page.select_option("#zz-queue-scope", "recent")
    row = page.locator(f"#zz-queue-body tr[data-case-id='{case['id']}']")
    # the city's 上报 of the county's case takes it up: said so, as on the case page (N10)
    expect(row.locator(".zz-act[data-action=escalate]")).to_have_text("提级办理")
    row.locator(".zz-act[data-action=supervise]").click()
    deadline = page.locator("#zz-f-deadline")
    shown = deadline.input_value()
    echo = page.locator("#zz-action-fields .zz-time-echo")
    expect(echo).to_have_text(f"即 {shown.replace('T', ' ')}（北京时间，24小时制）")
    page.locator("#zz-action-submit").click()
    problem = page.locator(".zz-field-problem")
    expect(problem).to_have_text("请填写督办意见")
    expect(page.locator("#zz-action-submit")).to_be_visible()
    page.screenshot_step("1-command-supervise-needs-its-note")
    page.locator("#zz-action-note").fill("请于三日内办结并报送办理结果")
    expect(problem).to_have_count(0)
    page.locator("#zz-action-submit").click()
    page.locator(".zz-toasts .alert-success").wait_for()
    # the queue's 我督办的 finds it again, as the desk's tab does (trial AM M3)
    page.select_option("#zz-queue-scope", "supervised")
    expect(row).to_have_count(1)
    expect(row.locator(".zz-supervised-note")).to_contain_text("已督办，时限")

    row.locator(".zz-act[data-action=summon]").click()
    groups = page.locator("#zz-action-fields .zz-department-group")
    expect(groups.first).to_have_attribute("data-group", "市级部门")
    expect(groups.first.locator(".zz-department")).to_have_count(len(CITY_NAMES))
    assert sorted(groups.first.locator(".zz-department").all_inner_texts()) == sorted(CITY_NAMES)
    expect(groups.nth(1)).to_have_attribute("data-group", "县级及以下部门")
    expect(groups.nth(1)).to_contain_text("县司法局")
    expect(groups).to_have_count(2)
    shown = page.locator("#zz-f-departments").get_attribute("placeholder") or ""
    assert re.fullmatch("如：(.+)、(.+)", shown), shown
    assert set(shown[2:].split("、")) <= set(CITY_NAMES), shown
    groups.first.locator(".zz-department").first.click()
    expect(page.locator("#zz-f-departments")).to_have_value(
        groups.first.locator(".zz-department").first.inner_text()
    )
    page.screenshot_step("2-command-summon-lists-the-city-apart")
    page.assert_clean(demo.origin)
