"""Two visits of one person on one day: a 网格员's and a 民警's on a joint visit are two.

A visit is a person's, on a day, by a visitor. Re-importing a file changes nothing; the same
visit twice in a file (the visitor written by name once and by 工号 once) is refused.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.secrets import Keys
from tests.import_fixtures import GRID, VILLAGE, csv_text, resident_id, seed_jurisdictions

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
PERSON = resident_id(81)
HEADERS = ["身份证号", "走访日期", "走访人", "走访情况"]


def _import(
    db: Session, path: Path, headers: list[str], rows: list[list[str]], kind: str = "visits"
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind=kind, partial=True), keys=KEYS)


def _setup(db: Session, tmp_path: Path) -> None:
    """The test places, a grid worker and a police officer of its grid, and one person."""
    seed_jurisdictions(db)
    workers = [
        ["SV-01", "王芳", "13900000011", "专职网格员", GRID],
        ["SV-02", "张警官", "13900000012", "社区民警", GRID],
    ]
    outcome = _import(
        db,
        tmp_path / "网格员.csv",
        ["工号", "姓名", "手机号", "岗位", "负责网格"],
        workers,
        "workers",
    )
    assert outcome.committed and not outcome.problems
    person = [["何树林", PERSON, "刑满释放人员", VILLAGE]]
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    outcome = _import(db, tmp_path / "人员.csv", headers, person, "persons")
    assert outcome.committed and not outcome.problems


def _visits(db: Session) -> list[tuple[str, str | None, str]]:
    rows = db.execute(
        text(
            "SELECT v.visited_on::text, w.external_id, v.note FROM person_visits v"
            " JOIN persons p ON p.id = v.person_id LEFT JOIN workers w ON w.id = v.visitor_id"
            " WHERE p.name = '何树林' ORDER BY 1, 2"
        )
    ).all()
    return [(str(d), w, str(n)) for d, w, n in rows]


def test_two_visitors_of_one_day_are_two_visits_and_a_reimport_changes_nothing(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    rows = [
        [PERSON, "2025-05-01", "王芳", "入户走访"],
        [PERSON, "2025-05-01", "张警官", "联合走访"],  # the 民警 of the joint visit
        [PERSON, "2025-05-01", "王芳（网格员）", "入户走访"],  # 王芳's visit again
        [PERSON, "2025-05-01", "SV-02", "联合走访"],  # 张警官 by his 工号: his visit again
        [PERSON, "2025-05-02", "", "电话联系"],  # no visitor written
    ]
    path = tmp_path / "走访记录.csv"
    outcome = _import(db, path, HEADERS, rows)
    assert outcome.committed
    assert {(p.row, p.column): p.rule for p in outcome.problems} == {
        (4, "走访日期"): "与本文件第 2 行重复",
        (5, "走访日期"): "与本文件第 3 行重复",
    }
    assert outcome.counts is not None and outcome.counts.inserted == 3
    assert _visits(db) == [
        ("2025-05-01", "SV-01", "入户走访"),
        ("2025-05-01", "SV-02", "联合走访"),
        ("2025-05-02", None, "电话联系"),
    ]

    again = _import(db, path, HEADERS, rows)
    assert again.counts is not None
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 3)

    # A corrected file corrects the visit it names: the person's, that day's, that visitor's.
    rows[1][3] = "联合走访，本人在家"
    fixed = _import(db, path, HEADERS, rows[:2])
    assert fixed.counts is not None and (fixed.counts.inserted, fixed.counts.updated) == (0, 1)
    assert _visits(db)[:2] == [
        ("2025-05-01", "SV-01", "入户走访"),
        ("2025-05-01", "SV-02", "联合走访，本人在家"),
    ]


def test_a_file_without_visitors_corrects_the_visit_of_the_day(db: Session, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    path = tmp_path / "走访记录.csv"
    first = _import(db, path, HEADERS, [[PERSON, "2025-05-02", "王芳", "电话联系"]])
    assert first.committed and not first.problems
    headers = ["身份证号", "走访日期", "走访情况"]
    rows = [[PERSON, "2025-05-02", "电话联系，本人在外务工"], [PERSON, "2025-05-02", "入户"]]
    outcome = _import(db, path, headers, rows)
    assert [(p.row, p.rule) for p in outcome.problems] == [(3, "与本文件第 2 行重复")]
    assert outcome.counts is not None and (outcome.counts.inserted, outcome.counts.updated) == (
        0,
        1,
    )
    assert _visits(db) == [("2025-05-02", "SV-01", "电话联系，本人在外务工")]
