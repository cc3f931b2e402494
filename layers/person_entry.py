"""A special-population person registered by hand (人员登记), one at a time.

A township learns of a person between two rosters: released last week, a new 社区矫正 order, a
patient the clinic reported. Until the next roster the only way on record was a 43-column
spreadsheet (trial AB); :func:`register_person` puts one person on the register from a form.

The record is the one an import writes: the resident ID checked (GB 11643), kept as its keyed
hash, its masked form and sealed (:mod:`layers.secrets`), never in clear; the place from the
point picked on the map (the finest live unit and the grid covering it), or from the grid named,
or else from the village the 所属村（社区） or the address names, in its only grid
(:mod:`layers.person_village`, as a roster's person is placed).
A person already on record in the same category (the natural key, category and ID hash) is not
registered twice: in the registrar's scope the answer names them masked. A resident ID belongs to
one person: one on record in scope in another category may be registered again only under the
same name (a person may be 刑满释放 and 吸毒 both), and the registration then says so
(:attr:`RegisteredPerson.notices`); under another name it is refused, as a mistyped ID or another
person's (:func:`_other_records`).

An ID on record out of the registrar's scope, in any category, is refused in one neutral
answer (:data:`ELSEWHERE`) that names neither the category nor whether the name matches, nor
even that a record exists elsewhere (trial AI read the category of any ID it typed, and
confirmed a guessed name by a registration that went through; trial AW M7 still learnt that the
person was on a register in another township): the registrar is sent to the county, whose scope
holds both places: the county's registration names the record and who must end it (迁出) first,
or registers the person where they live now. A
person's record of a category is one (its unique key, category and ID hash): registered again
in the scope after it left the register (moved to another township of the county, or back), the
record is put on the register again there, and the answer says where and when it had left
(trial AW M2). A 严重精神障碍患者 is managed no less strictly than their 危险性评估 requires
(:func:`layers.person_attributes.raised_level`, trial AW S1), and the registration says so. The
refusal's audit entry is filed under the record it met (``zongzhi_person_records_elsewhere``,
migration 0030, reads past the scope and gives the records' ids only), so that a person's
look-up in the audit log finds who typed their ID. The registration has no ``import_id``; the
audit entry (``person.register``, by the API) says who registered whom.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.codes import CodeError, ResidentId, mask_resident_id, parse_resident_id
from layers.accounts import refuse_retired_unit
from layers.cases import in_scope, mask_name
from layers.catalog import MASKED_NAME_SQL, grid_name_sql, name_sql
from layers.errors import Conflict, Forbidden, InvalidInput
from layers.model import SRID, ManagementLevel, PersonCategory
from layers.person_attributes import (
    PersonalNumberError,
    age_refusal,
    attribute_error,
    form_fields,
    missing_required,
    raised_level,
    validate_attributes,
)
from layers.person_village import VillagePlace, grid_village, place_by_words
from layers.point_units import units_at
from layers.secrets import Keys, hash_resident_id, normalise_resident_id, seal

UNIQUE_VIOLATION = "23505"
NAME_MAX = 50
ADDRESS_MAX = 200
_NOT_A_NAME = re.compile(r"[0-9０-９@#/\\<>]")
"""Characters no name has (an ID or a phone number typed in the wrong field)."""


@dataclass(frozen=True)
class NewPerson:
    """What the registration form says of a person.

    Attributes
    ----------
    category : str
        :class:`layers.model.PersonCategory` code.
    name : str
        Full name.
    resident_id : str
        The 18-character resident ID (spaces, hyphens, full-width digits are read).
    management_level : int
        1 重点管控, 2 关注, 3 一般.
    address : str or None
        The residence as written.
    lon, lat : float or None
        The residence on the map (CGCS2000 degrees); or
    grid_code : str or None
        the grid it lies in; with neither, the village ``community`` or ``address`` names
        (:func:`layers.person_village.place_by_words`).
    community : str or None
        The 所属村（社区） as written (a name or a 12-digit code).
    on_record_since : datetime.date or None
        The day put on record (default: today); a person never visited is due from there.
    responsible_ids : tuple of int
        Workers who follow them up (帮扶责任人), of the scope.
    attributes : Mapping
        The category's fields (:func:`layers.person_attributes.form_fields`) by English name,
        as typed; empty ones are left out.
    """

    category: str
    name: str
    resident_id: str
    management_level: int = 3
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    grid_code: str | None = None
    on_record_since: date | None = None
    responsible_ids: tuple[int, ...] = ()
    attributes: Mapping[str, object] = field(default_factory=dict)
    community: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A worker who may be named a person's responsible (帮扶责任人).

    Attributes
    ----------
    id : int
        The worker's record.
    name : str
        Their name.
    role : str
        :class:`layers.model.WorkerRole` code.
    of_grid : bool
        Their home grid is the person's (else: of the same unit).
    grid_name : str or None
        Their home grid's name (trial AG: the village's other workers named bare).
    unit : str or None
        Their unit (a 社区民警's 派出所).
    """

    id: int
    name: str
    role: str
    of_grid: bool
    grid_name: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Residence:
    """Where a point picked for a residence lies, and who may follow the person up there.

    Attributes
    ----------
    area_code, grid_code : str, str or None
        The finest live unit and the live grid covering the point.
    area_name, grid_name : str or None
        Their names.
    candidates : list of Candidate
        The workers of that grid first, then of that unit, by name.
    """

    area_code: str
    area_name: str | None
    grid_code: str | None
    grid_name: str | None
    candidates: list[Candidate]


