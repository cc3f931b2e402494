"""Request dependencies: the session, the current user, role checks, validated query parameters.

Use the ``Annotated`` aliases in route signatures:

* :data:`SessionDep` — a session whose every transaction is scoped to the current user's
  jurisdiction (``SET LOCAL`` of the scope range, and ``SET LOCAL ROLE`` when the app shares the
  owner's connection); it commits when the route returns normally, rolls back otherwise.
  Routes that write should call ``session.commit()`` themselves so that a failing commit
  becomes the response.
* :data:`CurrentUser` — the authenticated :class:`Principal` (Bearer token, or the console's
  HttpOnly cookie).
* :data:`BusinessUser` — any role that may see business data (not admin, not auditor).
* :data:`AuditorUser` — the security auditor.
* :data:`BBoxDep`, :data:`DatetimeDep` — OGC ``bbox`` and ``datetime`` parsed (400 if bad).
* :data:`DeadlinesDep` — the deployment's case time limits (``$ZONGZHI_HOME/deadlines.toml``
  over the built-in ones, :func:`layers.deadlines.for_deployment`).

An authenticated read costs three round trips to PostgreSQL: ``BEGIN``, one statement that
reads the account, whether the token's session was ended (logout: one primary-key look-up) and
sets the transaction's scope (:func:`layers.database.read_account_and_scope`), the route's
query, and ``COMMIT``. Dependencies that do no I/O are ``async`` so that FastAPI
runs them on the event loop instead of handing each to a worker thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from api.auth import EXPIRED, token_subject
from api.settings import ApiSettings
from layers import deadlines
from layers.accounts import password_change_due
from layers.catalog import NO_BUSINESS_DATA
from layers.database import Account, apply_scope, read_account_and_scope, switch_to_app_role
from layers.department_scope import COMMAND_VIEW_REFUSED
from layers.errors import AuthenticationFailed, Forbidden
from layers.features import BBox, TimeRange
from layers.model import Role

_SCOPE = "zongzhi_scope_code"
_SET_ROLE = "zongzhi_set_role"
INACTIVE = "账户不存在或已停用，请联系管理员"
"""Why the account of a valid token is refused."""


def install_scope_hook(factory: sessionmaker[Session], *, set_role: bool) -> None:
    """Make every transaction of ``factory``'s sessions start in the session's scope.

    The scope is read from ``session.info`` (see :func:`bind_scope`); a transaction of a
    session with no scope sees no scoped row at all (row-level security with the scope unset).

    Parameters
    ----------
    factory : sqlalchemy.orm.sessionmaker
        Session factory of the app engine.
    set_role : bool
        Also ``SET LOCAL ROLE zongzhi_app`` (app sharing the owner's connection).
    """

    def after_begin(session: Session, transaction: SessionTransaction, conn: Connection) -> None:
        code = session.info.get(_SCOPE)
        if code is not None:
            apply_scope(conn, code, set_role=set_role)
        elif set_role:  # no scope: the app role sees no scoped row
            switch_to_app_role(conn)

    event.listen(factory, "after_begin", after_begin)


def bind_scope(session: Session, scope_code: str) -> None:
    """Scope ``session`` to a jurisdiction: its current and every later transaction.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        A session from a factory prepared by :func:`install_scope_hook`.
    scope_code : str
        12-digit jurisdiction code.
    """
    session.info[_SCOPE] = scope_code
    if session.in_transaction():
        apply_scope(session, scope_code)


@dataclass(frozen=True)
class Principal:
    """The authenticated user of a request.

    Attributes
    ----------
    id : int
        User id.
    username : str
        Login name.
    display_name : str
        Shown name.
    role : str
        A :class:`layers.model.Role` code.
    scope_code : str
        12-digit jurisdiction code of the user's scope.
    can_unmask : bool
        May read sealed personal data with a reason.
    worker_id : int or None
        The worker record of a grid-worker account.
    must_change_password : bool
        The password was set by an administrator: until its owner changes it, only
        :data:`PASSWORD_CHANGE_PATHS` answer.
    password_changed_at : datetime or None
        When the password was last set (a deployment may want it changed after some days).
    token_id : str or None
        The id of the request's token (``jti``): what logging out ends. Not compared: a
        principal is the same account's facts whichever token brought it.
    token_expires_at : datetime or None
        When that token expires.
    """

    id: int
    username: str
    display_name: str
    role: str
    scope_code: str
    can_unmask: bool
    worker_id: int | None
    must_change_password: bool = False
    password_changed_at: datetime | None = None
    token_id: str | None = field(default=None, compare=False)
    token_expires_at: datetime | None = field(default=None, compare=False)

    @classmethod
    def from_user(
        cls,
        user: Account,
        *,
        token_id: str | None = None,
        token_expires_at: datetime | None = None,
    ) -> Principal:
        """Copy the facts of an account.

        Parameters
        ----------
        user : layers.database.Account
            The account (a :class:`layers.model.User` row has the same attributes).
        token_id : str, optional
            The id of the token that authenticated the request.
        token_expires_at : datetime, optional
            When that token expires.

        Returns
        -------
        Principal
            The principal.
        """
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            scope_code=user.scope_code,
            can_unmask=user.can_unmask,
            worker_id=user.worker_id,
            must_change_password=user.must_change_password,
            password_changed_at=user.password_changed_at,
            token_id=token_id,
            token_expires_at=token_expires_at,
        )


async def get_settings(request: Request) -> ApiSettings:
    """Return the application's settings.

    Parameters
    ----------
    request : fastapi.Request
        The request.

    Returns
    -------
    ApiSettings
        The settings given to :func:`api.app.create_app`.
    """
    settings: ApiSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


async def get_deadline_config(settings: SettingsDep) -> dict[str, Any]:
    """Return the case time limits of the deployment (``$ZONGZHI_HOME/deadlines.toml``).

    Its only I/O is one ``stat`` of the file (read again only after a change, see
    :func:`layers.deadlines.for_deployment`), so it runs on the event loop. The file was
    checked at start-up (:func:`api.app.lifespan`); a broken edit since is logged and the
    limits read before stay in force.

    Parameters
    ----------
    settings : ApiSettings
        Where the platform home is.

    Returns
    -------
    dict
        The configuration for :func:`layers.cases.register`, :func:`layers.cases.act` and
        :func:`layers.deadlines.status` (do not modify it).
    """
    return deadlines.for_deployment(settings.database.home)


DeadlinesDep = Annotated[dict[str, Any], Depends(get_deadline_config)]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Yield a session for this request; unscoped until :func:`bind_scope` (sees no scoped row).

    Creating a session does no I/O (the connection is taken by its first statement), so this
    runs on the event loop; only the end (commit or rollback, then close) goes to a worker
    thread: one thread hop per request fewer than a synchronous dependency. A route that
    commits before it returns (every writing route, and reads on a critical path) saves that
    hop too.

    Parameters
    ----------
    request : fastapi.Request
        The request.

    Yields
    ------
    sqlalchemy.orm.Session
        Committed after a normal return, rolled back on error, closed in any case.
    """
    factory: sessionmaker[Session] = request.app.state.sessions
    session = factory()
    # 已派单 N 分钟未受理 judged by the deployment's deadlines.toml (one stat, as DeadlinesDep)
    deadlines.bind(session, deadlines.for_deployment(request.app.state.settings.database.home))
    failed = True
    try:
        yield session
        failed = False
    finally:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(_end_session, session, failed=failed)
        else:  # the route ended its transaction itself: closing does no I/O
            session.close()


def _end_session(session: Session, *, failed: bool) -> None:
    """Commit (or roll back when the request failed) and close; roll back a failing commit."""
    try:
        if failed:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


UnscopedSessionDep = Annotated[Session, Depends(get_session, scope="function")]
PASSWORD_CHANGE_PATHS = frozenset({"/api/me", "/api/me/password", "/api/auth/logout"})
"""What an account whose password must change first (set by an administrator, or older than the
deployment allows: :func:`layers.accounts.password_change_due`) may do: see who it is, change
the password, log out."""
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_current_user(
    request: Request,
    session: UnscopedSessionDep,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """Authenticate the request (Bearer token, else the console cookie) and scope its session.

    Parameters
    ----------
    request : fastapi.Request
        The request.
    session : sqlalchemy.orm.Session
        The request's session (scoped here to the user).
    settings : ApiSettings
        Token key and cookie name.
    bearer : str or None
        Token of the ``Authorization: Bearer`` header.

    Returns
    -------
    Principal
        The user.

    Raises
    ------
    AuthenticationFailed
        No token, an invalid or expired one, an ended one (logged out, or issued before the
        account was last disabled: :data:`api.auth.EXPIRED`), an inactive account, or a token
        older than the last password change.
    Forbidden
        The account must change its password first (:func:`layers.accounts.password_change_due`)
        and the request is not one of :data:`PASSWORD_CHANGE_PATHS`.
    """
    token = bearer or request.cookies.get(settings.cookie_name)
    if not token:
        raise AuthenticationFailed("请先登录")
    claims = token_subject(settings, token)
    issued_at = claims.issued_at
    # One statement reads the account, whether this token was ended (logout), and scopes the
    # transaction to the account; a refusal rolls that transaction back (and its scope with
    # it) before raising, even if the caller goes on.
    user = read_account_and_scope(session, claims.user_id, claims.token_id)
    refusal = None
    if user is None or not user.active:
        refusal = INACTIVE
    elif user.session_ended or (
        # issued in the second the account was disabled, or before: ended (iat is whole seconds)
        user.sessions_ended_at is not None and issued_at <= user.sessions_ended_at
    ):
        refusal = EXPIRED
    elif issued_at < user.password_changed_at.replace(microsecond=0):
        refusal = "密码已更改，请重新登录"
    if refusal is not None or user is None:
        session.rollback()
        raise AuthenticationFailed(refusal or INACTIVE)
    due = password_change_due(
        must_change=user.must_change_password,
        changed_at=user.password_changed_at,
        policy=settings.password_policy,
        now=utcnow(),
    )
    if due is not None and request.url.path not in PASSWORD_CHANGE_PATHS:
        session.rollback()
        raise Forbidden(f"请先修改密码：{due}")
    session.info[_SCOPE] = user.scope_code  # later transactions: the hook sets it
    return Principal.from_user(user, token_id=claims.token_id, token_expires_at=claims.expires_at)


CurrentUser = Annotated[Principal, Depends(get_current_user)]


async def get_scoped_session(user: CurrentUser, session: UnscopedSessionDep) -> Session:
    """Return the request's session, scoped to the current user (see :func:`get_current_user`).

    Parameters
    ----------
    user : Principal
        The current user (authenticating binds the scope).
    session : sqlalchemy.orm.Session
        The request's session.

    Returns
    -------
    sqlalchemy.orm.Session
        The same session.
    """
    return session


SessionDep = Annotated[Session, Depends(get_scoped_session)]


def require_roles(*roles: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """Return a dependency admitting only users of ``roles``.

    Parameters
    ----------
    *roles : str
        Allowed role codes.

    Returns
    -------
    callable
        The (async) dependency; it raises :class:`layers.errors.Forbidden` for other roles.
    """
    allowed = frozenset(roles)

    async def dependency(user: CurrentUser) -> Principal:
        if user.role not in allowed:
            raise Forbidden(f"{Role.label_of(user.role)}无权执行该操作")
        return user

    return dependency


async def business_user(user: CurrentUser) -> Principal:
    """Admit users who may see business data (everyone but administrators and auditors).

    Parameters
    ----------
    user : Principal
        The current user.

    Returns
    -------
    Principal
        The user.

    Raises
    ------
    Forbidden
        Administrators and auditors.
    """
    if user.role in NO_BUSINESS_DATA:
        raise Forbidden(f"{Role.label_of(user.role)}不能查看业务数据")
    return user


BusinessUser = Annotated[Principal, Depends(business_user)]


_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])
REFUSES_DEPARTMENT_ITSELF: set[Callable[..., Any]] = set()
"""Routes :func:`refuse_department` lets through: each refuses a department account itself,
audited (the unmasked read of a person, trial AW m1: :func:`refuses_department_itself`)."""


def refuses_department_itself(endpoint: _Endpoint) -> _Endpoint:
    """Mark ``endpoint`` as refusing a department account itself, so that the refusal is audited.

    Parameters
    ----------
    endpoint : callable
        A route's function (decorate it below the router's decorator).

    Returns
    -------
    callable
        ``endpoint``, listed in :data:`REFUSES_DEPARTMENT_ITSELF`.
    """
    REFUSES_DEPARTMENT_ITSELF.add(endpoint)
    return endpoint


async def refuse_department(user: CurrentUser, request: Request) -> None:
    """Refuse a functional department's account a command-centre view (trial AQ S2).

    A department reads only the cases sent or 吹哨'd to it (:mod:`layers.department_scope`):
    the command feed, the map's case points and hot spots, trends, alerts, workers, cameras
    and the special-population registers would show it the whole area's. A route marked
    :func:`refuses_department_itself` refuses it in its own, audited, way.

    Parameters
    ----------
    user : Principal
        The current user.
    request : fastapi.Request
        The request (its route).

    Raises
    ------
    Forbidden
        A department account.
    """
    if user.role == Role.DEPARTMENT:
        route = request.scope.get("route")
        if getattr(route, "endpoint", None) in REFUSES_DEPARTMENT_ITSELF:
            return
        raise Forbidden(COMMAND_VIEW_REFUSED)


NotDepartment = Depends(refuse_department)
"""The dependency of the routes a department account may not call (:func:`refuse_department`)."""
AuditorUser = Annotated[Principal, Depends(require_roles(Role.AUDITOR.value))]


async def bbox_query(
    bbox: Annotated[
        str | None,
        Query(
            description="minx,miny,maxx,maxy in CRS84 degrees", examples=["110.2,19.9,110.5,20.1"]
        ),
    ] = None,
) -> BBox | None:
    """Parse the OGC ``bbox`` parameter.

    Parameters
    ----------
    bbox : str, optional
        ``minx,miny,maxx,maxy``.

    Returns
    -------
    BBox or None
        The box.
    """
    return BBox.parse(bbox) if bbox is not None else None


async def datetime_query(
    value: Annotated[
        str | None,
        Query(
            alias="datetime",
            description="RFC 3339 instant or interval (a/b, ../b, a/..)",
            examples=["2026-01-01T00:00:00Z/.."],
        ),
    ] = None,
) -> TimeRange | None:
    """Parse the OGC ``datetime`` parameter.

    Parameters
    ----------
    value : str, optional
        Instant or interval.

    Returns
    -------
    TimeRange or None
        The interval.
    """
    return TimeRange.parse(value) if value is not None else None


BBoxDep = Annotated[BBox | None, Depends(bbox_query)]
DatetimeDep = Annotated[TimeRange | None, Depends(datetime_query)]


def client_address(request: Request) -> dict[str, Any]:
    """Return the audit facts of the request's origin (the client address).

    Parameters
    ----------
    request : fastapi.Request
        The request.

    Returns
    -------
    dict
        ``{"ip": address}`` when known.
    """
    return {"ip": request.client.host} if request.client is not None else {}


def utcnow() -> datetime:
    """Return the current time, timezone-aware (UTC).

    Returns
    -------
    datetime
        Now.
    """
    return datetime.now(UTC)
