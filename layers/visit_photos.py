"""Photos of a special-population visit (走访): personal data of the person visited (trial AO M8).

A grid worker documents a 走访 of a 刑满释放 or 社区矫正 person with up to :data:`MAX_PHOTOS`
photos, sent with the visit (``POST /api/persons/{id}/visits/with-photos``) and taken as
:mod:`layers.photos` takes every photo: re-encoded as a JPEG without the EXIF of the file sent
(the phone's GPS position and make), too large or not a JPEG or PNG refused by name, a seventh
refused, and the visit not written when one is refused.

A photo shows the person, so it is read as the person's clear record is:

* the worker who recorded the visit (the account that sent it, or the account of the visit's
  worker) sees his own photos, not audited: he was there;
* a reader who may read the person in clear (:func:`layers.accounts.unmask_effective`) sees
  them through an unmasked read: the thumbnails come with the person's last visits in the
  unmasked record (:func:`layers.disclosure.unmask_person`, whose audit entry counts them), and
  each photo opened is an audit entry of its own (``person.visit_photo``) naming the unmasked
  read it follows, whose stated reason it repeats (:func:`read_clear`), within
  :data:`READ_VALID` of it;
* anyone else who sees the person masked sees only how many photos a visit has (照片 N 张,
  :func:`visit_list`).

Row-level security keeps each photo in its visit's unit. No image, nor any personal number, is
ever logged: the audit entries hold ids and counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from layers import audit
from layers.accounts import Reader, unmask_effective
from layers.errors import Forbidden, NotFound
from layers.model import AuditEntry, PersonVisit, VisitPhoto
from layers.photos import MAX_PHOTOS, NO_PHOTO, Encoded, check_count, stored

#: The audit action of a visit photo opened by a reader who did not take it.
READ_ACTION = "person.visit_photo"
#: How long after an unmasked read of the person its reader may open the visit photos it showed.
READ_VALID = timedelta(hours=1)

COUNT_ONLY = "走访照片属于被走访人员的个人信息：只有走访人和有查看明文权限的账号可以查看"
UNMASK_FIRST = "查看走访照片须先查看该人员的身份信息（说明事由，记入审计日志）"
READ_EXPIRED = "查看身份信息已超过 1 小时，请重新查看身份信息后再看走访照片"
NO_VISIT = "没有这次走访记录"

__all__ = [
    "COUNT_ONLY",
    "MAX_PHOTOS",
    "READ_ACTION",
    "READ_VALID",
    "UNMASK_FIRST",
    "attach",
    "counts",
    "may_read_clear",
    "read_clear",
    "read_own",
    "thumbnails",
    "visit_list",
]


def may_read_clear(reader: Reader) -> bool:
    """Return whether ``reader`` may read a person in clear, and so (audited) their visit photos.

    Parameters
    ----------
    reader : Reader
        The reader.

    Returns
    -------
    bool
        :func:`layers.accounts.unmask_effective` of the account.
    """
    return unmask_effective(reader.role, can_unmask=reader.can_unmask, scope_code=reader.scope_code)


def attach(
    session: Session, visit_id: int, photos: list[Encoded], *, user_id: int, now: datetime
) -> list[VisitPhoto]:
    """Store photos with a visit, in its unit, up to :data:`MAX_PHOTOS` to the visit in all.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the worker's account, in the transaction that recorded the visit.
    visit_id : int
        The visit (:func:`layers.visit_schedule.record_visit`; the same day's visit again adds
        to its photos).
    photos : list of layers.photos.Encoded
        The photos as re-encoded.
    user_id : int
        The account sending them.
    now : datetime
        When.

    Returns
    -------
    list of layers.model.VisitPhoto
        The rows added (flushed).

    Raises
    ------
    NotFound
        No such visit in the scope.
    InvalidInput
        More than :data:`MAX_PHOTOS` with those the visit has (最多 6 张).
    """
    visit = session.get(PersonVisit, visit_id)
    if visit is None:
        raise NotFound(NO_VISIT)
    had = session.scalar(select(func.count()).where(VisitPhoto.visit_id == visit_id)) or 0
    check_count(had + len(photos))
    rows = [
        VisitPhoto(
            visit_id=visit.id,
            person_id=visit.person_id,
            area_code=visit.area_code,
            **stored(photo, at=now, uploaded_by=user_id),
        )
        for photo in photos
    ]
    session.add_all(rows)
    session.flush()
    return rows


def counts(session: Session, visit_ids: list[int]) -> dict[int, int]:
    """Return how many photos each of the visits has (a visit without any left out).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    visit_ids : list of int
        The visits.

    Returns
    -------
    dict
        Photos by visit id.
    """
    if not visit_ids:
        return {}
    rows = session.execute(
        select(VisitPhoto.visit_id, func.count())
        .where(VisitPhoto.visit_id.in_(visit_ids))
        .group_by(VisitPhoto.visit_id)
    ).all()
    return {int(visit): int(n) for visit, n in rows}


def thumbnails(session: Session, visit_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Return the photos of visits with their thumbnails, for an unmasked read of the person.

    Only :func:`layers.disclosure.unmask_person` calls it, after its permission check and
    within its audited read.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    visit_ids : list of int
        The visits the read shows.

    Returns
    -------
    dict
        By visit id, its photos oldest first: ``id``, ``width``, ``height`` and ``thumbnail``
        (the JPEG's bytes).
    """
    if not visit_ids:
        return {}
    rows = session.execute(
        select(
            VisitPhoto.id,
            VisitPhoto.visit_id,
            VisitPhoto.width,
            VisitPhoto.height,
            VisitPhoto.thumbnail,
        )
        .where(VisitPhoto.visit_id.in_(visit_ids))
        .order_by(VisitPhoto.id)
    ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(int(row.visit_id), []).append(
            {
                "id": row.id,
                "width": row.width,
                "height": row.height,
                "thumbnail": bytes(row.thumbnail),
            }
        )
    return found


def _is_own(reader: Reader, uploaded_by: int | None, visitor_id: int | None) -> bool:
    return uploaded_by == reader.user_id or (
        reader.worker_id is not None and visitor_id == reader.worker_id
    )


def visit_list(
    session: Session, person_id: int, *, reader: Reader, limit: int = 10
) -> list[dict[str, Any]]:
    """Return a person's last visits with how many photos each has, and the reader's own photos.

    What a reader who sees the person masked may know of the photos: their number
    (照片 N 张); the ids too of the photos of the visits the reader recorded (to open them,
    :func:`read_own`). Not audited: it shows no photo of another's visit.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    person_id : int
        The person.
    reader : Reader
        The reader.
    limit : int
        How many visits, the latest first.

    Returns
    -------
    list of dict
        ``id``, ``visited_on`` (ISO date), ``photos`` (count), ``own`` and ``photo_ids`` (the
        reader's own visit's photos; empty for another's).

    Raises
    ------
    NotFound
        No such person in the scope.
    """
    if (
        session.execute(text("SELECT 1 FROM persons WHERE id = :p"), {"p": person_id}).first()
        is None
    ):
        raise NotFound("该人员不存在或不在您的辖区内")
    visits = session.execute(
        select(PersonVisit.id, PersonVisit.visited_on, PersonVisit.visitor_id)
        .where(PersonVisit.person_id == person_id)
        .order_by(PersonVisit.visited_on.desc(), PersonVisit.id.desc())
        .limit(limit)
    ).all()
    photos = session.execute(
        select(VisitPhoto.id, VisitPhoto.visit_id, VisitPhoto.uploaded_by)
        .where(VisitPhoto.visit_id.in_([v.id for v in visits]))
        .order_by(VisitPhoto.id)
    ).all()
    listed = []
    for visit in visits:
        mine = [p for p in photos if p.visit_id == visit.id]
        own = bool(mine) and all(_is_own(reader, p.uploaded_by, visit.visitor_id) for p in mine)
        listed.append(
            {
                "id": visit.id,
                "visited_on": visit.visited_on.isoformat(),
                "photos": len(mine),
                "own": own,
                "photo_ids": [p.id for p in mine] if own else [],
            }
        )
    return listed


def _photo(session: Session, person_id: int, photo_id: int) -> Any:
    found = session.execute(
        select(
            VisitPhoto.id,
            VisitPhoto.uploaded_by,
            VisitPhoto.content,
            VisitPhoto.thumbnail,
            PersonVisit.visitor_id,
        )
        .join(PersonVisit, PersonVisit.id == VisitPhoto.visit_id)
        .where(VisitPhoto.id == photo_id, VisitPhoto.person_id == person_id)
    ).one_or_none()
    if found is None:
        raise NotFound(NO_PHOTO)
    return found


def _jpeg(found: Any, *, thumbnail: bool) -> bytes:
    return bytes(found.thumbnail if thumbnail else found.content)


def read_own(
    session: Session,
    person_id: int,
    photo_id: int,
    *,
    reader: Reader,
    thumbnail: bool = False,
) -> bytes:
    """Return a photo of a visit the reader recorded (not audited: he took it).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    person_id : int
        The person.
    photo_id : int
        The photo, of that person's visit.
    reader : Reader
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
        No such photo of the person in the scope.
    Forbidden
        Another's visit: :data:`UNMASK_FIRST` to a reader who may read the person in clear,
        :data:`COUNT_ONLY` to another.
    """
    found = _photo(session, person_id, photo_id)
    if not _is_own(reader, found.uploaded_by, found.visitor_id):
        raise Forbidden(UNMASK_FIRST if may_read_clear(reader) else COUNT_ONLY)
    return _jpeg(found, thumbnail=thumbnail)


def read_clear(
    session: Session,
    person_id: int,
    photo_id: int,
    *,
    reader: Reader,
    after: int,
    now: datetime,
    thumbnail: bool = False,
) -> bytes:
    """Return a visit photo as part of the reader's unmasked read of the person, audited.

    The read follows the reader's own unmasked read of the person (audit entry ``after``, of
    at most :data:`READ_VALID` before ``now``) and repeats its stated reason in an entry of its
    own (:data:`READ_ACTION`, the photo's id in its detail). The worker who took the photo reads
    it so too, unaudited.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    person_id : int
        The person.
    photo_id : int
        The photo, of that person's visit.
    reader : Reader
        The reader.
    after : int
        The audit entry of the reader's unmasked read of the person.
    now : datetime
        The time of the read.
    thumbnail : bool
        The thumbnail instead of the photo.

    Returns
    -------
    bytes
        A JPEG.

    Raises
    ------
    Forbidden
        The reader may not read the person in clear (:data:`COUNT_ONLY`); ``after`` is not his
        unmasked read of the person (:data:`UNMASK_FIRST`), or too old (:data:`READ_EXPIRED`).
    NotFound
        No such photo of the person in the scope.
    """
    found = _photo(session, person_id, photo_id)
    if _is_own(reader, found.uploaded_by, found.visitor_id):
        return _jpeg(found, thumbnail=thumbnail)
    if not may_read_clear(reader):
        raise Forbidden(COUNT_ONLY)
    unmasked = session.execute(
        select(AuditEntry.at, AuditEntry.reason).where(
            AuditEntry.id == after,
            AuditEntry.actor_id == reader.user_id,
            AuditEntry.action == "person.unmask",
            AuditEntry.outcome == "ok",
            AuditEntry.object_type == "person",
            AuditEntry.object_id == str(person_id),
        )
    ).one_or_none()
    if unmasked is None:
        raise Forbidden(UNMASK_FIRST)
    if now - unmasked.at > READ_VALID:
        raise Forbidden(READ_EXPIRED)
    audit.record(
        session,
        actor_id=reader.user_id,
        actor_name=reader.username,
        action=READ_ACTION,
        object_type="person",
        object_id=str(person_id),
        reason=unmasked.reason,
        detail={"photo": photo_id, "unmask_entry": after, "thumbnail": thumbnail},
    )
    return _jpeg(found, thumbnail=thumbnail)
