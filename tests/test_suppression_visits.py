"""Overdue visits tell a reader who may not see small counts neither a small figure nor that one
exists, however the pages are put together (trials AI M1, AJ M3).

Trial AI M1: a village's ``overdue 7`` less its grids' 3 and 3 told the third grid's 1. Trial AJ
M3: the grids were then listed as ``*`` whenever someone was overdue, and the command feed gave
each village's total: a village of 4 beside 4 blanked grids told each grid's 1. Now such a reader
(:func:`layers.trends.min_count_for` > 1) reads only the grids of at least ``min_count`` overdue,
the others not at all, and a unit's total only where, with every other page's, it tells nothing
of any grid not listed (:func:`layers.trend_tables.shown_totals`); the feed gives none
(``tests/test_suppression_feed.py``).
"""

from __future__ import annotations

import io
from datetime import timedelta
from itertools import product
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import command, trend_report, trend_tables, trends
from tests.workflow_data import (
    MENTAL_KEY_EVERY_14_DAYS,
    NOW,
    actor,
    ensure_world,
    grid,
    township,
    village,
)
from web import trend_export

V1 = village(100, 1)
V2 = village(100, 2)
TOWN = township(100)
ANALYST = actor("analyst", TOWN[:6] + "000000")
COMMANDER = actor("commander", TOWN[:6] + "000000")  # visits the persons: reads every figure


def _grid(session: Session, code: str, area: str) -> None:
    session.execute(
        text(
            "INSERT INTO grids (code, name, area_code, boundary) SELECT :g, :n, area_code,"
            " boundary FROM grids WHERE code = :like ON CONFLICT (code) DO NOTHING"
        ),
        {"g": code, "n": f"网格{code[-3:]}", "like": grid(area)},
    )


def _persons(
    session: Session, serial: int, grid_code: str, area: str, persons: int, due: int
) -> None:
    """Add ``persons`` on record in a grid, the first ``due`` never visited (overdue)."""
    for n in range(persons):
        pid = session.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, grid_code, area_code, on_record_since) VALUES"
                " ('mental', :name, :h, '5304**********001X', 'sealed', 1, '{}', :g, :a,"
                " DATE '2025-01-01') RETURNING id"
            ),
            {
                "name": f"人{serial}-{n}",
                "h": (serial * 1000 + n).to_bytes(32, "big"),
                "g": grid_code,
                "a": area,
            },
        ).scalar_one()
        if n >= due:  # visited three days ago: not overdue
            session.execute(
                text(
                    "INSERT INTO person_visits (person_id, area_code, visited_on)"
                    " VALUES (:p, :a, :d)"
                ),
                {"p": pid, "a": area, "d": (NOW - timedelta(days=3)).date()},
            )


def _world(session: Session, grids: list[tuple[str, str, int, int]]) -> None:
    """Grids as (grid code, village, persons, overdue)."""
    ensure_world(session)
    session.execute(text(MENTAL_KEY_EVERY_14_DAYS))
    for k, (code, area, persons, due) in enumerate(grids):
        _grid(session, code, area)
        _persons(session, 7000 + k, code, area, persons, due)


def _in(unit: str, grid_code: str) -> bool:
    lo, hi = scope_range(unit)
    return lo <= grid_code[:12] < hi


def _what_the_reader_can_tell(
    session: Session, grids: list[str], units: list[str], reader: Any
) -> dict[str, set[int]]:
    """Return, per grid not listed, the overdue counts every page the reader opens allows.

    The reader opens the trends page and the command feed of each unit; a grid not listed has
    0 up to ``min_count`` - 1 overdue. Every figure given must be at least ``min_count``.
    """
    min_count = trends.min_count_for(reader)
    known: dict[str, int] = {}
    totals: dict[str, int] = {}
    for unit in units:
        page = trend_tables.overdue_visits(session, unit, now=NOW, min_count=min_count)
        assert page["grid_count"] == len(page["grids"])  # the grids listed, no others
        for g in page["grids"]:
            assert g["overdue"] is not None and g["overdue"] >= min_count, (unit, g)
            assert g["persons"] is not None and g["persons"] >= min_count, (unit, g)
            known[g["grid_code"]] = g["overdue"]
        for key in ("overdue", "total"):
            assert page[key] is None or page[key] >= min_count, (unit, key, page[key])
        if page["overdue"] is not None:
            totals[unit] = page["overdue"]
        feed = command.feed(session, unit, actor=reader, now=NOW)
        for child in [feed["unit"], *feed["children"]]:
            figure = child["kpis"]["overdue_visits"]
            if figure is None:
                continue
            assert figure >= min_count, (unit, child["code"], figure)
            if child.get("kind") == "grid":
                known[child["code"]] = figure
            else:
                totals[child["code"]] = figure
    unknown = [g for g in grids if g not in known]
    possible: dict[str, set[int]] = {g: set() for g in unknown}
    for guess in product(range(min_count), repeat=len(unknown)):
        value = known | dict(zip(unknown, guess, strict=True))
        if all(sum(n for g, n in value.items() if _in(u, g)) == t for u, t in totals.items()):
            for g, n in zip(unknown, guess, strict=True):
                possible[g].add(n)
    return possible


