"""Local hot spot statistics: Getis-Ord Gi*, local Moran's I, Benjamini-Hochberg FDR.

The statistics and their analytic moments follow PySAL's ``esda`` (``G_Local(star=True)``
and ``Moran_Local``) formula for formula, so ``Zs``, ``Is`` and the quadrants ``q`` equal
esda's on the same inputs; the permutation p-values agree with esda's within Monte-Carlo
error. esda is used by the tests only, never imported here.

Conditional randomisation
-------------------------
For unit ``i`` its own value stays put and ``k_i`` neighbour values are drawn without
replacement from the other ``n - 1`` values, ``permutations`` times. Every draw only moves
the neighbour sum ``T = sum_j w_ij y_j`` (self excluded); both statistics are monotone in
``T`` (Gi* increases with it when ``sum(y) > 0``; local Moran increases with it when
``z_i > 0``, decreases when ``z_i < 0`` and is constant when ``z_i == 0``), so the
simulation compares simulated and observed ``T`` directly. Ties are therefore exact (with
integer counts ``T`` is an exact sum), instead of depending on rounding. (esda evaluates
its draws as ``x * (1 / sum)`` but the observed Gi* as ``x / sum``, so on counts its ties
fall an ulp either side at random; the tests compare against esda's draws with exact ties.)
Pseudo p-values
use esda's "directed" folding rule::

    larger = #(simulated statistic >= observed)
    p_sim  = (min(larger, permutations - larger) + 1) / (permutations + 1)

``ties="inclusive"`` counts ties on both sides instead, ``(min(#sim >= obs, #sim <= obs)
+ 1) / (permutations + 1)``. Prefer it for sparse counts: with esda's rule a unit whose
neighbourhood holds the smallest possible sum (say all zeros) always gets
``p_sim = 1 / (permutations + 1)``, because every tied draw counts as "larger" and the
folded tail is then empty. Units without neighbours (islands) have nothing to permute and
get ``p_sim = 1`` (esda reports ``1 / (permutations + 1)`` for them).

Speed
-----
- **Shared conditional distributions.** Two units with the same own value, the same
  number of neighbours and the same (uniform) weight in their row -- binary or
  row-standardised weights -- have the *same* conditional permutation distribution: the
  pool is "all values but one copy of the own value" and all weights are equal. Units are
  grouped into such classes; each class is simulated once (``permutations`` draws of
  ``T``), its draws are sorted once, and every member is answered by a binary search. For
  incident counts on H3 cells (few distinct counts, ``k <= 6``) a 100k-cell map has only
  a few hundred classes, so the simulation cost no longer grows with ``n``. This is exact
  conditional randomisation; only the draws are shared, as esda shares one matrix of
  permuted ids across all units. Continuous values (or non-uniform weight rows) fall back
  to one class per unit.
- **Numba, parallel over blocks of classes**, ``cache=True``. A draw of ``k`` distinct
  neighbours costs O(k), never O(n): rejection of repeats when ``k`` is small against the
  pool (H3 rings), else a partial Fisher-Yates shuffle of a per-block index array that is
  undone after each draw. SplitMix64 generator, Lemire's unbiased bounded integers.
- **Deterministic for a fixed seed regardless of the thread count**: each class seeds its
  own generator from ``(seed, index of its first unit)``; blocks only schedule the work.
- **Memory** is O(n + permutations) per block: no ``n x permutations`` matrix is kept.

Measured by ``bench/hotspots.py`` on the project's 2-core machine (999 permutations,
negative-binomial counts on H3 resolution-8 cells, k-ring-1 binary weights; esda 2.9 with its
defaults, ``n_jobs=-1``), quiet machine: 100k cells 0.06 s against esda's 17.3 s (~290x),
10k cells 0.006 s against 0.87 s; the per-unit fallback (continuous values) 1.0 s against
14.9 s at 100k (~15x). Analytic ``Zs`` identical to esda's.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from typing import Literal

import numba
import numpy as np
import numpy.typing as npt
from scipy import sparse, stats

from geo.checks import BoolArray, FloatArray, IntArray, finite_values, nonzero_variance
from geo.weights import Neighbours

Ties = Literal["esda", "inclusive"]
PSource = Literal["sim", "norm"]
Int8Array = npt.NDArray[np.int8]

#: Confidence levels of the hot/cold spot bins: bin 3 = 99 %, 2 = 95 %, 1 = 90 %.
BIN_ALPHAS: tuple[float, float, float] = (0.01, 0.05, 0.10)
#: Fewest located incidents a hot-spot map is judged on. Below it the z-scores' normal
#: approximation rests on a handful of counts: three cases in one cell of an otherwise empty
#: county make a "99 % hot spot", and its empty neighbours hot with it. ArcGIS likewise calls
#: a hot-spot analysis of fewer than 30 features unreliable.
MIN_INCIDENTS = 30

# Classes with more members than this sort their draws once and binary-search them.
_SORT_THRESHOLD = 12
# Draw neighbours by rejecting repeats when k <= 32 and the pool is at least 16 k.
_REJECTION_MAX_K = 32
_REJECTION_RATIO = 16


# ---------------------------------------------------------------------------
# Benjamini-Hochberg
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FdrResult:
    """Outcome of a Benjamini-Hochberg false discovery rate correction.

    Parameters
    ----------
    significant : numpy.ndarray of bool
        True where the hypothesis is rejected at the given ``alpha``.
    adjusted : numpy.ndarray of float
        BH-adjusted p-values (``min_{j >= rank} p_(j) m / j``, capped at 1).
    alpha : float
        The false discovery rate the mask was computed for.
    """

    significant: BoolArray
    adjusted: FloatArray
    alpha: float


def benjamini_hochberg(pvalues: npt.ArrayLike, alpha: float = 0.05) -> FdrResult:
    """Benjamini-Hochberg step-up procedure controlling the false discovery rate.

    With the p-values sorted ascending, ``p_(1) <= ... <= p_(m)``, find the largest ``k``
    with ``p_(k) <= k * alpha / m`` and reject the ``k`` smallest.

    Parameters
    ----------
    pvalues : array_like
        P-values in ``[0, 1]``.
    alpha : float
        False discovery rate, in ``(0, 1)``.

    Returns
    -------
    FdrResult
        The rejection mask and the adjusted p-values, in input order.

    Raises
    ------
    ValueError
        On empty input, NaN, p-values outside ``[0, 1]`` or ``alpha`` outside ``(0, 1)``.

    Examples
    --------
    >>> r = benjamini_hochberg([0.01, 0.03, 0.02, 0.20], alpha=0.05)
    >>> r.significant.tolist()
    [True, True, True, False]
    >>> r.adjusted.round(4).tolist()
    [0.04, 0.04, 0.04, 0.2]
    """
    p = finite_values(pvalues, "pvalues")
    if float(p.min()) < 0.0 or float(p.max()) > 1.0:
        raise ValueError("pvalues must lie in [0, 1]")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    m = p.size
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    ranks = np.arange(1, m + 1, dtype=np.float64)
    below = np.flatnonzero(ranked <= ranks * alpha / m)
    significant = np.zeros(m, dtype=np.bool_)
    if below.size:
        significant[order[: below[-1] + 1]] = True
    adjusted_sorted = np.minimum.accumulate((ranked * m / ranks)[::-1])[::-1]
    adjusted = np.empty(m, dtype=np.float64)
    adjusted[order] = np.minimum(adjusted_sorted, 1.0)
    return FdrResult(significant=significant, adjusted=adjusted, alpha=float(alpha))


def _bins_from_p(p: FloatArray, sign: FloatArray, fdr: bool) -> Int8Array:
    level = np.zeros(p.size, dtype=np.int8)
    for value, alpha in zip((1, 2, 3), BIN_ALPHAS[::-1], strict=True):
        hit = benjamini_hochberg(p, alpha).significant if fdr else p <= alpha
        level[hit] = value
    # A unit whose neighbourhood is every unit has no z-score (0 / 0): neither hot nor cold.
    direction = np.sign(np.where(np.isfinite(sign), sign, 0.0)).astype(np.int8)
    return (direction * level).astype(np.int8)


# ---------------------------------------------------------------------------
# Random numbers and the simulation kernel (numba)
# ---------------------------------------------------------------------------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_KEY = np.uint64(0xD1B54A32D192ED03)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)


@numba.njit(cache=True, inline="always")
def _mix64(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always")
def _stream_start(seed: np.uint64, key: np.uint64) -> np.uint64:
    return _mix64(_mix64(seed ^ (key * _KEY)) + _GOLDEN)


@numba.njit(cache=True, inline="always")
def _below(state: np.uint64, bound: np.uint64) -> tuple[np.uint64, np.uint64]:
    """Next SplitMix64 state and an unbiased integer in [0, bound) (Lemire), bound < 2**32."""
    state = state + _GOLDEN
    product = (_mix64(state) >> _S32) * bound
    low = product & _LOW32
    if low < bound:
        threshold = (_TWO32 - bound) % bound
        while low < threshold:
            state = state + _GOLDEN
            product = (_mix64(state) >> _S32) * bound
            low = product & _LOW32
    return state, product >> _S32


@numba.njit(parallel=True, cache=True)
def _simulate_classes(
    values: FloatArray,
    indptr: IntArray,
    weights: FloatArray,
    uniform: BoolArray,
    class_rep: IntArray,
    class_ptr: IntArray,
    members: IntArray,
    observed: FloatArray,
    block_ptr: IntArray,
    permutations: int,
    seed: np.uint64,
    upper: IntArray,
    lower: IntArray,
    mean_t: FloatArray,
    std_t: FloatArray,
) -> None:
    """Simulate each class's neighbour sums and count, for every member, draws >= / <= obs.

    Sums are in "S space": plain sums of values for uniform rows, weighted sums otherwise.
    """
    n = values.size
    pool = n - 1
    max_k = 0
    for c in range(class_rep.size):
        r = class_rep[c]
        max_k = max(max_k, indptr[r + 1] - indptr[r])
    for b in numba.prange(block_ptr.size - 1):
        perm = np.arange(pool)
        picks = np.empty(max(max_k, 1), dtype=np.int64)
        sims = np.empty(permutations, dtype=np.float64)
        for c in range(block_ptr[b], block_ptr[b + 1]):
            rep = class_rep[c]
            start = indptr[rep]
            k = indptr[rep + 1] - start
            plain = uniform[rep]
            state = _stream_start(seed, np.uint64(rep))
            # few neighbours out of many: rejection of repeats; otherwise partial Fisher-Yates
            by_rejection = k <= _REJECTION_MAX_K and k * _REJECTION_RATIO <= pool
            for p in range(permutations):
                total = 0.0
                if by_rejection:
                    for s in range(k):
                        while True:
                            state, r = _below(state, np.uint64(pool))
                            picked = np.int64(r)
                            fresh = True
                            for q in range(s):
                                if picks[q] == picked:
                                    fresh = False
                                    break
                            if fresh:
                                break
                        picks[s] = picked
                        unit = picked if picked < rep else picked + 1
                        total += values[unit] if plain else weights[start + s] * values[unit]
                else:
                    for s in range(k):
                        state, r = _below(state, np.uint64(pool - s))
                        t = s + np.int64(r)
                        picked = perm[t]
                        perm[t] = perm[s]
                        perm[s] = picked
                        picks[s] = t
                        unit = picked if picked < rep else picked + 1
                        total += values[unit] if plain else weights[start + s] * values[unit]
                    for s in range(k - 1, -1, -1):
                        t = picks[s]
                        picked = perm[s]
                        perm[s] = perm[t]
                        perm[t] = picked
                sims[p] = total
            mean = 0.0
            for p in range(permutations):
                mean += sims[p]
            mean /= permutations
            var = 0.0
            for p in range(permutations):
                var += (sims[p] - mean) ** 2
            mean_t[c] = mean
            std_t[c] = math.sqrt(var / permutations)
            first = class_ptr[c]
            last = class_ptr[c + 1]
            if last - first > _SORT_THRESHOLD:
                ordered = np.sort(sims)
                for m in range(first, last):
                    u = members[m]
                    upper[u] = permutations - np.searchsorted(ordered, observed[u], side="left")
                    lower[u] = np.searchsorted(ordered, observed[u], side="right")
            else:
                for m in range(first, last):
                    u = members[m]
                    up = 0
                    lo = 0
                    for p in range(permutations):
                        if sims[p] >= observed[u]:
                            up += 1
                        if sims[p] <= observed[u]:
                            lo += 1
                    upper[u] = up
                    lower[u] = lo


# ---------------------------------------------------------------------------
# Conditional randomisation driver (numpy)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """Weights split into the self-weight and the off-diagonal rows, in S space."""

    off: sparse.csr_matrix  # off-diagonal weights, sorted indices
    self_weight: FloatArray
    cardinality: IntArray
    uniform: BoolArray  # every off-diagonal weight of the row is equal (islands too)
    scale: FloatArray  # T = scale * S (the uniform weight, or 1 for weighted rows)
    row_weight: FloatArray  # sum of off-diagonal weights


def _split_rows(matrix: sparse.csr_matrix) -> _Rows:
    self_weight = np.asarray(matrix.diagonal(), dtype=np.float64)
    off = (matrix - sparse.diags(self_weight, format="csr")).tocsr()
    off.eliminate_zeros()
    off.sort_indices()
    cardinality = np.diff(off.indptr).astype(np.int64)
    n = cardinality.size
    has = cardinality > 0
    row_of = np.repeat(np.arange(n), cardinality)
    row_max = np.zeros(n)
    row_min = np.zeros(n)
    np.maximum.at(row_max, row_of, off.data)
    row_min[has] = np.inf
    np.minimum.at(row_min, row_of, off.data)
    uniform = ~has | (row_min == row_max)
    scale = np.where(uniform & has, row_max, 1.0)
    row_weight = np.asarray(off.sum(axis=1), dtype=np.float64).ravel()
    return _Rows(off, self_weight, cardinality, uniform, scale, row_weight)


@dataclass(frozen=True)
class _Draws:
    """Per-unit outcome of the conditional randomisation (T = scale * S)."""

    upper: IntArray  # draws with T >= observed T
    lower: IntArray  # draws with T <= observed T
    mean_t: FloatArray  # mean of the simulated T
    std_t: FloatArray  # standard deviation (ddof=0) of the simulated T
    n_classes: int


def _class_ids(values: FloatArray, rows: _Rows) -> tuple[IntArray, int]:
    """Group units whose conditional permutation distributions are identical."""
    n = values.size
    key = np.zeros(n, dtype=np.int64)
    for column in (values, rows.cardinality, rows.scale):
        levels, code = np.unique(column, return_inverse=True)
        key = key * levels.size + code.ravel()  # exact: at most n distinct keys per step
        _, key = np.unique(key, return_inverse=True)
        key = key.ravel().astype(np.int64)
    # rows with unequal weights never share a distribution: one class each
    weighted = np.flatnonzero(~rows.uniform)
    key[weighted] = n + np.arange(weighted.size)
    _, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.ravel().astype(np.int64)
    return inverse, int(inverse.max()) + 1


def _blocks(cost: FloatArray, n_blocks: int) -> IntArray:
    """Split classes (in order) into ``n_blocks`` runs of about equal cost."""
    cumulative = np.cumsum(cost)
    targets = cumulative[-1] * np.arange(1, n_blocks) / n_blocks
    cuts = np.searchsorted(cumulative, targets, side="right")
    bounds = np.unique(np.concatenate([[0], cuts, [cost.size]]))
    return bounds.astype(np.int64)


def _conditional_draws(values: FloatArray, rows: _Rows, permutations: int, seed: int) -> _Draws:
    """Run the conditional randomisation of every unit."""
    n = values.size
    structure = rows.off.copy()
    structure.data[:] = 1.0
    plain_sum = np.asarray(structure @ values, dtype=np.float64)
    weighted_sum = np.asarray(rows.off @ values, dtype=np.float64)
    observed_s = np.where(rows.uniform, plain_sum, weighted_sum)

    class_of, n_classes = _class_ids(values, rows)
    members = np.argsort(class_of, kind="stable").astype(np.int64)
    class_ptr = np.zeros(n_classes + 1, dtype=np.int64)
    np.cumsum(np.bincount(class_of, minlength=n_classes), out=class_ptr[1:])
    class_rep = members[class_ptr[:-1]]  # lowest unit index of each class
    size = np.diff(class_ptr)
    cost = rows.cardinality[class_rep] * float(permutations) + size + permutations
    block_ptr = _blocks(cost.astype(np.float64), min(n_classes, 4 * numba.get_num_threads()))

    upper = np.zeros(n, dtype=np.int64)
    lower = np.zeros(n, dtype=np.int64)
    mean_s = np.zeros(n_classes, dtype=np.float64)
    std_s = np.zeros(n_classes, dtype=np.float64)
    # A writable copy: numba types a read-only array (pandas' to_numpy under copy-on-write, a
    # frozen buffer) apart and would compile and cache the kernel a second time for it.
    _simulate_classes(
        np.array(values, dtype=np.float64, order="C"),
        rows.off.indptr.astype(np.int64),
        rows.off.data.astype(np.float64),
        rows.uniform,
        class_rep,
        class_ptr,
        members,
        observed_s,
        block_ptr,
        int(permutations),
        np.uint64(seed % (1 << 64)),
        upper,
        lower,
        mean_s,
        std_s,
    )
    return _Draws(
        upper=upper,
        lower=lower,
        mean_t=rows.scale * mean_s[class_of],
        std_t=rows.scale * std_s[class_of],
        n_classes=n_classes,
    )


def _pseudo_p(
    draws: _Draws, direction: IntArray, islands: BoolArray, permutations: int, ties: Ties
) -> FloatArray:
    """Pseudo p-values from the tail counts; ``direction`` = sign of dStat/dT."""
    if ties == "esda":
        larger = np.where(
            direction > 0, draws.upper, np.where(direction < 0, draws.lower, permutations)
        )
        tail = np.minimum(larger, permutations - larger)
    else:
        tail = np.where(direction == 0, permutations, np.minimum(draws.upper, draws.lower))
    p = (tail + 1.0) / (permutations + 1.0)
    p = np.asarray(p, dtype=np.float64)
    p[islands] = 1.0
    return p


def _check_common(
    values: npt.ArrayLike, neighbours: Neighbours, permutations: int, ties: str
) -> FloatArray:
    y = finite_values(values, "values")
    if y.size != neighbours.n:
        raise ValueError(
            f"values and neighbours have mismatched lengths: {y.size} and {neighbours.n}"
        )
    if y.size < 3:
        raise ValueError(f"values needs at least 3 units, got {y.size}")
    nonzero_variance(y, "values")
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer):
        raise ValueError(f"permutations must be an integer, got {permutations!r}")
    if permutations < 0:
        raise ValueError(f"permutations must be >= 0, got {permutations}")
    if ties not in ("esda", "inclusive"):
        raise ValueError(f"ties must be 'esda' or 'inclusive', got {ties!r}")
    return y


def _resolve_seed(seed: int | None) -> int:
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer or None, got {seed!r}")
    return int(seed)


# ---------------------------------------------------------------------------
# Getis-Ord Gi*
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GiStarResult:
    """Getis-Ord Gi* per unit, with esda's attribute names.

    Parameters
    ----------
    Gs : numpy.ndarray
        The statistic, ``sum_j w_ij y_j / sum(y)`` (self included).
    EGs, VGs : numpy.ndarray
        Its expectation and variance under normality (esda's analytic moments).
    Zs : numpy.ndarray
        ``(Gs - EGs) / sqrt(VGs)``; positive = hot.
    p_norm : numpy.ndarray
        ``norm.sf(|Zs|)``: one tail, as esda (double it for a two-sided test).
    p_sim : numpy.ndarray or None
        Pseudo p-value from conditional randomisation (None without permutations).
    EG_sim, seG_sim, VG_sim, z_sim, p_z_sim : numpy.ndarray or None
        Mean, standard deviation and variance of the simulated statistic, the z-score
        against them and its one-tailed normal p-value (as esda).
    permutations : int
        Number of conditional permutations.
    seed : int
        The seed actually used (drawn at random when None was passed).
    ties : {"esda", "inclusive"}
        How ties between simulated and observed statistics were counted.
    n_classes : int
        Number of distinct conditional distributions simulated (0 without permutations).
    """

    Gs: FloatArray
    EGs: FloatArray
    VGs: FloatArray
    Zs: FloatArray
    p_norm: FloatArray
    p_sim: FloatArray | None
    EG_sim: FloatArray | None
    seG_sim: FloatArray | None
    VG_sim: FloatArray | None
    z_sim: FloatArray | None
    p_z_sim: FloatArray | None
    permutations: int
    seed: int
    ties: Ties
    n_classes: int = field(default=0)

    def pvalues(self, source: PSource = "sim") -> FloatArray:
        """P-values used for significance: ``p_sim``, or the two-sided normal p-value.

        Parameters
        ----------
        source : {"sim", "norm"}
            ``"sim"``: ``p_sim`` as esda defines it. ``"norm"``: ``2 * p_norm``, the
            two-sided normal p-value (the one behind ArcGIS's Gi_Bin).

        Returns
        -------
        numpy.ndarray
            One p-value per unit.

        Raises
        ------
        ValueError
            If ``source`` is unknown, or is ``"sim"`` and no permutations were run.
        """
        if source == "sim":
            if self.p_sim is None:
                raise ValueError("p_sim is unavailable: the statistic ran with permutations=0")
            return self.p_sim
        if source == "norm":
            return np.minimum(2.0 * self.p_norm, 1.0)
        raise ValueError(f"source must be 'sim' or 'norm', got {source!r}")

    @property
    def p_fdr(self) -> FloatArray:
        """Benjamini-Hochberg adjusted ``p_sim`` (adjusted two-sided normal p without it)."""
        source: PSource = "norm" if self.p_sim is None else "sim"
        return benjamini_hochberg(self.pvalues(source)).adjusted

    def fdr(self, alpha: float = 0.05, *, source: PSource = "sim") -> BoolArray:
        """Units significant at false discovery rate ``alpha`` (Benjamini-Hochberg).

        Parameters
        ----------
        alpha : float
            False discovery rate.
        source : {"sim", "norm"}
            Which p-values to correct, see :meth:`pvalues`.

        Returns
        -------
        numpy.ndarray of bool
            True where significant.
        """
        return benjamini_hochberg(self.pvalues(source), alpha).significant

    def confidence_bins(self, *, source: PSource = "sim", fdr: bool = False) -> Int8Array:
        """Hot/cold spot confidence bins: +-3 (99 %), +-2 (95 %), +-1 (90 %), 0.

        The sign is that of ``Zs``; a unit is in bin 3, 2 or 1 when its p-value (see
        :meth:`pvalues`) is ``<= 0.01``, ``0.05`` or ``0.10``. With ``fdr=True`` a unit is
        in a bin when Benjamini-Hochberg rejects it at that level.

        Parameters
        ----------
        source : {"sim", "norm"}
            Which p-values decide significance.
        fdr : bool
            Apply the Benjamini-Hochberg correction at each level.

        Returns
        -------
        numpy.ndarray of int8
            One bin per unit.
        """
        return _bins_from_p(self.pvalues(source), self.Zs, fdr)


def getis_ord_gi_star(
    values: npt.ArrayLike,
    neighbours: Neighbours,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    row_standardise: bool = False,
    ties: Ties = "esda",
) -> GiStarResult:
    """Getis-Ord Gi* hot spot statistic with analytic and permutation inference.

    Equivalent to ``esda.G_Local(values, w, star=True, transform="B")`` (or ``"R"`` with
    ``row_standardise=True``): when the neighbours have no self-weights, every unit gets
    self-weight 1, then the rows are optionally standardised.

    Parameters
    ----------
    values : array_like
        One value per unit (e.g. incident counts), in the order of ``neighbours``; their
        sum must not be zero.
    neighbours : Neighbours
        Spatial weights (binary by default).
    permutations : int
        Conditional permutations for ``p_sim``; 0 skips the simulation.
    seed : int or None
        Seed of the simulation; results are reproducible for a fixed seed whatever the
        number of threads. None draws a seed (recorded in the result).
    row_standardise : bool
        Use row-standardised weights (esda ``transform="R"``).
    ties : {"esda", "inclusive"}
        Tie rule of ``p_sim`` (see the module notes); "esda" reproduces esda.

    Returns
    -------
    GiStarResult
        Statistic, moments, z-scores and p-values per unit.

    Raises
    ------
    ValueError
        On empty input, NaN, a length mismatch with the neighbours, zero variance, values
        summing to zero, or bad ``permutations``/``seed``/``ties``.

    Examples
    --------
    >>> from geo.weights import lattice
    >>> r = getis_ord_gi_star([0, 0, 1, 5, 9, 8], lattice(1, 6), permutations=99)
    >>> r.Zs.round(3).tolist()
    [-1.631, -2.106, -1.103, 0.702, 2.106, 1.986]
    >>> r.confidence_bins(source="norm").tolist()
    [0, -2, 0, 0, 2, 2]
    """
    y = _check_common(values, neighbours, permutations, ties)
    total = float(y.sum())
    if total == 0.0:
        raise ValueError("values sum to zero: Gi* divides by the total")
    used_seed = _resolve_seed(seed)
    w = neighbours
    if not np.any(w.sparse.diagonal()):
        w = w.with_self_weight(1.0)
    if row_standardise:
        w = w.row_standardised()
    matrix = w.sparse
    n = y.size

    # Analytic moments, formula for formula as esda.G_Local.calc with star=True.
    statistic = (matrix @ y) / total
    empirical_mean = total / n
    mean_of_squares = (y**2).sum() / n
    empirical_variance = mean_of_squares - empirical_mean**2
    cardinality = np.asarray(matrix.sum(axis=1)).squeeze(axis=1)
    expected_value = cardinality / n
    expected_variance = cardinality * (n - cardinality)
    expected_variance /= n - 1
    expected_variance *= 1 / n**2
    expected_variance *= empirical_variance / (empirical_mean**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_scores = (statistic - expected_value) / np.sqrt(expected_variance)
    p_norm = np.asarray(stats.norm.sf(np.abs(z_scores)), dtype=np.float64)

    if permutations == 0:
        return GiStarResult(
            Gs=statistic, EGs=expected_value, VGs=expected_variance, Zs=z_scores,
            p_norm=p_norm, p_sim=None, EG_sim=None, seG_sim=None, VG_sim=None,
            z_sim=None, p_z_sim=None, permutations=0, seed=used_seed, ties=ties,
        )  # fmt: skip

    rows = _split_rows(matrix)
    draws = _conditional_draws(y, rows, permutations, used_seed)
    direction = np.full(n, 1 if total > 0 else -1, dtype=np.int64)
    p_sim = _pseudo_p(draws, direction, rows.cardinality == 0, permutations, ties)
    # simulated Gi* = (w_ii y_i + T) / total, affine in T
    eg_sim = (rows.self_weight * y + draws.mean_t) / total
    seg_sim = draws.std_t / abs(total)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = (statistic - eg_sim) / seg_sim
    return GiStarResult(
        Gs=statistic,
        EGs=expected_value,
        VGs=expected_variance,
        Zs=z_scores,
        p_norm=p_norm,
        p_sim=p_sim,
        EG_sim=eg_sim,
        seG_sim=seg_sim,
        VG_sim=seg_sim * seg_sim,
        z_sim=z_sim,
        p_z_sim=np.asarray(stats.norm.sf(np.abs(z_sim)), dtype=np.float64),
        permutations=int(permutations),
        seed=used_seed,
        ties=ties,
        n_classes=draws.n_classes,
    )


# ---------------------------------------------------------------------------
# Local Moran's I
# ---------------------------------------------------------------------------

#: esda's quadrant codes (``geoda_quads=False``).
QUADRANTS: dict[int, str] = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


@dataclass(frozen=True)
class LocalMoranResult:
    """Local Moran's I per unit, with esda's attribute names.

    Parameters
    ----------
    Is : numpy.ndarray
        Local Moran's I, ``(n - 1) z_i lag_i / sum(z^2)`` with ``z`` standardised (ddof 0).
    q : numpy.ndarray of int8
        Quadrant: 1 HH, 2 LH, 3 LL, 4 HL (esda's numbering; ``z == 0`` counts as low).
    EI, VI : numpy.ndarray
        Expectation and variance under total randomisation (esda ``EI``, ``VI``).
    EIc, VIc : numpy.ndarray
        Expectation and variance under conditional randomisation (esda ``EIc``, ``VIc``).
    p_sim : numpy.ndarray or None
        Pseudo p-value from conditional randomisation (None without permutations).
    EI_sim, seI_sim, VI_sim, z_sim, p_z_sim : numpy.ndarray or None
        Mean, standard deviation and variance of the simulated I, the z-score against them
        and its one-tailed normal p-value (as esda).
    permutations : int
        Number of conditional permutations.
    seed : int
        The seed actually used.
    ties : {"esda", "inclusive"}
        How ties were counted.
    n_classes : int
        Number of distinct conditional distributions simulated.
    """

    Is: FloatArray
    q: Int8Array
    EI: FloatArray
    VI: FloatArray
    EIc: FloatArray
    VIc: FloatArray
    p_sim: FloatArray | None
    EI_sim: FloatArray | None
    seI_sim: FloatArray | None
    VI_sim: FloatArray | None
    z_sim: FloatArray | None
    p_z_sim: FloatArray | None
    permutations: int
    seed: int
    ties: Ties
    n_classes: int = field(default=0)

    def fdr(self, alpha: float = 0.05) -> BoolArray:
        """Units whose ``p_sim`` is significant at false discovery rate ``alpha``.

        Parameters
        ----------
        alpha : float
            False discovery rate.

        Returns
        -------
        numpy.ndarray of bool
            True where Benjamini-Hochberg rejects.

        Raises
        ------
        ValueError
            If no permutations were run.
        """
        if self.p_sim is None:
            raise ValueError("p_sim is unavailable: the statistic ran with permutations=0")
        return benjamini_hochberg(self.p_sim, alpha).significant

    def clusters(self, alpha: float = 0.05, *, fdr: bool = False) -> Int8Array:
        """Quadrant of the significant units, 0 elsewhere (a LISA cluster map).

        Parameters
        ----------
        alpha : float
            Significance level for ``p_sim`` (``p_sim <= alpha``), or the false discovery
            rate with ``fdr=True``.
        fdr : bool
            Use the Benjamini-Hochberg correction.

        Returns
        -------
        numpy.ndarray of int8
            1 HH, 2 LH, 3 LL, 4 HL, 0 not significant.

        Raises
        ------
        ValueError
            If no permutations were run.
        """
        if self.p_sim is None:
            raise ValueError("p_sim is unavailable: the statistic ran with permutations=0")
        hit = self.fdr(alpha) if fdr else self.p_sim <= alpha
        return np.where(hit, self.q, 0).astype(np.int8)


def local_moran(
    values: npt.ArrayLike,
    neighbours: Neighbours,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    row_standardise: bool = True,
    ties: Ties = "esda",
) -> LocalMoranResult:
    """Local Moran's I (LISA) with quadrants and permutation inference.

    Equivalent to ``esda.Moran_Local(values, w, transformation="r")`` (``"b"`` with
    ``row_standardise=False``).

    Parameters
    ----------
    values : array_like
        One value per unit, in the order of ``neighbours``.
    neighbours : Neighbours
        Spatial weights; a self-weight on the diagonal, if any, enters the lag.
    permutations : int
        Conditional permutations for ``p_sim``; 0 skips the simulation.
    seed : int or None
        Seed of the simulation (see :func:`getis_ord_gi_star`).
    row_standardise : bool
        Row-standardise the weights first (esda's default ``"r"``).
    ties : {"esda", "inclusive"}
        Tie rule of ``p_sim`` (see the module notes).

    Returns
    -------
    LocalMoranResult
        Statistic, quadrant, moments and p-values per unit.

    Raises
    ------
    ValueError
        On empty input, NaN, a length mismatch with the neighbours, zero variance, or bad
        ``permutations``/``seed``/``ties``.

    Examples
    --------
    >>> from geo.weights import lattice
    >>> r = local_moran([1, 2, 3, 10, 11, 12], lattice(1, 6), permutations=99)
    >>> r.q.tolist()  # 1 HH, 2 LH, 3 LL, 4 HL
    [3, 3, 3, 1, 1, 1]
    """
    y = _check_common(values, neighbours, permutations, ties)
    used_seed = _resolve_seed(seed)
    w = neighbours.row_standardised() if row_standardise else neighbours
    matrix = w.sparse
    n = y.size
    mean = y.mean()
    sd = y.std()
    z = y - mean
    z /= sd
    lag = matrix @ z
    den = (z * z).sum()
    local_i = (n - 1) * z * lag / den
    high = z > 0
    high_lag = lag > 0
    quadrant = np.select(
        [high & high_lag, ~high & high_lag, ~high & ~high_lag], [1, 2, 3], default=4
    ).astype(np.int8)

    # Moments, formula for formula as esda.Moran_Local.__moments.
    m2 = (z * z).sum() / n
    wi = np.asarray(matrix.sum(axis=1)).ravel()
    wi2 = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
    expectation_c = -(z**2 * wi) / ((n - 1) * m2)
    variance_c = (z / m2) ** 2 * (n / (n - 2)) * (wi2 - (wi**2 / (n - 1)))
    variance_c = variance_c * (m2 - (z**2 / (n - 1)))
    m4 = (z**4).sum() / n
    b2 = m4 / m2**2
    expectation = -wi / (n - 1)
    n1 = n - 1
    variance = wi2 * (n - b2) / n1
    variance += (wi**2 - wi2) * (2 * b2 - n) / (n1 * (n - 2))
    variance -= (-wi / n1) ** 2

    if permutations == 0:
        return LocalMoranResult(
            Is=local_i, q=quadrant, EI=expectation, VI=variance, EIc=expectation_c,
            VIc=variance_c, p_sim=None, EI_sim=None, seI_sim=None, VI_sim=None, z_sim=None,
            p_z_sim=None, permutations=0, seed=used_seed, ties=ties,
        )  # fmt: skip

    rows = _split_rows(matrix)
    draws = _conditional_draws(y, rows, permutations, used_seed)
    direction = np.sign(z).astype(np.int64)
    p_sim = _pseudo_p(draws, direction, rows.cardinality == 0, permutations, ties)
    # simulated I = z_i * scaling * ((T - mean * W_i) / sd + w_ii z_i), affine in T
    scaling = (n - 1) / den
    factor = z * scaling
    ei_sim = factor * ((draws.mean_t - mean * rows.row_weight) / sd + rows.self_weight * z)
    sei_sim = np.abs(factor) * draws.std_t / sd
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = (local_i - ei_sim) / sei_sim
    return LocalMoranResult(
        Is=local_i,
        q=quadrant,
        EI=expectation,
        VI=variance,
        EIc=expectation_c,
        VIc=variance_c,
        p_sim=p_sim,
        EI_sim=ei_sim,
        seI_sim=sei_sim,
        VI_sim=sei_sim * sei_sim,
        z_sim=z_sim,
        p_z_sim=np.asarray(stats.norm.sf(np.abs(z_sim)), dtype=np.float64),
        permutations=int(permutations),
        seed=used_seed,
        ties=ties,
        n_classes=draws.n_classes,
    )
