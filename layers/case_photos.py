"""Photos as on-site evidence of a case's 处置反馈 and 办结 (trial AO M8).

A grid worker (or whoever gives the feedback or resolves the case) attaches up to
:data:`MAX_PHOTOS` photos, JPEG or PNG of at most :data:`MAX_BYTES` each, to the event of his
处置反馈 or 办结. Each is decoded and encoded anew as a JPEG at most :data:`MAX_SIDE` pixels
on its longer side, turned upright as the camera meant it: nothing of the file sent is kept,
its EXIF with the phone's GPS position and make neither. A thumbnail of at most
:data:`THUMB_SIDE` pixels is kept beside it for the case's timeline. Photos are read by whoever
may read the case (:func:`layers.cases.get_case`; row-level security as the case's events).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers import cases
from layers.errors import InvalidInput, NotFound
from layers.model import CaseEvent, CasePhoto
from layers.workflow import Actor

#: The actions whose event a photo may document.
PHOTO_ACTIONS = frozenset({"feedback", "resolve"})
#: At most so many photos to one event …
MAX_PHOTOS = 6
#: … each of at most so many bytes as sent …
MAX_BYTES = 8 * 1024 * 1024
#: … and of at most so many pixels (a larger picture is a decompression bomb, not a photo).
MAX_PIXELS = 60_000_000
#: The longer side of a stored photo, and of its thumbnail, in pixels.
MAX_SIDE = 1600
THUMB_SIDE = 240
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
        Over :data:`MAX_BYTES` (图片过大), or not a JPEG or PNG image (格式不支持).

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
    content = _jpeg(image, MAX_SIDE, 85)
    with Image.open(io.BytesIO(content)) as stored:
        width, height = stored.size
    return Encoded(content, _jpeg(image, THUMB_SIDE, 80), width, height)


def check_count(count: int) -> None:
    """Refuse more than :data:`MAX_PHOTOS` photos to one event (最多 6 张).

    Parameters
    ----------
    count : int
        How many were sent.

    Raises
    ------
    InvalidInput
        More than :data:`MAX_PHOTOS`.
    """
    if count > MAX_PHOTOS:
        raise InvalidInput(TOO_MANY)


def attach(
    session: Session, event: CaseEvent, photos: list[Encoded], *, actor: Actor, now: datetime
) -> list[CasePhoto]:
    """Store photos as the evidence of the actor's own 处置反馈 or 办结 event.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor, in the transaction that wrote the event.
    event : layers.model.CaseEvent
        The event, of one of :data:`PHOTO_ACTIONS`, by the actor.
    photos : list of Encoded
        The photos (:func:`reencode`), at most :data:`MAX_PHOTOS`.
    actor : Actor
        Who sends them.
    now : datetime
        When.

    Returns
    -------
    list of layers.model.CasePhoto
        The rows added (flushed).

    Raises
    ------
    InvalidInput
        Another action's event, or too many photos.
    """
    if event.action not in PHOTO_ACTIONS or event.actor_id != actor.user_id:
        raise InvalidInput("只能为本人的处置反馈或办结附照片")
    check_count(len(photos))
    case = cases.get_case(session, event.case_id, actor=actor)
    rows = [
        CasePhoto(
            case_id=case.id,
            event_id=event.id,
            area_code=case.area_code,
            at=now,
            uploaded_by=actor.user_id,
            width=photo.width,
            height=photo.height,
            content=photo.content,
            thumbnail=photo.thumbnail,
        )
        for photo in photos
    ]
    session.add_all(rows)
    session.flush()
    return rows


def listed(session: Session, case_id: int, *, actor: Actor) -> list[dict[str, Any]]:
    """Return the photos of a case the actor may read, oldest first, without their bytes.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        The case.
    actor : Actor
        The reader.

    Returns
    -------
    list of dict
        ``id``, ``event_id``, ``at`` (ISO 8601), ``width`` and ``height``.

    Raises
    ------
    NotFound
        No such case in the actor's scope.
    """
    cases.get_case(session, case_id, actor=actor)
    rows = session.execute(
        select(CasePhoto.id, CasePhoto.event_id, CasePhoto.at, CasePhoto.width, CasePhoto.height)
        .where(CasePhoto.case_id == case_id)
        .order_by(CasePhoto.id)
    ).all()
    return [
        {
            "id": row.id,
            "event_id": row.event_id,
            "at": row.at.isoformat(),
            "width": row.width,
            "height": row.height,
        }
        for row in rows
    ]


def content(
    session: Session, case_id: int, photo_id: int, *, actor: Actor, thumbnail: bool = False
) -> bytes:
    """Return a photo's JPEG (or its thumbnail's) to a reader of its case.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        The case.
    photo_id : int
        The photo, of that case.
    actor : Actor
        The reader.
    thumbnail : bool
        The thumbnail instead of the photo.

    Returns
    -------
    bytes
        A JPEG.

    Raises
    ------
    NotFound
        No such case in the actor's scope, or no such photo of it.
    """
    cases.get_case(session, case_id, actor=actor)
    column = CasePhoto.thumbnail if thumbnail else CasePhoto.content
    found = session.scalar(
        select(column).where(CasePhoto.id == photo_id, CasePhoto.case_id == case_id)
    )
    if found is None:
        raise NotFound(NO_PHOTO)
    return bytes(found)


def latest_event(session: Session, case_id: int, action: str, *, actor: Actor) -> CaseEvent:
    """Return the actor's latest event of ``action`` on the case (the one just written).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        The case.
    action : str
        The action.
    actor : Actor
        Who did it.

    Returns
    -------
    layers.model.CaseEvent
        The event.

    Raises
    ------
    NotFound
        None.
    """
    event = session.scalars(
        select(CaseEvent)
        .where(
            CaseEvent.case_id == case_id,
            CaseEvent.action == action,
            CaseEvent.actor_id == actor.user_id,
        )
        .order_by(CaseEvent.id.desc())
        .limit(1)
    ).first()
    if event is None:
        raise NotFound("没有可附照片的处置记录")
    return event
