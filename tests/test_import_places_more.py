"""Places named as clerks name them, continued: paths, grids by township, names told apart.

A platform's 所属区域 is a path (``华宁县/河岭村``); a grid file names its grids after their
community (``复安社区第一网格``) and gives only the township; a roster of one township names a
community that another township also has (two 新复社区), and its ``--within`` or its file's
name (``盘溪镇网格员花名册.csv``) says which.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.places import Gazetteer, GridDirectory, GridPlace, Place, Preference
from importers.pipeline import ImportOptions, run_import
from tests.import_fixtures import VILLAGE, add_jurisdictions, box, csv_text, seed_jurisdictions

COUNTY = Place("530424000000", "华宁县", 3, None)
NINGZHOU = Place("530424001000", "宁州街道", 4, COUNTY.code)
PANXI = Place("530424101000", "盘溪镇", 4, COUNTY.code)
FUAN = Place("530424001001", "复安社区", 5, NINGZHOU.code)
XINFU_NZ = Place("530424001016", "新复社区", 5, NINGZHOU.code)
XINFU_PX = Place("530424101009", "新复社区", 5, PANXI.code)
HELING = Place("530424101203", "河岭村委会", 5, PANXI.code)
PLACES = Gazetteer([COUNTY, NINGZHOU, PANXI, FUAN, XINFU_NZ, XINFU_PX, HELING])
GRIDS = GridDirectory(
    [
        GridPlace("530424001001001", "复安第1网格", FUAN.code),
        GridPlace("530424001001002", "复安第2网格", FUAN.code),
        GridPlace("530424001016001", "新复第1网格", XINFU_NZ.code),
        GridPlace("530424101009001", "新复第1网格", XINFU_PX.code),
    ],
    PLACES,
)


@pytest.mark.parametrize(
    "name",
    [
        "华宁县/河岭村",
        "华宁县-盘溪镇-河岭村",
        "华宁县盘溪镇河岭村",
        "华宁县河岭村",  # the township left out, no separator
        "华宁县／盘溪镇／河岭村",  # full-width
        "华宁县 > 盘溪镇 > 河岭村",
        "华宁县/盘溪镇/河岭村/卫生院",  # a platform's own node below the village
        "华宁县/雪亮工程/河岭村",  # … or between
    ],
)
def test_a_place_written_as_a_path_is_its_last_unit_that_exists(name: str) -> None:
    assert PLACES.locate(name) == (HELING.code, "")


def test_a_path_keeps_to_the_units_before_and_a_shared_name_in_it_stays_shared() -> None:
    assert PLACES.locate("盘溪镇/复安社区") == (PANXI.code, "")  # no 复安社区 in 盘溪镇
    assert PLACES.locate("华宁县/不存在村") == (COUNTY.code, "")
    code, rule = PLACES.locate("华宁县/新复社区")
    assert code is None and rule.startswith("“华宁县/新复社区”有 2 处：宁州街道新复社区")
    assert PLACES.locate("华宁县/新复社区", "盘溪镇") == (XINFU_PX.code, "")
    assert PLACES.locate("华宁县/盘溪镇/新复社区") == (XINFU_PX.code, "")
    code, rule = PLACES.locate("昆明市/五华区")
    assert code is None and "没有名为“昆明市/五华区”" in rule


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("复安社区第一网格", "530424001001001"),
        ("复安第二网格", "530424001001002"),
        ("复安社区2号网格", "530424001001002"),
        ("新复社区第一网格", "530424001016001"),  # the 新复社区 of the township
    ],
)
def test_a_grid_named_after_its_community_is_found_in_its_township(name: str, code: str) -> None:
    grid, rule = GRIDS.locate(name, NINGZHOU.code)
    assert grid is not None and grid.code == code, rule


def test_a_village_committee_is_found_by_its_village_name() -> None:
    """Official lists name a village by its committee (河岭村委会): 河岭村 finds it."""
    assert PLACES.locate("河岭村") == PLACES.locate("河岭") == (HELING.code, "")
    grids = GridDirectory([GridPlace("530424101203001", "河岭1号网格", HELING.code)], PLACES)
    for name in ("河岭村第一网格", "河岭第1网格", "华宁县盘溪镇河岭村1号网格"):
        grid, rule = grids.locate(name, PANXI.code)
        assert grid is not None and grid.code == "530424101203001", rule
    grid, rule = grids.locate("第1网格", HELING.code)
    assert grid is not None, rule


def test_a_grid_name_still_shared_in_the_township_or_the_county_is_refused_saying_so() -> None:
    grid, rule = GRIDS.locate("新复社区第一网格", COUNTY.code)
    assert grid is None
    assert rule == (
        "“新复社区第一网格”在华宁县（530424000000）有 2 处：宁州街道新复社区的新复第1网格"
        "（530424001016001）、盘溪镇新复社区的新复第1网格（530424101009001）。"
        "请填写所属社区或 15 位网格编码"
    )
    grid, rule = GRIDS.locate("复安社区第一网格", PANXI.code)
    assert grid is None and rule.startswith("数据库中在华宁县盘溪镇（530424101000）没有名为")
    grid, rule = GRIDS.locate("第1网格", NINGZHOU.code)  # two communities have a first grid
    assert grid is None and "有 2 处" in rule


def test_a_preferred_unit_tells_apart_only_what_the_row_leaves_shared() -> None:
    prefer = Preference([PANXI.code])
    assert PLACES.locate("新复社区", prefer=prefer) == (XINFU_PX.code, "")
    assert prefer.decided == {PANXI.code}
    prefer = Preference([PANXI.code])
    assert PLACES.locate("新复社区", "宁州街道", prefer) == (XINFU_NZ.code, "")  # the row's own
    assert PLACES.locate("复安社区", prefer=prefer) == (FUAN.code, "")  # one place: kept
    assert prefer.decided == set()
    assert PLACES.in_address("华宁县新复社区3组", prefer=prefer) == (XINFU_PX.code, "")
    grid, _ = GRIDS.locate("新复第1网格", prefer=prefer)
    assert grid is not None and grid.code == "530424101009001"
    # Several units, the first first: the second decides what the first leaves shared.
    both = Preference([COUNTY.code, NINGZHOU.code])
    assert PLACES.locate("新复社区", prefer=both) == (XINFU_NZ.code, "")
    assert both.decided == {NINGZHOU.code}
    # A unit that none of the places lies in changes nothing.
    code, rule = PLACES.locate("新复社区", prefer=Preference(["530424102000"]))
    assert code is None and "有 2 处" in rule


# ------------------------------------------------------------------------------- database

PANXI_CODE = "530424101000"
XINFU_A = "530424100016"
"""新复社区 of 宁州街道 (530424100000, the test township)."""
XINFU_B = "530424101009"
"""新复社区 of 盘溪镇."""
HELING_CODE = "530424101203"


def seed_shared_names(db: Session) -> None:
    """The test hierarchy, a second township, a 新复社区 in each with a first grid, 河岭村."""
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (PANXI_CODE, "盘溪镇", 4, "530424000000", None),
            (XINFU_A, "新复社区", 5, "530424100000", None),
            (XINFU_B, "新复社区", 5, PANXI_CODE, None),
            (HELING_CODE, "河岭村", 5, PANXI_CODE, box(102.98, 24.20, 103.00, 24.22)),
        ],
    )
    for code, area in ((XINFU_A + "001", XINFU_A), (XINFU_B + "001", XINFU_B)):
        db.execute(
            text("INSERT INTO grids (code, name, area_code) VALUES (:c, '新复第1网格', :a)"),
            {"c": code, "a": area},
        )


def _grids_file(tmp_path: Path, name: str, headers: list[str], rows: list[list[str]]) -> Path:
    path = tmp_path / name
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return path


def test_a_grid_file_naming_only_the_township_finds_its_grids(db: Session, tmp_path: Path) -> None:
    """A file of 网格名称 (``测试社区第一网格``) and 所属乡镇, or --set 所属乡镇 for all of it."""
    seed_shared_names(db)
    shape = box(102.90, 24.20, 102.91, 24.21)
    rows = [["测试社区第一网格", "宁州街道", shape], ["新复社区第1网格", "宁州街道", shape]]
    path = _grids_file(tmp_path, "网格.csv", ["网格名称", "所属乡镇", "边界"], rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids", dry_run=True))
    assert outcome.problems == [] and outcome.status == "dry-run"
    assert outcome.counts is not None and outcome.counts.updated == 2

    rows = [[name, shape] for name, _, _ in rows]
    path = _grids_file(tmp_path, "网格.csv", ["网格名称", "边界"], rows)
    alone = run_import(db.connection(), path, ImportOptions(kind="grids", dry_run=True))
    assert [(p.row, p.rule.split("：")[0]) for p in alone.problems] == [
        (3, "“新复社区第1网格”有 2 处")
    ]
    fixed = ImportOptions(kind="grids", dry_run=True, fixed={"township": "宁州街道"})
    outcome = run_import(db.connection(), path, fixed)
    assert outcome.problems == []
    assert outcome.counts is not None and outcome.counts.updated == 2


def _roster(tmp_path: Path, name: str, rows: list[list[str]]) -> Path:
    path = tmp_path / name
    headers = ["工号", "姓名", "所属乡镇", "所属社区", "所属网格"]
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    return path


def _areas(db: Session) -> dict[str, tuple[str, str | None]]:
    rows = db.execute(
        text("SELECT external_id, area_code, home_grid FROM workers WHERE external_id LIKE 'N%'")
    ).all()
    return {str(w): (str(a), g) for w, a, g in rows}


def test_within_tells_apart_a_community_two_townships_share(db: Session, tmp_path: Path) -> None:
    seed_shared_names(db)
    rows = [
        ["N1", "甲", "", "新复社区", "新复社区第一网格"],
        ["N2", "乙", "", "", "新复社区第1网格"],
        ["N3", "丙", "", "华宁县/新复社区", ""],
    ]
    path = _roster(tmp_path, "网格员.csv", rows)
    refused = run_import(db.connection(), path, ImportOptions(kind="workers"))
    assert sorted(p.row for p in refused.problems) == [2, 3, 4]
    options = ImportOptions(kind="workers", within="530424101")
    outcome = run_import(db.connection(), path, options)
    assert outcome.problems == [] and outcome.status == "loaded"
    assert _areas(db) == {
        "N1": (XINFU_B, XINFU_B + "001"),
        "N2": (XINFU_B, XINFU_B + "001"),
        "N3": (XINFU_B, None),
    }
    assert not any("名称" in note for note in outcome.notes)


def test_the_file_name_tells_apart_a_community_two_townships_share(
    db: Session, tmp_path: Path
) -> None:
    """``盘溪镇网格员花名册.csv``: its 新复社区 is 盘溪镇's; a row's own 所属乡镇 wins."""
    seed_shared_names(db)
    rows = [
        ["N1", "甲", "", "新复社区", "新复社区第一网格"],
        ["N2", "乙", "宁州街道", "新复社区", ""],  # the row's township wins
        ["N3", "丙", "", "测试社区", ""],  # a community of another township: as it is
        ["N4", "丁", "", "", "新复第1网格"],
    ]
    path = _roster(tmp_path, "盘溪镇网格员花名册.csv", rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers"))
    assert outcome.problems == [] and outcome.status == "loaded"
    assert _areas(db) == {
        "N1": (XINFU_B, XINFU_B + "001"),
        "N2": (XINFU_A, None),
        "N3": (VILLAGE, None),
        "N4": (XINFU_B, XINFU_B + "001"),
    }
    note = f"同名的村（社区）、网格按文件名“盘溪镇网格员花名册”取了华宁县盘溪镇（{PANXI_CODE}）内的"
    note += "那个"
    assert note in outcome.notes

    # --within comes first: a file named for one township imported within the other.
    path = _roster(tmp_path, "盘溪镇名单.csv", [["N5", "戊", "", "新复社区", ""]])
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers", within="530424100"))
    assert outcome.problems == [] and _areas(db)["N5"] == (XINFU_A, None)
    assert not any("名称" in note for note in outcome.notes)  # the file's name decided nothing


def test_a_file_naming_nothing_or_a_shared_name_tells_nothing_apart(
    db: Session, tmp_path: Path
) -> None:
    seed_shared_names(db)
    for name in ("网格员.csv", "新复社区网格员.csv"):  # 新复社区 itself is shared
        path = _roster(tmp_path, name, [["N1", "甲", "", "新复社区", ""]])
        outcome = run_import(db.connection(), path, ImportOptions(kind="workers"))
        assert [p.rule.split("：")[0] for p in outcome.problems] == ["“新复社区”有 2 处"], name


def test_cameras_whose_area_is_a_platform_path(db: Session, tmp_path: Path) -> None:
    """A Hikvision export's 所属区域: ``华宁县/河岭村``, ``华宁县-宁州街道-测试社区`` …"""
    seed_shared_names(db)
    headers = ["国标编码", "点位名称", "经度", "纬度", "所属区域"]
    rows = [
        ["53042400001320000001", "河岭村卫生院", "102.99", "24.21", "华宁县/河岭村"],
        ["53042400001320000002", "测试社区路口", "102.91", "24.21", "华宁县-宁州街道-测试社区"],
        ["53042400001320000003", "测试社区桥头", "102.905", "24.21", "华宁县宁州街道测试社区"],
        ["53042400001320000004", "河岭村口", "102.985", "24.205", "华宁县/盘溪镇/河岭村/村口"],
        ["53042400001320000005", "新复社区", "102.99", "24.21", "华宁县/新复社区"],
    ]
    path = tmp_path / "监控点.csv"
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    options = ImportOptions(kind="video", crs="cgcs2000", partial=True)
    outcome = run_import(db.connection(), path, options)
    assert [(p.row, p.column, p.rule.split("：")[0]) for p in outcome.problems] == [
        (6, "所属区域", "“华宁县/新复社区”有 2 处")
    ]
    stored = db.execute(
        text("SELECT device_id, area_code FROM video_points WHERE device_id LIKE '5304240000132%'")
    ).all()
    assert [tuple(s) for s in stored] == [
        ("53042400001320000001", HELING_CODE),
        ("53042400001320000002", VILLAGE),
        ("53042400001320000003", VILLAGE),
        ("53042400001320000004", HELING_CODE),
    ]
