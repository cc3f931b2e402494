"""Who sees special-population records, and the leaks around the masking (trial S F1 F2 F4 F5 F13).

* F1: a department (部门处置人员) gets no persons layer (items, single items, tiles: 403 in
  Chinese; the console does not offer it); a province or city commander gets suppressed hexagon
  counts only; every OGC read of the layer is one audit entry (who, scope, how many).
* F2: the command feed gives an analyst no overdue-visit count below 3.
* F13: the heat map refuses cells below 0.002° and gives an analyst no cell of fewer than 3.
* F4: the unmask is a POST with the reason in the body; GET answers 405 without echoing;
  a reason must be a real (Chinese) reason.
* F5: the auditor filters the log by object and sees a person's masked name and category.
* Re-trial N1: a province or city commander whose account carries the unmask flag unmasks
  nobody (403 naming the levels), and ``/api/me`` does not offer it the right.
* Re-trial N2: a province or city commander (persons as counts only) gets no overdue-visit count
  below 3 either, from the command feed or the trends view.
"""
# ruff: noqa: F811

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import issue_token
from api.settings import ApiSettings
from layers import accounts, audit, command, command_map, trend_tables, trends
from layers.department_scope import COMMAND_VIEW_REFUSED
from layers.errors import InvalidInput
from layers.model import AuditEntry
from tests.api_fixtures import COUNTY_A, PROVINCE, ApiWorld, grid_box
from tests.browser import RecordedPage
from tests.conftest import SuiteDatabase
from tests.console_fixtures import ConsoleDemo, login
from tests.test_command import V1, world  # noqa: F401
from tests.workflow_data import CITY as WORKFLOW_CITY
from tests.workflow_data import COUNTY as WORKFLOW_COUNTY
from tests.workflow_data import NOW, actor, township
from tests.workflow_data import PROVINCE as WORKFLOW_PROVINCE
from web.maps import layer_config

Headers = Callable[[str], dict[str, str]]
ITEMS = "/ogc/collections/persons/items?limit=10000"


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The slippy-map tile holding a point."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def _person_tile(z: int) -> str:
    """Tile URL of the persons layer holding the first village's first person (grid 7)."""
    b = grid_box(0, 6)
    x, y = _tile((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, z)
    return f"/tiles/persons/{z}/{x}/{y}.mvt"


def _tile_features(body: bytes) -> list[dict[str, object]]:
    return list(mapbox_vector_tile.decode(body).get("persons", {"features": []})["features"])


def _layer_reads(database: SuiteDatabase, actor_name: str, after: int) -> list[AuditEntry]:
    with Session(database.owner) as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.action == audit.LAYER_READ,
                    AuditEntry.actor_name == actor_name,
                    AuditEntry.id > after,
                )
                .order_by(AuditEntry.id)
            )
        )


def _last_audit_id(database: SuiteDatabase) -> int:
    with Session(database.owner) as session:
        return int(session.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one())


def _in_scope_person(api_world: ApiWorld) -> int:
    return min(int(i) for i in api_world.in_scope("persons", "460105001001"))


# ---- F1: who reads the persons layer


