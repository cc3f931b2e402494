"""A brief compares 办结率 like for like: each window's as it stood as long after its end.

Measured when the brief is made, the window before and the same window a year before have had
a week or a year longer to close their cases than the brief's own: every comparison read as a
sharp drop (a trial's 近7日 brief: 32.6% against 92.3% and 100.0%). Each compared window's
办结率 is now read back from the case events to the same time after its end as the brief's own
is after its window's end, in whole days (trial AO m5: 「截至各期末后5天10小时」 changed with the
hour the brief was made): at each window's end for a brief of the last days (截至各期末) and for
last week's 周研判 made at noon on Monday, at the end of the 4th day after each month's end for
May's 月总结 made on 5 June at any hour (截至各月末后第4日24时), the brief's own 办结率 in 简报
too.

Cases are committed into the API test world's county 甲区 with events at known times around a
clock frozen at Monday 2025-03-10 12:00 (Beijing time; the route's ``utcnow``), weeks no other
test uses: resolved (办结) before or after the compared window's end, resolved and reopened
(重新办理) after it, reopened before it and resolved again since, and two cases of the year before
with no event but their 办结时间 (``closed_at``, as history imported later). The briefs' 环比同比
sheets give the as-of figures the test works out here; the old rule (the cases' state now) gives
other ones, which the test works out too. The cases and their events are removed afterwards.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

import api.routers.command as command_route
from geo.codes import enclosing_code, scope_range
from layers import brief_cases, cases, work_brief, workflow
from layers.china_time import CHINA
from layers.database import apply_scope
from layers.model import Case, CaseEvent
from layers.workflow import Actor
from tests.api_fixtures import COUNTY_A, TOWN_A1, TOWN_A2, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase
from tests.workflow_data import delete_cases

Headers = Callable[[str], dict[str, str]]
NOW = datetime(2025, 3, 10, 12, tzinfo=CHINA)  # a Monday, noon: when the briefs are made
V0, V1, V2, _ = VILLAGES  # V0, V1 in 甲一街道; V2 in 甲二镇
GRID = f"{V0}001"  # V0's cases lie in its first grid


def ago(days: int, hours: int = 0) -> datetime:
    """A time so long before :data:`NOW`."""
    return NOW - timedelta(days=days, hours=hours)


def year_before(month: int, day: int, hour: int = 0) -> datetime:
    """A time in 2024, Beijing time."""
    return datetime(2024, month, day, hour, tzinfo=CHINA)


def may(day: int, hour: int = 0) -> datetime:
    """A time in May 2025, Beijing time."""
    return datetime(2025, 5, day, hour, tzinfo=CHINA)


@dataclass(frozen=True)
class Seed:
    """A case: where, when reported, and the actions on it at their times.

    Without actions it has no event at all, and ``state`` and ``closed_at`` say how it stands
    (history imported after the window). With them it is accepted an hour after it is reported,
    then acted on.
    """

    village: str
    reported: datetime
    actions: list[tuple[str, datetime]] = field(default_factory=list)
    state: str = "accepted"
    closed_at: datetime | None = None


SEEDS: dict[str, Seed] = {
    # the brief's window: the last 7 days, [03-03 12:00, 03-10 12:00)
    "c1": Seed(V0, ago(6), [("resolve", ago(5))]),
    "c2": Seed(V2, ago(2)),  # open
    # the 7 days before, [02-24 12:00, 03-03 12:00): read at 03-03 12:00
    "p1": Seed(V0, ago(13), [("resolve", ago(12))]),  # concluded by then
    "p2": Seed(V0, ago(12), [("resolve", ago(3))]),  # concluded since: not by then
    "p3": Seed(V2, ago(10), [("resolve", ago(9)), ("reopen", ago(2))]),  # concluded then
    "p4": Seed(  # reopened (at 03-03 00:00) before then, concluded again since
        V2,
        ago(9),
        [
            ("resolve", ago(8)),
            ("reopen", ago(7, 12)),
            ("dispatch", ago(7, 11)),
            ("accept", ago(7, 10)),
            ("resolve", ago(1)),
        ],
    ),
    "p5": Seed(V1, ago(11), [("resolve", ago(7, 6))]),  # 03-03 06:00: after last week's end
    # the same 7 days a year before, [2024-03-03 12:00, 2024-03-10 12:00)
    "y1": Seed(V0, year_before(3, 4, 12), [("resolve", year_before(3, 5, 12))]),
    "y2": Seed(V1, year_before(3, 5, 12), [("resolve", year_before(4, 9))]),
    "y3": Seed(V2, year_before(3, 5, 18), state="archived", closed_at=year_before(3, 7)),
    "y4": Seed(V2, year_before(3, 6, 12), state="resolved", closed_at=year_before(3, 12)),
    # May 2025 and the April before it, for May's 月总结 made on 5 June (06-05 00:00 is 月末后第4日
    # 24时 of May, 05-05 00:00 that of April)
    "a1": Seed(V0, datetime(2025, 4, 28, 10, tzinfo=CHINA), [("resolve", may(4, 12))]),
    "a2": Seed(V2, datetime(2025, 4, 29, 10, tzinfo=CHINA), [("resolve", may(5, 6))]),
    "m1": Seed(V0, may(10, 10), [("resolve", may(20, 10))]),
    "m2": Seed(V1, may(28, 10), [("resolve", datetime(2025, 6, 3, 10, tzinfo=CHINA))]),
    "m3": Seed(V2, may(29, 10), [("resolve", datetime(2025, 6, 5, 12, tzinfo=CHINA))]),
}
#: The note each action is given: 重新办理 says why, 办结 what was done (both required).
NOTES = {"reopen": "当事人再次反映", "resolve": "已现场处置完毕"}
# by the as-of rule (by the old rule, the cases' state now: p2 and p4 concluded, p3 not; y2, y4)
CONCLUDED_THEN = {"c1", "p1", "p3", "p5", "y1", "y3"}


@dataclass(frozen=True)
class Seeded:
    """Ids of the committed cases by name."""

    ids: dict[str, int]


@pytest.fixture(scope="module")
def seeded(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[Seeded]:  # noqa: F811
    """Commit :data:`SEEDS` with their events at their times; remove them after."""
    user = api_world.users["cmd_a"]
    commander = Actor(user_id=user.id, name="甲区指挥长", role=user.role, scope_code=COUNTY_A)
    ids: dict[str, int] = {}
    try:
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            for name, seed in SEEDS.items():
                case = Case(
                    code=f"pending-resolved-{name}",
                    channel="phone",
                    category="dispute",
                    subcategory="neighbours",
                    title=f"办结率测试：{name}",
                    risk_level=3,
                    area_code=seed.village,
                    grid_code=GRID if seed.village == V0 else None,
                    state=seed.state,
                    handling_level=4,
                    reported_at=seed.reported,
                    closed_at=seed.closed_at,
                )
                session.add(case)
                session.flush()
                case.code = f"{seed.village[:6]}-{seed.reported:%Y%m%d}-{case.id:08d}"
                ids[name] = case.id
                if not seed.actions:
                    continue
                session.add(
                    CaseEvent(
                        case_id=case.id,
                        area_code=seed.village,
                        at=seed.reported + timedelta(hours=1),
                        actor_name="网格员",
                        action="accept",
                        from_state="dispatched",
                        to_state="accepted",
                    )
                )
                session.flush()
                params = {
                    "resolve": {"outcome": "resolved"},
                    "dispatch": {"department": "司法所"},
                }
                # the township handling the case 办结s it: the county does not (trial AU S1)
                handler = replace(commander, scope_code=enclosing_code(seed.village, 4))
                for action, when in seed.actions:
                    cases.act(
                        session,
                        case.id,
                        action,
                        actor=handler,
                        now=when,
                        params=params.get(action, {}),
                        note=NOTES.get(action),
                    )
        yield Seeded(ids)
    finally:
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            delete_cases(session, list(ids.values()))


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The brief's route reads the clock at :data:`NOW`."""
    monkeypatch.setattr(command_route, "utcnow", lambda: NOW)


