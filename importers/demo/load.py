"""Write a generated demo county into the database, replacing that county's earlier rows.

Everything happens in the caller's transaction, through :mod:`layers.demo_store`: the county's
rows are deleted in dependency order, then the new rows are written with ``COPY`` (geometry as hex
EWKB with SRID 4490). Row ids are reserved from the tables' identity sequences first so that
foreign keys can be written in the same pass.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from geo.codes import mask_resident_id
from importers.demo.cases import CaseRecord, EventRecord
from importers.demo.dataset import DemoData
from importers.demo.geometry import as_multipolygon
from importers.demo.users import DemoLogin, create_demo_users
from layers.demo_store import (
    copy_rows,
    delete_county,
    reserve_ids,
    set_grid_leaders,
    upsert_jurisdictions,
    upsert_visit_rules,
)
from layers.model import SRID
from layers.secrets import Keys, hash_resident_id, seal

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LoadReport:
    """What was written.

    Attributes
    ----------
    counts : dict
        Rows per table.
    logins : list of DemoLogin
        Demo accounts (user name, role, scope).
    """

    counts: dict[str, int]
    logins: list[DemoLogin]


def _ewkb(geom: BaseGeometry) -> str:
    return str(shapely.to_wkb(shapely.set_srid(geom, SRID), hex=True, include_srid=True))


_POINT_HEADER = struct.pack("<BII", 1, 0x20000001, SRID)
"""EWKB of a point with its SRID: little-endian, type 1 with the SRID flag, then the SRID."""


def _point(xy: tuple[float, float] | None) -> str | None:
    """Return the hex EWKB of a point as :func:`_ewkb` writes it, packed directly.

    A shapely point made per row cost the full 华宁县's load about 2 s of CPU.

    >>> _point((102.93, 24.19)) == _ewkb(shapely.Point(102.93, 24.19))
    True
    >>> _point(None) is None
    True
    """
    if xy is None:
        return None
    return (_POINT_HEADER + struct.pack("<dd", xy[0], xy[1])).hex().upper()


def _event_payload(event: EventRecord, case: CaseRecord, worker_ids: list[int]) -> str | None:
    """Return an event's payload as JSON, a 派单 to a worker naming him by id.

    The console's 派单 records ``worker_id`` (:func:`layers.dispatch.assign`), by which the
    timeline says 派单至 whom (:func:`layers.dispatch.for_whom`); a demo case has one dispatch.
    """
    payload = event.payload
    if event.action == "dispatch" and case.dispatches and case.dispatches[0].worker is not None:
        payload = {**(payload or {}), "worker_id": worker_ids[case.dispatches[0].worker]}
    return None if payload is None else json.dumps(payload, ensure_ascii=False)


def load_demo(
    session: Session,
    data: DemoData,
    keys: Keys,
    *,
    password: str,
    progress: Progress | None = None,
    users: bool = True,
) -> LoadReport:
    """Replace the county's rows with ``data`` inside the session's transaction (no commit).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session in a transaction, scope = all (row-level security would hide rows).
    data : DemoData
        From :func:`importers.demo.dataset.generate`.
    keys : layers.secrets.Keys
        Platform keys for hashing and sealing resident IDs.
    password : str
        Password of every demo login.
    progress : callable, optional
        Called with the name of each step as it starts.
    users : bool
        Create the demo logins (their shared password costs one argon2id hash).

    Returns
    -------
    LoadReport
        Row counts and the demo logins.
    """
    say = progress or (lambda _step: None)
    tr = data.territory
    county = tr.county
    from importers.demo.users import demo_usernames

    say("删除旧的演示数据")
    delete_county(session, county.code, demo_usernames(data))
    counts: dict[str, int] = {}

    say("行政区划")
    upsert_jurisdictions(
        session,
        (
            (u.code, u.name, u.level, u.parent_code, _ewkb(as_multipolygon(u.boundary)), u.source)
            for u in (tr.province, tr.city, county)
        ),
    )
    counts["jurisdictions"] = 3 + copy_rows(
        session,
        "jurisdictions",
        ("code", "name", "level", "parent_code", "boundary", "source"),
        (
            (u.code, u.name, u.level, u.parent_code, _ewkb(as_multipolygon(u.boundary)), u.source)
            for u in (*tr.townships, *tr.villages)
        ),
    )

    say("网格")
    counts["grids"] = copy_rows(
        session,
        "grids",
        ("code", "name", "area_code", "boundary"),
        ((g.code, g.name, g.village_code, _ewkb(g.boundary)) for g in tr.grids),
    )

    say("网格员")
    worker_ids = reserve_ids(session, "workers", len(data.staff))
    counts["workers"] = copy_rows(
        session,
        "workers",
        (
            "id",
            "external_id",
            "name",
            "phone",
            "role",
            "unit",
            "home_grid",
            "area_code",
            "status",
            "last_position",
            "last_seen_at",
        ),
        (
            (
                worker_ids[i],
                w.external_id,
                w.name,
                w.phone,
                w.role,
                w.unit,
                w.home_grid,
                w.area_code,
                w.status,
                _point(w.position),
                w.last_seen_at,
            )
            for i, w in enumerate(data.staff)
        ),
    )
    counts["worker_positions"] = copy_rows(
        session,
        "worker_positions",
        ("worker_id", "at", "point", "area_code"),
        (
            (worker_ids[i], at, _point((x, y)), w.area_code)
            for i, w in enumerate(data.staff)
            for at, x, y in w.trail
        ),
    )
    leaders = {
        w.area_code: worker_ids[i] for i, w in enumerate(data.staff) if w.role == "grid_leader"
    }
    set_grid_leaders(session, leaders)

    say("特殊人群")
    upsert_visit_rules(session, data.visit_rules)
    person_ids = reserve_ids(session, "persons", len(data.people))
    counts["persons"] = copy_rows(
        session,
        "persons",
        (
            "id",
            "category",
            "name",
            "id_hash",
            "id_masked",
            "id_sealed",
            "management_level",
            "attributes",
            "residence",
            "address",
            "grid_code",
            "area_code",
            "on_record_since",
            "ended_on",
            "ended_reason",
        ),
        (
            (
                person_ids[i],
                p.category,
                p.name,
                hash_resident_id(keys, p.resident_id),
                mask_resident_id(p.resident_id),
                seal(keys, p.resident_id),
                p.management_level,
                json.dumps(p.attributes, ensure_ascii=False),
                _point(p.residence),
                p.address,
                p.grid_code,
                p.area_code,
                p.on_record_since,
                p.ended_on,
                p.ended_reason,
            )
            for i, p in enumerate(data.people)
        ),
    )
    counts["person_responsibles"] = copy_rows(
        session,
        "person_responsibles",
        ("person_id", "worker_id", "area_code", "duty"),
        (
            (person_ids[i], worker_ids[w], p.area_code, duty)
            for i, p in enumerate(data.people)
            for w, duty in dict(p.responsibles).items()
        ),
    )
    counts["person_visits"] = copy_rows(
        session,
        "person_visits",
        ("person_id", "area_code", "visited_on", "visitor_id", "point", "note", "outcome"),
        (
            (person_ids[i], p.area_code, day, worker_ids[w], _point((x, y)), note, outcome)
            for i, p in enumerate(data.people)
            for day, w, x, y, note, outcome in p.visits
        ),
    )

    say("案事件")
    case_ids = reserve_ids(session, "cases", len(data.cases))
    counts["cases"] = copy_rows(
        session,
        "cases",
        (
            "id",
            "code",
            "external_no",
            "channel",
            "category",
            "subcategory",
            "title",
            "description",
            "risk_level",
            "point",
            "address",
            "area_code",
            "grid_code",
            "state",
            "handling_level",
            "reported_at",
            "registered_at",
            "contact_deadline",
            "deadline",
            "supervision_deadline",
            "closed_at",
            "reporter_name",
            "reporter_phone",
            "duplicate_of",
            "repeat_count",
        ),
        (
            (
                case_ids[i],
                c.code,
                c.external_no,
                c.channel,
                c.category,
                c.subcategory,
                c.title,
                c.description,
                c.risk_level,
                _point(c.point),
                c.address,
                c.area_code,
                c.grid_code,
                c.state,
                c.handling_level,
                c.reported_at,
                c.registered_at,
                c.contact_deadline,
                c.deadline,
                c.supervision_deadline,
                c.closed_at,
                c.reporter_name,
                c.reporter_phone,
                None if c.duplicate_of is None else case_ids[c.duplicate_of],
                c.repeat_count,
            )
            for i, c in enumerate(data.cases)
        ),
    )
    counts["case_events"] = copy_rows(
        session,
        "case_events",
        (
            "case_id",
            "area_code",
            "at",
            "actor_name",
            "action",
            "from_state",
            "to_state",
            "note",
            "payload",
        ),
        (
            (
                case_ids[i],
                c.area_code,
                e.at,
                e.actor_name,
                e.action,
                e.from_state,
                e.to_state,
                e.note,
                _event_payload(e, c, worker_ids),
            )
            for i, c in enumerate(data.cases)
            for e in c.events
        ),
    )
    counts["dispatches"] = copy_rows(
        session,
        "dispatches",
        (
            "case_id",
            "area_code",
            "assignee_kind",
            "worker_id",
            "unit_code",
            "department",
            "assigned_at",
            "accepted_at",
            "arrived_at",
            "finished_at",
            "status",
        ),
        (
            (
                case_ids[i],
                c.area_code,
                d.assignee_kind,
                None if d.worker is None else worker_ids[d.worker],
                d.unit_code,
                d.department,
                d.assigned_at,
                d.accepted_at,
                d.arrived_at,
                d.finished_at,
                d.status,
            )
            for i, c in enumerate(data.cases)
            for d in c.dispatches
        ),
    )

    say("视频点位")
    counts["video_points"] = copy_rows(
        session,
        "video_points",
        (
            "device_id",
            "name",
            "ptz_type",
            "position_type",
            "direction_type",
            "azimuth_deg",
            "fov_deg",
            "range_m",
            "status",
            "last_heartbeat",
            "point",
            "area_code",
        ),
        (
            (
                v.device_id,
                v.name,
                v.ptz_type,
                v.position_type,
                v.direction_type,
                v.azimuth_deg,
                v.fov_deg,
                v.range_m,
                v.status,
                v.last_heartbeat,
                _point(v.point),
                v.area_code,
            )
            for v in data.cameras
        ),
    )

    say("演示账号")
    logins = create_demo_users(session, data, worker_ids, password=password) if users else []
    counts["users"] = len(logins)
    return LoadReport(counts, logins)
