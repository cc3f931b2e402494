"""Kernel density of lon/lat points onto a lon/lat raster, and its rendering to a PNG overlay.

The raster is in CGCS2000 geographic coordinates (EPSG:4490) so that it drapes directly on the
map. Distances (bandwidth, cell size) are given in metres and converted to degrees with the
metres-per-degree of the GRS80 ellipsoid *at the centre latitude of the points* (a local
equirectangular approximation). The kernel is therefore exactly isotropic at the centre latitude;
north or south of it the east-west scale drifts by ``tan(lat) * dlat`` (about 0.5 % per half
degree at 30°N, about 1 % per degree at 40°N), which is negligible for a county or a city and a
few per cent at the edges of a province.

The density itself is exact in one respect: each cell's smoothed count is divided by the true
ellipsoidal area of that cell (see :meth:`DensityRaster.cell_areas_km2`), so that
``values * cell_areas_km2()`` sums to the number of points (or the total weight).

Pipeline: points are binned with :func:`numpy.bincount` on integer cell indices, then convolved
with a discrete kernel normalised to sum 1 (:func:`scipy.signal.oaconvolve`). The raster is
padded by ``pad_bandwidths`` bandwidths on every side, at least the kernel's reach, so no mass
leaves the raster.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image
from scipy.signal import oaconvolve

from geo.checks import FloatArray, coordinates, finite_values, same_length
from geo.crs import GRS80_A as _A
from geo.crs import GRS80_E2 as _E2
from geo.crs import metres_per_degree

__all__ = [
    "COLORMAPS",
    "DensityRaster",
    "colormap_lut",
    "kernel_density",
    "metres_per_degree",
    "silverman_bandwidth",
    "to_png",
]

Kernel = Literal["gaussian", "quartic"]

_MAX_CELLS_DEFAULT = 16_000_000


def _zone_area_per_radian(lat: FloatArray) -> FloatArray:
    """Ellipsoidal area between the equator and ``lat`` per radian of longitude, in m²."""
    e = math.sqrt(_E2)
    s = np.sin(np.radians(lat))
    q = s / (1.0 - _E2 * s**2) + np.log((1.0 + e * s) / (1.0 - e * s)) / (2.0 * e)
    return np.asarray(_A**2 * (1.0 - _E2) / 2.0 * q, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class DensityRaster:
    """Kernel density on a north-up lon/lat (EPSG:4490) grid.

    Attributes
    ----------
    values : numpy.ndarray
        Density per km², ``float64``, shape ``(rows, cols)``; row 0 is the northernmost row
        and column 0 the westernmost (image order).
    west, south, east, north : float
        Outer edges of the raster in degrees.
    cell_size_x, cell_size_y : float
        Cell width and height in degrees.
    bandwidth_m : float
        Kernel bandwidth in metres (the Gaussian's standard deviation, or the quartic kernel's
        radius).
    kernel : str
        ``"gaussian"`` or ``"quartic"``.
    crs : str
        Always ``"EPSG:4490"``.
    """

    values: FloatArray
    west: float
    south: float
    east: float
    north: float
    cell_size_x: float
    cell_size_y: float
    bandwidth_m: float
    kernel: Kernel
    crs: str = "EPSG:4490"

    @property
    def shape(self) -> tuple[int, int]:
        """Return ``(rows, cols)``."""
        rows, cols = self.values.shape
        return int(rows), int(cols)

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]:
        """Return the affine transform from (col, row) to (lon, lat) of the cell's corner.

        Returns
        -------
        tuple of float
            ``(a, b, c, d, e, f)`` in the order of the ``affine``/rasterio package:
            ``lon = a * col + b * row + c`` and ``lat = d * col + e * row + f``, i.e.
            ``(cell_size_x, 0, west, 0, -cell_size_y, north)``.
        """
        return (self.cell_size_x, 0.0, self.west, 0.0, -self.cell_size_y, self.north)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Return ``(west, south, east, north)`` in degrees."""
        return (self.west, self.south, self.east, self.north)

    def cell_centres(self) -> tuple[FloatArray, FloatArray]:
        """Return the longitudes of the column centres and the latitudes of the row centres.

        Returns
        -------
        tuple of numpy.ndarray
            ``(lons, lats)`` with shapes ``(cols,)`` and ``(rows,)``; ``lats`` runs north to
            south like the rows.
        """
        rows, cols = self.shape
        lons = self.west + (np.arange(cols, dtype=np.float64) + 0.5) * self.cell_size_x
        lats = self.north - (np.arange(rows, dtype=np.float64) + 0.5) * self.cell_size_y
        return lons, lats

    def cell_areas_km2(self) -> FloatArray:
        """Return the ellipsoidal (GRS80) area of every cell in km².

        Returns
        -------
        numpy.ndarray
            Shape ``(rows, cols)``; the area depends on the row only.

        Examples
        --------
        >>> r = DensityRaster(np.zeros((1, 1)), 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, "gaussian")
        >>> round(float(r.cell_areas_km2()[0, 0]))
        12308
        """
        rows, cols = self.shape
        edges = self.north - np.arange(rows + 1, dtype=np.float64) * self.cell_size_y
        zone = _zone_area_per_radian(edges)
        per_row = (zone[:-1] - zone[1:]) * math.radians(self.cell_size_x) / 1e6
        return np.broadcast_to(per_row[:, None], (rows, cols)).copy()

    def total(self) -> float:
        """Return the integral of the density: the number of points, or their total weight.

        Returns
        -------
        float
            ``sum(values * cell_areas_km2())``.
        """
        return float(np.sum(self.values * self.cell_areas_km2()))


