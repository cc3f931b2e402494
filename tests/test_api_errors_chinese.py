# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""What an operator reads when the API refuses: concise Chinese, never an internal name.

The console shows the ``detail`` of an error body, or, for a request-validation error (whose
``detail`` is FastAPI's structured list, kept for clients), its ``message``
(``web/static/console/common.js``). A walk of representative refusals over HTTP against the real
database checks that text; a static walk of ``layers/`` and ``api/`` checks that every message
literal given to a domain error is Chinese.

Uses its own committed township (520424300) and users, purged at the end.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from tests.api_fixtures import bearer_of
from tests.browser import RecordedPage
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    COUNTY,
    add_worker,
    village,
    village_centre,
    world_accounts,
)

ROOT = Path(__file__).resolve().parents[1]
TOWN = "520424300000"
V1 = village(300, 1)
Headers = Callable[[str], dict[str, str]]
USERS = {
    "disp": ("dispatcher", TOWN),
    "analyst": ("analyst", COUNTY),
    "admin": ("admin", COUNTY),
    "worker": ("grid_worker", TOWN),
}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
UNDERSCORE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*|_[A-Za-z][A-Za-z0-9_]*")
ENGLISH_PHRASE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}")
ERROR_CLASSES = {
    "InvalidInput",
    "InvalidParameter",
    "Conflict",
    "NotFound",
    "Forbidden",
    "AuthenticationFailed",
    "AccountLocked",
    "WeakPassword",
}


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    with world_accounts(database, USERS, "zh") as ids:
        yield bearer_of(api_settings, ids)


def shown(response: httpx2.Response) -> str:
    """Return what the console shows of an error response (common.js ``serverText``)."""
    body = response.json()
    detail = body.get("detail")
    return detail if isinstance(detail, str) else str(body.get("message", ""))


def assert_chinese(response: httpx2.Response, status: int, *fragments: str) -> str:
    """Assert the status and that the shown text is Chinese, names no internals, has fragments."""
    assert response.status_code == status, response.text
    text = shown(response)
    assert CHINESE.search(text), text
    assert not UNDERSCORE_NAME.search(text), text
    assert not ENGLISH_PHRASE.search(text), text
    for fragment in fragments:
        assert fragment in text, text
    return text


