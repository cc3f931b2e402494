"""Derived boundaries for the demo: split a real polygon into ``n`` compact parts.

The parts are the Voronoi cells of ``n`` seeds intersected with the polygon. The seeds are the
k-means centres of uniform random points inside the polygon (a centroidal Voronoi tessellation),
so the parts have roughly equal areas, or areas roughly proportional to ``weights``. Because every
part is an intersection with the polygon, every part lies inside it by construction, and the
parts tile it without overlap. Pieces a Voronoi cell leaves behind in a concave polygon are merged
into the neighbour sharing the longest edge, so each part is one polygon where possible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from scipy.cluster.vq import kmeans2
from shapely.geometry import LineString, MultiLineString, MultiPoint, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]


def random_points_in(
    polygon: BaseGeometry, n: int, rng: np.random.Generator, *, oversample: float = 1.6
) -> FloatArray:
    """Return ``n`` uniform random points inside ``polygon`` (rejection sampling).

    Parameters
    ----------
    polygon : shapely geometry
        Polygon or MultiPolygon (lon/lat).
    n : int
        How many points.
    rng : numpy.random.Generator
        Source of randomness.
    oversample : float
        Candidates drawn per round, as a multiple of the points still needed.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` lon/lat.

    Raises
    ------
    ValueError
        If the polygon is empty or ``n`` is negative.

    Examples
    --------
    >>> from shapely import box
    >>> pts = random_points_in(box(0, 0, 1, 1), 5, np.random.default_rng(0))
    >>> pts.shape, bool(((pts >= 0) & (pts <= 1)).all())
    ((5, 2), True)
    """
    if polygon.is_empty:
        raise ValueError("cannot sample points in an empty polygon")
    if n < 0:
        raise ValueError(f"number of points must be >= 0, got {n}")
    minx, miny, maxx, maxy = polygon.bounds
    ratio = max(polygon.area / max((maxx - minx) * (maxy - miny), 1e-30), 1e-3)
    shapely.prepare(polygon)
    found: list[FloatArray] = []
    have = 0
    while have < n:
        k = int(math.ceil((n - have) / ratio * oversample)) + 8
        xs = rng.uniform(minx, maxx, k)
        ys = rng.uniform(miny, maxy, k)
        inside = shapely.contains_xy(polygon, xs, ys)
        pts = np.column_stack([xs[inside], ys[inside]])
        found.append(pts)
        have += len(pts)
    return np.concatenate(found)[:n] if found else np.zeros((0, 2))


def _largest_polygon(geom: BaseGeometry) -> Polygon | None:
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and not g.is_empty]
    return max(parts, key=lambda g: g.area) if parts else None


def _merge_fragments(parts: list[BaseGeometry]) -> list[BaseGeometry]:
    """Move stray pieces of multi-part cells to the neighbour sharing the longest edge."""
    cells: list[BaseGeometry] = list(parts)
    for i in range(len(cells)):
        pieces = [
            g for g in shapely.get_parts(cells[i]) if isinstance(g, Polygon) and not g.is_empty
        ]
        if len(pieces) <= 1:
            continue
        pieces.sort(key=lambda g: -g.area)
        cells[i] = pieces[0]
        for piece in pieces[1:]:
            best, best_len = -1, 0.0
            for j, other in enumerate(cells):
                if j == i or other.is_empty:
                    continue
                shared = piece.boundary.intersection(other.boundary).length
                if shared > best_len:
                    best, best_len = j, shared
            if best < 0:
                cells[i] = shapely.union(cells[i], piece)
            else:
                cells[best] = shapely.union(cells[best], piece)
    return cells


def subdivide(
    polygon: BaseGeometry,
    n: int,
    rng: np.random.Generator,
    *,
    weights: FloatArray | None = None,
    samples_per_part: int = 60,
) -> list[BaseGeometry]:
    """Split ``polygon`` into ``n`` parts inside it, with roughly equal (or weighted) areas.

    Parameters
    ----------
    polygon : shapely geometry
        Polygon or MultiPolygon, lon/lat.
    n : int
        Number of parts (>= 1).
    rng : numpy.random.Generator
        Source of randomness (fixed seed: same parts).
    weights : numpy.ndarray, optional
        Relative target areas (length ``n``); the seeds are placed by weighted k-means, which
        makes the areas only roughly proportional.
    samples_per_part : int
        Random points per part fed to k-means.

    Returns
    -------
    list of shapely geometry
        ``n`` Polygons (MultiPolygon only where a piece could not be merged), ordered from
        north-west to south-east by their seed, every one covered by ``polygon``.

    Raises
    ------
    ValueError
        If ``n`` < 1, the polygon is empty, or ``weights`` has the wrong length.

    Examples
    --------
    >>> from shapely import box
    >>> parts = subdivide(box(0, 0, 2, 1), 4, np.random.default_rng(1))
    >>> len(parts), round(sum(p.area for p in parts), 9)
    (4, 2.0)
    """
    if n < 1:
        raise ValueError(f"number of parts must be >= 1, got {n}")
    if polygon.is_empty:
        raise ValueError("cannot subdivide an empty polygon")
    if weights is not None and len(weights) != n:
        raise ValueError(f"weights has {len(weights)} values for {n} parts")
    if n == 1:
        return [polygon]
    pts = random_points_in(polygon, max(n * samples_per_part, 200), rng)
    lat0 = math.radians(float(np.mean(pts[:, 1])))
    scale = np.array([math.cos(lat0), 1.0])
    scaled = pts * scale
    init = scaled[rng.choice(len(scaled), n, replace=False)]
    centres, _ = kmeans2(scaled, init, minit="matrix", iter=25, seed=rng)
    if weights is not None:
        centres = _weighted_seeds(scaled, centres, np.asarray(weights, dtype=np.float64))
    seeds = centres / scale
    order = np.lexsort((seeds[:, 0], -np.round(seeds[:, 1], 3)))
    seeds = seeds[order]
    minx, miny, maxx, maxy = polygon.bounds
    pad = max(maxx - minx, maxy - miny)
    envelope = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    cells = shapely.voronoi_polygons(MultiPoint([tuple(s) for s in seeds]), extend_to=envelope)
    cell_list = list(shapely.get_parts(cells))
    # voronoi_polygons does not keep the input order: match cells to seeds.
    ordered: list[BaseGeometry] = []
    for s in seeds:
        hit = [c for c in cell_list if c.contains(shapely.Point(s[0], s[1]))]
        ordered.append(hit[0] if hit else shapely.Polygon())
    parts = [shapely.intersection(c, polygon) for c in ordered]
    parts = _merge_fragments(parts)
    return [_clean(p) for p in parts]


def _weighted_seeds(points: FloatArray, centres: FloatArray, weights: FloatArray) -> FloatArray:
    """Move seeds so that cell populations follow ``weights`` (power-diagram style iteration)."""
    target = weights / weights.sum() * len(points)
    offset = np.zeros(len(centres))
    for _ in range(40):
        d2 = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2) - offset[None, :]
        label = np.argmin(d2, axis=1)
        counts = np.bincount(label, minlength=len(centres)).astype(np.float64)
        spread = float(np.median(d2.min(axis=1) + offset[label])) + 1e-18
        offset += 0.3 * spread * (target - counts) / np.maximum(target, 1.0)
        for k in range(len(centres)):
            members = points[label == k]
            if len(members):
                centres[k] = members.mean(axis=0)
    return centres


def _clean(geom: BaseGeometry) -> BaseGeometry:
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    polys = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon)]
    if len(polys) == 1:
        return polys[0]
    return MultiPolygon(polys)


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """Return ``geom`` as a MultiPolygon (a Polygon becomes a one-part MultiPolygon).

    Parameters
    ----------
    geom : shapely geometry
        Polygon or MultiPolygon.

    Returns
    -------
    shapely.MultiPolygon
        The same area.

    Examples
    --------
    >>> from shapely import box
    >>> as_multipolygon(box(0, 0, 1, 1)).geom_type
    'MultiPolygon'
    """
    if isinstance(geom, MultiPolygon):
        return geom
    polys = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon)]
    return MultiPolygon(polys)


def as_polygon(geom: BaseGeometry) -> Polygon:
    """Return ``geom`` as one Polygon (its largest part if it has several).

    Parameters
    ----------
    geom : shapely geometry
        Polygon or MultiPolygon.

    Returns
    -------
    shapely.Polygon
        The polygon.

    Raises
    ------
    ValueError
        If ``geom`` has no polygon part.

    Examples
    --------
    >>> from shapely import box
    >>> as_polygon(box(0, 0, 1, 1)).geom_type
    'Polygon'
    """
    if isinstance(geom, Polygon):
        return geom
    largest = _largest_polygon(geom)
    if largest is None:
        raise ValueError(f"no polygon in {geom.geom_type}")
    return largest


def locate(points: FloatArray, polygons: list[Polygon]) -> npt.NDArray[np.int64]:
    """Return, for each point, the index of the polygon containing it (else the nearest one).

    Parameters
    ----------
    points : numpy.ndarray
        ``(n, 2)`` lon/lat.
    polygons : list of shapely.Polygon
        Candidate polygons (e.g. the grids).

    Returns
    -------
    numpy.ndarray of int
        Polygon index per point.

    Examples
    --------
    >>> from shapely import box
    >>> locate(np.array([[0.5, 0.5], [1.5, 0.5], [9.0, 0.5]]), [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    array([0, 1, 1])
    """
    tree = shapely.STRtree(polygons)
    geoms = np.asarray(shapely.points(points), dtype=object)
    out = np.full(len(points), -1, dtype=np.int64)
    pairs = tree.query(geoms, predicate="within")
    out[pairs[0][::-1]] = pairs[1][::-1]
    missing = np.flatnonzero(out < 0)
    if len(missing):
        nearest = tree.query_nearest(geoms[missing], all_matches=False)
        out[missing[nearest[0]]] = nearest[1]
    return out


def jitter_inside(
    centres: FloatArray,
    sigma_m: float | FloatArray,
    area: BaseGeometry | Sequence[BaseGeometry],
    rng: np.random.Generator,
) -> FloatArray:
    """Scatter points around ``centres`` (Gaussian, metres), redrawing those outside ``area``.

    Parameters
    ----------
    centres : numpy.ndarray
        ``(n, 2)`` lon/lat of the centres.
    sigma_m : float or numpy.ndarray
        Standard deviation in metres (scalar or per point).
    area : shapely geometry or sequence of them
        Where the points must fall: one polygon for all, or one per point.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` lon/lat, each strictly inside its area. After 20 redraws a point falls back
        to its centre if the centre is inside, else to a uniform random point of its area.

    Examples
    --------
    >>> from shapely import box
    >>> pts = jitter_inside(np.array([[0.5, 0.5], [9.0, 9.0]]), 500.0, box(0, 0, 1, 1),
    ...                     np.random.default_rng(0))
    >>> bool(((pts > 0) & (pts < 1)).all())
    True
    """
    n = len(centres)
    areas = _per_point(area, n)
    sigma = np.broadcast_to(np.asarray(sigma_m, dtype=np.float64), (n,))
    lat = np.radians(centres[:, 1])
    deg_lat = sigma / 111_320.0
    deg_lon = sigma / (111_320.0 * np.cos(lat))
    out = centres.copy()
    todo = np.arange(n)
    for _ in range(20):
        if not len(todo):
            break
        cand = centres[todo] + rng.normal(size=(len(todo), 2)) * np.column_stack(
            [deg_lon[todo], deg_lat[todo]]
        )
        ok = shapely.contains_xy(areas[todo], cand[:, 0], cand[:, 1])
        out[todo[ok]] = cand[ok]
        todo = todo[~ok]
    if len(todo):
        stray = ~shapely.contains_xy(areas[todo], centres[todo, 0], centres[todo, 1])
        out[todo[stray]] = _uniform_in(areas[todo[stray]], rng)
    return out


def _per_point(area: BaseGeometry | Sequence[BaseGeometry], n: int) -> GeomArray:
    """Return one prepared geometry per point (the same object ``n`` times for a single area)."""
    if isinstance(area, BaseGeometry):
        areas = np.empty(n, dtype=object)
        areas[:] = [area] * n
    else:
        areas = np.asarray(area, dtype=object)
        if areas.shape != (n,):
            raise ValueError(f"{len(areas)} areas for {n} points")
    shapely.prepare(areas)
    return areas


def _uniform_in(areas: GeomArray, rng: np.random.Generator) -> FloatArray:
    """Return one uniform random point inside each of ``areas``."""
    out = np.zeros((len(areas), 2))
    for i, a in enumerate(areas):
        out[i] = random_points_in(a, 1, rng)[0]
    return out


def settle(
    points: FloatArray, polygons: list[Polygon], rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Locate points in ``polygons`` and redraw, inside their nearest polygon, those in none.

    A point that lies in no polygon (a gap of the tiling, or outside them all) would otherwise
    carry the code of a polygon it is not in.

    Parameters
    ----------
    points : numpy.ndarray
        ``(n, 2)`` lon/lat.
    polygons : list of shapely.Polygon
        Candidate polygons (e.g. the grids).
    rng : numpy.random.Generator
        Source of randomness (used only for the points redrawn).

    Returns
    -------
    tuple of numpy.ndarray
        Polygon index per point, and the points, each strictly inside its polygon.

    Examples
    --------
    >>> from shapely import box
    >>> where, pts = settle(np.array([[0.5, 0.5], [9.0, 0.5]]), [box(0, 0, 1, 1), box(1, 0, 2, 1)],
    ...                     np.random.default_rng(0))
    >>> where.tolist(), bool(1 < pts[1, 0] < 2)
    ([0, 1], True)
    """
    where = locate(points, polygons)
    shapes = np.asarray(polygons, dtype=object)[where]
    shapely.prepare(shapes)
    out = points.copy()
    stray = np.flatnonzero(~shapely.contains_xy(shapes, points[:, 0], points[:, 1]))
    out[stray] = _uniform_in(shapes[stray], rng)
    return where, out


