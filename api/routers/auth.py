"""Login (OAuth2 password flow → JWT, also an HttpOnly cookie), logout, who am I, own password.

Failed logins are throttled per client address (:mod:`api.auth`, counted in the database by
:mod:`layers.login_throttle`): when they spread over too many names, the address is answered 429
with ``Retry-After`` and its attempts reach no account, but for the accounts that last logged in
from it.

Logging out ends the session for real: the token's id is recorded as ended
(:func:`layers.accounts.end_session`), so the token, in the cookie or a Bearer header, is refused
from then on, not only the cookie deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from api.auth import RENEW_MAX, issue_token, login_address, token_subject, too_many_attempts
from api.deps import (
    CurrentUser,
    SettingsDep,
    UnscopedSessionDep,
    client_address,
    get_current_user,
    utcnow,
)
from api.settings import ApiSettings
from layers import accounts, audit, catalog, login_throttle
from layers.errors import (
    AccountLocked,
    AuthenticationFailed,
    DomainError,
    Forbidden,
    TooManyAttempts,
)
from layers.model import Role, User

router = APIRouter(prefix="/api", tags=["auth"])


class Token(BaseModel):
    """An access token (OAuth2 token response)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    """The current user."""

    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    scope_code: str
    can_unmask: bool
    unmask_refusal: str | None = Field(
        description="Why this account can never be given the unmask right (Chinese); None "
        "when an administrator may give it"
    )
    worker_id: int | None
    sees_persons: bool = Field(
        description="Sees special-population persons one by one (the layer's features, the"
        " visits-due list); False: as counts only, or not at all"
    )
    must_change_password: bool = Field(
        description="Change the password before anything else (see password_change_reason)"
    )
    password_change_reason: str | None = Field(
        description="Why: set by an administrator, or older than the deployment allows (Chinese)"
    )
    password_rule: str = Field(description="The rules a new password must meet (Chinese)")
    session_expires_at: datetime | None = Field(
        default=None,
        description="When this login stops being accepted (the token's expiry): the big screen "
        "warns before it and keeps its last figures after it (trial AR M4)",
    )


@router.post(
    "/auth/token",
    response_model=Token,
    responses={
        401: {"description": "Wrong credentials"},
        423: {"description": "Locked"},
        429: {"description": "Too many failed logins from this address (Retry-After)"},
    },
)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    session: UnscopedSessionDep,
    settings: SettingsDep,
) -> Token:
    """Log in with user name and password; returns a Bearer token and sets the console cookie.

    Every attempt is audited (a name no account has, masked: it may be a password typed in
    the wrong box). After repeated failures the account is locked (423), except at the address
    its owner last logged in from (:func:`layers.accounts.authenticate`); a name no account
    has is answered alike, so the answers do not tell which names exist. When failures from one
    address within its window spread over ``login_throttle.max_names`` names, that address is
    answered 429 (``Retry-After``) without its attempts being checked or counted against any
    account, except under the name of an account that last logged in from that address, whose
    password is checked as usual.
    """
    now = utcnow()
    where = client_address(request)
    address = login_address(request, settings)
    rules = settings.login_throttle
    wait = None if address is None else login_throttle.retry_after(session, address, now, rules)
    try:
        if wait is not None and accounts.last_login_address(session, form.username) != address:
            raise too_many_attempts(wait)
        try:
            user = accounts.authenticate(
                session,
                form.username,
                form.password,
                now=now,
                lockout=settings.lockout,
                address=address,
                names_key=settings.login_names_key(),
            )
        except AuthenticationFailed:
            if address is not None:
                login_throttle.count_failure(
                    session, address, form.username, now, rules, key=settings.login_names_key()
                )
            raise
    except (AuthenticationFailed, TooManyAttempts) as exc:
        audit.record(
            session,
            actor_id=None,
            actor_name=accounts.login_name_for_audit(session, form.username),
            action="login",
            object_type="user",
            outcome="denied",
            reason=(
                audit.LOGIN_THROTTLED
                if isinstance(exc, TooManyAttempts)
                else audit.LOGIN_LOCKED
                if isinstance(exc, AccountLocked)
                else audit.LOGIN_DISABLED
                if isinstance(exc, accounts.DisabledAccountLogin)
                else audit.LOGIN_BAD_CREDENTIALS
            ),
            detail=where,
        )
        session.commit()
        raise
    audit.record(
        session,
        actor_id=user.id,
        actor_name=user.username,
        action="login",
        object_type="user",
        object_id=str(user.id),
        detail=where,
    )
    session.commit()
    return _signed_in(settings, response, user.id, now=now)


RENEW_ACTION = "login.renew"
"""The audit action of a renewed login (``POST /api/auth/renew``)."""


