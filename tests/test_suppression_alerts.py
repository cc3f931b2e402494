"""Alerts and hot cells give a reader of counts only nothing that rebuilds a small count.

Trial AJ M4 left two ways open. The alerts API (``GET /api/alerts``, its answers to 签收, 关闭
and 重新打开) and the brief's closed alerts gave each alert's detail as stored: the cell's Gi* z
and p, its cases and its neighbours'. And 本格及相邻格 (``around``, the sum over a cell and its
six neighbours) was given whenever it was 3 or more, so a lone hidden neighbour (1 or 2) was the
sum less the counts shown; alert titles (「某村一带 N 起案件」) gave the same sum. A reader of
counts only (:func:`layers.trends.min_count_for` with ``of="cases"`` 3: one who may not list the
cell's cases, an analyst) now reads the detail without them and
``around``, and the title's number, only where no cell of the ring holds 1 or 2 cases.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy.orm import Session

from geo.codes import scope_range
from geo.units import h3_neighbourhood
from layers import alerts, command, command_map, hotspot_runs
from tests.test_suppression_hotspot_runs import _run
from tests.workflow_data import CITY, COUNTY, NOW, actor

READERS = (("analyst", COUNTY),)
"""Who may not list a hot cell's cases (trial AM M4: a city's commander lists them and reads
every figure, tests/test_command_trial_am.py)."""


def _ring_has_small(session: Session, run_id: int) -> dict[str, bool]:
    """Per H3 cell of the run: whether a cell of its ring (itself too) holds 1 or 2 cases."""
    exact = hotspot_runs.run_cells(session, run_id, actor=actor("commander", COUNTY))
    count = {f["properties"]["unit_id"]: f["properties"]["count"] for f in exact["features"]}
    return {
        unit: any(count.get(other, 0) in (1, 2) for other in h3_neighbourhood(unit))
        for unit in count
    }


def _unit_of(session: Session, run_id: int) -> dict[int, str]:
    exact = hotspot_runs.run_cells(session, run_id, actor=actor("commander", COUNTY))
    return {f["id"]: f["properties"]["unit_id"] for f in exact["features"]}


def _number(title: str) -> int | None:
    found = re.search(r"一带\s*(\d+)\s*起", title)
    return int(found.group(1)) if found else None


def test_around_is_withheld_where_its_ring_holds_a_small_count(db: Session) -> None:
    run = _run(db)
    small_ring = _ring_has_small(db, run.run_id)
    unit_of = _unit_of(db, run.run_id)
    commander = actor("commander", COUNTY)
    exact = {
        f["id"]: f["properties"]
        for f in json.loads(command_map.hot_cells(db, COUNTY, actor=commander))["features"]
    }
    # the old rule's gap: hot cells whose sum is 3 or more beside a cell of 1 or 2
    assert any(small_ring[unit_of[c]] and p["around"] >= 3 for c, p in exact.items())
    # (in this world every hot cell has such a neighbour; CellFigures.shown_around's examples
    # give a ring without one its sum)
    for role, scope in READERS:
        shown = {
            f["id"]: f["properties"]
            for f in json.loads(command_map.hot_cells(db, COUNTY, actor=actor(role, scope)))[
                "features"
            ]
        }
        assert set(shown) == set(exact)
        for cell, props in shown.items():
            expected = None if small_ring[unit_of[cell]] else exact[cell]["around"]
            assert props["around"] == expected, (cell, props, exact[cell])
        feed = command.feed(db, COUNTY, actor=actor(role, scope), now=NOW)
        mine = [a for a in feed["alerts"] if a["run_id"] == run.run_id]
        assert mine
        for alert in mine:
            unit = unit_of[alert["cell_id"]]
            withheld = small_ring[unit]
            assert (alert["cell"]["around"] is None) == withheld
            # the title's 「一带 N 起」 follows the same rule
            if withheld:
                assert _number(alert["title"]) is None and "一带多起案件" in alert["title"]
            else:
                assert _number(alert["title"]) == alert["cell"]["around"]
    # those who may list the cells' cases (a city's commander too) read every figure and title
    for reader in (commander, actor("commander", CITY)):
        feed = command.feed(db, COUNTY, actor=reader, now=NOW)
        mine = [a for a in feed["alerts"] if a["run_id"] == run.run_id]
        assert mine and all(_number(a["title"]) == a["cell"]["around"] for a in mine)


def _check_words(listed: list[dict[str, Any]], exact: dict[int, dict[str, Any]]) -> None:
    for alert in listed:
        assert "热点得分" not in alert["detail"] and "显著性水平" not in alert["detail"]
        assert "本单元" not in alert["detail"] and "相邻单元" not in alert["detail"]
        assert "判定）" in alert["detail"]
        stored = exact[alert["id"]]
        said = _number(alert["title"])
        assert said is None or said == _number(stored["title"])


def test_the_alerts_api_and_the_closed_alerts_give_no_z_p_or_small_counts(db: Session) -> None:
    run = _run(db)
    scope = scope_range(COUNTY)
    small_ring = _ring_has_small(db, run.run_id)
    unit_of = _unit_of(db, run.run_id)
    exact_page = alerts.listed(db, scope, min_count=1)
    exact = {a["id"]: a for a in exact_page.alerts if a["run_id"] == run.run_id}
    assert exact and all(
        "热点得分" in a["detail"] and "本单元" in a["detail"] for a in exact.values()
    )
    assert any(small_ring[unit_of[a["cell_id"]]] for a in exact.values())
    page = alerts.listed(db, scope, min_count=3)
    listed = [a for a in page.alerts if a["run_id"] == run.run_id]
    assert {a["id"] for a in listed} == set(exact)
    _check_words(listed, exact)
    for alert in listed:
        if small_ring[unit_of[alert["cell_id"]]]:
            assert _number(alert["title"]) is None and "一带多起案件" in alert["title"]
    one = next(iter(exact))
    assert "热点得分" in alerts.alert_json(db, one, min_count=1)["detail"]
    _check_words([alerts.alert_json(db, one, min_count=3)], exact)
    # a closed alert, as the brief lists them (state="closed" over its window)
    closer = actor("commander", COUNTY)
    alerts.close(db, one, actor=closer, note="已组织排查", now=NOW)
    closed = alerts.listed(db, scope, state="closed", min_count=3, closed_since=NOW)
    assert [a["id"] for a in closed.alerts] == [one]
    _check_words(closed.alerts, exact)
    reopened = alerts.listed(db, scope, state="closed", min_count=1, closed_since=NOW)
    assert reopened.alerts[0]["detail"] == exact[one]["detail"]
