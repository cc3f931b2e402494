"""Hot-spot trends: periods, Gi* per period, emerging classes, the aggregates beside them, and
the API's scoping and small-count suppression."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import h3
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from scipy import stats
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.hotspots import MIN_INCIDENTS
from layers import cell_places, trend_report, trend_tables, trends
from layers.china_time import CHINA
from layers.errors import InvalidInput, NotFound
from layers.model import DisputeType
from tests.api_fixtures import CITY as CITY_OF_API
from tests.api_fixtures import COUNTY_A, COUNTY_B, VILLAGES, ApiWorld
from tests.workflow_data import (
    CITY,
    COUNTY,
    MENTAL_KEY_EVERY_14_DAYS,
    NOW,
    OTHER_COUNTY,
    actor,
    ensure_world,
    grid,
    village,
    village_centre,
)
from web import trend_export

Headers = Callable[[str], dict[str, str]]
V1 = village(100, 1)
V2 = village(200, 2)


def test_periods_are_complete_calendar_months_and_quarters() -> None:
    months = trends.periods_ending(datetime(2026, 1, 10, tzinfo=UTC), "month", 3)
    assert [p.key for p in months] == ["2025-10", "2025-11", "2025-12"]
    assert months[-1].end == datetime(2026, 1, 1, tzinfo=CHINA)
    quarters = trends.periods_ending(datetime(2026, 1, 5, tzinfo=UTC), "quarter", 4)
    assert [p.label for p in quarters] == [
        "2025年第1季度",
        "2025年第2季度",
        "2025年第3季度",
        "2025年第4季度",
    ]
    # 16:30 UTC on 31 March is already 1 April in the centre's time zone
    late = trends.periods_ending(datetime(2026, 3, 31, 16, 30, tzinfo=UTC), "month", 1)
    assert late[0].key == "2026-03"
    with pytest.raises(InvalidInput):
        trends.periods_ending(NOW, "week", 4)
    with pytest.raises(InvalidInput):
        trends.periods_ending(NOW, "month", 0)


def _add_case(db: Session, n: int, lon: float, lat: float, when: datetime, area: str) -> None:
    db.execute(
        text(
            "INSERT INTO cases (code, channel, category, subcategory, title, point, area_code,"
            " state, handling_level, reported_at, risk_level) VALUES (:c, 'phone', 'dispute',"
            " 'neighbours', '测试', ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 'registered', 4,"
            " :t, 4)"
        ),
        {"c": f"tr-{n}", "x": lon, "y": lat, "a": area, "t": when},
    )


@pytest.fixture
def world(db: Session) -> Session:
    """Background cases over 12 months in county 520424 and a cluster in V1 in the last two.

    30 a month: enough located cases for every period to be judged (``MIN_INCIDENTS``).
    """
    ensure_world(db)
    rng = np.random.default_rng(11)
    periods = trends.periods_ending(NOW, "month", 12)
    n = 0
    for p in periods:
        for _ in range(MIN_INCIDENTS):
            lon, lat = 102.50 + rng.uniform(0, 0.38), 24.30 + rng.uniform(0, 0.02)
            _add_case(db, n, lon, lat, p.start + timedelta(days=float(rng.uniform(0, 27))), COUNTY)
            n += 1
    lon0, lat0 = village_centre(V1)
    for p in periods[-2:]:
        for _ in range(25):
            when = p.start + timedelta(days=float(rng.uniform(0, 27)))
            _add_case(db, n, lon0 + rng.normal(0, 0.0005), lat0 + rng.normal(0, 0.0005), when, V1)
            n += 1
    return db


def test_series_shows_the_new_cluster_in_its_periods_and_class(world: Session) -> None:
    who = actor("analyst", COUNTY)
    result = trends.series(world, COUNTY, actor=who, now=NOW, periods=12)
    assert [p.key for p in result.periods][-1] == "2026-10"
    assert result.located == 12 * MIN_INCIDENTS + 50
    assert result.counts.sum() == result.located and result.counts.shape[1] == 12
    hottest = int(np.argmax(result.counts[:, -1]))
    assert result.areas[hottest] == V1
    assert result.bins[hottest, -1] >= 2 and result.bins[hottest, -2] >= 2
    assert result.z[hottest, -1] > 3
    # each period's bins by the normal p-value of Gi* z, as the command view's runs
    assert np.allclose(result.p, 2 * stats.norm.sf(np.abs(result.z)))
    assert ((result.bins >= 2) == ((result.p <= 0.05) & (result.z > 0))).all()
    # monthly counts are sparse: a single background case can make a cell significant in
    # a month, so the class is new, consecutive or sporadic, always a hot class
    assert result.patterns[hottest] in {"new_hot", "consecutive_hot", "sporadic_hot"}
    # cached: the same object until a case changes
    assert trends.series(world, COUNTY, actor=who, now=NOW, periods=12) is result
    _add_case(world, 9999, *village_centre(V1), NOW - timedelta(days=40), V1)
    assert trends.series(world, COUNTY, actor=who, now=NOW, periods=12) is not result

    body = trends.series_json(result, min_count=trends.ANALYST_MIN_COUNT)
    assert len(body["periods"]) == 12 and body["periods"][-1]["hot"] >= 1
    cell = next(c for c in body["cells"] if c["id"] == result.cells[hottest])
    assert cell["area_name"] == "村100-1" and cell["pattern"] == result.patterns[hottest]
    assert all(v is None or v == 0 or v >= 3 for c in body["cells"] for v in c["counts"])
    labels = {p["code"]: p["label"] for p in body["legend"]["patterns"]}
    assert labels["new_hot"] == "新增热点" and labels["no_pattern"] == "无显著模式"
    assert labels["intensifying_cold"] == "加剧冷点" and len(labels) == 17


def test_a_handful_of_cases_tells_no_hot_spot(db: Session) -> None:
    """A new centre's first month: 7 cases, 3 of them in one place, make no 99 % hot spot."""
    ensure_world(db)
    lon0, lat0 = village_centre(V1)
    last = trends.periods_ending(NOW, "month", 12)[-1]
    spots = [(lon0, lat0)] * 3 + [(lon0 + 0.002, lat0)] * 2 + [(102.6, 24.31), (102.8, 24.31)]
    for n, (lon, lat) in enumerate(spots):
        _add_case(db, 700 + n, lon, lat, last.start + timedelta(days=n), V1)
    who = actor("analyst", COUNTY)
    few = trends.series(db, COUNTY, actor=who, now=NOW, periods=12)
    assert few.located == 7 and not few.bins.any()
    assert set(few.patterns) == {"no_pattern"}
    body = trends.series_json(few, min_count=1)
    october = body["periods"][-1]
    assert (october["judged"], october["hot"]) == (False, 0)
    assert october["note"] == (
        "本期有位置的案件只有 7 件（少于 30 件），样本太少，不作热点判断，可改按季度查看"
    )
    assert body["patterns_note"].startswith("新兴热点模式需要至少 4 期各有 30 件以上")
    # not judged: 不作判断, never 无显著模式, which says it was (trial AF)
    assert body["patterns_judged"] is False
    assert trends.pattern_label("no_pattern", judged=body["patterns_judged"]) == "不作判断"
    rep = trend_report.report(db, COUNTY, actor=who, now=NOW, periods=12)
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    for sheet in ("热点及模式单元", "无覆盖热点"):  # said, not headers alone
        assert book[sheet]["A2"].value == "本期不作热点判断"
    summary = dict(book["概况"].iter_rows(values_only=True))
    assert summary["热点单元（95%置信以上）"] == "不作判断"
    # the same place among 30 background cases of the month is told
    rng = np.random.default_rng(3)
    for n in range(MIN_INCIDENTS):
        lon, lat = 102.50 + rng.uniform(0, 0.38), 24.30 + rng.uniform(0, 0.02)
        _add_case(db, 800 + n, lon, lat, last.start + timedelta(days=float(n % 27)), COUNTY)
    enough = trends.series(db, COUNTY, actor=who, now=NOW, periods=12)
    cell = enough.cells.index(h3.latlng_to_cell(lat0, lon0, enough.resolution))
    assert enough.bins[cell, -1] >= 2
    assert trends.series_json(enough, min_count=1)["periods"][-1]["judged"] is True


