"""Emerging hot spot analysis: Esri's hot and cold spot trend classes.

Each unit's series of per-step space-time Gi* results (:mod:`geo.spacetime`) is summarised in
one class, following Esri's *How Emerging Hot Spot Analysis works* (ArcGIS Pro) and R's
``sfdep::emerging_hotspot_analysis``. A bin is a *hot spot* when its p-value is at most
``alpha`` and its z-score positive, a *cold spot* when the p-value is at most ``alpha`` and the
z-score negative. The *trend* is the Mann–Kendall test (:mod:`geo.trends`) on the unit's Gi*
z-scores, significant when its p-value is at most ``trend_alpha``. "At least 90 % of steps"
is computed exactly in integers (``10 · hot_steps >= 9 · steps``).

The rules, with ``n`` steps and the final step ``n``:

========================  ====================================================================
class                     rule
========================  ====================================================================
new hot spot              hot in the final step and in no other step; never cold.
consecutive hot spot      one uninterrupted run of at least two hot steps ending at the final
                          step, never hot before that run, never cold, and fewer than 90 % of
                          the steps hot.
intensifying hot spot     hot in at least 90 % of the steps including the final one, and a
                          significant increasing trend of the z-scores.
persistent hot spot       hot in at least 90 % of the steps including the final one, and no
                          significant trend.
diminishing hot spot      hot in at least 90 % of the steps including the final one, and a
                          significant decreasing trend.
sporadic hot spot         hot in the final step, hot on and off before (not new, not
                          consecutive), fewer than 90 % of the steps hot, never cold.
oscillating hot spot      hot in the final step, cold in at least one earlier step, fewer than
                          90 % of the steps hot.
historical hot spot       not significant in the final step, yet hot in at least 90 % of the
                          steps.
no pattern                none of the above nor of the cold twins.
========================  ====================================================================

The cold twins swap hot and cold; for them *intensifying* means a significant **decreasing**
trend of the z-scores (ever colder) and *diminishing* a significant increasing one.

Where Esri's prose leaves an overlap, the precedence here (the same as ``sfdep``'s) is:

* the final step decides first: a unit hot in the final step gets a hot class, cold in the
  final step a cold class; so a unit hot in 90 % of the steps but cold in the final step is an
  *oscillating cold spot*, not a historical hot spot;
* a hot spot with any earlier cold step is *oscillating*, never *new* or *consecutive*;
* *historical* needs a final step that is neither hot nor cold;
* a unit that was hot on and off but is not significant in the final step has no pattern
  (Esri's sporadic class requires a hot final step).

Esri's ArcGIS Pro also corrects the per-bin p-values for multiple testing (false discovery
rate); pass ``fdr=True`` to :func:`emerging_hotspots` for the Benjamini–Hochberg correction over
all bins of the cube. It is off by default, as in ``sfdep``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt
from scipy import stats

from geo.checks import BoolArray, FloatArray
from geo.spacetime import GlobalWindow, SpaceTimeCube, gi_star_spacetime
from geo.trends import MIN_SERIES_LENGTH, MannKendallResult, mann_kendall

__all__ = [
    "EmergingClass",
    "EmergingHotSpotResult",
    "classify_emerging",
    "emerging_hotspots",
    "emerging_labels",
]


class EmergingClass(IntEnum):
    """Emerging hot spot classes; hot spots are positive codes, their cold twins negative.

    Examples
    --------
    >>> EmergingClass.INTENSIFYING_HOT.label
    '加剧热点'
    >>> EmergingClass(-1).label
    '新增冷点'
    """

    NO_PATTERN = 0
    NEW_HOT = 1
    CONSECUTIVE_HOT = 2
    INTENSIFYING_HOT = 3
    PERSISTENT_HOT = 4
    DIMINISHING_HOT = 5
    SPORADIC_HOT = 6
    OSCILLATING_HOT = 7
    HISTORICAL_HOT = 8
    NEW_COLD = -1
    CONSECUTIVE_COLD = -2
    INTENSIFYING_COLD = -3
    PERSISTENT_COLD = -4
    DIMINISHING_COLD = -5
    SPORADIC_COLD = -6
    OSCILLATING_COLD = -7
    HISTORICAL_COLD = -8

    @property
    def label(self) -> str:
        """Return the Simplified Chinese label shown in the console."""
        return _LABELS[self]


_KINDS = ("新增", "连续", "加剧", "持续", "减弱", "零星", "振荡", "历史")
_LABELS: dict[EmergingClass, str] = {EmergingClass.NO_PATTERN: "无模式"}
for _code, _kind in enumerate(_KINDS, start=1):
    _LABELS[EmergingClass(_code)] = f"{_kind}热点"
    _LABELS[EmergingClass(-_code)] = f"{_kind}冷点"

_CODE_DTYPE = np.int8


def emerging_labels(codes: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """Return the Chinese label of every class code.

    Parameters
    ----------
    codes : array_like of int
        :class:`EmergingClass` codes.

    Returns
    -------
    numpy.ndarray
        Labels, same shape as ``codes``.

    Raises
    ------
    ValueError
        If a code is not an :class:`EmergingClass` value.

    Examples
    --------
    >>> emerging_labels([0, 3, -8])
    array(['无模式', '加剧热点', '历史冷点'], dtype='<U4')
    """
    arr = np.asarray(codes)
    lookup = np.array([_LABELS[EmergingClass(c)] for c in range(-8, 9)])
    if arr.size and (arr.min() < -8 or arr.max() > 8):
        raise ValueError("codes must be EmergingClass values between -8 and 8")
    return np.asarray(lookup[arr.astype(np.int64) + 8], dtype=np.str_)


@dataclass(frozen=True)
class EmergingHotSpotResult:
    """Result of :func:`emerging_hotspots`.

    Attributes
    ----------
    unit_ids : numpy.ndarray
        Identifier of each unit, from the cube.
    classes : numpy.ndarray
        ``int8`` :class:`EmergingClass` code per unit.
    z : numpy.ndarray
        Space-time Gi* z-scores, units × steps.
    p : numpy.ndarray
        Gi* p-values used for the classification, units × steps (Benjamini–Hochberg adjusted
        when ``fdr`` is true).
    trend : MannKendallResult
        Mann–Kendall test of each unit's z-score series (the trend of clustering intensity).
    count_trend : MannKendallResult
        Mann–Kendall test of each unit's raw counts (Esri reports this as well).
    alpha : float
        Significance level of the Gi* bins.
    trend_alpha : float
        Significance level of the trend.
    time_steps : int
        Neighbourhood time step used by Gi*.
    global_window : str
        Gi* global window.
    fdr : bool
        Whether ``p`` is false-discovery-rate adjusted.
    """

    unit_ids: npt.NDArray[np.generic]
    classes: npt.NDArray[np.int8]
    z: FloatArray
    p: FloatArray
    trend: MannKendallResult
    count_trend: MannKendallResult
    alpha: float
    trend_alpha: float
    time_steps: int
    global_window: str
    fdr: bool

    def labels(self) -> npt.NDArray[np.str_]:
        """Return the Chinese class label of every unit."""
        return emerging_labels(self.classes)

    def class_counts(self) -> dict[EmergingClass, int]:
        """Return how many units fall in each class that occurs."""
        codes, counts = np.unique(self.classes, return_counts=True)
        return {EmergingClass(int(c)): int(k) for c, k in zip(codes, counts, strict=True)}


def _check_alpha(value: float, name: str) -> float:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie in (0, 1), got {value}")
    return float(value)


def _z_p_matrices(z: npt.ArrayLike, p: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validate z and p as matching units × steps matrices (a 1-D pair is one unit)."""
    za = np.asarray(z, dtype=np.float64)
    pa = np.asarray(p, dtype=np.float64)
    if za.shape != pa.shape:
        raise ValueError(f"z and p have mismatched shapes: {za.shape} and {pa.shape}")
    if za.ndim == 1:
        za, pa = za[np.newaxis, :], pa[np.newaxis, :]
    if za.ndim != 2:
        raise ValueError(f"z must be units × steps (2-D), got shape {za.shape}")
    if za.size == 0:
        raise ValueError("z is empty")
    for name, arr in (("z", za), ("p", pa)):
        bad = ~np.isfinite(arr)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"{name} holds {int(bad.sum())} non-finite number(s) (NaN or infinity), "
                f"the first for unit {int(row)} at step {int(col)}"
            )
    if (pa < 0).any() or (pa > 1).any():
        raise ValueError("p must hold probabilities in [0, 1]")
    if za.shape[1] < MIN_SERIES_LENGTH:
        raise ValueError(
            f"z has {za.shape[1]} time steps; emerging hot spot analysis needs at least "
            f"{MIN_SERIES_LENGTH} (the Mann–Kendall trend test needs them)"
        )
    return za, pa


