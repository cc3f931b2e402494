"""The cases a brief lists, and its comparisons with the window before (环比) and the same window
a year before (同比), on PostGIS.

Cases are committed into the API test world's county 甲区 (``COUNTY_A``) and one into 乙区,
reported in the week of 2025-09-15 (Beijing time, a week no other test uses), in the week
before and outside both; some are escalated (上报) and supervised (督办) through
:func:`layers.cases.act` at times in those weeks, one is past its deadline. More are reported in
甲一街道 only in the same week a year before (2024-09-16, 52 weeks before), one before it and one
after it; 甲二镇 has no case before 2025. The week's 周研判 is read as a workbook
(``GET /api/command/{code}/brief.xlsx?period=week&date=2025-09-17``): each list holds exactly
the expected cases, in its order; 环比同比 has the previous week's and the year-before week's
figures as this test counts them, 无上年同期数据 for 甲二镇, and names the village whose cases
begin inside the year-before week; no reporter's name or phone appears anywhere; an analyst gets
none of the lists. The cases and their events are removed afterwards.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import division_level, scope_range
from layers import brief_cases, cases, work_brief, workflow
from layers.china_time import CHINA
from layers.database import apply_scope
from layers.errors import Forbidden
from layers.model import Case
from layers.workflow import Actor
from tests.api_fixtures import COUNTY_A, COUNTY_B, TOWN_A1, TOWN_A2, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase
from tests.workflow_data import delete_cases

Headers = Callable[[str], dict[str, str]]
WEEK = datetime(2025, 9, 15, tzinfo=CHINA)  # Monday: the brief's week is [WEEK, WEEK + 7 days)
BEFORE = WEEK - timedelta(days=7)  # the week it is compared with (环比)
YEAR_BEFORE = datetime(2024, 9, 16, tzinfo=CHINA)  # 52 weeks before: the week of 同比
NEVER = datetime(2099, 1, 1, tzinfo=CHINA)  # a deadline that stays ahead
REPORTER_NAME, REPORTER_PHONE = "欧阳测试", "13912345678"
DESCRIPTION, ADDRESS = "描述：当事人家住三楼", "测试路8号3单元"
REASON = "涉及多部门，需区级协调"


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A time in September 2025, Beijing time."""
    return datetime(2025, 9, day, hour, minute, tzinfo=CHINA)


def last_year(day: int, hour: int = 0) -> datetime:
    """A time in September 2024, Beijing time."""
    return datetime(2024, 9, day, hour, tzinfo=CHINA)


@dataclass(frozen=True)
class Seed:
    """A case to commit: where, when, its state now, its deadline."""

    village: str
    reported: datetime
    state: str = "registered"
    deadline: datetime | None = None
    repeat_of: str | None = None


