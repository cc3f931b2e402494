"""The five-level command feed: same shape at every level, correct KPIs, scope respected."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from shapely.geometry import shape
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from layers import cases, command, command_map
from layers.errors import InvalidInput, NotFound
from layers.features import BBox
from tests.workflow_data import (
    CITY,
    COUNTY,
    MENTAL_KEY_EVERY_14_DAYS,
    NOW,
    PROVINCE,
    actor,
    ensure_world,
    grid,
    township,
    village,
    village_centre,
)

V1, V2 = village(100, 1), village(100, 2)


def _shape(value: Any) -> Any:
    """The JSON shape: keys and types, not values (lists by their first element)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    who = actor("dispatcher", township())
    county = actor("commander", COUNTY)
    lon, lat = village_centre(V1)
    made = []
    for i in range(3):
        made.append(
            cases.register(
                db,
                actor=who,
                channel="phone",
                category="dispute",
                subcategory=("neighbours", "land", "labour_wages")[i],
                title=f"纠纷{i}",
                reported_at=NOW - timedelta(days=40 * (i == 2)),
                lon=lon + i * 0.001,
                lat=lat,
            ).case
        )
    cases.register(
        db,
        actor=who,
        channel="phone",
        category="dispute",
        subcategory="neighbours",
        title="重复",
        reported_at=NOW,
        lon=lon,
        lat=lat,
    )
    # now waits at the county
    cases.act(db, made[0].id, "escalate", actor=who, now=NOW, note="涉及县直部门，需县级协调")
    cases.act(db, made[1].id, "triage", actor=who, now=NOW)
    cases.act(db, made[1].id, "dispatch", actor=who, now=NOW, params={"department": "司法所"})
    cases.act(db, made[1].id, "accept", actor=who, now=NOW)
    cases.act(
        db, made[1].id, "resolve", actor=who, now=NOW, params={"outcome": "mediated"}, note="已调解"
    )
    assert county.level == 3
    lon2, lat2 = village_centre(V2)
    for i, status in enumerate(("online", "online", "offline")):
        db.execute(
            text(
                "INSERT INTO video_points (device_id, name, status, point, area_code, fov_deg,"
                " range_m) VALUES "
                "(:d, 'cam', :s, ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 60, 80)"
            ),
            {"d": f"5204241000131000000{i}", "s": status, "x": lon2 + i * 1e-4, "y": lat2, "a": V2},
        )
    db.execute(text(MENTAL_KEY_EVERY_14_DAYS))
    for i, last in enumerate((NOW - timedelta(days=30), NOW - timedelta(days=3), None)):
        pid = db.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, grid_code, on_record_since) VALUES"
                " ('mental', '某', :h, '5204**********1234', '\\x00', 1, '{}', :a, :g, :since)"
                " RETURNING id"
            ),
            {
                "h": bytes([i]) * 32,
                "a": V1,
                "g": grid(V1),
                "since": (NOW - timedelta(days=90)).date(),
            },
        ).scalar_one()
        if last is not None:
            db.execute(
                text(
                    "INSERT INTO person_visits (person_id, area_code, visited_on) VALUES"
                    " (:p, :a, :d)"
                ),
                {"p": pid, "a": V1, "d": last.date()},
            )
    run = db.execute(
        text(
            "INSERT INTO hotspot_runs (area_code, method, params, window_start, window_end, status)"
            " VALUES (:a, 'gi_star', '{}', :s, :e, 'done') RETURNING id"
        ),
        {"a": township(), "s": NOW - timedelta(days=30), "e": NOW},
    ).scalar_one()
    for b in (3, 2, 0):
        db.execute(
            text(
                "INSERT INTO hotspot_cells (run_id, area_code, unit_id, geom, count, z, p, bin)"
                " VALUES (:r, :a, 'h3', ST_Buffer(ST_SetSRID(ST_MakePoint(:x, :y), 4490), 0.001,"
                " 4), :n, 3.1, 0.001, :b)"
            ),
            {"r": run, "a": V1, "x": lon, "y": lat, "b": b, "n": 2 if b == 2 else 5},
        )
    db.execute(
        text(
            "INSERT INTO alerts (area_code, kind, level, title, state) VALUES "
            "(:a, 'hotspot_new', 2, '新增热点', 'open'), (:o, 'hotspot_new', 2, '外县', 'open')"
        ),
        {"a": V1, "o": village(100, 1, "520425")},
    )
    return db


