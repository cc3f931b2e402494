"""Visits' own import steps: where a visitor was looked for, and correcting who made a visit.

An import of 走访记录 tells the clerk where a visitor's name was looked for when no worker has
it (:func:`where_visitors_were_sought`), and corrects who made a visit an earlier import
recorded (:func:`correct_visitors`). A file imported for a jurisdiction (``--within``, a console
job's account scope) finds its persons inside it only: a row whose resident ID is on record
outside it is refused first, naming neither the person's place nor their category
(:func:`layers.person_lookalikes.on_record_elsewhere`, trial AJ S3), and a row that finds no
person is told the categories on record inside it only
(:func:`layers.visit_checks.categories_on_record` with its ``area``).

A visit is a person's, on a day, by a visitor (:func:`importers.kinds.persons.visit_key`). A
clerk who imported the month's 走访台账 with a wrong 走访人 (张伟 for 张薇) corrects the
cell and imports the file again: the corrected row corrects the visit the first import
recorded, it does not add a second visit of that person that day (crediting 张伟 with a
visit, counting two).

The rule (:func:`correct_visitors`), for the file's *new* visits: the staged visits that name a
visitor (by 工号 or name, found) whose (person, day, visitor) is not on record:

1. Only a visit an import recorded (``person_visits.import_id``) is corrected; a visit recorded
   otherwise (the worker app, the demo) never is.
2. A visit on record is *unlisted* when the file lists its person and day but no row of the
   file names its visitor for them (a row with an empty 走访人 names a visit without one).
3. The unlisted visits one earlier import recorded with the same content as a new visit (the
   same 走访情况, and both without a point or both at one point, within
   :data:`layers.bulk.GEOMETRY_TOLERANCE`) are that import's row: the same visit. The new visits
   of that content replace them: each of the earlier row's visits takes a new visitor, both
   in the order of the visitors' names (the visit keeps its id, creation time and import, its
   area follows the person's), the new visits left over are added (a visitor added to a joint
   visit), the visits left over are deleted (a companion who was not there). A joint visit
   corrected to two other visitors thus becomes their two visits.
4. When unlisted visits of that content come from several imports, the file cannot say which one
   it corrects: none is, the new visits are added, and the summary says so. A new visit whose
   content differs from every unlisted visit is another visit (a 网格员's and a 民警's).
5. A person's day with a refused row is left alone (the file does not say all of that day), and
   a file without a 走访人 column says nothing of visitors: it corrects none (its rows correct
   the visit of their day, :func:`layers.visit_checks.visits_matched_twice`).

Each visit corrected (``visit.correct``) or deleted (``visit.delete``) is written to the audit
log, by the import's user, with the import, its file and the visitor before and after (worker
ids, never a person's data), in the import's transaction: a dry run or a refused file leaves
nothing behind, and says the same. The summary names the workers and masks the persons' names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from layers import audit
from layers.bulk import GEOMETRY_TOLERANCE, ROW_COLUMN

_ROW = sql.Identifier(ROW_COLUMN)
_LISTED = 10
"""How many corrections a note lists before it says 等."""


@dataclass(frozen=True)
class VisitorSearch:
    """Where the platform looked for a visitor named in a row, and found nobody.

    Attributes
    ----------
    township : str
        The name of the unit the person lies in whose workers were searched (the township),
        else its code.
    elsewhere : list of str
        The other townships that have a worker of that name.
    """

    township: str
    elsewhere: list[str]


def where_visitors_were_sought(
    conn: psycopg.Connection[Any], staging: str, unknown: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], VisitorSearch]:
    """Return, for visitors no worker is, the township searched and where that name is found.

    A name is looked for among the workers of the visited person's township
    (:func:`layers.worker_matches.match_workers`): a worker of that name in another township,
    or a township missing from the roster, is what the clerk needs to know.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of visits, persons found.
    unknown : sequence of (int, str)
        Row number and visitor as written.

    Returns
    -------
    dict
        (row, visitor) → :class:`VisitorSearch`, for the rows whose person is found.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT DISTINCT ON (u.r, u.token) u.r, u.token,"
            " coalesce(j.name, left(s.area_code, 9) || '000'),"
            " ARRAY(SELECT DISTINCT coalesce(o.name, left(w.area_code, 9) || '000')"
            "  FROM workers AS w LEFT JOIN jurisdictions AS o"
            "  ON o.code = left(w.area_code, 9) || '000'"
            "  WHERE w.name = u.token AND left(w.area_code, 9) <> left(s.area_code, 9) ORDER BY 1)"
            " FROM unnest(%s::int[], %s::text[]) AS u(r, token)"
            " JOIN {s} AS s ON s.{row} = u.r AND s.area_code IS NOT NULL"
            " LEFT JOIN jurisdictions AS j ON j.code = left(s.area_code, 9) || '000'"
            " ORDER BY u.r, u.token"
        ).format(s=sql.Identifier(staging), row=_ROW),
        ([r for r, _ in unknown], [t for _, t in unknown]),
    ).fetchall()
    return {
        (int(r), str(token)): VisitorSearch(str(town), [str(o) for o in others])
        for r, token, town, others in rows
    }


