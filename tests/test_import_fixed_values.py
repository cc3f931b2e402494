"""``--set``: a value for every row of a file that lacks the column (a roster of one category)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from importers.fixed_values import add_fixed_columns, parse_fixed
from importers.kinds import KINDS
from importers.mapping import MappingError
from importers.pipeline import ImportOptions, check_file
from importers.report import ROWS_SHEET
from importers.rules import MissingColumns, RowChecks
from tests.conftest import SuiteDatabase
from tests.import_fixtures import VILLAGE, csv_text, import_app, resident_id, seeded_database


def test_set_items_name_their_field_by_name_or_by_a_known_header() -> None:
    persons = KINDS["persons"]
    assert parse_fixed(["人员类别=刑满释放人员", " 管控级别 = 2 "], persons) == {
        "category": "刑满释放人员",
        "management_level": "2",
    }
    assert parse_fixed(["category=吸毒人员"], persons) == {"category": "吸毒人员"}
    with pytest.raises(MappingError, match="应写成“字段=值”"):
        parse_fixed(["人员类别"], persons)
    with pytest.raises(MappingError, match="应写成“字段=值”"):
        parse_fixed(["人员类别= "], persons)
    usable = "'来源渠道' 不是此类导入的字段；可用：人员类别（category）、姓名（name）"
    with pytest.raises(MappingError, match=usable):
        parse_fixed(["来源渠道=12345"], persons)
    with pytest.raises(MappingError, match="--set 给了 人员类别 两次"):
        parse_fixed(["人员类别=吸毒人员", "category=刑满释放人员"], persons)


def test_a_file_missing_a_column_is_told_of_set_with_its_kinds_header() -> None:
    import pandas as pd

    persons = KINDS["persons"]
    checks = RowChecks(pd.DataFrame({"姓名": ["张三"]}), {"name": "姓名"}, labels=persons.headers)
    with pytest.raises(MissingColumns) as refused:
        checks.require("name", "category")
    assert "人员类别（或类别）" in str(refused.value)  # not a case file's 事件类型
    assert "用 --set 给出，如 --set 人员类别=…" in str(refused.value)
    assert checks.header("category") == "人员类别"  # a roster's, not a case file's 事件类型


def test_a_fixed_value_replaces_the_column_the_file_has(tmp_path: Path) -> None:
    """A 12345 export's 受理渠道 says how citizens reached the hotline: every row is 12345's."""
    import pandas as pd

    rows = pd.DataFrame({"类别": ["吸毒人员", "社区矫正对象"]})
    fixed = {"category": "刑满释放人员"}
    replaced, columns = add_fixed_columns(rows, {"category": "类别"}, fixed, KINDS["persons"])
    assert columns == {"category": "类别"} and list(replaced["类别"]) == ["刑满释放人员"] * 2
    assert list(rows["类别"]) == ["吸毒人员", "社区矫正对象"]  # the file's frame is not changed

    path = tmp_path / "工单导出.csv"
    headers = ["工单编号", "受理渠道", "问题分类", "受理时间", "所属社区"]
    orders = [["A-1", "微信", "邻里纠纷", "2025-03-01 09:00", VILLAGE]]
    orders += [["A-2", "电话", "邻里纠纷", "2025-03-01 10:00", VILLAGE]]
    path.write_text(csv_text(headers, orders), encoding="utf-8")
    refused = check_file(path, ImportOptions(kind="cases"), None)
    assert [(p.row, p.column, p.value) for p in refused.checks.problems] == [
        (2, "受理渠道", "微信")
    ]
    checked = check_file(path, ImportOptions(kind="cases", fixed={"channel": "12345"}), None)
    assert checked.checks.problems == []
    assert list(checked.parts[0].records["channel"]) == ["hotline_12345"] * 2
    assert (
        "文件的“受理渠道”列不作来源渠道：每行的来源渠道取 --set 的值 12345" in checked.checks.notes
    )


def test_a_roster_of_one_category_imports_with_set(database: SuiteDatabase, tmp_path: Path) -> None:
    with seeded_database(database, "zz_import_set") as (engine, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        roster = tmp_path / "名单.csv"  # a name that names no category
        people = [["张三", resident_id(1), VILLAGE], ["李四", resident_id(2), VILLAGE]]
        roster.write_text(csv_text(["姓名", "公民身份号码", "所属社区"], people), encoding="utf-8")
        runner = CliRunner()
        refused = runner.invoke(import_app(), ["import", "persons", str(roster)], env=env)
        assert refused.exit_code == 2 and "人员类别" in refused.output, refused.output

        args = ["import", "persons", str(roster), "--set", "人员类别=刑满释放人员"]
        loaded = runner.invoke(import_app(), args, env=env)
        assert loaded.exit_code == 0, loaded.output
        assert "整个文件统一取值（--set）：人员类别 = 刑满释放人员" in loaded.output
        with engine.connect() as conn:
            conn.execute(text("SELECT set_config('zongzhi.scope_lo', '', false)"))
            conn.execute(text("SELECT set_config('zongzhi.scope_hi', '~', false)"))
            stored = conn.execute(text("SELECT name, category FROM persons ORDER BY name")).all()
        assert [tuple(r) for r in stored] == [("张三", "released"), ("李四", "released")]

        wrong = runner.invoke(
            import_app(), ["import", "persons", str(roster), "--set", "人员类别=释放人员"], env=env
        )
        assert wrong.exit_code == 1, wrong.output  # every row refused, by the code table's rule

        unknown = runner.invoke(
            import_app(), ["import", "persons", str(roster), "--set", "渠道=12345"], env=env
        )
        assert unknown.exit_code == 2 and "不是此类导入的字段" in unknown.output


def test_rows_a_report_copies_carry_the_set_value(database: SuiteDatabase, tmp_path: Path) -> None:
    """A 12345 export without 来源渠道: the rows to correct come back with the column."""
    from openpyxl import load_workbook

    with seeded_database(database, "zz_import_set_report") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        path = tmp_path / "工单.csv"
        headers = ["工单编号", "事件类型", "所属社区", "来电时间"]
        rows = [
            ["S-1", "邻里纠纷", VILLAGE, "2025-03-01 09:00"],
            ["S-2", "邻里纠纷", VILLAGE, "2025-13-01 09:00"],  # no 13th month
        ]
        path.write_text(csv_text(headers, rows), encoding="utf-8")
        args = ["import", "cases", str(path), "--set", "来源渠道=12345", "--partial"]
        first = CliRunner().invoke(import_app(), args, env=env)
        assert first.exit_code == 3, first.output  # valid rows loaded, some rejected
        book = load_workbook(tmp_path / "工单.csv.rejects.xlsx")
        lines = [list(r) for r in book[ROWS_SHEET].iter_rows(values_only=True)]
        assert lines[0][:5] == [*headers, "来源渠道"]
        assert lines[1][:5] == ["S-2", "邻里纠纷", VILLAGE, "2025-13-01 09:00", "12345"]
