"""申请延期: the unit holding a case asks for more time, the level that dispatched it decides.

Trial AX S5: a department handling a 12345 order (县人社局) could not ask for more time: the
actions offered were 办结, 退回 and 处置反馈 only. Now it asks (申请延期) with a reason and a
date at most 30 days after the current 办结时限; the county that dispatched it approves (the
case's deadline moves, so it leaves the overdue figures) or refuses with a reason; both sides
read it in the timeline, the case, the desk and the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api_fixtures import CITY, COUNTY_A, COUNTY_B, TOWN_A1, VILLAGES, ApiWorld, act

Headers = Callable[[str], dict[str, str]]
DEPARTMENT = "测试dept_a"
REASON = "需调取用工单位近六个月工资台账，劳动监察另案调查中"


def _register(
    client: TestClient, headers: dict[str, str], made: list[int], title: str, **more: Any
) -> dict[str, Any]:
    answer = client.post(
        "/api/cases",
        json={
            "channel": "hotline_12345",
            "category": "dispute",
            "subcategory": "labour_wages",
            "title": title,
            "area_code": VILLAGES[0],
            **more,
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    made.append(answer.json()["id"])
    return dict(answer.json())


def _ok(answer: Any) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


def _allowed(client: TestClient, headers: dict[str, str], case_id: int) -> dict[str, Any]:
    body = _ok(client.get(f"/api/cases/{case_id}/allowed", headers=headers))
    return {a["action"]: a for a in body["allowed"]}


def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _to_department(client: TestClient, auth_headers: Headers, made: list[int], **more: Any) -> int:
    """A county case dispatched to 测试dept_a and 受理'd by it; its id."""
    county, bureau = auth_headers("cmd_a"), auth_headers("dept_a")
    case = _register(client, county, made, "延期测试：工地欠薪（12345）", **more)
    _ok(act(client, county, case["id"], "triage"))
    _ok(act(client, county, case["id"], "dispatch", params={"department": DEPARTMENT}))
    _ok(act(client, bureau, case["id"], "accept"))
    return int(case["id"])


