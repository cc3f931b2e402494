"""The 指挥调度 page (``/console/{code}``) and its big-screen mode (``/screen/{code}``).

One page at all five levels: the map of the unit with its children shaded by a KPI, the layer
switcher, the KPI cards, the queue of cases waiting for this level with its actions and the
risk alerts. Big-screen mode (``/screen/{code}`` or ``/console/{code}?screen=1``) is the same
page dark, full screen, with larger cards, refreshed every minute and without actions. The page
is a shell: ``command.js`` loads the data through the API with the user's session.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from layers.china_time import CHINA
from layers.command import CARD_LABELS, KPI_NOTES, WALL_NOTES, WINDOW_DAYS
from layers.work_brief import BRIEF_NAMES, LAST_PERIOD_NAMES
from web.maps import MapParts, layer_config_json, page_map
from web.pages.case import workflow_labels_json
from web.paths import CodePath
from web.render import page_response

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 60
"""Big-screen mode reloads its data this often."""


@cache
def _layers_json() -> str:
    return layer_config_json()


@cache
def _map() -> MapParts:
    """Build the page's map once per process (folium rendering takes a good 100 ms)."""
    return page_map(
        libraries=("leaflet.vectorgrid", "markerclusterjs", "leaflet-heat.js"),
        stylesheets=("markerclustercss", "markerclusterdefaultcss"),
    )


EARLIER_MONTHS = 24
"""How many months before last month the 往月 picker offers."""


def _earlier_months(today: date) -> list[tuple[str, str]]:
    """Return the first day and the name of each month before last month, the latest first."""
    months = []
    first = today.replace(day=1)
    for _ in range(EARLIER_MONTHS + 1):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append((first.isoformat(), f"{first.year}年{first.month}月"))
    return months[1:]


def _page(code: str, *, screen: bool) -> HTMLResponse:
    return page_response(
        "command.html",
        page_title="大屏态势" if screen else "指挥调度",
        code=code,
        screen=screen,
        refresh_seconds=REFRESH_SECONDS,
        kpi_labels=CARD_LABELS,
        kpi_notes={k: v.format(days=WINDOW_DAYS) for k, v in KPI_NOTES.items()},
        wall_notes=WALL_NOTES,
        briefs=BRIEF_NAMES,
        last_briefs=LAST_PERIOD_NAMES,
        earlier_months=_earlier_months(datetime.now(CHINA).date()),
        layers_json=_layers_json(),
        labels=workflow_labels_json(),  # 办结结果 on a grid worker's 我的任务 (trial AS M1)
        map=_map(),
    )


@router.get("/console/{code}", response_class=HTMLResponse)
def command_page(code: CodePath, screen: Annotated[int, Query(ge=0, le=1)] = 0) -> HTMLResponse:
    """Serve the 指挥调度 page of unit ``code``.

    Parameters
    ----------
    code : str
        The 12-digit jurisdiction code.
    screen : int
        ``1`` for big-screen mode.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell; its script loads the data through the API.
    """
    return _page(code, screen=bool(screen))


@router.get("/screen/{code}", response_class=HTMLResponse)
def screen_page(code: CodePath) -> HTMLResponse:
    """Serve the big-screen mode of unit ``code`` for the command-centre wall.

    Parameters
    ----------
    code : str
        The 12-digit jurisdiction code.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell in big-screen mode.
    """
    return _page(code, screen=True)
