"""The trends page's 变化对比: each village's last months against as many before (trial AO M1),
the export's sheets and names (m3, m4), over cases seeded here in 2018 and 2019 and counted
again by the test."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import h3
import numpy as np
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from layers import command
from layers.trend_tables import kind_label
from tests.conftest import SuiteDatabase
from tests.trend_cases import Headers, get_json, insert_case, trend_readers
from tests.workflow_data import (
    CITY,
    COUNTY,
    township,
    village,
    village_centre,
)

CHINA = ZoneInfo("Asia/Shanghai")
USERS = {"county": ("commander", COUNTY), "analyst": ("analyst", CITY)}
END = "2019-12"  # far before any other test's cases
KINDS = (
    ("dispute", "neighbours"),
    ("dispute", "land"),
    ("dispute", None),
    ("safety_hazard", "fire"),
    ("public_opinion", "policy"),
)
V1, V2, V3, V4 = village(100, 1), village(100, 2), village(200, 1), village(300, 2)
T2 = township(200)


@dataclass(frozen=True)
class Seeded:
    """One case as inserted."""

    area: str
    category: str
    subcategory: str | None
    at: datetime
    duplicate: bool = False
    channel: str = "phone"


def local(year: int, month: int, day: int = 1, *rest: int) -> datetime:
    return datetime(year, month, day, *rest, tzinfo=CHINA)


def _seeded() -> list[Seeded]:
    rng = np.random.default_rng(37)
    out: list[Seeded] = []
    months = [local(2018 + m // 12, m % 12 + 1) for m in range(24)]
    # a background over the whole county (recorded on it), enough for every month's hot spots
    for start in months:
        for _ in range(30):
            at = start + timedelta(days=rng.uniform(0, 27))
            out.append(Seeded(COUNTY, "public_opinion", "infrastructure", at))
    rates = {V1: 2.0, V2: 1.0, V3: 1.5, T2: 0.5}
    for area, rate in rates.items():
        for start in months:
            for kind in KINDS:
                for _ in range(rng.poisson(rate)):
                    out.append(Seeded(area, *kind, start + timedelta(days=rng.uniform(0, 27))))
    # 村100-1 gets worse in the last half-year, in 邻里纠纷 above all, then 土地山林
    for start in months[18:]:
        out += [Seeded(V1, "dispute", "neighbours", start + timedelta(days=3))] * 4
        out += [Seeded(V1, "dispute", "land", start + timedelta(days=5))] * 2
    # 村300-2 had cases only before; a repeat counts nowhere
    out += [Seeded(V4, "safety_hazard", "fire", local(2019, 3, 10))] * 5
    out.append(Seeded(V1, "dispute", "neighbours", local(2019, 11, 2), duplicate=True))
    # the halves' edges, in China's time: the first instant of July is recent, the last of June
    # earlier, the first of 2020 outside
    out.append(Seeded(V2, "public_opinion", "policy", local(2019, 7, 1)))
    out.append(Seeded(V2, "public_opinion", "policy", local(2019, 6, 30, 23, 59, 59)))
    out.append(Seeded(V2, "public_opinion", "policy", local(2020, 1, 1)))
    out.append(Seeded(V2, "dispute", "land", local(2019, 8, 1), channel="walk_in"))
    return out


SEEDED = _seeded()


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    """The seeded cases committed for the API to read, and the accounts' headers by key."""

    def seed(owner: Session) -> None:
        rng = np.random.default_rng(5)
        first = None
        for n, case in enumerate(SEEDED):
            if case.area == COUNTY:
                lon, lat = 102.50 + rng.uniform(0, 0.38), 24.30 + rng.uniform(0, 0.02)
            else:
                lon, lat = village_centre(case.area if case.area != T2 else village(200, 2))
                lon, lat = lon + rng.normal(0, 0.0008), lat + rng.normal(0, 0.0008)
            got = insert_case(
                owner,
                f"tvc-{n}",
                (lon, lat),
                case.area,
                case.at,
                channel=case.channel,
                category=case.category,
                subcategory=case.subcategory,
                duplicate_of=first if case.duplicate else None,
            )
            first = first or got

    with trend_readers(database, api_settings, "tvc", USERS, seed) as headers:
        yield headers


