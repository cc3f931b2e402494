"""Imported cases that repeat an earlier report (重复反映) are linked as registered ones are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, run_import
from layers import cases, deadlines
from layers.cases import DEDUPE_RADIUS_M
from layers.model.accounts import Role
from layers.workflow import Actor
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    EAST,
    NORTH,
    SOUTH,
    WEST,
    csv_text,
    import_app,
    seed_jurisdictions,
    seeded_database,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADERS = ["工单编号", "来源渠道", "事件类型", "风险等级", "经度", "纬度", "登记时间", "办结时间"]
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(24.21))
M_PER_DEG_LAT = 110_760.0
START = datetime(2018, 5, 1, 8, 0, tzinfo=SHANGHAI)
"""The tests' cases are reported in 2018: no case other tests leave is in their window."""
OPERATOR = Actor(None, "县指挥中心", Role.DISPATCHER, "530424000000")


def _row(
    number: str,
    kind: str,
    east_m: float,
    north_m: float,
    day: float,
    *,
    risk: int = 4,
    closed_day: float | None = None,
) -> list[str]:
    """A work order ``east_m``/``north_m`` from the village's centre, ``day`` days after START."""
    lon = (WEST + EAST) / 2 + east_m / M_PER_DEG_LON
    lat = (SOUTH + NORTH) / 2 + north_m / M_PER_DEG_LAT
    closed = "" if closed_day is None else f"{START + timedelta(days=closed_day):%Y-%m-%d %H:%M}"
    reported = f"{START + timedelta(days=day):%Y-%m-%d %H:%M:%S}"
    return [number, "12345热线", kind, str(risk), f"{lon:.7f}", f"{lat:.7f}", reported, closed]


def _import(db: Session, path: Path, rows: list[list[str]]) -> Any:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    options = ImportOptions(kind="cases", crs="cgcs2000", user="导入员")
    outcome = run_import(db.connection(), path, options)
    assert outcome.committed, outcome.problems[:3]
    return outcome


def _stored(db: Session, prefix: str) -> dict[str, Any]:
    rows = db.execute(
        text(
            "SELECT c.external_no, o.external_no AS original, c.repeat_count, c.risk_level,"
            " c.deadline - c.reported_at AS span, c.id FROM cases c"
            " LEFT JOIN cases o ON o.id = c.duplicate_of WHERE c.external_no LIKE :p"
        ),
        {"p": prefix + "%"},
    ).all()
    return {r.external_no: r for r in rows}


