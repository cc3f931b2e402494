"""Hot-spot runs over stored cases: cells stored with their jurisdiction, alerts raised."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import h3
import numpy as np
import pytest
from openpyxl import load_workbook
from scipy import stats
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geo.codes import scope_range, written_division_code
from layers import alerts, command, hotspot_runs, hotspots_cli, work_brief
from layers.errors import Forbidden
from layers.model import Alert, HotspotCell, Jurisdiction
from tests.conftest import SuiteDatabase
from tests.workflow_data import COUNTY, NOW, actor, ensure_world, township, village, village_centre

V1 = village(100, 1)


def _add_case(
    db: Session, code: str, lon: float, lat: float, area: str, reported_at: datetime
) -> None:
    """Insert a registered 蓝色 dispute at the point, reported at ``reported_at``."""
    db.execute(
        text(
            "INSERT INTO cases (code, channel, category, title, point, area_code, state,"
            " handling_level, reported_at, risk_level) VALUES (:c, 'phone', 'dispute', 't',"
            " ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 'registered', 4, :t, 4)"
        ),
        {"c": code, "x": lon, "y": lat, "a": area, "t": reported_at},
    )


def _last_12_weeks(db: Session, **options: int) -> hotspot_runs.RunResult:
    """Run the county's analysis as its commander over the 12 weeks to NOW, in H3 cells of 8."""
    return hotspot_runs.run(
        db,
        actor=actor("commander", COUNTY),
        scope_code=COUNTY,
        window_start=NOW - timedelta(days=84),
        window_end=NOW,
        resolution=8,
        now=NOW,
        **options,
    )


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    rng = np.random.default_rng(7)
    lon0, lat0 = village_centre(V1)
    rows = []
    # background: scattered over the county's two townships, across 12 weeks
    for _ in range(60):
        rows.append(
            (102.50 + rng.uniform(0, 0.16), 24.30 + rng.uniform(0, 0.02), int(rng.integers(0, 84)))
        )
    # a cluster that appears in the last week: a new hot spot
    for _ in range(60):
        rows.append(
            (
                lon0 + rng.normal(0, 0.0006),
                lat0 + rng.normal(0, 0.0006),
                83 - int(rng.integers(0, 6)),
            )
        )
    for n, (lon, lat, day) in enumerate(rows):
        area = (
            db.execute(
                text(
                    "SELECT code FROM jurisdictions WHERE level = 5 AND ST_Covers(boundary,"
                    " ST_SetSRID(ST_MakePoint(:x, :y), 4490)) LIMIT 1"
                ),
                {"x": lon, "y": lat},
            ).scalar()
            or township()
        )
        when = NOW - timedelta(days=84 - day) + timedelta(hours=1)
        _add_case(db, f"hs-{n}", lon, lat, area, when)
    return db


def test_run_stores_cells_with_jurisdiction_and_raises_alerts(world: Session) -> None:
    who = actor("commander", COUNTY)
    result = _last_12_weeks(world)
    assert result.status == "done" and result.cases == 120
    assert hotspots_cli.run_summary(result) == (
        f"热点分析 {result.run_id} 已完成：案件 120 件，分析单元 {result.cells} 个，"
        f"其中热点 {result.hot_cells} 个，新发风险预警 {result.alerts} 条"
    )
    cells = world.scalars(select(HotspotCell).where(HotspotCell.run_id == result.run_id)).all()
    assert len(cells) == result.cells > 0
    hottest = max(cells, key=lambda c: c.count)
    assert hottest.area_code == V1 and hottest.bin >= 2 and hottest.z > 2
    assert all(c.area_code.startswith("520424") for c in cells)
    assert result.hot_cells >= 1 and result.alerts >= 1
    alerts = world.scalars(select(Alert).where(Alert.run_id == result.run_id)).all()
    assert len(alerts) == result.alerts
    by_cell = {c.id: c for c in cells}
    for alert in alerts:
        cell = by_cell[alert.cell_id]  # type: ignore[index]
        assert alert.area_code == cell.area_code
        place = world.scalar(select(Jurisdiction.name).where(Jurisdiction.code == cell.area_code))
        # the class says on which periods it was judged (trial AO M3: weeks, not months)
        assert alert.title.startswith(f"{alert.title[:4]}（按周判定）：{place}一带 "), alert.title
        assert f"本单元 {cell.count} 起" in (alert.detail or "")
        # read by the operator as it is written: Chinese, no Gi*/z=/p= to decode
        meaning, figures = (alert.detail or "").split("；", 1)
        assert meaning.startswith(alert.title[:4] + "：") and meaning.endswith("（按周判定）")
        assert figures.startswith(f"热点得分 {cell.z:.2f}，显著性水平 {cell.p:.3f}")
        assert not re.search(r"[A-Za-z]", alert.detail or ""), alert.detail
        assert alert.kind in {
            "hotspot_new_hot",
            "hotspot_intensifying_hot",
            "hotspot_persistent_hot",
        }
    # the command feed counts the run's hot cells for the village
    feed = command.feed(world, township(), actor=who, now=NOW)
    kids = {c["code"]: c["kpis"] for c in feed["children"]}
    assert kids[V1]["active_hotspots"] >= 1
    listed = hotspot_runs.list_runs(world, actor=who)
    assert listed[0]["id"] == result.run_id and listed[0]["hot"] == result.hot_cells


