"""A special-population person registered by hand (人员登记), one at a time.

A township learns of a person between two rosters: released last week, a new 社区矫正 order, a
patient the clinic reported. Until the next roster the only way on record was a 43-column
spreadsheet (trial AB); :func:`register_person` puts one person on the register from a form.

The record is the one an import writes: the resident ID checked (GB 11643), kept as its keyed
hash, its masked form and sealed (:mod:`layers.secrets`), never in clear; the place from the
point picked on the map (the finest live unit and the grid covering it), or from the grid named.
A person already on record in the same category (the natural key, category and ID hash) is not
registered twice: in the registrar's scope the answer names them masked, out of it it says only
that they are on record elsewhere. The registration has no ``import_id``; the audit entry
(``person.register``, by the API) says who registered whom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.codes import CodeError, mask_resident_id, parse_resident_id
from layers.accounts import retired_unit_refusal
from layers.cases import in_scope, mask_name
from layers.catalog import MASKED_NAME_SQL, grid_name_sql, name_sql
from layers.errors import Conflict, Forbidden, InvalidInput
from layers.model import SRID, ManagementLevel, PersonCategory
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
        the grid it lies in.
    on_record_since : datetime.date or None
        The day put on record (default: today); a person never visited is due from there.
    responsible_ids : tuple of int
        Workers who follow them up (帮扶责任人), of the scope.
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
    """

    id: int
    area_code: str
    grid_code: str | None
    area_name: str | None
    grid_name: str | None
    name_masked: str
    id_masked: str


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("请填写姓名")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"姓名最多 {NAME_MAX} 个字")
    if _NOT_A_NAME.search(name):
        raise InvalidInput("姓名中不能有数字或符号（身份证号、电话请填在各自的栏目）")
    return name


def _checked_resident_id(number: str, today: date) -> str:
    try:
        return parse_resident_id(normalise_resident_id(number), today=today).number
    except CodeError as exc:  # its message repeats the number: say the rule alone
        raise InvalidInput(f"公民身份号码无效：{exc.rule}") from None


def _place(session: Session, new: NewPerson, scope_code: str) -> tuple[str, str | None]:
    """Return the area and grid of the residence: from the point, else the grid named."""
    if (new.lon is None) != (new.lat is None):
        raise InvalidInput("经度和纬度须同时填写，或都不填")
    if new.lon is not None and new.lat is not None:
        area_code, grid_code = units_at(session, new.lon, new.lat)
        if area_code is None:
            raise Forbidden("所选位置不在您的辖区内，请在辖区地图上点选居住地")
    elif new.grid_code is not None:
        area_code = session.scalar(
            text("SELECT area_code FROM grids WHERE code = :g AND retired_on IS NULL"),
            {"g": new.grid_code},
        )
        if area_code is None:
            raise InvalidInput(f"网格 {new.grid_code} 不存在、已撤销或不在您的辖区内")
        grid_code = new.grid_code
    else:
        raise InvalidInput("请在地图上点选居住地，或给出所在网格编码")
    if not in_scope(scope_code, area_code):
        raise Forbidden("所选位置不在您的辖区内，请在辖区地图上点选居住地")
    retired = retired_unit_refusal(session, area_code)
    if retired is not None:
        raise InvalidInput(retired)
    return area_code, grid_code