V0, V1, V2, V3 = VILLAGES  # V0, V1 in 甲一街道; V2 in 甲二镇; V3 in 乙区
SEEDS: dict[str, Seed] = {
    # reported in the week
    "new_start": Seed(V1, at(15), "triaged", NEVER),  # at the window's first instant
    "new_a1": Seed(V0, at(16, 10)),
    "new_escalated": Seed(V1, at(17, 8)),
    "new_done": Seed(V2, at(18, 9), "resolved"),
    "new_repeat": Seed(V0, at(20, 15), repeat_of="new_a1"),
    "after_end": Seed(V0, at(22)),  # the next week's first instant
    # reported in the week before
    "prev_a": Seed(V0, at(8), "resolved"),
    "prev_b": Seed(V2, at(10, 12), "triaged", at(20)),  # overdue now
    "prev_c": Seed(V1, at(14, 20)),  # escalated twice: in the week before and in the week
    # reported earlier, supervised before or in the week
    "supervised_late": Seed(V0, datetime(2025, 8, 1, tzinfo=CHINA), "triaged", at(1)),
    "supervised_before": Seed(V2, datetime(2025, 8, 1, tzinfo=CHINA), "triaged"),
    "supervised_before_done": Seed(V1, datetime(2025, 8, 1, tzinfo=CHINA), "triaged"),
    "supervised_done": Seed(V1, datetime(2025, 8, 2, tzinfo=CHINA), "triaged"),
    "done_past_deadline": Seed(V0, datetime(2025, 8, 5, tzinfo=CHINA), "resolved", at(1)),
    # the other county: reported, escalated and overdue, in none of 甲区's lists
    "other_county": Seed(V3, at(17, 10), deadline=at(19)),
    # a year before, in 甲一街道 only: 测试村1's first case before the week, 测试村2's in it
    "year_first": Seed(V0, last_year(10, 9)),
    "year_a": Seed(V0, last_year(16), "resolved"),  # at the week's first instant
    "year_b": Seed(V1, last_year(18, 10)),  # escalated in the week
    "year_repeat": Seed(V1, last_year(20, 15), repeat_of="year_b"),
    "year_c": Seed(V0, last_year(22, 23)),
    "year_after": Seed(V1, last_year(23)),  # the next week's first instant
}
# case -> [(action, when, who, params, note)], applied in order through cases.act
ACTIONS: dict[str, list[tuple[str, datetime, str, dict[str, Any], str | None]]] = {
    "new_escalated": [("escalate", at(17, 11), "town", {}, REASON)],
    "prev_c": [
        ("escalate", at(14, 22), "town", {}, "双方矛盾激化，需县级协调"),
        ("escalate", at(16, 9), "county", {}, "重大风险，上报市级"),
    ],
    "supervised_late": [("supervise", at(17, 14), "county", {"deadline": at(24)}, "限期办结")],
    "supervised_before": [("supervise", at(1), "county", {"deadline": at(5)}, "限期办结")],
    "supervised_before_done": [("supervise", at(1), "county", {"deadline": at(5)}, "限期办结")],
    "supervised_done": [("supervise", at(16, 10), "county", {"deadline": at(19)}, "限期办结")],
    "year_b": [("escalate", last_year(18, 11), "town", {}, "涉及县直部门，需县级协调")],
    "other_county": [
        ("escalate", at(17, 12), "town_b", {}, "需县级协调"),
        ("supervise", at(17, 13), "city", {"deadline": at(30)}, "限期办结"),
    ],
}
SETTLED_AFTER = ("supervised_before_done", "supervised_done")  # resolved after their 督办
ESCALATING_LEVEL = {"town": 4, "town_b": 4, "county": 3}  # the level each escalating actor is at


@dataclass(frozen=True)
class Seeded:
    """Ids and codes of the committed cases by name."""

    ids: dict[str, int]
    codes: dict[str, str]


def _actors(world: ApiWorld) -> dict[str, Actor]:
    def actor(key: str, name: str) -> Actor:
        user = world.users[key]
        return Actor(user_id=user.id, name=name, role=user.role, scope_code=user.scope_code)

    return {
        "town": actor("disp_a1", "甲一街道值班员"),
        "county": actor("cmd_a", "甲区指挥长"),
        "town_b": actor("disp_b1", "乙一街道值班员"),
        "city": actor("cmd_city", "市指挥长"),
    }