def _comparison(
    client: TestClient, headers: dict[str, str], code: str, query: str
) -> tuple[dict[tuple[str, str], list[Any]], list[str], str]:
    """The comparison sheet's rows by unit and 指标 (its label up to 「（」), its 办结率 label(s)
    and the 说明's line on it."""
    got = client.get(f"/api/command/{code}/brief.xlsx?{query}", headers=headers)
    assert got.status_code == 200, got.text
    book = load_workbook(io.BytesIO(got.content), read_only=True)
    sheets = {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}
    rows = [r for r in sheets["环比同比"][1:] if r[2]]  # not the notes under the table
    table = {(r[2], r[3].split("（")[0]): r[4:] for r in rows}
    labels = sorted({r[3] for r in rows if r[3].startswith("办结率")})
    notes = {row[0]: row[1] for row in sheets["概况"]}["说明"].splitlines()
    (said,) = [line for line in notes if line.startswith("环比同比：")]
    return table, labels, said


def _in(code: str, village: str) -> bool:
    if len(code) == 15:  # a grid: V0's cases lie in GRID
        return village == V0 and code == GRID
    lo, hi = scope_range(code)
    return lo <= village < hi


def _share(code: str, start: datetime, end: datetime, concluded: Callable[[str], bool]) -> Any:
    """The 办结率 of ``code``'s seeds reported in [start, end), as the brief writes it."""
    inside = [n for n, s in SEEDS.items() if _in(code, s.village) and start <= s.reported < end]
    value = round(sum(concluded(n) for n in inside) / len(inside), 4) if inside else None
    return work_brief.kpi_text("resolved_share", value)


