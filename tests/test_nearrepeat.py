import numpy as np
import pyproj
import pytest

from geo.nearrepeat import (
    knox_test,
    link_repeats,
    local_metres,
    repeat_originals,
    repeat_pairs,
    times_in_days,
)

GEOD = pyproj.Geod(ellps="GRS80")
LON0, LAT0 = 113.0, 28.2  # Changsha
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(LAT0))
M_PER_DEG_LAT = 110_790.0


def random_events(n: int, size_m: float, days: float, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    lon = LON0 + rng.uniform(0, size_m, n) / M_PER_DEG_LON
    lat = LAT0 + rng.uniform(0, size_m, n) / M_PER_DEG_LAT
    t = rng.uniform(0, days, n)
    return lon, lat, t


def with_planted_repeats(
    n_base: int, n_repeats: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random events plus, for n_repeats of them, a follow-up within 60 m and 5 days."""
    lon, lat, t = random_events(n_base, 3000.0, 365.0, seed)
    rng = np.random.default_rng(seed + 1)
    src = rng.choice(n_base, n_repeats, replace=False)
    ang = rng.uniform(0, 2 * np.pi, n_repeats)
    dist = rng.uniform(0, 60.0, n_repeats)
    lon_r = lon[src] + dist * np.sin(ang) / M_PER_DEG_LON
    lat_r = lat[src] + dist * np.cos(ang) / M_PER_DEG_LAT
    t_r = t[src] + rng.uniform(0, 5.0, n_repeats)
    return np.concatenate([lon, lon_r]), np.concatenate([lat, lat_r]), np.concatenate([t, t_r])


def brute_force_table(
    lon: np.ndarray, lat: np.ndarray, t: np.ndarray, d_edges: list[float], t_edges: list[float]
) -> np.ndarray:
    n = lon.size
    i, j = np.triu_indices(n, k=1)
    _, _, dist = GEOD.inv(lon[i], lat[i], lon[j], lat[j])
    dt = np.abs(t[i] - t[j])
    table = np.zeros((len(d_edges), len(t_edges)), dtype=np.int64)
    d_lo = [0.0, *d_edges[:-1]]
    t_lo = [0.0, *t_edges[:-1]]
    for a, (lo, hi) in enumerate(zip(d_lo, d_edges, strict=True)):
        in_d = (dist <= hi) & ((dist > lo) if a else True)
        for b, (tlo, thi) in enumerate(zip(t_lo, t_edges, strict=True)):
            in_t = (dt <= thi) & ((dt > tlo) if b else True)
            table[a, b] = int(np.sum(in_d & in_t))
    return table


def test_local_metres_matches_geodesic_distances_over_a_county() -> None:
    rng = np.random.default_rng(0)
    lon = LON0 + rng.uniform(-0.3, 0.3, 300)  # about 60 km x 66 km
    lat = LAT0 + rng.uniform(-0.3, 0.3, 300)
    x, y = local_metres(lon, lat)
    i, j = np.triu_indices(lon.size, k=1)
    planar = np.hypot(x[i] - x[j], y[i] - y[j])
    _, _, geodesic = GEOD.inv(lon[i], lat[i], lon[j], lat[j])
    rel = np.abs(planar - geodesic) / geodesic
    assert rel.max() < 1e-4  # well inside the 1 % requirement


def test_times_in_days() -> None:
    t = np.array(["2024-03-01T00:00", "2024-03-08T06:00", "2024-02-29T00:00"], "datetime64[m]")
    assert times_in_days(t).tolist() == [1.0, 8.25, 0.0]
    assert times_in_days([3.5, 1.0]).tolist() == [3.5, 1.0]
    with pytest.raises(ValueError, match="NaT"):
        times_in_days(np.array(["2024-01-01", "NaT"], "datetime64[D]"))
    with pytest.raises(ValueError, match="empty"):
        times_in_days(np.array([], "datetime64[D]"))


def test_knox_observed_counts_match_brute_force() -> None:
    lon, lat, t = with_planted_repeats(400, 40, seed=11)
    d_edges, t_edges = [100.0, 200.0, 400.0], [7.0, 14.0, 21.0]
    result = knox_test(lon, lat, t, d_edges, t_edges, permutations=19, seed=1)
    assert result.observed.tolist() == brute_force_table(lon, lat, t, d_edges, t_edges).tolist()
    assert result.n_events == lon.size
    assert result.observed.shape == (3, 3)


def test_knox_detects_planted_near_repeats() -> None:
    lon, lat, t = with_planted_repeats(1500, 150, seed=7)
    r = knox_test(lon, lat, t, permutations=99, seed=0)
    # About 180 pairs fall in (0-100 m, 0-7 days) by chance (1,650 events on 9 km^2 over a
    # year); the 150 planted repeats push the ratio to about (180 + 150) / 180 = 1.8.
    assert 1.5 < r.ratio[0, 0] < 2.1
    assert r.p_values[0, 0] == pytest.approx(0.01)
    # ...while far bands stay near 1.
    assert 0.7 < r.ratio[2, 2] < 1.3
    assert r.p_values[2, 2] > 0.05


def test_knox_on_random_data_has_ratios_near_one() -> None:
    lon, lat, t = random_events(2000, 3000.0, 365.0, seed=3)
    r = knox_test(lon, lat, t, permutations=99, seed=2)
    assert np.all(r.expected > 20)
    assert np.all((r.ratio > 0.8) & (r.ratio < 1.2))
    assert np.all(r.p_values >= 0.01) and np.all(r.p_values <= 1.0)


def test_knox_is_reproducible_and_seeded() -> None:
    lon, lat, t = random_events(500, 2000.0, 100.0, seed=5)
    a = knox_test(lon, lat, t, permutations=20, seed=4)
    b = knox_test(lon, lat, t, permutations=20, seed=4)
    c = knox_test(lon, lat, t, permutations=20, seed=5)
    assert a.expected.tobytes() == b.expected.tobytes()
    assert a.p_values.tobytes() == b.p_values.tobytes()
    assert not np.array_equal(a.expected, c.expected)
    assert np.array_equal(a.observed, c.observed)


def test_knox_accepts_datetimes() -> None:
    lon, lat, t = with_planted_repeats(300, 30, seed=2)
    start = np.datetime64("2024-01-01T00:00:00", "s")
    dt = start + np.round(t * 86400).astype("timedelta64[s]")
    a = knox_test(lon, lat, dt, permutations=9)
    b = knox_test(lon, lat, np.round(t * 86400) / 86400, permutations=9)
    assert np.array_equal(a.observed, b.observed)
    assert np.allclose(a.expected, b.expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lon": [], "lat": [], "times": []}, "empty"),
        ({"lon": [113.0], "lat": [28.0], "times": [1.0]}, "at least two"),
        ({"lon": [113.0, np.nan], "lat": [28.0, 28.0], "times": [1.0, 2.0]}, "non-finite"),
        ({"lon": [113.0, 113.0], "lat": [28.0], "times": [1.0, 2.0]}, "mismatched"),
        ({"times": [1.0, 2.0, 3.0]}, "mismatched"),
        ({"times": [1.0, np.nan]}, "non-finite"),
        ({"distance_bands_m": (100.0, 0.0)}, "positive"),
        ({"distance_bands_m": (200.0, 100.0)}, "increasing"),
        ({"time_bands_days": (-7.0,)}, "positive"),
        ({"time_bands_days": ()}, "empty"),
        ({"permutations": 0}, "permutations"),
    ],
)
def test_knox_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"lon": [113.0, 113.001], "lat": [28.0, 28.0], "times": [0.0, 1.0]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        knox_test(**args)  # type: ignore[arg-type]


def test_repeat_pairs_match_brute_force() -> None:
    lon, lat, t = with_planted_repeats(500, 50, seed=9)
    pairs = repeat_pairs(lon, lat, t, distance_m=150.0, window_days=10.0)
    i, j = np.triu_indices(lon.size, k=1)
    _, _, dist = GEOD.inv(lon[i], lat[i], lon[j], lat[j])
    close = (dist <= 150.0) & (np.abs(t[i] - t[j]) <= 10.0)
    assert list(zip(pairs.i.tolist(), pairs.j.tolist(), strict=True)) == list(
        zip(i[close].tolist(), j[close].tolist(), strict=True)
    )
    assert np.allclose(pairs.distance_m, dist[close], rtol=1e-4)
    assert np.allclose(pairs.gap_days, np.abs(t[i[close]] - t[j[close]]))
    assert len(pairs) >= 50  # every planted repeat is a pair


def test_link_repeats_finds_planted_clusters() -> None:
    # Three far-apart sites; site A has a chain of three events 2 days apart (one cluster),
    # site B two events 30 days apart (no link), site C a pair 1 day apart.
    d = 40.0 / M_PER_DEG_LON
    lon = np.array([LON0, LON0 + d, LON0 + 2 * d, LON0 + 0.1, LON0 + 0.1, LON0 + 0.2, LON0 + 0.2])
    lat = np.full(lon.size, LAT0)
    t = np.array([0.0, 2.0, 4.0, 0.0, 30.0, 10.0, 11.0])
    labels = link_repeats(lon, lat, t, distance_m=50.0, window_days=3.0)
    assert labels.tolist() == [0, 0, 0, -1, -1, 1, 1]
    # Events 0 and 2 are 80 m and 4 days apart, linked only through event 1.
    assert link_repeats(
        lon[[0, 2]], lat[[0, 2]], t[[0, 2]], distance_m=50.0, window_days=3.0
    ).tolist() == [
        -1,
        -1,
    ]


def test_link_repeats_respects_categories() -> None:
    lon = np.array([LON0, LON0, LON0, LON0])
    lat = np.full(4, LAT0)
    t = np.array([0.0, 1.0, 2.0, 3.0])
    cats = np.array(["theft", "fight", "theft", "fight"])
    labels = link_repeats(lon, lat, t, distance_m=10.0, window_days=5.0, categories=cats)
    assert labels.tolist() == [0, 1, 0, 1]
    assert link_repeats(lon, lat, t, distance_m=10.0, window_days=5.0).tolist() == [0, 0, 0, 0]


def test_link_repeats_on_planted_data() -> None:
    lon, lat, t = with_planted_repeats(800, 80, seed=21)
    labels = link_repeats(lon, lat, t, distance_m=60.0, window_days=5.0)
    src_rng = np.random.default_rng(22)
    src = src_rng.choice(800, 80, replace=False)
    planted = np.arange(800, 880)
    assert np.all(labels[planted] >= 0)
    assert np.array_equal(labels[planted], labels[src])
    # Labels are numbered 0.. in order of first appearance.
    seen = labels[labels >= 0]
    _, first = np.unique(seen, return_index=True)
    assert np.array_equal(np.sort(seen[np.sort(first)]), np.arange(seen.max() + 1))
    assert seen[np.sort(first)].tolist() == list(range(seen.max() + 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"distance_m": 0.0}, "distance_m"),
        ({"window_days": -1.0}, "window_days"),
        ({"window_days": float("nan")}, "window_days"),
        ({"categories": ["a"]}, "mismatched"),
    ],
)
def test_link_repeats_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"distance_m": 50.0, "window_days": 3.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        link_repeats([113.0, 113.0], [28.0, 28.0], [0.0, 1.0], **args)  # type: ignore[arg-type]


def reference_originals(
    lon: np.ndarray,
    lat: np.ndarray,
    t: np.ndarray,
    cats: np.ndarray,
    closes: np.ndarray,
    fixed: np.ndarray,
    distance_m: float,
    window_days: float,
) -> list[int]:
    """The rule of ``repeat_originals``, report by report against every earlier one."""
    x, y = local_metres(lon, lat)
    order = sorted(range(t.size), key=lambda k: (t[k], not fixed[k], k))
    original = [-1] * t.size
    earlier: list[int] = []
    for j in order:
        best: tuple[float, int] | None = None
        for e in [] if fixed[j] else earlier:  # in the order they came in
            if original[e] >= 0 or cats[e] != cats[j] or closes[e] <= t[j]:
                continue
            d = float(np.hypot(x[e] - x[j], y[e] - y[j]))
            if t[j] - t[e] <= window_days and d <= distance_m and (best is None or d < best[0]):
                best = (d, e)
        if best is not None:
            original[j] = best[1]
        earlier.append(j)
    return original


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_repeat_originals_follows_the_rule_report_by_report(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 700
    lon, lat, t = random_events(n, 1500.0, 120.0, seed)
    t = np.round(t, 1)  # ties in time
    cats = rng.choice(np.array(["邻里纠纷", "劳资欠薪", "物业管理"]), n)
    stays = np.where(rng.random(n) < 0.4, rng.uniform(0.0, 20.0, n), np.nan)
    fixed = rng.random(n) < 0.2
    got = repeat_originals(
        lon,
        lat,
        t,
        distance_m=150.0,
        window_days=10.0,
        categories=cats,
        open_days=stays,
        fixed=fixed,
    )
    closes = t + np.where(np.isnan(stays), np.inf, stays)
    want = reference_originals(lon, lat, t, cats, closes, fixed, 150.0, 10.0)
    assert got.tolist() == want
    assert 50 < int((got >= 0).sum()) < n - 50  # the draw links many, not all
    assert not (got[fixed] >= 0).any()


def test_repeat_originals_a_repeat_is_never_an_original() -> None:
    # B repeats A (40 m, 2 days); C is 40 m from B but 80 m from A: B is a repeat, A too far.
    lon = LON0 + np.array([0.0, 40.0, 80.0]) / M_PER_DEG_LON
    got = repeat_originals(lon, [LAT0] * 3, [0.0, 2.0, 4.0], distance_m=50.0, window_days=7.0)
    assert got.tolist() == [-1, 0, -1]


def test_repeat_originals_takes_the_nearest_open_one_in_the_window() -> None:
    # E (day 3, at x = 0) has A 20 m away (closed on day 2), B 40 m (day 1), C 10 m (another
    # type), D 45 m (day 2): it repeats B, the nearest of its type still open.
    lon = LON0 + np.array([20.0, -40.0, 10.0, 45.0, 0.0]) / M_PER_DEG_LON
    cats = ["纠纷", "纠纷", "隐患", "纠纷", "纠纷"]
    stays = [2.0, np.nan, np.nan, np.nan, np.nan]
    args = {"distance_m": 50.0, "window_days": 7.0, "categories": cats, "open_days": stays}
    t = np.array([0.0, 1.0, 1.0, 2.0, 3.0])
    got = repeat_originals(lon, [LAT0] * 5, t, **args)  # type: ignore[arg-type]
    assert got.tolist() == [-1, -1, -1, -1, 1]
    # On day 9, B is 8 days back, out of the window; D, 7 days back, is in it.
    t[4] = 9.0
    assert repeat_originals(lon, [LAT0] * 5, t, **args).tolist() == [-1, -1, -1, -1, 3]  # type: ignore[arg-type]


def test_repeat_originals_measures_on_the_ellipsoid() -> None:
    # Two pairs a day apart, 199 m and 201 m along the ellipsoid (GRS80), north-east.
    lon2, lat2, _ = GEOD.fwd([LON0, LON0 + 0.1], [LAT0, LAT0], [45.0, 45.0], [199.0, 201.0])
    lon = [LON0, lon2[0], LON0 + 0.1, lon2[1]]
    lat = [LAT0, lat2[0], LAT0, lat2[1]]
    got = repeat_originals(lon, lat, [0.0, 1.0, 0.0, 1.0], distance_m=200.0, window_days=30.0)
    assert got.tolist() == [-1, 0, -1, -1]


def test_repeat_originals_fixed_reports_are_only_originals() -> None:
    # A fixed report after a new one at the same place: the fixed one is not linked; a new
    # report at the same time as a fixed one repeats it.
    got = repeat_originals(
        [LON0] * 3,
        [LAT0] * 3,
        [0.0, 1.0, 1.0],
        distance_m=50.0,
        window_days=7.0,
        fixed=[False, True, False],
    )
    assert got.tolist() == [-1, -1, 0]


def test_repeat_originals_bad_input() -> None:
    with pytest.raises(ValueError, match="mismatched"):
        repeat_originals(
            [LON0, LON0], [LAT0] * 2, [0.0, 1.0], distance_m=50.0, window_days=3.0, open_days=[1.0]
        )
    with pytest.raises(ValueError, match="window_days"):
        repeat_originals([LON0], [LAT0], [0.0], distance_m=50.0, window_days=0.0)
