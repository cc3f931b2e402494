"""Trend views over history (trial P): a window that ends at a chosen period, case counts that
say how many had no location, a source filter, the children-by-period table with the units a
re-division retired, exact case counts for analysts, and a cache that follows renames."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import h3
import numpy as np
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from playwright.sync_api import Locator, expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.hotspots import MIN_INCIDENTS
from layers import trend_report, trend_tables, trends
from layers.china_time import CHINA
from layers.database import apply_scope
from layers.errors import InvalidInput
from tests.api_fixtures import COUNTY_A, PASSWORD, TOWN_A1, TOWN_A2, VILLAGES, ApiWorld
from tests.browser import RecordedPage
from tests.conftest import SuiteDatabase
from tests.console_fixtures import ConsoleDemo, open_trends_as_analyst
from tests.workflow_data import COUNTY, NOW, actor, ensure_world
from web.trend_export import report_html

Headers = Callable[[str], dict[str, str]]

# A township of this module's own under the world's county 520424: two villages in use and one
# the 2024 re-division merged into the first.
TOWN = "520424900000"
VILLAGE_A = "520424900001"
VILLAGE_B = "520424900002"
OLD = "520424900003"
OLD_UNUSED = "520424900004"
RETIRED_ON = date(2024, 6, 28)
SOUTH, WEST = 24.40, 102.40


def _box(west: float, east: float) -> str:
    return (
        f"MULTIPOLYGON((({west} {SOUTH},{east} {SOUTH},{east} {SOUTH + 0.02},"
        f"{west} {SOUTH + 0.02},{west} {SOUTH})))"
    )


def _territory(db: Session) -> None:
    ensure_world(db)
    units = [
        (TOWN, "史家镇", 4, COUNTY, _box(WEST, WEST + 0.04), None, None),
        (VILLAGE_A, "甲村", 5, TOWN, _box(WEST, WEST + 0.02), None, None),
        (VILLAGE_B, "乙村", 5, TOWN, _box(WEST + 0.02, WEST + 0.04), None, None),
        (OLD, "旧坝村", 5, TOWN, _box(WEST + 0.01, WEST + 0.02), RETIRED_ON, VILLAGE_A),
        (OLD_UNUSED, "空村", 5, TOWN, _box(WEST, WEST + 0.01), RETIRED_ON, VILLAGE_A),
    ]
    for code, name, level, parent, box, retired, successor in units:
        db.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, boundary, retired_on,"
                " successor_code) VALUES (:c, :n, :l, :p, ST_GeomFromText(:b, 4490), :r, NULL)"
            ),
            {"c": code, "n": name, "l": level, "p": parent, "b": box, "r": retired},
        )
        if successor:
            db.execute(
                text("UPDATE jurisdictions SET successor_code = :s WHERE code = :c"),
                {"s": successor, "c": code},
            )
    db.flush()


_SERIAL = iter(range(10**6))


def _case(
    db: Session,
    area: str,
    when: datetime,
    point: tuple[float, float] | None = None,
    *,
    channel: str = "phone",
    category: str = "dispute",
    import_id: int | None = None,
) -> None:
    db.execute(
        text(
            "INSERT INTO cases (code, channel, category, subcategory, title, point, area_code,"
            " state, handling_level, reported_at, risk_level, import_id) VALUES (:c, :ch, :cat,"
            " NULL, '历史', CASE WHEN CAST(:x AS float8) IS NULL THEN NULL"
            " ELSE ST_SetSRID(ST_MakePoint(:x, :y), 4490) END, :a, 'archived', 4, :t, 4, :imp)"
        ),
        {
            "c": f"th-{next(_SERIAL)}-{when:%y%m%d%H%M%S%f}",
            "ch": channel,
            "cat": category,
            "x": None if point is None else point[0],
            "y": None if point is None else point[1],
            "a": area,
            "t": when,
            "imp": import_id,
        },
    )


def _import_run(db: Session) -> int:
    return int(
        db.execute(
            text(
                "INSERT INTO import_runs (kind, file_name, sha256, username, status, rows_total,"
                " rows_loaded, rows_rejected) VALUES ('cases', '台账2024.xlsx', repeat('a', 64),"
                " 'tester', 'done', 4, 4, 0) RETURNING id"
            )
        ).scalar_one()
    )


def _summary(rep: trend_report.Report) -> dict[str, object]:
    """The 概况 sheet of the report's workbook, as label -> value."""
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    return {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True)}


