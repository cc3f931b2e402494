"""The 走访 tab on the grid worker's phone (390×844), from usability trial AS (M3, M4, m1).

Headless Chromium on the 华宁县 demo:

* the tab says its count (the overdue, in red) as the page opens, not only once tapped (M3);
* a network that drops while the list is read or a visit is saved is said in Chinese, with
  「走访未保存」, not the browser's 「Failed to fetch」; the note typed survives a reload of the
  page (the form opens again with it) and is forgotten once the visit is saved (M4);
* a photo over 8 MB (a 4000×3000 shot of a high-megapixel phone) is shrunk in the browser to
  1600 px and taken, where it was refused 「图片过大」; a file that is no picture is still refused
  by name (m1).

The visits recorded are removed afterwards, so the other console tests see the demo as loaded.
"""

from __future__ import annotations

import io
import random
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Route, expect
from sqlalchemy import text

from layers.china_time import CHINA
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo
from tests.test_console_dispatch import login_grid_worker
from tests.test_console_visits import _followed

WIDTH, HEIGHT = 390, 844
NOTE = "本人在家，近况稳定，家属在场"


def _forget_visits(demo: ConsoleDemo, person_id: int, worker_id: int) -> None:
    """Remove the worker's visits of today to the person (the demo as loaded)."""
    today = datetime.now(UTC).astimezone(CHINA).date()
    with demo.owner.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM person_visits WHERE person_id = :p AND visitor_id = :w"
                " AND visited_on = :d AND import_id IS NULL"
            ),
            {"p": person_id, "w": worker_id, "d": today},
        )


def _big_photo() -> bytes:
    """A 4000×3000 JPEG of over 8 MB (noise: it does not compress), as a 50 MP phone gives."""
    noise = random.Random(20261206).randbytes(4000 * 3000 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (4000, 3000), noise).save(out, "JPEG", quality=90)
    data = out.getvalue()
    assert len(data) > 8 * 1024 * 1024, len(data)
    return data


