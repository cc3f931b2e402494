"""Headers, summaries and small refusals a planner's trial tripped over (trial P).

A 12345 export's 诉求类型 is its case type, a ledger's 纠纷地点 its address, a county
compilation's 村（社区） its village, a grid list's 网格边界 its boundaries; a grid or village
list without boundaries says, loudly, which new units it would leave without one; a column the
file's name gave is not listed as the file's. ``--sheet all`` says a file-level error once. A
summary lists the first ten classifications it read, a CSV beside the report all. An address
in another county is refused as outside ``--within``. A hazard or an opinion keeps the
platform's subtype (消防, 环境卫生 …), from a 12345 classification or a mapping file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geo.crs import SourceCrs
from importers import vocabulary
from importers.demo.cases import HAZARD_TYPES, OPINION_TYPES
from importers.kinds import KINDS, Context
from importers.kinds.cases import CASE_TABLES
from importers.loading import Alarm
from importers.pipeline import ImportOptions, ImportOutcome, check_file, run_import
from importers.rules import MissingColumns, RowChecks
from layers.model.base import LabelledEnum
from layers.model.cases import SUBTYPES, Category, HazardType, OpinionType
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    GRID,
    SOUTH,
    VILLAGE,
    WEST,
    box,
    csv_text,
    import_app,
    imported_cases,
    seed_jurisdictions,
    seeded_database,
)

COUNTY = "530424000000"
INSIDE = box(WEST + 0.001, SOUTH + 0.001, WEST + 0.005, SOUTH + 0.005)
"""A grid's boundary inside the test village."""


def _import(
    db: Session, path: Path, headers: list[str], rows: list[list[str]], kind: str, **options: object
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind=kind, **options))  # type: ignore[arg-type]


def _env(database: SuiteDatabase, tmp_path: Path, url: str | None = None) -> dict[str, str]:
    return {
        "ZONGZHI_DATABASE_URL": url or database.urls.owner,
        "ZONGZHI_HOME": str(tmp_path / "home"),
    }


def _lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip()]


# ------------------------------------------------------------------------ F9: the headers


def test_a_hotline_exports_诉求类型_is_its_case_type(tmp_path: Path) -> None:
    path = tmp_path / "玉溪市12345热线华宁县工单明细.csv"
    headers = ["工单编号", "受理时间", "诉求类型", "事发地址"]
    rows = [["GD-1", "2024-03-01 09:00", "城乡建设>物业管理>物业服务", "华宁县宁州街道测试社区"]]
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    checked = check_file(path, ImportOptions(kind="cases"), None)
    assert checked.checks.columns["category"] == "诉求类型"
    records = checked.parts[0].records
    assert list(records[["category", "subcategory"]].itertuples(index=False, name=None)) == [
        ("dispute", "property_management")
    ]


def test_a_classification_column_wins_over_诉求类型_of_complaints_and_questions(
    tmp_path: Path,
) -> None:
    """Many hotlines' 诉求类型 says 投诉, 咨询, 求助: their 问题分类 is the case's type."""
    path = tmp_path / "12345工单.csv"
    headers = ["工单编号", "受理时间", "诉求类型", "问题分类"]
    rows = [["GD-1", "2024-03-01 09:00", "投诉", "劳动和社会保障>劳动关系>拖欠工资"]]
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    checked = check_file(path, ImportOptions(kind="cases"), None)
    assert checked.checks.columns["category"] == "问题分类"
    assert checked.checks.problems == []


