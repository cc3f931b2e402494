"""Time limits of cases: per category and risk level, configurable, with warnings before.

The defaults follow one centre's practice (contact the parties within 2 days, close mediation
within 30 days) and shorten the limits for higher risk. A deployment overrides them with a TOML
file (``$ZONGZHI_HOME/deadlines.toml``) of the same shape as :data:`DEFAULTS`::

    warn_fraction = 0.2
    [default]
    contact_days = 2
    close_days = 30
    [risk.1]
    contact_hours = 2
    close_days = 7
    accept_minutes = 15
    [category.safety_hazard]
    close_days = 10

A limit is given in days (``contact_days``, ``close_days``) or in hours (``contact_hours``,
``close_hours``: an emergency's, trial AZ M7), not both in one section. Category limits apply
first, then the risk limits may only shorten them. A ``[risk.N]`` section may also set
``accept_minutes``: how long a dispatch (派单) of a case at that risk may wait for its 受理
before it is flagged 已派单 N 分钟未受理 (:data:`ACCEPT_MINUTES`, :mod:`layers.urgency`), a
whole number of minutes from 1 to :data:`MAX_ACCEPT_MINUTES`; it is set per risk level only.
The server reads
the file with :func:`for_deployment`: a file it cannot use (not TOML, an unknown section, key,
category or risk level, a limit that is not a positive number of days or hours, a limit given
both in days and in hours, an ``accept_minutes`` that is not a whole number of minutes in range
or outside a ``[risk.N]`` section, a ``warn_fraction``
outside ``[0, 1)``) stops it at start-up with a :class:`DeadlineConfigError` naming the file and
the key. An edit while it runs applies from the next request; a broken edit is logged as an
error and the limits read before stay in force until the file is corrected.

Examples
--------
>>> from datetime import datetime, timezone
>>> start = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> limits = limits_for("dispute", 4)
>>> limits.contact_days, limits.close_days
(2.0, 30.0)
>>> status(start, start + limits.close, now=start.replace(day=28))
'warning'
"""

from __future__ import annotations

import logging
import math
import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from psycopg import sql
from sqlalchemy.orm import Session

from layers.china_time import CHINA
from layers.model.cases import Category

log = logging.getLogger(__name__)

CONFIG_NAME = "deadlines.toml"
"""Name of a deployment's deadline file in the platform home (``$ZONGZHI_HOME``)."""

DEFAULTS: dict[str, Any] = {
    "warn_fraction": 0.2,
    "default": {"contact_days": 2, "close_days": 30},
    "risk": {
        "1": {"contact_hours": 2, "close_days": 7},
        "2": {"contact_days": 1, "close_days": 15},
    },
    "category": {
        "safety_hazard": {"contact_days": 1, "close_days": 15},
    },
}
"""Built-in limits (days, or hours for ``*_hours``).

A red case (重大: a landslide, people trapped, a crowd gathering) is contacted within 2 hours of
its report, not half a day: at night a 12-hour limit let no storm case become late before the
morning (trial AZ M7). The others keep their limits in days.
"""

ACCEPT_MINUTES: dict[int, int] = {1: 15, 2: 30, 3: 60, 4: 60}
"""How long a dispatch (派单) may wait for its assignee's 受理, minutes, by risk level (built in).

A deployment sets its own in ``deadlines.toml`` (``accept_minutes`` of a ``[risk.N]`` section;
``config["accept_minutes"]`` of :func:`load`).

Past it the console's queue, the 调度台 and the wall say 已派单 N 分钟未受理
(:mod:`layers.urgency`), counted from the dispatch's time, so that the dispatcher calls the
assignee or dispatches again. A red case's quarter of an hour is what the trial AZ night's
dispatcher allowed a worker reached by phone before recalling and dispatching again
(「15分钟未受理，改派」); an orange case half an hour; a yellow or blue case's worker on his
round answers within the hour. Each is well inside the case's 联系时限, which the 受理 is the
first step towards.
"""

Status = Literal["ok", "warning", "overdue"]

