"""A roster imported for a jurisdiction looks persons up by resident ID inside it only (trial AJ).

S1: a township dispatcher's one-row roster with another township's resident ID updated that
person (moved them into his township, renamed them), and nothing was audited under the person.
S2: its dry run told the category of any ID (``身份证号与他人重合：…已作为刑满释放人员在册``,
``更新 1`` against ``新增 1``) and confirmed a guessed name. Now a row whose ID is on record
outside ``--within`` (live in any category, or in the row's category even ended) is refused with
the one reason the registration form gives, the same in a dry run and an import, whatever the
category and the name, and audited under the record it met (``person.import.refused``). A
county's import without ``--within`` is as before.
"""

from __future__ import annotations

import json
from datetime import date
from itertools import product
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.model import PersonCategory
from layers.person_lookalikes import ELSEWHERE_ROW, REFUSED_ACTION
from tests.import_fixtures import (
    OTHER_VILLAGE,
    VILLAGE,
    add_jurisdictions,
    box,
    csv_text,
    seed_jurisdictions,
)
from tests.test_import import KEYS

HOME = "530424100"
"""The importing township (宁州街道 of the fixtures: 测试社区, 邻村)."""
AWAY_TOWN, AWAY_VILLAGE = "530424185000", "530424185001"
"""Another township of the county (守界镇) and its village (界东村): out of the scope."""
HEADERS = ["姓名", "身份证号", "人员类别", "所属社区"]
REGISTER_HEADERS = [*HEADERS, "在册状态", "注销日期"]
DISPATCHER = "dispatcher.530424100"
RELEASED, DRUGS, MENTAL, CORRECTION = "刑满释放人员", "吸毒人员", "严重精神障碍患者", "社区矫正人员"
TAKEN = make_resident_id("530424", date(1991, 5, 27), 493, "M")
"""郑界东's ID: a 刑满释放人员 of 界东村."""
ENDED = make_resident_id("530424", date(1972, 3, 14), 494, "F")
"""钱界西's ID: a 社区矫正人员 of 界东村 who left the register."""
FREE = make_resident_id("530424", date(1990, 7, 9), 495, "M")
"""Nobody's ID."""
PLACES = ("守界镇", "界东村", AWAY_TOWN[:9], "宁州街道")
"""Words that would tell where the record on file lies."""


def _import(
    db: Session,
    path: Path,
    rows: list[list[str]],
    headers: list[str] = HEADERS,
    **options: object,
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    chosen = ImportOptions(kind="persons", **options)  # type: ignore[arg-type]
    return run_import(db.connection(), path, chosen, keys=KEYS)


def _on_record(db: Session, tmp_path: Path) -> dict[str, int]:
    """The fixtures' places, 守界镇 with 界东村, and its two persons imported by the county."""
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (AWAY_TOWN, "守界镇", 4, "530424000000", None),
            (AWAY_VILLAGE, "界东村", 5, AWAY_TOWN, box(103.60, 24.60, 103.62, 24.62)),
        ],
    )
    rows = [
        ["郑界东", TAKEN, RELEASED, AWAY_VILLAGE, "在册", ""],
        ["钱界西", ENDED, CORRECTION, AWAY_VILLAGE, "解除矫正", "2025-03-01"],
    ]
    county = _import(db, tmp_path / "县名单.csv", rows, REGISTER_HEADERS)
    assert county.committed and not county.problems, county.problems
    return {
        name: int(person_id)
        for name, person_id in db.execute(
            text("SELECT name, id FROM persons WHERE name IN ('郑界东', '钱界西')")
        ).all()
    }


def _person(db: Session, person_id: int) -> tuple[str, str, str, str | None]:
    row = db.execute(
        text("SELECT name, area_code, category, ended_on::text FROM persons WHERE id = :id"),
        {"id": person_id},
    ).one()
    return str(row.name), str(row.area_code), str(row.category), row.ended_on


