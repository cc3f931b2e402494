"""A camera's optional details never drop it; its 所属组织 and 安装位置 are held to its point.

Trial V F7: a 摄像机类型, 在线状态 or 方位角 that cannot be read took the whole camera off the
map. Now the value is left out (the record keeps its own, a new camera gets the default) and
the row loads, reported as repaired. F8: the platform's 所属组织 (a 派出所 or a township's
government) and 安装位置 (an address) were dropped; a camera whose point lies in another
township than both name went unnoticed, and a file without a 所属社区 column could not have
its CRS checked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.crs import wgs84_to_gcj02
from importers.crs_check import WrongCrs
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from tests.import_fixtures import (
    EAST,
    NORTH,
    SOUTH,
    VILLAGE,
    WEST,
    add_jurisdictions,
    box,
    csv_text,
    seed_jurisdictions,
)

PREFIX = "53042400061328"
"""The first 14 digits of these tests' device codes."""
TOWNSHIP = "530424103000"
"""A second township of the test county: 青龙镇."""
TOWN_VILLAGE = "530424103001"
"""Its village 西南社区 (lon 102.80-102.82, lat 24.20-24.22)."""
UNREAD = "无法识别，未导入此项"


def _code(serial: int) -> str:
    return f"{PREFIX}{serial:06d}"


def _places(db: Session) -> None:
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (TOWNSHIP, "青龙镇", 4, "530424000000", None),
            (TOWN_VILLAGE, "西南社区", 5, TOWNSHIP, box(102.80, 24.20, 102.82, 24.22)),
        ],
    )


