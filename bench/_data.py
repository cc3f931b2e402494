"""Synthetic but realistic hot spot inputs shared by the benchmarks.

Incident counts per H3 cell: negative-binomial counts whose mean is a low background
raised by a scatter of Gaussian "hot" bumps (a few hundred metres to a few kilometres wide),
on a compact patch of resolution-8 cells (about 0.74 km2 each) around Chengdu, with k-ring-1
binary neighbours -- the platform's real workload.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np

from geo.checks import FloatArray
from geo.weights import Neighbours, h3_ring

CENTRE = (30.66, 104.06)  # Chengdu, lat/lng
RESOLUTION = 8


@dataclass(frozen=True)
class CellCounts:
    """Counts per cell and the cells' k-ring-1 neighbours."""

    cells: list[str]
    counts: FloatArray
    neighbours: Neighbours


def h3_patch(n_cells: int, resolution: int = RESOLUTION) -> list[str]:
    """Return the ``n_cells`` cells nearest (in grid steps) to ``CENTRE``, deterministically."""
    origin = h3.latlng_to_cell(*CENTRE, resolution)
    k = 0
    while 3 * k * (k + 1) + 1 < n_cells:
        k += 1
    cells = sorted(h3.grid_disk(origin, k), key=lambda c: (h3.grid_distance(origin, c), c))
    return cells[:n_cells]


def clustered_counts(
    cells: list[str],
    seed: int = 20240601,
    background: float = 0.6,
    dispersion: float = 1.5,
) -> FloatArray:
    """Negative-binomial counts with spatially clustered means over the given cells."""
    rng = np.random.default_rng(seed)
    latlng = np.array([h3.cell_to_latlng(c) for c in cells])
    y_km = (latlng[:, 0] - CENTRE[0]) * 111.32
    x_km = (latlng[:, 1] - CENTRE[1]) * 111.32 * np.cos(np.radians(CENTRE[0]))
    n_bumps = max(5, len(cells) // 400)
    pick = rng.choice(len(cells), size=n_bumps, replace=False)
    widths = rng.uniform(0.4, 3.0, n_bumps)
    heights = rng.uniform(1.0, 3.5, n_bumps)
    log_mean = np.full(len(cells), np.log(background))
    for centre, width, height in zip(pick, widths, heights, strict=True):
        d2 = (x_km - x_km[centre]) ** 2 + (y_km - y_km[centre]) ** 2
        log_mean += height * np.exp(-d2 / (2.0 * width**2))
    mean = np.exp(log_mean)
    counts = rng.negative_binomial(dispersion, dispersion / (dispersion + mean))
    return np.asarray(counts, dtype=np.float64)


def h3_counts(n_cells: int, seed: int = 20240601) -> CellCounts:
    """Clustered incident counts on ``n_cells`` H3 cells with k-ring-1 binary neighbours."""
    cells = h3_patch(n_cells)
    return CellCounts(cells, clustered_counts(cells, seed), h3_ring(cells, 1))
