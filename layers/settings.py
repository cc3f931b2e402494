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


ARGON2_VARIABLE = "ZONGZHI_ARGON2"
"""The environment variable of the argon2id hash's cost (:class:`Argon2Cost`)."""
ARGON2_WEAK_VARIABLE = "ZONGZHI_ARGON2_WEAK_OK"
"""Set to ``1`` where a cost under OWASP's minimum is meant (the test suite, a development
machine): without it such a ``$ZONGZHI_ARGON2`` is refused (:meth:`Argon2Cost.from_env`)."""
OWASP_MINIMUMS: tuple[tuple[int, int], ...] = (
    (47104, 1),
    (19456, 2),
    (12288, 3),
    (9216, 4),
    (7168, 5),
)
"""OWASP's argon2id profiles (Password Storage Cheat Sheet), as (memory KiB, passes), one lane
each: equally strong, trading memory for passes. A cost is strong enough when it has the memory
and the passes of one of them (:meth:`Argon2Cost.meets_owasp`)."""


class Argon2CostRefused(ValueError):
    """``$ZONGZHI_ARGON2`` refused (:meth:`Argon2Cost.from_env`).

    It does not read as a cost, or reads as one under OWASP's minimum without
    :data:`ARGON2_WEAK_VARIABLE`.
    """


