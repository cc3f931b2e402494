"""``zongzhi serve`` stops on SIGTERM and SIGINT even while a live stream is open.

An operator (or systemd) stopping the server must not wait on a console's ``/api/events``
stream, which never ends by itself: the server ends the open streams when it shuts down, so
they close with a complete response and the process exits. A real ``zongzhi serve`` process
is started against the suite's database; the bound of 15 s only catches a hang, the stop
itself takes about a second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest

from api.auth import issue_token
from api.settings import ApiSettings
from tests.api_fixtures import ApiWorld, free_port
from tests.conftest import SuiteDatabase

ZONGZHI = Path(sys.executable).with_name("zongzhi")
HANG = 15.0
"""Seconds after the signal by which the process must be gone (a hang check, not a timing)."""


class Served:
    """A ``zongzhi serve`` process of this test and its base URL."""

    def __init__(self, process: subprocess.Popen[bytes], base: str, log: Path) -> None:
        self.process = process
        self.base = base
        self.log = log


@pytest.fixture
def served(database: SuiteDatabase, api_settings: ApiSettings, tmp_path: Path) -> Iterator[Served]:
    """Start ``zongzhi serve`` on a free port of its own; kill it if a test left it running."""
    port = free_port()
    env = {
        **os.environ,
        "ZONGZHI_HOME": str(tmp_path / "home"),
        "ZONGZHI_DATABASE_URL": database.urls.owner,
        "ZONGZHI_APP_DATABASE_URL": database.urls.app,
        "ZONGZHI_JWT_SECRET": str(api_settings.jwt_secret),
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(ZONGZHI), "serve", "--port", str(port)], env=env, stdout=sink, stderr=sink
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base, log)
        yield Served(process, base, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _wait_until_up(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"zongzhi serve ended at start:\n{log.read_text()}")
        try:
            httpx2.get(base + "/api/events", timeout=2)  # 401: up
            return
        except httpx2.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"zongzhi serve did not start:\n{log.read_text()}")


class Stream:
    """An open ``/api/events`` response and its lines not read yet."""

    def __init__(self, response: httpx2.Response) -> None:
        self.response = response
        self.lines = response.iter_lines()


def _open_stream(client: httpx2.Client, token: str) -> Stream:
    """Open ``/api/events`` (no keep-alive line for minutes) and read up to its ``ready``."""
    response = client.send(
        client.build_request(
            "GET",
            "/api/events",
            params={"keepalive": 300},
            headers={"Authorization": f"Bearer {token}"},
        ),
        stream=True,
    )
    assert response.status_code == 200, response.read()
    stream = Stream(response)
    for line in stream.lines:
        if line == "event: ready":
            return stream
    raise AssertionError("the stream ended before it was ready")


def _token(api_settings: ApiSettings, api_world: ApiWorld) -> str:
    return issue_token(api_settings, api_world.users["cmd_a"].id, now=datetime.now(UTC)).token


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_with_a_live_stream_open_and_after_one_the_client_closed(
    served: Served, api_settings: ApiSettings, api_world: ApiWorld, sig: signal.Signals
) -> None:
    """One stream the client closed, then one left open: the signal stops the server.

    (The closed stream was a test of its own, on a server of its own: one ``zongzhi serve``
    start, about 5 s of CPU, fewer.)
    """
    token = _token(api_settings, api_world)
    with httpx2.Client(base_url=served.base, timeout=HANG * 2) as client:
        _open_stream(client, token).response.close()
        stream = _open_stream(client, token)
        served.process.send_signal(sig)
        try:
            served.process.wait(timeout=HANG)
        except subprocess.TimeoutExpired:
            pytest.fail(f"zongzhi serve still runs {HANG} s after {sig.name}")
        rest = list(stream.lines)  # the stream was ended, not cut: a complete body
        stream.response.close()
    assert [line for line in rest if line] == ["data: {}"]  # the rest of ``ready``, no more
    said = served.log.read_text()
    assert "timeout graceful shutdown exceeded" not in said, said  # the stream ended by itself
    assert "Traceback" not in said, said
