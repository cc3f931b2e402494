"""Import templates: a clerk fills the example row of each kind's template and imports it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.routers.imports import KIND_LABELS
from importers.kinds import KINDS
from importers.mapping import load_mapping_file, resolve_columns
from importers.pipeline import ImportOptions, check_table, keyed_by_field, run_import
from importers.reading import SourceTable
from importers.template import (
    CODES_SHEET,
    DATA_SHEET,
    MAPPING_SHEET,
    NOTES_SHEET,
    template_columns,
    write_template,
)
from layers.person_attributes import MODELS, attribute_headers
from layers.secrets import Keys
from tests.import_fixtures import GRID, import_app, seed_jurisdictions

KEYS = Keys(hmac_key=b"\x03" * 32, seal_key=b"\x04" * 32)
IN_TEST_DATABASE = {"所属社区": "测试社区", "负责网格": GRID, "网格编码": GRID}
"""Example values that name the demo county's units, replaced by the test hierarchy's."""


def _fill_with_examples(template: Path, kind: str) -> Path:
    """Write the template's example row into its data sheet, as a clerk following it would."""
    book = load_workbook(template)
    notes = book[NOTES_SHEET]
    examples = {
        str(row[0]): row[3]
        for row in notes.iter_rows(min_row=5, values_only=True)
        if row[0] is not None
    }
    data = book[DATA_SHEET]
    headers = [str(cell.value) for cell in data[1]]
    overrides = dict(IN_TEST_DATABASE)
    if kind == "grids":
        overrides["网格编码"] = GRID[:-3] + "002"
    row = [overrides.get(h.lstrip("*"), examples[h.lstrip("*")]) for h in headers]
    data.append(row)
    filled = template.with_name(f"{kind}-filled.xlsx")
    book.save(filled)
    return filled


def _import(db: Session, tmp_path: Path, kind: str) -> None:
    template = tmp_path / f"{kind}.xlsx"
    write_template(kind, template)
    options = ImportOptions(kind=kind, user="clerk")
    keys = KEYS if kind in ("persons", "visits") else None
    outcome = run_import(db.connection(), _fill_with_examples(template, kind), options, keys=keys)
    assert outcome.problems == [], outcome.problems
    assert outcome.committed and outcome.counts is not None
    assert outcome.counts.inserted + outcome.counts.updated == 1


@pytest.mark.parametrize("kind", ["jurisdictions", "grids", "workers", "video", "cases"])
def test_the_example_row_of_a_template_imports(db: Session, tmp_path: Path, kind: str) -> None:
    seed_jurisdictions(db)
    _import(db, tmp_path, kind)


