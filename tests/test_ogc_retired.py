"""OGC API – Features: a retired grid or jurisdiction answers 404 pointing to its successor.

A re-division in 甘州区 retired grids and villages (in a database of its own: the retirements
are committed). A retired unit's item is no current feature (404), but its body says, in
Chinese, when it was retired and which unit succeeded it, and a ``Link`` header with
``rel="successor-version"`` (RFC 5829) leads to the live successor, followed through chains.
Without a live successor in the caller's scope there is no link, and the text says why. A
retired unit outside the caller's scope answers exactly as an id that never existed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import issue_token
from api.settings import ApiSettings
from layers import accounts
from layers.database import apply_scope, make_engine
from layers.secrets import keys_from_master
from layers.settings import Settings
from tests.conftest import SuiteDatabase, separate_database
from tests.import_fixtures import retire_units

DATABASE = "zongzhi_ogc_retired"
PASSWORD = "Zz#Ogc-Retired-2026"
RETIRED_ON = "2026-05-01"
COUNTY = "620702000000"  # 甘州区
OTHER_COUNTY = "620721000000"  # 肃南县: its users do not see 甘州区
TOWN_1, TOWN_2 = "620702001000", "620702002000"
YI_CUN = "620702001001"  # live: took 旧二村 over
JIU_ER = "620702001002"  # retired → 一村
JIU_SAN = "620702001003"  # retired, no successor
JIU_SI = "620702001004"  # retired → 二镇一村 (another township)
ER_YI = "620702002001"  # live, in 二镇
GRIDS = {
    "live": (YI_CUN + "001", "一村第1网格"),
    "chained": (YI_CUN + "002", "一村第2网格"),  # → 第3网格 (retired) → 第1网格
    "merged": (YI_CUN + "003", "一村第3网格"),  # → 第1网格
    "none": (YI_CUN + "004", "一村第4网格"),  # no successor
    "elsewhere": (YI_CUN + "005", "一村第5网格"),  # → 二镇一村第1网格 (outside 一镇)
    "dead_end": (YI_CUN + "006", "一村第6网格"),  # → 第4网格, retired without successor
    "loop_a": (YI_CUN + "007", "一村第7网格"),  # → 第8网格 → 第7网格
    "loop_b": (YI_CUN + "008", "一村第8网格"),
    "other_town": (ER_YI + "001", "二镇一村第1网格"),
}
NEVER = YI_CUN + "999"


def _code(key: str) -> str:
    return GRIDS[key][0]


RETIREMENTS = [
    ("jurisdictions", JIU_ER, YI_CUN),
    ("jurisdictions", JIU_SAN, None),
    ("jurisdictions", JIU_SI, ER_YI),
    ("grids", _code("merged"), _code("live")),
    ("grids", _code("chained"), _code("merged")),
    ("grids", _code("none"), None),
    ("grids", _code("elsewhere"), _code("other_town")),
    ("grids", _code("dead_end"), _code("none")),
    ("grids", _code("loop_a"), _code("loop_b")),
    ("grids", _code("loop_b"), _code("loop_a")),
]
BOX = "MULTIPOLYGON(((100.4 38.9, 100.5 38.9, 100.5 39.0, 100.4 39.0, 100.4 38.9)))"


@dataclass(frozen=True)
class World:
    """The served database's client and each user's headers."""

    client: TestClient
    headers: dict[str, dict[str, str]]

    def item(self, user: str, collection: str, code: str) -> Response:
        """GET one item of ``collection`` as ``user``."""
        return self.client.get(
            f"/ogc/collections/{collection}/items/{code}", headers=self.headers[user]
        )


def _seed(session: Session) -> None:
    """Insert 甘州区 (and 肃南县), its villages and grids; retire the units the re-division did."""
    units = [
        ("620000000000", "甘肃省", 1, None),
        ("620700000000", "张掖市", 2, "620000000000"),
        (COUNTY, "甘州区", 3, "620700000000"),
        (OTHER_COUNTY, "肃南县", 3, "620700000000"),
        (TOWN_1, "一镇", 4, COUNTY),
        (TOWN_2, "二镇", 4, COUNTY),
        (YI_CUN, "一村", 5, TOWN_1),
        (JIU_ER, "旧二村", 5, TOWN_1),
        (JIU_SAN, "旧三村", 5, TOWN_1),
        (JIU_SI, "旧四村", 5, TOWN_1),
        (ER_YI, "二镇一村", 5, TOWN_2),
    ]
    for code, name, level, parent in units:
        session.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, boundary)"
                " VALUES (:c, :n, :l, :p, ST_GeomFromText(:w, 4490))"
            ),
            {"c": code, "n": name, "l": level, "p": parent, "w": BOX},
        )
    for code, name in GRIDS.values():
        session.execute(
            text(
                "INSERT INTO grids (code, name, area_code, boundary)"
                " VALUES (:c, :n, :a, ST_GeometryN(ST_GeomFromText(:w, 4490), 1))"
            ),
            {"c": code, "n": name, "a": code[:12], "w": BOX},
        )
    retire_units(session, [(table, code, heir, RETIRED_ON) for table, code, heir in RETIREMENTS])


@pytest.fixture(scope="module")
def world(database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Seed and retire the units (committed), make the users, and serve the platform."""
    urls = separate_database(database, DATABASE)
    owner = make_engine(urls.owner, pool_size=1)
    users = {
        "county": ("commander", COUNTY),
        "town1": ("dispatcher", TOWN_1),
        "other_county": ("commander", OTHER_COUNTY),
        "analyst": ("analyst", COUNTY),
    }
    try:
        with Session(owner) as session, session.begin():
            apply_scope(session, None)
            _seed(session)
            ids = {
                key: accounts.create_user(
                    session,
                    username=f"ogc_rt_{key}",
                    password=PASSWORD,
                    role=role,
                    scope_code=scope,
                    display_name=f"测试{key}",
                ).id
                for key, (role, scope) in users.items()
            }
    finally:
        owner.dispose()
    settings = ApiSettings(
        database=Settings(
            home=tmp_path_factory.mktemp("ogc-retired-home"),
            database_url=urls.owner,
            app_database_url=urls.app,
        ),
        urls=urls,
        jwt_secret="ogc-retired-units-jwt-secret-0123456789abcdef",
        keys=keys_from_master(b"zongzhi ogc retired master key!!"),
        pool_size=2,
    )
    issued = datetime.now(UTC)
    headers = {
        key: {"Authorization": f"Bearer {issue_token(settings, uid, now=issued).token}"}
        for key, uid in ids.items()
    }
    with TestClient(create_app(settings)) as client:
        yield World(client, headers)