WINDOW_KEYS = ("contact_days", "close_days")
"""The limits a section of the configuration may set, in days."""
HOUR_KEYS = {"contact_hours": "contact_days", "close_hours": "close_days"}
"""The same limits given in hours, each with the key in days it stands for."""
RISK_LEVELS = ("1", "2", "3", "4")
"""Keys of the ``[risk.N]`` sections."""
ACCEPT_KEY = "accept_minutes"
"""The key of a ``[risk.N]`` section setting :data:`ACCEPT_MINUTES` of that level."""
MAX_ACCEPT_MINUTES = 1440
"""Longest wait for a 受理 accepted, minutes (a day): a longer one is a typing error."""
SESSION_KEY = "zongzhi.accept_minutes"
"""Where :func:`bind` keeps a deployment's acceptance limits in a session's ``info``."""
MAX_DAYS = 3650.0
"""Longest limit accepted, days (ten years): a larger one is a typing error."""


def accept_limit(risk_level: int, minutes: Mapping[int, int] | None = None) -> timedelta:
    """Return how long a dispatch of a case at ``risk_level`` may wait for its 受理.

    Parameters
    ----------
    risk_level : int
        1 (red, highest) … 4 (blue).
    minutes : mapping of int to int, optional
        The limits in minutes by risk level (:func:`accept_minutes`); default
        :data:`ACCEPT_MINUTES`.

    Returns
    -------
    datetime.timedelta
        The level's limit (the longest for a level not listed).

    Examples
    --------
    >>> accept_limit(1), accept_limit(4)
    (datetime.timedelta(seconds=900), datetime.timedelta(seconds=3600))
    >>> accept_limit(1, {1: 10, 2: 20})
    datetime.timedelta(seconds=600)
    """
    table = ACCEPT_MINUTES if minutes is None else minutes
    return timedelta(minutes=table.get(risk_level, max(table.values())))


def bind(session: Session, config: dict[str, Any]) -> None:
    """Keep the acceptance limits of ``config`` on ``session`` for :func:`accept_minutes`.

    The API binds the deployment's configuration to each request's session, so that every read
    judging 已派单 N 分钟未受理 on it (:mod:`layers.urgency`) follows ``deadlines.toml``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session.
    config : dict
        From :func:`load` or :func:`for_deployment`.
    """
    session.info[SESSION_KEY] = config["accept_minutes"]


def accept_minutes(session: Session | None = None) -> dict[int, int]:
    """Return the acceptance limits in force on ``session``, minutes by risk level.

    Parameters
    ----------
    session : sqlalchemy.orm.Session, optional
        A session :func:`bind` was given the deployment's configuration; default (or an unbound
        session, as in a script) :data:`ACCEPT_MINUTES`.

    Returns
    -------
    dict of int to int
        Minutes by risk level 1–4 (do not modify it).

    Examples
    --------
    >>> accept_minutes()
    {1: 15, 2: 30, 3: 60, 4: 60}
    """
    if session is None:
        return ACCEPT_MINUTES
    found: dict[int, int] = session.info.get(SESSION_KEY, ACCEPT_MINUTES)
    return found


class DeadlineConfigError(ValueError):
    """A deadline file that cannot be used: not TOML, or not the shape of :data:`DEFAULTS`.

    The message starts with the file's path and names the offending key.
    """


@dataclass(frozen=True)
class Limits:
    """Time limits of one case.

    Attributes
    ----------
    contact_days : float
        Contact the parties within this many days of registration.
    close_days : float
        Close (resolve) within this many days.
    warn_fraction : float
        Warn in the last fraction of each window.
    """

    contact_days: float
    close_days: float
    warn_fraction: float = 0.2

    @property
    def contact(self) -> timedelta:
        """Contact window."""
        return timedelta(days=self.contact_days)

    @property
    def close(self) -> timedelta:
        """Closing window."""
        return timedelta(days=self.close_days)


