"""History stays where it happened: a re-division moves current records, not the past (F4).

龙潭镇 merged 石坝村 and 石寨村 into 石岩村 on 2024-06-28 (石岩村's boundary covers both, as the
old ones still lie on the map under it; 石坝第1网格 went into 石岩第1网格 the same day). A planner
imports 2023–2024 history afterwards: a case or a visit dated before the merger stays in the
village (and grid) of its time, whether it names the old village or lies in it by its point; one
dated on or after it follows today's rules (the point among live units, else the successor).
Persons are current records: they always follow the successor.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.secrets import Keys
from tests.import_fixtures import (
    add_jurisdictions,
    box,
    imported_cases,
    resident_id,
    retire_units,
    seed_jurisdictions,
    write_gbk,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
COUNTY = "530424000000"
TOWN = "530424109000"
"""龙潭镇 (boundary lon 103.20-103.30, lat 24.40-24.50)."""
SHIBA = "530424109201"
"""石坝村, the west half: lon 103.20-103.25."""
SHIZHAI = "530424109202"
"""石寨村, the east half: lon 103.25-103.30."""
SHIYAN = "530424109211"
"""石岩村, both halves: the village they merged into on :data:`MERGED_ON`."""
SHIBA_GRID, SHIYAN_GRID = SHIBA + "001", SHIYAN + "001"
MERGED_ON = "2024-06-28"
WEST, EAST = (103.22, 24.45), (103.27, 24.45)
"""A point in 石坝村 (and 石岩村), one in 石寨村 (and 石岩村)."""


def seed_town(db: Session, *, merged: bool = True, grid: bool = True) -> None:
    """Seed 龙潭镇's villages (and 石坝村's grid); ``merged``: retire them as of 2024-06-28."""
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (TOWN, "龙潭镇", 4, COUNTY, box(103.20, 24.40, 103.30, 24.50)),
            (SHIBA, "石坝村", 5, TOWN, box(103.20, 24.40, 103.25, 24.50)),
            (SHIZHAI, "石寨村", 5, TOWN, box(103.25, 24.40, 103.30, 24.50)),
        ],
    )
    if grid:
        add_grid(db, SHIBA_GRID, "石坝第1网格", SHIBA)
    if merged:
        add_merged_village(db)


def add_merged_village(db: Session) -> None:
    """Add 石岩村 and its grid, and retire the old villages and grid into them."""
    add_jurisdictions(db, [(SHIYAN, "石岩村", 5, TOWN, box(103.20, 24.40, 103.30, 24.50))])
    add_grid(db, SHIYAN_GRID, "石岩第1网格", SHIYAN)
    retire_units(
        db,
        [
            ("jurisdictions", SHIBA, SHIYAN, MERGED_ON),
            ("jurisdictions", SHIZHAI, SHIYAN, MERGED_ON),
            ("grids", SHIBA_GRID, SHIYAN_GRID, MERGED_ON),
        ],
    )


def add_grid(db: Session, code: str, name: str, area: str) -> None:
    """Add a grid covering the west half of the town."""
    db.execute(
        text(
            "INSERT INTO grids (code, name, area_code, boundary)"
            " VALUES (:c, :n, :a, ST_GeomFromText(:w, 4490))"
        ),
        {"c": code, "n": name, "a": area, "w": box(103.20, 24.40, 103.25, 24.50)},
    )


def import_cases(
    db: Session, tmp_path: Path, headers: list[str], rows: list[list[str]], name: str = "台账.csv"
) -> ImportOutcome:
    """Import a cases file (CGCS2000 points), all of it."""
    path = write_gbk(tmp_path, name, headers, rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", crs="cgcs2000"))
    assert outcome.status == "loaded", outcome.problems
    return outcome


NAMED = ["工单编号", "来源渠道", "事件类型", "所属乡镇", "所属社区", "登记时间"]


def test_a_case_dated_before_the_merger_stays_in_the_village_it_names(
    db: Session, tmp_path: Path
) -> None:
    seed_town(db)
    rows = [
        ["H-1", "网格员排查", "邻里纠纷", "龙潭镇", "石寨村", "2023-03-01 09:00"],
        ["H-2", "网格员排查", "邻里纠纷", "龙潭镇", "石寨村委会", "2023-05-01 09:00"],
        ["H-3", "网格员排查", "邻里纠纷", "龙潭镇", "石寨村", "2024-07-01 09:00"],
        ["H-4", "网格员排查", "邻里纠纷", "龙潭镇", SHIBA, "2024-06-27 23:30"],  # local time
        ["H-5", "网格员排查", "邻里纠纷", "龙潭镇", "石坝村", "2024-06-28 00:10"],
    ]
    outcome = import_cases(db, tmp_path, NAMED, rows)
    assert imported_cases(db) == {
        "H-1": (None, SHIZHAI),
        "H-2": (None, SHIZHAI),
        "H-3": (None, SHIYAN),
        "H-4": (None, SHIBA),
        "H-5": (None, SHIYAN),
    }
    said = sorted(note for note in outcome.notes if "撤销" in note)
    assert said == sorted(
        [
            f"2023 年的 2 行写的“石寨村”（{MERGED_ON} 撤销）按当时的村记录",
            f"2024 年的 1 行写的“石坝村”（{MERGED_ON} 撤销）按当时的村记录",
            f"1 行写的“石寨村”已于{MERGED_ON}撤销，记入继承的“石岩村”",
            f"1 行写的“石坝村”已于{MERGED_ON}撤销，记入继承的“石岩村”",
        ]
    )


def test_a_case_in_a_retired_grid_of_its_time_keeps_the_grid_and_its_village(
    db: Session, tmp_path: Path
) -> None:
    seed_town(db)
    headers = ["工单编号", "来源渠道", "事件类型", "所属网格", "登记时间"]
    rows = [
        ["G-1", "网格员排查", "邻里纠纷", "石坝第1网格", "2023-08-01 10:00"],
        ["G-2", "网格员排查", "邻里纠纷", SHIBA_GRID, "2025-08-01 10:00"],
    ]
    outcome = import_cases(db, tmp_path, headers, rows)
    assert imported_cases(db) == {"G-1": (SHIBA_GRID, SHIBA), "G-2": (SHIYAN_GRID, SHIYAN)}
    assert f"2023 年的 1 行写的“石坝第1网格”（{MERGED_ON} 撤销）按当时的网格记录" in outcome.notes


def test_a_point_of_before_the_merger_lies_in_the_village_and_grid_of_its_time(
    db: Session, tmp_path: Path
) -> None:
    seed_town(db)
    headers = ["工单编号", "来源渠道", "事件类型", "经度", "纬度", "受理时间"]
    rows = [
        ["P-1", "12345", "邻里纠纷", *map(str, WEST), "2023-02-01 08:00"],
        ["P-2", "12345", "邻里纠纷", *map(str, EAST), "2024-06-27 08:00"],
        ["P-3", "12345", "邻里纠纷", *map(str, WEST), "2024-06-28 08:00"],
        ["P-4", "12345", "邻里纠纷", *map(str, EAST), "2026-01-05 08:00"],
    ]
    import_cases(db, tmp_path, headers, rows, "12345工单.csv")
    assert imported_cases(db) == {
        "P-1": (SHIBA_GRID, SHIBA),
        "P-2": (None, SHIZHAI),
        "P-3": (SHIYAN_GRID, SHIYAN),
        "P-4": (None, SHIYAN),
    }


def test_a_file_imported_before_the_merger_and_again_after_it_moves_nothing(
    db: Session, tmp_path: Path
) -> None:
    """Its rows dated since the merger moved with it: the file finds them where it puts them."""
    seed_town(db, merged=False, grid=False)
    headers = ["工单编号", "来源渠道", "事件类型", "所属社区", "经度", "纬度", "受理时间"]
    headers += ["工单状态", "办结时间"]
    closed = ["已办结"]
    rows = [
        ["R-1", "12345", "邻里纠纷", "石寨村", "", "", "2023-04-01 09:00", *closed, "2023-04-03"],
        [
            "R-2",
            "12345",
            "邻里纠纷",
            "",
            *map(str, WEST),
            "2023-09-01 09:00",
            *closed,
            "2023-09-02",
        ],
        ["R-3", "12345", "邻里纠纷", "石寨村", "", "", "2025-04-01 09:00", *closed, "2025-04-03"],
        [
            "R-4",
            "12345",
            "邻里纠纷",
            "",
            *map(str, WEST),
            "2025-09-01 09:00",
            *closed,
            "2025-09-02",
        ],
        ["R-5", "12345", "邻里纠纷", "石寨村", "", "", "2025-10-01 09:00", "办理中", ""],
    ]
    first = import_cases(db, tmp_path, headers, rows, "12345工单.csv")
    assert first.counts is not None and first.counts.inserted == 5
    assert imported_cases(db) == {
        "R-1": (None, SHIZHAI),
        "R-2": (None, SHIBA),
        "R-3": (None, SHIZHAI),
        "R-4": (None, SHIBA),
        "R-5": (None, SHIZHAI),
    }

    village = write_gbk(
        tmp_path,
        "石岩村村界.csv",
        ["区划代码", "名称", "边界", "原区划代码", "调整日期"],
        [[SHIYAN, "石岩村", box(103.20, 24.40, 103.30, 24.50), f"{SHIBA}、{SHIZHAI}", MERGED_ON]],
    )
    merger = run_import(db.connection(), village, ImportOptions(kind="jurisdictions"))
    assert merger.status == "loaded", merger.problems
    assert (
        "改属在用村（社区）（按点位，否则归继承单位）：在办案件 1 件、撤销后登记的已办结案件 2 件"
        in (merger.notes)
    )
    assert {n: area for n, (_, area) in imported_cases(db).items()} == {
        "R-1": SHIZHAI,
        "R-2": SHIBA,
        "R-3": SHIYAN,
        "R-4": SHIYAN,
        "R-5": SHIYAN,
    }
    moved = db.execute(
        text(
            "SELECT count(*) FROM case_events AS e JOIN cases AS c ON c.id = e.case_id"
            " WHERE c.external_no IN ('R-3', 'R-4') AND e.action = 'rehomed'"
        )
    ).scalar_one()
    assert moved == 2

    again = import_cases(db, tmp_path, headers, rows, "12345工单.csv")
    assert again.counts is not None
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 5)


def test_a_visit_before_the_merger_is_recorded_in_the_village_of_its_time(
    db: Session, tmp_path: Path
) -> None:
    """The person lives in 石岩村 now (a current record); the 2023 visit was 石坝村's."""
    seed_town(db)
    people = write_gbk(
        tmp_path,
        "刑满释放人员.csv",
        ["姓名", "公民身份号码", "人员类别", "经度", "纬度", "所属社区"],
        [["石一", resident_id(7), "刑满释放人员", *map(str, WEST), "石坝村"]],
    )
    options = ImportOptions(kind="persons", crs="cgcs2000")
    outcome = run_import(db.connection(), people, options, keys=KEYS)
    assert outcome.status == "loaded", outcome.problems
    person = "SELECT area_code FROM persons WHERE name = '石一'"
    assert db.execute(text(person)).scalar_one() == SHIYAN  # a current record: the successor

    visits = write_gbk(
        tmp_path,
        "走访记录.csv",
        ["公民身份号码", "人员类别", "走访日期", "走访情况"],
        [
            [resident_id(7), "刑满释放人员", "2023-05-06", "在家务农"],
            [resident_id(7), "刑满释放人员", "2025-05-06", "外出务工"],
        ],
    )
    outcome = run_import(db.connection(), visits, ImportOptions(kind="visits"), keys=KEYS)
    assert outcome.status == "loaded", outcome.problems
    found = db.execute(
        text(
            "SELECT v.visited_on::text, v.area_code FROM person_visits AS v"
            " JOIN persons AS p ON p.id = v.person_id WHERE p.name = '石一' ORDER BY 1"
        )
    ).all()
    assert [tuple(row) for row in found] == [("2023-05-06", SHIBA), ("2025-05-06", SHIYAN)]
