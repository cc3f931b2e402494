"""Mann–Kendall monotonic trend test, vectorised over many series at once.

The test follows Mann (1945) and Kendall (1975) as written in Gilbert (1987), *Statistical
Methods for Environmental Pollution Monitoring*, §16.4, and Hirsch, Slack & Smith (1982):

* ``S = Σ_{i<j} sign(x_j − x_i)``;
* ``Var(S) = [n(n−1)(2n+5) − Σ_p t_p(t_p−1)(2t_p+5)] / 18`` where ``t_p`` is the size of the
  ``p``-th group of tied values in the series (the tie correction);
* ``Z = (S − 1)/√Var(S)`` if ``S > 0``, ``0`` if ``S = 0``, ``(S + 1)/√Var(S)`` if ``S < 0``
  (the continuity correction; it can be switched off);
* the p-value is two-sided, from the standard normal distribution;
* ``tau = S / (n(n−1)/2)`` (Kendall's tau-a, as reported by ``pymannkendall``).

The normal approximation is what Esri's Emerging Hot Spot Analysis and R's ``Kendall``
package use. A series must have at least :data:`MIN_SERIES_LENGTH` (4) values: with three
values the smallest two-sided p-value the test can reach is 0.296 (``S = 3``), so it could never
report a trend at any usual significance level, while with four it can reach 0.089 (``S = 6``),
significant at the 90 % level used by default here. Gilbert recommends exact tables rather than
the normal approximation below ``n = 10``; the approximation is slightly conservative there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from geo.checks import BoolArray, FloatArray, IntArray

__all__ = ["MIN_SERIES_LENGTH", "MannKendallResult", "mann_kendall", "two_sided_p"]

MIN_SERIES_LENGTH = 4
"""Shortest series the Mann–Kendall test accepts (see the module docstring)."""


@dataclass(frozen=True)
class MannKendallResult:
    """Mann–Kendall test results, one entry per series.

    Attributes
    ----------
    s : numpy.ndarray
        Kendall's ``S`` (``int64``).
    var_s : numpy.ndarray
        Tie-corrected variance of ``S``.
    z : numpy.ndarray
        Standard normal score of ``S`` (continuity-corrected unless switched off).
    p : numpy.ndarray
        Two-sided p-value of ``z``.
    tau : numpy.ndarray
        Kendall's tau-a, ``S / (n(n−1)/2)``, in [−1, 1].
    trend : numpy.ndarray
        ``int8``: +1 significant increasing trend, −1 significant decreasing trend, 0 none
        (significant means ``p <= alpha``).
    alpha : float
        Significance level used for ``trend``.
    """

    s: IntArray
    var_s: FloatArray
    z: FloatArray
    p: FloatArray
    tau: FloatArray
    trend: npt.NDArray[np.int8]
    alpha: float

    @property
    def significant(self) -> BoolArray:
        """Return ``True`` where the trend is significant at ``alpha``."""
        flags: BoolArray = np.not_equal(self.trend, 0)
        return flags


def two_sided_p(z: npt.ArrayLike) -> FloatArray:
    """Return the two-sided standard normal p-value ``P(|Z| >= |z|)``.

    Parameters
    ----------
    z : array_like
        Standard normal scores.

    Returns
    -------
    numpy.ndarray
        p-values in [0, 1]; ``erfc`` keeps them accurate far in the tails.

    Examples
    --------
    >>> two_sided_p([0.0, 1.959964]).round(4)
    array([1.  , 0.05])
    """
    arr = np.asarray(z, dtype=np.float64)
    return np.asarray(special.erfc(np.abs(arr) / np.sqrt(2.0)), dtype=np.float64)


def _as_series_matrix(series: npt.ArrayLike, name: str) -> FloatArray:
    """Validate ``series`` and return it as a 2-D float array (series × time)."""
    arr = np.asarray(series, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be one series (1-D) or series × time (2-D), got shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    n = arr.shape[1]
    if n < MIN_SERIES_LENGTH:
        raise ValueError(
            f"{name} is too short for the Mann–Kendall test: {n} time steps, "
            f"at least {MIN_SERIES_LENGTH} are needed"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} holds {int(bad.sum())} non-finite number(s) (NaN or infinity), "
            f"the first in series {int(row)} at time step {int(col)}"
        )
    return arr


def _kendall_s(x: FloatArray) -> IntArray:
    """Return ``Σ_{i<j} sign(x_j − x_i)`` for every row, one time lag at a time."""
    n = x.shape[1]
    s = np.zeros(x.shape[0], dtype=np.int64)
    for lag in range(1, n):
        later, earlier = x[:, lag:], x[:, :-lag]
        s += np.count_nonzero(later > earlier, axis=1)
        s -= np.count_nonzero(later < earlier, axis=1)
    return s


def _tie_term(x: FloatArray) -> FloatArray:
    """Return ``Σ_p t_p(t_p−1)(2t_p+5)`` over the groups of tied values of every row."""
    rows, n = x.shape
    ordered = np.sort(x, axis=1)
    starts = np.ones((rows, n), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    start_pos = np.flatnonzero(starts.ravel())
    sizes = np.diff(np.append(start_pos, rows * n)).astype(np.float64)
    term = sizes * (sizes - 1.0) * (2.0 * sizes + 5.0)
    return np.asarray(np.bincount(start_pos // n, weights=term, minlength=rows), dtype=np.float64)


def mann_kendall(
    series: npt.ArrayLike, *, alpha: float = 0.10, continuity: bool = True
) -> MannKendallResult:
    """Run the Mann–Kendall trend test on one series or on every row of a matrix.

    Parameters
    ----------
    series : array_like
        One series (1-D, time order) or a matrix of series × time steps (2-D).
    alpha : float
        Significance level for the ``trend`` sign, in (0, 1). Default 0.10 (90 %).
    continuity : bool
        Apply the continuity correction (``S ∓ 1``) to ``z``. Default ``True``.

    Returns
    -------
    MannKendallResult
        Arrays with one entry per series (length 1 for a 1-D input).

    Raises
    ------
    ValueError
        On empty input, NaN or infinity, a series shorter than :data:`MIN_SERIES_LENGTH`,
        more than two dimensions, or ``alpha`` outside (0, 1). A constant series is valid:
        ``S = 0``, ``z = 0``, ``p = 1`` (its tie-corrected variance is zero).

    Examples
    --------
    >>> r = mann_kendall([1, 2, 3, 5, 4, 6, 7, 7, 8])
    >>> int(r.s[0]), float(r.var_s[0]), round(float(r.z[0]), 4), int(r.trend[0])
    (33, 91.0, 3.3545, 1)
    >>> mann_kendall([3, 2, 1])
    Traceback (most recent call last):
    ...
    ValueError: series is too short for the Mann–Kendall test: 3 time steps, at least 4 are needed
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    x = _as_series_matrix(series, "series")
    n = x.shape[1]
    s = _kendall_s(x)
    var_s = (n * (n - 1) * (2 * n + 5) - _tie_term(x)) / 18.0
    numerator = s.astype(np.float64)
    if continuity:
        numerator = numerator - np.sign(numerator)
    sd = np.sqrt(var_s)
    z = np.divide(numerator, sd, out=np.zeros_like(numerator), where=sd > 0)
    p = two_sided_p(z)
    tau = s / (n * (n - 1) / 2.0)
    trend = np.where(p <= alpha, np.sign(s), 0).astype(np.int8)
    return MannKendallResult(s=s, var_s=var_s, z=z, p=p, tau=tau, trend=trend, alpha=alpha)
