"""Video points around a case: which cameras see its location, nearest first, with their cones.

The database pre-selects the cameras in use (not those an import of the platform's export
retired, :mod:`layers.camera_retirement`) whose position lies within :data:`SEARCH_RADIUS_M` of
the case (a camera cannot see farther than its ``range_m``, and no demo or real camera reaches
that far), and always the :data:`NEAREST` nearest ones, however far (a rural case has none
within the radius: the desk still learns the nearest camera and its distance,
``within_radius = False``), whatever unit they belong to: camera positions are not personal
data and the 雪亮 network is shared, so a township's desk is offered the neighbouring township's
camera 113 m from its case near the boundary, named with its unit (:attr:`CameraView.other_unit`,
trial BB M5). ``video_points`` is read by area (row-level security), so the pre-selection is the
database function ``zongzhi_cameras_near_case`` (migration 0042), which answers only for a case
the reader's scope holds; :mod:`geo.cameras` then draws their view cones on the
GRS80 ellipsoid and keeps those whose cone contains the case point. The online cameras that
see the point come first, then the offline ones that would see it (the desk lists them as
「离线（可见范围内）」 with their last heartbeat, never as 可见: trial BB M3), then the others,
nearest first (``sees = False``), so the desk can say "no camera covers this spot; the nearest
is …" whenever no online camera sees it.

A camera's view follows one rule (:func:`camera_view`, and :func:`view_sql` for the map
layers): a dome (球机, ``ptz_type`` 1 in GB/T 28181) turns, so it sees all round within its
range whatever azimuth or 监视方位 is recorded for it (only its preset: trial BB M4); else a
recorded ``azimuth_deg`` wins; else the centre of its 监视方位 sector (``direction_type``,
:attr:`~layers.model.DirectionType.bearing_deg`) is taken as azimuth, since 雪亮工程 camera
lists often give the sector and no azimuth; else its view is unknown (no cone, never "sees" a
case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.cameras import cameras_seeing, view_cones
from geo.codes import prefix_length, scope_range
from layers.errors import InvalidInput
from layers.model import DirectionType, PtzType
from layers.model.video import DEFAULT_FOV_DEG
from layers.workflow import Actor

#: Cameras within this distance of a case are all considered (metres, geodesic).
SEARCH_RADIUS_M = 500.0
#: The nearest cameras in use always considered, however far from the case (the number
#: ``zongzhi_cameras_near_case`` of migration 0042 keeps).
NEAREST = 5
#: A dome (球机) turns: it is drawn as a full circle, whatever direction is recorded for it.
DOME = int(PtzType.DOME.value)

#: Compass bearing of each 监视方位 code (``video_points.direction_type``).
_BEARING_BY_CODE = {int(d): d.bearing_deg for d in DirectionType}

AzimuthSource = Literal["recorded", "dome", "direction"]
"""Where a camera's view direction comes from (:func:`camera_view`)."""


@dataclass(frozen=True)
class View:
    """The view cone a camera is drawn with.

    Attributes
    ----------
    azimuth_deg : float
        Centre of the view, degrees clockwise from north (0 for a dome).
    fov_deg : float
        Horizontal field of view in degrees (360 for a dome).
    source : {'recorded', 'dome', 'direction'}
        ``recorded``: the camera's ``azimuth_deg``; ``dome``: a 球机, which turns and sees all
        round; ``direction``: the centre of its 监视方位 sector (``direction_type``).
    """

    azimuth_deg: float
    fov_deg: float
    source: AzimuthSource


def camera_view(
    azimuth_deg: float | None,
    fov_deg: float | None,
    *,
    direction_type: int | str | None,
    ptz_type: int | None,
) -> View | None:
    """Return the view a camera is drawn with, or ``None`` when it is unknown.

    Parameters
    ----------
    azimuth_deg : float or None
        Recorded azimuth (``video_points.azimuth_deg``); it wins, except for a dome.
    fov_deg : float or None
        Recorded field of view; ``None`` (not stored by the schema, which defaults it) reads as
        :data:`~layers.model.video.DEFAULT_FOV_DEG`.
    direction_type : int, str or None
        GB/T 28181 DirectionType code 1–8 (监视方位).
    ptz_type : int or None
        GB/T 28181 PTZType; 1 is a dome (球机), which turns: it sees all round within its range
        whatever azimuth or 监视方位 is recorded (its preset).

    Returns
    -------
    View or None
        A dome's full circle; else the recorded azimuth with its field of view; else the centre
        of the 监视方位 sector with the field of view; else ``None``.

    Examples
    --------
    >>> camera_view(None, 60.0, direction_type=2, ptz_type=3)
    View(azimuth_deg=270.0, fov_deg=60.0, source='direction')
    >>> camera_view(10.0, 60.0, direction_type=2, ptz_type=3).source
    'recorded'
    >>> camera_view(None, 60.0, direction_type=2, ptz_type=DOME)
    View(azimuth_deg=0.0, fov_deg=360.0, source='dome')
    >>> camera_view(113.0, 60.0, direction_type=None, ptz_type=DOME).fov_deg
    360.0
    >>> camera_view(None, None, direction_type="6", ptz_type=None).fov_deg
    60.0
    >>> camera_view(None, 60.0, direction_type=None, ptz_type=3) is None
    True
    """
    fov = DEFAULT_FOV_DEG if fov_deg is None else float(fov_deg)
    if ptz_type == DOME:
        return View(0.0, 360.0, "dome")
    if azimuth_deg is not None:
        return View(float(azimuth_deg), fov, "recorded")
    bearing = None if direction_type is None else _BEARING_BY_CODE.get(int(direction_type))
    if bearing is not None:
        return View(bearing, fov, "direction")
    return None


