"""Benchmark: emerging hot spot analysis on a province-sized cube.

50,000 cells × 52 weekly steps. Neighbours: a random-ish planar k-nearest-neighbour graph
(k = 8) over 50,000 uniformly random points in the unit square, built with
``scipy.spatial.cKDTree`` (binary, self-loops removed, not symmetrised). Counts: Poisson with a
smooth spatial background plus a few hundred injected emerging, fading and steady clusters, so
that most classes occur. Also times :func:`geo.spacetime.build_cube` on 5 million events.

Run: ``.venv/bin/python bench/spacetime.py``.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from geo.emerging import EmergingClass, emerging_hotspots
from geo.spacetime import SpaceTimeCube, build_cube

N_CELLS = 50_000
N_STEPS = 52
K_NEAREST = 8
N_EVENTS = 5_000_000
SEED = 20240601


def knn_graph(points: np.ndarray, k: int) -> sparse.csr_matrix:
    _, idx = cKDTree(points).query(points, k=k + 1)
    rows = np.repeat(np.arange(len(points)), k)
    cols = idx[:, 1:].ravel()
    return sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(len(points), len(points)))


def synthetic_counts(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    base = 1.0 + 2.0 * np.exp(-((points - 0.5) ** 2).sum(axis=1) / 0.05)
    rate = np.repeat(base[:, None], N_STEPS, axis=1)
    weeks = np.arange(N_STEPS) / (N_STEPS - 1)
    tree = cKDTree(points)
    shapes = {
        "emerging": np.clip((weeks - 0.8) * 5.0, 0.0, None) * 6.0,
        "rising": 2.0 + 6.0 * weeks,
        "fading": 8.0 - 6.0 * weeks,
        "steady": np.full(N_STEPS, 4.0),
    }
    for profile in shapes.values():
        for centre in rng.random((60, 2)):
            members = tree.query_ball_point(centre, r=0.004)
            rate[members] += profile
    return rng.poisson(rate).astype(np.int64)


def main() -> None:
    rng = np.random.default_rng(SEED)
    points = rng.random((N_CELLS, 2))

    t0 = time.perf_counter()
    neighbours = knn_graph(points, K_NEAREST)
    t_graph = time.perf_counter() - t0

    counts = synthetic_counts(points, rng)
    edges = np.datetime64("2024-01-01") + np.arange(N_STEPS + 1) * np.timedelta64(7, "D")
    cube = SpaceTimeCube(counts=counts, edges=edges, unit_ids=np.arange(N_CELLS))

    emerging_hotspots(cube, neighbours)  # warm-up (imports, page faults)
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = emerging_hotspots(cube, neighbours)
        runs.append(time.perf_counter() - t0)

    unit = rng.integers(0, N_CELLS, N_EVENTS)
    stamps = np.datetime64("2024-01-01T00:00:00") + rng.integers(
        0, N_STEPS * 7 * 86400, N_EVENTS
    ).astype("timedelta64[s]")
    t0 = time.perf_counter()
    built = build_cube(unit, stamps, N_CELLS, bin="7D")
    t_cube = time.perf_counter() - t0

    print(
        f"cells {N_CELLS:,}, weekly steps {N_STEPS}, kNN k={K_NEAREST} graph "
        f"({neighbours.nnz:,} links) built in {t_graph:.2f} s"
    )
    print(
        f"emerging hot spots (Gi* per step, k=1, cube window; Mann-Kendall of z and of "
        f"counts; classification): best {min(runs):.2f} s, runs "
        + ", ".join(f"{r:.2f}" for r in runs)
    )
    print(f"build_cube, {N_EVENTS:,} events -> {built.counts.shape}: {t_cube:.2f} s")
    for code, count in sorted(result.class_counts().items(), key=lambda kv: -kv[1]):
        print(f"  {EmergingClass(code).label:6s} {EmergingClass(code).name:18s} {count:7,d}")


if __name__ == "__main__":
    main()