@pytest.fixture(scope="module")
def seeded(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[Seeded]:  # noqa: F811
    """Commit :data:`SEEDS`, act :data:`ACTIONS` on them at their times; remove them after."""
    ids: dict[str, int] = {}
    codes: dict[str, str] = {}
    actors = _actors(api_world)
    try:
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            made: dict[str, Case] = {}
            for name, seed in SEEDS.items():
                settled = seed.state not in workflow.OPEN_STATES
                case = Case(
                    code=f"pending-brief-{len(made)}",
                    channel="phone",
                    category="dispute",
                    subcategory="neighbours",
                    title=f"简报测试：{name}",
                    description=DESCRIPTION,
                    address=ADDRESS,
                    risk_level=2,
                    area_code=seed.village,
                    state=seed.state,
                    handling_level=4,
                    reported_at=seed.reported,
                    deadline=seed.deadline,
                    closed_at=seed.reported + timedelta(hours=2) if settled else None,
                    reporter_name=REPORTER_NAME,
                    reporter_phone=REPORTER_PHONE,
                    duplicate_of=made[seed.repeat_of].id if seed.repeat_of else None,
                )
                session.add(case)
                session.flush()
                case.code = f"{seed.village[:6]}-{seed.reported:%Y%m%d}-{case.id:08d}"
                made[name] = case
                ids[name], codes[name] = case.id, case.code
            session.flush()
            for name, steps in ACTIONS.items():
                for action, when, who, params, note in steps:
                    cases.act(
                        session,
                        ids[name],
                        action,
                        actor=actors[who],
                        now=when,
                        params=params,
                        note=note,
                    )
            for name in SETTLED_AFTER:
                case = session.get(Case, ids[name])
                assert case is not None
                case.state, case.closed_at = "resolved", at(21)
        yield Seeded(ids, codes)
    finally:
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            delete_cases(session, list(ids.values()))


def _sheets(body: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def _formats(body: bytes) -> dict[str, list[list[str]]]:
    """Each cell's number format, sheet by sheet: how Excel shows the number."""
    book = load_workbook(io.BytesIO(body), read_only=True)
    return {s.title: [[c.number_format for c in r] for r in s.iter_rows()] for s in book.worksheets}


def _brief_body(client: TestClient, headers: dict[str, str], code: str) -> bytes:
    got = client.get(
        f"/api/command/{code}/brief.xlsx",
        params={"period": "week", "date": "2025-09-17"},
        headers=headers,
    )
    assert got.status_code == 200, got.text
    return got.content


def _brief(client: TestClient, headers: dict[str, str], code: str) -> dict[str, list[list[Any]]]:
    return _sheets(_brief_body(client, headers, code))


def _codes(sheet: list[list[Any]]) -> list[str]:
    return [row[0] for row in sheet[1:]]


def _named(seeded: Seeded, *names: str) -> list[str]:
    return [seeded.codes[n] for n in names]


def _in(code: str, village: str) -> bool:
    lo, hi = scope_range(code)
    return lo <= village < hi


def _open_overdue(database: SuiteDatabase, code: str) -> list[str]:
    """Every open case of the area past its deadline now, the longest overdue first."""
    lo, hi = scope_range(code)
    with database.owner.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT code FROM cases WHERE area_code >= :lo AND area_code < :hi"
                    " AND state = ANY(:open) AND deadline < now() ORDER BY deadline, id"
                ),
                {"lo": lo, "hi": hi, "open": sorted(workflow.OPEN_STATES)},
            ).scalars()
        )


def _under_supervision(database: SuiteDatabase, code: str) -> set[str]:
    """Every open case of the area with a 督办时限 now (supervised at any time)."""
    lo, hi = scope_range(code)
    with database.owner.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT code FROM cases WHERE area_code >= :lo AND area_code < :hi"
                    " AND state = ANY(:open) AND supervision_deadline IS NOT NULL"
                ),
                {"lo": lo, "hi": hi, "open": sorted(workflow.OPEN_STATES)},
            ).scalars()
        )