def load(path: Path | None) -> dict[str, Any]:
    r"""Return the deadline configuration: :data:`DEFAULTS` overlaid with ``path`` if it exists.

    Parameters
    ----------
    path : pathlib.Path or None
        A TOML file of the shape of :data:`DEFAULTS` (every key optional); ``None`` or a
        missing file gives the defaults.

    Returns
    -------
    dict
        The merged configuration; every limit (in days: one given in hours is divided by 24)
        and ``warn_fraction`` a float; ``accept_minutes`` the minutes a dispatch may wait for
        its 受理 by risk level (int keys 1–4, :data:`ACCEPT_MINUTES` overlaid with the file's).

    Raises
    ------
    DeadlineConfigError
        The file cannot be read as UTF-8 TOML, or holds an unknown section, key, category or
        risk level, a limit that is not a number of days in ``(0, MAX_DAYS]`` (or of hours up
        to as many days), a limit given both in days and in hours, an ``accept_minutes`` that
        is not a whole number in ``[1, MAX_ACCEPT_MINUTES]`` or is outside a ``[risk.N]``
        section, or a ``warn_fraction`` outside ``[0, 1)``. Nothing of such a file is used.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "deadlines.toml"
    ...     _ = path.write_text('[default]\nclose_days = "ten"\n')
    ...     load(path)
    Traceback (most recent call last):
    ...
    layers.deadlines.DeadlineConfigError: .../deadlines.toml: [default] close_days must be a ...
    """
    config: dict[str, Any] = {
        "warn_fraction": float(DEFAULTS["warn_fraction"]),
        "default": _in_days(DEFAULTS["default"]),
        "risk": {k: _in_days(v) for k, v in DEFAULTS["risk"].items()},
        "category": {k: _in_days(v) for k, v in DEFAULTS["category"].items()},
        "accept_minutes": dict(ACCEPT_MINUTES),
    }
    if path is None or not path.exists():
        return config
    try:
        loaded = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DeadlineConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise DeadlineConfigError(f"{path}: cannot be read: {exc}") from exc
    _overlay(config, loaded, path)
    return config


def _overlay(config: dict[str, Any], loaded: dict[str, Any], path: Path) -> None:
    """Check ``loaded`` (the parsed file ``path``) and merge it into ``config``."""

    def fail(message: str) -> DeadlineConfigError:
        return DeadlineConfigError(f"{path}: {message}")

    unknown = sorted(set(loaded) - {"warn_fraction", "default", "risk", "category"})
    if unknown:
        raise fail(
            f"unknown setting {unknown[0]!r}; expected warn_fraction, [default], [risk.N] "
            "or [category.CODE]"
        )
    if "warn_fraction" in loaded:
        value = loaded["warn_fraction"]
        if not _is_number(value) or not 0 <= value < 1:
            raise fail(f"warn_fraction must be a number in [0, 1), got {value!r}")
        config["warn_fraction"] = float(value)
    if "default" in loaded:
        config["default"].update(_windows(loaded["default"], "[default]", fail))
    known = {"risk": RISK_LEVELS, "category": tuple(Category.labels())}
    for section, keys in known.items():
        tables = loaded.get(section, {})
        if not isinstance(tables, dict):
            raise fail(f"{section} must be a set of [{section}.KEY] tables, got {tables!r}")
        for key, values in tables.items():
            if key not in keys:
                what = "risk level" if section == "risk" else "category"
                raise fail(f"[{section}.{key}]: unknown {what}; known: {', '.join(keys)}")
            where = f"[{section}.{key}]"
            if section == "risk" and isinstance(values, dict) and ACCEPT_KEY in values:
                values = dict(values)
                config["accept_minutes"][int(key)] = _accept(values.pop(ACCEPT_KEY), where, fail)
            windows = _windows(values, where, fail)
            config[section].setdefault(key, {}).update(windows)


def _accept(value: object, where: str, fail: Callable[[str], DeadlineConfigError]) -> int:
    """Return a checked ``accept_minutes`` of the section ``where``."""
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not 1 <= value <= MAX_ACCEPT_MINUTES
    ):
        raise fail(
            f"{where} {ACCEPT_KEY} must be a whole number of minutes in "
            f"[1, {MAX_ACCEPT_MINUTES}], got {value!r}"
        )
    return value


def _in_days(values: dict[str, Any]) -> dict[str, float]:
    """Return a section's limits in days: ``contact_hours = 2`` as ``contact_days = 2 / 24``."""
    return {
        HOUR_KEYS.get(key, key): float(value) / (24 if key in HOUR_KEYS else 1)
        for key, value in values.items()
    }


