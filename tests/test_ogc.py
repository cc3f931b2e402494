"""OGC API - Features: landing, collections, items with paging/bbox/datetime, single items, GDAL."""
# ruff: noqa: F811

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from api.auth import issue_token
from api.settings import ApiSettings
from layers.model import (
    DirectionType,
    Level,
    ManagementLevel,
    PersonCategory,
    PtzType,
    VideoStatus,
    WorkerRole,
    WorkerStatus,
)
from tests.api_fixtures import CITY, GRIDS_PER_VILLAGE, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]


def test_landing_and_conformance(api_client: TestClient) -> None:
    landing = api_client.get("/ogc").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = api_client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf


def test_collections_depend_on_role(api_client: TestClient, auth_headers: Headers) -> None:
    ids = [
        c["id"]
        for c in api_client.get("/ogc/collections", headers=auth_headers("cmd_a")).json()[
            "collections"
        ]
    ]
    assert ids == [
        "jurisdictions",
        "grids",
        "cases",
        "video_points",
        "workers",
        "persons",
        "hotspots",
    ]
    analyst = api_client.get("/ogc/collections", headers=auth_headers("analyst_a")).json()
    assert {c["id"] for c in analyst["collections"]} == {
        "jurisdictions",
        "grids",
        "video_points",
        "hotspots",
    }
    assert (
        api_client.get("/ogc/collections", headers=auth_headers("admin")).json()["collections"]
        == []
    )
    assert api_client.get("/ogc/collections").status_code == 401


