"""部门考核: each 承办部门's dispatches over a window, alike in the API and in brief.xlsx.

Trial BA S1: the county hotline desk had no per-department figures anywhere (received, on time,
overdue, 退回, 延期, satisfaction), nor did a department see its own month. Now
``GET /api/figures/departments`` counts them per department (:mod:`layers.department_figures`),
the brief has the sheet 部门办理情况 with the same figures, and a department account reads its
own rows only.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.api_fixtures import CITY, COUNTY_A, COUNTY_B, VILLAGES, ApiWorld, act

Headers = Callable[[str], dict[str, str]]
OWN = "测试dept_a"  # the department account dept_a's own name
OTHER = "测试部门考核乙局"  # a county B department


def _ok(answer: Any) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _dispatched(
    client: TestClient, headers: dict[str, str], made: list[int], village: str, department: str
) -> int:
    case = _ok(
        client.post(
            "/api/cases",
            json={
                "channel": "hotline_12345",
                "category": "dispute",
                "subcategory": "labour_wages",
                "title": "部门考核测试：工地欠薪",
                "area_code": village,
            },
            headers=headers,
        )
    )
    made.append(case["id"])
    _ok(act(client, headers, case["id"], "triage"))
    _ok(act(client, headers, case["id"], "dispatch", params={"department": department}))
    return int(case["id"])


def _rows(client: TestClient, headers: dict[str, str], **query: str) -> dict[str, Any]:
    body = _ok(client.get("/api/figures/departments", params=query, headers=headers))
    return {r["department"]: r for r in body["rows"]}


def test_department_figures_agree_in_the_api_and_the_brief(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    county, bureau = auth_headers("cmd_a"), auth_headers("dept_a")
    # one order 受理'd, extended, 办结'd and visited (满意); one 退回'd; one in county B
    done = _dispatched(api_client, county, made, VILLAGES[0], OWN)
    _ok(act(api_client, bureau, done, "accept"))
    case = _ok(api_client.get(f"/api/cases/{done}", headers=bureau))
    later = (datetime.fromisoformat(case["deadline"]) + timedelta(days=5)).isoformat()
    _ok(
        act(
            api_client,
            bureau,
            done,
            "extension_request",
            note="需调取工资台账",
            params={"deadline": later},
        )
    )
    _ok(act(api_client, county, done, "extension_approve"))
    _ok(
        act(
            api_client,
            bureau,
            done,
            "resolve",
            note="已督促用工单位支付工资",
            params={"outcome": "resolved"},
        )
    )
    _ok(
        act(
            api_client,
            county,
            done,
            "visit",
            note="电话回访，工资已到账",
            params={"satisfaction": 5},
        )
    )
    returned = _dispatched(api_client, county, made, VILLAGES[0], OWN)
    _ok(act(api_client, bureau, returned, "return", note="不属本部门职责"))
    _dispatched(api_client, auth_headers("cmd_b"), made, VILLAGES[3], OTHER)

    mine = _rows(api_client, county)[OWN]
    assert {k: v for k, v in mine.items() if k not in ("county", "county_name")} == {
        "department": OWN,
        "received": 2,
        "accepted": 1,
        "accepted_on_time": 1,
        "finished": 1,
        "finished_on_time": 1,
        "overdue": 0,
        "returned": 1,
        "extension_asked": 1,
        "extension_granted": 1,
        "visited": 1,
        "satisfied": 1,
        "unsatisfied": 0,
        "satisfied_share": 1.0,
    }
    assert mine["county"] == COUNTY_A[:6]
    assert OTHER not in _rows(api_client, county)
    # the city sees its counties' departments
    city = _rows(api_client, auth_headers("cmd_city"), unit=CITY)
    assert city[OWN] == mine and city[OTHER]["received"] == 1
    assert city[OTHER]["county"] == COUNTY_B[:6]
    # the department reads its own row, the same figures
    assert _rows(api_client, bureau)[OWN] == mine
    assert OTHER not in _rows(api_client, bureau, unit=COUNTY_A)
    # a past month has none of them
    assert OWN not in _rows(api_client, county, period="month", date="2026-01-15")

    # brief.xlsx of the same month: the sheet 部门办理情况 holds the same row
    brief = api_client.get(
        f"/api/command/{COUNTY_A}/brief.xlsx",
        params={"period": "month", "date": mine_day(api_client, county)},
        headers=county,
    )
    assert brief.status_code == 200, brief.text
    sheet = load_workbook(io.BytesIO(brief.content))["部门办理情况"]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = table[0]
    assert header[:3] == ["承办部门", "所属区县", "收到"]
    row = next(dict(zip(header, r, strict=True)) for r in table[1:] if r[0] == OWN)
    labels = {c["key"]: c["label"] for c in _columns(api_client, county)}
    for key, label in labels.items():
        if key in ("department", "county_name"):
            continue
        assert row[label] == mine[key], label
    assert table[-1][0] == "合计"


def mine_day(client: TestClient, headers: dict[str, str]) -> str:
    """Today in Beijing time, as the figures' default window (this month) holds it."""
    body = _ok(client.get("/api/figures/departments", headers=headers))
    return str(body["window"]["start"])[:10]


def _columns(client: TestClient, headers: dict[str, str]) -> list[dict[str, str]]:
    body = _ok(client.get("/api/figures/departments", headers=headers))
    return list(body["columns"])


def test_an_order_received_past_its_contact_limit_is_not_late_for_the_department(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    """Trial BA p2: an order whose 联系时限 had passed before it reached the department (a 12345
    order imported late without a 承办单位 to clear it, or dispatched days after the call)
    counted as its late 受理; now its 受理 is judged by as long a limit from the dispatch."""
    county, bureau = auth_headers("cmd_a"), auth_headers("dept_a")
    called = (datetime.now().astimezone() - timedelta(days=4)).isoformat()
    case = _ok(
        api_client.post(
            "/api/cases",
            json={
                "channel": "hotline_12345",
                "category": "dispute",
                "subcategory": "labour_wages",
                "title": "部门考核测试：四天前来电的欠薪工单",
                "area_code": VILLAGES[0],
                "reported_at": called,
            },
            headers=county,
        )
    )
    made.append(case["id"])
    _ok(act(api_client, county, case["id"], "triage"))
    seen = _ok(api_client.get(f"/api/cases/{case['id']}", headers=county))
    assert datetime.fromisoformat(seen["contact_deadline"]) < datetime.now().astimezone()
    _ok(act(api_client, county, case["id"], "dispatch", params={"department": OWN}))
    _ok(act(api_client, bureau, case["id"], "accept"))

    mine = _rows(api_client, county)[OWN]
    assert (mine["received"], mine["accepted"], mine["accepted_on_time"]) == (1, 1, 1)
    assert (
        "不计为承办部门超时"
        in _ok(api_client.get("/api/figures/departments", headers=county))["note"]
    )