def _final_run(flags: BoolArray) -> npt.NDArray[np.int64]:
    """Return the length of the run of ``True`` ending at the last column, per row."""
    n = flags.shape[1]
    breaks = ~flags[:, ::-1]
    return np.asarray(np.where(breaks.any(axis=1), breaks.argmax(axis=1), n), dtype=np.int64)


def _family(
    mine: BoolArray, other: BoolArray, rising: BoolArray, falling: BoolArray, sign: int
) -> tuple[BoolArray, npt.NDArray[np.int8]]:
    """Classify the units significant in the final step as ``mine`` (hot or cold).

    ``rising`` is the trend that intensifies this family (increasing z for hot spots,
    decreasing for cold spots), ``falling`` the one that diminishes it. Returns the mask of
    units of this family and their codes (sign applied).
    """
    n = mine.shape[1]
    count = mine.sum(axis=1)
    final = mine[:, -1]
    mostly = 10 * count >= 9 * n
    ever_other = other.any(axis=1)
    run = _final_run(mine)
    code = np.zeros(mine.shape[0], dtype=np.int64)
    code[mostly] = EmergingClass.PERSISTENT_HOT
    code[mostly & rising] = EmergingClass.INTENSIFYING_HOT
    code[mostly & falling] = EmergingClass.DIMINISHING_HOT
    few = ~mostly
    code[few & ever_other] = EmergingClass.OSCILLATING_HOT
    plain = few & ~ever_other
    code[plain] = EmergingClass.SPORADIC_HOT
    code[plain & (count == 1)] = EmergingClass.NEW_HOT
    code[plain & (run >= 2) & (run == count)] = EmergingClass.CONSECUTIVE_HOT
    return final, (sign * code).astype(_CODE_DTYPE)