def _local(year: int, month: int, day: int = 10) -> datetime:
    return datetime(year, month, day, 10, tzinfo=CHINA)


# --- F6: a window that ends at a chosen period ----------------------------------------------


def test_window_ends_at_the_chosen_period() -> None:
    months = trends.window(NOW, "month", 24, end="2024-12")
    assert (months[0].key, months[-1].key, len(months)) == ("2023-01", "2024-12", 24)
    assert trends.window(NOW, "month", 24) == trends.periods_ending(NOW, "month", 24)
    quarters = trends.window(NOW, "quarter", 8, end="2024Q4")
    assert [q.key for q in quarters][::7] == ["2023Q1", "2024Q4"]
    # a month for quarters: the last whole quarter that ends by the end of that month
    assert trends.window(NOW, "quarter", 4, end="2024-12")[-1].key == "2024Q4"
    assert trends.window(NOW, "quarter", 4, end="2024-11")[-1].key == "2024Q3"
    assert trends.last_complete(NOW, "month") == "2026-10"  # NOW is 23 November 2026
    with pytest.raises(InvalidInput, match="尚未结束.*2026年10月"):
        trends.window(NOW, "month", 12, end="2026-11")
    with pytest.raises(InvalidInput, match="截止统计期"):
        trends.window(NOW, "month", 12, end="2024-13")


def _rising_cluster(db: Session) -> tuple[float, float]:
    """Background cases over 2023–2024 in the township and a growing cluster in 甲村 from May
    to December 2024 (as the trial's quarry dust complaints)."""
    rng = np.random.default_rng(5)
    for period in trends.window(NOW, "month", 24, end="2024-12"):
        for _ in range(MIN_INCIDENTS):  # every month judged
            x, y = WEST + rng.uniform(0, 0.04), SOUTH + rng.uniform(0, 0.02)
            _case(db, VILLAGE_B, period.start + timedelta(days=float(rng.uniform(0, 27))), (x, y))
    centre = (WEST + 0.005, SOUTH + 0.01)
    for month in range(5, 13):
        for _ in range(month):
            when = _local(2024, month, 1) + timedelta(days=float(rng.uniform(0, 27)))
            x, y = centre[0] + rng.normal(0, 0.0015), centre[1] + rng.normal(0, 0.0015)
            _case(db, VILLAGE_A, when, (x, y))
    return centre


def test_a_past_window_classes_its_own_hot_spots(db: Session) -> None:
    _territory(db)
    centre = _rising_cluster(db)
    who = actor("analyst", COUNTY)
    past = trends.series(db, TOWN, actor=who, now=NOW, periods=24, end="2024-12")
    assert (past.periods[0].key, past.periods[-1].key) == ("2023-01", "2024-12")
    cell = past.cells.index(h3.latlng_to_cell(centre[1], centre[0], past.resolution))
    assert past.bins[cell, -1] >= 2  # hot in December 2024
    assert past.patterns[cell].endswith("_hot"), past.patterns[cell]
    # the default window ends in October 2026: the same cell has no pattern there
    today = trends.series(db, TOWN, actor=who, now=NOW, periods=24)
    assert today.periods[-1].key == "2026-10"
    assert today.patterns[today.cells.index(past.cells[cell])] == "no_pattern"
    report = trend_report.report(
        db, TOWN, actor=who, now=NOW, periods=24, end="2024-12", period="2024-10"
    )
    book = load_workbook(io.BytesIO(trend_report.workbook(report)))
    summary = dict(book["概况"].iter_rows(values_only=True))
    assert summary["统计时段"] == "2023年1月 至 2024年12月（24个月）"
    assert summary["统计期"].startswith("2024年10月")
    patterns = {row[4] for row in book["热点及模式单元"].iter_rows(min_row=2, values_only=True)}
    assert patterns & {
        trends.PATTERN_LABELS[p] for p in trends.PATTERN_LABELS if p.endswith("_hot")
    }
    with pytest.raises(InvalidInput, match="截止统计期"):
        trends.series(db, TOWN, actor=who, now=NOW, periods=12).period_index("2023-04")


# --- F7: the cases of a period, and of them those with a location ----------------------------


