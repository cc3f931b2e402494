"""A file of visits imported for a jurisdiction finds its persons inside it only (trial AJ S3).

A township's 走访记录 dry run told, of any resident ID, the village the person lives in (with
its code: ``人员属于宁州街道复安社区（530424001001），不在 盘溪镇…范围内``) and their category
(``库中此身份证号的人员为刑满释放人员，与本行的人员类别不符``), and audited nothing under the
person. Now a row whose ID is on record outside ``--within`` is refused with one reason that
names neither, audited under the record it met; a row of another category is told the
categories on record inside the scope only.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.model import PersonCategory
from layers.person_lookalikes import ELSEWHERE_ROW, REFUSED_ACTION
from tests.import_fixtures import VILLAGE, add_jurisdictions, box, csv_text, seed_jurisdictions
from tests.test_import import KEYS

HOME = "530424100"
"""The importing township (宁州街道 of the fixtures)."""
AWAY_TOWN, AWAY_VILLAGE = "530424186000", "530424186001"
"""Another township (守访镇) and its village (访东村): out of the scope."""
DISPATCHER = "dispatcher.530424100"
AWAY = make_resident_id("530424", date(1973, 11, 7), 485, "M")
"""胡访东's ID: a 刑满释放人员 of 访东村."""
LEFT = make_resident_id("530424", date(1982, 1, 30), 486, "F")
"""周访西's ID: a 刑满释放人员 of 访东村 who left the register."""
HERE = make_resident_id("530424", date(1979, 9, 9), 487, "M")
"""孙访本's ID: a 刑满释放人员 of 测试社区, inside the scope."""
VISITS = ["身份证号", "人员类别", "走访日期", "走访情况"]
PLACES = ("守访镇", "访东村", AWAY_VILLAGE, AWAY_TOWN[:9], "范围")


def _import(
    db: Session, path: Path, headers: list[str], rows: list[list[str]], kind: str, **options: object
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    chosen = ImportOptions(kind=kind, **options)  # type: ignore[arg-type]
    return run_import(db.connection(), path, chosen, keys=KEYS)


def _on_record(db: Session, tmp_path: Path) -> dict[str, int]:
    """访东村 of 守访镇 with its two persons, and 孙访本 of 测试社区, imported by the county."""
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (AWAY_TOWN, "守访镇", 4, "530424000000", None),
            (AWAY_VILLAGE, "访东村", 5, AWAY_TOWN, box(103.70, 24.70, 103.72, 24.72)),
        ],
    )
    headers = ["姓名", "身份证号", "人员类别", "所属社区", "在册状态", "注销日期"]
    rows = [
        ["胡访东", AWAY, "刑满释放人员", AWAY_VILLAGE, "在册", ""],
        ["周访西", LEFT, "刑满释放人员", AWAY_VILLAGE, "迁出", "2025-02-01"],
        ["孙访本", HERE, "刑满释放人员", VILLAGE, "在册", ""],
    ]
    county = _import(db, tmp_path / "县名单.csv", headers, rows, "persons")
    assert county.committed and not county.problems, county.problems
    found = db.execute(text("SELECT name, id FROM persons WHERE name LIKE '%访%'")).all()
    return {str(name): int(person_id) for name, person_id in found}


def _visited(db: Session, persons: dict[str, int]) -> list[int]:
    """The persons of this test who have visits."""
    found = db.execute(
        text("SELECT DISTINCT person_id FROM person_visits WHERE person_id = ANY(:ids)"),
        {"ids": list(persons.values())},
    )
    return [int(person_id) for person_id in found.scalars()]


def _said(outcome: ImportOutcome) -> str:
    return "\n".join([*map(str, outcome.notes), *(p.rule for p in outcome.problems)])


def _refused_rows(db: Session, person_id: int) -> list[tuple[str, int, bool]]:
    rows = db.execute(
        text(
            "SELECT actor_name, detail::text FROM audit_log WHERE action = :action"
            " AND object_type = 'person' AND object_id = :id AND outcome = 'denied' ORDER BY id"
        ),
        {"action": REFUSED_ACTION, "id": str(person_id)},
    ).all()
    return [
        (r.actor_name, json.loads(r.detail)["row"], json.loads(r.detail)["dry_run"]) for r in rows
    ]


def test_a_visits_dry_run_tells_neither_the_village_nor_the_category_of_an_id_elsewhere(
    db: Session, tmp_path: Path
) -> None:
    persons = _on_record(db, tmp_path)
    rows = [
        [AWAY, "", "2026-12-01", "入户走访"],
        [AWAY, "吸毒人员", "2026-12-01", "入户走访"],
        [HERE, "刑满释放人员", "2026-12-01", "入户走访"],
    ]
    outcome = _import(
        db, tmp_path / "visitsA.csv", VISITS, rows, "visits", within=HOME, user=DISPATCHER,
        dry_run=True,
    )  # fmt: skip
    assert [(p.row, p.column, p.rule) for p in outcome.problems] == [
        (2, "身份证号", ELSEWHERE_ROW),
        (3, "身份证号", ELSEWHERE_ROW),
    ]
    said = _said(outcome)
    labels = PersonCategory.labels().values()
    assert not [word for word in (*labels, *PLACES) if word in said], said
    assert outcome.valid_counts is not None and outcome.valid_counts.inserted == 1  # 孙访本's
    assert _refused_rows(db, persons["胡访东"]) == [(DISPATCHER, 2, True), (DISPATCHER, 3, True)]
    assert _visited(db, persons) == []  # a dry run


def test_a_visit_of_another_category_is_told_the_categories_inside_the_scope_only(
    db: Session, tmp_path: Path
) -> None:
    """周访西 left 访东村's register as a 刑满释放人员: a 吸毒人员 visit finds nobody here."""
    persons = _on_record(db, tmp_path)
    rows = [[LEFT, "吸毒人员", "2026-12-02", "电话联系"], [HERE, "吸毒人员", "2026-12-02", "在家"]]
    outcome = _import(
        db, tmp_path / "visitsB.csv", VISITS, rows, "visits", within=HOME, user=DISPATCHER,
        partial=True,
    )  # fmt: skip
    rules = {p.row: p.rule for p in outcome.problems}
    assert rules[2] == "数据库中没有此身份证号的人员（请先导入人员）"
    assert rules[3].startswith("库中此身份证号的人员为刑满释放人员")  # 孙访本 is the scope's
    assert _refused_rows(db, persons["周访西"]) == []  # an ended record of another category


def test_a_visit_inside_the_scope_loads_beside_a_refused_one(db: Session, tmp_path: Path) -> None:
    persons = _on_record(db, tmp_path)
    rows = [
        [AWAY, "刑满释放人员", "2026-12-03", "入户"],
        [HERE, "刑满释放人员", "2026-12-03", "入户"],
    ]
    outcome = _import(
        db, tmp_path / "visitsC.csv", VISITS, rows, "visits", within=HOME, user=DISPATCHER,
        partial=True,
    )  # fmt: skip
    assert outcome.committed and outcome.counts is not None and outcome.counts.inserted == 1
    assert [(p.row, p.rule) for p in outcome.problems] == [(2, ELSEWHERE_ROW)]
    assert _visited(db, persons) == [persons["孙访本"]]
    assert _refused_rows(db, persons["胡访东"]) == [(DISPATCHER, 2, False)]