def _classify(hot: BoolArray, cold: BoolArray, trend: MannKendallResult) -> npt.NDArray[np.int8]:
    up = trend.trend > 0
    down = trend.trend < 0
    classes = np.zeros(hot.shape[0], dtype=_CODE_DTYPE)
    hot_final, hot_codes = _family(hot, cold, up, down, 1)
    cold_final, cold_codes = _family(cold, hot, down, up, -1)
    n = hot.shape[1]
    quiet = ~hot_final & ~cold_final
    classes[quiet & (10 * hot.sum(axis=1) >= 9 * n)] = EmergingClass.HISTORICAL_HOT
    classes[quiet & (10 * cold.sum(axis=1) >= 9 * n)] = EmergingClass.HISTORICAL_COLD
    classes[hot_final] = hot_codes[hot_final]
    classes[cold_final] = cold_codes[cold_final]
    return classes


def classify_emerging(
    z: npt.ArrayLike,
    p: npt.ArrayLike,
    *,
    alpha: float = 0.10,
    trend_alpha: float | None = None,
) -> npt.NDArray[np.int8]:
    """Classify each unit's Gi* series into an :class:`EmergingClass`.

    The rules are in the module docstring.

    Parameters
    ----------
    z : array_like
        Gi* z-scores, units × steps (time order), or one unit's series (1-D).
    p : array_like
        Gi* p-values, same shape as ``z``.
    alpha : float
        A bin is significant when ``p <= alpha``. Default 0.10 (90 % confidence).
    trend_alpha : float, optional
        Significance level of the Mann–Kendall trend of ``z``; default ``alpha``.

    Returns
    -------
    numpy.ndarray
        ``int8`` class code per unit (``EmergingClass(code)`` gives the member).

    Raises
    ------
    ValueError
        On empty input, NaN, mismatched shapes, p outside [0, 1], fewer than
        :data:`geo.trends.MIN_SERIES_LENGTH` steps, or a significance level outside (0, 1).

    Examples
    --------
    >>> z = [[0.1, -0.2, 0.3, 0.2, 2.5],   # hot only in the last step
    ...      [3.0, 3.1, 3.3, 3.6, 4.0]]    # hot throughout and rising
    >>> p = [[0.9, 0.8, 0.7, 0.8, 0.01],
    ...      [0.01, 0.01, 0.01, 0.01, 0.01]]
    >>> [EmergingClass(c).name for c in classify_emerging(z, p)]
    ['NEW_HOT', 'INTENSIFYING_HOT']
    """
    level = _check_alpha(alpha, "alpha")
    t_level = level if trend_alpha is None else _check_alpha(trend_alpha, "trend_alpha")
    za, pa = _z_p_matrices(z, p)
    significant = pa <= level
    trend = mann_kendall(za, alpha=t_level)
    return _classify(significant & (za > 0), significant & (za < 0), trend)