def test_the_weeks_lists_hold_exactly_its_cases(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    database: SuiteDatabase,
    seeded: Seeded,
) -> None:
    sheets = _brief(api_client, auth_headers("cmd_a"), COUNTY_A)
    assert list(sheets) == [
        "概况",
        "简报",
        "环比同比",
        "部门办理情况",
        "交班在办案件",
        "新登记案件",
        "超期案件",
        "督办案件",
        "上报案件",
        "风险预警",
    ]
    # reported in the week, any level and state, the oldest first: the cases 近期受理 counts
    reported = sheets["新登记案件"]
    assert reported[0] == [
        "案件编号",
        "标题",
        "类别",
        "风险等级",
        "来源渠道",
        "登记时间",
        "办理层级",
        "当前状态",
        "所在单位",
        "承办",
        "承办起始",
        "承办状态",
        "吹哨/派往部门",
        "重复反映",
    ]
    week = ["new_start", "new_a1", "new_escalated", "new_done", "new_repeat"]
    assert _codes(reported) == _named(seeded, *week)
    first = dict(zip(reported[0], reported[1], strict=True))
    assert first == {
        "案件编号": seeded.codes["new_start"],
        "标题": "简报测试：new_start",
        "类别": "矛盾纠纷",
        "风险等级": "橙色（较大）",
        "来源渠道": "来电",
        "登记时间": "2025-09-15 00:00",
        "办理层级": "乡镇（街道）级",
        "当前状态": "已分流",
        "所在单位": "甲一街道测试村2",
        # who holds it now: its township, which has still to dispatch it (trial AZ M8)
        "承办": "甲一街道（尚未派单）",
        "承办起始": None,  # put there by no event
        "承办状态": "已分流",
        "吹哨/派往部门": "无",
        "重复反映": None,
    }
    escalated = dict(zip(reported[0], reported[3], strict=True))
    assert (escalated["当前状态"], escalated["办理层级"]) == ("已上报", "县级")
    # the county holds what the township escalated to it, since the 上报
    assert (escalated["承办"], escalated["承办起始"]) == ("甲区（尚未派单）", "2025-09-17 11:00")
    # a repeat names its original, the original how many reports it has
    repeats = {r[0]: r[-1] for r in reported[1:]}
    original, repeat = seeded.codes["new_a1"], seeded.codes["new_repeat"]
    assert repeats[original] == f"共反映 2 次（重复反映 1 次：{repeat}）"
    assert repeats[repeat] == f"重复反映，原案 {original}"
    # the open cases to hand over: one row a matter, the open repeat in its original's row
    handover = sheets["交班在办案件"]
    assert handover[0][-6:] == [
        "承办",
        "承办起始",
        "承办状态",
        "最近变动",
        "吹哨/派往部门",
        "重复反映",
    ]
    held = {r[0]: dict(zip(handover[0], r, strict=True)) for r in handover[1:]}
    assert original in held and repeat not in held
    assert held[original]["重复反映"] == f"共反映 2 次（重复反映 1 次：{repeat}）"
    assert held[seeded.codes["new_escalated"]]["最近变动"] == "上报（甲一街道值班员）"
    assert seeded.codes["new_done"] not in held  # settled
    kpis = {row[2]: row for row in sheets["简报"][1:]}
    column = sheets["简报"][0].index("近期受理")
    assert kpis[COUNTY_A][column] == len(week)

    # overdue as at generation, the longest overdue first: the same cases as stage=overdue
    overdue = sheets["超期案件"]
    assert _codes(overdue) == _open_overdue(database, COUNTY_A)
    mine = [c for c in _codes(overdue) if c in seeded.codes.values()]
    assert mine == _named(seeded, "supervised_late", "prev_b")
    late = dict(
        zip(overdue[0], overdue[1 + _codes(overdue).index(seeded.codes["prev_b"])], strict=True)
    )
    assert late["办理时限"] == "2025-09-20 00:00" and late["超期时长"].endswith("小时")
    assert int(late["超期时长"].split("天")[0]) == (datetime.now(CHINA) - at(20)).days
    assert late["督办时限"] is None  # an empty cell

    # supervised in the week (open or not), or before it and still open: earliest 督办时限 first
    supervised = sheets["督办案件"]
    active = _under_supervision(database, COUNTY_A)
    assert set(_codes(supervised)) == active | set(_named(seeded, "supervised_done"))
    mine = [c for c in _codes(supervised) if c in seeded.codes.values()]
    assert mine == _named(seeded, "supervised_before", "supervised_done", "supervised_late")
    rows = {r[0]: dict(zip(supervised[0], r, strict=True)) for r in supervised[1:]}
    assert {
        k: rows[seeded.codes["supervised_late"]][k]
        for k in ("本期督办", "督办时间", "督办人", "督办意见", "督办时限", "督办情况")
    } == {
        "本期督办": "是",
        "督办时间": "2025-09-17 14:00",
        "督办人": "甲区指挥长",
        "督办意见": "限期办结",
        "督办时限": "2025-09-24 00:00",
        "督办情况": "已过督办时限",
    }
    assert rows[seeded.codes["supervised_before"]]["本期督办"] == "否（此前督办）"
    assert rows[seeded.codes["supervised_done"]]["督办情况"] == "已办结"

    # each 上报 made in the week from the area, the oldest first: what 上报次数 counts
    escalations = sheets["上报案件"]
    assert _codes(escalations) == _named(seeded, "prev_c", "new_escalated")
    assert [dict(zip(escalations[0], r, strict=True)) for r in escalations[1:]] == [
        {
            "案件编号": seeded.codes["prev_c"],
            "标题": "简报测试：prev_c",
            "类别": "矛盾纠纷",
            "风险等级": "橙色（较大）",
            "所在单位": "甲一街道测试村2",
            "上报时间": "2025-09-16 09:00",
            "上报人": "甲区指挥长",
            "原办理层级": "县级",
            "上报至": "市级",
            "上报原因": "重大风险，上报市级",
            "当前状态": "已上报",
        },
        {
            "案件编号": seeded.codes["new_escalated"],
            "标题": "简报测试：new_escalated",
            "类别": "矛盾纠纷",
            "风险等级": "橙色（较大）",
            "所在单位": "甲一街道测试村2",
            "上报时间": "2025-09-17 11:00",
            "上报人": "甲一街道值班员",
            "原办理层级": "乡镇（街道）级",
            "上报至": "县级",
            "上报原因": REASON,
            "当前状态": "已上报",
        },
    ]
    assert kpis[COUNTY_A][sheets["简报"][0].index("上报次数")] == 2

    summary = {row[0]: row[1] for row in sheets["概况"]}
    assert summary["环比时段"] == "2025-09-08 00:00 至 2025-09-15 00:00（上周）"
    assert summary["同比时段"] == "2024-09-16 00:00 至 2024-09-23 00:00（上年同周）"
    assert summary["案件清单"] == (
        f"新登记 5 件，超期 {len(overdue) - 1} 件，督办 {len(supervised) - 1} 件，上报 2 次"
    )
    notes = summary["说明"].splitlines()
    assert [line.split("：")[0] for line in notes[:-1]] == list(sheets)[1:]  # one a sheet
    assert "生成时" in summary["说明"] and "至多列出 2000 件" in notes[-1]


