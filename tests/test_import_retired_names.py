"""Names of retired grids and villages written under the unit that took them over.

华溪镇 merged 柳塘村 and 李岭村 into 柳岭村 on 2025-06-30 and re-coded their grids on 2026-12-02:
柳塘第2网格 became 柳岭第2网格; 柳塘第5网格 went into 柳岭第1网格, while 柳岭村 has a live grid
that kept the name 柳塘第5网格; 李岭第4网格 went into 南河社区第4网格 (another village);
柳塘第6网格 was abolished. 青龙镇 was merged into 华溪镇: its 青龙村 into 松林村, 青龙第1网格 into
松林第3网格. A ledger of 柳岭村 still writes the old grid names.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from tests.import_fixtures import (
    add_jurisdictions,
    box,
    imported_cases,
    retire_units,
    seed_jurisdictions,
    write_gbk,
)

COUNTY = "530424000000"
HUAXI = "530424102000"
QINGLONG = "530424103000"
"""青龙镇, retired into 华溪镇."""
NANHE = "530424102003"
LIUTANG, LILING, LIULING = "530424102207", "530424102208", "530424102211"
"""柳塘村 and 李岭村, retired into 柳岭村."""
SONGLIN, QINGLONG_VILLAGE = "530424102212", "530424103201"
"""松林村 and 青龙村 (retired into it)."""
OLD_2, NEW_2 = LIUTANG + "002", LIULING + "002"
OLD_5, INTO_5, KEPT_5 = LIUTANG + "005", LIULING + "001", LIULING + "005"
"""柳塘第5网格 went into 柳岭第1网格; 柳岭村's live grid kept the name 柳塘第5网格."""
OLD_4, NANHE_4 = LILING + "004", NANHE + "004"
GONE_6 = LIUTANG + "006"
OLD_QL, SONGLIN_3 = QINGLONG_VILLAGE + "001", SONGLIN + "003"
VILLAGES_ON, GRIDS_ON = "2025-06-30", "2026-12-02"
HEADERS = ["工单编号", "来源渠道", "事件类型", "所属乡镇", "所属社区", "所属网格", "来电时间"]


def seed_merger(db: Session) -> None:
    """Seed the units of the module's notes, then retire the old ones (as the owner)."""
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (HUAXI, "华溪镇", 4, COUNTY, None),
            (QINGLONG, "青龙镇", 4, COUNTY, None),
            (NANHE, "南河社区", 5, HUAXI, None),
            (LIUTANG, "柳塘村", 5, HUAXI, None),
            (LILING, "李岭村", 5, HUAXI, None),
            (LIULING, "柳岭村", 5, HUAXI, None),
            (SONGLIN, "松林村", 5, HUAXI, None),
            (QINGLONG_VILLAGE, "青龙村", 5, QINGLONG, None),
        ],
    )
    grids = [
        (OLD_2, "柳塘第2网格", LIUTANG),
        (OLD_5, "柳塘第5网格", LIUTANG),
        (GONE_6, "柳塘第6网格", LIUTANG),
        (OLD_4, "李岭第4网格", LILING),
        (INTO_5, "柳岭第1网格", LIULING),
        (NEW_2, "柳岭第2网格", LIULING),
        (KEPT_5, "柳塘第5网格", LIULING),
        (NANHE_4, "南河社区第4网格", NANHE),
        (OLD_QL, "青龙第1网格", QINGLONG_VILLAGE),
        (SONGLIN_3, "松林第3网格", SONGLIN),
    ]
    for code, name, area in grids:
        db.execute(
            text("INSERT INTO grids (code, name, area_code) VALUES (:c, :n, :a)"),
            {"c": code, "n": name, "a": area},
        )
    retire = [
        ("grids", OLD_2, NEW_2, GRIDS_ON),
        ("grids", OLD_5, INTO_5, GRIDS_ON),
        ("grids", GONE_6, None, GRIDS_ON),
        ("grids", OLD_4, NANHE_4, GRIDS_ON),
        ("grids", OLD_QL, SONGLIN_3, GRIDS_ON),
        ("jurisdictions", LIUTANG, LIULING, VILLAGES_ON),
        ("jurisdictions", LILING, LIULING, VILLAGES_ON),
        ("jurisdictions", QINGLONG_VILLAGE, SONGLIN, VILLAGES_ON),
        ("jurisdictions", QINGLONG, HUAXI, VILLAGES_ON),
    ]
    retire_units(db, retire)


def _row(number: str, town: str = "", area: str = "", grid: str = "") -> list[str]:
    return [number, "网格员上报", "邻里纠纷", town, area, grid, "2026-12-01 09:00"]


