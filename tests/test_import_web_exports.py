"""Files named .xls that web systems write as HTML or text: read as what they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.mapping import header_test
from importers.pipeline import ImportOptions, run_import
from importers.reading import ReadError, parts_of, read_table, workbook_shape
from tests.import_fixtures import VILLAGE, seed_jurisdictions

ID = "530424199001011234"
PAGE = f"""<html xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>
<body><table border="1">
<tr><td colspan="5" style="font-size:18px">华宁县12345工单导出（2025年3月）</td></tr>
<tr><th>工单编号</th><th>来电时间</th><th>问题分类</th><th>所属社区</th><th>来电号码</th></tr>
<tr><td style="mso-number-format:'\\@'">{ID}</td><td>2025-03-01 08:30</td>
    <td>邻里纠纷</td><td rowspan="2">{VILLAGE}</td><td>08775011234</td></tr>
<tr><td>GD-2</td><td>2025-03-02&nbsp;09:00</td><td>物业 管理</td><td>13800000000</td></tr>
<tr><td></td><td></td><td></td><td></td><td></td></tr>
</table></body></html>"""


def test_an_html_page_named_xls_is_read_as_its_table_cells_exactly(tmp_path: Path) -> None:
    path = tmp_path / "工单导出.xls"
    path.write_bytes(PAGE.encode("gbk"))
    assert workbook_shape(path) == "html"
    table = read_table(path, is_header=header_test())
    assert table.headers == ["工单编号", "来电时间", "问题分类", "所属社区", "来电号码"]
    assert table.encoding == "gb18030" and table.sheet is None
    rows = table.frame
    assert rows.index.tolist() == [3, 4]  # the title row is row 1, the blank row left out
    assert rows.loc[3].tolist() == [ID, "2025-03-01 08:30", "邻里纠纷", VILLAGE, "08775011234"]
    assert rows.loc[4].tolist() == ["GD-2", "2025-03-02 09:00", "物业 管理", VILLAGE, "13800000000"]


def test_tab_separated_text_named_xls_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "导出.xls"
    path.write_bytes(f"工单编号\t所属社区\t来电号码\nGD-1\t{VILLAGE}\t08775011234\n".encode("gbk"))
    assert workbook_shape(path) == "text"
    table = read_table(path, is_header=header_test())
    assert table.frame.loc[2].tolist() == ["GD-1", VILLAGE, "08775011234"]


XML_BOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="填表说明"><Table>
  <Row><Cell><Data ss:Type="String">请按模板填写</Data></Cell></Row>
 </Table></Worksheet>
 <Worksheet ss:Name="工单"><Table>
  <Row><Cell ss:MergeAcross="2"><Data ss:Type="String">工单导出</Data></Cell></Row>
  <Row ss:Index="3"><Cell><Data ss:Type="String">工单编号</Data></Cell>
   <Cell><Data ss:Type="String">所属社区</Data></Cell>
   <Cell><Data ss:Type="String">来电号码</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">GD-1</Data></Cell>
   <Cell ss:MergeDown="1"><Data ss:Type="String">{VILLAGE}</Data></Cell>
   <Cell><Data ss:Type="String">08775011234</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">GD-2</Data></Cell>
   <Cell ss:Index="3"><Data ss:Type="Number">13800000000</Data></Cell></Row>
 </Table></Worksheet>
</Workbook>"""


def test_excel_2003_xml_is_read_from_its_data_sheet(tmp_path: Path) -> None:
    path = tmp_path / "导出.xls"
    path.write_text(XML_BOOK, encoding="utf-8")
    assert workbook_shape(path) == "xml"
    table = read_table(path, is_header=header_test())
    assert table.sheet == "工单" and table.headers == ["工单编号", "所属社区", "来电号码"]
    assert table.frame.loc[4].tolist() == ["GD-1", VILLAGE, "08775011234"]
    assert table.frame.loc[5].tolist() == ["GD-2", VILLAGE, "13800000000"]
    assert parts_of(path, header_test()) == ["工单"]
    broken = tmp_path / "坏.xls"
    broken.write_text(XML_BOOK[:-20], encoding="utf-8")
    with pytest.raises(ReadError, match="XML 格式有误"):
        read_table(broken, is_header=header_test())


def test_a_page_of_two_data_tables_asks_which(tmp_path: Path) -> None:
    header = "<tr><th>工单编号</th><th>所属社区</th></tr>"
    one = f"<table>{header}<tr><td>A</td><td>{VILLAGE}</td></tr></table>"
    two = one.replace(">A<", ">B<")
    path = tmp_path / "两个表.xls"
    path.write_text(f"<html><body>{one}<p>分页</p>{two}</body></html>", encoding="utf-8")
    with pytest.raises(ReadError, match="有 2 个数据表格：表格1、表格2"):
        read_table(path, is_header=header_test())
    assert parts_of(path, header_test()) == ["表格1", "表格2"]
    second = read_table(path, is_header=header_test(), layer="表格2")
    assert second.sheet == "表格2" and second.frame["工单编号"].tolist() == ["B"]
    with pytest.raises(ReadError, match="没有“表格3”"):
        read_table(path, is_header=header_test(), layer="表格3")


def test_a_hotline_export_as_html_imports(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    page = PAGE.replace("<th>来电号码</th>", "<th>来电号码</th><th>受理渠道</th>")
    page = page.replace("08775011234</td></tr>", "08775011234</td><td>12345</td></tr>")
    page = page.replace("13800000000</td></tr>", "13800000000</td><td>12345</td></tr>")
    page = page.replace('colspan="5"', 'colspan="6"').replace(ID, "GD-1")
    path = tmp_path / "工单导出.xls"
    path.write_bytes(page.encode("gbk"))
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.committed and not outcome.problems, outcome.problems
    stored = db.execute(
        text(
            "SELECT external_no, area_code, reporter_phone, subcategory FROM cases"
            " WHERE external_no LIKE 'GD-%' ORDER BY 1"
        )
    ).all()
    assert [tuple(r) for r in stored] == [
        ("GD-1", VILLAGE, "08775011234", "neighbours"),
        ("GD-2", VILLAGE, "13800000000", "property_management"),
    ]
