"""A past day's brief made the next day says what came after its day as after (trial AU M5).

昨日汇总 of 2026-12-05, made on 12-06, listed a 督办 issued on 12-06 as 「否（此前督办）」, and the
alerts issued and signed on 12-06 beside those of the 5th; its 在办 and 超期 were the figures at
generation, said in the 说明 only. Now a 督办 made only after the window reads
「否（统计时段后督办）」 with its time (one also made in the window shows that one), an alert
issued after the window's end is left out and one signed after it is shown as it stood at the
end, 「待处置（统计时段后签收）」, and the 简报 sheet's headers say 在办案件（生成时）.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from layers import brief_cases, cases, work_brief
from layers.china_time import CHINA
from layers.command import KPI_LABELS
from layers.model import Case
from tests.workflow_data import COUNTY, actor, ensure_world, village, village_centre

DAY = date(2026, 11, 22)  # the brief's day: [11-22 00:00, 11-23 00:00) in Beijing
MADE = datetime(2026, 11, 23, 10, 0, tzinfo=CHINA)  # the next morning
LIMIT = datetime(2026, 11, 30, tzinfo=CHINA)  # every 督办时限


def beijing(day: int, hour: int) -> datetime:
    """A time in November 2026, Beijing time."""
    return datetime(2026, 11, day, hour, tzinfo=CHINA)


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _case(world: Session, title: str) -> Case:
    lon, lat = village_centre(village())
    return cases.register(
        world,
        actor=actor(),
        channel="phone",
        category="dispute",
        subcategory="neighbours",
        title=title,
        reported_at=beijing(20, 9),
        lon=lon,
        lat=lat,
    ).case


def _supervise(
    world: Session, case: Case, when: datetime, note: str, limit: datetime = LIMIT
) -> None:
    county = actor("commander", COUNTY)
    cases.act(
        world, case.id, "supervise", actor=county, now=when, params={"deadline": limit}, note=note
    )


def _sheets(body: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def _alert(title: str, created: datetime, acknowledged: datetime | None) -> dict[str, Any]:
    return {
        "state": "open" if acknowledged is None else "acknowledged",
        "faded": False,
        "title": title,
        "basis": None,
        "area_code": COUNTY,
        "area_name": "测试县",
        "parent_name": None,
        "created_at": created.isoformat(),
        "acknowledged_at": None if acknowledged is None else acknowledged.isoformat(),
        "acknowledged_by_name": None if acknowledged is None else "市指挥中心值班员",
        "closed_at": None,
        "closed_by_name": None,
        "close_note": None,
    }


def test_a_past_days_brief_marks_what_came_after_its_end(world: Session) -> None:
    before = _case(world, "此前督办的案件")
    within = _case(world, "当日督办的案件")
    later = _case(world, "次日督办的案件")
    _supervise(world, before, beijing(21, 10), "限期办结（21日）")
    # its time limit past, supervised again the next morning
    _supervise(world, within, beijing(22, 10), "限期办结（22日）", limit=beijing(22, 20))
    _supervise(world, within, beijing(23, 9), "再次督办（23日）")
    _supervise(world, later, beijing(23, 9), "限期办结（23日）")

    window = work_brief.calendar("day", DAY, MADE)
    assert (window.start, window.end, window.to_date) == (beijing(22, 0), beijing(23, 0), False)
    listed = brief_cases.collect(
        world,
        COUNTY,
        actor=actor("commander", COUNTY),
        start=window.start,
        end=window.end,
        now=MADE,
    )
    feed: dict[str, Any] = {
        "unit": {"name": "测试县", "code": COUNTY, "kpis": dict.fromkeys(KPI_LABELS)},
        "children": [],
        "alerts": [
            _alert("预警一：当日发出、当日签收", beijing(22, 8), beijing(22, 9)),
            _alert("预警二：当日发出、次日签收", beijing(22, 20), beijing(23, 8)),
            _alert("预警三：次日发出", beijing(23, 7), None),
        ],
    }
    sheets = _sheets(work_brief.workbook(feed, [], window=window, now=MADE, cases=listed))

    supervised = sheets["督办案件"]
    rows = {r[1]: dict(zip(supervised[0], r, strict=True)) for r in supervised[1:]}
    said = {title: (r["本期督办"], r["督办时间"], r["督办意见"]) for title, r in rows.items()}
    assert said == {
        "此前督办的案件": ("否（此前督办）", "2026-11-21 10:00", "限期办结（21日）"),
        # the window's own 督办, not the one after it
        "当日督办的案件": ("是", "2026-11-22 10:00", "限期办结（22日）"),
        # never 「此前」: after the window, with its time
        "次日督办的案件": ("否（统计时段后督办）", "2026-11-23 09:00", "限期办结（23日）"),
    }

    alerts = {r[1]: r for r in sheets["风险预警"][1:]}
    assert list(alerts) == ["预警一：当日发出、当日签收", "预警二：当日发出、次日签收"]
    assert alerts["预警一：当日发出、当日签收"][0] == "已签收"
    assert alerts["预警二：当日发出、次日签收"][0] == "待处置（统计时段后签收）"

    header = sheets["简报"][0]
    assert header[3:] == [
        "在办案件（生成时）",
        "超期案件（生成时）",
        "联系超时（生成时）",
        "近期受理",
        "办结率",
        "上报次数",
        "重复反映",
        "近期热点（按周，生成时）",
        "视频点位（生成时）",
        "视频在线率（生成时）",
        "走访逾期（生成时）",
    ]
    summary = {row[0]: row[1] for row in sheets["概况"]}
    notes = {line.split("：")[0]: line for line in summary["说明"].splitlines()}
    assert "统计时段后督办" in notes["督办案件"]
    assert "统计时段结束后才发出的预警不列" in notes["风险预警"]


def test_a_brief_up_to_now_has_nothing_after_its_end(world: Session) -> None:
    """The brief of the last days ends when it is made: its headers need no 生成时."""
    window = work_brief.rolling(7, MADE)
    assert work_brief.kpi_headers(window, MADE) == list(KPI_LABELS.values())
    running = work_brief.calendar("day", MADE.date(), MADE)  # today's, still running
    assert work_brief.kpi_headers(running, MADE)[0] == "在办案件"
    yesterday = work_brief.calendar("day", DAY, MADE)
    assert work_brief.kpi_headers(yesterday, MADE)[0] == "在办案件（生成时）"
