"""A person's grid and 帮扶责任人 set from the console, on a 1366×768 screen and a phone's width.

Headless Chromium on the 华宁县 demo, as a township commander (the shared console demo and the
person form's village of several grids, :func:`tests.test_console_person_form_rules.several`).
The form registering a person placed by their 所属村（社区） offered no 帮扶责任人 even once a
grid was picked (（先选居住位置）); it now offers the grid's workers, or the village's with 暂不划入
网格. A person so saved with no grid could not be put into one from the console: the 走访 card's
划入网格 now lists the grids of their village, then the chosen grid's workers, and puts them
there (s47, pe). A village of one grid offers that grid's worker as soon as it is named, before
the form is sent: no demo village has one grid, so the test adds one of its own (s48, pp).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from geo.codes import make_resident_id
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_person_form_rules import Several, several  # noqa: F401 - a fixture
from tests.test_console_visits import _township_login


def _grid_workers(demo: ConsoleDemo, grid: str) -> list[int]:
    with demo.owner.connect() as conn:
        return [
            int(i)
            for i in conn.scalars(
                text("SELECT id FROM workers WHERE home_grid = :g AND status <> 'left'"),
                {"g": grid},
            )
        ]


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_a_person_saved_without_a_grid_is_put_into_one_with_its_worker(
    page: RecordedPage,
    console_demo: ConsoleDemo,
    several: Several,  # noqa: F811 - the fixture imported
) -> None:
    demo = console_demo
    login_ = _township_login(demo)
    township = login_.scope_code
    village, grids = several.village, several.grids
    login(page, demo.origin, login_.username)
    page.wait_for_url(f"{demo.origin}/console/{township}")
    page.wait_for_function("window.zzReady === true")
    page.wait_for_function("Boolean(window.zzPersonGrid)")
    page.locator("#zz-visits-tab").click()
    page.locator("#zz-person-new").click()
    dialog = page.locator("#zz-person-dialog")
    try:
        dialog.locator("#zz-person-category").select_option("drug")
        dialog.locator("#zz-person-name").fill("测划网")
        dialog.locator("#zz-person-id").fill(make_resident_id("530424", date(1981, 1, 9), 97, "M"))
        dialog.get_by_label("所属村（社区）").fill(village)
        submit = dialog.locator("#zz-person-submit")
        submit.click()
        picker = dialog.locator("#zz-person-grids")
        responsible = dialog.locator("#zz-person-responsible")
        # the grid picked offers its workers first, as a point does
        picker.get_by_role("radio").nth(1).check()
        expect(responsible).to_contain_text(f"本网格（{grids[1][1]}）")
        ticks = responsible.locator(".zz-person-responsible-group").first.locator("input")
        expect(ticks).to_have_count(len(_grid_workers(demo, grids[1][0])))
        # 暂不划入网格: the village's workers, none of a grid
        picker.get_by_label("暂不划入网格（不在任何网格员的走访名单上）").check()
        expect(responsible).not_to_contain_text("本网格")
        expect(responsible).to_contain_text("本村（社区）其他人员")
        submit.click()
        toasts = page.locator("#zz-toasts")
        expect(toasts).to_contain_text("已登记 测**（吸毒人员），按所属村（社区）定到")
        with demo.owner.connect() as conn:
            pid, grid = conn.execute(
                text("SELECT id, grid_code FROM persons WHERE name = '测划网'")
            ).one()
        assert grid is None

        # the 走访 card of the persons with no grid: 划入网格, the village's grids listed
        page.locator("#zz-visits-status").select_option("unplaced")
        page.locator("#zz-visits-place").select_option(several.code)
        listed = page.locator("#zz-visits-list[data-status=unplaced]")
        card = listed.locator(f".zz-visit[data-person-id='{pid}']")
        card.locator(".zz-visit-grid").click()
        grid_dialog = page.locator("#zz-grid-dialog")
        expect(grid_dialog.locator("#zz-grid-title")).to_have_text("划入网格")
        expect(grid_dialog.locator(".zz-grid-who")).to_contain_text("测**（吸毒人员） · 现在：")
        expect(grid_dialog.locator("#zz-grid-village")).to_have_value(several.code)
        choices = grid_dialog.locator("#zz-grid-grid option")
        expect(choices).to_have_count(len(grids) + 1)
        assert choices.evaluate_all("os => os.slice(1).map(o => o.value)") == [
            code for code, _ in grids
        ]
        grid_dialog.locator("#zz-grid-grid").select_option(grids[0][0])
        worker = _grid_workers(demo, grids[0][0])[0]
        named = grid_dialog.locator(f"#zz-grid-responsible input[value='{worker}']")
        named.check()
        box = grid_dialog.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 768, box
        page.screenshot_step("1-grid")
        # on a phone's width the dialog stays on the screen
        page.set_viewport_size({"width": 390, "height": 844})
        rights = page.evaluate(
            """() => Array.from(document.querySelectorAll(
                '#zz-grid-dialog select, #zz-grid-dialog label, #zz-grid-dialog button'),
                (e) => e.getBoundingClientRect().right)"""
        )
        assert rights and max(rights) <= 390, rights
        page.screenshot_step("2-grid-phone")
        page.set_viewport_size({"width": 1366, "height": 768})
        grid_dialog.locator(".zz-grid-submit").click()
        expect(toasts).to_contain_text(
            f"已将 测** 划入 {village} {grids[0][1]}，已列入该网格网格员的走访名单，帮扶责任人 1 名"
        )
        expect(grid_dialog).to_be_hidden()
        with demo.owner.connect() as conn:
            stored = conn.execute(
                text(
                    "SELECT grid_code, ARRAY(SELECT worker_id FROM person_responsibles r"
                    " WHERE r.person_id = p.id) AS responsibles FROM persons p WHERE id = :id"
                ),
                {"id": pid},
            ).one()
        assert (stored.grid_code, stored.responsibles) == (grids[0][0], [worker])
        # the list is read again: still 未落图 (no point), now in the grid, to be 调整网格
        expect(card).to_contain_text(grids[0][1])
        expect(card.locator(".zz-visit-grid")).to_have_text("调整网格")
    finally:
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM persons WHERE name = '测划网'"))


ONE_GRID_VILLAGE = "单网格测试村"


@pytest.fixture
def one_grid(console_demo: ConsoleDemo) -> Iterator[tuple[str, str, int]]:
    """A village of the demo township with one grid and its worker: (village, grid, worker).

    Every demo village has several grids; this one is added for the test and removed after it.
    """
    demo = console_demo
    township = _township_login(demo).scope_code
    village, grid = township[:9] + "398", township[:9] + "398001"
    with demo.owner.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code) VALUES (:c, :n, 5, :t)"
            ),
            {"c": village, "n": ONE_GRID_VILLAGE, "t": township},
        )
        conn.execute(
            text("INSERT INTO grids (code, name, area_code) VALUES (:g, '单网格第1网格', :v)"),
            {"g": grid, "v": village},
        )
        worker = conn.execute(
            text(
                "INSERT INTO workers (name, role, home_grid, area_code, status)"
                " VALUES ('单格员', 'grid_worker', :g, :v, 'on_duty') RETURNING id"
            ),
            {"g": grid, "v": village},
        ).scalar_one()
    try:
        yield village, grid, int(worker)
    finally:
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM persons WHERE area_code = :v"), {"v": village})
            conn.execute(text("DELETE FROM workers WHERE area_code = :v"), {"v": village})
            conn.execute(text("DELETE FROM grids WHERE area_code = :v"), {"v": village})
            conn.execute(text("DELETE FROM jurisdictions WHERE code = :v"), {"v": village})


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_a_village_of_one_grid_offers_its_worker_as_soon_as_it_is_named(
    page: RecordedPage, console_demo: ConsoleDemo, one_grid: tuple[str, str, int]
) -> None:
    demo = console_demo
    village, grid, worker = one_grid
    login_ = _township_login(demo)
    login(page, demo.origin, login_.username)
    page.wait_for_url(f"{demo.origin}/console/{login_.scope_code}")
    page.wait_for_function("window.zzReady === true")
    page.locator("#zz-visits-tab").click()
    page.locator("#zz-person-new").click()
    dialog = page.locator("#zz-person-dialog")
    dialog.locator("#zz-person-category").select_option("drug")
    dialog.locator("#zz-person-name").fill("测单格")
    dialog.locator("#zz-person-id").fill(make_resident_id("530424", date(1982, 3, 4), 96, "F"))
    responsible = dialog.locator("#zz-person-responsible")
    expect(responsible).to_contain_text("先选居住位置")
    named = dialog.get_by_label("所属村（社区）")
    named.fill(ONE_GRID_VILLAGE)
    named.press("Tab")  # the words entered (change): no grid to pick, its worker offered at once
    expect(dialog.locator("#zz-person-where")).to_contain_text("按所属村（社区）定到")
    expect(dialog.locator("#zz-person-where")).to_contain_text(ONE_GRID_VILLAGE)
    expect(responsible).to_contain_text("本网格（单网格第1网格）")
    ticks = responsible.locator(".zz-person-responsible-group").first.locator("input")
    expect(ticks).to_have_count(1)
    expect(responsible).to_contain_text("单格员（")
    ticks.first.check()
    expect(dialog.locator("#zz-person-responsible-count")).to_have_text("已选 1 人")
    page.screenshot_step("1-one-grid-offer")
    dialog.locator("#zz-person-submit").click()
    expect(page.locator("#zz-toasts")).to_contain_text(
        "已登记 测**（吸毒人员），按所属村（社区）定到"
    )
    expect(dialog.locator("#zz-person-grids")).to_be_hidden()  # no grid asked for
    with demo.owner.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT area_code, grid_code, ARRAY(SELECT worker_id FROM person_responsibles r"
                " WHERE r.person_id = p.id) AS responsibles FROM persons p WHERE name = '测单格'"
            )
        ).one()
    assert (stored.area_code, stored.grid_code, stored.responsibles) == (village, grid, [worker])