def test_same_shape_at_all_five_levels(world: Session) -> None:
    shapes = []
    for code in (PROVINCE, CITY, COUNTY, township(), V1):
        feed = command.feed(world, code, actor=actor("commander", PROVINCE), now=NOW)
        assert feed["unit"]["code"] == code
        assert set(feed["unit"]["kpis"]) == set(command.KPI_FIELDS)
        for child in feed["children"]:
            assert set(child["kpis"]) == set(command.KPI_FIELDS)
        shapes.append((set(feed), set(feed["unit"]), {k for c in feed["children"] for k in c}))
    assert all(s == shapes[0] for s in shapes)
    village_feed = command.feed(world, V1, actor=actor("commander", PROVINCE), now=NOW)
    assert [c["code"] for c in village_feed["children"]] == [grid(V1)]
    assert village_feed["children"][0]["kind"] == "grid"


def test_the_feed_counts_every_unclosed_alert_beyond_those_it_lists(world: Session) -> None:
    who = actor("commander", PROVINCE)
    every = command.feed(world, PROVINCE, actor=who, now=NOW)
    assert every["alerts_total"] == len(every["alerts"]) == 2  # this county's and the next one's
    one = command.feed(world, PROVINCE, actor=who, now=NOW, alert_limit=1)
    assert (len(one["alerts"]), one["alerts_total"]) == (1, 2)


def test_township_kpis(world: Session) -> None:
    feed = command.feed(world, township(), actor=actor("dispatcher", township()), now=NOW)
    kids = {c["code"]: c["kpis"] for c in feed["children"]}
    assert list(kids) == [V1, V2]
    k1 = kids[V1]
    assert k1["open"] == 3 and k1["reported"] == 3 and k1["repeats"] == 1
    assert k1["resolved_share"] == pytest.approx(1 / 3, abs=1e-3)
    # the township's 上报 of a case in V1 is the township's, not the village's or its grid's
    assert k1["escalations"] == 0 and feed["unit"]["kpis"]["escalations"] == 1
    village_feed = command.feed(world, V1, actor=actor("dispatcher", township()), now=NOW)
    assert [c["kpis"]["escalations"] for c in village_feed["children"]] == [0]
    assert village_feed["unit"]["kpis"]["escalations"] == 0
    county_feed = command.feed(world, COUNTY, actor=actor("commander", COUNTY), now=NOW)
    by_township = {c["code"]: c["kpis"]["escalations"] for c in county_feed["children"]}
    assert by_township[township()] == 1
    assert k1["active_hotspots"] == 2
    assert k1["overdue_visits"] == 2  # 30 days ago and never; 3 days ago is within 14
    assert kids[V2]["cameras"] == 3 and kids[V2]["cameras_online_share"] == pytest.approx(
        2 / 3, abs=1e-3
    )
    assert kids[V2]["resolved_share"] is None
    unit = feed["unit"]["kpis"]
    assert unit["open"] == 3 and unit["cameras"] == 3 and unit["overdue_visits"] == 2
    # the escalated case waits at the county, not in the township's queue
    assert {c["state"] for c in feed["queue"]} == {"registered"}
    county_feed = command.feed(world, COUNTY, actor=actor("commander", COUNTY), now=NOW)
    assert [c["state"] for c in county_feed["queue"] if c["area_code"].startswith("520424100")] == [
        "escalated"
    ]
    assert [a["title"] for a in feed["alerts"]] == ["新增热点"]


def test_a_person_never_visited_is_overdue_from_the_day_put_on_record(world: Session) -> None:
    """A roster imported three days ago is not overdue (14-day rule) until its interval passes."""
    world.execute(
        text(
            "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed, management_level,"
            " attributes, area_code, grid_code, on_record_since) VALUES ('mental', '新', :h,"
            " '5204**********1234', '\\x00', 1, '{}', :a, :g, :since)"
        ),
        {"h": b"\x09" * 32, "a": V2, "g": grid(V2), "since": (NOW - timedelta(days=3)).date()},
    )
    who = actor("dispatcher", township())

    def overdue(now: datetime) -> int:
        kids = {
            c["code"]: c["kpis"]
            for c in command.feed(world, township(), actor=who, now=now)["children"]
        }
        return int(kids[V2]["overdue_visits"])

    assert overdue(NOW) == 0
    assert overdue(NOW + timedelta(days=12)) == 1


def test_overdue_counts_after_the_deadline(world: Session) -> None:
    later = NOW + timedelta(days=31)
    feed = command.feed(world, township(), actor=actor("dispatcher", township()), now=later)
    assert feed["unit"]["kpis"]["overdue"] == 3
    assert {c["deadline_status"] for c in feed["queue"]} == {"overdue"}


