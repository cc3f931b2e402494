"""Camera view cones: their polygons, what they cover, and which cameras see a point.

A view cone is the sector a camera watches: apex at the camera, centred on its azimuth
(degrees clockwise from north), ``fov`` degrees wide and ``range`` metres deep. A field of view
of 360° (PTZ dome cameras, 球机) gives a full circle. The arc vertices are computed on the GRS80
ellipsoid with :meth:`pyproj.Geod.fwd` (vectorised over all cameras at once), and the polygon is
the apex plus the arc in lon/lat (EPSG:4490). The arc is sampled at ``segments + 1`` points, so
the polygon is inscribed: its area is short of the true sector by the factor
``sin(x) / x`` with ``x = fov / segments`` in radians — 0.6 % for a full circle with 32
segments, 2.5 % with 16; 0.07 % for a 60° cone with 16.

Coverage shares are computed in metres in a Lambert azimuthal equal-area projection centred
on the data (GRS80), so area ratios are exact up to drawing polygon edges as straight lines.
The antimeridian is not handled (no use in China).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry import Polygon

from geo.checks import BoolArray, FloatArray, IntArray, coordinates, finite_values

__all__ = [
    "DEFAULT_MIN_SHARE",
    "cameras_seeing",
    "coverage_share",
    "uncovered",
    "view_cone",
    "view_cones",
]

#: A polygon counts as covered when at least this share of its area is inside some cone.
#: A typical fixed camera (60° field of view, 100 m range) watches about 5,200 m²: about 8 % of
#: a 250 m fishnet cell and 5 % of an H3 resolution-9 cell (about 0.105 km²). So 0.05 reads as
#: "at least about one camera's worth of view falls in the cell", and a cone that only clips a
#: corner does not count.
DEFAULT_MIN_SHARE = 0.05

_GEOD = pyproj.Geod(ellps="GRS80")

GeometryArray = npt.NDArray[np.object_]


def _broadcast(value: npt.ArrayLike, n: int, name: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    arr = finite_values(arr.ravel(), name)
    if arr.size != n:
        raise ValueError(f"lon and {name} have mismatched lengths: {n} and {arr.size}")
    return arr


def view_cones(
    lons: npt.ArrayLike,
    lats: npt.ArrayLike,
    azimuths: npt.ArrayLike,
    fovs: npt.ArrayLike,
    ranges: npt.ArrayLike,
    segments: int = 16,
) -> GeometryArray:
    """Return the view-cone polygons of many cameras at once.

    Parameters
    ----------
    lons, lats : array_like
        Camera positions in degrees.
    azimuths : array_like
        Viewing direction, degrees clockwise from north (any finite value, taken mod 360).
    fovs : array_like
        Horizontal field of view in degrees, in (0, 360]; 360 draws a circle.
    ranges : array_like
        Viewing distance in metres, positive.
    segments : int
        Number of straight segments along each arc (at least 3 for a circle, 1 for a cone).

    ``azimuths``, ``fovs`` and ``ranges`` may be scalars that apply to every camera.

    Returns
    -------
    numpy.ndarray
        Object array of :class:`shapely.Polygon`, one per camera, in lon/lat.

    Raises
    ------
    ValueError
        On empty input, NaN values, mismatched lengths, a field of view outside (0, 360], a
        non-positive range, or too few segments.

    Examples
    --------
    >>> cones = view_cones([116.0, 116.1], [39.0, 39.0], [0.0, 90.0], [60.0, 360.0], 100.0)
    >>> [len(c.exterior.coords) for c in cones]
    [19, 17]
    """
    x, y = coordinates(lons, lats)
    n = x.size
    az = np.mod(_broadcast(azimuths, n, "azimuths"), 360.0)
    fov = _broadcast(fovs, n, "fovs")
    rng = _broadcast(ranges, n, "ranges")
    bad_fov = (fov <= 0.0) | (fov > 360.0)
    if bad_fov.any():
        first = int(np.flatnonzero(bad_fov)[0])
        raise ValueError(
            f"fovs must be in (0, 360] degrees; {int(bad_fov.sum())} are not, "
            f"the first at position {first}: {fov[first]:g}"
        )
    bad_rng = rng <= 0.0
    if bad_rng.any():
        first = int(np.flatnonzero(bad_rng)[0])
        raise ValueError(
            f"ranges must be positive metres; {int(bad_rng.sum())} are not, "
            f"the first at position {first}: {rng[first]:g}"
        )
    segs = int(segments)
    circle = fov == 360.0
    if segs < 1 or (circle.any() and segs < 3):
        raise ValueError(f"segments must be at least 1 (3 for a 360° view), got {segments}")

    # Arc vertices for every camera: a cone samples segments + 1 points from az - fov/2 to
    # az + fov/2; a circle samples segments points (the ring closes itself).
    steps = np.arange(segs + 1, dtype=np.float64)
    start = np.where(circle, az, az - fov / 2.0)
    arc_az = start[:, None] + (steps / segs)[None, :] * fov[:, None]
    arc_lon, arc_lat, _ = _GEOD.fwd(
        np.repeat(x, segs + 1),
        np.repeat(y, segs + 1),
        arc_az.ravel(),
        np.repeat(rng, segs + 1),
    )
    arc = np.column_stack([arc_lon, arc_lat]).reshape(n, segs + 1, 2)

    # Rings of differing lengths, assembled as one flat coordinate array with ring indices:
    # cone = apex + (segments + 1) arc points; circle = segments arc points.
    apex = np.column_stack([x, y])[:, None, :]
    with_apex = np.concatenate([apex, arc], axis=1)  # (n, segs + 2, 2)
    take = np.where(circle[:, None], np.arange(segs + 2) >= 1, True)
    take &= np.where(circle[:, None], np.arange(segs + 2) <= segs, True)
    coords = with_apex[take]
    ring_index = np.repeat(np.arange(n), take.sum(axis=1))
    rings = shapely.linearrings(coords, indices=ring_index)
    return np.asarray(shapely.polygons(rings), dtype=object)


def view_cone(
    lon: float,
    lat: float,
    azimuth_deg: float,
    fov_deg: float,
    range_m: float,
    segments: int = 16,
) -> Polygon:
    """Return the view-cone polygon of one camera.

    Parameters
    ----------
    lon, lat : float
        Camera position in degrees.
    azimuth_deg : float
        Viewing direction, degrees clockwise from north.
    fov_deg : float
        Horizontal field of view in degrees, in (0, 360]; 360 draws a circle.
    range_m : float
        Viewing distance in metres, positive.
    segments : int
        Number of straight segments along the arc.

    Returns
    -------
    shapely.Polygon
        The cone in lon/lat.

    Raises
    ------
    ValueError
        As :func:`view_cones`.

    Examples
    --------
    >>> cone = view_cone(116.0, 39.0, 90.0, 10.0, 1000.0)
    >>> round(cone.centroid.x, 4) > 116.0, round(cone.centroid.y, 4)
    (True, 39.0)
    """
    cone: Polygon = view_cones([lon], [lat], [azimuth_deg], [fov_deg], [range_m], segments)[0]
    return cone


def _as_geometries(geoms: object, name: str) -> GeometryArray:
    arr = np.asarray(geoms, dtype=object).ravel()
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    ok = shapely.is_geometry(arr)
    if not np.all(ok):
        first = int(np.flatnonzero(~ok)[0])
        raise ValueError(f"{name} holds a non-geometry at position {first}: {arr[first]!r}")
    missing = shapely.is_empty(arr)
    if np.any(missing):
        first = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{name} holds an empty geometry at position {first}")
    return arr


def _equal_area(*groups: GeometryArray) -> list[GeometryArray]:
    """Project geometry arrays to a Lambert azimuthal equal-area projection centred on them."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.concatenate(groups))
    proj = pyproj.Proj(
        proj="laea", lat_0=(ymin + ymax) / 2.0, lon_0=(xmin + xmax) / 2.0, ellps="GRS80"
    )

    def forward(xy: FloatArray) -> FloatArray:
        x, y = proj(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return [np.asarray(shapely.transform(g, forward), dtype=object) for g in groups]


def coverage_share(polygons: object, cones: object) -> FloatArray:
    """Return the share of each polygon's area that lies inside the union of the cones.

    The cones touching a polygon are unioned once; the union's disjoint parts go into an STR
    tree, and each polygon is intersected only with the parts whose boxes it touches. Areas
    are in m² on a local equal-area projection.

    Parameters
    ----------
    polygons : array_like of shapely geometries
        Areas to assess (grid cells, hexagons, hot-spot zones), in lon/lat.
    cones : array_like of shapely geometries
        View cones in lon/lat, e.g. from :func:`view_cones`.

    Returns
    -------
    numpy.ndarray
        Share in [0, 1] per polygon (0 for a polygon without area).

    Raises
    ------
    ValueError
        On empty or non-geometry input.

    Examples
    --------
    >>> from shapely import box
    >>> cone = view_cone(116.0, 39.0, 0.0, 360.0, 500.0, segments=64)
    >>> coverage_share([box(115.999, 38.999, 116.001, 39.001), box(117, 39, 117.01, 39.01)],
    ...                [cone]).round(3).tolist()
    [1.0, 0.0]
    """
    polys = _as_geometries(polygons, "polygons")
    cone_arr = _as_geometries(cones, "cones")
    polys_m, cones_m = _equal_area(polys, cone_arr)
    # Only the cones touching a polygon are unioned: the union of a county's every camera was
    # a quarter of the offline map report's CPU for a few dozen hot cells (trial BC m1).
    touching = np.unique(shapely.STRtree(cones_m).query(polys_m, predicate="intersects")[1])
    parts = shapely.get_parts(shapely.union_all(cones_m[touching]))
    poly_area = shapely.area(polys_m)
    covered = np.zeros(polys.size, dtype=np.float64)
    if parts.size:
        tree = shapely.STRtree(parts)
        pi, pj = tree.query(polys_m, predicate="intersects")
        inter = shapely.area(shapely.intersection(polys_m[pi], parts[pj]))
        covered = np.bincount(pi, weights=inter, minlength=polys.size).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(poly_area > 0.0, covered / poly_area, 0.0)
    return np.asarray(np.clip(share, 0.0, 1.0), dtype=np.float64)


def uncovered(
    polygons_or_points: object, cones: object, min_share: float = DEFAULT_MIN_SHARE
) -> BoolArray:
    """Return a mask of the places no camera covers.

    Parameters
    ----------
    polygons_or_points : array_like of shapely geometries
        Hot-spot cells (polygons) or locations (points), in lon/lat. Polygons are uncovered
        when their :func:`coverage_share` is below ``min_share``; any other geometry (points,
        lines) is uncovered when it touches no cone.
    cones : array_like of shapely geometries
        View cones in lon/lat.
    min_share : float
        Smallest covered share for a polygon to count as covered, in (0, 1]; default
        :data:`DEFAULT_MIN_SHARE` (0.05).

    Returns
    -------
    numpy.ndarray
        ``True`` where nothing (or too little) is seen.

    Raises
    ------
    ValueError
        On empty or non-geometry input, or ``min_share`` outside (0, 1].

    Examples
    --------
    >>> from shapely import points
    >>> cone = view_cone(116.0, 39.0, 90.0, 60.0, 200.0)
    >>> uncovered(points([[116.001, 39.0], [115.999, 39.0]]), [cone]).tolist()
    [False, True]
    """
    if not 0.0 < min_share <= 1.0:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    geoms = _as_geometries(polygons_or_points, "polygons_or_points")
    cone_arr = _as_geometries(cones, "cones")
    areal = np.isin(shapely.get_type_id(geoms), [3, 6])  # Polygon, MultiPolygon
    result = np.ones(geoms.size, dtype=np.bool_)
    if areal.any():
        result[areal] = coverage_share(geoms[areal], cone_arr) < min_share
    if (~areal).any():
        others = np.flatnonzero(~areal)
        hit, _ = shapely.STRtree(cone_arr).query(geoms[others], predicate="intersects")
        result[others[np.unique(hit)]] = False
    return result


def cameras_seeing(
    lon: float,
    lat: float,
    cones: object,
    *,
    camera_lons: npt.ArrayLike | None = None,
    camera_lats: npt.ArrayLike | None = None,
) -> IntArray:
    """Return the indices of the cameras whose cone contains a point (boundary included).

    Parameters
    ----------
    lon, lat : float
        The point, e.g. a case location, in degrees.
    cones : array_like of shapely geometries
        View cones in lon/lat.
    camera_lons, camera_lats : array_like, optional
        Camera positions; when given, the result is ordered nearest camera first (geodesic
        distance, ties by index). Otherwise it is in index order.

    Returns
    -------
    numpy.ndarray
        ``int64`` indices into ``cones``.

    Raises
    ------
    ValueError
        On NaN coordinates, empty or non-geometry cones, or camera positions whose length
        differs from the cones'.

    Examples
    --------
    >>> cones = view_cones([116.0, 116.002, 116.0], [39.0, 39.0, 39.0], [90.0, 270.0, 0.0],
    ...                    60.0, 300.0)
    >>> cameras_seeing(116.0015, 39.0, cones).tolist()
    [0, 1]
    >>> cameras_seeing(116.0015, 39.0, cones, camera_lons=[116.0, 116.002, 116.0],
    ...                camera_lats=[39.0, 39.0, 39.0]).tolist()
    [1, 0]
    """
    px, py = coordinates([lon], [lat])
    cone_arr = _as_geometries(cones, "cones")
    hits = np.flatnonzero(shapely.intersects_xy(cone_arr, px[0], py[0])).astype(np.int64)
    if camera_lons is None and camera_lats is None:
        return hits
    if camera_lons is None or camera_lats is None:
        raise ValueError("give both camera_lons and camera_lats, or neither")
    cx, cy = coordinates(camera_lons, camera_lats, names=("camera_lons", "camera_lats"))
    if cx.size != cone_arr.size:
        raise ValueError(
            f"cones and camera_lons have mismatched lengths: {cone_arr.size} and {cx.size}"
        )
    if hits.size == 0:
        return hits
    _, _, dist = _GEOD.inv(cx[hits], cy[hits], np.full(hits.size, px[0]), np.full(hits.size, py[0]))
    order = np.lexsort((hits, np.asarray(dist, dtype=np.float64)))
    return hits[order]
