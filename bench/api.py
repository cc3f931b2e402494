"""Benchmark: our HTTP API against tipg over the same PostGIS tables, plus dispatch candidates.

Targets (issue 5): a city-scale z14 tile ≥ 2x tipg's req/s, a 1,000-feature items page ≥ 5x
tipg's req/s, and ``GET /api/cases/{id}/candidates`` at 50,000 workers with p50 < 5 ms.

What it does, all in one run:

1. starts its own embedded PostGIS in a temporary folder, migrates it and loads a city: 10
   counties, 100 townships, 1,000 villages, 2,000 grids over about 100 km x 100 km, 400,000
   cases of one year (half around the city centre, a fifth in five district centres, the rest
   spread out) and 50,000 workers (80 % on duty, 10 % of positions stale);
2. serves our API (``api.app:create_app``: the app role, row-level security and jurisdiction
   scoping on, as in production) authenticated as a city commander with a Bearer token, and
   tipg (installed only for the benchmark, in ``.venv-bench/``; created here when missing) over
   the same tables as the owner role; both under uvicorn with the same number of worker
   processes and ``TCP_NODELAY`` connections (:data:`UVICORN`). Ours runs twice: as deployed,
   and with its tile and count caches off (``ZONGZHI_CACHE_MB=0``, :mod:`api.caches`), so
   that the table shows what the caches give and what every request costs without them;
3. loads each with ``wrk`` (Debian package; ``make bench`` installs it), same connections and
   threads for all, after a warm-up, in alternating rounds (forward, then backward) with
   the latency histograms merged: (a) the z14 tile of cases holding the most cases (ours
   ``/tiles/cases/14/x/y.mvt``; tipg ``/collections/public.cases/tiles/WebMercatorQuad/14/x/y``
   with the same four properties), (b) the first 1,000-feature items page of cases (same 13
   properties on both sides, both ordered by id with ``numberMatched``), (c) the candidates
   endpoint at one connection for random cases, through HTTP (auth, scoping and JSON included),
   and ``layers.dispatch.candidates`` in process as ``bench/candidates.py`` times it.

Migration ``0005_leakproof_bbox`` marks PostGIS's ``&&`` LEAKPROOF (the embedded owner is a
superuser): under row-level security PostgreSQL uses an index only for leakproof conditions,
so without it the app role's tile query could not use the GiST index. The run prints whether
the mark is in place.

Both servers and PostgreSQL share this machine with ``wrk``: figures are for this machine
under whatever else is running on it; the ratios come from the same run.

Run: ``.venv/bin/python bench/api.py`` (``--help`` for durations and concurrency).
"""

from __future__ import annotations

import sys
from pathlib import Path

# ``python bench/api.py`` puts bench/ first on sys.path, where this file would shadow the
# ``api`` package: take it off and put the project root there instead.
_BENCH = Path(__file__).resolve().parent
ROOT = _BENCH.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from api.auth import issue_token  # noqa: E402
from api.settings import ApiSettings  # noqa: E402
from layers import accounts, dispatch, migrate  # noqa: E402
from layers.database import apply_scope, make_engine, scoped_session  # noqa: E402
from layers.embedded import APP_ROLE, OWNER_ROLE, ClusterInfo, EmbeddedCluster  # noqa: E402
from layers.settings import Settings  # noqa: E402
from layers.workflow import Actor  # noqa: E402

CITY = "520100000000"
PROVINCE = "520000000000"
WEST, SOUTH, EAST, NORTH = 106.2, 26.1, 107.2, 27.0  # about 100 km x 100 km
COLS, ROWS = 50, 40  # 2,000 grids; a village is two grids side by side
CASES = 400_000
WORKERS = 50_000
ZOOM = 14
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
JWT_SECRET = "bench-api-jwt-secret-0123456789abcdef"
PASSWORD = "Zz#Bench-Api-2026"
ITEM_PROPERTIES = (
    "code,channel,category,subcategory,title,risk_level,state,handling_level,"
    "reported_at,deadline,grid_code,area_code,repeat_count"
)
TILE_PROPERTIES = "code,category,risk_level,state"
BENCH_VENV = ROOT / ".venv-bench"
NULL = "\\N"  # COPY text format

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"bytes":%d,"histogram":[',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    e.status, summary.bytes))
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format('%s[%d,%d]', i > 1 and ',' or '', value, count))
  end
  io.write(']}\\n')