class AlreadyOnRecord(Conflict):
    """The resident ID is on record already: in the category, or under another name.

    Parameters
    ----------
    message : str
        The refusal.
    person_id : int or None
        The record, where the registrar's scope shows it (or the one met out of the scope).
    elsewhere : bool
        The record met is out of the registrar's scope (:data:`ELSEWHERE`): its township is
        told (:func:`layers.cross_scope.note_attempt`).
    """

    def __init__(
        self, message: str, person_id: int | None = None, *, elsewhere: bool = False
    ) -> None:
        super().__init__(message)
        self.object_id = None if person_id is None else str(person_id)
        self.elsewhere = elsewhere


ELSEWHERE = (
    "该公民身份号码不能由本辖区登记：请核对身份证号；核对无误的，请联系县综治中心，"
    "由县综治中心核实后办理登记"
)
"""The answer to an ID on record out of the registrar's scope, live in any category or ended in
this one: neutral (trial AW M7), it says neither that nor where the person is on record (a
registrar typing IDs learnt who is on a criminal, drug or mental register in another
township), and is the same whatever the category, the name and whether the record is live. The
county, whose scope holds every township, registers the person: the registration there names
a live record (masked) to be ended (迁出) first by its township, or revives an ended one where
the person lives now (trial AW M2). The match goes to the audit log, filed under the record it
met (the auditor's look-up of that person finds who typed the ID)."""
ENDED_ELSEWHERE = ELSEWHERE
"""The answer to an ID whose record of the category, out of the scope, has left the register:
the same as a live one's (:data:`ELSEWHERE`), so that the answer tells nothing of the record."""

CANDIDATES_MAX = 40
"""Most workers :func:`residence_at` offers as responsibles."""


@dataclass(frozen=True)
class RegisteredPerson:
    """The person put on the register, as the registrar may see them (masked).

    Attributes
    ----------
    id : int
        The new record.
    area_code, grid_code : str, str or None
        Where they were placed.
    area_name, grid_name : str or None
        Those places' names.
    name_masked, id_masked : str
        The masked name and resident ID.
    management_level : int
        The level the person is managed at: the one given, or the stricter one their
        危险性评估 requires (:func:`layers.person_attributes.raised_level`).
    notices : tuple of str
        What the registrar should know: a level raised, the other categories the person is on
        record in, a village whose grids did not tell which grid.
    placed_by : str or None
        What placed a person with no point and no grid (居住地址, 所属村（社区）).
    """

    id: int
    area_code: str
    grid_code: str | None
    area_name: str | None
    grid_name: str | None
    name_masked: str
    id_masked: str
    management_level: int = 3
    notices: tuple[str, ...] = ()
    placed_by: str | None = None


