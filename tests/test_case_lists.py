"""The dispatch desk's lists beyond the queue (待结案, 已上报) and 查找案件, over HTTP on PostGIS.

The cases are committed into the API test world's township 甲一街道 (``TOWN_A1``, level 4) and
one into 乙一街道 (``TOWN_B1``), read through ``GET /api/cases`` as the township dispatchers
(whose sessions are scoped by row-level security), and removed afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from layers import case_lists, workflow
from layers.database import apply_scope
from layers.model import Case
from layers.workflow import Actor
from tests.api_fixtures import COUNTY_A, TOWN_A1, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
DAY = datetime(2031, 7, 19, 9, 0, tzinfo=UTC)  # a day no other test registers cases on
WORK_ORDER = "LST2031071900017"


@dataclass(frozen=True)
class Seeded:
    """Ids (and codes) of the committed cases, by what each stands for."""

    ids: dict[str, int]
    codes: dict[str, str]


# name -> (village, state, handling level, title, channel, work-order number)
CASES: dict[str, tuple[str, str, int, str, str, str | None]] = {
    "waiting": (VILLAGES[0], "registered", 4, "列表测试：楼道堆物", "phone", None),
    "resolved": (VILLAGES[0], "resolved", 4, "列表测试：楼上漏水协调", "grid_worker", None),
    "evaluated": (VILLAGES[1], "evaluated", 4, "列表测试：噪音扰民", "walk_in", None),
    "visited": (VILLAGES[0], "visited", 4, "列表测试：占道经营", "phone", None),
    "archived": (VILLAGES[0], "archived", 4, "列表测试：楼上漏水已修", "hotline_12345", WORK_ORDER),
    "escalated": (VILLAGES[0], "escalated", 3, "列表测试：征地补偿纠纷", "petition", None),
    "county_dispatched": (VILLAGES[1], "dispatched", 3, "列表测试：劳资欠薪", "phone", None),
    "county_resolved": (VILLAGES[0], "resolved", 3, "列表测试：县级已办结", "phone", None),
    "handed_down": (VILLAGES[0], "triaged", 5, "列表测试：交办村里", "phone", None),
    "other_township": (VILLAGES[3], "resolved", 4, "列表测试：楼上漏水乙区", "phone", None),
}


@pytest.fixture
def seeded(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[Seeded]:
    """Commit :data:`CASES` (codes ``<area6>-<date>-<id:08d>`` as the platform writes them)."""
    ids: dict[str, int] = {}
    codes: dict[str, str] = {}
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        for n, (name, (village, state, level, title, channel, number)) in enumerate(CASES.items()):
            reported = DAY + timedelta(minutes=n)
            case = Case(
                code=f"pending-{name}",
                channel=channel,
                category="dispute",
                title=title,
                area_code=village,
                state=state,
                handling_level=level,
                reported_at=reported,
                closed_at=None if state in workflow.OPEN_STATES else reported + timedelta(hours=1),
                external_no=number,
            )
            session.add(case)
            session.flush()
            case.code = f"{village[:6]}-{reported:%Y%m%d}-{case.id:08d}"
            ids[name], codes[name] = case.id, case.code
    try:
        yield Seeded(ids, codes)
    finally:
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            session.execute(delete(Case).where(Case.id.in_(ids.values())))


def _ids(client: TestClient, headers: dict[str, str], **params: str) -> list[int]:
    response = client.get("/api/cases", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()]


def _mine(seeded: Seeded, found: list[int]) -> set[str]:
    names = {v: k for k, v in seeded.ids.items()}
    return {names[i] for i in found if i in names}


def test_closing_lists_the_settled_cases_the_township_must_still_close(
    api_client: TestClient, auth_headers: Headers, seeded: Seeded
) -> None:
    disp = auth_headers("disp_a1")
    closing = _ids(api_client, disp, code=TOWN_A1, stage="closing")
    assert _mine(seeded, closing) == {"resolved", "evaluated", "visited"}
    # the longest settled first
    order = [i for i in closing if i in seeded.ids.values()]
    assert order == [seeded.ids[n] for n in ("resolved", "evaluated", "visited")]
    # the queue is what it was: open cases at the township's level only
    for params in ({}, {"code": TOWN_A1}, {"code": TOWN_A1, "stage": "queue"}):
        assert _mine(seeded, _ids(api_client, disp, **params)) == {"waiting"}


def test_escalated_lists_the_areas_open_cases_handled_above_with_their_level(
    api_client: TestClient, auth_headers: Headers, seeded: Seeded
) -> None:
    response = api_client.get(
        "/api/cases", params={"stage": "escalated"}, headers=auth_headers("disp_a1")
    )
    assert response.status_code == 200, response.text
    mine = {c["id"]: c for c in response.json() if c["id"] in seeded.ids.values()}
    assert _mine(seeded, list(mine)) == {"escalated", "county_dispatched"}
    assert {c["handling_level"] for c in mine.values()} == {3}
    # the county handles them: not "above" the county's own level
    county = _ids(api_client, auth_headers("cmd_a"), code=COUNTY_A, stage="escalated")
    assert _mine(seeded, county) == set()
    assert _mine(seeded, _ids(api_client, auth_headers("cmd_a"), code=COUNTY_A)) >= {
        "escalated",
        "county_dispatched",
    }


def test_lists_keep_to_the_scope(
    api_client: TestClient, auth_headers: Headers, seeded: Seeded
) -> None:
    other = auth_headers("disp_b1")
    assert _mine(seeded, _ids(api_client, other, stage="closing")) == {"other_township"}
    for params in ({"code": TOWN_A1, "stage": "closing"}, {"code": TOWN_A1, "q": "楼上漏水"}):
        assert api_client.get("/api/cases", params=params, headers=other).status_code == 404
    # a code of the other township is not found from here, its title words neither
    assert _ids(api_client, other, q=seeded.codes["archived"]) == []
    assert _mine(seeded, _ids(api_client, other, q="楼上漏水")) == {"other_township"}
    analyst = auth_headers("analyst_a")
    assert api_client.get("/api/cases", params={"q": "漏水"}, headers=analyst).status_code == 403


def test_stages_reads_the_desks_lists_in_one_request_as_each_list_reads(
    api_client: TestClient, auth_headers: Headers, seeded: Seeded
) -> None:
    """GET /api/cases/stages: the 调度台's eight lists, each as GET /api/cases?stage= gives it."""
    desk = [s.value for s in case_lists.Stage if s is not case_lists.Stage.MINE]
    for who, code in (("disp_a1", TOWN_A1), ("cmd_a", COUNTY_A)):
        headers = auth_headers(who)
        params = {"code": code, "limit": "300", "stage": desk}
        response = api_client.get("/api/cases/stages", params=params, headers=headers)
        assert response.status_code == 200, response.text
        lists = response.json()
        assert list(lists) == desk
        for stage in desk:
            one = api_client.get(
                "/api/cases", params={"code": code, "stage": stage, "limit": "300"}, headers=headers
            )
            assert one.status_code == 200, one.text
            assert [c["id"] for c in lists[stage]] == [c["id"] for c in one.json()], (who, stage)
            ours = set(seeded.ids.values())
            assert [c for c in lists[stage] if c["id"] in ours] == [
                c for c in one.json() if c["id"] in ours
            ], (who, stage)
    closing = api_client.get(
        "/api/cases/stages",
        params={"code": TOWN_A1, "stage": ["queue", "closing"]},
        headers=auth_headers("disp_a1"),
    ).json()
    assert _mine(seeded, [c["id"] for c in closing["closing"]]) == {
        "resolved",
        "evaluated",
        "visited",
    }
    assert _mine(seeded, [c["id"] for c in closing["queue"]]) == {"waiting"}
    # another township's lists are not found from here (the desk shows its refusal card)
    refused = api_client.get(
        "/api/cases/stages",
        params={"code": TOWN_A1, "stage": ["queue", "closing"]},
        headers=auth_headers("disp_b1"),
    )
    assert refused.status_code == 404
    assert (
        api_client.get(
            "/api/cases/stages", params={"stage": "nothing"}, headers=auth_headers("disp_a1")
        ).status_code
        == 422
    )


