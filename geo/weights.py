"""Spatial neighbour structures as sparse matrices.

Every builder returns a :class:`Neighbours`: a ``scipy.sparse.csr_matrix`` of ``float64``
weights (row ``i`` lists the neighbours of unit ``i``; the diagonal is empty) together with
the unit ids in matrix order. Weights are binary (1.0) unless stated otherwise; call
:meth:`Neighbours.row_standardised` for row-standardised weights.

Builders
--------
- :func:`polygon_contiguity` -- queen (any shared boundary point) or rook (a shared boundary
  segment) contiguity of polygons, from STRtree candidate pairs tested with shapely's
  vectorised predicates.
- :func:`h3_ring` -- H3 cells within ``k`` grid steps (``h3.grid_disk``), restricted to the
  given cells.
- :func:`distance_band` -- points within a distance of each other (``cKDTree.query_pairs``);
  coordinates must already be metric (see :func:`geo.units.to_local_metres`).
- :func:`lattice` -- rook or queen contiguity of a regular grid (e.g. a fishnet), built
  arithmetically.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import h3
import numpy as np
import numpy.typing as npt
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from geo.checks import FloatArray, IntArray, coordinates

ContiguityRule = Literal["queen", "rook"]


@dataclass(frozen=True)
class Neighbours:
    """Spatial weights: a sparse ``n x n`` matrix and the ids of its rows.

    Parameters
    ----------
    sparse : scipy.sparse.csr_matrix
        ``float64`` weights; ``sparse[i, j]`` is the weight of unit ``j`` in the
        neighbourhood of unit ``i``. Stored with sorted column indices.
    ids : tuple of hashable
        The unit id of each row, in matrix order.

    Raises
    ------
    ValueError
        If the matrix is not square, its size differs from the number of ids, or it holds
        negative or non-finite weights.

    Examples
    --------
    >>> from scipy import sparse
    >>> w = Neighbours(sparse.csr_matrix(np.array([[0, 1.0], [1.0, 0]])), ("a", "b"))
    >>> w.n, w.cardinalities.tolist()
    (2, [1, 1])
    """

    sparse: sparse.csr_matrix
    ids: tuple[Hashable, ...]

    def __post_init__(self) -> None:
        matrix = sparse.csr_matrix(self.sparse, dtype=np.float64)
        matrix.sum_duplicates()
        matrix.sort_indices()
        rows, cols = matrix.shape
        if rows != cols:
            raise ValueError(f"neighbours matrix must be square, got shape {matrix.shape}")
        if rows != len(self.ids):
            raise ValueError(
                f"neighbours matrix and ids have mismatched lengths: {rows} and {len(self.ids)}"
            )
        if matrix.nnz and not np.all(np.isfinite(matrix.data)):
            raise ValueError("neighbours matrix holds non-finite weights")
        if matrix.nnz and float(matrix.data.min()) < 0.0:
            raise ValueError("neighbours matrix holds negative weights")
        object.__setattr__(self, "sparse", matrix)
        object.__setattr__(self, "ids", tuple(self.ids))

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.sparse.shape[0])

    @property
    def cardinalities(self) -> IntArray:
        """Number of neighbours of each unit, not counting a self-weight."""
        return np.asarray(np.diff(_without_diagonal(self.sparse).indptr), dtype=np.int64)

    @property
    def islands(self) -> IntArray:
        """Positions of the units that have no neighbour."""
        return np.flatnonzero(self.cardinalities == 0).astype(np.int64)

    def row_standardised(self) -> Neighbours:
        """Return a copy whose rows sum to one (rows without weights stay empty).

        Returns
        -------
        Neighbours
            The row-standardised weights, same ids.

        Examples
        --------
        >>> w = lattice(1, 3)
        >>> w.row_standardised().sparse.toarray()
        array([[0. , 1. , 0. ],
               [0.5, 0. , 0.5],
               [0. , 1. , 0. ]])
        """
        row_sums = np.asarray(self.sparse.sum(axis=1)).ravel()
        scale = np.divide(1.0, row_sums, out=np.zeros_like(row_sums), where=row_sums != 0)
        return Neighbours(sparse.diags(scale).dot(self.sparse).tocsr(), self.ids)

    def with_self_weight(self, weight: float = 1.0) -> Neighbours:
        """Return a copy with ``weight`` on the diagonal (e.g. for Getis-Ord Gi*).

        Parameters
        ----------
        weight : float
            The self-weight of every unit.

        Returns
        -------
        Neighbours
            The weights with the diagonal set, same ids.
        """
        diagonal = sparse.diags(np.full(self.n, float(weight)), format="csr")
        return Neighbours(_without_diagonal(self.sparse) + diagonal, self.ids)


def _without_diagonal(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Copy of ``matrix`` with the diagonal removed (entries dropped, not stored as 0)."""
    off = (matrix - sparse.diags(matrix.diagonal(), format="csr")).tocsr()
    off.eliminate_zeros()
    off.sort_indices()
    return off