def _assert_nothing_told(possible: dict[str, set[int]]) -> None:
    """Each grid not listed may hold 0 (none is said to exist) and some other count."""
    for g, counts in possible.items():
        assert 0 in counts and len(counts) >= 2, (g, counts)


def test_grids_below_the_minimum_are_not_listed(db: Session) -> None:
    # trial AI M1: 福西第2网格 7/3, 第5网格 16/3, 第6网格 9/1 under a village total of 7
    g2, g5, g6 = V1 + "002", V1 + "005", V1 + "006"
    _world(db, [(g2, V1, 7, 3), (g5, V1, 16, 3), (g6, V1, 9, 1)])
    assert trends.min_count_for(ANALYST) == 3
    body = trend_tables.overdue_visits(db, V1, now=NOW, min_count=3)
    # the grid of 1 is not listed at all, not even as *; the two of 3 are, exactly
    assert [(g["grid_code"], g["persons"], g["overdue"]) for g in body["grids"]] == [
        (g2, 7, 3),
        (g5, 16, 3),
    ]
    assert body["grid_count"] == 2 and body["listed_from"] == 3
    assert [g["share"] for g in body["grids"]] == [round(3 / 7, 4), round(3 / 16, 4)]
    # 7 less 3 and 3 would tell the grid not listed: the total of overdue is not given; the
    # persons not listed are 9, which tells no small figure
    assert (body["total"], body["overdue"]) == (32, None)
    exact = trend_tables.overdue_visits(db, V1, now=NOW, min_count=trends.min_count_for(COMMANDER))
    assert sorted(g["overdue"] for g in exact["grids"]) == [1, 3, 3]
    assert (exact["total"], exact["overdue"], exact["grid_count"]) == (32, 7, 3)
    assert exact["listed_from"] == 1


def test_no_page_tells_a_grid_not_listed(db: Session) -> None:
    # trial AJ M3: the feed's village total beside a village of grids each 1 told them all
    world = [
        (V1 + "002", V1, 8, 5),
        (V1 + "003", V1, 4, 1),
        (V2 + "002", V2, 3, 1),
        (V2 + "003", V2, 3, 1),
        (V2 + "004", V2, 3, 1),
        (V2 + "005", V2, 3, 1),
    ]
    _world(db, world)
    grids = [g for g, *_ in world]
    units = [TOWN[:6] + "000000", TOWN, V1, V2]
    _assert_nothing_told(_what_the_reader_can_tell(db, grids, units, ANALYST))
    # what is still given: the grid of 5; V2's 4, spread over four grids of at most 2 each
    assert trend_tables.overdue_visits(db, V2, now=NOW, min_count=3)["overdue"] == 4
    town = trend_tables.overdue_visits(db, TOWN, now=NOW, min_count=3)
    assert [g["overdue"] for g in town["grids"]] == [5]
    # the township's 10 less 5 and V2's 4 would tell V1's other grid: not given
    assert town["overdue"] is None
    for unit in (V1, TOWN):
        exact = trend_tables.overdue_visits(db, unit, now=NOW, min_count=1)
        assert exact["overdue"] == {V1: 6, TOWN: 10}[unit]


def test_a_small_sum_of_the_grids_not_listed_hides_the_total(db: Session) -> None:
    # one village of 5 overdue (listed) and one of 2 alone: the township's 7 less 5 is 2
    _world(db, [(grid(V1), V1, 5, 5), (grid(V2), V2, 2, 2)])
    body = trend_tables.overdue_visits(db, TOWN, now=NOW, min_count=3)
    assert [g["grid_code"] for g in body["grids"]] == [grid(V1)]
    assert body["total"] is None and body["overdue"] is None
    # so is a rest of 0: a total given only then would tell, when not given, that some grid
    # not listed has someone overdue
    alone = trend_tables.overdue_visits(db, V1, now=NOW, min_count=3)
    assert [g["overdue"] for g in alone["grids"]] == [5]
    assert (alone["total"], alone["overdue"]) == (None, None)
    exact = trend_tables.overdue_visits(db, TOWN, now=NOW, min_count=1)
    assert (exact["total"], exact["overdue"], exact["grid_count"]) == (7, 7, 2)


