"""Photos of a 走访 from the grid worker's phone (390×844), in headless Chromium on the 华宁县 demo.

记录走访 in the 走访 tab offers 走访照片 (the camera, up to six, each added to the ones taken); a
file that is not a JPEG or PNG is refused there in Chinese, by name; the photos go with the visit
and are stored without their EXIF. The person's visit history in the unmasked record (the demo's
worker may unmask) says 照片 N 张 with the thumbnails, each opening the stored photo (trial AO M8:
a 走访 of a 刑满释放 person is documented with a photo).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import text

from layers.china_time import CHINA
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_case_photos import GPS, _jpeg_with_gps, _png
from tests.test_console_dispatch import login_grid_worker

WIDTH, HEIGHT = 390, 844


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_the_worker_takes_photos_with_his_visit_and_sees_them_in_the_persons_visits(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    worker_id, village = login_grid_worker(page, demo)
    today = datetime.now(UTC).astimezone(CHINA).date()
    page.locator("#zz-visits-tab").click()
    page.locator("#zz-visits-status").select_option("all")
    first = page.locator("#zz-visits-list[data-status=all] .zz-visit").first
    expect(first).to_be_visible()
    person_id = int(first.get_attribute("data-person-id") or 0)
    try:
        first.locator(".zz-visit-record").click()
        form = first.locator(".zz-visit-form")
        photos = form.locator("input.zz-visit-photos")
        expect(photos).to_have_attribute("accept", "image/*")
        expect(photos).to_have_attribute("capture", "environment")
        expect(form).to_contain_text("走访照片（选填，最多 6 张，每张不超过 8 MB）")
        add = form.locator(".zz-visit-photos-add")
        expect(add).to_have_text("拍照或添加照片")
        # a shot as the camera gives it, then a document and a text renamed .jpg, refused by name
        photos.set_input_files(
            [{"name": "在家.jpg", "mimeType": "image/jpeg", "buffer": _jpeg_with_gps()}]
        )
        photos.set_input_files(
            [
                {"name": "签字.png", "mimeType": "image/png", "buffer": _png()},
                {"name": "说明.txt", "mimeType": "text/plain", "buffer": "走访".encode()},
                {"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"},
            ]
        )
        expect(form.locator(".zz-visit-photos-error")).to_have_text(
            "格式不支持：只能上传 JPEG 或 PNG 图片（说明.txt）；照片 fake.jpg 无法识别为图片"
        )
        expect(form.locator(".zz-visit-photos-picked img")).to_have_count(2)
        expect(add).to_have_text("再拍一张或添加（已选 2 张）")
        form.locator("textarea").fill("本人在家，近况稳定")
        form.scroll_into_view_if_needed()
        page.screenshot_step("1-photos-picked")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

        form.locator("button[type=submit]").click()
        expect(page.locator("#zz-toasts")).to_contain_text("的走访（附照片 2 张）")
        with demo.owner.connect() as conn:
            stored = conn.execute(
                text(
                    "SELECT p.width, p.height, p.content FROM visit_photos p"
                    " JOIN person_visits v ON v.id = p.visit_id WHERE v.person_id = :p"
                    " AND v.visitor_id = :w AND v.visited_on = :d ORDER BY p.id"
                ),
                {"p": person_id, "w": worker_id, "d": today},
            ).all()
        assert [(r.width, r.height) for r in stored] == [(1600, 1067), (800, 600)]
        assert all(dict(Image.open(io.BytesIO(bytes(r.content))).getexif()) == {} for r in stored)

        # the list read again says the last visit's photos; 走访照片 shows him his own
        item = page.locator(f"#zz-visits-list .zz-visit[data-person-id='{person_id}']")
        expect(item).to_contain_text(f"上次走访 {today.isoformat()}（照片 2 张）")
        item.locator(".zz-visit-photos-open").click()
        own = item.locator(".zz-visit-photo-list")
        expect(own).to_contain_text(f"{today.isoformat()} 照片 2 张")
        expect(own.locator("img.zz-visit-photo")).to_have_count(2)
        item.locator(".zz-visit-photos-open").click()
        expect(own).to_have_count(0)

        # his unmasked read of the person: the visit with 照片 2 张 and its thumbnails
        item.locator(".zz-visit-unmask").click()
        reason = item.locator(".zz-unmask-form")
        reason.locator(".zz-unmask-reason").fill("核实走访对象身份")
        reason.locator(".zz-unmask-submit").click()
        visit = item.locator(".zz-person-visits li").filter(has_text="本人在家，近况稳定")
        expect(visit).to_contain_text("照片 2 张")
        thumbs = visit.locator("img.zz-visit-photo")
        expect(thumbs).to_have_count(2)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('img.zz-visit-photo'))"
            ".every((i) => i.complete && i.naturalWidth > 0)"
        )
        visit.scroll_into_view_if_needed()
        page.screenshot_step("2-visit-history")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        href = thumbs.first.locator("xpath=..").get_attribute("href")
        assert href is not None and "?read=" in href
        served = page.request.get(f"{demo.origin}{href}")
        assert served.status == 200 and served.headers["content-type"] == "image/jpeg"
        photo = Image.open(io.BytesIO(served.body()))
        assert photo.size == (1600, 1067) and not photo.getexif().get_ifd(GPS)
        page.assert_clean(demo.origin)

        # the village's commander, who may not read persons in clear: the count only
        page.context.clear_cookies()
        login(page, demo.origin, demo.username("commander", village))
        page.locator("#zz-visits-tab").click()
        page.locator("#zz-visits-status").select_option("all")
        item = page.locator(
            f"#zz-visits-list[data-status=all] .zz-visit[data-person-id='{person_id}']"
        )
        expect(item).to_contain_text(f"上次走访 {today.isoformat()}（照片 2 张）")
        item.locator(".zz-visit-photos-open").click()
        counted = item.locator(".zz-visit-photo-list")
        expect(counted).to_contain_text(
            f"{today.isoformat()} 照片 2 张（照片属于被走访人员的个人信息，"
            "只有走访人和有查看明文权限的账号可以查看）"
        )
        expect(counted.locator("img")).to_have_count(0)
        page.screenshot_step("3-count-only")
        denied = page.request.get(f"{demo.origin}{href}")
        assert denied.status == 403
    finally:
        with demo.owner.begin() as conn:  # the demo as loaded for the next tests
            conn.execute(
                text(
                    "DELETE FROM person_visits WHERE person_id = :p AND visitor_id = :w"
                    " AND visited_on = :d AND import_id IS NULL"
                ),
                {"p": person_id, "w": worker_id, "d": today},
            )