def test_persons_and_their_visits_from_templates(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    for kind in ("workers", "persons", "visits"):
        _import(db, tmp_path, kind)
    visits = db.execute(
        text(
            "SELECT count(*) FROM person_visits v JOIN workers w ON w.id = v.visitor_id "
            "WHERE w.external_id = 'NZ0001' AND v.area_code LIKE '53%'"
        )
    ).scalar_one()
    assert visits == 1


def test_a_template_marks_required_columns_keeps_ids_as_text_and_lists_codes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cases.xlsx"
    write_template("cases", path)
    book = load_workbook(path)
    assert book.sheetnames == [DATA_SHEET, NOTES_SHEET, CODES_SHEET, MAPPING_SHEET]
    data = book[DATA_SHEET]
    headers = [str(c.value) for c in data[1]]
    required = {h.lstrip("*") for h in headers if h.startswith("*")}
    assert required == {"工单编号", "来源渠道", "事件类型", "登记时间"}
    column = headers.index("*工单编号") + 1
    assert data.column_dimensions[data.cell(1, column).column_letter].number_format == "@"
    channel = data.cell(1, headers.index("*来源渠道") + 1).column_letter
    rules = {str(v.sqref): v.formula1 for v in data.data_validations.dataValidation}
    listed = rules[f"{channel}2:{channel}10000"]
    codes = book[CODES_SHEET]
    source = listed.split("!")[1].replace("$", "").split(":")
    values = [c.value for row in codes[source[0] : source[1]] for c in row]
    assert values[:2] == ["网格员上报", "12345热线"] and len(values) == 11


def test_template_command_writes_once_and_refuses_to_overwrite(tmp_path: Path) -> None:
    app = import_app()
    target = tmp_path / "花名册.xlsx"
    runner = CliRunner()
    first = runner.invoke(app, ["template", "workers", str(target)])
    assert first.exit_code == 0, first.output
    assert "已写出网格员导入模板" in first.output and target.exists()
    again = runner.invoke(app, ["template", "workers", str(target)])
    assert again.exit_code == 2 and "已存在" in again.output
    forced = runner.invoke(app, ["template", "workers", str(target), "--force"])
    assert forced.exit_code == 0
    unknown = runner.invoke(app, ["template", "roads", str(target)])
    assert unknown.exit_code == 2 and "未知的导入类型" in unknown.output


def test_template_command_makes_its_folder_and_says_why_it_cannot_write(tmp_path: Path) -> None:
    app = import_app()
    runner = CliRunner()
    nested = tmp_path / "各乡镇" / "模板.xlsx"
    made = runner.invoke(app, ["template", "cases", str(nested)])
    assert made.exit_code == 0, made.output
    assert nested.exists()  # as a reject report's folder is made
    (tmp_path / "台账").write_text("一个文件", encoding="utf-8")
    blocked = runner.invoke(app, ["template", "cases", str(tmp_path / "台账" / "模板.xlsx")])
    assert blocked.exit_code == 2, blocked.output
    assert "无法写出" in blocked.output and "路径中有同名的文件，不是文件夹" in blocked.output
    assert isinstance(blocked.exception, SystemExit)  # said, not a traceback


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_template_header_finds_its_field(kind: str) -> None:
    columns = template_columns(KINDS[kind])
    headers = [c.header for c in columns]  # read as the import reads them
    chosen = resolve_columns(headers, KINDS[kind].fields, kind=kind, labels=KINDS[kind].headers)
    fields = {c.field: c.header for c in columns if c.field in KINDS[kind].fields}
    assert chosen == fields
    extra = [c.header for c in columns if c.field not in KINDS[kind].fields]
    known = {h for category in MODELS for h in attribute_headers(category)}
    assert set(extra) <= known


OFFERED = [(k, c.field) for k in KINDS for c in template_columns(KINDS[k]) if c.values]


@pytest.mark.parametrize(("kind", "field"), OFFERED)
def test_every_value_a_template_offers_is_accepted(kind: str, field: str) -> None:
    """Each value of a drop-down passes the row checks (no database needed for them)."""
    columns = template_columns(KINDS[kind])
    offered = next(c for c in columns if c.field == field)
    examples = {c.header: c.example for c in columns if c.field in KINDS[kind].fields}
    rows = [{**examples, offered.header: value} for value in offered.values]
    frame = pd.DataFrame(rows, index=pd.RangeIndex(2, 2 + len(rows), name="row"), dtype=object)
    options = ImportOptions(kind=kind)
    checked = check_table(SourceTable(frame), options, KEYS, file_name="t.xlsx", sha256="0")
    refused = [p for p in checked.checks.problems if p.column == offered.header]
    assert refused == []


def test_the_cases_template_offers_every_category_s_subtypes(tmp_path: Path) -> None:
    from layers.model.cases import HazardType, OpinionType

    path = tmp_path / "案件.xlsx"
    write_template("cases", path)
    codes = load_workbook(path)[CODES_SHEET]
    columns = {col[0].value: [c.value for c in col[1:] if c.value] for col in codes.iter_cols()}
    for label in (*HazardType.labels().values(), *OpinionType.labels().values()):
        assert label in columns["事件类型可选值"] and label in columns["事件小类可选值"]


def _notes_text(template: Path) -> list[str]:
    notes = load_workbook(template)[NOTES_SHEET]
    return [str(v) for row in notes.iter_rows(values_only=True) for v in row if v is not None]


def test_a_template_from_the_import_page_says_the_page_not_the_command(tmp_path: Path) -> None:
    home = {"ZONGZHI_HOME": str(tmp_path / "home"), "ZONGZHI_DATABASE_URL": ""}
    runner = CliRunner()
    for kind, label in (("workers", "网格员"), ("cases", "事件（案件）")):  # the page's names
        page = tmp_path / f"page-{kind}.xlsx"
        args = ["template", kind, str(page)]
        done = runner.invoke(import_app(), args, env={**home, "ZONGZHI_IMPORT_PAGE": "1"})
        assert done.exit_code == 0, done.output
        said = _notes_text(page)
        assert label == KIND_LABELS[kind]  # trial X: the notes said 选择“案件”
        assert (
            said[1]
            == f"导入方法：在综治平台“数据导入”页选择“{label}”，上传本文件（先勾选“试运行”）"
        )
        assert not [line for line in said if "zongzhi" in line or "--" in line], said
    command = tmp_path / "command.xlsx"
    done = runner.invoke(import_app(), ["template", "cases", str(command)], env=home)
    assert done.exit_code == 0, done.output
    said = _notes_text(command)
    assert said[1].startswith("导入命令：zongzhi import cases 本文件.xlsx")
    assert any("--crs" in line for line in said)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("page", [True, False])
def test_the_mapping_example_is_a_mapping_file_the_import_reads(
    tmp_path: Path, kind: str, page: bool
) -> None:
    """列对照文件示例 copied into Notepad as it is: its fields and values are the kind's own."""
    path = tmp_path / f"{kind}.xlsx"
    write_template(kind, path, page=page)
    sheet = load_workbook(path)[MAPPING_SHEET]
    lines = [str(row[0] or "") for row in sheet.iter_rows(values_only=True)]
    assert ("--mapping" in lines[1]) is not page and ("列对照文件" in lines[1]) is page
    mapping = tmp_path / "列对照.toml"
    mapping.write_text("\n".join(lines[2:]) + "\n", encoding="gbk")
    read = load_mapping_file(mapping)
    headers = [c.header.lstrip("*") for c in template_columns(KINDS[kind])]
    assert read.columns and set(read.columns) <= set(headers)
    assert set(read.columns.values()) == {"您表格中的列名"}
    by_field = keyed_by_field(read, KINDS[kind])  # as the import reads it: no unknown field
    assert set(by_field.columns) <= set(KINDS[kind].fields) and len(by_field.columns) == 3
    for header, values in read.values.items():
        column = next(c for c in template_columns(KINDS[kind]) if c.header.lstrip("*") == header)
        assert set(values.values()) <= set(column.values)


def test_the_visits_template_says_a_visitor_may_be_named_by_mobile_number() -> None:
    """Trial AV: the import matches a 走访人 by phone, the template only said 工号 or 姓名."""
    (visitor,) = [c for c in template_columns(KINDS["visits"]) if c.field == "visitor"]
    assert all(way in visitor.note for way in ("工号", "手机号", "姓名", "顿号")), visitor.note
