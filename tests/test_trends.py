"""Tests for geo.trends (Mann–Kendall), geo.spacetime (cube, space-time Gi*), geo.emerging."""

from __future__ import annotations

import datetime as dt
import itertools
import warnings

import numpy as np
import pytest
from scipy import sparse, stats

from geo.emerging import (
    EmergingClass,
    classify_emerging,
    emerging_hotspots,
    emerging_labels,
)
from geo.spacetime import SpaceTimeCube, build_cube, gi_star_spacetime, parse_bin
from geo.trends import MIN_SERIES_LENGTH, mann_kendall, two_sided_p

E = EmergingClass

# --------------------------------------------------------------------------- Mann–Kendall


def test_mann_kendall_hand_computed_without_ties() -> None:
    # x = 1,2,3,4: all six pairs increase, S = 6; Var = 4·3·13/18; z = (6 − 1)/√Var.
    r = mann_kendall([1.0, 2.0, 3.0, 4.0])
    assert r.s.tolist() == [6]
    assert r.var_s[0] == pytest.approx(156 / 18)
    assert r.z[0] == pytest.approx(5 / np.sqrt(156 / 18))
    assert r.p[0] == pytest.approx(0.08943, abs=1e-5)
    assert r.tau[0] == pytest.approx(1.0)
    assert r.trend.tolist() == [1]  # significant at 90 %
    assert mann_kendall([1.0, 2.0, 3.0, 4.0], alpha=0.05).trend.tolist() == [0]


def test_mann_kendall_hand_computed_with_ties() -> None:
    # x = 1,1,2,3: S = 5 (the tied pair counts 0); one tie group of 2: 2·1·9 = 18.
    r = mann_kendall([1, 1, 2, 3])
    assert r.s.tolist() == [5]
    assert r.var_s[0] == pytest.approx((156 - 18) / 18)
    assert r.z[0] == pytest.approx(4 / np.sqrt(138 / 18))


def test_mann_kendall_matches_scipy_kendalltau_against_time() -> None:
    rng = np.random.default_rng(7)
    series = rng.integers(0, 6, size=(20, 17)).astype(float)  # many ties
    series[3] += np.arange(17)  # one clear trend
    result = mann_kendall(series, continuity=False)
    n = series.shape[1]
    n0 = n * (n - 1) / 2
    for row, x in enumerate(series):
        kt = stats.kendalltau(np.arange(n), x, method="asymptotic")
        _, tie_sizes = np.unique(x, return_counts=True)
        n1 = (tie_sizes * (tie_sizes - 1) / 2).sum()
        assert result.s[row] == round(kt.statistic * np.sqrt(n0 * (n0 - n1)))
        assert result.p[row] == pytest.approx(kt.pvalue, rel=1e-9)


def test_mann_kendall_matches_pymannkendall() -> None:
    pmk = pytest.importorskip("pymannkendall")
    rng = np.random.default_rng(11)
    series = np.vstack(
        [
            rng.normal(size=30),
            rng.normal(size=30) + np.linspace(0, 2, 30),
            rng.integers(0, 4, size=30).astype(float),
            -np.arange(30.0),
        ]
    )
    ours = mann_kendall(series, alpha=0.05)
    for row, x in enumerate(series):
        ref = pmk.original_test(x, alpha=0.05)
        assert ours.s[row] == ref.s
        assert ours.var_s[row] == pytest.approx(ref.var_s)
        assert ours.z[row] == pytest.approx(ref.z)
        assert ours.p[row] == pytest.approx(ref.p)
        assert ours.tau[row] == pytest.approx(ref.Tau)
        expected = {"increasing": 1, "decreasing": -1, "no trend": 0}[ref.trend]
        assert ours.trend[row] == expected


def test_mann_kendall_rows_equal_single_series() -> None:
    rng = np.random.default_rng(2)
    matrix = rng.normal(size=(5, 12))
    together = mann_kendall(matrix)
    for row, x in enumerate(matrix):
        alone = mann_kendall(x)
        assert alone.s[0] == together.s[row]
        assert alone.p[0] == together.p[row]


def test_mann_kendall_constant_and_decreasing() -> None:
    r = mann_kendall([[5, 5, 5, 5, 5], [9, 7, 5, 3, 1]])
    assert r.s.tolist() == [0, -10]
    assert r.z[0] == 0.0 and r.p[0] == 1.0
    assert r.trend.tolist() == [0, -1]
    assert r.significant.tolist() == [False, True]


