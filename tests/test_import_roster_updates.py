"""Next month's roster of special populations updates the people it names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from layers.secrets import Keys, unseal
from tests.import_fixtures import GRID, VILLAGE, csv_text, resident_id, seed_jurisdictions

KEYS = Keys(hmac_key=b"\x03" * 32, seal_key=b"\x04" * 32)
HEADERS = ["姓名", "公民身份号码", "人员类别", "管控级别", "居住地址", "经度", "纬度", "网格编码"]
HEADERS += ["矫正类别", "矫正起止日期"]
MINE = "area_code LIKE '530424%'"


def _import(db: Session, path: Path, headers: list[str], rows: list[list[str]]) -> Any:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind="persons", crs="cgcs2000", user="网格办")
    outcome = run_import(db.connection(), path, options, keys=KEYS)
    assert outcome.committed and outcome.rejected_rows == 0, outcome.problems
    counts = outcome.counts
    return counts.inserted, counts.updated, counts.unchanged


def _people(db: Session) -> dict[str, Any]:
    rows = db.execute(
        text(
            "SELECT name, category, management_level, address, attributes, id_sealed, import_id,"
            " round(ST_X(residence)::numeric, 4) AS lon FROM persons"
            f" WHERE {MINE} ORDER BY id"
        )
    ).all()
    return {unseal(KEYS, bytes(r.id_sealed)): r for r in rows}


def test_a_later_roster_updates_its_people_and_keeps_what_it_does_not_say(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    zhang, li = resident_id(31), resident_id(32)
    may = [
        ["张三", zhang, "社区矫正人员", "重点管控", "复安路1号", "102.905", "24.205", GRID]
        + ["缓刑", "2024-01-01至2025-06-30"],
        ["李四", li, "刑满释放人员", "关注", "复安路2号", "102.915", "24.215", GRID, "", ""],
    ]
    assert _import(db, tmp_path / "5月.csv", HEADERS, may) == (2, 0, 0)
    before = _people(db)

    # June: 张三 moved and is followed less closely, his term was extended; 李四's name had a
    # typo; 王五 is new.
    june = [
        ["张三", zhang, "社区矫正人员", "关注", "宁州路8号", "102.911", "24.211", GRID]
        + ["缓刑", "2024-01-01至2025-12-31"],
        ["李肆", li, "刑满释放人员", "关注", "复安路2号", "102.915", "24.215", GRID, "", ""],
        ["王五", resident_id(33), "刑满释放人员", "一般", "", "102.912", "24.212", GRID, "", ""],
    ]
    assert _import(db, tmp_path / "6月.csv", HEADERS, june) == (1, 2, 0)
    after = _people(db)
    assert (after[zhang].management_level, after[zhang].address) == (2, "宁州路8号")
    assert float(after[zhang].lon) == 102.911
    assert after[zhang].attributes["end_date"] == "2025-12-31"
    assert after[li].name == "李肆"
    # The sealed ID is not sealed anew, and the row keeps the import that created it.
    assert bytes(after[zhang].id_sealed) == bytes(before[zhang].id_sealed)
    assert after[zhang].import_id == before[zhang].import_id
    assert after[resident_id(33)].address is None

    # The same roster again changes nothing.
    assert _import(db, tmp_path / "6月.csv", HEADERS, june) == (0, 0, 3)
    assert _people(db) == after

    # A roster with fewer columns (no level, address, place or the extra columns of 社区矫正)
    # renames, and keeps everything else each person has.
    short = [["张三丰", zhang, "社区矫正人员", VILLAGE], ["李肆", li, "刑满释放人员", VILLAGE]]
    assert _import(
        db, tmp_path / "名单.csv", ["姓名", "身份证号", "人员类别", "所属社区"], short
    ) == (
        0,
        1,
        1,
    )
    kept = _people(db)
    assert kept[zhang].name == "张三丰"
    assert (kept[zhang].management_level, kept[zhang].address) == (2, "宁州路8号")
    assert kept[zhang].attributes == after[zhang].attributes and kept[zhang].lon == after[zhang].lon


def test_a_category_written_with_its_kind_of_correction_gives_the_kind(
    db: Session, tmp_path: Path
) -> None:
    """``社区矫正人员（缓刑）`` is a person under correction, on probation (矫正类别 缓刑)."""
    seed_jurisdictions(db)
    headers = ["姓名", "公民身份号码", "人员类别", "所属社区"]
    rows = [
        ["张三", resident_id(41), "社区矫正人员（缓刑）", VILLAGE],
        ["李四", resident_id(42), "社区矫正对象(暂予监外执行)", VILLAGE],
        ["王五", resident_id(43), "社区矫正人员（在册）", VILLAGE],  # no kind of correction
        ["赵六", resident_id(44), "刑满释放人员（缓刑）", VILLAGE],  # no such field: ignored
    ]
    assert _import(db, tmp_path / "名单.csv", headers, rows) == (4, 0, 0)
    people = _people(db)
    assert [
        (people[resident_id(n)].category, people[resident_id(n)].attributes)
        for n in (41, 42, 43, 44)
    ] == [
        ("correction", {"correction_type": "缓刑"}),
        ("correction", {"correction_type": "暂予监外执行"}),
        ("correction", {}),
        ("released", {}),
    ]
    # a 矫正类别 column says it where it has a value; the qualifier fills its empty cells
    headers += ["矫正类别"]
    rows = [
        ["张三", resident_id(41), "社区矫正人员（缓刑）", VILLAGE, "假释"],
        ["李四", resident_id(42), "社区矫正对象(暂予监外执行)", VILLAGE, ""],
    ]
    assert _import(db, tmp_path / "名单2.csv", headers, rows) == (0, 1, 1)
    people = _people(db)
    assert people[resident_id(41)].attributes == {"correction_type": "假释"}
    assert people[resident_id(42)].attributes == {"correction_type": "暂予监外执行"}
