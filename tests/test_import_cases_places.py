"""Where a case file's rows are: grid names two communities share, grids from points, counties.

A clerk's grid-event export names grids as ``华溪镇新复社区第4网格`` or ``新复第6网格`` while two
townships each have a 新复社区 with its 新复第N网格; its rows have points (and addresses) that
say which. A city's 12345 export imported by a county centre lands partly above the county.
A township's ledger writes ``10月3日``, its year only in the file's name.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.places import Gazetteer, GridDirectory, GridPlace, Place
from importers.pipeline import ImportOptions, run_import
from importers.values import YEARLESS_RULE
from importers.within import CountyRows, county_note
from tests.import_fixtures import (
    GRID,
    VILLAGE,
    add_jurisdictions,
    box,
    csv_text,
    seed_jurisdictions,
)

NINGZHOU = "530424100000"
HUAXI = "530424102000"
XINFU_NZ = "530424100016"
XINFU_HX = "530424102001"
HEADERS = ["工单编号", "来源渠道", "事件类型", "经度", "纬度", "事发地址", "所属网格", "来电时间"]
AT = "2025-03-01 09:00"


def seed_two_xinfu(db: Session) -> None:
    """Two 新复社区 (宁州街道's, 华溪镇's), each with 新复第1网格; 华溪镇's grid has a boundary."""
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (HUAXI, "华溪镇", 4, "530424000000", None),
            (XINFU_NZ, "新复社区", 5, NINGZHOU, None),
            (XINFU_HX, "新复社区", 5, HUAXI, box(103.00, 24.30, 103.02, 24.32)),
        ],
    )
    db.execute(
        text(
            "INSERT INTO grids (code, name, area_code, boundary) VALUES "
            "(:a, '新复第1网格', :va, NULL), (:b, '新复第1网格', :vb, ST_GeomFromText(:w, 4490))"
        ),
        {
            "a": XINFU_NZ + "001",
            "va": XINFU_NZ,
            "b": XINFU_HX + "001",
            "vb": XINFU_HX,
            "w": box(103.00, 24.30, 103.01, 24.31),
        },
    )