@pytest.mark.parametrize(
    ("series", "message"),
    [
        pytest.param([], "empty", id="empty"),
        pytest.param([[], []], "empty", id="empty-rows"),
        pytest.param([1.0, np.nan, 2.0, 3.0], "non-finite", id="nan"),
        pytest.param([1.0, np.inf, 2.0, 3.0], "non-finite", id="inf"),
        pytest.param([1.0, 2.0, 3.0], "too short", id="three-values"),
        pytest.param(np.zeros((2, 2, 5)), "2-D", id="three-dimensional"),
    ],
)
def test_mann_kendall_rejects_bad_input(series: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mann_kendall(series)  # type: ignore[arg-type]


def test_mann_kendall_rejects_bad_alpha() -> None:
    with pytest.raises(ValueError, match="alpha"):
        mann_kendall([1, 2, 3, 4], alpha=1.5)


def test_minimum_length_is_the_shortest_series_that_can_be_significant() -> None:
    assert mann_kendall(np.arange(MIN_SERIES_LENGTH)).p[0] < 0.10
    # with one value fewer even a perfect trend is far from significant
    s = 3
    var = 3 * 2 * 11 / 18
    assert two_sided_p((s - 1) / np.sqrt(var))[()] == pytest.approx(0.296, abs=1e-3)


def test_two_sided_p_matches_normal_distribution() -> None:
    z = np.array([-4.0, -1.0, 0.0, 0.5, 2.0, 9.0])
    assert np.allclose(two_sided_p(z), 2 * stats.norm.sf(np.abs(z)), rtol=1e-12, atol=0)


# --------------------------------------------------------------------------- build_cube


def _dt(text: str) -> np.datetime64:
    return np.datetime64(text)


def test_build_cube_counts_match_brute_force() -> None:
    rng = np.random.default_rng(5)
    n_events, n_units = 2000, 7
    unit = rng.integers(0, n_units, n_events)
    seconds = rng.integers(0, 60 * 86400, n_events)
    times = _dt("2024-03-01T00:00:00") + seconds.astype("timedelta64[s]")
    cube = build_cube(unit, times, n_units, bin="7D")

    assert cube.edges[-1] == _dt("2024-03-01") + np.timedelta64(
        int(seconds.max() // 86400) + 1, "D"
    )
    assert np.all(np.diff(cube.edges) == np.timedelta64(7, "D"))
    assert cube.edges[0] <= times.min()
    expected = np.zeros((n_units, len(cube.edges) - 1), dtype=np.int64)
    for u, t in zip(unit, times, strict=True):
        step = int(np.searchsorted(cube.edges, t, side="right")) - 1
        expected[u, step] += 1
    assert np.array_equal(cube.counts, expected)
    assert cube.counts.sum() == n_events
    assert cube.n_units == n_units and cube.n_steps == expected.shape[1]
    assert np.array_equal(cube.unit_ids, np.arange(n_units))


def test_build_cube_start_end_keep_half_open_range() -> None:
    times = np.array(
        ["2024-01-01", "2024-01-07T23:59", "2024-01-08", "2024-01-14T12", "2024-01-15"],
        dtype="datetime64[m]",
    )
    cube = build_cube([0, 0, 1, 1, 1], times, 2, bin="1W", start="2024-01-01", end="2024-01-15")
    assert cube.edges.tolist() == [
        dt.datetime(2024, 1, 1),
        dt.datetime(2024, 1, 8),
        dt.datetime(2024, 1, 15),
    ]
    assert cube.counts.tolist() == [[2, 0], [0, 2]]  # the event at the end instant is left out


def test_build_cube_bins_align_on_end() -> None:
    times = np.array(["2024-01-03", "2024-01-10"], dtype="datetime64[D]")
    cube = build_cube([0, 0], times, 1, bin="7D", start="2024-01-03", end="2024-01-12")
    # 9 days → two weekly bins ending at the end; the first starts before `start`
    assert cube.edges.astype("datetime64[D]").astype(str).tolist() == [
        "2023-12-29",
        "2024-01-05",
        "2024-01-12",
    ]
    assert cube.counts.tolist() == [[1, 1]]


@pytest.mark.parametrize(
    "bin_size",
    [
        pytest.param("7D", id="text-days"),
        pytest.param("1W", id="text-week"),
        pytest.param("168h", id="text-hours"),
        pytest.param(dt.timedelta(days=7), id="datetime-timedelta"),
        pytest.param(np.timedelta64(7, "D"), id="numpy-timedelta"),
    ],
)
def test_build_cube_bin_spellings_agree(bin_size: object) -> None:
    rng = np.random.default_rng(9)
    times = _dt("2024-05-01") + rng.integers(0, 50 * 24, 300).astype("timedelta64[h]")
    unit = rng.integers(0, 4, 300)
    ref = build_cube(unit, times, 4, bin="7D")
    other = build_cube(unit, times, 4, bin=bin_size)  # type: ignore[arg-type]
    assert np.array_equal(ref.counts, other.counts)
    assert np.array_equal(ref.edges, other.edges)


def test_build_cube_accepts_iso_text_and_unit_ids() -> None:
    cube = build_cube([1, 0], ["2024-01-01", "2024-01-02"], 2, unit_ids=["a", "b"])
    assert cube.unit_ids.tolist() == ["a", "b"]
    assert cube.counts.sum() == 2


def test_build_cube_accepts_month_resolution_times() -> None:
    months = np.array(["2024-01", "2024-02", "2024-03"], dtype="datetime64[M]")
    cube = build_cube([0, 0, 1], months, 2, bin="7D")
    assert cube.counts.sum() == 3
    assert cube.edges[-1] == np.datetime64("2024-03-02")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"unit_index": [], "times": np.array([], "datetime64[s]")}, "empty", id="empty"
        ),
        pytest.param({"unit_index": [0, 1]}, "mismatched lengths", id="mismatched-lengths"),
        pytest.param(
            {"times": np.array(["2024-01-01", "NaT", "2024-01-03"], "datetime64[D]")},
            "NaT",
            id="nat-time",
        ),
        pytest.param({"unit_index": [0, 1, 5]}, "outside", id="unit-out-of-range"),
        pytest.param({"unit_index": [0, -1, 1]}, "outside", id="negative-unit"),
        pytest.param({"unit_index": [0.0, 1.5, 1.0]}, "whole numbers", id="fractional-unit"),
        pytest.param({"unit_index": [0.0, np.nan, 1.0]}, "non-finite", id="nan-unit"),
        pytest.param({"times": [1, 2, 3]}, "datetime64", id="integer-times"),
        pytest.param(
            {"times": ["2024-01-01", "soon", "2024-01-03"]}, "not a date", id="bad-text-time"
        ),
        pytest.param({"bin": "1M"}, "not understood", id="month-bin"),
        pytest.param({"bin": np.timedelta64(-7, "D")}, "positive", id="negative-bin"),
        pytest.param({"bin": 7}, "timedelta", id="integer-bin"),
        pytest.param({"start": "2024-02-01", "end": "2024-01-01"}, "after", id="end-before-start"),
        pytest.param({"n_units": 0}, "n_units", id="no-units"),
        pytest.param({"unit_ids": [1, 2]}, "unit_ids", id="unit-ids-length"),
    ],
)
def test_build_cube_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "unit_index": [0, 1, 2],
        "times": np.array(["2024-01-01", "2024-01-02", "2024-01-03"], "datetime64[D]"),
        "n_units": 3,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        build_cube(**args)  # type: ignore[arg-type]