def test_an_old_grid_name_under_the_village_that_took_it_over_leads_to_its_successor(
    db: Session, tmp_path: Path
) -> None:
    """B12: 柳岭村 + 柳塘第2网格; also under 李岭村 (merged likewise) and written 柳塘村第2网格."""
    seed_merger(db)
    rows = [
        _row("L-1", area="柳岭村", grid="柳塘第2网格"),
        _row("L-2", area="柳岭村", grid="柳塘村第二网格"),  # after its old village's name
        _row("L-3", area="李岭村", grid="柳塘第2网格"),  # the other old village
        _row("L-4", area="柳塘村", grid="柳岭第2网格"),  # the old village, the new grid
        _row("L-5", area="柳岭村", grid="柳塘第5网格"),  # 柳岭村's live grid of that name
        _row("L-6", area="柳岭村", grid="第2网格"),  # a bare serial: 柳岭村's own
    ]
    path = write_gbk(tmp_path, "华溪镇台账.csv", HEADERS, rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.status == "loaded", outcome.problems
    assert imported_cases(db) == {
        "L-1": (NEW_2, LIULING),
        "L-2": (NEW_2, LIULING),
        "L-3": (NEW_2, LIULING),
        "L-4": (NEW_2, LIULING),
        "L-5": (KEPT_5, LIULING),
        "L-6": (NEW_2, LIULING),
    }
    followed = sorted(note for note in outcome.notes if "撤销" in note)
    assert followed == sorted(
        [
            f"3 行写的“柳塘第2网格”已于{GRIDS_ON}撤销，记入继承的“柳岭第2网格”",
            f"1 行写的“李岭村”已于{VILLAGES_ON}撤销，记入继承的“柳岭村”",
            f"1 行写的“柳塘村”已于{VILLAGES_ON}撤销，记入继承的“柳岭村”",
        ]
    )


def test_an_old_grid_or_village_under_the_township_that_took_it_over_leads_to_its_successor(
    db: Session, tmp_path: Path
) -> None:
    """青龙镇 merged into 华溪镇: its village and its grid named under 华溪镇."""
    seed_merger(db)
    rows = [
        _row("Q-1", town="华溪镇", area="青龙村"),
        _row("Q-2", town="华溪镇", grid="青龙第1网格"),
        _row("Q-3", town="华溪镇", area="松林村", grid="青龙第1网格"),
        _row("Q-4", town="青龙镇", area="青龙村"),  # as it was: worked before
    ]
    path = write_gbk(tmp_path, "华溪镇台账.csv", HEADERS, rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.status == "loaded", outcome.problems
    cases = imported_cases(db)
    assert cases.pop("Q-2")[0] == SONGLIN_3  # its area: the township, as for a live grid's name
    assert cases == {"Q-1": (None, SONGLIN), "Q-3": (SONGLIN_3, SONGLIN), "Q-4": (None, SONGLIN)}
    assert f"2 行写的“青龙第1网格”已于{GRIDS_ON}撤销，记入继承的“松林第3网格”" in outcome.notes
    assert f"2 行写的“青龙村”已于{VILLAGES_ON}撤销，记入继承的“松林村”" in outcome.notes


def test_an_old_grid_taken_over_elsewhere_or_by_none_is_not_found_in_the_village(
    db: Session, tmp_path: Path
) -> None:
    """李岭第4网格 went to 南河社区: not 柳岭村's. 柳塘第6网格 was abolished: it leads nowhere."""
    seed_merger(db)
    rows = [
        _row("X-1", area="柳岭村", grid="李岭第4网格"),
        _row("X-2", area="柳岭村", grid="柳塘第6网格"),
        _row("X-3", area="南河社区", grid="李岭第4网格"),  # its successor's village
    ]
    path = write_gbk(tmp_path, "华溪镇台账.csv", HEADERS, rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", partial=True))
    where = f"在华溪镇柳岭村（{LIULING}）"
    assert sorted((p.row, p.column, p.value, p.rule) for p in outcome.problems) == [
        (
            2,
            "所属网格",
            "李岭第4网格",
            f"数据库中{where}没有名为“李岭第4网格”的网格：请写 15 位网格编码，或先导入网格",
        ),
        (
            3,
            "所属网格",
            "柳塘第6网格",
            f"数据库中{where}没有名为“柳塘第6网格”的网格：请写 15 位网格编码，或先导入网格",
        ),
    ]
    assert imported_cases(db) == {"X-3": (NANHE_4, NANHE)}


def test_a_file_of_units_does_not_take_a_retired_unit_for_the_one_named(
    db: Session, tmp_path: Path
) -> None:
    """A grid list naming 柳塘第2网格 under 柳岭村 is not about the retired grid; a ledger is."""
    seed_merger(db)
    ledger = write_gbk(
        tmp_path, "台账.csv", HEADERS, [_row("F-1", area="柳岭村", grid="柳塘第2网格")]
    )
    outcome = run_import(db.connection(), ledger, ImportOptions(kind="cases"))
    assert outcome.status == "loaded", outcome.problems
    assert imported_cases(db) == {"F-1": (NEW_2, LIULING)}

    grids = write_gbk(
        tmp_path,
        "网格.csv",
        ["网格名称", "所属社区", "边界"],
        [["柳塘第2网格", "柳岭村", box(102.90, 24.30, 102.91, 24.31)]],
    )
    outcome = run_import(
        db.connection(), grids, ImportOptions(kind="grids", crs="cgcs2000", partial=True)
    )
    assert [(p.row, p.rule) for p in outcome.problems] == [
        (
            2,
            f"数据库中在华溪镇柳岭村（{LIULING}）没有名为“柳塘第2网格”的网格："
            "请写 15 位网格编码，或先导入网格",
        )
    ]
    towns = write_gbk(tmp_path, "村.csv", ["名称", "所属乡镇"], [["青龙村", "华溪镇"]])
    outcome = run_import(db.connection(), towns, ImportOptions(kind="jurisdictions", partial=True))
    assert [(p.row, p.rule) for p in outcome.problems] == [
        (2, "华溪镇下没有名为“青龙村”的村（社区）：请核对所属乡镇，或写 12 位区划代码")
    ]
    bounded = db.execute(text("SELECT boundary IS NULL FROM grids WHERE code = :c"), {"c": OLD_2})
    assert bounded.scalar_one()