def _refusals(db: Session, person_id: int) -> list[tuple[str, str, str, dict[str, object]]]:
    """The audit entries of rows refused under ``person_id``: actor, outcome, reason, detail."""
    rows = db.execute(
        text(
            "SELECT actor_name, outcome, reason, detail::text FROM audit_log"
            " WHERE action = :action AND object_type = 'person' AND object_id = :id ORDER BY id"
        ),
        {"action": REFUSED_ACTION, "id": str(person_id)},
    ).all()
    return [(r.actor_name, r.outcome, r.reason, json.loads(r.detail)) for r in rows]


def _said(outcome: ImportOutcome) -> list[str]:
    """Everything the import tells the clerk: its notes and its reasons."""
    return [*map(str, outcome.notes), *(p.rule for p in outcome.problems)]


def test_a_township_roster_does_not_take_over_another_township_s_person(
    db: Session, tmp_path: Path
) -> None:
    """S1: 王界五 with 郑界东's ID and category, placed in 测试社区: refused, audited, untouched."""
    persons = _on_record(db, tmp_path)
    taken = persons["郑界东"]
    before = _person(db, taken)
    row = ["王界五", TAKEN, RELEASED, VILLAGE]
    outcome = _import(db, tmp_path / "rosterB.csv", [row], within=HOME, user=DISPATCHER)
    assert not outcome.committed and outcome.counts is None
    assert [(p.row, p.column, p.rule) for p in outcome.problems] == [(2, "身份证号", ELSEWHERE_ROW)]
    # neutral, as the registration form's (trial AW M7): not that the ID is on record elsewhere,
    # only whom to ask, the county, which may 注销（迁出） and register (trial AW M2)
    assert "请联系县综治中心" in ELSEWHERE_ROW and "其他" not in ELSEWHERE_ROW
    assert _person(db, taken) == before == ("郑界东", AWAY_VILLAGE, "released", None)
    assert db.scalar(text("SELECT count(*) FROM persons WHERE name = '王界五'")) == 0
    ((actor, result, reason, detail),) = _refusals(db, taken)
    assert (actor, result, reason) == (DISPATCHER, "denied", ELSEWHERE_ROW)
    assert detail["row"] == 2 and detail["kind"] == "persons" and detail["dry_run"] is False
    assert TAKEN not in json.dumps(detail, ensure_ascii=False)

    # --partial: the file's other rows load; the row met elsewhere never does
    rows = [row, ["孙本镇", FREE, DRUGS, VILLAGE]]
    loaded = _import(db, tmp_path / "rosterC.csv", rows, within=HOME, user=DISPATCHER, partial=True)
    assert loaded.committed and loaded.counts is not None
    assert (loaded.counts.inserted, loaded.counts.updated) == (1, 0)
    assert [(p.row, p.rule) for p in loaded.problems] == [(2, ELSEWHERE_ROW)]
    assert _person(db, taken) == before
    entries = _refusals(db, taken)
    assert len(entries) == 2 and entries[1][3]["import_id"] == loaded.import_id


def test_an_ended_record_of_the_row_s_category_elsewhere_is_neither_revived_nor_moved(
    db: Session, tmp_path: Path
) -> None:
    """The unique key (category, ID) holds ended records too: the upsert would move them."""
    persons = _on_record(db, tmp_path)
    ended = persons["钱界西"]
    before = _person(db, ended)
    assert before[3] == "2025-03-01"
    rows = [
        ["钱界西", ENDED, CORRECTION, VILLAGE, "在册", ""],  # the ended record's key
        ["钱界西", ENDED, DRUGS, VILLAGE, "在册", ""],  # an ended record of another category
    ]
    outcome = _import(
        db, tmp_path / "矫正.csv", rows, REGISTER_HEADERS, within=HOME, user=DISPATCHER,
        partial=True,
    )  # fmt: skip
    assert [(p.row, p.rule) for p in outcome.problems] == [(2, ELSEWHERE_ROW)]
    assert outcome.counts is not None and outcome.counts.inserted == 1  # as the form allows
    assert _person(db, ended) == before
    assert [e[3]["row"] for e in _refusals(db, ended)] == [2]


