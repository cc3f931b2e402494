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
        Human-readable explanation (English; the console translates known codes).
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message or type(self).__name__


class NotFound(DomainError):
    """The object does not exist, or is outside the caller's scope (indistinguishable)."""


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