def test_items_paging_with_next_links(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    url: str | None = "/ogc/collections/grids/items?limit=7"
    seen: list[str] = []
    pages = 0
    while url is not None:
        response = api_client.get(url, headers=auth_headers("cmd_city"))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/geo+json")
        body = response.json()
        assert body["numberMatched"] == len(VILLAGES) * GRIDS_PER_VILLAGE
        assert body["numberReturned"] == len(body["features"])
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        pages += 1
    assert pages == 5
    assert sorted(seen) == sorted(api_world.objects["grids"])
    assert len(set(seen)) == len(seen)


def test_items_say_when_the_limit_cut_them(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    """``truncated`` as the command map's case points say it: the cap cut the workers (BC S3)."""
    h = auth_headers("cmd_city")
    every = len(api_world.in_scope("workers", CITY))
    assert every > 3
    cut = api_client.get("/ogc/collections/workers/items?limit=3", headers=h).json()
    assert (cut["numberReturned"], cut["numberMatched"], cut["truncated"]) == (3, every, True)
    assert any(link["rel"] == "next" for link in cut["links"])
    last = api_client.get(
        f"/ogc/collections/workers/items?limit=3&offset={every - 3}", headers=h
    ).json()
    assert (last["numberReturned"], last["truncated"]) == (3, False)
    assert not any(link["rel"] == "next" for link in last["links"])
    # the console's page of 2,000: every worker, nothing cut
    whole = api_client.get("/ogc/collections/workers/items?limit=2000", headers=h).json()
    assert (whole["numberReturned"], whole["numberMatched"], whole["truncated"]) == (
        every,
        every,
        False,
    )
    # a box holding one village's workers, cut by a cap below them, and not by one above
    box = "109.99,19.99,110.085,20.09"
    boxed = api_client.get(f"/ogc/collections/workers/items?bbox={box}&limit=1", headers=h).json()
    assert boxed["numberMatched"] >= 2 and boxed["truncated"] is True
    wide = api_client.get(f"/ogc/collections/workers/items?bbox={box}&limit=50", headers=h).json()
    assert wide["numberReturned"] == boxed["numberMatched"] and wide["truncated"] is False


def test_limit_is_clamped_not_rejected(api_client: TestClient, auth_headers: Headers) -> None:
    big = api_client.get(
        "/ogc/collections/grids/items?limit=99999999999", headers=auth_headers("cmd_city")
    )
    assert big.status_code == 200 and big.json()["numberReturned"] == 32
    zero = api_client.get("/ogc/collections/grids/items?limit=0", headers=auth_headers("cmd_city"))
    assert zero.status_code == 200 and zero.json()["numberReturned"] == 1


def test_bbox_and_datetime_filters(api_client: TestClient, auth_headers: Headers) -> None:
    h = auth_headers("cmd_city")
    # the first village only (boxes are 0.08 wide, 0.02 apart)
    first = api_client.get(
        "/ogc/collections/cases/items?bbox=109.99,19.99,110.085,20.09", headers=h
    ).json()
    assert first["numberMatched"] == 6
    assert {f["properties"]["area_code"] for f in first["features"]} == {VILLAGES[0]}
    later = api_client.get(
        "/ogc/collections/cases/items?datetime=2026-03-01T00:00:00Z/..", headers=h
    ).json()
    # reported every 30 days from 2026-01-01: n = 2..5 are on or after 2026-03-01 (day 59 < 60)
    assert later["numberMatched"] == 4 * len(VILLAGES)
    bad = api_client.get("/ogc/collections/cases/items?bbox=1,2,3", headers=h)
    assert bad.status_code == 400
    assert (
        api_client.get("/ogc/collections/cases/items?datetime=nonsense", headers=h).status_code
        == 400
    )
    hot = api_client.get(
        "/ogc/collections/hotspots/items?datetime=2027-01-01T00:00:00Z", headers=h
    ).json()
    assert hot["numberMatched"] == 0


def test_features_are_geojson_in_crs84(api_client: TestClient, auth_headers: Headers) -> None:
    body = api_client.get(
        "/ogc/collections/video_points/items?limit=1", headers=auth_headers("cmd_a")
    ).json()
    feature = body["features"][0]
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert 109.9 < lon < 110.5 and 19.9 < lat < 20.2
    # RFC 7946: no "crs" member anywhere; coordinates are CRS84.
    assert "crs" not in feature["geometry"] and "crs" not in body


def test_persons_are_masked(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    response = api_client.get(
        "/ogc/collections/persons/items", headers=auth_headers("cmd_a_unmask")
    )
    text = response.text
    for resident_id in api_world.resident_ids.values():
        assert resident_id not in text
    for name in api_world.names.values():
        assert name not in text
    props = response.json()["features"][0]["properties"]
    assert props["name_masked"][1:] == "*" * (len(props["name_masked"]) - 1)
    assert "*" in props["id_masked"]
    assert set(props) == {
        "category",
        "category_label",
        "name_masked",
        "id_masked",
        "management_level",
        "management_level_label",
        "grid_code",
        "grid_name",
        "area_code",
        "area_name",
        "responsibles",
        "last_visit",
        "visit_due",
        "correction_end",
    }


CODED = {
    "video_points": {"ptz_type": PtzType, "direction_type": DirectionType, "status": VideoStatus},
    "workers": {"role": WorkerRole, "status": WorkerStatus},
    "persons": {"category": PersonCategory, "management_level": ManagementLevel},
    "jurisdictions": {"level": Level},
}


def test_coded_properties_come_with_their_chinese_labels(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase
) -> None:
    """A QGIS user reads 在线, 已登记, 东北 and the village's name, not only the codes."""
    with database.owner.connect() as conn:
        names = dict(conn.execute(text("SELECT code, name FROM jurisdictions")).all())
    for collection, coded in CODED.items():
        features = api_client.get(
            f"/ogc/collections/{collection}/items?limit=1000", headers=auth_headers("cmd_a_unmask")
        ).json()["features"]
        assert features, collection
        labelled = 0
        for feature in features:
            props = feature["properties"]
            for prop, tables in coded.items():
                members = tables if isinstance(tables, tuple) else (tables,)
                label = {str(m.value): m.label for table in members for m in table}
                code = props[prop]
                assert props[f"{prop}_label"] == (None if code is None else label[str(code)])
                labelled += code is not None
            if "area_code" in props:
                assert props["area_name"] == names[props["area_code"]]
            if "parent_code" in props:
                assert props["parent_name"] == names.get(props["parent_code"])
        assert labelled >= len(features), collection  # codes were there to label


def test_single_item_and_out_of_scope_404(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    fid = next(iter(api_world.in_scope("cases", "460106000000")))
    ok = api_client.get(f"/ogc/collections/cases/items/{fid}", headers=auth_headers("cmd_b"))
    assert ok.status_code == 200 and str(ok.json()["id"]) == fid
    assert (
        api_client.get(
            f"/ogc/collections/cases/items/{fid}", headers=auth_headers("cmd_a")
        ).status_code
        == 404
    )
    assert (
        api_client.get(
            "/ogc/collections/cases/items/abc", headers=auth_headers("cmd_a")
        ).status_code
        == 404
    )
    assert (
        api_client.get("/ogc/collections/nope/items", headers=auth_headers("cmd_a")).status_code
        == 404
    )


def test_analyst_admin_auditor_are_refused(api_client: TestClient, auth_headers: Headers) -> None:
    assert (
        api_client.get(
            "/ogc/collections/persons/items", headers=auth_headers("analyst_a")
        ).status_code
        == 403
    )
    assert (
        api_client.get(
            "/ogc/collections/cases/items", headers=auth_headers("analyst_a")
        ).status_code
        == 403
    )
    assert (
        api_client.get(
            "/ogc/collections/grids/items", headers=auth_headers("analyst_a")
        ).status_code
        == 200
    )
    for key in ("admin", "auditor"):
        assert (
            api_client.get("/ogc/collections/grids/items", headers=auth_headers(key)).status_code
            == 403
        )


def test_gdal_reads_every_grid_with_paging(
    live_server: str, auth_headers: Headers, api_world: ApiWorld
) -> None:
    header = auth_headers("cmd_province")["Authorization"]
    env = {**os.environ, "GDAL_HTTP_HEADERS": f"Authorization: {header}", "CPL_DEBUG": "ON"}
    url = f"OAPIF:{live_server}/ogc"
    listing = subprocess.run(
        ["ogrinfo", "-ro", "-q", url], capture_output=True, text=True, env=env, timeout=60
    )
    assert listing.returncode == 0, listing.stderr
    for name in ("grids", "cases", "hotspots"):
        assert name in listing.stdout
    assert "persons" not in listing.stdout  # a province sees special populations as counts only
    result = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-oo", "PAGE_SIZE=10", url, "grids"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    codes = {
        line.split("=", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.strip().startswith("code (String) =")
    }
    assert codes == set(api_world.objects["grids"])
    # CPL_DEBUG logs every URL fetched: 32 grids at 10 a page need the pages at offsets 10, 20, 30
    for offset in (10, 20, 30):
        assert f"offset={offset}" in result.stderr
    summary = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", "-oo", "PAGE_SIZE=10", url, "grids"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "Feature Count: 32" in summary.stdout, summary.stdout + summary.stderr


def test_tokens_are_revoked_by_password_change_and_deactivation(
    api_client: TestClient, api_settings: ApiSettings, database: SuiteDatabase
) -> None:
    """The one-statement account lookup keeps both revocations (and answers 401)."""
    with database.owner.begin() as conn:
        user_id = conn.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, role, scope_code,"
                " password_changed_at) VALUES ('revocation_probe', '测试', 'x', 'commander',"
                " :scope, now() - interval '2 hours') RETURNING id"
            ),
            {"scope": CITY},
        ).scalar_one()
    now = datetime.now(UTC)
    old = issue_token(api_settings, user_id, now=now - timedelta(hours=1)).token
    new = issue_token(api_settings, user_id, now=now).token
    path = "/ogc/collections/cases/items?limit=1"
    try:
        for token in (old, new):
            response = api_client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
        with database.owner.begin() as conn:
            conn.execute(
                text(
                    "UPDATE users SET password_changed_at = now() - interval '30 minutes'"
                    " WHERE id = :id"
                ),
                {"id": user_id},
            )
        assert api_client.get(path, headers={"Authorization": f"Bearer {old}"}).status_code == 401
        assert api_client.get(path, headers={"Authorization": f"Bearer {new}"}).status_code == 200
        with database.owner.begin() as conn:
            conn.execute(text("UPDATE users SET active = false WHERE id = :id"), {"id": user_id})
        assert api_client.get(path, headers={"Authorization": f"Bearer {new}"}).status_code == 401
    finally:
        with database.owner.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})


def test_an_unknown_query_parameter_is_refused_not_ignored(
    api_client: TestClient, auth_headers: Headers
) -> None:
    """A script asking for the offline cameras must not get all of them (trial V F11)."""
    path = "/ogc/collections/video_points/items"
    refused = api_client.get(f"{path}?status=offline&limit=5", headers=auth_headers("cmd_a"))
    assert refused.status_code == 400
    body = refused.json()
    assert body["unknown"] == ["status"] and "本接口没有查询参数 status" in body["detail"]
    plain = api_client.get(f"{path}?limit=1&f=json", headers=auth_headers("cmd_a"))
    assert plain.status_code == 200 and len(plain.json()["features"]) == 1
