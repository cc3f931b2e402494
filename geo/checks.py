"""Input checks shared by the analytics: one place that says what is wrong with an input.

Every public function in ``geo`` validates its arrays through these helpers, so a bad input
always fails the same way: a ``ValueError`` whose message names the argument and the problem.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def finite_values(values: npt.ArrayLike, name: str = "values") -> FloatArray:
    """Return ``values`` as a non-empty 1-D float array with no NaN or infinity.

    Parameters
    ----------
    values : array_like
        One value per unit.
    name : str
        Argument name used in the error message.

    Returns
    -------
    numpy.ndarray
        The values as ``float64``.

    Raises
    ------
    ValueError
        If the input is empty, not 1-D, or holds a non-finite number.

    Examples
    --------
    >>> finite_values([1, 2, 3])
    array([1., 2., 3.])
    >>> finite_values([])
    Traceback (most recent call last):
    ...
    ValueError: values is empty
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} holds {int(bad.sum())} non-finite number(s) (NaN or infinity), "
            f"the first at position {first}"
        )
    return arr


def coordinates(
    x: npt.ArrayLike, y: npt.ArrayLike, names: tuple[str, str] = ("lon", "lat")
) -> tuple[FloatArray, FloatArray]:
    """Return two coordinate arrays of equal length, finite and non-empty.

    Parameters
    ----------
    x, y : array_like
        Coordinates, e.g. longitude and latitude.
    names : tuple of str
        Argument names used in error messages.

    Returns
    -------
    tuple of numpy.ndarray
        ``x`` and ``y`` as ``float64``.

    Raises
    ------
    ValueError
        On empty input, NaN coordinates or mismatched lengths.

    Examples
    --------
    >>> coordinates([1.0], [2.0, 3.0])
    Traceback (most recent call last):
    ...
    ValueError: lon and lat have mismatched lengths: 1 and 2
    """
    ax = np.atleast_1d(np.asarray(x, dtype=np.float64))
    ay = np.atleast_1d(np.asarray(y, dtype=np.float64))
    if ax.shape != ay.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} have mismatched lengths: {ax.size} and {ay.size}"
        )
    return finite_values(ax.ravel(), names[0]), finite_values(ay.ravel(), names[1])


def same_length(name_a: str, a: npt.ArrayLike, name_b: str, b: npt.ArrayLike) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same length.

    Parameters
    ----------
    name_a, name_b : str
        Argument names used in the error message.
    a, b : array_like
        The arrays to compare.

    Raises
    ------
    ValueError
        If the lengths differ.
    """
    la, lb = len(np.asarray(a)), len(np.asarray(b))
    if la != lb:
        raise ValueError(f"{name_a} and {name_b} have mismatched lengths: {la} and {lb}")


def nonzero_variance(values: FloatArray, name: str = "values") -> None:
    """Raise ``ValueError`` if all ``values`` are equal (zero variance).

    Parameters
    ----------
    values : numpy.ndarray
        Values to check.
    name : str
        Argument name used in the error message.

    Raises
    ------
    ValueError
        If the variance is zero.
    """
    if float(np.ptp(values)) == 0.0:
        raise ValueError(f"{name} has zero variance: every value equals {values[0]:g}")
