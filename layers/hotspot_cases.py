"""The cases behind a hot cell: the figures its popup and its alert give, and the list of them.

A hot-spot run (:mod:`layers.hotspot_runs`) counts the cases of its scope reported in its window
``[window_start, window_end)``, located and not a repeat report (``duplicate_of`` empty), per H3
cell (``h3.latlng_to_cell`` at the run's resolution, :func:`geo.units.count_in_h3`). Gi* weighs a
cell with its six neighbours, so a hot cell has two figures, and the command view names both
wherever it shows them (the cell's popup, the alert in 风险预警):

* ``own`` (本格案件数): the cell's own count (``hotspot_cells.count``);
* ``around`` (本格及相邻格案件数): the cell's and its neighbours' counts of the same run, the
  number an alert's title gives (「新复社区一带 97 起案件」).

:func:`figures` reads both from the run's stored cells (one function for the popup and the
alerts, so they never say two things); its confidence is the cell's Gi* bin (90 / 95 / 99 %), as
the map's legend and popup say it.

:func:`cell_cases` lists the cases those figures count, within the reader's scope: the same
filter as the run, the cell of each case computed with the h3 library as the run computed it.
A row carries the case's code, title, code-table values, time and unit, never a reporter's or a
party's name or phone, nor the description or address. Who may list them (:func:`lists_cases`)
is who may read the ``cases`` layer's features: an analyst, who sees aggregates only, gets no
list (:class:`~layers.errors.Forbidden`). The same rule decides who reads a hot cell's small
figures (:func:`layers.trends.min_count_for` with ``of="cases"``): a commander of a city or a
province lists the cases and reads every figure; an analyst reads neither (trial AM M4: a card
said 本格及相邻格 不予显示 to a city commander whom 查看案件 then gave the 97 cases).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import h3
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from geo.units import h3_bounds, h3_cells_of, h3_neighbourhood, is_h3_cell
from layers import catalog
from layers.errors import Forbidden, InvalidInput, NotFound
from layers.model import SRID, Case, Jurisdiction
from layers.workflow import Actor

LIST_LIMIT = 500
"""Most cases one list returns (the list says how many there are in all)."""
NO_CELL = "该热点格不存在或不在您的辖区内"
"""The refusal of a cell that does not exist or lies outside the reader's scope."""
NO_ANALYST = "研判分析员只能查看统计汇总，不能查看单个案件"
"""Why an analyst gets no list."""
_EDGE = 1e-6
"""Degrees added around the cells' box (a case on an edge is still read, then placed by h3)."""


@dataclass(frozen=True)
class CellFigures:
    """What one hot cell counts, as its popup and its alert say it.

    Attributes
    ----------
    own : int
        The cell's cases (本格案件数).
    around : int
        The cell's and its neighbours' cases in the same run (本格及相邻格案件数), of the cells
        the reader may read.
    bin : int
        Gi* confidence bin: 3, 2, 1 (hot at 99, 95, 90 %), 0, or negative (cold).
    z : float
        Gi* z-score (热点得分).
    p : float
        P-value of its significance (normal, or the permutations' pseudo p-value when the
        run was asked for permutations: :mod:`layers.hotspot_runs`).
    unit : str
        Its H3 cell (empty when not known).
    smallest : int
        The smallest non-zero count of the cell and its neighbours read (0: none has a case).
    """

    own: int
    around: int
    bin: int
    z: float
    p: float
    unit: str = ""
    smallest: int = 0

    def shown_around(self, min_count: int) -> int | None:
        """Return ``around`` as a reader with ``min_count`` may read it, or ``None``.

        A reader of counts only (``min_count`` > 1, :func:`layers.trends.min_count_for` with
        ``of="cases"``: one who may not list the cell's cases, :func:`lists_cases`)
        reads each cell's count of 0 or at least ``min_count`` exactly and the others as null:
        the sum over a ring holding one of those would give it back by subtraction (a lone
        hidden neighbour: the ring's sum less the counts shown). Such a reader gets ``around``
        only when no cell of the ring has a count of 1 up to ``min_count`` - 1.

        Parameters
        ----------
        min_count : int
            Smallest non-zero count shown to the reader.

        Returns
        -------
        int or None
            ``around``, or ``None`` when withheld.

        Examples
        --------
        >>> CellFigures(4, 9, 2, 2.3, 0.02, smallest=1).shown_around(3)
        >>> CellFigures(4, 9, 2, 2.3, 0.02, smallest=4).shown_around(3)
        9
        >>> CellFigures(4, 9, 2, 2.3, 0.02, smallest=1).shown_around(1)
        9
        """
        if min_count > 1 and any(0 < n < min_count for n in (self.own, self.smallest, self.around)):
            return None
        return self.around