@dataclass(frozen=True)
class OtherRecord:
    """A live record of the same resident ID in another category, in the registrar's scope.

    Attributes
    ----------
    category : str
        Its :class:`layers.model.PersonCategory` code.
    same_name : bool
        Whether it bears the name registered.
    person_id : int
        The record (in the registrar's scope: one out of it is never described).
    masked, area_name : str or None
        Its masked name and its unit's name.
    """

    category: str
    same_name: bool
    person_id: int
    masked: str | None = None
    area_name: str | None = None

    def said(self) -> str:
        """Return how a message names the record: masked, with its place.

        Examples
        --------
        >>> OtherRecord("mental", True, 7, "赵*", "团城社区").said()
        '严重精神障碍患者（赵*，团城社区，编号 7）'
        """
        label = PersonCategory.label_of(self.category)
        return (
            f"{label}（{self.masked}，{self.area_name or '所在单位不详'}，编号 {self.person_id}）"
        )


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("请填写姓名")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"姓名最多 {NAME_MAX} 个字")
    if _NOT_A_NAME.search(name):
        raise InvalidInput("姓名中不能有数字或符号（身份证号、电话请填在各自的栏目）")
    return name


def _checked_resident_id(number: str, today: date) -> ResidentId:
    try:
        return parse_resident_id(normalise_resident_id(number), today=today)
    except CodeError as exc:  # its message repeats the number: say the rule alone
        raise InvalidInput(f"公民身份号码无效：{exc.rule}") from None


OUT_OF_SCOPE = "所选位置不在您的辖区内，请在辖区地图上点选居住地"


def residence_at(session: Session, lon: float, lat: float, *, scope_code: str) -> Residence:
    """Return where a picked residence lies and the workers who may follow the person up.

    What the registration form shows as soon as the point is picked, before the form is sent:
    the 社区 and 网格 by name, or the refusal :func:`register_person` would give.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the registrar.
    lon, lat : float
        The point (CGCS2000 degrees).
    scope_code : str
        The registrar's scope.

    Returns
    -------
    Residence
        The unit, the grid and the candidate responsibles.

    Raises
    ------
    Forbidden
        The point lies outside the scope.
    InvalidInput
        The unit covering it is retired.
    """
    area_code, grid_code = _point_place(session, lon, lat, scope_code)
    return candidates_at(session, area_code, grid_code)


def candidates_at(session: Session, area_code: str, grid_code: str | None) -> Residence:
    """Return a unit and grid by name, and the workers who may follow a person living there.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader (row-level security keeps the workers to the scope).
    area_code : str
        The person's unit (a village).
    grid_code : str or None
        Their grid, if one.

    Returns
    -------
    Residence
        The unit, the grid, and the workers of the grid first, then of the unit, by name
        (at most :data:`CANDIDATES_MAX`).
    """
    names = _place_names(session, area_code, grid_code)
    rows = session.execute(
        text(
            "SELECT w.id, w.name, w.role, coalesce(w.home_grid = :grid, false) AS of_grid,"
            " g.name AS grid_name, w.unit"
            " FROM workers w LEFT JOIN grids g ON g.code = w.home_grid WHERE w.status <> 'left'"
            "  AND (w.home_grid = :grid OR w.area_code = :area)"
            " ORDER BY of_grid DESC, convert_to(w.name, 'GBK'), w.id LIMIT :most"
        ),
        {"grid": grid_code, "area": area_code, "most": CANDIDATES_MAX},
    ).all()
    return Residence(
        area_code=area_code,
        area_name=names.area_name,
        grid_code=grid_code,
        grid_name=names.grid_name,
        candidates=[Candidate(**row._asdict()) for row in rows],
    )


def _point_place(
    session: Session, lon: float, lat: float, scope_code: str
) -> tuple[str, str | None]:
    area_code, grid_code = units_at(session, lon, lat)
    if area_code is None or not in_scope(scope_code, area_code):
        raise Forbidden(OUT_OF_SCOPE)
    refuse_retired_unit(session, area_code)
    return area_code, grid_code


def _place_names(session: Session, area_code: str, grid_code: str | None) -> Row[Any]:
    return session.execute(
        text(
            f"SELECT {name_sql('CAST(:area AS text)')} AS area_name,"
            f" {grid_name_sql('CAST(:grid AS text)')} AS grid_name"
        ),
        {"area": area_code, "grid": grid_code},
    ).one()


