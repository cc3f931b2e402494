"""A duplicate row does not hold a complete list's ending back (re-trial V, N1).

A row repeating another (a camera shared by 公安 and 综治, a person listed twice) is rejected,
but its key is read and its camera or person listed: ``--complete --partial`` still ends what
the file does not list. Only a row whose key is missing or unreadable holds it back
(``tests/test_camera_retirement.py`` has the cameras' case).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from layers import person_roster
from tests.import_fixtures import add_jurisdictions, box, seed_jurisdictions
from tests.test_import_persons_complete import (
    EAST_VILLAGE,
    JANUARY,
    TOWNSHIP,
    WEST_VILLAGE,
    _ended,
    _import,
    _person,
    _struck,
)


def _january(db: Session, tmp_path: Path) -> None:
    """The persons tests' township and January's persons (as their fixture)."""
    seed_jurisdictions(db)
    town = TOWNSHIP + "000"
    add_jurisdictions(
        db,
        [
            (town, "完整镇", 4, "530424000000", None),
            (EAST_VILLAGE, "东村", 5, town, box(103.50, 24.50, 103.52, 24.52)),
            (WEST_VILLAGE, "西村", 5, town, box(103.53, 24.50, 103.55, 24.52)),
        ],
    )
    assert _import(db, tmp_path / "一月.csv", JANUARY).committed


def test_a_person_listed_twice_does_not_hold_the_striking_off_back(
    db: Session, tmp_path: Path
) -> None:
    _january(db, tmp_path)
    march = [_person(1), _person(2), _person(2)]  # row 4 repeats row 3
    outcome = _import(  # 3 of 5 struck off: confirmed (--again; test_import_persons_held_back)
        db, tmp_path / "三月.csv", march, within=TOWNSHIP, complete=True, partial=True, again=True
    )
    assert outcome.committed and outcome.rejected_rows == 1, outcome.problems
    rules = [p.rule for p in outcome.problems if p.severity == "rejected"]
    assert len(rules) == 1 and rules[0].endswith("与本文件第 3 行重复")
    assert person_roster.INCOMPLETE_NOTE not in outcome.notes
    assert _ended(db) == {3, 4, 5}
    assert _struck(outcome)[0].startswith("名单未列，注销 3 人（社区矫正人员）：")
