"""Console pages take a jurisdiction code as clerks type it: short codes are redirected.

A county typed as its 6 digits (``/console/620702``), a city as 4, a province as 2, a township
as 9, or any of them in full-width digits, is redirected (308, query kept) to the page of the
12-digit code; a code that is no division code gets a Chinese error page (422). Every console
route taking a code does so (the routes are enumerated, not listed by hand).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.api_fixtures import COUNTY_A
from web.app import PAGE_MODULES, mount_console

WRITTEN = {
    "62": "620000000000",
    "6207": "620700000000",
    "620702": "620702000000",
    "620702106": "620702106000",
    "６２０７０２": "620702000000",
    "６２０７０２１０６００１": "620702106001",
}
"""A code as typed → the 12-digit code of its page."""
NOT_CODES = ["12345", "6207021", "62070210600", "000000000000", "530424000001", "62070x"]
"""Codes no division has: wrong length, province 00, a village under no township, a letter."""


@pytest.fixture(scope="module")
def console() -> Iterator[TestClient]:
    """The console alone (its pages need no database: their scripts load the data)."""
    with TestClient(mount_console(FastAPI())) as client:
        yield client


def _code_routes() -> list[str]:
    """Return the paths of the console's pages (:data:`web.app.PAGE_MODULES`) taking a code."""
    return sorted(
        route.path
        for module in PAGE_MODULES
        for route in import_module(module).router.routes
        if isinstance(route, APIRoute) and "{code}" in route.path
    )


def test_the_console_routes_taking_a_code() -> None:
    assert _code_routes() == [
        "/console/{code}",
        "/desk/{code}",  # a department's desk (trial AQ M1)
        "/dispatch/{code}",
        "/screen/{code}",
        "/trends/{code}",
    ]


@pytest.mark.parametrize("route", _code_routes())
def test_short_codes_redirect_to_the_full_code(console: TestClient, route: str) -> None:
    for typed, full in WRITTEN.items():
        response = console.get(route.replace("{code}", typed), follow_redirects=False)
        assert response.status_code == 308, (typed, response.text)
        assert response.headers["location"] == route.replace("{code}", full)
        page = console.get(response.headers["location"], follow_redirects=False)
        assert page.status_code == 200
        assert f'data-code="{full}"' in page.text


@pytest.mark.parametrize("route", _code_routes())
def test_full_codes_are_served_without_redirect(console: TestClient, route: str) -> None:
    response = console.get(route.replace("{code}", "620702106001"), follow_redirects=False)
    assert response.status_code == 200
    assert 'data-code="620702106001"' in response.text


def test_the_query_is_kept(console: TestClient) -> None:
    response = console.get("/console/620702?screen=1", follow_redirects=False)
    assert response.headers["location"] == "/console/620702000000?screen=1"
    assert 'data-screen="1"' in console.get("/console/620702?screen=1").text


@pytest.mark.parametrize("route", _code_routes())
def test_a_code_no_division_has_gets_a_chinese_error_page(console: TestClient, route: str) -> None:
    for typed in NOT_CODES:
        response = console.get(route.replace("{code}", typed), follow_redirects=False)
        assert response.status_code == 422, typed
        assert response.headers["content-type"].startswith("text/html")
        assert "地址中的区划代码无效" in response.text
        assert f"区划代码 &#39;{typed}&#39; 无效" in response.text
        assert "location" not in response.headers


def test_the_error_page_escapes_what_was_typed(console: TestClient) -> None:
    response = console.get("/console/<img src=x onerror=alert(1)>")
    assert response.status_code == 422
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_the_platform_redirects_short_codes(api_client: TestClient) -> None:  # noqa: F811
    """Mounted on the API (its own error handlers), the console still redirects and refuses."""
    short = api_client.get(f"/console/{COUNTY_A[:6]}", follow_redirects=False)
    assert short.status_code == 308
    assert short.headers["location"] == f"/console/{COUNTY_A}"
    assert f'data-code="{COUNTY_A}"' in api_client.get(f"/dispatch/{COUNTY_A[:6]}").text
    refused = api_client.get("/trends/12345")
    assert refused.status_code == 422 and "应写 12 位区划代码" in refused.text
