"""A 12345 export's 承办单位 and 办理时限, its malformed caller numbers, who imported (trial AX).

S4: the hotline platform names the department it sent the order to and the limit it gave; both
were dropped (「未导入的列：承办单位、办理时限」), every order re-dispatched by hand and held to
the platform's own limit. M3: a 7-digit 来电号码 loaded without a word. m1: the timeline named
the OS account that ran the command (``root``), not 数据导入.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from openpyxl import Workbook, load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.routers.cases import event_json
from geo.crs import wgs84_to_bd09
from importers.kinds.cases import DEPARTMENT_NOTE, PHONE_WARNINGS_NOTE, TIME_LIMIT_NOTE
from layers import cases, dispatch
from layers.database import apply_scope
from layers.model import Case, CaseEvent
from layers.workflow import Actor
from tests.conftest import SuiteDatabase
from tests.import_fixtures import import_app, seeded_database, write_gbk

HEADERS = ["工单编号", "来电时间", "来电人", "来电号码", "诉求内容", "诉求类型", "地址", "坐标"]
HEADERS += ["承办单位", "办理时限"]
LABOUR = "县人社局"
UNKNOWN = "县某某中心"
CHINA = timezone(timedelta(hours=8))
COUNTY = "530424000000"


def _point(n: int) -> str:
    lon, lat = wgs84_to_bd09(102.905 + n * 0.002, 24.205 + n * 0.002)
    return f"{lon:.6f},{lat:.6f}"


def _rows() -> list[list[str]]:
    """Four orders as a 12345 platform exports them (2025-03-03 is a Monday)."""
    wage = "在测试社区工地干了三个月活，老板拖欠工资5000元一直不给"
    drain = "邻居排水沟堵塞污水流到我家院子"
    place = "宁州街道测试社区朝阳路18号"
    return [
        ["YN12345-T0001", "2025-03-03 09:00:00", "张立华", "13912345678", wage, "欠薪"]
        + [place, _point(0), LABOUR, "5个工作日"],
        ["YN12345-T0002", "2025-03-04 10:00:00", "李秀英", "1391234", drain, "邻里纠纷"]
        + [place, _point(1), UNKNOWN, "2025-03-06"],
        ["YN12345-T0003", "2025-03-05 08:00:00", "王建国", "0877-5011234", drain, "邻里纠纷"]
        + [place, _point(2), "", ""],
        ["YN12345-T0004", "2025-03-07 16:00:00", "赵文芳", "13800001111", drain, "邻里纠纷"]
        + [place, _point(3), LABOUR, "3天"],
    ]


def _write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工单明细"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _check_import(database: SuiteDatabase, path: Path, name: str, tmp_path: Path) -> None:
    with seeded_database(database, name) as (engine, url):
        with Session(engine) as session, session.begin():
            session.execute(
                text(
                    "INSERT INTO users (username, display_name, password_hash, role, scope_code)"
                    " VALUES ('dept.labour.t', :d, 'x', 'department', :c)"
                ),
                {"d": LABOUR, "c": COUNTY},
            )
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        args = ["import", "cases", str(path), "--crs", "bd09", "--user", "root"]
        runner = CliRunner()
        first = runner.invoke(import_app(), args, env=env)
        assert first.exit_code == 0, first.output
        assert "未导入的列" not in first.output  # 承办单位 and 办理时限 are read
        assert "承办单位 ← 承办单位；办理时限 ← 办理时限" in first.output.replace("\n", "")
        assert "保留本平台的办理状态" not in first.output  # a warned number is no status kept
        assert TIME_LIMIT_NOTE.format(n=3) in first.output.replace("\n", "")
        assert DEPARTMENT_NOTE.format(n=3) in first.output.replace("\n", "")
        assert PHONE_WARNINGS_NOTE.format(n=1) in first.output.replace("\n", "")
        # the warned number is kept, and the report says so masked, the row not refused
        report = path.with_name(path.name + ".rejects.xlsx")
        lines = [
            [str(c) for c in row if c is not None]
            for sheet in load_workbook(report).worksheets
            for row in sheet.iter_rows(values_only=True)
        ]
        cells = [c for line in lines for c in line]
        warned = [line for line in lines if any("不是有效的手机或固话号码" in c for c in line)]
        rule = "来电号码 ******* 不是有效的手机或固话号码，回访可能无法联系"
        assert warned == [["3", "来电号码", "*******", rule, "照常导入，请核对"]], lines
        assert not any("1391234" in c and "有效" in c for c in cells)
        mobile = Actor(None, "县指挥中心", "commander", COUNTY)
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            found = {c.external_no: c for c in session.query(Case).all()}
            assert sorted(found) == [f"YN12345-T000{i}" for i in (1, 2, 3, 4)]
            assert found["YN12345-T0002"].reporter_phone == "1391234"
            deadlines = {k: c.deadline.astimezone(CHINA) for k, c in found.items() if c.deadline}
            assert deadlines["YN12345-T0001"] == datetime(2025, 3, 10, 9, tzinfo=CHINA)
            assert deadlines["YN12345-T0002"] == datetime(2025, 3, 6, 23, 59, 59, tzinfo=CHINA)
            assert deadlines["YN12345-T0004"] == datetime(2025, 3, 10, 16, tzinfo=CHINA)
            # no limit in the file: the platform's own
            plain = found["YN12345-T0003"]
            assert plain.deadline is not None and plain.deadline > plain.reported_at
            # sent to a 承办单位 a year ago: the platform made the first contact (trial BA m6)
            contact = {k: c.contact_deadline for k, c in found.items()}
            assert sorted(k for k, v in contact.items() if v is None) == [
                "YN12345-T0001",
                "YN12345-T0002",
                "YN12345-T0004",
            ]
            assert plain.contact_deadline is not None and plain.contact_deadline <= plain.deadline
            offered = {
                k: dispatch.departments_for_case(session, actor=mobile, case_id=c.id)
                for k, c in found.items()
            }
            assert offered["YN12345-T0001"]["suggested"] == LABOUR
            assert offered["YN12345-T0001"]["suggested_known"] is True
            assert LABOUR in offered["YN12345-T0001"]["departments"]
            assert offered["YN12345-T0002"]["suggested"] == UNKNOWN  # kept as text
            assert offered["YN12345-T0002"]["suggested_known"] is False
            assert offered["YN12345-T0003"]["suggested"] is None
            events = session.query(CaseEvent).order_by(CaseEvent.id).all()
            before = [(e.case_id, e.action, e.payload) for e in events]
            versions = {k: c.version for k, c in found.items()}
            imported = [e for e in events if e.action == "import"]
            assert {event_json(e)["actor_name"] for e in imported} == {"数据导入（root）"}
        again = runner.invoke(import_app(), args, env=env)
        assert again.exit_code == 0, again.output
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            events = session.query(CaseEvent).order_by(CaseEvent.id).all()
            assert [(e.case_id, e.action, e.payload) for e in events] == before
            now = {c.external_no: c for c in session.query(Case).all()}
            assert {k: c.version for k, c in now.items()} == versions
            assert {k: c.deadline.astimezone(CHINA) for k, c in now.items() if c.deadline} == (
                deadlines
            )
            # 分流 works the limits out again from type and risk: the hotline's stays
            case = now["YN12345-T0001"]
            cases.act(session, case.id, "triage", actor=mobile, now=datetime.now(CHINA))
            assert case.state == "triaged"
            assert case.deadline.astimezone(CHINA) == datetime(2025, 3, 10, 9, tzinfo=CHINA)
            assert case.contact_deadline is None  # none due after 分流 either (trial BA m6)


def test_a_gbk_export_keeps_its_department_and_limit_and_warns_of_a_short_number(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    path = write_gbk(tmp_path, "12345工单_0303.csv", HEADERS, _rows())
    _check_import(database, path, "hotline_department_csv", tmp_path)


def test_an_xlsx_export_keeps_its_department_and_limit(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    path = _write_xlsx(tmp_path / "12345工单_0303.xlsx", _rows())
    _check_import(database, path, "hotline_department_xlsx", tmp_path)
