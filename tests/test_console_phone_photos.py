"""On-site photos from the grid worker's phone (390×844), in headless Chromium on the 华宁县 demo.

处置反馈 on the case page offers 现场照片 (the camera, up to six, each added to the ones taken);
a file that is not a JPEG or PNG is refused there in Chinese; the photos go with the action and
show as thumbnails under the event in the case's timeline, each opening the stored photo, which
carries no EXIF (trial AO M8: every phone form was text only). 受理 takes photos too.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import APIResponse, Locator, expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_case_photos import GPS, _jpeg_with_gps, _png
from tests.test_console_dispatch import _desk, _dispatch_to_worker

WIDTH, HEIGHT = 390, 844


def _timeline_photos(page: RecordedPage, action: str, count: int) -> Locator:
    """The ``count`` thumbnails under the case timeline's ``action`` event, each drawn.

    Drawn: the image read, not a broken icon. The event's row is scrolled into view.
    """
    row = page.locator(f"#cz-timeline tbody tr[data-action='{action}']")
    thumbs = row.locator("img.cz-photo")
    expect(thumbs).to_have_count(count)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll("
        f"\"#cz-timeline tr[data-action='{action}'] img.cz-photo\"))"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )
    row.scroll_into_view_if_needed()
    return thumbs


def _served_photo(page: RecordedPage, origin: str, thumbs: Locator) -> APIResponse:
    """The stored photo the first of ``thumbs`` opens, as the server sends it."""
    href = thumbs.first.locator("xpath=..").get_attribute("href")
    assert href is not None
    served: APIResponse = page.request.get(f"{origin}{href}")
    return served


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_the_worker_sends_site_photos_with_his_feedback_from_the_phone(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    case_id = _dispatch_to_worker(demo, "现场照片测试：小区围墙出现裂缝", accept=True)
    try:
        login(page, demo.origin, desk.worker_login, next_path=f"/cases/{case_id}")
        page.locator("#cz-actions button[data-action='feedback']").tap()
        photos = page.locator("#cz-p-photos")
        expect(photos).to_have_attribute("accept", "image/*")
        expect(photos).to_have_attribute("capture", "environment")
        expect(page.locator("#cz-p-photos-label")).to_contain_text("最多 6 张")
        expect(page.locator("#cz-p-photos-add")).to_have_text("拍照或添加照片")

        # two shots, one at a time as the camera gives them, and a document refused
        photos.set_input_files(
            [{"name": "围墙.jpg", "mimeType": "image/jpeg", "buffer": _jpeg_with_gps()}]
        )
        photos.set_input_files(
            [
                {"name": "警示牌.png", "mimeType": "image/png", "buffer": _png()},
                {"name": "说明.txt", "mimeType": "text/plain", "buffer": "现场".encode()},
                # a text renamed .jpg: refused at once, by name, not after sending (trial AP m2)
                {"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"},
            ]
        )
        picked = page.locator("#cz-p-photos-picked img")
        expect(page.locator("#cz-p-photos-error")).to_have_text(
            "格式不支持：只能上传 JPEG 或 PNG 图片（说明.txt）；照片 fake.jpg 无法识别为图片"
        )
        expect(picked).to_have_count(2)
        expect(page.locator("#cz-p-photos-add")).to_have_text("再拍一张或添加（已选 2 张）")
        page.fill("#cz-action-note", "已到现场查看，围墙已设警示牌")
        page.locator("#cz-action-form").scroll_into_view_if_needed()
        page.screenshot_step("1-photos-picked")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

        page.locator("#cz-action-submit").tap()
        expect(page.locator("#zz-toasts")).to_contain_text("反馈已提交（附现场照片 2 张）")
        thumbs = _timeline_photos(page, "feedback", 2)
        page.screenshot_step("2-timeline-photos")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

        # the photo the thumbnail opens: the stored JPEG, its GPS gone
        served = _served_photo(page, demo.origin, thumbs)
        assert served.status == 200 and served.headers["content-type"] == "image/jpeg"
        stored = Image.open(io.BytesIO(served.body()))
        assert max(stored.size) == 1600 and not stored.getexif().get_ifd(GPS)
        assert dict(stored.getexif()) == {}
        page.assert_clean(demo.origin)
    finally:
        with demo.owner.begin() as conn:  # the day's workload of the next tests as it was
            conn.execute(
                text(
                    "UPDATE dispatches SET assigned_at = assigned_at - interval '2 days'"
                    " WHERE case_id = :c"
                ),
                {"c": case_id},
            )


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_the_worker_accepts_a_task_with_a_photo_of_the_scene(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial AO M8: the 受理 note takes photos as 处置反馈 and 办结 do."""
    demo = console_demo
    desk = _desk(demo)
    case_id = _dispatch_to_worker(demo, "现场照片测试：受理时楼道堆物")
    try:
        login(page, demo.origin, desk.worker_login, next_path=f"/cases/{case_id}")
        page.locator("#cz-actions button[data-action='accept']").tap()
        expect(page.locator("#cz-p-photos-label")).to_contain_text("现场照片（选填，最多 6 张")
        page.locator("#cz-p-photos").set_input_files(
            [{"name": "楼道.jpg", "mimeType": "image/jpeg", "buffer": _jpeg_with_gps()}]
        )
        expect(page.locator("#cz-p-photos-picked img")).to_have_count(1)
        page.fill("#cz-action-note", "已联系物业，下午到场")
        page.locator("#cz-action-submit").tap()
        expect(page.locator("#zz-toasts")).to_contain_text("已受理（附现场照片 1 张）")
        _timeline_photos(page, "accept", 1)
        page.screenshot_step("1-accept-photo")
        page.assert_clean(demo.origin)
    finally:
        with demo.owner.begin() as conn:  # the day's workload of the next tests as it was
            conn.execute(
                text(
                    "UPDATE dispatches SET assigned_at = assigned_at - interval '2 days'"
                    " WHERE case_id = :c"
                ),
                {"c": case_id},
            )
