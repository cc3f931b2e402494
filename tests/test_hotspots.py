"""Gi*, local Moran and Benjamini-Hochberg against esda, exact distributions and hand values."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pandas as pd
import pytest

from geo.checks import FloatArray
from geo.hotspots import (
    GiStarResult,
    Ties,
    benjamini_hochberg,
    getis_ord_gi_star,
    local_moran,
)
from geo.units import count_in_h3
from geo.weights import Neighbours, h3_ring, lattice, polygon_contiguity

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")
gpd = pytest.importorskip("geopandas")

HOUSTON = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "houston_crime_2010.csv"
PERMS = 999
Data = tuple[FloatArray, Any, Neighbours]  # values, libpysal W, our neighbours


# esda's conditional-randomisation kernels, by module: plain ``@njit`` without
# ``cache=True``, so numba compiles them afresh in every process that runs them -- about
# 30 s of CPU per statistic and test worker, where the draws themselves take under a
# second on Houston's 3,000 cells (and the kernels are mostly whole-array numpy calls).
_ESDA_KERNELS = {
    "esda.crand": (
        "vec_permutations",
        "compute_chunk",
        "_permutation_significance",
        "_prepare_univariate",
    ),
    "esda.getisord": ("_prepare_univariate", "_g_local_star_crand", "_g_local_crand"),
    "esda.moran": ("_prepare_univariate", "_moran_local_crand"),
}


@contextlib.contextmanager
def _esda_interpreted() -> Iterator[None]:
    """Run esda's own kernels as the Python functions numba would compile.

    Same code, same algorithm and the same seeds fed to numpy's generator (numba keeps
    its own, so the draws differ as they would with another seed); only ``fastmath``
    float rounding is gone, which the tie-exact comparisons below already tolerate.
    numpy's global random state is restored afterwards.
    """
    state = np.random.get_state()
    with pytest.MonkeyPatch.context() as patch:
        for module, names in _ESDA_KERNELS.items():
            for name in names:
                kernel = getattr(importlib.import_module(module), name)
                patch.setattr(f"{module}.{name}", kernel.py_func)
        patch.setattr("esda.crand.boolean", bool)  # numba's dtype, used by _prepare_univariate
        try:
            yield
        finally:
            np.random.set_state(state)


def _esda(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings(), _esda_interpreted():
        warnings.simplefilter("ignore")
        return fn(*args, n_jobs=1, **kwargs)


def _arr(values: FloatArray | None) -> FloatArray:
    """The simulation outputs of a result that ran with permutations."""
    assert values is not None
    return values


def _mc_tolerance(
    p_a: FloatArray,
    p_b: FloatArray,
    permutations: int = PERMS,
    sds: float = 4.5,
    const: float = 0.005,
) -> FloatArray:
    """Largest difference two independent Monte-Carlo p-values may show."""
    p_bar = (p_a + p_b) / 2.0
    return sds * np.sqrt(2.0 * p_bar * (1.0 - p_bar) / permutations) + const


def _tie_exact_p(sim: FloatArray, observed: FloatArray, permutations: int = PERMS) -> FloatArray:
    """esda's directed p-value from esda's draws (n x P) with ties counted exactly as >=.

    esda evaluates its draws as ``x * (1 / total)`` (fastmath) but the observed statistic
    as ``x / total``; on integer data a tie then lands an ulp either side at random.
    """
    tol = 1e-10 * (np.abs(observed) + np.abs(sim).mean(axis=1)) + 1e-15
    larger = (sim >= (observed - tol)[:, None]).sum(axis=1)
    tail = np.minimum(larger, permutations - larger)
    return np.asarray((tail + 1.0) / (permutations + 1.0), dtype=np.float64)


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def columbus() -> Data:
    df = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    w = libpysal.weights.Queen.from_dataframe(df, use_index=False, silence_warnings=True)
    return df["CRIME"].to_numpy(dtype=float), w, polygon_contiguity(df.geometry.values)


@pytest.fixture(scope="module")
def houston() -> Data:
    if not HOUSTON.exists():
        pytest.skip(f"{HOUSTON} is missing")
    points = pd.read_csv(HOUSTON, usecols=["lon", "lat"]).dropna()
    agg = count_in_h3(points["lon"], points["lat"], 8, fill="ring", ring=1)
    ours = h3_ring(agg.cells, 1)
    w = libpysal.weights.WSP(ours.sparse).to_W(silence_warnings=True)
    return agg.counts.astype(float), w, ours


@pytest.fixture(scope="module")
def houston_gi(houston: Data) -> tuple[Any, GiStarResult]:
    y, w, ours = houston
    ref = _esda(esda.G_Local, y, w, transform="B", star=True, permutations=PERMS, seed=11)
    return ref, getis_ord_gi_star(y, ours, permutations=PERMS, seed=5)


# ---------------------------------------------------------------------------
# Gi*
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("transform", ["B", "R"])
def test_gi_star_equals_esda_on_columbus(columbus: Data, transform: str) -> None:
    y, w, ours = columbus
    ref = _esda(esda.G_Local, y, w, transform=transform, star=True, permutations=PERMS, seed=1)
    res = getis_ord_gi_star(y, ours, permutations=PERMS, seed=3, row_standardise=transform == "R")
    np.testing.assert_allclose(res.Zs, ref.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.Gs, ref.Gs, rtol=1e-12, atol=0)
    np.testing.assert_allclose(res.EGs, ref.EGs, rtol=1e-12, atol=0)
    np.testing.assert_allclose(res.VGs, ref.VGs, rtol=1e-9, atol=0)
    np.testing.assert_allclose(res.p_norm, ref.p_norm, rtol=0, atol=1e-12)
    # continuous values, no ties: raw esda p_sim is directly comparable
    ref_p = ref.p_sim.astype(float)
    assert np.all(np.abs(_arr(res.p_sim) - ref_p) <= _mc_tolerance(_arr(res.p_sim), ref_p))
    assert np.all(np.abs(_arr(res.EG_sim) - ref.EG_sim) <= 5 * np.sqrt(2 / PERMS) * ref.seG_sim)
    np.testing.assert_allclose(_arr(res.seG_sim), ref.seG_sim, rtol=0.15)


@pytest.mark.parametrize("example", ["columbus.shp", "sids2.shp", "stl_hom.shp", "us48.shp"])
def test_gi_star_z_scores_equal_esda_on_bundled_examples(example: str) -> None:
    df = gpd.read_file(libpysal.examples.get_path(example))
    w = libpysal.weights.Queen.from_dataframe(df, use_index=False, silence_warnings=True)
    ours = polygon_contiguity(df.geometry.values)
    assert (ours.sparse != w.sparse).nnz == 0
    numeric = df.select_dtypes("number")
    column = numeric.columns[numeric.nunique().to_numpy().argmax()]
    y = df[column].to_numpy(dtype=float)
    for transform in ("B", "R"):
        ref = _esda(esda.G_Local, y, w, transform=transform, star=True, permutations=0)
        res = getis_ord_gi_star(y, ours, permutations=0, row_standardise=transform == "R")
        np.testing.assert_allclose(res.Zs, ref.Zs, rtol=0, atol=1e-9)
        np.testing.assert_allclose(res.p_norm, ref.p_norm, rtol=0, atol=1e-12)


def test_gi_star_equals_esda_on_houston_h3_counts(
    houston: Data, houston_gi: tuple[Any, GiStarResult]
) -> None:
    y, _, _ = houston
    ref, res = houston_gi
    assert res.n_classes < y.size / 5  # counts share conditional distributions
    np.testing.assert_allclose(res.Zs, ref.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.p_norm, ref.p_norm, rtol=0, atol=1e-12)
    p_ref = _tie_exact_p(ref.rGs, ref.Gs)
    assert np.all(np.abs(_arr(res.p_sim) - p_ref) <= _mc_tolerance(_arr(res.p_sim), p_ref))
    assert abs(float(np.mean(_arr(res.p_sim) - p_ref))) < 0.01
    # where esda's draws hold no float tie with the observed value, its raw p_sim is comparable
    clean = ~np.any(np.isclose(ref.rGs, ref.Gs[:, None], rtol=1e-10, atol=0), axis=1)
    assert clean.sum() > 100
    raw = ref.p_sim.astype(float)[clean]
    assert np.all(
        np.abs(_arr(res.p_sim)[clean] - raw) <= _mc_tolerance(_arr(res.p_sim)[clean], raw)
    )


def test_gi_star_bins_on_houston(houston_gi: tuple[Any, GiStarResult]) -> None:
    ref, res = houston_gi
    z = np.abs(ref.Zs)
    level = np.select([z >= 2.5758293035489, z >= 1.959963984540, z >= 1.644853626951], [3, 2, 1])
    np.testing.assert_array_equal(res.confidence_bins(source="norm"), np.sign(ref.Zs) * level)
    sim_bins = res.confidence_bins()
    assert set(np.unique(sim_bins)) <= {-3, -2, -1, 0, 1, 2, 3}
    assert np.all((sim_bins == 0) | (np.sign(sim_bins) == np.sign(res.Zs)))
    fdr_bins = res.confidence_bins(fdr=True)
    assert np.all(np.abs(fdr_bins) <= np.abs(sim_bins))  # FDR only removes significance
    assert np.abs(fdr_bins).sum() < np.abs(sim_bins).sum()
    assert np.array_equal(res.fdr(0.05), benjamini_hochberg(_arr(res.p_sim), 0.05).significant)
    np.testing.assert_allclose(res.p_fdr, benjamini_hochberg(_arr(res.p_sim)).adjusted)


def _exact_tail_probabilities(y: FloatArray, w: Neighbours, unit: int) -> tuple[float, float]:
    """P(T >= t_obs) and P(T <= t_obs) under conditional randomisation, exactly.

    ``T`` is the sum of ``k`` values drawn without replacement from the other ``n - 1``
    (integer) values: count the k-subsets per sum with a subset-sum recursion.
    """
    row = w.sparse.getrow(unit)
    k = row.nnz
    t_obs = int(y[row.indices].sum())
    others = np.delete(y, unit).astype(np.int64)
    ways = np.zeros((k + 1, int(others.sum()) + 1))
    ways[0, 0] = 1.0
    for v in others:
        for j in range(k, 0, -1):
            ways[j, v:] += ways[j - 1, : ways.shape[1] - v]
    dist = ways[k] / ways[k].sum()
    return float(dist[t_obs:].sum()), float(dist[: t_obs + 1].sum())


@pytest.mark.parametrize("ties", ["esda", "inclusive"])
@pytest.mark.parametrize("shape", [(4, 5), (12, 12)])  # partial Fisher-Yates / rejection draws
def test_gi_star_p_sim_matches_the_exact_conditional_distribution(
    ties: Ties, shape: tuple[int, int]
) -> None:
    rng = np.random.default_rng(4)
    w = lattice(*shape, rule="rook")
    y = rng.poisson(1.5, w.n).astype(float)  # many ties
    perms = 9999
    res = getis_ord_gi_star(y, w, permutations=perms, seed=9, ties=ties)
    assert res.n_classes < w.n
    for unit in range(w.n):
        ge, le = _exact_tail_probabilities(y, w, unit)
        tail = min(ge, 1 - ge) if ties == "esda" else min(ge, le)
        expected = (tail * perms + 1) / (perms + 1)
        sd = np.sqrt(max(tail * (1 - tail), 1e-4) / perms)
        assert abs(_arr(res.p_sim)[unit] - expected) <= 4.5 * sd, (
            unit,
            _arr(res.p_sim)[unit],
            expected,
        )


def test_inclusive_ties_do_not_flag_empty_neighbourhoods() -> None:
    y = np.zeros(400)
    y[:40] = np.arange(1, 41)  # a hot corner, zeros elsewhere
    w = lattice(20, 20, rule="queen")
    esda_rule = getis_ord_gi_star(y, w, seed=1)
    inclusive = getis_ord_gi_star(y, w, seed=1, ties="inclusive")
    empty = np.flatnonzero(w.sparse @ (y > 0) + (y > 0) == 0)
    assert empty.size > 100
    # esda's rule: a minimum-sum neighbourhood always has an empty folded tail
    assert np.all(_arr(esda_rule.p_sim)[empty] == 1 / 1000)
    assert np.all(_arr(inclusive.p_sim)[empty] > 0.3)  # P(all k neighbours are 0) ~ 0.9**k
    hot = np.flatnonzero(esda_rule.Zs > 3)
    np.testing.assert_array_equal(_arr(esda_rule.p_sim)[hot], _arr(inclusive.p_sim)[hot])


def test_islands_get_p_sim_one() -> None:
    matrix = lattice(3, 3).sparse.tolil()
    matrix[8, :] = 0
    matrix[:, 8] = 0
    w = Neighbours(matrix.tocsr(), tuple(range(9)))
    res = getis_ord_gi_star(np.arange(9.0), w, permutations=99)
    assert _arr(res.p_sim)[8] == 1.0
    assert np.all(_arr(res.p_sim)[:8] < 1.0)


def test_a_unit_neighbouring_every_unit_is_neither_hot_nor_cold() -> None:
    # the middle of three neighbours all three (itself too): its Gi* is always 1, its z 0 / 0
    res = getis_ord_gi_star([1.0, 5.0, 2.0], lattice(1, 3), permutations=99, seed=1)
    assert np.isnan(res.Zs[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NaN cast to a bin
        bins = res.confidence_bins()
        by_norm = res.confidence_bins(source="norm")
    assert bins[1] == 0 and by_norm[1] == 0


def test_weighted_rows_match_the_exact_conditional_distribution() -> None:
    rng = np.random.default_rng(6)
    base = lattice(4, 4, rule="rook")
    weighted = base.sparse.copy()
    weighted.data = rng.uniform(0.5, 2.0, weighted.nnz)  # unequal weights in every row
    w = Neighbours(weighted, base.ids)
    y = rng.poisson(2.0, w.n).astype(float)
    perms = 9999
    res = getis_ord_gi_star(y, w, permutations=perms, seed=3)
    assert res.n_classes == w.n  # unequal rows never share a distribution
    star = w.with_self_weight(1.0).sparse
    for unit in range(w.n):
        row = w.sparse.getrow(unit)
        others = np.delete(y, unit)
        # ordered draws: which value lands on which weight matters
        sims = np.array([np.dot(row.data, c) for c in itertools.permutations(others, row.nnz)])
        observed = float(row.data @ y[row.indices])
        ge = float(np.mean(sims >= observed - 1e-12))
        tail = min(ge, 1 - ge)
        expected = (tail * perms + 1) / (perms + 1)
        sd = np.sqrt(max(tail * (1 - tail), 1e-4) / perms)
        assert abs(_arr(res.p_sim)[unit] - expected) <= 4.5 * sd, (
            unit,
            _arr(res.p_sim)[unit],
            expected,
        )
        exact_mean = (star[unit, unit] * y[unit] + sims.mean()) / y.sum()
        assert abs(_arr(res.EG_sim)[unit] - exact_mean) <= 5 * sims.std() / y.sum() / np.sqrt(perms)


def test_reproducible_for_a_seed_whatever_the_thread_count(houston: Data) -> None:
    y, _, w = houston
    noisy = y + np.random.default_rng(0).uniform(0, 1, y.size)  # per-unit path too
    before = numba.get_num_threads()
    try:
        runs = []
        for threads in (1, before):
            numba.set_num_threads(threads)
            runs.append(
                (
                    _arr(getis_ord_gi_star(y, w, seed=42).p_sim),
                    _arr(getis_ord_gi_star(noisy, w, seed=42).p_sim),
                )
            )
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    other = _arr(getis_ord_gi_star(noisy, w, seed=43).p_sim)
    assert not np.array_equal(other, runs[0][1])
    drawn = getis_ord_gi_star(y, w, seed=None)
    np.testing.assert_array_equal(_arr(drawn.p_sim), getis_ord_gi_star(y, w, seed=drawn.seed).p_sim)


def test_read_only_values_use_the_one_compiled_kernel() -> None:
    """Read-only values (pandas' ``to_numpy`` under copy-on-write) draw as writable ones do,
    through the kernel signature tests/warm_numba.py compiles: numba types a read-only array
    apart, and compiled (about 12 s of CPU) and cached the kernel a second time for it."""
    from geo.hotspots import _simulate_classes

    values = np.array([1.0, 5.0, 2.0, 8.0, 3.0, 9.0, 4.0, 7.0, 6.0])
    frozen = values.copy()
    frozen.flags.writeable = False
    grid = lattice(3, 3)
    res = getis_ord_gi_star(values, grid, permutations=99, seed=5)
    res_frozen = getis_ord_gi_star(frozen, grid, permutations=99, seed=5)
    np.testing.assert_array_equal(_arr(res_frozen.p_sim), _arr(res.p_sim))
    kinds = {signature[0] for signature in _simulate_classes.signatures}
    assert kinds == {numba.types.Array(numba.float64, 1, "C")}, kinds


def test_without_permutations() -> None:
    res = getis_ord_gi_star([1, 2, 3, 4, 5, 6], lattice(2, 3), permutations=0)
    assert res.p_sim is None and res.n_classes == 0
    assert res.confidence_bins(source="norm").shape == (6,)
    with pytest.raises(ValueError, match="permutations=0"):
        res.confidence_bins()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "empty"),
        ([1.0, np.nan, 2.0, 3.0, 4.0, 5.0], "non-finite"),
        ([1.0, 2.0, 3.0], "mismatched lengths"),
        ([2.0] * 6, "zero variance"),
        ([-1.0, 1.0, -2.0, 2.0, 0.0, 0.0], "sum to zero"),
        ([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]], "one-dimensional"),
    ],
)
def test_gi_star_rejects_bad_values(values: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        getis_ord_gi_star(values, lattice(2, 3))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"permutations": -1}, "permutations"),
        ({"permutations": 9.5}, "permutations"),
        ({"seed": "x"}, "seed"),
        ({"ties": "random"}, "ties"),
    ],
)
def test_gi_star_rejects_bad_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        getis_ord_gi_star([1, 2, 3, 4, 5, 6], lattice(2, 3), **kwargs)


# ---------------------------------------------------------------------------
# local Moran
# ---------------------------------------------------------------------------


def test_local_moran_equals_esda_on_columbus(columbus: Data) -> None:
    y, w, ours = columbus
    ref = _esda(esda.Moran_Local, y, w, permutations=PERMS, seed=1)
    res = local_moran(y, ours, permutations=PERMS, seed=8)
    np.testing.assert_array_equal(res.q, ref.q)
    np.testing.assert_allclose(res.Is, ref.Is, rtol=1e-12, atol=1e-12)
    for name in ("EI", "VI", "EIc", "VIc"):
        np.testing.assert_allclose(getattr(res, name), getattr(ref, name), rtol=1e-9)
    assert np.all(np.abs(_arr(res.p_sim) - ref.p_sim) <= _mc_tolerance(_arr(res.p_sim), ref.p_sim))
    assert np.all(
        np.abs(_arr(res.EI_sim) - ref.EI_sim) <= 5 * np.sqrt(2 / PERMS) * ref.seI_sim + 1e-12
    )
    clusters = res.clusters(0.05)
    assert np.all((clusters == 0) | (clusters == res.q))


def test_local_moran_equals_esda_on_houston_h3_counts(houston: Data) -> None:
    y, w, ours = houston
    ref = _esda(esda.Moran_Local, y, w, permutations=PERMS, seed=1)
    res = local_moran(y, ours, permutations=PERMS, seed=8)
    np.testing.assert_array_equal(res.q, ref.q)
    assert set(np.unique(res.q)) == {1, 2, 3, 4}
    np.testing.assert_allclose(res.Is, ref.Is, rtol=1e-9, atol=1e-12)
    p_ref = _tie_exact_p(ref.rlisas, ref.Is)
    assert np.all(np.abs(_arr(res.p_sim) - p_ref) <= _mc_tolerance(_arr(res.p_sim), p_ref))


def test_local_moran_binary_weights_match_esda(columbus: Data) -> None:
    y, w, ours = columbus
    ref = _esda(esda.Moran_Local, y, w, transformation="b", permutations=0)
    res = local_moran(y, ours, permutations=0, row_standardise=False)
    np.testing.assert_allclose(res.Is, ref.Is, rtol=1e-12)
    np.testing.assert_array_equal(res.q, ref.q)
    assert res.p_sim is None


def test_local_moran_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="mismatched lengths"):
        local_moran([1, 2, 3], lattice(2, 2))
    with pytest.raises(ValueError, match="zero variance"):
        local_moran([1, 1, 1, 1], lattice(2, 2))
    with pytest.raises(ValueError, match="non-finite"):
        local_moran([1, np.inf, 1, 2], lattice(2, 2))


# ---------------------------------------------------------------------------
# Benjamini-Hochberg
# ---------------------------------------------------------------------------


def test_benjamini_hochberg_hand_example() -> None:
    # m = 8, alpha = 0.05: thresholds k * 0.05 / 8 = .00625 .0125 .01875 .025 .03125 ...
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205]
    r = benjamini_hochberg(p, 0.05)
    assert r.significant.tolist() == [True, True, False, False, False, False, False, False]
    expected = [0.008, 0.032, 0.0672, 0.0672, 0.0672, 0.08, 0.08457142857142857, 0.205]
    np.testing.assert_allclose(r.adjusted, expected, rtol=1e-12)
    # a large p-value rescues nothing, a step-up rejects earlier failures
    r2 = benjamini_hochberg([0.02, 0.03, 0.035, 0.04], 0.05)
    assert r2.significant.all()  # 0.04 <= 4 * 0.05 / 4 rejects all, though 0.02 > 0.0125


def test_benjamini_hochberg_input_order_and_statsmodels_if_present() -> None:
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(0, 0.01, 30), rng.uniform(0, 1, 300)])
    rng.shuffle(p)
    r = benjamini_hochberg(p, 0.1)
    order = np.argsort(p)
    again = benjamini_hochberg(p[order], 0.1)
    np.testing.assert_array_equal(again.significant, r.significant[order])
    np.testing.assert_allclose(again.adjusted, r.adjusted[order])
    assert np.array_equal(r.significant, r.adjusted <= 0.1)
    try:
        from statsmodels.stats.multitest import multipletests  # type: ignore[import-not-found]
    except ImportError:
        return
    reject, adjusted, _, _ = multipletests(p, alpha=0.1, method="fdr_bh")
    np.testing.assert_array_equal(r.significant, reject)
    np.testing.assert_allclose(r.adjusted, adjusted)


@pytest.mark.parametrize(
    ("p", "alpha", "message"),
    [([], 0.05, "empty"), ([0.1, 1.2], 0.05, r"\[0, 1\]"), ([0.1], 0.0, "alpha")],
)
def test_benjamini_hochberg_rejects_bad_input(p: list[float], alpha: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        benjamini_hochberg(p, alpha)