@dataclass(frozen=True)
class _Content:
    """What a visit says apart from its person, day and visitor: its note and point."""

    note: str | None
    lon: float | None
    lat: float | None

    def same_as(self, other: _Content) -> bool:
        """Whether ``other`` says the same: one note, and no point or one point (a tolerance).

        Examples
        --------
        >>> _Content("入户", 102.9, 24.2).same_as(_Content("入户", 102.9 + 1e-7, 24.2))
        True
        >>> _Content("入户", None, None).same_as(_Content("入户", 102.9, 24.2))
        False
        """
        if self.note != other.note:
            return False
        if self.lon is None or self.lat is None or other.lon is None or other.lat is None:
            return (self.lon is None) == (other.lon is None)
        near = abs(self.lon - other.lon), abs(self.lat - other.lat)
        return max(near) <= GEOMETRY_TOLERANCE


@dataclass(frozen=True)
class _Staged:
    """A new visit of the file: a staged visit by a visitor not on record for its day."""

    row: int
    person_id: int
    day: date
    visitor_id: int
    visitor: str
    area_code: str
    content: _Content


@dataclass(frozen=True)
class _OnRecord:
    """A visit an import recorded on a new visit's day, by a visitor the file does not list."""

    id: int
    import_id: int
    person_id: int
    day: date
    visitor_id: int | None
    visitor: str | None
    content: _Content


@dataclass(frozen=True)
class Correction:
    """The visitors of one earlier row replaced by those of the file.

    Attributes
    ----------
    rows : list of int
        The file's rows.
    person : str
        The person's name, masked (``钱**``).
    day : datetime.date
        The visit's day.
    before, after : list of str
        The visitors on record, and those of the file (``（未填）`` for none).
    """

    rows: list[int]
    person: str
    day: date
    before: list[str]
    after: list[str]

    def said(self) -> str:
        """Return the correction as the summary lists it.

        Examples
        --------
        >>> Correction([3], "钱**", date(2025, 6, 1), ["张伟"], ["张薇"]).said()
        '张伟 → 张薇（第 3 行，钱**，2025-06-01）'
        """
        rows = "、".join(map(str, self.rows))
        return (
            f"{'、'.join(self.before)} → {'、'.join(self.after)}"
            f"（第 {rows} 行，{self.person}，{self.day.isoformat()}）"
        )


@dataclass(frozen=True)
class VisitorCorrections:
    """What a file corrected of who made the visits on record.

    Attributes
    ----------
    corrections : list of Correction
        Each earlier row corrected.
    updated : int
        Visits on record that took a visitor of the file (its rows the import counts updated).
    deleted : int
        Visits on record deleted: companions a corrected joint visit no longer names.
    undecided : list of int
        Rows whose visit may correct one of several earlier imports' visits: added.
    """

    corrections: list[Correction] = field(default_factory=list)
    updated: int = 0
    deleted: int = 0
    undecided: list[int] = field(default_factory=list)

    def notes(self) -> list[str]:
        r"""Return what an import's summary says of the corrections (Chinese).

        Examples
        --------
        >>> fixed = Correction([3], "钱**", date(2025, 6, 1), ["张伟", "李四"], ["张薇"])
        >>> print(*VisitorCorrections([fixed], 1, 1).notes()[0].split("；"), sep="\n")
        更正走访人 2 条：张伟、李四 → 张薇（第 3 行，钱**，2025-06-01）
        其中 1 条删除（走访人少了）
        """
        notes = []
        if self.corrections:
            listed = "；".join(c.said() for c in self.corrections[:_LISTED])
            more = "等" if len(self.corrections) > _LISTED else ""
            removed = f"；其中 {self.deleted} 条删除（走访人少了）" if self.deleted else ""
            notes.append(f"更正走访人 {self.updated + self.deleted} 条：{listed}{more}{removed}")
        if self.undecided:
            rows = "、".join(map(str, self.undecided[:_LISTED]))
            notes.append(
                f"第 {rows}{'等' if len(self.undecided) > _LISTED else ''} 行的走访人"
                "不在库中该人当天的走访里，库中该人当天另有几次导入都记了内容相同的走访，"
                "无法确定更正哪一条：已作为新的走访记录"
            )
        return notes


