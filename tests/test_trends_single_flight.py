"""One computation of a trends analysis however many reads ask it at the same time.

Session 49: :func:`layers.trends.series` kept an analysis in its cache only once computed, so
two reads of one series that came together (two planners, or the trends page's density and
uncovered hot spots asked beside its series) each computed it. Now the first read of a key
computes it and the others wait for that computation: all get its result, or its failure,
which is not kept. The computation is held here (the module's ``_analyse`` wrapped: it waits
for the test, then runs or fails) until the other reads are waiting for it, so nothing is
timed; the reads are the API's own, on the server's worker threads, and the layer's on
sessions of their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from layers import trends
from layers.china_time import CHINA
from layers.database import apply_scope
from tests.conftest import SuiteDatabase
from tests.trend_cases import Headers, get_json, insert_case, trend_readers
from tests.workflow_data import COUNTY, NOW, actor, village, village_centre

V1 = village(100, 1)
END = "2026-10"
MONTHS = (7, 8, 9, 10)


def _seed(owner: Session) -> None:
    """35 located cases a month in 2026-07 to 2026-10 round the centre of a village."""
    rng = np.random.default_rng(49)
    lon, lat = village_centre(V1)
    for month in MONTHS:
        for n in range(35):
            at = datetime(2026, month, 1 + n % 27, 10, tzinfo=CHINA)
            place = (lon + rng.normal(0, 0.002), lat + rng.normal(0, 0.002))
            insert_case(owner, f"sf-{month}-{n}", place, V1, at)


@pytest.fixture(scope="module")
def headers(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    """The county's commander, over the module's committed cases."""
    users = {"commander": ("commander", COUNTY)}
    with trend_readers(database, api_settings, "single_flight", users, _seed) as made:
        yield made


class HeldAnalysis:
    """The module's analysis, held until :meth:`release` (then run, or failed with ``fails``)."""

    def __init__(self, fails: Exception | None = None) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        self.fails = fails
        self.calls = 0
        self.real: Callable[..., trends.Series] = trends._analyse

    def __call__(self, *args: Any) -> trends.Series:
        self.calls += 1
        self.entered.set()
        assert self.released.wait(120), "never released"
        if self.fails is not None:
            raise self.fails
        return self.real(*args)

    def release(self) -> None:
        """Let the computation go on."""
        self.released.set()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Callable[..., HeldAnalysis]:
    """Hold the analysis of the next computation (its own code runs once released)."""

    def hold(fails: Exception | None = None) -> HeldAnalysis:
        analysis = HeldAnalysis(fails)
        monkeypatch.setattr(trends, "_analyse", analysis)
        return analysis

    return hold


def _waiting() -> int:
    """How many reads wait for a computation in flight."""
    return trends.ANALYSES.waiting()


def _wait_until_waiting(
    count: int, threads: list[threading.Thread], analysis: HeldAnalysis
) -> None:
    """Wait until ``count`` reads wait for the computation in flight (none has ended)."""
    deadline = time.monotonic() + 120
    while _waiting() < count:
        assert analysis.calls == 1, f"computed {analysis.calls} times at once"
        assert all(t.is_alive() for t in threads), "a read ended before the computation"
        assert time.monotonic() < deadline, f"{_waiting()} reads waiting"
        time.sleep(0.01)


def _in_threads(calls: dict[str, Callable[[], None]]) -> dict[str, threading.Thread]:
    """A thread for each call, by name (not started)."""
    return {name: threading.Thread(target=call, name=name) for name, call in calls.items()}


def test_the_series_its_density_and_coverage_asked_together_compute_it_once(
    api_client: TestClient, headers: Headers, held: Callable[..., HeldAnalysis]
) -> None:
    query = f"granularity=month&periods=6&end={END}"
    base = f"/api/trends/{COUNTY}"
    paths = {
        "series": f"{base}?{query}",
        "kde": f"{base}/kde?{query}",
        "coverage": f"{base}/coverage?{query}",
    }
    answers: dict[str, Any] = {}

    def read(name: str) -> Callable[[], None]:
        def call() -> None:
            answers[name] = api_client.get(paths[name], headers=headers("commander"))

        return call

    before = trends.ANALYSES.computations
    analysis = held()
    threads = _in_threads({name: read(name) for name in paths})
    threads["series"].start()
    assert analysis.entered.wait(120), "the series was not computed"
    others = [threads["kde"], threads["coverage"]]
    for thread in others:
        thread.start()
    # the density and coverage wait for the series' computation, not computing their own
    _wait_until_waiting(2, others, analysis)
    analysis.release()
    for thread in threads.values():
        thread.join(120)
    assert {name: answers[name].status_code for name in paths} == dict.fromkeys(paths, 200)
    assert trends.ANALYSES.computations - before == 1
    assert _waiting() == 0 and trends.ANALYSES.in_flight() == 0

    # each read the one analysis: the window's last period, its hot cells and density
    series = answers["series"].json()
    last = series["periods"][-1]["key"]
    assert series["located_cases"] == 35 * len(MONTHS)
    kde, coverage = answers["kde"].json(), answers["coverage"].json()
    assert kde["period"] == coverage["period"] == last == END
    assert kde["bounds"] is not None
    # and the same again is the cache's, computed no more
    for name, path in paths.items():
        again = get_json(api_client, path, headers("commander"))
        first = answers[name].json()
        if name == "series":
            assert again.pop("generated_at") >= first.pop("generated_at")
        assert again == first, name
    assert trends.ANALYSES.computations - before == 1


def test_a_failed_computation_reaches_every_waiting_read_and_is_not_kept(
    database: SuiteDatabase, headers: Headers, held: Callable[..., HeldAnalysis]
) -> None:
    who = actor("commander", COUNTY)
    outcomes: dict[str, Any] = {}

    def read(name: str) -> Callable[[], None]:
        def call() -> None:
            with Session(database.owner) as session, session.begin():
                apply_scope(session, COUNTY)
                try:
                    outcomes[name] = trends.series(
                        session, COUNTY, actor=who, now=NOW, periods=5, end=END
                    )
                except RuntimeError as error:
                    outcomes[name] = error

        return call

    before = trends.ANALYSES.computations
    failure = RuntimeError("试算失败")
    analysis = held(fails=failure)
    threads = _in_threads({name: read(name) for name in ("first", "second")})
    threads["first"].start()
    assert analysis.entered.wait(120), "the series was not computed"
    threads["second"].start()
    _wait_until_waiting(1, [threads["second"]], analysis)
    analysis.release()
    for thread in threads.values():
        thread.join(120)
    # the computation's failure, raised in both reads, computed once
    assert outcomes == {"first": failure, "second": failure}
    assert trends.ANALYSES.computations - before == 1
    assert trends.ANALYSES.in_flight() == 0

    # not kept: the next read computes it, and the one after takes it from the cache
    analysis.fails = None
    read("third")()
    read("fourth")()
    assert trends.ANALYSES.computations - before == 2
    third, fourth = outcomes["third"], outcomes["fourth"]
    assert isinstance(third, trends.Series) and fourth is third
    assert int(third.totals.sum()) == 35 * len(MONTHS)
