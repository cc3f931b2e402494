"""The throttle of failed logins per client address, kept in the database (登录限制).

Failures under one login name are that name's lock's (:func:`layers.accounts.authenticate`).
What this holds back is one address failing under many names (one password sprayed over the
accounts, or one account locked after another): when the names that failed from an address
within :attr:`layers.accounts.LoginThrottle.window_minutes` reach
:attr:`~layers.accounts.LoginThrottle.max_names`, the address waits (:func:`retry_after`) until
the oldest of the latest ``max_names`` of those failures leaves the window. Only failures count.

Each address keeps the latest failure of each name, the name as a keyed hash
(:func:`layers.accounts.unknown_name_digest`: never as typed, it may be a password typed in the
wrong box), in ``failed_login_addresses`` (migration 0034): a restart lifts no throttle, and an
administrator lists the addresses held back (:func:`throttled_addresses`) and lifts one
(:func:`clear_address`). No row-level security: the table says nothing of any unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.orm import Session

from layers.accounts import LoginThrottle, unknown_name_digest
from layers.errors import NotFound
from layers.model.accounts import FailedLoginAddress

ADDRESS_MAX = 64
"""Longest address kept (the column's length); a longer one is cut."""


@dataclass(frozen=True)
class ThrottledAddress:
    """An address whose logins wait.

    Attributes
    ----------
    address : str
        The client address.
    names : int
        How many different login names failed from it within the window.
    last_failed_at : datetime
        Its latest failure.
    until : datetime
        When it may log in again (unless more names fail meanwhile).
    """

    address: str
    names: int
    last_failed_at: datetime
    until: datetime


def _window(rules: LoginThrottle) -> timedelta:
    return timedelta(minutes=rules.window_minutes)


def _until(failures: list[datetime], rules: LoginThrottle) -> datetime | None:
    """When an address with ``failures`` (latest first, within the window) may try again."""
    limit = max(rules.max_names, 1)
    return failures[limit - 1] + _window(rules) if len(failures) >= limit else None


def retry_after(session: Session, address: str, now: datetime, rules: LoginThrottle) -> int | None:
    """Return in how many seconds ``address`` may try logging in again, or None when it may now.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    address : str
        The client address.
    now : datetime
        Current time (timezone-aware).
    rules : layers.accounts.LoginThrottle
        The limit and window.

    Returns
    -------
    int or None
        Whole seconds (at least 1); None while fewer than ``rules.max_names`` names failed from
        it within the window.
    """
    failures = list(
        session.scalars(
            select(FailedLoginAddress.failed_at)
            .where(
                FailedLoginAddress.address == address[:ADDRESS_MAX],
                FailedLoginAddress.failed_at > now - _window(rules),
            )
            .order_by(FailedLoginAddress.failed_at.desc())
            .limit(max(rules.max_names, 1))
        )
    )
    until = _until(failures, rules)
    return None if until is None else max(1, math.ceil((until - now).total_seconds()))


def count_failure(
    session: Session,
    address: str,
    username: str,
    now: datetime,
    rules: LoginThrottle,
    *,
    key: bytes | None = None,
) -> None:
    """Count a failed login from ``address`` under ``username`` (flushed, not committed).

    Failures that left the window are forgotten at the same time (but those another login is
    writing, forgotten by a later one).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    address : str
        The client address.
    username : str
        The login name typed (kept only as a keyed hash).
    now : datetime
        Current time (timezone-aware).
    rules : layers.accounts.LoginThrottle
        The window (older failures are deleted).
    key : bytes, optional
        The deployment's key of the names' hashes
        (:meth:`api.settings.ApiSettings.login_names_key`).
    """
    digest = unknown_name_digest(username, key)
    session.execute(
        insert(FailedLoginAddress)
        .values(address=address[:ADDRESS_MAX], name_digest=digest, failed_at=now)
        .on_conflict_do_update(
            index_elements=[FailedLoginAddress.address, FailedLoginAddress.name_digest],
            set_={"failed_at": now},
        )
    )
    # rows another login is writing are skipped, not waited for: two failing logins each
    # purging what the other holds would deadlock
    stale = (
        select(FailedLoginAddress.address, FailedLoginAddress.name_digest)
        .where(FailedLoginAddress.failed_at <= now - _window(rules))
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(FailedLoginAddress).where(
            tuple_(FailedLoginAddress.address, FailedLoginAddress.name_digest).in_(stale)
        )
    )
    session.flush()


def throttled_addresses(
    session: Session, now: datetime, rules: LoginThrottle
) -> list[ThrottledAddress]:
    """Return the addresses whose logins wait now, the latest failing first.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    now : datetime
        Current time (timezone-aware).
    rules : layers.accounts.LoginThrottle
        The limit and window.

    Returns
    -------
    list of ThrottledAddress
        The addresses, with how many names failed and until when they wait.
    """
    latest_first = func.array_agg(
        aggregate_order_by(FailedLoginAddress.failed_at, FailedLoginAddress.failed_at.desc())
    )
    rows = session.execute(
        select(FailedLoginAddress.address, latest_first)
        .where(FailedLoginAddress.failed_at > now - _window(rules))
        .group_by(FailedLoginAddress.address)
        .having(func.count() >= max(rules.max_names, 1))
    )
    found = []
    for address, failures in rows:
        until = _until(list(failures), rules)
        if until is not None:
            found.append(ThrottledAddress(address, len(failures), failures[0], until))
    return sorted(found, key=lambda each: each.last_failed_at, reverse=True)


def clear_address(
    session: Session, address: str, now: datetime, rules: LoginThrottle
) -> ThrottledAddress:
    """Lift the throttle of ``address``: forget its failures (flushed, not committed).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    address : str
        The client address.
    now : datetime
        Current time (timezone-aware).
    rules : layers.accounts.LoginThrottle
        The limit and window.

    Returns
    -------
    ThrottledAddress
        The throttle lifted.

    Raises
    ------
    NotFound
        The address does not wait now (never did, or its wait ended).
    """
    held = next(
        (each for each in throttled_addresses(session, now, rules) if each.address == address),
        None,
    )
    if held is None:
        raise NotFound(f"地址 {address[:ADDRESS_MAX]} 目前没有登录限制（可能已到期或已被解除）")
    session.execute(delete(FailedLoginAddress).where(FailedLoginAddress.address == address))
    session.flush()
    return held
