"""Access tokens, and the throttle of failed logins per client address.

Tokens: HS256 JWTs naming the user, issued at login and checked on every request. Each token
carries an id of its own (``jti``, random): logging out ends that token only
(:func:`layers.accounts.end_session`), and every request refuses an ended one
(:mod:`api.deps`). A token without an id (issued before ids were given) is refused.

Throttle (:mod:`layers.login_throttle`): failures under one login name are left to that name's
own lock (:func:`layers.accounts.authenticate`), so a colleague who forgot a password, or a
script guessing one account, does not stop everyone else behind the same address (a 综治中心's
desks share one NAT address, grid workers' phones a carrier's). When failures from one client
address within the throttle's window spread over :attr:`layers.accounts.LoginThrottle.max_names`
different names (one password sprayed over the accounts, or one account locked after another),
that address is answered 429 (with ``Retry-After``, :func:`too_many_attempts`) until the earliest
of those names' latest failures leaves the window, its attempts checked against no account and
counted against none. Except under a name whose account last logged in successfully from that
very address (:func:`layers.accounts.last_login_address`): the colleagues who worked from the
centre before keep logging in (their password checked, and counted, as usual). Only failures
count; logging in successfully, as the tests and the console do all day from one address, never
brings an address nearer the limit. The counts are kept in the database (names only as keyed
hashes): a restart lifts no throttle, and an administrator lists and lifts them (登录限制 on
账号管理, :mod:`api.routers.users`).
The address is the connection's, or the last ``X-Forwarded-For`` entry when the deployment says
a proxy sets it (:func:`login_address`).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Request

from api.settings import ApiSettings
from layers.errors import AuthenticationFailed, TooManyAttempts

ALGORITHM = "HS256"
ISSUER = "zongzhi"
EXPIRED = "登录已过期或无效，请重新登录"
"""What a request with an expired, ended (logged out) or otherwise invalid token is told."""
TOKEN_ID_MAX = 64
"""Longest token id accepted (the ``ended_sessions.token_id`` column)."""


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token.

    Attributes
    ----------
    token : str
        The encoded JWT.
    expires_at : datetime
        When it stops being accepted.
    token_id : str
        Its id (``jti``): what logging out records.
    """

    token: str
    expires_at: datetime
    token_id: str


@dataclass(frozen=True)
class TokenClaims:
    """What a checked token says.

    Attributes
    ----------
    user_id : int
        The account.
    issued_at : datetime
        Issue time (whole seconds, UTC).
    expires_at : datetime
        When it stops being accepted (UTC).
    token_id : str
        Its id (``jti``).
    signed_in_at : datetime
        When the account last gave its password (``auth_time``): a renewed token keeps it, so
        renewal stops :data:`RENEW_MAX` after it. The issue time for a token without it.
    """

    user_id: int
    issued_at: datetime
    expires_at: datetime
    token_id: str
    signed_in_at: datetime


RENEW_MAX = timedelta(hours=24)
"""How long after the password was given a login may still be renewed (``POST /api/auth/renew``,
trial AZ M6): a night shift and its morning, not for ever."""


def issue_token(
    settings: ApiSettings,
    user_id: int,
    *,
    now: datetime,
    signed_in_at: datetime | None = None,
) -> IssuedToken:
    """Issue an access token for ``user_id``.

    Parameters
    ----------
    settings : ApiSettings
        Key and lifetime.
    user_id : int
        The account.
    now : datetime
        Issue time (timezone-aware).
    signed_in_at : datetime, optional
        When the password was given (a renewal keeps the first login's); ``now`` by default.

    Returns
    -------
    IssuedToken
        The token, its expiry and its id.
    """
    expires = now + timedelta(minutes=settings.token_minutes)
    token_id = secrets.token_urlsafe(16)
    claims = {
        "sub": str(user_id),
        "iss": ISSUER,
        "iat": now,
        "exp": expires,
        "jti": token_id,
        "auth_time": int((signed_in_at or now).timestamp()),
    }
    encoded = jwt.encode(claims, settings.token_key(), algorithm=ALGORITHM)
    return IssuedToken(encoded, expires, token_id)


def token_subject(settings: ApiSettings, token: str) -> TokenClaims:
    """Check a token's signature, issuer and expiry, and return what it says.

    Whether its session was ended (logout, the account disabled, a new password) is the
    account's to say: :func:`api.deps.get_current_user`.

    Parameters
    ----------
    settings : ApiSettings
        Key.
    token : str
        The encoded JWT.

    Returns
    -------
    TokenClaims
        The account, issue and expiry times, and the token's id.

    Raises
    ------
    AuthenticationFailed
        Bad signature, expired, wrong issuer, no id, or malformed.
    """
    try:
        claims = jwt.decode(
            token,
            settings.token_key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "iss", "jti"]},
        )
        token_id = claims["jti"]
        if not isinstance(token_id, str) or not 0 < len(token_id) <= TOKEN_ID_MAX:
            raise ValueError("bad jti")
        issued_at = datetime.fromtimestamp(int(claims["iat"]), UTC)
        signed_in = claims.get("auth_time")
        return TokenClaims(
            user_id=int(claims["sub"]),
            issued_at=issued_at,
            signed_in_at=issued_at
            if signed_in is None
            else datetime.fromtimestamp(int(signed_in), UTC),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            token_id=token_id,
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise AuthenticationFailed(EXPIRED) from exc


def login_address(request: Request, settings: ApiSettings) -> str | None:
    """Return the client address a login is counted under.

    Parameters
    ----------
    request : fastapi.Request
        The login request.
    settings : ApiSettings
        Whether a proxy in front sets ``X-Forwarded-For`` (``login_throttle.trust_proxy``).

    Returns
    -------
    str or None
        The last ``X-Forwarded-For`` entry (what the proxy saw; the ones before it are the
        client's to write) when the proxy is trusted and the header is there, else the
        connection's address; None when neither is known.
    """
    if settings.login_throttle.trust_proxy:
        forwarded = [
            part.strip()
            for part in request.headers.get("x-forwarded-for", "").split(",")
            if part.strip()
        ]
        if forwarded:
            return forwarded[-1][:64]
    return request.client.host if request.client is not None else None


def too_many_attempts(seconds: int) -> TooManyAttempts:
    """Return the refusal of an address that failed too often.

    Parameters
    ----------
    seconds : int
        Until it may try again.

    Returns
    -------
    layers.errors.TooManyAttempts
        The error (429, ``Retry-After``), saying in minutes when to try again.

    Examples
    --------
    >>> str(too_many_attempts(61))
    '此地址登录失败次数过多，请 2 分钟后再试；忘记密码请联系管理员'
    """
    minutes = max(1, math.ceil(seconds / 60))
    return TooManyAttempts(
        f"此地址登录失败次数过多，请 {minutes} 分钟后再试；忘记密码请联系管理员",
        retry_after=seconds,
    )
