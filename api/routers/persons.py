"""Special-population records: registered by hand, the unmasked read, visits due and recorded.

``POST /api/persons`` puts one person on the register from a form (:mod:`layers.person_entry`):
the resident ID travels in the JSON body, never in a URL, and no answer repeats it (masked).

``GET /api/persons/visits`` lists the persons whose follow-up visits are due, masked as the
persons layer is, for the roles and levels that see persons one by one; each read is one audit
entry, as a page of the layer is. ``POST /api/persons/{id}/visits`` records a visit by the
worker the account is linked to (audited, refusals too).

The unmasked read of a record: permission + reason, audited.

``POST /api/persons/{id}/unmasked`` with the reason in a JSON body (``{"reason": "…"}``), as the
case-party unmask does: a reason in the URL would land in the server's access log (a clerk may
write a name into it). ``GET`` answers 405 with a Chinese message saying to use POST, and never
repeats what it was sent. The reason must be a real one (:func:`layers.audit.check_reason`).

A person who left the register (解除矫正, 死亡, 迁出 …) is off the map and out of the counts,
and stays readable here, with the day and the reason they left. ``POST /api/persons/{id}/end``
closes one person out from the console (注销, :mod:`layers.person_closing`), as an import's
在册状态 does.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette import status

from api.deps import (
    BusinessUser,
    CurrentUser,
    Principal,
    SessionDep,
    SettingsDep,
    refuses_department_itself,
    utcnow,
)
from api.downloads import XLSX, xlsx_response
from api.routers.cases import audited_refusal
from layers import (
    accounts,
    audit,
    catalog,
    cross_scope,
    department_scope,
    disclosure,
    free_text,
    person_attributes,
    person_closing,
    person_entry,
    person_grid,
    person_overdue_list,
    person_village,
    visit_photos,
    visit_schedule,
)
from layers.china_time import CHINA
from layers.errors import DomainError, Forbidden
from layers.photos import Encoded

router = APIRouter(prefix="/api/persons", tags=["persons"])


class PersonDetail(BaseModel):
    """One field of a person's category (矫正类别, 原罪名 …), labelled in Chinese."""

    label: str
    value: str


class PastVisitPhoto(BaseModel):
    """A photo of a visit as an unmasked read shows it: its thumbnail, inline (a data URL).

    The full photo is ``GET /api/persons/{id}/visit-photos/{photo}?read={audit_id}``, the
    unmasked read's own audit entry (:mod:`api.routers.visit_photos`).
    """

    id: int
    width: int
    height: int
    thumbnail: str = Field(description="data:image/jpeg;base64,…")


class PastVisit(BaseModel):
    """One of a person's visits: the day, who visited (a worker's name), what they found."""

    id: int = 0
    visited_on: date
    visitor: str | None
    note: str | None
    photos: list[PastVisitPhoto] = Field(default_factory=list)
    outcome: str = Field(default=visit_schedule.DEFAULT_OUTCOME, description="走访结果 (code)")


class UnmaskedPerson(BaseModel):
    """The clear identity of a person, what the record holds, and the audit entry of the read.

    A person who left the register has the day (``ended_on``) and the reason (``ended_reason``).
    """

    id: int
    category: str
    category_label: str
    name: str
    resident_id: str
    area_code: str
    audit_id: int
    ended_on: date | None = None
    ended_reason: str | None = None
    address: str | None = None
    lon: float | None = Field(
        default=None, description="The home's exact point (the masked layers blur it)"
    )
    lat: float | None = None
    on_record_since: date | None = None
    details: list[PersonDetail] = Field(default_factory=list)
    visits: list[PastVisit] = Field(
        default_factory=list, description="The last visits, the latest first"
    )


class UnmaskReason(BaseModel):
    """Why the clear identity of a person is needed (in Chinese, stored in the audit log)."""

    reason: str = Field(min_length=1, max_length=500, examples=["核实走访对象身份"])


USE_POST = "请用 POST 提交查看事由（写在请求正文中），不要把事由写在网址里"
"""Answer to a GET of the unmask address: the reason must not travel in the URL."""

PersonId = Annotated[int, Path(ge=1, le=2**63 - 1)]
WorkerId = Annotated[int, Field(ge=1, le=2**63 - 1)]
"""A worker's id in a body: what a bigint holds, refused as input (422) beyond it."""


