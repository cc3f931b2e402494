"""A corrected reject report imports its rows without advising ``--complete`` (trial AV M6).

After fixing 3 swapped coordinates in the 「退回的行（改正后可直接导入本文件）」 sheet of a camera
list's report, the clerk imported it and read 「库中甘州区有在用视频点位 55 个不在本文件中；如本
文件是甘州区的全部点位…可加 --within 620702000000 --complete 重新导入予以撤销」: one ``--again``
away from retiring the county's cameras. A file known as the platform's own report (its sheet,
or its 退回原因 and 原行号 columns) is a corrected part of an earlier file: the summary says so.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from importers.report import REASON_HEADER, ROW_HEADER, ROWS_SHEET, write_report
from layers.camera_retirement import CORRECTED_PART
from tests.import_fixtures import csv_text, seed_jurisdictions

HEADERS = ["国标编码", "点位名称", "经度", "纬度", "设备状态"]


def code(serial: int) -> str:
    """Return a GB/T 28181 camera id of these tests (network 6: no other test's)."""
    return f"53042400001326{serial:06d}"


ON_RECORD = [
    [code(1), "一号路口", "102.905", "24.205", "在线"],
    [code(2), "二号路口", "102.910", "24.210", "在线"],
    [code(3), "三号路口", "102.915", "24.215", "在线"],
]
EXPORT = [  # the platform's export: the cameras on record, and a new one with 经纬度 swapped
    *ON_RECORD,
    [code(4), "新装路口", "24.212", "102.912", "在线"],
]


def _import(db: Session, path: Path, **options: object) -> ImportOutcome:
    return run_import(db.connection(), path, ImportOptions(kind="video", **options))  # type: ignore[arg-type]


def _said(outcome: ImportOutcome) -> str:
    return "\n".join(outcome.notes)


def _in_use(db: Session) -> set[str]:
    rows = db.execute(
        text(
            "SELECT device_id FROM video_points WHERE device_id LIKE '53042400001326%'"
            " AND retired_on IS NULL"
        )
    )
    return {str(r.device_id) for r in rows}


def test_the_corrected_rows_of_a_report_advise_no_complete(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    listed = tmp_path / "设备清单.csv"
    listed.write_text(csv_text(HEADERS, EXPORT), encoding="utf-8")
    first = _import(db, listed, partial=True)
    assert first.committed and first.rejected is not None and len(first.rejected) == 1, (
        first.problems
    )
    report = write_report(tmp_path / "设备清单.csv.rejects.xlsx", first.problems, first.rejected)
    book = load_workbook(report)
    sheet = book[ROWS_SHEET]
    headers = [c.value for c in sheet[1]]
    assert headers[-2:] == [REASON_HEADER, ROW_HEADER]
    sheet.cell(row=2, column=headers.index("经度") + 1, value="102.912")  # the clerk's fix
    sheet.cell(row=2, column=headers.index("纬度") + 1, value="24.212")
    book.save(report)

    corrected = _import(db, report)
    assert corrected.committed and corrected.rejected_rows == 0, corrected.problems
    assert code(4) in _in_use(db)
    said = _said(corrected)
    assert CORRECTED_PART in said
    assert "--complete" not in said and code(1) not in said, said
    assert _in_use(db) >= {code(1), code(2), code(3)}


def test_its_rows_copied_to_a_csv_are_known_by_the_report_s_columns(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    listed = tmp_path / "设备清单.csv"
    listed.write_text(csv_text(HEADERS, ON_RECORD), encoding="utf-8")
    assert _import(db, listed).committed
    copied = tmp_path / "改正.csv"
    with copied.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADERS, REASON_HEADER, ROW_HEADER])
        writer.writerow([code(4), "新装路口", "102.912", "24.212", "在线", "经度：经纬度填反", 5])
    corrected = _import(db, copied)
    assert corrected.committed, corrected.problems
    said = _said(corrected)
    assert CORRECTED_PART in said and "--complete" not in said, said

    other = tmp_path / "新装点位.csv"  # an ordinary file of one camera: the advice as before
    other.write_text(csv_text(HEADERS, [[code(5), "又一路口", "102.913", "24.213", "在线"]]))
    plain = _said(_import(db, other))
    assert CORRECTED_PART not in plain and "--complete" in plain, plain