def _old_rule(database: SuiteDatabase, seeded: Seeded) -> Callable[[str], bool]:
    """Whether a seed counts as concluded by its state now (the rule the brief dropped)."""
    with database.owner.connect() as conn:
        states: dict[int, str] = dict(
            conn.execute(
                text("SELECT id, state FROM cases WHERE id = ANY(:ids)"),
                {"ids": list(seeded.ids.values())},
            ).all()
        )
    return lambda name: states[seeded.ids[name]] in workflow.DONE_STATES


def test_the_last_days_compare_the_share_concluded_by_each_windows_end(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    database: SuiteDatabase,
    seeded: Seeded,
    frozen: None,
) -> None:
    table, labels, said = _comparison(api_client, auth_headers("cmd_a"), COUNTY_A, "days=7")
    assert labels == ["办结率（截至各期末）"]
    assert "办结率各期均为截至各期末的办结率" in said
    assert "本期、上期、上年同期都按办理记录回溯到各自的期末" in said
    windows = {  # 本期, 上期 (环比), 上年同期 (同比)
        "本期": (ago(7), NOW),
        "上期": (ago(14), ago(7)),
        "上年同期": (year_before(3, 3, 12), year_before(3, 10, 12)),
    }
    old = _old_rule(database, seeded)
    for code in (COUNTY_A, TOWN_A1, TOWN_A2):
        row = table[(code, "办结率")]
        shown = {"本期": row[0], "上期": row[1], "上年同期": row[4]}
        for column, (start, end) in windows.items():
            assert shown[column] == _share(code, start, end, CONCLUDED_THEN.__contains__), (
                code,
                column,
            )
        # the old rule (the cases' state now) would show other figures for the county
        if code == COUNTY_A:
            for column in ("上期", "上年同期"):
                assert shown[column] != _share(code, *windows[column], old), column
    # spelled out: 5 cases the 7 days before, 3 concluded by their end (80.0% now); 4 a year
    # before, 2 concluded by its end (100.0% now)
    # (shares as numbers the sheet shows as percentages, changes in percentage points)
    assert table[(COUNTY_A, "办结率")] == [0.5, 0.6, -10.0, "—", 0.5, 0.0, "—"]
    assert _share(COUNTY_A, *windows["上期"], old) == 0.8
    assert _share(COUNTY_A, *windows["上年同期"], old) == 1.0
    assert table[(TOWN_A1, "办结率")][:2] == [1.0, 0.6667]
    # the counts are unchanged: cases reported, not cases closed
    assert table[(COUNTY_A, "近期受理")][:2] == [2, 5] and table[(COUNTY_A, "近期受理")][4] == 4


def test_a_past_weeks_brief_reads_each_week_as_long_after_its_end(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    seeded: Seeded,
    frozen: None,
) -> None:
    # last week's 周研判, [03-03, 03-10), made 12 hours after it ended, on the day after it:
    # each week is read at its end (whole days), the week before at 03-03 00:00, before p5 was
    # concluded (at 06:00; 12 hours after, as it was read before, it counted: 60.0%)
    table, labels, said = _comparison(api_client, auth_headers("cmd_a"), COUNTY_A, "period=week")
    assert labels == ["办结率（截至各期末）"]
    assert "本期、上期、上年同期都按办理记录回溯到各自的期末（" in said
    row = table[(COUNTY_A, "办结率")]
    assert row[:2] == [0.5, 0.4]
    assert row[4] == 0.5  # 2024-03-04 … 03-11, read at 2024-03-11 00:00