@dataclass(frozen=True)
class Argon2Cost:
    """The cost of the argon2id hash of passwords: ``$ZONGZHI_ARGON2``, as ``m=65536,t=3,p=4``.

    The defaults are argon2-cffi's (pwdlib's) own, the second profile RFC 9106 recommends: a
    deployment leaves the variable unset. The test suite sets the lightest cost argon2 accepts
    (``m=8,t=1,p=1``), as Django's documentation advises a fast hasher in tests, since every
    login of every test checks a hash; it sets :data:`ARGON2_WEAK_VARIABLE` too, without which
    a cost under OWASP's minimum is refused (:meth:`from_env`). A hash records the cost it was
    made with, so one made at another cost is still checked, and rehashed at this one on its
    next login.

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

        A cost under OWASP's minimum (:meth:`meets_owasp`) is refused, in Chinese and English,
        unless ``$ZONGZHI_ARGON2_WEAK_OK`` is ``1``: the suite's light cost, copied to a
        server's environment, would leave its password hashes cheap to guess, and a warning in
        a log nobody reads would let it be. It is read, and refused, by what hashes or checks
        passwords only: the password hasher (:func:`layers.accounts.password_hasher`), the
        API's settings (so as ``zongzhi serve`` starts, not at a login) and ``zongzhi demo``
        as it starts; :class:`Settings` does not read it, so ``zongzhi db stop``, ``db
        status`` or an import run whatever it holds.

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
        Argon2CostRefused
            The variable does not read as a cost (:meth:`parse`), or reads as one under
            OWASP's minimum without :data:`ARGON2_WEAK_VARIABLE`.

        Examples
        --------
        >>> Argon2Cost.from_env({}) == Argon2Cost()
        True
        >>> Argon2Cost.from_env({"ZONGZHI_ARGON2": "m=19456,t=2,p=1"}).memory_kib
        19456
        >>> weak = {"ZONGZHI_ARGON2": "m=8,t=1,p=1", "ZONGZHI_ARGON2_WEAK_OK": "1"}
        >>> Argon2Cost.from_env(weak).memory_kib
        8
        >>> Argon2Cost.from_env({"ZONGZHI_ARGON2": "m=8,t=1,p=1"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        layers.settings.Argon2CostRefused: $ZONGZHI_ARGON2 的密码哈希强度低于 OWASP 最低要求...
        """
        env = os.environ if environ is None else environ
        text = env.get(ARGON2_VARIABLE)
        try:
            cost = cls.parse(text) if text else cls()
        except ValueError as exc:
            raise Argon2CostRefused(str(exc)) from None
        if not cost.meets_owasp() and env.get(ARGON2_WEAK_VARIABLE, "") != "1":
            raise Argon2CostRefused(weak_cost_message(text or ""))
        return cost

    def meets_owasp(self) -> bool:
        """Return whether the cost has the memory and passes of one of :data:`OWASP_MINIMUMS`.

        Returns
        -------
        bool
            At least as strong as an OWASP profile; lanes are not asked for (more lanes split
            the same memory, argon2 itself holds ``m ≥ 8 × p``).

        Examples
        --------
        >>> Argon2Cost().meets_owasp(), Argon2Cost(19456, 2, 1).meets_owasp()
        (True, True)
        >>> Argon2Cost(19455, 2, 1).meets_owasp(), Argon2Cost(47104, 1, 1).meets_owasp()
        (False, True)
        >>> Argon2Cost(65536, 1, 4).meets_owasp(), Argon2Cost(8, 1, 1).meets_owasp()
        (True, False)
        """
        return any(
            self.memory_kib >= memory and self.time_cost >= passes
            for memory, passes in OWASP_MINIMUMS
        )

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
            Not three whole numbers named m, t and p, or a cost argon2 refuses: said in
            Chinese, then English (:func:`malformed_cost_message`).

        Examples
        --------
        >>> Argon2Cost.parse("m=8,t=1,p=1")
        Argon2Cost(memory_kib=8, time_cost=1, parallelism=1)
        >>> Argon2Cost.parse("t=3, p=4, m=65536") == Argon2Cost()
        True
        >>> Argon2Cost.parse("m=65536,t=3")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: $ZONGZHI_ARGON2 的写法无法识别：m=65536,t=3。应写成 m=内存（KiB）,t=...
        """
        said = malformed_cost_message(text)
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
            raise ValueError(malformed_cost_message(text, limits=True))
        return cost


def malformed_cost_message(text: str, *, limits: bool = False) -> str:
    """Return why a ``$ZONGZHI_ARGON2`` that is not a cost is refused (Chinese, then English).

    Parameters
    ----------
    text : str
        The variable as set.
    limits : bool
        It reads as a cost, but one argon2 refuses (``t`` or ``p`` under 1, ``m`` under 8 KiB
        a lane).

    Returns
    -------
    str
        The refusal, naming the variable and the form it takes.

    Examples
    --------
    >>> print(malformed_cost_message("m=64MiB,t=3,p=4"))  # doctest: +ELLIPSIS
    $ZONGZHI_ARGON2 的写法无法识别：m=64MiB,t=3,p=4。应写成 m=内存（KiB）,t=迭代次数,p=并行度...
    >>> print(malformed_cost_message("m=8,t=1,p=2", limits=True))  # doctest: +ELLIPSIS
    $ZONGZHI_ARGON2 的写法无法识别：m=8,t=1,p=2。argon2 要求 t、p 至少为 1，m 至少为 8 × p；...
    """
    rule = "argon2 要求 t、p 至少为 1，m 至少为 8 × p；" if limits else ""
    english = ": argon2 needs t ≥ 1, p ≥ 1 and m ≥ 8 × p" if limits else ""
    return (
        f"${ARGON2_VARIABLE} 的写法无法识别：{text}。{rule}"
        "应写成 m=内存（KiB）,t=迭代次数,p=并行度，三项都是整数，如默认的 m=65536,t=3,p=4；"
        "正式部署也可删除该变量，使用默认值。"
        f" / ${ARGON2_VARIABLE} must read m=<KiB>,t=<passes>,p=<lanes>, got {text!r}{english}"
    )


def weak_cost_message(text: str) -> str:
    """Return why a ``$ZONGZHI_ARGON2`` under OWASP's minimum is refused (Chinese, then English).

    Parameters
    ----------
    text : str
        The variable as set.

    Returns
    -------
    str
        The refusal, naming the minimum and :data:`ARGON2_WEAK_VARIABLE`.

    Examples
    --------
    >>> print(weak_cost_message("m=8,t=1,p=1"))  # doctest: +ELLIPSIS
    $ZONGZHI_ARGON2 的密码哈希强度低于 OWASP 最低要求（m=19456,t=2,p=1）：...
    """
    return (
        f"${ARGON2_VARIABLE} 的密码哈希强度低于 OWASP 最低要求（m=19456,t=2,p=1）："
        f"{text}。正式部署请删除该变量（使用默认的 m=65536,t=3,p=4）或调高；"
        f"仅测试、开发环境可另设 {ARGON2_WEAK_VARIABLE}=1 允许。"
        f" / ${ARGON2_VARIABLE}={text} is below OWASP's minimum for argon2id "
        f"(m=19456,t=2,p=1, or m=47104,t=1,p=1): unset it on a server (default "
        f"m=65536,t=3,p=4) or raise it; set {ARGON2_WEAK_VARIABLE}=1 only for tests "
        "or development."
    )


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

    The cost of passwords (``$ZONGZHI_ARGON2``) is not among them: it is read where passwords
    are hashed (:meth:`Argon2Cost.from_env`), so that a weak one stops those commands only.
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
        >>> Settings.from_env({"ZONGZHI_ARGON2": "m=8,t=1,p=1"}).embedded  # not read here
        True
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
