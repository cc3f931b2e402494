"""The command's advice in the page's words (``layers/console_wording.py``, finding F3).

Each rule of :data:`layers.console_wording.CONSOLE_WORDS` is tried on a message the importers
really print: taken from their constants and functions where they have one, else copied from
the source (file named beside it). The output keeps its colours: a message coloured by rich as
the command's console colours it (numbers) is rewritten the same.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from importers import crs_check, pipeline, values
from importers.cli import HELD_BACK_SAID
from importers.kinds import cases as case_kind
from layers import camera_retirement, person_roster, unit_retirement
from layers.console_wording import CONSOLE_WORDS, for_console

FLAG = re.compile(r"--[a-z][a-z-]+")
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# (a message the importers print, what the page says instead)
REAL: tuple[tuple[str, str], ...] = (
    (  # importers/summary.py refusal_advice
        "未导入任何数据：请按报告修改后重新导入，或加 --partial 只导入有效行",
        "未导入任何数据：请按报告修改后重新导入，或勾选“有退回的行时仍导入其余有效行”只导入有效行",
    ),
    (  # importers/summary.py _valid_rows_note
        "新增、更新、未变只计其余 64 个有效行：加 --partial 时导入的就是这些行",
        "新增、更新、未变只计其余 64 个有效行：勾选“有退回的行时仍导入其余有效行”时"
        "导入的就是这些行",
    ),
    (
        case_kind.VOID_RULE,
        "作废或不予受理的工单不是案件（既非待办，也非已办结），不导入：勾选“有退回的行时仍导入"
        "其余有效行”导入其余行；如本中心另有处理，可在列对照文件（与文件一并上传）的 "
        '[values."办理状态"] 中写明它算作哪种状态',
    ),
    (  # importers/within.py, printed by importers/cli.py
        "范围：盘溪镇（530424101000）；范围外的行退回（--within）",
        "范围：盘溪镇（530424101000）；范围外的行退回",
    ),
    (  # layers/person_roster.py _left_out_note
        "库中有在册人员 3 人不在本文件中（社区矫正人员 3 人）；如本文件是华宁县社区矫正人员的"
        "全部名单（如司法局、卫健局的名单），已离开的可加 --within 530424000000 --complete "
        "重新导入予以注销（记录保留）",
        "库中有在册人员 3 人不在本文件中（社区矫正人员 3 人）；如本文件是华宁县社区矫正人员的"
        "全部名单（如司法局、卫健局的名单），已离开的可在“导入范围”中选择该辖区并勾选"
        "“文件是本辖区的全部”重新导入予以注销（记录保留）",
    ),
    (  # layers/grid_changes.py
        "或者文件是乡镇的全部网格时，加 --within 乡镇代码 --complete 重新导入",
        "或者文件是乡镇的全部网格时，在“导入范围”中选择该辖区并勾选“文件是本辖区的全部”重新导入",
    ),
    (  # layers/person_roster.py alarm
        "请核对；如本文件确是华宁县该类人员的全部名单，加 --complete --again 重新导入即予注销"
        "（加 --dry-run 可先列出将注销的人员）",
        "请核对；如本文件确是华宁县该类人员的全部名单，勾选“文件是本辖区的全部”和“确认重新导入"
        "旧文件”重新导入即予注销（勾选“试运行”可先列出将注销的人员）",
    ),
    (
        unit_retirement.INCOMPLETE_NOTE,
        "有退回的行，未按“文件是本辖区的全部”撤销文件未列的单位（退回行的单位并非不存在）："
        "改正退回的行后，再勾选“文件是本辖区的全部”重新导入",
    ),
    (
        HELD_BACK_SAID,
        "的“文件是本辖区的全部”未执行，须核对后勾选“确认重新导入旧文件”确认",
    ),
    (  # layers/person_roster.py: the file was the whole list
        "本文件为华宁县（530424000000）该类人员的全部名单（--complete），",
        "本文件为华宁县（530424000000）该类人员的全部名单（勾选了“文件是本辖区的全部”），",
    ),
    (  # importers/crs_check.py MixedCrs
        "各部分都不是全部视频点位，分别导入时不要加 --complete（否则每一部分都会撤销其他部分的"
        "视频点位）",
        "各部分都不是全部视频点位，分别导入时不要勾选“文件是本辖区的全部”（否则每一部分都会"
        "撤销其他部分的视频点位）",
    ),
    (
        case_kind.ENDED_CLOSED_RULE,
        "调解不成功、已移交等（调解已结束、纠纷未化解）：按未办结案件导入，进入待分流，"
        "化解日期不作为办结时间；如为已结束的历史记录，请勾选“历史记录”导入"
        "（按历史记录归档，保留原状态和办结时间）",
    ),
    (  # layers/case_import.py
        "其中 3 件已超期：如为历史记录，请加 --history",
        "其中 3 件已超期：如为历史记录，请勾选“历史记录”",
    ),
    (  # importers/pipeline.py, a file imported before
        "库中有 4 行已与此文件不同。如确要按此文件重新导入，请加 --again",
        "库中有 4 行已与此文件不同。如确要按此文件重新导入，请勾选“确认重新导入旧文件”",
    ),
    (  # importers/loading.py
        "若是网格员，请先导入网格员，再加 --again 重新导入本表",
        "若是网格员，请先导入网格员，再勾选“确认重新导入旧文件”重新导入本表",
    ),
    (  # importers/kinds/cases.py, a 12345 class the platform does not know
        '本文件自有的分类，可在映射文件（--mapping）的 [values."事件类型"] 中写明它归入上列哪一类',
        '本文件自有的分类，可在列对照文件（与文件一并上传）的 [values."事件类型"] 中写明它归入'
        "上列哪一类",
    ),
    (  # importers/rules.py, a missing column
        "请把对应的列改名为上述表头之一，或用 --mapping 指定，例如映射文件内容为 "
        '{"人员类别": "类别"}；整个文件同一个值的，用 --set 给出，如 --set 人员类别=…'
        "（可取：刑满释放人员、社区矫正人员）。",
        "请把对应的列改名为上述表头之一，或上传“列对照文件”指定，例如列对照文件内容为 "
        '{"人员类别": "类别"}；整个文件同一个值的，可加一列“人员类别”，每行都填同一个值'
        "（可取：刑满释放人员、社区矫正人员）。",
    ),
    (  # importers/loading.py
        "新增网格 2 个没有边界：第1网格；如文件中有边界列（如“网格边界”），请用 --mapping 指定",
        "新增网格 2 个没有边界：第1网格；如文件中有边界列（如“网格边界”），请上传“列对照文件”指定",
    ),
    (
        pipeline.UNSAID_STATUS.format(n=3),
        "3 名新网格员未填在岗状态，记为离岗（不派单）；在岗的请在状态列填写在岗，"
        "或勾选“本文件的网格员都记为在岗”",  # the page's box (trial AV M3)
    ),
    (  # importers/summary.py summarise, after the 网格员 box's --set 状态=在岗 (trial AV M3)
        "整个文件统一取值（--set）：状态 = 在岗",
        "勾选了“本文件的网格员都记为在岗”",
    ),
    (  # importers/fixed_values.py replaced_note, the box ticked on a file with a 状态 column
        "文件的“在岗状态”列不作状态：每行的状态取 --set 的值 在岗",
        "文件的“在岗状态”列不作状态：每行的状态按勾选的“本文件的网格员都记为在岗”取在岗",
    ),
    (  # importers/kinds/persons.py
        "整个文件都已注销的，可用 --set 在册状态=解除矫正 之类给出",
        "整个文件都已注销的，可加一列“在册状态”，每行都填“解除矫正”之类",
    ),
    (  # importers/crs_check.py WrongCrs, no --crs given
        "请加 --crs gcj02 重新导入；如坐标确为 CGCS2000（国家2000坐标系），请加 --crs cgcs2000",
        "请将坐标系选为“GCJ-02（高德、腾讯地图）”重新导入；如坐标确为 CGCS2000（国家2000坐标系），"
        "请将坐标系选为“CGCS2000（国家2000坐标系）”",
    ),
    (  # importers/crs_check.py WrongCrs, --crs given
        "请改用 --crs bd09 重新导入；如库中这些点位是当初把本文件按 BD-09 误导入的，"
        "用当初导入的同一个文件加 --crs wgs84 重新导入即可更正",
        "请将坐标系选为“BD-09（百度地图）”重新导入；如库中这些点位是当初把本文件按 BD-09 误导入的，"
        "用当初导入的同一个文件将坐标系选为“WGS84（GPS）”重新导入即可更正",
    ),
    (
        crs_check.unchecked_note("cgcs2000", 3).split("。", 1)[1],
        "坐标如是在高德、腾讯地图（或以其为底图的平台）上取的点，应将坐标系选为“GCJ-02（高德、"
        "腾讯地图）”；在百度地图上取的，应将坐标系选为“BD-09（百度地图）”；GPS 或手机定位直接测得"
        "的按默认读取即可（导入前可先勾选“试运行”核对）",
    ),
    (  # importers/crs_check.py MixedCrs
        "各加其 --crs 分别导入（百度地图取的点 --crs bd09，高德、腾讯地图取的 --crs gcj02，"
        "GPS 实测的 --crs cgcs2000；导入前可先加 --dry-run 核对）。",
        "各选其坐标系分别导入（百度地图取的点坐标系“BD-09（百度地图）”，高德、腾讯地图取的坐标系"
        "“GCJ-02（高德、腾讯地图）”，GPS 实测的坐标系“CGCS2000（国家2000坐标系）”；"
        "导入前可先勾选“试运行”核对）。",
    ),
    (
        values.projected_rule(34_500_000.0),
        "坐标不是经纬度，是以米为单位的投影坐标（高斯-克吕格第 34 带）：请将坐标系选为“投影坐标”、"
        "编号填 4522 后重新导入",
    ),
    (
        values.PROJECTED_WITHOUT_ZONE,
        "坐标不是经纬度，像是以米为单位的投影坐标（东坐标没有带号）：请指定坐标系，"
        "CGCS2000 高斯-克吕格 3 度带中央经线 75°E—135°E 依次为 EPSG:4534—4554，"
        "按数据所在地区的带选用（导入摘要列出本库辖区所在的带）",
    ),
    (  # importers/loading.py
        "（投影坐标请核对 --crs 的带号，网页地图画的请核对是否 GCJ-02）",
        "（投影坐标请核对坐标系的带号，网页地图画的请核对是否 GCJ-02）",
    ),
    (  # importers/summary.py, a zone suggested in the summary
        "没有带号的 3 度带坐标应为 --crs EPSG:4542（中央经线 99°E）",
        "没有带号的 3 度带坐标应为坐标系 EPSG:4542（中央经线 99°E）",
    ),
    (
        camera_retirement.INCOMPLETE_NOTE,
        "有退回的行国标编码缺失或有误，未按“文件是本辖区的全部”撤销文件未列的视频点位（库中的摄像机"
        "可能只是编码填错）：改正退回的行后，再勾选“文件是本辖区的全部”重新导入",
    ),
    (
        person_roster.INCOMPLETE_NOTE,
        "有退回的行身份证号缺失或有误，未按“文件是本辖区的全部”注销文件未列的人员（库中的人员"
        "可能只是身份证号填错）：改正退回的行后，再勾选“文件是本辖区的全部”重新导入",
    ),
)


@pytest.mark.parametrize(("said", "page"), REAL, ids=[f"message{n}" for n in range(len(REAL))])
def test_a_real_message_is_said_in_the_page_words(said: str, page: str) -> None:
    assert FLAG.search(said), "the message names an option of the command"
    assert for_console(said) == page
    assert not FLAG.search(for_console(said))


def test_every_rule_is_used_by_some_real_message() -> None:
    used = {
        pattern
        for pattern, _ in CONSOLE_WORDS
        for said, _ in REAL
        if re.search(pattern, _partly_rewritten(said, pattern))
    }
    assert [pattern for pattern, _ in CONSOLE_WORDS if pattern not in used] == []


def _partly_rewritten(said: str, stop: str) -> str:
    """The message after the rules before ``stop`` (the text ``stop`` is tried on)."""
    for pattern, to in CONSOLE_WORDS:
        if pattern == stop:
            return said
        said = re.sub(pattern, to, said)
    return said


def _coloured(message: str) -> str:
    """The message as the command's console prints it: numbers and codes coloured by rich."""
    console = Console(file=io.StringIO(), force_terminal=True, color_system="standard", width=400)
    console.print(message, soft_wrap=True, markup=False)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


