"""The cost of the argon2id password hash: the product's strong default, the knob, the rehash.

The suite hashes at the lightest cost argon2 accepts (``tests/conftest.py``); these tests check
that a deployment that sets nothing hashes at the strong default, that ``$ZONGZHI_ARGON2``
changes the cost a hash records, that a cost under OWASP's minimum is refused where passwords
are hashed unless ``$ZONGZHI_ARGON2_WEAK_OK`` is 1 (as the suite sets it), and that a login
whose hash records another cost is checked and rehashed at the configured one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from layers import accounts
from layers.errors import AuthenticationFailed
from layers.settings import (
    ARGON2_VARIABLE,
    ARGON2_WEAK_VARIABLE,
    Argon2Cost,
    Argon2CostRefused,
    Settings,
)
from tests.workflow_data import ensure_world, township

PASSWORD = "Zz-Argon2-Cost-2026!"
STRONG = "$argon2id$v=19$m=65536,t=3,p=4$"
"""How a hash at the product's default cost begins (argon2-cffi's and pwdlib's defaults)."""


def test_a_deployment_that_sets_nothing_hashes_at_the_strong_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ARGON2_VARIABLE, raising=False)
    assert Argon2Cost.from_env() == Argon2Cost() == Argon2Cost(65536, 3, 4)
    # password_hasher itself (not its copy cached for this process, at the suite's cost)
    hasher = accounts.password_hasher.__wrapped__()
    made = hasher.hash(PASSWORD)
    assert made.startswith(STRONG), made
    assert hasher.verify_and_update(PASSWORD, made) == (True, None), "checked, not rehashed"
    assert not hasher.verify(PASSWORD + "x", made)


def test_the_variable_sets_the_cost_a_hash_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ARGON2_VARIABLE, "m=16,t=2,p=2")
    assert Argon2Cost.from_env() == Argon2Cost(memory_kib=16, time_cost=2, parallelism=2)
    made = accounts.password_hasher.__wrapped__().hash(PASSWORD)
    assert made.startswith("$argon2id$v=19$m=16,t=2,p=2$"), made
    # whatever cost made it, any hasher checks a hash: the cost is read from the hash
    assert accounts.argon2_hasher(Argon2Cost()).verify(PASSWORD, made)
    for wrong in ("m=8,t=1", "m=4,t=1,p=1", "m=8,t=0,p=1", "m=8,t=1,p=1,x=2", "m=8;t=1;p=1"):
        monkeypatch.setenv(ARGON2_VARIABLE, wrong)
        with pytest.raises(ValueError, match=ARGON2_VARIABLE):
            accounts.password_hasher.__wrapped__()


def test_a_cost_under_owasp_s_minimum_is_refused_unless_tests_or_development_say_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The suite's m=8,t=1,p=1 copied to a server stops ``zongzhi serve`` reading its settings.

    The platform's other settings are read as before (``zongzhi db stop`` runs:
    ``tests/test_cli_argon2_refused.py``).
    """
    monkeypatch.delenv(ARGON2_WEAK_VARIABLE, raising=False)
    for weak in ("m=8,t=1,p=1", "m=19455,t=2,p=1", "m=19456,t=1,p=1", "m=40000,t=1,p=4"):
        monkeypatch.setenv(ARGON2_VARIABLE, weak)
        with pytest.raises(Argon2CostRefused) as refused:
            Argon2Cost.from_env()
        assert Settings.from_env().embedded  # not read there
        said = str(refused.value)
        assert said.startswith(f"${ARGON2_VARIABLE} 的密码哈希强度低于 OWASP 最低要求"), said
        assert f"{ARGON2_WEAK_VARIABLE}=1" in said and f"{weak} is below OWASP's minimum" in said
        with pytest.raises(ValueError, match="OWASP"):
            accounts.password_hasher.__wrapped__()
        with pytest.raises(ValueError, match="OWASP"):  # what ``zongzhi serve`` reads first
            ApiSettings.from_env()
    # OWASP's own profiles and the default pass; the flag lets the light cost through
    for strong in ("m=19456,t=2,p=1", "m=47104,t=1,p=1", "m=7168,t=5,p=1", "m=65536,t=3,p=4"):
        monkeypatch.setenv(ARGON2_VARIABLE, strong)
        assert Argon2Cost.from_env() == Argon2Cost.parse(strong)
    monkeypatch.setenv(ARGON2_VARIABLE, "m=8,t=1,p=1")
    for flag in ("0", "yes", ""):
        monkeypatch.setenv(ARGON2_WEAK_VARIABLE, flag)
        with pytest.raises(Argon2CostRefused, match="OWASP"):
            Argon2Cost.from_env()
    monkeypatch.setenv(ARGON2_WEAK_VARIABLE, "1")
    assert Argon2Cost.from_env() == Argon2Cost(memory_kib=8, time_cost=1, parallelism=1)


def test_a_login_whose_hash_has_another_cost_is_rehashed_at_the_configured_one(
    db: Session,
) -> None:
    ensure_world(db)
    other = accounts.argon2_hasher(Argon2Cost(memory_kib=64, time_cost=2, parallelism=1))
    configured = accounts.password_hasher()
    user = accounts.create_user(
        db,
        username="argon2.rehash",
        password=PASSWORD,
        role="dispatcher",
        scope_code=township(100),
        display_name="改哈希",
        password_hash=other.hash(PASSWORD),
    )
    assert configured.verify_and_update(PASSWORD, user.password_hash)[1] is not None
    now = datetime(2026, 12, 7, tzinfo=UTC)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(db, user.username, PASSWORD + "x", now=now)
    assert user.password_hash.startswith("$argon2id$v=19$m=64,t=2,p=1$"), "kept on a failure"
    logged_in = accounts.authenticate(db, user.username, PASSWORD, now=now)
    assert logged_in.id == user.id
    rehashed = logged_in.password_hash
    assert rehashed.startswith("$argon2id$") and not rehashed.startswith("$argon2id$v=19$m=64,")
    assert configured.verify_and_update(PASSWORD, rehashed) == (True, None), "at its cost now"
    assert accounts.authenticate(db, user.username, PASSWORD, now=now).password_hash == rehashed
