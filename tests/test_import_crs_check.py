"""A file without a CRS whose points fit their places only in a web map's CRS is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from importers.crs_check import WrongCrs, unchecked_note
from importers.pipeline import ImportOptions, run_import
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    EAST,
    GRID,
    NORTH,
    SOUTH,
    VILLAGE,
    WEST,
    csv_text,
    import_app,
    seed_jurisdictions,
    seeded_database,
)

HEADERS = ["工单编号", "受理渠道", "问题分类", "所属网格", "来电时间", "经度", "纬度"]
MINE = "external_no LIKE 'CRS-%'"


def _besides_queue(notes: list[str]) -> list[str]:
    """The notes other than the count of open cases put in the queues (these cases are old)
    and of the 疑似重复 among them (random cases of one type close together, trial BA S4)."""
    return [n for n in notes if not n.startswith("新增未办结案件") and "件疑似重复" not in n]


_TAG = {None: "原样", "gcj02": "甲", "bd09": "乙"}
"""File names that name no CRS (a name such as ``…_gcj02.csv`` declares its CRS)."""


def _file(tmp_path: Path, convert: str | None, *, prefix: str = "CRS", n: int = 60) -> Path:
    """N cases spread over the test grid (WGS84), written as a phone map would give them."""
    rng = np.random.default_rng(7)
    lon = rng.uniform(WEST + 0.0005, EAST - 0.0005, n)
    lat = rng.uniform(SOUTH + 0.0005, NORTH - 0.0005, n)
    if convert == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif convert == "bd09":
        lon, lat = wgs84_to_bd09(lon, lat)
    rows = [
        [f"{prefix}-{i}", "12345", "邻里纠纷", GRID, "2025-03-01 08:30", f"{x:.7f}", f"{y:.7f}"]
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]
    path = tmp_path / f"{prefix}-{_TAG[convert]}.csv"  # a name naming no CRS
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8-sig")
    return path


def _count(db: Session) -> int:
    return int(db.execute(text(f"SELECT count(*) FROM cases WHERE {MINE}")).scalar_one())


def _addressed_file(tmp_path: Path, prefix: str, *, seed: int, n: int, margin: float) -> Path:
    """N cases in GCJ-02 with 事发地址 in 测试社区 and no 所属社区, ``margin`` inside its box."""
    rng = np.random.default_rng(seed)
    lon, lat = wgs84_to_gcj02(
        rng.uniform(WEST + margin, EAST - margin, n), rng.uniform(SOUTH + margin, NORTH - margin, n)
    )
    headers = ["工单编号", "受理渠道", "问题分类", "事发地址", "来电时间", "经度", "纬度"]
    rows = [
        [
            f"{prefix}{i}",
            "12345",
            "邻里纠纷",
            f"华宁县宁州街道测试社区幸福路{i}号",
            "2025-03-01 08:30",
        ]
        + [f"{x:.7f}", f"{y:.7f}"]
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]
    path = tmp_path / "坐标工单.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("source", ["gcj02", "bd09"])
def test_web_map_coordinates_without_a_crs_are_refused_naming_the_crs_to_use(
    db: Session, tmp_path: Path, source: str
) -> None:
    seed_jurisdictions(db)
    path = _file(tmp_path, source)
    with pytest.raises(WrongCrs) as refused:
        run_import(db.connection(), path, ImportOptions(kind="cases", partial=True))
    assert refused.value.better.crs == source
    assert refused.value.assumed.crs == "cgcs2000" and refused.value.assumed.total == 60
    assert refused.value.better.share > refused.value.assumed.share
    message = str(refused.value)
    assert f"--crs {source}" in message and "--crs cgcs2000" in message
    assert "抽查的 60 个点" in message
    assert _count(db) == 0
    runs = db.execute(
        text("SELECT count(*) FROM import_runs WHERE file_name = :f"), {"f": path.name}
    )
    assert runs.scalar_one() == 0  # the refusal rolled back the import's record too

    loaded = run_import(db.connection(), path, ImportOptions(kind="cases", crs=source))
    assert loaded.committed and loaded.counts is not None and loaded.counts.inserted == 60
    inside = db.execute(
        text(
            "SELECT count(*) FROM cases c JOIN grids g ON g.code = c.grid_code"
            f" WHERE {MINE} AND ST_Covers(g.boundary, c.point)"
        )
    ).scalar_one()
    assert inside == 60


def test_a_crs_given_by_the_user_is_trusted_and_a_right_guess_loads(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    gps = run_import(db.connection(), _file(tmp_path, None), ImportOptions(kind="cases"))
    assert gps.committed and gps.counts is not None and gps.counts.inserted == 60
    assert _besides_queue(gps.notes) == []  # 60 points in their grid confirm the CRS assumed
    explicit = ImportOptions(kind="cases", crs="cgcs2000", partial=True)
    told = run_import(db.connection(), _file(tmp_path, "gcj02", prefix="CRS-GIVEN"), explicit)
    assert told.committed and told.counts is not None and told.counts.inserted > 0


def test_too_few_points_or_points_that_name_no_place_say_nothing_of_their_crs(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    path = _file(tmp_path, "gcj02", prefix="CRS-FEW", n=10)
    few = run_import(db.connection(), path, ImportOptions(kind="cases", dry_run=True))
    assert few.counts is not None and few.counts.inserted == 10
    # ... but the user is told, before anything is written when it is a dry run
    assert _besides_queue(few.notes) == [unchecked_note("cgcs2000", 10, where="所填的网格")]
    assert "只有 10 行" in few.notes[0] and "--crs gcj02" in few.notes[0]
    unplaced = tmp_path / "无网格.csv"
    frame = _file(tmp_path, "gcj02", prefix="CRS-NOWHERE").read_text(encoding="utf-8-sig")
    unplaced.write_text(frame.replace(GRID, ""), encoding="utf-8-sig")
    # The village each point falls in becomes its place: no independent evidence, no refusal.
    nowhere = run_import(db.connection(), unplaced, ImportOptions(kind="cases", partial=True))
    assert nowhere.committed and nowhere.counts is not None and nowhere.counts.inserted > 0
    gridded = f"{nowhere.counts.inserted} 件未填所属网格，已按点位定为其辖区内点位所在的网格"
    assert _besides_queue(nowhere.notes) == [unchecked_note("cgcs2000", 0), gridded]
    # A CRS the user gives, or rows without points, leave nothing to tell.
    given = run_import(db.connection(), path, ImportOptions(kind="cases", crs="gcj02"))
    assert given.committed and _besides_queue(given.notes) == []
    pointless = tmp_path / "无坐标.csv"
    pointless.write_text(
        csv_text(HEADERS, [["CRS-P-1", "12345", "邻里纠纷", GRID, "2025-03-01 08:30", "", ""]]),
        encoding="utf-8-sig",
    )
    # nothing of its CRS; only that the case has no point (trial AL M1)
    assert _besides_queue(
        run_import(db.connection(), pointless, ImportOptions(kind="cases")).notes
    ) == [
        "1 件案件没有经纬度，只按所属辖区或地址定位：不上地图、不参与热点分析，"
        "派单时也不能按距离推荐网格员"
    ]


def test_a_geojson_declaring_wgs84_but_drawn_on_a_chinese_web_map_is_refused(
    db: Session, tmp_path: Path
) -> None:
    import geopandas as gpd
    import shapely

    seed_jurisdictions(db)
    rng = np.random.default_rng(3)
    lon = rng.uniform(WEST + 0.0005, EAST - 0.0005, 40)
    lat = rng.uniform(SOUTH + 0.0005, NORTH - 0.0005, 40)
    glon, glat = wgs84_to_gcj02(lon, lat)
    cameras = gpd.GeoDataFrame(
        {
            "国标编码": [f"530424000013200{i:05d}" for i in range(40)],
            "点位名称": [f"路口{i}" for i in range(40)],
            "所属社区": VILLAGE,
        },
        geometry=[shapely.Point(x, y) for x, y in zip(glon, glat, strict=True)],
        crs=4326,  # as every GeoJSON says, whatever its coordinates
    )
    path = tmp_path / "摄像头.geojson"
    cameras.to_file(path)
    with pytest.raises(WrongCrs, match="文件注明的坐标系按 WGS84（GPS）读取时") as refused:
        run_import(db.connection(), path, ImportOptions(kind="video"))
    assert refused.value.better.crs == "gcj02"
    loaded = run_import(db.connection(), path, ImportOptions(kind="video", crs="gcj02"))
    assert _besides_queue(loaded.notes) == []
    assert loaded.committed and loaded.counts is not None and loaded.counts.inserted == 40


def test_an_export_naming_only_its_addresses_is_checked_by_them(
    db: Session, tmp_path: Path
) -> None:
    """经度/纬度 and 事发地址, no 所属社区: the address's village is the evidence."""
    seed_jurisdictions(db)
    path = _addressed_file(tmp_path, "CRS-A", seed=11, n=40, margin=0.0005)
    with pytest.raises(WrongCrs) as refused:
        run_import(db.connection(), path, ImportOptions(kind="cases", partial=True))
    assert refused.value.better.crs == "gcj02" and refused.value.assumed.total == 40
    loaded = run_import(db.connection(), path, ImportOptions(kind="cases", crs="gcj02"))
    assert loaded.committed  # and nothing said of the CRS, only of the grids the points gave
    assert _besides_queue(loaded.notes) == ["40 件未填所属网格，已按点位定为其辖区内点位所在的网格"]
    areas = db.execute(text(f"SELECT DISTINCT area_code FROM cases WHERE {MINE}")).scalars()
    assert list(areas) == [VILLAGE]  # placed by their points, which the address agrees with


