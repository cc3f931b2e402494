"""Access tokens: HS256 JWTs naming the user, issued at login and checked on every request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from api.settings import ApiSettings
from layers.errors import AuthenticationFailed

ALGORITHM = "HS256"
ISSUER = "zongzhi"


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token.

    Attributes
    ----------
    token : str
        The encoded JWT.
    expires_at : datetime
        When it stops being accepted.
    """

    token: str
    expires_at: datetime


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
        The token and its expiry.
    """
    expires = now + timedelta(minutes=settings.token_minutes)
    claims = {"sub": str(user_id), "iss": ISSUER, "iat": now, "exp": expires}
    return IssuedToken(jwt.encode(claims, settings.token_key(), algorithm=ALGORITHM), expires)


def token_subject(settings: ApiSettings, token: str) -> tuple[int, datetime]:
    """Check a token and return its user id and issue time.

    Parameters
    ----------
    settings : ApiSettings
        Key.
    token : str
        The encoded JWT.

    Returns
    -------
    tuple
        ``(user_id, issued_at)``.

    Raises
    ------
    AuthenticationFailed
        Bad signature, expired, wrong issuer or malformed.
    """
    try:
        claims = jwt.decode(
            token,
            settings.token_key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "iss"]},
        )
        return int(claims["sub"]), datetime.fromtimestamp(int(claims["iat"]), UTC)
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise AuthenticationFailed("登录已过期或无效，请重新登录") from exc
