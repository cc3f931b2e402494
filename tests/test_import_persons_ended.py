"""Persons who leave the register: a 司法所 roster's 解除矫正, 死亡, 迁出 … and who come back.

A roster's 在册状态 (矫正状态, 人员状态 …) and 注销日期 (解矫日期 …) set ``persons.ended_on`` and
``ended_reason``; a later 在册 clears them; a roster without those columns, or an empty cell,
says nothing of them. The summary counts who left (by reason), who returned, and who came in
already struck off.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.kinds.persons import register_rule
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from importers.vocabulary import ALIASES, RegisterStatus, codes_of
from tests.import_fixtures import VILLAGE, csv_text, resident_id, seed_jurisdictions
from tests.test_import import KEYS

ROSTER = ["姓名", "身份证号", "人员类别", "所属社区"]
STATUS_ROSTER = [*ROSTER, "矫正状态", "解矫日期"]
PEOPLE = {n: resident_id(400 + n) for n in range(1, 7)}
"""Resident IDs of the roster's people, by number."""
_LEFT_OUT = "不在本文件中"
"""In the note counting the persons a roster leaves out (tests/test_import_persons_complete.py)."""


def _import(
    db: Session,
    path: Path,
    headers: list[str],
    rows: list[list[str]],
    *,
    partial: bool = False,
    mapping: Path | None = None,
    fixed: dict[str, str] | None = None,
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind="persons", partial=partial, mapping=mapping, fixed=fixed or {})
    return run_import(db.connection(), path, options, keys=KEYS)


def _person(n: int, *extra: str) -> list[str]:
    return [f"人员{n}", PEOPLE[n], "社区矫正人员", VILLAGE, *extra]


def _register(db: Session) -> dict[str, tuple[str | None, str | None]]:
    rows = db.execute(
        text(
            "SELECT name, ended_on::text, ended_reason FROM persons"
            " WHERE name LIKE '人员%' ORDER BY name"
        )
    ).all()
    return {name: (ended_on, reason) for name, ended_on, reason in rows}


def _today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def _on_file(db: Session, tmp_path: Path) -> None:
    """Persons 1–4, imported from a roster that says nothing of the register."""
    seed_jurisdictions(db)
    outcome = _import(db, tmp_path / "花名册.csv", ROSTER, [_person(n) for n in range(1, 5)])
    assert outcome.committed and outcome.counts is not None and outcome.counts.inserted == 4


def test_a_roster_says_who_left_when_and_why_and_counts_them(db: Session, tmp_path: Path) -> None:
    _on_file(db, tmp_path)
    rows = [
        _person(1, "解除矫正", "2026-03-01"),  # the roster's day
        _person(2, "死亡", ""),  # no day: the day of the import
        _person(3, "在矫", "2026-02-01"),  # still followed: a date says nothing then
        _person(4, " 解 矫 ", "2026年3月5日"),  # as written, spaces dropped
        _person(5, "迁出", "2026-02-01"),  # not on file: stored as history, counted apart
    ]
    outcome = _import(db, tmp_path / "司法所花名册.csv", STATUS_ROSTER, rows)
    assert outcome.committed and not outcome.problems, outcome.problems
    assert outcome.columns["register"] == "矫正状态" and outcome.columns["ended_on"] == "解矫日期"
    assert _register(db) == {
        "人员1": ("2026-03-01", "解除矫正"),
        "人员2": (_today(), "死亡"),
        "人员3": (None, None),
        "人员4": ("2026-03-05", "解矫"),
        "人员5": ("2026-02-01", "迁出"),
    }
    assert [n for n in outcome.notes if "注销" in n] == [
        "3 人注销（死亡 1 人、解矫 1 人、解除矫正 1 人）：不再显示在地图上，不计入走访统计，"
        "走访记录保留",
        "另有 1 人库中原无记录、本文件即为注销（迁出 1 人）：作为历史记录导入，不显示在地图上",
        "其中 1 人没有注销日期，注销日期记为导入当天",  # 人员2's 死亡
    ]
    assert outcome.counts is not None
    assert (outcome.counts.inserted, outcome.counts.updated) == (1, 3)