def test_series_is_scoped(world: Session) -> None:
    with pytest.raises(NotFound):
        trends.series(world, OTHER_COUNTY, actor=actor("analyst", COUNTY), now=NOW)
    with pytest.raises(NotFound):
        trends.unit_of(world, COUNTY, actor=actor("analyst", V1))
    unit = trends.unit_of(world, V1, actor=actor("analyst", COUNTY))
    assert [p["name"] for p in unit["path"]] == ["通海县", "镇100", "村100-1"]


def test_uncovered_hot_spots_and_density(world: Session) -> None:
    who = actor("commander", COUNTY)
    result = trends.series(world, COUNTY, actor=who, now=NOW, periods=12)
    before = trend_tables.uncovered_hotspots(world, result, 11, min_count=1)
    hottest = result.cells[int(np.argmax(result.counts[:, -1]))]
    assert before["hot"] >= 1 and hottest in {c["id"] for c in before["uncovered"]}
    # most cases first (a camera goes where the cases are), whatever the cell's confidence
    counts = [c["count"] for c in before["uncovered"]]
    assert counts == sorted(counts, reverse=True) and before["uncovered"][0]["id"] == hottest
    # with small counts suppressed, they sort as the smallest shown, after every shown one
    shown = [
        c["count"]
        for c in trend_tables.uncovered_hotspots(world, result, 11, min_count=3)["uncovered"]
    ]
    ranks = [0 if n == 0 else 1 if n is None else n for n in shown]
    assert ranks == sorted(ranks, reverse=True)
    # a hot cell without a case of its own is counted, not listed (trial AF: 28 of 46 were)
    hot_empty = {
        result.cells[i]
        for i in np.flatnonzero(result.bins[:, 11] >= 2)
        if result.counts[i, 11] == 0
    }
    assert not hot_empty & {c["id"] for c in before["uncovered"]}
    assert all(c["count"] != 0 for c in before["uncovered"])
    assert before["neighbour_only"] <= len(hot_empty)
    assert before["hot"] >= len(before["uncovered"]) + before["neighbour_only"]
    lon0, lat0 = village_centre(V1)
    world.execute(
        text(
            "INSERT INTO video_points (device_id, name, point, area_code, fov_deg, range_m,"
            " status) VALUES ('52042410013200000001', '测试球机',"
            " ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 360, 300, 'online')"
        ),
        {"x": lon0, "y": lat0, "a": V1},
    )
    after = trend_tables.uncovered_hotspots(world, result, 11, min_count=1)
    assert after["cameras"] == before["cameras"] + 1
    assert hottest not in {c["id"] for c in after["uncovered"]}
    overlay = trend_tables.density(world, result, 11)
    assert overlay is not None and overlay.png.startswith(b"\x89PNG")
    (south, west), (north, east) = overlay.bounds
    assert south < lat0 < north and west < lon0 < east


