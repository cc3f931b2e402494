"""Photos of a case's 受理, 处置反馈 and 办结: sent with the action, read by the case's readers.

``POST /api/cases/{id}/actions/{accept|feedback|resolve}/with-photos`` takes the action's form
(``version``, ``note``, ``params`` as JSON) with up to six ``photos`` (JPEG or PNG, 8 MB each)
and does the action and stores the photos in one transaction: a photo refused (图片过大,
格式不支持, 最多 6 张) leaves the case as it was. It is audited as the action itself
(``case.accept``, ``case.feedback``, ``case.resolve``), its refusals too.
``POST /api/cases/{id}/report-photos`` takes the photos of a case's 上报 (its registration is
JSON) from the one who registered it, right after: a photo refused leaves the case and its
report as they were, audited as ``case.report_photos``.
``GET /api/cases/{id}/photos`` lists a case's photos by event;
``GET /api/cases/{id}/photos/{photo}`` (``?thumbnail=true``) gives one, to whoever may read
the case, as ``GET /api/cases/{id}`` (not audited, as case reads are not).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile

from api.deps import BusinessUser, DeadlinesDep, SessionDep, utcnow
from api.routers.cases import (
    IdPath,
    actor_of,
    audited_refusal,
    case_json,
    coded_params,
    latest_of,
)
from layers import case_photos, cases
from layers import photos as photos_rule
from layers.errors import Forbidden, InvalidInput
from layers.model import Role

router = APIRouter(prefix="/api/cases", tags=["cases"])

NOT_AN_ANALYSTS = "研判分析员只能查看统计汇总，不能查看单个案件"


def read_upload(photo: UploadFile) -> bytes:
    """Return the file as sent, at most one byte over the limit (enough to refuse it).

    Parameters
    ----------
    photo : fastapi.UploadFile
        One file of the form.

    Returns
    -------
    bytes
        Its first :data:`layers.photos.MAX_BYTES` + 1 bytes.
    """
    photo.file.seek(0)
    return photo.file.read(photos_rule.MAX_BYTES + 1)


def reencoded(sent: list[UploadFile], *, already: int = 0) -> list[photos_rule.Encoded]:
    """Re-encode the files of a form's photos, refusing more than six or any one refused.

    Parameters
    ----------
    sent : list of fastapi.UploadFile
        The form's ``photos`` (an empty part, as a browser sends for no file, left out).
    already : int
        Photos the record holds already.

    Returns
    -------
    list of layers.photos.Encoded
        The photos to store, all of them or none.

    Raises
    ------
    layers.errors.InvalidInput
        最多 6 张, or one file refused, by its name (照片 xx.jpg：格式不支持…, trial AP m2).
    """
    files = [p for p in sent if p.filename or p.size]
    photos_rule.check_count(already + len(files))
    return [photos_rule.reencode_named(read_upload(p), p.filename) for p in files]


def _params(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidInput("办理参数格式不正确")
    return coded_params(value)


@router.post(
    "/{case_id}/actions/{action}/with-photos",
    summary="受理, 处置反馈 or 办结 with on-site photos (multipart)",
    responses={409: {"description": "Illegal transition or stale version; lists `allowed`"}},
)
def act_with_photos(
    case_id: IdPath,
    action: Annotated[str, Path(max_length=30)],
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    response: Response,
    version: Annotated[int, Form(ge=0)],
    photos: Annotated[list[UploadFile], File()],
    note: Annotated[str | None, Form(max_length=2000)] = None,
    params: Annotated[str, Form(max_length=4000)] = "{}",
) -> dict[str, Any]:
    """Do the action and keep its photos (re-encoded, without EXIF) with its event."""
    now = utcnow()
    actor = actor_of(user)
    with audited_refusal(session, user, f"case.{action}"[:40], "case", str(case_id)):
        if action not in case_photos.PHOTO_ACTIONS:
            raise InvalidInput(case_photos.NOT_A_PHOTO_ACTION)
        encoded = reencoded(photos)
        case = cases.act(
            session,
            case_id,
            action,
            actor=actor,
            now=now,
            expected_version=version,
            note=note.strip() or None if note else None,
            params=_params(params),
            limits_config=limits,
        )
        event = case_photos.latest_event(session, case_id, action, actor=actor)
        case_photos.attach(session, event, encoded, actor=actor, now=now)
        session.commit()
    response.headers["ETag"] = f'"{case.version}"'
    body = case_json(case, user, now=now, limits_config=limits, latest=latest_of(session, case))
    return body | {"photos": len(encoded)}


@router.post(
    "/{case_id}/report-photos",
    summary="The on-site photos of a case's 上报, sent by its reporter after it (multipart)",
)
def report_photos(
    case_id: IdPath,
    user: BusinessUser,
    session: SessionDep,
    photos: Annotated[list[UploadFile], File()],
) -> dict[str, Any]:
    """Keep the photos (re-encoded, without EXIF) with the case's registration event."""
    now = utcnow()
    with audited_refusal(session, user, "case.report_photos", "case", str(case_id)):
        if user.role == Role.ANALYST:
            raise Forbidden(NOT_AN_ANALYSTS)
        rows = case_photos.attach_to_report(
            session, case_id, reencoded(photos), actor=actor_of(user), now=now
        )
        session.commit()
    return {"case_id": case_id, "photos": len(rows)}


@router.get("/{case_id}/photos", summary="The photos of a case's events")
def photos_of(case_id: IdPath, user: BusinessUser, session: SessionDep) -> list[dict[str, Any]]:
    """Return the case's photos, oldest first: ``id``, ``event_id``, ``at``, size in pixels."""
    if user.role == Role.ANALYST:
        raise Forbidden(NOT_AN_ANALYSTS)
    return case_photos.listed(session, case_id, actor=actor_of(user))


@router.get(
    "/{case_id}/photos/{photo_id}",
    summary="One photo of a case (JPEG)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def photo(
    case_id: IdPath,
    photo_id: IdPath,
    user: BusinessUser,
    session: SessionDep,
    thumbnail: Annotated[bool, Query()] = False,
) -> Response:
    """Return the photo, or its thumbnail, as the server stored it."""
    if user.role == Role.ANALYST:
        raise Forbidden(NOT_AN_ANALYSTS)
    data = case_photos.content(
        session, case_id, photo_id, actor=actor_of(user), thumbnail=thumbnail
    )
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