def test_the_same_roster_again_changes_nothing_and_keeps_the_day_a_person_left(
    db: Session, tmp_path: Path
) -> None:
    _on_file(db, tmp_path)
    rows = [_person(1, "解除矫正", "2026-03-01"), _person(2, "死亡", "")]
    assert _import(db, tmp_path / "三月.csv", STATUS_ROSTER, rows).committed
    # imported on an earlier day: an undated 死亡 keeps that day, it is not moved to today's
    db.execute(text("UPDATE persons SET ended_on = '2026-03-10' WHERE name = '人员2'"))
    again = _import(db, tmp_path / "三月.csv", STATUS_ROSTER, rows)
    assert again.committed and again.counts is not None
    assert (again.counts.updated, again.counts.unchanged) == (0, 2)
    assert not [n for n in again.notes if "注销" in n and _LEFT_OUT not in n]
    assert _register(db)["人员2"] == ("2026-03-10", "死亡")


def test_a_roster_without_the_columns_or_with_an_empty_cell_keeps_who_left(
    db: Session, tmp_path: Path
) -> None:
    _on_file(db, tmp_path)
    rows = [_person(1, "解除矫正", "2026-03-01"), _person(2, "死亡", "2026-03-02")]
    assert _import(db, tmp_path / "三月.csv", STATUS_ROSTER, rows).committed
    before = _register(db)
    assert before["人员1"] == ("2026-03-01", "解除矫正") and before["人员2"][1] == "死亡"
    # next month's roster of the township, without a status column: it corrects a name only
    plain = [_person(n) for n in (1, 2)]
    outcome = _import(db, tmp_path / "四月.csv", ROSTER, plain)
    assert outcome.committed and outcome.counts is not None and outcome.counts.unchanged == 2
    assert _register(db) == before
    # a status column whose cells are empty for them says nothing either
    empty = [_person(1, "", ""), _person(2, "", ""), _person(3, "在册", "")]
    outcome = _import(db, tmp_path / "五月.csv", STATUS_ROSTER, empty)
    assert outcome.committed and not outcome.problems, outcome.problems
    assert _register(db) == before


def test_a_later_roster_saying_on_the_register_brings_a_person_back(
    db: Session, tmp_path: Path
) -> None:
    _on_file(db, tmp_path)
    rows = [_person(1, "收监执行", "2026-03-01"), _person(2, "迁出", "2026-03-01")]
    assert _import(db, tmp_path / "三月.csv", STATUS_ROSTER, rows).committed
    back = [_person(1, "在册", ""), _person(2, "迁出", "2026-03-01")]
    outcome = _import(db, tmp_path / "四月.csv", STATUS_ROSTER, back)
    assert outcome.committed and outcome.counts is not None and outcome.counts.updated == 1
    assert _register(db)["人员1"] == (None, None) and _register(db)["人员2"][1] == "迁出"
    said = [n for n in outcome.notes if "注销" in n and _LEFT_OUT not in n]
    assert said == ["1 人此前已注销，本文件为在册：已恢复在册"]


def test_an_unknown_status_or_a_date_without_one_is_refused_on_its_row(
    db: Session, tmp_path: Path
) -> None:
    _on_file(db, tmp_path)
    rows = [
        _person(1, "外地服刑", ""),
        _person(2, "", "2026-03-01"),
        _person(3, "死亡", "2099-01-01"),
        _person(4, "期满解除", "2026-03-01"),
    ]
    outcome = _import(db, tmp_path / "司法所.csv", STATUS_ROSTER, rows, partial=True)
    found = {(p.row, p.column, p.value): p.rule for p in outcome.problems}
    assert found == {
        (2, "矫正状态", "外地服刑"): register_rule("外地服刑"),
        (3, "解矫日期", "2026-03-01"): (
            "填了解矫日期，但矫正状态为空：请写明在册，或注销的原因（如解除矫正、死亡、迁出）；"
            "整个文件都已注销的，可用 --set 矫正状态=解除矫正 之类给出"
        ),
        (4, "解矫日期", "2099-01-01"): "是将来的时间，请检查年份和日期",
    }
    rule = found[(2, "矫正状态", "外地服刑")]
    assert "解除矫正" in rule and "死亡" in rule and "迁出" in rule and "注销" in rule
    # the line a clerk may copy decides nothing: 在册 or 注销 is the clerk's to say (trial X)
    assert '[values."在册状态"]' in rule and '"外地服刑" = "…"' in rule
    assert _register(db)["人员4"] == ("2026-03-01", "期满解除")  # the valid row loaded
    assert _register(db)["人员1"] == (None, None)


