"""A roster's 状态 offers who has the job (在岗, 离岗, 已离职), not dispatch's live 处置中.

The workers' template listed every value of the workers' status table, 处置中 among them: the
status dispatch keeps of a worker busy with a case, which a township's roster does not say.
It offers the three the importer's roster words are written for, and a roster that copies
处置中 from another system still loads (``tests/test_import_worker_status.py`` follows it into
the database: a worker on record keeps their live status, a new one is 离岗).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from importers.kinds import KINDS
from importers.pipeline import ImportOptions, check_table
from importers.reading import SourceTable
from importers.template import CODES_SHEET, NOTES_SHEET, template_columns, write_template
from layers.model import WorkerStatus
from layers.secrets import Keys

ROSTER = ("在岗", "离岗", "已离职")
KEYS = Keys(hmac_key=b"\x05" * 32, seal_key=b"\x06" * 32)


def test_the_workers_template_offers_the_roster_s_three_statuses(tmp_path: Path) -> None:
    (status,) = [c for c in template_columns(KINDS["workers"]) if c.field == "status"]
    assert status.values == ROSTER
    assert set(WorkerStatus.labels().values()) - set(status.values) == {"处置中"}
    assert "不在花名册填写" in status.note and status.example == "在岗"
    path = tmp_path / "网格员.xlsx"
    write_template("workers", path)
    book = load_workbook(path)
    codes = {
        col[0].value: [c.value for c in col[1:] if c.value] for col in book[CODES_SHEET].iter_cols()
    }
    assert codes["状态可选值"] == list(ROSTER)
    (noted,) = [r for r in book[NOTES_SHEET].iter_rows(values_only=True) if r[0] == "状态"]
    assert noted[3:] == ("在岗", "在岗、离岗、已离职")


def test_a_roster_that_says_处置中_still_loads() -> None:
    examples = {c.header: c.example for c in template_columns(KINDS["workers"]) if c.example}
    rows = [{**examples, "状态": said} for said in (*ROSTER, "处置中", "请假")]
    frame = pd.DataFrame(rows, index=pd.RangeIndex(2, 2 + len(rows), name="row"), dtype=object)
    checked = check_table(
        SourceTable(frame), ImportOptions(kind="workers"), KEYS, file_name="t.xlsx", sha256="0"
    )
    assert [p for p in checked.checks.problems if p.column == "状态"] == []
    staged = checked.parts[0].records["status"].tolist()
    assert staged == ["on_duty", "off_duty", "left", "busy", "off_duty"]
