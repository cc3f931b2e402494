"""Live updates as Server-Sent Events: ``GET /api/events``.

Case events (``event: case_event``), worker positions/status (``event: worker``), imports of
cases (``event: import``: how many new cases, open ones and repeats) and risk alerts raised,
refreshed, signed for or closed (``event: alert``) inside the user's scope.
The process's :class:`layers.live.Hub` listens to PostgreSQL once; each stream filters notices
by the user's scope range and reads every row under the user's scope before sending it, and
ends when the user's account has been disabled since (a worker who left), given a new role or
scope (the browser's ``EventSource`` reconnects under the new one) or a new password (the
browser that changed it reconnects with its new cookie, the others are refused). A comment
line every ``keepalive`` seconds keeps proxies from closing the stream; the account is checked
then too, so a quiet stream ends within ``keepalive`` seconds of such a change.

A stream never ends by itself, and uvicorn waits for open responses before it stops: the server
(``zongzhi serve``, :mod:`api.cli`) calls :func:`end_streams` when it begins to shut down, which
ends every open stream of the app with a complete response (browsers' ``EventSource``
reconnects once the server is back) and any stream opened after it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.deps import BusinessUser, Principal, bind_scope
from layers import department_scope, live
from layers.database import read_account_and_scope
from layers.errors import Forbidden
from layers.model import Role
from layers.workflow import Actor

router = APIRouter(prefix="/api", tags=["live"])


def _hub(request: Request) -> live.Hub:
    hub: live.Hub | None = getattr(request.app.state, "live_hub", None)
    if hub is None:
        url = request.app.state.engine.url.render_as_string(hide_password=False)
        hub = live.Hub(live.listen_url(url))
        request.app.state.live_hub = hub
    return hub


class _AccountStopped(Exception):
    """The stream's account was disabled (or deleted) since the stream opened."""


class _ServerStopping(Exception):
    """The server is shutting down (:func:`end_streams`)."""


def end_streams(app: FastAPI) -> None:
    """End the app's open ``/api/events`` streams, and those opened later: the server stops.

    Call it on the server's event loop when the shutdown begins (before uvicorn waits for the
    open responses to finish): each stream then ends with a complete response.

    Parameters
    ----------
    app : fastapi.FastAPI
        The application being served.
    """
    app.state.live_ending = True
    for stop in _stops(app):
        stop.set()


def _stops(app: FastAPI) -> set[asyncio.Event]:
    """Return the stop events of the app's open streams (one each, set by :func:`end_streams`)."""
    stops: set[asyncio.Event] | None = getattr(app.state, "live_stops", None)
    if stops is None:
        stops = set()
        app.state.live_stops = stops
    return stops


@contextlib.asynccontextmanager
async def _server_stop(app: FastAPI) -> AsyncIterator[asyncio.Task[bool]]:
    """Yield a task that ends when :func:`end_streams` is called (this stream's stop event)."""
    stop = asyncio.Event()
    if getattr(app.state, "live_ending", False):
        stop.set()
    stops = _stops(app)
    stops.add(stop)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        yield stopped
    finally:
        stopped.cancel()
        stops.discard(stop)


async def _next_notice(
    queue: asyncio.Queue[live.Notice], stopped: asyncio.Task[bool], keepalive: float
) -> live.Notice | None:
    """Return the next notice, or None when ``keepalive`` seconds passed without one.

    Raises
    ------
    _ServerStopping
        The server is stopping (``stopped``, from :func:`_server_stop`, is done).
    """
    getter = asyncio.ensure_future(queue.get())
    try:
        await asyncio.wait(
            {getter, stopped}, timeout=keepalive, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        # still waiting (the keep-alive is due, the server stops, or the client left): an
        # unread notice stays in the queue (asyncio.Queue.get); the getter ends here, not in
        # a loop that may be closing
        if getter.cancel():
            with contextlib.suppress(asyncio.CancelledError):
                await getter
    if stopped.done():
        raise _ServerStopping
    return None if getter.cancelled() else getter.result()


def _check_account(session: Session, user: Principal) -> None:
    """Raise :class:`_AccountStopped` unless the stream's account still stands as it opened."""
    account = read_account_and_scope(session, user.id, user.token_id)
    if (
        account is None
        or not account.active  # a leaver's stream ends here
        or account.session_ended  # its session was logged out (trial AI S1)
        # a change of post (reconnect as it) or a new password (its time is the
        # principal's too): every stream opened before it ends
        or Principal.from_user(account) != user
    ):
        raise _AccountStopped


def _fetch(
    factory: sessionmaker[Session], notice: live.Notice | None, user: Principal
) -> dict[str, Any] | None:
    """Read the notice's row for ``user``, after checking the account (no notice: only that)."""
    with factory() as session:
        bind_scope(session, user.scope_code)
        with session.begin():
            _check_account(session, user)
            if notice is None:
                return None
            if user.role == Role.DEPARTMENT and not _department_reads(session, notice, user):
                return None
            return live.fetch(session, notice, scope_code=user.scope_code)


def _department_reads(session: Session, notice: live.Notice, user: Principal) -> bool:
    """Whether a department account is sent the notice: its own cases' events only (trial AQ S2)."""
    if notice.kind != "case_event":
        return False
    actor = Actor(user.id, user.display_name, user.role, user.scope_code, login=user.username)
    return department_scope.reads_case_event(session, actor, notice.id)


async def _stream(
    request: Request, user: Principal, keepalive: float, max_events: int | None
) -> AsyncIterator[bytes]:
    factory: sessionmaker[Session] = request.app.state.sessions
    sent = 0
    async with (
        _server_stop(request.app) as stopped,
        _hub(request).subscribe(user.scope_code) as subscription,
    ):
        # listening now: ``ready`` tells clients that nothing committed from here on is missed
        yield b": connected\nevent: ready\ndata: {}\n\n"
        while max_events is None or sent < max_events:
            if await request.is_disconnected():
                break
            try:
                notice = await _next_notice(subscription.queue, stopped, keepalive)
            except _ServerStopping:
                break
            try:
                # a quiet stream checks its account at each keep-alive, not only at an event
                data = await run_in_threadpool(_fetch, factory, notice, user)
            except _AccountStopped:
                break
            if notice is None:
                yield b": keep-alive\n\n"
                continue
            if data is None:
                continue
            sent += 1
            yield (
                f"id: {notice.kind}-{notice.id}\nevent: {notice.kind}\n".encode()
                + b"data: "
                + orjson.dumps(data)
                + b"\n\n"
            )


@router.get(
    "/events",
    summary="Live case events, worker positions, imports, alerts in your scope (text/event-stream)",
    response_class=StreamingResponse,
)
async def events(
    request: Request,
    user: BusinessUser,
    keepalive: Annotated[float, Query(ge=1, le=300)] = 15.0,
    max_events: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> StreamingResponse:
    """Stream ``case_event``, ``worker``, ``import`` and ``alert`` events until disconnected."""
    if user.role == Role.ANALYST:
        raise Forbidden("研判分析员只能查看统计汇总，不能接收实时动态")
    return StreamingResponse(
        _stream(request, user, keepalive, max_events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
