"""The command map's share classes do not overlap: a unit of 19.0% is in one class (s48).

The 视频在线率 legend read 「0% – 19%」「19% – 38%」…: a township of 19% fell in two, and one of
19.04% (shown 19.0%) was shaded as the first. Each class now starts past the last one's end at
the tooltip's precision (「0% – 19.0%」「19.1% – 38.0%」…), and a unit is shaded in the class its
shown figure lies in. Checked on the 华宁县 demo county's townships, their shares set at and
about the edges in the page (the feed's own values are all near 100%, one class).
"""
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login

COUNTY = "530424000000"
CITY = "530400000000"
CLASS = re.compile(r"^(?P<lo>\d+(?:\.\d)?)%(?: – (?P<hi>\d+\.\d)%| (?P<up>以上))?$")
TOOLTIP = re.compile(r"视频在线率：(\d+\.\d)%")
SHARES = (0.95, 0.19, 0.1904, 0.1906, 0.001)
"""Shares given the townships: the maximum (bounds 19, 38, 57, 76%), one at a bound, one shown
at it (19.0%), one shown past it (19.1%), one shown 0.1%."""

SHADE_JS = """(shares) => {
    const children = zzCommand.feed.children;
    children.forEach((c, i) => (c.kpis.cameras_online_share = shares[i % shares.length]));
    const select = document.getElementById("zz-kpi-select");
    select.value = "cameras_online_share";
    select.dispatchEvent(new Event("change"));
    const out = {lines: [], swatches: [], units: []};
    document.querySelectorAll("#zz-legend .zz-legend-class").forEach((line) => {
        out.lines.push(line.textContent.trim());
        out.swatches.push(line.querySelector("i").style.background);
    });
    zzCommand.childLayer.eachLayer((l) => out.units.push([
        l.getTooltip().getContent(), l.options.fillColor,
    ]));
    return out;
}"""


def _tenths(said: str) -> int:
    return round(float(said) * 10)


@pytest.mark.browser
def test_each_share_falls_in_one_class_and_is_shaded_as_its_figure_reads(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", CITY), next_path=f"/console/{COUNTY}")
    page.wait_for_url(f"**/{COUNTY}")
    page.wait_for_function("window.zzReady === true")
    count = page.evaluate("zzCommand.feed.children.length")
    assert count >= len(SHARES)  # the county's townships, a share each
    shaded = page.evaluate(SHADE_JS, list(SHARES))
    lines = shaded["lines"]
    assert lines == ["0% – 19.0%", "19.1% – 38.0%", "38.1% – 57.0%", "57.1% – 76.0%", "76.1% 以上"]
    classes = [CLASS.match(line) for line in lines]
    bounds: list[tuple[int, float]] = []
    for found in classes:  # each starts a tenth of a percent past the last one's end
        assert found is not None, lines
        lo = _tenths(found["lo"])
        assert lo == (bounds[-1][1] + 1 if bounds else 0), lines
        bounds.append((lo, float("inf") if found["up"] else _tenths(found["hi"])))
    # the swatches as the page's style gives them (rgb), the units' fills as hex
    swatches = [
        "#{:02x}{:02x}{:02x}".format(*map(int, re.findall(r"\d+", s)[:3]))
        for s in shaded["swatches"]
    ]
    seen = set()
    for tooltip, fill in shaded["units"]:
        said = TOOLTIP.search(tooltip)
        assert said is not None, tooltip
        value = _tenths(said[1])
        (k,) = [i for i, (lo, hi) in enumerate(bounds) if lo <= value <= hi]  # one class only
        assert fill == swatches[k], (said[1], lines)
        seen.add((said[1], k))
    assert {("19.0", 0), ("19.1", 1), ("0.1", 0), ("95.0", 4)} <= seen
    page.assert_clean(origin)