def _add_person(db: Session, n: int, village_code: str, visited_days_ago: int | None) -> None:
    pid = db.execute(
        text(
            "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
            " management_level, attributes, grid_code, area_code, on_record_since) VALUES"
            " ('mental', :name, :h, '5304**********001X', :s, 1, '{}', :g, :a, DATE '2025-01-01')"
            " RETURNING id"
        ),
        {
            "name": f"测试人{n}",
            "h": n.to_bytes(32, "big"),
            "s": b"sealed",
            "g": grid(village_code),
            "a": village_code,
        },
    ).scalar_one()
    if visited_days_ago is not None:
        db.execute(
            text(
                "INSERT INTO person_visits (person_id, area_code, visited_on) VALUES (:p, :a, :d)"
            ),
            {"p": pid, "a": village_code, "d": (NOW - timedelta(days=visited_days_ago)).date()},
        )


def test_overdue_visits_by_grid_with_small_counts_suppressed(db: Session) -> None:
    ensure_world(db)
    db.execute(text(MENTAL_KEY_EVERY_14_DAYS))
    for n in range(5):  # V1: four overdue (3 never visited, 1 visited 30 days ago), one recent
        _add_person(db, 9000 + n, V1, [None, None, None, 30, 3][n])
    for n in range(2):  # V2: two, both overdue
        _add_person(db, 9100 + n, V2, None)
    full = trend_tables.overdue_visits(db, COUNTY, now=NOW, min_count=1)
    by_grid = {g["grid_code"]: g for g in full["grids"]}
    assert (full["total"], full["overdue"], full["grid_count"]) == (7, 6, 2)
    assert by_grid[grid(V1)]["persons"] == 5 and by_grid[grid(V1)]["overdue"] == 4
    assert by_grid[grid(V2)]["overdue"] == 2 and by_grid[grid(V2)]["share"] == 1.0
    suppressed = trend_tables.overdue_visits(db, COUNTY, now=NOW, min_count=3)
    # the grid of 2 is not listed at all (trial AJ M3); the grid of 4 is, exactly
    assert [g["grid_code"] for g in suppressed["grids"]] == [grid(V1)]
    assert suppressed["grid_count"] == 1 and suppressed["listed_from"] == 3
    small = {g["grid_code"]: g for g in full["grids"]}[grid(V2)]
    assert {
        "grid_code",
        "grid_name",
        "township_name",
        "area_name",
        "persons",
        "overdue",
        "share",
        "centre",
    } == set(small)
    names: dict[str, str] = dict(db.execute(text("SELECT code, name FROM jurisdictions")).all())
    assert small["township_name"] == names[V2[:9] + "000"] != by_grid[grid(V1)]["township_name"]
    # a list cut short still says how many grids have someone overdue
    cut = trend_tables.overdue_visits(db, COUNTY, now=NOW, min_count=1, limit=1)
    assert [g["grid_code"] for g in cut["grids"]] == [grid(V1)] and cut["grid_count"] == 2
    lon, lat = small["centre"]
    assert abs(lon - village_centre(V2)[0]) < 0.01 and abs(lat - village_centre(V2)[1]) < 0.01


