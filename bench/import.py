"""Benchmark: import 1M synthetic cases from CSV vs geopandas ``to_postgis`` (target >= 5x).

Starts its own embedded cluster in a temp folder, migrates it, seeds 100 villages with
boundaries, writes a CSV of N cases (default 1,000,000) and times:

* ours: ``run_import`` of the CSV (read, detect encoding, map, check every row, convert
  GCJ-02, COPY into staging, database checks incl. point-in-jurisdiction, repeat reports
  linked to their originals (200 m, 30 days, same type: most of these dense synthetic cases
  are repeats), one INSERT … SELECT with the cases' first events; a load larger than the
  table defers index and foreign-key upkeep to the end, see ``layers/deferral.py``),
  committed;
* geopandas: ``GeoDataFrame.to_postgis`` of the same rows, already parsed and converted, into a
  scratch table shaped like ``cases`` (same columns, defaults, indexes), same database.

Before timing, a scratch table about as large as the load is written and dropped (a new
cluster has no WAL files to recycle, and the first writer would pay for creating them), and
each timed run starts right after a ``CHECKPOINT``.

Usage: ``python bench/import.py [N [ROUNDS]]``. With ROUNDS > 1 (the machine is shared and its
load varies), each round empties ``cases`` and times both sides again, ours then geopandas, and
the ratio is of the best time of each side; every round's figures are printed.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from geo.crs import to_cgcs2000, wgs84_to_gcj02
from importers.pipeline import ImportOptions, run_import
from layers import migrate
from layers.database import make_engine
from layers.embedded import OWNER_ROLE, EmbeddedCluster

VILLAGES = 100
TOWNSHIP = "530424100000"


def village_boxes() -> list[tuple[str, float, float]]:
    """Village codes with the south-west corner of their 0.02-degree box."""
    return [
        (f"530424100{i + 1:03d}", 102.80 + 0.02 * (i % 10), 24.10 + 0.02 * (i // 10))
        for i in range(VILLAGES)
    ]


def seed(engine_url: str) -> None:
    """Insert the hierarchy down to 100 villages with boundaries."""
    engine = make_engine(engine_url, pool_size=1)
    with engine.begin() as conn:
        conn.execute(
            text(
                "SELECT set_config('zongzhi.scope_lo', '', true), "
                "set_config('zongzhi.scope_hi', '~', true)"
            )
        )
        for code, name, level, parent in (
            ("530000000000", "云南省", 1, None),
            ("530400000000", "玉溪市", 2, "530000000000"),
            ("530424000000", "华宁县", 3, "530400000000"),
            (TOWNSHIP, "宁州街道", 4, "530424000000"),
        ):
            conn.execute(
                text(
                    "INSERT INTO jurisdictions (code, name, level, parent_code) "
                    "VALUES (:c, :n, :l, :p)"
                ),
                {"c": code, "n": name, "l": level, "p": parent},
            )
        for code, west, south in village_boxes():
            conn.execute(
                text(
                    "INSERT INTO jurisdictions (code, name, level, parent_code, boundary) VALUES "
                    "(:c, :name, 5, :p, ST_Multi(ST_MakeEnvelope(:w, :s, :e, :n, 4490)))"
                ),
                {
                    "c": code,
                    "name": f"村{code[-3:]}",
                    "p": TOWNSHIP,
                    "w": west,
                    "s": south,
                    "e": west + 0.02,
                    "n": south + 0.02,
                },
            )
    engine.dispose()


def warm_up(engine: Engine, n: int) -> None:
    """Write and drop a scratch table about as large as the load, then checkpoint.

    A new cluster has no WAL files to recycle: whoever writes first would pay for creating
    and zero-filling them, and the other side would reuse them. After this, both sides start
    from a cluster that has written that much WAL once, and each timed run starts right after
    a checkpoint.
    """
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bench_warm_up AS SELECT g AS id, repeat('x', 500) AS pad "
                "FROM generate_series(1, :n) AS g"
            ),
            {"n": n},
        )
        conn.execute(text("DROP TABLE bench_warm_up"))
    checkpoint(engine)


def checkpoint(engine: Engine) -> None:
    """Flush every dirty buffer now, so that a timed run does not pay for the one before."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CHECKPOINT"))


