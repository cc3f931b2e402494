"""A person an import changes has it in their audit trail (trial AW M1, history).

A roster that ends a 社区矫正 or raises a 危险性评估 left one ``import.loaded`` entry for the
file: the auditor's filter by the person showed none of it. Each person the import changed now
has an entry (``person.import_change``) naming the fields changed, in Chinese, and the import;
for one it ended, the reason and the day. New persons, and those the file leaves as they were,
have none; no entry holds a name, an ID or an address.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers import audit_wording
from layers.model import AuditEntry
from layers.person_import_changes import ACTION
from tests.import_fixtures import VILLAGE, csv_text, resident_id, seed_jurisdictions
from tests.test_import import KEYS

HEADERS = [
    "姓名",
    "身份证号",
    "人员类别",
    "所属社区",
    "居住地址",
    "危险性评估",
    "在册状态",
    "注销日期",
]
PEOPLE = {n: resident_id(460 + n) for n in range(1, 5)}


def _import(db: Session, path: Path, rows: list[list[str]]) -> ImportOutcome:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="persons"), keys=KEYS)
    assert outcome.committed and not outcome.problems, outcome.problems
    return outcome


def _row(n: int, category: str, risk: str = "", status: str = "", day: str = "") -> list[str]:
    return [f"变更{n}", PEOPLE[n], category, VILLAGE, f"变更路{n}号", risk, status, day]


def _entries(db: Session) -> dict[str, dict[str, Any]]:
    rows = db.execute(
        text(
            "SELECT a.object_id, a.object_type, a.detail, p.name FROM audit_log a"
            " JOIN persons p ON p.id::text = a.object_id"
            " WHERE a.action = :action AND p.name LIKE '变更%'"
        ),
        {"action": ACTION},
    ).all()
    assert all(r.object_type == "person" for r in rows)
    return {r.name: r.detail for r in rows}


def test_an_import_audits_each_person_it_changed_naming_the_fields(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    _import(
        db,
        tmp_path / "名单.csv",
        [
            _row(1, "社区矫正人员"),
            _row(2, "社区矫正人员"),
            _row(3, "严重精神障碍患者", risk="3"),
        ],
    )
    assert _entries(db) == {}  # new persons: their registration is the import itself
    _import(
        db,
        tmp_path / "变更.csv",
        [
            _row(1, "社区矫正人员", status="解除矫正", day="2026-03-01"),
            _row(2, "社区矫正人员"),  # as it was
            _row(3, "严重精神障碍患者", risk="4"),
            _row(4, "社区矫正人员"),  # new
        ],
    )
    entries = _entries(db)
    assert set(entries) == {"变更1", "变更3"}
    run = db.execute(text("SELECT max(id) FROM import_runs")).scalar_one()
    assert entries["变更1"] == {
        "import_id": run,
        "category": "correction",
        "fields": ["在册状态（注销）"],
        "reason": "解除矫正",
        "ended_on": "2026-03-01",
    }
    assert entries["变更3"]["category"] == "mental"
    assert "危险性评估" in entries["变更3"]["fields"]
    for detail in entries.values():
        said = str(detail)
        assert "变更" not in said and "变更路" not in said
        assert not any(number in said for number in PEOPLE.values())
    # the auditor's page says it in Chinese
    entry = db.query(AuditEntry).filter(AuditEntry.action == ACTION).order_by(AuditEntry.id).first()
    assert entry is not None
    texts = audit_wording.display_texts(entry, audit_wording.labels_of(db, [entry]))
    assert texts.action == "导入更改人员"
    said = "更改：在册状态（注销）；注销原因：解除矫正，注销日期 2026-03-01"
    assert texts.reason == f"{said}（导入 {run}）"