@router.get(
    "/{person_id}/unmasked",
    status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
    responses={405: {"description": "Use POST with the reason in the JSON body"}},
    include_in_schema=False,
)
def unmasked_by_get(person_id: PersonId) -> None:
    """Refuse the unmask by GET (405, ``Allow: POST``), echoing nothing of the request."""
    raise HTTPException(
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED, detail=USE_POST, headers={"Allow": "POST"}
    )


@router.post(
    "/{person_id}/unmasked",
    response_model=UnmaskedPerson,
    responses={
        403: {"description": "No unmask permission"},
        404: {"description": "Not found"},
        422: {"description": "No real reason stated"},
    },
)
@refuses_department_itself
def unmasked(
    person_id: PersonId,
    body: UnmaskReason,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> UnmaskedPerson:
    """Return a person in clear: name, ID, address, category details, last visits.

    Needs the unmask permission. Every attempt, allowed or refused, is written to the audit
    log with the stated reason; a department account's too (trial AW m1), refused as its
    other tries at the registers are.
    """
    reader = accounts.Reader(
        user_id=user.id,
        username=user.username,
        role=user.role,
        scope_code=user.scope_code,
        can_unmask=user.can_unmask,
        worker_id=user.worker_id,  # a grid worker reads only those he follows (trial AW M4)
    )
    try:
        department_scope.refuse_unmask(session, reader, person_id, reason=body.reason)
        person = disclosure.unmask_person(
            session, reader, person_id, reason=body.reason, keys=settings.platform_keys()
        )
    except DomainError:
        session.commit()
        raise
    session.commit()
    return UnmaskedPerson(
        id=person.id,
        category=person.category,
        category_label=person.category_label,
        name=person.name,
        resident_id=person.resident_id,
        area_code=person.area_code,
        audit_id=person.audit_id,
        ended_on=person.ended_on,
        ended_reason=person.ended_reason,
        address=person.address,
        lon=person.lon,
        lat=person.lat,
        on_record_since=person.on_record_since,
        details=[PersonDetail(label=label, value=value) for label, value in person.details],
        visits=[
            PastVisit(
                id=v.id,
                visited_on=v.visited_on,
                visitor=v.visitor,
                note=v.note,
                outcome=v.outcome,
                photos=[
                    PastVisitPhoto(
                        id=ph["id"],
                        width=ph["width"],
                        height=ph["height"],
                        thumbnail="data:image/jpeg;base64,"
                        + base64.b64encode(ph["thumbnail"]).decode("ascii"),
                    )
                    for ph in v.photos
                ],
            )
            for v in person.visits
        ],
    )


class DueListOut(BaseModel):
    """The persons whose visits are due, and the counts over those the list chose from."""

    persons: list[visit_schedule.DuePerson]
    matched: int = Field(description="Persons the status chose (listed or cut at the limit)")
    followed: int = Field(description="Persons on the register the list chose from")
    overdue: int
    due_soon: int = Field(description=f"Due within {visit_schedule.DUE_SOON_DAYS} days")
    due_soon_days: int = visit_schedule.DUE_SOON_DAYS
    missing: int = Field(default=0, description="Whose latest visit found them 失联 (去向不明)")
    correction_over: int = Field(
        default=0, description="社区矫正人员 whose correction has ended: to be struck off"
    )
    unplaced: int = Field(
        default=0,
        description="With no residence point or no grid (未落图/未划入网格): on nobody's map or"
        " on no grid's list, to be placed",
    )
    mine: bool = Field(description="Only the persons the account's worker follows")
    offset: int = Field(description="Persons skipped before this page")
    places: list[visit_schedule.PlaceCount] = Field(
        description="Persons followed by place under the scope (社区、村; a village's grids);"
        " empty after the first page and with choices=false"
    )
    workers: list[visit_schedule.WorkerCount] = Field(
        description="Persons followed by the worker following them (his grid, or named);"
        " empty after the first page and with choices=false"
    )
    worker: int | None = Field(description="The worker whose persons are listed, if one")
    cross_scope_total: int | None = Field(
        default=None,
        description="With the first page, the registrations elsewhere refused on a person of"
        f" the scope in the last {cross_scope.NOTICE_DAYS} days (the total of"
        " /cross-scope-notices): the tab's badge says it before the notices are listed",
    )


class VisitIn(BaseModel):
    """A visit the worker made: the day (default today), whom it reached and what it found."""

    visited_on: date | None = Field(default=None, description="Default: today (北京时间)")
    note: str | None = Field(default=None, max_length=visit_schedule.NOTE_MAX)
    outcome: str = Field(
        default=visit_schedule.DEFAULT_OUTCOME,
        max_length=12,
        description="走访结果: met 见到本人, contacted 电话/视频联系,"
        " absent 未见到本人（人户分离）, missing 失联（去向不明）;"
        " only met and contacted move the next due day",
    )


class VisitOut(BaseModel):
    """The visit recorded (or found recorded: ``already``) and the next due day."""

    id: int
    person_id: int
    visited_on: date
    already: bool
    due_on: date | None
    photos: int = Field(default=0, description="Photos stored with the visit by this request")
    outcome: str = Field(default=visit_schedule.DEFAULT_OUTCOME, description="走访结果 (code)")
    due_moved: bool = Field(
        default=True, description="The visit moved the next due day (it reached the person)"
    )
    notice: str | None = Field(
        default=None, description="Why the due day did not move (未见到本人…，仍按原应访日期 … 计)"
    )


SEES_COUNTS_ONLY = (
    "您的角色或层级不能查看特殊人群名单：只有县级及以下的指挥中心、调度员和网格员账号可以查看"
)
NO_WORKER_RECORD = (
    "您的账号未关联网格员名册记录，不能登记本人走访；请联系系统管理员关联，"
    "或由乡镇（街道）用走访记录导入"
)


def _check_sees_persons(user: BusinessUser) -> None:
    if not catalog.sees_persons_individually(user.role, user.scope_code):
        raise Forbidden(SEES_COUNTS_ONLY)


@router.get("/visits", response_model=DueListOut, responses={403: {"description": "Counts only"}})
def visits_due(
    user: BusinessUser,
    session: SessionDep,
    due: Annotated[
        Literal["due", "overdue", "all", "missing", "correction_over", "unplaced"],
        Query(alias="status"),
    ] = "due",
    mine: Annotated[bool | None, Query(description="Default: yes for a worker's account")] = None,
    worker: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="The persons a worker follows")
    ] = None,
    category: Annotated[str | None, Query(description="One person category")] = None,
    place: Annotated[
        str | None, Query(max_length=15, description="A unit (12 digits) or grid (15) in scope")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    choices: Annotated[
        bool,
        Query(description="With the first page, the places and workers to narrow the list to"),
    ] = True,
) -> DueListOut:
    """List the persons whose follow-up visits are due (masked), the most overdue first.

    ``status``: ``due`` (overdue, or due within a week), ``overdue``, ``all``, ``missing``
    (the latest visit found them 失联), ``correction_over`` (a 社区矫正 ended) or ``unplaced``
    (no residence point or no grid: 未落图/未划入网格, to be placed; trial AV M1). A worker's
    account lists the persons he follows (his grid, or named responsible) unless ``mine=false``.
    ``worker`` lists the persons another worker of the scope follows (a township checking on
    its workers); ``category`` and ``place`` narrow the list and its counts; ``offset`` pages
    on. ``choices=false`` leaves out the places and workers the first page offers to narrow
    to (the tab's badge reads the counts alone: counting the workers is most of the list's
    cost). The read is written to the audit log, as a page of the persons layer.
    """
    _check_sees_persons(user)
    only_mine = (user.worker_id is not None and worker is None) if mine is None else mine
    if only_mine and user.worker_id is None:
        raise Forbidden("您的账号未关联网格员名册记录，没有“我负责的”人员；请查看辖区全部")
    whose = user.worker_id if only_mine else worker
    listed = visit_schedule.due_persons(
        session,
        scope_code=user.scope_code,
        today=utcnow().astimezone(CHINA).date(),
        status=due,
        worker_id=whose,
        category=category or None,
        place=place or None,
        offset=offset,
        limit=limit,
        reader=(user.role, user.worker_id),  # a grid worker's own persons (trial AW M4)
        choices=choices,
    )
    # the tab's 外辖区登记 badge, which the first page's read gives (its notices wait for the tab)
    elsewhere = cross_scope.notices(session, now=utcnow(), limit=1)[1] if offset == 0 else None
    audit.record_layer_read(
        session,
        actor_id=user.id,
        actor_name=user.username,
        collection_id="persons",
        scope_code=user.scope_code,
        returned=len(listed.persons),
        matched=listed.matched,
        view="visits",
    )
    session.commit()
    return DueListOut(
        persons=listed.persons,
        matched=listed.matched,
        followed=listed.followed,
        overdue=listed.overdue,
        due_soon=listed.due_soon,
        missing=listed.missing,
        correction_over=listed.correction_over,
        unplaced=listed.unplaced,
        mine=only_mine,
        offset=offset,
        places=listed.places,
        workers=listed.workers,
        worker=whose,
        cross_scope_total=elsewhere,
    )