def _attributes(category: str, typed: Mapping[str, object]) -> dict[str, Any]:
    """Return the category's fields as stored, or refuse the first that breaks a rule.

    A resident ID or a phone number in a free-text field is refused as in a visit's 走访情况
    (trial AW m2); a field :data:`layers.person_attributes.ENTRY_REQUIRED` asks must be given
    (trial AW m3: the 司法所's reminders run on the 矫正结束日期 and the 释放日期).
    """
    given = {k: v for k, v in typed.items() if v is not None and str(v).strip() != ""}
    try:
        stored = validate_attributes(category, given)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        label = PersonCategory.label_of(category)
        if error["type"] == "extra_forbidden":
            raise InvalidInput(f"“{name[:30]}”不是{label}的属性") from None
        labels = {f.name: f.label for f in form_fields(category)}
        broken = (error.get("ctx") or {}).get("error")
        if isinstance(broken, PersonalNumberError):
            raise InvalidInput(broken.said_of(labels.get(name, name))) from None
        raise InvalidInput(f"{labels.get(name, name)}填写有误：{attribute_error(error)}") from None
    missing = missing_required(category, stored)
    if missing:
        raise InvalidInput(
            f"请填写{'、'.join(missing)}：{PersonCategory.label_of(category)}必填"
            "（司法所的到期提醒按此日期计算）"
        )
    return stored


def _place(
    session: Session, new: NewPerson, scope_code: str
) -> tuple[str, str | None, VillagePlace | None]:
    """Return the area and grid of the residence: from the point, else the grid named.

    With neither, the village the 所属村（社区） or the address names, in its only grid (as a
    roster's person is placed, trial AV M1), which is returned too.
    """
    if (new.lon is None) != (new.lat is None):
        raise InvalidInput("经度和纬度须同时填写，或都不填")
    if new.lon is not None and new.lat is not None:
        return (*_point_place(session, new.lon, new.lat, scope_code), None)
    if new.grid_code is None and (new.address or new.community):
        # a retired village is refused there, naming what took it over
        village = place_by_words(session, new.address, new.community, scope_code)
        return village.area_code, village.grid_code, village
    if new.grid_code is not None:
        area_code = grid_village(session, new.grid_code)
        if area_code is None:
            raise InvalidInput(f"网格 {new.grid_code} 不存在、已撤销或不在您的辖区内")
        grid_code = new.grid_code
    else:
        raise InvalidInput("请在地图上点选居住地，或填写居住地址、所在网格编码")
    if not in_scope(scope_code, area_code):
        raise Forbidden(OUT_OF_SCOPE)
    refuse_retired_unit(session, area_code)
    return area_code, grid_code, None


_TOWNSHIP_CODE = "left(t.area_code, 9) || '000'"
"""SQL of the code of the township (街道) a person's unit lies in."""


@dataclass(frozen=True)
class EndedRecord:
    """The person's record of the category, in the scope, that left the register (迁出 …).

    Attributes
    ----------
    id : int
        The record.
    masked : str
        Its masked name.
    same_name : bool
        Whether it bears the name registered.
    ended_on : datetime.date
        The day it left.
    reason : str or None
        Why (as written).
    township : str or None
        The name of the township (街道) it was registered in.
    since : datetime.date or None
        The day it was first put on record: the 走访 clock of a person never visited runs from
        it still (:func:`_revive`).
    """

    id: int
    masked: str
    same_name: bool
    ended_on: date
    reason: str | None
    township: str | None
    since: date | None = None

    def said(self, area_name: str | None) -> str:
        """Return what the registration says of it once revived into ``area_name``.

        Examples
        --------
        >>> ended = EndedRecord(7, "陈**", True, date(2026, 12, 5), "迁出", "盘溪镇",
        ...                     date(2026, 11, 1))
        >>> for part in ended.said("复安社区").replace("保留，", "保留：").split("："):
        ...     print(part)
        该人员此前在盘溪镇登记（陈**，编号 7），已于 2026-12-05 注销（迁出）
        已恢复在册，记录转入复安社区，原走访记录保留
        应访日期仍从上次走访起算（从未走访的从 2026-11-01 列管起算）
        """
        said = (
            f"该人员此前在{self.township or '本县'}登记（{self.masked}，编号 {self.id}），"
            f"已于 {self.ended_on:%Y-%m-%d} 注销（{self.reason or '原因未注明'}）："
            f"已恢复在册，记录转入{area_name or '所选位置'}，原走访记录保留，"
            "应访日期仍从上次走访起算"
        )
        if self.since is not None:
            said += f"（从未走访的从 {self.since:%Y-%m-%d} 列管起算）"
        return said