def test_the_report_lists_every_overdue_grid_with_its_township(world: Session) -> None:
    # trial AA: the list was cut at 200 grids without a word, named no township and had no
    # total, and a report of a past month read as that month's
    world.execute(text(MENTAL_KEY_EVERY_14_DAYS))
    for n in range(4):  # V1: three overdue; V2: one, never visited
        _add_person(world, 9200 + n, V1, [None, 30, 40, 2][n])
    _add_person(world, 9300, V2, None)
    who = actor("commander", COUNTY)
    rep = trend_report.report(world, COUNTY, actor=who, now=NOW, periods=12, period="2026-09")
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    sheet = book["走访逾期"]
    rows = list(sheet.iter_rows(values_only=True))
    names: dict[str, str] = dict(world.execute(text("SELECT code, name FROM jurisdictions")).all())
    assert rows[0] == (
        "网格",
        "所属乡镇（街道）",
        "所属村（社区）",
        "列管人数",
        "逾期人数",
        "逾期比例",
    )
    assert rows[1][1:] == (names[V1[:9] + "000"], names[V1], 4, 3, 0.75)
    assert rows[2][1:] == (names[V2[:9] + "000"], names[V2], 1, 1, 1.0)
    assert rows[3] == ("合计", None, None, 5, 4, 0.8)
    assert sheet.cell(2, 6).number_format == "0.0%"
    assert rows[4][0] == trend_report.VISITS_NOTE and "与所选统计期无关" in rows[4][0]
    summary = {r[0]: r[1] for r in book["概况"].iter_rows(values_only=True)}
    assert summary["走访逾期人数（截至报告生成时）"] == 4
    # the HTML report names the townships too, says when its counts stand and what it leaves out
    page = trend_export.report_html(rep)
    assert names[V1[:9] + "000"] in page and trend_report.VISITS_WHEN in page
    many = {**rep.visits, "grids": rep.visits["grids"] * 30}  # 60 grids: 50 listed
    assert "共 60 个网格有逾期，此处列出逾期人数最多的 50 个" in trend_export._visits_table(many)


