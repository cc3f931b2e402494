"""Photos as on-site evidence of a case's 上报, 受理, 处置反馈 and 办结 (trial AO M8, s49).

A grid worker (or whoever accepts, gives the feedback or resolves the case) attaches up to
:data:`MAX_PHOTOS` photos to the event of his 受理, 处置反馈 or 办结, each taken as
:mod:`layers.photos` takes a photo: JPEG or PNG of at most :data:`MAX_BYTES`, encoded anew as a
JPEG without the EXIF of the file sent (the phone's GPS position and make), with a thumbnail for
the case's timeline. Photos are read by whoever may read the case (:func:`layers.cases.get_case`;
row-level security as the case's events). A case's registration (上报) is JSON: its reporter
sends its photos right after it (:func:`attach_to_report`), kept with its ``register`` event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from layers import cases
from layers.errors import Forbidden, InvalidInput, NotFound
from layers.model import CaseEvent, CasePhoto
from layers.photos import (
    MAX_BYTES,
    MAX_PHOTOS,
    MAX_SIDE,
    NO_PHOTO,
    NOT_AN_IMAGE,
    THUMB_SIDE,
    TOO_LARGE,
    TOO_MANY,
    Encoded,
    check_count,
    reencode,
    reencode_named,
    stored,
)
from layers.workflow import Actor

__all__ = [
    "MAX_BYTES",
    "MAX_PHOTOS",
    "MAX_SIDE",
    "NOT_AN_IMAGE",
    "NOT_A_PHOTO_ACTION",
    "NOT_THE_REPORTER",
    "NO_PHOTO",
    "PHOTO_ACTIONS",
    "REPORT_ACTION",
    "THUMB_SIDE",
    "TOO_LARGE",
    "TOO_MANY",
    "Encoded",
    "attach",
    "attach_to_report",
    "check_count",
    "content",
    "latest_event",
    "listed",
    "reencode",
    "reencode_named",
]

#: The actions whose event a photo may document.
PHOTO_ACTIONS = frozenset({"accept", "feedback", "resolve"})
#: The refusal of a photo sent with another action.
NOT_A_PHOTO_ACTION = "只有受理、处置反馈和办结可以附照片"
#: The event a case's 上报 photos are kept with: its registration.
REPORT_ACTION = "register"
#: The refusal of 上报 photos sent by another than the one who registered the case.
NOT_THE_REPORTER = "只有上报人可以为本次上报附照片"


def attach(
    session: Session, event: CaseEvent, photos: list[Encoded], *, actor: Actor, now: datetime
) -> list[CasePhoto]:
    """Store photos as the evidence of the actor's own 受理, 处置反馈 or 办结 event.

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
        raise InvalidInput("只能为本人的受理、处置反馈或办结附照片")
    check_count(len(photos))
    case = cases.get_case(session, event.case_id, actor=actor)
    return _added(session, case.id, case.area_code, event, photos, actor=actor, now=now)


def _added(
    session: Session,
    case_id: int,
    area_code: str,
    event: CaseEvent,
    photos: list[Encoded],
    *,
    actor: Actor,
    now: datetime,
) -> list[CasePhoto]:
    rows = [
        CasePhoto(
            case_id=case_id,
            event_id=event.id,
            area_code=area_code,
            **stored(photo, at=now, uploaded_by=actor.user_id),
        )
        for photo in photos
    ]
    session.add_all(rows)
    session.flush()
    return rows


def attach_to_report(
    session: Session, case_id: int, photos: list[Encoded], *, actor: Actor, now: datetime
) -> list[CasePhoto]:
    """Store photos as the evidence of the actor's own 上报 (the case's registration), audited.

    A case is registered as JSON (``POST /api/cases``); the one who registered it (a grid
    worker's 上报事件, a desk's 登记) sends its photos right after, at most :data:`MAX_PHOTOS`
    to the report in all. The audit entry ``case.report_photos`` says how many.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        The case.
    photos : list of Encoded
        The photos (:func:`reencode`).
    actor : Actor
        Who sends them: the one who registered the case.
    now : datetime
        When.

    Returns
    -------
    list of layers.model.CasePhoto
        The rows added (flushed).

    Raises
    ------
    NotFound
        No such case in the actor's scope.
    Forbidden
        The case was registered by another (:data:`NOT_THE_REPORTER`).
    InvalidInput
        More than :data:`MAX_PHOTOS` to the report with those it has.
    """
    case = cases.get_case(session, case_id, actor=actor)
    event = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == REPORT_ACTION)
        .order_by(CaseEvent.id)
        .limit(1)
    ).first()
    if event is None or event.actor_id != actor.user_id:
        raise Forbidden(NOT_THE_REPORTER)
    already = session.scalar(
        select(func.count()).select_from(CasePhoto).where(CasePhoto.event_id == event.id)
    )
    check_count((already or 0) + len(photos))
    rows = _added(session, case.id, case.area_code, event, photos, actor=actor, now=now)
    cases.audit_case(session, actor, "report_photos", case, {"photos": len(rows)})
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
