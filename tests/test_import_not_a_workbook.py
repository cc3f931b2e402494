"""A file named ``.xlsx`` that is no workbook is refused in Chinese, saying what it seems to be."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from importers.reading import ReadError, read_table
from tests.conftest import SuiteDatabase
from tests.import_fixtures import import_app

SAVE_AS = "请用 Excel 或 WPS 表格打开要导入的表格，另存为 .xlsx 后再导入"


def _word_renamed(path: Path) -> Path:
    """Write a minimal .docx (its parts in a zip) under a workbook's name."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return path


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "不是 Excel 工作簿，而是Word 文档改成了 .xlsx 扩展名"),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
            "不是 Excel 工作簿，而是PDF 文件改成了 .xlsx 扩展名",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "可能设置了打开密码"),
    ],
)
def test_what_the_file_seems_to_be_is_said(
    tmp_path: Path, content: bytes | None, said: str
) -> None:
    path = tmp_path / "网格划分汇总表.xlsx"
    if content is None:
        _word_renamed(path)
    else:
        path.write_bytes(content)
    with pytest.raises(ReadError) as refused:
        read_table(path)
    message = str(refused.value)
    assert message.startswith("网格划分汇总表.xlsx：") and said in message and SAVE_AS in message
    assert set(re.findall(r"[A-Za-z]+", message)) <= {"xlsx", "Excel", "WPS", "Word", "PDF"}


def test_the_command_refuses_a_renamed_word_file_with_exit_2(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    path = _word_renamed(tmp_path / "盘溪镇网格划分汇总表.xlsx")
    env = {"ZONGZHI_DATABASE_URL": database.urls.owner, "ZONGZHI_HOME": str(tmp_path / "home")}
    args = ["import", "grids", str(path), "--dry-run"]
    result = CliRunner().invoke(import_app(), args, env={**env, "COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert "不是 Excel 工作簿，而是Word 文档改成了 .xlsx 扩展名" in result.output
    assert "_rels" not in result.output
