# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""The workflow, dispatch, command and live routes over HTTP: status codes, 409 bodies, scope.

Uses its own committed township (520424400) so that the shared API world stays untouched, and
users created here; tokens are issued directly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from importers.pipeline import ImportOptions, run_import
from tests.api_fixtures import bearer_of
from tests.conftest import SuiteDatabase
from tests.import_fixtures import csv_text
from tests.workflow_data import (
    CITY,
    COUNTY,
    PROVINCE,
    add_worker,
    grid,
    village,
    village_centre,
    world_accounts,
)

TOWN = "520424400000"
V1, V2 = village(400, 1), village(400, 2)
OTHER_TOWN = "520425100000"
OTHER_V = village(100, 1, "520425")
Headers = Callable[[str], dict[str, str]]

USERS = {
    "disp": ("dispatcher", TOWN),
    "cmd_county": ("commander", COUNTY),
    "cmd_city": ("commander", CITY),
    "cmd_province": ("commander", PROVINCE),
    "cmd_village": ("commander", V1),
    "disp_other": ("dispatcher", OTHER_TOWN),
    "analyst": ("analyst", COUNTY),
    "dept": ("department", COUNTY),  # named sw_dept, as a dispatch names its department
}


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    with world_accounts(database, USERS, "sw") as ids:
        yield bearer_of(api_settings, ids)


