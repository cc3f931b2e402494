"""The registration form of the special-population desk on a 1366×768 screen (trial AW S1, M5, m3).

Headless Chromium on the 华宁县 demo, as a township commander. Trial AW registered a
严重精神障碍患者 of 危险性评估 4 at 一般 with no word from the form; could name one 帮扶责任人 of
a 帮教小组; found no 服刑场所; and left a 刑满释放人员's 释放日期 empty under 「（选填）」. The form
now preselects 重点管控 from the grade and says why, ticks several workers in a list that fits the
screen, offers 服刑场所, and asks the 释放日期 before it sends anything. A person registered by the
居住地址 alone is placed in the village it names, and the form says where and that a grid must
still be chosen (closing note s45, pc).
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from geo.codes import make_resident_id
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_visits import _on_screen, _township_login


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_the_form_sets_the_level_from_the_risk_grade_and_names_several_responsibles(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    login_ = _township_login(demo)
    township = login_.scope_code
    with demo.owner.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(g.boundary)), ST_Y(ST_PointOnSurface(g.boundary))"
                " FROM grids g WHERE g.area_code LIKE :prefix"
                " AND (SELECT count(*) FROM workers w WHERE w.status <> 'left'"
                "  AND (w.home_grid = g.code OR w.area_code = g.area_code)) >= 2"
                " ORDER BY g.code LIMIT 1"
            ),
            {"prefix": township[:9] + "%"},
        ).one()
    login(page, demo.origin, login_.username)
    page.wait_for_url(f"{demo.origin}/console/{township}")
    page.wait_for_function("window.zzReady === true")
    page.locator("#zz-visits-tab").click()
    page.locator("#zz-person-new").click()
    dialog = page.locator("#zz-person-dialog")
    level = dialog.locator("#zz-person-level")
    try:
        # a 刑满释放人员: its 释放日期 asked before anything is sent, 服刑场所 offered
        dialog.locator("#zz-person-category").select_option("released")
        expect(dialog.locator("#zz-person-attrs-title")).to_have_text(
            "刑满释放人员信息（释放日期必填，司法所的到期提醒按此计算；其余选填）"
        )
        dialog.get_by_label("服刑场所").fill("云南省第一监狱")
        dialog.locator("#zz-person-name").fill("测规则")
        dialog.locator("#zz-person-id").fill(make_resident_id("530424", date(1976, 6, 6), 91, "M"))
        dialog.locator("#zz-person-submit").click()
        expect(dialog.locator("#zz-person-error")).to_have_text(
            "请填写释放日期：刑满释放人员必填（司法所的到期提醒按此日期计算）"
        )
        # a 严重精神障碍患者 of 危险性评估 4: 重点管控 preselected, and why
        dialog.locator("#zz-person-category").select_option("mental")
        expect(level).to_have_value("3")
        dialog.get_by_label("危险性评估").fill("4")
        expect(level).to_have_value("1")
        expect(dialog.locator("#zz-person-level-why")).to_have_text(
            "危险性评估 4 级（病情不稳定）：按规定至少为重点管控，管控级别已改为重点管控"
            "（《严重精神障碍管理治疗工作规范》）"
        )
        # the residence picked: the workers to tick, in a list that fits the screen
        page.evaluate("([lat, lon]) => zzMap.setView([lat, lon], 14, {animate: false})", [lat, lon])
        dialog.locator("#zz-person-pick").click()
        page.mouse.click(*_on_screen(page, lat, lon))
        expect(dialog).to_be_visible()
        boxes = dialog.locator("#zz-person-responsible input[type=checkbox]")
        expect(boxes.nth(1)).to_be_attached()
        picked = [int(v) for v in boxes.evaluate_all("bs => bs.slice(0, 2).map(b => b.value)")]
        for worker in picked:
            dialog.locator(f"#zz-person-responsible input[value='{worker}']").check()
        expect(dialog.locator("#zz-person-responsible-count")).to_have_text("已选 2 人")
        page.screenshot_step("1-form")
        box = dialog.locator("#zz-person-responsible").bounding_box()
        assert box is not None and box["height"] <= 130 and box["y"] + box["height"] <= 768, box
        right = page.evaluate(
            """() => Math.max(...Array.from(
                document.querySelectorAll('#zz-person-dialog input, #zz-person-dialog select'),
                (e) => e.getBoundingClientRect().right))"""
        )
        assert right <= 1366
        dialog.locator("#zz-person-submit").click()
        expect(page.locator("#zz-toasts")).to_contain_text("已登记 测**（严重精神障碍患者）")
        with demo.owner.connect() as conn:
            person = conn.execute(
                text(
                    "SELECT management_level, attributes, ARRAY(SELECT worker_id FROM"
                    " person_responsibles r WHERE r.person_id = persons.id) AS responsibles"
                    " FROM persons WHERE name = '测规则'"
                )
            ).one()
        assert person.management_level == 1
        assert person.attributes == {"risk_assessment": 4}
        assert sorted(person.responsibles) == sorted(picked)

        # no spot known, only the 居住地址: placed in its village, which has several grids (the
        # demo's villages all do): the form says no grid was set and one must be chosen
        with demo.owner.connect() as conn:
            town, village, grids = conn.execute(
                text(
                    "SELECT t.name, j.name, count(*) FROM jurisdictions j"
                    " JOIN jurisdictions t ON t.code = j.parent_code"
                    " JOIN grids g ON g.area_code = j.code AND g.retired_on IS NULL"
                    " WHERE j.level = 5 AND j.retired_on IS NULL AND j.code LIKE :prefix"
                    " GROUP BY j.code, t.name, j.name HAVING count(*) > 1 ORDER BY j.code LIMIT 1"
                ),
                {"prefix": township[:9] + "%"},
            ).one()
        page.locator("#zz-person-new").click()
        dialog.locator("#zz-person-category").select_option("released")
        dialog.get_by_label("释放日期").fill("2026-10-01")
        dialog.locator("#zz-person-name").fill("测地址")
        dialog.locator("#zz-person-id").fill(make_resident_id("530424", date(1977, 7, 7), 93, "M"))
        dialog.locator("#zz-person-address").fill(f"{town}{village}幸福路3号")
        dialog.locator("#zz-person-submit").click()
        toasts = page.locator("#zz-toasts")
        expect(toasts).to_contain_text(
            f"已登记 测**（刑满释放人员），按居住地址定到{village}，未划入网格"
        )
        expect(toasts).to_contain_text(
            f"按居住地址定到{town}{village}，该村（社区）有 {grids} 个网格（"
        )
        expect(toasts).to_contain_text("无法确定所在网格：未划入网格，不在网格员的走访名单上")
    finally:
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM persons WHERE name IN ('测规则', '测地址')"))
