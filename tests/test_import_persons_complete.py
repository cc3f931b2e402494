"""A complete list of a category ends the persons it no longer lists (trial S, finding F8).

司法局's 社区矫正 list (卫健局's 严重精神障碍 list …) is the word on who is in that category:
``--within CODE --complete`` strikes off the persons of the file's categories on the register in
CODE's area whom it does not list (名单未列, the import's day, audited with the import); a rejected
row still lists its person unless its resident ID cannot be read (then nobody is struck off).
Without ``--complete`` a note counts them; a person struck off so whom a later list names is on
the register again. The summary counts, never names nor IDs.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers import person_roster
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    VILLAGE,
    add_jurisdictions,
    bad_check_digit,
    box,
    csv_text,
    import_app,
    resident_id,
    seed_jurisdictions,
    seeded_database,
)
from tests.test_import import KEYS

TOWNSHIP = "530424191"
"""The township of these tests (no other test's persons live there)."""
EAST_VILLAGE, WEST_VILLAGE = TOWNSHIP + "001", TOWNSHIP + "002"
ROSTER = ["姓名", "身份证号", "人员类别", "所属社区", "管控级别"]
CORRECTION, MENTAL = "社区矫正人员", "严重精神障碍患者"
PEOPLE = {n: resident_id(460 + n) for n in range(1, 12)}
"""Resident IDs of the test's persons, by number."""


VILLAGES = {5: WEST_VILLAGE, 7: VILLAGE}
"""Where the persons live who do not live in 东村 (7: in another township)."""


def _person(n: int, category: str = CORRECTION, village: str | None = None) -> list[str]:
    return [f"名单{n}", PEOPLE[n], category, village or VILLAGES.get(n, EAST_VILLAGE), "一般"]


JANUARY = [*[_person(n) for n in (1, 2, 3, 4, 5)], _person(6, MENTAL), _person(7)]
"""On record before the lists: 社区矫正 1–5 in the township, 精神障碍 6, 社区矫正 7 elsewhere."""


def _import(db: Session, path: Path, rows: list[list[str]], **options: object) -> ImportOutcome:
    path.write_text(csv_text(ROSTER, rows), encoding="utf-8")
    chosen = ImportOptions(kind="persons", **options)  # type: ignore[arg-type]
    return run_import(db.connection(), path, chosen, keys=KEYS)


def _today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def _register(db: Session) -> dict[int, tuple[str | None, str | None]]:
    """Return person number → (ended_on, ended_reason) of this test's persons."""
    rows = db.execute(
        text(
            "SELECT name, ended_on::text, ended_reason FROM persons WHERE name LIKE '名单%'"
            " AND area_code >= '530424' AND area_code < '530425'"
        )
    ).all()
    return {int(name.removeprefix("名单")): (on, why) for name, on, why in rows}


def _ended(db: Session) -> set[int]:
    return {n for n, (on, _) in _register(db).items() if on is not None}


def _struck(outcome: ImportOutcome) -> list[str]:
    return [n for n in outcome.notes if n.startswith("名单未列")]


@pytest.fixture
def january(db: Session, tmp_path: Path) -> Session:
    """The test township with two villages, and January's persons imported."""
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
    outcome = _import(db, tmp_path / "一月.csv", JANUARY)
    assert outcome.committed and not outcome.problems, outcome.problems
    assert _ended(db) == set()
    return db


def test_a_complete_list_strikes_off_the_persons_of_its_categories_it_no_longer_lists(
    january: Session, tmp_path: Path
) -> None:
    db = january
    march = [_person(1), _person(2), _person(8, MENTAL)]  # 3, 4, 5 and 精神障碍 6 left
    path = tmp_path / "三月.csv"
    # 4 of the 6 on the register: confirmed (--again; test_import_persons_held_back)
    dry = _import(db, path, march, within=TOWNSHIP, complete=True, again=True, dry_run=True)
    assert _ended(db) == set()  # a dry run says it, changes nothing
    assert _struck(dry) == [
        "名单未列，注销 4 人（社区矫正人员 3 人、严重精神障碍患者 1 人）：本文件为完整镇"
        "（530424191000）这些类别人员的全部名单（--complete），库中在册而本文件未列的按今天 "
        f"{_today()} 注销；不再显示在地图上，不计入走访统计，记录保留"
    ]
    outcome = _import(db, path, march, within=TOWNSHIP, complete=True, again=True)
    assert outcome.committed and _struck(outcome) == _struck(dry)
    register = _register(db)
    assert {n: register[n] for n in (3, 4, 5, 6)} == dict.fromkeys(
        (3, 4, 5, 6), (_today(), person_roster.UNLISTED)
    )
    assert _ended(db) == {3, 4, 5, 6}  # 7 lives in another township: not this list's
    # each striking-off is audited with the import that did it (never a name nor an ID)
    audited = db.execute(
        text(
            "SELECT p.name, a.detail FROM audit_log AS a JOIN persons AS p"
            " ON a.object_type = 'person' AND a.object_id = p.id::text"
            " WHERE a.action = 'person.end' AND (a.detail->>'import_id')::bigint = :run"
        ),
        {"run": outcome.import_id},
    ).all()
    assert sorted(name for name, _ in audited) == ["名单3", "名单4", "名单5", "名单6"]
    assert {detail["reason"] for _, detail in audited} == {person_roster.UNLISTED}
    for note in outcome.notes:  # counts only
        assert not any(f"名单{n}" in note or PEOPLE[n] in note for n in PEOPLE)
    # the same list again strikes off nobody more
    again = _import(db, tmp_path / "三月b.csv", march, within=TOWNSHIP, complete=True)
    assert again.committed and _struck(again) == []


def test_a_person_struck_off_whom_a_later_list_names_is_on_the_register_again(
    january: Session, tmp_path: Path
) -> None:
    db = january
    march = [_person(1), _person(2)]  # 3 of 5 struck off: confirmed (--again)
    struck = _import(db, tmp_path / "三月.csv", march, within=TOWNSHIP, complete=True, again=True)
    assert struck.committed
    assert _ended(db) == {3, 4, 5}
    april = [_person(1), _person(2), _person(3)]  # 3 is back (a list without 在册状态)
    outcome = _import(db, tmp_path / "四月.csv", april, within=TOWNSHIP, complete=True)
    assert outcome.committed and outcome.counts is not None and outcome.counts.updated == 1
    assert "1 人此前已注销，本文件为在册：已恢复在册" in outcome.notes
    assert _register(db)[3] == (None, None) and _ended(db) == {4, 5}
    assert _struck(outcome) == []  # 4 and 5 had already left


def test_a_person_who_left_for_another_reason_stays_so_in_a_list_without_the_status(
    january: Session, tmp_path: Path
) -> None:
    db = january
    db.execute(
        text(
            "UPDATE persons SET ended_on = '2026-03-01', ended_reason = '死亡'"
            " WHERE name = '名单4' AND area_code = :v"
        ),
        {"v": EAST_VILLAGE},
    )
    outcome = _import(db, tmp_path / "四月.csv", [_person(n) for n in (1, 2, 3, 4, 5)])
    assert outcome.committed and outcome.counts is not None and outcome.counts.unchanged == 5
    assert _register(db)[4] == ("2026-03-01", "死亡")


def test_a_rejected_row_whose_id_cannot_be_read_holds_the_striking_off_back(
    january: Session, tmp_path: Path
) -> None:
    db = january
    mistyped = ["名单3", bad_check_digit(PEOPLE[3]), CORRECTION, EAST_VILLAGE, "一般"]
    march = [_person(1), _person(2), mistyped]
    outcome = _import(
        db, tmp_path / "三月.csv", march, within=TOWNSHIP, complete=True, partial=True
    )
    assert outcome.committed and outcome.rejected_rows == 1
    assert _ended(db) == set() and _struck(outcome) == []
    assert person_roster.INCOMPLETE_NOTE in outcome.notes
    counted = [n for n in outcome.notes if "不在本文件中" in n]
    assert counted == ["库中完整镇（530424191000）有在册人员 3 人不在本文件中（社区矫正人员）"]
    # an empty ID too
    empty = [_person(1), _person(2), ["名单3", "", CORRECTION, EAST_VILLAGE, "一般"]]
    outcome = _import(
        db, tmp_path / "三月b.csv", empty, within=TOWNSHIP, complete=True, partial=True
    )
    assert outcome.committed and outcome.rejected_rows == 1 and _ended(db) == set()
    assert person_roster.INCOMPLETE_NOTE in outcome.notes


def test_a_row_rejected_for_another_reason_still_lists_its_person(
    january: Session, tmp_path: Path
) -> None:
    db = january
    march = [
        _person(1),
        [*_person(2)[:4], "特级"],  # 管控级别 unknown: refused before the ID is sealed
        _person(3, village=TOWNSHIP + "009"),  # no such village: refused by the database
        _person(4, "矫正对象？"),  # its category cannot be read: listed in every category
    ]
    outcome = _import(
        db, tmp_path / "三月.csv", march, within=TOWNSHIP, complete=True, partial=True
    )
    assert outcome.committed and outcome.rejected_rows == 3, outcome.problems
    assert person_roster.INCOMPLETE_NOTE not in outcome.notes
    assert _ended(db) == {5}
    assert _struck(outcome)[0].startswith("名单未列，注销 1 人（社区矫正人员）：")


def test_without_complete_a_note_counts_the_persons_the_list_leaves_out(
    january: Session, tmp_path: Path
) -> None:
    db = january
    march = [_person(1), _person(2), _person(8, MENTAL)]
    outcome = _import(db, tmp_path / "三月.csv", march, within=TOWNSHIP)
    assert outcome.committed and _ended(db) == set() and _struck(outcome) == []
    counted = [n for n in outcome.notes if "不在本文件中" in n]
    assert counted == [
        "库中完整镇（530424191000）有在册人员 4 人不在本文件中（社区矫正人员 3 人、"
        "严重精神障碍患者 1 人）；如本文件是完整镇这些类别人员的全部名单（如司法局、卫健局的"
        "名单），已离开的可加 --within 530424191000 --complete 重新导入予以注销（记录保留）"
    ]
    # without --within: the townships its rows lie in (西村's 5 counted, 东村 only in the file)
    only_east = [_person(1), _person(2), _person(3), _person(4)]
    outcome = _import(db, tmp_path / "三月b.csv", only_east)
    counted = [n for n in outcome.notes if "不在本文件中" in n]
    assert len(counted) == 1 and counted[0].startswith(
        "库中完整镇（530424191000）有在册人员 1 人不在本文件中（社区矫正人员）；"
    )
    # a list that leaves nobody out says nothing
    whole = _import(db, tmp_path / "全部.csv", [_person(n) for n in (1, 2, 3, 4, 5)])
    assert not [n for n in whole.notes if "不在本文件中" in n]


def test_complete_is_allowed_for_persons_with_within_only(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_text(csv_text(ROSTER, JANUARY), encoding="utf-8")
    result = CliRunner().invoke(import_app(), ["import", "persons", str(path), "--complete"])
    assert result.exit_code == 2
    assert "特殊人群（persons）" in result.output and "--within" in result.output


def test_complete_on_a_file_imported_before_counts_whom_it_struck_off_as_updated(
    january: Session, tmp_path: Path
) -> None:
    """Re-trial S, N5: the persons struck off are records the import changed."""
    from importers.summary import earlier_note
    from layers.import_runs import recent_runs

    db = january
    march = [_person(1), _person(2), _person(8, MENTAL)]  # 3, 4, 5 and 6 left
    path = tmp_path / "三月.csv"
    first = _import(db, path, march, within=TOWNSHIP)
    assert first.committed and first.counts is not None and first.counts.updated == 0
    dry = _import(db, path, march, within=TOWNSHIP, complete=True, again=True, dry_run=True)
    assert dry.counts is not None and (dry.counts.inserted, dry.counts.updated) == (0, 4)
    outcome = _import(db, path, march, within=TOWNSHIP, complete=True, again=True)
    assert outcome.committed and outcome.counts is not None
    assert (outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged) == (0, 4, 3)
    assert _struck(outcome)[0].startswith("名单未列，注销 4 人（社区矫正人员 3 人、严重精神障碍")
    runs = {run.id: run for run in recent_runs(db.connection(), limit=5, kind="persons")}
    assert runs[outcome.import_id].rows_loaded == 4  # zongzhi imports: 写入 4
    said = earlier_note(runs[first.import_id], outcome)
    assert said.endswith("，本次更新 4 行") and "没有改变任何记录" not in said


COUNTY = "530427"
"""A county of its own (no other test's persons): the whole county's count is this test's."""


def test_without_complete_the_note_names_the_townships_it_counted_and_what_complete_would_end(
    db: Session, tmp_path: Path
) -> None:
    """Re-trial S, N3: the note counted the rows' townships but named the county."""
    seed_jurisdictions(db)
    county = COUNTY + "000000"
    towns = {n: f"{COUNTY}{n:03d}000" for n in (1, 2, 3)}
    add_jurisdictions(
        db,
        [
            (county, "比对县", 3, "530400000000", None),
            *[(code, f"比对{n}镇", 4, county, None) for n, code in towns.items()],
            *[(code[:9] + "001", f"比对{n}村", 5, code, None) for n, code in towns.items()],
        ],
    )
    village = {n: code[:9] + "001" for n, code in towns.items()}
    on_record = [_person(n, village=village[1 + n % 3]) for n in (1, 2, 3, 4, 5, 6)]
    assert _import(db, tmp_path / "一月.csv", on_record).committed
    # 1 and 4 in 比对2镇, 2 and 5 in 比对3镇, 3 and 6 in 比对1镇; the list has 1 and 2 only
    outcome = _import(db, tmp_path / "三月.csv", [on_record[0], on_record[1]])
    counted = [n for n in outcome.notes if "不在本文件中" in n]
    assert counted == [
        "库中比对2镇、比对3镇（本文件各行所在的乡镇）有在册人员 2 人不在本文件中（社区矫正人员）；"
        "如本文件是比对县该类人员的全部名单（如司法局、卫健局的名单），已离开的可加 --within "
        "530427000000 --complete 重新导入予以注销：将注销比对县（530427000000）在册而本文件未列的"
        " 4 人（记录保留）"
    ]
    dry = _import(
        db,
        tmp_path / "三月.csv",
        [on_record[0], on_record[1]],
        within=COUNTY,
        complete=True,
        again=True,  # 4 of 6: confirmed
        dry_run=True,
    )
    assert _struck(dry)[0].startswith("名单未列，注销 4 人")


def test_the_persons_struck_off_are_listed_masked_in_a_private_file_beside_the_report(
    january: Session, tmp_path: Path
) -> None:
    """Re-trial S, N8: after --complete the data officer could not see whom it struck off."""
    import csv
    import stat

    from importers.private_report import struck_off_path, write_struck_off

    db = january
    march = [_person(1), _person(2), _person(8, MENTAL)]  # 3, 4, 5 and 6 struck off
    path = tmp_path / "三月.csv"
    report = tmp_path / "报告" / "三月.csv.rejects.xlsx"
    assert struck_off_path(report) == tmp_path / "报告" / "三月.csv.名单未列注销.csv"
    dry = _import(db, path, march, within=TOWNSHIP, complete=True, again=True, dry_run=True)
    written = write_struck_off(report, dry.notes, dry_run=True)
    assert written == struck_off_path(report, dry_run=True) != struck_off_path(report)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    with written.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines == [
        ["姓名（已遮盖）", "人员类别", "所在村（社区）", "处理"],
        ["名**", CORRECTION, "东村", "试运行：将注销（名单未列）"],
        ["名**", CORRECTION, "东村", "试运行：将注销（名单未列）"],
        ["名**", MENTAL, "东村", "试运行：将注销（名单未列）"],
        ["名**", CORRECTION, "西村", "试运行：将注销（名单未列）"],
    ]
    text = written.read_text(encoding="utf-8-sig")
    assert not any(f"名单{n}" in text or PEOPLE[n] in text for n in PEOPLE)
    outcome = _import(db, path, march, within=TOWNSHIP, complete=True, again=True)
    written = write_struck_off(report, outcome.notes, dry_run=False)
    assert written is not None
    assert {
        line.split(",")[-1].strip()
        for line in written.read_text("utf-8-sig").split("\n")[1:]
        if line
    } == {"注销（名单未列）"}
    # a dry run after the import leaves the import's list as it is
    write_struck_off(report, dry.notes, dry_run=True)
    assert "试运行" not in written.read_text("utf-8-sig")
    # a list that strikes off nobody writes none
    again = _import(db, tmp_path / "三月b.csv", march, within=TOWNSHIP, complete=True)
    assert write_struck_off(tmp_path / "别处" / "x.xlsx", again.notes, dry_run=False) is None


def test_the_command_line_says_what_complete_changed_and_names_the_private_list(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """Re-trial S, N5 and N8 at the command line: no `没有改变任何记录`, 写入 counted, a list."""
    import stat

    with seeded_database(database, "zz_roster_cli") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        runner = CliRunner()
        roster = tmp_path / "名单.csv"
        people = [_person(n, village=VILLAGE) for n in (1, 2, 3)]
        roster.write_text(csv_text(ROSTER, people), encoding="utf-8")
        assert (
            runner.invoke(import_app(), ["import", "persons", str(roster)], env=env).exit_code == 0
        )
        roster.write_text(csv_text(ROSTER, people[:1]), encoding="utf-8")
        args = ["import", "persons", str(roster)]
        assert runner.invoke(import_app(), args, env=env).exit_code == 0
        complete = [*args, "--within", "530424", "--complete", "--again"]  # 2 of 3: confirmed
        shown = runner.invoke(import_app(), complete, env=env)
        assert shown.exit_code == 0, shown.output
        assert "名单未列，注销 2 人（社区矫正人员）" in shown.output
        assert "没有改变任何记录" not in shown.output and "本次更新 2 行" in shown.output
        listed = tmp_path / "名单.csv.名单未列注销.csv"
        assert f"名单未列注销的人员（姓名已遮盖，仅本账户可读）：{listed}" in shown.output
        assert stat.S_IMODE(listed.stat().st_mode) == 0o600
        assert listed.read_text(encoding="utf-8-sig").count("注销（名单未列）") == 2
        wide = {**env, "COLUMNS": "200"}  # a column each (trial AL N7: stacked when narrow)
        imports = runner.invoke(import_app(), ["imports", "--kind", "persons"], env=wide)
        assert imports.exit_code == 0, imports.output
        latest = next(line for line in imports.output.splitlines() if line.split()[:1] == ["3"])
        assert latest.split()[5:9] == ["已导入", "1", "2", "0"]  # 行数 1, 写入 2, 退回 0
        assert "名单2" not in shown.output  # never a name in the terminal
