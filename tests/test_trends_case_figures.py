# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""The trends page's hexagon case counts follow the command map's rule (trial AM M4).

A hot cell's case figures are withheld only from a reader who may not list its cases (an
analyst, :func:`layers.trends.min_count_for` with ``of="cases"``): a city's commander, whose
command map gives every figure of the cells and whose 查看案件 lists their cases, read the
trends page's 本期热点单元 counts of 1 and 2 as ``<3``. The special-population counts keep the
persons rule (a city's commander reads them as counts only).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from geo.hotspots import MIN_INCIDENTS
from layers import trends
from tests.conftest import SuiteDatabase
from tests.trend_cases import Headers, get_json, insert_case, trend_readers
from tests.workflow_data import (
    CITY,
    COUNTY,
    NOW,
    village,
    village_centre,
)

USERS = {
    "city": ("commander", CITY),
    "county": ("commander", COUNTY),
    "analyst": ("analyst", CITY),
}
END = "2026-10"  # the window's last month, complete whatever day the suite runs on
QUERY = f"granularity=month&periods=12&end={END}"


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    """Cases over 12 months in county 520424 (30 a month) and a cluster in a village in the
    last two, committed for the API to read; the accounts' headers by key."""

    def seed(owner: Session) -> None:
        rng = np.random.default_rng(11)
        periods = trends.periods_ending(NOW, "month", 12)
        assert periods[-1].key == END
        points: list[tuple[float, float, datetime, str]] = []
        for p in periods:
            for _ in range(MIN_INCIDENTS):
                lon, lat = 102.50 + rng.uniform(0, 0.38), 24.30 + rng.uniform(0, 0.02)
                points.append((lon, lat, p.start + timedelta(days=rng.uniform(0, 27)), COUNTY))
        lon0, lat0 = village_centre(village(100, 1))
        for p in periods[-2:]:
            for _ in range(25):
                lon, lat = lon0 + rng.normal(0, 0.0005), lat0 + rng.normal(0, 0.0005)
                points.append((lon, lat, p.start + timedelta(days=rng.uniform(0, 27)), COUNTY))
        for n, (lon, lat, when, area) in enumerate(points):
            insert_case(owner, f"tcf-{n}", (lon, lat), area, when)

    with trend_readers(database, api_settings, "tcf", USERS, seed) as headers:
        yield headers


def _counts(body: dict[str, Any]) -> dict[tuple[str, int], int | None]:
    return {(c["id"], t): n for c in body["cells"] for t, n in enumerate(c["counts"])}


@pytest.mark.parametrize("code", [COUNTY, CITY])
def test_a_city_commander_reads_the_hexagon_counts_the_analyst_does_not(
    api_client: TestClient, users: Headers, code: str
) -> None:
    path = f"/api/trends/{code}?{QUERY}"
    county = get_json(api_client, path, users("county")) if code == COUNTY else None
    city = get_json(api_client, path, users("city"))
    analyst = get_json(api_client, path, users("analyst"))
    assert city["min_count"] == 1 and analyst["min_count"] == 3
    # the persons keep their rule: counts only, for the city's commander as for the analyst
    assert city["persons_min_count"] == analyst["persons_min_count"] == 3
    mine, theirs = _counts(city), _counts(analyst)
    assert mine.keys() == theirs.keys() and mine
    assert all(n is not None for n in mine.values())
    small = {k for k, n in mine.items() if n in (1, 2)}
    assert small  # counts of 1 and 2 in the hot cells, to be read or withheld
    assert all(theirs[k] is None for k in small)
    assert all(theirs[k] == n for k, n in mine.items() if k not in small)
    if county is not None:  # as the county's own commander reads them
        assert mine == _counts(county)


def test_the_hot_spots_without_a_camera_give_the_city_commander_their_counts(
    api_client: TestClient, users: Headers
) -> None:
    series = get_json(api_client, f"/api/trends/{COUNTY}?{QUERY}", users("city"))
    cells = {c["id"]: c["counts"] for c in series["cells"]}
    path = f"/api/trends/{COUNTY}/coverage?{QUERY}&period={END}"
    city = get_json(api_client, path, users("city"))["uncovered"]
    analyst = get_json(api_client, path, users("analyst"))["uncovered"]
    assert {c["id"] for c in city} == {c["id"] for c in analyst}
    assert [c["count"] for c in city] == [cells[c["id"]][-1] for c in city]
    small = [c for c in city if c["count"] in (1, 2)]
    assert small
    shown = {c["id"]: c["count"] for c in analyst}
    assert all(shown[c["id"]] is None for c in small)


def test_the_report_says_which_counts_it_withholds_from_whom(
    api_client: TestClient, users: Headers
) -> None:
    path = f"/api/trends/{COUNTY}/report.xlsx?{QUERY}"

    def book(key: str) -> Any:
        got = api_client.get(path, headers=users(key))
        assert got.status_code == 200, got.text
        return load_workbook(io.BytesIO(got.content))

    city, analyst = book("city"), book("analyst")
    city_rows = list(city["热点及模式单元"].iter_rows(values_only=True))
    analyst_rows = list(analyst["热点及模式单元"].iter_rows(values_only=True))
    assert len(city_rows) == len(analyst_rows) > 1
    assert not any("<3" in map(str, row) for row in city_rows)
    assert any("<3" in map(str, row) for row in analyst_rows)
    notes = {
        key: str(dict(b["概况"].iter_rows(values_only=True))["说明"])
        for key, b in (("city", city), ("analyst", analyst))
    }
    assert "地图六边形单元的案件数和特殊人群人数小于3的不予显示" in notes["analyst"]
    assert "案件数（含地图六边形单元的案件数）按实数显示" in notes["city"]
    assert "走访逾期表只列出逾期不少于3人的网格" in notes["city"]
