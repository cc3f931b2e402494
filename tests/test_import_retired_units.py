"""Imports after a re-division: no record lands in a retired unit; a retired one's name leads on.

宁州街道's 兴复社区 was re-divided on 2026-03-10: 兴复第2网格 merged into 兴复第8网格 (the old grid
lies under the new one), 兴复第1网格 had merged into 兴复第2网格 a year before, 兴复第5网格 was
re-coded (the old code and the new one share the name), 兴复第9网格 was abolished with no
successor. 南河村 merged into 北河社区 (its 南河第1网格 into 北河第1网格), 西河村 was abolished, and
宁州街道's 东河村 merged into 北河社区 while 华溪镇 has a live 东河村. 宁州街道 has a boundary, the
villages too (a retired one's still lies on the map, under its successor's or alone). Clerks
import ledgers, rosters and camera lists that still name the old units.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.places import Gazetteer, GridDirectory, GridPlace, Place
from importers.pipeline import ImportOptions, run_import
from importers.within import WithinError
from layers.secrets import Keys
from tests.import_fixtures import (
    add_jurisdictions,
    box,
    imported_cases,
    resident_id,
    retire_units,
    seed_jurisdictions,
    write_gbk,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
COUNTY = "530424000000"
NINGZHOU = "530424100000"
HUAXI = "530424102000"
NANHE = "530424100004"
"""南河村, retired: boundary lon 103.10-103.12, under 北河社区's."""
BEIHE = "530424100005"
"""北河社区 (boundary lon 103.10-103.14, lat 24.30-24.32)."""
XINGFU = "530424100003"
"""兴复社区 (boundary lon 103.00-103.04, lat 24.30-24.32)."""
XIHE = "530424100006"
OLD_DONGHE = "530424100007"
DONGHE = "530424102003"
OLD_GRID = XINGFU + "002"
"""兴复第2网格, retired into :data:`NEW_GRID` (same boundary: lon 103.00-103.02)."""
NEW_GRID = XINGFU + "008"
FIRST_GRID = XINGFU + "001"
RECODED_OLD, RECODED = XINGFU + "004", XINGFU + "005"
GONE_GRID = XINGFU + "009"
NANHE_GRID, BEIHE_GRID = NANHE + "001", BEIHE + "001"
ON = "2026-03-10"
CASE_HEADERS = ["工单编号", "来源渠道", "事件类型", "所属社区", "所属网格", "来电时间"]
AT = "2026-03-20 09:00"
WEST_HALF = box(103.00, 24.30, 103.02, 24.32)


def seed_re_division(db: Session) -> None:
    """Seed the units of the module's notes, then retire the old ones (as the owner)."""
    seed_jurisdictions(db)
    db.execute(
        text(
            "UPDATE jurisdictions SET boundary = ST_Multi(ST_GeomFromText(:w, 4490))"
            " WHERE code = :c"
        ),
        {"w": box(102.80, 24.10, 103.30, 24.40), "c": NINGZHOU},
    )
    add_jurisdictions(
        db,
        [
            (NANHE, "南河村", 5, NINGZHOU, box(103.10, 24.30, 103.12, 24.32)),  # first: found first
            (BEIHE, "北河社区", 5, NINGZHOU, box(103.10, 24.30, 103.14, 24.32)),
            (XINGFU, "兴复社区", 5, NINGZHOU, box(103.00, 24.30, 103.04, 24.32)),
            (XIHE, "西河村", 5, NINGZHOU, box(103.15, 24.30, 103.17, 24.32)),
            (OLD_DONGHE, "东河村", 5, NINGZHOU, None),
            (HUAXI, "华溪镇", 4, COUNTY, None),
            (DONGHE, "东河村", 5, HUAXI, None),
        ],
    )
    grids = [
        (FIRST_GRID, "兴复第1网格", XINGFU, None),
        (OLD_GRID, "兴复第2网格", XINGFU, WEST_HALF),
        (RECODED_OLD, "兴复第5网格", XINGFU, None),
        (RECODED, "兴复第5网格", XINGFU, None),
        (NEW_GRID, "兴复第8网格", XINGFU, WEST_HALF),
        (GONE_GRID, "兴复第9网格", XINGFU, None),
        (NANHE_GRID, "南河第1网格", NANHE, box(103.10, 24.30, 103.12, 24.32)),
        (BEIHE_GRID, "北河第1网格", BEIHE, box(103.10, 24.30, 103.14, 24.32)),
    ]
    for code, name, area, wkt in grids:
        db.execute(
            text(
                "INSERT INTO grids (code, name, area_code, boundary)"
                " VALUES (:c, :n, :a, ST_GeomFromText(:w, 4490))"
            ),
            {"c": code, "n": name, "a": area, "w": wkt},
        )
    retire = [
        ("grids", FIRST_GRID, OLD_GRID, "2025-03-01"),
        ("grids", OLD_GRID, NEW_GRID, ON),
        ("grids", RECODED_OLD, RECODED, ON),
        ("grids", GONE_GRID, None, ON),
        ("grids", NANHE_GRID, BEIHE_GRID, ON),
        ("jurisdictions", NANHE, BEIHE, ON),
        ("jurisdictions", XIHE, None, ON),
        ("jurisdictions", OLD_DONGHE, BEIHE, ON),
    ]
    retire_units(db, retire)