def _windows(
    values: object, where: str, fail: Callable[[str], DeadlineConfigError]
) -> dict[str, float]:
    """Return the checked limits of one section in days (``where`` names it in errors)."""
    keys = (*WINDOW_KEYS, *HOUR_KEYS)
    if not isinstance(values, dict):
        raise fail(f"{where} must be a table of {' and '.join(WINDOW_KEYS)}, got {values!r}")
    if ACCEPT_KEY in values:
        raise fail(f"{where} {ACCEPT_KEY} is set per risk level, in a [risk.N] section")
    unknown = sorted(set(values) - set(keys))
    if unknown:
        known = (*keys, ACCEPT_KEY) if where.startswith("[risk.") else keys
        raise fail(f"{where} unknown key {unknown[0]!r}; expected {' or '.join(known)}")
    for hours, days in HOUR_KEYS.items():
        if hours in values and days in values:
            raise fail(f"{where} gives both {days} and {hours}; keep one")
    for key, value in values.items():
        unit, most = ("hours", MAX_DAYS * 24) if key in HOUR_KEYS else ("days", MAX_DAYS)
        if not _is_number(value) or not 0 < value <= most:
            raise fail(f"{where} {key} must be a number of {unit} in (0, {most:g}], got {value!r}")
    return _in_days(values)