def test_parse_bin_examples() -> None:
    assert parse_bin("12h") == np.timedelta64(12, "h")
    assert parse_bin("30m") == np.timedelta64(30, "m")
    with pytest.raises(ValueError, match="positive"):
        parse_bin("0D")


# --------------------------------------------------------------------------- space-time Gi*


def _knn(points: np.ndarray, k: int) -> sparse.csr_matrix:
    from scipy.spatial import cKDTree

    _, idx = cKDTree(points).query(points, k + 1)
    rows = np.repeat(np.arange(len(points)), k)
    return sparse.csr_matrix(
        (np.ones(rows.size), (rows, idx[:, 1:].ravel())), shape=(len(points),) * 2
    )


def _naive_gi_star(x: np.ndarray, w: sparse.csr_matrix, k: int, window: str) -> np.ndarray:
    """Loop-by-loop textbook Gi* over the space-time neighbourhood (reference)."""
    n_units, n_steps = x.shape
    dense = w.toarray() + np.eye(n_units)
    z = np.zeros_like(x, dtype=float)
    for i, t in itertools.product(range(n_units), range(n_steps)):
        steps = range(max(0, t - k), t + 1)
        local = sum(dense[i] @ x[:, s] for s in steps)
        weight = dense[i].sum() * len(steps)
        if window == "cube":
            sample = x.ravel()
        elif window == "step":
            sample = x[:, t]
        else:
            sample = x[:, max(0, t - k) : t + 1].ravel()
        n = sample.size
        mean = sample.mean()
        s = np.sqrt((sample**2).mean() - mean**2)
        spread = (n * weight - weight**2) / (n - 1)
        z[i, t] = 0.0 if s == 0 or spread <= 0 else (local - weight * mean) / (s * np.sqrt(spread))
    return z