def test_points_well_inside_their_places_under_either_reading_are_said_unchecked(
    db: Session, tmp_path: Path
) -> None:
    """A 12345 export in GCJ-02 whose points sit deep in their village (trial Y)."""
    seed_jurisdictions(db)
    path = _addressed_file(tmp_path, "CRS-D", seed=13, n=30, margin=0.007)
    dry = run_import(db.connection(), path, ImportOptions(kind="cases", dry_run=True))
    said = [n for n in dry.notes if n.startswith("坐标系未能核对")]
    assert len(said) == 1 and "已按 CGCS2000（GPS、天地图）读取" in said[0]
    assert "按 GCJ-02（高德、腾讯地图）" in said[0]
    assert "读取时，地址所在的村（社区）也同样相符" in said[0]
    assert "应加 --crs gcj02" in said[0]
    given = run_import(
        db.connection(), path, ImportOptions(kind="cases", crs="gcj02", dry_run=True)
    )
    assert not [n for n in given.notes if n.startswith("坐标系")]


def test_the_unchecked_note_sends_map_picked_points_not_phone_fixes_to_gcj02() -> None:
    """A phone's own positioning is WGS84; only a point picked on 高德 or 腾讯 is GCJ-02."""
    note = unchecked_note("cgcs2000", 3)
    assert "手机定位，应加 --crs gcj02" not in note
    assert "在高德、腾讯地图（或以其为底图的平台）上取的点，应加 --crs gcj02" in note
    assert "GPS 或手机定位直接测得的按默认读取即可" in note


def test_a_wrong_crs_and_the_rows_own_problems_are_told_in_one_round(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """The clerk learns of the --crs and of the rows to correct at once, not one after the other."""
    path = _file(tmp_path, "gcj02", prefix="CRS-BOTH")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines[3] = lines[3].replace("邻里纠纷", "不是类型")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    report = tmp_path / (path.name + ".rejects.xlsx")
    with seeded_database(database, "crs_and_rows") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        result = CliRunner().invoke(import_app(), ["import", "cases", str(path)], env=env)
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "请加 --crs gcj02" in output and "另有 1 行未通过逐行检查" in output
    sheet = load_workbook(report).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))[1:]
    assert [(r[0], r[2]) for r in rows] == [(4, "不是类型")]