def test_department_gets_no_persons_layer(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    headers = auth_headers("dept_a")
    # a department reads no map layer at all, only the cases sent to it (trial AQ S2)
    refused = COMMAND_VIEW_REFUSED
    items = api_client.get(ITEMS, headers=headers)
    assert items.status_code == 403 and items.json()["detail"] == refused
    one = api_client.get(
        f"/ogc/collections/persons/items/{_in_scope_person(api_world)}", headers=headers
    )
    assert one.status_code == 403
    for z in (12, 16):  # hexagon counts and points alike
        tile = api_client.get(_person_tile(z), headers=headers)
        assert tile.status_code == 403 and tile.json()["detail"] == refused
    for path in ("/ogc/collections", "/ogc/collections/cases/items"):
        got = api_client.get(path, headers=headers)
        assert got.status_code == 403 and got.json()["detail"] == refused, path


def test_department_gets_no_visit_counts_in_the_trends(
    api_client: TestClient, auth_headers: Headers
) -> None:
    """A department counts no special-population persons at all: it reads no trends (AQ S2)."""
    withheld = api_client.get(f"/api/trends/{COUNTY_A}/visits", headers=auth_headers("dept_a"))
    assert withheld.status_code == 403
    assert withheld.json()["detail"] == COMMAND_VIEW_REFUSED
    counted = api_client.get(f"/api/trends/{COUNTY_A}/visits", headers=auth_headers("analyst_a"))
    # counted, not withheld: the grids of 3 or more overdue are listed; a total of 0, 1 or 2 is
    # not given (trial AJ M3)
    assert counted.status_code == 200 and counted.json()["overdue"] is None
    assert counted.json()["listed_from"] == 3 and "withheld" not in counted.json()


def test_console_does_not_offer_the_layer_to_a_department() -> None:
    persons = next(layer for layer in layer_config() if layer["id"] == "persons")
    assert "department" not in persons["feature_roles"] + persons["aggregate_roles"]
    assert set(persons["feature_roles"]) == {"commander", "dispatcher", "grid_worker"}
    assert persons["aggregate_roles"] == ["analyst"] and persons["feature_from_level"] == 3


@pytest.mark.parametrize("key", ["cmd_city", "cmd_province"])
def test_wide_scopes_get_suppressed_counts_only(
    key: str, api_client: TestClient, auth_headers: Headers
) -> None:
    items = api_client.get(ITEMS, headers=auth_headers(key))
    assert items.status_code == 403 and "只能查看图层“特殊人群”的汇总数" in items.json()["detail"]
    for z in (12, 16):
        tile = api_client.get(_person_tile(z), headers=auth_headers(key))
        assert tile.status_code == 200
        features = _tile_features(tile.content)
        # two persons per village: every hexagon holds fewer than 3, all suppressed
        assert features == []
    # the county commander sees the same persons as hexagons of 1 and as points
    county = _tile_features(api_client.get(_person_tile(12), headers=auth_headers("cmd_a")).content)
    assert county and all(f["properties"] == {"count": 1} for f in county)
    points = _tile_features(api_client.get(_person_tile(16), headers=auth_headers("cmd_a")).content)
    assert points and "category" in points[0]["properties"]


@pytest.mark.parametrize("key", ["cmd_a", "disp_a1", "cmd_village", "worker_v0"])
def test_visiting_roles_read_the_features(
    key: str, api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    body = api_client.get(ITEMS, headers=auth_headers(key)).json()
    scope = api_world.users[key].scope_code
    assert {str(f["id"]) for f in body["features"]} >= api_world.in_scope("persons", scope)


def test_each_read_of_the_persons_layer_is_audited(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    user = api_world.users["disp_a1"]
    headers = auth_headers("disp_a1")
    before = _last_audit_id(database)
    page = api_client.get(ITEMS + "&bbox=100,10,120,30", headers=headers).json()
    person = _in_scope_person(api_world)
    assert api_client.get(f"/ogc/collections/persons/items/{person}", headers=headers).is_success
    # other layers are not audited reads (the persons' tiles: the test below)
    assert api_client.get("/ogc/collections/grids/items", headers=headers).status_code == 200
    reads = _layer_reads(database, user.username, before)
    assert [(e.object_type, e.object_id) for e in reads] == [
        ("layer", "persons"),
        ("person", str(person)),
    ]
    assert reads[0].actor_id == user.id and reads[0].outcome == "ok"
    assert reads[0].detail == {
        "collection": "persons",
        "scope_code": user.scope_code,
        "returned": len(page["features"]),
        "matched": page["numberMatched"],
        "bbox": [100.0, 10.0, 120.0, 30.0],
    }
    assert reads[1].detail is not None and reads[1].detail["returned"] == 1
    written = " ".join(str(e.detail) for e in reads)
    for pid in api_world.in_scope("persons", user.scope_code):
        assert api_world.names[int(pid)] not in written
        assert api_world.resident_ids[int(pid)][-4:] not in written


def test_an_area_of_persons_points_on_the_map_is_audited_once_per_user(
    api_settings: ApiSettings, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    """A map view is a dozen tiles: each user's first read of a 4×4 block of them is entered."""
    b = grid_box(0, 6)
    x, y = _tile((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, 16)
    block = (x // 4 * 4, y // 4 * 4)
    inside = [(x, y), (block[0], block[1]), (block[0] + 3, block[1] + 3)]
    users = {key: api_world.users[key] for key in ("disp_a1", "cmd_a", "cmd_city")}
    before = _last_audit_id(database)
    with TestClient(create_app(api_settings)) as client:  # a process that has read nothing yet

        def read(key: str, z: int, tx: int, ty: int) -> None:
            got = client.get(f"/tiles/persons/{z}/{tx}/{ty}.mvt", headers=auth_headers(key))
            assert got.status_code == 200

        for tx, ty in inside:
            read("disp_a1", 16, tx, ty)
        entered = _layer_reads(database, users["disp_a1"].username, before)
        assert [(e.object_type, e.object_id) for e in entered] == [("layer", "persons")]
        detail = entered[0].detail or {}
        assert (detail["collection"], detail["scope_code"], detail["zoom"]) == (
            "persons",
            users["disp_a1"].scope_code,
            16,
        )
        west, south, east, north = detail["bbox"]
        lon, lat = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        assert west < lon < east and south < lat < north
        assert east - west == pytest.approx(4 * 360 / 2**16, abs=1e-6)
        read("disp_a1", 16, block[0] + 4, block[1])  # the next block: entered too
        read("disp_a1", 12, x // 16, y // 16)  # hexagon counts: not a read of persons
        read("cmd_a", 16, x, y)  # another user: an entry of their own
        read("cmd_city", 16, x, y)  # a city sees suppressed counts only: not entered
        reads = _layer_reads(database, users["disp_a1"].username, before)
        boxes = [e.detail["bbox"][0] for e in reads if e.detail]
        assert boxes == [west, pytest.approx(east, abs=1e-6)]
        assert len(_layer_reads(database, users["cmd_a"].username, before)) == 1
        assert _layer_reads(database, users["cmd_city"].username, before) == []


# ---- F2: the command feed's overdue visits for analysts


def test_analyst_gets_no_small_overdue_visit_counts(world: Session) -> None:
    def overdue(role: str, code: str) -> list[int | None]:
        feed = command.feed(world, code, actor=actor(role, township()), now=NOW)
        return [feed["unit"]["kpis"]["overdue_visits"]] + [
            c["kpis"]["overdue_visits"] for c in feed["children"]
        ]

    assert 2 in overdue("dispatcher", township()) and 2 in overdue("dispatcher", V1)
    for code in (township(), V1):
        counts = overdue("analyst", code)
        assert None in counts
        assert all(n is None or n == 0 or n >= 3 for n in counts)
        # a department, which has no business with these persons, gets no count at all
        assert set(overdue("department", code)) == {None}


def _small(counts: list[int | None]) -> list[int | None]:
    return [n for n in counts if n is not None and 0 < n < 3]


@pytest.mark.parametrize("scope", [WORKFLOW_CITY, WORKFLOW_PROVINCE])
def test_wide_commanders_get_no_small_overdue_visit_counts(world: Session, scope: str) -> None:
    def overdue(who: str, code: str) -> list[int | None]:
        feed = command.feed(world, code, actor=actor("commander", who), now=NOW)
        return [feed["unit"]["kpis"]["overdue_visits"]] + [
            c["kpis"]["overdue_visits"] for c in feed["children"]
        ]

    for code in (township(), V1):
        assert _small(overdue(WORKFLOW_COUNTY, code))  # the county commander sees the 2s
        counts = overdue(scope, code)
        assert None in counts and not _small(counts)


def _visit_counts(body: dict[str, object]) -> list[int | None]:
    grids = body["grids"]
    assert isinstance(grids, list)
    counts = [body["total"], body["overdue"]]
    return counts + [g[k] for g in grids for k in ("persons", "overdue")]


@pytest.mark.parametrize("scope", [WORKFLOW_CITY, WORKFLOW_PROVINCE])
def test_wide_commanders_get_no_small_counts_in_the_visits_trend(
    world: Session, scope: str
) -> None:
    def visits(who: str, role: str = "commander") -> list[int | None]:
        min_count = trends.min_count_for(actor(role, who))  # as the trends view asks
        return _visit_counts(
            trend_tables.overdue_visits(world, township(), now=NOW, min_count=min_count)
        )

    assert _small(visits(WORKFLOW_COUNTY))  # the county commander sees the 1s and 2s
    for counts in (visits(scope), visits(WORKFLOW_COUNTY, "analyst")):
        assert None in counts and not _small(counts)


# ---- F13: the heat map


def test_heat_cells_have_a_floor_and_analysts_no_small_counts(world: Session) -> None:
    with pytest.raises(InvalidInput, match="0.002"):
        command_map.heat_points(
            world, township(), actor=actor("dispatcher", township()), now=NOW, cell_deg=0.0001
        )
    desk = command_map.heat_points(
        world, township(), actor=actor("dispatcher", township()), now=NOW, cell_deg=0.002
    )
    assert any(n < 3 for _, _, n in desk)
    analyst = command_map.heat_points(
        world, township(), actor=actor("analyst", township()), now=NOW, cell_deg=0.002
    )
    assert all(n >= 3 for _, _, n in analyst)
    big = command_map.heat_points(
        world, township(), actor=actor("analyst", township()), now=NOW, cell_deg=0.5
    )
    assert sum(n for _, _, n in big) == sum(n for _, _, n in desk)


def test_heat_endpoint_refuses_small_cells(api_client: TestClient, auth_headers: Headers) -> None:
    for key in ("analyst_a", "cmd_a"):
        small = api_client.get(
            f"/api/console/{COUNTY_A}/heat?cell=0.00001", headers=auth_headers(key)
        )
        assert small.status_code == 422 and "热力图单元边长" in small.json()["detail"]
    ok = api_client.get(f"/api/console/{COUNTY_A}/heat?cell=0.002", headers=auth_headers("cmd_a"))
    assert ok.status_code == 200 and ok.json()
    analyst = api_client.get(
        f"/api/console/{COUNTY_A}/heat?cell=0.002&days=3660", headers=auth_headers("analyst_a")
    )
    assert analyst.status_code == 200 and all(n >= 3 for _, _, n in analyst.json())


# ---- F4: the unmask


def test_unmask_by_get_is_refused_without_echo(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    person = _in_scope_person(api_world)
    reason = "核实" + api_world.names[person] + "身份"
    got = api_client.get(
        f"/api/persons/{person}/unmasked",
        params={"reason": reason},
        headers=auth_headers("cmd_a_unmask"),
    )
    assert got.status_code == 405 and got.headers["allow"] == "POST"
    assert "POST" in got.json()["detail"] and api_world.names[person] not in got.text


@pytest.mark.parametrize(
    "reason",
    [
        "核实",
        "aaaa",
        "1234",
        "....",
        "，，，，",
        "啊啊啊啊",
        "测试测试",
        "随便看看",
        "测试一下测试一下",
        "check the id",
        "核实530424197001012010",
    ],
)
def test_unmask_refuses_reasons_that_are_no_reasons(
    reason: str,
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    database: SuiteDatabase,
) -> None:
    person = _in_scope_person(api_world)
    before = _last_audit_id(database)
    refused = api_client.post(
        f"/api/persons/{person}/unmasked",
        json={"reason": reason},
        headers=auth_headers("cmd_a_unmask"),
    )
    assert refused.status_code == 422 and "事由" in refused.json()["detail"]
    assert api_world.names[person] not in refused.text and reason not in refused.json()["detail"]
    with Session(database.owner) as session:
        rows = session.execute(
            text(
                "SELECT outcome, reason FROM audit_log WHERE id > :b AND action = 'person.unmask'"
                " AND actor_name = :a"
            ),
            {"b": before, "a": api_world.users["cmd_a_unmask"].username},
        ).all()
    assert [r.outcome for r in rows] == ["denied"]
    assert "530424197001012010" not in str(rows[0].reason)


def test_check_reason_accepts_a_chinese_reason() -> None:
    assert audit.check_reason(" 入户走访核对身份 ") == "入户走访核对身份"
    assert audit.check_reason("12345热线回访") == "12345热线回访"
    with pytest.raises(InvalidInput):
        audit.check_reason("ABCD-1234")


def _flagged_province_commander(database: SuiteDatabase, api_settings: ApiSettings) -> str:
    """A province commander whose account carries the unmask flag (set before the rule)."""
    with Session(database.owner) as session, session.begin():
        user_id = session.scalar(text("SELECT id FROM users WHERE username = 'pex_province_flag'"))
        if user_id is None:
            user_id = accounts.create_user(
                session,
                username="pex_province_flag",
                password="Zz-Province-Flag-2026!",
                role="commander",
                scope_code=PROVINCE,
                display_name="省级值班员",
            ).id
        session.execute(text("UPDATE users SET can_unmask = true WHERE id = :i"), {"i": user_id})
    return issue_token(api_settings, int(user_id), now=datetime.now(UTC)).token


def test_a_province_commander_with_a_void_flag_unmasks_nobody(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    api_settings: ApiSettings,
    database: SuiteDatabase,
) -> None:
    headers = {"Authorization": f"Bearer {_flagged_province_commander(database, api_settings)}"}
    me = api_client.get("/api/me", headers=headers)
    assert me.status_code == 200 and me.json()["can_unmask"] is False
    assert api_client.get("/api/me", headers=auth_headers("cmd_a_unmask")).json()["can_unmask"]
    person = _in_scope_person(api_world)
    refused = api_client.post(
        f"/api/persons/{person}/unmasked", json={"reason": "核实走访对象身份"}, headers=headers
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"].startswith("省级账号不能查看个人信息明文")
    assert "县、乡镇、村社区" in refused.json()["detail"]
    assert api_world.names[person] not in refused.text
    assert api_world.resident_ids[person] not in refused.text


# ---- F5: the auditor's view of a person


def test_auditor_finds_who_read_a_person(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    person = _in_scope_person(api_world)
    name = api_world.names[person]
    unmasked = api_client.post(
        f"/api/persons/{person}/unmasked",
        json={"reason": "核查走访记录"},
        headers=auth_headers("cmd_a_unmask"),
    )
    assert unmasked.status_code == 200
    assert api_client.get(
        f"/ogc/collections/persons/items/{person}", headers=auth_headers("cmd_a")
    ).is_success
    found = api_client.get(
        "/api/audit",
        params={"object_type": "person", "object_id": str(person), "limit": 1000},
        headers=auth_headers("auditor"),
    )
    assert found.status_code == 200
    entries = found.json()["entries"]
    assert {(e["object_type"], e["object_id"]) for e in entries} == {("person", str(person))}
    actions = {(e["actor_name"], e["action"], e["outcome"]) for e in entries}
    assert (api_world.users["cmd_a_unmask"].username, "person.unmask", "ok") in actions
    assert (api_world.users["cmd_a"].username, "layer.read", "ok") in actions
    label = entries[0]["object_label"]
    assert label == {
        "name_masked": name[0] + "*" * (len(name) - 1),
        "category": "released",
        "category_label": "刑满释放人员",
        "erased": False,
        "import_id": None,  # the world's persons were not imported
    }
    assert name not in found.text and api_world.resident_ids[person] not in found.text
    # other entries carry no label; the commander may not read the log
    logins = api_client.get(
        "/api/audit", params={"action": "login", "limit": 5}, headers=auth_headers("auditor")
    ).json()["entries"]
    assert all(e["object_label"] is None for e in logins)
    assert api_client.get("/api/audit", headers=auth_headers("cmd_a")).status_code == 403


def test_auditor_finds_a_person_by_resident_id_and_the_search_is_audited(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    """A citizen asks who read their record: the auditor has their ID, not the record's id."""
    person = _in_scope_person(api_world)
    number = api_world.resident_ids[person]
    typed = " ".join((number[:6], number[6:14], number[14:].lower()))  # as a form groups it
    found = api_client.post(
        "/api/audit/person-lookup", json={"resident_id": typed}, headers=auth_headers("auditor")
    )
    assert found.status_code == 200, found.text
    assert [p["id"] for p in found.json()] == [str(person)]
    assert found.json()[0]["object_label"]["category"] == "released"
    assert number not in found.text and api_world.names[person] not in found.text
    searched = api_client.get(
        "/api/audit",
        params={"action": audit.LOOKUP_ACTION, "limit": 1},
        headers=auth_headers("auditor"),
    ).json()["entries"][0]
    assert (searched["actor_name"], searched["object_id"]) == (
        api_world.users["auditor"].username,
        str(person),
    )
    assert searched["detail"] == {"found": 1, "person_ids": [str(person)]}
    assert number not in str(searched)
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    refused = api_client.post(
        "/api/audit/person-lookup", json={"resident_id": bad}, headers=auth_headers("auditor")
    )
    assert refused.status_code == 422 and "身份证号无效" in refused.text
    assert (
        api_client.post(
            "/api/audit/person-lookup", json={"resident_id": typed}, headers=auth_headers("cmd_a")
        ).status_code
        == 403
    )
    get = api_client.get("/api/audit/person-lookup", headers=auth_headers("auditor"))
    assert get.status_code == 405  # never an ID in a URL


# ---- the console's layer list (browser)

DEMO_COUNTY = "530424000000"
DEMO_CITY = "530400000000"


def _open_console(page: RecordedPage, demo: ConsoleDemo, username: str) -> None:
    login(page, demo.origin, username)
    page.goto(f"{demo.origin}/console/{DEMO_COUNTY}")
    page.wait_for_function("window.zzReady === true")


@pytest.mark.browser
def test_console_offers_no_persons_layer_to_a_department(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    # a department has no command console at all: it is sent to its own desk (trial AQ M1)
    login(page, console_demo.origin, console_demo.username("department", DEMO_COUNTY))
    page.goto(f"{console_demo.origin}/console/{DEMO_COUNTY}")
    page.wait_for_url(f"**/desk/{DEMO_COUNTY}")
    page.wait_for_function("window.zzReady === true")
    expect(page.locator('[data-layer="cases"]')).to_have_count(0)
    expect(page.locator('[data-layer="persons"]')).to_have_count(0)
    # the console's own requests the API refuses a department, before it is sent on
    refused = (r"status of 403 .*/api/(command|console)/",)
    page.assert_clean(console_demo.origin, expected_errors=refused)


@pytest.mark.browser
def test_console_shows_a_city_commander_person_counts_only(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    _open_console(page, console_demo, console_demo.username("commander", DEMO_CITY))
    # the layer panel starts folded up to 1366 px wide and on the big screen (trial AM N6, N7)
    page.evaluate("document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()")
    page.locator('[data-layer="persons"] input').check()
    page.evaluate("() => { const c = zzMap.getCenter(); zzMap.setView(c, 17, {animate: false}); }")
    page.wait_for_function("zzCommand.layers.persons.mode === 'hexagons'")
    expect(page.locator('[data-layer="persons"] .zz-layer-hint')).to_have_text("仅汇总")
    page.assert_clean(console_demo.origin)
