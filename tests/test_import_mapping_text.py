"""Mapping files as clerks write them: GBK, Chinese quotes and keys, errors said where they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.mapping import MappingError, load_mapping_file
from importers.pipeline import ImportOptions, run_import
from tests.import_fixtures import csv_text, seed_jurisdictions

VILLAGE = "测试社区"


def _written(tmp_path: Path, name: str, content: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def test_a_gbk_toml_file_with_bare_chinese_keys_reads(tmp_path: Path) -> None:
    """Notepad's GBK, and 经度 = "东经" as a clerk writes it (TOML quotes only ASCII keys bare)."""
    content = (
        '# 列对照\n经度 = "东经"\nlat = "北纬"\n\n[values.事件类型]\n本地分类甲 = "邻里纠纷"\n'
    )
    read = load_mapping_file(_written(tmp_path, "列名.toml", content, "gbk"))
    assert read.columns == {"经度": "东经", "lat": "北纬"}
    assert read.values == {"事件类型": {"本地分类甲": "邻里纠纷"}}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("列名.json", "｛“经度”：“东经（度）”， “纬度”：‘北纬’｝"),
        ("列名.toml", "“经度” ＝ “东经（度）”\n“纬度”＝“北纬”\n"),
        ("列名.json", '{"经度": "东经（度）", "纬度": "北纬"}'),
    ],
)
def test_chinese_quotes_and_full_width_punctuation_read(
    tmp_path: Path, name: str, content: str
) -> None:
    """What the Chinese input method types outside the strings; inside, a header as written."""
    read = load_mapping_file(_written(tmp_path, name, content))
    assert read.columns == {"经度": "东经（度）", "纬度": "北纬"}


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        (
            "列名.json",
            '{\n  "经度": "东经",\n  "纬度": 北纬\n}',
            "映射文件 列名.json 第 3 行第 9 列：缺少值，或值未用英文双引号括起。"
            '该行为："纬度": 北纬',
        ),
        (
            "列名.json",
            '{"经度": "东经",}',
            "映射文件 列名.json 第 1 行第 13 列：键须用英文双引号括起（或最后一项后多了逗号）",
        ),
        (
            "列名.toml",
            '"经度" = "东经"\n"纬度" = "北纬\n',
            "映射文件 列名.toml 第 2 行第 11 列：引号未闭合（文本不能跨行）",
        ),
        (
            "列名.toml",
            '"经度" = "东经"\n"经度" = "东经度"\n',
            "映射文件 列名.toml 第 2 行第 13 列：同一个键写了两次",
        ),
    ],
)
def test_a_broken_file_is_told_in_chinese_with_its_line_and_column(
    tmp_path: Path, name: str, content: str, said: str
) -> None:
    with pytest.raises(MappingError) as raised:
        load_mapping_file(_written(tmp_path, name, content))
    assert str(raised.value).startswith(said)
    assert "文本请用英文双引号括起" in str(raised.value)


def test_a_file_is_named_as_the_clerk_knows_it(tmp_path: Path) -> None:
    """A console upload is stored as .mapping.toml: the message names the file uploaded."""
    path = _written(tmp_path, ".mapping.toml", '"经度" = 东经\n')
    with pytest.raises(MappingError, match=r"^映射文件 我的列名\.toml 第 1 行"):
        load_mapping_file(path, shown_as="我的列名.toml")


def test_an_import_reads_a_mapping_file_typed_with_chinese_punctuation(
    db: Session, tmp_path: Path
) -> None:
    """The 12345 export's own class named in a GBK mapping file with “” and ＝: the rows load."""
    seed_jurisdictions(db)
    headers = ["工单编号", "来源渠道", "问题分类", "所属社区", "受理时间"]
    rows = [["MT-1", "12345", "本地分类甲", VILLAGE, "2025-03-01 09:00"]]
    path = _written(tmp_path, "12345工单.csv", csv_text(headers, rows), "gb18030")
    mapping = _written(
        tmp_path, "列名.toml", "[values.事件类型]\n“本地分类甲” ＝ “邻里纠纷”\n", "gbk"
    )
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", mapping=mapping))
    assert outcome.committed and outcome.problems == []
    stored = db.execute(
        text("SELECT category, subcategory FROM cases WHERE external_no = 'MT-1'")
    ).one()
    assert tuple(stored) == ("dispute", "neighbours")
