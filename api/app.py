"""The application factory: settings injected, engine owned by the lifespan, routers from a list.

To add a router: write ``api/routers/<name>.py`` with a module-level ``router``
(:class:`fastapi.APIRouter`) and append its module path to :data:`ROUTER_MODULES`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import import_module
from importlib.metadata import entry_points

from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import Session, sessionmaker

from api.caches import Caches
from api.compression import Compression
from api.deps import NotDepartment, install_scope_hook
from api.errors import add_exception_handlers
from api.import_runner import ImportRunner
from api.no_store import NoStore
from api.settings import ApiSettings
from layers import deadlines
from layers.changes import ChangeWatch
from layers.database import make_engine, resolve_urls
from layers.live import listen_url

ROUTER_MODULES: list[str] = [
    "api.routers.auth",
    "api.routers.ogc",
    "api.routers.tiles",
    "api.routers.persons",
    "api.routers.audit",
    # case workflow, dispatch, hot spots, command feed, live events: append below.
    "api.routers.cases",
    "api.routers.bulk_handover",
    "api.routers.case_photos",
    "api.routers.visit_photos",
    "api.routers.dispatch",
    "api.routers.departments",
    "api.routers.command",
    "api.routers.figures",
    "api.routers.alerts",
    "api.routers.events",
    "api.routers.workers",
    "api.routers.hotspots",
    "api.routers.trends",
    "api.routers.console_map",
    "api.routers.cameras",
    "api.routers.search",
    "api.routers.imports",
    "api.routers.users",
]
"""Modules whose ``router`` is included in the application, in this order."""

DEPARTMENT_REFUSED: frozenset[str] = frozenset(
    {
        "api.routers.persons",
        "api.routers.visit_photos",
        "api.routers.command",
        "api.routers.alerts",
        "api.routers.workers",
        "api.routers.hotspots",
        "api.routers.trends",
        "api.routers.cameras",
    }
)
"""Modules of :data:`ROUTER_MODULES` whose every route refuses a department account: the
command centre's views of the whole area (:func:`api.deps.refuse_department`, trial AQ S2)."""

PLUGIN_GROUP = "zongzhi.apps"
"""Entry-point group of parts mounted onto the app by packages ``api`` must not import
(the operator console in ``web``): each is a callable taking the app."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the engine, the session factory and the caches at start-up; end them at shutdown.

    Parameters
    ----------
    app : fastapi.FastAPI
        The application (its ``state.settings`` is read; ``state.engine``,
        ``state.sessions``, ``state.caches`` and ``state.import_runner`` are set).

    Yields
    ------
    None
        While the application serves.

    Raises
    ------
    layers.deadlines.DeadlineConfigError
        ``$ZONGZHI_HOME/deadlines.toml`` exists but cannot be used: the server does not start
        rather than serve the built-in time limits.
    """
    settings: ApiSettings = app.state.settings
    deadlines.for_deployment(settings.database.home)  # refuse to start on a broken file
    urls = settings.urls or resolve_urls(settings.database)
    engine = make_engine(urls.app, pool_size=settings.pool_size)
    sessions = sessionmaker(engine, class_=Session, expire_on_commit=False)
    install_scope_hook(sessions, set_role=urls.set_role)
    app.state.engine = engine
    app.state.sessions = sessions
    watch = ChangeWatch(listen_url(urls.app))
    # an entry lives no longer than browsers keep a tile (Cache-Control max-age)
    app.state.caches = Caches.create(
        watch,
        tile_bytes=max(0, settings.cache_mb) * 2**20,
        max_age=max(1, settings.tile_max_age),
    )
    watching = asyncio.create_task(watch.run()) if settings.cache_mb > 0 else None
    app.state.import_runner = runner = ImportRunner(settings, sessions, urls.owner)
    importing = asyncio.create_task(runner.run())  # the console's imports, one at a time
    try:
        yield
    finally:
        for task in (importing, watching):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        engine.dispose()


def create_app(settings: ApiSettings | None = None, *, plugins: bool = True) -> FastAPI:
    """Build the API application.

    Parameters
    ----------
    settings : ApiSettings, optional
        Configuration; read from the environment when omitted.
    plugins : bool
        Mount the parts registered under :data:`PLUGIN_GROUP` (the console).

    Returns
    -------
    fastapi.FastAPI
        The application; its database engine exists while its lifespan runs.
    """
    app = FastAPI(
        title="综治态势一张图 Zongzhi API",
        version="0.1.0",
        description="Jurisdiction-scoped access to grids, cases, video points, workers, "
        "special populations and hot spots; OGC API – Features and vector tiles.",
        lifespan=lifespan,
    )
    app.state.settings = settings or ApiSettings.from_env()
    # gzip when asked, never the live stream nor PNG/JPEG (api.compression)
    app.add_middleware(Compression)
    # the API's answers kept out of caches unless the route says otherwise (api.no_store)
    app.add_middleware(NoStore)
    add_exception_handlers(app)
    for module_name in ROUTER_MODULES:
        router: APIRouter = import_module(module_name).router
        refused = [NotDepartment] if module_name in DEPARTMENT_REFUSED else None
        app.include_router(router, dependencies=refused)
    if plugins:
        for entry in entry_points(group=PLUGIN_GROUP):
            entry.load()(app)
    return app
