"""Hot-spot runs over stored cases: Gi* on H3 cells, emerging classes, alerts to command.

A run reads the located cases of a scope and time window, counts them per H3 cell (with a ring
of empty cells so the statistic sees the zeros), computes Getis-Ord Gi* (``geo.hotspots``) and,
when the window holds at least three time bins, the emerging hot spot class of each cell
(``geo.emerging``). Cells are stored in ``hotspot_cells`` with their polygon and the area code of
the deepest live jurisdiction (not one a re-division retired) containing the cell centre (the
OGC ``hotspots`` collection and the command feed read that table). New, intensifying and
persistent hot spots become ``alerts`` addressed to that jurisdiction.

Runs are made on demand (``POST /api/hotspots/runs``) or from cron with the CLI command
``zongzhi hotspots run --scope CODE --days 90`` (:mod:`layers.hotspots_cli`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from geo.emerging import EmergingClass, emerging_hotspots
from geo.hotspots import getis_ord_gi_star
from geo.spacetime import build_cube
from geo.units import count_in_h3
from geo.weights import h3_ring
from layers import accounts, audit, cases
from layers.errors import Forbidden, InvalidInput
from layers.model import Alert, HotspotRun, Role
from layers.workflow import Actor

#: Emerging classes that raise an alert, with the alert level (1 highest) and title prefix.
ALERTING: dict[EmergingClass, tuple[int, str]] = {
    EmergingClass.NEW_HOT: (2, "新增热点"),
    EmergingClass.INTENSIFYING_HOT: (1, "加剧热点"),
    EmergingClass.PERSISTENT_HOT: (2, "持续热点"),
}
PATTERN_CODES = {c: c.name.lower() for c in EmergingClass}
RUN_ROLES = frozenset({Role.COMMANDER, Role.DISPATCHER, Role.ANALYST})
MIN_CASES = 5


@dataclass(frozen=True)
class RunResult:
    """Summary of a run.

    Attributes
    ----------
    run_id : int
        The stored run.
    cases : int
        Cases analysed.
    cells : int
        Cells stored.
    hot_cells : int
        Cells hot at 95 % confidence or more.
    alerts : int
        Alerts raised.
    status : str
        ``done``, or ``too_few`` when there were fewer than :data:`MIN_CASES` cases.
    """

    run_id: int
    cases: int
    cells: int
    hot_cells: int
    alerts: int
    status: str


def run(
    session: Session,
    *,
    actor: Actor,
    scope_code: str,
    window_start: datetime,
    window_end: datetime,
    resolution: int = 8,
    bin_days: int = 7,
    permutations: int = 199,
    seed: int = 0,
) -> RunResult:
    """Run the hot-spot analysis for ``scope_code`` over ``[window_start, window_end)``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Who runs it (commander, dispatcher or analyst).
    scope_code : str
        Jurisdiction analysed (inside the actor's scope).
    window_start, window_end : datetime
        Time window of the cases' ``reported_at``.
    resolution : int
        H3 resolution (8 ≈ 0.74 km² per cell).
    bin_days : int
        Time bin of the emerging analysis.
    permutations : int
        Gi* conditional permutations.
    seed : int
        Seed of the permutations.

    Returns
    -------
    RunResult
        What was stored.

    Raises
    ------
    Forbidden
        Role not permitted or scope outside the actor's.
    InvalidInput
        Empty or inverted window, bad resolution, or a scope a re-division retired (the
        message names its successor).
    """
    if actor.role not in RUN_ROLES:
        raise Forbidden(f"{Role.label_of(actor.role)}不能运行热点分析")
    if not cases.in_scope(actor.scope_code, scope_code):
        raise Forbidden("分析范围不在您的辖区内")
    retired = accounts.retired_unit_refusal(session, scope_code)
    if retired is not None:
        raise InvalidInput(retired)
    if window_end <= window_start:
        raise InvalidInput("分析时间范围的结束时间须晚于开始时间")
    if not 5 <= resolution <= 10:
        raise InvalidInput(f"网格分辨率应为 5 至 10（现为 {resolution}；8 约每格 0.74 平方千米）")
    lo, hi = scope_range(scope_code)
    rows = list(
        session.execute(
            text(
                "SELECT ST_X(point) AS lon, ST_Y(point) AS lat, reported_at FROM cases "
                "WHERE area_code >= :lo AND area_code < :hi AND point IS NOT NULL "
                "AND reported_at >= :s AND reported_at < :e AND duplicate_of IS NULL"
            ),
            {"lo": lo, "hi": hi, "s": window_start, "e": window_end},
        ).all()
    )
    params: dict[str, Any] = {
        "resolution": resolution,
        "bin_days": bin_days,
        "permutations": permutations,
        "seed": seed,
    }
    record = HotspotRun(
        area_code=scope_code,
        method="gi_star_h3",
        params=params,
        window_start=window_start,
        window_end=window_end,
        created_by=actor.user_id,
        status="done" if len(rows) >= MIN_CASES else "too_few",
    )
    session.add(record)
    session.flush()
    stored = hot = raised = 0
    if len(rows) >= MIN_CASES:
        stored, hot, raised = _analyse(session, record, rows, lo, hi, scope_code, params)
    audit.record(
        session,
        actor_id=actor.user_id,
        actor_name=actor.name,
        action="hotspots.run",
        object_type="hotspot_run",
        object_id=str(record.id),
        detail={"cases": len(rows), "cells": stored, "alerts": raised},
    )
    return RunResult(record.id, len(rows), stored, hot, raised, record.status)


def _analyse(
    session: Session,
    record: HotspotRun,
    rows: list[Any],
    lo: str,
    hi: str,
    scope_code: str,
    params: dict[str, Any],
) -> tuple[int, int, int]:
    lon = np.array([r.lon for r in rows], dtype=float)
    lat = np.array([r.lat for r in rows], dtype=float)
    counts = count_in_h3(lon, lat, params["resolution"], fill="ring")
    weights = h3_ring(list(counts.cells), 1)
    gi = getis_ord_gi_star(
        counts.counts.astype(float),
        weights,
        permutations=params["permutations"],
        seed=params["seed"],
    )
    bins = gi.confidence_bins()
    pvalues = gi.pvalues()
    patterns = _emerging(counts.cells, lon, lat, rows, weights, record, params)
    polygons = counts.polygons()
    centres = [p.centroid for p in polygons]
    areas = session.execute(
        text(
            "SELECT t.i, coalesce(a.code, s.code), coalesce(a.name, s.name) "
            "FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) "
            "     WITH ORDINALITY AS t(x, y, i) "
            "LEFT JOIN jurisdictions s ON s.code = :scope "
            "LEFT JOIN LATERAL (SELECT j.code, j.name FROM jurisdictions j "
            "    WHERE j.code >= :lo AND j.code < :hi AND j.boundary IS NOT NULL "
            "      AND j.retired_on IS NULL "
            "      AND ST_Covers(j.boundary, ST_SetSRID(ST_MakePoint(t.x, t.y), 4490)) "
            "    ORDER BY j.level DESC LIMIT 1) a ON true"
        ),
        {
            "lo": lo,
            "hi": hi,
            "scope": scope_code,
            "xs": [c.x for c in centres],
            "ys": [c.y for c in centres],
        },
    ).all()
    area_of = {int(i) - 1: code or scope_code for i, code, _name in areas}
    place_of = {int(i) - 1: name or "" for i, _code, name in areas}
    cell_rows = [
        {
            "run": record.id,
            "area": area_of[i],
            "unit": cell,
            "wkt": polygons[i].wkt,
            "count": int(counts.counts[i]),
            "z": float(gi.Zs[i]),
            "p": float(pvalues[i]),
            "bin": int(bins[i]),
            "pattern": PATTERN_CODES[patterns[i]] if patterns is not None else None,
        }
        for i, cell in enumerate(counts.cells)
    ]
    ids = [
        session.execute(
            text(
                "INSERT INTO hotspot_cells (run_id, area_code, unit_id, geom, count, z, p, bin,"
                " pattern) VALUES (:run, :area, :unit, ST_GeomFromText(:wkt, 4490), :count, :z,"
                " :p, :bin, :pattern) RETURNING id"
            ),
            row,
        ).scalar_one()
        for row in cell_rows
    ]
    raised = 0
    if patterns is not None:
        for i, cls in enumerate(patterns):
            if cls in ALERTING and bins[i] >= 2:
                level, prefix = ALERTING[cls]
                session.add(
                    Alert(
                        area_code=area_of[i],
                        kind=f"hotspot_{PATTERN_CODES[cls]}",
                        level=level,
                        title=f"{prefix}：{place_of[i]} {int(counts.counts[i])} 起案件",
                        detail=f"Gi* z={gi.Zs[i]:.2f}, p={pvalues[i]:.3f}",
                        run_id=record.id,
                        cell_id=ids[i],
                        state="open",
                    )
                )
                raised += 1
        session.flush()
    return len(ids), int((bins >= 2).sum()), raised


def _emerging(
    cells: tuple[str, ...],
    lon: np.ndarray[Any, Any],
    lat: np.ndarray[Any, Any],
    rows: list[Any],
    weights: Any,
    record: HotspotRun,
    params: dict[str, Any],
) -> list[EmergingClass] | None:
    """Return the emerging class per cell, or None when the window is too short or flat."""
    import h3

    span = record.window_end - record.window_start
    if span < timedelta(days=3 * params["bin_days"]):
        return None
    index = {cell: i for i, cell in enumerate(cells)}
    unit = np.array(
        [
            index[h3.latlng_to_cell(y, x, params["resolution"])]
            for x, y in zip(lon, lat, strict=True)
        ]
    )
    times = np.array([r.reported_at.replace(tzinfo=None) for r in rows], dtype="datetime64[us]")
    try:
        cube = build_cube(
            unit,
            times,
            len(cells),
            timedelta(days=params["bin_days"]),
            start=np.datetime64(record.window_start.replace(tzinfo=None), "us"),
            end=np.datetime64(record.window_end.replace(tzinfo=None), "us"),
        )
        result = emerging_hotspots(cube, weights.sparse)
    except ValueError:
        return None
    return [EmergingClass(int(c)) for c in result.classes]


def list_runs(session: Session, *, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    """Return the latest runs visible to the actor.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    actor : Actor
        Whose scope applies.
    limit : int
        Maximum number of runs.

    Returns
    -------
    list of dict
        Newest first.
    """
    lo, hi = scope_range(actor.scope_code)
    rows = session.execute(
        text(
            "SELECT r.id, r.area_code, r.method, r.params, r.window_start, r.window_end,"
            " r.created_at, r.status,"
            " (SELECT count(*) FROM hotspot_cells c WHERE c.run_id = r.id) AS cells,"
            " (SELECT count(*) FROM hotspot_cells c WHERE c.run_id = r.id AND c.bin >= 2) AS hot"
            " FROM hotspot_runs r WHERE r.area_code >= :lo AND r.area_code < :hi"
            " ORDER BY r.id DESC LIMIT :n"
        ),
        {"lo": lo, "hi": hi, "n": max(1, min(limit, 500))},
    ).mappings()
    out = []
    for row in rows:
        item = dict(row)
        for key in ("window_start", "window_end", "created_at"):
            item[key] = item[key].isoformat()
        out.append(item)
    return out
