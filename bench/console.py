"""Benchmark: the command view of a county with 50,000 cases opens in under 2 s (headless Chromium).

Starts its own embedded PostGIS in a temporary folder, migrates it, generates the 华宁县 demo
county with about 50,000 cases (the demo's yearly case numbers scaled up over three years),
loads it, runs the one-year hot-spot analysis as ``zongzhi demo`` does, serves the platform
with uvicorn on a loopback port and opens ``/console/{county}`` in headless Debian Chromium
logged in as the county commander. A run is timed from navigation start to the page's
``window.zzReady`` flag: the map fitted to the county with its child units shaded, the KPI
cards and the queue rendered (``web/static/console/command.js``); the time until the cases
layer's hexagon tiles of the view are drawn (``window.zzTilesAt``) is printed as well. Prints the
median and the maximum over a few runs and the 2 s target.

Run: ``.venv/bin/python -m bench.console`` from the repository root (``--runs N``, ``--cases N``;
``--dir DIR`` keeps the loaded cluster there for the next run; ``--serve`` serves it instead).
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.app import create_app
from api.cli import served_in_thread
from api.settings import ApiSettings
from importers.demo.cli import analyse_last_year
from importers.demo.dataset import DEFAULT_SEED, generate
from importers.demo.load import LoadReport, load_demo
from importers.demo.plan import DEFAULT_COUNTY, DEMO_PASSWORD, DemoScale
from layers import migrate
from layers.database import DatabaseUrls, apply_scope, make_engine
from layers.embedded import APP_ROLE, OWNER_ROLE, EmbeddedCluster
from layers.secrets import keys_from_master
from layers.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET_S = 2.0
KEYS = keys_from_master(b"zongzhi console bench master key")


@dataclass(frozen=True)
class Platform:
    """A served platform over a loaded demo county."""

    origin: str
    county: str
    report: LoadReport | None
    cases: int


def scale_for(cases: int) -> DemoScale:
    """Return demo sizes giving about ``cases`` cases over the demo's history."""
    base = DemoScale()
    per_year = base.disputes_per_year + base.hazards_per_year + base.opinions_per_year
    factor = cases / (per_year * base.years)
    return replace(
        base,
        disputes_per_year=round(base.disputes_per_year * factor),
        hazards_per_year=round(base.hazards_per_year * factor),
        opinions_per_year=round(base.opinions_per_year * factor),
    )


@contextmanager
def platform(root: Path, *, cases: int, port: int = 0, reuse: bool = False) -> Iterator[Platform]:
    """Start a cluster in ``root``, load the demo county with about ``cases`` cases, serve it.

    With ``reuse`` an already loaded cluster in ``root`` is served as it is (development).
    """
    cluster = EmbeddedCluster(root / "pg")
    loaded = reuse and cluster.initialised
    info = cluster.start()
    urls = DatabaseUrls(
        info.url(OWNER_ROLE, "postgresql+psycopg"), info.url(APP_ROLE, "postgresql+psycopg")
    )
    owner = make_engine(urls.owner, pool_size=2)
    report: LoadReport | None = None
    if not loaded:
        now = datetime.now(UTC)
        data = generate(DEFAULT_COUNTY, seed=DEFAULT_SEED, now=now, scale=scale_for(cases))
        migrate.upgrade(owner)
        started = time.perf_counter()
        with Session(owner) as session, session.begin():
            apply_scope(session, None)
            report = load_demo(session, data, KEYS, password=DEMO_PASSWORD)
        with owner.begin() as conn:
            conn.execute(text("ANALYZE"))
        analyse_last_year(owner, county=data.county_code, now=now)
        print(f"loaded the demo county in {time.perf_counter() - started:.1f} s", flush=True)
    with owner.connect() as conn:
        total = int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
    settings = ApiSettings(
        database=Settings(home=root / "home", database_url=urls.owner, app_database_url=urls.app),
        urls=urls,
        jwt_secret="console-bench-jwt-secret-0123456789abcdef",
        keys=KEYS,
        pool_size=4,
    )
    try:
        with served_in_thread(create_app(settings), port=port) as origin:
            yield Platform(origin, DEFAULT_COUNTY.ljust(12, "0"), report, total)
    finally:
        owner.dispose()
        if reuse:
            cluster.stop()
        else:
            cluster.destroy()


def time_console(origin: str, county: str, username: str, runs: int) -> list[tuple[float, float]]:
    """Open the county's command view ``runs`` times.

    Returns the seconds from navigation start to ``zzReady`` (map fitted and shaded, KPI cards,
    queue) and to ``zzTilesAt`` (the cases layer's hexagon tiles of the view loaded), per run.
    """
    from playwright.sync_api import sync_playwright

    timings: list[tuple[float, float]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1600, "height": 900}
        )
        page = context.new_page()
        page.goto(f"{origin}/login")
        page.fill("#username", username)
        page.fill("#password", DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(lambda url: "/login" not in url)
        for _ in range(runs + 1):  # the first run warms the server's caches and is dropped
            page.goto("about:blank")
            page.goto(f"{origin}/console/{county}", wait_until="commit")
            page.wait_for_function("window.zzReady === true", timeout=60_000)
            page.wait_for_function("window.zzTilesAt !== undefined", timeout=60_000)
            ready, tiles = page.evaluate("[window.zzReadyAt / 1000, window.zzTilesAt / 1000]")
            timings.append((float(ready), float(tiles)))
        context.close()
        browser.close()
    return timings[1:]


def _commander(report: LoadReport | None, county: str) -> str:
    if report is None:  # a reused folder: the demo's naming of logins
        return f"commander.county.{county[:6]}"
    return next(
        login.username
        for login in report.logins
        if login.role == "commander" and login.scope_code == county
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--dir", type=Path, help="keep the cluster in this folder (reused when already loaded)"
    )
    parser.add_argument("--serve", action="store_true", help="serve until ^C instead of timing")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zongzhi-bench-") as tmp:
        root = args.dir if args.dir is not None else Path(tmp)
        keep = args.dir is not None
        with platform(root, cases=args.cases, port=args.port, reuse=keep) as served:
            if args.serve:
                print(f"serving {served.cases} cases at {served.origin}", flush=True)
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the cluster too
                while True:
                    time.sleep(3600)
            username = _commander(served.report, served.county)
            timings = time_console(served.origin, served.county, username, args.runs)
        ready = [r for r, _ in timings]
        tiles = [t for _, t in timings]
        print(
            f"command view of a county with {served.cases} cases, {len(timings)} runs: "
            f"map, KPI cards and queue drawn: median {statistics.median(ready):.2f} s, "
            f"max {max(ready):.2f} s (target < {TARGET_S:.0f} s: "
            f"{'met' if max(ready) < TARGET_S else 'NOT met'}); "
            f"case hexagon tiles drawn: median {statistics.median(tiles):.2f} s, "
            f"max {max(tiles):.2f} s"
        )


if __name__ == "__main__":
    main()
