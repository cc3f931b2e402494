"""``zongzhi import … --within CODE``: rows placed outside the importing centre's jurisdiction.

The test county 华宁县 (530424) has a neighbour here, 江川区 (530421), whose village 新河村 has a
boundary and a grid: a point typed a little wrong, a 所属社区 of the other county, an address
there, land in it unless the import says which jurisdiction it is for.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, run_import
from importers.report import write_report
from importers.within import CountyRows, county_note
from layers.database import apply_scope
from layers.person_lookalikes import ELSEWHERE_ROW
from layers.secrets import Keys
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    GRID,
    OTHER_VILLAGE,
    VILLAGE,
    add_jurisdictions,
    box,
    csv_text,
    import_app,
    resident_id,
    seed_jurisdictions,
    seeded_database,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
HUANING = "530424000000"
JIANGCHUAN = "530421000000"
QIANWEI = "530421101000"
XINHE = "530421101001"
"""江川区前卫镇新河村 (boundary: lon 102.80-102.85, lat 24.20-24.22)."""
XINHE_GRID = XINHE + "001"
OUTSIDE = "不在 华宁县（530424000000）范围内（--within）"
XINHE_LABEL = f"前卫镇新河村（{XINHE}）"
CASE_HEADERS = ["工单编号", "来源渠道", "事件类型", "经度", "纬度", "来电时间"]
AT = "2025-03-01 09:00"


def seed_two_counties(session: Session) -> None:
    """Seed the test hierarchy, and 江川区 beside 华宁县: a township, a bounded village, a grid."""
    seed_jurisdictions(session)
    add_jurisdictions(
        session,
        [
            (JIANGCHUAN, "江川区", 3, "530400000000", box(102.70, 24.10, 102.88, 24.30)),
            (QIANWEI, "前卫镇", 4, JIANGCHUAN, None),
            (XINHE, "新河村", 5, QIANWEI, box(102.80, 24.20, 102.85, 24.22)),
        ],
    )
    session.execute(
        text(
            "INSERT INTO grids (code, name, area_code) VALUES (:c, '新河一网格', :a) "
            "ON CONFLICT DO NOTHING"
        ),
        {"c": XINHE_GRID, "a": XINHE},
    )


def _cases_file(tmp_path: Path) -> Path:
    """Three cases placed by their points: two in 华宁县, one a little west, in 江川区."""
    rows = [
        ["W-1", "12345", "邻里纠纷", "102.905", "24.205", AT],
        ["W-2", "12345", "邻里纠纷", "102.96", "24.21", AT],
        ["W-3", "12345", "邻里纠纷", "102.82", "24.21", AT],  # 102.92 typed 102.82
    ]
    path = tmp_path / "工单.csv"
    path.write_bytes(csv_text(CASE_HEADERS, rows).encode("gbk"))
    return path


def _areas(db: Session, table: str, key: str) -> dict[str, str]:
    rows = db.execute(
        text(f"SELECT {key}, area_code FROM {table} WHERE area_code LIKE '53%' ORDER BY 1")
    ).all()
    return {str(k): str(a) for k, a in rows}


def test_a_point_in_the_neighbouring_county_is_refused_within_the_county(
    db: Session, tmp_path: Path
) -> None:
    seed_two_counties(db)
    path = _cases_file(tmp_path)
    options = ImportOptions(kind="cases", crs="cgcs2000", within=HUANING)

    refused = run_import(db.connection(), path, options)
    assert refused.status == "rejected" and not refused.committed
    assert _areas(db, "cases", "external_no") == {}
    assert [(p.row, p.column, p.value, p.rule) for p in refused.problems] == [
        (4, "经度", "102.82, 24.21", f"点位在{XINHE_LABEL}，{OUTSIDE}")
    ]
    assert refused.within is not None and refused.within.label == "华宁县（530424000000）"

    partial = run_import(
        db.connection(), path, ImportOptions(**{**options.__dict__, "partial": True})
    )
    assert partial.status == "partial" and partial.committed
    assert partial.counts is not None and partial.counts.inserted == 2
    assert _areas(db, "cases", "external_no") == {"W-1": VILLAGE, "W-2": OTHER_VILLAGE}
    assert partial.counties == []  # one jurisdiction: nothing to count by county
    report = write_report(tmp_path / "rejects.csv", partial.problems)
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert [line[:4] for line in lines[1:]] == [
        ["4", "经度", "102.82, 24.21", f"点位在{XINHE_LABEL}，{OUTSIDE}"]
    ]


def test_without_within_the_point_loads_and_the_counties_are_counted(
    db: Session, tmp_path: Path
) -> None:
    seed_two_counties(db)
    outcome = run_import(db.connection(), _cases_file(tmp_path), ImportOptions(kind="cases"))
    assert outcome.status == "loaded" and outcome.within is None
    assert _areas(db, "cases", "external_no") == {
        "W-1": VILLAGE,
        "W-2": OTHER_VILLAGE,
        "W-3": XINHE,
    }
    assert outcome.counties == [
        CountyRows(HUANING, "华宁县", 2),
        CountyRows(JIANGCHUAN, "江川区", 1),
    ]
    assert county_note(outcome.counties) == (
        "数据分布在 2 个县（区）：华宁县 2 行、江川区 1 行；如只应导入本辖区，请加 --within 代码"
    )


def test_each_row_is_refused_on_the_column_that_placed_it(db: Session, tmp_path: Path) -> None:
    """A county's 6 digits are its code; each row's place came from one column."""
    seed_two_counties(db)
    headers = ["工单编号", "来源渠道", "事件类型", "所属社区", "所属乡镇", "网格编码"]
    headers += ["事发地址", "经度", "纬度", "来电时间"]
    blank = ["", "", "", "", "", ""]

    def row(number: str, **given: str) -> list[str]:
        values = dict(zip(headers[3:9], blank, strict=True)) | given
        return [number, "12345", "邻里纠纷", *values.values(), AT]

    rows = [
        row("P-2", 所属社区=VILLAGE),
        row("P-3", 所属社区=XINHE),  # another county's village code
        row("P-4", 所属社区="新河村"),  # … or its name
        row("P-5", 网格编码=XINHE_GRID),  # a grid of the other county
        row("P-6", 事发地址="江川区前卫镇新河村幸福路1号"),
        row("P-7", 经度="102.82", 纬度="24.21"),
        row("P-8", 所属乡镇="前卫镇"),
        row("P-9", 所属社区="530424"),  # the county itself, in its 6 digits
        row("P-10", 所属乡镇="宁州街道", 事发地址="前卫镇新河村"),  # 宁州街道: no such village
        row("P-11", 经度="102.93", 纬度="24.21"),  # in 华宁县, in no boundary
    ]
    path = tmp_path / "工单.csv"
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    options = ImportOptions(kind="cases", crs="cgcs2000", partial=True, within="530424")
    outcome = run_import(db.connection(), path, options)

    assert outcome.within is not None and outcome.within.code == HUANING
    found = sorted((p.row, p.column, p.value, p.rule) for p in outcome.problems)
    missing = (
        "缺少所属辖区：没有辖区或网格编码，点位（如有）不在数据库中任何辖区的边界内，"
        "地址中也没有数据库中乡镇（街道）或村（社区）的全称"
    )
    assert found == [
        (3, "所属社区", XINHE, f"属于{XINHE_LABEL}，{OUTSIDE}"),
        (4, "所属社区", "新河村", f"属于{XINHE_LABEL}，{OUTSIDE}"),
        (5, "网格编码", XINHE_GRID, f"属于{XINHE_LABEL}，{OUTSIDE}"),
        (6, "事发地址", "江川区前卫镇新河村幸福路1号", f"地址指{XINHE_LABEL}，{OUTSIDE}"),
        (7, "经度", "102.82, 24.21", f"点位在{XINHE_LABEL}，{OUTSIDE}"),
        (8, "所属乡镇", "前卫镇", f"属于江川区前卫镇（{QIANWEI}），{OUTSIDE}"),
        (11, "所属社区", None, missing),  # placed nowhere: as without --within
    ]
    assert _areas(db, "cases", "external_no") == {
        "P-10": "530424100000",
        "P-2": VILLAGE,
        "P-9": HUANING,
    }


def test_a_roster_of_workers_and_one_of_persons_keep_to_the_township(
    db: Session, tmp_path: Path
) -> None:
    """Within a township (9 digits): a worker of another county's grid, a person there."""
    seed_two_counties(db)
    headers = ["工号", "姓名", "负责网格", "所属社区", "经度", "纬度"]
    rows = [
        ["G1", "甲", GRID, "", "", ""],
        ["G2", "乙", XINHE_GRID, "", "", ""],
        ["G3", "丙", "", "新河村", "", ""],
        ["G4", "丁", "", "", "102.83", "24.21"],
    ]
    path = tmp_path / "网格员.csv"
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    options = ImportOptions(kind="workers", crs="cgcs2000", within="530424100")
    refused = run_import(db.connection(), path, options)
    assert refused.status == "rejected"
    outside = "不在 宁州街道（530424100000）范围内（--within）"
    assert sorted((p.row, p.column, p.value, p.rule) for p in refused.problems) == [
        (3, "负责网格", XINHE_GRID, f"属于{XINHE_LABEL}，{outside}"),
        (4, "所属社区", "新河村", f"属于{XINHE_LABEL}，{outside}"),
        (5, "经度", "102.83, 24.21", f"点位在{XINHE_LABEL}，{outside}"),
    ]
    assert _areas(db, "workers", "external_id") == {}
    partial = ImportOptions(**{**options.__dict__, "partial": True})
    assert run_import(db.connection(), path, partial).status == "partial"
    assert _areas(db, "workers", "external_id") == {"G1": VILLAGE}

    headers = ["姓名", "公民身份号码", "人员类别", "所属社区", "经度", "纬度"]
    people = [
        ["张三", resident_id(1), "刑满释放人员", VILLAGE, "", ""],
        ["李四", resident_id(2), "刑满释放人员", "", "102.81", "24.21"],
        ["王五", resident_id(3), "刑满释放人员", XINHE, "", ""],
    ]
    roster = tmp_path / "特殊人群.csv"
    roster.write_bytes(csv_text(headers, people).encode("gbk"))
    options = ImportOptions(kind="persons", crs="cgcs2000", partial=True, within="530424100")
    outcome = run_import(db.connection(), roster, options, keys=KEYS)
    assert sorted((p.row, p.column, p.rule) for p in outcome.problems) == [
        (3, "经度", f"点位在{XINHE_LABEL}，{outside}"),
        (4, "所属社区", f"属于{XINHE_LABEL}，{outside}"),
    ]
    assert list(_areas(db, "persons", "name").items()) == [("张三", VILLAGE)]

    # The other county's person loaded without --within: a visit to them is not the township's.
    everyone = ImportOptions(kind="persons", crs="cgcs2000", partial=True)
    assert run_import(db.connection(), roster, everyone, keys=KEYS).status == "loaded"
    visits = tmp_path / "走访.csv"
    visited = [[resident_id(1), "2025-03-01"], [resident_id(3), "2025-03-01"]]
    visits.write_bytes(csv_text(["公民身份号码", "走访日期"], visited).encode("gbk"))
    options = ImportOptions(kind="visits", partial=True, within="530424100")
    outcome = run_import(db.connection(), visits, options, keys=KEYS)
    # the person's place is not told (trial AJ S3): one reason for any ID on record outside
    assert [(p.row, p.column, p.rule) for p in outcome.problems] == [
        (3, "公民身份号码", ELSEWHERE_ROW)
    ]
    assert outcome.counts is not None and outcome.counts.inserted == 1


