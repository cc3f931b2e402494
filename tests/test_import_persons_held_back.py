"""A ``--complete`` list of persons that would strike off many of its area's waits for ``--again``.

Striking off a special-population person takes them off the visit lists: nobody visits them any
more. A 司法所's list of one township imported with its county's ``--within`` and ``--complete``
struck off every other township's persons of its categories, and a truncated export half the
register. Now, as for cameras (:func:`layers.complete_list.unconfirmed`), a list that would strike
off half the persons on the register of its area and categories or more (or more than 50 and a
third), or that has no rows in half its area's townships with such persons or more, strikes off
nobody: its rows load, a red line says how many of how many it would strike off in each township
(those the file has no rows in first) and that ``--complete --again`` confirms it, no list of
persons struck off is written, and the command exits 1; a dry run says the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.loading import HeldBack
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.person_roster import StruckOffNote
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    add_jurisdictions,
    csv_text,
    import_app,
    resident_id,
    seed_jurisdictions,
    seeded_database,
)
from tests.test_import import KEYS

COUNTY = "530426"
"""A county of its own: no other test's persons live there."""
TOWNS = {"城关镇": COUNTY + "101", "青龙镇": COUNTY + "102", "盘溪镇": COUNTY + "103"}
"""The county's townships (9-digit prefixes), each with one village (``…001``)."""
ROSTER = ["姓名", "身份证号", "人员类别", "所属社区", "管控级别"]
CORRECTION = "社区矫正人员"
HOME = dict.fromkeys(range(1, 7), "城关镇") | {7: "青龙镇", 8: "青龙镇", 9: "盘溪镇", 10: "盘溪镇"}
"""Where each person lives: six in 城关镇, two in 青龙镇, two in 盘溪镇."""


def _person(n: int) -> list[str]:
    return [f"守门{n}", resident_id(480 + n), CORRECTION, TOWNS[HOME[n]] + "001", "一般"]


def _jurisdictions() -> list[tuple[str, str, int, str | None, str | None]]:
    county = COUNTY + "000000"
    return [
        (county, "守门县", 3, "530400000000", None),
        *[(code + "000", name, 4, county, None) for name, code in TOWNS.items()],
        *[(code + "001", f"{name[:2]}村", 5, code + "000", None) for name, code in TOWNS.items()],
    ]


def _import(db: Session, path: Path, people: list[int], **options: object) -> ImportOutcome:
    path.write_text(csv_text(ROSTER, [_person(n) for n in people]), encoding="utf-8")
    chosen = ImportOptions(kind="persons", **options)  # type: ignore[arg-type]
    return run_import(db.connection(), path, chosen, keys=KEYS)


def _ended(db: Session) -> set[int]:
    """Return the numbers of this test's persons struck off the register."""
    rows = db.execute(
        text(
            "SELECT name FROM persons WHERE ended_on IS NOT NULL"
            " AND area_code >= :lo AND area_code < :hi"
        ),
        {"lo": COUNTY, "hi": str(int(COUNTY) + 1)},
    ).scalars()
    return {int(name.removeprefix("守门")) for name in rows}


def _held(outcome: ImportOutcome) -> list[str]:
    return [note for note in outcome.notes if isinstance(note, HeldBack)]


def _struck(outcome: ImportOutcome) -> list[str]:
    return [note for note in outcome.notes if isinstance(note, StruckOffNote)]


@pytest.fixture
def county(db: Session, tmp_path: Path) -> Session:
    """The county's three townships, and its ten 社区矫正 persons on the register."""
    seed_jurisdictions(db)
    add_jurisdictions(db, _jurisdictions())
    outcome = _import(db, tmp_path / "一月.csv", list(HOME))
    assert outcome.committed and not outcome.problems, outcome.problems
    return db


HELD_BACK_TOWNSHIP_LIST = (
    "--complete 未注销任何人员：本文件未列守门县（530426000000）在册该类人员 10 人中的 4 人"
    "（40%），可能只是一部分名单（如一个乡镇的名单、截断的导出）：文件中没有 青龙镇 的人员，"
    "将注销在册 2 人中的 2 人；文件中没有 盘溪镇 的人员，将注销在册 2 人中的 2 人。"
    "请核对；如本文件确是守门县该类人员的全部名单，加 --complete --again 重新导入即予注销"
    "（加 --dry-run 可先列出将注销的人员）"
)


def test_a_township_list_imported_for_its_county_strikes_off_nobody_until_confirmed(
    county: Session, tmp_path: Path
) -> None:
    """城关镇's 司法所 list with the county's ``--within``: 青龙镇's and 盘溪镇's would go."""
    db = county
    path = tmp_path / "城关司法所.csv"
    dry = _import(db, path, [1, 2, 3, 4, 5, 6], within=COUNTY, complete=True, dry_run=True)
    outcome = _import(db, path, [1, 2, 3, 4, 5, 6], within=COUNTY, complete=True)
    assert outcome.committed and outcome.counts is not None
    assert (outcome.counts.updated, outcome.counts.unchanged) == (0, 6)  # the rows load
    assert _ended(db) == set()
    assert _held(outcome) == _held(dry) == [HELD_BACK_TOWNSHIP_LIST]
    assert _struck(outcome) == _struck(dry) == []  # no list of persons struck off
    left = [note for note in outcome.notes if "未注销的" in note]
    assert left == ["文件未列、未注销的守门县（530426000000）在册人员 4 人（社区矫正人员）"]
    for note in outcome.notes:  # counts only: never a name nor an ID
        assert not any(f"守门{n}" in note or resident_id(480 + n) in note for n in HOME)
    # the clerk whose file is the whole county's list after all confirms it
    confirmed = _import(db, path, [1, 2, 3, 4, 5, 6], within=COUNTY, complete=True, again=True)
    assert confirmed.committed and _held(confirmed) == []
    assert _struck(confirmed)[0].startswith("名单未列，注销 4 人（社区矫正人员）")
    assert _ended(db) == {7, 8, 9, 10}


