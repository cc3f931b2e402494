"""A joint visit written in one row, and a correction that cannot say which visit it corrects.

A visit is a person's, on a day, by a visitor: a row naming two visitors (``王芳、张警官``) is
two visits, each linked to its worker; re-importing it changes nothing, and a name no worker
has refuses the row as it does for one visitor. A file without 走访人 corrects the visit of the
day, and is refused on a day of two visits (it would overwrite both, and count -1 unchanged).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.secrets import Keys
from tests.import_fixtures import (
    GRID,
    OTHER_VILLAGE,
    VILLAGE,
    csv_text,
    resident_id,
    seed_jurisdictions,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
PERSON = resident_id(82)
HEADERS = ["身份证号", "走访日期", "走访人", "走访情况"]
WHICH = "该人当天有 2 条走访记录（走访人不同），请填写走访人以指明更正哪一条"


def _import(
    db: Session,
    path: Path,
    headers: list[str],
    rows: list[list[str]],
    kind: str = "visits",
    within: str | None = None,
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind=kind, partial=True, within=within)
    return run_import(db.connection(), path, options, keys=KEYS)


def _setup(db: Session, tmp_path: Path) -> None:
    """The test places, two grid workers and a police officer of its grid, and one person."""
    seed_jurisdictions(db)
    workers = [
        ["SJ-01", "王芳", "13900000021", "专职网格员", GRID],
        ["SJ-02", "张警官", "13900000022", "社区民警", GRID],
        ["SJ-03", "李娜", "13900000023", "专职网格员", GRID],
    ]
    headers = ["工号", "姓名", "手机号", "岗位", "负责网格"]
    outcome = _import(db, tmp_path / "网格员.csv", headers, workers, "workers")
    assert outcome.committed and not outcome.problems
    person = [["钱树林", PERSON, "刑满释放人员", VILLAGE]]
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    outcome = _import(db, tmp_path / "人员.csv", headers, person, "persons")
    assert outcome.committed and not outcome.problems


def _visits(db: Session) -> list[tuple[str, str | None, str]]:
    rows = db.execute(
        text(
            "SELECT v.visited_on::text, w.external_id, v.note FROM person_visits v"
            " JOIN persons p ON p.id = v.person_id LEFT JOIN workers w ON w.id = v.visitor_id"
            " WHERE p.name = '钱树林' ORDER BY 1, 2"
        )
    ).all()
    return [(str(d), w, str(n)) for d, w, n in rows]


def _counts(outcome: ImportOutcome) -> tuple[int, int, int]:
    assert outcome.counts is not None
    return outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged


def test_a_row_of_two_visitors_is_a_visit_by_each(db: Session, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    rows = [
        [PERSON, "2025-06-01", "王芳、张警官", "联合走访"],
        [PERSON, "2025-06-02", "王芳,SJ-02", "联合走访"],  # a comma, and a 工号
        [PERSON, "2025-06-03", "王芳 李娜（网格员）", "两人入户"],  # a space between two names
        [PERSON, "2025-06-04", "王芳、SJ-01", "入户走访"],  # one worker twice: one visit
        [PERSON, "2025-06-05", "李　娜", "电话联系"],  # a name padded to align: one name
    ]
    path = tmp_path / "走访记录.csv"
    outcome = _import(db, path, HEADERS, rows)
    assert outcome.committed and not outcome.problems
    assert _counts(outcome) == (8, 0, 0)
    # counted once each row's visitors are known: row 4's one worker twice is one visit
    assert "3 行写了多名走访人（共同走访），每人各记一条走访记录（共 6 条）" in "".join(
        outcome.notes
    )
    assert _visits(db) == [
        ("2025-06-01", "SJ-01", "联合走访"),
        ("2025-06-01", "SJ-02", "联合走访"),
        ("2025-06-02", "SJ-01", "联合走访"),
        ("2025-06-02", "SJ-02", "联合走访"),
        ("2025-06-03", "SJ-01", "两人入户"),
        ("2025-06-03", "SJ-03", "两人入户"),
        ("2025-06-04", "SJ-01", "入户走访"),
        ("2025-06-05", "SJ-03", "电话联系"),
    ]

    again = _import(db, path, HEADERS, rows)
    assert again.committed and not again.problems
    assert _counts(again) == (0, 0, 8)

    # A corrected row corrects both visits; a row of one of its visitors corrects theirs.
    fixed = [[PERSON, "2025-06-01", "张警官、王芳", "联合走访，本人在家"]]
    fixed += [[PERSON, "2025-06-03", "李娜", "两人入户，家属在场"]]
    outcome = _import(db, path, HEADERS, fixed)
    assert outcome.committed and not outcome.problems
    assert _counts(outcome) == (0, 3, 0)
    assert _visits(db)[:2] + _visits(db)[4:6] == [
        ("2025-06-01", "SJ-01", "联合走访，本人在家"),
        ("2025-06-01", "SJ-02", "联合走访，本人在家"),
        ("2025-06-03", "SJ-01", "两人入户"),
        ("2025-06-03", "SJ-03", "两人入户，家属在场"),
    ]


def test_a_joint_visits_companion_who_is_no_worker_is_named_and_the_workers_visit_kept(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    rows = [
        [PERSON, "2025-06-01", "王芳、赵明祥", "联合走访"],  # 赵明祥 (派出所) is no worker here
        [PERSON, "2025-06-02", "王芳", "入户走访"],
        [PERSON, "2025-06-02", "李娜、王芳", "联合走访"],  # 王芳's visit of row 3 again
        [PERSON, "2025-06-03", "赵明祥、钱某某", "联合走访"],  # no worker at all: refused
    ]
    outcome = _import(db, tmp_path / "走访记录.csv", HEADERS, rows)
    unknown = (
        "没有工号或手机号为“{0}”的网格员，宁州街道（被走访人所在乡镇）也没有叫“{0}”的网格员："
        "请先导入宁州街道的网格员，或填其工号或手机号"
    )
    assert {(p.row, p.column, p.rule) for p in outcome.problems} == {
        (4, "走访日期", "与本文件第 3 行重复"),
        (5, "走访人", unknown.format("赵明祥")),
        (5, "走访人", unknown.format("钱某某")),
    }
    kept = "1 行共同走访的同行人不是本乡镇的网格员（赵明祥）：只记了其中网格员的走访"
    assert kept in outcome.notes
    # trial AL: 共 2 条 was said of a row whose companion is no worker, one visit stored
    assert not [n for n in outcome.notes if "每人各记一条走访记录" in n]
    assert _counts(outcome) == (2, 0, 0)
    assert _visits(db) == [("2025-06-01", "SJ-01", "联合走访"), ("2025-06-02", "SJ-01", "入户走访")]


def test_a_joint_visit_outside_the_import_s_jurisdiction_is_refused_once(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    neighbour = [["孙树林", resident_id(83), "刑满释放人员", OTHER_VILLAGE]]
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    assert not _import(db, tmp_path / "人员2.csv", headers, neighbour, "persons").problems
    rows = [
        [PERSON, "2025-06-01", "王芳、张警官", "联合走访"],  # 钱树林 lives in 测试社区
        [resident_id(83), "2025-06-01", "王芳、张警官", "联合走访"],
    ]
    outcome = _import(db, tmp_path / "走访记录.csv", HEADERS, rows, within=OTHER_VILLAGE)
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "身份证号")]
    assert _counts(outcome) == (2, 0, 0)
    assert _visits(db) == []


def test_a_file_without_visitors_is_refused_on_a_day_of_two_visits(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    path = tmp_path / "走访记录.csv"
    first = [
        [PERSON, "2025-06-04", "王芳", "入户走访"],
        [PERSON, "2025-06-04", "张警官", "与网格员一同入户"],
        [PERSON, "2025-06-05", "李娜", "电话联系"],
    ]
    assert not _import(db, path, HEADERS, first).problems
    headers = ["身份证号", "走访日期", "走访情况"]
    fixed = [[PERSON, "2025-06-04", "更正：本人外出务工"], [PERSON, "2025-06-05", "更正：入户"]]
    outcome = _import(db, tmp_path / "走访记录更正.csv", headers, fixed)
    assert [(p.row, p.column, p.rule) for p in outcome.problems] == [(2, "走访日期", WHICH)]
    assert _counts(outcome) == (0, 1, 0)  # never a negative count
    assert _visits(db) == [
        ("2025-06-04", "SJ-01", "入户走访"),
        ("2025-06-04", "SJ-02", "与网格员一同入户"),
        ("2025-06-05", "SJ-03", "更正：入户"),
    ]


def test_a_visitor_column_headed_走访人员_names_the_visitor(db: Session, tmp_path: Path) -> None:
    """Trial AB: a 走访人员 column was not read, and its visits went in with no visitor."""
    _setup(db, tmp_path)
    headers = ["身份证号", "走访日期", "走访人员", "走访情况"]
    outcome = _import(db, tmp_path / "走访.csv", headers, [[PERSON, "2026-11-02", "王芳", "在家"]])
    assert outcome.committed and not outcome.problems
    assert "visitor" in outcome.columns and not outcome.unused
    assert _visits(db) == [("2026-11-02", "SJ-01", "在家")]


def test_a_visit_of_the_wrong_category_names_the_persons_category(
    db: Session, tmp_path: Path
) -> None:
    """Trial AB: 「请先导入人员」 for a person on record under another category."""
    _setup(db, tmp_path)
    headers = ["身份证号", "人员类别", "走访日期", "走访人"]
    outcome = _import(
        db, tmp_path / "走访.csv", headers, [[PERSON, "吸毒人员", "2026-11-03", "王芳"]]
    )
    assert [(p.row, p.rule) for p in outcome.problems] == [
        (
            2,
            "库中此身份证号的人员为刑满释放人员，与本行的人员类别不符："
            "请核对人员类别（不要再次导入该人员）",
        )
    ]
    assert _visits(db) == []


def test_a_visitors_mobile_written_in_groups_is_one_visitor(db: Session, tmp_path: Path) -> None:
    """Trial AV: ``139 0000 0021`` was read as three visitors, none of them a worker."""
    _setup(db, tmp_path)
    rows = [
        [PERSON, "2026-11-03", "139 0000 0021", "入户"],
        [PERSON, "2026-11-04", "139-0000-0022、李娜", "联合走访"],
    ]
    outcome = _import(db, tmp_path / "走访.csv", HEADERS, rows)
    assert outcome.committed and not outcome.problems
    assert _visits(db) == [
        ("2026-11-03", "SJ-01", "入户"),
        ("2026-11-04", "SJ-02", "联合走访"),
        ("2026-11-04", "SJ-03", "联合走访"),
    ]
