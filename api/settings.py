"""Settings of the web API, injected into :func:`api.app.create_app`."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from layers.accounts import LockoutPolicy, LoginThrottle, PasswordPolicy
from layers.database import DatabaseUrls
from layers.secrets import Keys, platform_keys
from layers.settings import Argon2Cost, Settings, env_int

JWT_SECRET_VARIABLE = "ZONGZHI_JWT_SECRET"


@dataclass(frozen=True)
class ApiSettings:
    """Configuration of the API process.

    Attributes
    ----------
    database : layers.settings.Settings
        Where the platform home and the database are.
    urls : DatabaseUrls, optional
        Database URLs to use; resolved from ``database`` at start-up when omitted.
    jwt_secret : str, optional
        Key signing access tokens (``$ZONGZHI_JWT_SECRET``); derived from the platform keys
        when omitted.
    keys : layers.secrets.Keys, optional
        The platform keys (unsealing resident IDs); read with
        :func:`layers.secrets.platform_keys` when omitted.
    token_minutes : int
        Lifetime of an access token (``$ZONGZHI_TOKEN_MINUTES``).
    cookie_name : str
        Name of the HttpOnly cookie carrying the token for the web console.
    cookie_secure : bool
        Mark the cookie ``Secure`` (``$ZONGZHI_COOKIE_SECURE=1`` behind HTTPS).
    password_policy : layers.accounts.PasswordPolicy
        Password rules (``$ZONGZHI_PASSWORD_MIN_LENGTH``, ``$ZONGZHI_PASSWORD_MIN_CLASSES``).
    lockout : layers.accounts.LockoutPolicy
        Lockout rules (``$ZONGZHI_LOCKOUT_FAILURES``, ``$ZONGZHI_LOCKOUT_MINUTES``).
    login_throttle : layers.accounts.LoginThrottle
        How many different login names may fail from one client address before it waits
        (``$ZONGZHI_LOGIN_THROTTLE_NAMES``, 10), within how many minutes
        (``$ZONGZHI_LOGIN_THROTTLE_MINUTES``, 15), and
        whether the client's address is read from ``X-Forwarded-For``
        (``$ZONGZHI_TRUST_PROXY=1``, only behind a proxy that sets it; not by default).
    tile_max_age : int
        ``Cache-Control: private, max-age`` of tiles, seconds.
    pool_size : int
        Connections kept by the database pool.
    cache_mb : int
        Memory per process for cached tiles (``$ZONGZHI_CACHE_MB``; ``0`` turns the tile and
        count caches off), see :mod:`api.caches`.
    upload_mb : int
        Largest file the console may upload for import, MiB (``$ZONGZHI_UPLOAD_MB``).
    """

    database: Settings
    urls: DatabaseUrls | None = None
    jwt_secret: str | None = None
    keys: Keys | None = None
    token_minutes: int = 480
    cookie_name: str = "zongzhi_token"
    cookie_secure: bool = False
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    tile_max_age: int = 60
    pool_size: int = 10
    cache_mb: int = 64
    upload_mb: int = 200

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """Read the settings from ``environ`` (default: ``os.environ``).

        Parameters
        ----------
        environ : mapping, optional
            Environment to read.

        Returns
        -------
        ApiSettings
            The configuration.

        Raises
        ------
        layers.settings.Argon2CostRefused
            ``$ZONGZHI_ARGON2`` under OWASP's minimum (or unreadable): the API hashes and checks
            passwords, so ``zongzhi serve`` refuses it as it starts, not at a first login.

        Examples
        --------
        >>> s = ApiSettings.from_env({"ZONGZHI_HOME": "/srv/zz", "ZONGZHI_TOKEN_MINUTES": "60"})
        >>> s.token_minutes, s.lockout.max_failures, s.login_throttle.trust_proxy
        (60, 5, False)
        """
        env = os.environ if environ is None else environ
        Argon2Cost.from_env(env)  # refused here; the hasher reads it again (accounts)
        return cls(
            database=Settings.from_env(dict(env)),
            jwt_secret=env.get(JWT_SECRET_VARIABLE) or None,
            token_minutes=env_int(env, "ZONGZHI_TOKEN_MINUTES", 480),
            cookie_secure=env.get("ZONGZHI_COOKIE_SECURE", "") in ("1", "true", "yes"),
            password_policy=PasswordPolicy.from_env(env),
            lockout=LockoutPolicy(
                max_failures=env_int(env, "ZONGZHI_LOCKOUT_FAILURES", 5),
                lock_minutes=env_int(env, "ZONGZHI_LOCKOUT_MINUTES", 30),
            ),
            login_throttle=LoginThrottle(
                max_names=env_int(env, "ZONGZHI_LOGIN_THROTTLE_NAMES", 10),
                window_minutes=env_int(env, "ZONGZHI_LOGIN_THROTTLE_MINUTES", 15),
                trust_proxy=env.get("ZONGZHI_TRUST_PROXY", "") in ("1", "true", "yes"),
            ),
            tile_max_age=env_int(env, "ZONGZHI_TILE_MAX_AGE", 60),
            cache_mb=env_int(env, "ZONGZHI_CACHE_MB", 64),
            upload_mb=env_int(env, "ZONGZHI_UPLOAD_MB", 200),
        )

    def platform_keys(self) -> Keys:
        """Return the platform keys (given, or read from the platform home).

        Returns
        -------
        layers.secrets.Keys
            The keys.
        """
        return self.keys if self.keys is not None else platform_keys(self.database)

    def token_key(self) -> bytes:
        """Return the HS256 key of access tokens.

        Returns
        -------
        bytes
            ``jwt_secret`` when set, else an HMAC of a fixed label under the platform's HMAC key
            (so the signing key is never one of the stored keys itself).
        """
        if self.jwt_secret:
            return self.jwt_secret.encode("utf-8")
        return hmac.new(self.platform_keys().hmac_key, b"zongzhi jwt v1", hashlib.sha256).digest()

    def login_names_key(self) -> bytes:
        """Return the key hashing login names no account has (their failures are counted).

        Returns
        -------
        bytes
            An HMAC of a fixed label under the platform's HMAC key: the same across restarts,
            so a restart forgets no count (:func:`layers.accounts.unknown_name_digest`).
        """
        label = b"zongzhi unknown login names v1"
        return hmac.new(self.platform_keys().hmac_key, label, hashlib.sha256).digest()
