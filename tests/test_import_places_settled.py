"""A village name two townships share, settled by the row as grid names are.

盘溪镇 and 华溪镇 each have a 新村. A camera list (or a case file) that names its 所属社区
``新村`` says which by its point: the village whose boundary covers it, else the one whose
township's does; a row without a point, by its address. A village boundary file without codes
says which by its 乡镇名称 column, or by where its boundary lies.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.mapping import resolve_columns
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from importers.reading import GEOMETRY_COLUMN
from tests.import_fixtures import add_jurisdictions, box, csv_text, seed_jurisdictions

PANXI, HUAXI = "530424101000", "530424102000"
XINCUN_PX, XINCUN_HX = "530424101001", "530424102001"
"""新村 of 盘溪镇 (a boundary of its own), 新村 of 华溪镇 (none: its township's tells)."""


def _seed(db: Session, *, bounded: bool = True) -> None:
    """The test places, 盘溪镇 and 华溪镇 (with boundaries if ``bounded``) and their 新村."""
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (
                PANXI,
                "盘溪镇",
                4,
                "530424000000",
                box(103.00, 24.30, 103.10, 24.40) if bounded else None,
            ),
            (
                HUAXI,
                "华溪镇",
                4,
                "530424000000",
                box(103.10, 24.30, 103.20, 24.40) if bounded else None,
            ),
            (XINCUN_PX, "新村", 5, PANXI, box(103.00, 24.30, 103.02, 24.32)),
            (XINCUN_HX, "新村村委会", 5, HUAXI, None),
        ],
    )


def _import(
    db: Session, tmp_path: Path, name: str, headers: list[str], rows: list[list[str]], kind: str
) -> ImportOutcome:
    path = tmp_path / name
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind=kind, crs="cgcs2000", partial=True)
    return run_import(db.connection(), path, options)


def _rules(outcome: ImportOutcome) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.rule.split("：")[0]) for p in outcome.problems]


def test_a_cameras_shared_village_name_is_settled_by_its_point(db: Session, tmp_path: Path) -> None:
    _seed(db)
    headers = ["国标编码", "点位名称", "经度", "纬度", "所属社区"]
    rows = [
        ["53042400001320000101", "新村村口", "103.01", "24.31", "新村"],  # in 盘溪镇's 新村
        ["53042400001320000102", "新村小学", "103.15", "24.35", "新村村委会"],  # in 华溪镇
        ["53042400001320000103", "新村桥头", "103.15", "24.35", "华宁县/新村"],  # a path
        ["53042400001320000104", "新村路口", "102.91", "24.21", "新村"],  # in neither township
    ]
    outcome = _import(db, tmp_path, "监控点.csv", headers, rows, "video")
    assert _rules(outcome) == [(5, "所属社区", "“新村”有 2 处")]
    stored = db.execute(
        text("SELECT device_id, area_code FROM video_points WHERE name LIKE '新村%' ORDER BY 1")
    ).all()
    assert [tuple(s) for s in stored] == [
        ("53042400001320000101", XINCUN_PX),
        ("53042400001320000102", XINCUN_HX),
        ("53042400001320000103", XINCUN_HX),
    ]


def test_a_cases_shared_village_name_is_settled_by_its_point_then_its_address(
    db: Session, tmp_path: Path
) -> None:
    _seed(db)
    headers = [
        "工单编号",
        "来源渠道",
        "事件类型",
        "经度",
        "纬度",
        "事发地址",
        "所属社区",
        "来电时间",
    ]
    at = "2025-03-01 09:00"
    rows = [
        ["S-1", "12345", "邻里纠纷", "103.15", "24.35", "", "新村", at],
        ["S-2", "12345", "邻里纠纷", "", "", "盘溪镇新村幸福路3号", "新村", at],
        ["S-3", "12345", "邻里纠纷", "", "", "新村幸福路3号", "新村", at],  # says nothing more
    ]
    outcome = _import(db, tmp_path, "工单.csv", headers, rows, "cases")
    assert _rules(outcome) == [(4, "所属社区", "“新村”有 2 处")]
    stored = db.execute(
        text("SELECT external_no, area_code FROM cases WHERE external_no LIKE 'S-%' ORDER BY 1")
    ).all()
    assert [tuple(s) for s in stored] == [("S-1", XINCUN_HX), ("S-2", XINCUN_PX)]


def _boundaries(db: Session) -> dict[str, tuple[float, float]]:
    """Return the centres of the two 新村's boundaries."""
    rows = db.execute(
        text(
            "SELECT code, ST_X(ST_Centroid(boundary)), ST_Y(ST_Centroid(boundary))"
            " FROM jurisdictions WHERE code IN (:a, :b) AND boundary IS NOT NULL"
        ),
        {"a": XINCUN_PX, "b": XINCUN_HX},
    ).all()
    return {str(c): (round(x, 6), round(y, 6)) for c, x, y in rows}


def test_a_village_boundary_file_without_codes_tells_shared_names_by_township(
    db: Session, tmp_path: Path
) -> None:
    """Townships loaded by code and name only (``zongzhi divisions``): the 乡镇名称 tells."""
    _seed(db, bounded=False)
    rows = [
        ["新村", "华溪镇", box(103.12, 24.32, 103.14, 24.34)],
        ["新村村委会", "盘溪镇", box(103.02, 24.32, 103.04, 24.34)],
        ["新村", "青龙镇", box(103.02, 24.32, 103.04, 24.34)],  # a township the database lacks
    ]
    outcome = _import(db, tmp_path, "村界.csv", ["村名", "乡镇名称", "边界"], rows, "jurisdictions")
    assert [(p.row, p.column, p.rule) for p in outcome.problems] == [
        (4, "乡镇名称", "数据库中没有名为“青龙镇”的乡镇（街道）")
    ]
    assert outcome.committed
    assert outcome.counts is not None and outcome.counts.updated == 2
    assert _boundaries(db) == {XINCUN_PX: (103.03, 24.33), XINCUN_HX: (103.13, 24.33)}


def test_a_village_boundary_without_township_is_settled_by_where_it_lies(
    db: Session, tmp_path: Path
) -> None:
    _seed(db)
    rows = [
        ["新村", box(103.16, 24.36, 103.18, 24.38)],  # inside 华溪镇
        ["新村", box(102.80, 24.10, 102.82, 24.12)],  # in neither township: still shared
    ]
    outcome = _import(db, tmp_path, "村界.csv", ["村委会名称", "边界"], rows, "jurisdictions")
    assert _rules(outcome) == [(3, "村委会名称", "“新村”有 2 处")]
    assert _boundaries(db) == {XINCUN_PX: (103.01, 24.31), XINCUN_HX: (103.17, 24.37)}


def test_a_village_files_township_column_is_found_when_a_shapefile_cut_its_name() -> None:
    """The DBF's 10 bytes cut 村委会名称 and 乡镇名称 (UTF-8) to 村委会 and 乡镇名."""
    fields = ["code", "name", "township", "wkt"]
    columns = resolve_columns(["乡镇名", "村委会"], fields, has_geometry=True, kind="jurisdictions")
    assert columns == {"wkt": GEOMETRY_COLUMN, "name": "村委会", "township": "乡镇名"}
