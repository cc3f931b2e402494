"""Where a case is, for the worker who goes there: its point, its grid's outline, navigation.

The case page draws a small map of the case (trial AO M7: a worker going to the place read only
「地址 —」 and 「103.002100, 24.502100」). :func:`case_place` gives the point as stored (CGCS2000,
which the platform takes as WGS84: the difference is below GPS accuracy), the same point in
GCJ-02 for 高德地图's navigation link (Chinese map apps read GCJ-02; the conversion is
:func:`geo.crs.wgs84_to_gcj02`, here on the server, never by hand in the page), the same point in
BD-09 for 百度地图's (:func:`geo.crs.wgs84_to_bd09`), and the outline of the case's grid as
GeoJSON when the case names a grid with a boundary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from layers import cases
from layers.model import Case

#: Decimal places of the outline's coordinates (about 0.1 m): enough for a map at street zoom.
OUTLINE_DIGITS = 6


@dataclass(frozen=True)
class CasePlace:
    """The location of a case as the case page's map and navigation use it.

    Attributes
    ----------
    lon, lat : float
        The stored point (CGCS2000 degrees).
    nav_lon, nav_lat : float
        The same point in GCJ-02 (高德地图 and other Chinese map apps), rounded to 6 places.
    bd_lon, bd_lat : float
        The same point in BD-09 (百度地图), rounded to 6 places.
    grid_outline : dict or None
        The GeoJSON geometry of the case's grid (CGCS2000), None when the case names no grid or
        the grid has no boundary.
    """

    lon: float
    lat: float
    nav_lon: float
    nav_lat: float
    bd_lon: float
    bd_lat: float
    grid_outline: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        """Return the place as the API gives it.

        Returns
        -------
        dict
            ``lon``, ``lat``, ``nav_lon``, ``nav_lat``, ``nav_crs`` (``"GCJ-02"``),
            ``bd_lon``, ``bd_lat`` (BD-09, for 百度地图) and ``grid_outline``.
        """
        return {
            "lon": self.lon,
            "lat": self.lat,
            "nav_lon": self.nav_lon,
            "nav_lat": self.nav_lat,
            "nav_crs": "GCJ-02",
            "bd_lon": self.bd_lon,
            "bd_lat": self.bd_lat,
            "grid_outline": self.grid_outline,
        }


_OUTLINE = text("SELECT ST_AsGeoJSON(boundary, :digits) FROM grids WHERE code = :grid")


def navigation_point(lon: float, lat: float) -> tuple[float, float]:
    """Return a stored point in GCJ-02 for a navigation link, rounded to 6 places (0.1 m).

    Parameters
    ----------
    lon, lat : float
        CGCS2000 (WGS84) degrees.

    Returns
    -------
    tuple of float
        GCJ-02 ``(lon, lat)``; unchanged outside China.

    Examples
    --------
    >>> navigation_point(121.5272106, 31.1774276)
    (121.531542, 31.175304)
    """
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    return round(gcj_lon, 6), round(gcj_lat, 6)


def baidu_point(lon: float, lat: float) -> tuple[float, float]:
    """Return a stored point in BD-09 for 百度地图's link, rounded to 6 places (0.1 m).

    Parameters
    ----------
    lon, lat : float
        CGCS2000 (WGS84) degrees.

    Returns
    -------
    tuple of float
        BD-09 ``(lon, lat)``.

    Examples
    --------
    >>> baidu_point(103.001971, 24.501940)
    (103.010171, 24.504781)
    """
    bd_lon, bd_lat = wgs84_to_bd09(lon, lat)
    return round(bd_lon, 6), round(bd_lat, 6)


def case_place(session: Session, case: Case) -> CasePlace | None:
    """Return where a case is: its point, the point for navigation and its grid's outline.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader (who may read the case).
    case : layers.model.Case
        The case.

    Returns
    -------
    CasePlace or None
        None for a case without a location.
    """
    location = cases.lonlat(case)
    if location is None:
        return None
    lon, lat = location
    outline: dict[str, Any] | None = None
    if case.grid_code is not None:
        found = session.execute(
            _OUTLINE, {"grid": case.grid_code, "digits": OUTLINE_DIGITS}
        ).scalar_one_or_none()
        outline = json.loads(found) if found else None
    nav_lon, nav_lat = navigation_point(lon, lat)
    bd_lon, bd_lat = baidu_point(lon, lat)
    return CasePlace(lon, lat, nav_lon, nav_lat, bd_lon, bd_lat, outline)