def _open_list(page: RecordedPage) -> None:
    """Open the 走访 tab and list everyone the worker follows."""
    page.locator("#zz-visits-tab").click()
    page.locator("#zz-visits-status").select_option("all")
    expect(page.locator("#zz-visits-list[data-status=all] .zz-visit").first).to_be_visible()


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_the_visits_tab_says_its_count_as_the_page_opens(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    worker_id, village = login_grid_worker(page, demo)
    today = datetime.now(UTC).astimezone(CHINA).date()
    followed = _followed(demo, worker_id)
    overdue = sum(1 for due in followed.values() if due is not None and due < today)
    assert overdue > 0, "the demo's grid worker has nobody overdue"
    # untapped: the tab is not the one open, and yet it says how many are overdue, in red
    tab = page.locator("#zz-visits-tab")
    expect(tab).to_be_visible()
    expect(tab).not_to_have_class("zz-tab active")
    count = page.locator("#zz-visits-count")
    expect(count).to_have_text(str(overdue))
    expect(count).to_have_class("badge bg-danger")
    assert (count.get_attribute("title") or "") == f"我负责的人员中逾期 {overdue} 人"
    red = count.evaluate("e => getComputedStyle(e).backgroundColor")
    assert red == "rgb(220, 53, 69)", red
    page.screenshot_step("1-landing")
    # the count read no list into the tab: that is read when it is opened
    expect(page.locator("#zz-visits-list .zz-visit")).to_have_count(0)
    tab.click()
    expect(page.locator("#zz-visits-summary")).to_contain_text(f"逾期 {overdue} 人")
    expect(count).to_have_text(str(overdue))
    page.assert_clean(demo.origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_a_dropped_network_is_said_in_chinese_and_the_note_survives_a_reload(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    worker_id, village = login_grid_worker(page, demo)
    today = datetime.now(UTC).astimezone(CHINA).date()
    page.wait_for_load_state("networkidle")  # the tab's count, read as it opened, not dropped

    def drop(route: Route) -> None:
        route.abort("internetdisconnected")

    # the list itself, read with the network down
    listed = re.compile(r"/api/persons/visits\?")
    page.route(listed, drop)
    page.locator("#zz-visits-tab").click()
    summary = page.locator("#zz-visits-summary")
    expect(summary).to_have_text("走访名单加载失败：无法连接服务器，请稍后再试")
    page.unroute(listed, drop)
    _open_list(page)
    first = page.locator("#zz-visits-list .zz-visit").first
    person_id = int(first.get_attribute("data-person-id") or 0)
    item = page.locator(f"#zz-visits-list .zz-visit[data-person-id='{person_id}']")
    try:
        item.locator(".zz-visit-record").click()
        form = item.locator(".zz-visit-form")
        form.locator("textarea").fill(NOTE)
        page.route(f"**/api/persons/{person_id}/visits", drop)
        form.locator("button[type=submit]").click()
        error = form.locator("div[role=alert].text-danger.mt-1")
        expect(error).to_have_text(
            "走访未保存：无法连接服务器，请稍后再试。填写的内容和照片仍在，网络恢复后请再点“保存”"
        )
        assert "Failed to fetch" not in page.locator("body").inner_text()
        page.screenshot_step("1-dropped")
        with demo.owner.connect() as conn:
            saved = conn.execute(
                text(
                    "SELECT count(*) FROM person_visits WHERE person_id = :p"
                    " AND visitor_id = :w AND visited_on = :d"
                ),
                {"p": person_id, "w": worker_id, "d": today},
            ).scalar_one()
        assert saved == 0, "said not saved, and it was not"
        page.unroute(f"**/api/persons/{person_id}/visits", drop)

        # a reload mid-form: the tab opened again, the form opens again with the note
        page.reload()
        _open_list(page)
        form = item.locator(".zz-visit-form")
        expect(form.locator("textarea")).to_have_value(NOTE)
        expect(item.locator(".zz-visit-record")).to_be_hidden()
        page.screenshot_step("2-reloaded")
        form.locator("button[type=submit]").click()
        expect(page.locator("#zz-toasts")).to_contain_text("的走访")
        with demo.owner.connect() as conn:
            note = conn.execute(
                text(
                    "SELECT note FROM person_visits WHERE person_id = :p AND visitor_id = :w"
                    " AND visited_on = :d"
                ),
                {"p": person_id, "w": worker_id, "d": today},
            ).scalar_one()
        assert note == NOTE
        # saved: the draft is forgotten, no form opens after the next reload
        kept = page.evaluate(
            "Object.keys(sessionStorage).filter((k) => k.startsWith('zz-draft-visit-'))"
        )
        assert kept == [], kept
        page.reload()
        _open_list(page)
        expect(item.locator(".zz-visit-record")).to_be_visible()
        expect(page.locator(".zz-visit-form")).to_have_count(0)
        page.assert_clean(demo.origin, expected_errors=(r"ERR_INTERNET_DISCONNECTED",))
    finally:
        _forget_visits(demo, person_id, worker_id)


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_a_photo_over_the_size_limit_is_shrunk_on_the_phone_and_taken(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    demo = console_demo
    worker_id, village = login_grid_worker(page, demo)
    today = datetime.now(UTC).astimezone(CHINA).date()
    _open_list(page)
    first = page.locator("#zz-visits-list .zz-visit").first
    person_id = int(first.get_attribute("data-person-id") or 0)
    item = page.locator(f"#zz-visits-list .zz-visit[data-person-id='{person_id}']")
    try:
        item.locator(".zz-visit-record").click()
        form = item.locator(".zz-visit-form")
        photos = form.locator("input.zz-visit-photos")
        # files on disk: a buffer this large takes the browser longer than a test waits
        huge = tmp_path / "huge.jpg"
        huge.write_bytes(_big_photo())
        fake = tmp_path / "big.jpg"  # over 8 MB and no picture: refused by name, as before
        fake.write_bytes(b"\0" * (9 * 1024 * 1024))
        photos.set_input_files([huge, fake])
        expect(form.locator(".zz-visit-photos-error")).to_have_text("照片 big.jpg 无法识别为图片")
        expect(form.locator(".zz-visit-photos-picked img")).to_have_count(1)
        expect(form.locator(".zz-visit-photos-add")).to_have_text("再拍一张或添加（已选 1 张）")
        page.screenshot_step("1-shrunk")
        form.locator("button[type=submit]").click()
        expect(page.locator("#zz-toasts")).to_contain_text("的走访（附照片 1 张）")
        with demo.owner.connect() as conn:
            stored = conn.execute(
                text(
                    "SELECT p.width, p.height FROM visit_photos p"
                    " JOIN person_visits v ON v.id = p.visit_id WHERE v.person_id = :p"
                    " AND v.visitor_id = :w AND v.visited_on = :d"
                ),
                {"p": person_id, "w": worker_id, "d": today},
            ).all()
        assert [(r.width, r.height) for r in stored] == [(1600, 1200)]
        page.assert_clean(demo.origin)
    finally:
        _forget_visits(demo, person_id, worker_id)
