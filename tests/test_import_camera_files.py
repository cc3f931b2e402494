"""Camera lists as the platform and the townships really send them (雪亮工程 exports).

A township types a 20-digit code in groups (``5304 2400 0513 2500 0225``) under 设备编号; the
platform's 监控方向 writes a point of the compass (东, 朝南, 东南方向) or a bearing (135, 225°);
its device list has a row for each NVR, whose channels are the cameras; 人脸卡口 and 车辆卡口
have no type of their own.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from importers.rules import MissingColumns
from tests.import_fixtures import VILLAGE, seed_jurisdictions

PREFIX = "5304240005"
"""The first 10 digits of these tests' device codes (centre 53042400, industry 05)."""


def _code(type_code: str, serial: int) -> str:
    return f"{PREFIX}{type_code}7{serial:06d}"


def _import(db: Session, path: Path, headers: list[str], rows: list[list[object]]) -> ImportOutcome:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    options = ImportOptions(kind="video", crs="cgcs2000", partial=True)
    return run_import(db.connection(), path, options)


def _cameras(db: Session) -> dict[str, tuple[object, ...]]:
    rows = db.execute(
        text(
            "SELECT device_id, ptz_type, direction_type, azimuth_deg FROM video_points"
            " WHERE device_id LIKE :p"
        ),
        {"p": f"{PREFIX}%7%"},
    ).all()
    return {str(r[0]): tuple(r[1:]) for r in rows if str(r[0])[13] == "7"}


def test_a_township_list_codes_typed_in_groups_under_its_own_header(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    grouped = _code("132", 1)
    spaced = " ".join(grouped[i : i + 4] for i in range(0, 20, 4))
    headers = ["序号", "点位名称", "设备编号", "摄像头类型", "经度", "纬度", "所属社区"]
    rows = [
        [1, "测试广场", spaced, "球机", 102.905, 24.205, VILLAGE],
        [2, "测试路口", "'" + _code("132", 2), "枪机", 102.906, 24.206, VILLAGE],
    ]
    outcome = _import(db, tmp_path / "镇自建.xlsx", headers, rows)
    assert outcome.committed and not outcome.problems, outcome.problems
    assert outcome.columns["device_id"] == "设备编号"
    assert set(_cameras(db)) == {grouped, _code("132", 2)}


def test_a_number_column_without_codes_is_not_taken_for_the_code(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["点位名称", "设备编号", "经度", "纬度"]
    rows = [["测试广场", "QL-001", 102.905, 24.205]]
    with pytest.raises(MissingColumns, match="不是 20 位国标编码"):
        _import(db, tmp_path / "镇自建.xlsx", headers, rows)


def test_the_direction_column_gives_compass_points_and_bearings(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["国标编码", "设备名称", "经度", "纬度", "监控方向", "所属社区"]
    rows = [
        [_code("132", 11), "东口", 102.905, 24.205, "东", VILLAGE],
        [_code("132", 12), "南口", 102.905, 24.206, "朝南", VILLAGE],
        [_code("132", 13), "东南口", 102.905, 24.207, "东南方向", VILLAGE],
        [_code("132", 14), "路口一", 102.905, 24.208, "135", VILLAGE],
        [_code("132", 15), "路口二", 102.905, 24.209, "225°", VILLAGE],
        [_code("132", 16), "路口三", 102.905, 24.210, "225度", VILLAGE],
        [_code("132", 17), "路口四", 102.905, 24.211, "上面", VILLAGE],
    ]
    outcome = _import(db, tmp_path / "平台导出.xlsx", headers, rows)
    assert outcome.columns["direction_type"] == "监控方向"
    assert "监控方向" not in outcome.unused
    cameras = _cameras(db)
    assert cameras[_code("132", 11)][1:] == (1, None)
    assert cameras[_code("132", 12)][1:] == (3, None)
    assert cameras[_code("132", 13)][1:] == (5, None)
    assert cameras[_code("132", 14)][1:] == (None, 135.0)
    assert cameras[_code("132", 15)][1:] == (None, 225.0)
    assert cameras[_code("132", 16)][1:] == (None, 225.0)
    assert [(p.row, p.column, p.value) for p in outcome.problems] == [(8, "监控方向", "上面")]


def test_an_nvr_row_is_skipped_with_one_note_and_checkpoints_are_said(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["国标编码", "设备名称", "设备类型", "经度", "纬度", "所属社区"]
    rows = [
        [_code("132", 21), "人脸一", "人脸卡口", 102.905, 24.205, VILLAGE],
        [_code("132", 22), "车辆一", "车辆卡口", 102.905, 24.206, VILLAGE],
        [_code("132", 23), "车辆二", "车辆卡口", 102.905, 24.207, VILLAGE],
        [_code("118", 24), "学校NVR", "NVR", None, None, VILLAGE],
        [_code("111", 25), "老录像机", "", None, None, VILLAGE],  # told by its code
        [_code("132", 26), "枪机一", "枪机", 102.905, 24.208, VILLAGE],
    ]
    outcome = _import(db, tmp_path / "设备通道.xlsx", headers, rows)
    assert outcome.committed and not outcome.problems, outcome.problems
    assert outcome.rows_total == 4 and outcome.counts is not None
    assert outcome.counts.inserted == 4
    assert (
        "NVR 1 台、DVR 1 台：其通道已按摄像机导入（录像机本身不是视频点位，第 5、6 行未导入）"
        in (outcome.notes)
    )
    assert (
        "人脸卡口 1 台、车辆卡口 2 台按固定枪机（3）导入：本平台的摄像机类型只有球机、半球、"
        "固定枪机、遥控枪机，没有卡口，地图上与枪机相同"
    ) in outcome.notes
    cameras = _cameras(db)
    assert _code("118", 24) not in cameras and _code("111", 25) not in cameras
    assert cameras[_code("132", 21)][0] == 3


def test_a_camera_with_a_mistyped_code_is_refused_not_taken_for_a_recorder(
    db: Session, tmp_path: Path
) -> None:
    """Trial AL: a 枪机 whose code ended in X (type digits 130) went as an HVR, out of the row
    count and of the reject report, and was lost on re-import of the corrected report."""
    seed_jurisdictions(db)
    headers = ["国标编码", "设备名称", "设备类型", "经度", "纬度", "所属社区"]
    rows = [
        [_code("130", 31)[:-1] + "X", "路口枪机", "枪机", 102.905, 24.209, VILLAGE],
        [_code("130", 32), "混合录像机", "", None, None, VILLAGE],  # a recorder by its code
        [_code("132", 33), "枪机二", "枪机", 102.905, 24.210, VILLAGE],
    ]
    outcome = _import(db, tmp_path / "设备通道2.xlsx", headers, rows)
    assert outcome.rows_total == 2  # the recorder is no camera; the mistyped one is
    assert [(p.row, p.column) for p in outcome.problems if p.severity == "rejected"] == [
        (2, "国标编码")
    ]
    assert "HVR 1 台：其通道已按摄像机导入（录像机本身不是视频点位，第 3 行未导入）" in (
        outcome.notes
    )


def test_a_bearing_given_as_azimuth_with_its_unit_is_read(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    headers = ["国标编码", "设备名称", "经度", "纬度", "方位角", "所属社区"]
    rows = [[_code("132", 31), "路口", 102.905, 24.205, "225°", VILLAGE]]
    outcome = _import(db, tmp_path / "方位角.xlsx", headers, rows)
    assert outcome.committed and not outcome.problems, outcome.problems
    assert _cameras(db)[_code("132", 31)][2] == 225.0
