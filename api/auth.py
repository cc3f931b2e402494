"""Access tokens: HS256 JWTs naming the user, issued at login and checked on every request.

Each token carries an id of its own (``jti``, random): logging out ends that token only
(:func:`layers.accounts.end_session`), and every request refuses an ended one
(:mod:`api.deps`). A token without an id (issued before ids were given) is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from api.settings import ApiSettings
from layers.errors import AuthenticationFailed

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
    """

    user_id: int
    issued_at: datetime
    expires_at: datetime
    token_id: str


def issue_token(settings: ApiSettings, user_id: int, *, now: datetime) -> IssuedToken:
    """Issue an access token for ``user_id``.

    Parameters
    ----------
    settings : ApiSettings
        Key and lifetime.
    user_id : int
        The account.
    now : datetime
        Issue time (timezone-aware).

    Returns
    -------
    IssuedToken
        The token, its expiry and its id.
    """
    expires = now + timedelta(minutes=settings.token_minutes)
    token_id = secrets.token_urlsafe(16)
    claims = {"sub": str(user_id), "iss": ISSUER, "iat": now, "exp": expires, "jti": token_id}
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
        return TokenClaims(
            user_id=int(claims["sub"]),
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            token_id=token_id,
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise AuthenticationFailed(EXPIRED) from exc
