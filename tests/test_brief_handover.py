"""The brief tells the shift taking over who holds what (trial AZ M8, AU M5).

The morning brief listed each new case's state and unit only: the day shift could not see that
a grid worker held the landslide on site, that a dispatch was recalled, or that 县公安局 had
not answered its 吹哨; a surge of reports of one matter read as many matters; and only the last
24 hours or a calendar day could be chosen, not the night shift. Now each listed case says who
holds it (the worker and grid, the unit or the department, or the level still to dispatch it),
since when and how it stands, how an earlier dispatch ended, each department summoned or
dispatched to and whether it answered (or how long it has waited), and its repeats; the open
cases are handed over one row a matter (交班在办案件); a night shift (18:00–08:00) or any span
can be asked for. A past window's alert closed only after its end is listed as open at its end.
Every row is made in a rolled-back transaction.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from layers import brief_cases, brief_holders, cases, work_brief
from layers.china_time import CHINA
from layers.command import KPI_LABELS
from layers.errors import InvalidInput
from layers.model import Case
from layers.workflow import Actor
from tests.workflow_data import (
    CITY,
    COUNTY,
    actor,
    add_user,
    add_worker,
    ensure_world,
    grid,
    village,
    village_centre,
    worker_actor,
)

POLICE, LABOUR, HOUSING = "交班县公安局", "交班县人社局", "交班县住建局"
NIGHT_DAY = date(2026, 11, 23)  # the night of 11-23 18:00 to 11-24 08:00, Beijing time
MADE = datetime(2026, 11, 24, 8, 30, tzinfo=CHINA)  # the morning shift's brief
CALLER, CALLER_PHONE = "欧阳交班", "13912345670"


def night(hour: int, minute: int = 0) -> datetime:
    """A time of the night shift (18:00 to 23:59 on the 23rd, 00:00 to 07:59 on the 24th)."""
    day = 23 if hour >= 18 else 24
    return datetime(2026, 11, day, hour, minute, tzinfo=CHINA)


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    for name in (POLICE, LABOUR, HOUSING):
        add_user(db, username=name, role="department", scope_code=COUNTY)
    return db


def _case(
    db: Session, title: str, offset_m: float, at: datetime, subcategory: str = "neighbours"
) -> Case:
    lon, lat = village_centre(village())
    made = cases.register(
        db,
        actor=actor(),
        channel="phone",
        category="dispute",
        subcategory=subcategory,
        title=title,
        reported_at=at,
        lon=lon + offset_m / 101_000,
        lat=lat,
        reporter_name=CALLER,
        reporter_phone=CALLER_PHONE,
    ).case
    return made


def _triaged(db: Session, title: str, offset_m: float, at: datetime) -> Case:
    made = _case(db, title, offset_m, at)
    cases.act(db, made.id, "triage", actor=actor(), now=at + timedelta(minutes=1))
    return made


def _department(name: str) -> Actor:
    return Actor(user_id=None, name=name, role="department", scope_code=COUNTY)


def _sheets(body: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def _night_of_cases(world: Session) -> dict[str, Case]:
    """A night: a landslide held on site, a recalled dispatch, a summons, a surge of repeats."""
    lon, lat = village_centre(village())
    yang = add_worker(
        world, area_code=village(), lon=lon, lat=lat, home_grid=grid(village()), name="杨洁兰"
    )
    wang = add_worker(
        world, area_code=village(), lon=lon, lat=lat, home_grid=grid(village()), name="王明"
    )
    county = actor("commander", COUNTY)

    landslide = _triaged(world, "交班测试：山体滑坡", -800, night(19))
    cases.act(
        world, landslide.id, "dispatch", actor=actor(), now=night(19, 5), params={"worker_id": yang}
    )
    cases.act(world, landslide.id, "accept", actor=worker_actor(yang), now=night(19, 20))

    recalled = _triaged(world, "交班测试：撤回派单", -400, night(20))
    cases.act(
        world, recalled.id, "dispatch", actor=actor(), now=night(20, 5), params={"worker_id": wang}
    )
    cases.act(
        world, recalled.id, "recall", actor=actor(), now=night(21), note="网格员联系不上，改派"
    )

    wages = _triaged(world, "交班测试：工地欠薪", 0, night(22))
    cases.act(
        world, wages.id, "dispatch", actor=county, now=night(22, 10), params={"department": POLICE}
    )
    cases.act(
        world,
        wages.id,
        "summon",
        actor=county,
        now=night(3),
        params={"departments": [LABOUR, HOUSING]},
    )
    cases.act(
        world, wages.id, "summon_reply", actor=_department(LABOUR), now=night(4), note="已核查"
    )

    # one matter reported three times: one row with its reports
    flood = _case(
        world, "交班测试：积水（首报）", 400, night(23), subcategory="property_management"
    )
    again = [
        _case(world, f"交班测试：积水（第{n}报）", 400, night(n), subcategory="property_management")
        for n in (1, 2)
    ]
    return {"landslide": landslide, "recalled": recalled, "wages": wages, "flood": flood} | {
        f"repeat{n}": c for n, c in enumerate(again, 1)
    }


def test_each_case_says_who_holds_it_since_when_and_who_answered(world: Session) -> None:
    made = _night_of_cases(world)
    held = brief_holders.holdings(world, [c.id for c in made.values()], now=MADE)

    landslide = held[made["landslide"].id]
    assert (landslide.holder, landslide.since, landslide.progress, landslide.change) == (
        "网格员杨洁兰（网格100001）",
        night(19, 5),
        "已受理",
        "",
    )
    recalled = held[made["recalled"].id]
    assert (recalled.holder, recalled.since, recalled.progress) == (
        "镇100（尚未派单）",
        night(21),
        "已分流",
    )
    assert recalled.change == "撤回派单：网格员王明（网格100001）（此前承办）"

    wages = held[made["wages"].id]
    assert wages.holder == f"{POLICE}（职能部门）"
    assert wages.departments == [
        f"派往 {POLICE}：未响应（已等 10 小时）",  # 22:10 to 08:30
        f"吹哨 {LABOUR}：已反馈（11-24 04:00）",
        f"吹哨 {HOUSING}：未响应（已等 5 小时）",  # 03:00 to 08:30
    ]
    cases.act(world, made["wages"].id, "accept", actor=_department(POLICE), now=night(7))
    again = brief_holders.holdings(world, [made["wages"].id], now=MADE)[made["wages"].id]
    assert again.departments[0] == f"派往 {POLICE}：已受理（11-24 07:00）"

    flood, first, second = (made[k].code for k in ("flood", "repeat1", "repeat2"))
    assert held[made["flood"].id].repeats == f"共反映 3 次（重复反映 2 次：{first}、{second}）"
    assert held[made["repeat2"].id].repeats == f"重复反映，原案 {flood}"
    assert held[made["landslide"].id].repeats == ""


def test_the_night_shifts_brief_hands_over_one_row_a_matter(world: Session) -> None:
    made = _night_of_cases(world)
    city = actor("commander", CITY)  # the county handles the case it sent to a bureau
    limit = {"deadline": night(5) + timedelta(days=1)}
    cases.act(
        world,
        made["wages"].id,
        "supervise",
        actor=city,
        now=night(5),
        params=limit,
        note="限期办结",
    )
    window = work_brief.night(NIGHT_DAY, MADE)
    assert (window.start, window.end, window.name) == (night(18), night(8), "夜班简报")
    listed = brief_cases.collect(
        world,
        COUNTY,
        actor=actor("commander", COUNTY),
        start=window.start,
        end=window.end,
        now=MADE,
    )
    ours = {c.code for c in made.values()}
    reported = [c.code for c in listed.reported.rows if c.code in ours]
    assert reported == [c.code for c in sorted(made.values(), key=lambda c: c.reported_at)]
    handed = [c.code for c in listed.open_now.rows if c.code in ours]
    # the repeats are told in their original's row
    assert set(handed) == ours - {made["repeat1"].code, made["repeat2"].code}
    assert listed.open_cases - listed.open_now.total == 2

    feed: dict[str, Any] = {
        "unit": {"name": "通海县", "code": COUNTY, "kpis": dict.fromkeys(KPI_LABELS)},
        "children": [],
        "alerts": [],
    }
    before = work_brief.Comparison("环比", window.previous(), feed, {})
    body = work_brief.workbook(
        feed, [], window=window, now=MADE, cases=listed, comparisons=[before]
    )
    sheets = _sheets(body)
    summary = {row[0]: row[1] for row in sheets["概况"]}
    assert summary["简报"] == "夜班简报"
    assert summary["统计时段"] == "2026-11-23 18:00 至 2026-11-24 08:00"
    assert summary["环比时段"] == "2026-11-22 18:00 至 2026-11-23 08:00（前一夜班）"
    assert summary["交班"].startswith("截至 2026-11-24 08:30 在办 ")
    assert "重复反映并入原案" in summary["交班"]
    handover = sheets["交班在办案件"]
    rows = {r[0]: dict(zip(handover[0], r, strict=True)) for r in handover[1:]}
    landslide = rows[made["landslide"].code]
    assert (landslide["承办"], landslide["承办起始"], landslide["承办状态"]) == (
        "网格员杨洁兰（网格100001）",
        "2026-11-23 19:05",
        "已受理",
    )
    assert (
        rows[made["recalled"].code]["最近变动"] == "撤回派单：网格员王明（网格100001）（此前承办）"
    )
    assert rows[made["wages"].code]["吹哨/派往部门"].splitlines()[-1] == (
        f"吹哨 {HOUSING}：未响应（已等 5 小时）"
    )
    assert rows[made["flood"].code]["重复反映"].startswith("共反映 3 次")
    # the 督办 list says who holds the case too
    supervised = sheets["督办案件"]
    row = next(
        dict(zip(supervised[0], r, strict=True))
        for r in supervised[1:]
        if r[0] == made["wages"].code
    )
    assert (row["承办"], row["承办状态"]) == (f"{POLICE}（职能部门）", "已派单")
    # the callers stay out of the brief, clear or masked
    cells = [str(v) for sheet in sheets.values() for row in sheet for v in row if v is not None]
    for secret in (CALLER, CALLER_PHONE, cases.mask_name(CALLER), cases.mask_phone(CALLER_PHONE)):
        assert secret is not None
        assert not [c for c in cells if secret in c], secret


def test_a_night_or_a_span_is_a_window_of_its_own() -> None:
    running = work_brief.night(None, datetime(2026, 11, 24, 6, 0, tzinfo=CHINA))
    assert (running.start, running.to_date) == (night(18), True)
    assert running.previous().span_text() == "2026-11-22 18:00 至 2026-11-23 06:00"
    named = work_brief.night(None, MADE).file_name("通海县")
    assert named == "夜班简报_通海县_20261123-20261124.xlsx"
    with pytest.raises(InvalidInput, match="尚未开始"):
        work_brief.night(date(2026, 11, 24), MADE)
    chosen = work_brief.span(datetime(2026, 11, 23, 20), datetime(2026, 11, 24, 7), MADE)
    assert (chosen.name, chosen.start, chosen.end) == ("时段简报", night(20), night(7))
    with pytest.raises(InvalidInput, match="晚于开始时间"):
        work_brief.span(night(7), night(20), MADE)


def test_an_alert_closed_after_a_past_windows_end_is_open_in_its_brief() -> None:
    window = work_brief.night(NIGHT_DAY, MADE)

    def alert(
        title: str, created: datetime, acknowledged: datetime, closed: datetime
    ) -> dict[str, Any]:
        return {
            "state": "closed",
            "faded": False,
            "title": title,
            "basis": None,
            "area_code": COUNTY,
            "area_name": "通海县",
            "parent_name": None,
            "created_at": created.isoformat(),
            "acknowledged_at": acknowledged.isoformat(),
            "acknowledged_by_name": "值班员",
            "closed_at": closed.isoformat(),
            "closed_by_name": "值班员",
            "close_note": "已处置",
        }

    closed = [
        alert("夜里关闭", night(19), night(20), night(23)),
        alert("早上关闭", night(19), night(20), night(8, 10)),
        alert("早上签收并关闭", night(2), night(8, 5), night(8, 10)),
        alert("早上发出", night(8, 1), night(8, 2), night(8, 3)),
    ]
    feed: dict[str, Any] = {
        "unit": {"name": "通海县", "code": COUNTY, "kpis": dict.fromkeys(KPI_LABELS)},
        "children": [],
        "alerts": [],
    }
    sheets = _sheets(work_brief.workbook(feed, closed, window=window, now=MADE))
    states = {r[1]: r[0] for r in sheets["风险预警"][1:]}
    assert states == {
        "夜里关闭": "已关闭",
        "早上关闭": "已签收（统计时段后关闭）",
        "早上签收并关闭": "待处置（统计时段后签收、关闭）",
    }


def test_a_case_on_the_legal_route_names_its_level_since_the_failed_mediation(
    world: Session,
) -> None:
    case = _triaged(world, "交班测试：调解不成", 800, night(18, 30))
    who = actor()
    cases.act(world, case.id, "dispatch", actor=who, now=night(19), params={"department": POLICE})
    # the department, whose account holds the dispatch, takes it and ends it (trial BA S2)
    police = _department(POLICE)
    cases.act(world, case.id, "accept", actor=police, now=night(19, 30))
    failed = {"outcome": "mediation_failed", "route": "arbitration"}
    cases.act(world, case.id, "resolve", actor=police, now=night(6), params=failed, note="调解不成")
    held = brief_holders.holdings(world, [case.id], now=MADE)[case.id]
    assert (held.holder, held.since, held.progress) == ("镇100", night(6), "法治化途径")
    # the dispatch ended as done, not as 办结 of the case
    assert held.change == f"派单已完成：{POLICE}（职能部门）（此前承办）"


def test_the_departments_answers_wrap_one_a_line(world: Session) -> None:
    made = _night_of_cases(world)
    window = work_brief.night(NIGHT_DAY, MADE)
    who = actor("commander", COUNTY)
    listed = brief_cases.collect(
        world, COUNTY, actor=who, start=window.start, end=window.end, now=MADE
    )
    feed: dict[str, Any] = {
        "unit": {"name": "通海县", "code": COUNTY, "kpis": dict.fromkeys(KPI_LABELS)},
        "children": [],
        "alerts": [],
    }
    body = work_brief.workbook(feed, [], window=window, now=MADE, cases=listed)
    sheet = load_workbook(io.BytesIO(body))["交班在办案件"]
    column = [c.value for c in sheet[1]].index("吹哨/派往部门")
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == made["wages"].code)
    assert str(row[column].value).count("\n") == 2 and row[column].alignment.wrap_text