def _symmetric_binary(i: IntArray, j: IntArray, n: int) -> sparse.csr_matrix:
    """Binary symmetric matrix from undirected pairs ``(i, j)``, ``i != j``."""
    rows = np.concatenate([i, j])
    cols = np.concatenate([j, i])
    data = np.ones(rows.size, dtype=np.float64)
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(n, n))
    matrix.data[:] = 1.0  # duplicated pairs collapse to one binary link
    matrix.sort_indices()
    return matrix


def _resolve_ids(ids: Sequence[Hashable] | None, n: int) -> tuple[Hashable, ...]:
    if ids is None:
        return tuple(range(n))
    if len(ids) != n:
        raise ValueError(f"ids and geometries have mismatched lengths: {len(ids)} and {n}")
    return tuple(ids)


def polygon_contiguity(
    polygons: Sequence[shapely.Geometry] | npt.NDArray[np.object_],
    *,
    rule: ContiguityRule = "queen",
    ids: Sequence[Hashable] | None = None,
) -> Neighbours:
    """Contiguity weights of polygons.

    Candidate pairs come from an STRtree query with the ``intersects`` predicate (so every
    candidate shares at least one point: that is the queen rule); the rook rule keeps the
    pairs whose boundaries share a segment, i.e. whose boundary intersection has positive
    length (DE-9IM boundary/boundary dimension 1, tested with ``shapely.relate_pattern``).

    Parameters
    ----------
    polygons : sequence of shapely geometries
        Polygons or multipolygons, one per unit.
    rule : {"queen", "rook"}
        Queen: any shared boundary point; rook: a shared boundary segment.
    ids : sequence of hashable, optional
        Unit ids; default ``0 .. n-1``.

    Returns
    -------
    Neighbours
        Binary symmetric weights.

    Raises
    ------
    ValueError
        On empty input, missing geometries, an unknown rule or mismatched ``ids``.

    Examples
    --------
    >>> squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(1, 1, 2, 2)]
    >>> polygon_contiguity(squares).sparse.toarray()
    array([[0., 1., 1.],
           [1., 0., 1.],
           [1., 1., 0.]])
    >>> polygon_contiguity(squares, rule="rook").sparse.toarray()
    array([[0., 1., 0.],
           [1., 0., 1.],
           [0., 1., 0.]])
    """
    if rule not in ("queen", "rook"):
        raise ValueError(f"rule must be 'queen' or 'rook', got {rule!r}")
    geoms = np.asarray(polygons, dtype=object)
    if geoms.ndim != 1 or geoms.size == 0:
        raise ValueError("polygons is empty" if geoms.size == 0 else "polygons must be 1-D")
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise ValueError(
            f"polygons holds {int(missing.sum())} missing or empty geometr(y/ies), "
            f"the first at position {int(np.flatnonzero(missing)[0])}"
        )
    n = geoms.size
    unit_ids = _resolve_ids(ids, n)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep].astype(np.int64), right[keep].astype(np.int64)
    if rule == "rook" and left.size:
        shares_edge = shapely.relate_pattern(geoms[left], geoms[right], "****1****")
        left, right = left[shares_edge], right[shares_edge]
    return Neighbours(_symmetric_binary(left, right, n), unit_ids)