@router.get(
    "/overdue.xlsx",
    response_class=Response,
    responses={
        200: {"content": {XLSX: {}}, "description": "走访逾期名单, masked"},
        403: {"description": "Counts only"},
    },
)
def overdue_export(
    user: BusinessUser,
    session: SessionDep,
    worker: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="The persons a worker follows")
    ] = None,
    category: Annotated[str | None, Query(description="One person category")] = None,
    place: Annotated[
        str | None, Query(max_length=15, description="A unit (12 digits) or grid (15) in scope")
    ] = None,
) -> Response:
    """Download the scope's 走访逾期名单 as XLSX, masked, for the monthly meeting (trial AW M3).

    The persons the 走访 list counts overdue, the most overdue first: masked name and ID,
    category, level, 村（社区）, grid, due day, days overdue, last visit, who follows them up.
    Narrowed as the list is (``worker``, ``category``, ``place``). Audited as a read of the
    persons layer (``view`` ``overdue_export``, the count listed).
    """
    _check_sees_persons(user)
    today = utcnow().astimezone(CHINA).date()
    book = person_overdue_list.overdue_workbook(
        session,
        scope_code=user.scope_code,
        today=today,
        category=category or None,
        place=place or None,
        worker_id=worker,
    )
    audit.record_layer_read(
        session,
        actor_id=user.id,
        actor_name=user.username,
        collection_id="persons",
        scope_code=user.scope_code,
        returned=book.listed,
        matched=book.listed,
        view=person_overdue_list.VIEW,
    )
    session.commit()
    return xlsx_response(
        book.body, f"走访逾期名单-{book.unit_name}-{today:%Y%m%d}.xlsx", "overdue-visits.xlsx"
    )


