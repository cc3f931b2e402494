"""Benchmark: dispatch candidates at 50,000 workers (target p50 < 5 ms).

Starts its own embedded PostGIS in a temporary folder, migrates it, loads a province-sized
hierarchy stub (one county, 1,000 villages), 50,000 workers spread over about 100 km x 100 km
(80 % on duty, 10 % of positions stale) and 200 cases, then times
``layers.dispatch.candidates`` for random cases through the app role (row-level security on).

Run: ``.venv/bin/python bench/candidates.py``.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from layers import dispatch, migrate
from layers.database import make_engine, scoped_session
from layers.embedded import APP_ROLE, OWNER_ROLE, EmbeddedCluster
from layers.workflow import Actor

WORKERS = 50_000
CASES = 200
CALLS = 500
COUNTY = "520424000000"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def load(session: Session) -> list[int]:
    session.execute(
        text(
            "INSERT INTO jurisdictions (code, name, level, parent_code) VALUES "
            "('520000000000', 'P', 1, NULL), ('520400000000', 'C', 2, '520000000000'),"
            " ('520424000000', 'X', 3, '520400000000')"
        )
    )
    session.execute(
        text(
            "INSERT INTO jurisdictions (code, name, level, parent_code) "
            "SELECT '520424' || lpad(t::text, 3, '0') || '000', 'T' || t, 4, '520424000000' "
            "FROM generate_series(1, 40) t"
        )
    )
    session.execute(
        text(
            "INSERT INTO jurisdictions (code, name, level, parent_code) "
            "SELECT '520424' || lpad(t::text, 3, '0') || lpad(v::text, 3, '0'), 'V', 5, "
            "'520424' || lpad(t::text, 3, '0') || '000' "
            "FROM generate_series(1, 40) t, generate_series(1, 25) v"
        )
    )
    rng = np.random.default_rng(0)
    lon = 106.0 + rng.uniform(0, 1.0, WORKERS)
    lat = 26.0 + rng.uniform(0, 0.9, WORKERS)
    status = np.where(rng.uniform(size=WORKERS) < 0.8, "on_duty", "off_duty")
    age_min = np.where(rng.uniform(size=WORKERS) < 0.1, 120, rng.uniform(0, 25, WORKERS))
    town = rng.integers(1, 41, WORKERS)
    village = rng.integers(1, 26, WORKERS)
    rows = [
        {
            "n": f"w{i}",
            "a": f"520424{town[i]:03d}{village[i]:03d}",
            "s": str(status[i]),
            "x": float(lon[i]),
            "y": float(lat[i]),
            "m": float(age_min[i]),
        }
        for i in range(WORKERS)
    ]
    session.execute(
        text(
            "INSERT INTO workers (name, role, area_code, status, last_position, last_seen_at) "
            "VALUES (:n, 'grid_worker', :a, :s, ST_SetSRID(ST_MakePoint(:x, :y), 4490), "
            "CAST(:now AS timestamptz) - CAST(:m AS float8) * interval '1 minute')"
        ),
        [{**r, "now": NOW} for r in rows],
    )
    ids = []
    for i in range(CASES):
        ids.append(
            session.execute(
                text(
                    "INSERT INTO cases (code, channel, category, title, point, area_code, state,"
                    " handling_level, reported_at, risk_level) VALUES (:c, 'phone', 'dispute', 't',"
                    " ST_SetSRID(ST_MakePoint(:x, :y), 4490), '520424001001', 'triaged', 4, :t, 4)"
                    " RETURNING id"
                ),
                {
                    "c": f"b{i}",
                    "x": 106.05 + rng.uniform(0, 0.9),
                    "y": 26.05 + rng.uniform(0, 0.8),
                    "t": NOW,
                },
            ).scalar_one()
        )
    session.execute(text("ANALYZE workers"))
    session.execute(text("ANALYZE cases"))
    return ids


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="zongzhi-bench-")) / "pg"
    cluster = EmbeddedCluster(root)
    info = cluster.start()
    try:
        owner = make_engine(info.url(OWNER_ROLE, "postgresql+psycopg"))
        app = make_engine(info.url(APP_ROLE, "postgresql+psycopg"))
        migrate.upgrade(owner)
        with Session(owner) as session, session.begin():
            started = time.perf_counter()
            case_ids = load(session)
            print(
                f"loaded {WORKERS} workers, {CASES} cases in {time.perf_counter() - started:.1f} s"
            )
        actor = Actor(user_id=None, name="bench", role="dispatcher", scope_code=COUNTY)
        factory = sessionmaker(app)
        rng = np.random.default_rng(1)
        timings = []
        found = 0
        with scoped_session(factory, COUNTY) as session:
            for _ in range(20):  # warm-up
                dispatch.candidates(session, case_ids[0], actor=actor, now=NOW)
            for _ in range(CALLS):
                case_id = case_ids[int(rng.integers(0, CASES))]
                start = time.perf_counter()
                result = dispatch.candidates(session, case_id, actor=actor, now=NOW)
                timings.append((time.perf_counter() - start) * 1000)
                found += len(result.candidates)
        timings.sort()
        p50 = statistics.median(timings)
        p99 = timings[int(len(timings) * 0.99) - 1]
        print(
            f"candidates at {WORKERS} workers: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
            f"(target p50 < 5 ms: {'met' if p50 < 5 else 'NOT met'}); "
            f"mean {found / CALLS:.1f} candidates per call"
        )
        owner.dispose()
        app.dispose()
    finally:
        cluster.destroy()
        shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
