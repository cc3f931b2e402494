"""不是同一事项 on a 疑似重复, and the 疑似重复 a corrected row gives (closing note s44, p3).

An import lists a report of the type, place and time of an open case, but of another address
and caller, as a 疑似重复 of it. An operator who finds it another matter dismisses it with one
action: it is listed no more, the timeline says who dismissed which, and neither the same
file read again nor a file correcting the row lists it again. A file correcting a row (its
point and address) so that it now meets another case by type, place and time only gives a
疑似重复 as a new row would; a file correcting an address only has the links worked out again.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from layers import case_repeats
from layers.errors import Conflict, Forbidden
from layers.model import Case
from layers.model.accounts import Role
from layers.repeat_match import DISMISSED, SUSPECTED
from layers.workflow import Actor
from tests.import_fixtures import EAST, NORTH, SOUTH, WEST, csv_text, seed_jurisdictions
from tests.test_import_repeat_refresh import M_PER_DEG_LAT, M_PER_DEG_LON, OPERATOR, START

HEADERS = ["工单编号", "来源渠道", "事件类型", "风险等级", "经度", "纬度", "登记时间", "地址"]
WORKER = Actor(None, "网格员", Role.GRID_WORKER, "530424000000")


def _row(number: str, east_m: float, hours: float, address: str) -> list[str]:
    """A 邻里纠纷 ``east_m`` from the village's centre, ``hours`` after START (2016)."""
    lon = (WEST + EAST) / 2 + east_m / M_PER_DEG_LON
    lat = (SOUTH + NORTH) / 2 + 300.0 / M_PER_DEG_LAT
    reported = f"{START + timedelta(hours=hours):%Y-%m-%d %H:%M:%S}"
    return [number, "12345热线", "邻里纠纷", "4", f"{lon:.7f}", f"{lat:.7f}", reported, address]


def _import(db: Session, path: Path, rows: list[list[str]]) -> Any:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    options = ImportOptions(kind="cases", crs="cgcs2000", user="导入员")
    outcome = run_import(db.connection(), path, options)
    assert outcome.committed and outcome.rejected_rows == 0, outcome.problems[:3]
    return outcome


def _case(db: Session, number: str) -> Case:
    found = db.query(Case).filter_by(external_no=number).one()
    db.refresh(found)
    return found


def _suspected(db: Session, number: str) -> list[str]:
    return [c.external_no or "" for c in case_repeats.suspected_originals(db, _case(db, number))]


def _events(db: Session, case_id: int) -> list[tuple[str, str, Any]]:
    rows = db.execute(
        text(
            "SELECT actor_name, note, payload FROM case_events"
            " WHERE case_id = :id AND action = :a ORDER BY id"
        ),
        {"id": case_id, "a": SUSPECTED},
    ).all()
    return [(r.actor_name, r.note or "", r.payload) for r in rows]