def test_case_counts_include_cases_without_a_location(db: Session) -> None:
    _territory(db)
    for n in range(3):
        _case(db, VILLAGE_A, _local(2024, 6, 3 + n), (WEST + 0.005 + n * 0.001, SOUTH + 0.01))
    for n in range(5):
        _case(db, VILLAGE_B, _local(2024, 6, 10 + n))
    who = actor("analyst", COUNTY)
    result = trends.series(db, TOWN, actor=who, now=NOW, periods=12, end="2024-12")
    body = trends.series_json(result, min_count=trends.ANALYST_MIN_COUNT)
    june = body["periods"][5]
    assert (june["key"], june["cases"], june["located"], june["unlocated"]) == ("2024-06", 8, 3, 5)
    assert june["note"] == (
        "本期有位置的案件只有 3 件（少于 30 件），样本太少，不作热点判断，可改按季度查看；"
        "另有 5 件无位置，未参与热点分析"
    )
    assert june["judged"] is False and june["hot"] == 0
    assert (body["cases"], body["located_cases"]) == (8, 3)
    rep = trend_report.report(
        db, TOWN, actor=who, now=NOW, periods=12, end="2024-12", period="2024-06"
    )
    summary = _summary(rep)
    assert summary["案件数"] == 8 and summary["其中有位置（参与热点分析）"] == 3
    assert "另有 5 件无位置，未参与热点分析" in summary["说明"]
    # the window's months before the first case are zeros said so (trial AF: shown bare)
    assert "本辖区案件记录始于 2024年6月，此前 5 期无数据（记为 0）" in summary["说明"]
    page = report_html(rep)
    assert "<b>8</b><span>本期案件数</span>" in page and "另有 5 件无位置，未参与热点分析" in page


def test_the_counts_and_the_exports_say_they_leave_the_repeats_out(db: Session) -> None:
    _territory(db)
    for n in range(3):
        _case(db, VILLAGE_A, _local(2024, 6, 3 + n), (WEST + 0.005, SOUTH + 0.01))
    first = db.execute(
        text("SELECT id FROM cases WHERE area_code = :a ORDER BY id LIMIT 1"), {"a": VILLAGE_A}
    ).scalar_one()
    _case(db, VILLAGE_B, _local(2024, 6, 20), (WEST + 0.03, SOUTH + 0.01))
    db.execute(
        text("UPDATE cases SET duplicate_of = :f WHERE area_code = :a"),
        {"f": first, "a": VILLAGE_B},
    )
    who = actor("analyst", COUNTY)
    rep = trend_report.report(
        db, TOWN, actor=who, now=NOW, periods=12, end="2024-12", period="2024-06"
    )
    assert rep.series_json["periods"][5]["cases"] == 3  # the repeat is not counted
    assert rep.children["total"] == 3 and rep.categories["total"] == 3
    summary = _summary(rep)
    assert summary["案件数"] == 3
    assert str(summary["说明"]).startswith("案件数不含重复反映（同一事项再次反映的案件）")
    page = report_html(rep)
    assert "<b>3</b><span>本期案件数</span><small>不含重复反映</small>" in page
    assert "<h2>各类案件数（按月，不含重复反映）</h2>" in page
    assert "<h2>各村（社区）案件数（按月，不含重复反映）</h2>" in page
    assert '<p class="notes">案件数不含重复反映（同一事项再次反映的案件）' in page


# --- F13 (a): a source filter -------------------------------------------------------------


def test_a_source_filter_separates_platform_cases_from_imported_history(db: Session) -> None:
    _territory(db)
    run = _import_run(db)
    for n in range(4):
        _case(db, VILLAGE_A, _local(2024, 3, 1 + n), import_id=run, channel="walk_in")
    for n in range(3):
        _case(db, VILLAGE_A, _local(2024, 3, 11 + n), channel="hotline_12345")
    _case(db, VILLAGE_B, _local(2024, 3, 20), channel="walk_in")
    spans = trends.window(NOW, "month", 6, end="2024-06")

    def disputes(case_filter: trends.CaseFilter) -> list[int | None]:
        found = trend_tables.category_counts(db, TOWN, spans, case_filter=case_filter)
        return next(c["counts"] for c in found["categories"] if c["code"] == "dispute")

    assert disputes(trends.CaseFilter())[2] == 8
    assert disputes(trends.case_filter(origin="imported"))[2] == 4
    assert disputes(trends.case_filter(origin="platform"))[2] == 4
    assert disputes(trends.case_filter(channels=["walk_in"]))[2] == 5
    assert disputes(trends.case_filter(channels=["walk_in"], origin="platform"))[2] == 1
    assert (
        trends.case_filter(channels=["walk_in"], origin="imported").label == "来访；导入的历史数据"
    )
    with pytest.raises(InvalidInput, match="来源渠道"):
        trends.case_filter(channels=["fax"])
    who = actor("analyst", COUNTY)
    imported = trends.series(
        db, TOWN, actor=who, now=NOW, periods=6, end="2024-06",
        case_filter=trends.case_filter(origin="imported"),
    )  # fmt: skip
    assert int(imported.totals[2]) == 4
    rep = trend_report.report(
        db, TOWN, actor=who, now=NOW, periods=6, end="2024-06", period="2024-03",
        case_filter=trends.case_filter(origin="imported"),
    )  # fmt: skip
    summary = _summary(rep)
    assert summary["案件范围"] == "导入的历史数据" and summary["案件数"] == 4