def test_a_townships_lists_keep_to_its_area(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    seeded: Seeded,
) -> None:
    sheets = _brief(api_client, auth_headers("disp_a1"), TOWN_A1)
    assert _codes(sheets["新登记案件"]) == _named(
        seeded, "new_start", "new_a1", "new_escalated", "new_repeat"
    )
    # 所在单位 from below the brief's unit: the village alone in the township's brief
    column = sheets["新登记案件"][0].index("所在单位")
    assert [row[column] for row in sheets["新登记案件"][1:]] == [
        "测试村2",
        "测试村1",
        "测试村2",
        "测试村1",
    ]
    overdue = [c for c in _codes(sheets["超期案件"]) if c in seeded.codes.values()]
    assert overdue == _named(seeded, "supervised_late")
    supervised = [c for c in _codes(sheets["督办案件"]) if c in seeded.codes.values()]
    assert supervised == _named(seeded, "supervised_done", "supervised_late")
    assert _codes(sheets["上报案件"]) == _named(seeded, "prev_c", "new_escalated")
    # another county's brief is refused, not emptied
    other = api_client.get(
        f"/api/command/{COUNTY_B}/brief.xlsx?period=week&date=2025-09-17",
        headers=auth_headers("disp_a1"),
    )
    assert other.status_code == 404


