"""The case page draws each reload once, whatever order the answers arrive in.

A submit and the case's own live notice each reload the page; a grid worker saw 到场 办结 退回
到场 办结 退回 after 受理 (user trial W): both reloads appended their buttons. Here two 催办 in
a row give the page two live notices, the first reload's answer held back until the second has
drawn.
"""

from __future__ import annotations

from collections import Counter

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login

# zz.api with the first /allowed answer of the case held back 1.5 s
_HOLD_FIRST_ALLOWED = """() => {
  const api = zz.api;
  let held = false;
  zz.api = function (path, options) {
    if (!held && path.endsWith("/allowed")) {
      held = true;
      return new Promise((done) => setTimeout(done, 1500)).then(() => api(path, options));
    }
    return api(path, options);
  };
}"""

_REMIND = """async ([id, note]) => {
  const c = await zz.api("/api/cases/" + id);
  await zz.api("/api/cases/" + id + "/actions/remind", {
    method: "POST", json: { version: c.version, note: note, params: {} },
  });
}"""


@pytest.mark.browser
def test_two_reloads_in_a_row_draw_the_actions_once(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    county = console_demo.data.county_code.ljust(12, "0")
    city = county[:4].ljust(12, "0")
    login(
        page,
        console_demo.origin,
        console_demo.username("commander", city),
        next_path=f"/console/{county}",
    )
    page.wait_for_function("window.zzReady === true")
    row = page.locator(".zz-act[data-action=remind]").first.locator("xpath=ancestor::tr")
    case_id = int(row.get_attribute("data-case-id") or 0)
    page.goto(f"{console_demo.origin}/cases/{case_id}")
    buttons = page.locator("#cz-actions button")
    expect(buttons.first).to_be_visible()
    before = buttons.all_inner_texts()
    timeline = page.locator("#cz-timeline tbody tr")
    rows = timeline.count()

    page.evaluate(_HOLD_FIRST_ALLOWED)
    page.evaluate(_REMIND, [case_id, "第一次催办"])
    page.evaluate(_REMIND, [case_id, "第二次催办"])
    expect(timeline).to_have_count(rows + 2)
    page.wait_for_timeout(2500)  # the held answer has arrived by now
    shown = buttons.evaluate_all("bs => bs.map(b => b.dataset.action)")
    assert [a for a, n in Counter(shown).items() if n > 1] == []
    assert buttons.all_inner_texts() == before
    page.screenshot_step("1-after-two-reloads")
    page.assert_clean(console_demo.origin)
