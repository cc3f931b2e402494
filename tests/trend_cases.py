"""Cases with points committed in the workflow world for the trends API tests, and the accounts
that read them (:func:`trend_readers`).

The trends API reads through its own connections, so a test module's cases are committed once
for the module and the world purged when it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from tests.api_fixtures import bearer_of
from tests.conftest import SuiteDatabase
from tests.workflow_data import add_user, ensure_world, purge_world

Headers = Callable[[str], dict[str, str]]


def insert_case(
    owner: Session,
    code: str,
    point: tuple[float, float],
    area: str,
    at: datetime,
    *,
    channel: str = "phone",
    category: str = "dispute",
    subcategory: str | None = "neighbours",
    duplicate_of: int | None = None,
) -> int:
    """Insert a registered 蓝色 case titled 测试 at ``point`` (lon, lat); return its id.

    Parameters
    ----------
    owner : sqlalchemy.orm.Session
        An owner session inside a transaction.
    code : str
        The case's number, unique.
    point : tuple of float
        Its place, longitude and latitude in CGCS2000.
    area : str
        The division code it is recorded on.
    at : datetime.datetime
        When it was reported.
    channel, category, subcategory : str
        How it came in and what it is about.
    duplicate_of : int, optional
        The case it repeats.

    Returns
    -------
    int
        The case's id.
    """
    return int(
        owner.execute(
            text(
                "INSERT INTO cases (code, channel, category, subcategory, title, point,"
                " area_code, state, handling_level, reported_at, risk_level, duplicate_of)"
                " VALUES (:c, :ch, :cat, :sub, '测试', ST_SetSRID(ST_MakePoint(:x, :y), 4490),"
                " :a, 'registered', 4, :t, 4, :dup) RETURNING id"
            ),
            {
                "c": code,
                "ch": channel,
                "cat": category,
                "sub": subcategory,
                "x": point[0],
                "y": point[1],
                "a": area,
                "t": at,
                "dup": duplicate_of,
            },
        ).scalar_one()
    )


@contextmanager
def trend_readers(
    database: SuiteDatabase,
    api_settings: ApiSettings,
    prefix: str,
    users: dict[str, tuple[str, str]],
    seed: Callable[[Session], object],
) -> Iterator[Headers]:
    """Commit the workflow world, accounts and the cases ``seed`` inserts; yield their headers.

    Parameters
    ----------
    database : tests.conftest.SuiteDatabase
        The suite's database.
    api_settings : api.settings.ApiSettings
        The settings the tokens are issued with.
    prefix : str
        The accounts' usernames are ``<prefix>_<key>``.
    users : dict of str to (str, str)
        Each account's key, role and scope code.
    seed : callable
        Called with the owner session, in the transaction that adds the accounts, to insert
        the module's cases (:func:`insert_case`).

    Yields
    ------
    callable
        The Bearer headers of an account by its key. On leaving, :func:`purge_world` deletes
        the world with the cases and the accounts.
    """
    ids: dict[str, int] = {}
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
        for key, (role, scope) in users.items():
            ids[key] = add_user(owner, username=f"{prefix}_{key}", role=role, scope_code=scope)
        seed(owner)
    try:
        yield bearer_of(api_settings, ids)
    finally:
        with Session(database.owner) as owner, owner.begin():
            purge_world(owner)


def get_json(client: TestClient, path: str, headers: dict[str, str]) -> Any:
    """GET ``path``, asserting a 200, and return its JSON."""
    got = client.get(path, headers=headers)
    assert got.status_code == 200, got.text
    return got.json()