# --- F13 (b) and F4: children by period, with the units a re-division retired ---------------


def test_children_by_period_add_up_to_the_unit_with_retired_villages(db: Session) -> None:
    _territory(db)
    _case(db, VILLAGE_A, _local(2024, 1))
    _case(db, VILLAGE_A, _local(2024, 8))
    for n in range(3):
        _case(db, OLD, _local(2024, 2, 1 + n))  # before the merger
    _case(db, OLD, _local(2024, 9))  # recorded in the old village after it
    _case(db, VILLAGE_B, _local(2024, 2))
    _case(db, TOWN, _local(2024, 5))  # the township itself (乡镇本级)
    spans = trends.window(NOW, "month", 12, end="2024-12")
    table = trend_tables.child_counts(db, TOWN, spans)
    rows = {row["code"]: row for row in table["rows"]}
    assert list(rows) == [VILLAGE_A, VILLAGE_B, OLD, TOWN]
    assert rows[OLD]["label"] == "旧坝村（2024-06-28 已撤销，由甲村继承）"
    assert rows[OLD]["retired_on"] == "2024-06-28" and rows[OLD]["successor_name"] == "甲村"
    assert rows[OLD]["counts"][1] == 3 and rows[OLD]["total"] == 4
    assert rows[TOWN]["label"] == "史家镇本级" and rows[TOWN]["total"] == 1
    assert OLD_UNUSED not in rows  # retired, no case in the window
    assert table["totals"] == [sum(r["counts"][t] for r in table["rows"]) for t in range(12)]
    assert (
        table["total"]
        == 8
        == sum(c["total"] for c in trend_tables.category_counts(db, TOWN, spans)["categories"])
    )

    who = actor("analyst", COUNTY)
    unit = trends.unit_of(db, TOWN, actor=who, periods=spans)
    children = {c["code"]: c for c in unit["children"]}
    assert list(children) == [VILLAGE_A, VILLAGE_B, OLD]
    assert children[OLD]["retired_on"] == "2024-06-28" and "已撤销" in children[OLD]["label"]
    assert not children[VILLAGE_A]["retired_on"] and children[VILLAGE_A]["label"] == "甲村"
    # out of the window, the retired village is not listed
    later = trends.window(NOW, "month", 12)
    assert [c["code"] for c in trends.unit_of(db, TOWN, actor=who, periods=later)["children"]] == [
        VILLAGE_A,
        VILLAGE_B,
    ]
    own = trends.unit_of(db, OLD, actor=who)
    assert own["retired_on"] == "2024-06-28"
    assert own["successor"] == {"code": VILLAGE_A, "name": "甲村"}
    assert own["notice"] == "旧坝村已于 2024-06-28 撤销，由甲村继承；本页统计记在旧坝村名下的案件。"
    assert trends.unit_of(db, VILLAGE_A, actor=who)["retired_on"] is None

    rep = trend_report.report(db, TOWN, actor=who, now=NOW, periods=12, end="2024-12")
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    sheet = list(book["村（社区）月度统计"].iter_rows(values_only=True))
    assert sheet[0][:3] == ("村（社区）", "区划代码", "2024年1月") and sheet[0][-1] == "合计"
    assert sheet[3][0] == "旧坝村（2024-06-28 已撤销，由甲村继承）" and sheet[3][-1] == 4
    assert sheet[-1][0] == "合计" and sheet[-1][-1] == 8
    categories = list(book["分类月度统计"].iter_rows(values_only=True))
    assert categories[0][-1] == "合计" and categories[-1][0] == "合计" and categories[-1][-1] == 8
    assert "旧坝村（2024-06-28 已撤销，由甲村继承）" in report_html(rep)


