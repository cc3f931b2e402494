"""A small, idempotent world for the workflow, dispatch and command tests.

One county (520424) with two townships; each township has two villages laid out as boxes in a
row, each village one grid. A second county (520425) lies further east and is out of scope for
the users of the first. Codes are real-looking 12-digit division codes; boundaries are simple
boxes in CGCS2000 lon/lat.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from layers import accounts, cases
from layers.model import Case
from layers.workflow import Actor

if TYPE_CHECKING:
    from tests.conftest import SuiteDatabase

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PROVINCE = "520000000000"
CITY = "520400000000"
COUNTY = "520424000000"
OTHER_COUNTY = "520425000000"

# township serial -> west longitude of its first village
_TOWNSHIPS = {
    "520424100": 102.50,
    "520424200": 102.60,
    "520424300": 102.70,
    "520424400": 102.80,
    "520425100": 103.00,
}
LAT0, SIZE = 24.30, 0.02


def township(serial: int = 100, county: str = "520424") -> str:
    """Return the 12-digit code of a township of the test world."""
    return f"{county}{serial:03d}000"


def village(serial: int = 100, n: int = 1, county: str = "520424") -> str:
    """Return the 12-digit code of village ``n`` of a township."""
    return f"{county}{serial:03d}{n:03d}"


def grid(village_code: str) -> str:
    """Return the code of the single grid of a village."""
    return village_code + "001"


def village_centre(village_code: str) -> tuple[float, float]:
    """Return lon, lat of the centre of a village box."""
    west = _TOWNSHIPS[village_code[:9]] + SIZE * (int(village_code[9:]) - 1)
    return west + SIZE / 2, LAT0 + SIZE / 2


def hazard_at_centre(session: Session, desk: Actor, village_code: str, title: str) -> Case:
    """Register a 安全隐患 phoned in now at ``village_code``'s centre (the camera tests' case)."""
    lon, lat = village_centre(village_code)
    return cases.register(
        session,
        actor=desk,
        channel="phone",
        category="safety_hazard",
        title=title,
        reported_at=NOW,
        lon=lon,
        lat=lat,
    ).case


def _box(west: float, south: float, east: float, north: float) -> str:
    return f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},{west} {south}))"


def ensure_world(session: Session) -> None:
    """Insert the jurisdictions and grids of the test world if they are missing.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        An owner session (jurisdictions are read-only for the app role).
    """
    rows: list[tuple[str, str, int, str | None, str | None]] = [
        (PROVINCE, "贵州省", 1, None, _box(97, 21, 106, 29)),
        (CITY, "安顺市", 2, PROVINCE, _box(101, 23, 104, 25)),
        (COUNTY, "通海县", 3, CITY, _box(102.4, 24.2, 102.9, 24.5)),
        (OTHER_COUNTY, "华宁县", 3, CITY, _box(102.95, 24.2, 103.5, 24.5)),
    ]
    for prefix, west in _TOWNSHIPS.items():
        code = prefix + "000"
        parent = COUNTY if prefix.startswith("520424") else OTHER_COUNTY
        rows.append(
            (code, f"镇{prefix[-3:]}", 4, parent, _box(west, LAT0, west + 2 * SIZE, LAT0 + SIZE))
        )
        for n in (1, 2):
            v = f"{prefix}{n:03d}"
            w = west + SIZE * (n - 1)
            rows.append((v, f"村{prefix[-3:]}-{n}", 5, code, _box(w, LAT0, w + SIZE, LAT0 + SIZE)))
    for code, name, level, parent, box in rows:
        session.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, boundary) "
                "VALUES (:code, :name, :level, :parent, "
                "ST_Multi(ST_GeomFromText(:box, 4490))) ON CONFLICT (code) DO NOTHING"
            ),
            {"code": code, "name": name, "level": level, "parent": parent, "box": box},
        )
    for code, _name, level, _parent, box in rows:
        if level == 5:
            session.execute(
                text(
                    "INSERT INTO grids (code, name, area_code, boundary) "
                    "VALUES (:g, :name, :v, ST_GeomFromText(:box, 4490)) "
                    "ON CONFLICT (code) DO NOTHING"
                ),
                {"g": grid(code), "name": f"网格{code[-6:]}", "v": code, "box": box},
            )
    session.flush()


def add_worker(
    session: Session,
    *,
    area_code: str,
    lon: float,
    lat: float,
    status: str = "on_duty",
    seen_at: datetime | None = NOW,
    home_grid: str | None = None,
    name: str = "网格员",
) -> int:
    """Insert a worker and return its id.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    area_code : str
        The worker's village.
    lon, lat : float
        Last position.
    status : str
        Worker status.
    seen_at : datetime or None
        Time of the last position.
    home_grid : str, optional
        The worker's own grid.
    name : str
        Worker name.

    Returns
    -------
    int
        The worker id.
    """
    return int(
        session.execute(
            text(
                "INSERT INTO workers (name, role, area_code, status, last_position, last_seen_at,"
                " home_grid) VALUES (:name, 'grid_worker', :area, :status,"
                " ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), :seen, :grid) RETURNING id"
            ),
            {
                "name": name,
                "area": area_code,
                "status": status,
                "lon": lon,
                "lat": lat,
                "seen": seen_at,
                "grid": home_grid,
            },
        ).scalar_one()
    )


def add_user(session: Session, *, username: str, role: str, scope_code: str) -> int:
    """Insert a user row directly (no password policy) and return its id."""
    return int(
        session.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, role, scope_code) "
                "VALUES (:u, :u, 'x', :role, :scope) "
                "ON CONFLICT (username) DO UPDATE SET role = excluded.role RETURNING id"
            ),
            {"u": username, "role": role, "scope": scope_code},
        ).scalar_one()
    )


def actor(
    role: str = "dispatcher", scope_code: str | None = None, user_id: int | None = None
) -> Actor:
    """Return an actor of ``role`` scoped to ``scope_code`` (default: township 100)."""
    return Actor(
        user_id=user_id, name=f"{role}-tester", role=role, scope_code=scope_code or township()
    )


def worker_actor(worker_id: int) -> Actor:
    """Return the actor of the grid-worker account of worker ``worker_id`` (village 1 of 100)."""
    return Actor(
        user_id=None, name="网格员", role="grid_worker", scope_code=village(), worker_id=worker_id
    )


def purge_world(session: Session) -> None:
    """Delete every committed row of the test world (province 52), keeping the audit log.

    Other test modules count rows over the whole (per-process) database, so modules that
    commit call this when they finish. ``case_events`` is append-only: its trigger is disabled
    for this one transaction (the owner may; DDL is transactional).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        An owner session inside a transaction.
    """
    scope = "area_code >= '52' AND area_code < '53'"
    session.execute(text("ALTER TABLE case_events DISABLE TRIGGER append_only"))
    for table in ("case_events", "dispatches", "worker_positions", "alerts", "hotspot_cells"):
        session.execute(text(f"DELETE FROM {table} WHERE {scope}"))
    session.execute(text("ALTER TABLE case_events ENABLE TRIGGER append_only"))
    session.execute(text(f"DELETE FROM hotspot_runs WHERE {scope}"))
    session.execute(text(f"UPDATE cases SET duplicate_of = NULL WHERE {scope}"))
    session.execute(text(f"DELETE FROM cases WHERE {scope}"))
    session.execute(text("DELETE FROM users WHERE scope_code >= '52' AND scope_code < '53'"))
    session.execute(text(f"DELETE FROM workers WHERE {scope}"))
    session.execute(text(f"DELETE FROM grids WHERE {scope}"))
    session.execute(
        text("DELETE FROM jurisdictions WHERE code >= '52' AND code < '53' AND level = 5")
    )
    for level in (4, 3, 2, 1):
        session.execute(
            text("DELETE FROM jurisdictions WHERE code >= '52' AND code < '53' AND level = :l"),
            {"l": level},
        )


def delete_cases(session: Session, ids: list[int]) -> None:
    """Delete cases a test committed, with their events and dispatches.

    ``case_events`` is append-only: its trigger is off for this one transaction (the owner
    may; DDL is transactional).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        An owner session inside a transaction.
    ids : list of int
        The cases.
    """
    session.execute(text("ALTER TABLE case_events DISABLE TRIGGER append_only"))
    session.execute(text("DELETE FROM case_events WHERE case_id = ANY(:ids)"), {"ids": ids})
    session.execute(text("ALTER TABLE case_events ENABLE TRIGGER append_only"))
    session.execute(text("DELETE FROM dispatches WHERE case_id = ANY(:ids)"), {"ids": ids})
    session.execute(text("UPDATE cases SET duplicate_of = NULL WHERE id = ANY(:ids)"), {"ids": ids})
    session.execute(text("DELETE FROM cases WHERE id = ANY(:ids)"), {"ids": ids})


def create_account(
    database: SuiteDatabase, username: str, role: str, scope: str, *, password: str, **more: Any
) -> int:
    """Create an account through :func:`layers.accounts.create_user` and return its id.

    Its password counts as set a minute ago, so that a token issued just now is valid (a token
    issued before the password's last change is not).

    Parameters
    ----------
    database : tests.conftest.SuiteDatabase
        The suite's database (the account is written as its owner).
    username, role, scope : str
        Login name, role code and 12-digit scope.
    password : str
        Its password.
    **more : Any
        More of ``create_user``'s keywords (``display_name``, ``worker_id`` …).

    Returns
    -------
    int
        The account's id.
    """
    with Session(database.owner) as owner, owner.begin():
        user = accounts.create_user(
            owner, username=username, password=password, role=role, scope_code=scope, **more
        )
        user.password_changed_at = datetime.now(UTC) - timedelta(minutes=1)
        return int(user.id)


@contextmanager
def world_for_commands(
    database: SuiteDatabase, home: Path, **variables: str
) -> Iterator[dict[str, str]]:
    """Hold the test world while ``zongzhi`` commands run against it; purge it afterwards.

    Parameters
    ----------
    database : tests.conftest.SuiteDatabase
        The suite's database.
    home : pathlib.Path
        The commands' ``ZONGZHI_HOME``.
    **variables : str
        More environment variables (``COLUMNS``, ``LOGNAME`` …).

    Yields
    ------
    dict of str to str
        The commands' environment: the database's owner and app URLs, the home, the variables.
        On leaving, :func:`purge_world` deletes the world and every account scoped inside it.
    """
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
    yield {
        "ZONGZHI_HOME": str(home),
        "ZONGZHI_DATABASE_URL": database.urls.owner,
        "ZONGZHI_APP_DATABASE_URL": database.urls.app,
        **variables,
    }
    with Session(database.owner) as owner, owner.begin():
        purge_world(owner)


@contextmanager
def world_accounts(
    database: SuiteDatabase, users: Mapping[str, tuple[str, str]], prefix: str
) -> Iterator[dict[str, int]]:
    """Hold the test world with an account for each of ``users``; purge both afterwards.

    The set-up of the API tests that act as a few roles of the world (a module-scoped ``users``
    fixture yields ``tests.api_fixtures.bearer_of(api_settings, ids)`` of these ids).

    Parameters
    ----------
    database : tests.conftest.SuiteDatabase
        The suite's database.
    users : mapping of str to (str, str)
        Key to role and 12-digit scope; the account is named ``{prefix}_{key}``
        (:func:`add_user`: no password).
    prefix : str
        The module's prefix of account names.

    Yields
    ------
    dict of str to int
        Key to account id. On leaving, :func:`purge_world` deletes the world and the accounts.
    """
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
        ids = {
            key: add_user(owner, username=f"{prefix}_{key}", role=role, scope_code=scope)
            for key, (role, scope) in users.items()
        }
    yield ids
    with Session(database.owner) as owner, owner.begin():
        purge_world(owner)


def case_ids_titled(engine: Engine, title: str) -> list[int]:
    """Return the ids of the committed cases titled ``title``, in order.

    A browser test reads so the cases it registered through a page (none, when a 登记 was held).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An owner engine.
    title : str
        The cases' title.

    Returns
    -------
    list of int
        The ids, lowest first.
    """
    with engine.connect() as conn:
        return [
            int(i)
            for i in conn.execute(
                text("SELECT id FROM cases WHERE title = :t ORDER BY id"), {"t": title}
            ).scalars()
        ]


def unit_names(engine: Engine, *codes: str) -> list[str]:
    """Return the names of the units ``codes`` (12-digit), in their order.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An owner engine.
    *codes : str
        The units.

    Returns
    -------
    list of str
        Their names.
    """
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT code, name FROM jurisdictions WHERE code = ANY(:c)"), {"c": list(codes)}
        )
        names = {str(code): str(name) for code, name in rows}
    return [names[code] for code in codes]


def later_run_missing(
    db: Session | Connection, scope: str, area: str, resolution: Any, *, historic: bool = False
) -> int:
    """Store a later run over ``scope`` whose only cell in village ``area`` is no hot spot."""
    run = int(
        db.execute(
            text(
                "INSERT INTO hotspot_runs (area_code, method, params, window_start, window_end,"
                " status, historic) VALUES (:a, 'gi_star_h3', jsonb_build_object('resolution',"
                " :res), now(), now(), 'done', :h) RETURNING id"
            ),
            {"a": scope, "h": historic, "res": resolution},
        ).scalar_one()
    )
    db.execute(
        text(
            "INSERT INTO hotspot_cells (run_id, area_code, unit_id, geom, count, z, p, bin)"
            " VALUES (:r, :a, 'elsewhere', ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))',"
            " 4490), 1, 0.1, 0.9, 0)"
        ),
        {"r": run, "a": area},
    )
    return run


MENTAL_KEY_EVERY_14_DAYS = (
    "INSERT INTO visit_rules VALUES ('mental', 1, 14) ON CONFLICT (category, management_level)"
    " DO UPDATE SET interval_days = 14"
)
"""The interval these tests count by (migration 0026 writes 7: the default)."""