def _expected_comparison(code: str, first: datetime, after: datetime) -> dict[str, Any]:
    """近期受理, 办结率, 上报次数 and 重复反映 of ``code`` over [first, after), counted here."""
    inside = [
        (name, s)
        for name, s in SEEDS.items()
        if _in(code, s.village) and first <= s.reported < after
    ]
    settled = [n for n, s in inside if s.state not in workflow.OPEN_STATES]
    # 上报 made at the unit's level or below it: the county's is not its townships'
    escalations = [
        when
        for name, steps in ACTIONS.items()
        if _in(code, SEEDS[name].village)
        for action, when, who, *_ in steps
        if action == "escalate"
        and first <= when < after
        and ESCALATING_LEVEL[who] >= division_level(code)
    ]
    return {
        "reported": len(inside),
        "resolved_share": round(len(settled) / len(inside), 4) if inside else None,
        "escalations": len(escalations),
        "repeats": sum(s.repeat_of is not None for _, s in inside),
    }


def test_the_comparison_is_with_the_week_before_and_the_week_a_year_before(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    seeded: Seeded,
) -> None:
    body = _brief_body(api_client, auth_headers("cmd_a"), COUNTY_A)
    sheets = _sheets(body)
    table = sheets["环比同比"]
    assert table[0] == [
        "单位",
        "级别",
        "区划代码",
        "指标",
        "本期",
        "上期",
        "环比增减",
        "环比增减率",
        "上年同期",
        "同比增减",
        "同比增减率",
    ]
    assert len(table) == 1 + 3 * 4  # no note: no unit's cases begin inside a compared week
    # 办结率 names when each week's is read: as long after its end as the brief is made after
    # the brief's week (tests/test_brief_resolved.py), named by the brief's own moment when that
    # is long after it (trial AY m4: 「截至各月末后第1404日24时」)
    assert all(
        row[3].startswith("办结率（本期截至") and "各自期末后同样天数" in row[3]
        for row in table[2::4]
    )
    got = {(row[2], row[3].split("（")[0]): row[4:] for row in table[1:]}
    assert [row[:3] for row in table[1::4]] == [
        ["甲区", "本级合计", COUNTY_A],
        ["甲一街道", "乡镇", TOWN_A1],
        ["甲二镇", "乡镇", TOWN_A2],
    ]
    for code in (COUNTY_A, TOWN_A1, TOWN_A2):
        now = _expected_comparison(code, WEEK, WEEK + timedelta(days=7))
        before = _expected_comparison(code, BEFORE, WEEK)
        year = _expected_comparison(code, YEAR_BEFORE, YEAR_BEFORE + timedelta(days=7))
        for name in work_brief.WINDOW_KPIS:
            label = work_brief.KPI_LABELS[name]
            same_week = (
                ["无上年同期数据", "—", "—"]  # 甲二镇's first case is of 2025
                if code == TOWN_A2
                else [
                    work_brief.kpi_text(name, year[name]),
                    *work_brief.change(name, now[name], year[name]),
                ]
            )
            assert got[(code, label)] == [
                work_brief.kpi_text(name, now[name]),
                work_brief.kpi_text(name, before[name]),
                *work_brief.change(name, now[name], before[name]),
                *same_week,
            ], (code, label)
    # the county's week against the week before and the same week a year before, spelled out
    # shares, rates and points are numbers, shown as percentages (Excel sorts and sums them)
    assert got[(COUNTY_A, "近期受理")] == [5, 3, 2, 0.667, 4, 1, 0.25]
    assert got[(COUNTY_A, "办结率")] == [0.2, 0.3333, -13.3, "—", 0.25, -5.0, "—"]
    assert got[(COUNTY_A, "上报次数")] == [2, 1, 1, 1.0, 1, 1, 1.0]
    assert got[(COUNTY_A, "重复反映")] == [1, 0, 1, "—", 1, 0, 0.0]
    shown = _formats(body)["环比同比"]
    row = next(i for i, r in enumerate(table) if r[2] == COUNTY_A and r[3].startswith("办结率"))
    assert [shown[row][i] for i in (4, 5, 6, 8, 9)] == [
        "0.0%",
        "0.0%",
        '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"',
        "0.0%",
        '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"',
    ]
    assert shown[row - 1][7] == shown[row - 1][10] == "+0.0%;-0.0%;0.0%"  # 近期受理's rates
    assert shown[row - 1][4] == "General"  # a count is a count
    assert got[(TOWN_A2, "近期受理")][4:] == ["无上年同期数据", "—", "—"]
    # 本期 is what 简报 says
    brief = {row[2]: dict(zip(sheets["简报"][0], row, strict=True)) for row in sheets["简报"][1:]}
    for (code, label), values in got.items():
        assert values[0] == brief[code][label]
    summary = {row[0]: row[1] for row in sheets["概况"]}
    said = {line.split("：")[0]: line for line in summary["说明"].splitlines()}
    assert "环比与上期比" in said["环比同比"] and "同比与上年同期比" in said["环比同比"]
    assert "周为52周前的同一周" in said["环比同比"] and "「无上年同期数据」" in said["环比同比"]

    # 甲二镇's own brief: nothing a year before, said in 概况 too
    town = _sheets(
        api_client.get(
            f"/api/command/{TOWN_A2}/brief.xlsx",
            params={"period": "week", "date": "2025-09-17"},
            headers=auth_headers("cmd_a"),
        ).content
    )
    assert {row[0]: row[1] for row in town["概况"]}["同比时段"] == (
        "2024-09-16 00:00 至 2024-09-23 00:00（上年同周）：本级此前无案件记录，无上年同期数据"
    )
    assert [row[8:] for row in town["环比同比"][1:]] == [["无上年同期数据", "—", "—"]] * (
        len(town["环比同比"]) - 1
    )


