"""The registration dialog says 地址与位置不符 before 登记, and 交办 names its township (trial BC).

The county's commander registered on the 调度台 a 来电 whose address named 盘溪镇 at a point of
华溪镇南河村, was told nothing, and handed it down through a dialog that said 交办至乡镇（街道）级.
Now the dialog says 「地址写的是盘溪镇，位置在华溪镇南河村」 as soon as the address and the point
disagree, with 重新点选位置 and 按现位置登记; a 登记 without choosing is held; the case registered
as is carries the mark; the 交办 dialog and the case page's timeline name the township.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk
from tests.workflow_data import case_ids_titled, unit_names

TITLE = "地址核对测试：工业园区大门口聚集"


@pytest.mark.browser
def test_the_dialog_warns_of_an_address_naming_another_township_and_hand_down_names_it(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    county = demo.data.county_code.ljust(12, "0")
    town = desk.village[:9] + "000"
    here, village_name = unit_names(demo.owner, town, desk.village)
    with demo.owner.connect() as conn:
        other = conn.execute(
            text(
                "SELECT t.code, t.name, ST_X(p.g) AS lon, ST_Y(p.g) AS lat"
                " FROM jurisdictions AS t JOIN jurisdictions AS v ON v.parent_code = t.code"
                " CROSS JOIN LATERAL (SELECT ST_PointOnSurface(v.boundary) AS g) AS p"
                " WHERE t.level = 4 AND t.code LIKE :county AND t.code <> :town"
                " AND t.retired_on IS NULL AND v.retired_on IS NULL AND v.level = 5"
                " AND strpos(:here, t.name) = 0 AND strpos(t.name, :here) = 0"
                " ORDER BY t.code, v.code LIMIT 1"
            ),
            {"county": county[:6] + "%", "town": town, "here": here},
        ).one()
    login(page, demo.origin, demo.username("commander", county), next_path=f"/dispatch/{county}")
    expect(page.locator("#dz-unit-name")).not_to_have_text("本级")
    page.locator("#dz-placeholder").wait_for()
    page.click("#dz-new")
    page.fill("#dz-lon", str(desk.spot.lon))
    page.fill("#dz-lat", str(desk.spot.lat))
    page.dispatch_event("#dz-lat", "change")
    page.select_option("#dz-channel", "phone")
    page.fill("#dz-title", TITLE)
    expect(page.locator("#dz-address-warning")).to_be_hidden()
    page.fill("#dz-address", f"{other.name}老堡村工业园区大门口")
    warning = page.locator("#dz-address-warning")
    expect(warning).to_be_visible()
    expect(page.locator("#dz-address-warning-text")).to_have_text(
        f"地址写的是{other.name}，位置在{here}{village_name}"
    )
    page.screenshot_step("1-warned")
    # 登记 without choosing: held, and said why
    page.click("#dz-register-submit")
    expect(page.locator("#dz-register-error")).to_have_text(
        "地址与位置不符：请重新点选位置，或点“按现位置登记”"
    )
    assert case_ids_titled(demo.owner, TITLE) == []

    # 重新点选位置: a point in the township the address names puts the warning away
    page.click("#dz-address-move")
    expect(page.locator("#dz-map-hint")).to_be_visible()
    spot = page.evaluate(
        f"(() => {{ window.zzMap.setView([{other.lat}, {other.lon}], 16, {{animate: false}});"
        f" const p = window.zzMap.latLngToContainerPoint([{other.lat}, {other.lon}]);"
        " return [p.x, p.y]; })()"
    )
    page.locator(".dz-map .folium-map").click(position={"x": spot[0], "y": spot[1]})
    expect(warning).to_be_hidden()
    # back to the first point: warned again, and registered as it is
    page.fill("#dz-lon", str(desk.spot.lon))
    page.fill("#dz-lat", str(desk.spot.lat))
    page.dispatch_event("#dz-lat", "change")
    expect(warning).to_be_visible()
    page.click("#dz-address-keep")
    expect(page.locator("#dz-case-title")).to_have_text(TITLE)
    ids = case_ids_titled(demo.owner, TITLE)
    assert len(ids) == 1, ids
    case_id = ids[0]
    said = f"地址与位置不符：地址写{other.name}，点位在{here}{village_name}，请核对地址或点位"
    expect(page.locator("#dz-case-address-mismatch")).to_have_text(said)
    page.screenshot_step("2-registered-marked")

    # 交办至 the township the point lies in, not only its level
    page.click("#dz-hand-down")
    expect(page.locator("#dz-act-title")).to_have_text(f"交办至{here}")
    expect(page.locator("#dz-act-lead")).to_have_text(f"交办后由{here}（乡镇（街道）级）办理。")
    page.fill("#dz-act-note", f"请{other.name}当日到场疏导")
    page.screenshot_step("3-hand-down-named")
    page.click("#dz-act-submit")
    expect(page.locator("#dz-state")).to_have_text("已分流")
    expect(page.locator("#dz-case-next")).to_contain_text(f"县级 → {here}）")

    page.goto(f"{demo.origin}/cases/{case_id}")
    expect(page.locator("#cz-address-mismatch")).to_have_text(said)
    handed = page.locator("#cz-timeline tr[data-action='hand_down']")
    expect(handed).to_contain_text(f"县级 → {here}（乡镇（街道）级）")
    registered = page.locator("#cz-timeline tr[data-action='register']")
    expect(registered).to_contain_text(said)
    page.screenshot_step("4-case-page")
    page.assert_clean(demo.origin)
