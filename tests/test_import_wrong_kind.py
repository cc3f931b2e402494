"""A file of another kind is told so, and never offered a mapping of columns that cannot fit.

Trial X: a 12345 export uploaded as 视频点位 and a camera list uploaded as 网格 were told to
rename their columns, the camera list even to map its 设备编码 as the 网格编码.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from importers.pipeline import ImportOptions, check_file
from importers.rules import MissingColumns
from tests.import_fixtures import csv_text

CAMERAS = ["设备编码", "点位名称", "经度", "纬度", "设备状态", "安装位置"]
CAMERA = ["53042400001328000001", "路口1", "102.901", "24.205", "在线", "宁州路口"]
HOTLINE = ["工单编号", "受理时间", "事件类型", "诉求内容", "事发地址", "经度", "纬度", "办理状态"]
ORDER = [
    "GD-1",
    "2026-11-01 09:00",
    "交通运输-道路交通",
    "路灯坏了",
    "宁州路",
    "102.9",
    "24.2",
    "已办结",
]


def _refusal(tmp_path: Path, headers: list[str], row: list[str], kind: str) -> str:
    path = tmp_path / "文件.csv"
    path.write_text(csv_text(headers, [row]), encoding="utf-8")
    with pytest.raises(MissingColumns) as refused:
        check_file(path, ImportOptions(kind=kind), None)
    return str(refused.value)


def test_a_camera_list_read_as_grids_is_said_to_be_a_camera_list(tmp_path: Path) -> None:
    said = _refusal(tmp_path, CAMERAS, CAMERA, "grids")
    assert said.startswith(
        "本文件像是视频点位文件（有 设备编码、点位名称、经度…），请检查数据类型。"
    )
    assert "文件缺少必填字段的列：网格编码" in said
    assert "例如映射文件内容为" not in said and '"网格编码": "设备编码"' not in said


def test_a_hotline_export_read_as_cameras_is_said_to_be_cases(tmp_path: Path) -> None:
    said = _refusal(tmp_path, HOTLINE, ORDER, "video")
    assert said.startswith(
        "本文件像是事件（案件）文件（有 工单编号、受理时间、事件类型…），请检查数据类型。"
    )


def test_a_file_of_its_kind_missing_a_column_is_not_said_to_be_another(tmp_path: Path) -> None:
    roster = ["姓名", "性别", "人员类别", "所属社区", "联系电话", "现住址"]
    said = _refusal(tmp_path, roster, ["张三", "男", "刑满释放人员", "测试社区", "", ""], "persons")
    assert "本文件像是" not in said and said.startswith("文件缺少必填字段的列：身份证号")


@pytest.mark.parametrize(
    ("code", "offered"), [("53042400001328000001", False), ("530424100001001", True)]
)
def test_a_column_is_offered_for_a_code_only_when_its_values_could_be_one(
    tmp_path: Path, code: str, offered: bool
) -> None:
    """A 20-digit 设备编码 is no 15-digit 网格编码: not offered; a 15-digit one is."""
    said = _refusal(tmp_path, ["设备编码", "网格名"], [code, "一网格"], "grids")
    assert ('"网格编码": "设备编码"' in said) is offered, said
