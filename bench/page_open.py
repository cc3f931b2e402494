"""Benchmark: what opening a console page again costs the browser (requests, bytes, time).

Logs in in headless Debian Chromium (the login lands on the user's page, which fills the
browser's cache), then opens the page again ``--runs`` times in the same browser context (its
HTTP cache kept, as an operator's browser keeps it), each time from ``about:blank``. For each
open it counts, through the DevTools protocol, the requests the page made, how many of them
went to the server (the rest were answered by the browser's cache without asking), how many
of those were static files (``/static/``) and how many were answered 304, and the bytes
received; and it times the page from navigation start to ``window.zzReady`` (the command
view's map, KPI cards and queue drawn). Prints the medians.

Run: ``.venv/bin/python -m bench.page_open`` serves a demo county of its own (``--cases N``,
as ``bench.console`` does); ``--origin http://127.0.0.1:8102`` measures a platform served
already (``python -m bench.console --dir DIR --serve --port 8102``). ``--user`` the login
(default the demo county's commander), ``--path`` the page (default the county's command
view), ``--runs N``, ``--latency MS`` adds MS to each request as a slower network would, and
``--gap S`` waits S seconds between opens: a browser keeps a file that names no
``Cache-Control`` for a tenth of its age since ``Last-Modified`` without asking, so files
installed an hour ago are asked again after six minutes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.console import CHROMIUM, CHROMIUM_ARGS, platform
from importers.demo.plan import DEFAULT_COUNTY, DEMO_PASSWORD


@dataclass
class PageOpen:
    """What one open of the page cost."""

    requests: int = 0
    from_cache: int = 0
    static_asked: int = 0
    not_modified: int = 0
    received: int = 0
    static_received: int = 0
    ready_s: float = 0.0
    urls: list[str] = field(default_factory=list)
    asked_by_kind: dict[str, int] = field(default_factory=dict)


def open_page(page: Any, cdp: Any, url: str, gap_s: float = 0.0) -> PageOpen:
    """Open ``url`` ``gap_s`` seconds after leaving for ``about:blank``; return its cost."""
    page.goto("about:blank")
    page.wait_for_timeout(gap_s * 1000)
    seen: dict[str, str] = {}
    cached: set[str] = set()
    status: dict[str, int] = {}
    sizes: dict[str, int] = {}

    def sent(event: dict[str, Any]) -> None:
        seen[event["requestId"]] = event["request"]["url"]

    def served(event: dict[str, Any]) -> None:
        cached.add(event["requestId"])

    def answered(event: dict[str, Any]) -> None:
        status[event["requestId"]] = int(event["response"]["status"])
        if event["response"].get("fromDiskCache") or event["response"].get("fromMemoryCache"):
            cached.add(event["requestId"])

    def finished(event: dict[str, Any]) -> None:
        sizes[event["requestId"]] = int(event["encodedDataLength"])

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.requestServedFromCache", served)
    cdp.on("Network.responseReceived", answered)
    cdp.on("Network.loadingFinished", finished)
    page.goto(url, wait_until="commit")
    page.wait_for_function("window.zzReady === true", timeout=60_000)
    page.wait_for_load_state("load")
    page.wait_for_timeout(1500)  # the tiles and reads the drawn page still makes
    ready = float(page.evaluate("window.zzReadyAt")) / 1000
    for name, handler in (
        ("Network.requestWillBeSent", sent),
        ("Network.requestServedFromCache", served),
        ("Network.responseReceived", answered),
        ("Network.loadingFinished", finished),
    ):
        cdp.remove_listener(name, handler)
    result = PageOpen(ready_s=ready)
    for rid, req_url in seen.items():
        if req_url.startswith(("data:", "blob:", "about:")):
            continue
        result.requests += 1
        result.urls.append(req_url)
        if rid in cached:
            result.from_cache += 1
            continue
        kind = "static" if "/static/" in req_url else "tiles" if "/tiles/" in req_url else "other"
        result.asked_by_kind[kind] = result.asked_by_kind.get(kind, 0) + 1
        if "/static/" in req_url:
            result.static_asked += 1
            result.static_received += sizes.get(rid, 0)
        if status.get(rid) == 304:
            result.not_modified += 1
        result.received += sizes.get(rid, 0)
    return result


def measure(
    origin: str, user: str, path: str, runs: int, gap: float, latency: float
) -> list[PageOpen]:
    """Log ``user`` in at ``origin``, then open ``path`` again ``runs`` times; return each cost."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1600, "height": 900}
        )
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        if latency:  # a centre's intranet: each request waits this long for its answer
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": latency,
                    "downloadThroughput": -1,
                    "uploadThroughput": -1,
                },
            )
        page.goto(f"{origin}/login")
        page.fill("#username", user)
        page.fill("#password", DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(lambda url: "/login" not in url)
        opens = [open_page(page, cdp, origin + path, gap) for _ in range(runs)]
        context.close()
        browser.close()
    return opens


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origin", help="a served platform; default: serve one (bench.console)")
    parser.add_argument("--cases", type=int, default=20_000, help="cases of the one served")
    parser.add_argument("--user", default=f"commander.county.{DEFAULT_COUNTY}")
    parser.add_argument("--path", default=f"/console/{DEFAULT_COUNTY.ljust(12, '0')}")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--gap", type=float, default=0.0, help="seconds on about:blank before each next open"
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="ms added to each request (DevTools)"
    )
    parser.add_argument("--list", action="store_true", help="print the last open's URLs")
    args = parser.parse_args()
    figures = (args.user, args.path, args.runs, args.gap, args.latency)
    if args.origin:
        again = measure(args.origin, *figures)
    else:
        with (
            tempfile.TemporaryDirectory(prefix="zongzhi-bench-") as tmp,
            platform(Path(tmp), cases=args.cases) as served,
        ):
            again = measure(served.origin, *figures)

    def med(name: str) -> float:
        return statistics.median(getattr(o, name) for o in again)

    print(
        f"{args.path} opened again {len(again)} times after the login's landing (medians): "
        f"{med('requests'):.0f} requests, {med('from_cache'):.0f} from the browser's cache, "
        f"{med('requests') - med('from_cache'):.0f} to the server "
        f"({med('static_asked'):.0f} static, {med('not_modified'):.0f} answered 304), "
        f"{med('received') / 1024:.0f} KiB received ({med('static_received') / 1024:.1f} KiB "
        f"for static files), ready {med('ready_s'):.2f} s "
        f"(each: {', '.join(f'{o.ready_s:.2f}' for o in again)})"
    )
    kinds = sorted({kind for o in again for kind in o.asked_by_kind})
    print(
        "asked of the server, medians: "
        + ", ".join(
            f"{kind} {statistics.median(o.asked_by_kind.get(kind, 0) for o in again):.0f}"
            for kind in kinds
        )
    )
    if args.list:
        print("\n".join(sorted(again[-1].urls)))


if __name__ == "__main__":
    main()