def test_a_county_imports_its_own_units_not_those_above_or_beside_it(
    db: Session, tmp_path: Path
) -> None:
    seed_two_counties(db)
    rows = [
        ["530400000000", "玉溪市"],  # above the county: another centre's
        [HUANING, "华宁县"],  # the county itself
        ["530424101000", "盘溪镇"],
        ["530421102000", "路居镇"],  # the neighbour's
    ]
    path = tmp_path / "乡镇.csv"
    path.write_bytes(csv_text(["区划代码", "名称"], rows).encode("gbk"))
    options = ImportOptions(kind="jurisdictions", partial=True, within=HUANING)
    outcome = run_import(db.connection(), path, options)
    assert sorted((p.row, p.column, p.value, p.rule) for p in outcome.problems) == [
        (
            2,
            "区划代码",
            "530400000000",
            "是华宁县（530424000000）的上级辖区，不在其范围内（--within）：上级辖区由上级中心导入",
        ),
        (5, "区划代码", "530421102000", OUTSIDE),
    ]
    assert outcome.counts is not None
    assert (outcome.counts.inserted, outcome.counts.updated) == (1, 0)  # the county as it was
    names = db.execute(
        text("SELECT code FROM jurisdictions WHERE name IN ('盘溪镇', '路居镇')")
    ).scalars()
    assert list(names) == ["530424101000"]

    grids = tmp_path / "网格.csv"
    grid_rows = [[VILLAGE + "002", "二网格"], [XINHE + "002", "新河二网格"]]
    grids.write_bytes(csv_text(["网格编码", "网格名称"], grid_rows).encode("gbk"))
    options = ImportOptions(kind="grids", within=HUANING)
    refused = run_import(db.connection(), grids, options)
    assert refused.status == "rejected"
    assert [(p.row, p.column, p.rule) for p in refused.problems] == [(3, "网格编码", OUTSIDE)]