def _already_on_record(
    session: Session, category: str, id_hash: bytes, name: str
) -> AlreadyOnRecord | EndedRecord | None:
    """Return the refusal for a person on the register in the category (in scope: masked).

    A record of the category that left the register (迁出 to another township of the scope,
    or back again) is returned to be revived (:func:`_revive`); under another name it is
    refused, as a mistyped ID or another person's.
    """
    found = session.execute(
        text(
            f"SELECT t.id, {MASKED_NAME_SQL} AS masked, t.ended_on, t.ended_reason,"
            " t.on_record_since,"
            " btrim(regexp_replace(t.name, '\\s+', ' ', 'g')) = :name AS same_name,"
            f" {name_sql(_TOWNSHIP_CODE)} AS township"
            " FROM persons t WHERE t.category = :c AND t.id_hash = :h"
        ),
        {"c": category, "h": id_hash, "name": name},
    ).one_or_none()
    if found is None:
        return None
    label = PersonCategory.label_of(category)
    if found.ended_on is None:
        return AlreadyOnRecord(
            f"该人员已作为{label}在册（{found.masked}，编号 {found.id}），不能重复登记", found.id
        )
    if not found.same_name:
        return AlreadyOnRecord(
            f"该公民身份号码此前登记为{label}（{found.masked}，编号 {found.id}，已注销），"
            "姓名与本次填写的不同；一个身份证号只属于一人，请核对身份证号和姓名",
            found.id,
        )
    return EndedRecord(
        int(found.id),
        str(found.masked),
        True,
        found.ended_on,
        found.ended_reason,
        found.township,
        found.on_record_since,
    )


def _other_records(session: Session, category: str, id_hash: bytes, name: str) -> list[OtherRecord]:
    """Return the live records of the ID in other categories in the scope (it sees no other)."""
    rows = session.execute(
        text(
            f"SELECT t.id, t.category, {MASKED_NAME_SQL} AS masked,"
            f" {name_sql('t.area_code')} AS area_name,"
            " btrim(regexp_replace(t.name, '\\s+', ' ', 'g')) = :name AS same_name"
            " FROM persons t WHERE t.id_hash = :h AND t.category <> :c AND t.ended_on IS NULL"
            " ORDER BY t.id"
        ),
        {"h": id_hash, "c": category, "name": name},
    ).all()
    return [OtherRecord(r.category, r.same_name, r.id, r.masked, r.area_name) for r in rows]


def _on_record_elsewhere(session: Session, category: str, id_hash: bytes) -> AlreadyOnRecord | None:
    """Return the refusal of an ID on record out of the scope, filed under the record it met.

    A live record of any category, or one of ``category`` even ended (its unique key).
    """
    live, ended = session.execute(
        text(
            "SELECT min(e.id) FILTER (WHERE e.live), min(e.id) FILTER (WHERE e.category = :c)"
            " FROM zongzhi_person_records_elsewhere(:h) AS e"
        ),
        {"h": id_hash, "c": category},
    ).one()
    if live is not None:
        return AlreadyOnRecord(ELSEWHERE, int(live), elsewhere=True)
    return None if ended is None else AlreadyOnRecord(ENDED_ELSEWHERE, int(ended), elsewhere=True)


def _another_name(others: list[OtherRecord]) -> AlreadyOnRecord | None:
    """Return the refusal of an ID on record under another name (the first such record)."""
    differing = [other for other in others if not other.same_name]
    if not differing:
        return None
    first = differing[0]
    return AlreadyOnRecord(
        f"该公民身份号码已登记为{first.said()}，姓名与本次填写的不同；"
        "一个身份证号只属于一人，请核对身份证号和姓名",
        first.person_id,
    )


