"""A 12345 order whose 地址 names another township than its point's is flagged (trial AX M4).

Orders whose address said 宁州街道新城社区朝阳路18号 were placed in 南河村 of another township by
their coordinates, and the summary said only that their grid was found by the point. Now each
such row is warned of in the report (its address masked as staged) and the summary, and the case
carries the mark 地址与位置不符 the desk and the case page show.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.loading import ADDRESS_ELSEWHERE_NOTE
from layers import address_townships
from layers.database import apply_scope
from layers.model import Case, CaseEvent
from tests.conftest import SuiteDatabase
from tests.import_fixtures import add_jurisdictions, import_app, seeded_database, write_gbk
from tests.test_import_hotline_department import HEADERS, _rows

PANXI = "530424102000"


def test_an_address_naming_another_township_is_warned_of_and_marked(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    rows = _rows()
    rows[0][6] = "盘溪镇大龙潭村朝阳路18号（房东电话13912345678）"  # the point: 宁州街道测试社区
    rows[1][6] = "华宁县盘溪镇与宁州街道交界处"  # names its own township too: no mark
    rows[2][6] = "朝阳路18号"  # names none
    path = write_gbk(tmp_path, "12345工单_0303.csv", HEADERS, rows)
    with seeded_database(database, "address_townships") as (engine, url):
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            add_jurisdictions(session, [(PANXI, "盘溪镇", 4, "530424000000", None)])
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        args = ["import", "cases", str(path), "--crs", "bd09", "--user", "root"]
        done = CliRunner().invoke(import_app(), args, env=env)
        assert done.exit_code == 0, done.output
        assert ADDRESS_ELSEWHERE_NOTE.format(n=1) in done.output.replace("\n", "")
        assert "13912345678" not in done.output
        report = path.with_name(path.name + ".rejects.xlsx")
        lines = [
            [str(c) for c in row if c is not None]
            for row in load_workbook(report).worksheets[0].iter_rows(values_only=True)
        ]
        said = [line for line in lines if any("地址与位置不符" in c for c in line)]
        assert said == [
            [
                "2",
                "地址",
                "盘溪镇大龙潭村朝阳路18号（房东电话139****5678）",
                "地址与位置不符：地址写盘溪镇，点位在宁州街道测试社区：已按点位导入，请核对地址或点位",
                "照常导入，请核对",
            ]
        ], lines
        marked = {"YN12345-T0001": "地址与位置不符：地址写盘溪镇，点位在宁州街道测试社区"}
        assert _marks(engine) == marked
        events = _events(engine)
        assert [n for n in events if "地址与位置不符" in n] == [
            marked["YN12345-T0001"] + "，请核对地址或点位"
        ]
        # the same file again: told once
        again = CliRunner().invoke(import_app(), args, env=env)
        assert again.exit_code == 0, again.output
        assert _events(engine) == events
        # the address corrected at the source: the mark goes
        rows[0][6] = "宁州街道测试社区朝阳路18号"
        write_gbk(tmp_path, "12345工单_0303.csv", HEADERS, rows)
        fixed = CliRunner().invoke(import_app(), args, env=env)
        assert fixed.exit_code == 0, fixed.output
        assert "地址与位置不符" not in fixed.output
        assert _marks(engine) == {}


def _marks(engine: Engine) -> dict[str, str]:
    with Session(engine) as session, session.begin():
        apply_scope(session, None)
        found = {str(c.external_no): c.id for c in session.query(Case).all()}
        marks = address_townships.for_cases(session, list(found.values()))
        return {k: marks[i].text() for k, i in found.items() if i in marks}


def _events(engine: Engine) -> list[str]:
    with Session(engine) as session, session.begin():
        apply_scope(session, None)
        return [str(e.note) for e in session.query(CaseEvent).order_by(CaseEvent.id)]