def correct_visitors(
    conn: psycopg.Connection[Any],
    staging: str,
    *,
    point: str | None,
    refused: Sequence[int],
    import_id: int | None,
    user: str,
) -> VisitorCorrections:
    """Correct the visitors of the visits an earlier import recorded, as the module says.

    Run once visitors are found and the file is to be written, before the refused rows leave
    the staging table and before the upsert, which then finds each corrected visit as it is.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of visits, persons and visitors found, of a file with 走访人.
    point : str or None
        The staging table's point column (``None``: the file gives no points).
    refused : sequence of int
        Rows refused: their person's day is left alone.
    import_id : int or None
        ``import_runs.id`` of the import (audit detail).
    user : str
        Who imports (the audit entries' actor).

    Returns
    -------
    VisitorCorrections
        What was corrected, for the summary and the counts.
    """
    new = _new_visits(conn, staging, point, refused)
    if not new:
        return VisitorCorrections()
    unlisted = _unlisted_visits(conn, staging, {(v.person_id, v.day) for v in new})
    if not unlisted:
        return VisitorCorrections()
    on_record = _by_day(unlisted)
    plan = _Plan()
    for key, visits in _by_day(new).items():
        plan.add_day(visits, on_record.get(key, []))
    if plan.updates or plan.deletes:
        _write(conn, plan, import_id, user)
    names = _masked_names(conn, {c.person_id for c in plan.found})
    corrections = [
        Correction(c.rows, names.get(c.person_id, "*"), c.day, c.before, c.after)
        for c in plan.found
    ]
    return VisitorCorrections(corrections, len(plan.updates), len(plan.deletes), plan.undecided)


def _new_visits(
    conn: psycopg.Connection[Any], staging: str, point: str | None, refused: Sequence[int]
) -> list[_Staged]:
    """Return the staged visits by a visitor not on record for their day, in the file's order.

    Only those of a day an import recorded a visit on (the others correct nothing); a joint
    visit's visitors by name, by code point (the order of its cell is not staged).
    """
    at = sql.SQL("s.{}").format(sql.Identifier(point)) if point else sql.SQL("NULL::geometry")
    rows = conn.execute(
        sql.SQL(
            "WITH refused AS MATERIALIZED (SELECT DISTINCT person_id, visited_on FROM {s}"
            " WHERE {row} = ANY(%s) AND person_id IS NOT NULL)"
            " SELECT s.{row}, s.person_id, s.visited_on, s.visitor_id, w.name, s.area_code,"
            " s.note, ST_X({p}), ST_Y({p}) FROM {s} AS s JOIN workers AS w ON w.id = s.visitor_id"
            " WHERE s.person_id IS NOT NULL AND s.visited_on IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM person_visits AS v WHERE v.person_id = s.person_id"
            " AND v.visited_on = s.visited_on AND v.visitor_id = s.visitor_id)"
            " AND EXISTS (SELECT 1 FROM person_visits AS v WHERE v.person_id = s.person_id"
            " AND v.visited_on = s.visited_on AND v.import_id IS NOT NULL)"
            " AND NOT EXISTS (SELECT 1 FROM refused AS r"
            " WHERE r.person_id = s.person_id AND r.visited_on = s.visited_on)"
            ' ORDER BY s.{row}, w.name COLLATE "C"'
        ).format(s=sql.Identifier(staging), row=_ROW, p=at),
        (list(refused),),
    ).fetchall()
    return [
        _Staged(int(r), int(p), d, int(w), str(n), str(a), _Content(note, x, y))
        for r, p, d, w, n, a, note, x, y in rows
    ]


