"""The demo county: full 华宁县 load, same seed same data, 甘州区, points in place, CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import shapely
import typer
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geo.codes import is_valid_device_id, parse_grid_code
from importers.demo.cases import road_centres
from importers.demo.cli import CountyRefused, county_to_load, register
from importers.demo.dataset import DemoData, generate
from importers.demo.load import load_demo
from importers.demo.plan import DEMO_PASSWORD, DemoScale
from importers.demo.staff import COUNTY_DEPARTMENTS, DEPARTMENTS
from importers.official import division_table, region, source_name, source_sha256
from importers.pipeline import ImportOptions, check_table, import_checked
from layers import accounts
from layers.secrets import keys_from_master, unseal
from layers.workflow import target_state
from tests.demo_runs import demo_of_the_run

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
KEYS = keys_from_master(bytes(range(32)))
HUANING_TOWNSHIPS = {
    "530424001000": "宁州街道",
    "530424101000": "盘溪镇",
    "530424102000": "华溪镇",
    "530424103000": "青龙镇",
    "530424200000": "通红甸彝族苗族乡",
}
SMALL = DemoScale(
    villages=8,
    grids=20,
    workers=40,
    persons=60,
    disputes_per_year=60,
    hazards_per_year=10,
    opinions_per_year=10,
    cameras=10,
    years=2,
)


def _count(db: Session, sql: str) -> int:
    return int(db.execute(text(sql)).scalar_one())


@pytest.fixture(scope="module")
def small() -> DemoData:
    """The small 华宁县 demo of seed 3 (the tests load it; loading leaves it unchanged)."""
    return generate("530424", seed=3, now=NOW, scale=SMALL)


@pytest.fixture(scope="module")
def huaning(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    """The full 华宁县 of seed 7, generated once per run (test_person_entry_rules checks it too)."""
    return demo_of_the_run(tmp_path_factory, "530424", seed=7, now=NOW)


@pytest.fixture(scope="module")
def ganzhou() -> DemoData:
    return generate("620702", seed=5, now=NOW, factor=0.1)


def test_full_huaning_demo_loads_the_reported_scale(db: Session, huaning: DemoData) -> None:
    """The full 华宁县 loads at its scale, and every point it generated lies in its own unit.

    (The points were the ``huaning`` case of the test below: the two tests ran on both test
    processes, and each generated the full county, 8 s of CPU.)
    """
    _every_point_lies_in_its_own_unit(huaning)
    report = load_demo(db, huaning, KEYS, password=DEMO_PASSWORD)
    in_county = "WHERE area_code >= '530424' AND area_code < '530425'"
    levels: dict[int, int] = dict(
        db.execute(
            text("SELECT level, count(*) FROM jurisdictions WHERE code LIKE '53%' GROUP BY level")
        ).all()
    )
    assert levels == {1: 1, 2: 1, 3: 1, 4: 5, 5: 77}
    names: dict[str, str] = dict(
        db.execute(
            text("SELECT code, name FROM jurisdictions WHERE level = 4 AND code LIKE '530424%'")
        ).all()
    )
    assert names == HUANING_TOWNSHIPS
    assert _count(db, f"SELECT count(*) FROM grids {in_county}") == 695
    assert _count(db, f"SELECT count(*) FROM workers {in_county}") == 1274
    assert _count(db, f"SELECT count(*) FROM persons {in_county}") == 4525
    disputes = _count(db, f"SELECT count(*) FROM cases {in_county} AND category = 'dispute'")
    assert 2 * 1300 <= disputes <= 2 * 1500
    cameras = _count(db, f"SELECT count(*) FROM video_points {in_county}")
    assert 200 <= cameras <= 500
    # Every township lies inside the real county: derived edges are intersections with the
    # county polygon, so only floating-point noise (far below a centimetre) may stick out.
    outside = db.execute(
        text(
            "SELECT t.code, ST_Area(ST_Difference(t.boundary, c.boundary)::geography) "
            "FROM jurisdictions t, jurisdictions c WHERE t.level = 4 "
            "AND c.code = '530424000000' AND t.parent_code = c.code "
            "AND NOT ST_CoveredBy(t.boundary, ST_Buffer(c.boundary, 1e-7))"
        )
    ).all()
    assert outside == []
    areas = db.execute(
        text(
            "SELECT sum(ST_Area(t.boundary)) / max(ST_Area(c.boundary)) FROM jurisdictions t, "
            "jurisdictions c WHERE t.level = 4 AND c.code = '530424000000' "
            "AND t.parent_code = c.code"
        )
    ).scalar_one()
    assert areas == pytest.approx(1.0, abs=1e-6)
    # Grids are inside their village and carry village code + serial.
    bad_grids = _count(
        db,
        "SELECT count(*) FROM grids g JOIN jurisdictions v ON v.code = g.area_code "
        "WHERE NOT ST_CoveredBy(g.boundary, ST_Buffer(v.boundary, 1e-7)) "
        "OR substr(g.code, 1, 12) <> g.area_code",
    )
    assert bad_grids == 0
    codes = [
        r[0]
        for r in db.execute(
            text("SELECT code FROM grids WHERE area_code LIKE '530424%' LIMIT 50")
        ).all()
    ]
    assert all(parse_grid_code(c).village_code == c[:12] for c in codes)
    # Personal data: only hash, mask and sealed form; the sealed ID opens and is valid.
    row = db.execute(
        text("SELECT id_masked, id_sealed FROM persons WHERE area_code LIKE '530424%' LIMIT 1")
    ).one()
    clear = unseal(KEYS, row[1])
    assert row[0] == clear[:6] + "********" + clear[-4:]
    # Case events replay to the current state through the workflow table.
    events = db.execute(
        text(
            "SELECT e.case_id, e.action, e.from_state, e.to_state, c.state, e.payload "
            "FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.area_code LIKE '530424%' "
            "ORDER BY e.case_id, e.at, e.id"
        )
    ).all()
    state: dict[int, str] = {}
    final: dict[int, str] = {}
    escalations = supervisions = 0
    for case_id, action, from_state, to_state, current, payload in events:
        final[case_id] = current
        if action == "register":
            state[case_id] = to_state
            continue
        # the payloads the platform itself records (briefs read them: 上报 from, to; 督办时限)
        if action == "escalate":
            escalations += 1
            assert payload["from_level"] == payload["to_level"] + 1, payload
        if action == "supervise":
            supervisions += 1
            assert datetime.fromisoformat(payload["deadline"]).tzinfo is not None, payload
        assert state[case_id] == from_state, (case_id, action)
        outcome = (payload or {}).get("outcome")
        assert target_state(action, from_state, outcome=outcome) == to_state
        state[case_id] = to_state
    assert state == final
    assert len(set(final.values())) >= 6
    assert escalations > 0 and supervisions > 0
    # At most one active dispatch per worker, and those workers are busy.
    busy_mismatch = _count(
        db,
        "SELECT count(*) FROM dispatches d JOIN workers w ON w.id = d.worker_id "
        "WHERE d.status IN ('assigned', 'accepted', 'arrived') AND w.status <> 'busy' "
        "AND d.area_code LIKE '530424%'",
    )
    assert busy_mismatch == 0
    device_ids = [
        r[0]
        for r in db.execute(
            text("SELECT device_id FROM video_points WHERE area_code LIKE '530424%'")
        ).all()
    ]
    assert all(is_valid_device_id(d) and d.startswith("530424") for d in device_ids)
    assert (
        _count(
            db,
            "SELECT count(*) FROM video_points "
            "WHERE status = 'offline' AND area_code LIKE '530424%'",
        )
        > 0
    )
    overdue = _count(
        db,
        "SELECT count(*) FROM persons p JOIN visit_rules r ON r.category = p.category "
        "AND r.management_level = p.management_level WHERE (SELECT max(visited_on) FROM "
        "person_visits v WHERE v.person_id = p.id) < DATE '2026-11-23' - r.interval_days "
        "AND p.area_code LIKE '530424%'",
    )
    assert 0 < overdue < 4525 // 4
    # put on record before the first visit (a record's 列管日期 is not the load's day), and
    # a person never visited is on record from the generation's day: not overdue at once
    misdated = _count(
        db,
        "SELECT count(*) FROM persons p WHERE p.area_code LIKE '530424%' AND"
        " (p.on_record_since IS NULL OR p.on_record_since > coalesce((SELECT min(visited_on)"
        " FROM person_visits v WHERE v.person_id = p.id), DATE '2026-11-23'))",
    )
    assert misdated == 0
    assert (
        _count(
            db,
            "SELECT count(*) FROM persons WHERE area_code LIKE '530424%'"
            " AND on_record_since < DATE '2026-11-23' - 300",
        )
        > 4525 // 2
    )
    # nearly every 社区矫正人员 on the register is still under correction; a few ended in the
    # last weeks and await their 解除矫正 (trial AW S4: 79 in 宁州街道 alone awaited it)
    corrections = db.execute(
        text(
            "SELECT count(*) AS n, count(*) FILTER (WHERE (attributes ->> 'end_date')::date"
            " < DATE '2026-11-23') AS over FROM persons WHERE category = 'correction'"
            " AND ended_on IS NULL AND area_code LIKE '530424%'"
        )
    ).one()
    assert 0 < corrections.over < corrections.n // 20, corrections
    roles = {login.role for login in report.logins}
    assert roles == {
        "admin",
        "auditor",
        "commander",
        "dispatcher",
        "analyst",
        "grid_worker",
        "department",
    }
    # the county's six bureaus (trial AQ S1) and the city's six departments (trial AM M1)
    assert len(report.logins) == 7 + 5 + 2 + 6 + 6
    bureaus = dict(
        db.execute(
            text(
                "SELECT username, display_name FROM users WHERE role = 'department'"
                " AND scope_code = '530424000000' AND username LIKE '%530424'"
            )
        ).all()
    )
    assert bureaus["department.530424"] == "县人社局"
    assert bureaus["department.housing.530424"] == "县住建局"
    assert sorted(bureaus.values()) == sorted(DEPARTMENTS)
    # the printed list stays one per role and level: the other bureaus are named in one line
    assert [login.username for login in report.logins if not login.listed] == [
        f"department.{key}.530424" for key, _ in COUNTY_DEPARTMENTS if key != "labour"
    ]
    # the grid worker's login bears the name of the worker it stands for, as the case's 派单记录
    # names them (trial W: the timeline said 复安社区网格员 for 谢浩军)
    account, worker = db.execute(
        text(
            "SELECT u.display_name, w.name FROM users u JOIN workers w ON w.id = u.worker_id"
            " WHERE u.role = 'grid_worker' AND u.username LIKE '%530424'"
        )
    ).one()
    assert account == worker


def test_reloading_replaces_the_county_and_divisions_over_it_change_nothing(
    db: Session, small: DemoData
) -> None:
    """Loading twice replaces the county; then the demo's real province, city and county are
    what ``zongzhi divisions`` writes (one test: both need the small demo loaded)."""
    load_demo(db, small, KEYS, password=DEMO_PASSWORD)
    load_demo(db, small, KEYS, password=DEMO_PASSWORD)
    assert _count(db, "SELECT count(*) FROM grids WHERE area_code LIKE '530424%'") == 20
    assert _count(db, "SELECT count(*) FROM persons WHERE area_code LIKE '530424%'") == 60
    assert _count(db, "SELECT count(*) FROM jurisdictions WHERE code LIKE '530424%'") == 1 + 5 + 8
    # 26 with the county's six bureaus (trial AQ S1)
    assert _count(db, "SELECT count(*) FROM users WHERE username LIKE '%530424%'") == 26
    checked = check_table(
        division_table(region("530424")),
        ImportOptions(kind="jurisdictions", user="test"),
        None,
        file_name=source_name(),
        sha256=source_sha256(),
    )
    outcome = import_checked(db.connection(), checked, ImportOptions(kind="jurisdictions"))
    assert outcome.counts is not None
    assert (outcome.counts.inserted, outcome.counts.updated) == (0, 0)


def test_same_seed_same_data_other_seed_other_data(small: DemoData) -> None:
    """A second generation of the ``small`` fixture's seed 3 is the same, seed 12's is not.

    (The module's ``small`` stands for one of the two same-seed generations: one generation
    fewer than three of their own.)
    """
    a = generate("530424", seed=3, now=NOW, scale=SMALL)
    c = generate("530424", seed=12, now=NOW, scale=SMALL)
    assert a.digest() == small.digest()
    assert a.digest() != c.digest()


def test_ganzhou_demo_uses_its_real_townships(db: Session, ganzhou: DemoData) -> None:
    assert len(ganzhou.territory.townships) == 26
    assert ganzhou.territory.townships[0].name == "东街街道"
    load_demo(db, ganzhou, KEYS, password=DEMO_PASSWORD, users=False)
    assert (
        _count(db, "SELECT count(*) FROM jurisdictions WHERE code LIKE '620702%' AND level = 4")
        == 26
    )
    assert _count(db, "SELECT count(*) FROM jurisdictions WHERE code = '620000000000'") == 1
    # As stored: every point is covered by its own village (its worker's unit) and the county.
    outside = db.execute(
        text(
            "WITH p(what, area, pt) AS ("
            " SELECT 'case', area_code, point FROM cases"
            " UNION ALL SELECT 'person', area_code, residence FROM persons"
            " UNION ALL SELECT 'visit', area_code, point FROM person_visits"
            " UNION ALL SELECT 'camera', area_code, point FROM video_points"
            " UNION ALL SELECT 'worker', area_code, last_position FROM workers"
            " UNION ALL SELECT 'position', area_code, point FROM worker_positions)"
            " SELECT what, count(*) FROM p JOIN jurisdictions u ON u.code = p.area"
            " JOIN jurisdictions c ON c.code = '620702000000'"
            " WHERE p.area LIKE '620702%' AND pt IS NOT NULL"
            " AND NOT (ST_Covers(u.boundary, pt) AND ST_Covers(c.boundary, pt)) GROUP BY what"
        )
    ).all()
    assert outside == []


def _outside_own_unit(data: DemoData) -> dict[str, int]:
    """Count the generated points not strictly inside their own unit, or outside the county."""
    tr = data.territory
    shape = {u.code: u.boundary for u in tr.units} | {g.code: g.boundary for g in tr.grids}
    points: dict[str, tuple[list[tuple[float, float]], list[str]]] = {
        "case in its grid": ([c.point for c in data.cases], [c.grid_code for c in data.cases]),
        "case in its village": ([c.point for c in data.cases], [c.area_code for c in data.cases]),
        "person in its grid": (
            [p.residence for p in data.people],
            [p.grid_code for p in data.people],
        ),
        "visit in the person's grid": (
            [(v[2], v[3]) for p in data.people for v in p.visits],
            [p.grid_code for p in data.people for _ in p.visits],
        ),
        "camera in its village": (
            [c.point for c in data.cameras],
            [c.area_code for c in data.cameras],
        ),
        "worker in its unit": (
            [w.position for w in data.staff if w.position is not None],
            [w.area_code for w in data.staff if w.position is not None],
        ),
        "worker's trail in its unit": (
            [(x, y) for w in data.staff for _, x, y in w.trail],
            [w.area_code for w in data.staff for _ in w.trail],
        ),
    }
    counts: dict[str, int] = {}
    for what, (pts, codes) in points.items():
        xy = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        own = np.asarray([shape[c] for c in codes], dtype=object)
        inside = shapely.contains_xy(own, xy[:, 0], xy[:, 1]) & shapely.contains_xy(
            tr.county.boundary, xy[:, 0], xy[:, 1]
        )
        counts[what] = int((~inside).sum())
    return counts


def test_every_generated_point_lies_in_its_own_unit(ganzhou: DemoData) -> None:
    """Hot spots, roads and jitter near edges stay in the county and in the point's unit.

    Straight roads from the seat of a concave county (甘州区) leave it; a spread of a few
    hundred metres leaves a small or edge village. 华宁县's points: in the full load's test.
    """
    _every_point_lies_in_its_own_unit(ganzhou)


def _every_point_lies_in_its_own_unit(data: DemoData) -> None:
    counts = _outside_own_unit(data)
    assert counts == dict.fromkeys(counts, 0)
    # many more points along the roads than the small demo draws
    roads = road_centres(data.territory, 5000, np.random.default_rng(0))
    assert shapely.contains_xy(data.territory.county.boundary, roads[:, 0], roads[:, 1]).all()


def test_a_centre_reloads_its_own_demo_county_and_refuses_another(
    db: Session, ganzhou: DemoData, small: DemoData
) -> None:
    assert county_to_load(db, None) == "530424000000"  # an empty centre: the default county
    assert county_to_load(db, "620702") == "620702000000"
    load_demo(db, ganzhou, KEYS, password=DEMO_PASSWORD, users=False)
    assert county_to_load(db, None) == "620702000000"  # not 华宁县 beside it
    assert county_to_load(db, "620702000000") == "620702000000"
    with pytest.raises(CountyRefused) as refused:
        county_to_load(db, "530424")
    assert "甘州区（620702）" in str(refused.value) and "华宁县（530424）" in str(refused.value)
    assert "一个综治中心只管一个县" in str(refused.value)
    # Two demo counties (loaded side by side by the loader): name the one to reload.
    load_demo(db, small, KEYS, password=DEMO_PASSWORD, users=False)
    with pytest.raises(CountyRefused, match="多个演示县.*--county"):
        county_to_load(db, None)
    assert county_to_load(db, "530424") == "530424000000"


@pytest.mark.parametrize(
    ("asked", "said"),
    [("12", "6 位区划代码"), ("530400", "玉溪市，不是县"), ("999999", "没有县（区）代码 999999")],
)
def test_a_code_that_is_no_county_is_refused(db: Session, asked: str, said: str) -> None:
    with pytest.raises(CountyRefused, match=said):
        county_to_load(db, asked)


def test_demo_command_is_registered() -> None:
    app = typer.Typer()
    register(app)

    @app.command("other")
    def other() -> None:  # a second command keeps typer from collapsing to a single command
        """Nothing."""

    result = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--no-serve" in result.output and "--county" in result.output
    assert "载入演示县" in result.output and "只载入数据，不启动控制台" in result.output
    assert "--port" in result.output and "--host" in result.output


def test_demo_serves_on_the_host_and_port_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """`zongzhi demo --port 8123` hands the port (and host) to `zongzhi serve`."""
    from rich.console import Console

    from importers.demo import cli
    from layers.cli import app

    ran: list[list[str]] = []
    monkeypatch.setattr("os.execv", lambda path, argv: ran.append(argv))
    said = Console(record=True, width=200)
    root = typer.Context(typer.main.get_command(app))  # the running command line's root
    cli._serve(root, said, "0.0.0.0", 8123)
    assert ran[0][1:] == ["serve", "--host", "0.0.0.0", "--port", "8123"]
    assert ran[0][0].endswith("zongzhi")
    assert "zongzhi serve --host 0.0.0.0 --port 8123" in said.export_text()


def test_demo_command_loads_analyses_and_leaves_alerts(tmp_path: Path) -> None:
    """`zongzhi demo --no-serve` end to end on its own embedded cluster: data, a run, alerts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZONGZHI_")}
    env["ZONGZHI_HOME"] = str(tmp_path / "home")
    zongzhi = str(Path(sys.executable).with_name("zongzhi"))
    try:
        done = subprocess.run(
            [zongzhi, "demo", "--no-serve", "--scale", "0.3"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-3000:]}"
        out = done.stdout
        assert "演示数据已载入" in out and "热点分析" in out
        # the report's cells are Chinese: no bare table, source or role code
        assert "行政区划" in out and "新出现的热点" in out and "指挥中心值班员" in out
        assert re.findall(r"│ [a-z_]+ +│", out) == []
        url = subprocess.run(
            [zongzhi, "db", "url", "--owner"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.connect() as conn:
                runs = conn.execute(text("SELECT count(*) FROM hotspot_runs")).scalar_one()
                cells = conn.execute(text("SELECT count(*) FROM hotspot_cells")).scalar_one()
                hashes = conn.execute(
                    text("SELECT password_hash FROM users WHERE username LIKE '%530424%'")
                ).scalars()
                shared = set(hashes)
        finally:
            engine.dispose()
        assert runs == 1 and cells > 0
        # the 26 logins share the one documented password: hashed once per load, not 26 times
        assert len(shared) == 1
        demo_hash = shared.pop()
        assert accounts.password_hasher().verify(DEMO_PASSWORD, demo_hash)
        # run for real (no ZONGZHI_ARGON2), the demo hashes at the product's cost, not the suite's
        assert demo_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), demo_hash
        # The centre now holds 华宁县: another county is refused, before anything is generated.
        # Nor is the generator loaded for it (-X importtime lists the modules imported).
        refused = ["demo", "--no-serve", "--county", "620702"]
        other = subprocess.run(
            [sys.executable, "-X", "importtime", zongzhi, *refused],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert other.returncode == 2
        assert "库中已有华宁县（530424）的演示数据" in other.stderr
        assert "不再载入甘州区（620702）" in other.stderr
        loaded = {
            line.rsplit("|", 1)[1].strip()
            for line in other.stderr.splitlines()
            if line.startswith("import time:") and "|" in line
        }
        assert "importers.divisions" in loaded  # the measure works: the refusal reads it
        assert loaded.isdisjoint({"importers.demo.dataset", "importers.demo.load"}), loaded
    finally:
        subprocess.run([zongzhi, "db", "stop"], env=env, capture_output=True, check=False)
