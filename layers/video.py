"""Video points around a case: which cameras see its location, nearest first, with their cones.

The database pre-selects the cameras in the actor's scope whose position lies within
:data:`SEARCH_RADIUS_M` of the case (a camera cannot see farther than its ``range_m``, and no
demo or real camera reaches that far); :mod:`geo.cameras` then draws their view cones on the
GRS80 ellipsoid and keeps those whose cone contains the case point. Cameras nearby that do not
see the point are reported too (``sees = False``), so the desk can say "no camera covers this
spot; the nearest is …".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.cameras import cameras_seeing, view_cones
from geo.codes import scope_range
from layers import cases
from layers.errors import InvalidInput
from layers.model import PtzType
from layers.workflow import Actor

#: Cameras farther than this from a case are not considered (metres, geodesic).
SEARCH_RADIUS_M = 500.0
#: A camera without a recorded azimuth is drawn as a full circle only if it is a dome (球机).
DOME = int(PtzType.DOME.value)

_NEARBY = text(
    """
    SELECT v.id, v.device_id, v.name, v.ptz_type, v.azimuth_deg, v.fov_deg, v.range_m, v.status,
           v.area_code, ST_X(v.point) AS lon, ST_Y(v.point) AS lat,
           ST_Distance(geography(v.point), c.g) AS distance_m
      FROM video_points v,
           (SELECT geography(point) AS g, point FROM cases WHERE id = :case_id) c
     WHERE v.area_code >= :lo AND v.area_code < :hi
       AND ST_DWithin(geography(v.point), c.g, :radius)
     ORDER BY ST_Distance(geography(v.point), c.g), v.id
     LIMIT :pool
    """
)


@dataclass(frozen=True)
class CameraView:
    """One camera near a case.

    Attributes
    ----------
    id : int
        Video point id.
    device_id : str
        GB/T 28181 device ID.
    name : str
        Point name.
    ptz_type : int or None
        Camera kind (:class:`~layers.model.PtzType`).
    status : str
        ``online`` or ``offline``.
    area_code : str
        Jurisdiction of the camera.
    lon, lat : float
        Camera position.
    azimuth_deg, fov_deg : float or None
        View direction (0 for a dome without one) and field of view; ``None`` when unknown.
    range_m : float
        Viewing distance in metres.
    distance_m : float
        Geodesic distance to the case.
    sees : bool
        Whether the case point lies inside the camera's view cone.
    cone : list of list of float
        The cone's exterior ring as ``[lon, lat]`` pairs (empty when unknown).
    """

    id: int
    device_id: str
    name: str
    ptz_type: int | None
    status: str
    area_code: str
    lon: float
    lat: float
    azimuth_deg: float | None
    fov_deg: float | None
    range_m: float
    distance_m: float
    sees: bool
    cone: list[list[float]]


def cameras_for_case(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    radius_m: float = SEARCH_RADIUS_M,
    limit: int = 10,
) -> list[CameraView]:
    """Return the cameras that see a case (nearest first), then those nearby that do not.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        Case id (in scope, located).
    actor : Actor
        Whose scope limits the cameras.
    radius_m : float
        Search radius in metres (clamped to 1 m … 2 km).
    limit : int
        Most cameras returned (clamped to 1–50); seeing cameras come first.

    Returns
    -------
    list of CameraView
        Cameras seeing the case, nearest first, then the nearest others.

    Raises
    ------
    NotFound
        No such case in scope.
    InvalidInput
        The case has no location.
    """
    case = cases.get_case(session, case_id, actor=actor)
    if case.point is None:
        raise InvalidInput(f"case {case_id} has no location")
    radius = min(max(float(radius_m), 1.0), 2000.0)
    limit = min(max(int(limit), 1), 50)
    lo, hi = scope_range(actor.scope_code)
    rows = session.execute(
        _NEARBY, {"case_id": case_id, "lo": lo, "hi": hi, "radius": radius, "pool": 200}
    ).all()
    if not rows:
        return []
    lon, lat = session.execute(
        text("SELECT ST_X(point), ST_Y(point) FROM cases WHERE id = :id"), {"id": case_id}
    ).one()
    # A camera's view is known when it has an azimuth, or when it is a dome (it sees all round).
    known = [i for i, r in enumerate(rows) if r.azimuth_deg is not None or r.ptz_type == DOME]
    azimuth = {i: float(rows[i].azimuth_deg or 0.0) for i in known}
    fov = {i: 360.0 if rows[i].azimuth_deg is None else float(rows[i].fov_deg) for i in known}
    rings: dict[int, list[list[float]]] = {}
    seeing: list[int] = []
    if known:
        lons = [float(rows[i].lon) for i in known]
        lats = [float(rows[i].lat) for i in known]
        cones = view_cones(
            lons,
            lats,
            [azimuth[i] for i in known],
            [fov[i] for i in known],
            [float(rows[i].range_m) for i in known],
        )
        for k, i in enumerate(known):
            rings[i] = np.asarray(cones[k].exterior.coords).round(7).tolist()
        hits = cameras_seeing(float(lon), float(lat), cones, camera_lons=lons, camera_lats=lats)
        seeing = [known[int(k)] for k in hits]
    seen = set(seeing)
    order = seeing + [i for i in range(len(rows)) if i not in seen]
    out = []
    for i in order[:limit]:
        row = rows[i]
        out.append(
            CameraView(
                id=int(row.id),
                device_id=str(row.device_id),
                name=str(row.name),
                ptz_type=row.ptz_type,
                status=str(row.status),
                area_code=str(row.area_code),
                lon=round(float(row.lon), 7),
                lat=round(float(row.lat), 7),
                azimuth_deg=azimuth.get(i),
                fov_deg=fov.get(i),
                range_m=float(row.range_m),
                distance_m=round(float(row.distance_m), 1),
                sees=i in seen,
                cone=rings.get(i, []),
            )
        )
    return out
