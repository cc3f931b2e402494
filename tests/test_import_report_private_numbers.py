"""Every reject report is its owner's only; unread columns' personal numbers are masked (AV M5).

A roster's reject report copied each rejected worker's resident ID (a column the import does
not read) and phone into a world-readable file. Now every report is written 0600, whatever its
kind, and in the rows to correct a column the import does not read has its resident IDs and
mobile numbers masked, its header's comment and the summary saying so. The phone the import
reads stays as written: the clerk corrects the row and imports it again.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from importers.private_report import write_private_report
from importers.report import REPORT_SHEET, ROWS_SHEET
from importers.rules import Problem
from tests.conftest import SuiteDatabase
from tests.import_fixtures import csv_text, import_app
from tests.workflow_data import grid, village, world_for_commands

RESIDENT_ID = "520424198001010011"
OTHER_ID = "52042419900202002X"
PHONE = "17773716786"
NOTE_PHONE = "13912345678"
HEADERS = ["姓名", "性别", "身份证号", "手机号", "所属网格", "备注"]


@pytest.fixture(scope="module")
def env(
    database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("rpn-home")
    with world_for_commands(database, home) as env:
        yield env


def test_a_roster_s_report_is_private_and_masks_the_unread_numbers(
    env: dict[str, str], tmp_path: Path
) -> None:
    rows = [
        ["马小军", "男", RESIDENT_ID, PHONE, "999999999999999", f"家属电话 {NOTE_PHONE}"],
        ["李红", "女", OTHER_ID, "17773716787", grid(village(100, 1)), ""],
    ]
    path = tmp_path / "网格员花名册.csv"
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    done = CliRunner().invoke(import_app(), ["import", "workers", str(path), "--dry-run"], env=env)
    assert done.exit_code == 1, done.output
    report = tmp_path / "网格员花名册.csv.rejects.xlsx"
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    book = load_workbook(report)
    assert book.sheetnames == [REPORT_SHEET, ROWS_SHEET]
    sheet = book[ROWS_SHEET]
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert lines[0][: len(HEADERS)] == HEADERS
    assert len(lines) == 2, lines  # the one rejected row
    row = dict(zip(lines[0], lines[1], strict=True))
    assert row["身份证号"] == "520424********0011"
    assert row["备注"] == "家属电话 139****5678"
    assert row["手机号"] == PHONE and row["性别"] == "男"  # read, to correct and import again
    said = {c.value: c.comment.text for c in sheet[1] if c.comment is not None}
    assert set(said) == {"身份证号", "备注"}
    assert said["身份证号"].startswith("本列未导入，其中的身份证号、手机号在退回的行中已遮盖")
    text = "".join(
        str(v) for s in book.worksheets for r in s.iter_rows(values_only=True) for v in r
    )
    assert RESIDENT_ID not in text and NOTE_PHONE not in text
    assert "退回报告：身份证号、备注未导入，其中的身份证号、手机号在退回的行中已遮盖" in done.output


def test_a_csv_report_of_any_kind_is_written_owner_only(tmp_path: Path) -> None:
    report = tmp_path / "点位.csv"
    report.write_text("an earlier report\n")
    report.chmod(0o644)
    problems = [Problem(2, "经度", "24.2", "经纬度填反")]
    write_private_report(report, "video", {"lon": "经度"}, problems)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert "经纬度填反" in report.read_text(encoding="utf-8-sig")