@pytest.fixture(scope="module")
def small_world() -> tuple[np.ndarray, sparse.csr_matrix]:
    rng = np.random.default_rng(21)
    points = rng.random((30, 2))
    counts = rng.poisson(2.0, size=(30, 6)).astype(float)
    w = _knn(points, 4)
    burst = np.concatenate([[0], w[[0]].indices])  # unit 0 and its four neighbours
    counts[np.ix_(burst, np.arange(3, 6))] += 6
    return counts, w


@pytest.mark.parametrize("window", ["cube", "neighbourhood", "step"])
@pytest.mark.parametrize("k", [0, 1, 2])
def test_gi_star_matches_naive_formula(
    small_world: tuple[np.ndarray, sparse.csr_matrix], k: int, window: str
) -> None:
    counts, w = small_world
    gi = gi_star_spacetime(counts, w, time_steps=k, global_window=window)  # type: ignore[arg-type]
    assert np.allclose(gi.z, _naive_gi_star(counts, w, k, window), atol=1e-10)
    assert np.allclose(gi.p, 2 * stats.norm.sf(np.abs(gi.z)))
    assert gi.time_steps == k and gi.global_window == window


def _esda_zs(values: np.ndarray, w: sparse.spmatrix) -> np.ndarray:
    libpysal_weights = pytest.importorskip("libpysal.weights")
    getisord = pytest.importorskip("esda.getisord")
    weights = libpysal_weights.WSP(sparse.csr_matrix(w)).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = getisord.G_Local(values, weights, transform="B", star=True, permutations=0)
    return np.asarray(g.Zs)


def _space_time_graph(w: sparse.csr_matrix, n_steps: int, k: int) -> sparse.csr_matrix:
    """Stack the space-time neighbourhood as one graph; node id = step · units + unit."""
    n = w.shape[0]
    with_self = w + sparse.identity(n, format="csr")
    empty = sparse.csr_matrix((n, n))
    blocks = [
        [with_self if 0 <= t - s <= k else empty for s in range(n_steps)] for t in range(n_steps)
    ]
    graph = sparse.csr_matrix(sparse.bmat(blocks))
    graph.setdiag(0)
    graph.eliminate_zeros()
    return graph


@pytest.mark.parametrize("k", [0, 1, 2])
def test_gi_star_cube_window_matches_esda_on_the_space_time_graph(
    small_world: tuple[np.ndarray, sparse.csr_matrix], k: int
) -> None:
    counts, w = small_world
    n_units, n_steps = counts.shape
    reference = _esda_zs(counts.T.ravel(), _space_time_graph(w, n_steps, k))
    ours = gi_star_spacetime(counts, w, time_steps=k, global_window="cube").z
    assert np.allclose(ours, reference.reshape(n_steps, n_units).T, atol=1e-10)


def test_gi_star_step_window_matches_esda_per_time_slice(
    small_world: tuple[np.ndarray, sparse.csr_matrix],
) -> None:
    counts, w = small_world
    ours = gi_star_spacetime(counts, w, time_steps=0, global_window="step").z
    for t in range(counts.shape[1]):
        assert np.allclose(ours[:, t], _esda_zs(counts[:, t], w), atol=1e-10)


def test_gi_star_finds_the_burst(small_world: tuple[np.ndarray, sparse.csr_matrix]) -> None:
    counts, w = small_world
    gi = gi_star_spacetime(counts, w)
    assert (gi.z[0, 4:] > 1.645).all() and (gi.p[0, 4:] < 0.10).all()
    assert (gi.z[0, :3] < gi.z[0, 4:].min()).all()


def test_gi_star_empty_step_is_not_significant_in_step_window() -> None:
    w = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    x = np.array([[0, 1, 5], [0, 2, 1], [0, 3, 0]], dtype=float)  # nothing in week 0
    gi = gi_star_spacetime(x, w, time_steps=0, global_window="step")
    assert gi.z[:, 0].tolist() == [0.0, 0.0, 0.0]
    assert gi.p[:, 0].tolist() == [1.0, 1.0, 1.0]
    assert np.all(np.isfinite(gi.z)) and np.any(gi.z[:, 1:] != 0.0)


def test_gi_star_single_unit_does_not_crash() -> None:
    gi = gi_star_spacetime(
        [[1.0, 2.0, 3.0, 4.0]], sparse.csr_matrix((1, 1)), time_steps=0, global_window="step"
    )
    assert gi.z.tolist() == [[0.0, 0.0, 0.0, 0.0]]