def test_a_mapping_file_names_a_rosters_own_word(db: Session, tmp_path: Path) -> None:
    _on_file(db, tmp_path)
    mapping = tmp_path / "对照.toml"
    mapping.write_text('[values."在册状态"]\n"外地服刑" = "注销"\n', encoding="utf-8")
    rows = [_person(1, "外地服刑", "2026-03-01")]
    outcome = _import(db, tmp_path / "司法所.csv", STATUS_ROSTER, rows, mapping=mapping)
    assert outcome.committed and not outcome.problems, outcome.problems
    assert _register(db)["人员1"] == ("2026-03-01", "外地服刑")


def test_a_whole_list_of_those_who_left_by_set_and_the_person_status_header(
    db: Session, tmp_path: Path
) -> None:
    """解矫人员名单 has only 解矫日期: --set gives the status; 人员状态 is a roster's 在册状态."""
    _on_file(db, tmp_path)
    headers = [*ROSTER, "解矫日期"]
    outcome = _import(
        db,
        tmp_path / "解矫人员名单.csv",
        headers,
        [_person(1, "2026-03-01")],
        fixed={"register": "解除矫正"},
    )
    assert outcome.committed and not outcome.problems, outcome.problems
    assert _register(db)["人员1"] == ("2026-03-01", "解除矫正")
    outcome = _import(db, tmp_path / "人员.csv", [*ROSTER, "人员状态"], [_person(1, "在管")])
    assert outcome.columns["register"] == "人员状态" and "人员状态" not in outcome.unused
    assert _register(db)["人员1"] == (None, None)


def test_a_visit_of_a_person_who_left_is_imported_and_kept(db: Session, tmp_path: Path) -> None:
    _on_file(db, tmp_path)
    rows = [_person(1, "解除矫正", "2026-03-01")]
    assert _import(db, tmp_path / "司法所.csv", STATUS_ROSTER, rows).committed
    path = tmp_path / "走访记录.csv"
    visits = [[PEOPLE[1], "社区矫正人员", "2026-02-20"], [PEOPLE[1], "社区矫正人员", "2026-03-02"]]
    path.write_text(csv_text(["身份证号", "人员类别", "走访日期"], visits), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="visits"), keys=KEYS)
    assert outcome.committed and not outcome.problems, outcome.problems
    kept = db.execute(
        text(
            "SELECT count(*) FROM person_visits v JOIN persons p ON p.id = v.person_id"
            " WHERE p.name = '人员1' AND p.ended_on IS NOT NULL"
        )
    ).scalar_one()
    assert kept == 2


def test_every_word_a_refusal_names_is_accepted() -> None:
    named = (
        "在册 在矫 在管 正常 外出 失联 解除矫正 解矫 矫正期满 终止矫正 收监执行 解除帮教 "
        "死亡 迁出 撤销 注销"
    )
    for word in named.split():
        assert word in register_rule("某"), word
    codes = codes_of(pd.Series(named.split()), RegisterStatus)
    assert codes.notna().all(), codes
    assert set(ALIASES[RegisterStatus].values()) == set(RegisterStatus)


def test_a_health_centres_roster_says_it_with_管理状态(db: Session, tmp_path: Path) -> None:
    """A 精神障碍 roster: 管理状态, 状态变更日期; 失访 is a patient to find, not to strike off."""
    _on_file(db, tmp_path)
    headers = [*ROSTER, "管理状态", "状态变更日期"]
    rows = [
        _person(1, "死亡注销", "2026-10-08"),
        _person(2, "失访", "2026-10-09"),
        _person(3, "已解除", "2026-10-10"),
        _person(4, "在管", ""),
    ]
    outcome = _import(db, tmp_path / "严重精神障碍患者名册.csv", headers, rows)
    assert outcome.committed and not outcome.problems, outcome.problems
    assert outcome.columns["register"] == "管理状态"
    assert outcome.columns["ended_on"] == "状态变更日期"
    assert _register(db) == {
        "人员1": ("2026-10-08", "死亡注销"),
        "人员2": (None, None),
        "人员3": ("2026-10-10", "已解除"),
        "人员4": (None, None),
    }