def _expected(months: int, category: str | None = None) -> dict[str, dict[str, Any]]:
    """Each area's counts and rising kinds, counted from the seeded cases."""
    end = local(2020, 1)
    mid = local(2019 + (12 - months) // 12, (12 - months) % 12 + 1)
    start = local(2019 - (2 * months - 1) // 12, (12 - 2 * months) % 12 + 1)
    assert start < mid < end
    by: dict[str, dict[tuple[str, str], list[int]]] = {}
    for case in SEEDED:
        if case.duplicate or not start <= case.at < end:
            continue
        if category and case.category != category:
            continue
        half = 0 if case.at >= mid else 1
        kinds = by.setdefault(case.area, {})
        kinds.setdefault((case.category, case.subcategory or ""), [0, 0])[half] += 1
    out = {}
    for area, kinds in by.items():
        recent = sum(k[0] for k in kinds.values())
        earlier = sum(k[1] for k in kinds.values())
        rising = sorted(
            ((r - e, r, kind_label(*kind), kind) for kind, (r, e) in kinds.items() if r > e),
            key=lambda x: (-x[0], -x[1], x[2]),
        )
        out[area] = {
            "recent": recent,
            "earlier": earlier,
            "kinds": kinds,
            "rising": [(label, kinds[kind][0], kinds[kind][1]) for _, _, label, kind in rising[:2]],
        }
    return out


@pytest.mark.parametrize("months", [3, 6, 12])
def test_each_village_last_months_against_those_before(
    api_client: TestClient, users: Headers, months: int
) -> None:
    body = get_json(
        api_client,
        f"/api/trends/{COUNTY}/changes?months={months}&end={END}",
        users("county"),
    )
    expected = _expected(months)
    assert body["months"] == months and body["min_count"] == 1
    assert body["recent"]["last"] == END
    assert len(body["recent"]["label"]) and body["earlier"]["label"].endswith(f"（{months}个月）")
    rows = {r["code"]: r for r in body["rows"]}
    assert rows.keys() == expected.keys()
    for area, want in expected.items():
        row = rows[area]
        assert (row["recent"], row["earlier"]) == (want["recent"], want["earlier"]), area
        assert row["change"] == want["recent"] - want["earlier"]
        pct = None if not want["earlier"] else (want["recent"] - want["earlier"]) / want["earlier"]
        assert row["change_pct"] == (None if pct is None else round(pct * 100, 1))
        got = [(k["label"], k["recent"], k["earlier"]) for k in row["rising"]]
        assert got == want["rising"], area
    # the largest rise first: the village that got worse leads, with its two rising types
    changes = [r["change"] for r in body["rows"]]
    assert changes == sorted(changes, reverse=True)
    if months == 6:
        assert body["rows"][0]["code"] == V1
        assert [k["label"] for k in body["rows"][0]["rising"]] == ["邻里纠纷", "土地山林"]
        assert rows[V1]["label"] == "村100-1" and rows[V1]["township_name"] == "镇100"
        assert rows[T2]["label"] == "镇200本级"
    totals = body["totals"]
    assert totals["recent"] == sum(w["recent"] for w in expected.values())
    assert totals["earlier"] == sum(w["earlier"] for w in expected.values())


def test_the_change_follows_the_category_filter_and_the_quarter_end(
    api_client: TestClient, users: Headers
) -> None:
    path = f"/api/trends/{COUNTY}/changes?months=6&category=dispute"
    body = get_json(api_client, f"{path}&end={END}", users("county"))
    expected = _expected(6, "dispute")
    assert {r["code"]: (r["recent"], r["earlier"]) for r in body["rows"]} == {
        a: (w["recent"], w["earlier"]) for a, w in expected.items()
    }
    # a quarter's window ends with its last month
    quarters = get_json(api_client, f"{path}&granularity=quarter&end=2019Q4", users("county"))
    assert quarters["rows"] == body["rows"]
    refused = api_client.get(f"{path}&months=5&end={END}", headers=users("county"))
    assert refused.status_code == 422
    assert "对比时长应为 3、6、12 个月" in refused.text


def test_the_analyst_reads_a_village_type_count_below_three_as_withheld(
    api_client: TestClient, users: Headers
) -> None:
    body = get_json(
        api_client, f"/api/trends/{COUNTY}/changes?months=6&end={END}", users("analyst")
    )
    expected = _expected(6)
    assert body["min_count"] == 3
    seen_withheld = False
    for row in body["rows"]:
        want = expected[row["code"]]
        assert (row["recent"], row["earlier"]) == (want["recent"], want["earlier"])  # exact
        labels = {kind_label(*k): v for k, v in want["kinds"].items()}
        for k in row["rising"]:
            recent, earlier = labels[k["label"]]
            for shown, exact in ((k["recent"], recent), (k["earlier"], earlier)):
                assert shown == (None if 0 < exact < 3 else exact)
                seen_withheld |= shown is None
    assert seen_withheld


def _book(client: TestClient, path: str, headers: dict[str, str]) -> tuple[Any, str]:
    got = client.get(path, headers=headers)
    assert got.status_code == 200, got.text
    return load_workbook(io.BytesIO(got.content)), got.headers["content-disposition"]


def test_the_export_has_the_change_sheet_and_places_its_hot_cells(
    api_client: TestClient, users: Headers
) -> None:
    path = f"/api/trends/{COUNTY}/report.xlsx?granularity=month&periods=24&end={END}"
    book, _ = _book(api_client, path, users("county"))
    sheet = book["变化对比（近6个月）"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "乡镇（街道）",
        "村（社区）",
        "近6个月案件数（2019年7月 至 2019年12月（6个月））",
        "前6个月案件数（2019年1月 至 2019年6月（6个月））",
        "变化（件）",
        "变化（%）",
        "上升最多的案件类型",
    )
    expected = _expected(6)
    first = rows[1]
    want = expected[V1]
    assert first[:5] == (
        "镇100",
        "村100-1",
        want["recent"],
        want["earlier"],
        want["recent"] - want["earlier"],
    )
    change = (want["recent"] - want["earlier"]) / want["earlier"]
    assert first[5] == pytest.approx(change, abs=0.0005)
    assert sheet.cell(2, 6).number_format == "+0.0%;-0.0%;0.0%"
    (label, recent, earlier), (label2, recent2, earlier2) = want["rising"]
    assert first[6] == f"{label} {recent}（前期 {earlier}）；{label2} {recent2}（前期 {earlier2}）"
    total = next(r for r in rows if r[1] == "合计")
    assert total[2:4] == (
        sum(w["recent"] for w in expected.values()),
        sum(w["earlier"] for w in expected.values()),
    )
    # a longer comparison is its own sheet
    longer, _ = _book(api_client, f"{path}&months=12", users("county"))
    assert "变化对比（近12个月）" in longer.sheetnames
    # the hot cells: their village and township, their centre, and the id last, in Chinese
    hot = list(book["热点及模式单元"].iter_rows(values_only=True))
    assert hot[0] == (
        "所在村（社区）",
        "所在乡镇（街道）",
        "本期案件数",
        "本期Gi*热点",
        "新兴热点模式",
        "中心经纬度（经度, 纬度）",
        "六边形单元编号",
    )
    assert len(hot) > 1
    names = {"村100-1", "村100-2", "村200-1", "村200-2", "村300-2"}
    assert any(r[0] in names for r in hot[1:])
    for row in hot[1:]:
        assert h3.is_valid_cell(row[-1])
        lat, lng = h3.cell_to_latlng(row[-1])
        assert row[5] == f"{lng:.5f}, {lat:.5f}"
        if row[0] in names:
            assert row[1] == f"镇{row[0][1:4]}"
    uncovered = list(book["无覆盖热点"].iter_rows(values_only=True))
    assert uncovered[0][0] == "所在村（社区）" and uncovered[0][-1] == "六边形单元编号"
    assert not any("H3" in str(c) for r in hot[:1] + uncovered[:1] for c in r)


def test_the_export_file_names_say_the_filter(api_client: TestClient, users: Headers) -> None:
    path = f"/api/trends/{COUNTY}/report.xlsx?granularity=month&periods=12&end={END}"

    def name(query: str) -> str:
        _, disposition = _book(api_client, path + query, users("county"))
        return disposition

    plain = name("")
    assert f"filename*=UTF-8''{quote('研判报告_通海县_2019-12.xlsx')}" in plain
    assert 'filename="trends-520424000000-2019-12.xlsx"' in plain
    disputes = name("&category=dispute")
    assert quote("研判报告_通海县_2019-12_矛盾纠纷.xlsx") in disputes
    assert 'filename="trends-520424000000-2019-12-dispute.xlsx"' in disputes
    sourced = name("&category=dispute&channel=phone&channel=walk_in&origin=platform")
    assert quote("研判报告_通海县_2019-12_矛盾纠纷_来电、来访_本平台登记.xlsx") in sourced
    assert len({plain, disputes, sourced}) == 3


def test_the_command_kpi_says_the_trends_page_reads_months_or_quarters() -> None:
    note = command.KPI_NOTES["active_hotspots"]
    assert "“本期热点单元”按月或按季分析" in note