def test_search_finds_any_case_by_code_work_order_or_title_words(
    api_client: TestClient, auth_headers: Headers, seeded: Seeded
) -> None:
    disp = auth_headers("disp_a1")
    archived = seeded.codes["archived"]
    # the exact code, in any state (archived), and the same typed without its hyphens
    assert _ids(api_client, disp, q=archived) == [seeded.ids["archived"]]
    assert _ids(api_client, disp, q=f"  {archived.replace('-', '')} ") == [seeded.ids["archived"]]
    # the 12345 work-order number
    assert _ids(api_client, disp, q=WORK_ORDER) == [seeded.ids["archived"]]
    assert _ids(api_client, disp, q=WORK_ORDER[:12]) == [seeded.ids["archived"]]
    # a code's prefix (the day): that day's cases of the scope, newest first, with or without
    # its hyphens
    day = _ids(api_client, disp, q=archived[:16])
    assert _ids(api_client, disp, q=archived[:15].replace("-", "")) == day
    in_a1 = [n for n in CASES if n != "other_township"]
    assert _mine(seeded, day) == set(in_a1)
    assert day[: len(in_a1)] == [seeded.ids[n] for n in reversed(in_a1)]
    # every word of the title, newest first; a word the titles lack finds nothing
    words = [i for i in _ids(api_client, disp, q="漏水 楼上") if i in seeded.ids.values()]
    assert words == [seeded.ids["archived"], seeded.ids["resolved"]]
    assert _ids(api_client, disp, q="漏水 噪音") == []
    assert _ids(api_client, disp, q="列表测试", limit="3") == [
        seeded.ids[n] for n in ("handed_down", "county_resolved", "county_dispatched")
    ]
    # LIKE's wildcards are plain characters
    assert _ids(api_client, disp, q="列表%测试") == []
    for params in ({"q": " "}, {"q": "漏水", "stage": "closing"}, {"q": "x" * 101}):
        assert api_client.get("/api/cases", params=params, headers=disp).status_code == 422