def register_person(
    session: Session, keys: Keys, new: NewPerson, *, scope_code: str, today: date
) -> RegisteredPerson:
    """Put one person on the register (flushed, not committed).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the registrar.
    keys : Keys
        The platform keys (hash and seal of the resident ID).
    new : NewPerson
        The form.
    scope_code : str
        The registrar's scope: the residence must lie in it.
    today : datetime.date
        The centre's date.

    Returns
    -------
    RegisteredPerson
        The record, masked.

    Raises
    ------
    InvalidInput
        A field breaks its rule (the message never repeats the resident ID).
    Forbidden
        The residence lies outside the scope.
    Conflict
        The person is on record in that category already, or the ID under another name.
    """
    if new.category not in PersonCategory.labels():
        raise InvalidInput(f"人员类别无效，可选：{'、'.join(PersonCategory.labels().values())}")
    if str(new.management_level) not in ManagementLevel.labels():
        raise InvalidInput("管控级别无效，可选：1 重点管控、2 关注、3 一般")
    name = _checked_name(new.name)
    resident = _checked_resident_id(new.resident_id, today)
    number = resident.number
    address = " ".join((new.address or "").split()) or None
    if address is not None and len(address) > ADDRESS_MAX:
        raise InvalidInput(f"居住地址最多 {ADDRESS_MAX} 个字")
    since = new.on_record_since or today
    if since > today:
        raise InvalidInput("列管日期不能晚于今天")
    too_old_or_young = age_refusal(new.category, resident.birth_date, since)
    if too_old_or_young is not None:
        raise InvalidInput(too_old_or_young)
    attributes = _attributes(new.category, new.attributes)
    level, raised = raised_level(new.category, attributes, new.management_level)
    area_code, grid_code, village = _place(session, replace(new, address=address), scope_code)
    id_hash = hash_resident_id(keys, number)
    mine = _already_on_record(session, new.category, id_hash, name)
    refusal = mine if isinstance(mine, AlreadyOnRecord) else None
    if mine is None:
        refusal = _on_record_elsewhere(session, new.category, id_hash)
    if refusal is not None:
        raise refusal
    others = _other_records(session, new.category, id_hash, name)
    refusal = _another_name(others)
    if refusal is not None:
        raise refusal
    point = (
        f"SRID={SRID};POINT({new.lon!r} {new.lat!r})"
        if new.lon is not None and new.lat is not None
        else None
    )
    values = {
        "category": new.category,
        "name": name,
        "hash": id_hash,
        "masked": mask_resident_id(number),
        "sealed": seal(keys, number),
        "level": level,
        "attributes": json.dumps(attributes, ensure_ascii=False),
        "point": point,
        "address": address,
        "grid": grid_code,
        "area": area_code,
        "since": since,
    }
    if isinstance(mine, EndedRecord):
        person_id = _revive(session, mine.id, values)
        mine = replace(mine, since=min(mine.since or since, since))
    else:
        person_id = _insert(session, values)
    _add_responsibles(session, int(person_id), area_code, new.responsible_ids)
    names = _place_names(session, area_code, grid_code)
    notices = [mine.said(names.area_name)] if isinstance(mine, EndedRecord) else []
    notices += [raised] if raised else []
    notices += [f"该人员另作为{other.said()}在册" for other in others]
    unsettled = village.several_note if village is not None else None
    notices += [unsettled] if unsettled else []
    return RegisteredPerson(
        id=int(person_id),
        area_code=area_code,
        grid_code=grid_code,
        area_name=names.area_name,
        grid_name=names.grid_name,
        name_masked=mask_name(name) or "*",
        id_masked=mask_resident_id(number),
        management_level=level,
        notices=tuple(notices),
        placed_by=village.source if village is not None else None,
    )


