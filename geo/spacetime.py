"""Space-time cubes of event counts and the space-time Getis-Ord Gi* statistic.

A cube holds one count per unit (grid cell, H3 cell, village…) and time bin. The space-time
Gi* follows Esri's Emerging Hot Spot Analysis: the neighbourhood of bin ``(i, t)`` is unit ``i``
itself and its spatial neighbours, each at time steps ``t − k, …, t`` where ``k`` is the
*neighbourhood time step* (Esri's default, and ours, is ``k = 1``: the bin's own step and the
step before it; for a cube with three-month steps and ``k = 2`` the neighbourhood spans nine
months). Bins before the first step do not exist, so the first ``k`` steps have fewer temporal
neighbours. All weights are binary (1 inside the neighbourhood, 0 outside), as in Esri's
fixed-distance, k-nearest and contiguity conceptualisations.

For each bin, with ``x`` the values of the *global window*::

    z_it = (Σ_j w_ij x_j − W_i x̄) / (s √((n S1_i − W_i²) / (n − 1)))

where ``W_i = Σ_j w_ij`` (here the number of bins in the neighbourhood), ``S1_i = Σ_j w_ij²``
(equal to ``W_i`` for binary weights), ``n`` the number of bins in the global window, ``x̄`` its
mean and ``s = √(Σ x²/n − x̄²)`` its population standard deviation (Getis & Ord 1992; Ord &
Getis 1995). The global window is Esri's *Define Global Window* parameter:

* ``"cube"`` (Esri's default, *Entire cube*): ``x̄``, ``s`` and ``n`` over every bin of the cube;
* ``"neighbourhood"`` (*Neighborhood time step*): over every unit at steps ``t − k … t``;
* ``"step"`` (*Individual time step*): over every unit at step ``t`` only (what R's ``sfdep``
  does).

p-values are two-sided from the standard normal distribution. Zero-variance policy: a cube in
which every value is equal is a ``ValueError`` (there is nothing to compare). With the
``"step"`` or ``"neighbourhood"`` window a window whose values are all equal (typically a week
with no events anywhere) gives ``z = 0`` and ``p = 1`` for its bins: not significant, no crash.
The same holds for a bin whose neighbourhood is as large as its global window or larger
(``n S1 <= W²``; only in toy graphs, e.g. the ``"step"`` window with ``k >= 1`` on a few units).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

from geo.checks import FloatArray, IntArray, finite_values, same_length
from geo.trends import two_sided_p

__all__ = [
    "GlobalWindow",
    "SpaceTimeCube",
    "SpaceTimeGiStar",
    "build_cube",
    "gi_star_spacetime",
    "parse_bin",
]

GlobalWindow = Literal["cube", "neighbourhood", "step"]
_WINDOWS: tuple[str, ...] = ("cube", "neighbourhood", "step")
_BIN_PATTERN = re.compile(r"^\s*(\d+)\s*(W|D|h|m|s)\s*$")
_BIN_UNITS: dict[str, np.timedelta64] = {
    "W": np.timedelta64(1, "W"),
    "D": np.timedelta64(1, "D"),
    "h": np.timedelta64(1, "h"),
    "m": np.timedelta64(1, "m"),
    "s": np.timedelta64(1, "s"),
}


@dataclass(frozen=True)
class SpaceTimeCube:
    """Event counts per unit and time bin.

    Attributes
    ----------
    counts : numpy.ndarray
        ``int64`` array of shape (units, steps); ``counts[i, t]`` events of unit ``i`` in bin
        ``t``.
    edges : numpy.ndarray
        ``datetime64`` bin edges, length ``steps + 1``; bin ``t`` is the half-open interval
        ``[edges[t], edges[t + 1])``.
    unit_ids : numpy.ndarray
        Identifier of each row of ``counts``.
    """

    counts: IntArray
    edges: npt.NDArray[np.datetime64]
    unit_ids: npt.NDArray[np.generic]

    @property
    def n_units(self) -> int:
        """Return the number of units (rows)."""
        return int(self.counts.shape[0])

    @property
    def n_steps(self) -> int:
        """Return the number of time steps (columns)."""
        return int(self.counts.shape[1])


@dataclass(frozen=True)
class SpaceTimeGiStar:
    """Space-time Gi* z-scores and p-values, one per unit and time step.

    Attributes
    ----------
    z : numpy.ndarray
        Gi* z-scores, shape (units, steps).
    p : numpy.ndarray
        Two-sided normal p-values, same shape.
    time_steps : int
        Neighbourhood time step ``k`` used.
    global_window : str
        Global window used (``"cube"``, ``"neighbourhood"`` or ``"step"``).
    """

    z: FloatArray
    p: FloatArray
    time_steps: int
    global_window: str


def parse_bin(bin_size: str | dt.timedelta | np.timedelta64) -> np.timedelta64:
    """Return a fixed-length time bin as ``numpy.timedelta64``.

    Parameters
    ----------
    bin_size : str or datetime.timedelta or numpy.timedelta64
        ``"<number><unit>"`` with unit ``W`` (weeks), ``D`` (days), ``h``, ``m`` (minutes) or
        ``s``, e.g. ``"7D"``, ``"1W"``, ``"12h"``; or a timedelta.

    Returns
    -------
    numpy.timedelta64
        The bin length.

    Raises
    ------
    ValueError
        If the text is not understood (months and years are refused: their length varies) or
        the length is not positive.

    Examples
    --------
    >>> parse_bin("7D")
    np.timedelta64(7,'D')
    >>> parse_bin("1M")
    Traceback (most recent call last):
    ...
    ValueError: bin '1M' not understood: use a fixed length such as '7D', '1W', '12h', '30m'
    """
    if isinstance(bin_size, str):
        match = _BIN_PATTERN.match(bin_size)
        if match is None:
            raise ValueError(
                f"bin {bin_size!r} not understood: use a fixed length such as "
                "'7D', '1W', '12h', '30m'"
            )
        td: np.timedelta64 = _BIN_UNITS[match.group(2)] * int(match.group(1))
    elif isinstance(bin_size, dt.timedelta):
        td = np.timedelta64(bin_size, "us")
    elif isinstance(bin_size, np.timedelta64):
        td = bin_size
    else:
        raise ValueError(f"bin must be a string or a timedelta, got {type(bin_size).__name__}")
    if np.isnat(td) or td <= np.timedelta64(0, "s"):
        raise ValueError(f"bin must be a positive length, got {bin_size!r}")
    return td


def _as_datetimes(values: npt.ArrayLike, name: str) -> npt.NDArray[np.datetime64]:
    """Return ``values`` as a 1-D ``datetime64`` array without NaT."""
    arr = np.asarray(values)
    if arr.dtype.kind in "USO":
        try:
            arr = arr.astype("datetime64[us]")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name} holds text that is not a date-time: {exc}") from None
    if arr.dtype.kind != "M":
        raise ValueError(f"{name} must be numpy datetime64 values, got dtype {arr.dtype}")
    if np.datetime_data(arr.dtype)[0] in ("Y", "M", "generic"):
        arr = arr.astype("datetime64[D]")  # years and months do not mix with day arithmetic
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    bad = np.isnat(arr)
    if bad.any():
        raise ValueError(
            f"{name} holds {int(bad.sum())} missing time(s) (NaT), "
            f"the first at position {int(np.flatnonzero(bad)[0])}"
        )
    return arr


def _as_instant(value: object, name: str) -> np.datetime64:
    arr = _as_datetimes(np.asarray(value).reshape(1), name)
    return np.datetime64(arr[0])


def build_cube(
    unit_index: npt.ArrayLike,
    times: npt.ArrayLike,
    n_units: int,
    bin: str | dt.timedelta | np.timedelta64 = "7D",  # noqa: A002 - the name the callers use
    start: object = None,
    end: object = None,
    unit_ids: npt.ArrayLike | None = None,
) -> SpaceTimeCube:
    """Count events per unit and fixed-length time bin.

    Bins are half-open ``[lo, hi)`` and aligned on ``end``, like Esri's default *End time*
    alignment: the last bin always ends at ``end`` and is complete, while the first bin may
    start before ``start`` (and then holds fewer days of data). Events outside
    ``[start, end)`` are left out.

    Parameters
    ----------
    unit_index : array_like of int
        Row of each event's unit, in ``[0, n_units)``.
    times : array_like of datetime64
        Time of each event (ISO text is accepted too).
    n_units : int
        Number of units (rows of the cube); units without events get zero counts.
    bin : str or timedelta
        Bin length, see :func:`parse_bin`. Default one week, ``"7D"``.
    start : datetime64 or str, optional
        First instant covered. Default: midnight of the earliest event's day.
    end : datetime64 or str, optional
        Instant at which the last bin ends (excluded). Default: midnight after the latest
        event's day.
    unit_ids : array_like, optional
        Identifier of each unit, length ``n_units``. Default ``0 … n_units − 1``.

    Returns
    -------
    SpaceTimeCube
        Counts of shape (n_units, steps).

    Raises
    ------
    ValueError
        On empty input, mismatched lengths, NaT times, unit indices out of range or not whole
        numbers, ``n_units < 1``, ``end <= start``, a bad ``bin``, or ``unit_ids`` of the wrong
        length.

    Examples
    --------
    >>> t = np.array(["2024-01-01T08", "2024-01-02", "2024-01-09", "2024-01-10"],
    ...              dtype="datetime64[h]")
    >>> cube = build_cube([0, 1, 1, 1], t, n_units=3, bin="7D")
    >>> cube.counts
    array([[1, 0],
           [1, 2],
           [0, 0]])
    >>> cube.edges.astype("datetime64[D]")
    array(['2023-12-28', '2024-01-04', '2024-01-11'], dtype='datetime64[D]')
    """
    if n_units < 1:
        raise ValueError(f"n_units must be at least 1, got {n_units}")
    step = parse_bin(bin)
    raw_index = np.atleast_1d(np.asarray(unit_index))
    when = _as_datetimes(times, "times")
    same_length("unit_index", raw_index, "times", when)
    if raw_index.size == 0:
        raise ValueError("unit_index is empty: there are no events to count")
    if raw_index.dtype.kind not in "iu":
        as_float = finite_values(raw_index.astype(np.float64).ravel(), "unit_index")
        if not np.array_equal(as_float, np.round(as_float)):
            raise ValueError("unit_index must hold whole numbers (row positions of units)")
    index = raw_index.astype(np.int64).ravel()
    out_of_range = (index < 0) | (index >= n_units)
    if out_of_range.any():
        first = int(np.flatnonzero(out_of_range)[0])
        raise ValueError(
            f"unit_index holds {int(out_of_range.sum())} value(s) outside [0, {n_units}), "
            f"the first {int(index[first])} at position {first}"
        )
    if unit_ids is None:
        ids: npt.NDArray[np.generic] = np.arange(n_units, dtype=np.int64)
    else:
        ids = np.asarray(unit_ids)
        if ids.shape != (n_units,):
            raise ValueError(f"unit_ids must have length n_units={n_units}, got {ids.shape}")

    lo = when.min().astype("datetime64[D]") if start is None else _as_instant(start, "start")
    hi = (
        when.max().astype("datetime64[D]") + np.timedelta64(1, "D")
        if end is None
        else _as_instant(end, "end")
    )
    if hi <= lo:
        raise ValueError(f"end ({hi}) must be after start ({lo})")
    span = hi - lo
    n_steps = int(-(-span // step))  # ceiling division
    edges = hi - step * np.arange(n_steps, -1, -1)
    inside = (when >= lo) & (when < hi)
    bins = (when[inside] - edges[0]) // step
    flat = index[inside] * n_steps + bins.astype(np.int64)
    counts = np.bincount(flat, minlength=n_units * n_steps).reshape(n_units, n_steps)
    return SpaceTimeCube(counts=counts.astype(np.int64), edges=edges, unit_ids=ids)


def _binary_neighbours(neighbours: object, n_units: int) -> sparse.csr_matrix:
    """Validate a binary, self-loop-free n×n sparse neighbour matrix and return it as CSR."""
    if not sparse.issparse(neighbours):
        raise ValueError(
            f"neighbours must be a scipy.sparse matrix, got {type(neighbours).__name__}"
        )
    csr = sparse.csr_matrix(neighbours, dtype=np.float64)
    if csr.shape != (n_units, n_units):
        raise ValueError(
            f"neighbours must be {n_units}×{n_units} (one row per unit), got "
            f"{csr.shape[0]}×{csr.shape[1]}"
        )
    csr.eliminate_zeros()
    if csr.nnz and not np.all(csr.data == 1.0):
        raise ValueError("neighbours must be binary (every stored weight equal to 1)")
    if np.count_nonzero(csr.diagonal()):
        raise ValueError("neighbours must not link a unit to itself: Gi* adds the unit's own value")
    return csr


def _window_sum(values: FloatArray, width: int) -> FloatArray:
    """Sum ``values`` over columns ``t − width + 1 … t`` (fewer at the start), per row."""
    csum = np.cumsum(values, axis=-1)
    out = csum.copy()
    out[..., width:] -= csum[..., :-width]
    return out


def gi_star_spacetime(
    values: npt.ArrayLike,
    neighbours: object,
    *,
    time_steps: int = 1,
    global_window: GlobalWindow = "cube",
) -> SpaceTimeGiStar:
    """Compute the space-time Getis-Ord Gi* for every unit and time step.

    See the module docstring for the neighbourhood, the global window and the formula.

    Parameters
    ----------
    values : array_like
        Values of shape (units, steps), e.g. :attr:`SpaceTimeCube.counts`.
    neighbours : scipy.sparse matrix
        Binary units × units spatial neighbour matrix without self-loops (the unit itself is
        added here). It need not be symmetric: row ``i`` lists the neighbours of ``i``.
    time_steps : int
        Neighbourhood time step ``k >= 0``: bins at steps ``t − k … t`` are neighbours.
        Default 1 (the step itself and the previous one), as in Esri and ``sfdep``.
    global_window : {"cube", "neighbourhood", "step"}
        Which bins give the global mean and standard deviation. Default ``"cube"``.

    Returns
    -------
    SpaceTimeGiStar
        z-scores and two-sided p-values, shape (units, steps).

    Raises
    ------
    ValueError
        On empty or non-finite values, a non-2-D array, a neighbour matrix that is not sparse,
        not binary, has self-loops or the wrong shape, a negative ``time_steps``, an unknown
        ``global_window``, or a cube in which every value is equal.

    Examples
    --------
    Three units in a row (0–1–2), three weekly steps, a burst in unit 2 at the end:

    >>> w = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]))
    >>> x = np.array([[1, 1, 1], [1, 1, 2], [1, 1, 9]])
    >>> gi = gi_star_spacetime(x, w, time_steps=0)
    >>> gi.z.round(2)
    array([[-0.61, -0.61, -0.3 ],
           [-0.8 , -0.8 ,  1.6 ],
           [-0.61, -0.61,  2.12]])
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"values must be units × steps (2-D), got shape {x.shape}")
    if x.size == 0:
        raise ValueError("values is empty")
    finite_values(x.ravel(), "values")
    if int(time_steps) != time_steps or time_steps < 0:
        raise ValueError(f"time_steps must be a whole number >= 0, got {time_steps}")
    if global_window not in _WINDOWS:
        raise ValueError(f"global_window must be one of {_WINDOWS}, got {global_window!r}")
    if float(np.ptp(x)) == 0.0:
        raise ValueError(
            f"values has zero variance: every bin of the cube equals {x.flat[0]:g}, "
            "so there is no hot or cold spot to find"
        )
    n_units, n_steps = x.shape
    w = _binary_neighbours(neighbours, n_units)
    width = int(time_steps) + 1

    spatial = np.asarray(w @ x) + x  # Σ over the unit and its neighbours, per step
    local_sum = _window_sum(spatial, width)
    degree = np.asarray(w.sum(axis=1)).ravel() + 1.0
    steps_in_window = np.minimum(np.arange(n_steps), width - 1) + 1.0
    weight = degree[:, np.newaxis] * steps_in_window[np.newaxis, :]  # W_i = S1_i

    mean: FloatArray | float
    sd: FloatArray | float
    n: FloatArray | float
    if global_window == "cube":
        n = float(x.size)
        mean = float(x.mean())
        sd = float(np.sqrt(max(float((x * x).mean()) - mean * mean, 0.0)))
    else:
        col_sum = x.sum(axis=0)
        col_sq = (x * x).sum(axis=0)
        if global_window == "neighbourhood":
            col_sum = _window_sum(col_sum, width)
            col_sq = _window_sum(col_sq, width)
            n = n_units * steps_in_window
        else:
            n = np.full(n_steps, float(n_units))
        mean = col_sum / n
        sd = np.sqrt(np.maximum(col_sq / n - mean * mean, 0.0))
        # all-equal windows: exact zero even when rounding leaves a tiny variance
        constant = np.isclose(sd, 0.0, rtol=0.0, atol=1e-12 * np.maximum(np.abs(mean), 1.0))
        sd = np.where(constant, 0.0, sd)

    numerator = local_sum - weight * mean
    with np.errstate(divide="ignore", invalid="ignore"):  # n = 1: a single-unit step window
        spread = (n * weight - weight * weight) / (np.asarray(n) - 1.0)
        denominator = sd * np.sqrt(np.maximum(spread, 0.0))
    denominator = np.where(np.isfinite(denominator), denominator, 0.0)
    z = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)
    return SpaceTimeGiStar(
        z=z, p=two_sided_p(z), time_steps=int(time_steps), global_window=global_window
    )
