"""An administrator's reset takes back the unmask right; common passwords are refused (trial AI).

* S5: the administrator, who may not read clear personal data, resets the password of an account
  that may, and so knows its password: the reset takes the right back, the answer and the audit
  entry say so, and the account cannot unmask until the right is granted again.
* M5: ``Password1`` met the character-class rule; the most common passwords are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from layers import accounts
from layers.account_admin import UNMASK_WITHDRAWN
from layers.model import AuditEntry, User
from tests.api_fixtures import COUNTY_A, PASSWORD, ApiWorld
from tests.conftest import SuiteDatabase

PREFIX = "reset."
Headers = dict[str, str]


@pytest.fixture(scope="module")
def people(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[dict[str, int]]:
    """County-A commanders, one with the unmask right, two without (deleted afterwards)."""
    made: dict[str, int] = {}
    with Session(database.owner) as owner, owner.begin():
        for name, unmask in (("holder", True), ("plain", False), ("common", False)):
            user = accounts.create_user(
                owner,
                username=PREFIX + name,
                password=PASSWORD,
                role="commander",
                scope_code=COUNTY_A,
                display_name="重设测试",
                can_unmask=unmask,
            )
            made[name] = user.id
    yield made
    with Session(database.owner) as owner, owner.begin():
        owner.execute(delete(User).where(User.username.startswith(PREFIX)))


def _reset_entry(database: SuiteDatabase, user_id: int) -> AuditEntry:
    with Session(database.owner) as owner:
        entry = owner.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "user.password_reset")
            .where(AuditEntry.object_id == str(user_id))
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        assert entry is not None
        return entry


def test_a_reset_by_the_administrator_takes_back_the_unmask_right(
    api_client: TestClient,
    api_world: ApiWorld,
    auth_headers: Callable[[str], Headers],
    database: SuiteDatabase,
    people: dict[str, int],
) -> None:
    client = TestClient(api_client.app)
    admin = auth_headers("admin")
    person = next(iter(api_world.in_scope("persons", COUNTY_A)))
    unmask = f"/api/persons/{person}/unmasked"
    reason = {"reason": "核实走访对象身份"}

    reset = client.post(f"/api/users/{people['holder']}/password", headers=admin)
    assert reset.status_code == 200, reset.text
    answer = reset.json()
    assert answer["unmask_withdrawn"] == UNMASK_WITHDRAWN and "已收回" in UNMASK_WITHDRAWN
    assert answer["account"]["can_unmask"] is False
    entry = _reset_entry(database, people["holder"])
    assert entry.reason == UNMASK_WITHDRAWN and entry.detail == {"unmask_revoked": True}

    # the administrator logs in with the password he was given: no clear data under that name
    name = PREFIX + "holder"
    form = {"username": name, "password": answer["password"]}
    first = client.post("/api/auth/token", data=form).json()["access_token"]
    changed = client.post(
        "/api/me/password",
        json={"current_password": answer["password"], "new_password": "Zz#Took-0ver-2026"},
        headers={"Authorization": f"Bearer {first}"},
    )
    assert changed.status_code == 200, changed.text
    taken = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert client.get("/api/me", headers=taken).json()["can_unmask"] is False
    assert client.post(unmask, json=reason, headers=taken).status_code == 403

    # given again (a grant of its own, with its grounds, audited), it works again
    grant = {"allowed": True, "reason": "岗位职责需核实走访对象身份"}
    granted = client.post(f"/api/users/{people['holder']}/unmask", json=grant, headers=admin)
    assert granted.status_code == 200 and granted.json()["can_unmask"] is True
    assert client.post(unmask, json=reason, headers=taken).status_code == 200


def test_a_reset_of_an_account_without_the_right_says_nothing_of_it(
    api_client: TestClient,
    auth_headers: Callable[[str], Headers],
    database: SuiteDatabase,
    people: dict[str, int],
) -> None:
    reset = api_client.post(f"/api/users/{people['plain']}/password", headers=auth_headers("admin"))
    assert reset.status_code == 200 and reset.json()["unmask_withdrawn"] is None
    entry = _reset_entry(database, people["plain"])
    assert entry.reason is None and entry.detail is None


def test_the_console_says_the_right_was_withdrawn() -> None:
    script = (Path(__file__).parents[1] / "web/static/console/accounts.js").read_text("utf-8")
    assert "answer.unmask_withdrawn" in script
    assert "其查看个人信息明文的权限将一并收回" in script


@pytest.mark.parametrize("common", ["Password1", "P@ssw0rd", "Admin@123", "1qaz@WSX", "Qwerty123"])
def test_common_passwords_are_refused(common: str) -> None:
    found = accounts.PasswordPolicy().problems(common)
    assert found == ["是最常见的密码之一，容易被猜中"]


def test_a_common_password_is_refused_over_http(
    api_client: TestClient, people: dict[str, int]
) -> None:
    client = TestClient(api_client.app)
    form = {"username": PREFIX + "common", "password": PASSWORD}
    token = client.post("/api/auth/token", data=form).json()["access_token"]
    refused = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "Password1"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 422 and "最常见的密码" in refused.json()["detail"]