def test_report_workbook(world: Session) -> None:
    who = actor("analyst", COUNTY)
    # one dispute of October recorded without a type, one of another type
    periods = trends.periods_ending(NOW, "month", 12)
    _add_case(world, 9001, *village_centre(V2), periods[-1].start + timedelta(days=3), V2)
    _add_case(world, 9002, *village_centre(V2), periods[-1].start + timedelta(days=4), V2)
    world.execute(text("UPDATE cases SET subcategory = NULL WHERE code = 'tr-9001'"))
    world.execute(text("UPDATE cases SET subcategory = 'land' WHERE code = 'tr-9002'"))
    rep = trend_report.report(world, COUNTY, actor=who, now=NOW, periods=12, period="2026-10")
    untyped = next(s for s in rep.categories["subcategories"] if s["code"] == "")
    assert untyped["label"] == "未注明类型" and untyped["counts"][-1] == 1
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    assert book.sheetnames == [
        "概况",
        "热点及模式单元",
        "热点变化（按辖区）",
        "变化对比（近6个月）",
        "分类月度统计",
        "纠纷类型月度统计",
        "乡镇（街道）月度统计",
        "无覆盖热点",
        "走访逾期",
        "走访逐期统计",
        "重复反映",
        "部门办理情况",
    ]
    summary = {r[0]: r[1] for r in book["概况"].iter_rows(values_only=True)}
    assert summary["统计期"].startswith("2026年10月") and summary["辖区"].startswith("通海县")
    # where hot spots emerge or fade, by place: its cells of each class (trial AF)
    changes = list(book["热点变化（按辖区）"].iter_rows(values_only=True))
    patterned = [c for c in rep.series_json["cells"] if c["pattern"] != "no_pattern"]
    assert rep.series_json["patterns_judged"] and patterned
    assert changes[0][:2] == ("乡镇（街道）", "所属辖区")  # each village's township (trial AG)
    assert sum(n for row in changes[1:] for n in row[2:]) == len(patterned)
    assert {row[:2] for row in changes[1:]} == {
        (c["township_name"] or "—", c["area_name"]) for c in patterned
    }
    assert any(row[0] != "—" for row in changes[1:])
    # 覆盖比例 a percentage (a number Excel shows as 3.5%), not 0.0345
    uncovered = list(book["无覆盖热点"].iter_rows(min_row=2))
    assert uncovered and all(row[5].number_format == "0.0%" for row in uncovered)
    assert [row[5].value for row in uncovered] == [c["share"] for c in rep.coverage["uncovered"]]
    rows = list(book["分类月度统计"].iter_rows(values_only=True))
    assert rows[0] == ("统计期", "矛盾纠纷", "安全隐患", "社情民意", "合计")
    assert (
        rows[-2][0] == "2026年10月" and rows[-2][1] == MIN_INCIDENTS + 25 + 2 and rows[-2][2] == 0
    )
    assert rows[-1][0] == "合计"
    # the disputes by type add up to the disputes, month by month: most frequent type first,
    # 未注明类型 last, and only the types the window holds
    by_type = list(book["纠纷类型月度统计"].iter_rows(values_only=True))
    land = DisputeType("land").label
    assert by_type[0] == ("统计期", DisputeType("neighbours").label, land, "未注明类型", "合计")
    assert by_type[-2] == ("2026年10月", MIN_INCIDENTS + 25, 1, 1, MIN_INCIDENTS + 25 + 2)
    assert [r[-1] for r in by_type[1:]] == [r[1] for r in rows[1:]]
    with pytest.raises(InvalidInput):
        trend_report.report(world, COUNTY, actor=who, now=NOW, periods=12, period="2019-01")


