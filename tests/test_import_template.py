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
from importers import vocabulary
from importers.kinds import KINDS
from importers.kinds.cases import REPEAT_WORDS
from importers.kinds.video import REMOVED, REMOVED_LABEL, REMOVED_WORDS
from importers.mapping import load_mapping_file, resolve_columns
from importers.pipeline import ImportOptions, check_table, keyed_by_field, run_import
from importers.reading import SourceTable
from importers.template import (
    CODES_SHEET,
    DATA_SHEET,
    MAPPING_SHEET,
    NOT_OFFERED,
    NOTES_SHEET,
    Column,
    code_tables,
    template_columns,
    write_template,
)
from layers.model import PersonCategory, VideoStatus
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
    examples |= _category_of(kind, offered)  # a category's own column: a row of the category
    rows = [{**examples, offered.header: value} for value in offered.values]
    frame = pd.DataFrame(rows, index=pd.RangeIndex(2, 2 + len(rows), name="row"), dtype=object)
    options = ImportOptions(kind=kind)
    checked = check_table(SourceTable(frame), options, KEYS, file_name="t.xlsx", sha256="0")
    refused = [p for p in checked.checks.problems if p.column == offered.header]
    assert refused == []


def _category_of(kind: str, column: Column) -> dict[str, str]:
    """The 人员类别 of a category's own column (矫正类别: 社区矫正人员), else nothing."""
    if column.field in KINDS[kind].fields:
        return {}
    category = next(c for c in MODELS if column.header in attribute_headers(c))
    return {"*人员类别": PersonCategory.label_of(category)}


KNOWN_WORDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("video", "status"): tuple(sorted(REMOVED_WORDS)),
    ("cases", "repeat_flag"): tuple(w for words in REPEAT_WORDS.values() for w in words.split()),
}
"""The importer's own word lists of a column, beside its code tables' codes, labels, aliases."""


def _staged(kind: str, field: str, words: list[str]) -> pd.DataFrame:
    """Return what the import stages of each word in ``field`` on the template's example row.

    One row a word, indexed by it; a word the import refuses or leaves unread is left out.
    The other optional code-table columns are left empty (a 事件小类 would override the
    subtype a 事件类型 names).
    """
    columns = template_columns(KINDS[kind])
    offered = next(c for c in columns if c.field == field)
    examples = {
        c.header: None if c.values and not c.required and c is not offered else c.example
        for c in columns
        if c.field in KINDS[kind].fields
    }
    rows = [{**examples, **_category_of(kind, offered), offered.header: word} for word in words]
    frame = pd.DataFrame(rows, index=pd.RangeIndex(2, 2 + len(rows), name="row"), dtype=object)
    options = ImportOptions(kind=kind)
    checked = check_table(SourceTable(frame), options, KEYS, file_name="t.xlsx", sha256="0")
    records = checked.parts[0].records.set_index("_row")
    refused = {p.row for p in checked.checks.problems if p.column == offered.header}
    if "_unread" in records:
        refused |= set(records.index[records["_unread"].notna()])
    kept = [row for row in records.index if row not in refused]
    staged = records.loc[kept].drop(columns=["_unread"], errors="ignore")
    staged.index = pd.Index([words[row - 2] for row in kept])
    return staged


def _meanings(kind: str, field: str, words: list[str]) -> dict[str, tuple[object, ...]]:
    """Return what each word read means: its staged values that hang on the word alone.

    The words are staged in both orders (:func:`_staged`); a column whose value for a word
    changes with the order (the first of rows with one resident ID seals it), or that keeps
    the word as written (a 办理状态 kept for the case's history), is left out.
    """
    ahead, back = _staged(kind, field, words), _staged(kind, field, words[::-1])
    ahead, back = ahead.map(_plain), back.map(_plain).loc[ahead.index]
    said = [str(w) for w in ahead.index]
    same = [
        c
        for c in ahead.columns
        if ahead[c].tolist() == back[c].tolist()
        and not all(v in ("", w) for v, w in zip(ahead[c], said, strict=True))
    ]
    return {
        str(word): tuple(row)
        for word, row in zip(ahead.index, ahead[same].itertuples(index=False), strict=True)
    }


def _plain(value: object) -> str:
    """A staged value as text, empty ones as ``""`` (NaN would equal nothing)."""
    return "" if not isinstance(value, (list, dict)) and pd.isna(value) else str(value)


READ_HERE = [(kind, field) for kind, field in OFFERED if (kind, field) != ("cases", "subcategory")]
"""The code-table columns whose meaning the row checks give (a 事件小类 is staged as written
and found among its category's subtypes in the database: the test below lists them all)."""


@pytest.mark.parametrize(("kind", "field"), READ_HERE)
def test_a_template_lists_each_value_the_import_knows_once(kind: str, field: str) -> None:
    """The values listed are what the import reads: each means something else, and whatever
    the import reads in the column (codes, labels, aliases, its own word lists: a camera list's
    已拆除 retires the camera) means what one of them means, but for the values a template
    declares it does not offer (:data:`importers.template.NOT_OFFERED`: a roster's 处置中,
    followed in ``tests/test_workers_template_status.py``)."""
    (offered,) = [c for c in template_columns(KINDS[kind]) if c.field == field]
    unoffered = {m.value for m in NOT_OFFERED.get((kind, field), ())}  # a roster's 处置中
    known = {
        w
        for table in code_tables(kind, field)
        for w, code in vocabulary.lookup(table).items()
        if code not in unoffered
    }
    known |= set(KNOWN_WORDS.get((kind, field), ()))
    listed = list(offered.values)
    read = _meanings(kind, field, listed + sorted(known - set(listed)))
    assert [w for w in listed if w not in read] == [], "a listed value is refused or unread"
    meant = {read[w] for w in listed}
    assert len(meant) == len(listed), f"two values of {offered.header} mean the same"
    missing = sorted(w for w, meaning in read.items() if meaning not in meant)
    assert not missing, f"{offered.header} reads {missing[:5]} as no listed value does"


def test_the_video_template_lists_a_camera_taken_down_as_the_import_retires_it() -> None:
    """Trial BB M6's 已拆除 retires a camera, and the template listed 在线 and 离线 only."""
    (status,) = [c for c in template_columns(KINDS["video"]) if c.field == "status"]
    assert status.values == (*VideoStatus.labels().values(), REMOVED_LABEL)
    assert status.example == VideoStatus.ONLINE.label  # the example row keeps its camera
    staged = _staged("video", "status", list(status.values))
    assert staged[["status", REMOVED]].to_dict("index") == {
        "在线": {"status": "online", REMOVED: False},
        "离线": {"status": "offline", REMOVED: False},
        REMOVED_LABEL: {"status": "offline", REMOVED: True},
    }


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
