"""Official divisions loaded one province at a time: the rows of one table, in one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from importers.divisions import Division
from importers.official import (
    by_province,
    division_options,
    division_table,
    import_divisions,
    region,
    source_name,
    source_sha256,
)
from importers.pipeline import ImportOutcome, check_table, import_checked
from importers.reading import GEOMETRY_COLUMN


def _units(*codes: str) -> list[Division]:
    """The units of several regions, ordered as one region's (parents first, by code)."""
    return sorted((u for c in codes for u in region(c)), key=lambda u: (u.level, u.code))


def _rows(conn: Connection, units: list[Division]) -> list[Any]:
    return list(
        conn.execute(
            text(
                "SELECT code, name, level, parent_code, source, retired_on, successor_code,"
                " encode(ST_AsEWKB(boundary), 'hex') AS boundary"
                " FROM jurisdictions WHERE code = ANY(:codes) ORDER BY code"
            ),
            {"codes": [u.code for u in units]},
        ).all()
    )


def _runs(conn: Connection) -> list[Any]:
    """The imports of the test's own transaction."""
    return list(
        conn.execute(
            text(
                "SELECT rows_total, rows_loaded, rows_rejected, status, file_name"
                " FROM import_runs WHERE started_at = now() ORDER BY id"
            )
        ).all()
    )


def _one_table(conn: Connection, units: list[Division]) -> tuple[ImportOutcome, list[Any]]:
    """Import the units as one table (the path before provinces), read them, undo it all."""
    options = division_options(user="test")
    checked = check_table(
        division_table(units), options, None, file_name=source_name(), sha256=source_sha256()
    )
    undo = conn.begin_nested()
    outcome = import_checked(conn, checked, options)
    rows = _rows(conn, units)
    undo.rollback()
    return outcome, rows


def test_provinces_are_grouped_with_their_rows_in_the_whole_region() -> None:
    units = _units("620702", "530424")
    groups = by_province(units)
    assert [{u.code[:2] for _, u in g} for g in groups] == [{"53"}, {"62"}]
    assert sorted(row for g in groups for row, _ in g) == list(range(1, len(units) + 1))
    assert all(units[row - 1] is unit for g in groups for row, unit in g)


def test_province_by_province_loads_the_rows_of_one_table(db: Session) -> None:
    conn = db.connection()
    units = _units("530424", "620702")
    assert len(by_province(units)) == 2
    one, expected = _one_table(conn, units)
    assert one.committed and one.counts is not None

    imported = import_divisions(conn, units, division_options(user="test"))

    outcome = imported.outcome
    assert outcome.committed and outcome.status == "loaded"
    assert _rows(conn, units) == expected
    assert len(expected) == len(units)
    assert outcome.counts == one.counts
    assert outcome.problems == one.problems
    assert outcome.notes == one.notes
    assert outcome.rows_total == one.rows_total == len(units)
    assert (outcome.file_name, outcome.sha256, outcome.source_crs) == (
        one.file_name,
        one.sha256,
        one.source_crs,
    )
    table = division_table(units)
    assert imported.bounded == table.frame[GEOMETRY_COLUMN].notna().tolist()
    loaded = one.counts.inserted + one.counts.updated
    assert _runs(conn) == [(len(units), loaded, 0, "loaded", source_name())]


def test_a_refused_unit_of_the_last_province_undoes_the_first(db: Session) -> None:
    conn = db.connection()
    units = _units("110101", "620702")
    stray = Division("629901000000", "测试县", "测试", 3, "629900000000", "")
    units.insert(next(i for i, u in enumerate(units) if u.level == 4), stray)
    row = units.index(stray) + 1
    before = _rows(conn, units)

    imported = import_divisions(conn, units, division_options(user="test"))

    outcome = imported.outcome
    assert outcome.status == "rejected" and not outcome.committed
    assert [(p.row, p.severity) for p in outcome.problems] == [(row, "rejected")]
    assert "629900000000" in outcome.problems[0].rule
    assert outcome.rejected is not None and list(outcome.rejected.index) == [row]
    assert _rows(conn, units) == before  # Beijing's rows, loaded first, undone with the rest
    assert _runs(conn) == []


def test_a_dry_run_counts_every_province_and_writes_nothing(db: Session) -> None:
    conn = db.connection()
    units = _units("530424", "620702")
    one, _ = _one_table(conn, units)
    before = _rows(conn, units)

    imported = import_divisions(conn, units, division_options(dry_run=True, user="test"))

    assert imported.outcome.status == "dry-run" and imported.outcome.counts == one.counts
    assert _rows(conn, units) == before
    assert _runs(conn) == []