@router.post(
    "/auth/renew",
    response_model=Token,
    responses={
        401: {"description": "No valid login to renew"},
        403: {"description": "The password must change first, or the login is too old"},
        423: {"description": "Locked"},
    },
)
def renew(
    request: Request,
    response: Response,
    user: CurrentUser,
    session: UnscopedSessionDep,
    settings: SettingsDep,
) -> Token:
    """Renew a still-valid login: a fresh token (also set as the console cookie), audited.

    The console asks for it while its user is active, before the login expires (trial AZ M6):
    a desk or phone on night duty is not logged out mid-shift. A disabled account, a token
    ended or older than the last password change are refused as for any request (401), as is an
    account whose password must change first (403); a locked account is refused 423, and a login
    whose password was given more than :data:`api.auth.RENEW_MAX` ago 403 (log in again). The
    renewed token keeps the first login's time; the old one is left to expire by itself (another
    tab of the same browser may be renewing with it at the same moment).
    """
    now = utcnow()
    token = _bearer(request) or request.cookies.get(settings.cookie_name) or ""
    signed_in_at = token_subject(settings, token).signed_in_at
    account = session.get(User, user.id)
    refused: DomainError | None = None
    if account is not None and account.locked_until is not None and account.locked_until > now:
        refused = AccountLocked(
            "账户已锁定，无法续期登录，请稍后重新登录", until=account.locked_until
        )
    elif now - signed_in_at > RENEW_MAX:
        hours = int(RENEW_MAX.total_seconds() // 3600)
        refused = Forbidden(f"登录已超过 {hours} 小时，不能再续期，请保存后重新登录")
    audit.record(
        session,
        actor_id=user.id,
        actor_name=user.username,
        action=RENEW_ACTION,
        object_type="user",
        object_id=str(user.id),
        outcome="ok" if refused is None else "denied",
        reason=None if refused is None else str(refused),
        detail=client_address(request),
    )
    session.commit()
    if refused is not None:
        raise refused
    return _signed_in(settings, response, user.id, now=now, signed_in_at=signed_in_at)


def _signed_in(
    settings: ApiSettings,
    response: Response,
    user_id: int,
    *,
    now: datetime,
    signed_in_at: datetime | None = None,
) -> Token:
    """Issue a token for ``user_id``, set it as the console cookie, and return it."""
    issued = issue_token(settings, user_id, now=now, signed_in_at=signed_in_at)
    response.set_cookie(
        settings.cookie_name,
        issued.token,
        max_age=settings.token_minutes * 60,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path="/",
    )
    return Token(access_token=issued.token, expires_in=settings.token_minutes * 60)


@router.post("/auth/logout", status_code=204, response_class=Response)
def logout(request: Request, session: UnscopedSessionDep, settings: SettingsDep) -> Response:
    """Log out: end this session (its token is refused from now on) and clear the console cookie.

    Audited when the token was still valid; an ended or invalid one only clears the cookie.
    """
    try:
        user = get_current_user(request, session, settings, _bearer(request))
    except DomainError:
        user = None
    if user is not None and user.token_id is not None and user.token_expires_at is not None:
        accounts.end_session(
            session,
            user_id=user.id,
            token_id=user.token_id,
            expires_at=user.token_expires_at,
            now=utcnow(),
        )
        audit.record(
            session,
            actor_id=user.id,
            actor_name=user.username,
            action="logout",
            object_type="user",
            object_id=str(user.id),
            detail=client_address(request),
        )
        session.commit()
    response = Response(status_code=204)
    response.delete_cookie(settings.cookie_name, path="/")
    return response


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@router.get("/me", response_model=Me)
def me(user: CurrentUser, settings: SettingsDep) -> Me:
    """Return the current user, role and scope, and whether the password must change first."""
    due = accounts.password_change_due(
        must_change=user.must_change_password,
        changed_at=user.password_changed_at or utcnow(),
        policy=settings.password_policy,
        now=utcnow(),
    )
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        role_label=Role.labels().get(user.role, user.role),
        scope_code=user.scope_code,
        can_unmask=accounts.unmask_effective(
            user.role, can_unmask=user.can_unmask, scope_code=user.scope_code
        ),
        unmask_refusal=accounts.unmask_refusal(user.role, user.scope_code),
        worker_id=user.worker_id,
        sees_persons=catalog.sees_persons_individually(user.role, user.scope_code),
        must_change_password=due is not None,
        password_change_reason=due,
        password_rule=settings.password_policy.describe(),
        session_expires_at=user.token_expires_at,
    )


class PasswordChange(BaseModel):
    """The current password and the new one."""

    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


@router.post(
    "/me/password",
    response_model=Token,
    responses={
        422: {"description": "Wrong current password, or a weak or unchanged new one"},
        423: {"description": "Locked"},
    },
)
def change_own_password(
    body: PasswordChange,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: UnscopedSessionDep,
    settings: SettingsDep,
) -> Token:
    """Change your own password; returns a new token (also set as the console cookie).

    A wrong current password counts as a failed login (5 in a row lock the account). Every
    other session of the account ends: tokens issued before the change are refused. Audited,
    also when refused.
    """
    now = utcnow()
    refused: DomainError | None = None
    try:
        accounts.change_password(
            session,
            user.username,
            body.current_password,
            body.new_password,
            now=now,
            lockout=settings.lockout,
            policy=settings.password_policy,
        )
    except DomainError as exc:  # committed all the same: a wrong password is counted
        refused = exc
    audit.record(
        session,
        actor_id=user.id,
        actor_name=user.username,
        action="user.password_changed",
        object_type="user",
        object_id=str(user.id),
        outcome="ok" if refused is None else "denied",
        reason=None if refused is None else str(refused),
        detail=client_address(request),
    )
    session.commit()
    if refused is not None:
        raise refused
    return _signed_in(settings, response, user.id, now=now)
