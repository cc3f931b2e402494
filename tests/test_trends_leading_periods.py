"""Emerging patterns start at the window's first period with data, not before the records start.

Trial AY M3: the demo county's records start on 2024-12-07, and a trend window reaching before
that counted the empty months as zeros in the space-time cube. The patterns then followed the
window's length, not the places: 24 months gave 持续热点 25 and 连续 8, the same places over 36
months 持续 0 and 连续 46, over 60 months 连续 58 and 零星 72. The cube now starts at the first
period with a located case, so a window starting before the records gives the classes of one
starting at them, and the page and the report say the periods left out.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import trend_report, trends
from layers.china_time import CHINA
from tests.workflow_data import COUNTY, NOW, actor, ensure_world

# a township of this module's own under the world's county, away from the other modules' places
TOWN = "520424910000"
VILLAGES = ("520424910001", "520424910002")
WEST, SOUTH = 102.60, 24.50
END = "2026-10"
DATA_MONTHS = 8  # March to October 2026: the township's records start in March
EMPTY_MONTHS = 12  # a window of 20 months reaches a year before them
ALERTING = {"new_hot", "consecutive_hot", "intensifying_hot", "persistent_hot", "sporadic_hot"}


def _box(west: float, east: float) -> str:
    return (
        f"MULTIPOLYGON((({west} {SOUTH},{east} {SOUTH},{east} {SOUTH + 0.02},"
        f"{west} {SOUTH + 0.02},{west} {SOUTH})))"
    )


def _seed(db: Session) -> None:
    """Eight months of cases: a background, a spot busy every month, one busy lately."""
    ensure_world(db)
    units = (
        (TOWN, "试算镇", 4, COUNTY, _box(WEST, WEST + 0.04)),
        (VILLAGES[0], "前村", 5, TOWN, _box(WEST, WEST + 0.02)),
        (VILLAGES[1], "后村", 5, TOWN, _box(WEST + 0.02, WEST + 0.04)),
    )
    for code, name, level, parent, box in units:
        db.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, boundary)"
                " VALUES (:c, :n, :l, :p, ST_GeomFromText(:b, 4490))"
            ),
            {"c": code, "n": name, "l": level, "p": parent, "b": box},
        )
    rng = np.random.default_rng(7)
    rows = []
    for m in range(DATA_MONTHS):
        month = 3 + m
        points = [  # the background over the township
            (WEST + rng.uniform(0, 0.04), SOUTH + rng.uniform(0, 0.02)) for _ in range(30)
        ]
        points += [  # a spot in 前村, busy every month
            (WEST + 0.008 + rng.normal(0, 0.0004), SOUTH + 0.01 + rng.normal(0, 0.0004))
            for _ in range(12)
        ]
        if m >= DATA_MONTHS - 3:  # a spot in 后村, busy the last three months
            points += [
                (WEST + 0.03 + rng.normal(0, 0.0004), SOUTH + 0.008 + rng.normal(0, 0.0004))
                for _ in range(6 + 4 * (m - DATA_MONTHS + 3))
            ]
        for n, (lon, lat) in enumerate(points):
            rows.append(
                {
                    "c": f"tl-{month}-{n}",
                    "x": lon,
                    "y": lat,
                    "a": VILLAGES[0] if lon < WEST + 0.02 else VILLAGES[1],
                    "t": datetime(2026, month, 1 + n % 27, 9, tzinfo=CHINA),
                }
            )
    db.execute(
        text(
            "INSERT INTO cases (code, channel, category, title, point, area_code, state,"
            " handling_level, reported_at, risk_level) VALUES (:c, 'phone', 'dispute', '测试',"
            " ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 'archived', 4, :t, 4)"
        ),
        rows,
    )
    db.flush()


@pytest.fixture
def world(db: Session) -> Session:
    """The township and its cases, rolled back after the test."""
    _seed(db)
    return db


def test_a_window_before_the_records_gives_the_classes_of_one_starting_at_them(
    world: Session,
) -> None:
    who = actor("analyst", COUNTY)
    at_records = trends.series(world, TOWN, actor=who, now=NOW, periods=DATA_MONTHS, end=END)
    before = trends.series(
        world, TOWN, actor=who, now=NOW, periods=DATA_MONTHS + EMPTY_MONTHS, end=END
    )
    assert at_records.periods[0].key == "2026-03" and before.periods[0].key == "2025-03"
    assert int(before.totals[:EMPTY_MONTHS].sum()) == 0
    # the places have patterns, and the same ones whichever window reaches back further
    classes = Counter(at_records.patterns)
    assert sum(classes[p] for p in ALERTING) >= 1, classes
    assert before.cells == at_records.cells
    assert before.patterns == at_records.patterns, (Counter(before.patterns), classes)
    assert (at_records.patterns_from, before.patterns_from) == (0, EMPTY_MONTHS)
    # the spatial hot spots of each period are its own, as before
    assert np.array_equal(before.bins[:, EMPTY_MONTHS:], at_records.bins)
    # the views say which periods the patterns were judged on
    body = trends.series_json(before, min_count=trends.ANALYST_MIN_COUNT)
    assert body["patterns_from"] == "2026-03"
    assert body["patterns_from_note"] == (
        f"新兴热点模式从有案件的第一期（2026年3月）起判定，不计此前无数据的 {EMPTY_MONTHS} 期"
    )
    assert (
        body["legend"]["patterns"]
        == (
            trends.series_json(at_records, min_count=trends.ANALYST_MIN_COUNT)["legend"]["patterns"]
        )
    )
    same = trends.series_json(at_records, min_count=trends.ANALYST_MIN_COUNT)
    assert same["patterns_from"] == "2026-03" and same["patterns_from_note"] == ""
    # so does the report's 说明
    rep = trend_report.report(
        world, TOWN, actor=who, now=NOW, periods=DATA_MONTHS + EMPTY_MONTHS, end=END
    )
    assert body["patterns_from_note"] in trend_report.notes(rep)


def test_quarters_leave_out_the_empty_quarters_too(world: Session) -> None:
    who = actor("analyst", COUNTY)
    # the records start in March 2026: 2026Q1 is the first quarter with data
    eight = trends.series(world, TOWN, actor=who, now=NOW, granularity="quarter", periods=8)
    assert eight.periods[0].key == "2024Q4" and eight.periods[-1].key == "2026Q3"
    assert eight.periods[eight.patterns_from].key == "2026Q1"
    four = trends.series(world, TOWN, actor=who, now=NOW, granularity="quarter", periods=4)
    assert four.periods[0].key == "2025Q4" and four.patterns_from == 1