@pytest.mark.parametrize(("said", "page"), REAL, ids=[f"message{n}" for n in range(len(REAL))])
def test_a_coloured_message_is_said_the_same(said: str, page: str) -> None:
    coloured = _coloured(said)
    assert ANSI.sub("", for_console(coloured)).rstrip("\n") == page


def test_text_without_advice_is_left_as_it_is() -> None:
    text = "导入网格员：盘溪镇网格员花名册（2026年11月）.xlsx（已退回）\n列对照：工号 ← 工号"
    assert for_console(text) == text


@pytest.mark.parametrize("page", [True, False])
def test_a_report_written_for_the_page_says_the_page_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: bool
) -> None:
    """The reject report a clerk downloads from 数据导入 says 列对照文件, not --mapping."""
    from importers.private_report import write_private_report
    from importers.rules import Problem

    rule = case_kind.category_rule("城市管理>市容环境")
    if page:
        monkeypatch.setenv("ZONGZHI_IMPORT_PAGE", "1")
    else:
        monkeypatch.delenv("ZONGZHI_IMPORT_PAGE", raising=False)
    path = write_private_report(
        tmp_path / "r.csv", "cases", {}, [Problem(2, "问题分类", "城市管理>市容环境", rule)]
    )
    (_, written) = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    assert written[3] == (for_console(rule) if page else rule)
    assert ("--mapping" in written[3]) is not page


def test_a_unit_not_on_record_says_who_imports_it_on_the_page() -> None:
    """Trial AD: a county clerk (a dispatcher) read 请先导入辖区 and could not import any."""
    said = "辖区 620702101201 不在数据库中（请先导入辖区）"  # importers/loading.py
    assert for_console(said) == (
        "辖区 620702101201 不在数据库中（请先导入辖区，即村、社区的编码和边界："
        "由指挥中心值班员或管理员在本页导入）"
    )