end
"""
"""wrk's report: totals and the latency histogram (microseconds, count), merged over rounds."""


# --- data ---------------------------------------------------------------------------------


def village_code(index: int) -> str:
    """12-digit code of village ``index`` (0-999): county, township, village from 1."""
    county, rest = divmod(index, 100)
    town, village = divmod(rest, 10)
    return f"5201{county + 1:02d}{town + 1:03d}{village + 1:03d}"


def grid_of(col: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Village index and grid serial (1 or 2) of fishnet cells."""
    return row * (COLS // 2) + col // 2, col % 2 + 1


def copy_rows(conn: psycopg.Connection, table: str, columns: str, rows: Iterator[str]) -> None:
    buffer = io.StringIO()
    for line in rows:
        buffer.write(line)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def load_city(url: str, rng: np.random.Generator) -> None:
    """Insert the city's hierarchy, grids, cases and workers (owner role, one transaction)."""
    dx, dy = (EAST - WEST) / COLS, (NORTH - SOUTH) / ROWS
    with psycopg.connect(url) as conn:
        units = [(PROVINCE, "贵州省", 1, None), (CITY, "贵阳市", 2, PROVINCE)]
        for county in range(10):
            county_code = f"5201{county + 1:02d}000000"
            units.append((county_code, f"区县{county + 1}", 3, CITY))
            for town in range(10):
                town_code = f"5201{county + 1:02d}{town + 1:03d}000"
                units.append((town_code, f"街道{county + 1}-{town + 1}", 4, county_code))
                for village in range(10):
                    code = village_code(county * 100 + town * 10 + village)
                    units.append((code, f"社区{code[-6:]}", 5, town_code))
        copy_rows(
            conn,
            "jurisdictions",
            "code, name, level, parent_code",
            (f"{c}\t{n}\t{lv}\t{p or NULL}\n" for c, n, lv, p in units),
        )

        def grid_rows() -> Iterator[str]:
            for row in range(ROWS):
                for col in range(COLS):
                    village, serial = grid_of(np.array(col), np.array(row))
                    code = village_code(int(village)) + f"{int(serial):03d}"
                    x0, y0 = WEST + col * dx, SOUTH + row * dy
                    poly = (
                        f"SRID=4490;POLYGON(({x0} {y0},{x0 + dx} {y0},{x0 + dx} {y0 + dy},"
                        f"{x0} {y0 + dy},{x0} {y0}))"
                    )
                    yield f"{code}\t网格{code[-9:]}\t{code[:12]}\t{poly}\n"

        copy_rows(conn, "grids", "code, name, area_code, boundary", grid_rows())

        lon, lat = city_points(rng, CASES)
        col = np.minimum(((lon - WEST) / dx).astype(int), COLS - 1)
        row = np.minimum(((lat - SOUTH) / dy).astype(int), ROWS - 1)
        village, serial = grid_of(col, row)
        channels = np.array(["grid_worker", "hotline_12345", "non_police_110", "phone", "online"])
        subcategories = np.array(["neighbours", "labour_wages", "property_management", "land"])
        states = np.array(["registered", "triaged", "dispatched", "accepted", "resolved"])
        channel = channels[rng.integers(0, len(channels), CASES)]
        subcategory = subcategories[rng.integers(0, len(subcategories), CASES)]
        state = states[rng.integers(0, len(states), CASES)]
        risk = rng.integers(1, 5, CASES)
        seconds = rng.uniform(0, 365 * 86400, CASES)
        villages = [village_code(v) for v in range(1000)]

        def case_rows() -> Iterator[str]:
            for i in range(CASES):
                area = villages[village[i]]
                reported = YEAR_START + timedelta(seconds=float(seconds[i]))
                deadline = reported + timedelta(days=30)
                yield (
                    f"C2026{i:08d}\t{channel[i]}\tdispute\t{subcategory[i]}\t纠纷事件{i}\t"
                    f"{risk[i]}\tSRID=4490;POINT({lon[i]:.7f} {lat[i]:.7f})\t{area}\t"
                    f"{area}{serial[i]:03d}\t{state[i]}\t4\t{reported.isoformat()}\t"
                    f"{deadline.isoformat()}\n"
                )

        copy_rows(
            conn,
            "cases",
            "code, channel, category, subcategory, title, risk_level, point, area_code, "
            "grid_code, state, handling_level, reported_at, deadline",
            case_rows(),
        )

        wlon, wlat = city_points(rng, WORKERS)
        wcol = np.minimum(((wlon - WEST) / dx).astype(int), COLS - 1)
        wrow = np.minimum(((wlat - SOUTH) / dy).astype(int), ROWS - 1)
        wvillage, wserial = grid_of(wcol, wrow)
        on_duty = rng.uniform(size=WORKERS) < 0.8
        age_min = np.where(rng.uniform(size=WORKERS) < 0.1, 120.0, rng.uniform(0, 10, WORKERS))
        now = datetime.now(UTC)

        def worker_rows() -> Iterator[str]:
            for i in range(WORKERS):
                area = villages[wvillage[i]]
                seen = now - timedelta(minutes=float(age_min[i]))
                yield (
                    f"网格员{i}\tgrid_worker\t{area}\t{area}{wserial[i]:03d}\t"
                    f"{'on_duty' if on_duty[i] else 'off_duty'}\t"
                    f"SRID=4490;POINT({wlon[i]:.7f} {wlat[i]:.7f})\t{seen.isoformat()}\n"
                )

        copy_rows(
            conn,
            "workers",
            "name, role, area_code, home_grid, status, last_position, last_seen_at",
            worker_rows(),
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        # Write the load out now rather than while the servers are measured.
        conn.execute("CHECKPOINT")


def city_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Half around the centre (sigma 6 km), a fifth in five districts (2 km), rest uniform."""
    km_lon = 111.32 * math.cos(math.radians((SOUTH + NORTH) / 2))
    centre = ((WEST + EAST) / 2, (SOUTH + NORTH) / 2)
    n_centre, n_district = n // 2, n // 5
    n_uniform = n - n_centre - n_district
    lon = [rng.normal(centre[0], 6 / km_lon, n_centre)]
    lat = [rng.normal(centre[1], 6 / 111.32, n_centre)]
    districts = rng.uniform((WEST + 0.15, SOUTH + 0.15), (EAST - 0.15, NORTH - 0.15), (5, 2))
    pick = rng.integers(0, 5, n_district)
    lon.append(rng.normal(districts[pick, 0], 2 / km_lon))
    lat.append(rng.normal(districts[pick, 1], 2 / 111.32))
    lon.append(rng.uniform(WEST, EAST, n_uniform))
    lat.append(rng.uniform(SOUTH, NORTH, n_uniform))
    eps = 1e-6
    return (
        np.clip(np.concatenate(lon), WEST + eps, EAST - eps),
        np.clip(np.concatenate(lat), SOUTH + eps, NORTH - eps),
    )


def densest_tile(url: str) -> tuple[int, int, int]:
    """The z14 tile holding the most cases, and how many it holds."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT ST_X(point), ST_Y(point) FROM cases").fetchall()
    xy = np.array(rows, dtype=np.float64)
    n = 2**ZOOM
    tx = np.floor((xy[:, 0] + 180) / 360 * n).astype(np.int64)
    lat = np.radians(xy[:, 1])
    ty = np.floor((1 - np.arcsinh(np.tan(lat)) / math.pi) / 2 * n).astype(np.int64)
    keys, counts = np.unique(tx * n + ty, return_counts=True)
    best = int(np.argmax(counts))
    x, y = divmod(int(keys[best]), n)
    return x, y, int(counts[best])


# --- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ensure_tipg() -> Path:
    """Python of ``.venv-bench`` with tipg and uvicorn, created on first use."""
    python = BENCH_VENV / "bin" / "python"
    probe = [str(python), "-c", "import tipg, uvicorn, httptools, uvloop"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"installing tipg into {BENCH_VENV} (benchmark only)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "tipg", "uvicorn[standard]"], check=True
    )
    return python


@dataclass
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]
    log: Path