def test_too_few_cases_and_scope(world: Session) -> None:
    who = actor("commander", COUNTY)
    result = hotspot_runs.run(
        world,
        actor=who,
        scope_code=COUNTY,
        window_start=NOW - timedelta(days=400),
        window_end=NOW - timedelta(days=300),
    )
    assert result.status == "too_few" and result.cells == 0
    assert hotspots_cli.run_summary(result) == (
        f"热点分析 {result.run_id}：时间范围内只有 {result.cases} 件有位置的案件"
        f"（少于 {hotspot_runs.MIN_CASES} 件），样本太少，未作分析"
    )
    with pytest.raises(Forbidden):
        hotspot_runs.run(
            world,
            actor=actor("dispatcher", township()),
            scope_code=COUNTY,
            window_start=NOW - timedelta(days=30),
            window_end=NOW,
        )
    with pytest.raises(Forbidden):
        hotspot_runs.run(
            world,
            actor=actor("grid_worker", V1),
            scope_code=V1,
            window_start=NOW - timedelta(days=30),
            window_end=NOW,
        )


def test_cli_command_is_registered() -> None:
    import typer

    app = typer.Typer()
    hotspots_cli.register(app)
    result = CliRunner().invoke(app, ["hotspots", "run", "--help"])
    assert result.exit_code == 0 and "--scope" in result.output and "风险预警" in result.output


def test_cli_takes_a_short_scope_and_refuses_a_wrong_one_in_chinese() -> None:
    import typer

    app = typer.Typer()
    hotspots_cli.register(app)
    assert written_division_code(" 620702 ") == "620702000000"
    wrong = CliRunner().invoke(app, ["hotspots", "run", "--scope", "6207021"])
    assert wrong.exit_code == 2 and "错误：" in wrong.output and "Traceback" not in wrong.output