def _is_number(value: object) -> bool:
    """Whether ``value`` is a finite int or float (not a bool, not a string)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class _Loaded:
    """What :func:`for_deployment` last read of one file."""

    signature: tuple[int, int, int] | None
    """``(mtime_ns, size, inode)`` of the file read, ``None`` when it was absent."""
    config: dict[str, Any]
    """The configuration in force."""
    rejected: tuple[int, int, int] | None = None
    """Signature of a broken version already reported (not reported again)."""


_LOADED: dict[Path, _Loaded] = {}
_LOCK = threading.Lock()


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def for_deployment(home: Path) -> dict[str, Any]:
    r"""Return the deadline configuration of the deployment at ``home``.

    This is :func:`load` of ``home / "deadlines.toml"`` (:data:`CONFIG_NAME`), kept in memory:
    each call costs one ``stat`` of the file, which is read again only when its modification
    time, size or inode changed (an edit, a replacement, its removal or creation). The server
    calls it at start-up and per request, so an edit applies from the next request without a
    restart.

    Parameters
    ----------
    home : pathlib.Path
        The platform home (``$ZONGZHI_HOME``, :attr:`layers.settings.Settings.home`).

    Returns
    -------
    dict
        The configuration (shared between calls: do not modify it). The built-in limits
        when the file does not exist.

    Raises
    ------
    DeadlineConfigError
        The file cannot be used (see :func:`load`) and no usable version of it was read
        before in this process, e.g. at start-up. A broken edit of a file read before is not
        raised: it is logged as an error, once per version, and the limits read before stay
        in force until the file is corrected.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     home = Path(folder)
    ...     before = limits_for("dispute", 4, for_deployment(home)).close_days
    ...     _ = (home / "deadlines.toml").write_text("[default]\nclose_days = 10\n")
    ...     before, limits_for("dispute", 4, for_deployment(home)).close_days
    (30.0, 10.0)
    """
    path = home / CONFIG_NAME
    signature = _signature(path)
    with _LOCK:
        known = _LOADED.get(path)
        if known is not None and (
            signature == known.signature
            or (known.rejected is not None and signature == known.rejected)
        ):
            return known.config
        try:
            config = load(path if signature is not None else None)
        except DeadlineConfigError as exc:
            if known is None:
                raise
            known.rejected = signature
            log.error("%s; the limits read before stay in force until it is corrected", exc)
            return known.config
        _LOADED[path] = _Loaded(signature, config)
        return config


def limits_for(category: str, risk_level: int, config: dict[str, Any] | None = None) -> Limits:
    """Return the limits of a case of ``category`` at ``risk_level``.

    Parameters
    ----------
    category : str
        Case category code.
    risk_level : int
        1 (red, highest) … 4 (blue).
    config : dict, optional
        From :func:`load`; default :data:`DEFAULTS`.

    Returns
    -------
    Limits
        The limits; the risk level can only shorten the category's.

    Examples
    --------
    >>> limits_for("dispute", 1).close_days
    7.0
    >>> limits_for("safety_hazard", 3).close_days
    15.0
    """
    cfg = _built_in() if config is None else config
    base = dict(cfg["default"])
    base.update(cfg["category"].get(category, {}))
    risk = cfg["risk"].get(str(risk_level), {})
    contact = min(float(base["contact_days"]), float(risk.get("contact_days", float("inf"))))
    close = min(float(base["close_days"]), float(risk.get("close_days", float("inf"))))
    return Limits(contact, close, float(cfg["warn_fraction"]))


_BUILT_IN: list[dict[str, Any]] = []


def _built_in() -> dict[str, Any]:
    """:data:`DEFAULTS` in days (read once)."""
    if not _BUILT_IN:
        _BUILT_IN.append(load(None))
    return _BUILT_IN[0]


@dataclass(frozen=True)
class Sooner:
    """The time limits of a case whose risk was raised (:func:`sooner`).

    Attributes
    ----------
    contact_deadline, deadline : datetime or None
        The limits now: each the nearer of the case's own and the new risk's.
    contact_moved, deadline_moved : bool
        Whether the raise brought that limit forward.
    """

    contact_deadline: datetime | None
    deadline: datetime | None
    contact_moved: bool
    deadline_moved: bool


def sooner(
    category: str,
    risk_level: int,
    reported_at: datetime,
    contact_deadline: datetime | None,
    deadline: datetime | None,
    config: dict[str, Any] | None = None,
) -> Sooner:
    """Return a case's time limits once its risk is raised to ``risk_level``.

    Each limit becomes that of a case of ``category`` reported at ``reported_at`` with the new
    risk, as 分流 sets them, if that is sooner; a raise never puts a limit later (a repeat report
    gives no case more time), and a case without a limit (on the legal route, or settled at its
    source) stays without it. A case raised to 红色 by repeat reports kept orange's 24 h and
    15 days (trial AZ S2).

    Parameters
    ----------
    category : str
        Case category code.
    risk_level : int
        The risk raised to: 1 (red, highest) … 4 (blue).
    reported_at : datetime
        When the case was reported (the limits run from it).
    contact_deadline, deadline : datetime or None
        The case's limits before.
    config : dict, optional
        From :func:`load`; default :data:`DEFAULTS`.

    Returns
    -------
    Sooner
        The limits now, and which moved.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 12, 6, 15, 10, tzinfo=timezone.utc)
    >>> orange = limits_for("safety_hazard", 2)
    >>> raised = sooner("safety_hazard", 1, at, at + orange.contact, at + orange.close)
    >>> raised.contact_deadline - at, raised.deadline - at, raised.deadline_moved
    (datetime.timedelta(seconds=7200), datetime.timedelta(days=7), True)
    >>> kept = sooner("dispute", 1, at, at, None)
    >>> kept.contact_moved, kept.deadline
    (False, None)
    """
    limits = limits_for(category, risk_level, config)
    contact = reported_at + limits.contact
    close = reported_at + limits.close
    contact_moved = contact_deadline is not None and contact < contact_deadline
    deadline_moved = deadline is not None and close < deadline
    return Sooner(
        contact if contact_moved else contact_deadline,
        close if deadline_moved else deadline,
        contact_moved,
        deadline_moved,
    )


def status(
    start: datetime,
    deadline: datetime | None,
    *,
    now: datetime,
    warn: float | None = None,
    config: dict[str, Any] | None = None,
) -> Status:
    """Return where ``now`` lies in the window ``[start, deadline]``.

    Parameters
    ----------
    start : datetime
        Start of the window.
    deadline : datetime or None
        End of the window (``None``: no limit, always ``ok``).
    now : datetime
        The moment to judge.
    warn : float, optional
        Fraction of the window at its end that counts as ``warning``; default the
        ``warn_fraction`` of ``config``.
    config : dict, optional
        From :func:`load` or :func:`for_deployment`; default :data:`DEFAULTS` (0.2).

    Returns
    -------
    str
        ``ok``, ``warning`` or ``overdue``.

    Examples
    --------
    >>> from datetime import datetime
    >>> s, d = datetime(2026, 1, 1), datetime(2026, 1, 11)
    >>> [status(s, d, now=datetime(2026, 1, day)) for day in (5, 10, 12)]
    ['ok', 'warning', 'overdue']
    >>> status(s, d, now=datetime(2026, 1, 7), config={"warn_fraction": 0.5})
    'warning'
    """
    warning = warning_from(start, deadline, warn=warn, config=config)
    if deadline is None or warning is None:
        return "ok"
    if now > deadline:
        return "overdue"
    if now >= warning:
        return "warning"
    return "ok"


def warning_from(
    start: datetime,
    deadline: datetime | None,
    *,
    warn: float | None = None,
    config: dict[str, Any] | None = None,
) -> datetime | None:
    """Return the moment the window ``[start, deadline]`` enters its warning part (临期).

    The console colours a countdown from this moment on, so that it agrees with
    :func:`status` under the deployment's ``warn_fraction``.

    Parameters
    ----------
    start : datetime
        Start of the window.
    deadline : datetime or None
        End of the window (``None``: no limit, no warning).
    warn : float, optional
        Fraction of the window at its end that counts as ``warning``; default the
        ``warn_fraction`` of ``config``.
    config : dict, optional
        From :func:`load` or :func:`for_deployment`; default :data:`DEFAULTS` (0.2).

    Returns
    -------
    datetime or None
        ``deadline - (deadline - start) * warn``.

    Examples
    --------
    >>> from datetime import datetime
    >>> warning_from(datetime(2026, 1, 1), datetime(2026, 1, 11))
    datetime.datetime(2026, 1, 9, 0, 0)
    """
    if deadline is None:
        return None
    if warn is None:
        warn = float((DEFAULTS if config is None else config)["warn_fraction"])
    return deadline - (deadline - start) * warn


LIMIT_LABELS: dict[str, str] = {"contact_deadline": "联系时限", "deadline": "办结时限"}
"""The two time limits of a case (its columns) and what the timeline calls them."""
CHANGES_KEY = "deadline_changes"
"""Key of an event's payload listing the time limits the event moved (:func:`move`)."""


