"""The 调度台 page (``/dispatch/{code}``): queue, cameras, candidates, assignment, walk-ins.

The desk's map shows the villages (行政区划) and grids (网格) with their names, drawn as the
command view draws them (:data:`DESK_LAYERS`, a subset of :data:`web.maps.CONSOLE_LAYERS`), so
that a clerk finds the grid a walk-in names and clicks inside it.
"""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from geo.codes import division_level
from web.maps import CONSOLE_LAYERS, MapParts, layer_config_json, page_map
from web.pages.case import workflow_labels_json
from web.paths import CodePath
from web.render import page_response

router = APIRouter(include_in_schema=False)

DESK_LAYERS = tuple(layer for layer in CONSOLE_LAYERS if layer.id in ("units", "grids"))
"""The command view's layers the desk's map shows: village outlines and grids."""


@cache
def _layers_json() -> str:
    return layer_config_json(DESK_LAYERS)


@cache
def _map() -> MapParts:
    """Build the page's map once per process (folium rendering takes a good 100 ms)."""
    return page_map(libraries=("leaflet.vectorgrid",))


@router.get("/dispatch/{code}", response_class=HTMLResponse)
def dispatch_page(code: CodePath) -> HTMLResponse:
    """Serve the 调度台 page of unit ``code``.

    Parameters
    ----------
    code : str
        The 12-digit jurisdiction code.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell; its script loads the data through the API.
    """
    return page_response(
        "dispatch.html",
        page_title="调度台",
        code=code,
        level=division_level(code),
        map=_map(),
        layers_json=_layers_json(),
        labels=workflow_labels_json(),
    )
