"""Rows placed by their address, or by the deepest boundary around their point."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from layers.secrets import Keys
from tests.import_fixtures import OTHER_VILLAGE, VILLAGE, box, csv_text, resident_id
from tests.import_fixtures import seed_jurisdictions as seed

PANXI = "530424101000"
PANXI_VILLAGE = "530424101001"
"""盘溪镇's 测试社区居委会: the same name as the test village of 宁州街道."""


def seed_two_townships(db: Session) -> None:
    """The test hierarchy, and 盘溪镇 with a boundary and a village of its own without one."""
    seed(db)
    db.execute(
        text(
            "INSERT INTO jurisdictions (code, name, level, parent_code, boundary) VALUES "
            "(:t, '盘溪镇', 4, '530424000000', ST_Multi(ST_GeomFromText(:w, 4490))), "
            "(:v, '测试社区居委会', 5, :t, NULL)"
        ),
        {"t": PANXI, "v": PANXI_VILLAGE, "w": box(103.0, 24.2, 103.1, 24.3)},
    )


def _areas(db: Session, table: str, key: str) -> dict[str, str]:
    rows = db.execute(
        text(f"SELECT {key}, area_code FROM {table} WHERE area_code LIKE '53%' ORDER BY 1")
    ).all()
    return {str(k): str(a) for k, a in rows}


def test_cases_without_a_place_are_placed_by_their_address(db: Session, tmp_path: Path) -> None:
    """A 12345 export with only 事发地址: the deepest unit the address names in full."""
    seed_two_townships(db)
    headers = [
        "工单编号",
        "来源渠道",
        "事件类型",
        "所属乡镇",
        "事发地址",
        "经度",
        "纬度",
        "来电时间",
    ]
    at = "2025-03-01 09:00"
    rows = [
        ["A-1", "12345", "邻里纠纷", "", "华宁县宁州街道测试社区幸福路3号", "", "", at],
        ["A-2", "12345", "邻里纠纷", "", "宁州街道邻村村委会旁", "", "", at],
        ["A-3", "12345", "邻里纠纷", "宁州街道", "邻村3组", "", "", at],  # the township's village
        [
            "A-4",
            "12345",
            "邻里纠纷",
            "宁州街道",
            "幸福路3号",
            "",
            "",
            at,
        ],  # nothing deeper: the township
        ["A-5", "12345", "邻里纠纷", "", "盘溪镇测试社区", "", "", at],  # the 测试社区 of 盘溪镇
        ["A-6", "12345", "邻里纠纷", "", "华宁县测试社区2组", "", "", at],  # two 测试社区: refused
        ["A-7", "12345", "邻里纠纷", "", "幸福路3号", "", "", at],  # names no unit: refused
        ["A-8", "12345", "邻里纠纷", "", "邻村路12号", "", "", at],  # a road, not the village
        [
            "A-9",
            "12345",
            "邻里纠纷",
            "",
            "宁州街道测试社区",
            "102.96",
            "24.21",
            at,
        ],  # its point decides
        [
            "A-10",
            "12345",
            "邻里纠纷",
            "",
            "",
            "103.05",
            "24.25",
            at,
        ],  # 盘溪镇's boundary, no village's
        ["A-11", "12345", "邻里纠纷", "盘溪镇", "邻村3组", "", "", at],  # 邻村 is not in 盘溪镇
    ]
    path = tmp_path / "工单.csv"
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    options = ImportOptions(kind="cases", crs="cgcs2000", partial=True)
    outcome = run_import(db.connection(), path, options)

    rules = {p.row: (p.column, p.rule) for p in outcome.problems}
    assert sorted(rules) == [7, 8, 9]
    assert rules[7] == (
        "事发地址",
        "地址中的“测试社区”有 2 处：宁州街道测试社区（530424100001）、"
        "盘溪镇测试社区居委会（530424101001）。请在地址中写明乡镇（街道），或填写所属社区、所属乡镇",
    )
    missing = (
        "缺少所属辖区：没有辖区或网格编码，点位（如有）不在数据库中任何辖区的边界内，"
        "地址中也没有数据库中乡镇（街道）或村（社区）的全称"
    )
    assert rules[8] == rules[9] == ("所属社区", missing)
    assert _areas(db, "cases", "external_no") == {
        "A-1": VILLAGE,
        "A-2": OTHER_VILLAGE,
        "A-3": OTHER_VILLAGE,
        "A-4": "530424100000",
        "A-5": PANXI_VILLAGE,
        "A-9": OTHER_VILLAGE,
        "A-10": PANXI,
        "A-11": PANXI,
    }

    again = run_import(db.connection(), path, options)
    assert again.counts is not None
    assert (again.counts.inserted, again.counts.updated) == (0, 0)


def test_a_roster_without_a_place_is_placed_by_its_address(db: Session, tmp_path: Path) -> None:
    """A 刑满释放 roster with 现住址 and nothing else: the person's village from the address."""
    seed_two_townships(db)
    headers = ["姓名", "公民身份号码", "人员类别", "现居住地"]
    rows = [
        ["张三", resident_id(1), "刑满释放人员", "云南省玉溪市华宁县宁州街道邻村5组"],
        ["李四", resident_id(2), "刑满释放人员", "盘溪镇测试社区居委会12号"],
    ]
    path = tmp_path / "刑满释放.csv"
    path.write_bytes(csv_text(headers, rows).encode("utf-8"))
    keys = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
    outcome = run_import(db.connection(), path, ImportOptions(kind="persons"), keys=keys)
    assert outcome.committed, outcome.problems
    assert sorted(_areas(db, "persons", "name").items()) == [
        ("张三", OTHER_VILLAGE),
        ("李四", PANXI_VILLAGE),
    ]