class _Keep:
    """The type of :data:`KEEP`."""


KEEP = _Keep()
"""A limit :func:`move` leaves as it is."""


def move(
    case: Any,
    why: str,
    *,
    contact: datetime | None | _Keep = KEEP,
    deadline: datetime | None | _Keep = KEEP,
) -> list[dict[str, Any]]:
    """Set ``case``'s time limits and return what the timeline says of those that changed.

    Every change of a case's 联系时限 or 办结时限 made in Python (分流, a repeat report raising
    its risk, 批准延期, 转法治化途径, 重新办理) goes through here, and the event of the action
    that made it carries the list under :data:`CHANGES_KEY` (:func:`with_changes`): the case's
    timeline says each change with the time before, the time after and why (trial BA M4). An
    import's statements write the same entries in SQL (:func:`change_sql`).

    Parameters
    ----------
    case : Case
        The case (``contact_deadline`` and ``deadline`` are set on it, not flushed).
    why : str
        Why, in Chinese, as the timeline says it in brackets (「分流：按类别和风险等级重新计算」).
    contact, deadline : datetime or None, optional
        The new 联系时限 and 办结时限 (``None``: no limit); default :data:`KEEP`.

    Returns
    -------
    list of dict
        One entry per limit that changed: ``limit`` (the column), ``from`` and ``to`` (ISO
        8601 or ``None``) and ``why``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from datetime import timezone
    >>> at = datetime(2026, 12, 8, 7, 44, tzinfo=timezone.utc)
    >>> case = SimpleNamespace(contact_deadline=at, deadline=at)
    >>> changes = move(case, "分流", contact=at, deadline=at + timedelta(days=12))
    >>> print(said(changes))
    办结时限 2026-12-08 15:44 → 2026-12-20 15:44（分流）
    >>> move(case, "分流", deadline=case.deadline)
    []
    """
    changes: list[dict[str, Any]] = []
    for column, new in (("contact_deadline", contact), ("deadline", deadline)):
        if isinstance(new, _Keep):
            continue
        old = getattr(case, column)
        if old == new:
            continue
        setattr(case, column, new)
        changes.append(
            {
                "limit": column,
                "from": None if old is None else old.isoformat(),
                "to": None if new is None else new.isoformat(),
                "why": why,
            }
        )
    return changes