def test_persons_of_the_grids_not_listed_are_not_told_either(db: Session) -> None:
    # a grid of 2 persons, nobody overdue, is not listed: 7 persons less the 5 listed tells it
    _world(db, [(V1 + "002", V1, 5, 3), (V1 + "004", V1, 2, 0)])
    body = trend_tables.overdue_visits(db, V1, now=NOW, min_count=3)
    assert [(g["persons"], g["overdue"]) for g in body["grids"]] == [(5, 3)]
    assert body["total"] is None


def test_shown_totals_decides_a_unit_on_its_own_rows() -> None:
    # the village's decision is the same on its own page and on its township's
    rows = [5, 1, 2, 0, 4]
    listed = [True, False, False, False, True]
    units = [V1, V1, V1, V1, V2]
    on_town = trend_tables.shown_totals(rows, listed, units, TOWN, 3, cap=2)
    live = {TOWN: {V1, V2}}
    with_children = trend_tables.shown_totals(rows, listed, units, TOWN, 3, cap=2, children=live)
    on_village = trend_tables.shown_totals(rows[:4], listed[:4], units[:4], V1, 3, cap=2)
    assert on_town[V1] == on_village[V1] is True  # 3 over three grids of at most 2
    assert on_town[V2] is False  # nothing not listed: a total then would say so
    # V1's total given, V2's grid listed: the township's 12 is not small and its rest holds
    # no grid not listed, so it gives back nothing withheld (trial AY M1: a township's total
    # is given whatever the sum of the grids not listed, unless that is one withheld piece)
    assert on_town[TOWN] is True
    assert with_children[TOWN] is True
    live_shown = trend_tables.shown_totals(
        [5, 1, 2, 0, 1, 1, 1],
        [True] + [False] * 6,
        [V1] * 4 + [V2] * 3,
        TOWN,
        3,
        cap=2,
        children=live,
    )
    assert live_shown == {TOWN: True, V1: True, V2: True}
    assert trend_tables.shown_totals(rows, listed, units, TOWN, 1) == dict.fromkeys(
        (TOWN, V1, V2), True
    )


def test_a_unit_whose_children_all_give_their_totals_gives_its_own(db: Session) -> None:
    # each village's 3 over three grids of at most 2 tells none of them; the township's 6 is
    # their sum, and adds nothing (the demo county's total was not given for it: trial AJ)
    world = [(v + f"00{n}", v, 4, 1) for v in (V1, V2) for n in (2, 3, 4)]
    _world(db, world)
    pages = {u: trend_tables.overdue_visits(db, u, now=NOW, min_count=3) for u in (V1, V2, TOWN)}
    assert [pages[u]["overdue"] for u in (V1, V2, TOWN)] == [3, 3, 6]
    assert [pages[u]["total"] for u in (V1, V2, TOWN)] == [12, 12, 24]
    assert all(not page["grids"] for page in pages.values())
    grids = [g for g, *_ in world]
    _assert_nothing_told(_what_the_reader_can_tell(db, grids, [TOWN, V1, V2], ANALYST))


def test_the_workbook_and_the_html_report_list_the_same_grids(db: Session) -> None:
    g2, g5, g6 = V1 + "002", V1 + "005", V1 + "006"
    _world(db, [(g2, V1, 7, 3), (g5, V1, 16, 3), (g6, V1, 9, 1)])
    rep = trend_report.report(db, V1, actor=ANALYST, now=NOW, periods=12)
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    rows = list(book["走访逾期"].iter_rows(values_only=True))
    listed = [r[0] for r in rows[1:] if r[0] and r[0].startswith("网格")]
    assert listed == ["网格002", "网格005"]  # 网格006's 1 is not there at all
    assert [r[4] for r in rows[1:3]] == [3, 3]
    assert "*" not in [r[3] for r in rows[1:3]] + [r[4] for r in rows[1:3]]
    assert next(r for r in rows if r[0] == "合计")[3:5] == (32, "*")
    note = str(rows[-1][0])
    assert "逾期不足3人的网格不列出，也不计入网格数" in note and trend_report.HIDDEN_NOTE in note
    html = trend_export.report_html(rep)
    table = html[html.index("网格002") - 400 :]
    assert "网格006" not in html and "<td>*</td>" not in table
    assert "逾期不足3人的网格不列出" in html and trend_report.HIDDEN_NOTE in html
    assert "走访逾期表只列出逾期不少于3人的网格" in trend_report.notes(rep)
    # the commander's lists every grid with someone overdue and says nothing of it
    exact = trend_report.report(db, V1, actor=COMMANDER, now=NOW, periods=12)
    rows = list(load_workbook(io.BytesIO(trend_report.workbook(exact)))["走访逾期"].values)
    assert [r[0] for r in rows[1:4]] == ["网格002", "网格005", "网格006"]
    assert "不列出" not in str(rows[-1][0])