def test_a_department_asks_for_more_time_and_the_county_approves_it(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    county, bureau = auth_headers("cmd_a"), auth_headers("dept_a")
    case_id = _to_department(api_client, auth_headers, made)
    url = f"/api/cases/{case_id}"
    before = _ok(api_client.get(url, headers=bureau))
    deadline = _when(before["deadline"])
    assert before["extension"] is None

    offered = _allowed(api_client, bureau, case_id)
    assert offered["extension_request"]["label"] == "申请延期"
    assert offered["extension_request"]["note_required"] == "延期理由"
    assert "extension_approve" not in offered
    # the county offers no decision while nothing is asked
    decisions = {"extension_approve", "extension_refuse"}
    assert decisions.isdisjoint(_allowed(api_client, county, case_id))

    wanted = deadline + timedelta(days=10)
    asked = act(
        api_client,
        bureau,
        case_id,
        "extension_request",
        note=REASON,
        params={"deadline": wanted.isoformat()},
    )
    _ok(asked)
    read = _ok(api_client.get(url, headers=bureau))
    assert _when(read["deadline"]) == deadline  # not moved until approved
    pending = read["extension"]
    assert pending["status"] == "pending"
    assert (_when(pending["requested"]), pending["reason"]) == (wanted, REASON)
    assert pending["requested_by"] == DEPARTMENT
    # one request at a time
    again = act(
        api_client,
        bureau,
        case_id,
        "extension_request",
        note=REASON,
        params={"deadline": wanted.isoformat()},
    )
    assert again.status_code == 409, again.text
    assert "已有待审批的延期申请" in again.json()["detail"]
    assert "extension_request" not in _allowed(api_client, bureau, case_id)

    # the department does not decide its own request
    refused = act(api_client, bureau, case_id, "extension_approve")
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == "部门处置人员不能批准延期"

    # the county sees it waiting: the case, its queue, the command console's queue
    assert set(_allowed(api_client, county, case_id)) >= decisions
    queue = _ok(api_client.get("/api/cases", params={"code": COUNTY_A}, headers=county))
    row = next(c for c in queue if c["id"] == case_id)
    assert row["extension"]["status"] == "pending"
    feed = _ok(api_client.get(f"/api/command/{COUNTY_A}", headers=county))
    row = next(c for c in feed["queue"] if c["id"] == case_id)
    assert (row["extension"]["status"], row["extension"]["reason"]) == ("pending", REASON)
    # and so does the department's desk
    desk = _ok(api_client.get("/api/departments/desk", headers=bureau))
    row = next(c for c in desk["cases"] if c["id"] == case_id)
    assert row["extension"]["status"] == "pending"

    approved = act(api_client, county, case_id, "extension_approve", note="同意")
    assert _when(_ok(approved)["deadline"]) == wanted
    read = _ok(api_client.get(url, headers=bureau))
    assert _when(read["deadline"]) == wanted
    assert read["extension"]["status"] == "approved"
    assert _when(read["extension"]["deadline"]) == wanted
    assert read["extension"]["decided_by"] == "测试cmd_a"
    assert decisions.isdisjoint(_allowed(api_client, county, case_id))
    # it may ask again, from the new deadline
    assert "extension_request" in _allowed(api_client, bureau, case_id)
    desk = _ok(api_client.get("/api/departments/desk", headers=bureau))
    row = next(c for c in desk["cases"] if c["id"] == case_id)
    assert (row["extension"]["status"], _when(row["deadline"])) == ("approved", wanted)

    # the timeline: the request and the decision, with their dates, as events (the audit trail)
    events = _ok(api_client.get(f"{url}/events", headers=bureau))
    asked_event, decided = [e for e in events if e["action"].startswith("extension_")]
    assert (asked_event["actor_name"], asked_event["note"]) == (DEPARTMENT, REASON)
    assert _when(asked_event["payload"]["deadline"]) == wanted
    assert _when(asked_event["payload"]["previous"]) == deadline
    assert decided["action"] == "extension_approve"
    assert _when(decided["payload"]["deadline"]) == wanted


def test_a_department_asks_only_once_it_has_taken_the_case(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    county, bureau = auth_headers("cmd_a"), auth_headers("dept_a")
    case = _register(api_client, county, made, "延期测试：尚未受理的欠薪工单")
    _ok(act(api_client, county, case["id"], "triage"))
    _ok(act(api_client, county, case["id"], "dispatch", params={"department": DEPARTMENT}))
    assert "extension_request" not in _allowed(api_client, bureau, case["id"])
    later = datetime.fromisoformat(case["deadline"]) + timedelta(days=3)
    early = act(
        api_client,
        bureau,
        case["id"],
        "extension_request",
        note=REASON,
        params={"deadline": later.isoformat()},
    )
    assert early.status_code == 403 and early.json()["detail"] == "请先受理该案件，再申请延期"
    _ok(act(api_client, bureau, case["id"], "accept"))
    assert "extension_request" in _allowed(api_client, bureau, case["id"])


def test_bad_dates_and_a_missing_reason_are_refused_in_chinese(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    bureau = auth_headers("dept_a")
    case_id = _to_department(api_client, auth_headers, made)
    deadline = _when(_ok(api_client.get(f"/api/cases/{case_id}", headers=bureau))["deadline"])

    def ask(note: str | None, when: Any) -> Any:
        return act(
            api_client, bureau, case_id, "extension_request", note=note, params={"deadline": when}
        )

    later = (deadline + timedelta(days=5)).isoformat()
    checks = [
        (ask(None, later), "请填写延期理由"),
        (ask(REASON, None), "请填写延期后的办结时限"),
        (ask(REASON, deadline.isoformat()), "延期后的办结时限须晚于现在的办结时限"),
        (ask(REASON, (deadline - timedelta(days=1)).isoformat()), "须晚于现在的办结时限"),
        (ask(REASON, (deadline + timedelta(days=31)).isoformat()), "延期不能超过30天"),
        (ask(REASON, "2026-12-20T18:00"), "办结时限须注明时区"),
        (ask(REASON, "下周五"), "办结时限格式有误"),
    ]
    for answer, said in checks:
        assert answer.status_code == 422, answer.text
        assert said in answer.json()["detail"], answer.json()
    # 30 days to the minute is allowed
    _ok(ask(REASON, (deadline + timedelta(days=30)).isoformat()))


def test_the_level_handling_a_case_asks_its_superior_who_refuses_with_a_reason(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    town, county = auth_headers("disp_a1"), auth_headers("cmd_a")
    case = _register(api_client, town, made, "延期测试：乡镇办理的邻里纠纷")
    case_id = case["id"]
    _ok(act(api_client, town, case_id, "triage"))
    url = f"/api/cases/{case_id}"
    deadline = _when(_ok(api_client.get(url, headers=town))["deadline"])
    wanted = deadline + timedelta(days=7)
    _ok(
        act(
            api_client,
            town,
            case_id,
            "extension_request",
            note="双方当事人外出务工，春节返乡后方能调解",
            params={"deadline": wanted.isoformat()},
        )
    )
    # the township does not approve its own request: its superior does
    assert "extension_approve" not in _allowed(api_client, town, case_id)
    own = act(api_client, town, case_id, "extension_approve")
    assert own.status_code == 403, own.text
    assert own.json()["detail"] == "延期申请须由上级审批：该申请由乡镇级提出，您在乡镇级"
    # nor a village below it
    below = act(api_client, auth_headers("cmd_village"), case_id, "extension_refuse", note="不同意")
    assert below.status_code == 403, below.text

    offered = _allowed(api_client, county, case_id)
    assert offered["extension_refuse"]["note_required"] == "驳回理由"
    bare = act(api_client, county, case_id, "extension_refuse")
    assert bare.status_code == 422 and bare.json()["detail"] == "请填写驳回理由"
    _ok(act(api_client, county, case_id, "extension_refuse", note="可电话联系当事人先行调解"))
    read = _ok(api_client.get(url, headers=town))
    assert _when(read["deadline"]) == deadline  # refused: the deadline stays
    assert (read["extension"]["status"], read["extension"]["note"]) == (
        "refused",
        "可电话联系当事人先行调解",
    )
    # nothing stands any more: no decision, and a new request may follow
    late = act(api_client, county, case_id, "extension_approve")
    assert late.status_code == 409 and late.json()["detail"] == "该案件没有待审批的延期申请"
    assert "extension_request" in _allowed(api_client, town, case_id)


def test_an_approval_sets_its_own_date_within_the_rules_and_a_re_triage_keeps_it(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    town, village = auth_headers("disp_a1"), auth_headers("cmd_village")
    case = _register(api_client, town, made, "延期测试：交村办理的排水沟堵塞")
    case_id = case["id"]
    _ok(act(api_client, town, case_id, "triage"))
    _ok(act(api_client, town, case_id, "dispatch", params={"unit_code": VILLAGES[0]}))
    _ok(act(api_client, village, case_id, "accept"))
    url = f"/api/cases/{case_id}"
    deadline = _when(_ok(api_client.get(url, headers=town))["deadline"])
    # the village unit the township sent it to asks; the township decides
    assert "extension_request" in _allowed(api_client, village, case_id)
    _ok(
        act(
            api_client,
            village,
            case_id,
            "extension_request",
            note="需等待挖机进场",
            params={"deadline": (deadline + timedelta(days=20)).isoformat()},
        )
    )
    assert "extension_approve" in _allowed(api_client, town, case_id)
    early = act(
        api_client,
        town,
        case_id,
        "extension_approve",
        params={"deadline": (deadline - timedelta(hours=1)).isoformat()},
    )
    assert early.status_code == 422 and "不能早于现在的办结时限" in early.json()["detail"]
    far = act(
        api_client,
        town,
        case_id,
        "extension_approve",
        params={"deadline": (deadline + timedelta(days=40)).isoformat()},
    )
    assert far.status_code == 422 and "延期不能超过30天" in far.json()["detail"]
    granted = deadline + timedelta(days=12)
    _ok(
        act(
            api_client,
            town,
            case_id,
            "extension_approve",
            note="给予12天",
            params={"deadline": granted.isoformat()},
        )
    )
    assert _when(_ok(api_client.get(url, headers=town))["deadline"]) == granted
    # sent back and triaged again: the deadline worked out again keeps the extension
    _ok(act(api_client, village, case_id, "return", note="需乡镇协调挖机"))
    _ok(act(api_client, town, case_id, "triage"))
    read = _ok(api_client.get(url, headers=town))
    assert _when(read["deadline"]) == granted
    assert read["extension"] is None  # the round ended with the 退回


def test_an_approved_extension_takes_the_case_out_of_the_overdue_figures(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    county, bureau = auth_headers("cmd_a"), auth_headers("dept_a")
    # reported 31 days ago: its 30-day 办结时限 passed yesterday
    reported = datetime.now(UTC) - timedelta(days=31)
    case_id = _to_department(api_client, auth_headers, made, reported_at=reported.isoformat())
    url = f"/api/cases/{case_id}"
    read = _ok(api_client.get(url, headers=bureau))
    assert read["deadline_status"] == "overdue"

    def overdue() -> tuple[int, set[int]]:
        feed = _ok(api_client.get(f"/api/command/{COUNTY_A}", headers=county))
        listed = _ok(
            api_client.get(
                "/api/cases", params={"stage": "overdue", "code": COUNTY_A}, headers=county
            )
        )
        return int(feed["unit"]["kpis"]["overdue"]), {c["id"] for c in listed}

    count, listed = overdue()
    assert case_id in listed
    wanted = datetime.now(UTC) + timedelta(days=5)
    _ok(
        act(
            api_client,
            bureau,
            case_id,
            "extension_request",
            note=REASON,
            params={"deadline": wanted.isoformat()},
        )
    )
    assert overdue() == (count, listed)  # asked, not approved: still overdue
    _ok(act(api_client, county, case_id, "extension_approve"))
    after, listed_after = overdue()
    assert after == count - 1
    assert case_id not in listed_after
    assert _ok(api_client.get(url, headers=bureau))["deadline_status"] != "overdue"


def test_the_deciding_level_lists_the_requests_from_below_it_must_decide(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    """待审延期: the county sees the township's request on its own case, which its queue omits."""
    town, county = auth_headers("disp_a1"), auth_headers("cmd_a")
    own = _register(api_client, town, made, "延期测试：乡镇自办的山林权属纠纷")["id"]
    _ok(act(api_client, town, own, "triage"))
    deadline = _when(_ok(api_client.get(f"/api/cases/{own}", headers=town))["deadline"])
    _ok(
        act(
            api_client,
            town,
            own,
            "extension_request",
            note="需林业站重新勘界",
            params={"deadline": (deadline + timedelta(days=9)).isoformat()},
        )
    )
    bureau_case = _to_department(api_client, auth_headers, made)  # the county's department
    bureau_deadline = _ok(api_client.get(f"/api/cases/{bureau_case}", headers=county))["deadline"]
    _ok(
        act(
            api_client,
            auth_headers("dept_a"),
            bureau_case,
            "extension_request",
            note=REASON,
            params={"deadline": (_when(bureau_deadline) + timedelta(days=5)).isoformat()},
        )
    )

    def pending(who: str, code: str) -> Any:
        return api_client.get(
            "/api/cases",
            params={"code": code, "stage": "extension_pending"},
            headers=auth_headers(who),
        )

    queue = _ok(api_client.get("/api/cases", params={"code": COUNTY_A}, headers=county))
    assert own not in {c["id"] for c in queue}  # the township's case: not the county's queue
    listed = {c["id"]: c for c in _ok(pending("cmd_a", COUNTY_A))}
    assert {own, bureau_case} <= set(listed)
    assert (listed[own]["extension"]["status"], listed[own]["extension"]["reason"]) == (
        "pending",
        "需林业站重新勘界",
    )
    # a township's page lists what the township decides, not its own request
    assert own not in {c["id"] for c in _ok(pending("cmd_a", TOWN_A1))}
    # the township does not decide its own request; the city does not decide first; another
    # county does not see it; a department decides nothing
    assert own not in {c["id"] for c in _ok(pending("disp_a1", TOWN_A1))}
    city = {c["id"] for c in _ok(pending("cmd_city", CITY))}
    assert {own, bureau_case}.isdisjoint(city)
    assert {own, bureau_case}.isdisjoint({c["id"] for c in _ok(pending("cmd_b", COUNTY_B))})
    assert pending("cmd_b", COUNTY_A).status_code == 404
    assert _ok(pending("dept_a", COUNTY_A)) == []

    # decided: it leaves the list
    _ok(act(api_client, county, own, "extension_refuse", note="请先行调解"))
    assert own not in {c["id"] for c in _ok(pending("cmd_a", COUNTY_A))}
    assert bureau_case in {c["id"] for c in _ok(pending("cmd_a", COUNTY_A))}
