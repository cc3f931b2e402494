"""Files the API answers for download: workbooks named in Chinese.

A Chinese file name travels in ``filename*`` (RFC 5987), with an ASCII ``filename`` beside it for
clients that do not read that (:func:`content_disposition`); :func:`xlsx_response` answers a
workbook so.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
"""The media type of an ``.xlsx`` workbook."""


def content_disposition(name: str, fallback: str) -> str:
    r"""Return an ``attachment`` disposition naming a file in Chinese (RFC 5987) and in ASCII.

    Parameters
    ----------
    name : str
        The file's name.
    fallback : str
        An ASCII name for clients that do not read ``filename*``.

    Returns
    -------
    str
        The header value.

    Examples
    --------
    >>> content_disposition("工单.rejects.xlsx", "import-3.xlsx")
    'attachment; filename="import-3.xlsx"; filename*=UTF-8\'\'%E5%B7%A5%E5%8D%95.rejects.xlsx'
    """
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def xlsx_response(
    body: bytes, name: str, fallback: str, headers: dict[str, str] | None = None
) -> Response:
    """Return a workbook to download as ``name``.

    Parameters
    ----------
    body : bytes
        The ``.xlsx`` file.
    name : str
        Its name (Chinese).
    fallback : str
        An ASCII name (:func:`content_disposition`).
    headers : dict, optional
        More headers.

    Returns
    -------
    fastapi.responses.Response
        The answer.
    """
    disposition = {"Content-Disposition": content_disposition(name, fallback)}
    return Response(body, media_type=XLSX, headers=disposition | (headers or {}))