def test_a_dismissed_suspect_stays_dismissed_through_a_reimport_and_a_correction(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    rows = [
        _row("SD-A", 0.0, 0.0, "河岭村南门街86号"),
        _row("SD-B", 40.0, 2.0, "河岭村建设路92号"),  # 40 m, another address: suspected
    ]
    path = tmp_path / "工单.csv"
    _import(db, path, rows)
    a, b = _case(db, "SD-A"), _case(db, "SD-B")
    assert _suspected(db, "SD-B") == ["SD-A"]
    listed = case_repeats.suspected_listing(db, b)
    assert [(s.case.id, s.distance_m) for s in listed] == [(a.id, 40)]

    # a grid worker may not decide it; an operator dismisses it with one action
    with pytest.raises(Forbidden):
        case_repeats.dismiss_suspected(db, b.id, actor=WORKER, original_id=a.id)
    done = case_repeats.dismiss_suspected(db, b.id, actor=OPERATOR, original_id=a.id)
    assert done.original.id == a.id
    assert _suspected(db, "SD-B") == []
    who, note, payload = _events(db, b.id)[-1]
    assert who == OPERATOR.name and a.code in note and "不是同一事项" in note
    assert payload == {DISMISSED: a.id}
    assert db.execute(
        text(
            "SELECT action, detail ->> 'original' FROM audit_log"
            " WHERE object_type = 'case' AND object_id = :id"
        ),
        {"id": str(b.id)},
    ).all() == [("case.repeat_dismiss", str(a.id))]
    # nothing else changed: neither is linked nor raised
    assert (a.repeat_count, a.risk_level, b.duplicate_of) == (0, 4, None)
    with pytest.raises(Conflict):  # dismissed already
        case_repeats.dismiss_suspected(db, b.id, actor=OPERATOR, original_id=a.id)
    with pytest.raises(Conflict):  # nor merged after it
        case_repeats.confirm_repeat(db, b.id, actor=OPERATOR, original_id=a.id, now=START)
    db.flush()

    # the same file again: nothing listed again, no new event
    _import(db, path, rows)
    assert _suspected(db, "SD-B") == [] and len(_events(db, b.id)) == 2
    # a file correcting B (moved 5 m, another house number): still not listed, not linked
    corrected = [rows[0], _row("SD-B", 35.0, 2.0, "河岭村建设路94号")]
    outcome = _import(db, path, corrected)
    assert outcome.counts.updated == 1
    assert _suspected(db, "SD-B") == [] and len(_events(db, b.id)) == 2
    assert not [n for n in outcome.notes if "疑似重复" in n]
    # even with A's own address now: the operator found them another matter
    _import(db, path, [rows[0], _row("SD-B", 35.0, 2.0, "河岭村南门街86号")])
    assert _case(db, "SD-B").duplicate_of is None and _case(db, "SD-A").repeat_count == 0


def test_a_corrected_row_near_another_case_is_suspected_as_a_new_row_would_be(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    rows = [
        _row("SC-A", 0.0, 0.0, "河岭村南门街86号"),
        _row("SC-B", 900.0, 2.0, "河岭村朝阳路5号"),  # 900 m away: nothing
        _row("SC-C", -20.0, 3.0, "河岭村南门街86号"),  # A's address: a repeat of A
    ]
    path = tmp_path / "工单.csv"
    _import(db, path, rows)
    assert _suspected(db, "SC-B") == [] and _case(db, "SC-C").duplicate_of == _case(db, "SC-A").id

    # the file corrects B's point and address: 30 m from A, another address
    corrected = [rows[0], _row("SC-B", 30.0, 2.0, "河岭村建设路92号"), rows[2]]
    outcome = _import(db, path, corrected)
    a, b = _case(db, "SC-A"), _case(db, "SC-B")
    assert b.duplicate_of is None and a.repeat_count == 1
    assert _suspected(db, "SC-B") == ["SC-A"]
    who, note, payload = _events(db, b.id)[-1]
    assert who == "导入员" and payload == {"suspected_of": a.id}
    assert a.code in note and "相距约 30 米" in note
    assert [n for n in outcome.notes if n.startswith("按更正后的数据另有 1 件疑似重复")]
    # read again, the file lists it once still
    _import(db, path, corrected)
    assert len(_events(db, b.id)) == 1

    # a file correcting C's address only: no longer A's, so a 疑似重复 of it, unlinked
    _import(db, path, [*corrected[:2], _row("SC-C", -20.0, 3.0, "河岭村南门街88号")])
    a, c = _case(db, "SC-A"), _case(db, "SC-C")
    assert c.duplicate_of is None and a.repeat_count == 0
    assert _suspected(db, "SC-C") == ["SC-A"]
    # merged, then unlinked (解除关联): another matter, not listed for review again
    case_repeats.confirm_repeat(db, c.id, actor=OPERATOR, original_id=a.id, now=START)
    case_repeats.unlink_repeat(db, c.id, actor=OPERATOR, reason="另一户")
    assert _suspected(db, "SC-C") == []
