"""Property-based API testing over the OpenAPI schema (authenticated): no 5xx anywhere.

Uses schemathesis' programmatic API (its pytest ``from_fixture`` integration does not work
with the installed pytest): for every operation, a bounded number of generated cases is sent
with a commander's Bearer token.
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.api_fixtures import api_client, api_settings, api_world, auth_headers  # noqa: F401

Headers = Callable[[str], dict[str, str]]
EXAMPLES_PER_OPERATION = 15
REQUEST_TIMEOUT = 60
EXPENSIVE = {("POST", "/api/hotspots/runs")}
"""Runs analytics sized by the request (up to 9999 permutations over 3660 daily bins): generated
extremes take minutes. Tested in tests/test_hotspots.py."""
STREAMING = {"/api/events"}
"""Endless text/event-stream routes: a generated call would never finish reading the body
(they are tested with a bounded ``max_events`` in their own tests)."""


def test_no_server_errors(api_client: TestClient, auth_headers: Headers) -> None:
    # the TestClient has run the lifespan: the app's engine is ready for schemathesis' client
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_client.app)
    headers = auth_headers("cmd_city")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in STREAMING or (operation.method.upper(), operation.path) in EXPENSIVE:
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=headers, timeout=REQUEST_TIMEOUT)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")

        run()
    assert operations >= 10
    assert failures == []