def along_inside(
    start: FloatArray, ends: FloatArray, area: BaseGeometry, t: FloatArray, which: IntArray
) -> FloatArray:
    """Return points along straight roads from ``start`` to ``ends[which]``, inside ``area``.

    A straight line between two points of a concave area can leave it; only the parts inside
    count, so that the points stay in the area (for a road that is a point, its start).

    Parameters
    ----------
    start : numpy.ndarray
        ``(2,)`` lon/lat where every road starts.
    ends : numpy.ndarray
        ``(k, 2)`` lon/lat where the roads end.
    area : shapely geometry
        Polygon or MultiPolygon the roads are cut to.
    t : numpy.ndarray
        Fraction (0-1) of the road's length inside ``area``, per point.
    which : numpy.ndarray of int
        Road of each point.

    Returns
    -------
    numpy.ndarray
        ``(len(t), 2)`` lon/lat.

    Examples
    --------
    >>> from shapely import box
    >>> area = shapely.difference(box(0, 0, 10, 10), box(4, 2, 6, 10))  # a U
    >>> along_inside(np.array([2.0, 8.0]), np.array([[8.0, 8.0]]), area,
    ...              np.array([0.25, 0.75]), np.array([0, 0])).tolist()
    [[3.0, 8.0], [7.0, 8.0]]
    """
    roads = np.empty(len(ends), dtype=object)
    roads[:] = [_lines_inside(shapely.LineString([start, end]), area) for end in ends]
    pts = shapely.line_interpolate_point(roads[which], t, normalized=True)
    xy = shapely.get_coordinates(pts)
    out = np.tile(np.asarray(start, dtype=np.float64), (len(t), 1))
    out[~shapely.is_empty(pts)] = xy
    return out


def _lines_inside(line: BaseGeometry, area: BaseGeometry) -> BaseGeometry:
    """Return the lineal part of ``line`` inside ``area`` (empty if it has no length there)."""
    parts = [
        g for g in shapely.get_parts(shapely.intersection(line, area)) if isinstance(g, LineString)
    ]
    parts = [g for g in parts if g.length > 0]
    return MultiLineString(parts) if parts else LineString()