def _register(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    lon, lat = village_centre(V1)
    body = {"channel": "phone", "category": "dispute", "title": "邻里噪音", "lon": lon, "lat": lat}
    response = client.post("/api/cases", json={**body, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _triage(client: TestClient, headers: dict[str, str], case: dict[str, Any]) -> None:
    url = f"/api/cases/{case['id']}/actions/triage"
    done = client.post(url, json={"version": case["version"]}, headers=headers)
    assert done.status_code == 200, done.text


def test_workflow_and_dispatch_refusals_are_chinese(
    api_client: TestClient, users: Headers, database: SuiteDatabase
) -> None:
    h = users("disp")
    lon, lat = village_centre(V1)
    with Session(database.owner) as owner, owner.begin():
        worker = add_worker(owner, area_code=V1, lon=lon, lat=lat, seen_at=None)
    first = _register(api_client, h)
    second = _register(api_client, h, category="safety_hazard", title="路灯损坏")
    # an illegal transition: the state and the action by their Chinese names, and what is allowed
    archive = api_client.post(
        f"/api/cases/{first['id']}/actions/archive", json={"version": 1}, headers=h
    )
    assert_chinese(archive, 409, "已登记", "销号", "分流")
    assert archive.json()["allowed"] and archive.json()["code"] == "Conflict"
    # an unknown action: the known ones by their Chinese names, not the code typed
    unknown = api_client.post(
        f"/api/cases/{first['id']}/actions/fly_away", json={"version": 1}, headers=h
    )
    assert "fly_away" not in assert_chinese(unknown, 422, "分流", "派单")
    for case in (first, second):
        _triage(api_client, h, case)
    # a conflicting dispatch: the worker is busy with the first case
    url = "/api/cases/{}/dispatch"
    taken = api_client.post(
        url.format(first["id"]), json={"worker_id": worker, "version": 2}, headers=h
    )
    assert taken.status_code == 200, taken.text
    # a worker off duty (one busy is sent up to three: layers.dispatch.OPEN_CASES_CAP)
    with Session(database.owner) as owner, owner.begin():
        resting = add_worker(owner, area_code=V1, lon=lon, lat=lat, status="off_duty")
    try:
        off = api_client.post(
            url.format(second["id"]), json={"worker_id": resting, "version": 2}, headers=h
        )
        assert_chinese(off, 409, "离岗", "另选网格员")
    finally:
        with Session(database.owner) as owner, owner.begin():
            owner.execute(sql_text("DELETE FROM workers WHERE id = :w"), {"w": resting})
    # no version, two assignees at once, a stale version, no login
    unversioned = api_client.post(
        url.format(second["id"]), json={"department": "县司法局"}, headers=h
    )
    assert_chinese(unversioned, 422, "版本")
    both = api_client.post(
        url.format(second["id"]),
        json={"department": "县司法局", "unit_code": V1, "version": 2},
        headers=h,
    )
    assert_chinese(both, 422, "职能部门", "下级单位")
    old = api_client.post(
        url.format(second["id"]), json={"department": "县司法局", "version": 1}, headers=h
    )
    assert_chinese(old, 409, "他人", "刷新")
    anonymous = api_client.post(url.format(second["id"]), json={"department": "县司法局"})
    assert_chinese(anonymous, 401, "登录")
    # the worker on duty again while busy; an unknown worker
    status = f"/api/workers/{worker}/status"
    assert_chinese(api_client.post(status, json={"status": "off_duty"}, headers=h), 409, "退回")
    nobody = api_client.post("/api/workers/999999999/status", json={"status": "on_duty"}, headers=h)
    assert_chinese(nobody, 404, "网格员")
    # a grid worker account changing another worker's status
    other = api_client.post(status, json={"status": "on_duty"}, headers=users("worker"))
    assert_chinese(other, 403, "本人")


def test_unlocated_case_forbidden_roles_and_scope_are_chinese(
    api_client: TestClient, users: Headers
) -> None:
    h = users("disp")
    letter = api_client.post(
        "/api/cases",
        json={"channel": "letter", "category": "public_opinion", "title": "来信", "area_code": V1},
        headers=h,
    )
    assert letter.status_code == 201, letter.text
    case_id = letter.json()["id"]
    # a case without location: dispatch it to a unit or a department instead
    nowhere = api_client.get(f"/api/cases/{case_id}/candidates", headers=h)
    assert_chinese(nowhere, 422, "没有位置", "下级单位", "职能部门")
    assert_chinese(api_client.get(f"/api/cases/{case_id}/cameras", headers=h), 422, "没有位置")
    # forbidden roles, named by their Chinese labels
    analyst = api_client.get(f"/api/cases/{case_id}/candidates", headers=users("analyst"))
    assert_chinese(analyst, 403)
    acting = api_client.post(
        f"/api/cases/{case_id}/actions/triage", json={"version": 1}, headers=users("analyst")
    )
    assert_chinese(acting, 403, "研判分析员")
    # a parameter of the wrong kind is named, with what it must be (trial AV m7)
    wrong = api_client.post(
        f"/api/cases/{case_id}/actions/triage",
        json={"version": 1, "params": {"risk_level": 3, "handling_level": "township"}},
        headers=h,
    )
    assert_chinese(wrong, 422, "处理层级", "township")
    admin = api_client.get("/api/cases", headers=users("admin"))
    assert_chinese(admin, 403, "系统管理员")
    # out of scope, unknown objects
    assert_chinese(api_client.get("/api/command/520425000000", headers=h), 404, "520425000000")
    assert_chinese(api_client.get("/api/cases/999999999", headers=h), 404, "案件")
    lon, lat = village_centre(village(100, 1, "520425"))
    outside = api_client.post(
        "/api/cases",
        json={"channel": "phone", "category": "dispute", "title": "x", "lon": lon, "lat": lat},
        headers=h,
    )
    assert_chinese(outside, 403, "辖区")
    assert_chinese(api_client.get("/api/no-such-route", headers=h), 404)


def test_validation_errors_keep_the_list_and_say_it_in_chinese(
    api_client: TestClient, users: Headers
) -> None:
    h = users("disp")
    bad = api_client.post(
        "/api/cases",
        json={"channel": "phone", "category": "dispute", "risk_level": 9, "lon": 500},
        headers=h,
    )
    text = assert_chinese(bad, 422, "风险等级", "事项标题", "经度")
    body = bad.json()
    assert body["code"] == "RequestValidationError"
    assert {tuple(e["loc"]) for e in body["detail"]} == {
        ("body", "title"),
        ("body", "risk_level"),
        ("body", "lon"),
    }
    for problem in ("请填写事项标题", "经度应不大于 180；", "风险等级应不大于 4"):
        assert problem in text
    assert_chinese(api_client.get("/api/cases/abc", headers=h), 422, "案件编号", "整数")
    run = api_client.post("/api/hotspots/runs", json={"resolution": 12}, headers=h)
    assert_chinese(run, 422, "分辨率", "10")
    broken = api_client.post(
        "/api/cases", content=b"{", headers={**h, "Content-Type": "application/json"}
    )
    assert_chinese(broken, 422, "JSON")


def test_validation_message_names_fields_as_the_console_does() -> None:
    from api.errors import validation_message

    errors = [
        {"type": "missing", "loc": ["body", "title"]},
        {"type": "greater_than_equal", "loc": ["query", "radius_m"], "ctx": {"ge": 1}},
        {"type": "string_pattern_mismatch", "loc": ["body", "some_inner_name"]},
    ]
    assert validation_message(errors) == (
        "输入有误：请填写事项标题；搜索半径（米）应不小于 1；某项参数格式不正确。请检查后重试"
    )
    many = [{"type": "missing", "loc": ["body", name]} for name in ("title", "lon", "lat", "x_y")]
    assert validation_message(many).endswith("等 4 处问题。请检查后重试")


def test_console_shows_the_servers_chinese_message(page: RecordedPage) -> None:
    """common.js: a list ``detail`` shows ``message``; a text ``detail`` shows as it is."""
    page.set_content('<script id="zz-code-tables" type="application/json">{}</script>')
    page.add_script_tag(path=str(ROOT / "web" / "static" / "console" / "common.js"))
    shown_texts = page.evaluate(
        """() => {
          const listed = new zz.ApiError(422, {
            detail: [{loc: ["body", "title"], msg: "Field required", type: "missing"}],
            code: "RequestValidationError",
            message: "输入有误：请填写事项标题。请检查后重试",
          });
          const domain = new zz.ApiError(409, {detail: "该网格员正在处置派单", code: "Conflict"});
          const starlette = new zz.ApiError(404, {detail: "Not Found"});
          return [zz.errorText(listed), listed.message, zz.errorText(domain),
                  zz.errorText(starlette), starlette.message];
        }"""
    )
    assert shown_texts == [
        "输入有误：请填写事项标题。请检查后重试",
        "输入有误：请填写事项标题。请检查后重试",
        "该网格员正在处置派单",
        "对象不存在或不在您的辖区内",
        "请求失败（404）",
    ]


def _literal_texts(node: ast.expr, constants: dict[str, str]) -> list[str]:
    """Return the literal text of a message argument: its string constants, joined per f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [
            "".join(
                str(part.value)
                for part in node.values
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            )
        ]
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    if isinstance(node, ast.BinOp):
        return _literal_texts(node.left, constants) + _literal_texts(node.right, constants)
    return []


def _error_messages() -> list[tuple[str, str]]:
    """Return ``(where, literal text)`` of every message given to a domain error in the code."""
    found: list[tuple[str, str]] = []
    for package in ("layers", "api"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            constants = {
                target.id: node.value.value
                for node in tree.body
                if isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name not in ERROR_CLASSES:
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if not node.args:
                    found.append((where, ""))  # a bare error shows its class name
                for text in _literal_texts(node.args[0], constants) if node.args else []:
                    found.append((where, text))
    return found


def test_every_error_message_literal_is_chinese() -> None:
    messages = _error_messages()
    assert len(messages) > 80
    english = [f"{where}: {text!r}" for where, text in messages if not CHINESE.search(text)]
    assert english == []