# --- over HTTP, against the committed API world (province 46) ---------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/trends/{code}",
        "/api/trends/{code}/categories",
        "/api/trends/{code}/coverage",
        "/api/trends/{code}/visits",
        "/api/trends/{code}/kde",
        "/api/trends/{code}/kde.png",
        "/api/trends/{code}/outlines",
        "/api/trends/{code}/report.xlsx",
        "/api/trends/{code}/report.html",
    ],
)
def test_out_of_scope_unit_answers_404(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, path: str
) -> None:
    response = api_client.get(path.format(code=COUNTY_B), headers=auth_headers("analyst_a"))
    assert response.status_code == 404, response.text
    missing = api_client.get(path.format(code="460105099000"), headers=auth_headers("analyst_a"))
    assert missing.status_code == 404
    assert api_client.get(path.format(code=COUNTY_A)).status_code == 401


def test_analysts_get_aggregates_only_with_small_counts_suppressed(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    village_code = VILLAGES[0]  # one case a month, January to June 2026
    bodies = {}
    for who in ("analyst_a", "cmd_a"):
        got = api_client.get(f"/api/trends/{village_code}/categories", headers=auth_headers(who))
        assert got.status_code == 200
        bodies[who] = got.json()
    commander = next(c for c in bodies["cmd_a"]["categories"] if c["code"] == "dispute")
    analyst = next(c for c in bodies["analyst_a"]["categories"] if c["code"] == "dispute")
    months = bodies["cmd_a"]["periods"]
    assert commander["counts"][months.index("2026-03")] == 1  # 1 Jan, 31 Jan, 2 Mar, …
    # case counts per unit and period are exact for analysts too (persons and map cells are not)
    assert analyst["counts"] == commander["counts"]
    assert commander["total"] == analyst["total"] == 6

    texts = [
        api_client.get(f"/api/trends/{COUNTY_A}{suffix}", headers=auth_headers("analyst_a")).text
        for suffix in ("", "/categories", "/coverage", "/visits", "/kde", "/outlines")
    ]
    series = api_client.get(f"/api/trends/{COUNTY_A}", headers=auth_headers("analyst_a")).json()
    assert series["min_count"] == 3 and series["unit"]["name"] == "甲区"
    assert [p["name"] for p in series["unit"]["path"]] == ["甲区"]
    for body in texts:
        assert "T46-" not in body and "测试事件" not in body and "报告人" not in body
        assert not any(name in body for name in api_world.names.values())
        assert "resident" not in body and "id_masked" not in body


def test_xlsx_and_html_exports_over_http(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    xlsx = api_client.get(f"/api/trends/{COUNTY_A}/report.xlsx", headers=auth_headers("analyst_a"))
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert "甲区" in dict(book["概况"].iter_rows(values_only=True))["辖区"]
    html = api_client.get(
        f"/api/trends/{COUNTY_A}/report.html?granularity=quarter", headers=auth_headers("cmd_a")
    )
    assert html.status_code == 200 and "attachment" in html.headers["content-disposition"]
    assert "http://" not in html.text and "https://" not in html.text
    assert "季度" in html.text and "甲区" in html.text
    bad = api_client.get(
        f"/api/trends/{COUNTY_A}?granularity=week", headers=auth_headers("analyst_a")
    )
    assert bad.status_code == 422


def test_a_citys_exports_say_which_counties_they_cover(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    who = auth_headers("analyst_city")
    held = "本平台接入的县（市、区）：甲区、乙区（2 个）。本报告数字只含这些县（市、区）的数据"
    xlsx = api_client.get(f"/api/trends/{CITY_OF_API}/report.xlsx", headers=who)
    assert xlsx.status_code == 200, xlsx.text
    facts = dict(load_workbook(io.BytesIO(xlsx.content))["概况"].iter_rows(values_only=True))
    assert str(facts["接入范围"]).startswith(held)
    html = api_client.get(f"/api/trends/{CITY_OF_API}/report.html", headers=who)
    assert html.status_code == 200 and held in html.text
    county = api_client.get(f"/api/trends/{COUNTY_A}/report.html", headers=auth_headers("cmd_a"))
    assert "本平台接入" not in county.text


def test_a_cell_spilling_over_the_outline_is_named_after_the_unit_it_borders(
    world: Session,
) -> None:
    town = V1[:9] + "000"
    who = actor("analyst", COUNTY)
    resolution = trends.series(world, town, actor=who, now=NOW, periods=12).resolution
    # a cell whose centre lies just north of the township's strip (and so outside every
    # boundary below the township), its cases registered in V1 below it
    lon, lat = village_centre(V1)[0], 24.3205
    while h3.cell_to_latlng(h3.latlng_to_cell(lat, lon, resolution))[0] <= 24.3202:
        lat += 0.0005
    cell = h3.latlng_to_cell(lat, lon, resolution)
    clat, clon = h3.cell_to_latlng(cell)
    start = trends.periods_ending(NOW, "month", 1)[0].start
    for n in range(12):
        _add_case(world, 9100 + n, clon, clat, start + timedelta(days=n), V1)
    result = trends.series(world, town, actor=who, now=NOW, periods=12)
    i = result.cells.index(cell)
    assert (result.areas[i], result.area_names[result.areas[i]]) == (V1, "村100-1")
    # far from every boundary (here 0.1 degrees), a cell keeps the unit analysed
    far = shapely.Point(clon, 24.42)
    assert cell_places.cell_units(world, town, [far]) == [(town, "镇100")]
    # a big cell (a city's, a province's) whose centre lies 4 km beyond the outline, its
    # southern part over V1: named after V1, not after the unit analysed (trial AA)
    big = shapely.box(clon - 0.01, 24.31, clon + 0.01, 24.41)
    assert cell_places.cell_units(world, town, [big.centroid]) == [(town, "镇100")]
    assert cell_places.cell_units(world, town, [big]) == [(V1, "村100-1")]
    # a county's or city's own boundary covering the centre names it no better than none
    assert cell_places.cell_units(world, COUNTY, [shapely.Point(clon, clat)]) == [(V1, "村100-1")]
    beside = shapely.Point(102.39, 24.31)  # in the city, just west of the county's outline
    assert cell_places.cell_units(world, CITY, [beside]) == [(COUNTY, "通海县")]
    # two villages of one name in two townships: told apart by their township (trial AF)
    world.execute(text("UPDATE jurisdictions SET name = '村100-1' WHERE code = :c"), {"c": V2})
    found = world.execute(
        text("SELECT code, name FROM jurisdictions WHERE code IN (:a, :b)"),
        {"a": V1[:9] + "000", "b": V2[:9] + "000"},
    ).all()
    towns = {str(code): str(name) for code, name in found}
    points = [shapely.Point(*village_centre(v)) for v in (V1, V2)]
    assert cell_places.cell_units(world, COUNTY, points) == [
        (V1, f"村100-1（{towns[V1[:9] + '000']}）"),
        (V2, f"村100-1（{towns[V2[:9] + '000']}）"),
    ]
    assert cell_places.cell_units(world, town, points[:1]) == [(V1, "村100-1")]  # one: kept