def test_a_villages_brief_compares_its_grids(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    seeded: Seeded,
    frozen: None,
) -> None:
    # a village's children are its grids: its brief compares each grid's 办结率 as well
    table, labels, _ = _comparison(api_client, auth_headers("cmd_village"), V0, "days=7")
    assert labels == ["办结率（截至各期末）"]
    for code in (V0, GRID):
        # p1 concluded by the end, p2 not (100.0% now): +50.0个百分点
        assert table[(code, "办结率")] == [1.0, 0.5, 50.0, "—", 1.0, 0.0, "—"], code
    # a grid with no case before 2026 (the world's): none to share, none to compare
    assert table[(f"{V0}002", "办结率")][:2] == ["—", "无上期数据"]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (ago(8), 1.0),  # p3 and p4 concluded (p4 at that instant)
        (ago(7, 12), 0.5),  # p4 reopened
        (ago(7), 0.5),  # the window's end
        (ago(2), 0.0),  # p3 reopened, p4 accepted again
        (NOW, 0.5),  # p4 concluded again: the state now
    ],
)
def test_the_share_is_read_from_the_events_as_of_a_time(
    database: SuiteDatabase, seeded: Seeded, as_of: datetime, expected: float
) -> None:
    commander = Actor(user_id=None, name="指挥长", role="commander", scope_code=COUNTY_A)
    with Session(database.app) as session, session.begin():
        apply_scope(session, COUNTY_A)  # the app role: row-level security applies
        got = brief_cases.resolved_shares(
            session,
            TOWN_A2,
            [V2],
            actor=commander,
            start=ago(14),
            end=ago(7),
            as_of=as_of,
        )
    assert got == {TOWN_A2: expected, V2: expected}


def _book(client: TestClient, headers: dict[str, str], query: str) -> dict[str, list[list[Any]]]:
    got = client.get(f"/api/command/{COUNTY_A}/brief.xlsx?{query}", headers=headers)
    assert got.status_code == 200, got.text
    book = load_workbook(io.BytesIO(got.content), read_only=True)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


@pytest.mark.parametrize("hour", [8, 20])
def test_a_past_months_brief_reads_whole_days_after_each_months_end_at_any_hour(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    seeded: Seeded,
    monkeypatch: pytest.MonkeyPatch,
    hour: int,
) -> None:
    # trial AO m5: May's 月总结 made on 5 June read 「办结率（截至各期末后4天8小时）」 at 08:00 and
    # 「…4天20小时」 at 20:00, with other figures (m3 was concluded at 12:00, a2 on 5 May at 06:00)
    made = datetime(2025, 6, 5, hour, tzinfo=CHINA)
    monkeypatch.setattr(command_route, "utcnow", lambda: made)
    sheets = _book(api_client, auth_headers("cmd_a"), "period=month&date=2025-05-01")
    rows = [r for r in sheets["环比同比"][1:] if r[2] and r[3].startswith("办结率")]
    assert {r[3] for r in rows} == {"办结率（截至各月末后第4日24时）"}
    table = {r[2]: r[4:6] for r in rows}
    # 本期 at 06-05 00:00: m1, m2 concluded, m3 not yet; 上月 at 05-05 00:00: a1, not a2
    assert table[COUNTY_A] == [0.6667, 0.5]
    assert table[TOWN_A1] == [1.0, 1.0]  # V0, V1: m1, m2; a1
    assert table[TOWN_A2] == [0.0, 0.0]  # V2: m3; a2
    # 简报 gives the brief's own 办结率 as read then, not as it stands when the brief is made
    header, *units = sheets["简报"]
    column = header.index("办结率")
    assert {u[2]: u[column] for u in units} == {code: v[0] for code, v in table.items()}
    summary = {row[0]: row[1] for row in sheets["概况"]}
    assert summary["办结率截至"] == (
        "本期 2025年6月4日24时；上月 2025年5月4日24时；上年同月 2024年6月4日24时"
    )
    notes = summary["说明"].splitlines()
    (said,) = [line for line in notes if line.startswith("环比同比：")]
    assert "办结率各期均为截至各月末后第4日24时的办结率" in said
    assert "过去的统计期按整日计，同一天内任何时刻生成的简报办结率相同。" in said
    (brief,) = [line for line in notes if line.startswith("简报：")]
    assert "办结率为时段内受理的案件中截至2025年6月4日24时已办结的比例" in brief

    # the day before's 日汇总 made that morning: read at its end
    day = _book(api_client, auth_headers("cmd_a"), "period=day&date=2025-06-04")
    labels = {r[3] for r in day["环比同比"][1:] if r[2] and r[3].startswith("办结率")}
    assert labels == {"办结率（截至各期末）"}