def _register(client: TestClient, headers: dict[str, str], v: str, **extra: Any) -> dict[str, Any]:
    lon, lat = village_centre(v)
    body = {
        "channel": "hotline_12345",
        "category": "safety_hazard",
        "title": "路灯损坏",
        "lon": lon,
        "lat": lat,
        "subcategory": extra.pop("subcategory", None),
        **extra,
    }
    response = client.post("/api/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_register_act_and_409_with_allowed(api_client: TestClient, users: Headers) -> None:
    case = _register(api_client, users("disp"), V1, subcategory="fire")
    assert case["area_code"] == V1 and case["grid_code"] == grid(V1)
    assert case["state"] == "registered" and "triage" in case["allowed_actions"]
    url = f"/api/cases/{case['id']}/actions"
    # illegal transition: 409 listing what is allowed
    bad = api_client.post(f"{url}/archive", json={}, headers={**users("disp"), "If-Match": '"1"'})
    assert bad.status_code == 409
    assert bad.json()["allowed"] == ["triage", "escalate", "hand_down", "summon"]
    # no version: refused
    assert api_client.post(f"{url}/triage", json={}, headers=users("disp")).status_code == 422
    ok = api_client.post(
        f"{url}/triage",
        json={"params": {"risk_level": 2}},
        headers={**users("disp"), "If-Match": f'"{case["version"]}"'},
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["ETag"] == '"2"' and ok.json()["risk_level"] == 2
    stale = api_client.post(f"{url}/escalate", json={"version": 1}, headers=users("disp"))
    assert stale.status_code == 409 and "escalate" in stale.json()["allowed"]
    events = api_client.get(f"/api/cases/{case['id']}/events", headers=users("disp")).json()
    assert [(e["action"], e["to_state"]) for e in events] == [
        ("register", "registered"),
        ("triage", "triaged"),
    ]
    bad_params = api_client.post(
        f"{url}/triage",
        json={"version": 2, "params": {"risk_level": "high"}},
        headers=users("disp"),
    )
    assert bad_params.status_code == 422
    # unknown action: 422; a grid-worker-only role rule: 403 (analyst may not act at all)
    assert (
        api_client.post(f"{url}/fly", json={"version": 2}, headers=users("disp")).status_code == 422
    )
    assert (
        api_client.post(f"{url}/triage", json={"version": 2}, headers=users("analyst")).status_code
        == 403
    )


def test_out_of_scope_cases_are_404(api_client: TestClient, users: Headers) -> None:
    mine = _register(api_client, users("disp"), V1, subcategory="road")
    theirs = _register(api_client, users("disp_other"), OTHER_V, subcategory="road")
    h = users("disp")
    assert api_client.get(f"/api/cases/{theirs['id']}", headers=h).status_code == 404
    assert api_client.get(f"/api/cases/{theirs['id']}/candidates", headers=h).status_code == 404
    assert (
        api_client.post(
            f"/api/cases/{theirs['id']}/actions/triage", json={"version": 1}, headers=h
        ).status_code
        == 404
    )
    assert (
        api_client.post(
            f"/api/cases/{theirs['id']}/dispatch", json={"department": "x", "version": 1}, headers=h
        ).status_code
        == 404
    )
    lon, lat = village_centre(OTHER_V)
    outside = api_client.post(
        "/api/cases",
        headers=h,
        json={"channel": "phone", "category": "dispute", "title": "x", "lon": lon, "lat": lat},
    )
    assert outside.status_code == 403
    queue = api_client.get("/api/cases", headers=h).json()
    assert mine["id"] in [c["id"] for c in queue]
    assert all(c["area_code"].startswith(TOWN[:9]) for c in queue)
    assert api_client.get("/api/command/520425000000", headers=h).status_code == 404


def test_candidates_and_dispatch_over_http(
    api_client: TestClient,
    users: Headers,
    database: SuiteDatabase,
) -> None:
    lon, lat = village_centre(V2)
    with Session(database.owner) as owner, owner.begin():
        near = add_worker(owner, area_code=V2, lon=lon + 0.001, lat=lat, seen_at=None)
        foreign = add_worker(owner, area_code=OTHER_V, lon=lon + 0.0005, lat=lat, seen_at=None)
    h = users("disp")
    case = _register(api_client, h, V2, subcategory="building")
    stale = api_client.get(f"/api/cases/{case['id']}/candidates", headers=h).json()
    assert stale["candidates"] == [] or near not in [c["worker_id"] for c in stale["candidates"]]
    # the worker reports a position: now a candidate; the other county's worker never is
    moved = api_client.post(
        f"/api/workers/{near}/position",
        json={"lon": lon + 0.001, "lat": lat},
        headers=users("cmd_county"),
    )
    assert moved.status_code == 200, moved.text
    assert (
        api_client.post(
            f"/api/workers/{foreign}/position", json={"lon": lon, "lat": lat}, headers=h
        ).status_code
        == 404
    )
    ranked = api_client.get(f"/api/cases/{case['id']}/candidates", headers=h).json()
    ids = [c["worker_id"] for c in ranked["candidates"]]
    assert near in ids and foreign not in ids
    url = f"/api/cases/{case['id']}"
    api_client.post(f"{url}/actions/triage", json={"version": 1}, headers=h)
    done = api_client.post(f"{url}/dispatch", json={"worker_id": near, "version": 2}, headers=h)
    assert done.status_code == 200 and done.json()["state"] == "dispatched"
    other = _register(api_client, h, V2, subcategory="gas")
    api_client.post(f"/api/cases/{other['id']}/actions/triage", json={"version": 1}, headers=h)
    # busy with one, he is sent a second: up to three at a time (trial AZ M3)
    taken = api_client.post(
        f"/api/cases/{other['id']}/dispatch", json={"worker_id": near, "version": 2}, headers=h
    )
    assert taken.status_code == 200, taken.text
    duty = api_client.get(f"/api/workers/{near}", headers=h).json()
    assert (duty["status"], duty["open_cases"], duty["open_cases_cap"]) == ("busy", 2, 3)
    # taken back, the case stands 已分流 as the other tests of the shared world expect
    back = api_client.post(
        f"/api/cases/{other['id']}/actions/recall",
        json={"version": taken.json()["version"], "note": "测试结束，撤回派单"},
        headers=h,
    )
    assert back.status_code == 200 and back.json()["state"] == "triaged", back.text


def test_command_feed_same_shape_at_five_levels(api_client: TestClient, users: Headers) -> None:
    _register(api_client, users("disp"), V1, subcategory="geology")

    def keys(body: Any) -> Any:
        return (
            sorted(body),
            sorted(body["unit"]),
            sorted(body["unit"]["kpis"]),
            sorted({k for child in body["children"] for k in child}),
        )

    shapes = []
    for key, code in (
        ("cmd_province", PROVINCE),
        ("cmd_city", CITY),
        ("cmd_county", COUNTY),
        ("disp", TOWN),
        ("cmd_village", V1),
    ):
        response = api_client.get(f"/api/command/{code}", headers=users(key))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["children"], code
        shapes.append(keys(body))
        lo = code.rstrip("0")
        assert all(c["area_code"].startswith(lo[: len(lo)]) for c in body["queue"])
    assert all(s == shapes[0] for s in shapes)
    analyst = api_client.get(f"/api/command/{COUNTY}", headers=users("analyst")).json()
    assert analyst["queue"] == [] and analyst["unit"]["kpis"]["open"] >= 1


def test_twenty_simultaneous_http_transitions_one_wins(live_server: str, users: Headers) -> None:
    h = users("disp")
    with httpx2.Client(base_url=live_server, timeout=30) as client:
        lon, lat = village_centre(V1)
        case = client.post(
            "/api/cases",
            headers=h,
            json={
                "channel": "phone",
                "category": "dispute",
                "subcategory": "land",
                "title": "并发",
                "lon": lon,
                "lat": lat,
            },
        ).json()
    barrier = threading.Barrier(20)
    codes: list[int] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        with httpx2.Client(base_url=live_server, timeout=60) as client:
            barrier.wait(timeout=30)
            action = "triage" if i % 2 else "escalate"
            r = client.post(
                f"/api/cases/{case['id']}/actions/{action}",
                json={"note": "涉及多个村，需乡镇统筹"} if action == "escalate" else {},
                headers={**h, "If-Match": '"1"'},
            )
            with lock:
                codes.append(r.status_code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(codes) == [200] + [409] * 19
    with httpx2.Client(base_url=live_server, timeout=30) as client:
        events = client.get(f"/api/cases/{case['id']}/events", headers=h).json()
    assert len(events) == 2 and events[1]["from_state"] == "registered"


def test_sse_streams_only_in_scope_events(live_server: str, users: Headers) -> None:
    received: list[str] = []
    connected = threading.Event()

    def listen() -> None:
        with (
            httpx2.Client(base_url=live_server, timeout=30) as client,
            client.stream(
                "GET",
                "/api/events",
                params={"max_events": 1, "keepalive": 1},
                headers=users("disp"),
            ) as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line == "event: ready":  # listening: nothing committed from now is missed
                    connected.set()
                received.append(line)

    thread = threading.Thread(target=listen)
    thread.start()
    assert connected.wait(timeout=20)
    with httpx2.Client(base_url=live_server, timeout=30) as client:
        lon, lat = village_centre(OTHER_V)
        foreign = client.post(
            "/api/cases",
            headers=users("disp_other"),
            json={
                "channel": "phone",
                "category": "dispute",
                "subcategory": "consumer",
                "title": "外县",
                "lon": lon,
                "lat": lat,
            },
        ).json()
        lon, lat = village_centre(V1)
        mine = client.post(
            "/api/cases",
            headers=users("disp"),
            json={
                "channel": "phone",
                "category": "dispute",
                "subcategory": "consumer",
                "title": "本镇",
                "lon": lon,
                "lat": lat,
            },
        ).json()
    thread.join(timeout=30)
    data = [line for line in received if line.startswith("data: ") and line != "data: {}"]
    assert len(data) == 1
    assert f'"case_id":{mine["id"]}' in data[0]
    assert f'"case_id":{foreign["id"]}' not in "".join(received)
    assert "event: case_event" in received


def test_sse_sends_a_department_only_its_own_cases(live_server: str, users: Headers) -> None:
    """Trial AQ S2: a department reads only the cases sent or 吹哨'd to it, live ones too."""
    connected = threading.Event()
    received: list[str] = []

    def listen() -> None:
        received.extend(_stream_lines(live_server, users("dept"), 1, connected))

    thread = threading.Thread(target=listen)
    thread.start()
    assert connected.wait(timeout=20)
    disp = users("disp")
    with httpx2.Client(base_url=live_server, timeout=30) as client:
        lon, lat = village_centre(V1)
        body = {"channel": "phone", "category": "dispute", "lon": lon, "lat": lat}
        other = client.post("/api/cases", headers=disp, json=body | {"title": "未派部门"}).json()
        sent = client.post("/api/cases", headers=disp, json=body | {"title": "派往部门"}).json()
        url = f"/api/cases/{sent['id']}"
        triaged = client.post(f"{url}/actions/triage", json={"version": 1}, headers=disp)
        assert triaged.status_code == 200, triaged.text
        version = triaged.json()["version"]
        dispatched = client.post(
            f"{url}/dispatch", json={"department": "sw_dept", "version": version}, headers=disp
        )
        assert dispatched.status_code == 200, dispatched.text
    thread.join(timeout=30)
    data = [line for line in received if line.startswith("data: ") and line != "data: {}"]
    assert len(data) == 1 and f'"case_id":{sent["id"]}' in data[0], received
    assert f'"case_id":{other["id"]}' not in "".join(received)


def _stream_lines(
    live_server: str,
    headers: dict[str, str],
    max_events: int,
    connected: threading.Event,
    first: threading.Event | None = None,
) -> list[str]:
    """Read a console's live stream until ``max_events``; ``first`` is set at its first event."""
    received: list[str] = []
    with (
        httpx2.Client(base_url=live_server, timeout=60) as client,
        client.stream(
            "GET", "/api/events", params={"max_events": max_events, "keepalive": 1}, headers=headers
        ) as response,
    ):
        for line in response.iter_lines():
            if line == "event: ready":
                connected.set()
            elif line.startswith("data: ") and received[-1:] != ["event: ready"] and first:
                first.set()
            received.append(line)
    return received


@pytest.mark.parametrize("defer", [False, True], ids=["row-by-row", "deferred"])
def test_sse_tells_each_scope_of_an_import_once(
    live_server: str, users: Headers, database: SuiteDatabase, tmp_path: Path, defer: bool
) -> None:
    """An import of 12345 work orders is one ``import`` event per console, counted in its scope.

    The import's own case events send nothing: the next event on the township's stream is the
    case a dispatcher registers after it. A load deferring its index upkeep (a large one) too.
    """
    streams: dict[str, list[str]] = {}
    listening = {key: threading.Event() for key in ("disp", "disp_other")}

    def listen(key: str, max_events: int) -> None:
        streams[key] = _stream_lines(live_server, users(key), max_events, listening[key])

    threads = [
        threading.Thread(target=listen, args=("disp", 2)),
        threading.Thread(target=listen, args=("disp_other", 1)),
    ]
    for t in threads:
        t.start()
    assert all(event.wait(timeout=20) for event in listening.values())
    headers = ["工单编号", "事件类型", "标题", "所属社区", "登记时间", "办理状态", "办结时间"]
    no = f"SSE{int(defer)}"
    rows = [
        [f"{no}-{i}", "邻里纠纷", "导入", V1, "2026-11-30 09:00", "办理中", ""] for i in range(3)
    ]
    rows += [[f"{no}-3", "邻里纠纷", "导入", V2, "2026-11-01 09:00", "已办结", "2026-11-03 10:00"]]
    rows += [[f"{no}-{i}", "物业纠纷", "外县", OTHER_V, "2026-11-30 09:00", "", ""] for i in (4, 5)]
    path = tmp_path / "sse_12345工单.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    with database.owner.connect() as conn:
        options = ImportOptions(kind="cases", user="tester", defer=defer)
        outcome = run_import(conn, path, options)
    assert outcome.committed and outcome.counts is not None
    assert outcome.counts.inserted == 6
    with httpx2.Client(base_url=live_server, timeout=30) as client:
        lon, lat = village_centre(V1)
        body = {"channel": "phone", "category": "dispute", "title": "导入之后"}
        after = client.post(
            "/api/cases", headers=users("disp"), json=body | {"lon": lon, "lat": lat}
        )
        assert after.status_code == 201, after.text
    for t in threads:
        t.join(timeout=30)
    town = [json.loads(line[6:]) for line in streams["disp"] if line.startswith('data: {"')]
    assert [line for line in streams["disp"] if line.startswith("event: ")] == [
        "event: ready",
        "event: import",
        "event: case_event",
    ]
    assert town[0]["import_id"] == outcome.import_id
    assert (town[0]["cases"], town[0]["open"], town[0]["open_repeats"]) == (4, 3, 0)
    assert town[1]["case_id"] == after.json()["id"] and town[1]["action"] == "register"
    other = [json.loads(line[6:]) for line in streams["disp_other"] if line.startswith('data: {"')]
    assert [(e["cases"], e["open"]) for e in other] == [(2, 2)]


def test_sse_tells_of_an_alert_raised_and_signed_for_in_scope_only(
    live_server: str, users: Headers, database: SuiteDatabase
) -> None:
    connected, first = threading.Event(), threading.Event()
    lines: list[str] = []
    listener = threading.Thread(
        target=lambda: lines.extend(_stream_lines(live_server, users("disp"), 2, connected, first))
    )
    listener.start()
    assert connected.wait(timeout=20)
    ids: dict[str, int] = {}
    try:
        with Session(database.owner) as owner, owner.begin():
            for key, area in (("foreign", OTHER_V), ("mine", V1)):
                ids[key] = owner.execute(
                    text(
                        "INSERT INTO alerts (area_code, kind, level, title, unit_id, state)"
                        " VALUES (:a, 'hotspot_new_hot', 2, '新增热点：测试', :u, 'open')"
                        " RETURNING id"
                    ),
                    {"a": area, "u": f"sse-{key}"},
                ).scalar_one()
        # the stream reads an alert's state when it sends it: signed for only once it was told
        # (a loaded machine sent both events after the signing, both 已签收)
        assert first.wait(timeout=20)
        with httpx2.Client(base_url=live_server, timeout=30) as client:
            signed = client.post(f"/api/alerts/{ids['mine']}/acknowledge", headers=users("disp"))
            assert signed.status_code == 200, signed.text
        listener.join(timeout=30)
    finally:
        with Session(database.owner) as owner, owner.begin():
            owner.execute(
                text("DELETE FROM alerts WHERE id = ANY(:ids)"), {"ids": list(ids.values())}
            )
    events = [line for line in lines if line.startswith("event: ") and line != "event: ready"]
    data = [line for line in lines if line.startswith("data: ") and line != "data: {}"]
    assert events == ["event: alert", "event: alert"]
    assert f'"id":{ids["mine"]}' in data[0] and '"state":"open"' in data[0]
    assert f'"id":{ids["mine"]}' in data[1] and '"state":"acknowledged"' in data[1]
    assert f'"id":{ids["foreign"]},' not in "".join(lines)