def synthetic_cases(n: int, seed_value: int = 0) -> pd.DataFrame:
    """N cases with Chinese headers and GCJ-02 coordinates inside their village."""
    rng = np.random.default_rng(seed_value)
    boxes = village_boxes()
    which = rng.integers(0, VILLAGES, n)
    west = np.array([b[1] for b in boxes])[which]
    south = np.array([b[2] for b in boxes])[which]
    lon = west + rng.uniform(0.001, 0.019, n)
    lat = south + rng.uniform(0.001, 0.019, n)
    glon, glat = wgs84_to_gcj02(lon, lat)
    seconds = rng.integers(0, 365 * 86400, n)
    reported = pd.Timestamp("2025-01-01") + pd.to_timedelta(seconds, unit="s")
    types = np.array(["邻里纠纷", "劳资欠薪", "物业管理", "安全隐患", "社情民意"])
    return pd.DataFrame(
        {
            "工单编号": [f"GD{i:08d}" for i in range(n)],
            "来源渠道": "12345热线",
            "事件类型": types[rng.integers(0, len(types), n)],
            "标题": "群众反映问题",
            "风险等级": rng.integers(1, 5, n).astype(str),
            "经度": np.round(glon, 7).astype(str),
            "纬度": np.round(glat, 7).astype(str),
            "所属社区": np.array([b[0] for b in boxes])[which],
            "登记时间": reported.strftime("%Y-%m-%d %H:%M:%S"),
        }
    )


def geopandas_frame(cases: pd.DataFrame) -> gpd.GeoDataFrame:
    """The same rows as the ``cases`` table stores them, for ``to_postgis``."""
    lon, lat = to_cgcs2000(cases["经度"].astype(float), cases["纬度"].astype(float), "gcj02")
    frame = pd.DataFrame(
        {
            "code": "GP" + cases["工单编号"],
            "external_no": cases["工单编号"],
            "channel": "hotline_12345",
            "category": "dispute",
            "title": cases["标题"],
            "risk_level": cases["风险等级"].astype(int),
            "area_code": cases["所属社区"],
            "state": "registered",
            "handling_level": 4,
            "reported_at": pd.to_datetime(cases["登记时间"]).dt.tz_localize("Asia/Shanghai"),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4490).rename_geometry(
        "point"
    )


def time_ours(engine: Engine, path: Path, n: int) -> float:
    """Import the CSV into an empty ``cases`` table; return the seconds it took."""
    checkpoint(engine)
    start = time.perf_counter()
    with engine.connect() as conn:
        outcome = run_import(conn, path, ImportOptions(kind="cases", crs="gcj02", user="bench"))
    ours = time.perf_counter() - start
    assert outcome.committed and outcome.counts is not None, outcome.problems[:5]
    print(f"ours: {ours:.1f} s ({n / ours:,.0f} rows/s), {outcome.counts}")
    return ours


def time_again(engine: Engine, path: Path) -> None:
    """Import the same CSV again (nothing changes) and print the time it took."""
    start = time.perf_counter()
    with engine.connect() as conn:
        again = run_import(conn, path, ImportOptions(kind="cases", crs="gcj02", user="bench"))
    print(f"re-import (idempotent): {time.perf_counter() - start:.1f} s, {again.counts}")


def time_theirs(engine: Engine, frame: gpd.GeoDataFrame, n: int) -> float:
    """``to_postgis`` the rows into a new table shaped like ``cases``; return the seconds."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_cases"))
        conn.execute(
            text(
                "CREATE TABLE bench_cases (LIKE cases INCLUDING DEFAULTS INCLUDING IDENTITY "
                "INCLUDING INDEXES INCLUDING CONSTRAINTS)"
            )
        )
    checkpoint(engine)
    start = time.perf_counter()
    frame.to_postgis("bench_cases", engine, if_exists="append", index=False)
    theirs = time.perf_counter() - start
    print(f"geopandas to_postgis: {theirs:.1f} s ({n / theirs:,.0f} rows/s)")
    return theirs


def empty_cases(engine: Engine) -> None:
    """Remove every case, event and import run, for the next round."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE cases, case_events, dispatches, import_runs CASCADE"))


def main() -> None:
    """Run the benchmark and print the figures."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    folder = Path(tempfile.mkdtemp(prefix="zongzhi-bench-import-"))
    cluster = EmbeddedCluster(folder / "pg")
    try:
        info = cluster.start()
        url = info.url(OWNER_ROLE, "postgresql+psycopg")
        engine = make_engine(url, pool_size=2)
        migrate.upgrade(engine)
        seed(url)
        cases = synthetic_cases(n)
        path = folder / "cases.csv"
        cases.to_csv(path, index=False, encoding="gb18030")
        size_mb = path.stat().st_size / 1e6
        print(f"{n:,} cases, CSV {size_mb:.0f} MB (GB18030), 100 villages with boundaries")
        frame = geopandas_frame(cases)
        warm_up(engine, n)

        ours, theirs = [], []
        for round_ in range(rounds):
            if round_:
                empty_cases(engine)
            ours.append(time_ours(engine, path, n))
            if round_ == 0:
                time_again(engine, path)
            theirs.append(time_theirs(engine, frame, n))
        if rounds > 1:
            print(f"best of {rounds}: ours {min(ours):.1f} s, geopandas {min(theirs):.1f} s")
        print(f"ratio: {min(theirs) / min(ours):.1f}x (target >= 5x)")
        engine.dispose()
    finally:
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
