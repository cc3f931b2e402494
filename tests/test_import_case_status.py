"""Cases imported with the status their source system gives them, and settled there later."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, run_import
from importers.report import write_report
from layers import cases, deadlines
from layers.model.accounts import Role
from layers.workflow import Actor
from tests.conftest import SuiteDatabase
from tests.import_fixtures import GRID, csv_text, import_app, seed_jurisdictions, seeded_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADERS = ["工单编号", "受理渠道", "问题分类", "所属网格", "所属社区", "来电时间", "工单状态"]
HEADERS_CLOSED = [*HEADERS, "办结时间"]
MINE = "external_no LIKE 'ST-%'"


def _import(db: Session, path: Path, rows: list[list[str]], *, partial: bool = True) -> Any:
    path.write_text(csv_text(HEADERS_CLOSED, rows), encoding="utf-8-sig")
    return run_import(db.connection(), path, ImportOptions(kind="cases", partial=partial))


def _cases(db: Session) -> dict[str, Any]:
    rows = db.execute(
        text(
            "SELECT external_no, state, closed_at, contact_deadline, deadline, reported_at,"
            f" handling_level, version FROM cases WHERE {MINE}"
        )
    ).all()
    return {r.external_no: r for r in rows}


def _events(db: Session, external_no: str) -> list[tuple[str, str | None, str | None]]:
    rows = db.execute(
        text(
            "SELECT e.action, e.from_state, e.to_state FROM case_events e JOIN cases c"
            " ON c.id = e.case_id WHERE c.external_no = :n ORDER BY e.id"
        ),
        {"n": external_no},
    ).all()
    return [(r.action, r.from_state, r.to_state) for r in rows]


def test_a_hotline_export_imports_open_cases_to_triage_and_settled_ones_as_history(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    county = "530424000000"
    rows = [
        ["ST-1", "12345", "邻里纠纷", GRID, "", "2025-03-01 08:30", "已办结", "2025-03-05 17:00"],
        ["ST-2", "12345", "邻里纠纷", GRID, "", "2025-03-01 09:00", "办理中", ""],
        ["ST-3", "12345", "邻里纠纷", GRID, "", "2025-03-02 09:00", "", "2025-03-03 10:00"],
        ["ST-4", "12345", "邻里纠纷", GRID, "", "2025-03-02 10:00", "已归档", ""],
        ["ST-5", "12345", "邻里纠纷", "", county, "2025-03-02 11:00", "待处理", ""],
        ["ST-6", "12345", "邻里纠纷", GRID, "", "2025-03-02 12:00", "办理中", "2025-03-04"],
        ["ST-7", "12345", "邻里纠纷", GRID, "", "2025-03-05 12:00", "已办结", "2025-03-04"],
        ["ST-8", "12345", "邻里纠纷", GRID, "", "2025-03-05 12:00", "搁置", ""],
    ]
    outcome = _import(db, tmp_path / "工单.csv", rows)
    rules = {(p.row, p.column): p.rule for p in outcome.problems}
    assert rules == {
        (7, "办结时间"): "状态为未办结的案件不应有办结时间",
        (8, "办结时间"): "办结时间早于登记时间",
        (9, "工单状态"): rules[(9, "工单状态")],
    }
    assert rules[(9, "工单状态")].startswith("必须是以下代码或名称之一：")
    assert "未办结" in rules[(9, "工单状态")] and "已办结" in rules[(9, "工单状态")]
    assert outcome.counts is not None and outcome.counts.inserted == 5

    stored = _cases(db)
    # Settled at the source: history, concluded (已销号), in no queue of the operators.
    assert {n: c.state for n, c in stored.items()} == {
        "ST-1": "archived",
        "ST-2": "registered",
        "ST-3": "archived",
        "ST-4": "archived",
        "ST-5": "registered",
    }
    assert stored["ST-1"].closed_at == datetime(2025, 3, 5, 17, 0, tzinfo=SHANGHAI)
    assert stored["ST-3"].closed_at == datetime(2025, 3, 3, 10, 0, tzinfo=SHANGHAI)
    assert stored["ST-2"].closed_at is None and stored["ST-4"].closed_at is None
    # Deadlines as a dispute registered here gets them (contact in 2 days, close in 30).
    open_case = stored["ST-2"]
    assert open_case.contact_deadline - open_case.reported_at == timedelta(days=2)
    assert open_case.deadline - open_case.reported_at == timedelta(days=30)
    # Handled by the level of its area, at most the township's.
    assert stored["ST-2"].handling_level == 4 and stored["ST-5"].handling_level == 3
    assert _events(db, "ST-1") == [("import", None, "archived")]
    notes: dict[str, str] = dict(
        db.execute(
            text(
                "SELECT c.external_no, e.note FROM case_events e JOIN cases c ON c.id = e.case_id"
                f" WHERE {MINE.replace('external_no', 'c.external_no')}"
            )
        ).all()
    )
    assert notes["ST-1"] == "历史记录：来源系统已办结，原状态“已办结”"
    assert notes["ST-3"] == "历史记录：来源系统已办结（按办结时间）"
    assert notes["ST-4"] == "历史记录：来源系统已办结，原状态“已归档”"
    assert notes["ST-2"] == "从文件导入"


def test_a_later_export_settles_the_cases_nobody_has_handled_here(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    first = [
        ["ST-11", "12345", "邻里纠纷", GRID, "", "2025-03-01 08:30", "办理中", ""],
        ["ST-12", "12345", "邻里纠纷", GRID, "", "2025-03-01 09:00", "待处理", ""],
        ["ST-13", "12345", "邻里纠纷", GRID, "", "2025-03-01 10:00", "办理中", ""],
    ]
    assert _import(db, tmp_path / "第一周.csv", first).counts.inserted == 3
    handled = _cases(db)["ST-12"]
    case_id = db.execute(text("SELECT id FROM cases WHERE external_no = 'ST-12'")).scalar_one()
    operator = Actor(None, "县指挥中心", Role.DISPATCHER, "530424000000")
    cases.act(db, case_id, "triage", actor=operator, now=handled.reported_at + timedelta(hours=1))

    later = [
        ["ST-11", "12345", "邻里纠纷", GRID, "", "2025-03-01 08:30", "已办结", "2025-03-06 16:00"],
        ["ST-12", "12345", "邻里纠纷", GRID, "", "2025-03-01 09:00", "已办结", "2025-03-06 17:00"],
        ["ST-13", "12345", "邻里纠纷", GRID, "", "2025-03-01 10:00", "办理中", ""],
        ["ST-14", "12345", "邻里纠纷", GRID, "", "2025-03-05 10:00", "待处理", ""],
    ]
    outcome = _import(db, tmp_path / "第二周.csv", later)
    assert outcome.committed and outcome.rejected_rows == 0
    counts = outcome.counts
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 2)
    stored = _cases(db)
    assert stored["ST-11"].state == "archived"
    assert stored["ST-11"].closed_at == datetime(2025, 3, 6, 16, 0, tzinfo=SHANGHAI)
    assert stored["ST-11"].version == 2
    assert _events(db, "ST-11") == [
        ("import", None, "registered"),
        ("import", "registered", "archived"),
    ]
    # The case triaged here stays as the platform has it; the report says why.
    assert stored["ST-12"].state == "triaged" and stored["ST-12"].closed_at is None
    kept = [(p.row, p.column, p.severity) for p in outcome.problems]
    assert kept == [(3, "工单状态", "kept")]
    assert "正在办理（已分流）" in outcome.problems[0].rule
    report = tmp_path / "report.csv"
    write_report(report, outcome.problems)
    assert "未按文件更新" in report.read_text(encoding="utf-8-sig")
    assert stored["ST-13"].state == "registered" and stored["ST-14"].state == "registered"

    # The same file again changes nothing.
    before = _cases(db)
    again = _import(db, tmp_path / "第二周.csv", later)
    assert again.counts is not None and again.counts.updated == 0
    assert _cases(db) == before
    assert len(_events(db, "ST-11")) == 2

    # A file saying a case settled here is open again does not reopen it.
    reopened = [["ST-11", "12345", "邻里纠纷", GRID, "", "2025-03-01 08:30", "重新办理", ""]]
    third = _import(db, tmp_path / "第三周.csv", reopened)
    assert [(p.row, p.severity) for p in third.problems] == [(2, "kept")]
    assert third.problems[0].rule.startswith("本平台中此案件已销号，文件中为未办结：未重新打开")
    assert _cases(db) == before

    # A row that says nothing of its status says nothing against the platform's.
    silent = [
        ["ST-11", "12345", "邻里纠纷", GRID, "", "2025-03-01 08:30", "", ""],
        ["ST-14", "12345", "邻里纠纷", GRID, "", "2025-03-05 10:00", "待处理", ""],
    ]
    fourth = _import(db, tmp_path / "第四周.csv", silent)
    assert fourth.committed and fourth.problems == []
    assert _cases(db) == before


def test_a_status_without_a_closing_time_column_and_an_all_or_nothing_refusal(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    path = tmp_path / "工单.csv"
    rows = [
        ["ST-21", "12345", "邻里纠纷", GRID, "", "2025-03-01 08:30", "已回访"],
        ["ST-22", "12345", "邻里纠纷", GRID, "", "2025-03-01 08:30", "化解成功"],
        ["ST-23", "12345", "邻里纠纷", GRID, "", "2025-03-01 08:30", "已派单"],
    ]
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8-sig")
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.committed and not outcome.problems
    states = {n: c.state for n, c in _cases(db).items()}
    assert states == {"ST-21": "archived", "ST-22": "archived", "ST-23": "registered"}
    payloads: dict[str, Any] = dict(
        db.execute(
            text(
                "SELECT c.external_no, e.payload FROM case_events e JOIN cases c"
                " ON c.id = e.case_id WHERE c.external_no IN ('ST-21', 'ST-22', 'ST-23')"
            )
        ).all()
    )
    assert payloads == {
        "ST-21": {"settled": True, "source_status": "已回访", "source_state": "visited"},
        "ST-22": {"settled": True, "source_status": "化解成功", "source_state": "resolved"},
        "ST-23": None,
    }


def test_imported_deadlines_are_those_a_case_registered_here_gets(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    pairs = [
        (c, r) for c in ("邻里纠纷", "安全隐患", "社情民意") for r in ("红色", "橙色", "黄色", "")
    ]
    rows = [
        [f"ST-3{i}", "12345", c, GRID, "2025-03-01 08:30", "办理中", r]
        for i, (c, r) in enumerate(pairs)
    ]
    path = tmp_path / "工单.csv"
    headers = ["工单编号", "受理渠道", "问题分类", "所属网格", "来电时间", "工单状态", "风险等级"]
    path.write_text(csv_text(headers, rows), encoding="utf-8-sig")
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.committed and outcome.counts is not None and outcome.counts.inserted == 12
    stored = db.execute(
        text(
            "SELECT category, risk_level, contact_deadline - reported_at AS contact,"
            f" deadline - reported_at AS close FROM cases WHERE {MINE}"
        )
    ).all()
    assert len({(c.category, c.risk_level) for c in stored}) == 12
    for case in stored:
        limits = deadlines.limits_for(case.category, case.risk_level)
        assert (case.contact, case.close) == (limits.contact, limits.close)
    assert {c.close for c in stored} == {timedelta(days=d) for d in (7, 15, 30)}


def test_imported_deadlines_follow_the_deployments_limits(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    config_file = tmp_path / "deadlines.toml"
    config_file.write_text("[default]\nclose_days = 10\n[risk.1]\nclose_days = 3\n")
    path = tmp_path / "工单.csv"
    headers = ["工单编号", "受理渠道", "问题分类", "所属网格", "来电时间", "风险等级"]
    rows = [
        ["ST-41", "12345", "邻里纠纷", GRID, "2025-03-01 08:30", "蓝色"],
        ["ST-42", "12345", "邻里纠纷", GRID, "2025-03-01 08:30", "红色"],
    ]
    path.write_text(csv_text(headers, rows), encoding="utf-8-sig")
    options = ImportOptions(kind="cases", limits_config=deadlines.load(config_file))
    assert run_import(db.connection(), path, options).committed
    spans = {n: c.deadline - c.reported_at for n, c in _cases(db).items()}
    assert spans == {"ST-41": timedelta(days=10), "ST-42": timedelta(days=3)}


def test_the_command_line_gives_imported_cases_the_homes_limits(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with seeded_database(database, "zz_import_limits") as (engine, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(home)}
        path = tmp_path / "工单.csv"
        row = ["ST-51", "12345", "邻里纠纷", GRID, "", "2025-03-01 08:30", "待处理", ""]
        path.write_text(csv_text(HEADERS_CLOSED, [row]), encoding="utf-8-sig")
        runner = CliRunner()
        (home / "deadlines.toml").write_text("[default]\nclose_days = [10]\n")
        refused = runner.invoke(import_app(), ["import", "cases", str(path)], env=env)
        assert refused.exit_code == 2 and "时限配置文件有误" in refused.output, refused.output
        (home / "deadlines.toml").write_text("[default]\nclose_days = 12\n")
        loaded = runner.invoke(import_app(), ["import", "cases", str(path)], env=env)
        assert loaded.exit_code == 0, loaded.output
        with engine.connect() as conn:
            span = conn.execute(
                text("SELECT deadline - reported_at FROM cases WHERE external_no = 'ST-51'")
            ).scalar_one()
        assert span == timedelta(days=12)


def test_a_corrected_file_corrects_the_cases_nobody_has_handled_here(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = [
        "工单编号",
        "受理渠道",
        "问题分类",
        "所属网格",
        "来电时间",
        "风险等级",
        "经度",
        "纬度",
    ]
    first = [
        ["ST-61", "12345", "邻里纠纷", GRID, "2025-03-01 08:30", "蓝色", "102.905", "24.205"],
        ["ST-62", "12345", "邻里纠纷", GRID, "2025-03-01 09:30", "蓝色", "102.915", "24.215"],
    ]
    # The clerk typed the wrong type, risk and place of both (the places are 1.5 km apart).
    path = tmp_path / "工单.csv"

    def imported(rows: list[list[str]]) -> Any:
        path.write_text(csv_text(headers, rows), encoding="utf-8-sig")
        options = ImportOptions(kind="cases", crs="cgcs2000", user="导入员")
        outcome = run_import(db.connection(), path, options)
        assert outcome.committed and outcome.rejected_rows == 0, outcome.problems
        return outcome.counts

    assert imported(first).inserted == 2
    before = _cases(db)
    before_codes = dict(db.execute(text(f"SELECT external_no, code FROM cases WHERE {MINE}")).all())
    handled = db.execute(text("SELECT id FROM cases WHERE external_no = 'ST-62'")).scalar_one()
    operator = Actor(None, "县指挥中心", Role.DISPATCHER, "530424000000")
    cases.act(db, handled, "triage", actor=operator, now=before["ST-62"].reported_at)

    corrected = [
        ["ST-61", "12345", "劳资欠薪", GRID, "2025-03-01 08:00", "红色", "102.911", "24.211"],
        ["ST-62", "12345", "劳资欠薪", GRID, "2025-03-01 09:00", "红色", "102.911", "24.211"],
    ]
    counts = imported(corrected)
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 1)
    stored = {
        r.external_no: r
        for r in db.execute(
            text(
                "SELECT external_no, code, category, risk_level, reported_at, version,"
                " ST_X(point) AS lon, deadline - reported_at AS close FROM cases"
                f" WHERE {MINE}"
            )
        )
    }
    fixed, kept = stored["ST-61"], stored["ST-62"]
    limits = deadlines.limits_for("dispute", 1)
    assert (fixed.category, fixed.risk_level, round(fixed.lon, 6)) == ("dispute", 1, 102.911)
    assert fixed.reported_at == datetime(2025, 3, 1, 8, 0, tzinfo=SHANGHAI)
    assert fixed.close == limits.close and fixed.version == 2
    assert fixed.code == before_codes["ST-61"]  # 一案一码: the code stays
    assert _events(db, "ST-61") == [
        ("import", None, "registered"),
        ("import", "registered", "registered"),
    ]
    # The case triaged here is the platform's now: the file does not change it.
    assert (kept.risk_level, round(kept.lon, 6)) == (4, 102.915)
    assert kept.reported_at == before["ST-62"].reported_at

    # The corrected file again: nothing changes.
    counts = imported(corrected)
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 2)
    assert _events(db, "ST-61")[-1] == ("import", "registered", "registered")
    assert len(_events(db, "ST-61")) == 2


def test_a_later_export_of_fewer_columns_corrects_what_it_gives_and_erases_nothing(
    db: Session, tmp_path: Path
) -> None:
    """The week's status export has no 诉求内容, 风险等级, address or location: they stay."""
    seed_jurisdictions(db)
    full = ["工单编号", "受理渠道", "问题分类", "所属网格", "来电时间", "风险等级"]
    full += ["诉求内容", "事发地址", "经度", "纬度", "来电人", "联系电话"]
    row = ["ST-71", "12345", "邻里纠纷", GRID, "2025-03-01 08:30", "橙色", "楼上漏水"]
    row += ["复安路3号", "102.905", "24.205", "王某", "13800000071"]
    path = tmp_path / "工单.csv"
    path.write_text(csv_text(full, [row]), encoding="utf-8")
    options = ImportOptions(kind="cases", crs="cgcs2000", user="导入员")
    assert run_import(db.connection(), path, options).committed
    shown = text(
        "SELECT category, subcategory, title, description, risk_level, address, grid_code,"
        " ST_AsText(point) AS point, reporter_name, reporter_phone, deadline, version"
        f" FROM cases WHERE {MINE}"
    )
    before = db.execute(shown).one()
    assert before.risk_level == 2 and before.description == "楼上漏水"

    fewer = ["工单编号", "受理渠道", "问题分类", "所属网格", "来电时间"]
    path.write_text(
        csv_text(fewer, [["ST-71", "12345", "物业纠纷", GRID, "2025-03-01 08:30"]]),
        encoding="utf-8",
    )
    outcome = run_import(db.connection(), path, options)
    assert outcome.committed and outcome.counts is not None and outcome.counts.updated == 1
    after = db.execute(shown).one()
    assert (after.subcategory, after.version) == ("property_management", 2)  # what it gives
    kept = ("title", "description", "risk_level", "address", "grid_code", "point")
    kept += ("reporter_name", "reporter_phone", "deadline")
    assert {k: getattr(after, k) for k in kept} == {k: getattr(before, k) for k in kept}
