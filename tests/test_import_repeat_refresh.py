"""A case a later file corrects in type, place or time has its repeat links worked out again."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from layers import cases
from layers.model.accounts import Role
from layers.workflow import Actor
from tests.import_fixtures import EAST, NORTH, SOUTH, WEST, csv_text, seed_jurisdictions

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADERS = ["工单编号", "来源渠道", "事件类型", "风险等级", "经度", "纬度", "登记时间", "办结时间"]
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(24.21))
M_PER_DEG_LAT = 110_760.0
START = datetime(2016, 5, 1, 8, 0, tzinfo=SHANGHAI)
"""The tests' cases are reported in 2016: no case other tests leave is in their window."""
OPERATOR = Actor(None, "县指挥中心", Role.DISPATCHER, "530424000000")
NOTE = "重复反映关联更新"


def _raised(limit: str, before: str, after: str) -> dict[str, str]:
    """One limit a repeat's raise brought forward, as its event's ``deadline_changes`` says."""
    return {
        "limit": limit,
        "from": before + ":00+00:00",
        "to": after + ":00+00:00",
        "why": "重复反映提高风险等级",
    }


def _row(
    number: str, kind: str, east_m: float, north_m: float, day: float, *, risk: int = 4
) -> list[str]:
    """A work order ``east_m``/``north_m`` from the village's centre, ``day`` days after START."""
    lon = (WEST + EAST) / 2 + east_m / M_PER_DEG_LON
    lat = (SOUTH + NORTH) / 2 + north_m / M_PER_DEG_LAT
    reported = f"{START + timedelta(days=day):%Y-%m-%d %H:%M:%S}"
    return [number, "12345热线", kind, str(risk), f"{lon:.7f}", f"{lat:.7f}", reported, ""]


def _import(db: Session, path: Path, rows: list[list[str]]) -> Any:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    options = ImportOptions(kind="cases", crs="cgcs2000", user="导入员")
    outcome = run_import(db.connection(), path, options)
    assert outcome.committed and outcome.rejected_rows == 0, outcome.problems[:3]
    return outcome


def _stored(db: Session, prefix: str) -> dict[str, Any]:
    rows = db.execute(
        text(
            "SELECT c.external_no, o.external_no AS original, c.repeat_count, c.risk_level,"
            " c.id, c.code, c.version FROM cases c LEFT JOIN cases o ON o.id = c.duplicate_of"
            " WHERE c.external_no LIKE :p"
        ),
        {"p": prefix + "%"},
    ).all()
    return {r.external_no: r for r in rows}


def _links(stored: dict[str, Any]) -> dict[str, str]:
    return {k: r.original for k, r in stored.items() if r.original}


