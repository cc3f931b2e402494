# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""The deployment's ``$ZONGZHI_HOME/deadlines.toml`` reaches the server's case deadlines.

Cases are registered and triaged over HTTP against the suite's PostGIS by apps whose platform
home holds (or does not hold) a ``deadlines.toml``; the committed township 520424300 of
:mod:`tests.workflow_data` is purged when the module ends.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import issue_token
from api.settings import ApiSettings
from layers import deadlines
from layers.deadlines import DeadlineConfigError
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    add_user,
    ensure_world,
    purge_world,
    township,
    village,
)

TOWN = township(300)
V1 = village(300, 1)
CONFIG = "[default]\nclose_days = 10\n[risk.1]\nclose_days = 3\n"
Headers = dict[str, str]


@pytest.fixture(scope="module")
def dispatcher(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
        user_id = add_user(owner, username="dl_disp", role="dispatcher", scope_code=TOWN)
    token = issue_token(api_settings, user_id, now=datetime.now(UTC))
    yield {"Authorization": f"Bearer {token.token}"}
    with Session(database.owner) as owner, owner.begin():
        purge_world(owner)


@pytest.fixture
def client_at(api_settings: ApiSettings) -> Iterator[Callable[[Path], TestClient]]:
    """Return ``open(home)``: a running app whose platform home is ``home``."""
    opened: list[TestClient] = []

    def open_app(home: Path) -> TestClient:
        settings = replace(
            api_settings, database=replace(api_settings.database, home=home), cache_mb=0
        )
        client = TestClient(create_app(settings, plugins=False))
        client.__enter__()
        opened.append(client)
        return client

    yield open_app
    for client in opened:
        client.__exit__(None, None, None)


def register(
    client: TestClient, headers: Headers, *, reported_at: datetime, risk_level: int = 4
) -> dict[str, Any]:
    body = {
        "channel": "walk_in",
        "category": "dispute",
        "subcategory": "neighbours",
        "title": "邻里噪音",
        # by its village, with no point: never linked as a repeat of another test's case (a
        # made-up subcategory of its own is refused now, trial AU m1)
        "area_code": V1,
        "risk_level": risk_level,
        "reported_at": reported_at.isoformat(),
    }
    response = client.post("/api/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def days_until(case: dict[str, Any], field: str = "deadline") -> float:
    span = datetime.fromisoformat(case[field]) - datetime.fromisoformat(case["reported_at"])
    return span / timedelta(days=1)


def triage(client: TestClient, headers: Headers, case: dict[str, Any], risk: int) -> Any:
    response = client.post(
        f"/api/cases/{case['id']}/actions/triage",
        json={"version": case["version"], "params": {"risk_level": risk}},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def write(path: Path, text: str) -> None:
    """Write ``text`` and move the modification time on (a rewrite within one clock tick)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    stamp = max(path.stat().st_mtime_ns, before + 1_000_000)
    os.utime(path, ns=(stamp, stamp))


# ------------------------------------------------------------------ over HTTP, real PostGIS


def test_registration_and_triage_follow_the_deployment_file(
    client_at: Callable[[Path], TestClient], dispatcher: Headers, tmp_path: Path
) -> None:
    (tmp_path / "deadlines.toml").write_text(CONFIG, encoding="utf-8")
    client = client_at(tmp_path)
    reported = datetime.now(UTC) - timedelta(hours=1)
    case = register(client, dispatcher, reported_at=reported)
    assert datetime.fromisoformat(case["deadline"]) == reported + timedelta(days=10)
    assert days_until(case, "contact_deadline") == 2  # not in the file: built-in
    red = register(client, dispatcher, reported_at=reported, risk_level=1)
    assert days_until(red) == 3
    assert days_until(red, "contact_deadline") == 2 / 24  # built-in: 2 hours (trial AZ M7)
    # triage recomputes with the file: red 3 days; orange keeps 10 (built-in 15 cannot lengthen)
    triaged = triage(client, dispatcher, case, 1)
    assert triaged["risk_level"] == 1 and days_until(triaged) == 3
    again = triage(client, dispatcher, red, 2)
    assert days_until(again) == 10 and days_until(again, "contact_deadline") == 1
    stored = client.get(f"/api/cases/{case['id']}", headers=dispatcher).json()
    assert datetime.fromisoformat(stored["deadline"]) == reported + timedelta(days=3)


def test_without_the_file_the_built_in_limits_hold(
    client_at: Callable[[Path], TestClient], dispatcher: Headers, tmp_path: Path
) -> None:
    client = client_at(tmp_path)
    reported = datetime.now(UTC) - timedelta(hours=1)
    case = register(client, dispatcher, reported_at=reported)
    assert days_until(case) == 30 and days_until(case, "contact_deadline") == 2
    assert days_until(register(client, dispatcher, reported_at=reported, risk_level=1)) == 7
    assert days_until(triage(client, dispatcher, case, 2)) == 15


def test_deadline_status_follows_the_configured_warn_fraction(
    client_at: Callable[[Path], TestClient], dispatcher: Headers, tmp_path: Path
) -> None:
    configured_home, plain_home = tmp_path / "configured", tmp_path / "plain"
    configured_home.mkdir()
    plain_home.mkdir()
    (configured_home / "deadlines.toml").write_text(
        "warn_fraction = 0.5\n[default]\nclose_days = 10\n", encoding="utf-8"
    )
    configured, plain = client_at(configured_home), client_at(plain_home)
    # 6 of 10 days gone: in the last half (warning at 0.5), not in the last fifth (0.2)
    case = register(configured, dispatcher, reported_at=datetime.now(UTC) - timedelta(days=6))
    assert days_until(case) == 10
    assert case["deadline_status"] == "warning"
    url = f"/api/cases/{case['id']}"
    assert configured.get(url, headers=dispatcher).json()["deadline_status"] == "warning"
    assert plain.get(url, headers=dispatcher).json()["deadline_status"] == "ok"

    def in_queue(client: TestClient, field: str = "deadline_status") -> Any:
        found = client.get("/api/cases", params={"code": TOWN}, headers=dispatcher).json()
        return next(c[field] for c in found if c["id"] == case["id"])

    def in_feed(client: TestClient, field: str = "deadline_status") -> Any:
        feed = client.get(f"/api/command/{TOWN}", headers=dispatcher)
        assert feed.status_code == 200, feed.text
        return next(c[field] for c in feed.json()["queue"] if c["id"] == case["id"])

    assert (in_queue(configured), in_queue(plain)) == ("warning", "ok")
    assert (in_feed(configured), in_feed(plain)) == ("warning", "ok")
    # the console colours its countdowns (临期) from the same moment: half-way, or at 8 days
    assert days_until(case, "deadline_warn_at") == 5
    for read in (in_queue, in_feed):
        assert days_until({**case, "w": read(configured, "deadline_warn_at")}, "w") == 5
        assert days_until({**case, "w": read(plain, "deadline_warn_at")}, "w") == 8
    # an action's answer carries the configured status too (triage keeps the 10 days)
    acted = configured.post(
        f"{url}/actions/triage", json={"version": case["version"]}, headers=dispatcher
    )
    assert acted.status_code == 200, acted.text
    assert days_until(acted.json()) == 10 and acted.json()["deadline_status"] == "warning"


def test_an_edit_applies_from_the_next_request(
    client_at: Callable[[Path], TestClient],
    dispatcher: Headers,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "deadlines.toml"
    write(path, CONFIG)
    client = client_at(tmp_path)
    reported = datetime.now(UTC) - timedelta(hours=1)
    assert days_until(register(client, dispatcher, reported_at=reported)) == 10
    write(path, "[default]\nclose_days = 12\n")
    assert days_until(register(client, dispatcher, reported_at=reported)) == 12
    # a broken edit: logged with the file's name, the limits read before stay
    write(path, "[default]\nclose_days = twelve\n")
    with caplog.at_level(logging.ERROR, logger="layers.deadlines"):
        assert days_until(register(client, dispatcher, reported_at=reported)) == 12
        assert days_until(register(client, dispatcher, reported_at=reported)) == 12
    reports = [r.getMessage() for r in caplog.records if r.name == "layers.deadlines"]
    assert len(reports) == 1 and str(path) in reports[0] and "not valid TOML" in reports[0]
    # corrected, then removed
    write(path, "[default]\nclose_days = 9\n")
    assert days_until(register(client, dispatcher, reported_at=reported)) == 9
    path.unlink()
    assert days_until(register(client, dispatcher, reported_at=reported)) == 30


BROKEN = {
    "syntax": ("[default\nclose_days = 10\n", "not valid TOML"),
    "text for a number": ('[default]\nclose_days = "ten"\n', "[default] close_days must be"),
    "unknown category": (
        "[category.safty_hazard]\nclose_days = 10\n",
        "[category.safty_hazard]: unknown category; known: dispute, safety_hazard",
    ),
    "unknown risk level": ("[risk.5]\nclose_days = 1\n", "[risk.5]: unknown risk level"),
    "misspelt key": ("[default]\nclose_day = 10\n", "[default] unknown key 'close_day'"),
    "misspelt section": ("[defaults]\nclose_days = 10\n", "unknown setting 'defaults'"),
    "zero days": ("[risk.1]\ncontact_days = 0\n", "[risk.1] contact_days must be"),
    "zero hours": (
        "[risk.2]\ncontact_hours = 0\n",
        "[risk.2] contact_hours must be a number of hours",
    ),
    "days and hours": (
        "[risk.1]\ncontact_days = 1\ncontact_hours = 2\n",
        "[risk.1] gives both contact_days and contact_hours",
    ),
    "warn fraction": ("warn_fraction = 20\n", "warn_fraction must be a number in [0, 1)"),
    "accept minutes not whole": (
        "[risk.1]\naccept_minutes = 7.5\n",
        "[risk.1] accept_minutes must be a whole number of minutes in [1, 1440], got 7.5",
    ),
    "accept minutes zero": ("[risk.2]\naccept_minutes = 0\n", "[risk.2] accept_minutes must be"),
    "accept minutes as text": ('[risk.3]\naccept_minutes = "15"\n', "accept_minutes must be"),
    "accept minutes over a day": ("[risk.4]\naccept_minutes = 1441\n", "in [1, 1440]"),
    "accept minutes by default": (
        "[default]\naccept_minutes = 20\n",
        "[default] accept_minutes is set per risk level, in a [risk.N] section",
    ),
    "accept minutes by category": (
        "[category.dispute]\naccept_minutes = 20\n",
        "[category.dispute] accept_minutes is set per risk level",
    ),
    "misspelt accept key": (
        "[risk.1]\naccept_minute = 10\n",
        "[risk.1] unknown key 'accept_minute'; expected contact_days or close_days or "
        "contact_hours or close_hours or accept_minutes",
    ),
    "not a table": ("default = 10\n", "[default] must be a table"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_stops_the_server_at_start_up(
    name: str, api_settings: ApiSettings, tmp_path: Path
) -> None:
    text, message = BROKEN[name]
    path = tmp_path / "deadlines.toml"
    path.write_text(text, encoding="utf-8")
    settings = replace(api_settings, database=replace(api_settings.database, home=tmp_path))
    with pytest.raises(DeadlineConfigError) as raised:
        with TestClient(create_app(settings, plugins=False)):
            pass  # pragma: no cover - never served
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


# ------------------------------------------------------------------ the file on its own


def test_limits_may_be_given_in_hours(tmp_path: Path) -> None:
    """Trial AZ M7: an emergency's limit is hours, not half a day; a centre sets its own."""
    # built in: a red case is contacted within 2 hours, the others keep their days
    assert deadlines.limits_for("dispute", 1).contact == timedelta(hours=2)
    assert deadlines.limits_for("dispute", 2).contact == timedelta(days=1)
    assert deadlines.limits_for("dispute", 4).contact == timedelta(days=2)
    path = tmp_path / "deadlines.toml"
    write(path, "[risk.2]\ncontact_hours = 6\n[category.dispute]\nclose_hours = 36\n")
    config = deadlines.load(path)
    assert deadlines.limits_for("dispute", 2, config).contact == timedelta(hours=6)
    assert deadlines.limits_for("dispute", 4, config).close == timedelta(hours=36)
    # a file's limit in days replaces a built-in one in hours
    write(path, "[risk.1]\ncontact_days = 0.5\n")
    assert deadlines.limits_for("dispute", 1, deadlines.load(path)).contact == timedelta(hours=12)


def test_for_deployment_reads_the_file_again_only_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "deadlines.toml"
    assert deadlines.for_deployment(tmp_path) == deadlines.load(None)
    write(path, CONFIG)
    first = deadlines.for_deployment(tmp_path)
    assert first["default"]["close_days"] == 10 and first["risk"]["1"]["close_days"] == 3
    assert first["risk"]["2"]["close_days"] == 15  # the built-in rest kept
    assert deadlines.for_deployment(tmp_path) is first  # unchanged: not read again
    write(path, CONFIG.replace("10", "11"))
    assert deadlines.for_deployment(tmp_path)["default"]["close_days"] == 11


def test_status_uses_the_warn_fraction_of_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "deadlines.toml").write_text("warn_fraction = 0.5\n", encoding="utf-8")
    config = deadlines.for_deployment(tmp_path)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=10)
    now = start + timedelta(days=6)
    assert deadlines.status(start, end, now=now, config=config) == "warning"
    assert deadlines.status(start, end, now=now) == "ok"  # built-in 0.2
    assert deadlines.status(start, end, now=now, warn=0.3, config=config) == "ok"  # explicit wins


def test_the_acceptance_limits_are_read_from_the_file(tmp_path: Path) -> None:
    """已派单 N 分钟未受理 after the deployment's minutes (trial AZ M7), the rest built in."""
    assert deadlines.load(None)["accept_minutes"] == {1: 15, 2: 30, 3: 60, 4: 60}
    path = tmp_path / "deadlines.toml"
    write(path, "[risk.1]\naccept_minutes = 10\ncontact_hours = 1\n[risk.4]\naccept_minutes = 5\n")
    config = deadlines.load(path)
    assert config["accept_minutes"] == {1: 10, 2: 30, 3: 60, 4: 5}
    assert deadlines.limits_for("dispute", 1, config).contact == timedelta(hours=1)
    assert deadlines.accept_limit(4, config["accept_minutes"]) == timedelta(minutes=5)
    assert deadlines.accept_limit(4) == timedelta(minutes=60)  # the built-in untouched


def test_a_dispatch_waits_for_its_acceptance_as_long_as_the_file_says(
    client_at: Callable[[Path], TestClient],
    dispatcher: Headers,
    database: SuiteDatabase,
    tmp_path: Path,
) -> None:
    """A blue case's dispatch is late after the file's 5 minutes, not the built-in hour."""
    configured_home, plain_home = tmp_path / "configured", tmp_path / "plain"
    configured_home.mkdir()
    plain_home.mkdir()
    (configured_home / "deadlines.toml").write_text(
        "[risk.4]\naccept_minutes = 5\n", encoding="utf-8"
    )
    configured, plain = client_at(configured_home), client_at(plain_home)
    case = register(configured, dispatcher, reported_at=datetime.now(UTC) - timedelta(hours=1))
    case = triage(configured, dispatcher, case, 4)
    sent = configured.post(
        f"/api/cases/{case['id']}/dispatch",
        json={"unit_code": V1, "version": case["version"]},
        headers=dispatcher,
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["latest"]["awaiting"]["limit_minutes"] == 5
    with database.owner.begin() as conn:  # dispatched 6 minutes ago
        conn.execute(
            text(
                "UPDATE dispatches SET assigned_at = now() - interval '6 minutes'"
                " WHERE case_id = :c AND status = 'assigned'"
            ),
            {"c": case["id"]},
        )

    def first_in_queue(client: TestClient) -> dict[str, Any]:
        found = client.get(
            "/api/cases", params={"code": TOWN, "stage": "queue"}, headers=dispatcher
        )
        assert found.status_code == 200, found.text
        return found.json()[0]  # type: ignore[no-any-return]

    late = first_in_queue(configured)
    assert late["id"] == case["id"] and late["latest"]["awaiting"]["limit_minutes"] == 5
    since = datetime.fromisoformat(late["latest"]["awaiting"]["since"])
    assert datetime.fromisoformat(late["latest"]["awaiting"]["late_at"]) == since + timedelta(
        minutes=5
    )
    # the same case read by an app without the file: an hour to wait, not late yet
    read = plain.get(f"/api/cases/{case['id']}", headers=dispatcher).json()
    assert read["latest"]["awaiting"]["limit_minutes"] == 60
    feed = configured.get(f"/api/command/{TOWN}", headers=dispatcher).json()
    assert feed["queue"][0]["id"] == case["id"]
    assert feed["queue"][0]["awaiting"]["limit_minutes"] == 5