def _already_on_record(session: Session, category: str, id_hash: bytes) -> Conflict | None:
    """Return the refusal for a person on record in the category (in scope: masked)."""
    found = session.execute(
        text(
            f"SELECT t.id, {MASKED_NAME_SQL} AS masked, t.ended_on, t.ended_reason"
            " FROM persons t WHERE t.category = :c AND t.id_hash = :h"
        ),
        {"c": category, "h": id_hash},
    ).one_or_none()
    if found is None:
        return None
    label = PersonCategory.label_of(category)
    if found.ended_on is not None:
        return Conflict(
            f"该人员已有{label}记录（{found.masked}，编号 {found.id}），"
            f"已于 {found.ended_on:%Y-%m-%d} 注销（{found.ended_reason or '原因未注明'}）；"
            "如需恢复在册，请导入注明“在册”的名单"
        )
    return Conflict(f"该人员已作为{label}在册（{found.masked}，编号 {found.id}），不能重复登记")


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
        The person is on record in that category already.
    """
    if new.category not in PersonCategory.labels():
        raise InvalidInput(f"人员类别无效，可选：{'、'.join(PersonCategory.labels().values())}")
    if str(new.management_level) not in ManagementLevel.labels():
        raise InvalidInput("管控级别无效，可选：1 重点管控、2 关注、3 一般")
    name = _checked_name(new.name)
    number = _checked_resident_id(new.resident_id, today)
    address = " ".join((new.address or "").split()) or None
    if address is not None and len(address) > ADDRESS_MAX:
        raise InvalidInput(f"居住地址最多 {ADDRESS_MAX} 个字")
    since = new.on_record_since or today
    if since > today:
        raise InvalidInput("列管日期不能晚于今天")
    area_code, grid_code = _place(session, new, scope_code)
    id_hash = hash_resident_id(keys, number)
    refusal = _already_on_record(session, new.category, id_hash)
    if refusal is not None:
        raise refusal
    point = (
        f"SRID={SRID};POINT({new.lon!r} {new.lat!r})"
        if new.lon is not None and new.lat is not None
        else None
    )
    try:
        with session.begin_nested():
            person_id = session.scalar(
                text(
                    "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                    " management_level, attributes, residence, address, grid_code, area_code,"
                    " on_record_since)"
                    " VALUES (:category, :name, :hash, :masked, :sealed, :level, '{}'::jsonb,"
                    " ST_GeomFromEWKT(:point), :address, :grid, :area, :since) RETURNING id"
                ),
                {
                    "category": new.category,
                    "name": name,
                    "hash": id_hash,
                    "masked": mask_resident_id(number),
                    "sealed": seal(keys, number),
                    "level": new.management_level,
                    "point": point,
                    "address": address,
                    "grid": grid_code,
                    "area": area_code,
                    "since": since,
                },
            )
    except IntegrityError as exc:  # on record out of the registrar's sight (row-level security)
        if getattr(exc.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        raise Conflict(
            f"该人员已作为{PersonCategory.label_of(new.category)}在其他辖区登记，不能重复登记；"
            "请联系县综治中心核实"
        ) from None
    _add_responsibles(session, int(person_id), area_code, new.responsible_ids)
    names = session.execute(
        text(
            f"SELECT {name_sql('CAST(:area AS text)')} AS area_name,"
            f" {grid_name_sql('CAST(:grid AS text)')} AS grid_name"
        ),
        {"area": area_code, "grid": grid_code},
    ).one()
    return RegisteredPerson(
        id=int(person_id),
        area_code=area_code,
        grid_code=grid_code,
        area_name=names.area_name,
        grid_name=names.grid_name,
        name_masked=mask_name(name) or "*",
        id_masked=mask_resident_id(number),
    )


def _add_responsibles(
    session: Session, person_id: int, area_code: str, worker_ids: tuple[int, ...]
) -> None:
    if not worker_ids:
        return
    found = session.execute(
        text("SELECT id FROM workers WHERE id = ANY(:ids) AND status <> 'left'"),
        {"ids": list(set(worker_ids))},
    ).scalars()
    missing = set(worker_ids) - set(found)
    if missing:
        raise InvalidInput(
            f"责任人（网格员编号 {'、'.join(map(str, sorted(missing)))}）"
            "不存在、已离职或不在您的辖区内"
        )
    session.execute(
        text(
            "INSERT INTO person_responsibles (person_id, worker_id, area_code, duty)"
            " SELECT :person, w, :area, '帮扶责任人' FROM unnest(CAST(:ids AS bigint[])) w"
        ),
        {"person": person_id, "area": area_code, "ids": sorted(set(worker_ids))},
    )
