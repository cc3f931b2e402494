"""A camera list's 所属乡镇 is a check: a located camera belongs to the village of its point.

Trial M1: a county clerk's 雪亮工程点位.xlsx (设备编码, 名称, 经度, 纬度, 在线状态, 所属乡镇) filed
every camera under the township (620702106000), while the same camera without the 所属乡镇
column went to the village whose boundary holds its point (620702106201). Now both go to the
village; a camera whose point lies outside the township named keeps the township and is listed
in the summary.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from tests.import_fixtures import (
    OTHER_VILLAGE,
    VILLAGE,
    add_jurisdictions,
    box,
    csv_text,
    seed_jurisdictions,
)

TOWNSHIP = "530424100000"
"""宁州街道: its villages 测试社区 (lon 102.90-102.92) and 邻村 (lon 102.95-102.97)."""
OTHER_TOWNSHIP = "530424103000"
"""青龙镇, and its village 西南社区 (lon 102.80-102.82, lat 24.20-24.22)."""
OTHER_TOWNSHIP_VILLAGE = "530424103001"
HEADERS = ["设备编码", "名称", "经度", "纬度", "在线状态", "所属乡镇"]
PREFIX = "530424000613289"
"""The first 15 digits of these tests' device codes (a 摄像机 of 网络段 8)."""


def _places(db: Session) -> None:
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (OTHER_TOWNSHIP, "青龙镇", 4, "530424000000", None),
            (
                OTHER_TOWNSHIP_VILLAGE,
                "西南社区",
                5,
                OTHER_TOWNSHIP,
                box(102.80, 24.20, 102.82, 24.22),
            ),
        ],
    )


def _import(db: Session, path: Path, headers: list[str], rows: list[list[str]]) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind="video", crs="cgcs2000")
    outcome = run_import(db.connection(), path, options)
    assert outcome.committed, outcome.problems
    return outcome


def _areas(db: Session) -> dict[str, str]:
    rows = db.execute(
        text("SELECT device_id, area_code FROM video_points WHERE device_id LIKE :p"),
        {"p": f"{PREFIX}%"},
    ).all()
    return {str(r[0])[-2:]: str(r[1]) for r in rows}


def test_a_township_list_files_each_camera_under_the_village_of_its_point(
    db: Session, tmp_path: Path
) -> None:
    _places(db)
    rows = [
        [f"{PREFIX}00001", "测试社区路口", "102.91", "24.21", "在线", "宁州街道"],
        [f"{PREFIX}00002", "邻村村委会", "102.96", "24.21", "离线", "宁州街道"],
        [f"{PREFIX}00003", "西南社区主街", "102.81", "24.21", "在线", "宁州街道"],  # elsewhere
        [f"{PREFIX}00004", "镇外山口", "102.93", "24.30", "在线", "宁州街道"],  # in no village
    ]
    outcome = _import(db, tmp_path / "雪亮工程点位.csv", HEADERS, rows)
    assert _areas(db) == {
        "01": VILLAGE,
        "02": OTHER_VILLAGE,
        "03": TOWNSHIP,  # the township named, not a village of another township
        "04": TOWNSHIP,  # no village boundary holds it: the township named
    }
    assert "2 个点位的所属乡镇已按点位细化到其中点位所在的村（社区）" in outcome.notes
    said = [n for n in outcome.notes if n.startswith("1 个点位不在所填的所属乡镇内")]
    assert len(said) == 1
    assert (
        f"第 4 行 {PREFIX}00003 西南社区主街（所属乡镇 宁州街道，点位在青龙镇西南社区）"
        in (said[0])
    )


def test_the_same_camera_with_and_without_the_township_column_lands_alike(
    db: Session, tmp_path: Path
) -> None:
    _places(db)
    without = [[f"{PREFIX}00011", "测试社区路口", "102.91", "24.21", "在线"]]
    _import(db, tmp_path / "点位.csv", HEADERS[:-1], without)
    assert _areas(db) == {"11": VILLAGE}
    again = [[*without[0], "宁州街道"]]
    outcome = _import(db, tmp_path / "雪亮工程点位.csv", HEADERS, again)
    assert _areas(db) == {"11": VILLAGE}
    assert outcome.counts is not None and outcome.counts.updated == 0