UVICORN = """
import socket, sys
from uvicorn.config import Config
from uvicorn.supervisors import Multiprocess

app, host, port, workers, factory = sys.argv[1:6]
config = Config(app, factory=factory == "factory", host=host, port=int(port),
                workers=int(workers), log_level="warning", access_log=False)
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind((host, int(port)))
sock.set_inheritable(True)
Multiprocess(config, sockets=[sock]).run()
"""
"""``uvicorn --workers N`` as uvicorn runs it, but with a listening socket created with
``IPPROTO_TCP``: uvicorn's own (``Config.bind_socket``, 0.54) leaves the protocol at 0, the
accepted connections inherit it and asyncio then does not set ``TCP_NODELAY`` on them, so every
keep-alive response after the first waits for the client's delayed ACK, about 40 ms on Linux
(uvicorn issue #3149; measured here: 44 ms p50 for a static document at one connection instead
of 0.5 ms). Both servers are started this way."""


@contextmanager
def serve(
    name: str, python: Path, target: str, env: dict[str, str], workers: int, cwd: Path
) -> Iterator[Server]:
    """Run uvicorn (``target``: ``module:app`` or ``module:factory()``) in its own process
    group with ``TCP_NODELAY`` connections (:data:`UVICORN`); stop the whole group afterwards."""
    port = free_port()
    log = cwd / f"{name}.log"
    app, factory = (target[:-2], "factory") if target.endswith("()") else (target, "app")
    cmd = [str(python), "-c", UVICORN, app, "127.0.0.1", str(port), str(workers), factory]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            cmd,
            env={**os.environ, **env},
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    try:
        wait_ready(server)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_ready(server: Server, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.base + "/openapi.json", timeout=5):
                return
        except urllib.error.HTTPError:  # answering, even if not with that document
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{server.name} did not start: {server.log.read_text()}"
                ) from None
            time.sleep(0.3)