def lists_cases(actor: Actor) -> bool:
    """Return whether the actor may list the cases behind a hot cell (:func:`cell_cases`).

    Those who may read the ``cases`` layer's features (:func:`layers.catalog.readable`): the
    commanders, dispatchers, grid workers and departments of any level; not an analyst
    (aggregates only), an administrator or an auditor (no business data).

    Parameters
    ----------
    actor : Actor
        Who reads.

    Returns
    -------
    bool
        True when the list, and so every figure of a cell, may be read.

    Examples
    --------
    >>> lists_cases(Actor(None, "值班员", "commander", "530000000000"))
    True
    >>> lists_cases(Actor(None, "分析员", "analyst", "530424000000"))
    False
    """
    cases_layer = catalog.get_collection("cases")
    return catalog.readable(actor.role, cases_layer, scope_code=actor.scope_code)


def figures(session: Session, cell_ids: Collection[int]) -> dict[int, CellFigures]:
    """Return the figures of hot cells, by cell id.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader (row-level security hides the cells outside it).
    cell_ids : collection of int
        ``hotspot_cells.id`` of the cells.

    Returns
    -------
    dict of int to CellFigures
        The cells found (a cell deleted with its run, or out of scope, is left out).
    """
    if not cell_ids:
        return {}
    rows = session.execute(
        text(
            "SELECT id, run_id, unit_id, count AS own, bin, z, p FROM hotspot_cells"
            " WHERE id = ANY(:ids)"
        ),
        {"ids": sorted(set(cell_ids))},
    ).all()
    pairs = [(r.id, r.run_id, other) for r in rows for other in h3_neighbourhood(r.unit_id)]
    around: dict[int, tuple[int, int]] = {}
    if pairs:
        around = {
            int(r.cell_id): (int(r.around), int(r.smallest))
            for r in session.execute(
                text(
                    "SELECT d.cell_id, coalesce(sum(n.count), 0) AS around,"
                    " coalesce(min(n.count) FILTER (WHERE n.count > 0), 0) AS smallest"
                    " FROM unnest(CAST(:cells AS bigint[]), CAST(:runs AS bigint[]),"
                    "             CAST(:units AS text[])) AS d(cell_id, run_id, unit_id)"
                    " JOIN hotspot_cells n ON n.run_id = d.run_id AND n.unit_id = d.unit_id"
                    " WHERE n.run_id = ANY(:run_ids) AND n.unit_id = ANY(:units)"
                    " GROUP BY d.cell_id"
                ),
                {
                    "cells": [p[0] for p in pairs],
                    "runs": [p[1] for p in pairs],
                    "units": [p[2] for p in pairs],
                    "run_ids": sorted({p[1] for p in pairs}),
                },
            )
        }
    return {
        int(r.id): CellFigures(
            own=int(r.own),
            around=around.get(int(r.id), (int(r.own), int(r.own)))[0],
            bin=int(r.bin),
            z=float(r.z),
            p=float(r.p),
            unit=str(r.unit_id),
            smallest=around.get(int(r.id), (int(r.own), int(r.own)))[1],
        )
        for r in rows
    }