def h3_ring(cells: Sequence[str], k: int = 1) -> Neighbours:
    """Neighbours of H3 cells: the other given cells within ``k`` grid steps.

    Parameters
    ----------
    cells : sequence of str
        Distinct H3 cell ids (h3 v4 strings), all of one resolution.
    k : int
        Grid distance; 1 means the (up to) six touching cells.

    Returns
    -------
    Neighbours
        Binary symmetric weights; ids are the cells.

    Raises
    ------
    ValueError
        On empty input, duplicate or invalid cells, mixed resolutions, or ``k < 1``.

    Examples
    --------
    >>> centre = h3.latlng_to_cell(29.76, -95.37, 8)
    >>> disk = sorted(h3.grid_disk(centre, 1))
    >>> w = h3_ring(disk)
    >>> int(w.cardinalities[disk.index(centre)]), int(w.sparse.nnz)
    (6, 24)
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    cell_list = [str(c) for c in cells]
    if not cell_list:
        raise ValueError("cells is empty")
    position = {cell: i for i, cell in enumerate(cell_list)}
    if len(position) != len(cell_list):
        raise ValueError(f"cells holds {len(cell_list) - len(position)} duplicate cell id(s)")
    bad = [c for c in cell_list if not h3.is_valid_cell(c)]
    if bad:
        raise ValueError(f"cells holds {len(bad)} invalid H3 cell id(s), e.g. {bad[0]!r}")
    resolutions = {h3.get_resolution(c) for c in cell_list}
    if len(resolutions) > 1:
        raise ValueError(f"cells mix H3 resolutions {sorted(resolutions)}")
    rows: list[int] = []
    cols: list[int] = []
    for i, cell in enumerate(cell_list):
        for other in h3.grid_disk(cell, k):
            j = position.get(other)
            if j is not None and j != i:
                rows.append(i)
                cols.append(j)
    n = len(cell_list)
    r = np.asarray(rows, dtype=np.int64)
    matrix = sparse.csr_matrix((np.ones(r.size), (r, np.asarray(cols, dtype=np.int64))), (n, n))
    matrix.sort_indices()
    return Neighbours(matrix, tuple(cell_list))


def distance_band(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    threshold: float,
    *,
    binary: bool = True,
    ids: Sequence[Hashable] | None = None,
) -> Neighbours:
    """Neighbours within a distance band of points in a metric frame.

    Parameters
    ----------
    x, y : array_like
        Point coordinates in metres (project lon/lat first, e.g. with
        :func:`geo.units.to_local_metres`).
    threshold : float
        Points at a Euclidean distance ``<= threshold`` are neighbours.
    binary : bool
        If True (default) every link weighs 1; otherwise a link weighs ``1 / distance``.
    ids : sequence of hashable, optional
        Unit ids; default ``0 .. n-1``.

    Returns
    -------
    Neighbours
        Symmetric weights.

    Raises
    ------
    ValueError
        On empty or non-finite coordinates, a non-positive threshold, or coincident points
        with ``binary=False`` (their inverse distance is infinite).

    Examples
    --------
    >>> w = distance_band([0.0, 10.0, 25.0], [0.0, 0.0, 0.0], 15.0)
    >>> w.sparse.toarray()
    array([[0., 1., 0.],
           [1., 0., 1.],
           [0., 1., 0.]])
    """
    ax, ay = coordinates(x, y, ("x", "y"))
    if not np.isfinite(threshold) or threshold <= 0:
        raise ValueError(f"threshold must be a positive distance, got {threshold}")
    n = ax.size
    unit_ids = _resolve_ids(ids, n)
    pts = np.column_stack([ax, ay])
    pairs = cKDTree(pts).query_pairs(r=float(threshold), output_type="ndarray")
    i = pairs[:, 0].astype(np.int64)
    j = pairs[:, 1].astype(np.int64)
    if binary:
        return Neighbours(_symmetric_binary(i, j, n), unit_ids)
    dist = np.hypot(ax[i] - ax[j], ay[i] - ay[j])
    if (dist == 0).any():
        raise ValueError(
            f"{int((dist == 0).sum())} pair(s) of coincident points: inverse-distance weights "
            "are infinite; deduplicate the points or use binary=True"
        )
    inv: FloatArray = 1.0 / dist
    matrix = sparse.csr_matrix(
        (np.concatenate([inv, inv]), (np.concatenate([i, j]), np.concatenate([j, i]))), (n, n)
    )
    return Neighbours(matrix, unit_ids)


def lattice(n_rows: int, n_cols: int, *, rule: ContiguityRule = "rook") -> Neighbours:
    """Contiguity of the cells of a regular ``n_rows x n_cols`` grid.

    Cells are numbered row by row: cell ``(r, c)`` is unit ``r * n_cols + c`` (the order of
    :func:`geo.units.count_in_fishnet`).

    Parameters
    ----------
    n_rows, n_cols : int
        Grid size, both at least 1.
    rule : {"rook", "queen"}
        Rook: the four edge-sharing cells; queen: also the four diagonal cells.

    Returns
    -------
    Neighbours
        Binary symmetric weights; ids are ``0 .. n_rows * n_cols - 1``.

    Raises
    ------
    ValueError
        On a non-positive size or an unknown rule.

    Examples
    --------
    >>> lattice(2, 2, rule="queen").cardinalities.tolist()
    [3, 3, 3, 3]
    >>> lattice(2, 2).cardinalities.tolist()
    [2, 2, 2, 2]
    """
    if n_rows < 1 or n_cols < 1:
        raise ValueError(f"grid size must be positive, got {n_rows} x {n_cols}")
    if rule not in ("queen", "rook"):
        raise ValueError(f"rule must be 'queen' or 'rook', got {rule!r}")
    r, c = np.divmod(np.arange(n_rows * n_cols, dtype=np.int64), n_cols)
    steps = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if rule == "queen" else [])
    left: list[IntArray] = []
    right: list[IntArray] = []
    for dr, dc in steps:
        ok = (r + dr < n_rows) & (c + dc >= 0) & (c + dc < n_cols)
        left.append(r[ok] * n_cols + c[ok])
        right.append((r[ok] + dr) * n_cols + c[ok] + dc)
    n = n_rows * n_cols
    return Neighbours(
        _symmetric_binary(np.concatenate(left), np.concatenate(right), n), tuple(range(n))
    )
