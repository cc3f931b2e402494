"""Analysis units: aggregate incident points to polygons, H3 cells or a metric fishnet.

All inputs are lon/lat in CGCS2000 (EPSG:4490; numerically WGS84 at this precision).

- :func:`count_in_polygons` / :func:`points_to_polygons` -- counts per given polygon (e.g.
  grids). One STRtree over the polygons, queried with all points at once (``intersects``,
  prepared geometries, in C): on 430k points x 700 polygons it takes ~0.16 s, faster than
  a tree over the points. A point on a shared edge goes to the polygon listed first.
- :func:`count_in_h3` -- counts per H3 cell (h3 v4 ``latlng_to_cell``), optionally padded
  with empty cells (a k-ring around the occupied cells, or every cell whose centre is in the
  points' bounding box) so that a hot spot statistic also sees the zeros.
- :func:`h3_cells_of`, :func:`h3_neighbourhood`, :func:`h3_bounds`, :func:`is_h3_cell` -- the
  cell of each point (as :func:`count_in_h3` counts it), a cell with its neighbours, their box:
  which cases a hot cell's figures count.
- :func:`count_in_fishnet` -- counts per square cell of a fishnet laid in metres. Points are
  projected with :class:`LocalFrame`, an azimuthal equidistant projection on the CGCS2000
  ellipsoid centred on the data: distances from the centre are exact and the scale error
  stays below 1e-4 within 100 km of it, with no zone boundaries (unlike UTM or
  Gauss-Krueger zones, which a province can straddle). Cell polygons are returned in lon/lat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import h3
import h3.api.basic_int as h3_int
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import AzimuthalEquidistantConversion

from geo.checks import FloatArray, IntArray, coordinates

ObjectArray = npt.NDArray[np.object_]
H3Fill = Literal["none", "ring", "bbox"]

#: Storage CRS of the platform: CGCS2000 geographic (lon/lat).
STORAGE_CRS = "EPSG:4490"


def _lonlat(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, y = coordinates(lon, lat, ("lon", "lat"))
    if float(np.abs(x).max()) > 180.0:
        raise ValueError("lon holds values outside [-180, 180]")
    if float(np.abs(y).max()) > 90.0:
        raise ValueError("lat holds values outside [-90, 90]")
    return x, y


# ---------------------------------------------------------------------------
# Local metric frame
# ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _transformers(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    conversion = AzimuthalEquidistantConversion(
        latitude_natural_origin=lat0, longitude_natural_origin=lon0
    )
    geographic = CRS.from_user_input(STORAGE_CRS)
    local = ProjectedCRS(conversion=conversion, geodetic_crs=geographic)
    return (
        Transformer.from_crs(geographic, local, always_xy=True),
        Transformer.from_crs(local, geographic, always_xy=True),
    )


@dataclass(frozen=True)
class LocalFrame:
    """Azimuthal equidistant projection (metres) centred on ``(lon0, lat0)``, CGCS2000.

    Parameters
    ----------
    lon0, lat0 : float
        Centre of the projection in degrees.

    Examples
    --------
    >>> frame = LocalFrame(104.06, 30.66)
    >>> x, y = frame.forward([104.06, 104.07], [30.66, 30.66])
    >>> round(float(x[1]))  # 0.01 degree of longitude at 30.66 N, in metres
    958
    >>> lon, lat = frame.inverse(x, y)
    >>> bool(np.allclose(lon, [104.06, 104.07]))
    True
    """

    lon0: float
    lat0: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lon0) and -180.0 <= self.lon0 <= 180.0):
            raise ValueError(f"lon0 must lie in [-180, 180], got {self.lon0}")
        if not (math.isfinite(self.lat0) and -90.0 <= self.lat0 <= 90.0):
            raise ValueError(f"lat0 must lie in [-90, 90], got {self.lat0}")

    @classmethod
    def around(cls, lon: npt.ArrayLike, lat: npt.ArrayLike) -> LocalFrame:
        """Frame centred on the middle of the bounding box of the points.

        Parameters
        ----------
        lon, lat : array_like
            Points in degrees.

        Returns
        -------
        LocalFrame
            The frame.

        Raises
        ------
        ValueError
            On empty, non-finite or out-of-range coordinates.
        """
        x, y = _lonlat(lon, lat)
        return cls(
            float((x.min() + x.max()) / 2.0),
            float((y.min() + y.max()) / 2.0),
        )

    def forward(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Project lon/lat (degrees) to x/y (metres).

        Parameters
        ----------
        lon, lat : array_like
            Coordinates in degrees.

        Returns
        -------
        tuple of numpy.ndarray
            ``x`` (east) and ``y`` (north) in metres.
        """
        x, y = _transformers(self.lon0, self.lat0)[0].transform(
            np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        )
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def inverse(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Unproject x/y (metres) to lon/lat (degrees).

        Parameters
        ----------
        x, y : array_like
            Coordinates in metres.

        Returns
        -------
        tuple of numpy.ndarray
            ``lon`` and ``lat`` in degrees.
        """
        lon, lat = _transformers(self.lon0, self.lat0)[1].transform(
            np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        )
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def to_local_metres(
    lon: npt.ArrayLike, lat: npt.ArrayLike, frame: LocalFrame | None = None
) -> tuple[FloatArray, FloatArray, LocalFrame]:
    """Project points to a local metric frame (e.g. for :func:`geo.weights.distance_band`).

    Parameters
    ----------
    lon, lat : array_like
        Points in degrees.
    frame : LocalFrame, optional
        Frame to use; by default one centred on the points (:meth:`LocalFrame.around`).

    Returns
    -------
    tuple
        ``x``, ``y`` in metres and the frame used.

    Raises
    ------
    ValueError
        On empty, non-finite or out-of-range coordinates.
    """
    x, y = _lonlat(lon, lat)
    used = frame if frame is not None else LocalFrame.around(x, y)
    px, py = used.forward(x, y)
    return px, py, used


# ---------------------------------------------------------------------------
# Polygons
# ---------------------------------------------------------------------------


def _polygon_array(polygons: Sequence[shapely.Geometry] | ObjectArray) -> ObjectArray:
    geoms = np.asarray(polygons, dtype=object)
    if geoms.ndim != 1 or geoms.size == 0:
        raise ValueError("polygons is empty" if geoms.size == 0 else "polygons must be 1-D")
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise ValueError(
            f"polygons holds {int(missing.sum())} missing or empty geometr(y/ies), "
            f"the first at position {int(np.flatnonzero(missing)[0])}"
        )
    return geoms


def points_to_polygons(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    polygons: Sequence[shapely.Geometry] | ObjectArray,
) -> IntArray:
    """Index of the polygon holding each point, or -1 where no polygon does.

    A point on the boundary counts as inside; a point on an edge shared by several polygons
    goes to the one listed first, so no point is counted twice.

    Parameters
    ----------
    lon, lat : array_like
        Points in degrees.
    polygons : sequence of shapely geometries
        Polygons or multipolygons in lon/lat.

    Returns
    -------
    numpy.ndarray of int64
        One polygon index per point.

    Raises
    ------
    ValueError
        On empty or invalid points, or empty or missing polygons.

    Examples
    --------
    >>> squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    >>> points_to_polygons([0.5, 1.0, 1.5, 5.0], [0.5, 0.5, 0.5, 0.5], squares).tolist()
    [0, 0, 1, -1]
    """
    x, y = _lonlat(lon, lat)
    geoms = _polygon_array(polygons)
    point_idx, poly_idx = shapely.STRtree(geoms).query(shapely.points(x, y), predicate="intersects")
    order = np.lexsort((poly_idx, point_idx))
    point_idx, poly_idx = point_idx[order], poly_idx[order]
    first = np.ones(point_idx.size, dtype=np.bool_)
    first[1:] = point_idx[1:] != point_idx[:-1]
    out = np.full(x.size, -1, dtype=np.int64)
    out[point_idx[first]] = poly_idx[first]
    return out


def count_in_polygons(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    polygons: Sequence[shapely.Geometry] | ObjectArray,
) -> IntArray:
    """Count the points in each polygon (see :func:`points_to_polygons` for edges).

    Parameters
    ----------
    lon, lat : array_like
        Points in degrees.
    polygons : sequence of shapely geometries
        Polygons or multipolygons in lon/lat.

    Returns
    -------
    numpy.ndarray of int64
        One count per polygon, in polygon order.

    Raises
    ------
    ValueError
        On empty or invalid points, or empty or missing polygons.

    Examples
    --------
    >>> squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    >>> count_in_polygons([0.5, 0.2, 1.5], [0.5, 0.7, 0.5], squares).tolist()
    [2, 1]
    """
    where = points_to_polygons(lon, lat, polygons)
    n_polygons = len(np.asarray(polygons, dtype=object))
    return np.bincount(where[where >= 0], minlength=n_polygons).astype(np.int64)


# ---------------------------------------------------------------------------
# H3
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class H3Counts:
    """Points counted per H3 cell.

    Parameters
    ----------
    cells : tuple of str
        H3 cell ids (h3 v4 strings), sorted by their 64-bit value.
    counts : numpy.ndarray of int64
        Points in each cell (0 for padding cells).
    resolution : int
        H3 resolution of the cells.
    """

    cells: tuple[str, ...]
    counts: IntArray
    resolution: int

    def polygons(self) -> ObjectArray:
        """Cell boundaries as shapely polygons in lon/lat.

        Returns
        -------
        numpy.ndarray of shapely.Polygon
            One polygon per cell.
        """
        rings = [[(lng, lat) for lat, lng in h3.cell_to_boundary(c)] for c in self.cells]
        return np.asarray([shapely.Polygon(r) for r in rings], dtype=object)


def count_in_h3(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    resolution: int,
    *,
    fill: H3Fill = "none",
    ring: int = 1,
) -> H3Counts:
    """Count points per H3 cell, optionally adding empty cells around them.

    Parameters
    ----------
    lon, lat : array_like
        Points in degrees.
    resolution : int
        H3 resolution, 0-15 (8 is ~0.74 km2 per cell, 9 ~0.1 km2).
    fill : {"none", "ring", "bbox"}
        Which empty cells to add: none; every cell within ``ring`` grid steps of an occupied
        cell; or every cell whose centre lies in the points' bounding box.
    ring : int
        Grid distance of the ``"ring"`` padding.

    Returns
    -------
    H3Counts
        Cells (occupied and padding) and their counts.

    Raises
    ------
    ValueError
        On empty or invalid points, a resolution outside 0-15, an unknown ``fill`` or a
        negative ``ring``.

    Examples
    --------
    >>> r = count_in_h3([104.06, 104.0601, 104.2], [30.66, 30.66, 30.7], 8)
    >>> sorted(r.counts.tolist())
    [1, 2]
    >>> len(count_in_h3([104.06], [30.66], 8, fill="ring").cells)
    7
    """
    if not isinstance(resolution, int) or not 0 <= resolution <= 15:
        raise ValueError(f"resolution must be an integer in 0-15, got {resolution!r}")
    if fill not in ("none", "ring", "bbox"):
        raise ValueError(f"fill must be 'none', 'ring' or 'bbox', got {fill!r}")
    if ring < 0:
        raise ValueError(f"ring must be >= 0, got {ring}")
    x, y = _lonlat(lon, lat)
    to_cell = h3_int.latlng_to_cell
    ids = np.fromiter(
        (to_cell(b, a, resolution) for a, b in zip(x.tolist(), y.tolist(), strict=True)),
        dtype=np.uint64,
        count=x.size,
    )
    occupied, counts = np.unique(ids, return_counts=True)
    if fill == "none":
        cells = occupied
    else:
        extra: set[int] = set()
        if fill == "ring":
            for cell in occupied.tolist():
                extra.update(h3_int.grid_disk(cell, ring))
        else:
            box = h3.LatLngPoly(
                [
                    (float(y.min()), float(x.min())),
                    (float(y.min()), float(x.max())),
                    (float(y.max()), float(x.max())),
                    (float(y.max()), float(x.min())),
                ]
            )
            extra.update(h3.str_to_int(c) for c in h3.h3shape_to_cells(box, resolution))
        cells = np.union1d(occupied, np.fromiter(extra, dtype=np.uint64, count=len(extra)))
    all_counts = np.zeros(cells.size, dtype=np.int64)
    all_counts[np.searchsorted(cells, occupied)] = counts
    return H3Counts(
        cells=tuple(h3_int.int_to_str(int(c)) for c in cells),
        counts=all_counts,
        resolution=resolution,
    )


def h3_cells_of(lon: npt.ArrayLike, lat: npt.ArrayLike, resolution: int) -> tuple[str, ...]:
    """Return the H3 cell of each point, as :func:`count_in_h3` assigns the points.

    Parameters
    ----------
    lon, lat : array_like
        Points in degrees (may be empty).
    resolution : int
        H3 resolution, 0-15.

    Returns
    -------
    tuple of str
        One H3 cell id (h3 v4 string) per point, in the points' order.

    Examples
    --------
    >>> cells = h3_cells_of([104.06, 104.0601], [30.66, 30.66], 8)
    >>> cells[0] == cells[1] == count_in_h3([104.06], [30.66], 8).cells[0]
    True
    """
    x = np.asarray(lon, dtype=float).ravel()
    if x.size == 0:
        return ()
    x, y = _lonlat(x, lat)
    to_cell = h3_int.latlng_to_cell
    return tuple(
        h3_int.int_to_str(to_cell(b, a, resolution))
        for a, b in zip(x.tolist(), y.tolist(), strict=True)
    )


def is_h3_cell(cell: str) -> bool:
    """Return whether ``cell`` is an H3 cell id (h3 v4 string).

    Parameters
    ----------
    cell : str
        A unit id.

    Returns
    -------
    bool
        True for a valid H3 cell.

    Examples
    --------
    >>> is_h3_cell(h3.latlng_to_cell(30.66, 104.06, 8)), is_h3_cell("cell-1")
    (True, False)
    """
    try:
        return bool(h3.is_valid_cell(cell))
    except (ValueError, TypeError):
        return False


def h3_neighbourhood(cell: str, ring: int = 1) -> tuple[str, ...]:
    """Return an H3 cell and the cells within ``ring`` grid steps of it, the cell first.

    With ``ring=1`` these are the cells a Gi* statistic on :func:`geo.weights.h3_ring` weighs
    for the cell: itself and its six neighbours.

    Parameters
    ----------
    cell : str
        An H3 cell id (h3 v4 string).
    ring : int
        Grid distance.

    Returns
    -------
    tuple of str
        ``cell``, then the others sorted; ``cell`` alone when it is no H3 cell id (a unit of
        another tessellation has no such neighbours).

    Examples
    --------
    >>> centre = h3.latlng_to_cell(30.66, 104.06, 8)
    >>> around = h3_neighbourhood(centre)
    >>> around[0] == centre, len(around)
    (True, 7)
    >>> h3_neighbourhood("fishnet-12")
    ('fishnet-12',)
    """
    if not is_h3_cell(cell):
        return (cell,)
    others = sorted(c for c in h3.grid_disk(cell, ring) if c != cell)
    return (cell, *others)


def h3_bounds(cells: Sequence[str]) -> tuple[float, float, float, float]:
    """Return the lon/lat bounding box of H3 cells: ``(west, south, east, north)``.

    Parameters
    ----------
    cells : sequence of str
        H3 cell ids (at least one).

    Returns
    -------
    tuple of float
        The box of the cells' boundaries, in degrees.

    Examples
    --------
    >>> west, south, east, north = h3_bounds([h3.latlng_to_cell(30.66, 104.06, 8)])
    >>> west < 104.06 < east and south < 30.66 < north
    True
    """
    points = [vertex for cell in cells for vertex in h3.cell_to_boundary(cell)]
    lats = [lat for lat, _ in points]
    lons = [lon for _, lon in points]
    return min(lons), min(lats), max(lons), max(lats)


# ---------------------------------------------------------------------------
# Fishnet
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fishnet:
    """Points counted per square cell of a grid laid in a local metric frame.

    Cell ``(row, col)`` (row 0 in the south, column 0 in the west) is unit
    ``row * n_cols + col``, the order of :func:`geo.weights.lattice`.

    Parameters
    ----------
    frame : LocalFrame
        The metric frame of the grid.
    cell_size : float
        Side of a cell in metres.
    x0, y0 : float
        South-west corner of the grid in the frame (multiples of ``cell_size``).
    n_rows, n_cols : int
        Grid size; every cell of the points' bounding box is present, empty or not.
    counts : numpy.ndarray of int64
        Points per cell.
    cell_of_point : numpy.ndarray of int64
        Cell of each input point.
    """

    frame: LocalFrame
    cell_size: float
    x0: float
    y0: float
    n_rows: int
    n_cols: int
    counts: IntArray
    cell_of_point: IntArray

    def polygons(self) -> ObjectArray:
        """Cell outlines as shapely polygons in lon/lat (corners unprojected exactly).

        Returns
        -------
        numpy.ndarray of shapely.Polygon
            One polygon per cell, in cell order.
        """
        gx = self.x0 + self.cell_size * np.arange(self.n_cols + 1)
        gy = self.y0 + self.cell_size * np.arange(self.n_rows + 1)
        mx, my = np.meshgrid(gx, gy)  # (n_rows + 1, n_cols + 1)
        lon, lat = self.frame.inverse(mx.ravel(), my.ravel())
        corners = np.stack([lon, lat], axis=-1).reshape(self.n_rows + 1, self.n_cols + 1, 2)
        rings = np.stack(
            [
                corners[:-1, :-1],
                corners[:-1, 1:],
                corners[1:, 1:],
                corners[1:, :-1],
                corners[:-1, :-1],
            ],
            axis=2,
        ).reshape(self.n_rows * self.n_cols, 5, 2)
        return np.asarray(shapely.polygons(rings), dtype=object)


def count_in_fishnet(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    cell_size: float,
    *,
    frame: LocalFrame | None = None,
    max_cells: int = 4_000_000,
) -> Fishnet:
    """Count points per square fishnet cell of ``cell_size`` metres.

    Parameters
    ----------
    lon, lat : array_like
        Points in degrees.
    cell_size : float
        Side of a cell in metres.
    frame : LocalFrame, optional
        Metric frame; by default one centred on the points. Pass the same frame to get the
        same grid for several periods.
    max_cells : int
        Refuse grids with more cells than this (memory guard).

    Returns
    -------
    Fishnet
        The grid, its counts and the cell of each point.

    Raises
    ------
    ValueError
        On empty or invalid points, a non-positive cell size, or a grid over ``max_cells``.

    Examples
    --------
    >>> net = count_in_fishnet([104.06, 104.061, 104.07], [30.66, 30.66, 30.66], 500.0)
    >>> (net.n_rows, net.n_cols), net.counts.tolist()
    ((1, 2), [2, 1])
    """
    if not (math.isfinite(cell_size) and cell_size > 0):
        raise ValueError(f"cell_size must be a positive number of metres, got {cell_size}")
    px, py, used = to_local_metres(lon, lat, frame)
    x0 = math.floor(float(px.min()) / cell_size) * cell_size
    y0 = math.floor(float(py.min()) / cell_size) * cell_size
    col = np.floor((px - x0) / cell_size).astype(np.int64)
    row = np.floor((py - y0) / cell_size).astype(np.int64)
    n_cols = int(col.max()) + 1
    n_rows = int(row.max()) + 1
    if n_rows * n_cols > max_cells:
        raise ValueError(
            f"a {cell_size:g} m fishnet over these points needs {n_rows} x {n_cols} = "
            f"{n_rows * n_cols:,} cells, more than max_cells={max_cells:,}"
        )
    cell = row * n_cols + col
    return Fishnet(
        frame=used,
        cell_size=float(cell_size),
        x0=float(x0),
        y0=float(y0),
        n_rows=n_rows,
        n_cols=n_cols,
        counts=np.bincount(cell, minlength=n_rows * n_cols).astype(np.int64),
        cell_of_point=cell,
    )
