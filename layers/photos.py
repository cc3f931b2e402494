"""Photos sent from a phone, taken as the server re-encodes them (trial AO M8).

One rule for every photo the platform keeps (a case's 受理, 处置反馈 and 办结,
:mod:`layers.case_photos`; a special-population visit, :mod:`layers.visit_photos`): up to
:data:`MAX_PHOTOS` to one record, JPEG or PNG of at most :data:`MAX_BYTES` and
:data:`MAX_PIXELS` each. Each is decoded and encoded anew as a JPEG at most :data:`MAX_SIDE`
pixels on its longer side, turned upright as the camera meant it: nothing of the file sent is
kept, its EXIF with the phone's GPS position and make neither. A thumbnail of at most
:data:`THUMB_SIDE` pixels is kept beside it. A refusal says why in Chinese, naming the file
(:func:`reencode_named`); nothing of the image is ever logged.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from layers.errors import InvalidInput

#: At most so many photos to one record …
MAX_PHOTOS = 6
#: … each of at most so many bytes as sent …
MAX_BYTES = 8 * 1024 * 1024
#: … and of at most so many pixels (a larger picture is a decompression bomb, not a photo).
MAX_PIXELS = 60_000_000
#: The longer side of a stored photo, and of its thumbnail, in pixels.
MAX_SIDE = 1600
THUMB_SIDE = 240
#: The JPEG quality a stored photo is encoded at (a phone shrinks a photo to send as the same).
QUALITY = 85
#: The formats taken, as Pillow names them.
FORMATS = ("JPEG", "PNG")

TOO_LARGE = f"图片过大：每张不超过 {MAX_BYTES // (1024 * 1024)} MB"
NOT_AN_IMAGE = "格式不支持：只能上传 JPEG 或 PNG 图片"
TOO_MANY = f"最多 {MAX_PHOTOS} 张照片"
NO_PHOTO = "没有这张照片"


@dataclass(frozen=True)
class Encoded:
    """A photo as stored: the JPEG, its thumbnail and its size in pixels."""

    content: bytes
    thumbnail: bytes
    width: int
    height: int


def stored(photo: Encoded, *, at: datetime, uploaded_by: int | None) -> dict[str, Any]:
    """Return the columns every photo row has, for a case's or a visit's photo model.

    Parameters
    ----------
    photo : Encoded
        The photo as re-encoded.
    at : datetime
        When it was sent.
    uploaded_by : int or None
        The account that sent it.

    Returns
    -------
    dict
        ``at``, ``uploaded_by``, ``width``, ``height``, ``content`` and ``thumbnail``.

    Examples
    --------
    >>> sorted(stored(Encoded(b"j", b"t", 2, 1), at=datetime(2026, 1, 1), uploaded_by=7))
    ['at', 'content', 'height', 'thumbnail', 'uploaded_by', 'width']
    """
    return {
        "at": at,
        "uploaded_by": uploaded_by,
        "width": photo.width,
        "height": photo.height,
        "content": photo.content,
        "thumbnail": photo.thumbnail,
    }


def _jpeg(image: Image.Image, side: int, quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality, optimize=True)  # no exif=: none written
    return out.getvalue()


def reencode(data: bytes) -> Encoded:
    """Decode a photo sent and encode it anew as a JPEG without metadata.

    Parameters
    ----------
    data : bytes
        The file as sent.

    Returns
    -------
    Encoded
        The JPEG (at most :data:`MAX_SIDE` px), its thumbnail and its size.

    Raises
    ------
    InvalidInput
        Over :data:`MAX_BYTES` or :data:`MAX_PIXELS` (图片过大), or not a JPEG or PNG image
        (格式不支持).

    Examples
    --------
    >>> out = io.BytesIO()
    >>> Image.new("RGB", (3200, 800), "red").save(out, "PNG")
    >>> photo = reencode(out.getvalue())
    >>> (photo.width, photo.height), photo.content.startswith(bytes([0xFF, 0xD8]))
    ((1600, 400), True)
    """
    if len(data) > MAX_BYTES:
        raise InvalidInput(TOO_LARGE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.format not in FORMATS:
                    raise InvalidInput(NOT_AN_IMAGE)
                if opened.width * opened.height > MAX_PIXELS:
                    raise InvalidInput(TOO_LARGE)
                upright = ImageOps.exif_transpose(opened)
                if upright.mode in ("RGBA", "LA", "P", "PA"):
                    rgba = upright.convert("RGBA")
                    image = Image.new("RGB", rgba.size, "white")
                    image.paste(rgba, mask=rgba.getchannel("A"))
                else:
                    image = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(NOT_AN_IMAGE) from None
    except Image.DecompressionBombWarning:
        raise InvalidInput(TOO_LARGE) from None
    content = _jpeg(image, MAX_SIDE, QUALITY)
    with Image.open(io.BytesIO(content)) as kept:
        width, height = kept.size
    return Encoded(content, _jpeg(image, THUMB_SIDE, 80), width, height)


def reencode_named(data: bytes, filename: str | None) -> Encoded:
    """Re-encode one photo as :func:`reencode`; a refusal names its file (trial AP m2).

    Parameters
    ----------
    data : bytes
        The file as sent.
    filename : str or None
        Its name as the phone gave it.

    Returns
    -------
    Encoded
        The photo as stored.

    Raises
    ------
    InvalidInput
        As :func:`reencode`, said of the file: ``照片 xx.jpg：格式不支持…``.

    Examples
    --------
    >>> reencode_named(b"not a photo", "fake.jpg")
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: 照片 fake.jpg：格式不支持：只能上传 JPEG 或 PNG 图片
    """
    try:
        return reencode(data)
    except InvalidInput as refused:
        raise InvalidInput(named(str(refused), filename)) from None


def named(refusal: str, filename: str | None) -> str:
    """Return a photo's refusal said of its file: ``照片 xx.jpg：…`` (the refusal if no name).

    Parameters
    ----------
    refusal : str
        Why the photo is refused.
    filename : str or None
        The file's name as sent (cut to 80 characters, on one line).

    Returns
    -------
    str
        The refusal naming the file.

    Examples
    --------
    >>> named(TOO_LARGE, "现场.jpg")
    '照片 现场.jpg：图片过大：每张不超过 8 MB'
    >>> named(TOO_LARGE, " ")
    '图片过大：每张不超过 8 MB'
    """
    name = (filename or "").replace("\n", " ").strip()[:80]
    return f"照片 {name}：{refusal}" if name else refusal


def check_count(count: int) -> None:
    """Refuse more than :data:`MAX_PHOTOS` photos to one record (最多 6 张).

    Parameters
    ----------
    count : int
        How many there would be.

    Raises
    ------
    InvalidInput
        More than :data:`MAX_PHOTOS`.
    """
    if count > MAX_PHOTOS:
        raise InvalidInput(TOO_MANY)