def _row(number: str, area: str = "", grid: str = "") -> list[str]:
    return [number, "12345", "邻里纠纷", area, grid, AT]


def test_a_point_is_placed_in_the_live_grid_and_village_not_the_retired_ones_under_them(
    db: Session, tmp_path: Path
) -> None:
    seed_re_division(db)
    headers = ["工单编号", "来源渠道", "事件类型", "经度", "纬度", "来电时间"]
    rows = [
        ["P-1", "12345", "邻里纠纷", "103.01", "24.31", AT],  # in 兴复第2网格 and 兴复第8网格
        ["P-2", "12345", "邻里纠纷", "103.11", "24.31", AT],  # in 南河村 and 北河社区
        ["P-3", "12345", "邻里纠纷", "103.16", "24.31", AT],  # in 西河村 alone: its township
    ]
    path = write_gbk(tmp_path, "工单.csv", headers, rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", crs="cgcs2000"))
    assert outcome.status == "loaded", outcome.problems
    assert imported_cases(db) == {
        "P-1": (NEW_GRID, XINGFU),
        "P-2": (BEIHE_GRID, BEIHE),
        "P-3": (None, NINGZHOU),
    }


def test_a_retired_grid_or_village_named_by_code_or_name_leads_to_its_successor(
    db: Session, tmp_path: Path
) -> None:
    seed_re_division(db)
    rows = [
        _row("C-1", grid=OLD_GRID),  # its code
        _row("C-2", grid="兴复第2网格"),  # its name
        _row("C-3", "兴复社区", "兴复社区第二网格"),
        _row("C-4", grid="兴复第1网格"),  # retired into a grid retired since
        _row("C-5", "南河村"),
        _row("C-6", "南河村", "南河第1网格"),
        _row("C-7", "南河村", "北河第1网格"),  # the old village, the new grid's name
        _row("C-8", NANHE),
        _row("C-9", grid=NANHE_GRID),  # its village moves with it
        _row("C-10", grid="兴复第5网格"),  # the re-coded grid: the live code
        _row("C-11", "东河村"),  # 华溪镇's, live (宁州街道's is retired)
        _row("C-12", "宁州街道东河村"),  # 宁州街道's, retired: its successor
        _row("C-13", "北河社区", NANHE_GRID),  # the old grid's code, its village's new name
        _row("C-14", "南河村", BEIHE_GRID),  # the old village's name, the new grid's code
    ]
    path = write_gbk(tmp_path, "工单.csv", CASE_HEADERS, rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.status == "loaded", outcome.problems
    assert imported_cases(db) == {
        "C-1": (NEW_GRID, XINGFU),
        "C-2": (NEW_GRID, XINGFU),
        "C-3": (NEW_GRID, XINGFU),
        "C-4": (NEW_GRID, XINGFU),
        "C-5": (None, BEIHE),
        "C-6": (BEIHE_GRID, BEIHE),
        "C-7": (BEIHE_GRID, BEIHE),
        "C-8": (None, BEIHE),
        "C-9": (BEIHE_GRID, BEIHE),
        "C-10": (RECODED, XINGFU),
        "C-11": (None, DONGHE),
        "C-12": (None, BEIHE),
        "C-13": (BEIHE_GRID, BEIHE),
        "C-14": (BEIHE_GRID, BEIHE),
    }
    followed = [note for note in outcome.notes if "撤销" in note]
    assert sorted(followed) == sorted(
        [
            f"3 行写的“兴复第2网格”已于{ON}撤销，记入继承的“兴复第8网格”",
            "1 行写的“兴复第1网格”已于2025-03-01撤销，记入继承的“兴复第8网格”",
            f"3 行写的“南河第1网格”已于{ON}撤销，记入继承的“北河第1网格”",
            f"4 行写的“南河村”已于{ON}撤销，记入继承的“北河社区”",
            f"1 行写的“东河村”已于{ON}撤销，记入继承的“北河社区”",
        ]
    )


def test_a_retired_unit_no_unit_took_over_refuses_its_rows(db: Session, tmp_path: Path) -> None:
    seed_re_division(db)
    rows = [
        _row("R-1", "西河村"),
        _row("R-2", XIHE),
        _row("R-3", grid="兴复第9网格"),
        _row("R-4", grid=GONE_GRID),
        _row("R-5", grid=OLD_GRID),
    ]
    path = write_gbk(tmp_path, "工单.csv", CASE_HEADERS, rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", partial=True))
    village = f"“西河村”已于{ON}撤销，没有继承单位：请写现在的村（社区）"
    grid = f"“兴复第9网格”已于{ON}撤销，没有继承单位：请写现在的网格"
    assert sorted((p.row, p.column, p.value, p.rule) for p in outcome.problems) == [
        (2, "所属社区", "西河村", village),
        (3, "所属社区", XIHE, village),
        (4, "所属网格", "兴复第9网格", grid),
        (5, "所属网格", GONE_GRID, grid),
    ]
    assert imported_cases(db) == {"R-5": (NEW_GRID, XINGFU)}


def test_rosters_cameras_and_persons_follow_retired_units(db: Session, tmp_path: Path) -> None:
    seed_re_division(db)
    roster = write_gbk(
        tmp_path,
        "网格员.csv",
        ["工号", "姓名", "负责网格"],
        [["G1", "甲", OLD_GRID], ["G2", "乙", "南河第1网格"]],
    )
    outcome = run_import(db.connection(), roster, ImportOptions(kind="workers"))
    assert outcome.status == "loaded", outcome.problems
    workers = db.execute(
        text(
            "SELECT external_id, home_grid, area_code FROM workers"
            " WHERE external_id IN ('G1', 'G2')"
        )
    ).all()
    assert sorted(tuple(map(str, w)) for w in workers) == [
        ("G1", NEW_GRID, XINGFU),
        ("G2", BEIHE_GRID, BEIHE),
    ]
    assert f"1 行写的“兴复第2网格”已于{ON}撤销，记入继承的“兴复第8网格”" in outcome.notes

    cameras = write_gbk(
        tmp_path,
        "监控.csv",
        ["国标编码", "点位名称", "经度", "纬度", "所属社区"],
        [["53042400001320000001", "北河路口", "103.13", "24.31", NANHE]],
    )
    options = ImportOptions(kind="video", crs="cgcs2000")
    outcome = run_import(db.connection(), cameras, options)
    assert outcome.status == "loaded", outcome.problems
    camera = text("SELECT area_code FROM video_points WHERE device_id = '53042400001320000001'")
    assert db.execute(camera).scalar_one() == BEIHE
    assert f"1 行写的“南河村”已于{ON}撤销，记入继承的“北河社区”" in outcome.notes

    people = write_gbk(
        tmp_path,
        "刑满释放人员.csv",
        ["姓名", "公民身份号码", "人员类别", "所属社区", "所属网格"],
        [["张三", resident_id(1), "刑满释放人员", "兴复社区", "兴复第2网格"]],
    )
    options = ImportOptions(kind="persons")
    outcome = run_import(db.connection(), people, options, keys=KEYS)
    assert outcome.status == "loaded", outcome.problems
    person = db.execute(
        text(
            "SELECT p.grid_code, p.area_code FROM persons AS p"
            " JOIN import_runs AS r ON r.id = p.import_id WHERE r.started_at = now()"
        )
    ).one()
    assert tuple(map(str, person)) == (NEW_GRID, XINGFU)


def test_a_file_of_units_names_the_units_themselves_and_prefers_live_ones(
    db: Session, tmp_path: Path
) -> None:
    """A grid list without codes names 兴复第5网格: the live one. Its codes are not followed."""
    seed_re_division(db)
    named = write_gbk(
        tmp_path,
        "网格.csv",
        ["网格名称", "所属社区", "边界"],
        [["兴复第5网格", "兴复社区", box(103.02, 24.30, 103.04, 24.32)]],
    )
    outcome = run_import(db.connection(), named, ImportOptions(kind="grids", crs="cgcs2000"))
    assert outcome.status == "loaded", outcome.problems
    bounded = db.execute(
        text("SELECT code FROM grids WHERE code LIKE :v AND boundary IS NOT NULL"),
        {"v": XINGFU + "%"},
    ).scalars()
    assert sorted(map(str, bounded)) == [OLD_GRID, RECODED, NEW_GRID]
    assert not [note for note in outcome.notes if "记入继承" in note]

    towns = write_gbk(
        tmp_path, "村.csv", ["名称", "所属乡镇"], [["东河村", ""]]
    )  # 宁州街道's is retired, 华溪镇's is live
    outcome = run_import(db.connection(), towns, ImportOptions(kind="jurisdictions"))
    assert outcome.status == "loaded", outcome.problems
    assert outcome.counts is not None and outcome.counts.inserted == 0


def test_within_a_retired_unit_is_refused_naming_its_successor(db: Session, tmp_path: Path) -> None:
    seed_re_division(db)
    path = write_gbk(tmp_path, "工单.csv", CASE_HEADERS, [_row("W-1", "北河社区")])
    with pytest.raises(WithinError) as merged:
        run_import(db.connection(), path, ImportOptions(kind="cases", within=NANHE))
    assert str(merged.value) == (
        f"--within {NANHE} 是南河村，已于{ON}撤销，由北河社区（{BEIHE}）继承：请写 --within {BEIHE}"
    )
    with pytest.raises(WithinError) as abolished:
        run_import(db.connection(), path, ImportOptions(kind="cases", within=XIHE))
    assert str(abolished.value) == (
        f"--within {XIHE} 是西河村，已于{ON}撤销，没有继承单位：请写现在的辖区代码"
    )
    assert imported_cases(db) == {}
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", within=BEIHE))
    assert outcome.status == "loaded"


def test_places_a_name_could_mean_are_never_retired_units(db: Session, tmp_path: Path) -> None:
    """Two live 新河村 and a retired one: the rule lists the two; two retired: their successors."""
    seed_re_division(db)
    add_jurisdictions(
        db,
        [
            ("530424100008", "新河村", 5, NINGZHOU, None),
            ("530424102004", "新河村", 5, HUAXI, None),
            ("530424101000", "盘溪镇", 4, COUNTY, None),
            ("530424101001", "新河村", 5, "530424101000", None),
            ("530424100009", "老街村", 5, NINGZHOU, None),
            ("530424102005", "老街村", 5, HUAXI, None),
        ],
    )
    db.execute(
        text(
            "UPDATE jurisdictions SET retired_on = DATE '2026-03-10', successor_code = CASE code"
            " WHEN '530424101001' THEN NULL WHEN '530424100009' THEN :b ELSE :d END"
            " WHERE code IN ('530424101001', '530424100009', '530424102005')"
        ),
        {"b": BEIHE, "d": DONGHE},
    )
    rows = [_row("N-1", "新河村"), _row("N-2", "老街村")]
    path = write_gbk(tmp_path, "工单.csv", CASE_HEADERS, rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", partial=True))
    assert [(p.row, p.rule) for p in outcome.problems] == [
        (
            2,
            "“新河村”有 2 处：宁州街道新河村（530424100008）、华溪镇新河村（530424102004）。"
            "请填写所属乡镇（街道）或 12 位区划代码",
        ),
        (
            3,
            f"“老街村”有 2 处，均已撤销，现为宁州街道北河社区（{BEIHE}）、"
            f"华溪镇东河村（{DONGHE}）：请写现在的村（社区）或 12 位区划代码",
        ),
    ]


def test_an_address_naming_a_retired_village_leads_to_its_successor(
    db: Session, tmp_path: Path
) -> None:
    seed_re_division(db)
    headers = ["工单编号", "来源渠道", "事件类型", "事发地址", "来电时间"]
    rows = [
        ["A-1", "12345", "邻里纠纷", "华宁县宁州街道南河村3组", AT],
        ["A-2", "12345", "邻里纠纷", "宁州街道东河村5号", AT],  # 宁州街道's: retired
        ["A-3", "12345", "邻里纠纷", "华宁县东河村5号", AT],  # 华溪镇's: live
    ]
    path = write_gbk(tmp_path, "工单.csv", headers, rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.status == "loaded", outcome.problems
    assert imported_cases(db) == {"A-1": (None, BEIHE), "A-2": (None, BEIHE), "A-3": (None, DONGHE)}
    assert f"1 行写的“南河村”已于{ON}撤销，记入继承的“北河社区”" in outcome.notes


def test_a_retired_township_or_village_stands_also_for_its_successor_in_a_lookup() -> None:
    """A row of 旧镇 (merged into 新镇) naming a village of 新镇; a grid of 新村 in 旧村."""
    retired = date(2026, 3, 10)
    places = Gazetteer(
        [
            Place("530424000000", "华宁县", 3, None),
            Place("530424110000", "旧镇", 4, "530424000000", retired, "530424111000"),
            Place("530424111000", "新镇", 4, "530424000000"),
            Place("530424111001", "河村", 5, "530424111000"),
            Place("530424110001", "旧村", 5, "530424110000", retired, "530424111002"),
            Place("530424111002", "新村", 5, "530424111000"),
        ]
    )
    assert places.locate("河村", "旧镇") == ("530424111001", "")
    grids = GridDirectory(
        [
            GridPlace("530424110001001", "旧村第1网格", "530424110001", retired, None),
            GridPlace("530424110001002", "旧村第2网格", "530424110001", retired, None),
            GridPlace("530424111002001", "新村第1网格", "530424111002"),
        ],
        places,
    )
    found, rule = grids.locate("新村第1网格", "530424110001")
    assert found is not None and found.code == "530424111002001", rule
    found, rule = grids.locate("第1网格", "530424110001")  # the old grid: itself
    assert found is not None and found.code == "530424110001001", rule