def _unlisted_visits(
    conn: psycopg.Connection[Any], staging: str, days: set[tuple[int, date]]
) -> list[_OnRecord]:
    """Return the visits imports recorded on ``days`` whose visitor no staged row names.

    In the order of their visitor's name, by code point (the summary's: the same on every
    server), then of their id.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT v.id, v.import_id, v.person_id, v.visited_on, v.visitor_id, w.name, v.note,"
            " ST_X(v.point), ST_Y(v.point) FROM person_visits AS v"
            " JOIN unnest(%s::bigint[], %s::date[]) AS d(person_id, day)"
            " ON v.person_id = d.person_id AND v.visited_on = d.day"
            " LEFT JOIN workers AS w ON w.id = v.visitor_id WHERE v.import_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM {s} AS s WHERE s.person_id = v.person_id"
            " AND s.visited_on = v.visited_on AND s.visitor_id IS NOT DISTINCT FROM v.visitor_id)"
            ' ORDER BY w.name COLLATE "C", v.id'
        ).format(s=sql.Identifier(staging)),
        ([p for p, _ in days], [d for _, d in days]),
    ).fetchall()
    return [
        _OnRecord(int(i), int(run), int(p), d, w, n, _Content(note, x, y))
        for i, run, p, d, w, n, note, x, y in rows
    ]


_Visit = TypeVar("_Visit", _Staged, _OnRecord)


def _by_day(visits: Sequence[_Visit]) -> dict[tuple[int, date], list[_Visit]]:
    """Group visits by person and day, keeping their order."""
    days: dict[tuple[int, date], list[_Visit]] = {}
    for visit in visits:
        days.setdefault((visit.person_id, visit.day), []).append(visit)
    return days


@dataclass
class _Found:
    """One correction, the person still by id."""

    rows: list[int]
    person_id: int
    day: date
    before: list[str]
    after: list[str]


_NOBODY = "（未填）"
"""A visit on record without a visitor, as the summary names it."""


@dataclass
class _Plan:
    """The visits to update and delete, and what the summary says of them."""

    updates: list[tuple[_OnRecord, _Staged]] = field(default_factory=list)
    deletes: list[_OnRecord] = field(default_factory=list)
    found: list[_Found] = field(default_factory=list)
    undecided: list[int] = field(default_factory=list)

    def add_day(self, new: list[_Staged], unlisted: list[_OnRecord]) -> None:
        """Plan a person's day: each content of its new visits replaces one earlier row."""
        taken: set[int] = set()
        for same in _by_content(new):
            said = same[0].content
            matched = [v for v in unlisted if v.id not in taken and v.content.same_as(said)]
            if len({v.import_id for v in matched}) > 1:
                self.undecided += sorted({v.row for v in same})
                continue
            if not matched:
                continue
            taken.update(v.id for v in matched)
            self.updates += list(zip(matched, same, strict=False))
            self.deletes += matched[len(same) :]
            self.found.append(
                _Found(
                    sorted({v.row for v in same}),
                    same[0].person_id,
                    same[0].day,
                    [v.visitor or _NOBODY for v in matched],
                    [v.visitor for v in same],
                )
            )


def _by_content(visits: Sequence[_Staged]) -> list[list[_Staged]]:
    """Group a day's new visits by what they say apart from the visitor, keeping their order."""
    groups: list[list[_Staged]] = []
    for visit in visits:
        group = next((g for g in groups if g[0].content.same_as(visit.content)), None)
        if group is None:
            groups.append([visit])
        else:
            group.append(visit)
    return groups


def _write(conn: psycopg.Connection[Any], plan: _Plan, import_id: int | None, user: str) -> None:
    """Apply the planned corrections and deletions, each audited."""
    conn.execute(
        "UPDATE person_visits AS v SET visitor_id = u.visitor, area_code = u.area"
        " FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS u(id, visitor, area)"
        " WHERE v.id = u.id",
        (
            [old.id for old, _ in plan.updates],
            [new.visitor_id for _, new in plan.updates],
            [new.area_code for _, new in plan.updates],
        ),
    )
    conn.execute("DELETE FROM person_visits WHERE id = ANY(%s)", ([v.id for v in plan.deletes],))
    run = _import_detail(conn, import_id)
    changes: dict[tuple[str, int | None, int | None], list[str]] = {}
    for old, new in plan.updates:
        changes.setdefault(("visit.correct", old.visitor_id, new.visitor_id), []).append(
            str(old.id)
        )
    for old in plan.deletes:
        changes.setdefault(("visit.delete", old.visitor_id, None), []).append(str(old.id))
    for (action, before, after), visits in changes.items():  # one round per change of visitor
        audit.record_each(
            conn,
            visits,
            actor_name=user,
            action=action,
            object_type="person_visit",
            detail={**run, "visitor_before": before, "visitor_after": after},
        )


def _import_detail(conn: psycopg.Connection[Any], import_id: int | None) -> dict[str, Any]:
    """Return the audit detail naming the import and its file."""
    found = conn.execute("SELECT file_name FROM import_runs WHERE id = %s", (import_id,)).fetchone()
    return {"import_id": import_id, "file": found[0] if found is not None else None}


def _masked_names(conn: psycopg.Connection[Any], person_ids: set[int]) -> dict[int, str]:
    """Return the persons' names masked but for their first character (never in clear)."""
    rows = conn.execute(
        "SELECT id, CASE WHEN char_length(name) <= 1 THEN '*'"
        " ELSE left(name, 1) || repeat('*', char_length(name) - 1) END"
        " FROM persons WHERE id = ANY(%s)",
        (list(person_ids),),
    ).fetchall()
    return {int(i): str(masked) for i, masked in rows}