def test_an_import_links_the_repeats_registering_the_cases_one_by_one_would(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    rng = np.random.default_rng(7)
    n = 60
    east, north = rng.uniform(-450.0, 450.0, n), rng.uniform(-450.0, 450.0, n)
    days = np.round(np.sort(rng.uniform(0.0, 90.0, n)) * 86_400) / 86_400  # whole seconds
    kinds = rng.choice(np.array(["邻里纠纷", "劳资欠薪"]), n)
    risks = rng.integers(2, 5, n)
    rows = [
        _row(f"RP-{i:02d}", str(kinds[i]), east[i], north[i], days[i], risk=int(risks[i]))
        for i in range(n)
    ]
    outcome = _import(db, tmp_path / "工单.csv", rows)
    imported = _stored(db, "RP-")
    assert outcome.counts.inserted == n
    linked = {k: r.original for k, r in imported.items() if r.original}
    assert outcome.counts.repeats == len(linked) and 10 < len(linked) < n - 10

    # The same reports, 5 km east, registered in the console one after the other.
    kind_of = {
        r.external_no: r
        for r in db.execute(
            text(
                "SELECT external_no, category, subcategory FROM cases WHERE external_no LIKE 'RP-%'"
            )
        )
    }
    for i, row in enumerate(rows):
        cases.register(
            db,
            actor=OPERATOR,
            channel="walk_in",
            category=kind_of[row[0]].category,
            subcategory=kind_of[row[0]].subcategory,
            title=f"LV-{i:02d}",
            external_no=f"LV-{i:02d}",
            reported_at=START + timedelta(days=float(days[i])),
            lon=float(row[4]) + 0.05,
            lat=float(row[5]),
            risk_level=int(risks[i]),
        )
    db.flush()
    live = _stored(db, "LV-")
    as_registered = {
        k.replace("LV", "RP"): r.original.replace("LV", "RP") for k, r in live.items() if r.original
    }
    assert linked == as_registered
    for number, case in imported.items():
        twin = live[number.replace("RP", "LV")]
        assert (case.repeat_count, case.risk_level) == (twin.repeat_count, twin.risk_level)
        assert case.span == twin.span  # the deadline of the risk it was reported with
    assert any(r.repeat_count > 1 and r.risk_level < 4 for r in imported.values())


def test_repeats_of_cases_on_record_raise_them_once_per_import(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    first = [
        _row("RR-1", "邻里纠纷", 0.0, 0.0, 0.0, risk=4),
        _row("RR-2", "邻里纠纷", 300.0, 0.0, 0.0, risk=3, closed_day=2.0),
    ]
    assert _import(db, tmp_path / "第一周.csv", first).counts.repeats == 0
    later = [
        *first,
        _row("RR-3", "邻里纠纷", 60.0, 0.0, 3.0),  # RR-1 (60 m), RR-2 (240 m) is settled
        _row("RR-4", "邻里纠纷", 0.0, 120.0, 4.0),  # RR-1 (120 m)
        _row("RR-5", "劳资欠薪", 0.0, 10.0, 4.0),  # another type: an original
        _row("RR-6", "邻里纠纷", 310.0, 0.0, 5.0),  # RR-2 (10 m) was settled on day 2
        _row("RR-7", "邻里纠纷", 0.0, -30.0, 31.5),  # RR-1 is 31.5 days back: too old
    ]
    outcome = _import(db, tmp_path / "第二周.csv", later)
    assert (outcome.counts.inserted, outcome.counts.unchanged, outcome.counts.repeats) == (5, 2, 2)
    stored = _stored(db, "RR-")
    assert {k: r.original for k, r in stored.items() if r.original} == {
        "RR-3": "RR-1",
        "RR-4": "RR-1",
    }
    assert (stored["RR-1"].repeat_count, stored["RR-1"].risk_level) == (2, 2)
    assert stored["RR-1"].span == timedelta(days=15)  # orange's, no longer blue's 30 days
    assert (stored["RR-2"].repeat_count, stored["RR-2"].risk_level) == (0, 3)
    events = db.execute(
        text(
            "SELECT e.action, e.actor_name, e.note, e.payload FROM case_events e"
            " WHERE e.case_id = :id ORDER BY e.id"
        ),
        {"id": stored["RR-1"].id},
    ).all()
    assert [(e.action, e.actor_name, e.note) for e in events] == [
        ("import", "导入员", "从文件导入"),
        (
            "repeat_linked",
            "导入员",
            "重复反映：导入 2 件",
        ),
    ]
    # raised to 橙色, it has orange's limits (1 and 15 days), not blue's (trial AZ S2)
    reported = START.astimezone(UTC)
    # the timeline says each limit with its time before (trial BA M4)
    moved = events[1].payload.pop("deadline_changes")
    assert deadlines.said(moved) == (
        "联系时限 2018-05-03 08:00 → 2018-05-02 08:00（重复反映提高风险等级）；"
        "办结时限 2018-05-31 08:00 → 2018-05-16 08:00（重复反映提高风险等级）"
    )
    assert events[1].payload == {
        "imported_repeats": 2,
        "risk_from": 4,
        "risk_to": 2,
        "contact_deadline_to": (reported + timedelta(days=1)).isoformat(),
        "deadline_to": (reported + timedelta(days=15)).isoformat(),
    }

    again = _import(db, tmp_path / "第二周.csv", later)
    assert (again.counts.inserted, again.counts.repeats) == (0, 0)
    assert _stored(db, "RR-") == stored


def test_a_settled_history_links_a_report_only_while_its_original_was_open(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    rows = [
        _row("RH-1", "邻里纠纷", 0.0, 0.0, 0.0, closed_day=3.0),
        _row("RH-2", "邻里纠纷", 20.0, 0.0, 2.0, closed_day=4.0),  # RH-1 still open
        _row("RH-3", "邻里纠纷", 0.0, 20.0, 5.0, closed_day=9.0),  # both settled by now
        _row("RH-4", "邻里纠纷", 0.0, 25.0, 6.0),  # RH-3: RH-2 is a repeat, RH-1 settled
        _row("RH-5", "邻里纠纷", DEDUPE_RADIUS_M + 5.0, 20.0, 6.5),  # beyond the radius
    ]
    outcome = _import(db, tmp_path / "历史.csv", rows)
    stored = _stored(db, "RH-")
    assert {k: r.original for k, r in stored.items() if r.original} == {
        "RH-2": "RH-1",
        "RH-4": "RH-3",
    }
    assert outcome.counts.repeats == 2


def test_the_command_line_says_how_many_reports_were_repeats_and_an_unchecked_crs(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    with seeded_database(database, "zz_import_repeats") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path)}
        path = tmp_path / "工单.csv"
        rows = [_row(f"RC-{i}", "邻里纠纷", 10.0 * i, 0.0, float(i)) for i in range(3)]
        path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
        args = ["import", "cases", str(path)]
        result = CliRunner().invoke(import_app(), [*args, "--crs", "cgcs2000"], env=env)
        assert result.exit_code == 0, result.output
        assert "其中 2 件为重复反映" in result.output and "坐标系未核对" not in result.output
        # Without --crs, and no row naming its place, the CRS assumed cannot be checked: said.
        unsure = CliRunner().invoke(import_app(), [*args, "--dry-run"], env=env)
        assert unsure.exit_code == 0, unsure.output
        assert "坐标系未核对" in unsure.output and "--crs gcj02" in unsure.output


def test_a_history_of_settled_cases_says_its_originals_were_open_when_repeated(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """Trial AR m9: every row 已办结, and the summary said 同类未办结的原案件."""
    with seeded_database(database, "zz_import_repeats_history") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path)}
        path = tmp_path / "历史工单.csv"
        rows = [
            _row(f"RS-{i}", "邻里纠纷", 10.0 * i, 0.0, float(i), closed_day=i + 5.0)
            for i in range(3)
        ]
        path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
        args = ["import", "cases", str(path), "--crs", "cgcs2000", "--history"]
        result = CliRunner().invoke(import_app(), args, env=env)
        assert result.exit_code == 0, result.output
        said = (
            "其中 2 件为重复反映，已关联到 30 天内、200 米内同类、同一地址或来电号码、"
            "当时未办结的原案件"
        )
        assert said in result.output.replace("\n", "") and "同类未办结" not in result.output