def get(url: str, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        body: bytes = response.read()
        return body


# --- load ---------------------------------------------------------------------------------


@dataclass
class Load:
    """Requests, time and the latency histogram of one or more wrk runs."""

    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    bytes: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, raw: dict[str, Any]) -> None:
        self.requests += raw["requests"]
        self.seconds += raw["duration_us"] / 1e6
        self.errors += raw["errors"] + raw["non2xx"]
        self.bytes += raw["bytes"]
        for value, count in raw["histogram"]:
            self.histogram[value] = self.histogram.get(value, 0) + count

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, q: float) -> float:
        """Latency below which ``q`` percent of the requests fell (wrk's definition)."""
        total = sum(self.histogram.values())
        rank, seen = q / 100 * total, 0
        for value in sorted(self.histogram):
            seen += self.histogram[value]
            if seen >= rank:
                return value / 1000
        return math.nan


def wrk(
    paths: list[str],
    base: str,
    *,
    seconds: float,
    connections: int,
    threads: int,
    headers: dict[str, str],
    folder: Path,
) -> dict[str, Any]:
    """Run wrk for ``seconds`` cycling through ``paths``; return its report."""
    script = folder / "wrk.lua"
    cycle = ", ".join(json.dumps(p) for p in paths)
    script.write_text(
        f"local paths = {{{cycle}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n"
        + WRK_REPORT
    )
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
    cmd += ["--timeout", "30s", "-s", str(script)]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, base + paths[0]], capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    report: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return report