def view_sql(alias: str = "t") -> dict[str, str]:
    """Return :func:`camera_view` as SQL expressions over a ``video_points`` row.

    Parameters
    ----------
    alias : str
        Alias of ``video_points`` in the query.

    Returns
    -------
    dict of str to str
        ``view_azimuth_deg``, ``view_fov_deg`` and ``azimuth_source``: each ``NULL`` when the
        view is unknown.

    Examples
    --------
    >>> view_sql()["azimuth_source"]  # doctest: +ELLIPSIS
    "CASE WHEN t.ptz_type = 1 THEN 'dome' WHEN t.azimuth_deg IS NOT NULL THEN 'recorded' ..."
    """
    t = alias
    bearing = (
        f"CASE {t}.direction_type "
        + " ".join(f"WHEN {code} THEN {deg!r}" for code, deg in _BEARING_BY_CODE.items())
        + " END"
    )
    fov = f"COALESCE({t}.fov_deg, {DEFAULT_FOV_DEG!r})"
    recorded, dome = f"{t}.azimuth_deg IS NOT NULL", f"{t}.ptz_type = {DOME}"
    return {
        "view_azimuth_deg": (
            f"CASE WHEN {dome} THEN 0.0 WHEN {recorded} THEN {t}.azimuth_deg ELSE {bearing} END"
        ),
        "view_fov_deg": (
            f"CASE WHEN {dome} THEN 360.0 WHEN {recorded} THEN {fov}"
            f" WHEN {bearing} IS NOT NULL THEN {fov} END"
        ),
        "azimuth_source": (
            f"CASE WHEN {dome} THEN 'dome' WHEN {recorded} THEN 'recorded'"
            f" WHEN {bearing} IS NOT NULL THEN 'direction' END"
        ),
    }


_NEARBY = text("SELECT * FROM zongzhi_cameras_near_case(:case_id, :radius) ORDER BY distance_m, id")

