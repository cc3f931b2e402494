"""A file sent again after newer ones is refused: it would take back what they said since."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, Superseded, run_import
from tests.import_fixtures import GRID, csv_text, seed_jurisdictions

HEADERS = ["工号", "姓名", "手机号", "所属网格", "在岗状态"]


def _roster(path: Path, statuses: dict[str, str]) -> Path:
    rows = [
        [number, f"网格员{number}", f"1380000000{number[1:]}", GRID, status]
        for number, status in statuses.items()
    ]
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    return path


def _import(db: Session, path: Path, *, again: bool = False) -> ImportOutcome:
    options = ImportOptions(kind="workers", user="网格办", again=again)
    outcome = run_import(db.connection(), path, options)
    assert outcome.committed, outcome.problems
    return outcome


def _statuses(db: Session) -> dict[str, str]:
    rows = db.execute(text("SELECT external_id, status FROM workers WHERE external_id LIKE 'W%'"))
    return {str(r.external_id): str(r.status) for r in rows}


def test_last_months_roster_sent_again_is_refused_unless_asked(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    september = _roster(tmp_path / "9月花名册.csv", {"W1": "在岗", "W2": "在岗"})
    _import(db, september)
    again = _import(db, september)  # straight away: the newest word still, nothing changes
    assert again.counts is not None and again.counts.unchanged == 2
    _import(db, _roster(tmp_path / "10月花名册.csv", {"W1": "在岗", "W2": "离职"}))
    assert _statuses(db) == {"W1": "on_duty", "W2": "left"}

    resent = tmp_path / "青龙镇花名册.csv"  # September's, under another name
    shutil.copy(september, resent)
    with pytest.raises(Superseded) as refused:
        run_import(db.connection(), resent, ImportOptions(kind="workers", dry_run=True))
    said = str(refused.value)
    assert "之后又导入过其他网格员文件（最近一次：10月花名册.csv" in said and "--again" in said
    with pytest.raises(Superseded):
        run_import(db.connection(), resent, ImportOptions(kind="workers"))
    assert _statuses(db) == {"W1": "on_duty", "W2": "left"}  # nothing written

    _import(db, resent, again=True)  # the clerk means it: W2 is back
    assert _statuses(db) == {"W1": "on_duty", "W2": "off_duty"}