def _insert(session: Session, values: Mapping[str, object]) -> int:
    """Insert the new record; return its id."""
    try:
        with session.begin_nested():
            person_id = session.scalar(
                text(
                    "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                    " management_level, attributes, residence, address, grid_code, area_code,"
                    " on_record_since)"
                    " VALUES (:category, :name, :hash, :masked, :sealed, :level,"
                    " CAST(:attributes AS jsonb),"
                    " ST_GeomFromEWKT(:point), :address, :grid, :area, :since) RETURNING id"
                ),
                values,
            )
    except IntegrityError as exc:  # registered out of sight meanwhile (row-level security)
        if getattr(exc.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        raise Conflict(ELSEWHERE) from None
    return int(person_id)


def _revive(session: Session, person_id: int, values: Mapping[str, object]) -> int:
    """Put an ended record of the scope on the register again, where and as the form says.

    The record's unique key (category, ID) keeps one record of a person in a category: a person
    who moved to another township of the scope (迁出) and is registered there is that record,
    moved and on the register again (trial AW M2). Its visits stay with it; its responsibles,
    of the old place, are replaced by the form's.

    Its ``on_record_since`` is kept (or the form's 列管日期 when earlier): the 走访 clock of a
    person never visited runs from their first registration, as a visited person's runs from
    their last visit (migration 0043) and as a move by 划入网格 keeps it (:mod:`layers.
    person_grid`). One person's follow-up runs on across a move (社区矫正 at the new 执行地, 安置
    帮教 over its 帮教期, a patient's 随访); restarting it made a 迁出 and a registration again
    take an overdue person off the overdue lists.
    """
    session.execute(
        text(
            "UPDATE persons SET name = :name, id_masked = :masked, id_sealed = :sealed,"
            " management_level = :level, attributes = CAST(:attributes AS jsonb),"
            " residence = ST_GeomFromEWKT(:point), address = :address, grid_code = :grid,"
            " area_code = :area, on_record_since = least(on_record_since, CAST(:since AS date)),"
            " ended_on = NULL, ended_reason = NULL"
            " WHERE id = :id"
        ),
        {**values, "id": person_id},
    )
    session.execute(
        text("DELETE FROM person_responsibles WHERE person_id = :id"), {"id": person_id}
    )
    return person_id


RESPONSIBLE_UNKNOWN = "责任人（网格员编号 {ids}）不存在、已离职或不在您的辖区内"
RESPONSIBLE_ELSEWHERE = (
    "责任人（网格员编号 {ids}）不是该人员所在{township}的人员：帮扶责任人应为所在网格或本乡镇"
    "（街道）的网格员、社区民警、司法所等人员，请从候选名单中选择"
)


def check_responsibles(session: Session, worker_ids: tuple[int, ...], area_code: str) -> None:
    """Refuse 帮扶责任人 who are not workers on duty of the person's township (乡镇、街道).

    A person's 帮扶责任人 (the 帮教小组) are the grid's workers, and the village's and the
    township's others who follow the person up (a 社区民警, the 司法所): those who live and work
    where the person lives, as a roster's names are looked up among the workers of the person's
    township. A county's operator reads the whole county's workers and could name another
    township's, who would then have the person on his 走访 list far from his own grid.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the operator (a worker out of the scope is not found).
    worker_ids : tuple of int
        The workers named.
    area_code : str
        The person's unit (a village).

    Raises
    ------
    InvalidInput
        A worker is unknown, has left or is out of the scope; or is neither of the township's
        units nor of a grid of it (the refusal names the workers' ids).
    """
    if not worker_ids:
        return
    rows = session.execute(
        text(
            "SELECT id, left(area_code, 9) = left(:area, 9)"
            " OR coalesce(left(home_grid, 9) = left(:area, 9), false) AS here"
            " FROM workers WHERE id = ANY(:ids) AND status <> 'left'"
        ),
        {"ids": list(set(worker_ids)), "area": area_code},
    ).all()
    missing = set(worker_ids) - {int(r.id) for r in rows}
    if missing:
        raise InvalidInput(RESPONSIBLE_UNKNOWN.format(ids="、".join(map(str, sorted(missing)))))
    elsewhere = sorted(int(r.id) for r in rows if not r.here)
    if elsewhere:
        township = session.scalar(
            text(f"SELECT {name_sql('CAST(:t AS text)')}"), {"t": area_code[:9] + "000"}
        )
        raise InvalidInput(
            RESPONSIBLE_ELSEWHERE.format(
                ids="、".join(map(str, elsewhere)), township=township or "乡镇（街道）"
            )
        )


def _add_responsibles(
    session: Session, person_id: int, area_code: str, worker_ids: tuple[int, ...]
) -> None:
    if not worker_ids:
        return
    check_responsibles(session, worker_ids, area_code)
    session.execute(
        text(
            "INSERT INTO person_responsibles (person_id, worker_id, area_code, duty)"
            " SELECT :person, w, :area, '帮扶责任人' FROM unnest(CAST(:ids AS bigint[])) w"
        ),
        {"person": person_id, "area": area_code, "ids": sorted(set(worker_ids))},
    )