def test_a_village_whose_cases_begin_inside_the_year_before_is_named(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    seeded: Seeded,
) -> None:
    sheets = _brief(api_client, auth_headers("disp_a1"), TOWN_A1)
    table = sheets["环比同比"]
    got = {(row[0], row[3]): row[4:] for row in table[1:-1]}
    # 测试村1's first case is of 2024-09-10; 测试村2's, of 2024-09-18, inside the week compared
    assert got[("测试村1", "近期受理")] == [2, 1, 1, 1.0, 2, 0, 0.0]
    assert got[("测试村2", "近期受理")] == [2, 1, 1, 1.0, 2, 0, 0.0]
    # its cases were escalated by 甲一街道: the township's 上报, none of the village's
    assert got[("测试村2", "上报次数")][:3] == [0, 0, 0]
    assert table[-1][0] == (
        "注：测试村2（2024-09-18 10:00）的案件记录始于上年同期时段之中"
        "（括号内为最早的案件登记时间），其上年同期数只含此后的案件。"
    )
    assert not any(table[-1][1:]) and len(table) == 1 + 3 * 4 + 1  # 甲一街道, its two villages


def test_no_reporter_or_party_data_in_the_workbook(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    seeded: Seeded,
) -> None:
    for user, code in (("cmd_a", COUNTY_A), ("cmd_a_unmask", COUNTY_A), ("disp_a1", TOWN_A1)):
        cells = [
            str(value)
            for rows in _brief(api_client, auth_headers(user), code).values()
            for row in rows
            for value in row
            if value is not None
        ]
        assert any(seeded.codes["new_a1"] == c for c in cells)
        masked = (cases.mask_name(REPORTER_NAME), cases.mask_phone(REPORTER_PHONE))
        for secret in (REPORTER_NAME, REPORTER_PHONE, *masked, DESCRIPTION, ADDRESS):
            assert secret is not None
            assert not [c for c in cells if secret in c], (user, secret)


