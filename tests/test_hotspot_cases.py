"""The cases behind a hot cell: the same cases its figures count, in the reader's scope.

A county's run finds a hot cell in 村100-1; the cell's list (``layers.hotspot_cases``) must hold
exactly the cases the run counted there (located, in the window, no repeat report), the cell's
own (本格) or with its neighbours (本格及相邻格, the alert's title's figure); a township's reader
gets those of the township only, told how many are left out; an analyst none; no row carries a
reporter's name or phone. The alert in the feed and the cell on the map give the same two
figures, the cell's and with its neighbours.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import h3
import numpy as np
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from layers import command, command_map, hotspot_cases, hotspot_runs
from layers.errors import Forbidden, NotFound
from layers.model import Alert, HotspotCell
from tests.workflow_data import COUNTY, NOW, actor, ensure_world, township, village, village_centre

V1 = village(100, 1)
OTHER_VILLAGE = village(200, 1)  # another township of the county
REPORTER = "欧阳明远"
PHONE = "13912345678"
WINDOW = timedelta(days=84)


def _insert(db: Session, code: str, lon: float, lat: float, area: str, **extra: object) -> int:
    values = {
        "c": code,
        "x": lon,
        "y": lat,
        "a": area,
        "t": extra.get("at", NOW - timedelta(days=2)),
        "dup": extra.get("duplicate_of"),
        "name": extra.get("reporter_name"),
        "phone": extra.get("reporter_phone"),
    }
    return int(
        db.execute(
            text(
                "INSERT INTO cases (code, channel, category, title, point, area_code, state,"
                " handling_level, reported_at, risk_level, duplicate_of, reporter_name,"
                " reporter_phone) VALUES (:c, 'phone', 'dispute', :c,"
                " ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 'registered', 4, :t, 4, :dup,"
                " :name, :phone) RETURNING id"
            ),
            values,
        ).scalar_one()
    )


@pytest.fixture
def hot(db: Session) -> tuple[Session, HotspotCell, Alert]:
    """A county run over a cluster in 村100-1; its hottest cell and that cell's alert."""
    ensure_world(db)
    rng = np.random.default_rng(11)
    lon0, lat0 = village_centre(V1)
    for n in range(60):  # background over the county's townships, across 12 weeks
        lon, lat = 102.50 + rng.uniform(0, 0.16), 24.30 + rng.uniform(0, 0.02)
        area = db.execute(
            text(
                "SELECT code FROM jurisdictions WHERE level = 5 AND ST_Covers(boundary,"
                " ST_SetSRID(ST_MakePoint(:x, :y), 4490)) LIMIT 1"
            ),
            {"x": lon, "y": lat},
        ).scalar() or township(100)
        day = int(rng.integers(0, 84))
        _insert(db, f"hc-bg-{n}", lon, lat, area, at=NOW - WINDOW + timedelta(days=day, hours=1))
    first = 0
    for n in range(60):  # the cluster of the last week
        at = NOW - timedelta(days=int(rng.integers(1, 7)), hours=1)
        lon, lat = lon0 + rng.normal(0, 0.0006), lat0 + rng.normal(0, 0.0006)
        case_id = _insert(db, f"hc-{n}", lon, lat, V1, at=at)
        first = first or case_id
    # in the cluster too, but counted by no run: a repeat report, and one before the window
    _insert(db, "hc-repeat", lon0, lat0, V1, duplicate_of=first)
    _insert(db, "hc-old", lon0, lat0, V1, at=NOW - WINDOW - timedelta(days=3))
    # in the cluster, registered to another township: the county counts it, 镇100 may not read it
    _insert(
        db, "hc-elsewhere", lon0, lat0, OTHER_VILLAGE, reporter_name=REPORTER, reporter_phone=PHONE
    )
    result = hotspot_runs.run(
        db,
        actor=actor("commander", COUNTY),
        scope_code=COUNTY,
        window_start=NOW - WINDOW,
        window_end=NOW,
        now=NOW,
    )
    cells = db.scalars(select(HotspotCell).where(HotspotCell.run_id == result.run_id)).all()
    cell = max(cells, key=lambda c: c.count)
    alert = db.scalars(select(Alert).where(Alert.cell_id == cell.id)).one()
    return db, cell, alert


def _counted(db: Session, cell: HotspotCell) -> tuple[set[str], set[str]]:
    """The codes of the cases the run counted in the cell, and in it and its neighbours."""
    rows = db.execute(
        text(
            "SELECT code, ST_X(point) AS lon, ST_Y(point) AS lat FROM cases"
            " WHERE area_code >= '520424' AND area_code < '520425' AND point IS NOT NULL"
            " AND duplicate_of IS NULL AND reported_at >= :s AND reported_at < :e"
        ),
        {"s": NOW - WINDOW, "e": NOW},
    ).all()
    disk = set(h3.grid_disk(cell.unit_id, 1))
    own = {r.code for r in rows if h3.latlng_to_cell(r.lat, r.lon, 8) == cell.unit_id}
    around = {r.code for r in rows if h3.latlng_to_cell(r.lat, r.lon, 8) in disk}
    return own, around