# --- F13 (c): analysts see exact case counts; persons stay suppressed ------------------------


def test_analysts_see_exact_case_counts(db: Session) -> None:
    _territory(db)
    _case(db, VILLAGE_A, _local(2024, 6), (WEST + 0.005, SOUTH + 0.01))
    _case(db, VILLAGE_A, _local(2024, 6, 12), (WEST + 0.005, SOUTH + 0.01))
    _case(db, VILLAGE_B, _local(2024, 7), channel="walk_in", category="safety_hazard")
    who = actor("analyst", COUNTY)
    rep = trend_report.report(
        db, TOWN, actor=who, now=NOW, periods=12, end="2024-12", period="2024-06"
    )
    disputes = next(c for c in rep.categories["categories"] if c["code"] == "dispute")
    assert disputes["counts"][5] == 2 and disputes["total"] == 2
    assert rep.series_json["periods"][5]["cases"] == 2
    assert rep.children["rows"][0]["counts"][5] == 2
    # a map cell pins cases down to a few hundred metres: as on the map's hexagon layer,
    # analysts get its small counts suppressed, and the report says which counts are
    assert rep.min_count == trends.ANALYST_MIN_COUNT
    summary = _summary(rep)
    assert summary["案件数"] == 2
    assert "案件数按实数显示" in summary["说明"] and "六边形单元" in summary["说明"]


# --- F11: the cache follows what the labels come from ----------------------------------------


def test_the_cache_follows_a_rename(db: Session) -> None:
    _territory(db)
    for n in range(4):
        _case(db, VILLAGE_A, _local(2024, 6, 1 + n), (WEST + 0.005, SOUTH + 0.01))
    who = actor("analyst", COUNTY)
    before = trends.series(db, TOWN, actor=who, now=NOW, periods=12, end="2024-12")
    assert "甲村" in before.area_names.values()
    assert trends.series(db, TOWN, actor=who, now=NOW, periods=12, end="2024-12") is before
    db.execute(text("UPDATE jurisdictions SET name = '甲家村' WHERE code = :c"), {"c": VILLAGE_A})
    after = trends.series(db, TOWN, actor=who, now=NOW, periods=12, end="2024-12")
    assert after.area_names[VILLAGE_A] == "甲家村"
    db.execute(
        text("UPDATE jurisdictions SET boundary = ST_GeomFromText(:b, 4490) WHERE code = :c"),
        {"b": _box(WEST + 0.03, WEST + 0.04), "c": VILLAGE_A},  # beyond cell_places' 2 km
    )
    moved = trends.series(db, TOWN, actor=who, now=NOW, periods=12, end="2024-12")
    assert moved is not after and VILLAGE_A not in moved.areas


# --- over HTTP, against the committed API world (cases January to June 2026) ----------------


