"""Small-count suppression of the overdue visits cannot be undone by subtraction (trial AI M1).

An analyst read a village's ``total 69, overdue 7`` beside grids of 3, 3 and a blanked overdue
count: 7 − 3 − 3 = 1. Wherever a total is shown, the blanked figures it adds up must not be
workable out from it and the figures shown: a second figure is blanked with a lone one (or the
total), in the JSON, the workbook and the HTML report alike.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import trend_report, trend_tables, trends
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


def _assert_nothing_recoverable(body: dict[str, Any], min_count: int) -> None:
    """No blanked figure follows from a shown total less the figures shown.

    A blanked figure is at least 1 (a 0 is shown), so one alone, or several adding up to as
    many, are told; several adding up to more are not (a blanked figure may be 3 or more).
    """
    for column, total in (("persons", "total"), ("overdue", "overdue")):
        if body[total] is None:
            continue
        figures = [g[column] for g in body["grids"]]
        blanked = sum(f is None for f in figures)
        gap = body[total] - sum(f for f in figures if f is not None)
        if column == "overdue":  # the grids listed are all those with someone overdue
            assert blanked != 1, (column, body)
            assert not (blanked and gap == blanked), (column, body)


def test_a_lone_small_grid_is_not_told_by_its_village_s_total(db: Session) -> None:
    # trial AI M1: 福西第2网格 7/3, 第5网格 16/3, 第6网格 9/1 under a village total of 7
    g2, g5, g6 = V1 + "002", V1 + "005", V1 + "006"
    _world(db, [(g2, V1, 7, 3), (g5, V1, 16, 3), (g6, V1, 9, 1)])
    min_count = trends.min_count_for(ANALYST)
    assert min_count == 3
    body = trend_tables.overdue_visits(db, V1, now=NOW, min_count=min_count)
    by_grid = {g["grid_code"]: g for g in body["grids"]}
    assert (body["total"], body["overdue"], body["grid_count"]) == (32, 7, 3)
    assert by_grid[g6]["overdue"] is None
    # a second grid is blanked with it: the smallest other one (of the two 3s, the first)
    assert [by_grid[g]["overdue"] for g in (g2, g5)] == [None, 3]
    assert by_grid[g2]["share"] is None and by_grid[g6]["share"] is None
    assert [by_grid[g]["persons"] for g in (g2, g5, g6)] == [7, 16, 9]
    _assert_nothing_recoverable(body, min_count)
    # the commander who visits them reads every figure
    exact = trend_tables.overdue_visits(
        db, V1, now=NOW, min_count=trends.min_count_for(actor("commander", V1[:6] + "000000"))
    )
    assert sorted(g["overdue"] for g in exact["grids"]) == [1, 3, 3]


def test_two_grids_of_one_are_not_told_by_the_total(db: Session) -> None:
    # two blanked figures adding up to 2 are two 1s: a third is blanked with them
    _world(db, [(V1 + "002", V1, 8, 5), (V1 + "003", V1, 6, 1), (V1 + "004", V1, 6, 1)])
    body = trend_tables.overdue_visits(db, V1, now=NOW, min_count=3)
    assert body["overdue"] == 7
    assert [g["overdue"] for g in body["grids"]] == [None, None, None]
    _assert_nothing_recoverable(body, 3)


def test_a_small_village_blanks_the_township_s_total(db: Session) -> None:
    # a village of 2 persons, both overdue: the township's total less the other village's
    # figures (shown on that village's own page) would tell them, and there is no other grid
    # of the township itself to blank, so the township's totals go
    _world(db, [(grid(V1), V1, 5, 4), (grid(V2), V2, 2, 2)])
    body = trend_tables.overdue_visits(db, TOWN, now=NOW, min_count=3)
    assert body["total"] is None and body["overdue"] is None
    by_grid = {g["grid_code"]: g for g in body["grids"]}
    assert by_grid[grid(V2)]["persons"] is None and by_grid[grid(V2)]["overdue"] is None
    assert (by_grid[grid(V1)]["persons"], by_grid[grid(V1)]["overdue"]) == (5, 4)
    exact = trend_tables.overdue_visits(db, TOWN, now=NOW, min_count=1)
    assert (exact["total"], exact["overdue"]) == (7, 6)


def test_a_grid_without_anyone_overdue_hides_the_persons_it_adds(db: Session) -> None:
    # a grid of nobody overdue is not listed: its persons are unknown, so a lone small grid
    # of persons is not told by the total (7 − 5 = 2 would need the unlisted grid's 4)
    _world(db, [(V1 + "002", V1, 5, 3), (V1 + "003", V1, 2, 2), (V1 + "004", V1, 4, 0)])
    body = trend_tables.overdue_visits(db, V1, now=NOW, min_count=3)
    assert body["total"] == 11 and body["grid_count"] == 2
    assert [g["persons"] for g in body["grids"]] == [5, None]
    assert [g["overdue"] for g in body["grids"]] == [None, None]  # 5 − 3 = 2 otherwise


def test_the_workbook_and_the_html_report_blank_the_same_figures(db: Session) -> None:
    g2, g5, g6 = V1 + "002", V1 + "005", V1 + "006"
    _world(db, [(g2, V1, 7, 3), (g5, V1, 16, 3), (g6, V1, 9, 1)])
    rep = trend_report.report(db, V1, actor=ANALYST, now=NOW, periods=12)
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    rows = list(book["走访逾期"].iter_rows(values_only=True))
    overdue = [r[4] for r in rows[1:] if r[0] and r[0].startswith("网格")]
    assert sorted(map(str, overdue)) == ["*", "*", "3"]
    assert next(r for r in rows if r[0] == "合计")[3:5] == (32, 7)
    assert trend_report.HIDDEN_NOTE in str(rows[-1][0])  # in the note under the table
    assert "<3" not in [r[4] for r in rows[1:]]  # a blanked 3 is not said to be below 3
    html = trend_export.report_html(rep)
    table = html[html.index("网格002") - 400 :]
    assert table.count("<td>*</td>") == 2 and trend_report.HIDDEN_NOTE in html
    assert "可据以从合计推算出这些人数的人数一并不予显示" in trend_report.notes(rep)
