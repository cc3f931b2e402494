"""Reading a special-population person's clear identity from the command console's map popup.

Trial S, F10: the console had no way to unmask a person (the popup shows ``name_masked`` and
``id_masked`` only). An account whose ``/api/me`` says ``can_unmask`` gets a 查看身份信息 button
in the person's popup: it asks for the reason (common reasons to pick, or free text), POSTs it to
``/api/persons/{id}/unmasked``, shows the clear name and ID in the popup (never in the URL or the
browser's storage), shows the API's Chinese refusal, and forgets them when the popup closes.
Every attempt is in the audit log with its reason. Other accounts get no button.
"""

from __future__ import annotations

import math

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from importers.demo.people import PersonRecord
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login

PICKED_REASON = "核实走访对象身份"
STORAGE_JS = "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
OPEN_NEAREST_JS = """([lat, lon, id]) => {
    const entry = zzCommand.layers.persons;
    let best = id ? entry.markers[id] : null, dist = best ? 0 : Infinity;
    Object.values(entry.markers).forEach((m) => {
        const d = m.getLatLng().distanceTo([lat, lon]);
        if (d < dist) { dist = d; best = m; }
    });
    best.openPopup();
    const at = best.getLatLng();
    return [at.lat, at.lng];
}"""


def _a_person(demo: ConsoleDemo) -> tuple[str, float, float]:
    """A person of the demo county on the register, alone at their address: village, lat, lon."""
    with demo.owner.connect() as conn:
        row = conn.execute(
            text(
                "SELECT area_code, ST_Y(residence) AS lat, ST_X(residence) AS lon FROM persons p"
                " WHERE area_code LIKE :c AND ended_on IS NULL AND residence IS NOT NULL"
                " AND NOT EXISTS (SELECT 1 FROM persons o WHERE o.id <> p.id"
                "   AND ST_DWithin(o.residence, p.residence, 0.0002))"
                " ORDER BY id LIMIT 1"
            ),
            {"c": demo.data.county_code[:6] + "%"},
        ).one()
    return str(row.area_code), float(row.lat), float(row.lon)


def _generated(demo: ConsoleDemo, area_code: str, lat: float, lon: float) -> PersonRecord:
    """The demo's record of the person living at (lat, lon): the clear name and ID it loaded."""
    near = [p for p in demo.data.people if p.area_code == area_code]
    return min(near, key=lambda p: math.dist(p.residence, (lon, lat)))


def _open_popup(
    page: RecordedPage,
    origin: str,
    area_code: str,
    lat: float,
    lon: float,
    view: str = "console",
    person_id: int | None = None,
) -> None:
    """Open the popup of the person marker nearest to (lat, lon), or of ``person_id``'s.

    A masked marker stands at the centre of its home's 500 m cell (trial AW M8), shared by the
    homes of that cell: a test that knows its person opens that person's marker by id.
    """
    page.goto(f"{origin}/{view}/{area_code}")
    page.wait_for_function("window.zzReady === true")
    # the layer panel starts folded up to 1366 px wide and on the big screen (trial AM N6, N7)
    page.evaluate("document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()")
    page.locator('[data-layer="persons"] input').check()
    page.evaluate(
        "([lat, lon]) => { zzMap.setView([lat, lon], 18, {animate: false}); }", [lat, lon]
    )
    page.wait_for_function("zzCommand.layers.persons.mode === 'features'")
    page.locator(".zz-person").first.wait_for()
    if person_id is not None:
        page.wait_for_function(f"Boolean(zzCommand.layers.persons.markers[{int(person_id)}])")
    page.evaluate(OPEN_NEAREST_JS, [lat, lon, person_id])
    page.locator(".zz-person-popup").wait_for()


def _unmask_audits(demo: ConsoleDemo, person_id: str, actor: str) -> list[tuple[str, str]]:
    with demo.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT outcome, reason FROM audit_log WHERE action = 'person.unmask'"
                " AND object_type = 'person' AND object_id = :p AND actor_name = :a ORDER BY id"
            ),
            {"p": person_id, "a": actor},
        )
        return [(row.outcome, row.reason) for row in rows]


