"""Where the platform keeps its data and which database it talks to."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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


ARGON2_VARIABLE = "ZONGZHI_ARGON2"
"""The environment variable of the argon2id hash's cost (:class:`Argon2Cost`)."""


@dataclass(frozen=True)
class Argon2Cost:
    """The cost of the argon2id hash of passwords: ``$ZONGZHI_ARGON2``, as ``m=65536,t=3,p=4``.

    The defaults are argon2-cffi's (pwdlib's) own, the second profile RFC 9106 recommends: a
    deployment leaves the variable unset. The test suite sets the lightest cost argon2 accepts
    (``m=8,t=1,p=1``), as Django's documentation advises a fast hasher in tests, since every
    login of every test checks a hash. A hash records the cost it was made with, so one made
    at another cost is still checked, and rehashed at this one on its next login.

    Attributes
    ----------
    memory_kib : int
        Memory, KiB (``m``); at least 8 per lane.
    time_cost : int
        Passes over the memory (``t``); at least 1.
    parallelism : int
        Lanes (``p``); at least 1.
    """

    memory_kib: int = 65536
    time_cost: int = 3
    parallelism: int = 4

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Argon2Cost:
        """Read the cost from ``$ZONGZHI_ARGON2`` in ``environ`` (default: ``os.environ``).

        Parameters
        ----------
        environ : mapping, optional
            The environment; the variable unset or empty gives the default cost.

        Returns
        -------
        Argon2Cost
            The cost.

        Raises
        ------
        ValueError
            The variable does not read as a cost (:meth:`parse`).

        Examples
        --------
        >>> Argon2Cost.from_env({}) == Argon2Cost()
        True
        >>> Argon2Cost.from_env({"ZONGZHI_ARGON2": "m=8,t=1,p=1"}).memory_kib
        8
        """
        env = os.environ if environ is None else environ
        text = env.get(ARGON2_VARIABLE)
        return cls.parse(text) if text else cls()

    @classmethod
    def parse(cls, text: str) -> Argon2Cost:
        """Read a cost written as in an argon2 hash, ``m=…,t=…,p=…`` (any order, all three).

        Parameters
        ----------
        text : str
            The cost.

        Returns
        -------
        Argon2Cost
            The cost.

        Raises
        ------
        ValueError
            Not three whole numbers named m, t and p, or a cost argon2 refuses.

        Examples
        --------
        >>> Argon2Cost.parse("m=8,t=1,p=1")
        Argon2Cost(memory_kib=8, time_cost=1, parallelism=1)
        >>> Argon2Cost.parse("t=3, p=4, m=65536") == Argon2Cost()
        True
        """
        said = f"${ARGON2_VARIABLE} must read m=<KiB>,t=<passes>,p=<lanes>, got {text!r}"
        values: dict[str, int] = {}
        for part in text.split(","):
            key, _, value = part.strip().partition("=")
            if key not in ("m", "t", "p") or key in values:
                raise ValueError(said)
            try:
                values[key] = int(value)
            except ValueError:
                raise ValueError(said) from None
        if len(values) != 3:
            raise ValueError(said)
        cost = cls(memory_kib=values["m"], time_cost=values["t"], parallelism=values["p"])
        if cost.time_cost < 1 or cost.parallelism < 1 or cost.memory_kib < 8 * cost.parallelism:
            raise ValueError(f"{said}: argon2 needs t ≥ 1, p ≥ 1 and m ≥ 8 × p")
        return cost


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
    argon2 : Argon2Cost
        ``$ZONGZHI_ARGON2``: the cost of the argon2id hash of passwords (the default unset).
    """

    home: Path
    database_url: str | None
    app_database_url: str | None
    argon2: Argon2Cost = field(default_factory=Argon2Cost)

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
        >>> Settings.from_env({}).argon2
        Argon2Cost(memory_kib=65536, time_cost=3, parallelism=4)
        """
        env = os.environ if environ is None else environ
        home = Path(env.get("ZONGZHI_HOME") or DEFAULT_HOME).expanduser()
        return cls(
            home=home,
            database_url=env.get("ZONGZHI_DATABASE_URL") or None,
            app_database_url=env.get("ZONGZHI_APP_DATABASE_URL") or None,
            argon2=Argon2Cost.from_env(env),
        )

    @property
    def pg_dir(self) -> Path:
        """Folder of the embedded PostgreSQL cluster."""
        return self.home / "pg"

    @property
    def embedded(self) -> bool:
        """Whether the platform runs its own cluster (no external server configured)."""
        return self.database_url is None