def _retired(response: Response) -> dict[str, Any]:
    """Assert a retired unit's answer: 404 in the API's error shape; return the body."""
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == "RetiredFeature"
    assert body["retired_on"] == RETIRED_ON
    return body


def test_retired_grid_names_and_links_its_successor(world: World) -> None:
    response = world.item("county", "grids", _code("merged"))
    body = _retired(response)
    assert body["detail"] == (
        f"网格 一村第3网格（{_code('merged')}）已于 {RETIRED_ON} 撤销，"
        f"继承网格 一村第1网格（{_code('live')}）"
    )
    href = f"http://testserver/ogc/collections/grids/items/{_code('live')}"
    assert response.headers["link"] == f'<{href}>; rel="successor-version"'
    assert response.links["successor-version"]["url"] == href
    assert body["successor"] == {"code": _code("live"), "name": "一村第1网格"}
    assert [(link["rel"], link["href"]) for link in body["links"]] == [("successor-version", href)]
    successor = world.client.get(href, headers=world.headers["county"])
    assert successor.status_code == 200 and successor.json()["id"] == _code("live")


def test_a_chain_of_successors_leads_to_the_live_one(world: World) -> None:
    response = world.item("town1", "grids", _code("chained"))
    body = _retired(response)
    assert body["detail"].endswith(f"继承网格 一村第1网格（{_code('live')}）")
    assert response.links["successor-version"]["url"].endswith(f"/items/{_code('live')}")


