"""The workers' template shows a grid worker's 岗位, and a roster's 岗位类型 is read (trial AV m4).

The example of a drop-down column was its code table's last value: a roster's 岗位 showed
部门工作人员 and its 状态 已离职, values a clerk filling a 网格员 template does not expect. And
a county roster's own header for the post, 岗位类型, was not read without a mapping file.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from importers.kinds import KINDS
from importers.mapping import resolve_columns
from importers.template import template_columns, write_template
from layers.model import WorkerRole, WorkerStatus


def test_the_workers_template_shows_a_grid_worker_on_duty() -> None:
    examples = {c.field: c.example for c in template_columns(KINDS["workers"])}
    assert examples["role"] == "专职网格员" == WorkerRole.GRID_WORKER.label
    assert examples["status"] == "在岗" == WorkerStatus.ON_DUTY.label


def test_the_notes_of_the_written_template_give_that_example(tmp_path: Path) -> None:
    path = tmp_path / "网格员.xlsx"
    write_template("workers", path)
    notes = load_workbook(path)["填写说明"]
    example = {row[0]: row[3] for row in notes.iter_rows(values_only=True) if row[0]}
    assert example["岗位"] == "专职网格员" and example["状态"] == "在岗"


def test_a_roster_s_post_type_header_is_read_as_the_post() -> None:
    kind = KINDS["workers"]
    for header in ("岗位类型", "人员类型"):
        headers = ["姓名", "手机号", header, "所属网格"]
        chosen = resolve_columns(headers, kind.fields, kind="workers", labels=kind.headers)
        assert chosen["role"] == header
    both = ["姓名", "手机号", "岗位", "岗位类型"]
    chosen = resolve_columns(both, kind.fields, kind="workers", labels=kind.headers)
    assert chosen["role"] == "岗位"