@router.post(
    "/{person_id}/visits",
    response_model=VisitOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"description": "Counts only, or no worker record"},
        404: {"description": "Not found"},
        409: {"description": "Left the register"},
        422: {"description": "Bad day or note (a resident ID or a phone number in it)"},
    },
)
def record_visit(
    person_id: PersonId, body: VisitIn, user: BusinessUser, session: SessionDep
) -> VisitOut:
    """Record a follow-up visit by the account's own worker; the same day twice is one visit.

    A 走访情况 holding a resident ID or a mobile number is refused (422): the note is shown with
    the person's record, and the ID has its own sealed field
    (:func:`layers.free_text.refuse_personal_numbers`).
    """
    return record_own_visit(
        session,
        user,
        person_id,
        visited_on=body.visited_on,
        note=body.note,
        outcome=body.outcome,
    )


def record_own_visit(
    session: Session,
    user: Principal,
    person_id: int,
    *,
    visited_on: date | None,
    note: str | None,
    photos: list[Encoded] | None = None,
    outcome: str = visit_schedule.DEFAULT_OUTCOME,
) -> VisitOut:
    """Record the account's own worker's visit, with its photos, in one audited transaction.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The request's session.
    user : Principal
        The account (linked to a worker record).
    person_id : int
        The person visited.
    visited_on : datetime.date or None
        The day (default today, 北京时间).
    note : str or None
        What the visit found.
    photos : list of layers.photos.Encoded, optional
        Its photos as re-encoded (:mod:`layers.visit_photos`): all stored with the visit, or,
        one refused, no visit written.
    outcome : str
        Whom the visit reached (:class:`layers.model.VisitOutcome` code); a grid worker's
        account records only the persons its worker follows (trial AW M4).

    Returns
    -------
    VisitOut
        The visit.
    """
    today = utcnow().astimezone(CHINA).date()
    with audited_refusal(session, user, "visit.record", "person", str(person_id)):
        _check_sees_persons(user)
        if user.worker_id is None:
            raise Forbidden(NO_WORKER_RECORD)
        free_text.refuse_personal_numbers(note, field="走访情况", advice=free_text.VISIT_NOTE)
        visit = visit_schedule.record_visit(
            session,
            person_id=person_id,
            visitor_id=user.worker_id,
            visited_on=visited_on or today,
            today=today,
            note=note,
            outcome=outcome,
            role=user.role,
        )
        if photos:
            visit_photos.attach(session, visit.id, photos, user_id=user.id, now=utcnow())
        if not visit.already or photos:
            audit.record(
                session,
                actor_id=user.id,
                actor_name=user.username,
                action="visit.record",
                object_type="person",
                object_id=str(person_id),
                detail={
                    "visit": visit.id,
                    "visited_on": visit.visited_on.isoformat(),
                    "outcome": visit.outcome,
                }
                | ({"photos": len(photos)} if photos else {}),
            )
        session.commit()
    return VisitOut(
        id=visit.id,
        person_id=visit.person_id,
        visited_on=visit.visited_on,
        already=visit.already,
        due_on=visit.due_on,
        photos=len(photos or []),
        outcome=visit.outcome,
        due_moved=visit.due_moved,
        notice=visit.notice,
    )


