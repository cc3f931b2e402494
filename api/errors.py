"""One table mapping domain errors to HTTP status codes, and the handlers that apply it.

``layers/`` raises :class:`layers.errors.DomainError` subclasses and knows nothing of HTTP;
this module is the only place where they become status codes. The most specific class in the
table wins (``AccountLocked`` before ``AuthenticationFailed``). To add an error: subclass it in
``layers/errors.py`` and add one line to :data:`STATUS_CODES`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from starlette import status

from layers.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    WeakPassword,
)
from layers.features import InvalidParameter

STATUS_CODES: dict[type[Exception], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    StaleDataError: status.HTTP_409_CONFLICT,
    Forbidden: status.HTTP_403_FORBIDDEN,
    InvalidInput: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidParameter: status.HTTP_400_BAD_REQUEST,
    WeakPassword: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AuthenticationFailed: status.HTTP_401_UNAUTHORIZED,
    AccountLocked: status.HTTP_423_LOCKED,
    # A value PostgreSQL cannot take (a NUL byte, an out-of-range number) sent by the client.
    DataError: status.HTTP_400_BAD_REQUEST,
}
"""Domain error class → status code."""


def status_code_for(exc: Exception) -> int:
    """Return the status code of ``exc``: its most specific class in :data:`STATUS_CODES`.

    Parameters
    ----------
    exc : Exception
        The error.

    Returns
    -------
    int
        The status code (500 for anything not in the table).

    Examples
    --------
    >>> from datetime import datetime
    >>> status_code_for(AccountLocked(until=datetime(2026, 1, 1))), status_code_for(NotFound())
    (423, 404)
    """
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return status.HTTP_500_INTERNAL_SERVER_ERROR


def error_body(exc: Exception) -> dict[str, Any]:
    """Return the JSON body describing ``exc``.

    Parameters
    ----------
    exc : Exception
        The error.

    Returns
    -------
    dict
        ``detail`` (message), ``code`` (class name) and the error's extra facts: ``allowed``
        actions of a conflict, ``problems`` of a weak password, ``locked_until``.
    """
    body: dict[str, Any] = {"detail": str(exc), "code": type(exc).__name__}
    if isinstance(exc, Conflict) and exc.allowed:
        body["allowed"] = exc.allowed
    if isinstance(exc, WeakPassword):
        body["problems"] = exc.problems
    if isinstance(exc, AccountLocked):
        body["locked_until"] = exc.until.isoformat()
    if isinstance(exc, StaleDataError):
        body["detail"] = "the object was changed by someone else; reload and retry"
    if isinstance(exc, DataError):  # never echo the statement or its parameters
        body = {"detail": "a value in the request cannot be stored", "code": "InvalidValue"}
    return body


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    code = status_code_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
    return JSONResponse(error_body(exc), status_code=code, headers=headers)


def add_exception_handlers(app: FastAPI) -> None:
    """Register the handlers turning domain errors into JSON responses.

    Parameters
    ----------
    app : fastapi.FastAPI
        The application.
    """
    app.add_exception_handler(DomainError, _handle)
    app.add_exception_handler(StaleDataError, _handle)
    app.add_exception_handler(DataError, _handle)
