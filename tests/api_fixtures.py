"""A committed test world for HTTP tests, shared by every API test of a test process.

The HTTP server and ``TestClient`` open their own connections, so they cannot see data in the
rolled-back transaction of the ``db`` fixture: :func:`api_world` commits a small hierarchy once
per test process (each xdist worker has its own cluster) under province 46, which no other test
uses: one city, two counties (A: 460105, B: 460106), three townships, four villages, eight grids
per village, and in every village cases, cameras, workers and special-population records, plus
one hot-spot run per county; and users of every role at several levels.

Register as a plugin in ``tests/conftest.py``: ``pytest_plugins = ["tests.api_fixtures"]``.
Tests should treat the world as read-only (write tests create their own rows and clean up, or
use codes of their own).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import issue_token
from api.cli import served_in_thread
from api.settings import ApiSettings
from geo.codes import make_resident_id, mask_resident_id
from layers import accounts
from layers.database import apply_scope
from layers.model import (
    Case,
    Grid,
    HotspotCell,
    HotspotRun,
    Jurisdiction,
    Person,
    VideoPoint,
    Worker,
)
from layers.secrets import Keys, hash_resident_id, keys_from_master, seal
from layers.settings import Settings
from tests.conftest import SuiteDatabase
from tests.workflow_data import delete_cases

PASSWORD = "Zz#Api-Test-2026"
PROVINCE = "460000000000"
CITY = "460100000000"
COUNTY_A = "460105000000"
COUNTY_B = "460106000000"
TOWN_A1 = "460105001000"
TOWN_A2 = "460105002000"
TOWN_B1 = "460106001000"
VILLAGES = ("460105001001", "460105001002", "460105002001", "460106001001")
GRIDS_PER_VILLAGE = 8
CASES_PER_VILLAGE = 6
CAMERAS_PER_VILLAGE = 3
WORKERS_PER_VILLAGE = 2
PERSONS_PER_VILLAGE = 2
REPORTED_START = datetime(2026, 1, 1, tzinfo=UTC)
LON0, LAT0, VILLAGE_SIZE = 110.0, 20.0, 0.08
SURNAMES = "张王李赵刘陈杨黄"

# key -> (role, scope, can_unmask)
USERS: dict[str, tuple[str, str, bool]] = {
    "admin": ("admin", PROVINCE, False),
    "auditor": ("auditor", PROVINCE, False),
    "cmd_province": ("commander", PROVINCE, False),
    "cmd_city": ("commander", CITY, False),
    "cmd_a": ("commander", COUNTY_A, False),
    "cmd_b": ("commander", COUNTY_B, False),
    "cmd_a_unmask": ("commander", COUNTY_A, True),
    "disp_a1": ("dispatcher", TOWN_A1, False),
    "disp_b1": ("dispatcher", TOWN_B1, False),
    "cmd_village": ("commander", VILLAGES[0], False),
    "worker_v0": ("grid_worker", VILLAGES[0], False),
    "dept_a": ("department", COUNTY_A, False),
    "analyst_city": ("analyst", CITY, False),
    "analyst_a": ("analyst", COUNTY_A, False),
}


def village_box(index: int) -> tuple[float, float, float, float]:
    """Return the lon/lat box of village ``VILLAGES[index]``."""
    west = LON0 + index * (VILLAGE_SIZE + 0.02)
    return west, LAT0, west + VILLAGE_SIZE, LAT0 + VILLAGE_SIZE


def grid_box(village_index: int, serial: int) -> tuple[float, float, float, float]:
    """Return the box of grid ``serial`` (0-based) of a village: a 4 x 2 layout."""
    west, south, _, _ = village_box(village_index)
    w, h = VILLAGE_SIZE / 4, VILLAGE_SIZE / 2
    col, row = serial % 4, serial // 4
    return west + col * w, south + row * h, west + (col + 1) * w, south + (row + 1) * h


def _centre(b: tuple[float, float, float, float]) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def grid_centre(village_index: int, serial: int) -> tuple[float, float]:
    """Return the centre (lon, lat) of grid ``serial`` (0-based) of a village."""
    return _centre(grid_box(village_index, serial))


def _point(lon: float, lat: float) -> str:
    return f"SRID=4490;POINT({lon} {lat})"


def _poly(b: tuple[float, float, float, float]) -> str:
    return f"SRID=4490;{box(*b).wkt}"


def _multi(b: tuple[float, float, float, float]) -> str:
    return f"SRID=4490;MULTIPOLYGON((({box(*b).wkt[10:-2]})))"


@dataclass
class ApiUser:
    """A test account."""

    key: str
    id: int
    username: str
    role: str
    scope_code: str
    can_unmask: bool


@dataclass
class ApiWorld:
    """What :func:`api_world` committed: ids and area codes per collection, users, keys."""

    keys: Keys
    users: dict[str, ApiUser]
    objects: dict[str, dict[str, str]] = field(default_factory=dict)
    """collection id -> {feature id (as text): area code}."""
    resident_ids: dict[int, str] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    def in_scope(self, collection: str, scope_code: str) -> set[str]:
        """Feature ids of ``collection`` whose area code lies in the scope."""
        from geo.codes import scope_range

        lo, hi = scope_range(scope_code)
        return {fid for fid, area in self.objects[collection].items() if lo <= area < hi}


_WORLDS: dict[str, ApiWorld] = {}


def _jurisdictions() -> list[Jurisdiction]:
    boxes = [village_box(i) for i in range(len(VILLAGES))]

    def cover(indices: list[int]) -> tuple[float, float, float, float]:
        chosen = [boxes[i] for i in indices]
        return (
            min(b[0] for b in chosen),
            min(b[1] for b in chosen),
            max(b[2] for b in chosen),
            max(b[3] for b in chosen),
        )

    units = [
        (PROVINCE, "海南省（测试）", 1, None, [0, 1, 2, 3]),
        (CITY, "海口市（测试）", 2, PROVINCE, [0, 1, 2, 3]),
        (COUNTY_A, "甲区", 3, CITY, [0, 1, 2]),
        (COUNTY_B, "乙区", 3, CITY, [3]),
        (TOWN_A1, "甲一街道", 4, COUNTY_A, [0, 1]),
        (TOWN_A2, "甲二镇", 4, COUNTY_A, [2]),
        (TOWN_B1, "乙一街道", 4, COUNTY_B, [3]),
    ] + [(code, f"测试村{i + 1}", 5, code[:9] + "000", [i]) for i, code in enumerate(VILLAGES)]
    return [
        Jurisdiction(
            code=code, name=name, level=level, parent_code=parent, boundary=_multi(cover(idx))
        )
        for code, name, level, parent, idx in units
    ]


def build_world(session: Session, keys: Keys) -> ApiWorld:
    """Insert the world into ``session`` (owner, scope all) and return its description."""
    world = ApiWorld(keys=keys, users={})
    objects: dict[str, dict[str, str]] = {
        name: {} for name in ("jurisdictions", "grids", "cases", "video_points", "workers")
    }
    objects.update(persons={}, hotspots={})
    for unit in _jurisdictions():
        session.add(unit)
        objects["jurisdictions"][unit.code] = unit.code
    session.flush()
    grids: list[Grid] = []
    for v, village in enumerate(VILLAGES):
        for s in range(GRIDS_PER_VILLAGE):
            grid = Grid(
                code=f"{village}{s + 1:03d}",
                name=f"测试村{v + 1}第{s + 1}网格",
                area_code=village,
                boundary=_poly(grid_box(v, s)),
            )
            grids.append(grid)
            objects["grids"][grid.code] = village
    session.add_all(grids)
    session.flush()
    workers: list[Worker] = []
    for v, village in enumerate(VILLAGES):
        for n in range(WORKERS_PER_VILLAGE):
            lon, lat = _centre(grid_box(v, n))
            workers.append(
                Worker(
                    name=f"网格员{v}{n}",
                    role="grid_worker",
                    home_grid=f"{village}{n + 1:03d}",
                    area_code=village,
                    status="on_duty",
                    last_position=_point(lon, lat),
                    last_seen_at=REPORTED_START,
                )
            )
        for n in range(CASES_PER_VILLAGE):
            serial = n % GRIDS_PER_VILLAGE
            lon, lat = _centre(grid_box(v, serial))
            session.add(
                Case(
                    code=f"T46-{village}-{n:03d}",
                    channel="grid_worker",
                    category="dispute",
                    subcategory="neighbours",
                    title=f"测试事件{v}-{n}",
                    risk_level=1 + n % 4,
                    point=_point(lon + 0.001, lat + 0.001),
                    area_code=village,
                    grid_code=f"{village}{serial + 1:03d}",
                    state="registered",
                    handling_level=4,
                    reported_at=REPORTED_START + timedelta(days=30 * n),
                    reporter_name="报告人",
                )
            )
        for n in range(CAMERAS_PER_VILLAGE):
            lon, lat = _centre(grid_box(v, 4 + n))
            session.add(
                VideoPoint(
                    device_id=f"{village[:8]}00132{v}{n:06d}"[:20],
                    name=f"测试摄像机{v}-{n}",
                    ptz_type=1,
                    status="online",
                    point=_point(lon, lat),
                    area_code=village,
                    fov_deg=60.0,
                    range_m=80.0,
                )
            )
        for n in range(PERSONS_PER_VILLAGE):
            lon, lat = _centre(grid_box(v, 6 + n))
            resident_id = make_resident_id(village[:6], date(1980, 1, 1 + v), n, "M")
            person = Person(
                category="released",
                name=f"{SURNAMES[(2 * v + n) % len(SURNAMES)]}测试{v}{n}",
                id_hash=hash_resident_id(keys, resident_id),
                id_masked=mask_resident_id(resident_id),
                id_sealed=seal(keys, resident_id),
                management_level=2,
                attributes={},
                residence=_point(lon, lat),
                address="测试地址",
                grid_code=f"{village}{7 + n:03d}",
                area_code=village,
            )
            session.add(person)
            session.flush()
            world.resident_ids[person.id] = resident_id
            world.names[person.id] = person.name
            objects["persons"][str(person.id)] = village
    session.add_all(workers)
    session.flush()
    for case in session.scalars(select(Case).where(Case.code.like("T46-%"))):
        objects["cases"][str(case.id)] = case.area_code
    for camera in session.scalars(select(VideoPoint).where(VideoPoint.area_code.like("46%"))):
        objects["video_points"][str(camera.id)] = camera.area_code
    for worker in workers:
        objects["workers"][str(worker.id)] = worker.area_code
    for county, villages in ((COUNTY_A, (0, 1, 2)), (COUNTY_B, (3,))):
        run = HotspotRun(
            area_code=county,
            method="gi_star",
            params={},
            window_start=REPORTED_START,
            window_end=REPORTED_START + timedelta(days=180),
        )
        session.add(run)
        session.flush()
        for v in villages:
            cell = HotspotCell(
                run_id=run.id,
                area_code=VILLAGES[v],
                unit_id=f"cell-{v}",
                geom=_poly(village_box(v)),
                count=CASES_PER_VILLAGE,
                z=2.5,
                p=0.01,
                bin=3,
                pattern="new",
            )
            session.add(cell)
            session.flush()
            objects["hotspots"][str(cell.id)] = VILLAGES[v]
    for key, (role, scope, unmask) in USERS.items():
        worker_id = workers[0].id if role == "grid_worker" else None
        user = accounts.create_user(
            session,
            username=f"t46_{key}",
            password=PASSWORD,
            role=role,
            scope_code=scope,
            display_name=f"测试{key}",
            can_unmask=unmask,
            worker_id=worker_id,
        )
        world.users[key] = ApiUser(key, user.id, user.username, role, scope, unmask)
    world.objects = objects
    return world


@pytest.fixture
def made(database: SuiteDatabase) -> Iterator[list[int]]:
    """The ids of the cases a test registers in the shared world, deleted when it ends.

    So the world's counts stay the same for the other tests of the process, in any order.
    """
    ids: list[int] = []
    try:
        yield ids
    finally:
        if ids:
            with Session(database.owner) as session, session.begin():
                apply_scope(session, None)
                delete_cases(session, ids)


@pytest.fixture(scope="session")
def api_world(database: SuiteDatabase) -> ApiWorld:
    """Commit the test world once per test process and describe it."""
    url = database.urls.owner
    if url not in _WORLDS:
        keys = keys_from_master(b"zongzhi api test master key 32 bytes!")
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            _WORLDS[url] = build_world(session, keys)
    return _WORLDS[url]


@pytest.fixture(scope="session")
def api_settings(
    database: SuiteDatabase, api_world: ApiWorld, tmp_path_factory: pytest.TempPathFactory
) -> ApiSettings:
    """Settings of the app under test: the suite's database, fixed keys, a fixed JWT secret.

    One app serves every test of the process, all from one address (``testclient``): the
    failed logins the tests make on purpose (lockouts, unknown names) add up past the default
    throttle of an address (20 in 15 minutes), which tests/test_auth_throttle.py tests on an
    app of its own.
    """
    home = tmp_path_factory.mktemp("zongzhi-home")
    return ApiSettings(
        database=Settings(
            home=home, database_url=database.urls.owner, app_database_url=database.urls.app
        ),
        urls=database.urls,
        jwt_secret="api-test-jwt-secret-0123456789abcdef",
        keys=api_world.keys,
        pool_size=4,
        login_throttle=accounts.LoginThrottle(max_names=1000),
    )


@pytest.fixture(scope="session")
def api_app_client(api_settings: ApiSettings) -> Iterator[TestClient]:
    """A TestClient of the app (lifespan running) for the whole test process."""
    with TestClient(create_app(api_settings)) as client:
        yield client


@pytest.fixture
def api_client(api_app_client: TestClient) -> Iterator[TestClient]:
    """The process's TestClient, with no cookie of another test's login.

    A login answers with a session cookie the client keeps: a request a test means to send
    without a login would otherwise go as the account another test logged in.
    """
    api_app_client.cookies.clear()
    try:
        yield api_app_client
    finally:
        api_app_client.cookies.clear()


@pytest.fixture(scope="session")
def auth_headers(api_settings: ApiSettings, api_world: ApiWorld) -> Callable[[str], dict[str, str]]:
    """Return ``headers(user_key)``: a Bearer header for a world user (token issued directly)."""
    cache: dict[str, dict[str, str]] = {}

    def headers(key: str) -> dict[str, str]:
        if key not in cache:
            token = issue_token(api_settings, api_world.users[key].id, now=datetime.now(UTC))
            cache[key] = {"Authorization": f"Bearer {token.token}"}
        return cache[key]

    return headers


def bearer_of(api_settings: ApiSettings, ids: dict[str, int]) -> Callable[[str], dict[str, str]]:
    """Return the Bearer headers of test accounts by key (``ids``: key to user id)."""

    def headers(key: str) -> dict[str, str]:
        token = issue_token(api_settings, ids[key], now=datetime.now(UTC))
        return {"Authorization": f"Bearer {token.token}"}

    return headers


def act(client: TestClient, headers: dict[str, str], case_id: int, action: str, **body: Any) -> Any:
    """POST a workflow action on a case at the version it has now; return the response."""
    seen = client.get(f"/api/cases/{case_id}", headers=headers).json()
    return client.post(
        f"/api/cases/{case_id}/actions/{action}",
        json={"version": seen["version"], **body},
        headers=headers,
    )


def written_text(entry: dict[str, Any]) -> str:
    """What an audit entry of ``GET /api/audit`` says in words, without its number, time and hash.

    A test that a typed number was not logged looks here: the entry's id, its time's
    microseconds and its hash are digits of their own, and any four digits turn up in them
    by chance now and then.
    """
    return str({k: v for k, v in entry.items() if k not in ("id", "at", "hash")})


def free_port() -> int:
    """Return a free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_server(api_settings: ApiSettings) -> Iterator[str]:
    """A real uvicorn server of the app on a free port (in a thread); yields its base URL."""
    with served_in_thread(create_app(api_settings)) as origin:
        yield origin