@dataclass(frozen=True)
class Target:
    """One side of a comparison: a server, the paths to cycle through, the headers to send."""

    label: str
    base: str
    paths: list[str]
    headers: dict[str, str]


def compare(targets: list[Target], args: argparse.Namespace, folder: Path) -> dict[str, Load]:
    """Warm every target up, then measure them in alternating rounds (ABBA order).

    Alternating rounds spread the changing load of a shared machine over both sides instead
    of giving one side a quiet minute and the other a busy one.
    """
    common = {"connections": args.connections, "threads": args.threads, "folder": folder}
    for target in targets:
        wrk(target.paths, target.base, seconds=args.warmup, headers=target.headers, **common)
    loads = {target.label: Load() for target in targets}
    for round_ in range(args.rounds):
        order = targets if round_ % 2 == 0 else targets[::-1]
        for target in order:
            report = wrk(
                target.paths,
                target.base,
                seconds=args.seconds / args.rounds,
                headers=target.headers,
                **common,
            )
            loads[target.label].add(report)
    return loads


def candidates_in_process(city: City, calls: int = 500) -> tuple[float, float]:
    """p50 and p99 (ms) of ``layers.dispatch.candidates`` through the app role (RLS on)."""
    app = make_engine(city.info.url(APP_ROLE, "postgresql+psycopg"))
    actor = Actor(user_id=city.user_id, name="bench", role="commander", scope_code=CITY)
    factory = sessionmaker(app)
    rng = np.random.default_rng(1)
    timings = []
    with scoped_session(factory, CITY) as session:
        for _ in range(20):  # warm-up
            dispatch.candidates(session, city.case_ids[0], actor=actor, now=datetime.now(UTC))
        for _ in range(calls):
            case_id = city.case_ids[int(rng.integers(0, len(city.case_ids)))]
            now = datetime.now(UTC)
            start = time.perf_counter()
            dispatch.candidates(session, case_id, actor=actor, now=now)
            timings.append((time.perf_counter() - start) * 1000)
    app.dispose()
    timings.sort()
    return float(np.percentile(timings, 50)), float(np.percentile(timings, 99))


def count_tile_features(data: bytes) -> int:
    import mapbox_vector_tile

    layers = mapbox_vector_tile.decode(data)
    return sum(len(layer["features"]) for layer in layers.values())


def row(label: str, load: Load) -> str:
    return (
        f"  {label:<9} {load.rps:9.1f} req/s   p50 {load.percentile_ms(50):8.2f} ms   "
        f"p99 {load.percentile_ms(99):8.2f} ms   {load.requests:7d} requests, "
        f"{load.errors} errors, {load.bytes / max(1, load.requests) / 1024:.1f} KiB each"
    )


@dataclass(frozen=True)
class City:
    """A loaded city: where it is and what to ask for."""

    info: ClusterInfo
    user_id: int
    case_ids: list[int]
    tile: tuple[int, int]
    folder: Path


def prepare(info: ClusterInfo, folder: Path) -> City:
    """Migrate, load the city, create the city commander, pick the densest tile."""
    owner = make_engine(info.url(OWNER_ROLE, "postgresql+psycopg"))
    migrate.upgrade(owner)
    started = time.perf_counter()
    load_city(info.url(OWNER_ROLE), np.random.default_rng(20261201))
    with Session(owner) as session, session.begin():
        apply_scope(session, None)
        user = accounts.create_user(
            session,
            username="bench_city_commander",
            password=PASSWORD,
            role="commander",
            scope_code=CITY,
            display_name="市指挥长",
        )
        user_id = user.id
        session.execute(text("SELECT setseed(0.5)"))
        case_ids = [
            int(r[0])
            for r in session.execute(text("SELECT id FROM cases ORDER BY random() LIMIT 200"))
        ]
    owner.dispose()
    tx, ty, tile_cases = densest_tile(info.url(OWNER_ROLE))
    print(
        f"loaded 2,000 grids, {CASES:,} cases, {WORKERS:,} workers in "
        f"{time.perf_counter() - started:.0f} s; densest z{ZOOM} tile {tx}/{ty} "
        f"holds {tile_cases:,} cases",
        flush=True,
    )
    return City(info, user_id, case_ids, (tx, ty), folder)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--seconds", type=int, default=30, help="measured seconds per server and case"
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per case")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per case")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["tile", "items", "candidates"],
        default=["tile", "items", "candidates"],
        help="measure only these",
    )
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    folder = Path(tempfile.mkdtemp(prefix="zongzhi-bench-api-"))
    cluster = EmbeddedCluster(folder / "pg")
    try:
        city = prepare(cluster.start(), folder)
        run(city, args)
    finally:
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


