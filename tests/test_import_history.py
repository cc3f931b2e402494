"""History imports of cases: open rows told in the summary, ``--history``, carried ledger rows.

A township's 2023 ledger or a city's 2023–2024 12345 export brought into a live platform must
not turn its rows still marked open into today's overdue work: the summary counts the open
cases an import puts into the queues (and how many are old or overdue), and ``--history``
stores them as concluded history. A ledger row carried into next month's sheet with a retyped
排查方式 keeps its generated number and finds its case whatever the channel.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.kinds.cases import ENDED_CLOSED_RULE
from importers.mapping import MappingError
from importers.pipeline import ImportOptions, ImportOutcome, check_file, run_import
from layers import cases, command, live
from layers.model.accounts import Role
from layers.workflow import OPEN_STATES, Actor
from tests.conftest import SuiteDatabase
from tests.import_fixtures import add_jurisdictions, csv_text, import_app, seeded_database
from tests.import_fixtures import seed_jurisdictions as seed

SHANGHAI = ZoneInfo("Asia/Shanghai")
VILLAGE = "530424100077"
"""This file's own village: the KPIs read here count this file's cases only."""
VILLAGE_NAME = "历史测试村"
HEADERS = [
    "序号",
    "登记日期",
    "当事人",
    "纠纷类型",
    "纠纷简要情况",
    "排查方式",
    "调处结果",
    "化解日期",
    "所属村（社区）",
]
OPERATOR = Actor(None, "县指挥中心", Role.DISPATCHER, "530424000000")
COUNTY = Actor(None, "县指挥中心", Role.COMMANDER, "530424000000")


def _seed(db: Session) -> None:
    seed(db)
    add_jurisdictions(db, [(VILLAGE, VILLAGE_NAME, 5, "530424100000", None)])


def _row(
    day: str, party: str, kind: str, said: str, how: str, result: str, done: str = ""
) -> list[object]:
    return [day, party, kind, f"pb历史：{said}", how, result, done, VILLAGE_NAME]


def _ledger(path: Path, rows: list[list[object]], title: str = "矛盾纠纷排查调处台账") -> Path:
    """Write a ledger as a township keeps it: a title row, the header, numbered rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "台账"
    sheet.append([title])
    sheet.append(HEADERS)
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    book.save(path)
    return path


def _import(
    db: Session, path: Path, *, history: bool = False, dry_run: bool = False, again: bool = False
) -> ImportOutcome:
    options = ImportOptions(kind="cases", history=history, dry_run=dry_run, again=again)
    outcome = run_import(db.connection(), path, options)
    assert not [p for p in outcome.problems if p.severity == "rejected"], outcome.problems
    return outcome


def _stored(db: Session) -> dict[str, Any]:
    """This file's cases by the text of their row (what the test wrote after ``pb历史：``)."""
    rows = db.execute(
        text(
            "SELECT substr(description, 6) AS said, id, channel, state, closed_at, deadline,"
            " contact_deadline, external_no FROM cases WHERE area_code = :v"
        ),
        {"v": VILLAGE},
    ).all()
    return {r.said: r for r in rows}


def _first_event(db: Session, case_id: int) -> Any:
    return db.execute(
        text("SELECT note, payload FROM case_events WHERE case_id = :c ORDER BY id LIMIT 1"),
        {"c": case_id},
    ).one()


def _recent_day(days_ago: int) -> str:
    return f"{datetime.now(SHANGHAI).date() - timedelta(days=days_ago):%Y-%m-%d}"


JANUARY = [
    _row("2019-01-05", "张某", "邻里纠纷", "排水沟", "网格员排查", "调解成功", "2019-01-10"),
    _row("2019-01-08", "赵某", "劳资纠纷", "拖欠工资", "网格员排查", "正在调处"),
    _row("2019-01-12", "钱某", "土地纠纷", "地界", "网格员排查", ""),
]
"""Two of three rows still open in a 2019 ledger: one 正在调处, one with no result at all."""
ENDED = [
    _row("2019-01-15", "孙某", "借贷纠纷", "借款", "电话反映", "调解不成功", "2019-02-01"),
    _row("2019-01-16", "李某", "邻里纠纷", "采光", "电话反映", "已移交司法所"),
    _row("2019-01-18", "周某", "劳资纠纷", "工伤", "电话反映", "已移交法院", "2019-02-05"),
    _row("2019-01-20", "吴某", "婚姻家庭纠纷", "离婚", "电话反映", "引导诉讼"),
]
"""Rows whose mediation ended without settling the dispute (failed, referred, sent to court)."""


def test_the_summary_counts_the_open_cases_an_import_puts_into_the_queues(
    db: Session, tmp_path: Path
) -> None:
    """F1 (a): 2019's open rows are old and overdue today; a dry run says so too."""
    _seed(db)
    recent = _row(_recent_day(2), "郑某", "邻里纠纷", "噪音", "网格员排查", "正在调处")
    path = _ledger(tmp_path / "华溪镇台账（2019年1月）.xlsx", [*JANUARY, recent])
    expected = (
        "新增未办结案件 3 件进入待分流，其中 2 件登记于 90 天前、已超期："
        "如为历史记录，请加 --history"
    )
    dry = _import(db, path, dry_run=True)
    assert expected in dry.notes
    assert _stored(db) == {}
    done = _import(db, path)
    assert done.committed and expected in done.notes
    assert sorted(r.state for r in _stored(db).values()) == ["archived"] + ["registered"] * 3


