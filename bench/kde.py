"""Benchmark: kernel density of 1M points onto a 1000 x 1000 raster (target < 0.5 s)."""

from __future__ import annotations

import time

import numpy as np

from geo.kde import kernel_density, to_png


def points(n: int = 1_000_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered points over a city (about 60 km x 50 km around Guangzhou)."""
    rng = np.random.default_rng(seed)
    centres = np.column_stack([rng.uniform(113.0, 113.6, 40), rng.uniform(22.9, 23.35, 40)])
    which = rng.integers(0, 40, n)
    spread = rng.uniform(0.003, 0.03, 40)[which]
    lon = centres[which, 0] + rng.normal(0.0, 1.0, n) * spread
    lat = centres[which, 1] + rng.normal(0.0, 1.0, n) * spread
    return lon, lat


def best_of(runs: int, fn: object) -> float:
    assert callable(fn)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    lon, lat = points()
    kernel_density(lon[:1000], lat[:1000], shape=(100, 100))  # warm-up (imports, FFT plans)
    for kernel in ("gaussian", "quartic"):
        r = kernel_density(lon, lat, shape=(1000, 1000), kernel=kernel)
        t = best_of(5, lambda k=kernel: kernel_density(lon, lat, shape=(1000, 1000), kernel=k))
        print(
            f"kde {kernel:8s} 1M points -> {r.shape[0]}x{r.shape[1]}: best of 5 {t:.3f} s "
            f"(bandwidth {r.bandwidth_m:.0f} m, total {r.total():.1f})"
        )
    t_fixed = best_of(5, lambda: kernel_density(lon, lat, shape=(1000, 1000), bandwidth_m=300.0))
    print(f"kde gaussian, fixed 300 m bandwidth: best of 5 {t_fixed:.3f} s")
    r = kernel_density(lon, lat, shape=(1000, 1000))
    t_png = best_of(3, lambda: to_png(r, "hot"))
    png, _ = to_png(r, "hot")
    print(f"to_png 1000x1000: best of 3 {t_png:.3f} s ({len(png) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