def _counts(stored: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Number → (repeat_count, risk_level)."""
    return {k: (r.repeat_count, r.risk_level) for k, r in stored.items()}


def _events(db: Session, case_id: int) -> list[tuple[str, str | None, Any]]:
    rows = db.execute(
        text("SELECT action, note, payload FROM case_events WHERE case_id = :id ORDER BY id"),
        {"id": case_id},
    ).all()
    return [(r.action, r.note, r.payload) for r in rows]


def _relinked(outcome: Any) -> list[str]:
    return [n for n in outcome.notes if n.startswith(NOTE)]


def test_corrected_points_and_types_unlink_wrong_repeats_and_link_right_ones(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    first = [
        _row("RF-A", "邻里纠纷", -600.0, 0.0, 0.0, risk=2),
        _row("RF-C", "邻里纠纷", 600.0, 0.0, 0.5, risk=3),
        _row("RF-B", "邻里纠纷", -560.0, 0.0, 1.0),  # A (40 m): the point is wrong
        _row("RF-D", "邻里纠纷", 0.0, 800.0, 2.0),  # an original: the point is wrong
        _row("RF-E", "邻里纠纷", -600.0, 30.0, 3.0),  # A (30 m): the type is wrong
        _row("RF-F", "邻里纠纷", -620.0, -20.0, 4.0),  # A (28 m), and right
    ]
    outcome = _import(db, tmp_path / "工单.csv", first)
    assert outcome.counts.repeats == 3 and _relinked(outcome) == []
    before = _stored(db, "RF-")
    assert _links(before) == {"RF-B": "RF-A", "RF-E": "RF-A", "RF-F": "RF-A"}
    assert _counts(before)["RF-A"] == (3, 1)  # reported orange, three repeats: red

    corrected = [
        first[0],
        first[1],
        _row("RF-B", "邻里纠纷", 0.0, -800.0, 1.0),  # 1 km from A and C: an original
        _row("RF-D", "邻里纠纷", 630.0, 20.0, 2.0),  # C (36 m), open, 1.5 days before
        _row("RF-E", "劳资欠薪", -600.0, 30.0, 3.0),  # another type than A
        first[5],
    ]
    outcome = _import(db, tmp_path / "工单.csv", corrected)
    assert (outcome.counts.inserted, outcome.counts.updated) == (0, 3)
    assert _relinked(outcome) == ["重复反映关联更新：解除 2 件，新增 1 件"]
    after = _stored(db, "RF-")
    assert _links(after) == {"RF-D": "RF-C", "RF-F": "RF-A"}
    counts = _counts(after)
    assert counts["RF-A"] == (1, 1)  # orange, one repeat left: red still (the file's orange)
    assert counts["RF-C"] == (1, 2)  # yellow, one repeat: orange
    assert counts["RF-B"] == counts["RF-D"] == counts["RF-E"] == (0, 4)

    # Hot spots and trends count the originals: B and E count now, D does not.
    originals = db.execute(
        text(
            "SELECT array_agg(external_no ORDER BY external_no) FROM cases"
            " WHERE external_no LIKE 'RF-%' AND duplicate_of IS NULL"
        )
    ).scalar_one()
    assert originals == ["RF-A", "RF-B", "RF-C", "RF-E"]

    code = {k: r.code for k, r in after.items()}
    assert _events(db, after["RF-A"].id)[1:] == [
        (
            "repeat_unlinked",
            "重复反映关联更新：解除 2 件，新增 0 件",
            {"repeats_unlinked": 2, "repeats_linked": 0, "risk_from": 1, "risk_to": 1},
        )
    ]
    assert _events(db, after["RF-C"].id)[1:] == [
        (
            "repeat_linked",
            # raised to 橙色, it has orange's limits (trial AZ S2)
            "重复反映关联更新：解除 0 件，新增 1 件",
            {
                "repeats_unlinked": 0,
                "repeats_linked": 1,
                "risk_from": 3,
                "risk_to": 2,
                "contact_deadline_to": "2016-05-02T12:00:00+00:00",
                "deadline_to": "2016-05-16T12:00:00+00:00",
                # each with its time before, which the timeline says (trial BA M4)
                "deadline_changes": [
                    _raised("contact_deadline", "2016-05-03T12:00", "2016-05-02T12:00"),
                    _raised("deadline", "2016-05-31T12:00", "2016-05-16T12:00"),
                ],
            },
        )
    ]
    assert _events(db, after["RF-B"].id)[1:] == [
        ("import", "按来源系统的新数据更新", None),
        (
            "repeat_unlinked",
            f"重复反映关联解除：不再是案件 {code['RF-A']} 的重复反映",
            {"duplicate_of_from": after["RF-A"].id, "duplicate_of_to": None},
        ),
    ]
    assert _events(db, after["RF-D"].id)[-1] == (
        "repeat_linked",
        f"重复反映：关联到案件 {code['RF-C']}",
        {"duplicate_of_from": None, "duplicate_of_to": after["RF-C"].id},
    )

    # The corrected file again, and the first one's unchanged rows: nothing changes.
    again = _import(db, tmp_path / "工单.csv", corrected)
    assert (again.counts.updated, again.counts.unchanged) == (0, 6) and _relinked(again) == []
    assert _stored(db, "RF-") == after


def test_a_corrected_original_keeps_the_repeats_the_rule_still_gives_it(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    first = [
        _row("RO-Z", "邻里纠纷", -260.0, 0.0, 0.0),
        _row("RO-P", "邻里纠纷", 320.0, 0.0, 0.5),
        _row("RO-O", "邻里纠纷", 0.0, 0.0, 1.0),  # Z and P are 260 m and 320 m away
        _row("RO-R1", "邻里纠纷", -50.0, 0.0, 2.0),  # O (50 m), Z is 210 m away
        _row("RO-R2", "邻里纠纷", 150.0, 0.0, 3.0),  # O (150 m), P is 170 m away
        _row("RO-T", "邻里纠纷", -700.0, 600.0, 0.0),
        _row("RO-Q", "邻里纠纷", 600.0, 600.0, 1.0),  # wrong point
        _row("RO-S", "邻里纠纷", 650.0, 600.0, 2.0),  # Q (50 m)
    ]
    _import(db, tmp_path / "工单.csv", first)
    before = _stored(db, "RO-")
    assert _links(before) == {"RO-R1": "RO-O", "RO-R2": "RO-O", "RO-S": "RO-Q"}
    assert _counts(before)["RO-O"] == (2, 2)

    corrected = [*first]
    corrected[2] = _row("RO-O", "邻里纠纷", -100.0, 0.0, 1.0)  # R1 50 m, R2 250 m, Z 160 m
    corrected[6] = _row("RO-Q", "邻里纠纷", -650.0, 600.0, 1.0)  # T (50 m); S is 1.3 km away
    outcome = _import(db, tmp_path / "工单.csv", corrected)
    assert _relinked(outcome) == ["重复反映关联更新：解除 2 件，新增 2 件"]
    after = _stored(db, "RO-")
    # O keeps R1, so it stays an original (though Z, earlier, lies within 200 m of it now);
    # R2 repeats P, the nearest open original. Q has no repeat left: it repeats T; S is alone.
    assert _links(after) == {"RO-R1": "RO-O", "RO-R2": "RO-P", "RO-Q": "RO-T"}
    counts = _counts(after)
    assert (counts["RO-O"], counts["RO-P"], counts["RO-T"]) == ((1, 3), (1, 3), (1, 3))
    assert counts["RO-Q"] == counts["RO-S"] == counts["RO-Z"] == (0, 4)
    assert _events(db, after["RO-R2"].id)[-1] == (
        "repeat_linked",
        f"重复反映：改为关联到案件 {after['RO-P'].code}（原为案件 {after['RO-O'].code}）",
        {"duplicate_of_from": after["RO-O"].id, "duplicate_of_to": after["RO-P"].id},
    )

    again = _import(db, tmp_path / "工单.csv", corrected)
    assert again.counts.updated == 0 and _relinked(again) == []
    assert _stored(db, "RO-") == after


def test_cases_handled_here_keep_their_links_and_their_risk(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    first = [
        _row("RT-Y", "邻里纠纷", 0.0, 0.0, 0.0, risk=3),
        _row("RT-U", "邻里纠纷", 40.0, 0.0, 1.0),  # Y (40 m): the point is wrong
        _row("RT-X", "邻里纠纷", 0.0, 500.0, 0.0),
        _row("RT-H", "邻里纠纷", 30.0, 500.0, 1.0),  # X (30 m)
        _row("RT-V", "邻里纠纷", 600.0, 600.0, 2.0),  # an original: the point is wrong
    ]
    _import(db, tmp_path / "工单.csv", first)
    before = _stored(db, "RT-")
    assert _links(before) == {"RT-U": "RT-Y", "RT-H": "RT-X"}
    for number in ("RT-Y", "RT-H"):  # the centre triages them: they are the platform's now
        cases.act(db, before[number].id, "triage", actor=OPERATOR, now=START + timedelta(days=3))
    db.flush()

    corrected = [*first]
    corrected[1] = _row("RT-U", "邻里纠纷", 0.0, -700.0, 1.0)  # 700 m from Y
    corrected[3] = _row("RT-H", "邻里纠纷", 0.0, -800.0, 1.0)  # handled: not corrected
    corrected[4] = _row("RT-V", "邻里纠纷", 20.0, 20.0, 2.0)  # Y (28 m)
    outcome = _import(db, tmp_path / "工单.csv", corrected)
    assert outcome.counts.updated == 2
    assert _relinked(outcome) == ["重复反映关联更新：解除 1 件，新增 1 件"]
    after = _stored(db, "RT-")
    assert _links(after) == {"RT-V": "RT-Y", "RT-H": "RT-X"}
    # Y lost U (its risk, the platform's, stays) and gained V (one level higher, as a new
    # repeat raises it).
    assert _counts(after)["RT-Y"] == (1, 1)
    assert _events(db, after["RT-Y"].id)[-1] == (
        "repeat_linked",
        # raised to 红色: red's limits, where sooner (trial AZ S2)
        "重复反映关联更新：解除 1 件，新增 1 件",
        {
            "repeats_unlinked": 1,
            "repeats_linked": 1,
            "risk_from": 2,
            "risk_to": 1,
            "contact_deadline_to": "2016-05-01T02:00:00+00:00",
            "deadline_to": "2016-05-08T00:00:00+00:00",
            "deadline_changes": [
                _raised("contact_deadline", "2016-05-02T00:00", "2016-05-01T02:00"),
                _raised("deadline", "2016-05-16T00:00", "2016-05-08T00:00"),
            ],
        },
    )
    assert after["RT-H"].version == before["RT-H"].version + 1  # its triage only
    assert _counts(after)["RT-X"] == _counts(before)["RT-X"]


def test_a_correction_of_neither_type_nor_place_nor_time_leaves_the_links(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    first = [
        _row("RX-1", "邻里纠纷", 0.0, 0.0, 1.0),
        _row("RX-2", "邻里纠纷", 100.0, 0.0, 2.0),  # RX-1 (100 m)
    ]
    _import(db, tmp_path / "第一批.csv", first)
    # A later file brings an older report 10 m from RX-2: a new case, an original (RX-1
    # came in after it). Had it been on record, RX-2 would repeat it.
    _import(db, tmp_path / "补录.csv", [_row("RX-0", "邻里纠纷", 90.0, 0.0, 0.0)])
    corrected = [first[0], _row("RX-2", "邻里纠纷", 100.0, 0.0, 2.0, risk=2)]
    outcome = _import(db, tmp_path / "第一批.csv", corrected)
    assert outcome.counts.updated == 1 and _relinked(outcome) == []
    stored = _stored(db, "RX-")
    assert _links(stored) == {"RX-2": "RX-1"}  # the rule reads type, place and time only
    assert _counts(stored) == {"RX-0": (0, 4), "RX-1": (1, 3), "RX-2": (0, 2)}
