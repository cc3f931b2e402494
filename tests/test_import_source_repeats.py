"""A 12345 export's own repeat flags (是否重复件, 关联工单编号) link its repeats to their originals.

The source system knows which calls repeat an earlier work order, point or no point; its word
is taken before the 200 m / 30 days rule, which still decides for the rows it leaves unflagged
(and never makes a row flagged 否 a repeat).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    EAST,
    NORTH,
    SOUTH,
    VILLAGE,
    WEST,
    csv_text,
    import_app,
    seed_jurisdictions,
    seeded_database,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADERS = [
    "工单编号",
    "来源渠道",
    "事件类型",
    "事发地经度",
    "事发地纬度",
    "受理时间",
    "工单状态",
    "办结时间",
    "是否重复件",
    "关联工单编号",
    "所属社区",
]
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(24.21))
M_PER_DEG_LAT = 110_760.0
START = datetime(2017, 3, 1, 8, 0, tzinfo=SHANGHAI)
"""The cases are reported in 2017: no case other tests leave is in their window."""


def _row(
    number: str,
    day: float,
    *,
    at: tuple[float, float] | None = (0.0, 0.0),
    flag: str = "",
    of: str = "",
    closed_day: float = 20.0,
) -> list[str]:
    """A work order ``at`` metres (east, north) from the village's centre, or without a point."""
    lon = lat = ""
    if at is not None:
        lon = f"{(WEST + EAST) / 2 + at[0] / M_PER_DEG_LON:.7f}"
        lat = f"{(SOUTH + NORTH) / 2 + at[1] / M_PER_DEG_LAT:.7f}"
    reported = f"{START + timedelta(days=day):%Y-%m-%d %H:%M:%S}"
    closed = f"{START + timedelta(days=closed_day):%Y-%m-%d %H:%M:%S}"
    status = [reported, "已办结", closed, flag, of, VILLAGE]
    return [number, "12345热线", "邻里纠纷", lon, lat, *status]


def _import(db: Session, path: Path, rows: list[list[str]], headers: list[str]) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind="cases", crs="cgcs2000", user="导入员")
    outcome = run_import(db.connection(), path, options)
    assert outcome.committed, outcome.problems[:3]
    return outcome


def _stored(db: Session, prefix: str) -> dict[str, Any]:
    rows = db.execute(
        text(
            "SELECT c.external_no, o.external_no AS original, c.repeat_count, c.risk_level, c.id"
            " FROM cases c LEFT JOIN cases o ON o.id = c.duplicate_of"
            " WHERE c.external_no LIKE :p"
        ),
        {"p": prefix + "%"},
    ).all()
    return {r.external_no: r for r in rows}


def test_the_exports_own_flags_link_its_repeats(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    rows = [
        _row("SR-01", 0.0),
        _row("SR-02", 2.0, at=None, flag="是", of="SR-01"),  # no point: linked all the same
        _row("SR-03", 3.0, at=(50.0, 0.0), flag="否"),  # 50 m, 3 days: the rule would link it
        _row("SR-04", 4.0, at=(-30.0, 0.0)),  # unflagged: the rule links it
        _row("SR-05", 5.0, at=None, flag="是", of="SR-02"),  # a repeat of a repeat: its original
        _row("SR-06", 6.0, at=(800.0, 0.0), flag="是", of="SR-01"),  # far, flagged: linked
        _row("SR-07", 7.0, at=None, flag="是", of="SR-99"),  # names no work order: not linked
    ]
    outcome = _import(db, tmp_path / "12345工单.csv", rows, HEADERS)
    assert {"是否重复件", "关联工单编号"}.isdisjoint(outcome.unused)
    assert outcome.columns["repeat_flag"] == "是否重复件"
    assert outcome.columns["repeat_of"] == "关联工单编号"
    stored = _stored(db, "SR-")
    originals = {n: r.original for n, r in stored.items()}
    assert originals == {
        "SR-01": None,
        "SR-02": "SR-01",
        "SR-03": None,
        "SR-04": "SR-01",
        "SR-05": "SR-01",
        "SR-06": "SR-01",
        "SR-07": None,
    }
    assert stored["SR-01"].repeat_count == 4
    assert outcome.counts is not None and outcome.counts.repeats == 4
    repeats = [n for n in outcome.notes if not n.startswith("来源系统已办结")]  # settled rows
    assert repeats[-3:] == [
        "其中 3 件按文件的是否重复件、关联工单编号关联到原工单（不论有无点位、远近）",
        "1 行标为非重复件：不按 200 米、30 天的规则作重复反映",
        "1 行标为重复件，但关联工单编号不在本文件，也不在库中（SR-99）："
        "按 200 米、30 天内同类、当时未办结的规则判断",
    ]


def test_a_flagged_row_links_to_the_work_order_on_record(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    earlier = [_row("SR-11", 0.0), _row("SR-12", 1.0, at=(20.0, 0.0))]
    _import(db, tmp_path / "上月.csv", earlier, HEADERS)
    before = _stored(db, "SR-1")
    assert before["SR-12"].original == "SR-11"  # unflagged: the rule linked it
    rows = [
        _row("SR-13", 3.0, at=None, flag="是", of="SR-12"),  # the repeat's original on record
        _row("SR-14", 4.0, at=(500.0, 0.0), flag="是", of="SR-11"),
    ]
    _import(db, tmp_path / "本月.csv", rows, HEADERS)
    after = _stored(db, "SR-1")
    assert (after["SR-13"].original, after["SR-14"].original) == ("SR-11", "SR-11")
    assert after["SR-11"].repeat_count == 3
    events = db.execute(
        text("SELECT action FROM case_events WHERE case_id = :c AND action = 'repeat_linked'"),
        {"c": after["SR-11"].id},
    ).scalars()
    assert list(events) == ["repeat_linked"]


def test_a_file_without_the_flags_keeps_the_rule(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    rows = [_row("SR-21", 0.0), _row("SR-22", 3.0, at=(50.0, 0.0))]
    without = [h for h in HEADERS if h not in ("是否重复件", "关联工单编号")]
    _import(db, tmp_path / "工单.csv", [r[:8] + r[10:] for r in rows], without)
    assert _stored(db, "SR-2")["SR-22"].original == "SR-21"


def test_the_summary_says_which_repeats_the_flags_linked(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    with seeded_database(database, "zz_import_source_repeats") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path)}
        path = tmp_path / "12345工单.csv"
        rows = [
            _row("SS-01", 0.0),
            _row("SS-02", 2.0, at=None, flag="是", of="SS-01"),
            _row("SS-03", 3.0, at=(900.0, 0.0), flag="是", of="SS-01"),
            _row("SS-04", 4.0, at=(-30.0, 0.0)),  # unflagged: the rule links it
        ]
        path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
        args = ["import", "cases", str(path), "--crs", "cgcs2000"]
        result = CliRunner().invoke(import_app(), args, env=env)
        assert result.exit_code == 0, result.output
        said = " ".join(result.output.split())
        assert (
            "其中 3 件为重复反映，已关联到原案件：2 件按文件的是否重复件、关联工单编号"
            "（不论有无点位、远近），1 件按 30 天内、200 米内同类、同一地址或来电号码、"
            "当时未办结的规则" in said
        ), result.output
        assert "其中 2 件按文件的是否重复件" not in said  # told once, in the line of repeats