def test_an_analysts_brief_lists_no_case(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    database: SuiteDatabase,
    seeded: Seeded,
) -> None:
    sheets = _brief(api_client, auth_headers("analyst_a"), COUNTY_A)
    assert list(sheets) == ["概况", "简报", "环比同比", "部门办理情况", "风险预警"]
    summary = {row[0]: row[1] for row in sheets["概况"]}
    assert summary["案件清单"] == brief_cases.NO_ANALYST
    said = [line.split("：")[0] for line in summary["说明"].splitlines()]
    assert said == ["简报", "环比同比", "部门办理情况", "风险预警"]  # only the sheets there are
    assert not any(
        code in str(value)
        for rows in sheets.values()
        for row in rows
        for value in row
        for code in seeded.codes.values()
    )
    analyst = Actor(user_id=None, name="分析", role="analyst", scope_code=COUNTY_A)
    with Session(database.owner) as session:
        apply_scope(session, COUNTY_A)
        with pytest.raises(Forbidden):
            brief_cases.collect(session, COUNTY_A, actor=analyst, start=WEEK, end=WEEK, now=WEEK)


def test_a_long_list_is_capped_and_says_so(database: SuiteDatabase, seeded: Seeded) -> None:
    commander = Actor(user_id=None, name="指挥长", role="commander", scope_code=COUNTY_A)
    now = datetime.now(UTC)

    def collect(limit: int) -> brief_cases.BriefCases:
        with Session(database.app) as session, session.begin():
            apply_scope(session, COUNTY_A)  # the app role: row-level security applies
            return brief_cases.collect(
                session,
                COUNTY_A,
                actor=commander,
                start=WEEK,
                end=WEEK + timedelta(days=7),
                now=now,
                limit=limit,
            )

    whole, short = collect(brief_cases.LIST_LIMIT), collect(2)
    assert short.limit == 2
    assert [c.code for c in short.reported.rows] == _named(seeded, "new_start", "new_a1")
    assert (short.reported.total, short.reported.capped) == (5, True)
    assert (short.escalations.total, short.escalations.capped) == (2, False)
    # a capped list's total is what the whole list holds
    for name in ("reported", "overdue", "supervised", "escalations"):
        full, cut = getattr(whole, name), getattr(short, name)
        assert (full.capped, cut.total, cut.rows) == (False, len(full.rows), full.rows[:2]), name
    assert short.supervised.capped and short.supervised.total >= 3
    window = work_brief.calendar("week", WEEK.date(), now)
    feed = {"unit": {"name": "甲区", "code": COUNTY_A, "kpis": {}}, "children": [], "alerts": []}
    feed["unit"]["kpis"] = dict.fromkeys(work_brief.KPI_LABELS)
    sheets = _sheets(work_brief.workbook(feed, [], window=window, now=now, cases=short))
    reported = sheets["新登记案件"]
    assert len(reported) == 1 + 2 + 1
    assert reported[-1][0] == "注：共 5 件，本表只列出前 2 件。"
    supervised = sheets["督办案件"]
    assert supervised[-1][0] == f"注：共 {short.supervised.total} 件，本表只列出前 2 件。"
    assert sheets["上报案件"][-1][0] == seeded.codes["new_escalated"]  # not capped: no note
    assert not {"环比", "同比", "环比同比"} & set(sheets)  # no window compared with
    one = _sheets(work_brief.workbook(feed, [], window=window, now=now, cases=collect(1)))
    assert one["上报案件"][-1][0] == "注：共 2 次，本表只列出前 1 次。"
