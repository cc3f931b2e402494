"""A row whose place lies outside the import's jurisdiction is told so, not asked for more.

With ``--within``, a community two other townships share is refused as outside the
jurisdiction (not "fill in the township"), and a county of another prefecture (``通海县``) or
a name the database lacks is not answered "import the jurisdictions first".
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from tests.import_fixtures import add_jurisdictions, csv_text
from tests.test_import_places_more import seed_shared_names

QINGLONG = "530424103000"
OUTSIDE = f"不在 青龙镇（{QINGLONG}）范围内（--within）"


def test_places_outside_the_jurisdiction_are_refused_as_outside(
    db: Session, tmp_path: Path
) -> None:
    seed_shared_names(db)  # 新复社区 in 宁州街道 and in 盘溪镇, each with 新复第1网格
    add_jurisdictions(db, [(QINGLONG, "青龙镇", 4, "530424000000", None)])
    rows = [
        ["S1", "甲", "新复社区", "新复第1网格"],
        ["S2", "乙", "通海县", ""],
        ["S3", "丙", "无此村", ""],
        ["S4", "丁", "", "新复第1网格"],
    ]
    path = tmp_path / "网格员.csv"
    path.write_text(csv_text(["工号", "姓名", "所属社区", "所属网格"], rows), encoding="utf-8")
    options = ImportOptions(kind="workers", within=QINGLONG, dry_run=True)
    outcome = run_import(db.connection(), path, options)
    rules = {p.row: p.rule for p in outcome.problems}
    assert set(rules) == {2, 3, 4, 5}, rules
    assert rules[2].startswith("“新复社区”有 2 处：") and rules[2].endswith(f"均{OUTSIDE}")
    assert rules[3] == f"“通海县”指云南省玉溪市通海县（530423000000），{OUTSIDE}"
    assert rules[4] == "数据库中没有名为“无此村”的村（社区）或乡镇：请核对名称，或写 12 位区划代码"
    assert rules[5].startswith("“新复第1网格”有 2 处：") and rules[5].endswith(f"均{OUTSIDE}")
    assert not [r for r in rules.values() if "请填写" in r or "先导入" in r], rules


def test_without_a_jurisdiction_the_advice_stays(db: Session, tmp_path: Path) -> None:
    seed_shared_names(db)
    path = tmp_path / "网格员.csv"
    rows = [["S1", "甲", "新复社区"], ["S2", "乙", "无此村"]]
    path.write_text(csv_text(["工号", "姓名", "所属社区"], rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers", dry_run=True))
    rules = {p.row: p.rule for p in outcome.problems}
    assert "请填写所属乡镇（街道）或 12 位区划代码" in rules[2]
    assert rules[3].endswith("请写 12 位区划代码，或先导入辖区")