# ---- the same for a 12345 export's orders and a roster's persons (helper's note on trial M1)


def test_a_12345_exports_orders_naming_their_街道_lie_in_their_villages(
    db: Session, tmp_path: Path
) -> None:
    _places(db)
    headers = ["工单编号", "来源渠道", "事件类型", "经度", "纬度", "来电时间", "所属街道"]
    rows = [
        ["NV-1", "12345", "邻里纠纷", "102.905", "24.205", "2026-03-01 09:00", "宁州街道"],
        ["NV-2", "12345", "邻里纠纷", "102.955", "24.215", "2026-03-01 10:00", "宁州街道"],
        ["NV-3", "12345", "邻里纠纷", "102.805", "24.205", "2026-03-01 11:00", "宁州街道"],
    ]
    path = tmp_path / "12345工单.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", crs="cgcs2000"))
    assert outcome.committed, outcome.problems
    found = db.execute(
        text("SELECT external_no, area_code FROM cases WHERE external_no LIKE 'NV-%'")
    ).all()
    areas = {str(number): str(area) for number, area in found}
    assert areas == {"NV-1": VILLAGE, "NV-2": OTHER_VILLAGE, "NV-3": TOWNSHIP}
    assert "2 件案件的所属乡镇已按点位细化到其中点位所在的村（社区）" in outcome.notes
    (elsewhere,) = [n for n in outcome.notes if "不在所填的" in n]
    assert elsewhere.startswith("1 件案件的点位不在所填的所属街道内")
    assert "第 4 行 NV-3（所属街道 宁州街道，点位在青龙镇西南社区）" in elsewhere


def test_a_rosters_persons_naming_their_乡镇_live_in_their_villages_named_by_row_only(
    db: Session, tmp_path: Path
) -> None:
    from tests.import_fixtures import resident_id
    from tests.test_import import KEYS

    _places(db)
    headers = ["姓名", "公民身份号码", "人员类别", "经度", "纬度", "所属乡镇"]
    rows = [
        ["村文一", resident_id(71), "刑满释放人员", "102.905", "24.205", "宁州街道"],
        ["村文二", resident_id(72), "刑满释放人员", "102.805", "24.205", "宁州街道"],
    ]
    path = tmp_path / "刑释人员.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind="persons", crs="cgcs2000")
    outcome = run_import(db.connection(), path, options, keys=KEYS)
    assert outcome.committed, outcome.problems
    found = db.execute(text("SELECT name, area_code FROM persons WHERE name LIKE '村文%'")).all()
    areas = {str(name): str(area) for name, area in found}
    assert areas == {"村文一": VILLAGE, "村文二": TOWNSHIP}
    assert "1 人的所属乡镇已按点位细化到其中点位所在的村（社区）" in outcome.notes
    (elsewhere,) = [n for n in outcome.notes if "不在所填的" in n]
    assert elsewhere.endswith("第 3 行") and "西南社区" not in elsewhere  # no place of a person


def test_a_point_far_outside_a_township_without_a_boundary_is_refused_by_its_county(
    db: Session, tmp_path: Path
) -> None:
    """Trial AG: an order of 梁家墩镇 at a point in Beijing went into the township unsaid."""
    _places(db)
    db.execute(
        text(
            "UPDATE jurisdictions SET boundary = ST_Multi(ST_GeomFromText(:w, 4490))"
            " WHERE code = '530424000000'"
        ),
        {"w": box(102.70, 24.10, 103.10, 24.40)},
    )
    headers = ["工单编号", "来源渠道", "事件类型", "经度", "纬度", "来电时间", "所属街道"]
    rows = [
        ["FAR-1", "12345", "邻里纠纷", "102.999", "24.300", "2026-03-01 09:00", "宁州街道"],
        ["FAR-2", "12345", "邻里纠纷", "116.400", "39.900", "2026-03-01 10:00", "宁州街道"],
    ]
    path = tmp_path / "北京点.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", crs="cgcs2000"))
    assert not outcome.committed
    (far,) = [p for p in outcome.problems if p.severity == "rejected"]
    assert far.row == 3 and far.rule.startswith("点位在辖区华宁县（530424000000）外 "), far.rule