def _title_figure(alert: Alert) -> int:
    found = re.search(r"一带 (\d+) 起案件", alert.title)
    assert found, alert.title
    return int(found.group(1))


def test_the_list_holds_the_cases_the_figures_count(
    hot: tuple[Session, HotspotCell, Alert],
) -> None:
    db, cell, alert = hot
    own, around = _counted(db, cell)
    assert "hc-elsewhere" in own and "hc-repeat" not in own and "hc-old" not in own
    county = actor("commander", COUNTY)

    mine = hotspot_cases.cell_cases(db, cell.id, actor=county, around=False)
    assert {c["code"] for c in mine["cases"]} == own
    assert mine["total"] == mine["own"] == len(own) == cell.count
    assert f"本单元 {cell.count} 起" in (alert.detail or "")
    assert all(c["in_cell"] for c in mine["cases"])

    near = hotspot_cases.cell_cases(db, cell.id, actor=county)
    assert {c["code"] for c in near["cases"]} == around
    # the figure the alert's title gives (本格及相邻格), and the cell's own first
    assert near["total"] == len(around) == _title_figure(alert) == near["cell"]["figures"]["around"]
    assert near["own"] == cell.count and near["neighbours"] == len(around) - cell.count
    flags = [c["in_cell"] for c in near["cases"]]
    assert flags == sorted(flags, reverse=True)
    assert near["unlisted"] == 0
    assert near["cell"]["window_start"] == (NOW - WINDOW).isoformat()
    assert near["cell"]["window_end"] == NOW.isoformat()

    # no reporter's name or phone, no description or address
    said = json.dumps(near, ensure_ascii=False)
    # (masked too: the phone's last four digits alone may stand in an id or a time)
    assert REPORTER not in said and REPORTER[0] + "*" not in said
    assert PHONE not in said and PHONE[:3] + "****" + PHONE[-4:] not in said
    assert not {"reporter_name", "reporter_phone", "description", "address"} & set(near["cases"][0])

    short = hotspot_cases.cell_cases(db, cell.id, actor=county, limit=3)
    assert len(short["cases"]) == 3 and short["total"] == len(around)


def test_a_township_reads_its_own_cases_and_is_told_of_the_others(
    hot: tuple[Session, HotspotCell, Alert],
) -> None:
    db, cell, _ = hot
    own, _around = _counted(db, cell)
    town = hotspot_cases.cell_cases(db, cell.id, actor=actor("dispatcher", township(100)))
    codes = {c["code"] for c in town["cases"]}
    assert "hc-elsewhere" not in codes
    assert all(c["area_code"].startswith("520424100") for c in town["cases"])
    assert town["unlisted"] >= 1
    assert town["own"] == len(own) - 1

    with pytest.raises(NotFound, match="不在您的辖区内"):
        hotspot_cases.cell_cases(db, cell.id, actor=actor("dispatcher", township(200)))
    with pytest.raises(NotFound):
        hotspot_cases.cell_cases(db, 2**62, actor=actor("commander", COUNTY))
    with pytest.raises(Forbidden, match="研判分析员"):
        hotspot_cases.cell_cases(db, cell.id, actor=actor("analyst", COUNTY))


def test_the_alert_and_the_map_give_the_same_two_figures(
    hot: tuple[Session, HotspotCell, Alert],
) -> None:
    db, cell, alert = hot
    county = actor("commander", COUNTY)
    feed = command.feed(db, COUNTY, actor=county, now=NOW)
    listed = next(a for a in feed["alerts"] if a["id"] == alert.id)
    assert listed["cell"] == {
        "own": cell.count,
        "around": _title_figure(alert),
        "bin": cell.bin,
        "z": round(cell.z, 2),
        "p": cell.p,
        # its outline, which the console marks when the map shows another run
        "ring": [[round(lat, 6), round(lng, 6)] for lat, lng in h3.cell_to_boundary(cell.unit_id)],
    }
    cells = json.loads(command_map.hot_cells(db, COUNTY, actor=county))
    shown = next(f["properties"] for f in cells["features"] if f["id"] == cell.id)
    assert (shown["count"], shown["around"], shown["bin"]) == (
        listed["cell"]["own"],
        listed["cell"]["around"],
        listed["cell"]["bin"],
    )
    # every hot cell's 本格及相邻格 is its own and its neighbours' counts of the run
    counts = dict(
        db.execute(
            text("SELECT unit_id, count FROM hotspot_cells WHERE run_id = :r"), {"r": cell.run_id}
        ).all()
    )
    units = dict(
        db.execute(
            text("SELECT id, unit_id FROM hotspot_cells WHERE run_id = :r"), {"r": cell.run_id}
        ).all()
    )
    for feature in cells["features"]:
        disk = h3.grid_disk(units[feature["id"]], 1)
        assert feature["properties"]["around"] == sum(counts.get(u, 0) for u in disk)
