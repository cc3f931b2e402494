"""查找案件 by the last digits of a case's number (trial AK M1), over HTTP on PostGIS.

An operator reads ``…4241`` off a phone call or a printed form and types ``4241``: the cases of
the scope whose code ends in those digits are found, the newest first; three digits are too few
to be a number (they are looked for in the titles, as before). The suffix is answered by the
``ix_cases_code_reversed`` index, not by reading every case of the county. The date in the
number (``20261206``, or ``20261206-4241``) finds that day's cases in every county of the
searching unit (trial AN N8), on the ``ix_cases_code_day`` index; so does the day written as a
date, ``2026-12-06``, ``2026/12/06`` or ``2026.12.06`` (trial AP m8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from layers import case_lists
from layers.database import apply_scope
from layers.model import Case
from tests.api_fixtures import TOWN_A1, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
DAY = datetime(2031, 8, 3, 9, 0, tzinfo=UTC)

# name -> (village, code's serial, title); the codes end in 4241 but two
CASES: dict[str, tuple[str, str, str]] = {
    "first": (VILLAGES[0], "88814241", "尾号测试：路灯不亮"),
    "second": (VILLAGES[1], "88824241", "尾号测试：井盖缺失"),
    "near_miss": (VILLAGES[0], "88814242", "尾号测试：噪音扰民"),
    "inside": (VILLAGES[0], "88842410", "尾号测试：编号中间含这几位"),
    "other_township": (VILLAGES[3], "88834241", "尾号测试：乙区路灯"),
}


@contextmanager
def _committed(
    database: SuiteDatabase, cases: dict[str, tuple[str, str, str, datetime]]
) -> Iterator[dict[str, int]]:
    """Commit registered cases, name -> (village, code, title, reported at); yield their ids.

    They are deleted again on leaving.
    """
    ids: dict[str, int] = {}
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        for name, (village, code, title, reported_at) in cases.items():
            case = Case(
                code=code,
                channel="phone",
                category="dispute",
                title=title,
                area_code=village,
                state="registered",
                handling_level=4,
                reported_at=reported_at,
            )
            session.add(case)
            session.flush()
            ids[name] = case.id
    try:
        yield ids
    finally:
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            session.execute(delete(Case).where(Case.id.in_(ids.values())))


@pytest.fixture
def numbered(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[dict[str, int]]:
    """Commit :data:`CASES` with codes ``<area6>-20310803-<serial>``; return their ids."""
    with _committed(
        database,
        {
            name: (
                village,
                f"{village[:6]}-{DAY:%Y%m%d}-{serial}",
                title,
                DAY + timedelta(minutes=n),
            )
            for n, (name, (village, serial, title)) in enumerate(CASES.items())
        },
    ) as ids:
        yield ids


def _found(client: TestClient, headers: dict[str, str], q: str) -> list[dict[str, object]]:
    response = client.get("/api/cases", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


def _found_of(
    client: TestClient, headers: dict[str, str], ids: dict[str, int], q: str
) -> list[str]:
    """The names (keys of ``ids``) of the cases a search for ``q`` finds, in its order."""
    names = {v: k for k, v in ids.items()}
    return [names[int(str(c["id"]))] for c in _found(client, headers, q) if c["id"] in names]


def _plan(database: SuiteDatabase, scope: str | None, typed: str) -> str:
    """The plan of the scope's search by case number for ``typed``, sequential scans off."""
    with Session(database.owner) as session, session.begin():
        apply_scope(session, scope)
        query = select(Case.id).where(case_lists.identifier_match(typed))
        sql = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        session.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(str(row[0]) for row in session.execute(text(f"EXPLAIN {sql}")))


def test_the_last_digits_of_a_case_number_find_it(
    api_client: TestClient, auth_headers: Headers, numbered: dict[str, int]
) -> None:
    disp = auth_headers("disp_a1")

    def mine(q: str) -> list[str]:
        return _found_of(api_client, disp, numbered, q)

    # the township's two cases ending in 4241, the newest first; not 4242, not 4241 inside
    # another number, not the other township's
    assert mine("4241") == ["second", "first"]
    assert all(str(c["code"]).endswith("4241") for c in _found(api_client, disp, "4241"))
    assert mine(" 14241 ") == ["first"]
    assert mine("88814241") == ["first"]
    assert mine("4242") == ["near_miss"]
    # the whole number still finds it, with and without its hyphens
    code = f"{VILLAGES[0][:6]}-{DAY:%Y%m%d}-88814241"
    assert mine(code) == ["first"]
    assert mine(code.replace("-", "")) == ["first"]
    # three digits are no case number: the title's words are searched (none holds 241)
    assert mine("241") == []
    # the other township finds its own by the same digits
    assert _found_of(api_client, auth_headers("disp_b1"), numbered, "4241") == ["other_township"]


