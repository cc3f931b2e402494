"""The registration form of the special-population desk on a 1366×768 screen (trial AW S1, M5, m3).

Headless Chromium on the 华宁县 demo, as a township commander. Trial AW registered a
严重精神障碍患者 of 危险性评估 4 at 一般 with no word from the form; could name one 帮扶责任人 of
a 帮教小组; found no 服刑场所; and left a 刑满释放人员's 释放日期 empty under 「（选填）」. The form
now preselects 重点管控 from the grade and says why, ticks several workers in a list that fits the
screen, offers 服刑场所, and asks the 释放日期 before it sends anything. A person registered by the
居住地址 alone is placed in the village it names, and the form says where and that a grid must
still be chosen (closing note s45, pc). Now (session 47, pf) the form offers the township's
villages for the 所属村（社区）, lists a village's grids to pick one from with the keyboard
before it registers anyone (or 暂不划入网格, said), fits them on a phone's width, and refuses
a village a re-division merged, naming the one that took it over (a retired village added for
the test).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from geo.codes import make_resident_id
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_visits import _on_screen, _township_login


@dataclass(frozen=True)
class Several:
    """The township's first village of several grids, and a village merged into it."""

    town: str
    village: str
    code: str
    grids: list[tuple[str, str]]
    villages: int
    retired: str


@pytest.fixture
def several(console_demo: ConsoleDemo) -> Iterator[Several]:
    """The demo township's first village of several grids, with a retired village merged into it.

    The retired village (撤并, 2025-03-01) is added for the test and removed after it.
    """
    demo = console_demo
    township = _township_login(demo).scope_code
    with demo.owner.begin() as conn:
        town, village, code, villages = conn.execute(
            text(
                "SELECT t.name, j.name, j.code, (SELECT count(*) FROM jurisdictions v"
                "  WHERE v.parent_code = t.code AND v.level = 5 AND v.retired_on IS NULL)"
                " FROM jurisdictions j JOIN jurisdictions t ON t.code = j.parent_code"
                " WHERE j.level = 5 AND j.retired_on IS NULL AND j.code LIKE :prefix"
                " AND (SELECT count(*) FROM grids g WHERE g.area_code = j.code"
                "  AND g.retired_on IS NULL) > 1 ORDER BY j.code LIMIT 1"
            ),
            {"prefix": township[:9] + "%"},
        ).one()
        grids = conn.execute(
            text(
                "SELECT code, name FROM grids WHERE area_code = :v AND retired_on IS NULL"
                " ORDER BY code"
            ),
            {"v": code},
        ).all()
        retired_code = township[:9] + "399"
        conn.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, retired_on,"
                " successor_code) VALUES (:c, '并入测试村', 5, :t, DATE '2025-03-01', :s)"
            ),
            {"c": retired_code, "t": township, "s": code},
        )
    try:
        yield Several(
            town, village, code, [(g.code, g.name) for g in grids], villages, "并入测试村"
        )
    finally:
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM jurisdictions WHERE code = :c"), {"c": retired_code})