def test_feed_outside_scope_is_not_found(world: Session) -> None:
    with pytest.raises(NotFound):
        command.feed(world, COUNTY, actor=actor("dispatcher", township()), now=NOW)
    with pytest.raises(NotFound):
        command.feed(world, "520425000000", actor=actor("commander", COUNTY), now=NOW)
    with pytest.raises(NotFound):
        command.feed(world, "12345", actor=actor("commander", COUNTY), now=NOW)


def test_query_count_does_not_grow_with_children(world: Session) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append("x")

    engine = world.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        wide = command.feed(world, PROVINCE, actor=actor("commander", PROVINCE), now=NOW)
        few = len(statements)
        statements.clear()
        narrow = command.feed(world, township(), actor=actor("commander", PROVINCE), now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # a province's feed asks which counties the platform holds under it: one more, not per
    # child; a feed listing cases reads their 催办 and 派单说明 in one more, their 督办 in another,
    # their 申请延期 in a third (trial AX S5) and an address naming another township in a fourth
    # (trial AX M4)
    marks = [4 * int(bool(f["queue"] or f["tasks"])) for f in (wide, narrow)]
    assert marks == [0, 4]
    # (the new 督办 of the unit and the hot-spot runs' windows: one each, trial AM M2, M6; the
    # area's dispatches late for their 受理, 辖区派单超时未受理: one, trial AZ M7)
    assert few - marks[0] == len(statements) - marks[1] + 1 <= 15


def test_a_read_of_the_case_parts_gives_a_full_reads_case_figures_and_nothing_else(
    world: Session,
) -> None:
    """What a live case event reads again (trial BC M4): the same case KPIs, queue, tasks and
    督办 as a full read, at every level and for each kind of reader, and not one statement on
    the persons, their visits, the cameras, the hot cells or the alerts."""
    read: list[str] = []

    def keep(conn: object, cursor: object, statement: str, *args: object) -> None:
        read.append(statement)

    readers = [
        (actor("commander", PROVINCE), (PROVINCE, CITY, COUNTY, township(), V1)),
        (actor("commander", COUNTY), (COUNTY, township(), V1)),
        (actor("dispatcher", township()), (township(), V1)),
        (actor("analyst", COUNTY), (COUNTY, V1)),
        (actor("department", COUNTY), (COUNTY,)),
    ]
    engine = world.get_bind()
    for who, codes in readers:
        for code in codes:
            full = command.feed(world, code, actor=who, now=NOW)
            event.listen(engine, "before_cursor_execute", keep)
            try:
                cases_only = command.feed(world, code, actor=who, now=NOW, parts="cases")
            finally:
                event.remove(engine, "before_cursor_execute", keep)
            assert full["parts"] == "all" and cases_only["parts"] == "cases"
            units = [(full["unit"], cases_only["unit"])]
            units += list(zip(full["children"], cases_only["children"], strict=True))
            for whole, part in units:
                assert part["code"] == whole["code"]
                assert part["kpis"] == {k: whole["kpis"][k] for k in command.CASE_KPIS}
            assert full["unit"]["kpis"]["open"] > 0  # figures to compare, not zeros alike
            for name in ("queue", "tasks", "recalled", "late_dispatches", "supervisions"):
                assert cases_only[name] == full[name], (who.role, code, name)
            left_out = {"counties", "hotspot_runs", "alerts", "alerts_total"}
            assert left_out <= set(full) and not left_out & set(cases_only)
            assert set(full) - left_out == set(cases_only)
            tables = ("persons", "person_visits", "video_points", "hotspot_cells", "alerts ")
            assert not [s for s in read if any(t in s for t in tables)], (who.role, code)
            read.clear()
    with pytest.raises(InvalidInput):
        command.feed(world, COUNTY, actor=actor("commander", COUNTY), now=NOW, parts="people")


def test_feed_carries_breadcrumbs_and_the_actors_actions(world: Session) -> None:
    feed = command.feed(world, V1, actor=actor("commander", CITY), now=NOW)
    assert [a["code"] for a in feed["ancestors"]] == [PROVINCE, CITY, COUNTY, township(), V1]
    assert [a["level_label"] for a in feed["ancestors"]] == ["省", "市", "县", "乡镇", "村社区"]
    county_feed = command.feed(world, COUNTY, actor=actor("commander", CITY), now=NOW)
    escalated = [c for c in county_feed["queue"] if c["state"] == "escalated"]
    assert escalated, "the escalated case waits at the county"
    # the city is above the county: it may remind and supervise, as well as triage
    assert {"triage", "remind", "supervise", "hand_down"} <= set(escalated[0]["allowed_actions"])
    own = command.feed(world, COUNTY, actor=actor("commander", COUNTY), now=NOW)
    mine = next(c for c in own["queue"] if c["state"] == "escalated")
    assert "remind" not in mine["allowed_actions"] and "triage" in mine["allowed_actions"]


def test_outline_is_the_unit_then_its_children(world: Session) -> None:
    fc = json.loads(command_map.outline(world, township(), actor=actor("commander", COUNTY)))
    props = [f["properties"] for f in fc["features"]]
    assert [(p["code"], p["role"]) for p in props] == [
        (township(), "unit"),
        (V1, "child"),
        (V2, "child"),
    ]
    assert fc["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    village_fc = json.loads(command_map.outline(world, V1, actor=actor("commander", COUNTY)))
    assert [(f["properties"]["kind"], f["id"]) for f in village_fc["features"]] == [
        ("jurisdiction", V1),
        ("grid", grid(V1)),
    ]


def test_a_unit_loaded_without_a_boundary_is_drawn_as_its_childrens(world: Session) -> None:
    """A township loaded by name only (zongzhi divisions) whose villages have boundaries."""
    who = actor("commander", COUNTY)
    world.execute(
        text("UPDATE jurisdictions SET boundary = NULL WHERE code = :c"), {"c": township()}
    )
    fc = json.loads(command_map.outline(world, township(), actor=who))
    assert [(f["properties"]["code"], f["properties"]["role"]) for f in fc["features"]] == [
        (township(), "unit"),
        (V1, "child"),
        (V2, "child"),
    ]
    villages = [shape(f["geometry"]) for f in fc["features"][1:]]
    drawn = shape(fc["features"][0]["geometry"])
    assert all(drawn.covers(v.representative_point()) for v in villages)
    assert drawn.area == pytest.approx(sum(v.area for v in villages), rel=0.02)
    # a unit with no boundary and no children with one: no features, not "no such unit"
    world.execute(
        text("UPDATE jurisdictions SET boundary = NULL WHERE parent_code = :c"), {"c": township()}
    )
    assert json.loads(command_map.outline(world, township(), actor=who))["features"] == []
    with pytest.raises(NotFound):
        command_map.outline(world, township()[:-3] + "999", actor=who)


def test_case_points_by_state_group_and_box(world: Session) -> None:
    who = actor("commander", COUNTY)
    open_fc = json.loads(command_map.case_points(world, township(), actor=who, now=NOW))
    titles = sorted(f["properties"]["title"] for f in open_fc["features"])
    assert titles == ["纠纷0", "纠纷2", "重复"] and open_fc["truncated"] is False
    recent = json.loads(
        command_map.case_points(
            world, township(), actor=who, now=NOW, group=command_map.StateGroup.RECENT
        )
    )
    assert sorted(f["properties"]["title"] for f in recent["features"]) == [
        "纠纷0",
        "纠纷1",
        "重复",
    ]
    later = NOW + timedelta(days=31)
    overdue = json.loads(
        command_map.case_points(
            world, township(), actor=who, now=later, group=command_map.StateGroup.OVERDUE
        )
    )
    assert len(overdue["features"]) == 3
    lon, lat = village_centre(V1)
    box = BBox(lon + 0.0005, lat - 0.001, lon + 0.003, lat + 0.001)  # only 纠纷2 (lon + 0.002)
    boxed = json.loads(command_map.case_points(world, township(), actor=who, now=NOW, bbox=box))
    assert [f["properties"]["title"] for f in boxed["features"]] == ["纠纷2"]
    capped = json.loads(command_map.case_points(world, township(), actor=who, now=NOW, limit=1))
    assert len(capped["features"]) == 1 and capped["truncated"] is True


def test_hot_cells_and_heat_points(world: Session) -> None:
    who = actor("commander", COUNTY)
    cells = json.loads(command_map.hot_cells(world, township(), actor=who))
    assert sorted(f["properties"]["bin"] for f in cells["features"]) == [2, 3]  # bin 0 left out
    # an analyst, who may not list a cell's cases, reads its 1 or 2 cases as null; a city's
    # commander, who lists them with 查看案件, reads them exactly (trial AM M4)
    exact = {f["id"]: f["properties"]["count"] for f in cells["features"]}
    analyst = actor("analyst", COUNTY)
    seen = json.loads(command_map.hot_cells(world, township(), actor=analyst))
    assert {f["id"]: f["properties"]["count"] for f in seen["features"]} == {
        i: (None if 0 < n < 3 else n) for i, n in exact.items()
    }
    city = actor("commander", COUNTY[:4] + "00000000")
    seen = json.loads(command_map.hot_cells(world, township(), actor=city))
    assert {f["id"]: f["properties"]["count"] for f in seen["features"]} == exact
    assert any(0 < n < 3 for n in exact.values()), exact  # the rule was put to the test
    heat = command_map.heat_points(world, township(), actor=who, now=NOW, cell_deg=0.01)
    assert sum(n for _, _, n in heat) == 4  # every case of the last year, in cells
    assert all(len(point) == 3 for point in heat)


def test_command_map_outside_scope_is_not_found(world: Session) -> None:
    with pytest.raises(NotFound):
        command_map.outline(world, COUNTY, actor=actor("dispatcher", township()))
    with pytest.raises(NotFound):
        command_map.case_points(world, "520425000000", actor=actor("commander", COUNTY), now=NOW)
    with pytest.raises(NotFound):
        command_map.hot_cells(world, "1234", actor=actor("commander", COUNTY))


def test_a_city_without_counties_escalates_to_the_city_and_hands_down(db: Session) -> None:
    """东莞 has no counties: its townships sit under the city (codes 4419 00 xxx)."""
    dongguan, dongcheng, community = "441900000000", "441900003000", "441900003001"
    units = [
        ("440000000000", "广东省", 1, None, (113.0, 22.0, 115.0, 24.0)),
        (dongguan, "东莞市", 2, "440000000000", (113.5, 22.6, 114.3, 23.2)),
        (dongcheng, "东城街道", 4, dongguan, (113.74, 22.98, 113.80, 23.04)),
        (community, "东城社区", 5, dongcheng, (113.75, 23.00, 113.77, 23.02)),
    ]
    for code, name, level, parent, (west, south, east, north) in units:
        db.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, boundary) VALUES "
                "(:c, :n, :l, :p, ST_Multi(ST_MakeEnvelope(:w, :s, :e, :no, 4490)))"
            ),
            {"c": code, "n": name, "l": level, "p": parent}
            | {"w": west, "s": south, "e": east, "no": north},
        )
    desk = actor("dispatcher", dongcheng)
    made = cases.register(
        db,
        actor=desk,
        channel="phone",
        category="dispute",
        subcategory="neighbours",
        title="纠纷",
        reported_at=NOW,
        lon=113.76,
        lat=23.01,
    ).case
    assert made.area_code == community and made.handling_level == 4
    cases.act(db, made.id, "escalate", actor=desk, now=NOW, note="需市级统筹")
    assert made.handling_level == 2  # past the county level the city does not have

    city = actor("commander", dongguan)
    feed = command.feed(db, dongguan, actor=city, now=NOW)
    assert [c["code"] for c in feed["children"]] == [dongcheng]
    kpis = feed["children"][0]["kpis"]
    assert (kpis["open"], kpis["escalations"]) == (1, 1)
    assert [c["id"] for c in feed["queue"]] == [made.id]
    with pytest.raises(InvalidInput):
        cases.act(db, made.id, "triage", actor=city, now=NOW, params={"handling_level": 3})

    cases.act(db, made.id, "hand_down", actor=city, now=NOW, note="请县级牵头，属地先行处置")
    assert made.handling_level == 4
    assert [c["id"] for c in command.feed(db, dongcheng, actor=desk, now=NOW)["queue"]] == [made.id]


