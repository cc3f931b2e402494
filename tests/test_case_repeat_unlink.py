"""解除关联 (trial AK M4): an operator undoes a repeat link the rule made, over HTTP on PostGIS.

A pipe leak 22 m away was linked as 同一事项 and raised the other case's risk. The operator
unlinks it with a reason: the original loses the repeat and the risk the link raised (not a
risk set by hand since), both timelines and the audit log say so, and a later import that
works the links out again does not link the two again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import case_repeats
from tests.api_fixtures import village_box
from tests.conftest import SuiteDatabase
from tests.test_import_repeat_refresh import OPERATOR, _import, _row, _stored

Headers = Callable[[str], dict[str, str]]
DAY = datetime(2019, 3, 5, 9, 0, tzinfo=UTC)
"""No other test reports a neighbours' case in 2019; each test takes its own 40 days (the
repeat window is 30)."""
M_PER_DEG = 111_000.0
REASON = "22 米外另一栋楼的水管漏水，不是同一事项"


def _register(
    client: TestClient,
    headers: dict[str, str],
    made: list[int],
    title: str,
    east_m: float,
    hours: float,
    *,
    risk: int = 4,
) -> dict[str, Any]:
    west, south, east, north = village_box(0)
    lon = (west + east) / 2 + east_m / (M_PER_DEG * 0.94)
    response = client.post(
        "/api/cases",
        json={
            "channel": "phone",
            "category": "dispute",
            "subcategory": "neighbours",
            "title": title,
            "lon": lon,
            "lat": (south + north) / 2,
            "risk_level": risk,
            "reported_at": (DAY + timedelta(hours=hours)).isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    made.append(response.json()["id"])
    return dict(response.json())


def _case(client: TestClient, headers: dict[str, str], case_id: int) -> dict[str, Any]:
    response = client.get(f"/api/cases/{case_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _unlink(client: TestClient, headers: dict[str, str], case_id: int, reason: str = REASON) -> Any:
    return client.post(
        f"/api/cases/{case_id}/unlink-repeat", json={"reason": reason}, headers=headers
    )


def _timeline(database: SuiteDatabase, case_id: int) -> list[tuple[str, str | None, Any]]:
    with database.owner.connect() as conn:
        rows = conn.execute(
            text("SELECT action, note, payload FROM case_events WHERE case_id = :id ORDER BY id"),
            {"id": case_id},
        ).all()
    return [(r.action, r.note, r.payload) for r in rows]


def _audit(database: SuiteDatabase, case_id: int) -> list[tuple[str, str]]:
    with database.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, outcome FROM audit_log WHERE object_type = 'case'"
                " AND object_id = :id AND action = 'case.repeat_unlink' ORDER BY id"
            ),
            {"id": str(case_id)},
        ).all()
    return [(r.action, r.outcome) for r in rows]


def test_unlinking_undoes_the_repeat_count_and_the_risk_the_link_raised(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, made: list[int]
) -> None:
    disp = auth_headers("disp_a1")
    leak = _register(api_client, disp, made, "解除关联测试：楼上漏水", 0.0, 0.0, risk=2)
    other = _register(api_client, disp, made, "解除关联测试：隔壁楼漏水", 22.0, 1.0)
    again = _register(api_client, disp, made, "解除关联测试：楼上又漏水", 5.0, 2.0)
    assert other["linked_to"] == again["linked_to"] == leak["id"]
    # reported orange; the first repeat raised it to red, the second found it red
    original = _case(api_client, disp, leak["id"])
    assert (original["repeat_count"], original["risk_level"]) == (2, 1)

    done = _unlink(api_client, disp, other["id"])
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["original"]["code"] == leak["code"]
    assert "已解除关联" in body["message"] and leak["code"] in body["message"]
    # one repeat left raises orange to red still
    assert (body["original_repeat_count"], body["risk_from"], body["risk_to"]) == (2 - 1, 1, 1)
    original = _case(api_client, disp, leak["id"])
    assert (original["repeat_count"], original["risk_level"]) == (1, 1)
    detail = api_client.get(f"/api/cases/{other['id']}/detail", headers=disp).json()
    assert detail["original"] is None and detail["can_unlink"] is False
    detail = api_client.get(f"/api/cases/{leak['id']}/detail", headers=disp).json()
    assert [r["id"] for r in detail["repeats"]] == [again["id"]]
    assert api_client.get(f"/api/cases/{again['id']}/detail", headers=disp).json()["can_unlink"]
    with database.owner.connect() as conn:
        assert (
            conn.execute(
                text("SELECT duplicate_of FROM cases WHERE id = :id"), {"id": other["id"]}
            ).scalar_one()
            is None
        )

    # both timelines say so, with the reason; the original's says what became of its risk
    action, note, payload = _timeline(database, other["id"])[-1]
    assert action == "repeat_unlinked" and REASON in (note or "") and leak["code"] in (note or "")
    assert payload == {"duplicate_of_from": leak["id"], "declined": True}
    action, note, payload = _timeline(database, leak["id"])[-1]
    assert action == "repeat_unlinked" and REASON in (note or "") and other["code"] in (note or "")
    assert payload["risk_from"] == payload["risk_to"] == 1 and payload["repeats_unlinked"] == 1
    assert _audit(database, other["id"]) == [("case.repeat_unlink", "ok")]

    # the last repeat unlinked: orange again, as reported
    done = _unlink(api_client, disp, again["id"])
    assert done.status_code == 200, done.text
    assert (done.json()["risk_from"], done.json()["risk_to"]) == (1, 2)
    assert "风险等级由红色恢复为橙色" in done.json()["message"]
    original = _case(api_client, disp, leak["id"])
    assert (original["repeat_count"], original["risk_level"]) == (0, 2)

    # nothing to unlink any more: a clear refusal, audited
    again_refused = _unlink(api_client, disp, other["id"])
    assert again_refused.status_code == 409
    assert "未关联为重复反映" in again_refused.json()["detail"]
    assert _audit(database, other["id"]) == [
        ("case.repeat_unlink", "ok"),
        ("case.repeat_unlink", "failed"),
    ]


def test_a_risk_set_by_hand_after_the_link_stays(
    api_client: TestClient, auth_headers: Headers, made: list[int]
) -> None:
    disp = auth_headers("disp_a1")
    leak = _register(api_client, disp, made, "解除关联测试：定级后解除", 0.0, 24.0 * 40, risk=3)
    other = _register(
        api_client, disp, made, "解除关联测试：定级后解除（邻楼）", 22.0, 24.0 * 40 + 1
    )
    assert other["linked_to"] == leak["id"]
    original = _case(api_client, disp, leak["id"])
    assert original["risk_level"] == 2  # yellow, raised by the link
    # the operator judges the original orange himself (分类定级)
    triaged = api_client.post(
        f"/api/cases/{leak['id']}/actions/triage",
        json={"version": original["version"], "params": {"risk_level": 2}},
        headers=disp,
    )
    assert triaged.status_code == 200, triaged.text
    done = _unlink(api_client, disp, other["id"])
    assert done.status_code == 200, done.text
    assert (done.json()["risk_from"], done.json()["risk_to"]) == (2, 2)
    original = _case(api_client, disp, leak["id"])
    assert (original["repeat_count"], original["risk_level"]) == (0, 2)

    # without the hand's risk, the link's raise is undone: yellow again
    leak = _register(api_client, disp, made, "解除关联测试：未定级", 0.0, 24.0 * 80, risk=3)
    other = _register(api_client, disp, made, "解除关联测试：未定级（邻楼）", 22.0, 24.0 * 80 + 1)
    assert other["linked_to"] == leak["id"]
    done = _unlink(api_client, disp, other["id"])
    assert (done.json()["risk_from"], done.json()["risk_to"]) == (2, 3)
    assert _case(api_client, disp, leak["id"])["risk_level"] == 3


def test_unlinking_is_refused_clearly_out_of_scope_without_reason_or_right(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, made: list[int]
) -> None:
    disp = auth_headers("disp_a1")
    leak = _register(api_client, disp, made, "解除关联测试：拒绝", 0.0, 24.0 * 120)
    other = _register(api_client, disp, made, "解除关联测试：拒绝（邻楼）", 22.0, 24.0 * 120 + 1)
    assert other["linked_to"] == leak["id"]

    # another township's dispatcher does not see the case
    refused = _unlink(api_client, auth_headers("disp_b1"), other["id"])
    assert refused.status_code == 404 and "不在您的辖区内" in refused.json()["detail"]
    # a grid worker and an analyst may not unlink
    refused = _unlink(api_client, auth_headers("worker_v0"), other["id"])
    assert refused.status_code == 403 and "不能解除重复反映关联" in refused.json()["detail"]
    refused = _unlink(api_client, auth_headers("analyst_a"), other["id"])
    assert refused.status_code == 403
    # a reason is required, and no mobile number in it
    refused = _unlink(api_client, disp, other["id"], reason="   ")
    assert refused.status_code == 422 and "解除关联原因" in refused.json()["detail"]
    refused = _unlink(api_client, disp, other["id"], reason="已电话核实 13912345678 不是同一处")
    assert refused.status_code == 422 and "解除关联原因" in refused.json()["detail"]
    # an original is no repeat
    refused = _unlink(api_client, disp, leak["id"])
    assert refused.status_code == 409 and "未关联为重复反映" in refused.json()["detail"]
    # a stale version is a conflict
    stale = api_client.post(
        f"/api/cases/{other['id']}/unlink-repeat",
        json={"reason": REASON, "version": other["version"] - 1},
        headers=disp,
    )
    assert stale.status_code == 409
    # nothing changed, every refusal is in the audit log
    original = _case(api_client, disp, leak["id"])
    assert (original["repeat_count"], original["risk_level"]) == (1, 3)
    assert _case(api_client, disp, other["id"])["duplicate_of"] == leak["id"]
    outcomes = [o for _, o in _audit(database, other["id"])]
    assert outcomes == ["failed", "denied", "denied", "failed", "failed", "failed"]


def test_a_later_import_does_not_link_the_unlinked_case_again(db: Session, tmp_path: Path) -> None:
    from tests.import_fixtures import seed_jurisdictions

    seed_jurisdictions(db)
    first = [
        _row("UL-A", "邻里纠纷", -600.0, 0.0, 0.0, risk=3),
        _row("UL-B", "邻里纠纷", -578.0, 0.0, 1.0),  # 22 m from A: linked
    ]
    _import(db, tmp_path / "工单.csv", first)
    stored = _stored(db, "UL-")
    assert stored["UL-B"].original == "UL-A"
    assert (stored["UL-A"].repeat_count, stored["UL-A"].risk_level) == (1, 2)

    done = case_repeats.unlink_repeat(db, stored["UL-B"].id, actor=OPERATOR, reason=REASON)
    assert (done.risk_from, done.risk_to) == (2, 3)
    db.flush()

    # the file corrected: B's point moved 3 m, still 25 m from A; the rule would link them
    corrected = [first[0], _row("UL-B", "邻里纠纷", -575.0, 0.0, 1.0)]
    outcome = _import(db, tmp_path / "工单.csv", corrected)
    assert outcome.counts.updated == 1
    stored = _stored(db, "UL-")
    assert stored["UL-B"].original is None
    assert (stored["UL-A"].repeat_count, stored["UL-A"].risk_level) == (0, 3)
    # and the same file again changes nothing
    outcome = _import(db, tmp_path / "工单.csv", corrected)
    assert _stored(db, "UL-")["UL-B"].original is None