def test_this_months_failed_mediation_with_its_date_loads_as_open_work(
    db: Session, tmp_path: Path
) -> None:
    """F12: a current ledger's 调解不成功 row with its 化解日期 is open work, not refused."""
    _seed(db)
    rows = [
        _row(_recent_day(9), "孙某", "借贷纠纷", "借款", "电话反映", "调解不成功", _recent_day(2)),
        _row(_recent_day(8), "周某", "劳资纠纷", "工伤", "电话反映", "已移交法院", _recent_day(1)),
        _row(
            _recent_day(7), "张某", "邻里纠纷", "排水沟", "网格员排查", "调解成功", _recent_day(3)
        ),
    ]
    outcome = _import(db, _ledger(tmp_path / "华溪镇台账（本月）.xlsx", rows))
    assert outcome.committed and outcome.counts is not None and outcome.counts.inserted == 3
    told = [(p.row, p.column, p.rule, p.severity) for p in outcome.problems]
    assert told == [(r, "化解日期", ENDED_CLOSED_RULE, "repaired") for r in (3, 4)]
    stored = _stored(db)
    for said_of in ("借款", "工伤"):
        assert (stored[said_of].state, stored[said_of].closed_at) == ("registered", None)
        assert stored[said_of].deadline is not None
    assert stored["排水沟"].state == "archived"  # settled at the source: history


def test_a_history_import_concludes_the_rows_its_source_left_open(
    db: Session, tmp_path: Path
) -> None:
    """F1 (b), F3: open, failed and referred rows are concluded history, out of every queue."""
    _seed(db)
    path = _ledger(tmp_path / "华溪镇台账（2019年）.xlsx", [*JANUARY, *ENDED])
    dry = _import(db, path, history=True, dry_run=True)
    outcome = _import(db, path, history=True)
    assert outcome.committed and outcome.counts is not None and outcome.counts.inserted == 7
    assert not [n for n in outcome.notes if "进入待分流" in n]
    said = [n for n in outcome.notes if n.startswith("历史记录：")]
    assert said == [n for n in dry.notes if n.startswith("历史记录：")]
    assert said and "6 行" in said[0] and "不进入待办" in said[0] and "调解不成功 1" in said[0]
    stored = _stored(db)
    assert not {r.state for r in stored.values()} & OPEN_STATES
    assert stored["排水沟"].state == "archived" and stored["排水沟"].deadline is not None
    assert _first_event(db, stored["排水沟"].id).payload["settled"] is True
    for said_of in ("拖欠工资", "地界", "借款", "采光", "工伤", "离婚"):
        row = stored[said_of]
        assert (row.state, row.deadline, row.contact_deadline) == ("archived", None, None)
    assert stored["地界"].closed_at is None
    failed = stored["借款"]
    assert failed.closed_at == datetime(2019, 2, 1, tzinfo=SHANGHAI)
    note, payload = _first_event(db, failed.id)
    assert note == "历史记录：原状态“调解不成功”"
    assert payload["source_status"] == "调解不成功" and payload["settled"] is False
    assert payload["outcome"] == "mediation_failed"
    assert _first_event(db, stored["地界"].id).note == "历史记录：原状态未填写"
    assert _first_event(db, stored["工伤"].id).note == "历史记录：原状态“已移交法院”"
    assert _first_event(db, stored["拖欠工资"].id).payload["outcome"] == "unsettled"
    # No new work for the operators: the import's live notice has nothing to triage.
    assert outcome.import_id is not None
    notice = live.Notice("import", outcome.import_id, VILLAGE, VILLAGE)
    told = live.fetch(db, notice, scope_code="530424000000")
    assert told is not None and (told["cases"], told["open"]) == (7, 0)
    # Nothing open or overdue; only the one settled at the source counts as resolved.
    now = datetime(2019, 2, 10, tzinfo=SHANGHAI)
    feed = command.feed(db, VILLAGE, actor=COUNTY, now=now, window_days=60)
    kpis = feed["unit"]["kpis"]
    assert (kpis["open"], kpis["overdue"], kpis["reported"]) == (0, 0, 7)
    assert kpis["resolved_share"] == round(1 / 7, 4)
    assert feed["queue"] == []