def test_a_dry_run_says_the_same_whatever_the_category_and_the_name(
    db: Session, tmp_path: Path
) -> None:
    """S2: neither 更新 against 新增, nor 身份证号与他人重合, nor the name confirmed."""
    taken = _on_record(db, tmp_path)["郑界东"]
    before = _person(db, taken)
    told = set()
    tries = list(product([RELEASED, DRUGS, MENTAL, CORRECTION], ["郑界东", "王界五"]))
    for n, (category, name) in enumerate(tries):
        path = tmp_path / f"试运行{n}.csv"
        outcome = _import(
            db, path, [[name, TAKEN, category, VILLAGE]], within=HOME, user=DISPATCHER,
            dry_run=True,
        )  # fmt: skip
        problems = tuple((p.row, p.column, p.rule) for p in outcome.problems)
        told.add((problems, outcome.counts, outcome.valid_counts, tuple(map(str, outcome.notes))))
        said = "\n".join(_said(outcome))
        labels = PersonCategory.labels().values()
        assert not [word for word in (*labels, *PLACES, "重合", "姓名与") if word in said], said
    assert len(told) == 1, told
    ((problems, _, valid, _),) = told
    assert problems == ((2, "身份证号", ELSEWHERE_ROW),)
    assert valid is not None and (valid.inserted, valid.updated) == (0, 0)
    assert _person(db, taken) == before
    entries = _refusals(db, taken)
    assert len(entries) == len(tries)
    assert {(e[0], e[1], e[3]["dry_run"], e[3]["import_id"]) for e in entries} == {
        (DISPATCHER, "denied", True, None)
    }


def test_the_notes_compare_with_the_persons_inside_the_scope_only(
    db: Session, tmp_path: Path
) -> None:
    """疑似同一人 of 邻村's namesake is not said to 测试社区; 身份证号与他人重合 within it is."""
    seed_jurisdictions(db)
    wrong = make_resident_id("530424", date(1986, 4, 12), 496, "M")  # typed 12 for 21
    right = make_resident_id("530424", date(1986, 4, 21), 496, "M")
    shared = make_resident_id("530424", date(1966, 10, 2), 497, "F")
    first = [["界似一", wrong, RELEASED, OTHER_VILLAGE], ["界似二", shared, RELEASED, VILLAGE]]
    assert not _import(db, tmp_path / "县.csv", first).problems
    rows = [["界似一", right, RELEASED, VILLAGE], ["界似三", shared, DRUGS, VILLAGE]]
    outcome = _import(db, tmp_path / "村.csv", rows, within=VILLAGE, dry_run=True)
    assert not outcome.problems, outcome.problems
    assert not [n for n in outcome.notes if "疑似" in n]  # 邻村 is outside 测试社区
    assert [n for n in outcome.notes if "重合" in n] == [  # 测试社区's own record: seen there
        "身份证号与他人重合：第 3 行的公民身份号码已作为刑满释放人员在册，姓名与本行不同，"
        "一个身份证号只属于一人，请核对"
    ]
    township = _import(db, tmp_path / "镇.csv", rows, within=HOME, dry_run=True)
    assert [n for n in township.notes if "疑似" in n] == [
        "疑似同一人：第 2 行与库中记录姓名相同、身份证号仅差 2 位，请核对"
    ]


def test_without_a_scope_the_county_s_import_is_as_before(db: Session, tmp_path: Path) -> None:
    """The county's clerk on the server, no --within: the roster updates whom it names."""
    taken = _on_record(db, tmp_path)["郑界东"]
    outcome = _import(db, tmp_path / "县更正.csv", [["郑界东", TAKEN, RELEASED, VILLAGE]])
    assert outcome.committed and not outcome.problems
    assert outcome.counts is not None and outcome.counts.updated == 1
    assert _person(db, taken)[:2] == ("郑界东", VILLAGE)
    assert _refusals(db, taken) == []
    county = _import(
        db, tmp_path / "县更正2.csv", [["郑界东", TAKEN, RELEASED, AWAY_VILLAGE]], within="530424"
    )
    assert county.committed and not county.problems  # the county's scope holds both places
    assert _person(db, taken)[:2] == ("郑界东", AWAY_VILLAGE)