def test_a_hot_cell_is_drawn_on_the_map_of_the_unit_its_centre_lies_in(world: Session) -> None:
    """Trial AQ m8: a village's map drew hot cells outside it; only those centred in it now."""
    who = actor("commander", COUNTY)
    run = world.execute(text("SELECT max(id) FROM hotspot_runs")).scalar_one()
    lon, lat = village_centre(V2)  # a cell of V2's ground, given to V1 (a nearest-unit fallback)
    far = world.execute(
        text(
            "INSERT INTO hotspot_cells (run_id, area_code, unit_id, geom, count, z, p, bin)"
            " VALUES (:r, :a, 'h3', ST_Buffer(ST_SetSRID(ST_MakePoint(:x, :y), 4490), 0.001,"
            " 4), 7, 3.1, 0.001, 3) RETURNING id"
        ),
        {"r": run, "a": V1, "x": lon, "y": lat},
    ).scalar_one()
    drawn = json.loads(command_map.hot_cells(world, V1, actor=who))
    ids = [f["id"] for f in drawn["features"]]
    assert far not in ids and len(ids) == 2  # V1's own two, whole
    # the township it lies in draws it: its centre is the township's
    township_cells = json.loads(command_map.hot_cells(world, township(), actor=who))
    assert far in [f["id"] for f in township_cells["features"]]
