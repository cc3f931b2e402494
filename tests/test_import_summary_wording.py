"""The summary of an unchecked CRS says what the points were compared with, nothing else.

A user trial found 「只有 9 行的点位能与所填的网格或村（社区）比对」 in the summary of a file with
no 网格 or 村 column: its 9 points had been compared with the township its 所属街道 named.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.crs_check import NO_BOUNDED_PLACE, NO_PLACE
from importers.pipeline import ImportOptions, run_import
from tests.import_fixtures import (
    EAST,
    GRID,
    NORTH,
    SOUTH,
    VILLAGE,
    WEST,
    box,
    csv_text,
    seed_jurisdictions,
)

TOWNSHIP = VILLAGE[:9] + "000"
"""宁州街道, the test village's township (given a boundary here)."""


def _unchecked(db: Session, tmp_path: Path, place: str | None, value: str) -> str:
    """Import 9 cases naming ``place`` (a header, or none) as a dry run; return the CRS note."""
    rng = np.random.default_rng(5)
    lon = rng.uniform(WEST + 0.001, EAST - 0.001, 9)
    lat = rng.uniform(SOUTH + 0.001, NORTH - 0.001, 9)
    headers = ["工单编号", "受理渠道", "问题分类", *([place] if place else []), "来电时间", "经度"]
    rows = [
        [f"WORDING-{i}", "12345", "邻里纠纷", *([value] if place else []), "2025-03-01 08:30"]
        + [f"{x:.7f}", f"{y:.7f}"]
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]
    path = tmp_path / "工单.csv"
    path.write_text(csv_text([*headers, "纬度"], rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", dry_run=True))
    (note,) = [n for n in outcome.notes if n.startswith("坐标系未核对")]
    return note.split("。")[0]


def test_the_unchecked_note_names_the_places_the_points_were_compared_with(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    # a township without a boundary: nothing compared, and said so
    assert _unchecked(db, tmp_path, "所属街道", "宁州街道").endswith(NO_BOUNDED_PLACE)
    db.execute(
        text(
            "UPDATE jurisdictions SET boundary = ST_Multi(ST_GeomFromText(:w, 4490))"
            " WHERE code = :c"
        ),
        {"w": box(WEST - 0.01, SOUTH - 0.01, 102.98, NORTH + 0.01), "c": TOWNSHIP},
    )
    # no 网格 or 村 column: the township its 所属街道 names, and nothing of grids or villages
    township = _unchecked(db, tmp_path, "所属街道", "宁州街道")
    assert "只有 9 行的点位能与所填的乡镇（街道）比对（至少要 20 行）" in township
    assert "网格" not in township and "村" not in township
    # a grid column: the grids
    assert "只有 9 行的点位能与所填的网格比对" in _unchecked(db, tmp_path, "所属网格", GRID)
    # only an address: the village it names, not a place the row filled in
    address = _unchecked(db, tmp_path, "事发地址", "华宁县宁州街道测试社区幸福路1号")
    assert "只有 9 行的点位能与地址所在的村（社区）比对" in address and "所填" not in address
    # no place at all (no such column, or one left empty): said so
    assert _unchecked(db, tmp_path, None, "").endswith(NO_PLACE)
    assert _unchecked(db, tmp_path, "所属网格", "").endswith(NO_PLACE)