def test_a_truncated_list_strikes_off_nobody_and_an_ordinary_month_goes_through(
    county: Session, tmp_path: Path
) -> None:
    """Half a township's register left out is held back; a third of it is struck off."""
    db = county
    town = TOWNS["城关镇"]
    half = _import(db, tmp_path / "截断.csv", [1, 2, 3], within=town, complete=True)
    assert half.committed and _ended(db) == set() and _struck(half) == []
    assert _held(half) == [
        "--complete 未注销任何人员：本文件未列城关镇（530426101000）在册该类人员 6 人中的 3 人"
        "（50%），可能只是一部分名单（如一个乡镇的名单、截断的导出）：城关镇将注销在册 6 人中的"
        " 3 人。请核对；如本文件确是城关镇该类人员的全部名单，加 --complete --again 重新导入"
        "即予注销（加 --dry-run 可先列出将注销的人员）"
    ]
    month = _import(db, tmp_path / "三月.csv", [1, 2, 3, 4], within=town, complete=True)
    assert month.committed and _held(month) == []
    assert _struck(month)[0].startswith("名单未列，注销 2 人（社区矫正人员）")
    assert _ended(db) == {5, 6}


def test_a_held_back_striking_off_exits_1_writes_no_list_and_again_confirms_it(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """At the command line: the red line, exit 1 (dry run too), no private list; ``--again``."""
    home = {"ZONGZHI_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    roster = tmp_path / "名单.csv"
    listed = tmp_path / "名单.csv.名单未列注销.csv"
    tried = tmp_path / "名单.csv.名单未列注销.试运行.csv"
    with seeded_database(database, "zz_persons_held_back") as (engine, url):
        with Session(engine) as session, session.begin():
            add_jurisdictions(session, _jurisdictions())
        env = {**home, "ZONGZHI_DATABASE_URL": url}
        runner = CliRunner()
        roster.write_text(csv_text(ROSTER, [_person(n) for n in HOME]), encoding="utf-8")
        first = runner.invoke(import_app(), ["import", "persons", str(roster)], env=env)
        assert first.exit_code == 0, first.output
        township = [_person(n) for n in (1, 2, 3, 4, 5, 6)]
        roster.write_text(csv_text(ROSTER, township), encoding="utf-8")
        args = ["import", "persons", str(roster), "--within", COUNTY, "--complete"]
        for result in (
            runner.invoke(import_app(), [*args, "--dry-run"], env=env),
            runner.invoke(import_app(), args, env=env),
        ):
            assert result.exit_code == 1, result.output
            said = " ".join(result.output.split())
            assert "--complete 未注销任何人员" in said and "文件中没有 青龙镇 的人员" in said
            assert "--complete --again" in said and "名单未列注销的人员" not in said
        assert not listed.exists() and not tried.exists()
        confirmed = runner.invoke(import_app(), [*args, "--again"], env=env)
        assert confirmed.exit_code == 0, confirmed.output
        assert "名单未列，注销 4 人（社区矫正人员）" in " ".join(confirmed.output.split())
        assert listed.read_text(encoding="utf-8-sig").count("注销（名单未列）") == 4
        assert "守门7" not in confirmed.output  # never a name in the terminal


def test_one_truncated_category_of_two_strikes_off_nobody_until_confirmed(
    county: Session, tmp_path: Path
) -> None:
    """Two offices' lists in one file: 10 of 10 社区矫正, 1 of 4 吸毒人员 (3 of 14 in all)."""
    db = county
    drug = {11: "城关镇", 12: "城关镇", 13: "青龙镇", 14: "盘溪镇"}

    def rows(drug_listed: list[int]) -> list[list[str]]:
        users = [
            [f"守门{n}", resident_id(480 + n), "吸毒人员", TOWNS[drug[n]] + "001", "一般"]
            for n in drug_listed
        ]
        return [*(_person(n) for n in HOME), *users]

    path = tmp_path / "两局名单.csv"
    path.write_text(csv_text(ROSTER, rows(list(drug))), encoding="utf-8")
    assert run_import(db.connection(), path, ImportOptions(kind="persons"), keys=KEYS).committed
    path.write_text(csv_text(ROSTER, rows([11])), encoding="utf-8")
    options = ImportOptions(kind="persons", within=COUNTY, complete=True)
    outcome = run_import(db.connection(), path, options, keys=KEYS)
    assert outcome.committed and _ended(db) == set() and _struck(outcome) == []
    (held,) = _held(outcome)
    assert "本文件未列守门县（530426000000）在册这些类别人员 14 人中的 3 人（21%）" in held
    assert "；其中吸毒人员将注销在册 4 人中的 3 人（75%）。请核对" in held
    options = ImportOptions(kind="persons", within=COUNTY, complete=True, again=True)
    confirmed = run_import(db.connection(), path, options, keys=KEYS)
    assert confirmed.committed and _held(confirmed) == []
    assert _ended(db) == {12, 13, 14}
