"""Time limits of cases: per category and risk level, configurable, with warnings before.

The defaults follow one centre's practice (contact the parties within 2 days, close mediation
within 30 days) and shorten the limits for higher risk. A deployment overrides them with a TOML
file (``$ZONGZHI_HOME/deadlines.toml``) of the same shape as :data:`DEFAULTS`::

    warn_fraction = 0.2
    [default]
    contact_days = 2
    close_days = 30
    [risk.1]
    contact_days = 0.5
    close_days = 7
    [category.safety_hazard]
    close_days = 10

Category limits apply first, then the risk limits may only shorten them.

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

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

DEFAULTS: dict[str, Any] = {
    "warn_fraction": 0.2,
    "default": {"contact_days": 2, "close_days": 30},
    "risk": {
        "1": {"contact_days": 0.5, "close_days": 7},
        "2": {"contact_days": 1, "close_days": 15},
    },
    "category": {
        "safety_hazard": {"contact_days": 1, "close_days": 15},
    },
}
"""Built-in limits (days)."""

Status = Literal["ok", "warning", "overdue"]


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
    """Return the deadline configuration: :data:`DEFAULTS` overlaid with ``path`` if it exists.

    Parameters
    ----------
    path : pathlib.Path or None
        A TOML file.

    Returns
    -------
    dict
        The merged configuration.
    """
    config: dict[str, Any] = {
        "warn_fraction": DEFAULTS["warn_fraction"],
        "default": dict(DEFAULTS["default"]),
        "risk": {k: dict(v) for k, v in DEFAULTS["risk"].items()},
        "category": {k: dict(v) for k, v in DEFAULTS["category"].items()},
    }
    if path is not None and path.exists():
        loaded = tomllib.loads(path.read_text(encoding="utf-8"))
        config["warn_fraction"] = float(loaded.get("warn_fraction", config["warn_fraction"]))
        config["default"].update(loaded.get("default", {}))
        for section in ("risk", "category"):
            for key, values in loaded.get(section, {}).items():
                config[section].setdefault(str(key), {}).update(values)
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
    cfg = DEFAULTS if config is None else config
    base = dict(cfg["default"])
    base.update(cfg["category"].get(category, {}))
    risk = cfg["risk"].get(str(risk_level), {})
    contact = min(float(base["contact_days"]), float(risk.get("contact_days", float("inf"))))
    close = min(float(base["close_days"]), float(risk.get("close_days", float("inf"))))
    return Limits(contact, close, float(cfg["warn_fraction"]))


def status(
    start: datetime, deadline: datetime | None, *, now: datetime, warn: float = 0.2
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
    warn : float
        Fraction of the window at its end that counts as ``warning``.

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
    """
    if deadline is None:
        return "ok"
    if now > deadline:
        return "overdue"
    if now >= deadline - (deadline - start) * warn:
        return "warning"
    return "ok"
