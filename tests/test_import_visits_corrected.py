"""A corrected visits file corrects who made a visit; it does not add a second visit.

A clerk imports the month's 走访台账 with 张伟 for 张薇, corrects the cell and imports the file
again: the visit the first import recorded is now 张薇's (one visit, audited), not two. A joint
visit corrected to other visitors comes out as their visits. A visit of the worker app, a visit
that says something else, a day of a refused row and a visit several imports might have made
are never corrected. A dry run says the same and writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.secrets import Keys
from tests.import_fixtures import GRID, VILLAGE, csv_text, resident_id, seed_jurisdictions

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
PERSON = resident_id(111)
HEADERS = ["身份证号", "走访日期", "走访人", "走访情况"]
WORKERS = {"SC-01": "王芳", "SC-02": "张伟", "SC-03": "张薇", "SC-04": "李四", "SC-05": "李娜"}


def _import(
    db: Session,
    path: Path,
    rows: list[list[str]],
    *,
    kind: str = "visits",
    headers: list[str] = HEADERS,
    dry_run: bool = False,
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind=kind, partial=True, dry_run=dry_run, user="clerk")
    return run_import(db.connection(), path, options, keys=KEYS)


def _setup(db: Session, tmp_path: Path) -> None:
    """The test places, five grid workers of its grid, and one person."""
    seed_jurisdictions(db)
    workers = [[no, name, f"1390000{no[-2:]}11", "网格员", GRID] for no, name in WORKERS.items()]
    headers = ["工号", "姓名", "手机号", "岗位", "负责网格"]
    outcome = _import(db, tmp_path / "网格员.csv", workers, kind="workers", headers=headers)
    assert outcome.committed and not outcome.problems
    person = [["孙立新", PERSON, "刑满释放人员", VILLAGE]]
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    outcome = _import(db, tmp_path / "人员.csv", person, kind="persons", headers=headers)
    assert outcome.committed and not outcome.problems


def _visits(db: Session) -> list[tuple[str, str | None, str]]:
    """The person's visits: day, visitor's 工号, note."""
    rows = db.execute(
        text(
            "SELECT v.visited_on::text, w.external_id, v.note FROM person_visits v"
            " JOIN persons p ON p.id = v.person_id LEFT JOIN workers w ON w.id = v.visitor_id"
            " WHERE p.name = '孙立新' ORDER BY 1, 2"
        )
    ).all()
    return [(str(d), w, str(n)) for d, w, n in rows]


def _counts(outcome: ImportOutcome) -> tuple[int, int, int]:
    assert outcome.counts is not None
    return outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged


def _corrections(outcome: ImportOutcome) -> list[str]:
    return [n for n in outcome.notes if n.startswith("更正走访人")]


def _audited(db: Session, import_id: int | None) -> list[tuple[str, str, dict[str, object]]]:
    """The audit entries of the visits an import corrected: action, visit id, detail."""
    rows = db.execute(
        text(
            "SELECT action, object_id, detail FROM audit_log WHERE object_type = 'person_visit'"
            " AND (detail->>'import_id')::bigint = :run ORDER BY id"
        ),
        {"run": import_id},
    ).all()
    return [(str(a), str(o), dict(d)) for a, o, d in rows]


def _worker_id(db: Session, external_id: str) -> int:
    found = db.execute(text("SELECT id FROM workers WHERE external_id = :e"), {"e": external_id})
    return int(found.scalar_one())


def test_a_corrected_visitor_corrects_the_visit_and_the_audit_says_so(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    path = tmp_path / "走访台账.csv"
    rows = [[PERSON, "2025-06-01", "张伟", "入户走访"], [PERSON, "2025-06-02", "王芳", "电话联系"]]
    first = _import(db, path, rows)
    assert first.committed and not first.problems and _counts(first) == (2, 0, 0)
    wrong = db.execute(
        text("SELECT id, import_id FROM person_visits WHERE visitor_id = :w"),
        {"w": _worker_id(db, "SC-02")},
    ).one()
    assert wrong.import_id == first.import_id  # the import that recorded it

    rows[0][2] = "张薇"
    fixed = _import(db, path, rows)
    assert fixed.committed and not fixed.problems
    assert _counts(fixed) == (0, 1, 1)
    assert _corrections(fixed) == ["更正走访人 1 条：张伟 → 张薇（第 2 行，孙**，2025-06-01）"]
    assert _visits(db) == [("2025-06-01", "SC-03", "入户走访"), ("2025-06-02", "SC-01", "电话联系")]
    kept = db.execute(
        text("SELECT id, import_id FROM person_visits WHERE visitor_id = :w"),
        {"w": _worker_id(db, "SC-03")},
    ).one()
    assert tuple(kept) == tuple(wrong)  # the same visit, made by the same import
    entries = _audited(db, fixed.import_id)
    assert entries == [
        (
            "visit.correct",
            str(wrong.id),
            {
                "import_id": fixed.import_id,
                "file": "走访台账.csv",
                "visitor_before": _worker_id(db, "SC-02"),
                "visitor_after": _worker_id(db, "SC-03"),
            },
        )
    ]
    said = json.dumps(entries, ensure_ascii=False)
    assert "孙" not in said and PERSON not in said  # no personal data

    again = _import(db, path, rows)
    assert again.committed and _counts(again) == (0, 0, 2) and not _corrections(again)


def test_a_dry_run_says_the_same_and_writes_nothing(db: Session, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    path = tmp_path / "走访台账.csv"
    first = _import(db, path, [[PERSON, "2025-06-01", "张伟", "入户走访"]])
    assert first.committed and not first.problems
    trial = _import(db, path, [[PERSON, "2025-06-01", "张薇", "入户走访"]], dry_run=True)
    assert trial.status == "dry-run" and not trial.committed
    assert _counts(trial) == (0, 1, 0)
    assert _corrections(trial) == ["更正走访人 1 条：张伟 → 张薇（第 2 行，孙**，2025-06-01）"]
    assert _visits(db) == [("2025-06-01", "SC-02", "入户走访")]
    written = db.execute(
        text(
            "SELECT count(*) FROM audit_log AS a JOIN person_visits AS v"
            " ON a.object_id = v.id::text AND a.object_type = 'person_visit'"
            " JOIN persons AS p ON p.id = v.person_id WHERE p.name = '孙立新'"
        )
    ).scalar_one()
    assert written == 0


def test_a_joint_visit_corrected_to_other_visitors_is_their_visits(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    path = tmp_path / "走访台账.csv"
    rows = [
        [PERSON, "2025-06-01", "张伟、李四", "联合走访"],
        [PERSON, "2025-06-02", "王芳、张伟", "联合走访"],
        [PERSON, "2025-06-03", "张伟、李四", "联合走访"],
        [PERSON, "2025-06-04", "张伟", "入户走访"],
    ]
    first = _import(db, path, rows)
    assert first.committed and not first.problems and _counts(first) == (7, 0, 0)
    rows[0][2] = "张薇、李娜"  # two other visitors
    rows[1][2] = "王芳、张薇"  # one of two
    rows[2][2] = "张薇"  # 李四 was not there
    rows[3][2] = "张薇、李娜"  # 李娜 was there too
    fixed = _import(db, path, rows)
    assert fixed.committed and not fixed.problems
    assert _counts(fixed) == (1, 5, 1)
    assert _corrections(fixed) == [
        "更正走访人 6 条：张伟、李四 → 张薇、李娜（第 2 行，孙**，2025-06-01）；"
        "张伟 → 张薇（第 3 行，孙**，2025-06-02）；张伟、李四 → 张薇（第 4 行，孙**，2025-06-03）；"
        "张伟 → 张薇、李娜（第 5 行，孙**，2025-06-04）；其中 1 条删除（走访人少了）"
    ]
    assert _visits(db) == [
        ("2025-06-01", "SC-03", "联合走访"),
        ("2025-06-01", "SC-05", "联合走访"),
        ("2025-06-02", "SC-01", "联合走访"),
        ("2025-06-02", "SC-03", "联合走访"),
        ("2025-06-03", "SC-03", "联合走访"),
        ("2025-06-04", "SC-03", "入户走访"),
        ("2025-06-04", "SC-05", "入户走访"),
    ]
    actions = [action for action, _, _ in _audited(db, fixed.import_id)]
    assert sorted(actions) == ["visit.correct"] * 5 + ["visit.delete"]

    again = _import(db, path, rows)
    assert again.committed and _counts(again) == (0, 0, 7) and not _corrections(again)


def test_visits_of_the_app_and_visits_that_say_something_else_are_not_corrected(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    db.execute(  # a visit recorded in the worker app: no import
        text(
            "INSERT INTO person_visits (person_id, area_code, visited_on, visitor_id, note)"
            " SELECT p.id, p.area_code, DATE '2025-06-05', :w, '入户走访' FROM persons p"
            " WHERE p.name = '孙立新'"
        ),
        {"w": _worker_id(db, "SC-02")},
    )
    path = tmp_path / "走访台账.csv"
    assert not _import(db, path, [[PERSON, "2025-06-06", "张伟", "入户走访"]]).problems
    rows = [[PERSON, "2025-06-05", "张薇", "入户走访"], [PERSON, "2025-06-06", "张薇", "电话联系"]]
    outcome = _import(db, path, rows)
    assert outcome.committed and not outcome.problems
    assert _counts(outcome) == (2, 0, 0) and not _corrections(outcome)
    assert _visits(db) == [
        ("2025-06-05", "SC-02", "入户走访"),
        ("2025-06-05", "SC-03", "入户走访"),
        ("2025-06-06", "SC-02", "入户走访"),
        ("2025-06-06", "SC-03", "电话联系"),
    ]


def test_a_day_with_a_refused_row_or_of_several_imports_is_not_corrected(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    first = [[PERSON, "2025-06-07", "张伟", "入户走访"], [PERSON, "2025-06-08", "张伟", "入户走访"]]
    assert not _import(db, tmp_path / "六月上.csv", first).problems
    joint = [[PERSON, "2025-06-08", "张伟、李四", "入户走访"]]  # 李四's visit, another import
    assert not _import(db, tmp_path / "六月补.csv", joint).problems
    rows = [
        [PERSON, "2025-06-07", "张薇", "入户走访"],
        [PERSON, "2025-06-07", "赵某某", "入户走访"],  # refused: no such worker
        [PERSON, "2025-06-08", "张薇", "入户走访"],  # 张伟's visit, or 李四's?
    ]
    outcome = _import(db, tmp_path / "六月上（改）.csv", rows)
    assert [(p.row, p.column) for p in outcome.problems] == [(3, "走访人")]
    assert _counts(outcome) == (2, 0, 0) and not _corrections(outcome)
    undecided = (
        "第 4 行的走访人不在库中该人当天的走访里，库中该人当天另有几次导入都记了内容相同的走访，"
        "无法确定更正哪一条：已作为新的走访记录"
    )
    assert undecided in outcome.notes
    assert _visits(db) == [
        ("2025-06-07", "SC-02", "入户走访"),
        ("2025-06-07", "SC-03", "入户走访"),
        ("2025-06-08", "SC-02", "入户走访"),
        ("2025-06-08", "SC-03", "入户走访"),
        ("2025-06-08", "SC-04", "入户走访"),
    ]