def shown_figures(found: CellFigures, min_count: int) -> dict[str, Any]:
    """Return a cell's figures as JSON, a small count left out for a reader who may not see it.

    Parameters
    ----------
    found : CellFigures
        The cell's figures.
    min_count : int
        Smallest non-zero count shown to the reader (:func:`layers.trends.min_count_for` with
        ``of="cases"``).

    Returns
    -------
    dict
        ``own`` (None for a count of 1 up to ``min_count`` - 1), ``around``
        (:meth:`CellFigures.shown_around`: None when a cell of the ring has such a count),
        ``bin``, ``z`` (two decimals), ``p`` and ``ring``: the cell's outline as ``[lat, lng]``
        pairs (the console marks it when the map shows another run), ``None`` when not known.
        A reader with ``min_count`` above 1 gets ``z`` and ``p`` as null: a z, a linear
        function of the ring's cases, gave the blanked counts back (trial AJ M4).

    Examples
    --------
    >>> shown_figures(CellFigures(4, 9, 2, 2.345, 0.02, smallest=4), 1)
    {'own': 4, 'around': 9, 'bin': 2, 'z': 2.35, 'p': 0.02, 'ring': None}
    >>> shown_figures(CellFigures(2, 9, 2, 2.345, 0.02, smallest=2), 3)
    {'own': None, 'around': None, 'bin': 2, 'z': None, 'p': None, 'ring': None}
    >>> shown_figures(CellFigures(4, 9, 2, 2.345, 0.02, smallest=4), 3)["around"]
    9
    >>> len(shown_figures(CellFigures(2, 9, 2, 2.3, 0.02, "88407181bdfffff"), 3)["ring"])
    6
    """
    boundary = h3.cell_to_boundary(found.unit) if found.unit else None
    ring = [[round(lat, 6), round(lng, 6)] for lat, lng in boundary] if boundary else None
    return {
        "own": None if 0 < found.own < min_count else found.own,
        "around": found.shown_around(min_count),
        "bin": found.bin,
        "z": round(found.z, 2) if min_count <= 1 else None,
        "p": found.p if min_count <= 1 else None,
        "ring": ring,
    }