def test_a_history_file_concludes_the_open_cases_an_earlier_import_queued(
    db: Session, tmp_path: Path
) -> None:
    """The clerk who imported a 2019 ledger without --history imports it again with it."""
    _seed(db)
    path = _ledger(tmp_path / "华溪镇台账（2019年1月）.xlsx", JANUARY)
    _import(db, path)
    before = _stored(db)
    cases.act(db, before["地界"].id, "triage", actor=OPERATOR, now=datetime.now(SHANGHAI))
    outcome = _import(db, path, history=True, again=True)
    assert outcome.committed
    after = _stored(db)
    assert (after["拖欠工资"].state, after["拖欠工资"].deadline) == ("archived", None)
    notes = db.execute(
        text("SELECT note FROM case_events WHERE case_id = :c ORDER BY id"),
        {"c": after["拖欠工资"].id},
    ).scalars()
    assert list(notes)[-1] == "历史记录：原状态“正在调处”"
    assert after["地界"].state == "triaged"  # an operator handles it here: kept, and told
    kept = [p for p in outcome.problems if p.severity == "kept"]
    assert len(kept) == 1 and "未按文件改为历史记录" in kept[0].rule


def test_a_later_sheet_settles_a_case_kept_as_open_history(db: Session, tmp_path: Path) -> None:
    """December's 正在调处 row comes back in January's sheet 调解成功: history settles it."""
    _seed(db)
    december = [_row("2018-12-20", "冯某", "邻里纠纷", "漏水", "网格员排查", "正在调处")]
    _import(db, _ledger(tmp_path / "台账（2018年12月）.xlsx", december), history=True)
    assert _stored(db)["漏水"].state == "archived"
    january = [
        _row("2018-12-20", "冯某", "邻里纠纷", "漏水", "网格员排查", "调解成功", "2019-01-03")
    ]
    outcome = _import(db, _ledger(tmp_path / "台账（2019年1月）.xlsx", january), history=True)
    assert outcome.counts is not None and outcome.counts.updated == 1
    case = _stored(db)["漏水"]
    assert (case.state, case.closed_at) == ("archived", datetime(2019, 1, 3, tzinfo=SHANGHAI))
    feed = command.feed(db, VILLAGE, actor=COUNTY, now=datetime(2019, 1, 10, tzinfo=SHANGHAI))
    assert feed["unit"]["kpis"]["resolved_share"] == 1.0


def test_a_carried_row_with_a_retyped_channel_finds_its_case(db: Session, tmp_path: Path) -> None:
    """F2: the same generated number names the same case whatever the 排查方式."""
    _seed(db)
    january = [
        _row("2019-01-08", "赵某", "劳资纠纷", "拖欠工资", "电话反映", "正在调处"),
        _row("2019-01-12", "钱某", "土地纠纷", "地界", "电话反映", "正在调处"),
    ]
    _import(db, _ledger(tmp_path / "台账（2019年1月）.xlsx", january))
    before = _stored(db)
    cases.act(db, before["地界"].id, "triage", actor=OPERATOR, now=datetime.now(SHANGHAI))
    february = [
        _row("2019-01-08", "赵某", "劳资纠纷", "拖欠工资", "网格员排查", "调解成功", "2019-02-03"),
        _row("2019-01-12", "钱某", "土地纠纷", "地界", "网格员排查", "正在调处"),
    ]
    outcome = _import(db, _ledger(tmp_path / "台账（2019年2月）.xlsx", february))
    assert outcome.counts is not None and outcome.counts.inserted == 0
    after = _stored(db)
    assert len(after) == 2
    wages = after["拖欠工资"]
    assert (wages.id, wages.external_no) == (before["拖欠工资"].id, before["拖欠工资"].external_no)
    assert (wages.channel, wages.state) == ("grid_worker", "archived")  # the file's correction
    land = after["地界"]  # handled here: the platform's channel stays
    assert (land.id, land.channel, land.state) == (before["地界"].id, "phone", "triaged")
    assert any("来源渠道" in n for n in outcome.notes)


def test_history_is_only_for_cases(db: Session, tmp_path: Path) -> None:
    path = tmp_path / "网格.csv"
    path.write_text(csv_text(["网格编码", "网格名称"], [["530424100001001", "一网格"]]))
    with pytest.raises(MappingError, match="--history 只用于案件"):
        check_file(path, ImportOptions(kind="grids", history=True), None)
    result = CliRunner().invoke(import_app(), ["import", "grids", str(path), "--history"])
    assert result.exit_code == 2
    assert "--history 只用于案件" in result.output


def test_the_command_line_says_it_in_a_dry_run_and_takes_history(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    with seeded_database(database, "zz_import_history") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        rows = [[*row[:-1], "测试社区"] for row in JANUARY]
        path = _ledger(tmp_path / "华溪镇台账（2019年1月）.xlsx", rows)
        args = ["import", "cases", str(path)]
        dry = CliRunner().invoke(import_app(), [*args, "--dry-run"], env=env)
        assert dry.exit_code == 0, dry.output
        assert "新增未办结案件 2 件进入待分流，其中 2 件登记于 90 天前、已超期" in dry.output
        assert "如为历史记录，请加 --history" in dry.output
        done = CliRunner().invoke(import_app(), [*args, "--history"], env=env)
        assert done.exit_code == 0, done.output
        assert "进入待分流" not in done.output
        assert "历史记录：来源中未办结的 2 行按历史记录归档" in done.output
