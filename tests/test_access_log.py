"""The server's access log keeps no value of a query string (trial AI M7).

A phone number searched as a case's title, or a resident ID put in a look-up's address, was
written to the log with the request line, even for a refused request.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

from fastapi import FastAPI

from api.cli import served_in_thread


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_access_log_names_the_parameters_and_hides_their_values() -> None:
    app = FastAPI()

    @app.get("/api/cases")
    def cases(q: str = "") -> dict[str, str]:
        return {}

    access = logging.getLogger("uvicorn.access")
    lines = _Lines()
    with served_in_thread(app) as origin:
        access.addHandler(lines)
        level = access.level
        access.setLevel(logging.INFO)
        try:
            for path in ("/api/cases?q=13700001111&limit=20", "/nowhere?id=530424198006186858"):
                try:
                    urllib.request.urlopen(origin + path, timeout=10).close()
                except urllib.error.HTTPError:
                    pass  # the 404 is logged too
        finally:
            access.setLevel(level)
            access.removeHandler(lines)
    said = "\n".join(lines.lines)
    assert "GET /api/cases?q=…&limit=… HTTP/1.1" in said, said
    assert "GET /nowhere?id=… HTTP/1.1" in said, said
    assert "13700001111" not in said and "530424198006186858" not in said


def test_the_access_log_masks_a_personal_number_in_the_path() -> None:
    """Trial AJ N6: ``GET /api/cases/530424198006186858`` was logged in full."""
    app = FastAPI()

    @app.get("/api/cases/{case_id}")
    def case(case_id: str) -> dict[str, str]:
        return {}

    access = logging.getLogger("uvicorn.access")
    lines = _Lines()
    paths = (
        "/api/cases/530424198006186858",
        "/api/cases/139%2F1234%2F5678?q=1",
        "/api/cases/%E4%B8%80%E4%B8%89%E4%B9%9D%E4%B8%80%E4%BA%8C%E4%B8%89%E5%9B%9B%E4%BA%94%E5%85%AD%E4%B8%83%E5%85%AB",
        "/api/cases/4241",
    )
    with served_in_thread(app) as origin:
        access.addHandler(lines)
        level = access.level
        access.setLevel(logging.INFO)
        try:
            for path in paths:
                try:
                    urllib.request.urlopen(origin + path, timeout=10).close()
                except urllib.error.HTTPError:
                    pass
        finally:
            access.setLevel(level)
            access.removeHandler(lines)
    said = "\n".join(lines.lines)
    assert "GET /api/cases/530424********6858 HTTP/1.1" in said, said
    assert "GET /api/cases/139****5678?q=… HTTP/1.1" in said, said
    assert said.count("/api/cases/139****5678") == 2, said  # the one in Chinese numerals
    assert "GET /api/cases/4241 HTTP/1.1" in said, said
    assert "19800618" not in said and "1234" not in said and "%E4%B8%80" not in said
