"""The two sweeps of :func:`geo.nearrepeat.repeat_originals` link the same reports.

A few reports are swept in plain Python (no numba to load), many with the numba-compiled loop
(:data:`geo.nearrepeat.INTERPRETED_REPORTS`): both must give every report the same original.
"""

from __future__ import annotations

import numpy as np
import pytest

from geo import nearrepeat


def _reports(n: int, seed: int) -> dict[str, np.ndarray]:
    """Dense reports (about 1 km², two months): ties, closed originals and fixed ones."""
    rng = np.random.default_rng(seed)
    return {
        "lon": 116.0 + np.round(rng.random(n) * 0.01, 5),
        "lat": 39.0 + np.round(rng.random(n) * 0.01, 5),
        "times": np.floor(rng.random(n) * 60.0 * 4) / 4,  # quarter days: equal times
        "categories": rng.integers(0, 3, n),
        "open_days": np.where(rng.random(n) < 0.3, rng.random(n) * 10.0, np.nan),
        "fixed": rng.random(n) < 0.2,
    }


@pytest.mark.parametrize(("n", "seed"), [(300, 1), (nearrepeat.INTERPRETED_REPORTS + 500, 2)])
def test_interpreted_and_compiled_sweeps_link_the_same_reports(
    n: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = _reports(n, seed)
    lon, lat, times = reports.pop("lon"), reports.pop("lat"), reports.pop("times")

    def originals(interpreted_up_to: int) -> np.ndarray:
        monkeypatch.setattr(nearrepeat, "INTERPRETED_REPORTS", interpreted_up_to)
        return nearrepeat.repeat_originals(
            lon, lat, times, distance_m=200.0, window_days=7.0, **reports
        )

    interpreted, compiled = originals(n), originals(0)
    assert (interpreted >= 0).sum() > n // 10  # the sweep links many: the test compares links
    assert interpreted.tolist() == compiled.tolist()
