"""A roster's rejected row still lists its worker: they are not "not in this roster"."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from tests.import_fixtures import GRID, csv_text, seed_jurisdictions

ROSTER = ["工号", "姓名", "手机号", "所属网格", "在岗状态"]
UNLISTED = "不在此花名册中"


def _roster(
    db: Session, path: Path, rows: list[list[str]], *, dry_run: bool = False, partial: bool = False
) -> ImportOutcome:
    path.write_text(csv_text(ROSTER, rows), encoding="utf-8")
    chosen = ImportOptions(kind="workers", user="网格办", dry_run=dry_run, partial=partial)
    return run_import(db.connection(), path, chosen)


def test_a_worker_whose_row_was_rejected_is_not_named_missing(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    path = tmp_path / "花名册.csv"
    september = [
        ["RJ-1", "韩一", "13900001001", GRID, "在岗"],
        ["RJ-2", "韩二", "13900001002", GRID, "在岗"],
        ["", "韩三", "13900001003", GRID, "在岗"],
        ["RJ-4", "韩四", "13900001004", GRID, "在岗"],
    ]
    loaded = _roster(db, path, september)
    assert loaded.committed, loaded.problems
    # October: 韩二 and 韩三 are listed with a 10-digit phone (rejected); 韩四 is left out.
    october = [
        september[0],
        ["RJ-2", "韩二", "1390000100", GRID, "在岗"],
        ["", "韩三", "1390000100", GRID, "在岗"],
    ]
    for dry_run in (True, False):  # a dry run, then a --partial import
        outcome = _roster(db, path, october, dry_run=dry_run, partial=not dry_run)
        assert {p.row for p in outcome.problems if p.severity == "rejected"} == {3, 4}
        missing = [n for n in outcome.notes if UNLISTED in n]
        assert missing == [
            f"本文件所涉村（社区）的 1 名网格员{UNLISTED}：韩四（RJ-4）；"
            "如已离职，请在状态列填写离职后重新导入"
        ], outcome.notes
