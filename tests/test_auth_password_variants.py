"""A common password is refused in its variants too, and so is a password made of the
platform's name or the login name with look-alike characters, or of one word of the login name
with only case, digits, symbols or look-alikes changed (``Analyst@2026`` for
``analyst.530424``, trial AN M5).

``Password2`` and ``Admin@2026`` passed the exact list of common passwords: the policy now
sets aside case, leading and trailing digits and symbols (years among them) and look-alikes
(``@ 0 1 3 $``) before comparing. The demo's own password (README: ``Demo@2026``) still passes,
so ``make demo`` makes its accounts as before.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.orm import Session

from importers.demo.plan import DEMO_PASSWORD
from importers.demo.staff import CITY_DEPARTMENTS
from layers import accounts
from layers.errors import WeakPassword
from layers.model import User
from tests.api_fixtures import COUNTY_A, PASSWORD, ApiWorld
from tests.conftest import SuiteDatabase

PREFIX = "variant."
POLICY = accounts.PasswordPolicy()


def _variant(word: str) -> str:
    return f"过于常见（与常见密码 {word} 仅差大小写、数字或符号），请换一个"


@pytest.mark.parametrize(
    ("password", "word"),
    [
        ("Password2", "password"),
        ("Admin@2026", "admin"),
        ("P@ssw0rd#2026", "password"),
        ("Passw0rd!2026", "password"),
        ("Welcome2026!", "welcome"),
        ("2026@Dmin!", "admin"),
        ("Hell0@2026", "hello"),
        ("Qwerty#2026", "qwerty"),
        ("Zongzhi#2026", "zongzhi"),
        ("Z0ngzh1!2026", "zongzhi"),
        ("Abc@20260101", "abc"),
    ],
)
def test_a_variant_of_a_common_password_is_refused(password: str, word: str) -> None:
    assert POLICY.problems(password) == [_variant(word)]


@pytest.mark.parametrize(
    ("password", "word"),
    [("MyAdmin#2026", "admin"), ("Zz@Zongzhi-9", "zongzhi"), ("综治@2026ab", "综治")],
)
def test_a_password_made_of_the_platforms_name_is_refused(password: str, word: str) -> None:
    assert POLICY.problems(password) == [f"以系统名称 {word} 为主，容易被猜中，请换一个"]


@pytest.mark.parametrize(
    "password",
    [
        DEMO_PASSWORD,
        "Zz-Account-Admin-2026!",  # the platform's name among enough other letters
        "Badminton#2026",
        "Zz-New-Password-2027?",
        "Abcdefg1",
        PASSWORD,
    ],
)
def test_passwords_beside_the_common_ones_pass(password: str) -> None:
    assert POLICY.problems(password) == []


def test_the_exact_common_passwords_keep_their_message() -> None:
    assert POLICY.problems("Admin@123") == ["是最常见的密码之一，容易被猜中"]


def test_the_login_name_is_found_behind_look_alikes() -> None:
    assert POLICY.problems("W@ng.Wei-2026", "wang.wei") == ["包含用户名"]
    assert POLICY.problems("Zz#L1.Na-2026", "li.na") == ["包含用户名"]
    assert POLICY.problems("Zz#Li-Hua-2026", "wang.wei") == []


def _like_the_name(part: str) -> str:
    return f"与登录名 {part} 仅差大小写、数字或符号，请换一个"


@pytest.mark.parametrize(
    ("password", "username", "part"),
    [
        ("Analyst@2026", "analyst.530424", "analyst"),  # trial AN M5
        ("Commander#2026", "commander.county.530424", "commander"),
        ("2026!C0unty", "commander.county.530424", "county"),
        ("Gr1dw0rker@2026", "gridworker.530424", "gridworker"),
        ("Dispatcher2026!", "dispatcher.530424100", "dispatcher"),
        ("Wang@20261205", "wang_wei-7", "wang"),
        ("Auditor#1", "auditor.530424", "auditor"),
    ],
)
def test_a_word_of_the_login_name_is_refused_in_its_variants(
    password: str, username: str, part: str
) -> None:
    assert POLICY.problems(password, username) == [_like_the_name(part)]
    with pytest.raises(WeakPassword) as refused:
        POLICY.check(password, username)
    assert str(refused.value) == "密码不符合要求：" + _like_the_name(part)


def test_short_words_of_the_login_name_and_other_accounts_names_are_left_alone() -> None:
    assert POLICY.problems("Wei@2026x", "wang.wei") == []  # ``wei``: 3 letters only
    assert POLICY.problems("Analyst@2026", "commander.county.530424") == []
    assert POLICY.problems("Zz-Analyst-Desk-2026", "analyst.530424") == []  # among other words
    no_name_rule = accounts.PasswordPolicy(forbid_username=False)
    assert no_name_rule.problems("Analyst@2026", "analyst.530424") == []


def test_the_demo_accounts_may_keep_the_demo_password() -> None:
    """``make demo`` gives every account Demo@2026 through the policy (importers/demo/users.py)."""
    names = [
        "admin.530424",
        "auditor.530424",
        *(f"commander.{level}.530424" for level in ("province", "city", "county", "township")),
        "commander.village.530424",
        "dispatcher.530424100",
        "analyst.530424",
        "gridworker.530424",
        "department.530424",
        *(f"department.city.{key}.530424" for key, _ in CITY_DEPARTMENTS),
    ]
    for name in names:
        POLICY.check(DEMO_PASSWORD, name)


def test_a_handed_over_password_is_never_a_variant() -> None:
    for _ in range(200):
        assert POLICY.problems(accounts.generate_password()) == []


@pytest.fixture(scope="module")
def holder(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[str]:
    """An account of this module in county A (deleted afterwards)."""
    with Session(database.owner) as owner, owner.begin():
        accounts.create_user(
            owner,
            username=PREFIX + "holder",
            password=PASSWORD,
            role="commander",
            scope_code=COUNTY_A,
            display_name="密码测试",
        )
    yield PREFIX + "holder"
    with Session(database.owner) as owner, owner.begin():
        owner.execute(delete(User).where(User.username.startswith(PREFIX)))


def test_a_variant_is_refused_over_http_and_by_the_layer(
    api_client: TestClient, holder: str, db: Session
) -> None:
    client = TestClient(api_client.app)
    form = {"username": holder, "password": PASSWORD}
    token = client.post("/api/auth/token", data=form).json()["access_token"]
    refused = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "Admin@2026"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "密码不符合要求：" + _variant("admin")
    assert refused.json()["problems"] == [_variant("admin")]
    refused = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "H0lder@2026"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "密码不符合要求：" + _like_the_name("holder")
    with pytest.raises(WeakPassword):
        accounts.create_user(
            db,
            username=PREFIX + "weak",
            password="Password2",
            role="commander",
            scope_code=COUNTY_A,
            display_name="密码测试",
        )