@router.get("/fields", response_model=dict[str, list[person_attributes.FormField]])
def category_fields(user: CurrentUser) -> dict[str, list[person_attributes.FormField]]:
    """List the fields of each person category a registration form asks (矫正类别, 释放日期 …)."""
    categories = person_attributes.MODELS
    return {category: person_attributes.form_fields(category) for category in categories}


class CrossScopeNoticeOut(BaseModel):
    """A registration elsewhere that met a person on record here (masked: no name)."""

    id: int
    at: str
    person_id: int
    id_masked: str
    actor_name: str
    actor_unit: str
    actor_unit_name: str | None
    text: str = Field(description="外辖区登记尝试：…, as the desk shows it")


class CrossScopeNoticesOut(BaseModel):
    """The notices of the reader's townships, the latest first, and how many there are."""

    notices: list[CrossScopeNoticeOut]
    total: int


@router.get(
    "/cross-scope-notices",
    response_model=CrossScopeNoticesOut,
    responses={403: {"description": "Counts only"}},
)
def cross_scope_notices(user: BusinessUser, session: SessionDep) -> CrossScopeNoticesOut:
    """List the registrations elsewhere refused on a person on record in the reader's scope.

    Each is filed under the township holding the person, which and whose county read it
    (:mod:`layers.cross_scope`, the last :data:`layers.cross_scope.NOTICE_DAYS` days).
    """
    _check_sees_persons(user)
    listed, total = cross_scope.notices(session, now=utcnow())
    return CrossScopeNoticesOut(
        notices=[
            CrossScopeNoticeOut(
                id=n.id,
                at=n.at.isoformat(),
                person_id=n.person_id,
                id_masked=n.id_masked,
                actor_name=n.actor_name,
                actor_unit=n.actor_unit,
                actor_unit_name=n.actor_unit_name,
                text=n.text,
            )
            for n in listed
        ],
        total=total,
    )