def test_cli_within_a_county_given_in_six_digits(database: SuiteDatabase, tmp_path: Path) -> None:
    with seeded_database(database, "zz_import_within") as (engine, url):
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            seed_two_counties(session)
        env = {
            "ZONGZHI_DATABASE_URL": url,
            "ZONGZHI_HOME": str(tmp_path / "home"),
            "COLUMNS": "200",
        }
        path = _cases_file(tmp_path)
        runner = CliRunner()
        args = ["import", "cases", str(path), "--crs", "cgcs2000", "--within", "530424"]

        refused = runner.invoke(import_app(), args, env=env)
        assert refused.exit_code == 1, refused.output
        assert "范围：华宁县（530424000000）" in refused.output
        assert "未导入任何数据" in refused.output and "数据分布在" not in refused.output
        from openpyxl import load_workbook

        sheet = load_workbook(tmp_path / "工单.csv.rejects.xlsx").active
        assert sheet is not None
        lines = [tuple(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
        assert [line[:4] for line in lines] == [
            (4, "经度", "102.82, 24.21", f"点位在{XINHE_LABEL}，{OUTSIDE}")
        ]

        centre = {**env, "ZONGZHI_WITHIN": "530424"}  # a county's centre sets it once
        by_setting = runner.invoke(import_app(), [*args[:5], "--dry-run"], env=centre)
        assert by_setting.exit_code == 1, by_setting.output
        assert "范围：华宁县（530424000000）" in by_setting.output

        loaded = runner.invoke(import_app(), [*args, "--partial"], env=env)
        assert loaded.exit_code == 3, loaded.output  # valid rows loaded, some rejected
        assert "部分导入" in loaded.output and "数据分布在" not in loaded.output
        count = "SELECT count(*) FROM cases WHERE area_code LIKE :p"
        with engine.begin() as conn:
            apply_scope(conn, None)
            assert conn.execute(text(count), {"p": "530424%"}).scalar_one() == 2
            assert conn.execute(text(count), {"p": "530421%"}).scalar_one() == 0

        everywhere = runner.invoke(import_app(), [*args[:5], "--dry-run"], env=env)
        assert everywhere.exit_code == 0, everywhere.output
        assert "试运行" in everywhere.output and "范围：" not in everywhere.output
        note = "数据分布在 2 个县（区）：华宁县 2 行、江川区 1 行；如只应导入本辖区，请加 --within"
        assert note in everywhere.output

        city = runner.invoke(import_app(), [*args[:5], "--within", "5304", "--dry-run"], env=env)
        assert city.exit_code == 0, city.output  # a city's centre types its 4 digits
        assert "范围：玉溪市（530400000000）" in city.output


def test_cli_within_names_no_jurisdiction_of_the_database(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    env = {
        "ZONGZHI_DATABASE_URL": database.urls.owner,
        "ZONGZHI_HOME": str(tmp_path / "home"),
        "COLUMNS": "200",
    }
    path = _cases_file(tmp_path)
    runner = CliRunner()
    unknown = runner.invoke(
        import_app(), ["import", "cases", str(path), "--within", "530499"], env=env
    )
    assert unknown.exit_code == 2, unknown.output
    assert "错误：--within 530499 不是数据库中的行政区划（数据库中没有 530499000000）" in (
        unknown.output
    )
    assert not (tmp_path / "工单.csv.rejects.xlsx").exists()  # refused before any file is read
    assert "导入案件" not in unknown.output
    invalid = runner.invoke(
        import_app(), ["import", "cases", str(path), "--within", "53042"], env=env
    )
    assert invalid.exit_code == 2, invalid.output
    assert "错误：--within 53042 不是有效的行政区划代码：应写 12 位区划代码" in invalid.output