def test_the_api_takes_a_window_end_and_a_source_filter(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    analyst = auth_headers("analyst_a")
    query = "granularity=month&periods=6&end=2026-06"
    series = api_client.get(f"/api/trends/{COUNTY_A}?{query}", headers=analyst).json()
    assert [p["key"] for p in series["periods"]] == [f"2026-0{m}" for m in range(1, 7)]
    assert [p["cases"] for p in series["periods"]] == [6, 0, 3, 3, 6, 0]
    assert series["window"]["label"] == "2026年1月 至 2026年6月（6个月）"
    assert series["latest_period"] and series["filter"]["label"] == "全部来源"
    assert {"code": "hotline_12345", "label": "12345热线"} in series["filter"]["channels"]
    categories = api_client.get(f"/api/trends/{COUNTY_A}/categories?{query}", headers=analyst)
    disputes = next(c for c in categories.json()["categories"] if c["code"] == "dispute")
    assert disputes["counts"] == [6, 0, 3, 3, 6, 0]  # exact for analysts too
    children = api_client.get(f"/api/trends/{COUNTY_A}/children?{query}", headers=analyst).json()
    assert [(r["code"], r["counts"]) for r in children["rows"]] == [
        (TOWN_A1, [4, 0, 2, 2, 4, 0]),
        (TOWN_A2, [2, 0, 1, 1, 2, 0]),
    ]
    assert children["totals"] == [6, 0, 3, 3, 6, 0] and children["total"] == 18
    for params, total in (
        ("channel=hotline_12345", 0),
        ("origin=imported", 0),
        ("origin=platform", 18),
        ("channel=grid_worker&channel=walk_in", 18),
        ("category=dispute", 18),  # a planner's one category (trial AF)
        ("category=safety_hazard", 0),
    ):
        got = api_client.get(f"/api/trends/{COUNTY_A}?{query}&{params}", headers=analyst)
        assert got.status_code == 200, got.text
        assert got.json()["cases"] == total, params
    disputes_only = api_client.get(
        f"/api/trends/{COUNTY_A}?{query}&category=dispute", headers=analyst
    ).json()
    assert disputes_only["filter"]["label"] == "矛盾纠纷"
    assert disputes_only["filter"]["applied"]["category"] == "dispute"
    kde = api_client.get(
        f"/api/trends/{COUNTY_A}/kde?{query}&period=2026-05&origin=platform", headers=analyst
    ).json()
    assert "end=2026-06" in kde["image"] and "origin=platform" in kde["image"]
    assert api_client.get(kde["image"], headers=analyst).status_code == 200
    xlsx = api_client.get(f"/api/trends/{COUNTY_A}/report.xlsx?{query}", headers=analyst)
    book = load_workbook(io.BytesIO(xlsx.content))
    assert "乡镇（街道）月度统计" in book.sheetnames
    for bad, message in (
        ("end=2099-01", "尚未结束"),
        ("channel=fax", "来源渠道"),
        ("origin=elsewhere", "数据来源"),
        ("category=weather", "案件类别"),
    ):
        refused = api_client.get(f"/api/trends/{COUNTY_A}?{bad}", headers=analyst)
        assert refused.status_code == 422, bad
        assert message in refused.json()["detail"], refused.text


def test_a_window_before_today_reads_at_any_end(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    analyst = auth_headers("analyst_a")
    today = datetime.now(UTC)
    latest = trends.last_complete(today, "quarter")
    got = api_client.get(
        f"/api/trends/{COUNTY_A}?granularity=quarter&periods=4", headers=analyst
    ).json()
    assert got["periods"][-1]["key"] == latest == got["latest_period"]
    past = api_client.get(
        f"/api/trends/{COUNTY_A}?granularity=quarter&periods=4&end=2026-06", headers=analyst
    ).json()
    assert past["periods"][-1]["key"] == "2026Q2" and past["cases"] == 18


def test_the_history_starts_at_the_period_of_the_units_earliest_case(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    analyst = auth_headers("analyst_a")
    with database.owner.connect() as conn:
        earliest = conn.execute(
            text("SELECT min(reported_at) FROM cases WHERE area_code LIKE :p"),
            {"p": COUNTY_A[:6] + "%"},
        ).scalar_one()
    local = earliest.astimezone(CHINA)
    for granularity, key in (
        ("month", f"{local.year}-{local.month:02d}"),
        ("quarter", f"{local.year}Q{(local.month + 2) // 3}"),
    ):
        got = api_client.get(
            f"/api/trends/{COUNTY_A}?granularity={granularity}", headers=analyst
        ).json()
        assert got["first_period"] == key, granularity


# --- the page, in a real browser against the demo county -------------------------------------


def _assert_window_warning(
    warning: Locator, window: tuple[trends.Period, ...], first_period: str, first_day: str
) -> None:
    """The page's window warning as the rule gives it for this window and history."""
    first = window[0]
    into = (date.fromisoformat(first_day) - first.start.date()).days
    if first.key < first_period:
        expect(warning).to_contain_text("期无数据")
    elif first.key == first_period and into > (first.end - first.start).days / 2:
        expect(warning).to_have_text(
            f"本统计时段的第一期（{first.label}）只含 {first_day} 起的案件，不足半期，"
            "与其他各期不可比：新兴热点模式（连续、加剧等）可能失真。"
        )
    else:
        expect(warning).to_be_hidden()


@pytest.mark.browser
def test_the_page_offers_a_window_end_a_source_filter_the_children_table_and_dispute_types(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """The county's page: its dispute types add up to the period's disputes; then its window
    end, source filter and children table.

    (Two tests once, each logging the analyst in on the same page: the dispute types come
    first, on the page as it loads, before the window and the filter change it.)
    """
    origin, county = open_trends_as_analyst(page, console_demo)
    # -- the dispute types add up to the period's disputes
    found = page.evaluate(f"zz.api('/api/trends/{county}/categories?granularity=month')")
    subs = found["subcategories"]
    # the month with the most types of dispute
    t = max(range(len(found["periods"])), key=lambda i: sum(1 for s in subs if s["counts"][i]))
    page.locator("#period-slider").fill(str(t))
    disputes = next(c for c in found["categories"] if c["code"] == "dispute")["counts"][t]
    # the API's types add up to the disputes, those recorded without one last (code "")
    assert sum(s["counts"][t] for s in subs) == disputes
    assert [s["label"] for s in subs if s["code"] == ""] in ([], ["未注明类型"])
    assert all(s["code"] for s in subs[:-1])
    untyped = subs[-1]["counts"][t] if subs[-1]["code"] == "" else 0
    typed = sorted((s["counts"][t] for s in subs if s["counts"][t] and s["code"]), reverse=True)
    assert len(typed) > 8, typed  # the demo has more types in a month than the chart's eight
    total = page.locator("#subcategory-total")
    expect(total).to_have_text(f"本期矛盾纠纷合计 {disputes} 件")
    labels = page.locator("#subcategory-svg .zz-subcategory-label").evaluate_all(
        "ns => ns.map(n => n.textContent)"
    )
    counts = [
        int(n)
        for n in page.locator("#subcategory-svg .zz-subcategory-count").evaluate_all(
            "ns => ns.map(n => n.textContent)"
        )
    ]
    assert counts[:8] == typed[:8]
    assert labels[8] == f"其他 {len(typed) - 8} 类" and counts[8] == sum(typed[8:])
    assert untyped == disputes - sum(typed)
    assert len(labels) == (10 if untyped else 9)
    if untyped:
        assert labels[9] == "未注明类型" and counts[9] == untyped
    assert sum(counts) == disputes
    page.locator("#chart-subcategories").scroll_into_view_if_needed()
    page.screenshot_step("0-dispute-types")
    assert page.latin_words(".zz-trends") == []

    # -- the window end, the source filter and the children table
    # the unit's 指挥调度 (its briefs, its alerts) is one click away
    expect(page.locator("#zz-console-link")).to_have_attribute("href", f"/console/{county}")
    latest = trends.last_complete(console_demo.now, "month")
    assert page.locator("#window-range").inner_text().startswith("统计时段：")
    assert "全部来源" in page.locator("#window-range").inner_text()
    kpis = page.locator("#kpis").inner_text()
    assert "本期案件数" in kpis and "有位置（参与热点分析）" in kpis
    # the trend views leave the repeats (重复反映) out, where the brief counts them: they say so
    assert (
        page.locator("#children-title").inner_text() == "各乡镇（街道）案件数（按月） 不含重复反映"
    )
    assert "不含重复反映" in page.locator("#kpis .zz-kpi").first.inner_text()
    assert (
        page.locator("#located-note")
        .inner_text()
        .startswith("案件数不含重复反映（同一事项再次反映的案件）。")
    )
    rows = page.locator("#children-table tbody tr")
    assert rows.last.inner_text().startswith("合计") and rows.count() >= 3
    # the default window: warned of only when it starts before the county's earliest case, or
    # when that case lies past the middle of its first period (trial AA: a quarter of December)
    answer = page.evaluate(f"zz.api('/api/trends/{county}?granularity=month')")
    first_period = answer["first_period"]
    default = trends.window(console_demo.now, "month", 24)
    warning = page.locator("#window-warning")
    _assert_window_warning(warning, default, first_period, answer["first_day"])
    page.screenshot_step("1-window-and-children")
    page.select_option("#granularity", "quarter")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    quarterly = page.evaluate(f"zz.api('/api/trends/{county}?granularity=quarter')")
    _assert_window_warning(
        warning,
        trends.window(console_demo.now, "quarter", len(quarterly["periods"])),
        quarterly["first_period"],
        quarterly["first_day"],
    )
    page.screenshot_step("1b-quarterly")
    page.select_option("#granularity", "month")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    # the ends offered go back to the month of the demo's earliest case, not ten years
    first = min(c.reported_at for c in console_demo.data.cases).astimezone(CHINA)
    ends = page.locator("#period-end option").evaluate_all("os => os.map(o => o.value)")
    assert ends[-1] == f"{first.year}-{first.month:02d}", ends[-3:]

    # a window ending twelve months before the latest complete one
    year, month = int(latest[:4]), int(latest[5:])
    end = f"{year - 1}-{month:02d}"
    page.select_option("#period-end", end)
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    label = page.locator("#window-range").inner_text()
    assert f"至 {year - 1}年{month}月（24个月）" in label, label
    # it starts before the county's earliest case: the page warns how many periods are empty
    past = trends.window(console_demo.now, "month", 24, end=end)
    empty = sum(1 for p in past if p.key < first_period)
    assert empty > 0
    first_year, first_month = int(first_period[:4]), int(first_period[5:])
    # the emerging patterns leave them out (trial AY M3: zeros made 连续 and 零星 hot spots)
    judged = page.evaluate(f"zz.api('/api/trends/{county}?granularity=month&end={end}')")
    assert judged["patterns_from"] == first_period and judged["patterns_from_note"]
    assert warning.inner_text() == (
        f"本统计时段始于 {past[0].label}，而本辖区案件记录始于 {first_year}年{first_month}月："
        f"前 {empty} 期无数据（图表中记为 0）；{judged['patterns_from_note']}。"
    )
    assert f"end={end}" in (page.locator("#export-xlsx").get_attribute("href") or "")
    page.screenshot_step("2-past-window")

    # imported history only: the demo imported nothing
    page.select_option("#source-origin", "imported")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    assert "导入的历史数据" in page.locator("#window-range").inner_text()
    assert page.locator("#kpis .zz-kpi b").first.inner_text() == "0"
    assert "origin=imported" in (page.locator("#export-html").get_attribute("href") or "")
    # quarters keep the chosen end (the last whole quarter ending by it)
    page.select_option("#granularity", "quarter")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    assert (
        page.locator("#period-end")
        .input_value()
        .startswith(str(year - 1 if month >= 3 else year - 2))
    )
    assert page.latin_words() == []
    page.assert_clean(origin)


RETIRED_46 = "460105001009"  # a village of 甲一街道 merged into 测试村1 (codes of this module)


@pytest.fixture
def retired_village(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[str]:
    """Commit a retired village of the API world with two cases of February 2026; remove them."""
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        session.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, retired_on,"
                " successor_code) VALUES (:c, '旧测试村', 5, :p, DATE '2026-03-01', :s)"
            ),
            {"c": RETIRED_46, "p": TOWN_A1, "s": VILLAGES[0]},
        )
        for n in range(2):
            _case(session, RETIRED_46, datetime(2026, 2, 3 + n, 10, tzinfo=CHINA))
    try:
        yield RETIRED_46
    finally:
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            session.execute(text("DELETE FROM cases WHERE area_code = :c"), {"c": RETIRED_46})
            session.execute(text("DELETE FROM jurisdictions WHERE code = :c"), {"c": RETIRED_46})


@pytest.mark.browser
def test_the_page_marks_retired_villages_and_their_own_page_says_so(
    page: RecordedPage, live_server: str, api_world: ApiWorld, retired_village: str
) -> None:
    page.goto(f"{live_server}/login?next=/trends/{TOWN_A1}")
    page.fill("#username", api_world.users["analyst_a"].username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{live_server}/trends/{TOWN_A1}")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    label = "旧测试村（2026-03-01 已撤销，由测试村1继承）"
    assert label in page.locator("#child-select").inner_text()
    rows = page.locator("#children-table tbody tr")
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())] == [
        "测试村1",
        "测试村2",
        label,
        "合计",
    ]
    assert page.locator("#unit-notice").is_hidden()
    page.screenshot_step("1-township-with-retired-village")
    page.select_option("#child-select", retired_village)
    page.wait_for_url(f"{live_server}/trends/{retired_village}")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    notice = page.locator("#unit-notice")
    assert notice.inner_text().startswith("旧测试村已于 2026-03-01 撤销，由测试村1继承")
    assert notice.locator("a").get_attribute("href") == f"/trends/{VILLAGES[0]}"
    page.screenshot_step("2-retired-village-page")
    assert page.latin_words(".zz-trends") == []  # (the navbar names the test login)
    page.assert_clean(live_server)
