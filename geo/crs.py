"""Coordinate conversions into the storage CRS, CGCS2000 lon/lat (EPSG:4490).

* GCJ-02 (the "Mars" coordinates of Chinese web maps) and BD-09 (Baidu) to and from WGS84, with
  iterative inverses accurate to well under a millimetre instead of the one-step approximations
  that are metres off;
* named source CRSs (``"wgs84"``, ``"cgcs2000"``, ``"gcj02"``, ``"bd09"``, ``"EPSG:NNNN"``) and
  :func:`to_cgcs2000` converting any of them;
* CGCS2000 3-degree Gauss-Krüger zones (EPSG:4513-4554) with zone detection from 8-digit
  eastings.

Array conventions: every conversion accepts scalars or array-likes of equal shape. Two scalars
give a ``(float, float)`` tuple; anything else gives a tuple of ``float64`` arrays of the input
shape. Coordinates must be finite and non-empty (a ``ValueError`` names the problem otherwise).
Points outside the rough China bounding box (lon 72.004-137.8347, lat 0.8293-55.8271, see
:func:`in_china`) pass through GCJ-02 and BD-09 conversions unchanged, as the published
algorithm does.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError

from geo.checks import coordinates

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Pair = tuple[FloatArray, FloatArray]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

#: Rough bounding box of China used by GCJ-02/BD-09: (min lon, min lat, max lon, max lat).
CHINA_BBOX = (72.004, 0.8293, 137.8347, 55.8271)

#: Iterative inverses stop once the forward image is within this many degrees of the target.
INVERSE_TOLERANCE_DEG = 1e-10
INVERSE_MAX_ITERATIONS = 30

#: CGCS2000 3-degree Gauss-Krüger zones with the zone number prefixed to the easting.
GK_ZONE_EPSG_FIRST, GK_ZONE_EPSG_LAST = 4513, 4533  # zones 25..45
GK_ZONE_FIRST, GK_ZONE_LAST = 25, 45
#: CGCS2000 3-degree Gauss-Krüger by central meridian (75E..135E), no zone prefix.
GK_CM_EPSG_FIRST, GK_CM_EPSG_LAST = 4534, 4554

CGCS2000_EPSG = 4490


# --------------------------------------------------------------------------- helpers


def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> BoolArray:
    """Return True where a point lies in the rough China bounding box.

    The box is lon 72.004-137.8347, lat 0.8293-55.8271 (inclusive), the test used by the
    GCJ-02 algorithm; it is deliberately coarse (it includes parts of neighbouring countries).
    NaN coordinates give False.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes of equal shape (scalars allowed).

    Returns
    -------
    numpy.ndarray of bool
        Same shape as the inputs (0-dimensional for two scalars).

    Raises
    ------
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> in_china([116.39, 2.35], [39.91, 48.86])
    array([ True, False])
    """
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"lon and lat have mismatched shapes: {x.shape} and {y.shape}")
    west, south, east, north = CHINA_BBOX
    inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    return np.asarray(inside, dtype=np.bool_)


def _apply(
    convert: Callable[[FloatArray, FloatArray], Pair], lon: npt.ArrayLike, lat: npt.ArrayLike
) -> tuple[float, float] | Pair:
    """Validate, convert 1-D, and return floats for scalars or arrays of the input shape."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    shape = np.shape(lon)
    x, y = coordinates(lon, lat)
    rx, ry = convert(x, y)
    if scalar:
        return float(rx[0]), float(ry[0])
    return rx.reshape(shape), ry.reshape(shape)


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> Pair:
    """GCJ-02 minus WGS84 in degrees at a WGS84 point (no bounding-box test)."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat += common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlon += common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _gcj_forward(lon: FloatArray, lat: FloatArray) -> Pair:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _bd_forward(lon: FloatArray, lat: FloatArray) -> Pair:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_approximate_inverse(lon: FloatArray, lat: FloatArray) -> Pair:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[FloatArray, FloatArray], Pair],
    lon: FloatArray,
    lat: FloatArray,
    guess_lon: FloatArray,
    guess_lat: FloatArray,
) -> Pair:
    """Solve ``forward(x, y) == (lon, lat)`` by fixed-point iteration from a guess.

    Both forward maps are the identity plus a slowly varying offset, so subtracting the residual
    converges geometrically (a few iterations to 1e-10 degrees).
    """
    x, y = guess_lon.copy(), guess_lat.copy()
    for _ in range(INVERSE_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x -= ex
        y -= ey
        if max(float(np.max(np.abs(ex))), float(np.max(np.abs(ey)))) < INVERSE_TOLERANCE_DEG:
            break
    return x, y


def _inside_only(
    convert: Callable[[FloatArray, FloatArray], Pair],
) -> Callable[[FloatArray, FloatArray], Pair]:
    """Apply ``convert`` to points inside the China box; pass the others through."""

    def masked(lon: FloatArray, lat: FloatArray) -> Pair:
        inside = in_china(lon, lat)
        out_lon, out_lat = lon.copy(), lat.copy()
        if inside.any():
            out_lon[inside], out_lat[inside] = convert(lon[inside], lat[inside])
        return out_lon, out_lat

    return masked


def _gcj_inverse(lon: FloatArray, lat: FloatArray) -> Pair:
    dlon, dlat = _gcj_offset(lon, lat)
    return _invert(_gcj_forward, lon, lat, lon - dlon, lat - dlat)


def _bd_inverse(lon: FloatArray, lat: FloatArray) -> Pair:
    return _invert(_bd_forward, lon, lat, *_bd_approximate_inverse(lon, lat))


_wgs_to_gcj = _inside_only(_gcj_forward)
_gcj_to_wgs = _inside_only(_gcj_inverse)
_gcj_to_bd = _inside_only(_bd_forward)
_bd_to_gcj = _inside_only(_bd_inverse)


def _wgs_to_bd(lon: FloatArray, lat: FloatArray) -> Pair:
    return _inside_only(lambda x, y: _bd_forward(*_gcj_forward(x, y)))(lon, lat)


def _bd_to_wgs(lon: FloatArray, lat: FloatArray) -> Pair:
    return _inside_only(lambda x, y: _gcj_inverse(*_bd_inverse(x, y)))(lon, lat)


# --------------------------------------------------------------------------- GCJ-02 / BD-09


@overload
def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair: ...
def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float, float] | Pair:
    """Convert WGS84 lon/lat to GCJ-02.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 (or CGCS2000) degrees.

    Returns
    -------
    tuple
        GCJ-02 ``(lon, lat)``: floats for scalar input, arrays of the input shape otherwise.

    Raises
    ------
    ValueError
        On empty input, non-finite values or mismatched shapes.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(121.5272106, 31.1774276)
    >>> round(lon, 6), round(lat, 6)
    (121.531542, 31.175304)
    >>> wgs84_to_gcj02(2.35, 48.86)  # outside China: unchanged
    (2.35, 48.86)
    """
    return _apply(_wgs_to_gcj, lon, lat)


@overload
def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair: ...
def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float, float] | Pair:
    """Convert GCJ-02 lon/lat to WGS84 by iterating the forward formula.

    Iterates until the forward image is within ``INVERSE_TOLERANCE_DEG`` (1e-10 degrees, about
    0.01 mm) of the input or ``INVERSE_MAX_ITERATIONS`` is reached.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 degrees.

    Returns
    -------
    tuple
        WGS84 ``(lon, lat)``: floats for scalar input, arrays of the input shape otherwise.

    Raises
    ------
    ValueError
        On empty input, non-finite values or mismatched shapes.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(121.531541859215, 31.17530398364597)
    >>> round(lon, 7), round(lat, 7)
    (121.5272106, 31.1774276)
    """
    return _apply(_gcj_to_wgs, lon, lat)


@overload
def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair: ...
def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float, float] | Pair:
    """Convert GCJ-02 lon/lat to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 degrees.

    Returns
    -------
    tuple
        BD-09 ``(lon, lat)``: floats for scalar input, arrays of the input shape otherwise.

    Raises
    ------
    ValueError
        On empty input, non-finite values or mismatched shapes.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(123.0, 45.0)
    >>> round(lon, 6), round(lat, 6)
    (123.006365, 45.006369)
    """
    return _apply(_gcj_to_bd, lon, lat)


@overload
def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair: ...
def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float, float] | Pair:
    """Convert BD-09 lon/lat to GCJ-02 by iterating the forward formula.

    Starts from the usual one-step approximation and iterates to 1e-10 degrees.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 degrees.

    Returns
    -------
    tuple
        GCJ-02 ``(lon, lat)``: floats for scalar input, arrays of the input shape otherwise.

    Raises
    ------
    ValueError
        On empty input, non-finite values or mismatched shapes.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(*gcj02_to_bd09(116.4, 39.9))
    >>> abs(lon - 116.4) < 1e-9 and abs(lat - 39.9) < 1e-9
    True
    """
    return _apply(_bd_to_gcj, lon, lat)


@overload
def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair: ...
def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float, float] | Pair:
    """Convert WGS84 lon/lat to BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 (or CGCS2000) degrees.

    Returns
    -------
    tuple
        BD-09 ``(lon, lat)``: floats for scalar input, arrays of the input shape otherwise.

    Raises
    ------
    ValueError
        On empty input, non-finite values or mismatched shapes.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09(123.0, 45.0)
    >>> round(lon, 5), round(lat, 5)
    (123.01245, 45.00833)
    """
    return _apply(_wgs_to_bd, lon, lat)


@overload
def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair: ...
def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float, float] | Pair:
    """Convert BD-09 lon/lat to WGS84 (iterative inverses of both steps).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 degrees.

    Returns
    -------
    tuple
        WGS84 ``(lon, lat)``: floats for scalar input, arrays of the input shape otherwise.

    Raises
    ------
    ValueError
        On empty input, non-finite values or mismatched shapes.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84([120.019809], [29.199786])
    >>> lon.round(5), lat.round(5)
    (array([120.00874]), array([29.19622]))
    """
    return _apply(_bd_to_wgs, lon, lat)


# --------------------------------------------------------------------------- source CRS names

CrsKind = Literal["cgcs2000", "wgs84", "gcj02", "bd09", "epsg"]

_NAMED: dict[str, CrsKind] = {
    "wgs84": "wgs84",
    "crs84": "wgs84",
    "ogc:crs84": "wgs84",
    "epsg:4326": "wgs84",
    "cgcs2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
    "gcj02": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
}
_EPSG_NAME = re.compile(r"epsg:(\d{4,6})")


@dataclass(frozen=True)
class SourceCrs:
    """The coordinate reference system of incoming coordinates.

    Attributes
    ----------
    kind : {'cgcs2000', 'wgs84', 'gcj02', 'bd09', 'epsg'}
        The family; ``'epsg'`` means any other EPSG code, converted with pyproj.
    epsg : int or None
        The EPSG code when ``kind == 'epsg'``.

    Examples
    --------
    >>> SourceCrs.parse("GCJ-02").name, SourceCrs.parse("epsg:4522").name
    ('gcj02', 'EPSG:4522')
    """

    kind: CrsKind
    epsg: int | None = None

    @classmethod
    def parse(cls, name: str | SourceCrs) -> SourceCrs:
        """Parse a CRS name, case-insensitively.

        Accepted: ``wgs84`` (also ``crs84``, ``EPSG:4326``), ``cgcs2000`` (``EPSG:4490``),
        ``gcj02``, ``bd09`` (hyphens, underscores and spaces are ignored, so ``GCJ-02`` works),
        and ``EPSG:NNNN`` for any geographic or projected 2-D CRS pyproj knows.

        Parameters
        ----------
        name : str or SourceCrs
            The name; a ``SourceCrs`` is returned as is.

        Returns
        -------
        SourceCrs
            The parsed CRS.

        Raises
        ------
        ValueError
            If the name is not recognised, the EPSG code is unknown, or it is not a 2-D
            geographic or projected CRS.
        """
        if isinstance(name, SourceCrs):
            return name
        if not isinstance(name, str):
            raise ValueError(f"source CRS must be a name such as 'gcj02', got {name!r}")
        key = re.sub(r"[\s_-]", "", name).lower()
        if key in _NAMED:
            return cls(_NAMED[key])
        match = _EPSG_NAME.fullmatch(key)
        if match is None:
            raise ValueError(
                f"unknown source CRS {name!r}: expected wgs84, cgcs2000, gcj02, bd09 or EPSG:NNNN"
            )
        code = int(match.group(1))
        try:
            crs = CRS.from_epsg(code)
        except CRSError:
            raise ValueError(f"unknown source CRS {name!r}: EPSG:{code} does not exist") from None
        if not (crs.is_geographic or crs.is_projected) or len(crs.axis_info) != 2:
            raise ValueError(
                f"unsupported source CRS {name!r}: EPSG:{code} ({crs.name}) is not a 2-D "
                "geographic or projected CRS"
            )
        return cls("epsg", code)

    @property
    def name(self) -> str:
        """Canonical name to record with imported rows, e.g. ``gcj02`` or ``EPSG:4522``."""
        return f"EPSG:{self.epsg}" if self.kind == "epsg" else self.kind

    def __str__(self) -> str:
        return self.name


@functools.lru_cache(maxsize=64)
def _transformer_to_cgcs2000(epsg: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{epsg}", f"EPSG:{CGCS2000_EPSG}", always_xy=True)


def _project(epsg: int, x: FloatArray, y: FloatArray) -> Pair:
    lon, lat = _transformer_to_cgcs2000(epsg).transform(x, y)
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{int(bad.sum())} point(s) could not be converted from EPSG:{epsg} to CGCS2000, "
            f"the first at position {first}: ({x[first]!r}, {y[first]!r})"
        )
    return lon, lat


@overload
def to_cgcs2000(x: float, y: float, source: str | SourceCrs) -> tuple[float, float]: ...
@overload
def to_cgcs2000(x: npt.ArrayLike, y: npt.ArrayLike, source: str | SourceCrs) -> Pair: ...
def to_cgcs2000(
    x: npt.ArrayLike, y: npt.ArrayLike, source: str | SourceCrs
) -> tuple[float, float] | Pair:
    """Convert coordinates in any supported source CRS to CGCS2000 lon/lat (EPSG:4490).

    WGS84 and CGCS2000 differ by a few centimetres at most (their ellipsoids differ by 0.1 mm
    and the frames are both ITRF-aligned), far below the accuracy of the data this platform
    imports, so WGS84 coordinates are taken as CGCS2000 unchanged. GCJ-02 and BD-09 go through
    the iterative inverses; other EPSG codes through a cached pyproj ``Transformer``
    (``always_xy=True``: x is easting or longitude, y northing or latitude). CGCS2000
    Gauss-Krüger codes (EPSG:4513-4554) are checked as in :func:`gauss_kruger_to_cgcs2000`.

    Parameters
    ----------
    x, y : float or array_like
        Longitude/latitude, or easting/northing for a projected CRS.
    source : str or SourceCrs
        The source CRS, e.g. ``"gcj02"`` or ``"EPSG:4522"``.

    Returns
    -------
    tuple
        ``(lon, lat)`` in CGCS2000: floats for scalar input, arrays of the input shape otherwise.

    Raises
    ------
    ValueError
        On an unknown CRS name, bad coordinates, or points pyproj cannot convert.

    Examples
    --------
    >>> to_cgcs2000(102.9, 24.2, "wgs84")
    (102.9, 24.2)
    >>> lon, lat = to_cgcs2000(34591437.028, 2677734.987, "EPSG:4522")
    >>> round(lon, 6), round(lat, 6)
    (102.9, 24.2)
    """
    crs = SourceCrs.parse(source)
    if crs.kind in ("wgs84", "cgcs2000"):
        return _apply(lambda a, b: (a.copy(), b.copy()), x, y)
    if crs.kind == "gcj02":
        return _apply(_gcj_to_wgs, x, y)
    if crs.kind == "bd09":
        return _apply(_bd_to_wgs, x, y)
    epsg = crs.epsg
    assert epsg is not None
    if GK_ZONE_EPSG_FIRST <= epsg <= GK_CM_EPSG_LAST:
        return gauss_kruger_to_cgcs2000(x, y, epsg)
    return _apply(functools.partial(_project, epsg), x, y)


# --------------------------------------------------------------------------- Gauss-Krüger


def _zone_problem(easting: float) -> str | None:
    """Why an easting cannot carry a CGCS2000 3-degree zone prefix, or None if it can."""
    if not math.isfinite(easting) or easting <= 0:
        return f"easting {easting!r} must be a positive number"
    digits = len(str(int(easting)))
    if digits != 8:
        return (
            f"easting {easting!r} has {digits} integer digits; an easting that carries its "
            "3-degree zone has 8, the zone number being the first two"
        )
    zone = int(easting // 1_000_000)
    if not GK_ZONE_FIRST <= zone <= GK_ZONE_LAST:
        return (
            f"easting {easting!r} carries zone {zone}, but the CGCS2000 3-degree zones "
            f"are {GK_ZONE_FIRST}-{GK_ZONE_LAST} (EPSG:{GK_ZONE_EPSG_FIRST}-{GK_ZONE_EPSG_LAST})"
        )
    return None


_CGCS2000_ELLIPSOID = Geod(ellps="GRS80")
"""CGCS2000's ellipsoid (GRS80's, to a tenth of a millimetre)."""


def geodesic_metres(
    lon: npt.ArrayLike, lat: npt.ArrayLike, to_lon: npt.ArrayLike, to_lat: npt.ArrayLike
) -> FloatArray:
    """Return the geodesic distances in metres between CGCS2000 points, pair by pair.

    Parameters
    ----------
    lon, lat, to_lon, to_lat : array_like
        Degrees; the four of one length.

    Returns
    -------
    numpy.ndarray
        Metres.

    Examples
    --------
    >>> geodesic_metres([102.9], [24.2], [102.9], [24.201]).round(1)
    array([110.8])
    """
    _, _, metres = _CGCS2000_ELLIPSOID.inv(
        np.asarray(lon, dtype=float),
        np.asarray(lat, dtype=float),
        np.asarray(to_lon, dtype=float),
        np.asarray(to_lat, dtype=float),
    )
    return np.asarray(metres, dtype=float)


def gauss_kruger_zones(west: float, east: float) -> list[tuple[int, int]]:
    """Return the CGCS2000 3-degree Gauss-Krüger zones without prefix that cover a span.

    A surveyor's file whose eastings lack the zone prefix (6 digits, 500 000 m at the central
    meridian) is in the zone of the place it maps: the zones of the database's jurisdictions
    are the ``--crs`` to suggest.

    Parameters
    ----------
    west, east : float
        Longitudes (degrees) of the span.

    Returns
    -------
    list of (int, int)
        Central meridian (degrees east) and EPSG code (4534 for 75°E … 4554 for 135°E), from
        west to east.

    Examples
    --------
    >>> gauss_kruger_zones(100.0, 100.4), gauss_kruger_zones(102.5, 103.7)
    ([(99, 4542)], [(102, 4543), (105, 4544)])
    """
    first = max(75, 3 * round(west / 3))
    last = min(135, 3 * round(east / 3))
    return [(meridian, 4534 + (meridian - 75) // 3) for meridian in range(first, last + 1, 3)]


def gauss_kruger_epsg(easting: float) -> int:
    """Return the CGCS2000 3-degree Gauss-Krüger EPSG code an 8-digit easting belongs to.

    An 8-digit easting carries the zone number in its first two digits (e.g. 34 591 437 m is
    zone 34, central meridian 102°E); zones 25-45 are EPSG:4513-4533.

    Parameters
    ----------
    easting : float
        Easting in metres including the zone prefix.

    Returns
    -------
    int
        EPSG code 4513-4533.

    Raises
    ------
    ValueError
        If the easting is not 8 digits or its zone is outside 25-45; the message says which.

    Examples
    --------
    >>> gauss_kruger_epsg(34591437.03)
    4522
    >>> gauss_kruger_epsg(591437.03)
    Traceback (most recent call last):
    ...
    ValueError: easting 591437.03 has 6 integer digits; an easting that carries its 3-degree
    zone has 8, the zone number being the first two
    """
    value = float(easting)
    problem = _zone_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return GK_ZONE_EPSG_FIRST + int(value // 1_000_000) - GK_ZONE_FIRST


def looks_like_gauss_kruger(x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Tell coordinates that are CGCS2000 Gauss-Krüger metres in China rather than degrees.

    Zone prefixes 13–23 (6-degree zones) and 25–45 (3-degree zones) are allowed, as is none.

    Parameters
    ----------
    x, y : array_like
        Easting and northing as read (NaN allowed).

    Returns
    -------
    numpy.ndarray of bool
        True where the northing is 1,500–6,000 km (China lies between 17°N and 54°N) and the
        easting is 100–900 km, with or without a zone prefix.

    Examples
    --------
    >>> looks_like_gauss_kruger([512_345.6, 34_512_345.6, 102.9], [2_680_000.0, 2_680_000.0, 24.2])
    array([ True,  True, False])
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    metres = np.mod(xs, 1_000_000)
    zone = np.floor_divide(xs, 1_000_000)
    zoned = (zone == 0) | ((zone >= 13) & (zone <= 23)) | ((zone >= 25) & (zone <= 45))
    with np.errstate(invalid="ignore"):
        near = (metres >= 100_000) & (metres <= 900_000) & (ys >= 1.5e6) & (ys <= 6e6)
    return np.asarray(zoned & near, dtype=bool)


def _first_bad(x: FloatArray, bad: npt.NDArray[np.bool_], y: FloatArray, reason: str) -> str:
    first = int(np.flatnonzero(bad)[0])
    message = f"{int(bad.sum())} of {x.size} eastings {reason}; the first, at position {first}: "
    problem = _zone_problem(float(x[first]))
    message += problem if problem is not None else f"easting {float(x[first])!r}"
    if _zone_problem(float(y[first])) is None:
        message += " (the northing looks like a zone-prefixed easting: are x and y swapped?)"
    return message


def _gauss_kruger(x: FloatArray, y: FloatArray, epsg: int | None) -> Pair:
    zone = np.floor(x / 1_000_000).astype(np.int64)
    prefixed = (x >= 10_000_000) & (x < 100_000_000)
    if epsg is None:
        bad = ~prefixed | (zone < GK_ZONE_FIRST) | (zone > GK_ZONE_LAST)
        if bad.any():
            raise ValueError(
                _first_bad(x, bad, y, "carry no CGCS2000 3-degree zone (25-45)")
                + "; pass epsg explicitly for eastings without a zone prefix (EPSG:4534-4554)"
            )
        lon = np.empty_like(x)
        lat = np.empty_like(y)
        for z in np.unique(zone):
            sel = zone == z
            lon[sel], lat[sel] = _project(
                GK_ZONE_EPSG_FIRST + int(z) - GK_ZONE_FIRST, x[sel], y[sel]
            )
        return lon, lat
    if GK_ZONE_EPSG_FIRST <= epsg <= GK_ZONE_EPSG_LAST:
        expected = epsg - GK_ZONE_EPSG_FIRST + GK_ZONE_FIRST
        bad = ~prefixed | (zone != expected)
        if bad.any():
            raise ValueError(
                _first_bad(x, bad, y, f"do not carry zone {expected} that EPSG:{epsg} expects")
            )
    elif GK_CM_EPSG_FIRST <= epsg <= GK_CM_EPSG_LAST:
        bad = (x <= 0) | (x >= 1_000_000)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{int(bad.sum())} of {x.size} eastings are outside 0-1,000,000 m, which "
                f"EPSG:{epsg} (no zone prefix) expects; the first, at position {first}, is "
                f"{float(x[first])!r} (for zone-prefixed eastings use EPSG:4513-4533 or "
                "epsg=None)"
            )
    else:
        raise ValueError(
            f"EPSG:{epsg} is not a CGCS2000 3-degree Gauss-Krüger code "
            f"({GK_ZONE_EPSG_FIRST}-{GK_CM_EPSG_LAST}); use to_cgcs2000 for other projections"
        )
    return _project(epsg, x, y)


@overload
def gauss_kruger_to_cgcs2000(
    x: float, y: float, epsg: int | None = None
) -> tuple[float, float]: ...
@overload
def gauss_kruger_to_cgcs2000(
    x: npt.ArrayLike, y: npt.ArrayLike, epsg: int | None = None
) -> Pair: ...
def gauss_kruger_to_cgcs2000(
    x: npt.ArrayLike, y: npt.ArrayLike, epsg: int | None = None
) -> tuple[float, float] | Pair:
    """Convert CGCS2000 3-degree Gauss-Krüger coordinates to CGCS2000 lon/lat.

    Parameters
    ----------
    x, y : float or array_like
        Easting and northing in metres (x is the easting, whatever Chinese surveying calls it).
    epsg : int, optional
        4513-4533 (zones 25-45, zone-prefixed eastings) or 4534-4554 (central meridians
        75°E-135°E, eastings without prefix). When omitted, each point's zone is read from its
        8-digit easting, so one call can mix zones.

    Returns
    -------
    tuple
        ``(lon, lat)``: floats for scalar input, arrays of the input shape otherwise.

    Raises
    ------
    ValueError
        If the EPSG code is not a CGCS2000 3-degree code, or an easting does not match it (or,
        without ``epsg``, carries no valid zone); the message names the first offending value.

    Examples
    --------
    >>> lon, lat = gauss_kruger_to_cgcs2000(34591437.028, 2677734.987)
    >>> round(lon, 6), round(lat, 6)
    (102.9, 24.2)
    """
    return _apply(lambda a, b: _gauss_kruger(a, b, epsg), x, y)


#: GRS80 / CGCS2000 semi-major axis in metres.
GRS80_A = 6378137.0
#: GRS80 first eccentricity squared (CGCS2000 differs in the 12th digit).
GRS80_E2 = 0.00669438002290


@overload
def metres_per_degree(lat: float) -> tuple[float, float]: ...


@overload
def metres_per_degree(lat: FloatArray) -> tuple[FloatArray, FloatArray]: ...


def metres_per_degree(lat: float | FloatArray) -> tuple[Any, Any]:
    """Return metres per degree of longitude and of latitude on GRS80 at a latitude.

    Parameters
    ----------
    lat : float or numpy.ndarray
        Latitude(s) in degrees.

    Returns
    -------
    tuple
        ``(metres per degree east, metres per degree north)``: floats for a float, arrays for
        an array.

    Examples
    --------
    >>> mx, my = metres_per_degree(0.0)
    >>> round(mx), round(my)
    (111319, 110574)
    """
    phi = np.radians(lat)
    w = np.sqrt(1.0 - GRS80_E2 * np.sin(phi) ** 2)
    east = math.radians(1.0) * GRS80_A / w * np.cos(phi)
    north = math.radians(1.0) * GRS80_A * (1.0 - GRS80_E2) / w**3
    if np.ndim(lat) == 0:
        return float(east), float(north)
    return east, north
