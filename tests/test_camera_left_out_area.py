"""The cameras a file leaves out are those of the area its note names, however it was reached.

Trial AR S2: a camera list of 华宁县 with one row in another county of 玉溪市 said, without
``--within``, 「库中玉溪市（530400000000）有在用视频点位 151 个不在本文件中」 (only the townships
of its rows were counted) and, with ``--within 5304``, 320: the number a clerk reads before
``--complete`` under-stated what it would retire.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from tests.import_fixtures import add_jurisdictions, box, csv_text, seed_jurisdictions

HEADERS = ["国标编码", "点位名称", "经度", "纬度", "设备状态"]
OTHER_TOWNSHIP_VILLAGE = "530424101001"
"""A village of another township of 华宁县 (盘溪镇): no row of the file lies in it."""
OTHER_COUNTY_VILLAGE = "530402001001"
"""A village of 红塔区, another county of 玉溪市: one row of the file lies in it."""


def code(serial: int) -> str:
    """Return a GB/T 28181 camera id of these tests (network 7: no other test's)."""
    return f"53042400001327{serial:06d}"


ON_RECORD = [
    [code(1), "测试社区一号", "102.905", "24.205", "在线"],
    [code(2), "测试社区二号", "102.910", "24.210", "在线"],
    [code(3), "邻村路口", "102.960", "24.210", "在线"],
    [code(4), "盘溪镇路口", "103.005", "24.205", "在线"],
    [code(5), "盘溪镇桥头", "103.010", "24.210", "在线"],
]
FILE = [  # 测试社区's first camera, and one of 红塔区: its rows lie in two counties of 玉溪市
    [code(1), "测试社区一号", "102.905", "24.205", "在线"],
    [code(9), "红塔区路口", "102.505", "24.305", "在线"],
]


def _import(db: Session, path: Path, rows: list[list[str]], **options: object) -> ImportOutcome:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="video", **options))  # type: ignore[arg-type]


def _left_out(outcome: ImportOutcome) -> tuple[str, int, list[str]]:
    """Return the area, the count and the cameras of the note of cameras left out."""
    (note,) = [n for n in outcome.notes if "不在本文件中" in n]
    head, *lines = note.split("\n")
    found = re.match(r"库中(.+?)有在用视频点位 (\d+) 个不在本文件中", head)
    assert found is not None, head
    return found[1], int(found[2]), [line.split()[0] for line in lines]


def test_the_cameras_left_out_are_counted_over_the_named_area_either_way(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            ("530424101000", "盘溪镇", 4, "530424000000", None),
            (OTHER_TOWNSHIP_VILLAGE, "盘溪村", 5, "530424101000", box(103.0, 24.2, 103.02, 24.22)),
            ("530402000000", "红塔区", 3, "530400000000", None),
            ("530402001000", "玉兴街道", 4, "530402000000", None),
            (OTHER_COUNTY_VILLAGE, "玉兴社区", 5, "530402001000", box(102.5, 24.3, 102.52, 24.32)),
        ],
    )
    loaded = _import(db, tmp_path / "设备清单_在册.csv", ON_RECORD)
    assert loaded.committed, loaded.problems
    found = _import(db, tmp_path / "设备清单.csv", FILE, dry_run=True)
    named = _import(db, tmp_path / "设备清单.csv", FILE, dry_run=True, within="5304")
    in_use = {
        str(device)
        for (device,) in db.execute(
            text(
                "SELECT device_id FROM video_points WHERE area_code >= '5304' AND"
                " area_code < '5305' AND retired_on IS NULL AND device_id <> ALL(:listed)"
            ),
            {"listed": [code(1), code(9)]},
        )
    }
    assert {code(2), code(3), code(4), code(5)} <= in_use  # 盘溪镇's too: no row lies there
    area, n, listed = _left_out(found)
    assert area == "玉溪市（530400000000）" and n == len(in_use)
    assert set(listed) == in_use
    assert _left_out(named) == (area, n, listed)