@router.get(
    "/residence",
    response_model=person_entry.Residence,
    responses={403: {"description": "Counts only, or the point out of scope"}},
)
def residence(
    user: BusinessUser,
    session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> person_entry.Residence:
    """Say where a residence picked on the map lies (社区, 网格) and who may follow them up.

    What the registration form shows before it is sent; a point outside the scope gets the
    refusal the registration would.
    """
    _check_sees_persons(user)
    return person_entry.residence_at(session, lon, lat, scope_code=user.scope_code)


class VillageOut(BaseModel):
    """A live village of the scope, as the registration form's 所属村（社区） suggests it."""

    code: str
    name: str
    township: str | None
    value: str = Field(
        description="What the form's 所属村（社区） takes: the name, or the township's and the"
        " name when the scope has another village of that name"
    )


@router.get(
    "/villages", response_model=list[VillageOut], responses={403: {"description": "Counts only"}}
)
def villages(user: BusinessUser, session: SessionDep) -> list[VillageOut]:
    """List the live villages (村、社区) of the scope, for the form's 所属村（社区）."""
    _check_sees_persons(user)
    return [
        VillageOut(code=v.code, name=v.name, township=v.township, value=v.value)
        for v in person_village.scope_villages(session, user.scope_code)
    ]


class GridChoiceOut(BaseModel):
    """A grid in use of the village."""

    code: str
    name: str


class VillageByWordsOut(BaseModel):
    """Where a person given no point would be placed: the village their words name, its grids."""

    area_code: str
    village: str = Field(description="Under its township: 宁州街道复安社区")
    placed_by: str = Field(description="居住地址 or 所属村（社区）")
    grid_code: str | None = Field(description="The village's one grid in use, if it has one")
    grids: list[GridChoiceOut] = Field(description="Its grids in use, to choose from")
    note: str | None = Field(description="What the registration says when no grid is set")


@router.get(
    "/village",
    response_model=VillageByWordsOut,
    responses={
        403: {"description": "Counts only"},
        422: {"description": "The words name no village of the scope, or a retired one"},
    },
)
def village_by_words(
    user: BusinessUser,
    session: SessionDep,
    address: Annotated[str | None, Query(max_length=person_entry.ADDRESS_MAX)] = None,
    community: Annotated[str | None, Query(max_length=60)] = None,
) -> VillageByWordsOut:
    """Say where a person given a 居住地址 or 所属村（社区） and no point would be placed.

    What the registration form asks before it registers such a person, to offer the grids of
    a village of several grids: the refusal the registration would give otherwise.
    """
    _check_sees_persons(user)
    address = " ".join((address or "").split()) or None
    community = (community or "").strip() or None
    place = person_village.place_by_words(session, address, community, user.scope_code)
    return VillageByWordsOut(
        area_code=place.area_code,
        village=place.village,
        placed_by=place.source,
        grid_code=place.grid_code,
        grids=[
            GridChoiceOut(code=code, name=name)
            for code, name in zip(place.grid_codes, place.grids, strict=True)
        ],
        note=place.several_note,
    )


@router.get(
    "/grid-workers",
    response_model=person_entry.Residence,
    responses={
        403: {"description": "Counts only"},
        404: {"description": "The village is not of the scope"},
        422: {"description": "The grid is not a live grid of the scope"},
    },
)
def grid_workers(
    user: BusinessUser,
    session: SessionDep,
    grid: Annotated[str | None, Query(pattern=r"^\d{15}$")] = None,
    area: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
) -> person_entry.Residence:
    """Say a grid (or a village, no grid chosen) by name and who may follow a person there.

    What the registration form offers as 帮扶责任人 once the grid of a person placed by their
    words is chosen, and the 划入网格 dialog once a grid is picked (the workers of the grid
    first, then the village's others), as ``GET /api/persons/residence`` does for a point.
    """
    _check_sees_persons(user)
    return person_grid.grid_workers(
        session, grid_code=grid, area_code=area, scope_code=user.scope_code
    )


class PersonGridsOut(BaseModel):
    """Where a person is on record, and the grids of a village to put them into."""

    id: int
    area_code: str
    area_name: str | None
    grid_code: str | None
    grid_name: str | None
    responsible_ids: list[int] = Field(description="The workers named 帮扶责任人 (of the scope)")
    village: str = Field(description="The village listed: the person's own unless asked")
    grids: list[GridChoiceOut] = Field(description="Its live grids, by code")


@router.get(
    "/{person_id}/grids",
    response_model=PersonGridsOut,
    responses={
        403: {"description": "Not an operator of a county or below"},
        404: {"description": "The person or the village is not of the scope"},
        409: {"description": "Left the register"},
    },
)
def person_grids(
    person_id: PersonId,
    user: BusinessUser,
    session: SessionDep,
    village: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
) -> PersonGridsOut:
    """List the grids a person may be put into: their village's, or another village's of the scope.

    What the 划入网格 / 调整网格 dialog opens with; no name is read (the dialog has the masked one).
    Audited as a read of the person (``layer.read`` under the person, view ``grid``, codes only),
    as every read of the persons layer is, masked or not: it says where the person lives (village,
    grid) and who follows them up, what the map's popup says, so that the auditor's look-up of
    the person finds who opened the dialog.
    """
    person_grid.check_may_set(user.role, user.scope_code)
    place = person_grid.person_place(session, person_id, scope_code=user.scope_code)
    listed = village or place.area_code
    grids = person_grid.village_grids(session, listed, scope_code=user.scope_code)
    audit.record_layer_read(
        session,
        actor_id=user.id,
        actor_name=user.username,
        collection_id="persons",
        scope_code=user.scope_code,
        returned=1,
        matched=1,
        feature_id=str(place.id),
        view=person_grid.VIEW,
    )
    session.commit()
    return PersonGridsOut(
        id=place.id,
        area_code=place.area_code,
        area_name=place.area_name,
        grid_code=place.grid_code,
        grid_name=place.grid_name,
        responsible_ids=list(place.responsible_ids),
        village=listed,
        grids=[GridChoiceOut(code=g.code, name=g.name) for g in grids],
    )


class PersonIn(BaseModel):
    """A person put on the register by hand: the residence picked on the map, or its grid.

    With neither, the village the ``community`` (所属村（社区）) or the ``address`` names, in
    its grid when it has one in use (:mod:`layers.person_village`); no point is made up.
    """

    category: str = Field(examples=["released"])
    name: str = Field(min_length=1, max_length=person_entry.NAME_MAX)
    resident_id: str = Field(min_length=1, max_length=40, description="18 characters (GB 11643)")
    management_level: int = Field(default=3, ge=1, le=3)
    address: str | None = Field(default=None, max_length=person_entry.ADDRESS_MAX)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    grid_code: str | None = Field(default=None, max_length=15)
    community: str | None = Field(
        default=None, max_length=60, description="所属村（社区）: a name or a 12-digit code"
    )
    on_record_since: date | None = Field(default=None, description="Default: today (北京时间)")
    responsible_ids: list[WorkerId] = Field(default_factory=list, max_length=20)
    attributes: dict[str, str | int | bool | None] = Field(
        default_factory=dict,
        max_length=30,
        description="The category's fields by name (GET /api/persons/fields), as typed",
    )


class RegisteredOut(BaseModel):
    """The person registered, masked, and where they were placed."""

    id: int
    category: str
    name_masked: str
    id_masked: str
    area_code: str
    area_name: str | None
    grid_code: str | None
    grid_name: str | None
    management_level: int = Field(
        description="As given, or raised to what the 危险性评估 requires (trial AW S1)"
    )
    notices: list[str] = Field(
        default_factory=list,
        description="What the registrar should know: a level raised, the other categories the"
        " ID is on record in, a village whose grids did not tell which grid",
    )
    placed_by: str | None = Field(
        default=None,
        description="What placed a person given no point and no grid: 居住地址 or 所属村（社区）",
    )


@router.post(
    "",
    response_model=RegisteredOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {
            "description": "Counts only, the residence out of scope, or the account's ID checks"
            " stopped for the day"
        },
        409: {"description": "On record in that category already, or the ID under another name"},
        422: {"description": "A field breaks its rule"},
    },
)
def register(
    body: PersonIn, user: BusinessUser, session: SessionDep, settings: SettingsDep
) -> RegisteredOut:
    """Put one special-population person on the register (audited, refusals too).

    An ID on record out of the registrar's scope is refused in a neutral answer, and the
    township holding the record is told (``GET /api/persons/cross-scope-notices``); an account
    past :data:`layers.cross_scope.PROBES_PER_DAY` such refusals today is refused until tomorrow.
    """
    now = utcnow()
    try:
        with audited_refusal(session, user, "person.register", "person", None):
            _check_sees_persons(user)
            cross_scope.check_probes(session, user.id, now=now)
            person = _register(body, user, session, settings)
    except person_entry.AlreadyOnRecord as refused:
        if refused.elsewhere and refused.object_id is not None:  # audited, rolled back: told now
            cross_scope.note_attempt(
                session,
                person_id=int(refused.object_id),
                actor_id=user.id,
                actor_name=user.username,
                actor_unit=user.scope_code,
                now=now,
            )
            session.commit()
        raise
    return person