def silverman_bandwidth(
    x_m: npt.ArrayLike, y_m: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> float:
    """Return Silverman's rule-of-thumb bandwidth for a 2-D Gaussian kernel, in metres.

    For a bivariate normal reference density the optimal isotropic Gaussian bandwidth is
    ``h = sigma * n ** (-1/6)`` (Silverman 1986, eq. 4.14 with d = 2, where the constant
    ``(4 / (d + 2)) ** (1 / (d + 4))`` equals 1). ``sigma`` is the root mean of the two
    per-axis spreads, each the robust ``min(standard deviation, IQR / 1.349)`` (the IQR term
    is skipped when it is zero). With weights the spreads are weighted and ``n`` is Kish's
    effective sample size ``sum(w) ** 2 / sum(w ** 2)``.

    Parameters
    ----------
    x_m, y_m : array_like
        Projected coordinates in metres.
    weights : array_like, optional
        Non-negative weight per point.

    Returns
    -------
    float
        Bandwidth in metres.

    Raises
    ------
    ValueError
        On empty input, NaN, mismatched lengths, or points that all coincide (the spread is 0).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> h = silverman_bandwidth(rng.normal(0, 1000, 4096), rng.normal(0, 1000, 4096))
    >>> 230 < h < 270  # 1000 * 4096 ** (-1/6) = 250
    True
    """
    x, y = coordinates(x_m, y_m, names=("x_m", "y_m"))
    if weights is None:
        n_eff = float(x.size)
        spreads = [_robust_spread(v) for v in (x, y)]
    else:
        w = _weights(weights, x.size)
        n_eff = float(w.sum() ** 2 / np.sum(w**2))
        spreads = [_robust_spread_weighted(v, w) for v in (x, y)]
    sigma = math.sqrt((spreads[0] ** 2 + spreads[1] ** 2) / 2.0)
    if not sigma > 0.0:
        raise ValueError(
            "the points have no spread (they all coincide), so Silverman's rule gives a zero "
            "bandwidth; pass bandwidth_m explicitly"
        )
    return float(sigma * n_eff ** (-1.0 / 6.0))


def _robust_spread(v: FloatArray) -> float:
    sd = float(np.std(v))
    q1, q3 = np.percentile(v, [25.0, 75.0])
    iqr = float(q3 - q1) / 1.349
    return min(sd, iqr) if iqr > 0.0 else sd


def _robust_spread_weighted(v: FloatArray, w: FloatArray) -> float:
    total = float(w.sum())
    mean = float(np.dot(w, v)) / total
    sd = math.sqrt(max(float(np.dot(w, (v - mean) ** 2)) / total, 0.0))
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    q1, q3 = np.interp([0.25 * total, 0.75 * total], cum, v[order])
    iqr = float(q3 - q1) / 1.349
    return min(sd, iqr) if iqr > 0.0 else sd


def _weights(weights: npt.ArrayLike, n: int) -> FloatArray:
    w = finite_values(np.ravel(np.asarray(weights, dtype=np.float64)), "weights")
    same_length("lon", np.empty(n), "weights", w)
    if np.any(w < 0.0):
        raise ValueError("weights must be non-negative")
    if not w.sum() > 0.0:
        raise ValueError("weights sum to zero")
    return w


def _discrete_kernel(
    kernel: Kernel, bandwidth_m: float, cell_x_m: float, cell_y_m: float, reach_m: float
) -> FloatArray:
    """Return the kernel sampled at cell-centre offsets, normalised to sum 1."""
    rx = int(math.floor(reach_m / cell_x_m))
    ry = int(math.floor(reach_m / cell_y_m))
    dx = np.arange(-rx, rx + 1, dtype=np.float64) * cell_x_m
    dy = np.arange(-ry, ry + 1, dtype=np.float64) * cell_y_m
    r2 = (dy[:, None] ** 2 + dx[None, :] ** 2) / bandwidth_m**2
    if kernel == "gaussian":
        k = np.exp(-0.5 * r2)
    else:
        k = np.where(r2 < 1.0, (1.0 - r2) ** 2, 0.0)
    total = float(k.sum())
    if not total > 0.0:  # quartic kernel narrower than half a cell: all mass stays put
        k = np.zeros((2 * ry + 1, 2 * rx + 1))
        k[ry, rx] = 1.0
        return k
    return np.asarray(k / total, dtype=np.float64)


def kernel_density(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = None,
    bandwidth_m: float | None = None,
    cell_size_m: float | None = None,
    shape: tuple[int, int] | None = None,
    kernel: Kernel = "gaussian",
    pad_bandwidths: float = 3.0,
    max_cells: int = _MAX_CELLS_DEFAULT,
) -> DensityRaster:
    """Estimate the kernel density of points onto a lon/lat raster.

    Parameters
    ----------
    lon, lat : array_like
        Point coordinates in degrees (CGCS2000).
    weights : array_like, optional
        Non-negative weight per point (e.g. severity); the density then integrates to the total
        weight instead of the count.
    bandwidth_m : float, optional
        Kernel bandwidth in metres: the Gaussian's standard deviation, or the radius of the
        quartic (biweight) kernel. Default: :func:`silverman_bandwidth` on the points projected
        to metres at the centre latitude. Silverman's rule assumes one normal-shaped cluster,
        so it oversmooths city-wide incident data with many small hot spots (it gives
        kilometres); pass an explicit bandwidth (a few hundred metres) for street-level hot
        spots. The rule is tuned for the Gaussian kernel; for the quartic kernel pass a radius.
    cell_size_m : float, optional
        Cell size in metres (square cells at the centre latitude). Mutually exclusive with
        ``shape``.
    shape : tuple of int, optional
        Exact raster shape ``(rows, cols)``. Cells are square in metres and sized so that the
        padded extent fits; the extent is then widened symmetrically to fill the shape.
        At least 3 × 3. Default when neither ``cell_size_m`` nor ``shape`` is given: square
        cells, 512 of them along the longer side.
    kernel : {"gaussian", "quartic"}
        Kernel shape. The Gaussian is truncated at ``pad_bandwidths`` standard deviations, the
        quartic kernel has compact support of one bandwidth; both are renormalised to sum 1
        on the grid, so mass is conserved exactly.
    pad_bandwidths : float
        Padding around the points' bounding box, in bandwidths (at least 1).
    max_cells : int
        Refuse rasters with more cells than this (guards against a tiny ``cell_size_m``).

    Returns
    -------
    DensityRaster
        Density per km², north-up.

    Raises
    ------
    ValueError
        On empty input, NaN coordinates or weights, mismatched lengths, negative weights,
        a non-positive bandwidth or cell size, both ``cell_size_m`` and ``shape``, coincident
        points without a bandwidth, or a raster larger than ``max_cells``.

    Examples
    --------
    >>> r = kernel_density([116.40, 116.41], [39.90, 39.91], bandwidth_m=200.0, cell_size_m=50.0)
    >>> r.shape
    (49, 44)
    >>> round(r.total(), 6)
    2.0
    """
    x_deg, y_deg = coordinates(lon, lat)
    w = None if weights is None else _weights(weights, x_deg.size)
    if kernel not in ("gaussian", "quartic"):
        raise ValueError(f"kernel must be 'gaussian' or 'quartic', got {kernel!r}")
    if not pad_bandwidths >= 1.0:
        raise ValueError(f"pad_bandwidths must be at least 1, got {pad_bandwidths}")
    if cell_size_m is not None and shape is not None:
        raise ValueError("give either cell_size_m or shape, not both")

    lon_min, lon_max = float(x_deg.min()), float(x_deg.max())
    lat_min, lat_max = float(y_deg.min()), float(y_deg.max())
    lon0, lat0 = (lon_min + lon_max) / 2.0, (lat_min + lat_max) / 2.0
    mx, my = metres_per_degree(lat0)

    if bandwidth_m is None:
        bandwidth = silverman_bandwidth((x_deg - lon0) * mx, (y_deg - lat0) * my, w)
    else:
        bandwidth = float(bandwidth_m)
        if not (math.isfinite(bandwidth) and bandwidth > 0.0):
            raise ValueError(f"bandwidth_m must be a positive number, got {bandwidth_m}")

    # The extent is the bounding box plus pad_m on each side, plus one spare cell per side so
    # that a kernel of floor(reach / cell) cells around any point's cell stays on the raster.
    pad_m = pad_bandwidths * bandwidth
    width_m = (lon_max - lon_min) * mx + 2.0 * pad_m
    height_m = (lat_max - lat_min) * my + 2.0 * pad_m

    if cell_size_m is not None:
        cell_m = float(cell_size_m)
        if not (math.isfinite(cell_m) and cell_m > 0.0):
            raise ValueError(f"cell_size_m must be a positive number, got {cell_size_m}")
        cols = int(math.ceil(width_m / cell_m)) + 2
        rows = int(math.ceil(height_m / cell_m)) + 2
    else:
        rows, cols = (512, 512) if shape is None else (int(shape[0]), int(shape[1]))
        if rows < 3 or cols < 3:
            raise ValueError(f"shape must be at least 3 x 3, got {shape}")
        cell_m = max(width_m / (cols - 2), height_m / (rows - 2))
        if shape is None:  # trim the shorter side to the extent
            cols = int(math.ceil(width_m / cell_m - 1e-9)) + 2
            rows = int(math.ceil(height_m / cell_m - 1e-9)) + 2
    if rows * cols > max_cells:
        raise ValueError(
            f"the raster would have {rows} x {cols} = {rows * cols} cells, more than "
            f"max_cells={max_cells}; use a larger cell_size_m or a smaller shape"
        )

    cell_x = cell_m / mx
    cell_y = cell_m / my
    west = lon0 - cols * cell_x / 2.0
    north = lat0 + rows * cell_y / 2.0

    col = np.floor((x_deg - west) / cell_x).astype(np.int64)
    row = np.floor((north - y_deg) / cell_y).astype(np.int64)
    np.clip(col, 0, cols - 1, out=col)
    np.clip(row, 0, rows - 1, out=row)
    binned = np.bincount(row * cols + col, weights=w, minlength=rows * cols)
    counts = binned.astype(np.float64, copy=False).reshape(rows, cols)

    reach_m = pad_m if kernel == "gaussian" else bandwidth
    k = _discrete_kernel(kernel, bandwidth, cell_m, cell_m, reach_m)
    smoothed = np.asarray(oaconvolve(counts, k, mode="same"), dtype=np.float64)
    # FFT round-off leaves values of order 1e-16 * max around the support; zero them.
    tiny = float(np.abs(smoothed).max()) * 1e-12
    smoothed[smoothed < tiny] = 0.0

    raster = DensityRaster(
        values=smoothed,
        west=west,
        south=north - rows * cell_y,
        east=west + cols * cell_x,
        north=north,
        cell_size_x=cell_x,
        cell_size_y=cell_y,
        bandwidth_m=bandwidth,
        kernel=kernel,
    )
    smoothed /= raster.cell_areas_km2()
    return raster


# --------------------------------------------------------------------------------------------
# Rendering

#: Colour maps as anchor colours (position 0..1, hex RGB), interpolated linearly.
COLORMAPS: dict[str, tuple[tuple[float, str], ...]] = {
    # matplotlib's "hot": black -> red -> yellow -> white.
    "hot": ((0.0, "#0b0000"), (0.365, "#ff0000"), (0.746, "#ffff00"), (1.0, "#ffffff")),
    # matplotlib's "viridis" at ten evenly spaced points.
    "viridis": tuple(
        (i / 9.0, c)
        for i, c in enumerate(
            (
                "#440154",
                "#482878",
                "#3e4989",
                "#31688e",
                "#26828e",
                "#1f9e89",
                "#35b779",
                "#6ece58",
                "#b5de2b",
                "#fde725",
            )
        )
    ),
    # ColorBrewer YlOrRd (9 classes), good on light basemaps.
    "ylorrd": tuple(
        (i / 8.0, c)
        for i, c in enumerate(
            (
                "#ffffcc",
                "#ffeda0",
                "#fed976",
                "#feb24c",
                "#fd8d3c",
                "#fc4e2a",
                "#e31a1c",
                "#bd0026",
                "#800026",
            )
        )
    ),
    # Transparent-looking blue -> red heat ramp used by Leaflet.heat.
    "heat": (
        (0.0, "#0000ff"),
        (0.4, "#00ffff"),
        (0.6, "#00ff00"),
        (0.8, "#ffff00"),
        (1.0, "#ff0000"),
    ),
}


def colormap_lut(name: str, alpha: float = 1.0) -> npt.NDArray[np.uint8]:
    """Return a 256 × 4 RGBA lookup table for a named colour map.

    Parameters
    ----------
    name : str
        A key of :data:`COLORMAPS` (``"hot"``, ``"viridis"``, ``"ylorrd"``, ``"heat"``).
    alpha : float
        Opacity from 0 to 1 for every entry.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``(256, 4)``.

    Raises
    ------
    ValueError
        For an unknown colour map or an opacity outside [0, 1].

    Examples
    --------
    >>> lut = colormap_lut("hot")
    >>> lut.shape, lut[-1].tolist()
    ((256, 4), [255, 255, 255, 255])
    """
    if name not in COLORMAPS:
        raise ValueError(f"unknown colour map {name!r}; choose one of {sorted(COLORMAPS)}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    anchors = COLORMAPS[name]
    pos = np.array([p for p, _ in anchors], dtype=np.float64)
    rgb = np.array(
        [[int(c[i : i + 2], 16) for i in (1, 3, 5)] for _, c in anchors], dtype=np.float64
    )
    t = np.linspace(0.0, 1.0, 256)
    lut = np.empty((256, 4), dtype=np.uint8)
    for ch in range(3):
        lut[:, ch] = np.round(np.interp(t, pos, rgb[:, ch])).astype(np.uint8)
    lut[:, 3] = round(255 * alpha)
    return lut


def to_png(
    raster: DensityRaster,
    cmap: str = "hot",
    vmax: float | None = None,
    *,
    alpha: float = 1.0,
    transparent_below: float = 1e-3,
) -> tuple[bytes, list[list[float]]]:
    r"""Render a density raster as a colour-mapped RGBA PNG for a map image overlay.

    Parameters
    ----------
    raster : DensityRaster
        The density to draw (north up).
    cmap : str
        Colour map name, see :data:`COLORMAPS`.
    vmax : float, optional
        Density (per km²) drawn with the top colour; larger values saturate. Default: the
        raster's maximum.
    alpha : float
        Opacity (0..1) of the drawn cells.
    transparent_below : float
        Cells whose density is at most this fraction of ``vmax`` (density ≈ 0) are fully
        transparent so the basemap shows through.

    Returns
    -------
    tuple
        ``(png_bytes, [[south, west], [north, east]])``; the bounds are in Leaflet's
        ``imageOverlay`` order.

    Raises
    ------
    ValueError
        For an unknown colour map, a non-positive ``vmax`` or a bad ``alpha``.

    Examples
    --------
    >>> r = kernel_density([116.4, 116.41], [39.9, 39.9], bandwidth_m=300.0, cell_size_m=100.0)
    >>> png, bounds = to_png(r, "viridis")
    >>> png[:8] == b"\x89PNG\r\n\x1a\n", bounds[0][0] < bounds[1][0]
    (True, True)
    """
    lut = colormap_lut(cmap, alpha)
    values = raster.values
    top = float(values.max()) if vmax is None else float(vmax)
    if not math.isfinite(top) or top < 0.0 or (vmax is not None and top == 0.0):
        raise ValueError(f"vmax must be a positive number, got {vmax}")
    if top == 0.0:
        index = np.zeros(values.shape, dtype=np.uint8)
        visible = np.zeros(values.shape, dtype=np.bool_)
    else:
        scaled = values * (255.0 / top)
        index = np.clip(np.round(scaled), 0, 255).astype(np.uint8)
        visible = values > transparent_below * top
    rgba = lut[index]
    rgba[..., 3] = np.where(visible, rgba[..., 3], 0)
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), mode="RGBA").save(buf, format="PNG")
    return buf.getvalue(), [[raster.south, raster.west], [raster.north, raster.east]]