def emerging_hotspots(
    cube: SpaceTimeCube,
    neighbours: object,
    *,
    time_steps: int = 1,
    alpha: float = 0.10,
    trend_alpha: float | None = None,
    global_window: GlobalWindow = "cube",
    fdr: bool = False,
) -> EmergingHotSpotResult:
    """Run the emerging hot spot analysis on a space-time cube.

    Steps: space-time Gi* for every bin (:func:`geo.spacetime.gi_star_spacetime`), an optional
    Benjamini–Hochberg correction of all bin p-values, the Mann–Kendall trend of each unit's
    z-scores (and of its counts), and the classification (:func:`classify_emerging`).

    Parameters
    ----------
    cube : SpaceTimeCube
        Counts per unit and step, e.g. from :func:`geo.spacetime.build_cube`.
    neighbours : scipy.sparse matrix
        Binary units × units spatial neighbours without self-loops.
    time_steps : int
        Neighbourhood time step ``k`` (default 1: the step and the one before).
    alpha : float
        Significance level of a hot or cold bin (default 0.10).
    trend_alpha : float, optional
        Significance level of the trend (default ``alpha``).
    global_window : {"cube", "neighbourhood", "step"}
        Gi* global window (default ``"cube"``, Esri's default).
    fdr : bool
        Adjust the bin p-values for the false discovery rate (default ``False``).

    Returns
    -------
    EmergingHotSpotResult
        Classes, Gi* z/p matrices and trends.

    Raises
    ------
    ValueError
        If the cube has fewer than :data:`geo.trends.MIN_SERIES_LENGTH` steps, every count is
        equal, the neighbours do not fit (see :func:`geo.spacetime.gi_star_spacetime`), or a
        significance level is outside (0, 1).

    Examples
    --------
    >>> from scipy import sparse
    >>> counts = np.ones((6, 8), dtype=np.int64)
    >>> counts[0, 5:] = [9, 12, 15]             # a burst in unit 0 over the last three weeks
    >>> edges = np.arange("2024-01-01", "2024-03-01", 7, dtype="datetime64[D]")[:9]
    >>> cube = SpaceTimeCube(counts=counts, edges=edges, unit_ids=np.arange(6))
    >>> chain = sparse.diags([1.0, 1.0], [-1, 1], shape=(6, 6), format="csr")  # 0-1-2-3-4-5
    >>> result = emerging_hotspots(cube, chain)
    >>> result.labels()[:2].tolist()
    ['连续热点', '连续热点']
    """
    level = _check_alpha(alpha, "alpha")
    t_level = level if trend_alpha is None else _check_alpha(trend_alpha, "trend_alpha")
    if cube.n_steps < MIN_SERIES_LENGTH:
        raise ValueError(
            f"the cube has {cube.n_steps} time steps; emerging hot spot analysis needs at "
            f"least {MIN_SERIES_LENGTH} (the Mann–Kendall trend test needs them)"
        )
    gi = gi_star_spacetime(
        cube.counts, neighbours, time_steps=time_steps, global_window=global_window
    )
    p = gi.p
    if fdr:
        p = np.asarray(
            stats.false_discovery_control(p.ravel(), method="bh"), dtype=np.float64
        ).reshape(p.shape)
    significant = p <= level
    trend = mann_kendall(gi.z, alpha=t_level)
    count_trend = mann_kendall(cube.counts, alpha=t_level)
    classes = _classify(significant & (gi.z > 0), significant & (gi.z < 0), trend)
    return EmergingHotSpotResult(
        unit_ids=cube.unit_ids,
        classes=classes,
        z=gi.z,
        p=p,
        trend=trend,
        count_trend=count_trend,
        alpha=level,
        trend_alpha=t_level,
        time_steps=gi.time_steps,
        global_window=gi.global_window,
        fdr=fdr,
    )