def test_gi_star_accepts_asymmetric_sparse_arrays() -> None:
    w = sparse.csr_array(np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=float))
    gi = gi_star_spacetime(np.array([[1, 2], [3, 4], [5, 9]]), w, time_steps=0)
    assert gi.z.shape == (3, 2) and np.all(np.isfinite(gi.z))


@pytest.mark.parametrize(
    ("values", "neighbours", "kwargs", "message"),
    [
        pytest.param(np.ones((3, 4)), None, {}, "zero variance", id="constant-cube"),
        pytest.param(np.zeros((0, 4)), None, {}, "empty", id="empty"),
        pytest.param([[1.0, np.nan], [2.0, 3.0], [1.0, 1.0]], None, {}, "non-finite", id="nan"),
        pytest.param([1.0, 2.0, 3.0], None, {}, "2-D", id="one-dimensional"),
        pytest.param(None, np.eye(3), {}, "scipy.sparse", id="dense-neighbours"),
        pytest.param(None, sparse.csr_matrix((4, 4)), {}, "3×3", id="wrong-shape"),
        pytest.param(None, sparse.identity(3, format="csr"), {}, "itself", id="self-loops"),
        pytest.param(
            None,
            sparse.csr_matrix(np.array([[0, 0.5, 0], [0.5, 0, 0], [0, 0, 0]])),
            {},
            "binary",
            id="weighted",
        ),
        pytest.param(None, None, {"time_steps": -1}, "time_steps", id="negative-time-steps"),
        pytest.param(None, None, {"time_steps": 1.5}, "time_steps", id="fractional-time-steps"),
        pytest.param(None, None, {"global_window": "month"}, "global_window", id="bad-window"),
    ],
)
def test_gi_star_rejects_bad_input(
    values: object, neighbours: object, kwargs: dict[str, object], message: str
) -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 7.0]]) if values is None else values
    w = sparse.csr_matrix((3, 3)) if neighbours is None else neighbours
    with pytest.raises(ValueError, match=message):
        gi_star_spacetime(x, w, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- classification

HOT_Z, COLD_Z, QUIET_Z = 3.0, -3.0, 0.3
SIG_P, QUIET_P = 0.01, 0.6


def series(pattern: str, z: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One unit's (z, p) from a pattern: H hot, C cold, . not significant (oldest first)."""
    default = {"H": HOT_Z, "C": COLD_Z, ".": QUIET_Z}
    zs = np.array([default[c] for c in pattern] if z is None else z, dtype=float)
    ps = np.array([QUIET_P if c == "." else SIG_P for c in pattern])
    assert len(zs) == len(pattern)
    return zs, ps


RISING = [2.0 + 0.5 * i for i in range(10)]
FALLING = RISING[::-1]
FLAT = [3.0, 4.0] * 5

# (case id, pattern, z override, expected class) — hand-made hot spot series of ten steps
HOT_CASES: list[tuple[str, str, list[float] | None, EmergingClass]] = [
    ("new:final-only", ".........H", None, E.NEW_HOT),
    ("consecutive:final-run-of-3", ".......HHH", None, E.CONSECUTIVE_HOT),
    ("consecutive:final-run-of-8", "..HHHHHHHH", None, E.CONSECUTIVE_HOT),
    ("intensifying:all-hot-rising", "HHHHHHHHHH", RISING, E.INTENSIFYING_HOT),
    ("intensifying:9-of-10-rising", "H.HHHHHHHH", RISING, E.INTENSIFYING_HOT),
    ("persistent:all-hot-flat", "HHHHHHHHHH", FLAT, E.PERSISTENT_HOT),
    ("persistent:all-hot-same", "HHHHHHHHHH", None, E.PERSISTENT_HOT),
    ("diminishing:all-hot-falling", "HHHHHHHHHH", FALLING, E.DIMINISHING_HOT),
    ("sporadic:on-off", ".H..H.H..H", None, E.SPORADIC_HOT),
    ("sporadic:run-with-earlier-hot", "..H....HHH", None, E.SPORADIC_HOT),
    ("sporadic:two-apart", "....H....H", None, E.SPORADIC_HOT),
    ("oscillating:cold-then-hot", "C....H...H", None, E.OSCILLATING_HOT),
    ("oscillating:cold-before-new", ".C.......H", None, E.OSCILLATING_HOT),
    ("oscillating:cold-before-run", "C......HHH", None, E.OSCILLATING_HOT),
    ("historical:9-hot-then-quiet", "HHHHHHHHH.", None, E.HISTORICAL_HOT),
    ("historical:9-hot-falling-quiet", "HHHHHHHHH.", FALLING[:9] + [0.3], E.HISTORICAL_HOT),
    ("none:quiet", "..........", None, E.NO_PATTERN),
    ("none:hot-not-final", "..H.......", None, E.NO_PATTERN),
    ("none:sporadic-not-final", ".H..H.H...", None, E.NO_PATTERN),
    ("none:8-hot-then-quiet", "HHHHHHHH..", None, E.NO_PATTERN),
    ("none:final-hot-but-insignificant-z0", ".........H", [0.3] * 9 + [0.0], E.NO_PATTERN),
    ("persistent-not-intensifying:9-hot-final-hot", "HHHH.HHHHH", None, E.PERSISTENT_HOT),
    ("oscillating-cold:mostly-hot-final-cold", "HHHHHHHHHC", None, E.OSCILLATING_COLD),
]


def _mirror(pattern: str, z: list[float] | None) -> tuple[str, list[float] | None]:
    swapped = pattern.translate(str.maketrans("HC", "CH"))
    return swapped, None if z is None else [-v for v in z]


def _mirror_class(cls: EmergingClass) -> EmergingClass:
    return EmergingClass(-int(cls))


ALL_CASES: list[tuple[str, str, list[float] | None, EmergingClass]] = list(HOT_CASES)
for _id, _pattern, _z, _cls in HOT_CASES:
    _mp, _mz = _mirror(_pattern, _z)
    ALL_CASES.append((f"cold-twin/{_id}", _mp, _mz, _mirror_class(_cls)))

# near misses: for each class, series that must NOT get it (and what they get instead)
MUST_NOT: list[tuple[EmergingClass, str]] = [
    (E.NEW_HOT, "sporadic:two-apart"),
    (E.NEW_HOT, "oscillating:cold-before-new"),
    (E.NEW_HOT, "none:hot-not-final"),
    (E.CONSECUTIVE_HOT, "sporadic:run-with-earlier-hot"),
    (E.CONSECUTIVE_HOT, "oscillating:cold-before-run"),
    (E.CONSECUTIVE_HOT, "intensifying:9-of-10-rising"),
    (E.INTENSIFYING_HOT, "persistent:all-hot-flat"),
    (E.INTENSIFYING_HOT, "consecutive:final-run-of-8"),
    (E.PERSISTENT_HOT, "intensifying:all-hot-rising"),
    (E.PERSISTENT_HOT, "diminishing:all-hot-falling"),
    (E.PERSISTENT_HOT, "historical:9-hot-then-quiet"),
    (E.DIMINISHING_HOT, "historical:9-hot-falling-quiet"),
    (E.DIMINISHING_HOT, "persistent:all-hot-flat"),
    (E.SPORADIC_HOT, "oscillating:cold-then-hot"),
    (E.SPORADIC_HOT, "none:sporadic-not-final"),
    (E.SPORADIC_HOT, "consecutive:final-run-of-3"),
    (E.OSCILLATING_HOT, "sporadic:on-off"),
    (E.OSCILLATING_HOT, "oscillating-cold:mostly-hot-final-cold"),
    (E.HISTORICAL_HOT, "none:8-hot-then-quiet"),
    (E.HISTORICAL_HOT, "oscillating-cold:mostly-hot-final-cold"),
    (E.HISTORICAL_HOT, "persistent-not-intensifying:9-hot-final-hot"),
    (E.NO_PATTERN, "sporadic:two-apart"),
    (E.NO_PATTERN, "historical:9-hot-then-quiet"),
]
_BY_ID = {case[0]: case for case in ALL_CASES}
ALL_MUST_NOT: list[tuple[EmergingClass, str]] = list(MUST_NOT)
for _cls, _id in MUST_NOT:
    ALL_MUST_NOT.append((_mirror_class(_cls), f"cold-twin/{_id}"))


def _classify_one(pattern: str, z: list[float] | None, **kwargs: float) -> EmergingClass:
    zs, ps = series(pattern, z)
    codes = classify_emerging(zs, ps, **kwargs)
    assert codes.shape == (1,)
    return EmergingClass(int(codes[0]))


@pytest.mark.parametrize(
    ("pattern", "z", "expected"),
    [pytest.param(p, z, cls, id=f"{cls.name}<-{cid}") for cid, p, z, cls in ALL_CASES],
)
def test_series_produces_its_class(
    pattern: str, z: list[float] | None, expected: EmergingClass
) -> None:
    assert _classify_one(pattern, z) == expected


@pytest.mark.parametrize(
    ("forbidden", "case_id"),
    [pytest.param(cls, cid, id=f"not-{cls.name}<-{cid}") for cls, cid in ALL_MUST_NOT],
)
def test_near_miss_does_not_produce_class(forbidden: EmergingClass, case_id: str) -> None:
    _, pattern, z, expected = _BY_ID[case_id]
    got = _classify_one(pattern, z)
    assert got != forbidden
    assert got == expected


def test_every_class_has_a_must_and_a_must_not_case() -> None:
    produced = {case[3] for case in ALL_CASES}
    forbidden = {cls for cls, _ in ALL_MUST_NOT}
    assert produced == set(EmergingClass)
    assert forbidden == set(EmergingClass)


def test_classification_of_a_matrix_equals_row_by_row() -> None:
    pairs = [series(p, z) for _, p, z, _ in ALL_CASES]
    z = np.vstack([zs for zs, _ in pairs])
    p = np.vstack([ps for _, ps in pairs])
    assert classify_emerging(z, p).tolist() == [int(case[3]) for case in ALL_CASES]


def test_alpha_sets_the_significance_level() -> None:
    z = np.full(10, 2.2)
    p = np.full(10, 0.03)
    assert classify_emerging(z, p, alpha=0.10)[0] == E.PERSISTENT_HOT
    assert classify_emerging(z, p, alpha=0.01)[0] == E.NO_PATTERN


def test_trend_alpha_is_separate() -> None:
    z = np.array([2.0, 2.2, 2.1, 2.3, 2.6, 2.4, 2.8, 2.5, 2.9, 3.0])  # noisy rise, MK p ≈ 0.003
    p = np.full(10, 0.01)
    assert classify_emerging(z, p)[0] == E.INTENSIFYING_HOT
    assert classify_emerging(z, p, trend_alpha=0.001)[0] == E.PERSISTENT_HOT


def test_ninety_percent_is_exact_with_twenty_steps() -> None:
    # 18 of 20 hot is exactly 90 %: persistent; 17 of 20 is not: sporadic
    eighteen = "HH.HHHHHHHH.HHHHHHHH"
    seventeen = "HH.HHHHH.HHH.HHHHHHH"
    assert _classify_one(eighteen, None) == E.PERSISTENT_HOT
    assert _classify_one(seventeen, None) == E.SPORADIC_HOT


@pytest.mark.parametrize(
    ("z", "p", "kwargs", "message"),
    [
        pytest.param(np.zeros((0, 10)), np.zeros((0, 10)), {}, "empty", id="empty"),
        pytest.param([0.0, np.nan, 1.0, 2.0], [0.5] * 4, {}, "non-finite", id="nan-z"),
        pytest.param([0.0, 1.0, 1.0, 2.0], [0.5, np.nan, 0.1, 0.1], {}, "non-finite", id="nan-p"),
        pytest.param([0.0] * 5, [0.5] * 4, {}, "mismatched", id="mismatched-lengths"),
        pytest.param([0.0, 1.0, 2.0], [0.5] * 3, {}, "at least 4", id="too-short"),
        pytest.param([0.0] * 5, [0.5, 1.2, 0.1, 0.1, 0.1], {}, r"\[0, 1\]", id="p-above-one"),
        pytest.param([0.0] * 5, [0.5] * 5, {"alpha": 0.0}, "alpha", id="alpha-zero"),
        pytest.param(
            [0.0] * 5, [0.5] * 5, {"trend_alpha": 1.0}, "trend_alpha", id="trend-alpha-one"
        ),
        pytest.param(np.zeros((2, 2, 5)), np.zeros((2, 2, 5)), {}, "2-D", id="three-dims"),
    ],
)
def test_classify_rejects_bad_input(
    z: object, p: object, kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        classify_emerging(z, p, **kwargs)  # type: ignore[arg-type]


def test_labels_are_chinese_and_unique() -> None:
    labels = {cls: cls.label for cls in EmergingClass}
    assert len(set(labels.values())) == 17
    assert labels[E.NEW_HOT] == "新增热点" and labels[E.NEW_COLD] == "新增冷点"
    assert labels[E.DIMINISHING_HOT] == "减弱热点" and labels[E.NO_PATTERN] == "无模式"
    assert all(label.endswith(("热点", "冷点")) for cls, label in labels.items() if cls != 0)
    assert emerging_labels(np.array([[1, -1], [0, 8]])).tolist() == [
        ["新增热点", "新增冷点"],
        ["无模式", "历史热点"],
    ]
    with pytest.raises(ValueError, match="EmergingClass"):
        emerging_labels([9])


# --------------------------------------------------------------------------- end to end


def _lattice(side: int) -> sparse.csr_matrix:
    path = sparse.diags([1.0, 1.0], [-1, 1], shape=(side, side))
    eye = sparse.identity(side)
    return sparse.csr_matrix(sparse.kron(path, eye) + sparse.kron(eye, path))


@pytest.fixture(scope="module")
def city() -> SpaceTimeCube:
    """A 12 × 12 rook lattice over 20 weeks with a new burst and a steady hot zone."""
    side, n_steps = 12, 20
    rng = np.random.default_rng(4)
    counts = rng.poisson(2.0, size=(side * side, n_steps))
    grid = np.arange(side * side).reshape(side, side)
    steady = grid[:3, :3].ravel()  # top-left corner: always busy
    burst = grid[-3:, -3:].ravel()  # bottom-right corner: busy for the last three weeks only
    counts[steady] += 12
    counts[np.ix_(burst, np.arange(n_steps - 3, n_steps))] += 15
    edges = np.datetime64("2024-01-01") + np.arange(n_steps + 1) * np.timedelta64(7, "D")
    return SpaceTimeCube(counts=counts, edges=edges, unit_ids=np.arange(side * side) + 1000)


def test_emerging_hotspots_end_to_end(city: SpaceTimeCube) -> None:
    result = emerging_hotspots(city, _lattice(12))
    grid = np.arange(144).reshape(12, 12)
    corner, burst = grid[0, 0], grid[-1, -1]
    assert result.classes[corner] in (E.PERSISTENT_HOT, E.INTENSIFYING_HOT, E.DIMINISHING_HOT)
    assert result.classes[burst] == E.CONSECUTIVE_HOT
    assert result.labels()[burst] == "连续热点"
    assert result.unit_ids[0] == 1000
    assert result.z.shape == result.p.shape == (144, 20)
    assert result.count_trend.s[burst] == mann_kendall(city.counts[burst]).s[0] > 0
    far = grid[6, 0]
    assert result.classes[far] in (
        E.NO_PATTERN,
        E.SPORADIC_HOT,
        E.SPORADIC_COLD,
        E.OSCILLATING_COLD,
        E.OSCILLATING_HOT,
        E.NEW_HOT,
        E.NEW_COLD,
        E.CONSECUTIVE_COLD,
        E.PERSISTENT_COLD,
        E.HISTORICAL_COLD,
    )
    assert sum(result.class_counts().values()) == 144
    assert np.array_equal(result.classes, classify_emerging(result.z, result.p))


def test_emerging_hotspots_fdr_only_removes_significance(city: SpaceTimeCube) -> None:
    raw = emerging_hotspots(city, _lattice(12))
    adjusted = emerging_hotspots(city, _lattice(12), fdr=True)
    assert adjusted.fdr and not raw.fdr
    assert np.all(adjusted.p >= raw.p - 1e-15)
    assert np.array_equal(adjusted.z, raw.z)
    assert (adjusted.p <= 0.10).sum() <= (raw.p <= 0.10).sum()


def test_emerging_hotspots_rejects_short_or_flat_cubes() -> None:
    edges = np.datetime64("2024-01-01") + np.arange(4) * np.timedelta64(7, "D")
    short = SpaceTimeCube(counts=np.arange(9).reshape(3, 3), edges=edges, unit_ids=np.arange(3))
    with pytest.raises(ValueError, match="at least 4"):
        emerging_hotspots(short, sparse.csr_matrix((3, 3)))
    edges = np.datetime64("2024-01-01") + np.arange(6) * np.timedelta64(7, "D")
    flat = SpaceTimeCube(
        counts=np.zeros((3, 5), dtype=np.int64), edges=edges, unit_ids=np.arange(3)
    )
    with pytest.raises(ValueError, match="zero variance"):
        emerging_hotspots(flat, sparse.csr_matrix((3, 3)))
    with pytest.raises(ValueError, match="alpha"):
        emerging_hotspots(flat, sparse.csr_matrix((3, 3)), alpha=2.0)


def test_build_cube_feeds_emerging_hotspots() -> None:
    rng = np.random.default_rng(8)
    n_units = 25
    unit = rng.integers(0, n_units, 3000)
    times = np.datetime64("2024-01-01T00:00") + rng.integers(0, 8 * 7 * 1440, 3000).astype(
        "timedelta64[m]"
    )
    cube = build_cube(unit, times, n_units, bin="7D", end="2024-02-26")
    assert cube.n_steps == 8
    result = emerging_hotspots(cube, _lattice(5), time_steps=2, global_window="neighbourhood")
    assert result.classes.shape == (n_units,)
    assert result.time_steps == 2 and result.global_window == "neighbourhood"