#: The levels a camera's unit is named at (:func:`other_unit`), widest first.
_UNIT_LEVELS = ((prefix_length(3), "county_name"), (prefix_length(4), "township_name"))


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
    last_heartbeat : datetime or None
        When the platform last heard from it (for an offline camera: when it was last online).
    area_code : str
        Jurisdiction of the camera.
    lon, lat : float
        Camera position.
    azimuth_deg, fov_deg : float or None
        View direction and field of view the cone is drawn with (:func:`camera_view`): the
        recorded azimuth; 0 and 360 for a dome without one; else the centre of the camera's
        监视方位 sector; ``None`` when unknown.
    azimuth_source : {'recorded', 'dome', 'direction'} or None
        Where ``azimuth_deg`` comes from: the recorded azimuth, a dome's full circle, or the
        监视方位 (``direction_type``, azimuth derived from the sector); ``None`` when unknown.
    range_m : float
        Viewing distance in metres.
    distance_m : float
        Geodesic distance to the case.
    sees : bool
        Whether the case point lies inside the camera's view cone, online or not (an offline
        camera that sees it is 「离线（可见范围内）」, listed after the online ones).
    cone : list of list of float
        The cone's exterior ring as ``[lon, lat]`` pairs (empty when unknown).
    within_radius : bool
        Whether it lies within the search radius; ``False``: one of the :data:`NEAREST`
        nearest cameras, farther away.
    other_unit : str or None
        For a camera outside the reader's scope, the name of its unit at the widest level where
        it leaves that scope (a neighbouring township's camera: that township, the desk's
        「宁州街道的点位」; a village's neighbour in the same township: that village); ``None``
        for a camera in the reader's scope.
    """

    id: int
    device_id: str
    name: str
    ptz_type: int | None
    status: str
    last_heartbeat: datetime | None
    area_code: str
    lon: float
    lat: float
    azimuth_deg: float | None
    fov_deg: float | None
    azimuth_source: AzimuthSource | None
    range_m: float
    distance_m: float
    sees: bool
    cone: list[list[float]]
    within_radius: bool = True
    other_unit: str | None = None


def other_unit(
    area_code: str, scope_code: str, names: dict[str, str | None], unit_name: str | None
) -> str | None:
    """Return the name a camera outside the reader's scope is marked with.

    Parameters
    ----------
    area_code : str
        The camera's unit (12 digits).
    scope_code : str
        The reader's scope (12 digits).
    names : dict of str to str or None
        ``county_name`` and ``township_name``: the names of the camera's county and township.
    unit_name : str or None
        The name of the camera's own unit.

    Returns
    -------
    str or None
        The name at the widest level where the camera's code leaves the scope's (county, then
        township, else its own unit); ``None`` when the camera lies in the scope.

    Examples
    --------
    >>> names = {"county_name": "华宁县", "township_name": "宁州街道"}
    >>> other_unit("530424001001", "530424101000", names, "兴南社区")
    '宁州街道'
    >>> other_unit("530424101001", "530424101000", names, "兴南社区") is None
    True
    >>> other_unit("530424101002", "530424101001", names, "竹冲村")
    '竹冲村'
    >>> other_unit("530423101002", "530424000000", names, "竹冲村")
    '华宁县'
    """
    lo, hi = scope_range(scope_code)
    if lo <= area_code < hi:
        return None
    for length, key in _UNIT_LEVELS:
        if area_code[:length] != scope_code[:length]:
            return names.get(key) or unit_name
    return unit_name


def cameras_for_case(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    radius_m: float = SEARCH_RADIUS_M,
    limit: int = 10,
) -> list[CameraView]:
    """Return the cameras in use that see a case (online first, nearest first), then the others.

    The others are those within ``radius_m`` and, however far, the :data:`NEAREST` nearest
    cameras in use: a case far from every camera still gets the nearest. They may belong to
    another unit than the actor's (``other_unit``, trial BB M5): the case must be in the
    actor's scope, the cameras need not.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        Case id (in scope, located).
    actor : Actor
        Whose scope holds the case; a camera outside it is named with its unit.
    radius_m : float
        Search radius in metres (clamped to 1 m … 2 km).
    limit : int
        Most cameras returned (clamped to 1–50); seeing cameras come first.

    Returns
    -------
    list of CameraView
        The online cameras seeing the case, nearest first; then the offline ones that would see
        it (never listed first: trial BB M3); then the nearest others (each with its distance;
        ``within_radius`` says whether it lies within ``radius_m``).

    Raises
    ------
    NotFound
        No such case in scope.
    InvalidInput
        The case has no location.
    """
    from layers import cases  # layers.cases leads to layers.catalog, which imports this module

    case = cases.get_case(session, case_id, actor=actor)
    if case.point is None:
        raise InvalidInput("该案件没有位置，无法查找周边摄像机")
    radius = min(max(float(radius_m), 1.0), 2000.0)
    limit = min(max(int(limit), 1), 50)
    rows = session.execute(_NEARBY, {"case_id": case_id, "radius": radius}).all()
    if not rows:
        return []
    lon, lat = session.execute(
        text("SELECT ST_X(point), ST_Y(point) FROM cases WHERE id = :id"), {"id": case_id}
    ).one()
    # Cameras whose view is known: only they get a cone and may see the case.
    views: dict[int, View] = {}
    for i, r in enumerate(rows):
        view = camera_view(
            r.azimuth_deg, r.fov_deg, direction_type=r.direction_type, ptz_type=r.ptz_type
        )
        if view is not None:
            views[i] = view
    known = list(views)
    rings: dict[int, list[list[float]]] = {}
    seeing: list[int] = []
    if known:
        lons = [float(rows[i].lon) for i in known]
        lats = [float(rows[i].lat) for i in known]
        cones = view_cones(
            lons,
            lats,
            [views[i].azimuth_deg for i in known],
            [views[i].fov_deg for i in known],
            [float(rows[i].range_m) for i in known],
        )
        for k, i in enumerate(known):
            rings[i] = np.asarray(cones[k].exterior.coords).round(7).tolist()
        hits = cameras_seeing(float(lon), float(lat), cones, camera_lons=lons, camera_lats=lats)
        seeing = [known[int(k)] for k in hits]
    seen = set(seeing)
    online = [i for i in seeing if rows[i].status == "online"]
    order = (
        online
        + [i for i in seeing if rows[i].status != "online"]
        + [i for i in range(len(rows)) if i not in seen]
    )
    out = []
    for i in order[:limit]:
        row, view = rows[i], views.get(i)
        out.append(
            CameraView(
                id=int(row.id),
                device_id=str(row.device_id),
                name=str(row.name),
                ptz_type=row.ptz_type,
                status=str(row.status),
                last_heartbeat=row.last_heartbeat,
                area_code=str(row.area_code),
                lon=round(float(row.lon), 7),
                lat=round(float(row.lat), 7),
                azimuth_deg=None if view is None else view.azimuth_deg,
                fov_deg=None if view is None else view.fov_deg,
                azimuth_source=None if view is None else view.source,
                range_m=float(row.range_m),
                distance_m=round(float(row.distance_m), 1),
                sees=i in seen,
                cone=rings.get(i, []),
                within_radius=bool(row.within_radius),
                other_unit=other_unit(
                    str(row.area_code),
                    actor.scope_code,
                    {"county_name": row.county_name, "township_name": row.township_name},
                    row.unit_name,
                ),
            )
        )
    return out
