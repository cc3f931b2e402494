"""A visits file's 走访结果: a visit that did not find the person is kept as such (trial AW S2).

A 走访台账 writes whom each visit reached (见到本人, 电话, 人户分离, 失联 …) in a 走访结果 (or
走访情况分类) column; the import stores it, an unknown word is refused by row naming the
choices, and a file without the column records every visit as 见到本人, as it always was, but
leaves the outcome of a visit already on record as it is.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.secrets import Keys
from tests.import_fixtures import csv_text
from tests.test_import_visits_same_day import PERSON, _setup

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)


def _import(db: Session, path: Path, headers: list[str], rows: list[list[str]]) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="visits", partial=True), keys=KEYS)


def _outcomes(db: Session) -> list[tuple[str, str]]:
    rows = db.execute(
        text(
            "SELECT v.visited_on::text, v.outcome FROM person_visits v"
            " JOIN persons p ON p.id = v.person_id WHERE p.name = '何树林' ORDER BY 1"
        )
    ).all()
    return [(str(d), str(o)) for d, o in rows]


def test_the_outcome_of_each_visit_is_read_in_the_words_ledgers_use(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    rows = [
        [PERSON, "2025-05-01", "王芳", "入户，本人在家", "见面"],
        [PERSON, "2025-05-02", "王芳", "打电话询问近况", "电话"],
        [PERSON, "2025-05-03", "王芳", "家中无人", "人户分离"],
        [PERSON, "2025-05-04", "王芳", "电话停机，邻居不知去向", "下落不明"],
        [PERSON, "2025-05-05", "王芳", "上门", ""],  # empty: 见到本人
        [PERSON, "2025-05-06", "王芳", "上门", "路过"],  # not a way of writing one
    ]
    headers = ["身份证号", "走访日期", "走访人", "走访情况", "走访情况分类"]
    outcome = _import(db, tmp_path / "走访记录.csv", headers, rows)
    assert outcome.committed
    assert [(p.row, p.column, p.rule) for p in outcome.problems] == [
        (
            7,
            "走访情况分类",
            "必须是以下代码或名称之一：见到本人、电话/视频联系、未见到本人（人户分离）、失联（去向不明）",
        )
    ]
    assert _outcomes(db) == [
        ("2025-05-01", "met"),
        ("2025-05-02", "contacted"),
        ("2025-05-03", "absent"),
        ("2025-05-04", "missing"),
        ("2025-05-05", "met"),
    ]


def test_a_file_without_the_column_records_visits_that_met_the_person(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    headers = ["身份证号", "走访日期", "走访人", "走访情况"]
    outcome = _import(
        db, tmp_path / "走访记录.csv", headers, [[PERSON, "2025-05-01", "王芳", "入户"]]
    )
    assert outcome.committed and not outcome.problems
    assert _outcomes(db) == [("2025-05-01", "met")]


def test_a_corrected_file_without_the_column_keeps_each_visits_outcome(
    db: Session, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    headers = ["身份证号", "走访日期", "走访人", "走访情况", "走访结果"]
    first = [[PERSON, "2025-05-03", "王芳", "家中无人", "人户分离"]]
    assert _import(db, tmp_path / "走访记录.csv", headers, first).committed
    # the clerk's corrected note, in a file of the older template (no 走访结果)
    corrected = [[PERSON, "2025-05-03", "王芳", "家中无人，邻居称已外出务工"]]
    outcome = _import(db, tmp_path / "走访记录（更正）.csv", headers[:4], corrected)
    assert outcome.committed and not outcome.problems
    assert _outcomes(db) == [("2025-05-03", "absent")]
    note = db.execute(text("SELECT note FROM person_visits")).scalar_one()
    assert note == "家中无人，邻居称已外出务工"
