"""查找案件 by the last digits of a case's number (trial AK M1), over HTTP on PostGIS.

An operator reads ``…4241`` off a phone call or a printed form and types ``4241``: the cases of
the scope whose code ends in those digits are found, the newest first; three digits are too few
to be a number (they are looked for in the titles, as before). The suffix is answered by the
``ix_cases_code_reversed`` index, not by reading every case of the county.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


@pytest.fixture
def numbered(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[dict[str, int]]:
    """Commit :data:`CASES` with codes ``<area6>-20310803-<serial>``; return their ids."""
    ids: dict[str, int] = {}
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        for n, (name, (village, serial, title)) in enumerate(CASES.items()):
            case = Case(
                code=f"{village[:6]}-{DAY:%Y%m%d}-{serial}",
                channel="phone",
                category="dispute",
                title=title,
                area_code=village,
                state="registered",
                handling_level=4,
                reported_at=DAY + timedelta(minutes=n),
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


def _found(client: TestClient, headers: dict[str, str], q: str) -> list[dict[str, object]]:
    response = client.get("/api/cases", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


def test_the_last_digits_of_a_case_number_find_it(
    api_client: TestClient, auth_headers: Headers, numbered: dict[str, int]
) -> None:
    disp = auth_headers("disp_a1")
    names = {v: k for k, v in numbered.items()}

    def mine(q: str) -> list[str]:
        return [names[int(str(c["id"]))] for c in _found(api_client, disp, q) if c["id"] in names]

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
    other = [c["id"] for c in _found(api_client, auth_headers("disp_b1"), "4241")]
    assert [i for i in other if i in names] == [numbered["other_township"]]


def test_the_suffix_is_one_index_range(database: SuiteDatabase, numbered: dict[str, int]) -> None:
    with Session(database.owner) as session, session.begin():
        apply_scope(session, TOWN_A1)
        query = select(Case.id).where(case_lists.identifier_match("4241"))
        sql = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(str(row[0]) for row in session.execute(text(f"EXPLAIN {sql}")))
        assert "Seq Scan" not in plan, plan
        assert "ix_cases_code_reversed" in plan, plan
