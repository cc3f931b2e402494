# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""A worker who left the job (已离职) cannot be put on or off duty over HTTP."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.dispatch import LEFT_REFUSAL
from tests.api_fixtures import VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]


def test_the_app_cannot_put_a_worker_who_left_back_on_duty(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    with Session(database.owner) as owner, owner.begin():
        worker = owner.execute(
            text(
                "INSERT INTO workers (name, role, area_code, status)"
                " VALUES ('离职网格员', 'grid_worker', :a, 'left') RETURNING id"
            ),
            {"a": VILLAGES[0]},
        ).scalar_one()
    try:
        url = f"/api/workers/{worker}/status"
        for status in ("on_duty", "off_duty"):
            refused = api_client.post(url, json={"status": status}, headers=auth_headers("disp_a1"))
            assert refused.status_code == 409, refused.text
            assert refused.json()["detail"] == LEFT_REFUSAL
        with Session(database.owner) as owner:
            stored = owner.execute(text("SELECT status FROM workers WHERE id = :w"), {"w": worker})
            assert stored.scalar_one() == "left"
    finally:
        with Session(database.owner) as owner, owner.begin():
            owner.execute(text("DELETE FROM workers WHERE id = :w"), {"w": worker})