def _import(
    db: Session, path: Path, headers: list[str], rows: list[list[str]], **options: object
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    chosen = {"kind": "video", "crs": "cgcs2000", **options}
    return run_import(db.connection(), path, ImportOptions(**chosen))  # type: ignore[arg-type]


def _cameras(db: Session) -> dict[str, tuple[object, ...]]:
    rows = db.execute(
        text(
            "SELECT device_id, name, ptz_type, azimuth_deg, fov_deg, status, area_code"
            " FROM video_points WHERE device_id LIKE :p"
        ),
        {"p": f"{PREFIX}%"},
    ).all()
    return {str(r[0]): tuple(r[1:]) for r in rows}


DETAILS = ["国标编码", "设备名称", "经度", "纬度", "摄像机类型", "方位角", "视场角", "在线状态"]


def test_an_unreadable_detail_is_left_out_and_the_camera_stays_on_the_map(
    db: Session, tmp_path: Path
) -> None:
    _places(db)
    first = [[_code(1), "路口一", "102.905", "24.205", "球机", "90", "45", "离线"]]
    assert _import(db, tmp_path / "一月.csv", DETAILS, first).committed
    rows = [
        # on record: renamed, its type, bearing and state unreadable: they stay as they were
        [_code(1), "路口一（改）", "102.905", "24.205", "飞碟", "东北偏上", "45", "坏了吗"],
        # new: an unreadable view angle and state take the defaults
        [_code(2), "路口二", "102.906", "24.206", "枪机", "225°", "很宽", "不详"],
        [_code(3), "路口三", "102.907", "24.207", "半球", "", "", "在线"],
    ]
    outcome = _import(db, tmp_path / "二月.csv", DETAILS, rows, partial=True)
    assert outcome.committed and outcome.rejected_rows == 0, outcome.problems
    assert outcome.counts is not None
    assert (outcome.counts.inserted, outcome.counts.updated) == (2, 1)
    changed = [(p.row, p.column, p.value) for p in outcome.problems if p.severity == "changed"]
    assert changed == [(2, "设备名称", "路口一（改）")]  # the rename is in the report too
    repaired = {(p.row, p.column): p for p in outcome.problems if p.severity != "changed"}
    assert set(repaired) == {(2, "摄像机类型"), (2, "方位角"), (2, "在线状态")} | {
        (3, "视场角"),
        (3, "在线状态"),
    }
    assert all(p.severity == "repaired" and UNREAD in p.rule for p in repaired.values())
    assert repaired[(2, "摄像机类型")].value == "飞碟"
    assert "球机" in repaired[(2, "摄像机类型")].rule  # what it may be
    cameras = _cameras(db)
    assert cameras[_code(1)][:5] == ("路口一（改）", 1, 90.0, 45.0, "offline")
    assert cameras[_code(2)][:5] == ("路口二", 3, 225.0, 60.0, "online")
    assert cameras[_code(3)][:5] == ("路口三", 2, None, 60.0, "online")
    assert (
        "2 行的选填项无法识别，未导入此项，其余照常导入（已有记录保留原值，新记录取默认值；"
        "见报告）：摄像机类型 1 行、方位角 1 行、视场角 1 行、在线状态 2 行"
    ) in outcome.notes


def test_an_unreadable_detail_alone_does_not_refuse_the_file(db: Session, tmp_path: Path) -> None:
    _places(db)
    rows = [[_code(4), "路口四号", "102.905", "24.205", "鱼眼", "", "", ""]]
    outcome = _import(db, tmp_path / "点位.csv", DETAILS, rows)  # all or nothing
    assert outcome.committed, outcome.problems
    assert [(p.row, p.severity) for p in outcome.problems] == [(2, "repaired")]
    assert _cameras(db)[_code(4)][:2] == ("路口四号", None)


PLATFORM = ["国标编码", "设备名称", "经度", "纬度", "安装位置", "所属组织"]


def _platform_rows() -> list[list[str]]:
    return [
        # in 测试社区 of 宁州街道, and both say so
        [
            _code(11),
            "测试路口_球机",
            "102.905",
            "24.205",
            "华宁县宁州街道测试社区幸福路口",
            "华宁县公安局宁州派出所",
        ],
        # in 测试社区, but both name 青龙镇
        [
            _code(12),
            "主街十字路口_球机",
            "102.906",
            "24.206",
            "华宁县青龙镇西南社区主街十字路口",
            "青龙派出所",
        ],
        # in 西南社区 of 青龙镇, its 所属组织 names 宁州街道
        [_code(13), "西南社区口_枪机", "102.81", "24.21", "主街东口", "宁州街道办事处"],
        # in 西南社区, its government says so; an address naming no place says nothing
        [_code(14), "西南社区广场_半球", "102.811", "24.211", "广场旁", "青龙镇人民政府"],
        [_code(15), "邻村路口_枪机", "102.96", "24.21", "", ""],
    ]


def test_a_camera_whose_organisation_or_address_names_another_township_is_named(
    db: Session, tmp_path: Path
) -> None:
    _places(db)
    path = tmp_path / "设备通道导出.csv"
    dry = _import(db, path, PLATFORM, _platform_rows(), dry_run=True)
    assert dry.columns["address"] == "安装位置" and dry.columns["police_station"] == "所属组织"
    assert "安装位置" not in dry.unused and "所属组织" not in dry.unused
    (said,) = [n for n in dry.notes if "与点位所在乡镇不符" in n]
    assert said.startswith("2 个点位的所属组织或安装位置与点位所在乡镇不符")
    assert (
        f"第 3 行 {_code(12)} 主街十字路口_球机（所属组织 青龙派出所，"
        "安装位置 华宁县青龙镇西南社区主街十字路口，点位在宁州街道测试社区）"
    ) in said
    assert (
        f"第 4 行 {_code(13)} 西南社区口_枪机（所属组织 宁州街道办事处，点位在青龙镇西南社区）"
        in said
    )
    assert _code(11) not in said and _code(14) not in said and _code(15) not in said
    loaded = _import(db, path, PLATFORM, _platform_rows())
    assert loaded.committed and not loaded.problems, loaded.problems
    assert said in loaded.notes  # not a rejection: the point may be right
    cameras = _cameras(db)
    assert cameras[_code(12)][5] == VILLAGE and cameras[_code(13)][5] == TOWN_VILLAGE


def test_install_addresses_check_the_crs_of_a_file_without_places(
    db: Session, tmp_path: Path
) -> None:
    """A platform export without 所属社区: the village its 安装位置 names is the evidence."""
    _places(db)
    rng = np.random.default_rng(5)
    lon, lat = wgs84_to_gcj02(
        rng.uniform(WEST + 0.0005, EAST - 0.0005, 40),
        rng.uniform(SOUTH + 0.0005, NORTH - 0.0005, 40),
    )
    rows = [
        [
            _code(100 + i),
            f"路口{i}",
            f"{x:.7f}",
            f"{y:.7f}",
            f"华宁县宁州街道测试社区幸福路{i}号",
            "",
        ]
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]
    path = tmp_path / "坐标点位.csv"
    path.write_text(csv_text(PLATFORM, rows), encoding="utf-8")
    with pytest.raises(WrongCrs) as refused:
        run_import(db.connection(), path, ImportOptions(kind="video", partial=True))
    assert refused.value.better.crs == "gcj02" and refused.value.assumed.total == 40
    loaded = run_import(db.connection(), path, ImportOptions(kind="video", crs="gcj02"))
    assert loaded.committed and loaded.counts is not None and loaded.counts.inserted == 40
    assert not [n for n in loaded.notes if "与点位所在乡镇不符" in n]
