"""A file with no data rows never counts as a list, least of all as an area's complete list.

Trial X: a camera export whose filter found nothing (the header row alone), imported with
文件是本辖区的全部 (``--complete``) and 确认重新导入旧文件 (``--again``), retired all 345 cameras of
the county, and its dry run read 试运行通过. Now a file of headers alone is refused, and a
complete list none of whose rows pass the row checks writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, NothingListed, run_import
from importers.reading import ReadError
from tests.import_fixtures import csv_text, seed_jurisdictions

HEADERS = ["国标编码", "点位名称", "经度", "纬度", "设备状态"]
WITHIN = "530424000000"


def _camera(serial: int) -> list[str]:
    """A camera of 测试社区 (network 8: no other test's)."""
    return [
        f"53042400001328{serial:06d}",
        f"点位{serial}",
        f"{102.901 + serial / 1000:.3f}",
        "24.205",
        "在线",
    ]


def _in_use(db: Session) -> int:
    return int(
        db.execute(
            text(
                "SELECT count(*) FROM video_points WHERE device_id LIKE '53042400001328%'"
                " AND retired_on IS NULL"
            )
        ).scalar_one()
    )


@pytest.fixture
def cameras(db: Session, tmp_path: Path) -> Session:
    """Five cameras in use, from an earlier export."""
    seed_jurisdictions(db)
    path = tmp_path / "上月导出.csv"
    path.write_text(csv_text(HEADERS, [_camera(n) for n in range(1, 6)]), encoding="utf-8")
    done = run_import(db.connection(), path, ImportOptions(kind="video"))
    assert done.committed, done.problems
    assert _in_use(db) == 5
    return db


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_file_of_headers_alone_is_refused_and_retires_nothing(
    cameras: Session, tmp_path: Path, dry_run: bool
) -> None:
    path = tmp_path / "只有表头.csv"
    path.write_text(csv_text(HEADERS, []), encoding="utf-8")
    options = ImportOptions(kind="video", within=WITHIN, complete=True, again=True, dry_run=dry_run)
    with pytest.raises(ReadError, match="只有表头，没有数据行，未导入"):
        run_import(cameras.connection(), path, options)
    with pytest.raises(ReadError, match="只有表头"):  # no list at all, complete or not
        run_import(cameras.connection(), path, ImportOptions(kind="video"))
    assert _in_use(cameras) == 5


def test_a_complete_list_none_of_whose_rows_pass_writes_nothing(
    cameras: Session, tmp_path: Path
) -> None:
    bad = [[row[0][:18], *row[1:]] for row in (_camera(n) for n in range(6, 9))]  # 18 digits
    path = tmp_path / "全部退回.csv"
    path.write_text(csv_text(HEADERS, bad), encoding="utf-8")
    options = ImportOptions(kind="video", within=WITHIN, complete=True, again=True, partial=True)
    with pytest.raises(NothingListed, match="没有一行通过检查，不能作为“文件是本辖区的全部”"):
        run_import(cameras.connection(), path, options)
    assert _in_use(cameras) == 5
    # without --complete the same file is an ordinary import whose rows are all rejected
    plain = run_import(cameras.connection(), path, ImportOptions(kind="video", partial=True))
    assert plain.rejected_rows == 3 and _in_use(cameras) == 5