def with_changes(payload: dict[str, Any] | None, changes: list[dict[str, Any]]) -> dict[str, Any]:
    """Return ``payload`` with the limits :func:`move` changed (:data:`CHANGES_KEY`), if any.

    Parameters
    ----------
    payload : dict or None
        An event's payload.
    changes : list of dict
        From :func:`move` (several calls' lists may be joined).

    Returns
    -------
    dict
        A new payload; ``payload`` itself (or ``{}``) when nothing changed.

    Examples
    --------
    >>> with_changes({"risk_from": 3}, [])
    {'risk_from': 3}
    >>> sorted(with_changes(None, [{"limit": "deadline"}]))
    ['deadline_changes']
    """
    if not changes:
        return dict(payload or {})
    return {**(payload or {}), CHANGES_KEY: [*(payload or {}).get(CHANGES_KEY, []), *changes]}


def said(changes: list[dict[str, Any]]) -> str:
    """Return what the timeline says of the limits changed, Beijing time.

    Parameters
    ----------
    changes : list of dict
        From :func:`move` (or an event's :data:`CHANGES_KEY`).

    Returns
    -------
    str
        「联系时限 … → …（why）；办结时限 … → …（why）」; 「无」 for no limit.

    Examples
    --------
    >>> print(said([{"limit": "deadline", "from": "2026-12-20T10:00:00+00:00", "to": None,
    ...              "why": "转法治化途径，不计办结时限"}]))
    办结时限 2026-12-20 18:00 → 无（转法治化途径，不计办结时限）
    """

    def shown(value: str | None) -> str:
        if value is None:
            return "无"
        return f"{datetime.fromisoformat(value).astimezone(CHINA):%Y-%m-%d %H:%M}"

    return "；".join(
        f"{LIMIT_LABELS[c['limit']]} {shown(c['from'])} → {shown(c['to'])}（{c['why']}）"
        for c in changes
    )


def change_sql(
    column: str, before: sql.Composable, after: sql.Composable, why: str
) -> sql.Composed:
    """Return the SQL of one :func:`move` entry: a jsonb object, NULL when the limit is unchanged.

    For the statements of an import, which move many cases' limits at once (a later file's
    办理时限, :func:`layers.case_import.move_given_deadlines`): the events they write carry
    the same :data:`CHANGES_KEY` list as :func:`move` gives (:func:`changes_sql`).

    Parameters
    ----------
    column : str
        ``contact_deadline`` or ``deadline``.
    before, after : psycopg.sql.Composable
        The limit before and after (``timestamptz`` expressions).
    why : str
        Why, as :func:`move`.

    Returns
    -------
    psycopg.sql.Composed
        ``CASE WHEN before IS DISTINCT FROM after THEN jsonb_build_object(…) END``.
    """
    return sql.SQL(
        "CASE WHEN {b} IS DISTINCT FROM {a} THEN jsonb_build_object('limit', {col}, 'from',"
        " to_jsonb({b}), 'to', to_jsonb({a}), 'why', {why}) END"
    ).format(b=before, a=after, col=sql.Literal(column), why=sql.Literal(why))


def changes_sql(*entries: sql.Composable) -> sql.Composed:
    """Return the jsonb object ``{"deadline_changes": [...]}`` of the entries not NULL, or ``{}``.

    Parameters
    ----------
    *entries : psycopg.sql.Composable
        From :func:`change_sql`.

    Returns
    -------
    psycopg.sql.Composed
        A jsonb expression to concatenate (``||``) to an event's payload.
    """
    listed = sql.SQL("jsonb_path_query_array(jsonb_build_array({}), '$[*] ? (@ != null)')").format(
        sql.SQL(", ").join(entries)
    )
    return sql.SQL(
        "CASE WHEN jsonb_array_length({l}) > 0 THEN jsonb_build_object({k}, {l})"
        " ELSE '{{}}'::jsonb END"
    ).format(l=listed, k=sql.Literal(CHANGES_KEY))