def test_a_ledgers_纠纷地点_places_its_rows(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    headers = ["登记日期", "纠纷类型", "当事人", "纠纷地点", "纠纷简要情况", "排查方式", "调处结果"]
    place = "宁州街道测试社区石头村民小组"
    rows = [["2023-01-03", "邻里纠纷", "王秀、孙平", place, "排水沟", "群众来访", "调解成功"]]
    outcome = _import(db, tmp_path / "宁州街道矛盾纠纷排查调处台账.csv", headers, rows, "cases")
    assert outcome.columns["address"] == "纠纷地点"
    assert outcome.problems == [] and outcome.committed
    assert [area for _, area in imported_cases(db).values()] == [VILLAGE]


def test_a_county_compilations_村社区_is_its_village(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    headers = ["序号", "排查日期", "村（社区）", "纠纷类型", "当事人", "基本情况", "排查方式"]
    rows = [["1", "2023-01-19", "测试社区", "山林权属纠纷", "普强、林国", "林地权属", "网格员排查"]]
    outcome = _import(db, tmp_path / "各乡镇矛盾纠纷排查调处台账汇总.csv", headers, rows, "cases")
    assert outcome.columns["area_code"] == "村（社区）"
    assert outcome.problems == [] and outcome.committed
    assert [area for _, area in imported_cases(db).values()] == [VILLAGE]


def test_a_grid_lists_网格边界_is_its_boundary(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    code = VILLAGE + "902"
    headers = ["网格编码", "网格名称", "所属村（社区）", "网格边界", "备注"]
    rows = [[code, "边界网格", "测试社区", INSIDE, "新划"]]
    outcome = _import(db, tmp_path / "网格划分.csv", headers, rows, "grids")
    assert outcome.columns["wkt"] == "网格边界"
    assert outcome.committed and not any(isinstance(n, Alarm) for n in outcome.notes)
    bounded = db.execute(
        text("SELECT boundary IS NOT NULL FROM grids WHERE code = :c"), {"c": code}
    ).scalar_one()
    assert bounded


NEW_GRIDS_ALARM = (
    "新增网格 2 个没有边界：二网格、三网格；如文件中有边界列（如“网格边界”），请用 --mapping 指定"
)


def test_a_grid_list_without_boundaries_names_the_new_grids_it_leaves_without_one(
    db: Session, tmp_path: Path
) -> None:
    """A list of names and leaders is a real file: allowed, but it says what it leaves unbounded.

    The grid on record keeps its boundary (a file without boundaries does not remove them).
    """
    seed_jurisdictions(db)
    headers = ["网格编码", "网格名称", "所属社区", "备注"]
    rows = [
        [GRID, "一网格", VILLAGE, ""],
        [VILLAGE + "002", "二网格", VILLAGE, ""],
        [VILLAGE + "003", "三网格", VILLAGE, ""],
    ]
    outcome = _import(db, tmp_path / "网格名单.csv", headers, rows, "grids", dry_run=True)
    assert outcome.status == "dry-run" and outcome.rejected_rows == 0
    alarms = [n for n in outcome.notes if isinstance(n, Alarm)]
    assert alarms == [NEW_GRIDS_ALARM]
    done = _import(db, tmp_path / "网格名单.csv", headers, rows, "grids")
    assert done.committed and [n for n in done.notes if isinstance(n, Alarm)] == [NEW_GRIDS_ALARM]
    again = _import(db, tmp_path / "网格名单.csv", headers, rows, "grids", again=True)
    assert not any(isinstance(n, Alarm) for n in again.notes)  # no new grid this time


def test_a_village_list_without_boundaries_names_its_new_villages(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["区划代码", "名称"]
    rows = [[VILLAGE, "测试社区"], ["530424100009", "新设村"]]
    outcome = _import(db, tmp_path / "村级建制.csv", headers, rows, "jurisdictions", dry_run=True)
    assert [n for n in outcome.notes if isinstance(n, Alarm)] == [
        "新增辖区 1 个没有边界：新设村；如文件中有边界列（如“区划边界”），请用 --mapping 指定"
    ]


def test_the_dry_run_of_a_grid_list_without_boundaries_says_so_before_the_rest(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    with seeded_database(database, "trial_p_grids") as (_, url):
        path = tmp_path / "网格名单.csv"
        headers = ["网格编码", "网格名称", "所属社区"]
        rows = [[GRID, "一网格", VILLAGE], [VILLAGE + "002", "二网格", VILLAGE]]
        path.write_text(csv_text(headers, rows), encoding="utf-8")
        args = ["import", "grids", str(path), "--dry-run"]
        result = CliRunner().invoke(import_app(), args, env=_env(database, tmp_path, url))
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    alarm = "新增网格 1 个没有边界：二网格；如文件中有边界列（如“网格边界”），请用 --mapping 指定"
    assert alarm in lines
    assert lines.index(alarm) < next(i for i, line in enumerate(lines) if line.startswith("列对照"))


def test_a_missing_column_message_lists_only_the_files_own_columns(tmp_path: Path) -> None:
    """The 来源渠道 the file's name gave is no column of the file."""
    path = tmp_path / "玉溪市12345热线工单明细.csv"
    path.write_text(
        csv_text(["工单编号", "受理时间", "工单状态"], [["GD-1", "2024-03-01", "已办结"]]),
        encoding="utf-8",
    )
    with pytest.raises(MissingColumns) as refused:
        check_file(path, ImportOptions(kind="cases"), None)
    message = str(refused.value)
    assert "文件中的列：工单编号、受理时间、工单状态。" in message
    assert "来源渠道" not in message


# ------------------------------------------------------------------------ F16: --sheet all


def test_a_file_level_error_shared_by_every_sheet_is_said_once(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    book = Workbook()
    months = ["2023.01", "2023.02", "2023.03"]
    for number, month in enumerate(months):
        sheet = book.active if number == 0 else book.create_sheet(month)
        assert sheet is not None
        sheet.title = month
        sheet.append(["序号", "排查日期", "所属村（社区）", "矛盾纠纷类型", "当事人"])
        sheet.append(["1", "2023-01-02", "测试社区", "婚姻家庭", "杨兰、吴华"])
    path = tmp_path / "盘溪镇矛盾纠纷排查化解台账.xlsx"  # a name that names no channel
    book.save(path)
    args = ["import", "cases", str(path), "--sheet", "all", "--dry-run"]
    result = CliRunner().invoke(import_app(), args, env=_env(database, tmp_path))
    assert result.exit_code == 2, result.output
    shown = re.sub(r"\s", "", result.output)
    assert shown.count("文件缺少必填字段的列") == 1
    assert "以上错误在全部3个工作表中相同（2023.01、2023.02、2023.03），只显示一次" in shown
    assert "共3个工作表或图层：检查通过0个，退回0个，无法导入3个" in shown


# ------------------------------------------------------------------------ F17: 分类对照

TERMS = (
    "邻里矛盾 相邻关系 土地纠纷 宅基地纠纷 劳资纠纷 拖欠工资 物业纠纷 医患纠纷 交通事故纠纷 "
    "拆迁纠纷 噪音扰民 商品质量"
).split()
CASE_HEADERS = ["工单编号", "来源渠道", "问题分类", "所属网格", "受理时间", "办理状态"]


def _hotline_rows() -> list[list[str]]:
    return [
        [f"CL-{n}", "12345", f"社会治理>{term}", GRID, "2025-03-01 08:30", "已办结"]
        for n, term in enumerate(TERMS)
    ]


def _classification_lines(output: str) -> list[str]:
    lines = _lines(output)
    start = next(i for i, line in enumerate(lines) if line.startswith("分类对照"))
    return [line for line in lines[start + 1 :] if line.startswith(("社会治理>", "另有"))]


def test_a_summary_lists_ten_classifications_and_a_file_beside_the_report_all(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """A dry run's summary is cut as an import's (trial X); the whole list is in a CSV."""
    path = tmp_path / "工单.csv"
    path.write_text(csv_text(CASE_HEADERS, _hotline_rows()), encoding="utf-8")
    with seeded_database(database, "trial_p_readings") as (_, url):
        env = _env(database, tmp_path, url)
        dry = CliRunner().invoke(import_app(), ["import", "cases", str(path), "--dry-run"], env=env)
        real = CliRunner().invoke(import_app(), ["import", "cases", str(path)], env=env)
    assert dry.exit_code == 0 and real.exit_code == 0, dry.output + real.output
    listed = _classification_lines(dry.output)
    assert listed[10:] == ["另有 2 项，未列出（全部见 工单.csv.完整列表.试运行.csv）"]
    short = _classification_lines(real.output)
    assert short[:10] == listed[:10]
    assert short[10:] == ["另有 2 项，未列出（全部见 工单.csv.完整列表.csv）"]
    for name in ("工单.csv.完整列表.试运行.csv", "工单.csv.完整列表.csv"):
        whole = pd.read_csv(tmp_path / name, encoding="utf-8-sig", dtype=str)
        assert list(whole.columns) == ["说明", "项目"]
        assert len(whole) == len(TERMS) and whole["说明"].str.startswith("分类对照").all()
        assert whole["项目"].tolist()[:10] == listed[:10]


# ------------------------------------------------------------------------ F18: other counties


ADDRESS_HEADERS = ["工单编号", "来源渠道", "问题分类", "事发地址", "受理时间", "办理状态"]


def _addressed(*addresses: str) -> list[list[str]]:
    return [
        [f"AD-{n}", "12345", "邻里纠纷", address, "2024-08-01 11:02", "已办结"]
        for n, address in enumerate(addresses)
    ]


def test_an_address_in_another_county_is_outside_within_as_one_in_another_district(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    rows = _addressed("华宁县宁州街道测试社区", "玉溪市江川区大街街道", "通海县秀山街道")
    outcome = _import(
        db, tmp_path / "工单.csv", ADDRESS_HEADERS, rows, "cases", within=COUNTY, partial=True
    )
    outside = "不在 华宁县（530424000000）范围内（--within）"
    assert sorted((p.row, p.column, p.rule) for p in outcome.problems) == [
        (3, "事发地址", f"地址指云南省玉溪市（530400000000），{outside}"),
        (4, "事发地址", f"地址指云南省玉溪市通海县（530423000000），{outside}"),
    ]


def test_without_within_an_address_in_a_county_not_on_record_says_which(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    rows = _addressed("华宁县宁州街道测试社区", "通海县秀山街道", "秀山街道")
    outcome = _import(db, tmp_path / "工单.csv", ADDRESS_HEADERS, rows, "cases", partial=True)
    rules = sorted((p.row, p.column, p.rule) for p in outcome.problems)
    assert rules[0] == (
        3,
        "事发地址",
        "缺少所属辖区：地址指云南省玉溪市通海县（530423000000），数据库中没有这个县（区）",
    )
    assert rules[1][:2] == (4, "所属社区") and rules[1][2].startswith("缺少所属辖区：没有辖区")


# ------------------------------------------------------------------------ F10: subtypes


def _types(types: list[str], values: dict[str, dict[str, str]] | None = None) -> list[object]:
    """Return each 12345 classification's (category, subcategory), as the import reads it."""
    frame = pd.DataFrame(
        {"工单编号": [f"T-{i}" for i in range(len(types))], "来源渠道": "12345"}
        | {"问题分类": types, "受理时间": "2025-03-01 09:00"},
        index=pd.RangeIndex(2, 2 + len(types), name="row"),
        dtype=object,
    )
    columns = {"external_no": "工单编号", "channel": "来源渠道", "category": "问题分类"}
    checks = RowChecks(frame, columns | {"reported_at": "受理时间"}, values=values)
    context = Context(crs=SourceCrs.parse("wgs84"), keys=None, file_name="12345工单.csv")
    records = KINDS["cases"].prepare(checks, context)[0].records
    assert checks.problems == []
    kinds = records[["category", "subcategory"]].astype(object)
    return [tuple(k) for k in kinds.where(kinds.notna(), None).itertuples(index=False)]


def test_known_hotline_classes_keep_the_platforms_hazard_subtype() -> None:
    assert _types(
        [
            "应急管理>消防安全>消防通道堵塞",
            "城乡建设>燃气安全>燃气泄漏",
            "自然资源>地质灾害>滑坡隐患",
            "住房城乡建设>房屋安全>危房",
            "应急管理>安全生产>企业安全",
            "安全隐患",
            "社情民意",
        ]
    ) == [
        ("safety_hazard", "fire"),
        ("safety_hazard", "gas"),
        ("safety_hazard", "geology"),
        ("safety_hazard", "building"),
        ("safety_hazard", None),
        ("safety_hazard", None),
        ("public_opinion", None),
    ]


def test_a_mapping_file_may_name_the_subtypes_of_hazards_and_opinions() -> None:
    values = {
        "城乡建设>市容环境>垃圾清运": "环境卫生",
        "城乡建设>市政设施>路灯": "基础设施",
        "水务>供水>停水": "公共服务",
        "教育>义务教育>入学政策": "政策咨询",
        "自然资源>地质灾害>滑坡隐患": "地质灾害隐患",
        "交通运输>道路养护>道路破损": "道路交通隐患",
    }
    assert _types(list(values), {"category": values}) == [
        ("public_opinion", "sanitation"),
        ("public_opinion", "infrastructure"),
        ("public_opinion", "public_service"),
        ("public_opinion", "policy"),
        ("safety_hazard", "geology"),
        ("safety_hazard", "road"),
    ]


def test_a_subtype_column_names_a_hazards_or_an_opinions_subtype() -> None:
    frame = pd.DataFrame(
        {
            "事件编号": ["S-1", "S-2", "S-3"],
            "来源渠道": "网格员上报",
            "事件类型": ["安全隐患", "社情民意", "矛盾纠纷"],
            "事件小类": ["燃气安全隐患", "环境卫生", "邻里纠纷"],
            "上报时间": "2025-03-01 09:00",
        },
        index=pd.RangeIndex(2, 5, name="row"),
        dtype=object,
    )
    columns = {"external_no": "事件编号", "channel": "来源渠道", "category": "事件类型"}
    columns |= {"subcategory": "事件小类", "reported_at": "上报时间"}
    checks = RowChecks(frame, columns)
    context = Context(crs=SourceCrs.parse("wgs84"), keys=None, file_name="网格事件.csv")
    records = KINDS["cases"].prepare(checks, context)[0].records
    assert list(records[["category", "subcategory"]].itertuples(index=False, name=None)) == [
        ("safety_hazard", "gas"),
        ("public_opinion", "sanitation"),
        ("dispute", "neighbours"),
    ]


def test_the_summary_shows_a_hazards_subtype_and_the_case_keeps_it(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    mapping = tmp_path / "12345列对照.toml"
    mapping.write_text(
        '[values."事件类型"]\n"城乡建设>市容环境>垃圾清运" = "环境卫生"\n', encoding="utf-8"
    )
    rows = [
        ["SB-1", "12345", "应急管理>消防安全>消防通道堵塞", GRID, "2025-03-01 08:30", "已办结"],
        ["SB-2", "12345", "城乡建设>市容环境>垃圾清运", GRID, "2025-03-01 08:30", "已办结"],
        ["SB-3", "12345", "应急管理>消防安全>消防通道堵塞", GRID, "2025-03-02 08:30", "已办结"],
    ]
    outcome = _import(db, tmp_path / "工单.csv", CASE_HEADERS, rows, "cases", mapping=mapping)
    assert outcome.committed and outcome.problems == []
    note = next(n for n in outcome.notes if n.startswith("分类对照"))
    assert note.split("\n")[1:] == [
        "  应急管理>消防安全>消防通道堵塞 → 安全隐患/消防安全隐患（2 行）",
        "  城乡建设>市容环境>垃圾清运 → 社情民意/环境卫生（1 行）",
    ]
    stored = db.execute(
        text(
            "SELECT external_no, category, subcategory FROM cases"
            " WHERE external_no IN ('SB-1', 'SB-2') ORDER BY external_no"
        )
    ).all()
    assert [tuple(r) for r in stored] == [
        ("SB-1", "safety_hazard", "fire"),
        ("SB-2", "public_opinion", "sanitation"),
    ]


def test_the_import_and_the_demo_share_the_platforms_subtypes() -> None:
    assert HazardType.labels() == HAZARD_TYPES
    assert OpinionType.labels() == OPINION_TYPES
    assert {c: t for c, t in SUBTYPES.items() if t in (HazardType, OpinionType)} == {
        Category.SAFETY_HAZARD: HazardType,
        Category.PUBLIC_OPINION: OpinionType,
    }


def test_no_name_of_a_case_type_is_two_tables() -> None:
    tables = [Category, *SUBTYPES.values()]
    names = [set(vocabulary.lookup(table)) for table in tables]
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            assert first & second == set()


@pytest.mark.parametrize("table", [HazardType, OpinionType])
def test_every_name_of_a_subtype_is_read_as_itself_alone_and_as_a_level(
    table: type[LabelledEnum],
) -> None:
    names = {w: m.value for w, m in vocabulary.ALIASES.get(table, {}).items()}
    names |= {m.label: m.value for m in table}
    values = pd.Series(list(names) + [f"群众反映>{w}>群众反映" for w in names])
    found = dict(zip(CASE_TABLES, vocabulary.codes_in(values, CASE_TABLES), strict=True))
    assert found[table].tolist() == list(names.values()) * 2
    assert all(codes.isna().all() for other, codes in found.items() if other is not table)
