"""Hot-spot runs: start one on demand, list them, read one with its cells.

Cells are served by the OGC ``hotspots`` collection and the tiles; alerts appear in the command
feed. A run over a window that ended more than one time bin ago (a planner's look at the past)
is a historic analysis (:mod:`layers.hotspot_current`): it raises no alert, the console keeps
showing the latest current run, and its cells are read with ``GET /api/hotspots/runs/{run_id}``.
So is a trial run (试算, :func:`layers.hotspot_runs.is_trial`): every analyst's run, and an
operator's asked with ``"trial": true`` (trial AY S1: an analyst trying out cell sizes raised
live alerts and replaced the command map's latest run). A window that starts after today is
refused. The answer says which it was (``trial``, ``historic``) and what it changed (``note``).
``GET /api/hotspots/cells/{cell_id}/cases`` lists the cases a hot cell's figures count (本格, or
本格及相邻格 as its alert's title counts them), in your scope (:mod:`layers.hotspot_cases`).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field

from api.deps import BusinessUser, SessionDep, utcnow
from api.routers.cases import actor_of, audited_refusal
from layers import hotspot_cases, hotspot_runs

router = APIRouter(prefix="/api/hotspots", tags=["hot spots"])


class RunIn(BaseModel):
    """Parameters of a run (defaults: your scope, the nightly run's last 365 days).

    A ``window_end`` more than ``bin_days`` before now makes a historic analysis; times without
    a time zone are China's. ``trial`` makes a trial run (试算) over any window; an analyst's
    run is always one.
    """

    scope_code: str | None = Field(default=None, pattern=r"^\d{12}$")
    window_start: datetime | None = None
    window_end: datetime | None = None
    days: int = Field(default=hotspot_runs.NIGHTLY_DAYS, ge=1, le=3660)
    resolution: int = Field(default=8, ge=5, le=10)
    bin_days: int = Field(default=7, ge=1, le=366)
    permutations: int = Field(
        default=0,
        ge=0,
        le=9999,
        description="0: significance from the normal p-value of Gi* z (as ArcGIS); more: "
        "conditional permutations and their pseudo p-values",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    trial: bool = Field(
        default=False,
        description="A trial run (试算): stored and read by its number, raising no alert and "
        "never the run the command map, the big screen and the consoles show; an analyst's run "
        "is always one",
    )


@router.post("/runs", status_code=status.HTTP_201_CREATED, summary="Run the hot-spot analysis")
def start_run(body: RunIn, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Analyse a scope's cases in a window; store cells; raise alerts unless trial or historic.

    The answer holds the run's figures, ``trial`` and ``historic`` (not the console's) and
    ``note``, what it changed in Chinese (:func:`layers.hotspot_runs.run_note`).
    """
    now = utcnow()
    end = body.window_end or now
    start = body.window_start or end - timedelta(days=body.days)
    with audited_refusal(session, user, "hotspots.run", "hotspot_run", None):
        result = hotspot_runs.run(
            session,
            actor=actor_of(user),
            scope_code=body.scope_code or user.scope_code,
            window_start=start,
            window_end=end,
            resolution=body.resolution,
            bin_days=body.bin_days,
            permutations=body.permutations,
            seed=body.seed,
            now=now,
            current=not body.trial,
        )
        session.commit()
    return {**asdict(result), "note": hotspot_runs.run_note(result)}


@router.get("/runs", summary="Latest hot-spot runs in your scope")
def runs(
    user: BusinessUser, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[dict[str, Any]]:
    """Newest first, with their cell and hot-cell counts."""
    return hotspot_runs.list_runs(session, actor=actor_of(user), limit=limit)


@router.get("/runs/{run_id}", summary="One hot-spot run with its cells (GeoJSON)")
def run_detail(
    run_id: Annotated[int, Path(ge=1, le=2**63 - 1)], user: BusinessUser, session: SessionDep
) -> dict[str, Any]:
    """Return the run (historic or current) and its cells in your scope, as GeoJSON."""
    return hotspot_runs.run_cells(session, run_id, actor=actor_of(user))


@router.get(
    "/cells/{cell_id}/cases",
    summary="The cases a hot cell counts (本格, or with its neighbours), in your scope",
)
def cell_cases(
    cell_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    user: BusinessUser,
    session: SessionDep,
    around: Annotated[
        bool, Query(description="With the neighbouring cells (本格及相邻格, the alert's figure)")
    ] = True,
    limit: Annotated[int, Query(ge=1, le=hotspot_cases.LIST_LIMIT)] = 200,
) -> dict[str, Any]:
    """Return the cell, its figures, the run's window and its cases (no personal data).

    The cases the run counted in the cell (and around it): located, reported in the run's
    window, not a repeat report, in your scope. Analysts get 403 (aggregates only).
    """
    return hotspot_cases.cell_cases(
        session, cell_id, actor=actor_of(user), around=around, limit=limit
    )
