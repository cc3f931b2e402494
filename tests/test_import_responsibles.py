"""A roster's 帮扶责任人: the workers who follow each person up, by 工号 or by name."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from layers.secrets import Keys
from tests.import_fixtures import (
    GRID,
    OTHER_VILLAGE,
    VILLAGE,
    csv_text,
    resident_id,
    seed_jurisdictions,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
HEADERS = ["姓名", "公民身份号码", "人员类别", "所属社区", "帮教责任人"]


def _workers(db: Session, tmp_path: Path) -> None:
    path = tmp_path / "网格员.csv"
    rows = [
        ["RS-01", "王芳", "13800000001", GRID],
        ["RS-02", "李强", "13800000002", GRID],
        ["RS-03", "李强", "13800000003", GRID],  # two of one name in the township
        ["RS-04", "赵六", "13800000004", GRID],
    ]
    path.write_text(csv_text(["工号", "姓名", "手机号", "负责网格"], rows), encoding="utf-8")
    assert run_import(db.connection(), path, ImportOptions(kind="workers")).committed


def _responsible(db: Session) -> dict[str, list[tuple[str, str | None]]]:
    rows = db.execute(
        text(
            "SELECT p.name, w.external_id, r.duty FROM person_responsibles r"
            " JOIN persons p ON p.id = r.person_id JOIN workers w ON w.id = r.worker_id"
            " WHERE w.external_id LIKE 'RS-%' ORDER BY 1, 2"
        )
    ).all()
    found: dict[str, list[tuple[str, str | None]]] = {}
    for name, worker, duty in rows:
        found.setdefault(name, []).append((worker, duty))
    return found


def test_a_rosters_responsible_workers_are_found_by_id_or_name(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    _workers(db, tmp_path)
    path = tmp_path / "刑释人员.csv"
    rows = [
        ["甲", resident_id(41), "刑满释放人员", VILLAGE, "王芳"],
        ["乙", resident_id(42), "刑满释放人员", VILLAGE, "RS-02、赵六"],
        ["丙", resident_id(43), "刑满释放人员", VILLAGE, "李强"],
        ["丁", resident_id(44), "刑满释放人员", OTHER_VILLAGE, "张三丰"],
        ["戊", resident_id(45), "刑满释放人员", VILLAGE, ""],
    ]
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    options = ImportOptions(kind="persons", partial=True)
    outcome = run_import(db.connection(), path, options, keys=KEYS)
    # A name no worker has, or one two workers share, is not a reason to leave a person out:
    # the summary says which names were not linked.
    assert outcome.committed and not outcome.problems
    assert outcome.counts is not None and outcome.counts.inserted == 5
    shared = (
        "帮教责任人“李强”：本乡镇有 2 名网格员同名（第 4 行），未关联：请改填其工号后重新导入本表"
    )
    assert shared in outcome.notes
    unknown = (
        "帮教责任人中有 1 个姓名或工号不是本乡镇的网格员（1 行），这些人员照常导入，"
        "未与之关联：张三丰；"
    )
    assert any(n.startswith(unknown) for n in outcome.notes)
    assert _responsible(db) == {
        "甲": [("RS-01", "帮教责任人")],
        "乙": [("RS-02", "帮教责任人"), ("RS-04", "帮教责任人")],
    }

    # Corrected with the 工号, 丙 is linked; the others add nothing twice.
    rows[2][4] = "RS-03"
    path.write_text(csv_text(HEADERS, rows[:3]), encoding="utf-8")
    again = run_import(db.connection(), path, options, keys=KEYS)
    assert again.committed and not again.problems
    assert not [n for n in again.notes if n.startswith("帮教责任人")]
    assert _responsible(db)["丙"] == [("RS-03", "帮教责任人")]
    assert sum(len(v) for v in _responsible(db).values()) == 4

    # Next month 乙 is followed up by 赵六 alone, 甲 by 王芳 still; an empty cell says nothing,
    # and the name 丙's worker shares with another keeps the one on record.
    rows[0][4], rows[1][4], rows[2][4] = "王芳", "赵六", "李强"
    path.write_text(csv_text(HEADERS, rows[:3]), encoding="utf-8")
    later = run_import(db.connection(), path, options, keys=KEYS)
    assert later.committed and not later.problems
    assert _responsible(db) == {
        "甲": [("RS-01", "帮教责任人")],
        "乙": [("RS-04", "帮教责任人")],
        "丙": [("RS-03", "帮教责任人")],
    }
    rows[2][4] = ""
    path.write_text(csv_text(HEADERS, rows[:3]), encoding="utf-8")
    assert run_import(db.connection(), path, options, keys=KEYS).committed
    assert _responsible(db)["丙"] == [("RS-03", "帮教责任人")]


def test_a_large_roster_loaded_with_deferred_indexes_updates_its_responsibles(
    db: Session, tmp_path: Path
) -> None:
    """A roster that outnumbers the table defers its indexes; its persons on record still count."""
    seed_jurisdictions(db)
    _workers(db, tmp_path)
    path = tmp_path / "社区矫正.csv"
    rows = [["甲", resident_id(51), "社区矫正人员", VILLAGE, "王芳"]]
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    assert run_import(db.connection(), path, ImportOptions(kind="persons"), keys=KEYS).committed
    rows = [
        ["甲", resident_id(51), "社区矫正人员", VILLAGE, "赵六"],
        ["乙", resident_id(52), "社区矫正人员", VILLAGE, "RS-02"],
    ]
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    deferred = ImportOptions(kind="persons", defer=True)
    outcome = run_import(db.connection(), path, deferred, keys=KEYS)
    assert outcome.committed and outcome.counts is not None
    assert (outcome.counts.inserted, outcome.counts.updated) == (1, 1)
    assert _responsible(db) == {
        "甲": [("RS-04", "帮教责任人")],
        "乙": [("RS-02", "帮教责任人")],
    }
