"""What a complete list ends counts as updated (re-trial S, N5).

The cameras a ``--complete`` export retires are records the import changed, as the persons a
complete list strikes off are (``tests/test_import_persons_complete.py``): the summary's 更新,
the import's rows loaded (``zongzhi imports``' 写入) and a file imported again say them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from tests.test_camera_retirement import FEBRUARY, _import, january  # noqa: F401

AREA = "530424100"


def test_the_cameras_a_complete_export_retires_count_as_updated(
    january: Session,  # noqa: F811
    tmp_path: Path,
) -> None:
    path = tmp_path / "导出_202602.csv"
    plain = _import(january, path, FEBRUARY, within=AREA, dry_run=True)
    complete = _import(january, path, FEBRUARY, within=AREA, complete=True, dry_run=True)
    assert plain.counts is not None and complete.counts is not None
    assert complete.counts.updated == plain.counts.updated + 2  # 2 cameras retired
    assert complete.counts.inserted == plain.counts.inserted
    assert complete.counts.unchanged == plain.counts.unchanged
