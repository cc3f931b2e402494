"""Cases from the centre's other sources: 110 transfer lists, 信访 registers, grid apps, ledgers.

Their headers, their statuses, a classification split by level, placeholders for "not closed",
and what the command says of columns left out and of reports of earlier runs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from importers.kinds import KINDS
from importers.kinds.cases import VOID_RULE
from importers.mapping import MappingFile, resolve_columns
from importers.pipeline import CheckedFile, ImportOptions, check_table
from importers.reading import SourceTable
from importers.values import DATE_RULE
from tests.conftest import SuiteDatabase
from tests.import_fixtures import GRID, csv_text, import_app, seeded_database


def _cases(
    columns: dict[str, list[str | None]], overrides: MappingFile | None = None
) -> CheckedFile:
    rows = len(next(iter(columns.values())))
    frame = pd.DataFrame(columns, index=pd.RangeIndex(2, 2 + rows, name="row"), dtype=object)
    options = ImportOptions(kind="cases")
    return check_table(
        SourceTable(frame), options, None, file_name="t", sha256="0", overrides=overrides
    )


def _rules(checked: CheckedFile) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for p in checked.checks.problems:
        found.setdefault(p.row, []).append(f"{p.column}：{p.rule}")
    return found


def test_headers_of_110_petition_grid_app_and_ledger_find_their_fields() -> None:
    fields = KINDS["cases"].fields
    police = ["警情编号", "报警时间", "警情类别", "简要警情", "发案地点", "报警人", "报警电话"]
    assert resolve_columns([*police, "反馈情况"], fields, kind="cases") == {
        "external_no": "警情编号",
        "category": "警情类别",
        "description": "简要警情",
        "address": "发案地点",
        "reported_at": "报警时间",
        "status": "反馈情况",
        "reporter_name": "报警人",
        "reporter_phone": "报警电话",
    }
    petition = ["信访件编号", "登记日期", "信访人", "问题类别", "主要诉求", "问题属地"]
    assert resolve_columns(petition, fields, kind="cases") == {
        "external_no": "信访件编号",
        "category": "问题类别",
        "description": "主要诉求",
        "area_code": "问题属地",
        "reported_at": "登记日期",
        "reporter_name": "信访人",
    }
    grid_app = ["事件编号", "事件地址", "处置状态", "事发地经度", "事发地纬度"]
    assert resolve_columns(grid_app, fields, kind="cases") == {
        "external_no": "事件编号",
        "lon": "事发地经度",
        "lat": "事发地纬度",
        "address": "事件地址",
        "status": "处置状态",
    }
    ledger = ["登记日期", "纠纷类型", "排查方式", "化解结果", "化解日期"]
    assert resolve_columns(ledger, fields, kind="cases") == {
        "channel": "排查方式",
        "category": "纠纷类型",
        "reported_at": "登记日期",
        "status": "化解结果",
        "closed_at": "化解日期",
    }
    # a case source's own headers take no other kind's column
    assert resolve_columns(["处置状态", "反馈情况"], KINDS["workers"].fields, kind="workers") == {}


def test_statuses_of_each_source_are_read_and_unknown_or_void_ones_refused() -> None:
    statuses = {
        "重办": "registered",
        "已退单": "registered",
        "待回访": "resolved",
        "已签收": "registered",
        "调解成功，已签订调解协议书": "resolved",
        "已移交司法所": "registered",
        "已稳控": "registered",
        "正在调处": "registered",
        "转送": "registered",
        "已答复": "resolved",
        "已化解，双方达成协议": "resolved",
        "未化解，已告知通过诉讼解决": "registered",
        "已处置": "resolved",
        "处置中": "registered",
        "已核查": "resolved",
    }
    refused = ["已作废", "不予受理", "待研判"]
    written = [*statuses, *refused]
    checked = _cases(
        {
            "工单编号": [f"S-{i}" for i in range(len(written))],
            "来源渠道": ["12345"] * len(written),
            "事件类型": ["邻里纠纷"] * len(written),
            "登记时间": ["2025-03-01 09:00"] * len(written),
            "处置状态": written,
        }
    )
    records = checked.parts[0].records
    assert dict(zip(statuses, records["state"][: len(statuses)], strict=True)) == statuses
    rules = _rules(checked)
    first = 2 + len(statuses)
    assert sorted(rules) == [first, first + 1, first + 2]
    assert rules[first] == [f"处置状态：{VOID_RULE}"] == rules[first + 1]
    assert '[values."办理状态"]' in rules[first + 2][0]
    assert '"待研判" = "…"' in rules[first + 2][0]  # no status is near: the clerk's to say
    # a mapping file that names the centre's own status wins over the refusal
    named = MappingFile({}, {"办理状态": {"已作废": "已销号"}})
    checked = _cases(
        {
            "工单编号": ["V-1"],
            "来源渠道": ["网格员上报"],
            "事件类型": ["邻里纠纷"],
            "登记时间": ["2025-03-01 09:00"],
            "处置状态": ["已作废"],
        },
        named,
    )
    assert not checked.checks.problems and list(checked.parts[0].records["state"]) == ["archived"]


def test_a_classification_split_by_level_is_read_as_one() -> None:
    levels = {
        "工单编号": ["L-1", "L-2", "L-3"],
        "来源渠道": ["12345"] * 3,
        "一级分类": ["城乡建设", "生态环境", "教育"],
        "二级分类": ["征地拆迁", "大气污染", "义务教育"],
        "三级分类": ["拆迁补偿", None, "入学政策"],
        "登记时间": ["2025-03-01 09:00"] * 3,
    }
    for overrides in (None, MappingFile({"事件类型": "三级分类"}, {})):
        checked = _cases(levels, overrides)
        records = checked.parts[0].records
        assert list(records["subcategory"][:2]) == ["demolition", "environment"]
        assert checked.checks.columns["category"] == "一级分类>二级分类>三级分类"
        (rule,) = _rules(checked)[4]
        assert '"教育>义务教育>入学政策" = "…"' in rule  # no type near: never a wrong one
        assert checked.unused == ()


def test_placeholders_in_an_optional_date_read_as_empty() -> None:
    checked = _cases(
        {
            "工单编号": ["P-1", "P-2", "P-3", "P-4", "P-5"],
            "来源渠道": ["12345"] * 5,
            "事件类型": ["邻里纠纷"] * 5,
            "登记时间": ["2025-03-01 09:00"] * 4 + ["/"],
            "办理状态": ["办理中"] * 5,
            "办结时间": ["/", "—", "－", "无", None],
        }
    )
    assert _rules(checked) == {6: [f"登记时间：{DATE_RULE}"]}  # a required date is not spared
    assert checked.parts[0].records["closed_at"][:4].isna().all()


def test_the_command_names_columns_left_out_counts_sheet_rejects_and_drops_stale_reports(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    headers = ["工单编号", "来源渠道", "事件类型", "所属网格", "登记时间", "坐标X", "回复内容"]
    good = [["C-1", "12345", "邻里纠纷", GRID, "2025-03-01 09:00", "102.91", "已转城管局"]]
    bad = [["C-2", "12345", "邻里纠纷", GRID, "2025-03-01 09:00", "102.91", "已转城管局"]]
    bad[0][4] = "不是日期"
    path = tmp_path / "工单.csv"
    stale = tmp_path / "工单.csv.rejects.xlsx"
    mine = tmp_path / "我的报告.xlsx"
    with seeded_database(database, "case_sources_cli") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        runner = CliRunner()
        args = ["import", "cases", str(path), "--dry-run"]
        path.write_text(csv_text(headers, good + bad), encoding="utf-8")
        first = runner.invoke(import_app(), args, env=env)
        assert first.exit_code == 1 and stale.exists(), first.output
        assert "未导入的列：坐标X、回复内容" in first.output
        assert '如 "经度" = "坐标X"' in first.output
        path.write_text(csv_text(headers, good), encoding="utf-8")
        mine.write_bytes(stale.read_bytes())
        given = runner.invoke(import_app(), [*args, "--report", str(mine)], env=env)
        assert given.exit_code == 0 and mine.exists(), given.output
        assert "是之前的报告，与本次无关" in given.output
        clean = runner.invoke(import_app(), args, env=env)  # a dry run deletes no report
        assert clean.exit_code == 0 and stale.exists(), clean.output
        assert "本次试运行没有退回的行；上次导入留下的退回报告仍保留，未删除" in clean.output
        imported = runner.invoke(import_app(), args[:-1], env=env)  # an import does
        assert imported.exit_code == 0 and not stale.exists(), imported.output
        assert "本次没有退回的行，已删除上次导入留下的退回报告" in imported.output
        path.write_text(csv_text(headers, good + bad), encoding="utf-8")
        assert runner.invoke(import_app(), args, env=env).exit_code == 1 and stale.exists()
        path.write_text(csv_text(["工单编号"], [["C-1"]]), encoding="utf-8")
        unusable = runner.invoke(import_app(), args, env=env)  # refused: keeps the report
        assert unusable.exit_code == 2 and stale.exists(), unusable.output
        assert "本次未能导入，没有新的退回报告；上次导入留下的退回报告仍保留" in unusable.output

        book = Workbook()
        sheets = [book.active, book.create_sheet("11月")]
        for sheet, title in zip(sheets, ("10月", "11月"), strict=True):
            assert sheet is not None
            sheet.title = title
            for row in [headers, *good, *bad, *bad]:
                sheet.append(row)
        workbook = tmp_path / "分月.xlsx"
        book.save(workbook)
        months = ["import", "cases", str(workbook), "--sheet", "all", "--partial", "--dry-run"]
        both = runner.invoke(import_app(), months, env=env)
        assert both.exit_code == 1, both.output  # valid rows loaded, some rejected
        assert "检查通过 2 个，退回 0 个，无法导入 0 个；退回的行共 4 行" in both.output


def test_settled_rows_without_a_closing_time_are_counted_in_a_note() -> None:
    """A grid app's 已处置 without 办结时间: settled, and the summary says its time is unknown."""
    checked = _cases(
        {
            "事件编号": ["G-1", "G-2", "G-3", "G-4"],
            "来源渠道": ["网格员上报"] * 4,
            "事件类型": ["邻里纠纷"] * 4,
            "网格编码": [GRID] * 4,
            "上报时间": ["2026-11-01 09:00"] * 4,
            "处置状态": ["已处置", "处置中", "已办结", "不是状态"],
        }
    )
    assert "2 件已办结但没有办结时间，办结用时的统计不计入这些案件" in checked.checks.notes
