"""A special-population file's reject report masks who the rows are about and is private."""

from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from importers.private_report import write_private_report
from tests.import_fixtures import VILLAGE, csv_text, resident_id, seed_jurisdictions
from tests.test_import import KEYS

HEADERS = ["姓名", "身份证号", "人员类别", "所属社区", "现住址", "罪名", "管理等级"]


def test_a_persons_report_masks_names_addresses_and_free_text(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    long_name = "欧阳" + "长" * 60
    rows = [
        [long_name, resident_id(481), "刑满释放人员", VILLAGE, "文庙路8号", "盗窃罪", ""],
        ["王五", resident_id(482), "刑满释放人员", VILLAGE, "", "盗" * 120, ""],
        ["赵六", resident_id(483), "刑满释放人员", VILLAGE, "", "", "9"],
    ]
    path = tmp_path / "社区矫正.csv"
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="persons"), keys=KEYS)
    columns = {p.column for p in outcome.problems}
    assert {"姓名", "罪名", "管理等级"} <= columns, outcome.problems
    report = tmp_path / "报告" / "退回.csv"
    report.parent.mkdir()
    report.write_text("an earlier report\n")
    report.chmod(0o644)
    write_private_report(report, "persons", outcome.columns, outcome.problems)
    written = pd.read_csv(report, dtype=str, encoding="utf-8-sig").fillna("")
    text = report.read_text(encoding="utf-8-sig")
    assert long_name not in text and "盗" * 120 not in text
    by_column = dict(zip(written["列"], written["值"], strict=True))
    assert by_column["姓名"] == "欧" + "*" * (len(long_name) - 1)
    assert by_column["罪名"].startswith("盗*")
    assert by_column["管理等级"] == "9"  # what to correct, and no one's
    assert stat.S_IMODE(report.stat().st_mode) == 0o600


def test_a_report_of_other_kinds_copies_values_as_written(tmp_path: Path) -> None:
    from importers.rules import Problem

    report = tmp_path / "网格.csv"
    problems = [Problem(2, "网格名称", "红坪村第一网格", "与库中网格重名")]
    write_private_report(report, "grids", {"name": "网格名称"}, problems)
    assert "红坪村第一网格" in report.read_text(encoding="utf-8-sig")
