"""A hot-spot run read by its number gives small cell counts only to those who may see them.

Trial AI M2: ``GET /api/hotspots/runs/{id}`` gave the analyst 302 cells of 1 case and 143 of 2,
which the map, the trends page and their reports write as ``<3``. Readers who may not see
a cell's cases (:func:`layers.trends.min_count_for` with ``of="cases"``: the analysts) read them
as null; the commanders who may open a cell's cases, a city's too (trial AM M4), read them
exactly, as on the map. Trial AJ M4: the cells' Gi* z gave
them all back; such readers get the confidence bin and the pattern, no z or p.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from sqlalchemy.orm import Session

from layers import command, command_map, hotspot_runs, trends
from tests.test_hotspot_historic_runs import _seed
from tests.workflow_data import CITY, COUNTY, NOW, actor


def _run(session: Session) -> hotspot_runs.RunResult:
    _seed(session, NOW)
    return hotspot_runs.run(
        session,
        actor=actor("commander", COUNTY),
        scope_code=COUNTY,
        window_start=NOW - timedelta(days=84),
        window_end=NOW,
        now=NOW,
    )


def _counts(session: Session, run_id: int, role: str, scope: str) -> dict[int, int | None]:
    shown = hotspot_runs.run_cells(session, run_id, actor=actor(role, scope))
    return {f["id"]: f["properties"]["count"] for f in shown["features"]}


def test_the_analyst_reads_no_cell_of_one_or_two_cases(db: Session) -> None:
    run = _run(db)
    exact = _counts(db, run.run_id, "commander", COUNTY)
    small = {cell for cell, n in exact.items() if n in (1, 2)}
    assert small and any(n is not None and n >= 3 for n in exact.values())
    city = hotspot_runs.run_cells(db, run.run_id, actor=actor("commander", CITY))
    assert {f["id"]: f["properties"]["count"] for f in city["features"]} == exact
    for role, scope in (("analyst", COUNTY), ("analyst", CITY)):
        assert trends.min_count_for(actor(role, scope), of="cases") == 3
        body = hotspot_runs.run_cells(db, run.run_id, actor=actor(role, scope))
        shown = {f["id"]: f["properties"]["count"] for f in body["features"]}
        assert set(shown) == set(exact)  # every cell, with its bin, is still there
        assert {cell for cell, n in shown.items() if n is None} == small
        assert all(shown[c] == n for c, n in exact.items() if c not in small)  # 0 and 3+ exact
        assert not Counter(shown.values())[1] and not Counter(shown.values())[2]
        assert body["min_count"] == 3
    assert (
        hotspot_runs.run_cells(db, run.run_id, actor=actor("commander", COUNTY))["min_count"] == 1
    )


def test_the_map_and_the_alerts_give_the_analyst_nothing_finer(db: Session) -> None:
    run = _run(db)
    analyst = actor("analyst", COUNTY)
    cells = json.loads(command_map.hot_cells(db, COUNTY, actor=analyst))["features"]
    assert cells and all(
        f["properties"][key] is None or not 0 < f["properties"][key] < 3
        for f in cells
        for key in ("count", "around")
    )
    feed = command.feed(db, COUNTY, actor=analyst, now=NOW)
    mine = [a for a in feed["alerts"] if a["run_id"] == run.run_id]
    assert len(mine) == run.alerts >= 1
    for alert in mine:
        figures = alert["cell"]
        assert figures["own"] is None or figures["own"] >= 3
        assert figures["around"] is None or figures["around"] >= 3
    for kpis in [feed["unit"]["kpis"], *(c["kpis"] for c in feed["children"])]:
        assert kpis["overdue_visits"] is None or not 0 < kpis["overdue_visits"] < 3


def test_a_reader_of_counts_only_gets_no_z_or_p(db: Session) -> None:
    # trial AJ M4: each cell's z, a linear function of its ring's cases, gave all 445 blanked
    # counts back; such a reader gets the confidence bin and the pattern only
    run = _run(db)
    for role, scope in (("analyst", COUNTY), ("analyst", CITY)):
        reader = actor(role, scope)
        body = hotspot_runs.run_cells(db, run.run_id, actor=reader)
        props = [f["properties"] for f in body["features"]]
        assert props and all(p["z"] is None and p["p"] is None for p in props)
        assert {p["bin"] for p in props} - {0} and all("pattern" in p for p in props)
    # the command page's cells and alerts withhold them from who may not list the cells' cases
    # (trial AM M4: a city's commander lists them, tests/test_command_trial_am.py)
    for role, scope in (("analyst", COUNTY),):
        reader = actor(role, scope)
        cells = json.loads(command_map.hot_cells(db, COUNTY, actor=reader))["features"]
        assert cells and all(
            f["properties"]["z"] is None and f["properties"]["p"] is None for f in cells
        )
        assert all(f["properties"]["bin"] > 0 for f in cells)
        feed = command.feed(db, COUNTY, actor=reader, now=NOW)
        mine = [a for a in feed["alerts"] if a["run_id"] == run.run_id]
        assert mine and all(a["cell"]["z"] is None and a["cell"]["p"] is None for a in mine)
        for alert in mine:  # nor in the alert's words
            assert "热点得分" not in alert["detail"] and "显著性水平" not in alert["detail"]
            assert "本单元" not in alert["detail"] and "判定）" in alert["detail"]
    # those who may open a cell's cases read them exactly
    commander = actor("commander", COUNTY)
    exact = hotspot_runs.run_cells(db, run.run_id, actor=commander)
    assert all(isinstance(f["properties"]["z"], float) for f in exact["features"])
    assert all(isinstance(f["properties"]["p"], float) for f in exact["features"])
    cells = json.loads(command_map.hot_cells(db, COUNTY, actor=commander))["features"]
    assert all(isinstance(f["properties"]["z"], float) for f in cells)
    feed = command.feed(db, COUNTY, actor=commander, now=NOW)
    mine = [a for a in feed["alerts"] if a["run_id"] == run.run_id]
    assert all(isinstance(a["cell"]["z"], float) for a in mine)
    assert all("热点得分" in a["detail"] for a in mine)
