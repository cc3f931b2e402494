"""A trial run (试运行, ``--dry-run``) of a cases file uses up no case numbers (trial AR M7).

A case's code (一案一码) ends with its id, drawn from the cases' sequence, and a sequence is not
given back by a rollback: a trial run of 40,000 rows made the next case registered jump from
…00004258 to …00044259. A trial run's staged cases now take ids of their own
(``layers.case_import.staged_id_column``); a real import still numbers its cases one after the
other, following the last registered.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers import cases
from layers.workflow import Actor
from tests.import_fixtures import VILLAGE, csv_text, seed_jurisdictions

HEADERS = ["工单编号", "来源渠道", "事件类型", "标题", "所属社区", "登记时间"]
COMMANDER = Actor(user_id=None, name="指挥员", role="commander", scope_code="530424000000")


def _import(db: Session, path: Path, count: int, **options: object) -> ImportOutcome:
    rows = [
        [f"AR-M7-{n}", "12345", "邻里纠纷", f"第{n}件", VILLAGE, f"2026-04-01 {9 + n % 8:02d}:00"]
        for n in range(count)
    ]
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="cases", **options))  # type: ignore[arg-type]


def _register(db: Session, title: str) -> int:
    """Register a case at the desk; return the serial its code ends with."""
    case = cases.register(
        db,
        actor=COMMANDER,
        channel="walk_in",
        category="dispute",
        title=title,
        reported_at=datetime(2026, 4, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
        area_code=VILLAGE,
    ).case
    db.flush()
    return int(case.code.rsplit("-", 1)[1])


def _serials(db: Session) -> list[int]:
    codes = db.execute(
        text("SELECT code FROM cases WHERE external_no LIKE 'AR-M7-%' ORDER BY code")
    ).scalars()
    return [int(str(code).rsplit("-", 1)[1]) for code in codes]


def test_a_trial_run_leaves_the_next_case_number_unchanged(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    before = _register(db, "试运行之前登记")
    trial = _import(db, tmp_path / "12345工单.csv", 30, dry_run=True)
    assert trial.counts is not None and trial.counts.inserted == 30
    assert not trial.committed and _serials(db) == []
    assert _register(db, "试运行之后登记") == before + 1


def test_a_real_import_numbers_its_cases_after_the_last_registered(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    before = _register(db, "导入之前登记")
    _import(db, tmp_path / "12345工单.csv", 5, dry_run=True)
    real = _import(db, tmp_path / "12345工单.csv", 5)
    assert real.committed, real.problems
    assert _serials(db) == [before + n for n in range(1, 6)]
    assert _register(db, "导入之后登记") == before + 6