def test_without_a_live_successor_there_is_no_link(world: World) -> None:
    cases = {
        "none": "没有继承网格",
        "dead_end": "继承网格也已撤销，没有在用的继承网格",
        "loop_a": "继承网格也已撤销，没有在用的继承网格",
    }
    for key, after in cases.items():
        code, name = GRIDS[key]
        response = world.item("county", "grids", code)
        body = _retired(response)
        assert body["detail"] == f"网格 {name}（{code}）已于 {RETIRED_ON} 撤销，{after}"
        assert "link" not in response.headers
        assert body["successor"] is None and body["links"] == []


def test_a_successor_outside_the_scope_is_not_named(world: World) -> None:
    code, name = GRIDS["elsewhere"]
    county = world.item("county", "grids", code)
    assert county.links["successor-version"]["url"].endswith(f"/items/{_code('other_town')}")
    town = world.item("town1", "grids", code)
    body = _retired(town)
    assert body["detail"] == (
        f"网格 {name}（{code}）已于 {RETIRED_ON} 撤销，继承网格不在您的辖区内"
    )
    assert "link" not in town.headers and body["successor"] is None
    assert _code("other_town") not in town.text and "二镇" not in town.text


def test_retired_jurisdictions_link_their_successor(world: World) -> None:
    response = world.item("analyst", "jurisdictions", JIU_ER)
    body = _retired(response)
    assert body["detail"] == (
        f"区划 旧二村（{JIU_ER}）已于 {RETIRED_ON} 撤销，继承区划 一村（{YI_CUN}）"
    )
    href = f"http://testserver/ogc/collections/jurisdictions/items/{YI_CUN}"
    assert response.headers["link"] == f'<{href}>; rel="successor-version"'
    assert world.client.get(href, headers=world.headers["analyst"]).json()["id"] == YI_CUN
    alone = world.item("county", "jurisdictions", JIU_SAN)
    assert _retired(alone)["detail"] == (
        f"区划 旧三村（{JIU_SAN}）已于 {RETIRED_ON} 撤销，没有继承区划"
    )
    assert "link" not in alone.headers
    elsewhere = world.item("town1", "jurisdictions", JIU_SI)
    assert _retired(elsewhere)["detail"].endswith("继承区划不在您的辖区内")
    assert "link" not in elsewhere.headers


def test_outside_the_scope_a_retired_unit_is_a_plain_404(world: World) -> None:
    """肃南县's commander gets for 甘州区's retired units what an unknown id gets."""
    for collection, code, never in (
        ("grids", _code("merged"), NEVER),
        ("jurisdictions", JIU_ER, "620702001999"),
    ):
        retired = world.item("other_county", collection, code)
        unknown = world.item("other_county", collection, never)
        assert retired.status_code == unknown.status_code == 404
        assert retired.json() == unknown.json()
        assert retired.json()["code"] == "NotFound"
        assert "link" not in retired.headers
        assert "撤销" not in retired.text and code not in retired.text


def test_live_items_and_lists_are_unchanged(world: World) -> None:
    live = world.item("county", "grids", _code("live"))
    assert live.status_code == 200 and "link" not in live.headers
    listed = world.client.get(
        "/ogc/collections/grids/items", headers=world.headers["county"], params={"limit": 100}
    ).json()
    assert {f["id"] for f in listed["features"]} == {_code("live"), _code("other_town")}
    never = world.item("county", "grids", NEVER)
    assert never.status_code == 404 and never.json()["code"] == "NotFound"