def _register(
    body: PersonIn, user: BusinessUser, session: Session, settings: SettingsDep
) -> RegisteredOut:
    """Register the person of the form and audit it (committed); the refusals raise."""
    person = person_entry.register_person(
        session,
        settings.platform_keys(),
        person_entry.NewPerson(
            category=body.category,
            name=body.name,
            resident_id=body.resident_id,
            management_level=body.management_level,
            address=body.address,
            lon=body.lon,
            lat=body.lat,
            grid_code=body.grid_code,
            on_record_since=body.on_record_since,
            responsible_ids=tuple(body.responsible_ids),
            attributes=body.attributes,
            community=body.community,
        ),
        scope_code=user.scope_code,
        today=utcnow().astimezone(CHINA).date(),
    )
    audit.record(
        session,
        actor_id=user.id,
        actor_name=user.username,
        action="person.register",
        object_type="person",
        object_id=str(person.id),
        detail={
            "category": body.category,
            "area_code": person.area_code,
            "area_name": person.area_name,
        },
    )
    session.commit()
    return RegisteredOut(
        id=person.id,
        category=body.category,
        name_masked=person.name_masked,
        id_masked=person.id_masked,
        area_code=person.area_code,
        area_name=person.area_name,
        grid_code=person.grid_code,
        grid_name=person.grid_name,
        management_level=person.management_level,
        notices=list(person.notices),
        placed_by=person.placed_by,
    )


class EndIn(BaseModel):
    """Why and when a person leaves the register (注销), as the console's dialog sends it."""

    reason: str = Field(
        max_length=10,
        description="One of " + " / ".join(person_closing.REASONS),
        examples=["迁出"],
    )
    detail: str | None = Field(
        default=None,
        max_length=200,
        description=f"去向 (迁往何处) or 说明 (needed for 其他), at most "
        f"{person_closing.DETAIL_MAX} characters; no resident ID, no mobile number",
    )
    ended_on: date | None = Field(
        default=None, description="Default: today (北京时间); not later, not before on record"
    )


