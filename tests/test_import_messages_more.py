"""What a clerk reads, continued: whole sentences, a mapping file shared by several files, reports.

A roster whose worksheet names its township says in full what that name decided; one mapping
file serves a month's rosters, some without the column it names; a pattern that matches a file
and the reject report an earlier run left beside it imports the file only; a dry run of several
files counts the files that passed its checks, not files imported.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, run_import
from tests.conftest import SuiteDatabase
from tests.import_fixtures import GRID, csv_text, import_app, seeded_database
from tests.test_import_places_more import PANXI_CODE, XINFU_B, seed_shared_names


def _statuses(db: Session) -> dict[str, str]:
    rows = db.execute(
        text("SELECT external_id, status FROM workers WHERE external_id LIKE 'M%'")
    ).all()
    return {str(w): str(s) for w, s in rows}


def test_a_worksheet_named_for_a_township_says_in_a_whole_sentence_what_it_decided(
    db: Session, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    seed_shared_names(db)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "盘溪镇"
    for row in [["工号", "姓名", "所属社区"], ["M1", "甲", "新复社区"]]:
        sheet.append(row)
    path = tmp_path / "网格员名单.xlsx"
    book.save(path)
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers"))
    assert outcome.status == "loaded", outcome.problems
    area = db.execute(text("SELECT area_code FROM workers WHERE external_id = 'M1'")).scalar()
    assert area == XINFU_B
    note = f"同名的村（社区）、网格按工作表名“盘溪镇”取了华宁县盘溪镇（{PANXI_CODE}）内的那个"
    assert note in outcome.notes


def test_a_mapped_column_a_file_lacks_is_a_note_and_a_rosters_status_has_its_own_headers(
    db: Session, tmp_path: Path
) -> None:
    seed_shared_names(db)
    mapping = tmp_path / "网格员映射.toml"
    mapping.write_text('"状态" = "在岗状态"\n[values."状态"]\n"离职" = "离岗"\n', encoding="utf-8")
    options = ImportOptions(kind="workers", mapping=mapping)

    # A roster of this month without the column: its 状态 column is read, the mapping's
    # values still apply, and the summary says the mapping's column was not there.
    plain = tmp_path / "华溪镇网格员花名册.csv"
    plain.write_text(
        csv_text(["工号", "姓名", "所属社区", "状态"], [["M1", "甲", "测试社区", "离职"]]),
        encoding="utf-8",
    )
    outcome = run_import(db.connection(), plain, options)
    assert outcome.status == "loaded", outcome.problems
    assert "映射文件指定的列“在岗状态”（状态）本文件没有，未使用" in outcome.notes
    assert outcome.columns["status"] == "状态" and _statuses(db) == {"M1": "off_duty"}

    # The roster that has it: the mapping feeds the field; without a mapping the header is
    # known anyway, as are 工作状态 and 人员状态.
    for number, header in enumerate(("在岗状态", "工作状态", "人员状态"), start=2):
        path = tmp_path / f"花名册{number}.csv"
        rows = [[f"M{number}", "乙", "测试社区", "在岗"]]
        path.write_text(csv_text(["工号", "姓名", "所属社区", header], rows), encoding="utf-8")
        outcome = run_import(db.connection(), path, ImportOptions(kind="workers"))
        assert outcome.status == "loaded", outcome.problems
        assert outcome.columns["status"] == header and header not in outcome.unused
    assert _statuses(db) == {"M1": "off_duty", "M2": "on_duty", "M3": "on_duty", "M4": "on_duty"}

    # A required field the mapping's missing column was to feed: the file is refused, and
    # the message names the mapping's column and the field in Chinese.
    mapping.write_text('"姓名" = "人员姓名"\n', encoding="utf-8")
    lacking = tmp_path / "名单.csv"
    lacking.write_text(csv_text(["工号", "名字"], [["M9", "丙"]]), encoding="utf-8")
    with pytest.raises(
        ValueError, match="^映射文件指定的列“人员姓名”（姓名）本文件没有，未使用。"
    ) as refused:
        run_import(db.connection(), lacking, options)
    message = str(refused.value).replace("--mapping", "").replace("--set", "")
    assert "文件缺少必填字段的列：姓名" in message and re.search("[A-Za-z_']", message) is None


def test_a_persons_file_keeps_its_person_status_column_to_itself(
    db: Session, tmp_path: Path
) -> None:
    """人员状态 is a worker roster's 状态, and a persons roster's 在册状态: per kind."""
    from tests.test_import import KEYS

    seed_shared_names(db)
    path = tmp_path / "特殊人群.csv"
    rows = [["刑满释放人员", "甲", "530424199001011234", "在管"]]
    path.write_text(csv_text(["人员类别", "姓名", "身份证号", "人员状态"], rows), encoding="utf-8")
    outcome = run_import(
        db.connection(), path, ImportOptions(kind="persons", dry_run=True), keys=KEYS
    )
    assert outcome.columns.get("register") == "人员状态" and "人员状态" not in outcome.unused
    assert "status" not in outcome.columns
    assert not [p for p in outcome.problems if p.column == "人员状态"]  # 在管: on the register


def test_a_pattern_matching_a_file_and_its_report_imports_the_file_only(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    headers = ["工单编号", "来源渠道", "事件类型", "所属网格", "登记时间"]
    good = ["C-1", "12345", "邻里纠纷", GRID, "2025-03-01 09:00"]
    bad = ["C-2", "12345", "邻里纠纷", GRID, "不是日期"]
    first = tmp_path / "华溪镇工单.csv"
    first.write_text(csv_text(headers, [good, bad]), encoding="utf-8")
    second = tmp_path / "盘溪镇工单.csv"
    second.write_text(csv_text(headers, [["C-3", *good[1:]]]), encoding="utf-8")
    report = tmp_path / "华溪镇工单.csv.rejects.xlsx"
    with seeded_database(database, "messages_more_cli") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        runner = CliRunner()
        alone = runner.invoke(import_app(), ["import", "cases", str(first), "--dry-run"], env=env)
        assert alone.exit_code == 1 and report.exists(), alone.output

        # *工单* matches the report too: it is left out, with one line saying so.
        matched = sorted(tmp_path.glob("*工单*"))
        assert report in matched
        args = ["import", "cases", *map(str, matched), "--dry-run"]
        both = runner.invoke(import_app(), args, env=env)
        assert both.exit_code == 1, both.output
        assert (
            "跳过与源文件一同匹配到的退回报告 1 个（不作为数据导入）：华溪镇工单.csv.rejects.xlsx"
            in (both.output)
        )
        assert "共 2 个文件：检查通过 1 个，退回 1 个，无法导入 0 个" in both.output
        assert "不存在" not in both.output and report.exists()

        # A report given without its source is imported, as the corrected rows come back.
        without = ["import", "cases", str(report), str(second), "--dry-run"]
        given = runner.invoke(import_app(), without, env=env)
        assert "跳过" not in given.output and "共 2 个文件" in given.output, given.output
