"""A value a whole file shares, from its worksheet's or its own name (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers import pipeline
from importers.mapping import header_test
from importers.named_values import value_named_in
from importers.reading import parts_of, read_table
from importers.rules import MissingColumns
from layers.model.cases import Channel
from layers.model.persons import PersonCategory
from tests.import_fixtures import VILLAGE, resident_id


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("刑满释放人员", "released"),
        ("刑释人员", "released"),
        ("社区矫正对象", "correction"),
        ("宁州街道吸毒人员花名册", "drug"),
        ("严重精神障碍患者台账（2025）", "mental"),
        ("Sheet1", None),
        ("特殊人群台账", None),
        ("刑满释放和社区矫正人员", None),  # two categories: nothing guessed
    ],
)
def test_a_sheet_or_file_name_names_one_category(name: str, code: str | None) -> None:
    assert value_named_in(name, PersonCategory) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("12345工单2025年3月", "hotline_12345"),
        ("市民热线工单导出", "hotline_12345"),
        ("110非警务警情分流", "non_police_110"),
        ("网格事件导出_202611", "grid_worker"),
        ("20250110导出", None),  # a date is not the 110 channel
        ("工单导出", None),
    ],
)
def test_a_file_name_names_one_channel(name: str, code: str | None) -> None:
    assert value_named_in(name, Channel) == code


def _workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _checked(path: Path, options: pipeline.ImportOptions) -> pipeline.CheckedFile:
    from layers.secrets import Keys

    keys = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
    return pipeline.check_file(path, options, keys)


def test_each_sheet_of_a_township_workbook_is_its_category(tmp_path: Path) -> None:
    header = ["姓名", "身份证号", "所属社区"]
    path = _workbook(
        tmp_path / "特殊人群台账.xlsx",
        {
            "刑满释放人员": [header, ["张三", resident_id(1), VILLAGE]],
            "社区矫正对象": [header, ["李四", resident_id(2), VILLAGE]],
        },
    )
    assert parts_of(path, header_test()) == ["刑满释放人员", "社区矫正对象"]
    for sheet, label, code in (
        ("刑满释放人员", "刑满释放人员", "released"),
        ("社区矫正对象", "社区矫正人员", "correction"),
    ):
        checked = _checked(path, pipeline.ImportOptions(kind="persons", layer=sheet))
        assert checked.checks.notes == [f"人员类别取自名称“{sheet}”：{label}"]
        assert not checked.checks.problems
        assert set(checked.parts[0].records["category"]) == {code}

    # --set wins over the name; a file whose names name no category is refused as before.
    checked = _checked(
        path,
        pipeline.ImportOptions(
            kind="persons", layer="刑满释放人员", fixed={"category": "吸毒人员"}
        ),
    )
    assert checked.checks.notes == []
    assert set(checked.parts[0].records["category"]) == {"drug"}
    plain = _workbook(
        tmp_path / "台账.xlsx", {"Sheet1": [header, ["王五", resident_id(3), VILLAGE]]}
    )
    with pytest.raises(MissingColumns, match="人员类别"):
        _checked(plain, pipeline.ImportOptions(kind="persons"))


def test_a_hotline_export_named_for_its_channel(tmp_path: Path) -> None:
    path = tmp_path / "12345工单2025年3月.csv"
    path.write_text(
        f"工单编号,事件类型,所属社区,来电时间\nQ-1,邻里纠纷,{VILLAGE},2025-03-01 09:00\n",
        encoding="utf-8",
    )
    checked = _checked(path, pipeline.ImportOptions(kind="cases"))
    assert checked.checks.notes[0] == "来源渠道取自名称“12345工单2025年3月”：12345热线"
    assert set(checked.parts[0].records["channel"]) == {"hotline_12345"}
    assert read_table(path).sheet_name is None


def test_a_hotline_exports_intake_media_are_not_its_channel(tmp_path: Path) -> None:
    """受理渠道 电话/微信/网站 says how citizens called 12345: the file's name gives the channel."""
    lines = ["工单编号,受理渠道,事件类型,所属社区,来电时间"]
    lines += [
        f"Q-{i},{m},邻里纠纷,{VILLAGE},2025-03-01 09:00"
        for i, m in enumerate("电话 微信 网站".split())
    ]
    named = tmp_path / "12345工单2025年3月.csv"
    named.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = _checked(named, pipeline.ImportOptions(kind="cases"))
    assert "“受理渠道”列是群众反映的方式（电话、微信、网站），不作来源渠道" in checked.checks.notes
    assert list(checked.parts[0].records["channel"]) == ["hotline_12345"] * 3
    assert not checked.checks.problems and "受理渠道" in checked.unused
    plain = tmp_path / "工单.csv"  # no channel in its name: the column is read, 微信 refused
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused = _checked(plain, pipeline.ImportOptions(kind="cases"))
    assert [(p.row, p.value) for p in refused.checks.problems] == [(3, "微信"), (4, "网站")]


def test_intake_media_beside_the_hotline_itself_are_not_its_channel(tmp_path: Path) -> None:
    """Trial AG: 12345热线 beside 网上留言 and 微信公众号, and the two media rows refused."""
    lines = ["工单编号,来源渠道,事件类型,所属社区,来电时间"]
    lines += [
        f"M-{i},{m},邻里纠纷,{VILLAGE},2025-03-01 09:00"
        for i, m in enumerate("12345热线 网上留言 微信公众号".split())
    ]
    named = tmp_path / "12345工单2025年3月.csv"
    named.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = _checked(named, pipeline.ImportOptions(kind="cases"))
    assert list(checked.parts[0].records["channel"]) == ["hotline_12345"] * 3
    assert not checked.checks.problems
    other = tmp_path / "110警情2025年3月.csv"  # media beside another channel: read as written
    other.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused = _checked(other, pipeline.ImportOptions(kind="cases"))
    assert [p.value for p in refused.checks.problems] == ["网上留言", "微信公众号"]
