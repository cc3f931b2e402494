"""查找 on the console's maps: ``GET /api/search`` (trial BB M7).

Units, grids, cameras and cases of a unit in the reader's scope that the text names, at most
ten, grouped by kind (:mod:`layers.map_search`). A department's account is refused, as every
command-centre view of the whole area is; administrators and auditors as for all business
data. No person is listed, so the read is not audited.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import BusinessUser, NotDepartment, SessionDep
from api.routers.cases import actor_of
from layers import map_search

router = APIRouter(prefix="/api/search", tags=["search"])


@router.get(
    "",
    dependencies=[NotDepartment],
    summary="Units, grids, cameras and cases of a unit named by the text, for its map",
)
def search(
    user: BusinessUser,
    session: SessionDep,
    q: Annotated[
        str,
        Query(
            min_length=map_search.MIN_LENGTH,
            max_length=map_search.MAX_LENGTH,
            description="A name or its words, a division code, 网格编码, 国标编码 or case number",
        ),
    ],
    within: Annotated[
        str | None,
        Query(pattern=r"^\d{12}$", description="A unit in the reader's scope (default: his own)"),
    ] = None,
) -> dict[str, Any]:
    """Return ``results`` (kind, name, code, parent's name, point or box and outline) and ``more``.

    ``results`` lists units (辖区), grids (网格), cameras (摄像头) and cases (案件) in that order,
    at most ten in all, each kind found given a share; ``more`` says some were left out. An
    analyst is listed no case.
    """
    found = map_search.search(session, actor=actor_of(user), q=q, code=within)
    return {"q": q, "results": [asdict(x) for x in found.found], "more": found.more}
