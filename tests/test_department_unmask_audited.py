# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""A department account's try at a person's clear identity is audited (trial AW m1).

The registers refuse a department outright (:func:`api.deps.refuse_department`), and that
refusal came before the audited read: the 司法所 and the police trying ``POST
/api/persons/{id}/unmasked`` were refused and left no entry, where every other refused account
did. Now the read refuses it itself, with the same message, and writes the entry every refused
read writes: ``person.unmask``, denied, the reason kept without the person's name or numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from layers import department_scope
from tests.api_fixtures import VILLAGES, ApiWorld

Headers = Callable[[str], dict[str, str]]


def _entries(client: TestClient, headers: Headers, pid: str) -> list[dict[str, Any]]:
    page = client.get(
        "/api/audit",
        params={"action": "person.unmask", "object_type": "person", "object_id": pid},
        headers=headers("auditor"),
    )
    assert page.status_code == 200, page.text
    return [e for e in page.json()["entries"] if e["actor_name"] == "t46_dept_a"]


def test_a_department_refused_the_clear_identity_is_in_the_audit_log(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    pid = next(p for p, v in api_world.objects["persons"].items() if v == VILLAGES[0])
    name = api_world.names[int(pid)]
    before = len(_entries(api_client, auth_headers, pid))
    reason = f"司法所核实{name}，电话13987712345"
    refused = api_client.post(
        f"/api/persons/{pid}/unmasked", json={"reason": reason}, headers=auth_headers("dept_a")
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == department_scope.COMMAND_VIEW_REFUSED
    assert name not in refused.text
    entries = _entries(api_client, auth_headers, pid)
    assert len(entries) == before + 1
    entry = entries[0]
    assert entry["outcome"] == "denied"
    assert entry["detail"] == {"refused": department_scope.UNMASK_REFUSED}
    assert entry["reason"] == "司法所核实[姓名已略去]，电话[手机号已略去]"
    # the other registers still refuse it outright, and the command views too
    listed = api_client.get("/api/persons/visits", headers=auth_headers("dept_a"))
    assert listed.status_code == 403
    assert listed.json()["detail"] == department_scope.COMMAND_VIEW_REFUSED


def test_a_department_refused_a_person_outside_its_scope_keeps_no_reason(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    pid = next(p for p, v in api_world.objects["persons"].items() if v == VILLAGES[3])
    refused = api_client.post(
        f"/api/persons/{pid}/unmasked",
        json={"reason": "核实另一县的人员情况"},
        headers=auth_headers("dept_a"),
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == department_scope.COMMAND_VIEW_REFUSED
    entry = _entries(api_client, auth_headers, pid)[0]
    assert (entry["outcome"], entry["reason"]) == ("denied", "（人员不在辖区内，事由未记录）")