def cell_cases(
    session: Session,
    cell_id: int,
    *,
    actor: Actor,
    around: bool = True,
    limit: int = LIST_LIMIT,
) -> dict[str, Any]:
    """Return the cases a hot cell's figures count, in the reader's scope.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    cell_id : int
        ``hotspot_cells.id`` (a hot cell of the map, or the ``cell_id`` of an alert).
    actor : Actor
        Who reads: the cell must lie in their scope, and so must the cases listed.
    around : bool
        The cell's and its neighbours' cases (本格及相邻格, the alert's title's figure); False:
        the cell's own (本格).
    limit : int
        Most rows returned (1–:data:`LIST_LIMIT`).

    Returns
    -------
    dict
        ``cell``: ``id``, ``run_id``, ``area_code``, ``area_name``, ``window_start``,
        ``window_end`` (the run's window, the period the figures cover), ``figures`` (as
        :func:`figures` gives them); ``around`` (as asked); ``total`` (cases found),
        ``own`` and ``neighbours`` (of them, in the cell and around it); ``unlisted``
        (how many of the figure's cases are not found: outside the reader's scope, or changed
        since the run); ``cases``: at most ``limit`` rows, the cell's own first, then the latest
        reported first, each with ``id``, ``code``, ``title``, ``category``, ``subcategory``,
        ``state``, ``risk_level``, ``handling_level``, ``reported_at``, ``area_code``,
        ``area_name`` and ``in_cell``.

    Raises
    ------
    Forbidden
        An analyst (aggregates only), or another role that reads no cases (:func:`lists_cases`).
    NotFound
        No such cell in the actor's scope (:data:`NO_CELL`).
    InvalidInput
        The cell is no H3 cell (a run of another tessellation).
    """
    if not lists_cases(actor):
        raise Forbidden(NO_ANALYST)
    lo, hi = scope_range(actor.scope_code)
    cell = session.execute(
        text(
            "SELECT h.id, h.run_id, h.unit_id, h.area_code, j.name AS area_name,"
            " r.area_code AS run_area, r.window_start, r.window_end,"
            " (r.params ->> 'resolution')::int AS resolution"
            " FROM hotspot_cells h JOIN hotspot_runs r ON r.id = h.run_id"
            " LEFT JOIN jurisdictions j ON j.code = h.area_code"
            " WHERE h.id = :id AND h.area_code >= :lo AND h.area_code < :hi"
        ),
        {"id": cell_id, "lo": lo, "hi": hi},
    ).first()
    if cell is None:
        raise NotFound(NO_CELL)
    if not is_h3_cell(cell.unit_id) or cell.resolution is None:
        raise InvalidInput("该分析单元不是 H3 六边形网格，无法按网格列出案件")
    found = figures(session, [cell.id])[cell.id]
    disk = h3_neighbourhood(cell.unit_id) if around else (cell.unit_id,)
    rows = _cases_near(session, cell, disk, actor_range=(lo, hi))
    wanted = set(disk)
    placed = h3_cells_of([r.lon for r in rows], [r.lat for r in rows], cell.resolution)
    listed = [
        (cell_of == cell.unit_id, r)
        for cell_of, r in zip(placed, rows, strict=True)
        if cell_of in wanted
    ]
    listed.sort(key=lambda item: (not item[0], -item[1].reported_at.timestamp(), -item[1].id))
    own = sum(1 for in_cell, _ in listed if in_cell)
    figure = found.around if around else found.own
    return {
        "cell": {
            "id": cell.id,
            "run_id": cell.run_id,
            "area_code": cell.area_code,
            "area_name": cell.area_name,
            "window_start": _iso(cell.window_start),
            "window_end": _iso(cell.window_end),
            "figures": shown_figures(found, 1),
        },
        "around": around,
        "total": len(listed),
        "own": own,
        "neighbours": len(listed) - own,
        "unlisted": max(0, figure - len(listed)),
        "cases": [_row(r, in_cell) for in_cell, r in listed[: max(1, min(limit, LIST_LIMIT))]],
    }


def _cases_near(
    session: Session, cell: Any, disk: tuple[str, ...], *, actor_range: tuple[str, str]
) -> list[Any]:
    """Return the cases the run counted in the box of ``disk``, in both scopes."""
    run_lo, run_hi = scope_range(cell.run_area)
    lo, hi = max(actor_range[0], run_lo), min(actor_range[1], run_hi)
    west, south, east, north = h3_bounds(disk)
    box = func.ST_MakeEnvelope(west - _EDGE, south - _EDGE, east + _EDGE, north + _EDGE, SRID)
    query = (
        select(
            Case.id,
            Case.code,
            Case.title,
            Case.category,
            Case.subcategory,
            Case.state,
            Case.risk_level,
            Case.handling_level,
            Case.reported_at,
            Case.area_code,
            Jurisdiction.name.label("area_name"),
            func.ST_X(Case.point).label("lon"),
            func.ST_Y(Case.point).label("lat"),
        )
        .outerjoin(Jurisdiction, Jurisdiction.code == Case.area_code)
        # the run's own filter (layers.hotspot_runs.run): located, in the window, no repeats
        .where(
            Case.area_code >= lo,
            Case.area_code < hi,
            Case.point.is_not(None),
            Case.duplicate_of.is_(None),
            Case.reported_at >= cell.window_start,
            Case.reported_at < cell.window_end,
            Case.point.op("&&")(box),
        )
    )
    return list(session.execute(query).all())


def _row(r: Any, in_cell: bool) -> dict[str, Any]:
    return {
        "id": r.id,
        "code": r.code,
        "title": r.title,
        "category": r.category,
        "subcategory": r.subcategory,
        "state": r.state,
        "risk_level": r.risk_level,
        "handling_level": r.handling_level,
        "reported_at": _iso(r.reported_at),
        "area_code": r.area_code,
        "area_name": r.area_name,
        "in_cell": in_cell,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
