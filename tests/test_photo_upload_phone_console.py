"""A grid worker's 上报事件 with a phone's photo, on a slow link (390×844, the 华宁县 demo; s49).

A user trial on Slow 3G saved a visit with a 4.9 MB 12-megapixel photo in 100 s behind a greyed
保存: the page sent a photo as taken unless it was over 8 MB or 60 megapixels, though the server
keeps 1600 px on its longer side. The page now shrinks a photo larger than that to what the
server keeps (a JPEG at the server's quality, turned upright as its EXIF says) before sending it,
and says how far the upload is on the form's button. The worker's 上报事件 form had no 现场照片
at all: it has the same photo field now, its photos sent right after the case and shown with its
上报 on the case's page.
"""

from __future__ import annotations

import io
import random
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Request, Route, expect

from layers.photos import MAX_SIDE
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk
from tests.test_console_phone import HEIGHT, WIDTH
from tests.test_console_phone_photos import _served_photo, _timeline_photos
from tests.test_console_worker_report import _quiet_spot

TITLE = "网格巡查：桥头护栏松动（附照片）"
ORIENTATION = 0x0112


def _phone_photo() -> bytes:
    """A 12-megapixel phone shot of several MB, stored on its side (EXIF orientation 6).

    Its stored top half is red and its bottom half blue: upright (turned 90° clockwise) the
    right half is red, the left blue. Noise makes it as large as a camera's JPEG.
    """
    stored = Image.new("RGB", (4000, 3000), (220, 30, 30))
    stored.paste((30, 30, 220), (0, 1500, 4000, 3000))
    rng = random.Random(49)
    noise = Image.frombytes("L", (2000, 1500), rng.randbytes(2000 * 1500)).resize((4000, 3000))
    photo = Image.blend(stored, Image.merge("RGB", (noise, noise, noise)), 0.25)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def _sent_photos(request: Request) -> list[bytes]:
    """The files of a multipart request's ``photos``, as the page sent them."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + (request.post_data_buffer or b""))
    return [
        part.get_payload(decode=True)
        for part in message.iter_parts()
        if part.get_param("name", header="content-disposition") == "photos"
    ]


def _mean(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[float, ...]:
    part = image.crop(box).resize((1, 1), Image.Resampling.BOX)
    pixel: Any = part.getpixel((0, 0))
    return tuple(float(v) for v in pixel)


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_the_worker_reports_with_a_large_photo_sent_at_the_servers_size(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    lon, lat = _quiet_spot(demo, desk.village)
    original = _phone_photo()
    assert len(original) > 4 * 1024 * 1024  # a camera's, under the server's 8 MB
    sent: list[bytes] = []

    def keep(route: Route, request: Request) -> None:
        sent.extend(_sent_photos(request))
        route.continue_()

    page.route("**/api/cases/*/report-photos", keep)
    login(page, demo.origin, desk.worker_login, next_path=f"/dispatch/{desk.village}?new=1")
    expect(page.locator("#dz-register")).to_be_visible()
    label = page.locator("#dz-photos-label")
    expect(label).to_contain_text("现场照片（选填，最多 6 张，每张不超过 8 MB）")
    photos = page.locator("#dz-photos")
    expect(photos).to_have_attribute("capture", "environment")
    photos.set_input_files([{"name": "护栏.jpg", "mimeType": "image/jpeg", "buffer": original}])
    expect(page.locator("#dz-photos-picked img")).to_have_count(1)
    expect(page.locator("#dz-photos-add")).to_have_text("再拍一张或添加（已选 1 张）")
    page.fill("#dz-lon", f"{lon:.6f}")
    page.fill("#dz-lat", f"{lat:.6f}")
    page.select_option("#dz-category", "safety_hazard")
    page.fill("#dz-title", TITLE)
    page.locator("#dz-photos-label").scroll_into_view_if_needed()
    page.screenshot_step("1-photo-picked")

    # on a slow link the button says how far the photo is sent
    cdp = page.context.new_cdp_session(page.page)
    slow = {"offline": False, "latency": 400, "downloadThroughput": 50_000}
    cdp.send("Network.emulateNetworkConditions", slow | {"uploadThroughput": 50_000})
    submit = page.locator("#dz-register-submit")
    submit.tap()
    expect(submit).to_contain_text("正在上传照片", timeout=30_000)
    expect(submit).to_be_disabled()
    page.screenshot_step("2-uploading")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )

    # he lands on the case's page, the photo under its 上报
    page.wait_for_url(lambda url: "/cases/" in url, timeout=60_000)
    expect(page.locator("#cz-title")).to_have_text(TITLE)
    thumbs = _timeline_photos(page, "register", 1)
    page.screenshot_step("3-case-photo")

    # what went over the link: a JPEG at the server's size, upright, without EXIF, far smaller
    assert len(sent) == 1
    shrunk = Image.open(io.BytesIO(sent[0]))
    assert shrunk.format == "JPEG"
    assert shrunk.size == (MAX_SIDE * 3 // 4, MAX_SIDE)  # turned upright: 3000×4000 at 1600
    assert shrunk.getexif().get(ORIENTATION) in (None, 1)
    left, right = _mean(shrunk, (0, 0, 600, 1600)), _mean(shrunk, (600, 0, 1200, 1600))
    assert right[0] > right[2] + 60 and left[2] > left[0] + 60, (left, right)
    assert len(sent[0]) < len(original) // 4, (len(sent[0]), len(original))
    # and kept as sent: the server had nothing to shrink
    served = _served_photo(page, demo.origin, thumbs)
    assert Image.open(io.BytesIO(served.body())).size == (1200, 1600)
    page.assert_clean(demo.origin)
