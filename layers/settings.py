"""Where the platform keeps its data and which database it talks to."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path.home() / ".local" / "share" / "zongzhi"


def env_int(env: Mapping[str, str], name: str, default: int) -> int:
    """Return the whole number in the environment variable ``name``, else ``default``.

    Parameters
    ----------
    env : mapping
        The environment.
    name : str
        The variable.
    default : int
        The value when the variable is unset or empty.

    Returns
    -------
    int
        The number.

    Raises
    ------
    ValueError
        The variable holds something else than a whole number.

    Examples
    --------
    >>> env_int({"ZONGZHI_TOKEN_MINUTES": "60"}, "ZONGZHI_TOKEN_MINUTES", 480)
    60
    >>> env_int({}, "ZONGZHI_TOKEN_MINUTES", 480)
    480
    """
    value = env.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"${name} must be an integer, got {value!r}") from None


@dataclass(frozen=True)
class Settings:
    """Process-wide configuration, read once from the environment.

    Attributes
    ----------
    home : pathlib.Path
        ``$ZONGZHI_HOME``: the embedded cluster (``pg/``), secrets and caches live here.
    database_url : str or None
        ``$ZONGZHI_DATABASE_URL``: an existing server to use (owner role, runs migrations).
        ``None`` means the embedded cluster under ``home``.
    app_database_url : str or None
        ``$ZONGZHI_APP_DATABASE_URL``: how the application connects (a role that does not own the
        tables, so row-level security applies). ``None`` means: the embedded cluster's app role,
        or, with an external server, the owner URL with ``SET ROLE zongzhi_app`` per transaction.
    """

    home: Path
    database_url: str | None
    app_database_url: str | None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (default: ``os.environ``).

        Parameters
        ----------
        environ : dict, optional
            Environment mapping to read.

        Returns
        -------
        Settings
            The configuration.

        Examples
        --------
        >>> Settings.from_env({"ZONGZHI_HOME": "/srv/zz"}).pg_dir
        PosixPath('/srv/zz/pg')
        """
        env = os.environ if environ is None else environ
        home = Path(env.get("ZONGZHI_HOME") or DEFAULT_HOME).expanduser()
        return cls(
            home=home,
            database_url=env.get("ZONGZHI_DATABASE_URL") or None,
            app_database_url=env.get("ZONGZHI_APP_DATABASE_URL") or None,
        )

    @property
    def pg_dir(self) -> Path:
        """Folder of the embedded PostgreSQL cluster."""
        return self.home / "pg"

    @property
    def embedded(self) -> bool:
        """Whether the platform runs its own cluster (no external server configured)."""
        return self.database_url is None
