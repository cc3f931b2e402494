"""Photos of a special-population visit (走访): sent with the visit, read as the person's data.

``POST /api/persons/{id}/visits/with-photos`` records the account's own worker's visit as
``POST /api/persons/{id}/visits`` does (form fields ``visited_on``, ``note``) with up to six
``photos`` (JPEG or PNG, 8 MB each), in one transaction: a photo refused (图片过大, 格式不支持,
最多 6 张; each refusal names the file) writes no visit. Audited as ``visit.record`` (its
photos counted), its refusals too, without the file's name (a phone names a file as it is told).

A photo shows the person visited, so (:mod:`layers.visit_photos`):

* ``GET /api/persons/{id}/visit-photos`` gives the person's last visits with how many photos
  each has (照片 N 张), and the ids of the reader's own visits' photos; to whoever sees the
  person masked (the visits list);
* ``GET /api/persons/{id}/visit-photos/{photo}`` (``?thumbnail=true``) gives a photo of the
  reader's own visit; with ``?read={audit_id}``, the reader's unmasked read of the person (its
  answer's ``audit_id``, which showed the thumbnails), it gives any visit photo of the person to
  a reader who may read them in clear, each read an audit entry (``person.visit_photo``) with
  the unmasked read's reason. Anyone else gets 403 and sees only the counts.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field

from api.deps import BusinessUser, Principal, SessionDep, utcnow
from api.routers.case_photos import read_upload
from api.routers.persons import PersonId, VisitOut, _check_sees_persons, record_own_visit
from layers import audit, visit_photos, visit_schedule
from layers import photos as photos_rule
from layers.accounts import Reader
from layers.errors import InvalidInput
from layers.photos import Encoded

router = APIRouter(prefix="/api/persons", tags=["persons"])


def _reader(user: Principal) -> Reader:
    return Reader(
        user_id=user.id,
        username=user.username,
        role=user.role,
        scope_code=user.scope_code,
        can_unmask=user.can_unmask,
        worker_id=user.worker_id,
    )


def _encoded(
    session: SessionDep, user: Principal, person_id: int, sent: list[UploadFile]
) -> list[Encoded]:
    """Re-encode the photos sent; a refusal names the file to the worker, not in the log."""
    files = [p for p in sent if p.filename or p.size]
    encoded: list[Encoded] = []
    refusal = said = None
    try:
        photos_rule.check_count(len(files))
    except InvalidInput as refused:
        refusal = said = str(refused)
    else:
        for upload in files:
            try:
                encoded.append(photos_rule.reencode(read_upload(upload)))
            except InvalidInput as refused:
                refusal, said = str(refused), photos_rule.named(str(refused), upload.filename)
                break
    if said is None:
        return encoded
    audit.record(
        session,
        actor_id=user.id,
        actor_name=user.username,
        action="visit.record",
        object_type="person",
        object_id=str(person_id),
        outcome="failed",
        reason=f"InvalidInput: {refusal}",  # the rule broken, not the file's name
    )
    session.commit()
    raise InvalidInput(said)


@router.post(
    "/{person_id}/visits/with-photos",
    response_model=VisitOut,
    status_code=201,
    responses={
        403: {"description": "Counts only, or no worker record"},
        404: {"description": "Not found"},
        409: {"description": "Left the register"},
        422: {"description": "A photo refused (by name), a bad day or note"},
    },
)
def record_visit_with_photos(
    person_id: PersonId,
    user: BusinessUser,
    session: SessionDep,
    photos: Annotated[list[UploadFile], File()],
    visited_on: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    outcome: Annotated[str, Form(max_length=12)] = visit_schedule.DEFAULT_OUTCOME,
) -> VisitOut:
    """Record a follow-up visit by the account's own worker with its photos (multipart)."""
    try:
        day = date.fromisoformat(visited_on) if visited_on.strip() else None
    except ValueError:
        raise InvalidInput("走访日期格式不正确，应为 年-月-日") from None
    encoded = _encoded(session, user, person_id, photos)
    return record_own_visit(
        session,
        user,
        person_id,
        visited_on=day,
        note=note.strip() or None,
        photos=encoded,
        outcome=outcome,
    )


class VisitPhotos(BaseModel):
    """A visit with how many photos it has; their ids where the reader recorded it."""

    id: int
    visited_on: str
    photos: int = Field(description="照片 N 张")
    own: bool = Field(description="The reader recorded the visit")
    photo_ids: list[int] = Field(description="The photos' ids, of the reader's own visit only")


@router.get("/{person_id}/visit-photos", response_model=list[VisitPhotos])
def visit_photo_counts(
    person_id: PersonId, user: BusinessUser, session: SessionDep
) -> list[dict[str, Any]]:
    """List a person's last visits with how many photos each has (not audited: no photo shown)."""
    _check_sees_persons(user)
    return visit_photos.visit_list(session, person_id, reader=_reader(user))


@router.get(
    "/{person_id}/visit-photos/{photo_id}",
    summary="One photo of a person's visit (JPEG)",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}},
        403: {"description": "Not the reader's visit, and no unmasked read of the person"},
    },
)
def visit_photo(
    person_id: PersonId,
    photo_id: PersonId,
    user: BusinessUser,
    session: SessionDep,
    thumbnail: Annotated[bool, Query()] = False,
    read: Annotated[
        int | None,
        Query(ge=1, le=2**63 - 1, description="The audit entry of the reader's unmasked read"),
    ] = None,
) -> Response:
    """Return the photo: the reader's own, or (audited) as part of his unmasked read."""
    _check_sees_persons(user)
    reader = _reader(user)
    if read is None:
        data = visit_photos.read_own(
            session, person_id, photo_id, reader=reader, thumbnail=thumbnail
        )
    else:
        data = visit_photos.read_clear(
            session,
            person_id,
            photo_id,
            reader=reader,
            after=read,
            now=utcnow(),
            thumbnail=thumbnail,
        )
        session.commit()
    return Response(
        data,
        media_type="image/jpeg",
        # personal data: kept by no cache, the browser's neither (each clear read is audited)
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
