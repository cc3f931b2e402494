"""回访 不满意 asks 重新办理 or 说明原因后销号, and counts in the department's figures.

Trial BA M3: a 回访 with 满意度 1 went on to 已回访 and was offered 销号 exactly as a 非常满意
one; after 重新办理 and a new 派单 the department's desk showed the order as a plain new one, and
no figure read the 满意度. Now the operator's 不满意 回访 must choose (``params.then``):
``reopen`` sends the case back with the 回访's note as the reason and dispatches it again to the
department that handled it, whose desk says why; ``archive`` needs its reason. The department's
figures count the 不满意 (:mod:`layers.department_figures`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from layers import unsatisfied_visits
from tests.api_fixtures import VILLAGES, ApiWorld, act

Headers = Callable[[str], dict[str, str]]
DEPARTMENT = "测试dept_a"  # dept_a's own name
SAID = "来电人称超市只退了货款，没有赔偿，对处理结果不满意"


def _ok(answer: Any) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _handled(
    client: TestClient, county: dict[str, str], bureau: dict[str, str], case_id: int
) -> None:
    _ok(act(client, bureau, case_id, "accept"))
    _ok(
        act(
            client,
            bureau,
            case_id,
            "resolve",
            note="已责令超市退货",
            params={"outcome": "resolved"},
        )
    )


def test_an_unsatisfied_visit_reopens_to_the_department_or_closes_with_a_reason(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    county, bureau = auth_headers("cmd_a"), auth_headers("dept_a")
    case = _ok(
        api_client.post(
            "/api/cases",
            json={
                "channel": "hotline_12345",
                "category": "dispute",
                "subcategory": "consumer",
                "title": "回访不满意测试：过期牛奶",
                "area_code": VILLAGES[0],
            },
            headers=county,
        )
    )
    case_id = case["id"]
    made.append(case_id)
    _ok(act(api_client, county, case_id, "triage"))
    _ok(act(api_client, county, case_id, "dispatch", params={"department": DEPARTMENT}))
    _handled(api_client, county, bureau, case_id)

    # 不满意 without a choice, or 销号 without its reason: refused, nothing changes
    bare = act(api_client, county, case_id, "visit", note=SAID, params={"satisfaction": 1})
    assert bare.status_code == 422, bare.text
    assert bare.json()["detail"] == unsatisfied_visits.CHOICE_REFUSAL
    closing = act(
        api_client,
        county,
        case_id,
        "visit",
        note=SAID,
        params={"satisfaction": 1, "then": "archive"},
    )
    assert closing.status_code == 422, closing.text
    assert closing.json()["detail"] == unsatisfied_visits.ARCHIVE_REFUSAL
    assert _ok(api_client.get(f"/api/cases/{case_id}", headers=county))["state"] == "resolved"

    # 重新办理: back to the department, the 回访's note as the reason, on its desk
    again = _ok(
        act(
            api_client,
            county,
            case_id,
            "visit",
            note=SAID,
            params={"satisfaction": 1, "then": "reopen"},
        )
    )
    assert again["state"] == "dispatched"
    events = _ok(api_client.get(f"/api/cases/{case_id}/events", headers=county))
    listed = events["events"] if isinstance(events, dict) else events
    tail = [(e["action"], e["note"]) for e in listed][-3:]
    assert tail == [
        ("visit", SAID),
        ("reopen", unsatisfied_visits.REOPEN_PREFIX + SAID),
        ("dispatch", "重新办理：" + unsatisfied_visits.REOPEN_PREFIX + SAID),
    ]
    desk = _ok(api_client.get("/api/departments/desk", headers=bureau))
    # under 待受理 (its first round under 已办结)
    (row,) = [c for c in desk["cases"] if c["id"] == case_id and c["desk"]["group"] == "to_accept"]
    assert row["latest"]["reopened"]["note"] == unsatisfied_visits.REOPEN_PREFIX + SAID

    # handled again, and 不太满意 again: 销号 with the reason given
    _handled(api_client, county, bureau, case_id)
    reason = "诉求的赔偿超出法定标准，已向来电人解释"
    done = _ok(
        act(
            api_client,
            county,
            case_id,
            "visit",
            note="来电人仍不太满意",
            params={"satisfaction": 2, "then": "archive", "reason": reason},
        )
    )
    assert done["state"] == "archived"
    events = _ok(api_client.get(f"/api/cases/{case_id}/events", headers=county))
    listed = events["events"] if isinstance(events, dict) else events
    assert [(e["action"], e["note"]) for e in listed][-1] == ("archive", reason)

    # both 回访 count as 不满意 in the department's figures
    figures = _ok(api_client.get("/api/figures/departments", headers=county))
    (mine,) = [r for r in figures["rows"] if r["department"] == DEPARTMENT]
    assert (mine["received"], mine["finished"], mine["visited"]) == (2, 2, 2)
    assert (mine["satisfied"], mine["unsatisfied"], mine["satisfied_share"]) == (0, 2, 0.0)