def test_the_suffix_is_one_index_range(database: SuiteDatabase, numbered: dict[str, int]) -> None:
    plan = _plan(database, TOWN_A1, "4241")
    assert "Seq Scan" not in plan, plan
    assert "ix_cases_code_reversed" in plan, plan


# trial AN N8: the cases of a day by the date in their numbers (20261206 of
# 530424-20261206-00004241), in every county the searching unit covers

# name -> (village, code, title); the day 20310806 in two counties, the day before, and a code
# not of the platform's shape whose characters after the seventh read the day too
DAYS: dict[str, tuple[str, str, str]] = {
    "a": (VILLAGES[0], f"{VILLAGES[0][:6]}-20310806-00054241", "按日测试：路灯"),
    "b": (VILLAGES[1], f"{VILLAGES[1][:6]}-20310806-00054242", "按日测试：井盖"),
    "c": (VILLAGES[3], f"{VILLAGES[3][:6]}-20310806-00064241", "按日测试：乙区噪音"),
    "day_before": (VILLAGES[0], f"{VILLAGES[0][:6]}-20310805-00074241", "按日测试：前一天"),
    "not_a_code": (VILLAGES[0], "IMABCDE20310806ZZ", "按日测试：旧编码"),
}


@pytest.fixture
def dated(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[dict[str, int]]:
    """Commit :data:`DAYS`, reported an hour apart in their order; return their ids."""
    first = datetime(2031, 8, 6, 1, 0, tzinfo=UTC)
    with _committed(
        database,
        {
            name: (village, code, title, first + timedelta(hours=n))
            for n, (name, (village, code, title)) in enumerate(DAYS.items())
        },
    ) as ids:
        yield ids


def test_the_date_in_case_numbers_finds_that_days_cases(
    api_client: TestClient, auth_headers: Headers, dated: dict[str, int]
) -> None:
    def mine(account: str, q: str) -> list[str]:
        return _found_of(api_client, auth_headers(account), dated, q)

    # the city's two counties, the newest first; not the day before, not a code of another shape
    assert mine("cmd_city", "20310806") == ["c", "b", "a"]
    found = _found(api_client, auth_headers("cmd_city"), "20310806")
    assert all(str(c["code"])[6:16] == "-20310806-" for c in found)
    # a township its own only
    assert mine("disp_a1", "20310806") == ["b", "a"]
    assert mine("disp_a1", " 20310805 ") == ["day_before"]
    # the day and the number's last digits, or its whole number after the county
    assert mine("cmd_city", "20310806-4241") == ["c", "a"]
    assert mine("cmd_city", "20310806-41") == ["c", "a"]
    assert mine("cmd_city", "20310806-00054242") == ["b"]
    assert mine("disp_a1", "20310805-4241") == ["day_before"]
    # no such day: nothing (the title's words are searched, none holds it)
    assert mine("cmd_city", "20311306") == []
    # the last digits alone still find the number whatever its day
    assert mine("disp_a1", "4241") == ["day_before", "a"]


def test_a_day_written_as_a_date_finds_that_days_cases(
    api_client: TestClient, auth_headers: Headers, dated: dict[str, int]
) -> None:
    """``2031-08-06``, ``2031/08/06`` or ``2031.8.6`` read as ``20310806`` (trial AP m8)."""

    def mine(q: str) -> list[str]:
        return _found_of(api_client, auth_headers("cmd_city"), dated, q)

    for typed in ("2031-08-06", "2031/08/06", "2031.08.06", "2031.8.6", " 2031-08-06 "):
        assert mine(typed) == ["c", "b", "a"], typed
    assert mine("2031-08-05") == ["day_before"]
    # with the number's last digits after it
    assert mine("2031-08-06-4241") == ["c", "a"]
    assert mine("2031.08.06-00054242") == ["b"]
    # no such day, or separators mixed: not a day
    assert mine("2031-02-30") == []
    assert mine("2031-08/06") == []


@pytest.mark.parametrize("typed", ["20310806", "20310806-4241", "2031-08-06", "2031.8.6-4241"])
def test_a_day_is_one_index_range(
    database: SuiteDatabase, dated: dict[str, int], typed: str
) -> None:
    plan = _plan(database, None, typed)
    assert "Seq Scan" not in plan, plan
    assert "ix_cases_code_day" in plan, plan
