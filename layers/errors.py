"""Domain errors: what went wrong, in the platform's terms, without HTTP.

``api/errors.py`` maps each class to a status code in one table; ``layers/`` only raises.
Subclass :class:`DomainError` for a new kind of failure and add it to that table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


class DomainError(Exception):
    """Base of every error the platform's layers raise on purpose.

    Parameters
    ----------
    message : str
        What the user reads (the console shows it): concise Simplified Chinese saying what is
        wrong and what to do, code-table values by their Chinese labels, never internal names.
    """

    object_id: str | None = None
    """The object the refusal is about where the layer found one (the record a duplicate
    repeats): the audit entry of the refusal is filed under it."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message or type(self).__name__


class NotFound(DomainError):
    """The object does not exist, or is outside the caller's scope (indistinguishable)."""


def no_jurisdiction(code: str) -> NotFound:
    """Return the error of a jurisdiction that does not exist or lies outside the caller's scope.

    Parameters
    ----------
    code : str
        The division code asked for.

    Returns
    -------
    NotFound
        The error to raise.

    Examples
    --------
    >>> str(no_jurisdiction("530424000000"))
    '辖区 530424000000 不存在或不在您的管辖范围内'
    """
    return NotFound(f"辖区 {code} 不存在或不在您的管辖范围内")


class Conflict(DomainError):
    """The action conflicts with the object's current state or with a concurrent change.

    Parameters
    ----------
    message : str
        Explanation.
    allowed : sequence of str, optional
        For an illegal transition: the actions that are allowed from the current state.
    """

    def __init__(self, message: str = "", *, allowed: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.allowed = list(allowed)


class Forbidden(DomainError):
    """The caller's role does not permit the action."""


class InvalidInput(DomainError):
    """The request is well-formed but its values are not acceptable."""


class AuthenticationFailed(DomainError):
    """Unknown user, wrong password, inactive account, or an invalid token."""


class AccountLocked(AuthenticationFailed):
    """Too many consecutive failed logins: the account is locked for a while.

    Parameters
    ----------
    message : str
        Explanation.
    until : datetime
        When the lock ends.
    """

    def __init__(self, message: str = "", *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class WeakPassword(InvalidInput):
    """A password does not meet the password policy.

    Parameters
    ----------
    message : str
        Explanation.
    problems : sequence of str
        Every rule the password breaks.
    """

    def __init__(self, message: str = "", *, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class TooManyAttempts(DomainError):
    """Too many failed logins from one client address: its attempts wait a while.

    Parameters
    ----------
    message : str
        Explanation.
    retry_after : int
        Seconds until the address may try again.
    """

    def __init__(self, message: str = "", *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
