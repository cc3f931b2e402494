"""Benchmark: our Getis-Ord Gi* against esda's ``G_Local(star=True)``.

Run from the project root::

    .venv/bin/python bench/hotspots.py                 # 10k and 100k units, 999 permutations
    .venv/bin/python bench/hotspots.py --sizes 10000   # quicker

Inputs: negative-binomial incident counts with spatial clustering on H3 resolution-8 cells,
k-ring-1 binary neighbours (see ``bench/_data.py``) -- the platform's workload -- and, as a
second case, the same counts plus uniform noise (continuous values, every unit its own
conditional distribution: our per-unit fallback path).

Both sides get the same values and the same weights (esda a libpysal ``W`` built from our
sparse matrix), are warmed up once (numba JIT) before timing, and are timed end to end on
the statistic call only. esda runs with its defaults (``n_jobs=-1``: joblib/loky processes,
one per core; ``keep_simulations=True``); it is called with ``transform="B", star=True``.

Agreement printed per case:
- ``max|dZs|``: analytic z-scores, must be ~0.
- ``p_sim vs esda draws``: esda's own simulated statistics re-read with exact ties (a draw
  equal to the observed statistic counts as ">=", as the definition says). esda computes
  its draws as ``x * (1/sum)`` but the observed value as ``x / sum``, so with integer counts
  a tie lands an ulp either side at random; its raw ``p_sim`` is shown too, with the share of
  units that this rounding moved.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _data import h3_counts  # noqa: E402

from geo.hotspots import getis_ord_gi_star  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    times = []
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, out


def exact_tie_p(sim: np.ndarray, observed: np.ndarray, permutations: int) -> np.ndarray:
    """esda's directed p-value recomputed from esda's draws (n x P), ties counted as >=."""
    tol = 1e-12 * np.abs(observed)
    larger = np.zeros(observed.size, dtype=np.int64)
    for lo in range(0, observed.size, 10_000):
        hi = lo + 10_000
        larger[lo:hi] = (sim[lo:hi] >= (observed[lo:hi] - tol[lo:hi])[:, None]).sum(axis=1)
    tail = np.minimum(larger, permutations - larger)
    return (tail + 1.0) / (permutations + 1.0)


def agreement(p_a: np.ndarray, p_b: np.ndarray, permutations: int) -> str:
    p_bar = (p_a + p_b) / 2.0
    sd = np.sqrt(2.0 * p_bar * (1.0 - p_bar) / permutations)
    diff = np.abs(p_a - p_b)
    within = float(np.mean(diff <= 4.0 * sd + 0.002))
    return (
        f"max|dp|={diff.max():.4f} mean(dp)={float(np.mean(p_a - p_b)):+.5f} "
        f"within 4sd+0.002: {within:.2%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--no-continuous", action="store_true", help="skip the fallback case")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # esda's deprecation notices

    import esda
    import libpysal
    import numba
    from esda import G_Local

    perms = args.permutations
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"numba {numba.__version__} threads={numba.get_num_threads()}; "
        f"esda {esda.__version__}, libpysal {libpysal.__version__}"
    )
    print(
        f"esda call: G_Local(y, w, transform='B', star=True, permutations={perms}, seed=7) "
        f"with its defaults n_jobs=-1 (joblib loky, {os.cpu_count() or 1} worker processes), "
        "keep_simulations=True"
    )

    # Warm-up: numba JIT for both sides (esda compiles in each loky worker too).
    warm = h3_counts(3000)
    warm_w = libpysal.weights.WSP(warm.neighbours.sparse).to_W(silence_warnings=True)
    start = time.perf_counter()
    G_Local(warm.counts, warm_w, transform="B", star=True, permutations=perms, seed=1)
    G_Local(warm.counts + 0.5, warm_w, transform="B", star=True, permutations=perms, seed=1)
    print(f"esda warm-up (JIT) {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    getis_ord_gi_star(warm.counts, warm.neighbours, permutations=perms)
    getis_ord_gi_star(warm.counts + 0.5, warm.neighbours, permutations=perms)
    print(f"ours warm-up (JIT or cache load) {time.perf_counter() - start:.1f} s")

    rng = np.random.default_rng(3)
    for n in args.sizes:
        data = h3_counts(n)
        w = libpysal.weights.WSP(data.neighbours.sparse).to_W(silence_warnings=True)
        cases = [("counts", data.counts)]
        if not args.no_continuous:
            cases.append(("continuous", data.counts + rng.uniform(0.0, 1.0, n)))
        card = np.bincount(data.neighbours.cardinalities)
        print(
            f"\n=== n={n:,} H3 res-8 cells, k-ring-1 binary (neighbour counts "
            f"{ {k: int(v) for k, v in enumerate(card) if v} }), {perms} permutations"
        )
        for label, y in cases:
            zeros = float(np.mean(y == 0))
            print(
                f"[{label}] values: mean {y.mean():.2f}, max {y.max():.0f}, zeros {zeros:.0%}, "
                f"{np.unique(y).size} distinct"
            )
            ours_call = partial(getis_ord_gi_star, y, data.neighbours, permutations=perms, seed=7)
            esda_call = partial(G_Local, y, w, transform="B", star=True, permutations=perms, seed=7)
            ours_t, ours_all, ours = timed(ours_call, 3)
            esda_t, _, ref = timed(esda_call, 1)
            print(
                f"  ours  {ours_t:8.3f} s (median of 3: "
                f"{', '.join(f'{t:.3f}' for t in ours_all)}; {ours.n_classes:,} distinct "
                "conditional distributions simulated)"
            )
            print(f"  esda  {esda_t:8.3f} s (1 run)")
            print(f"  speed-up esda/ours: {esda_t / ours_t:.1f}x")
            print(f"  max|dZs| = {np.max(np.abs(ours.Zs - ref.Zs)):.3e}")
            p_ref = exact_tie_p(ref.rGs, ref.Gs, perms)
            moved = float(np.mean(p_ref != ref.p_sim.astype(np.float64).round(6)))
            print(f"  p_sim vs esda draws (exact ties): {agreement(ours.p_sim, p_ref, perms)}")
            print(
                f"  p_sim vs esda raw p_sim:          "
                f"{agreement(ours.p_sim, ref.p_sim.astype(np.float64), perms)} "
                f"(esda's float ties moved {moved:.1%} of its p-values)"
            )
            del ref


def main_all() -> None:
    """Gi* against esda, then the emerging hot spot and kernel density figures."""
    import kde
    import spacetime

    main()
    print("\n=== emerging hot spots (bench/spacetime.py)")
    spacetime.main()
    print("\n=== kernel density (bench/kde.py)")
    kde.main()


if __name__ == "__main__":
    main_all()
