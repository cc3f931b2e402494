"""Login (OAuth2 password flow → JWT, also set as an HttpOnly cookie), logout, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.auth import issue_token
from api.deps import (
    CurrentUser,
    SettingsDep,
    UnscopedSessionDep,
    client_address,
    get_current_user,
    utcnow,
)
from layers import accounts, audit
from layers.errors import AccountLocked, AuthenticationFailed, DomainError
from layers.model import Role

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
    worker_id: int | None


@router.post(
    "/auth/token",
    response_model=Token,
    responses={401: {"description": "Wrong credentials"}, 423: {"description": "Locked"}},
)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    session: UnscopedSessionDep,
    settings: SettingsDep,
) -> Token:
    """Log in with user name and password; returns a Bearer token and sets the console cookie.

    Every attempt is audited. After repeated failures the account is locked (423).
    """
    now = utcnow()
    where = client_address(request)
    try:
        user = accounts.authenticate(
            session, form.username, form.password, now=now, lockout=settings.lockout
        )
    except AuthenticationFailed as exc:
        audit.record(
            session,
            actor_id=None,
            actor_name=form.username,
            action="login",
            object_type="user",
            outcome="denied",
            reason="locked" if isinstance(exc, AccountLocked) else "bad credentials",
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
    issued = issue_token(settings, user.id, now=now)
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
    """Log out: clear the console cookie (and audit it when the caller is known)."""
    try:
        user = get_current_user(request, session, settings, _bearer(request))
    except DomainError:
        user = None
    if user is not None:
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
def me(user: CurrentUser) -> Me:
    """Return the current user, role and scope."""
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
        worker_id=user.worker_id,
    )
