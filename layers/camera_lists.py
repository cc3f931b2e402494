"""The offline cameras of a unit, as a list: what 视频在线率's 离线 N opens on 指挥调度.

The command view counts the cameras in use and the share online (:mod:`layers.command`); an
operator who sees 89.4 % wants the 34 others, to call the maintenance company about them: where
each is (its township and village), its 国标编码 and when it was last heard from. The cameras in
use are those no import of the platform's export retired (:mod:`layers.camera_retirement`);
the longest silent come first, those never heard from (no heartbeat recorded) last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import cases
from layers.model import VideoStatus
from layers.workflow import Actor

MAX_LIMIT = 500
"""Longest page of the list."""

_OFFLINE = text(
    """
    SELECT v.id, v.device_id, v.name, v.last_heartbeat, v.area_code,
           j.name AS area_name, t.name AS township_name,
           ST_X(v.point) AS lon, ST_Y(v.point) AS lat, count(*) OVER () AS matched
      FROM video_points v
      LEFT JOIN jurisdictions j ON j.code = v.area_code
      LEFT JOIN jurisdictions t
        ON t.code = left(v.area_code, 9) || '000' AND t.code <> v.area_code
     WHERE v.area_code >= :lo AND v.area_code < :hi AND v.retired_on IS NULL
       AND v.status = :offline
     ORDER BY v.last_heartbeat NULLS LAST, v.area_code, v.name, v.id
     LIMIT :limit OFFSET :offset
    """
)


@dataclass(frozen=True)
class OfflineCamera:
    """One camera in use that is offline.

    Attributes
    ----------
    id : int
        ``video_points.id``.
    device_id : str
        Its 20-digit GB/T 28181 code (国标编码).
    name : str
        Its name on the platform.
    last_heartbeat : datetime or None
        When it was last heard from (``None``: never recorded).
    area_code : str
        The unit it lies in.
    place : str
        Its township and village, as an operator names them (``盘溪镇 · 大龙潭村``).
    lon, lat : float
        Its position (CGCS2000).
    """

    id: int
    device_id: str
    name: str
    last_heartbeat: datetime | None
    area_code: str
    place: str
    lon: float
    lat: float


@dataclass(frozen=True)
class OfflineCameras:
    """A page of a unit's offline cameras.

    Attributes
    ----------
    matched : int
        How many cameras in use in the unit are offline.
    cameras : list of OfflineCamera
        This page, the longest silent first.
    """

    matched: int
    cameras: list[OfflineCamera]


def offline(
    session: Session, code: str, *, actor: Actor, limit: int = 50, offset: int = 0
) -> OfflineCameras:
    """Return the cameras in use in unit ``code`` that are offline.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    code : str
        12-digit jurisdiction code in the actor's scope.
    actor : Actor
        Whose scope applies.
    limit, offset : int
        Paging (``limit`` clamped to 1–:data:`MAX_LIMIT`).

    Returns
    -------
    OfflineCameras
        The count and the page: longest silent first, never heard from last.

    Raises
    ------
    NotFound
        ``code`` is not a unit inside the actor's scope.
    """
    lo, hi, _ = cases.unit_range(code, actor)
    params = {
        "lo": lo,
        "hi": hi,
        "offline": VideoStatus.OFFLINE.value,
        "limit": max(1, min(limit, MAX_LIMIT)),
        "offset": max(0, offset),
    }
    rows = session.execute(_OFFLINE, params).all()
    listed = [
        OfflineCamera(
            id=row.id,
            device_id=row.device_id,
            name=row.name,
            last_heartbeat=row.last_heartbeat,
            area_code=row.area_code,
            place=" · ".join(n for n in (row.township_name, row.area_name) if n),
            lon=row.lon,
            lat=row.lat,
        )
        for row in rows
    ]
    matched = rows[0].matched if rows else _count(session, params)
    return OfflineCameras(matched, listed)


def _count(session: Session, params: dict[str, object]) -> int:
    """Count them when the page is past the end (the window function saw no row)."""
    if params["offset"] == 0:
        return 0
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM video_points WHERE area_code >= :lo AND area_code < :hi"
                " AND retired_on IS NULL AND status = :offline"
            ),
            params,
        ).scalar_one()
    )