def _registered(demo: ConsoleDemo, name: str) -> list[tuple[str, str | None]]:
    """Return the village and grid of each person of this name."""
    with demo.owner.connect() as conn:
        rows = conn.execute(
            text("SELECT area_code, grid_code FROM persons WHERE name = :n"), {"n": name}
        ).all()
    return [(str(r.area_code), r.grid_code) for r in rows]


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_the_form_sets_the_level_from_the_risk_grade_and_names_several_responsibles(
    page: RecordedPage, console_demo: ConsoleDemo, several: Several
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

        # no spot known, only the 居住地址: its village has several grids (the demo's villages
        # all do): the form lists them, nothing registered yet, and registers into the one
        # picked with the keyboard
        town, village, grids = several.town, several.village, several.grids
        page.locator("#zz-person-new").click()
        dialog.locator("#zz-person-category").select_option("released")
        dialog.get_by_label("释放日期").fill("2026-10-01")
        dialog.locator("#zz-person-name").fill("测地址")
        dialog.locator("#zz-person-id").fill(make_resident_id("530424", date(1977, 7, 7), 93, "M"))
        dialog.locator("#zz-person-address").fill(f"{town}{village}幸福路3号")
        submit = dialog.locator("#zz-person-submit")
        submit.click()
        picker = dialog.locator("#zz-person-grids")
        expect(picker.locator("legend")).to_have_text(
            f"所在网格：按居住地址定到{town}{village}，该村（社区）有 {len(grids)} 个网格，请选择"
        )
        radios = picker.get_by_role("radio")
        expect(radios).to_have_count(len(grids) + 1)
        expect(radios.last).to_have_accessible_name("暂不划入网格（不在任何网格员的走访名单上）")
        expect(radios.first).to_be_focused()
        assert _registered(demo, "测地址") == []
        page.keyboard.press("Enter")  # none picked: asked to
        expect(dialog.locator("#zz-person-error")).to_have_text(
            "请选择所在网格，或选“暂不划入网格”"
        )
        expect(radios.first).to_be_focused()
        page.keyboard.press("ArrowDown")  # the second grid
        expect(radios.nth(1)).to_be_checked()
        expect(submit).to_have_text("登记到所选网格")
        box = picker.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 768, box
        page.screenshot_step("2-grids")
        page.keyboard.press("Enter")
        toasts = page.locator("#zz-toasts")
        expect(toasts).to_contain_text(
            f"已登记 测**（刑满释放人员），定到{village} {grids[1][1]}，"
            "已列入该网格网格员的走访名单"
        )
        assert _registered(demo, "测地址") == [(several.code, grids[1][0])]

        # the 所属村（社区） from the scope's villages, and 暂不划入网格: saved without a grid, said
        page.locator("#zz-person-new").click()
        expect(submit).to_have_text("登记")
        expect(picker).to_be_hidden()
        dialog.locator("#zz-person-category").select_option("released")
        dialog.get_by_label("释放日期").fill("2026-10-01")
        dialog.locator("#zz-person-name").fill("测社区")
        dialog.locator("#zz-person-id").fill(make_resident_id("530424", date(1978, 8, 8), 95, "M"))
        suggested = dialog.locator("#zz-person-villages option")
        expect(suggested).to_have_count(several.villages)
        assert village in suggested.evaluate_all("os => os.map(o => o.value)")
        community = dialog.get_by_label("所属村（社区）")
        # a village a re-division merged: refused, naming the one that took it over
        community.fill(several.retired)
        submit.click()
        expect(dialog.locator("#zz-person-error")).to_have_text(
            f"所属村（社区）{town}{several.retired}已于 2025-03-01 撤并，"
            f"现为{town}{village}（{several.code}）：请填写现在的村（社区），或在地图上点选居住地"
        )
        expect(picker).to_be_hidden()
        community.fill(village)
        submit.click()
        expect(picker.locator("legend")).to_contain_text(f"按所属村（社区）定到{town}{village}")
        # on a phone's width the grids and their labels stay on the screen
        page.set_viewport_size({"width": 390, "height": 844})
        rights = page.evaluate(
            """() => Array.from(document.querySelectorAll(
                '#zz-person-dialog input, #zz-person-dialog select, #zz-person-grids label'),
                (e) => e.getBoundingClientRect().right)"""
        )
        assert rights and max(rights) <= 390, rights
        page.screenshot_step("3-grids-phone")
        page.set_viewport_size({"width": 1366, "height": 768})
        picker.get_by_label("暂不划入网格（不在任何网格员的走访名单上）").check()
        expect(submit).to_have_text("不划入网格，登记")
        submit.click()
        expect(toasts).to_contain_text(
            f"已登记 测**（刑满释放人员），按所属村（社区）定到{village}，"
            "未划入网格，不在任何网格员的走访名单上"
        )
        assert _registered(demo, "测社区") == [(several.code, None)]
        expect(toasts).not_to_contain_text("无法确定所在网格")  # chosen: not told again
    finally:
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM persons WHERE name IN ('测规则', '测地址', '测社区')"))