def test_cli_refuses_a_resolution_out_of_range_in_chinese(
    database: SuiteDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    monkeypatch.setenv("ZONGZHI_HOME", str(tmp_path))
    monkeypatch.setenv("ZONGZHI_DATABASE_URL", database.urls.owner)
    app = typer.Typer()
    hotspots_cli.register(app)
    refused = CliRunner().invoke(
        app, ["hotspots", "run", "--scope", COUNTY[:6], "--resolution", "12"]
    )
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "错误：网格分辨率应为 5 至 10" in refused.output


def test_a_cell_is_hot_by_the_normal_p_value_of_its_z_score(world: Session) -> None:
    """A cell's own cases count towards its significance, as in ArcGIS's Gi_Bin.

    Conditional permutations hold the cell's own count fixed and judge its neighbours alone;
    a run asks for them explicitly, and its stored p-values are then their pseudo p-values.
    """
    normal = _last_12_weeks(world)

    def cells_of(run_id: int) -> list[HotspotCell]:  # the same cells in the same order
        found = select(HotspotCell).where(HotspotCell.run_id == run_id)
        return list(world.scalars(found.order_by(HotspotCell.unit_id)).all())

    cells = cells_of(normal.run_id)
    for cell in cells:
        assert cell.p == pytest.approx(2 * stats.norm.sf(abs(cell.z)))
        level = 3 if cell.p <= 0.01 else 2 if cell.p <= 0.05 else 1 if cell.p <= 0.10 else 0
        assert cell.bin == (level if cell.z > 0 else -level), (cell.z, cell.p, cell.bin)
    hottest = max(cells, key=lambda c: c.count)
    assert hottest.bin == 3 and hottest.z > 3  # the 60-case cluster's own cell: 99 %
    assert normal.hot_cells == sum(c.bin >= 2 for c in cells)

    permuted = _last_12_weeks(world, permutations=99)
    drawn = cells_of(permuted.run_id)
    assert {round(c.p * 100, 9) % 1 for c in drawn} == {0.0}  # (k + 1) / 100: pseudo p-values
    assert [c.z for c in drawn] == pytest.approx([c.z for c in cells])


def test_a_cell_without_a_case_of_its_own_raises_no_alert(db: Session) -> None:
    """Six busy cells round an empty one: the empty one's z is the highest, yet it has no case.

    The alert goes to a busy cell, where the cases are (trial Y: 零星热点 at a cell of 0 cases).
    """
    ensure_world(db)
    lon0, lat0 = village_centre(V1)
    centre = h3.latlng_to_cell(lat0, lon0, 8)
    ring = sorted(h3.grid_ring(centre, 1))
    rng = np.random.default_rng(19)
    scattered = [(102.50 + rng.uniform(0, 0.16), 24.30 + rng.uniform(0, 0.02)) for _ in range(60)]
    rows = [
        (lon, lat, NOW - timedelta(days=80))
        for lon, lat in scattered
        if h3.grid_distance(centre, h3.latlng_to_cell(lat, lon, 8)) > 2
    ][:40]
    for cell in ring:
        lat, lon = h3.cell_to_latlng(cell)
        rows += [(lon, lat, NOW - timedelta(days=int(d))) for d in rng.integers(1, 7, size=10)]
    for n, (lon, lat, when) in enumerate(rows):
        _add_case(db, f"ring-{n}", lon, lat, V1, when)
    run = _last_12_weeks(db)
    cells = {
        c.unit_id: c
        for c in db.scalars(select(HotspotCell).where(HotspotCell.run_id == run.run_id))
    }
    assert cells[centre].count == 0 and cells[centre].bin >= 2
    assert cells[centre].z > max(cells[c].z for c in ring)  # the peak of the z-scores
    alerts = db.scalars(select(Alert).where(Alert.run_id == run.run_id)).all()
    assert alerts
    by_id = {c.id: c for c in cells.values()}
    assert all(by_id[a.cell_id].count > 0 for a in alerts if a.cell_id is not None)


def test_an_alert_says_on_which_periods_and_cells_its_class_was_judged(world: Session) -> None:
    # trial AO M3: the 月总结's 风险预警 read 「加剧热点：新和社区一带…近 53 周中 48 周」 while the
    # trends page and its report read 新和社区 「持续热点 7」: weekly cells against 24 months, and
    # neither the alert nor the brief's row said so
    who = actor("commander", COUNTY)
    result = _last_12_weeks(world)
    basis = (
        "按周判定，近 12 周（2026-08-31 至 2026-11-23），"
        "以六边形单元（每个约 0.74 平方公里）及相邻单元计"
    )
    page = alerts.listed(world, scope_range(COUNTY), limit=500, min_count=1)
    raised = [a for a in page.alerts if a["run_id"] == result.run_id]
    assert len(raised) == result.alerts >= 1
    for alert in raised:
        assert re.match(r"^(新增|连续|加剧|持续|零星)热点（按周判定）：", alert["title"]), alert
        assert alert["basis"] == basis
    # an alert written before titles named their periods reads as one written since
    first = world.get(Alert, raised[0]["id"])
    assert first is not None
    kept = first.title
    first.title = kept.replace("（按周判定）", "")
    world.flush()
    assert alerts.alert_json(world, first.id, min_count=1)["title"] == kept
    # one no run raised names none
    bare = Alert(area_code=V1, kind="hotspot_new_hot", level=2, title="新增热点：某村一带 5 起案件")
    bare.state = "open"
    world.add(bare)
    world.flush()
    listed = alerts.alert_json(world, bare.id, min_count=1)
    assert (listed["title"], listed["basis"]) == ("新增热点：某村一带 5 起案件", None)

    # the brief's 风险预警 gives each alert's basis beside it, and says how it differs: a brief
    # of the last days ending now, since the run raised its alerts now (not at NOW), and a
    # brief leaves out the alerts raised after its window (trial AU M5)
    made = datetime.now(UTC)
    window = work_brief.rolling(7, made)
    feed = command.feed(world, COUNTY, actor=who, now=made, window=(window.start, window.end))
    book = load_workbook(
        io.BytesIO(work_brief.workbook(feed, [], window=window, now=made)), read_only=True
    )
    rows = [list(r) for r in book["风险预警"].iter_rows(values_only=True)]
    assert rows[0][:3] == ["状态", "预警", "判定依据"]
    by_title = {r[1]: r[2] for r in rows[1:]}
    assert all(by_title[a["title"]] == basis for a in raised)
    assert by_title["新增热点：某村一带 5 起案件"] == "—"
    notes = {r[0]: r[1] for r in book["概况"].iter_rows(values_only=True)}["说明"]
    (said,) = [line for line in notes.splitlines() if line.startswith("风险预警：")]
    assert (
        "按周分期" in said and "研判分析页和研判报告的新兴热点模式按月分期（全部 24 个月）" in said
    )
