"""Path parameters of the console's pages (the pages validate their URL as the API does).

A page of a jurisdiction takes its code as clerks and IT officers type it everywhere else
(:func:`geo.codes.written_division_code`): the 12 digits, or a province's, city's, county's or
township's significant 2, 4, 6 or 9 digits (full-width digits too). A code not written in full
is redirected (308) to the page of its 12-digit code; a code that is no division code gets a
Chinese error page (422). :func:`add_code_handlers` registers both answers on the application.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from geo.codes import CodeError, written_division_code
from web.render import page_response


class CodeNotInFull(Exception):
    """A page's code written by its significant digits: the page lives at its 12-digit code.

    Parameters
    ----------
    location : str
        The path (and query) of the same page at the 12-digit code.
    """

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class NotADivisionCode(Exception):
    """A page's code that is no division code.

    Parameters
    ----------
    message : str
        What is wrong with it, in Chinese (from :class:`geo.codes.CodeError`).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _same_page(request: Request, code: str) -> str:
    """Return the path and query of the requested page at ``code``."""
    target = request.url_for(request.scope["route"].name, code=code).path
    query = request.url.query
    return f"{target}?{query}" if query else target


def page_code(
    request: Request,
    code: Annotated[str, Path(description="Jurisdiction code: 12 digits, or 2/4/6/9 leading")],
) -> str:
    """Return the 12-digit code of a console page's URL.

    Parameters
    ----------
    request : fastapi.Request
        The request (to build the address of the same page at the full code).
    code : str
        The code as it stands in the URL.

    Returns
    -------
    str
        The code, when written in full.

    Raises
    ------
    CodeNotInFull
        The code is a division code written otherwise (``620702``, full-width digits).
    NotADivisionCode
        The code is no division code.
    """
    try:
        full = written_division_code(code)
    except CodeError as error:
        raise NotADivisionCode(str(error)) from None
    if full != code:
        raise CodeNotInFull(_same_page(request, full))
    return full


CodePath = Annotated[str, Depends(page_code)]
"""A console page's jurisdiction code: 12 digits (others redirected, or refused)."""
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="Case id")]


def _redirect(request: Request, exc: Exception) -> Response:
    """Send a page asked for by a code not written in full to its 12-digit address."""
    assert isinstance(exc, CodeNotInFull)
    return RedirectResponse(exc.location, status_code=308)


def _refuse(request: Request, exc: Exception) -> Response:
    """Answer a page asked for by a code that is no division code with a Chinese error page."""
    assert isinstance(exc, NotADivisionCode)
    page = page_response("code_error.html", message=exc.message)
    return HTMLResponse(page.body, status_code=422)


def add_code_handlers(app: FastAPI) -> None:
    """Register the answers of :func:`page_code`: the redirect and the error page.

    Parameters
    ----------
    app : fastapi.FastAPI
        The platform application.
    """
    app.add_exception_handler(CodeNotInFull, _redirect)
    app.add_exception_handler(NotADivisionCode, _refuse)
