"""The command view's map data under ``/api/console/{code}``: outlines, cases, hot cells, heat.

Also the unit's offline cameras (``/{code}/cameras/offline``), which 视频在线率's 离线 N lists.

GeoJSON bodies are built by PostgreSQL (:mod:`layers.command_map`) and sent as they are.
Analysts get outlines, hot cells and the heat map (aggregates) but no case points. The heat
map's cells are at least 0.002° (≈ 200 m; a smaller ``cell`` is refused with 422), and an
analyst's heat map leaves out cells of fewer than 3 cases (:func:`layers.command_map.heat_points`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import BBoxDep, BusinessUser, NotDepartment, SessionDep, utcnow
from api.routers.cases import CodePath, actor_of
from layers import camera_lists, command_map
from layers.catalog import check_readable, get_collection
from layers.errors import Forbidden
from layers.model import Role

router = APIRouter(prefix="/api/console", tags=["command"])

GEOJSON = "application/geo+json"


def _geojson(body: str) -> Response:
    return Response(content=body.encode("utf-8"), media_type=GEOJSON)


@router.get(
    "/{code}/outline",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    summary="Boundaries of a unit and its children (jurisdictions, or a village's grids)",
)
def outline(code: CodePath, user: BusinessUser, session: SessionDep) -> Response:
    """Return the unit first, then its children, simplified to the unit's size."""
    return _geojson(command_map.outline(session, code, actor=actor_of(user)))


@router.get(
    "/{code}/cases",
    dependencies=[NotDepartment],
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    summary="Case points of a unit in a box, by state group, highest risk first",
)
def case_points(
    code: CodePath,
    user: BusinessUser,
    session: SessionDep,
    bbox: BBoxDep,
    state: command_map.StateGroup = command_map.StateGroup.OPEN,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    limit: Annotated[int, Query(ge=1, le=command_map.MAX_POINTS)] = 2000,
) -> Response:
    """Return open, overdue or recent cases (``truncated`` when the limit cut the list)."""
    if user.role == Role.ANALYST:
        raise Forbidden("研判分析员只能查看统计汇总，不能查看单个案件")
    body = command_map.case_points(
        session,
        code,
        actor=actor_of(user),
        now=utcnow(),
        bbox=bbox,
        group=state,
        days=days,
        limit=limit,
    )
    return _geojson(body)


@router.get(
    "/{code}/hotspots",
    dependencies=[NotDepartment],
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    summary="Hot cells of the latest hot-spot run in a unit",
)
def hot_cells(code: CodePath, user: BusinessUser, session: SessionDep) -> Response:
    """Return the hot cells (``bin`` > 0) with z-score, p-value and pattern."""
    return _geojson(command_map.hot_cells(session, code, actor=actor_of(user)))


@router.get(
    "/{code}/heat",
    dependencies=[NotDepartment],
    response_class=Response,
    summary="Case density points for a heat map",
)
def heat(
    code: CodePath,
    user: BusinessUser,
    session: SessionDep,
    bbox: BBoxDep,
    cell: Annotated[
        float,
        Query(
            gt=0,
            le=command_map.MAX_HEAT_CELL_DEG,
            description=(
                f"Cell size in degrees, at least {command_map.MIN_HEAT_CELL_DEG} (422 below)"
            ),
        ),
    ] = command_map.MIN_HEAT_CELL_DEG,
    days: Annotated[int, Query(ge=1, le=3660)] = 365,
) -> Response:
    """Return ``[[lat, lon, count], …]`` of cases per cell in the window (cells of 0.002° or more).

    Analysts get no cell of fewer than 3 cases.
    """
    points = command_map.heat_points(
        session, code, actor=actor_of(user), now=utcnow(), bbox=bbox, cell_deg=cell, days=days
    )
    return Response(content=orjson.dumps(points), media_type="application/json")


@router.get(
    "/{code}/cameras/offline",
    dependencies=[NotDepartment],
    summary="The offline cameras in use in a unit",
)
def offline_cameras(
    code: CodePath,
    user: BusinessUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=camera_lists.MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Return ``matched`` and a page of ``cameras``: the longest silent first."""
    check_readable(user.role, get_collection("video_points"), scope_code=user.scope_code)
    found = camera_lists.offline(session, code, actor=actor_of(user), limit=limit, offset=offset)
    return {"matched": found.matched, "cameras": [asdict(c) for c in found.cameras]}