def run(city: City, args: argparse.Namespace) -> None:
    """Serve both, check they answer alike, load them, print the table."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (or make bench)")
    tipg_python = ensure_tipg()
    tipg_version = subprocess.run(
        [str(tipg_python), "-c", "import tipg; print(tipg.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    start_load = os.getloadavg()
    info, folder, case_ids = city.info, city.folder, city.case_ids
    tx, ty = city.tile
    settings = ApiSettings(database=Settings(folder, None, None), jwt_secret=JWT_SECRET)
    token = issue_token(settings, city.user_id, now=datetime.now(UTC)).token
    auth = {"Authorization": f"Bearer {token}"}
    ours_env = {
        "ZONGZHI_HOME": str(folder / "home"),
        "ZONGZHI_DATABASE_URL": info.url(OWNER_ROLE),
        "ZONGZHI_APP_DATABASE_URL": info.url(APP_ROLE),
        "ZONGZHI_JWT_SECRET": JWT_SECRET,
    }
    tipg_env = {
        "DATABASE_URL": info.url(OWNER_ROLE),
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.cases"]',
    }
    ours_tile = f"/tiles/cases/{ZOOM}/{tx}/{ty}.mvt"
    tipg_tile = (
        f"/collections/public.cases/tiles/WebMercatorQuad/{ZOOM}/{tx}/{ty}"
        f"?properties={TILE_PROPERTIES}"
    )
    ours_items = "/ogc/collections/cases/items?limit=1000"
    tipg_items = f"/collections/public.cases/items?limit=1000&properties={ITEM_PROPERTIES}"
    candidate_paths = [f"/api/cases/{i}/candidates" for i in case_ids]

    results: dict[str, dict[str, Load]] = {}
    ours_python = Path(sys.executable)
    with (
        serve("ours", ours_python, "api.app:create_app()", ours_env, args.workers, folder) as ours,
        serve(
            "ours-uncached",
            ours_python,
            "api.app:create_app()",
            {**ours_env, "ZONGZHI_CACHE_MB": "0"},
            args.workers,
            folder,
        ) as uncached,
        serve("tipg", tipg_python, "tipg.main:app", tipg_env, args.workers, folder) as tipg,
    ):
        # Same content on both sides before timing anything.
        ours_tile_n = count_tile_features(get(ours.base + ours_tile, auth))
        tipg_tile_n = count_tile_features(get(tipg.base + tipg_tile))
        ours_page = json.loads(get(ours.base + ours_items, auth))
        tipg_page = json.loads(get(tipg.base + tipg_items))
        print(
            f"z{ZOOM} tile features: ours {ours_tile_n:,}, tipg {tipg_tile_n:,}; items page: "
            f"ours {ours_page['numberReturned']} of {ours_page['numberMatched']:,} with "
            f"{len(ours_page['features'][0]['properties'])} properties, tipg "
            f"{tipg_page['numberReturned']} of {tipg_page['numberMatched']:,} with "
            f"{len(tipg_page['features'][0]['properties'])} properties",
            flush=True,
        )
        body = json.loads(get(ours.base + candidate_paths[0], auth))
        assert "candidates" in body, body
        for key, ours_path, tipg_path in (
            ("tile", ours_tile, tipg_tile),
            ("items", ours_items, tipg_items),
        ):
            if key in args.only:
                results[key] = compare(
                    [
                        Target("ours", ours.base, [ours_path], auth),
                        Target("uncached", uncached.base, [ours_path], auth),
                        Target("tipg", tipg.base, [tipg_path], {}),
                    ],
                    args,
                    folder,
                )
                print(f"measured {key}", flush=True)
        if "candidates" in args.only:
            single = argparse.Namespace(**{**vars(args), "connections": 1, "threads": 1})
            candidates = compare(
                [Target("ours", ours.base, candidate_paths, auth)], single, folder
            )["ours"]
            found = sum(
                len(json.loads(get(ours.base + p, auth))["candidates"])
                for p in candidate_paths[:50]
            )
    if "candidates" in args.only:
        direct = candidates_in_process(city)

    load1, load5, load15 = os.getloadavg()
    print(
        f"\nmachine: {os.cpu_count()} cores, load average {load1:.2f} {load5:.2f} "
        f"{load15:.2f} at the end (shared; servers, PostgreSQL and wrk on the same cores)"
    )
    print(
        f"servers: uvicorn x{args.workers} workers each (TCP_NODELAY set); ours "
        f"api.app:create_app as a city commander (app role, RLS), tipg {tipg_version} as "
        f"the owner role; wrk "
        f"{args.threads} thread(s), {args.connections} connections, {args.warmup} s "
        f"warm-up, then {args.seconds} s per server in {args.rounds} alternating rounds; "
        f"load average {start_load[0]:.2f} {start_load[1]:.2f} {start_load[2]:.2f} at the start"
    )
    with psycopg.connect(info.url(OWNER_ROLE)) as conn:
        leakproof = conn.execute(
            "SELECT proleakproof FROM pg_proc WHERE proname = 'geometry_overlaps'"
        ).fetchone()
    print(
        "geometry && is "
        + ("LEAKPROOF (migration 0005)" if leakproof and leakproof[0] else "not leakproof")
        + ": under RLS the app role "
        + ("can" if leakproof and leakproof[0] else "cannot")
        + " use the GiST index for a tile's box"
    )
    targets = {"tile": 2.0, "items": 5.0}
    titles = {
        "tile": f"z{ZOOM} tile {tx}/{ty} of cases ({ours_tile_n:,} features)",
        "items": "items page of cases, limit=1000",
    }
    cold = {"tile": "encodes the tile", "items": "counts the matches again"}
    for key in results:
        ours_load, tipg_load = results[key]["ours"], results[key]["tipg"]
        ratio = ours_load.rps / tipg_load.rps
        verdict = "met" if ratio >= targets[key] else "NOT met"
        print(f"\n{titles[key]}")
        uncached_load = results[key]["uncached"]
        print(row("ours", ours_load))
        print(row("uncached", uncached_load))
        print(row("tipg", tipg_load))
        print(f"  ratio ours/tipg {ratio:.2f}x (target >= {targets[key]:.0f}x: {verdict})")
        print(
            f"  without our caches (ZONGZHI_CACHE_MB=0): {uncached_load.rps / tipg_load.rps:.2f}x"
            f" tipg; every request {cold[key]}"
        )
    if "candidates" in args.only:
        p50 = candidates.percentile_ms(50)
        verdict = "met" if p50 < 5 else "NOT met"
        print(
            f"\ncandidates at {WORKERS:,} workers, 200 random cases, city commander scope"
            f"\n  over HTTP (GET /api/cases/{{id}}/candidates, 1 connection): p50 {p50:.2f} ms, "
            f"p99 {candidates.percentile_ms(99):.2f} ms, {candidates.rps:.1f} req/s, "
            f"{candidates.errors} errors (target p50 < 5 ms: {verdict}); "
            f"{found / 50:.1f} candidates per case on average"
            f"\n  in process (layers.dispatch.candidates, as bench/candidates.py measures it): "
            f"p50 {direct[0]:.2f} ms, p99 {direct[1]:.2f} ms"
        )


if __name__ == "__main__":
    main()