class EndedOut(BaseModel):
    """The person closed out, masked, with what the console says of it."""

    id: int
    category: str
    name_masked: str
    ended_on: date
    ended_reason: str = Field(description="As stored: 迁出（迁往昆明市官渡区）")
    message: str


@router.post(
    "/{person_id}/end",
    response_model=EndedOut,
    responses={
        403: {"description": "Not an operator of a county or below"},
        404: {"description": "Not found in scope"},
        409: {"description": "Left the register already"},
        422: {"description": "Bad reason, 去向 or day"},
    },
)
def end_person(
    person_id: PersonId, body: EndIn, user: BusinessUser, session: SessionDep
) -> EndedOut:
    """Close one person out (注销: 解除矫正, 期满解除帮教, 死亡, 迁出, 其他), audited (trial AW M1).

    Stored as an import's 在册状态 stores it (:mod:`layers.person_closing`): the person leaves
    the map and the visit counts, the visits stay. The audit entry (``person.end``, under the
    person) gives the reason and the day, no name and no 去向; refusals are audited too.
    """
    with audited_refusal(session, user, person_closing.ACTION, "person", str(person_id)):
        person_closing.check_may_end(user.role, user.scope_code)
        ended = person_closing.end_person(
            session,
            person_id,
            reason=body.reason,
            detail=body.detail,
            ended_on=body.ended_on,
            today=utcnow().astimezone(CHINA).date(),
            scope_code=user.scope_code,
        )
        audit.record(
            session,
            actor_id=user.id,
            actor_name=user.username,
            action=person_closing.ACTION,
            object_type="person",
            object_id=str(ended.id),
            detail=ended.audit_detail(),
        )
        session.commit()
    return EndedOut(
        id=ended.id,
        category=ended.category,
        name_masked=ended.name_masked,
        ended_on=ended.ended_on,
        ended_reason=ended.ended_reason,
        message=ended.message(),
    )


class GridIn(BaseModel):
    """The grid a person is put into (划入网格 / 调整网格) and their 帮扶责任人 from now on."""

    grid_code: str = Field(pattern=r"^\d{15}$", examples=["530424101001002"])
    responsible_ids: list[WorkerId] = Field(
        default_factory=list,
        max_length=person_grid.RESPONSIBLES_MAX,
        description="They replace those named before; none: the grid's workers follow the person",
    )


class GridSetOut(BaseModel):
    """The person put into the grid, masked, with what the console says of it."""

    id: int
    area_code: str
    area_name: str | None
    grid_code: str
    grid_name: str | None
    responsibles: int
    message: str


@router.post(
    "/{person_id}/grid",
    response_model=GridSetOut,
    responses={
        403: {"description": "Not an operator of a county or below"},
        404: {"description": "Not found in scope"},
        409: {"description": "Left the register"},
        422: {"description": "The grid or a responsible is not of the scope, or nothing changes"},
    },
)
def set_person_grid(
    person_id: PersonId, body: GridIn, user: BusinessUser, session: SessionDep
) -> GridSetOut:
    """Put one person into a grid of the scope and name their 帮扶责任人, audited.

    The grid's village becomes the person's unit (a grid of another village or township of the
    scope moves them, their visits following: :mod:`layers.person_grid`); the grid's workers
    then hold the person on their 走访 list. The audit entry (``person.grid``, under the person)
    gives the codes of the places, no name; refusals are audited too.
    """
    with audited_refusal(session, user, person_grid.ACTION, "person", str(person_id)):
        person_grid.check_may_set(user.role, user.scope_code)
        moved = person_grid.set_grid(
            session,
            person_id,
            body.grid_code,
            responsible_ids=tuple(body.responsible_ids),
            scope_code=user.scope_code,
        )
        audit.record(
            session,
            actor_id=user.id,
            actor_name=user.username,
            action=person_grid.ACTION,
            object_type="person",
            object_id=str(moved.id),
            detail=moved.audit_detail(),
        )
        session.commit()
    return GridSetOut(
        id=moved.id,
        area_code=moved.area_code,
        area_name=moved.area_name,
        grid_code=moved.grid_code,
        grid_name=moved.grid_name,
        responsibles=moved.responsibles,
        message=moved.message(),
    )