def _cases(tmp_path: Path, rows: list[list[str]], name: str = "网格事件.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(csv_text(HEADERS, rows).encode("gbk"))
    return path


def _grids(db: Session) -> dict[str, tuple[str | None, str]]:
    rows = db.execute(
        text("SELECT external_no, grid_code, area_code FROM cases WHERE external_no LIKE 'G-%'")
    ).all()
    return {str(n): (g, str(a)) for n, g, a in rows}


def test_a_township_written_before_a_shared_grid_name_selects_it() -> None:
    places = Gazetteer(
        [
            Place(NINGZHOU, "宁州街道", 4, None),
            Place(XINFU_NZ, "新复社区", 5, NINGZHOU),
            Place(HUAXI, "华溪镇", 4, None),
            Place(XINFU_HX, "新复社区", 5, HUAXI),
        ]
    )
    grids = GridDirectory(
        [
            GridPlace(XINFU_NZ + "004", "新复第4网格", XINFU_NZ),
            GridPlace(XINFU_HX + "004", "新复第4网格", XINFU_HX),
        ],
        places,
    )
    found, _ = grids.locate("华溪镇新复社区第4网格")
    assert found is not None and found.code == XINFU_HX + "004"
    found, _ = grids.locate("宁州街道新复社区第四网格")
    assert found is not None and found.code == XINFU_NZ + "004"
    found, rule = grids.locate("新复第4网格")
    assert found is None and rule.startswith("“新复第4网格”有 2 处")


def test_a_shared_grid_name_is_told_apart_by_the_rows_point_then_its_address(
    db: Session, tmp_path: Path
) -> None:
    seed_two_xinfu(db)
    rows = [
        ["G-1", "12345", "邻里纠纷", "103.005", "24.305", "", "新复第1网格", AT],  # in the grid
        ["G-2", "12345", "邻里纠纷", "103.015", "24.315", "", "新复第1网格", AT],  # the village
        ["G-3", "12345", "邻里纠纷", "", "", "华溪镇新复社区幸福路3号", "新复第1网格", AT],
        ["G-4", "12345", "邻里纠纷", "", "", "宁州街道新复社区", "新复第1网格", AT],
        ["G-5", "12345", "邻里纠纷", "", "", "", "华溪镇新复社区第1网格", AT],
        ["G-6", "12345", "邻里纠纷", "", "", "新复社区", "新复第1网格", AT],  # still shared
    ]
    options = ImportOptions(kind="cases", crs="cgcs2000", partial=True)
    outcome = run_import(db.connection(), _cases(tmp_path, rows), options)
    assert [(p.row, p.column, p.rule.split("：")[0]) for p in outcome.problems] == [
        (7, "所属网格", "“新复第1网格”有 2 处")
    ]
    huaxi, ningzhou = (XINFU_HX + "001", XINFU_HX), (XINFU_NZ + "001", XINFU_NZ)
    assert _grids(db) == {"G-1": huaxi, "G-2": huaxi, "G-3": huaxi, "G-4": ningzhou, "G-5": huaxi}


def test_cases_with_a_point_and_no_grid_get_the_grid_around_it(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)  # 一网格 covers 测试社区
    rows = [
        ["G-1", "12345", "邻里纠纷", "102.905", "24.205", "", "", AT],
        ["G-2", "12345", "邻里纠纷", "", "", "宁州街道测试社区", "", AT],  # no point: no grid
    ]
    outcome = run_import(db.connection(), _cases(tmp_path, rows), ImportOptions(kind="cases"))
    assert outcome.status == "loaded", outcome.problems
    assert _grids(db) == {"G-1": (GRID, VILLAGE), "G-2": (None, VILLAGE)}
    assert "1 件未填所属网格，已按点位定为其辖区内点位所在的网格" in outcome.notes


def test_points_only_the_county_boundary_covers_are_said(db: Session, tmp_path: Path) -> None:
    """A township loaded by name only: a point off its villages' boundaries is the county's."""
    seed_jurisdictions(db)
    db.execute(
        text(
            "UPDATE jurisdictions SET boundary = ST_Multi(ST_GeomFromText(:w, 4490))"
            " WHERE code = :c"
        ),
        {"w": box(102.80, 24.10, 103.10, 24.40), "c": "530424000000"},
    )
    rows = [
        ["G-P1", "12345", "邻里纠纷", "102.905", "24.205", "", "", AT],  # in 测试社区
        ["G-P2", "12345", "邻里纠纷", "103.05", "24.35", "", "", AT],  # the county's only
    ]
    outcome = run_import(db.connection(), _cases(tmp_path, rows), ImportOptions(kind="cases"))
    assert outcome.status == "loaded", outcome.problems
    assert _grids(db) == {"G-P1": (GRID, VILLAGE), "G-P2": (None, "530424000000")}
    said = [n for n in outcome.notes if "只归到了县级或以上的辖区" in n]
    assert said == [
        "1 行的点位不在任何乡镇（街道）的边界内，只归到了县级或以上的辖区：不计入任何乡镇（街道）、"
        "村（社区）的数字；请核对这些点位，或先导入所在乡镇（街道）、村（社区）的边界再导入本文件"
    ]


def test_the_points_above_the_township_count_only_the_rows_loaded(
    db: Session, tmp_path: Path
) -> None:
    """A row ``--within`` refused is not said to be loaded at county level (trial AR M5)."""
    seed_jurisdictions(db)
    for code, wkt in (
        ("530424000000", box(102.80, 24.10, 103.10, 24.40)),
        ("530400000000", box(102.00, 23.50, 103.50, 25.00)),
    ):
        db.execute(
            text(
                "UPDATE jurisdictions SET boundary = ST_Multi(ST_GeomFromText(:w, 4490))"
                " WHERE code = :c"
            ),
            {"w": wkt, "c": code},
        )
    rows = [
        ["G-W1", "12345", "邻里纠纷", "102.905", "24.205", "", "", AT],  # in 测试社区
        ["G-W2", "12345", "邻里纠纷", "103.05", "24.35", "", "", AT],  # the county's only
        ["G-W3", "12345", "邻里纠纷", "102.30", "24.00", "", "", AT],  # 玉溪市's, outside it
    ]
    options = ImportOptions(kind="cases", within="530424", partial=True)
    outcome = run_import(db.connection(), _cases(tmp_path, rows), options)
    assert outcome.status == "partial", outcome.problems
    assert [p.row for p in outcome.problems if p.severity == "rejected"] == [4]
    assert set(_grids(db)) == {"G-W1", "G-W2"}
    said = [n for n in outcome.notes if "只归到了县级或以上的辖区" in n]
    assert len(said) == 1 and said[0].startswith("1 行的点位不在任何乡镇（街道）的边界内")


def test_rows_above_any_county_of_the_database_are_counted_in_the_county_note(
    db: Session, tmp_path: Path
) -> None:
    """A city's export: rows of counties the database lacks fall at the city, then said."""
    seed_jurisdictions(db)
    headers = ["工单编号", "来源渠道", "事件类型", "所属社区", "来电时间"]
    rows = [
        ["C-1", "12345", "邻里纠纷", VILLAGE, AT],
        ["C-2", "12345", "邻里纠纷", "530400000000", AT],
        ["C-3", "12345", "邻里纠纷", "玉溪市", AT],
    ]
    path = tmp_path / "市工单.csv"
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", dry_run=True))
    assert outcome.problems == []
    assert outcome.counties == [
        CountyRows("530400000000", "玉溪市", 2),
        CountyRows("530424000000", "华宁县", 1),
    ]
    assert county_note(outcome.counties) == (
        "数据在华宁县 1 行；另有 2 行不在本库任何县（区）内，落在玉溪市；"
        "如只应导入本辖区，请加 --within 代码"
    )


def _ledger(tmp_path: Path, name: str, dates: list[str]) -> Path:
    path = tmp_path / name
    headers = ["来源渠道", "事件类型", "所属社区", "描述", "登记时间"]
    rows = [["来访", "邻里纠纷", VILLAGE, f"纠纷{i}", d] for i, d in enumerate(dates)]
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    return path


def _reported(db: Session) -> list[str]:
    rows = db.execute(
        text(
            "SELECT to_char(reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') "
            "FROM cases WHERE description LIKE '纠纷%' ORDER BY description"
        )
    ).scalars()
    return list(rows)


def test_a_ledger_date_without_its_year_takes_the_year_of_the_files_name(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    path = _ledger(tmp_path, "矛盾纠纷排查化解台账（2024年10月）.csv", ["10月3日", "10月4日 8:30"])
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.status == "loaded", outcome.problems
    assert _reported(db) == ["2024-10-03 00:00", "2024-10-04 08:30"]
    assert "日期未写年份的按文件名中的 2024 年读取" in outcome.notes


def test_a_later_month_than_the_files_is_of_the_year_before(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    path = _ledger(tmp_path, "台账_2025.01.csv", ["12月30日", "1月2日"])
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.status == "loaded", outcome.problems
    assert _reported(db) == ["2024-12-30 00:00", "2025-01-02 00:00"]
    assert "日期未写年份的按文件名中的 2025 年读取（2—12 月的按 2024 年）" in outcome.notes


def test_without_a_year_in_the_names_a_yearless_date_is_refused(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    path = _ledger(tmp_path, "矛盾纠纷排查化解台账.csv", ["10月3日"])
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", dry_run=True))
    assert [(p.row, p.rule) for p in outcome.problems] == [(2, YEARLESS_RULE)]
    path = _ledger(tmp_path, "台账（2024年10月）.csv", ["10-03"])  # not a Chinese date: refused
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", dry_run=True))
    assert [p.row for p in outcome.problems] == [2]
