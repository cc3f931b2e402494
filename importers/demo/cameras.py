"""Synthetic public-security video points (雪亮工程) of the demo county.

Cameras cluster where the cases do: the county seat and township seats, the markets and the roads,
with the rest spread over the grids. Device IDs follow GB/T 28181 with the county's 6-digit
code (centre code = county code + ``00``; industry ``00`` road, ``01`` community; type ``132``
IP camera or ``131`` camera; network ``0``; a 6-digit serial). About 8 % are offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from importers.demo.cases import Source, road_centres
from importers.demo.geometry import jitter_inside, random_points_in, settle
from importers.demo.territory import Territory
from layers.model import DirectionType, PositionType, PtzType, VideoStatus

OFFLINE_SHARE = 0.08
#: GB/T 28181 DirectionType by 45-degree sector of the azimuth, starting north, clockwise.
_DIRECTION_BY_SECTOR = tuple(
    int(DirectionType[way])
    for way in (
        "NORTH",
        "NORTH_EAST",
        "EAST",
        "SOUTH_EAST",
        "SOUTH",
        "SOUTH_WEST",
        "WEST",
        "NORTH_WEST",
    )
)
#: GB/T 28181 PositionType of each kind of place.
_POSITION = {
    "seat": int(PositionType.SQUARE),
    "market": int(PositionType.COMMERCIAL),
    "road": int(PositionType.ARTERIAL_ROAD),
    "grid": int(PositionType.COMPLEX_AREA),
}
_PLACE_NAMES = {"seat": "广场", "market": "集市", "road": "路口", "grid": "村口"}


@dataclass(frozen=True)
class CameraRecord:
    """One camera.

    Attributes
    ----------
    device_id : str
        GB/T 28181 20-digit ID.
    name : str
        Display name.
    ptz_type, position_type, direction_type : int
        Catalog fields.
    azimuth_deg, fov_deg, range_m : float
        View cone: direction (0 north, clockwise), opening angle and reach.
    status : str
        ``online`` or ``offline``.
    last_heartbeat : datetime
        Last keep-alive.
    point : tuple of float
        Lon/lat.
    area_code : str
        Village code.
    """

    device_id: str
    name: str
    ptz_type: int
    position_type: int
    direction_type: int
    azimuth_deg: float
    fov_deg: float
    range_m: float
    status: str
    last_heartbeat: datetime
    point: tuple[float, float]
    area_code: str


def direction_type(azimuth_deg: float) -> int:
    """Return the GB/T 28181 DirectionType (1-8) of an azimuth.

    Parameters
    ----------
    azimuth_deg : float
        Degrees from north, clockwise.

    Returns
    -------
    int
        1 east, 2 west, 3 south, 4 north, 5 south-east, 6 north-east, 7 south-west, 8 north-west.

    Examples
    --------
    >>> direction_type(0.0), direction_type(90.0), direction_type(225.0)
    (4, 1, 7)
    """
    sector = int(((azimuth_deg % 360.0) + 22.5) // 45.0) % 8
    return _DIRECTION_BY_SECTOR[sector]


def build_cameras(
    territory: Territory,
    sources: list[Source],
    count: int,
    now: datetime,
    rng: np.random.Generator,
) -> list[CameraRecord]:
    """Generate ``count`` cameras.

    Parameters
    ----------
    territory : Territory
        Units and grids.
    sources : list of Source
        The case sources (seats and markets are reused as camera sites).
    count : int
        Number of cameras.
    now : datetime
        Reference time for heartbeats.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    list of CameraRecord
        Cameras with unique device IDs.
    """
    by_name = {s.name: s for s in sources}
    county = territory.county
    kinds = rng.choice(["seat", "market", "road", "grid"], size=count, p=[0.35, 0.15, 0.25, 0.25])
    pts = np.zeros((count, 2))
    seats = np.concatenate([by_name["county_seat"].centres, by_name["town_seats"].centres])
    markets = by_name["markets"].centres
    for kind, sigma, centres in (("seat", 350.0, seats), ("market", 120.0, markets)):
        idx = np.flatnonzero(kinds == kind)
        if len(idx):
            c = centres[rng.integers(len(centres), size=len(idx))]
            pts[idx] = jitter_inside(c, sigma, county.boundary, rng)
    road = np.flatnonzero(kinds == "road")
    if len(road):
        pts[road] = jitter_inside(
            road_centres(territory, len(road), rng), 30.0, county.boundary, rng
        )
    grid_idx = np.flatnonzero(kinds == "grid")
    grids = territory.grids
    for i in grid_idx:
        pts[i] = random_points_in(grids[int(rng.integers(len(grids)))].boundary, 1, rng)[0]
    where, pts = settle(pts, [g.boundary for g in grids], rng)
    names = {u.code: u.name for u in territory.units}
    out: list[CameraRecord] = []
    for k in range(count):
        kind = str(kinds[k])
        ptz = int(rng.choice([1, 2, 3], p=[0.2, 0.15, 0.65]))
        if ptz == int(PtzType.DOME):
            fov, reach = 360.0, float(rng.uniform(60, 120))
        elif ptz == int(PtzType.HALF_DOME):
            fov, reach = float(rng.uniform(90, 110)), float(rng.uniform(15, 40))
        else:
            fov, reach = float(rng.uniform(40, 75)), float(rng.uniform(50, 150))
        azimuth = float(np.round(rng.uniform(0, 360), 1))
        offline = rng.random() < OFFLINE_SHARE
        heartbeat = now - (
            timedelta(hours=float(rng.uniform(2, 400)))
            if offline
            else timedelta(seconds=float(rng.uniform(5, 120)))
        )
        industry = "00" if kind == "road" else "01"
        type_code = "132" if rng.random() < 0.8 else "131"
        device_id = f"{county.code[:6]}00{industry}{type_code}0{k + 1:06d}"
        village = grids[int(where[k])].village_code
        out.append(
            CameraRecord(
                device_id=device_id,
                name=f"{names[village]}{_PLACE_NAMES[kind]}{k + 1}号点位",
                ptz_type=ptz,
                position_type=_POSITION[kind],
                direction_type=direction_type(azimuth),
                azimuth_deg=azimuth,
                fov_deg=fov,
                range_m=round(reach, 1),
                status=str(VideoStatus.OFFLINE if offline else VideoStatus.ONLINE),
                last_heartbeat=heartbeat,
                point=(float(pts[k, 0]), float(pts[k, 1])),
                area_code=village,
            )
        )
    return out
