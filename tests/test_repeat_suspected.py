"""Repeats are linked by address or caller, not by distance alone (trial BA S4).

An import linked 9 of 12 different complaints as 重复反映 (another house number, another
caller, within 200 m and of one type), raising the originals to red and pulling their
deadlines forward. A link now needs the same address or caller number besides the type and
place; the type and place alone make a 疑似重复, linked to nothing and raising nothing, listed
on the case until an operator merges it (合并为重复反映). A live registration follows the rule.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geo.crs import wgs84_to_bd09
from layers import case_repeats, cases
from layers.case_repeats import repeats_line, suspects_line
from layers.database import apply_scope
from layers.errors import Conflict
from layers.model import Case, CaseEvent
from layers.repeat_match import SUSPECTED
from layers.workflow import Actor
from tests.conftest import SuiteDatabase
from tests.import_fixtures import import_app, seeded_database, write_gbk
from tests.test_import_hotline_department import CHINA, COUNTY, HEADERS

WAGE = "在工地干了三个月活，老板拖欠工资{}元一直不给"
LON, LAT = 102.905, 24.205


def _near(metres_east: float) -> tuple[float, float]:
    return LON + metres_east / 101_000, LAT


def _bd(metres_east: float) -> str:
    lon, lat = wgs84_to_bd09(*_near(metres_east))
    return f"{lon:.6f},{lat:.6f}"


def _row(n: int, hour: int, phone: str, address: str, metres: float) -> list[str]:
    said = WAGE.format(1000 * n)
    first = [f"YN12345-R000{n}", f"2025-03-03 {hour:02d}:00:00", f"来电人{n}", phone, said]
    return [*first, "欠薪", address, _bd(metres), "", ""]


def test_a_repeat_needs_the_address_or_the_caller_else_it_is_only_suspected(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    rows = [
        _row(1, 9, "13900000001", "宁州街道测试社区建设路92号", 0),
        # another house number and caller 40 m away: suspected only
        _row(2, 10, "13900000002", "宁州街道测试社区南门街86号", 40),
        # the same address, written with the county before it: a repeat
        _row(3, 11, "13900000003", "华宁县宁州街道测试社区 建设路92号", 60),
        # another address, the first caller again: a repeat
        _row(4, 12, "139 0000 0001", "宁州街道测试社区建设路94号", 30),
    ]
    path = write_gbk(tmp_path, "12345工单_repeats.csv", HEADERS, rows)
    with seeded_database(database, "repeat_suspected") as (engine, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        args = ["import", "cases", str(path), "--crs", "bd09", "--user", "root"]
        done = CliRunner().invoke(import_app(), args, env=env)
        assert done.exit_code == 0, done.output
        said = done.output.replace("\n", "")
        assert repeats_line(2) in said
        assert suspects_line(1) in said
        desk = Actor(None, "县指挥中心", "commander", COUNTY)
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            found = {c.external_no: c for c in session.query(Case).all()}
            first, other = found["YN12345-R0001"], found["YN12345-R0002"]
            assert found["YN12345-R0003"].duplicate_of == first.id
            assert found["YN12345-R0004"].duplicate_of == first.id
            assert first.repeat_count == 2 and first.risk_level == 2  # blue, raised twice
            assert other.duplicate_of is None and other.risk_level == 4
            events = session.query(CaseEvent).filter_by(case_id=other.id, action=SUSPECTED).all()
            assert [e.payload for e in events] == [{"suspected_of": first.id}]
            assert events[0].note is not None and first.code in events[0].note
            assert [c.id for c in case_repeats.suspected_originals(session, other)] == [first.id]
            # a live registration: another address near it is suspected, the same is linked
            kind = {"category": first.category, "subcategory": first.subcategory}
            lon, lat = _near(10)
            apart = cases.register(
                session,
                actor=desk,
                channel="hotline_12345",
                title="工地拖欠工资",
                reported_at=datetime(2025, 3, 3, 14, tzinfo=CHINA),
                lon=lon,
                lat=lat,
                address="宁州街道测试社区朝阳路5号",
                **kind,
            )
            assert apart.duplicate_of is None and apart.case.duplicate_of is None
            assert [c.id for c in case_repeats.suspected_originals(session, apart.case)] == [
                first.id
            ]
            same = cases.register(
                session,
                actor=desk,
                channel="hotline_12345",
                title="工地拖欠工资",
                reported_at=datetime(2025, 3, 3, 16, tzinfo=CHINA),
                lon=lon,
                lat=lat,
                address="云南省玉溪市华宁县宁州街道测试社区建设路92号",
                **kind,
            )
            assert same.duplicate_of is not None and same.duplicate_of.id == first.id
            assert first.repeat_count == 3 and first.risk_level == 1
            # 合并为重复反映: the suspected import row is linked with one action
            merged = case_repeats.confirm_repeat(
                session, other.id, actor=desk, original_id=first.id, now=datetime.now(CHINA)
            )
            assert merged.case.duplicate_of == first.id and first.repeat_count == 4
            assert case_repeats.suspected_originals(session, other) == []
            with pytest.raises(Conflict):  # not the original it was suspected of
                case_repeats.confirm_repeat(
                    session,
                    apart.case.id,
                    actor=desk,
                    original_id=other.id,
                    now=datetime.now(CHINA),
                )
            # and unlinked again as any repeat
            case_repeats.unlink_repeat(session, other.id, actor=desk, reason="另一工地")
            assert other.duplicate_of is None and first.repeat_count == 3