@pytest.mark.browser
def test_a_commander_with_the_right_reads_a_person_from_the_popup(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    origin = demo.origin
    area_code, lat, lon = _a_person(demo)
    person = _generated(demo, area_code, lat, lon)
    commander = demo.username("commander", demo.data.county_code)  # holds the right
    login(page, origin, commander)
    assert page.evaluate("zz.me()")["can_unmask"] is True
    _open_popup(page, origin, area_code, lat, lon)
    popup = page.locator(".zz-person-popup")
    person_id = popup.get_attribute("data-person-id")
    assert person_id is not None and person_id.isdigit()
    masked_name = popup.locator(".zz-name-masked").inner_text()
    assert masked_name[0] == person.name[0] and person.name not in popup.inner_text()
    # the pin is the centre of the home's 500 m cell, and the popup says so (trial AW M8)
    expect(popup.locator(".zz-person-blurred")).to_have_text(
        "位置已模糊（约 500 米内），查看身份信息可见精确位置"
    )
    rings = (
        "Object.values(zzMap._layers).filter((l) => l instanceof L.CircleMarker"
        " && l.options.color === '#d62728').length"
    )
    assert page.evaluate(rings) == 0

    # the button asks for a reason first
    popup.get_by_role("button", name="查看身份信息").click()
    form = popup.locator("form.zz-unmask-form")
    expect(form).to_be_visible()
    page.screenshot_step("1-reason-form")

    # a reason that is none: the API's own Chinese refusal, nothing in clear
    form.locator(".zz-unmask-reason").fill("aaaa")
    form.get_by_role("button", name="确定").click()
    expect(form.locator(".zz-unmask-error")).to_have_text(
        "请用中文写明查看事由，例如“核实走访对象身份”"
    )
    assert person.name not in page.content()

    # a common reason picked from the list
    form.locator(".zz-unmask-choice").select_option(PICKED_REASON)
    expect(form.locator(".zz-unmask-reason")).to_have_value(PICKED_REASON)
    form.get_by_role("button", name="确定").click()
    expect(popup.locator(".zz-clear-name")).to_have_text(person.name)
    expect(popup.locator(".zz-clear-id")).to_have_text(person.resident_id)
    expect(popup.locator(".zz-unmask-note")).to_contain_text("审计")
    # the audited read marks the exact home with a red ring, while the popup is open
    expect(popup.locator(".zz-person-exact")).to_have_text("红圈为精确位置（关闭弹窗后不再显示）")
    assert page.evaluate(rings) == 1
    assert person.name not in page.url and person.resident_id not in page.url
    stored = page.evaluate(STORAGE_JS)
    assert person.name not in stored and person.resident_id not in stored
    page.screenshot_step("2-clear-identity")

    # closed: gone from the page; opened again: masked, with the button
    page.evaluate("() => { zzMap.closePopup(); }")
    expect(page.locator(".zz-person-popup")).to_have_count(0)
    page.wait_for_function(rings + " === 0")
    html = page.content()
    assert person.name not in html and person.resident_id not in html
    assert page.evaluate("document.body.innerText").find(person.resident_id) == -1
    page.evaluate(OPEN_NEAREST_JS, [lat, lon])
    expect(popup.locator(".zz-clear-name")).to_have_count(0)
    expect(popup.get_by_role("button", name="查看身份信息")).to_be_visible()
    assert person.name not in page.content()
    page.screenshot_step("3-reopened-masked")

    assert _unmask_audits(demo, person_id, commander)[-2:] == [
        ("denied", "aaaa"),
        ("ok", PICKED_REASON),
    ]

    # never on the big screen, which everyone in the room reads
    _open_popup(page, origin, area_code, lat, lon, view="screen")
    expect(popup.locator(".zz-id-masked")).to_be_visible()
    expect(popup.get_by_role("button", name="查看身份信息")).to_have_count(0)
    # the refused reason was provoked on purpose: Chromium logs the 422
    page.assert_clean(origin, expected_errors=(r"status of 422",))


@pytest.mark.browser
def test_an_account_without_the_right_gets_no_button(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    area_code, lat, lon = _a_person(demo)
    # the person's township dispatcher: sees the layer's persons, holds no unmask right
    login(page, demo.origin, demo.username("dispatcher", area_code[:9] + "000"))
    assert page.evaluate("zz.me()")["can_unmask"] is False
    _open_popup(page, demo.origin, area_code, lat, lon)
    popup = page.locator(".zz-person-popup")
    expect(popup.locator(".zz-id-masked")).to_be_visible()
    expect(popup.get_by_role("button", name="查看身份信息")).to_have_count(0)
    expect(popup.locator("form")).to_have_count(0)
    page.screenshot_step("no-button")
    page.assert_clean(demo.origin)