def test_code_forms_and_identifier_lookup_use_the_indexes(
    database: SuiteDatabase, seeded: Seeded
) -> None:
    assert case_lists.code_forms("530424202609230002")[-1] == "530424-20260923-00000002"
    actor = Actor(user_id=1, name="测试", role="dispatcher", scope_code=TOWN_A1)
    with Session(database.owner) as session, session.begin():
        apply_scope(session, TOWN_A1)
        found = case_lists.search(session, actor=actor, q=seeded.codes["visited"])
        assert [c.id for c in found] == [seeded.ids["visited"]]
        # with sequential scans priced out, every branch of the lookup has an index to answer it
        query = select(Case.id).where(case_lists.identifier_match(WORK_ORDER))
        sql = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(str(row[0]) for row in session.execute(text(f"EXPLAIN {sql}")))
        assert "Seq Scan" not in plan, plan
        assert "uq_cases_channel_external_no" in plan and "uq_cases_code" in plan, plan


def test_overdue_and_recent_list_the_whole_area_at_every_level(
    database: SuiteDatabase, seeded: Seeded
) -> None:
    """辖区超期 and 辖区新登记 of the command view: any level, the longest overdue first."""
    names = {v: k for k, v in seeded.ids.items()}
    deadlines = {  # the open ones but the last; an archived case past its deadline is done
        "escalated": DAY + timedelta(hours=1),
        "waiting": DAY + timedelta(hours=2),
        "handed_down": DAY + timedelta(hours=3),
        "archived": DAY + timedelta(hours=1),
        "county_dispatched": DAY + timedelta(days=5),
    }
    county = Actor(user_id=None, name="测试", role="commander", scope_code=COUNTY_A)
    with Session(database.owner) as session:
        apply_scope(session, None)
        for name, deadline in deadlines.items():
            session.execute(
                text("UPDATE cases SET deadline = :d WHERE id = :id"),
                {"d": deadline, "id": seeded.ids[name]},
            )

        def listed(stage: case_lists.Stage, code: str, now: datetime) -> list[str]:
            found = case_lists.stage_list(session, actor=county, stage=stage, code=code, now=now)
            return [names[c.id] for c in found if c.id in names]

        assert listed(case_lists.Stage.OVERDUE, COUNTY_A, DAY + timedelta(days=1)) == [
            "escalated",
            "waiting",
            "handed_down",
        ]
        assert listed(case_lists.Stage.OVERDUE, TOWN_A1, DAY + timedelta(minutes=90)) == [
            "escalated"
        ]
        # reported in the 24 hours before now, any state and level, the latest first
        recent = listed(case_lists.Stage.RECENT, TOWN_A1, DAY + timedelta(minutes=5))
        assert recent == list(reversed(list(CASES)[:6]))
        assert listed(case_lists.Stage.RECENT, TOWN_A1, DAY + timedelta(days=2)) == []
        session.rollback()
