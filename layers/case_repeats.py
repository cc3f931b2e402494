"""Repeat reports (重复反映) among imported cases, by the rule a case registered here follows.

A case registered in the console repeats an open case of the same category and subcategory
reported at most :data:`layers.cases.DEDUPE_DAYS` days before it, within
:data:`layers.cases.DEDUPE_RADIUS_M` metres (:func:`layers.cases.register`). An import applies
the same rule to its new cases, in time order, against each other and against the cases on
record (:func:`geo.nearrepeat.repeat_originals`). A 12345 history then counts each matter once
in hot spots and trends, which leave repeats out, as live registration does; and a matter
reported again and again stands out by its risk.

Before the staged cases are inserted, :func:`link_staged_repeats`

* writes a TEMP table of links, one row per staged case that repeats or is repeated: a repeat
  of a new case points to the id its original drew as it was staged
  (:data:`layers.case_import.STAGED_ID`), in the same ``INSERT … SELECT``, which joins the
  links to the staged rows (:attr:`RepeatLinks.joined`, :attr:`RepeatLinks.columns`);
* raises each case on record that new cases repeat, as registering them would: its
  ``repeat_count`` by their number, its risk one level for each (at most to red), with one
  ``repeat_linked`` event.

An original's deadlines stay those of the risk it was reported with, as for a case registered
here: :func:`layers.case_import.computed_columns` reads the staged (reported) risk level.

A 12345 export says itself which work orders repeat an earlier one (是否重复件 = 是, and the
original's number in 关联工单编号): its word comes first (:data:`REPEAT_FLAG`,
:data:`REPEAT_OF`). A row flagged with the number of a work order of the file or on record is
linked to it (to its original, when that one is a repeat itself), with or without a point, at
any distance; a row flagged 否 is no repeat, though later reports may repeat it; the rule
decides for the other rows (unflagged, or flagged with a number that names no work order,
which the summary lists), as for a file without the columns.

Before the new cases are linked, when the file corrects the type, place or time of cases an
earlier import brought in and nobody has handled here since
(:func:`layers.case_import.refresh_untouched`), their links are worked out again by the same
rule (:func:`relink_refreshed`): a case whose wrong point made it the repeat of a case 3 km away
is an original again and counts in hot spots, one whose corrected point lies 50 m from an open
original of its type repeats it, and the originals' repeat counts and risks follow. A corrected
original keeps the repeats the rule still gives it and loses the others. As for new cases, the
other cases on record keep their standing. A first import corrects nothing, and reads nothing
for this.

An operator who finds a linked case another matter unlinks it (解除关联, :func:`unlink_repeat`):
the original loses the repeat and the risk level it raised (not one set by hand since), and
the two are never linked again (:func:`declined_pairs`, read by :func:`relink_refreshed`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
from psycopg import sql
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from geo.crs import metres_per_degree
from geo.nearrepeat import repeat_originals
from layers import cases, deadlines, workflow
from layers.bulk import LAT_COLUMN, LON_COLUMN, ROW_COLUMN, copy_frame
from layers.case_import import SAME_CASE, STAGED_ID, untouched
from layers.cases import DEDUPE_DAYS, DEDUPE_RADIUS_M
from layers.errors import Conflict, Forbidden, InvalidInput
from layers.free_text import CASE_NOTE, refuse_personal_numbers
from layers.model import Case, CaseEvent, Role
from layers.model.cases import Category, RiskLevel
from layers.repeat_match import (
    DISMISS_LABEL,
    DISMISSED,
    DISMISSED_NOTE,
    SUSPECTED,
    SUSPECTED_NOTE,
    address_key,
    phone_key,
)
from layers.workflow import Actor

LINKS = "zz_repeat_links"
"""TEMP table of the links (``_row``, ``id``, ``duplicate_of``, ``repeat_count``; 0 for none)."""
MOVED = "zz_repeat_moved"
"""TEMP table of the ids of the cases a file corrected in type, place or time."""
SUSPECTS = "zz_repeat_suspects"
"""TEMP table of the new cases that look like repeats but are not linked (疑似重复: ``id``, the
id the case drew as it was staged, and ``suspected_of``, the original's id)."""
RELINKS = "zz_repeat_relinks"
"""TEMP table of the cases on record whose original changes (``id``, ``was_of``, ``now_of``;
0 for none)."""
REPEAT_FLAG = "_repeat_flag"
"""Staging column: the source's 是否重复件 (true 是, false 否, NULL not said)."""
REPEAT_OF = "_repeat_of"
"""Staging column: the source's 关联工单编号, the number of the work order a row repeats (in
the row's channel)."""
_DAY_S = 86_400.0
_SAMPLES = 5
"""How many numbers a note names before it says 等."""


@dataclass(frozen=True)
class RepeatLinks:
    """What :func:`link_staged_repeats` found.

    Attributes
    ----------
    repeats : int
        New cases that repeat an earlier report.
    on_record : int
        Cases on record (before this import) that new cases repeat.
    columns : dict
        Columns of ``cases`` the insert computes from the links (``duplicate_of``,
        ``repeat_count``, ``risk_level``) → SQL expression over the staged row ``s`` and its
        link ``l``; empty when no case repeats another.
    joined : psycopg.sql.Composable or None
        The ``LEFT JOIN`` of the links to ``s``; ``None`` when no case repeats another.
    notes : list of str
        What the summary says of the source's own repeat flags (:class:`SourceLinks`) and
        of the suspected repeats.
    suspected : int
        New cases of the type and place of an open original but not its address nor its
        caller's number (疑似重复, :mod:`layers.repeat_match`): linked to nothing, listed
        in :data:`SUSPECTS` for :func:`record_suspects`.
    """

    repeats: int
    on_record: int
    columns: dict[str, sql.Composable] = field(default_factory=dict)
    joined: sql.Composable | None = None
    notes: list[str] = field(default_factory=list)
    suspected: int = 0


class FlaggedRepeats(str):
    """The note of the new cases a file's own repeat flags linked, with their number.

    The summary's line of repeats (:func:`repeats_line`) says how many of them the flags
    linked and how many the rule did.
    """

    linked: int

    def __new__(cls, linked: int) -> FlaggedRepeats:
        """Return the note of ``linked`` cases linked by the file's flags."""
        said = f"其中 {linked} 件按文件的是否重复件、关联工单编号关联到原工单（不论有无点位、远近）"
        note = super().__new__(cls, said)
        note.linked = linked
        return note


def repeats_line(repeats: int, flagged: int = 0) -> str:
    r"""Return the summary's line of the new cases linked as repeats, and by what.

    Parameters
    ----------
    repeats : int
        New cases linked as repeats of an earlier report.
    flagged : int
        How many of them the file's own flags linked (:class:`FlaggedRepeats`); the rule
        (:data:`DEDUPE_DAYS` days, :data:`DEDUPE_RADIUS_M` metres, same type, the original
        still open when the repeat came in, 当时未办结: so a history of settled cases has
        repeats too) linked the others.

    Returns
    -------
    str
        The line.

    Examples
    --------
    >>> print(repeats_line(5).replace("，", "，\n").replace("、同一", "、\n同一"))
    其中 5 件为重复反映，
    已关联到 30 天内、200 米内同类、
    同一地址或来电号码、当时未办结的原案件（热点与趋势分析只计原案件）
    >>> print(repeats_line(4, 3).replace("：", "：\n").replace("），", "），\n"))
    其中 4 件为重复反映，已关联到原案件：
    3 件按文件的是否重复件、关联工单编号（不论有无点位、远近），
    1 件按 30 天内、200 米内同类、同一地址或来电号码、当时未办结的规则（热点与趋势分析只计原案件）
    """
    rule = f"{DEDUPE_DAYS} 天内、{DEDUPE_RADIUS_M:g} 米内同类、同一地址或来电号码、当时未办结"
    counted = "（热点与趋势分析只计原案件）"
    flags = "是否重复件、关联工单编号"
    if not flagged:
        return f"其中 {repeats} 件为重复反映，已关联到 {rule}的原案件{counted}"
    if flagged >= repeats:
        return f"其中 {repeats} 件为重复反映，已按文件的{flags}关联到原案件{counted}"
    return (
        f"其中 {repeats} 件为重复反映，已关联到原案件：{flagged} 件按文件的{flags}"
        f"（不论有无点位、远近），{repeats - flagged} 件按 {rule}的规则{counted}"
    )


@dataclass(frozen=True)
class SourceLinks:
    """What a file's own repeat flags decided (:func:`_source_links`).

    Attributes
    ----------
    to_record : numpy.ndarray
        Per new case, the id of the case on record it repeats (0: none).
    to_new : numpy.ndarray
        Per new case, the position among the new cases of the one it repeats (-1: none).
    decided : numpy.ndarray
        Per new case, whether its standing is decided (flagged 否, or the original of a
        flagged row): the rule never makes it a repeat.
    declined : int
        Rows flagged 否.
    unknown : list of str
        The numbers flagged rows name that no work order of the file or on record has.
    """

    to_record: npt.NDArray[np.int64]
    to_new: npt.NDArray[np.int64]
    decided: npt.NDArray[np.bool_]
    declined: int
    unknown: list[str]

    def notes(self) -> list[str]:
        r"""Return what the import's summary says of them.

        Examples
        --------
        >>> links = SourceLinks(np.array([0, 7]), np.array([-1, -1]), np.zeros(2, bool), 1, ["A"])
        >>> for line in links.notes():
        ...     print(line.replace("：", "：\n  "))
        其中 1 件按文件的是否重复件、关联工单编号关联到原工单（不论有无点位、远近）
        1 行标为非重复件：
          不按 200 米、30 天的规则作重复反映
        1 行标为重复件，但关联工单编号不在本文件，也不在库中（A）：
          按 200 米、30 天内同类、当时未办结的规则判断
        """
        linked = int(((self.to_record > 0) | (self.to_new >= 0)).sum())
        said: list[str] = []
        if linked:
            said.append(FlaggedRepeats(linked))
        if self.declined:
            said.append(f"{self.declined} 行标为非重复件：不按 200 米、30 天的规则作重复反映")
        if self.unknown:
            more = "等" if len(self.unknown) > _SAMPLES else ""
            shown = "、".join(self.unknown[:_SAMPLES]) + more
            said.append(
                f"{len(self.unknown)} 行标为重复件，但关联工单编号不在本文件，"
                f"也不在库中（{shown}）：按 200 米、30 天内同类、当时未办结的规则判断"
            )
        return said


def link_staged_repeats(
    conn: psycopg.Connection[Any],
    staging: str,
    *,
    actor: str,
    radius_m: float = DEDUPE_RADIUS_M,
    days: int = DEDUPE_DAYS,
    points: bool = True,
    declared: bool = False,
    limits_config: dict[str, Any] | None = None,
) -> RepeatLinks:
    """Find which staged new cases repeat an earlier report, and record it.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases, with their points as :data:`layers.bulk.LON_COLUMN` and
        :data:`layers.bulk.LAT_COLUMN` (CGCS2000), and ``closed_at``. Staged cases already on
        record (same channel and number) are not new.
    actor : str
        Who imports (the ``repeat_linked`` events' ``actor_name``).
    radius_m, days : float, int
        Repeat window, as for :func:`layers.cases.register`.
    points : bool
        The staging table has the points' columns (a file with coordinates).
    declared : bool
        The staging table has the source's own flags (:data:`REPEAT_FLAG`,
        :data:`REPEAT_OF`): they decide first (:func:`_source_links`).
    limits_config : dict, optional
        Deadline configuration (:func:`layers.deadlines.load`): a case on record raised by its
        repeats gets the new risk's limits where sooner, as :func:`layers.cases.raise_risk`.

    Returns
    -------
    RepeatLinks
        How many new cases repeat an earlier one, how many cases on record they repeat, and
        how the insert reads the links.
    """
    new = _frame(conn, _new_cases(staging, points=points, declared=declared))
    if new.empty:
        return RepeatLinks(0, 0)
    to_record = np.zeros(len(new), dtype=np.int64)
    to_new = np.full(len(new), -1, dtype=np.int64)
    decided = np.zeros(len(new), dtype=np.bool_)
    notes: list[str] = []
    if declared:
        source = _source_links(conn, staging, new)
        to_record, to_new, decided = source.to_record, source.to_new, source.decided
        notes = source.notes()
    located = new["lon"].notna().to_numpy() & new["lat"].notna().to_numpy()
    undecided = np.flatnonzero(located & (to_record == 0) & (to_new < 0))
    refs, ids = (new[c].to_numpy(dtype=np.int64) for c in ("ref", "case_id"))
    suspected = 0
    if undecided.size:
        by_rule = new.iloc[undecided].reset_index(drop=True)
        record, original, alike = _sweep(conn, by_rule, radius_m, days, settled=decided[undecided])
        on_record = (original >= 0) & (original < len(record))
        in_file = original >= len(record)
        to_record[undecided[on_record]] = record["ref"].to_numpy(dtype=np.int64)[
            original[on_record]
        ]
        to_new[undecided[in_file]] = undecided[original[in_file] - len(record)]
        # 疑似重复: the type and place only, linked to nothing (trial BA S4)
        found = alike >= 0
        if found.any():
            targets = alike[found]
            on_rec = targets < len(record)
            of = np.empty(targets.size, dtype=np.int64)
            of[on_rec] = record["ref"].to_numpy(dtype=np.int64)[targets[on_rec]]
            of[~on_rec] = ids[undecided[targets[~on_rec] - len(record)]]
            _write_suspects(conn, ids[undecided[found]], of)
            suspected = int(found.sum())
            notes = [*notes, suspects_line(suspected)]
    linked = (to_record > 0) | (to_new >= 0)
    if not linked.any():
        return RepeatLinks(0, 0, notes=notes, suspected=suspected)
    _write_links(conn, refs, ids, to_record, to_new)
    originals, raised = np.unique(to_record[to_record > 0], return_counts=True)
    _raise_on_record(conn, originals.tolist(), raised.tolist(), actor, limits_config)
    return RepeatLinks(
        int(linked.sum()),
        int(originals.size),
        {
            "duplicate_of": sql.SQL("nullif(l.duplicate_of, 0)"),
            "repeat_count": sql.SQL("coalesce(l.repeat_count, 0)"),
            "risk_level": sql.SQL("greatest(1, s.risk_level - coalesce(l.repeat_count, 0))"),
        },
        sql.SQL("LEFT JOIN {links} AS l ON l.{row} = s.{row}").format(
            links=sql.Identifier(LINKS), row=sql.Identifier(ROW_COLUMN)
        ),
        notes,
        suspected,
    )


def suspects_line(suspected: int) -> str:
    r"""Return the summary's line of the new cases that only look like repeats (疑似重复).

    Examples
    --------
    >>> print(suspects_line(9).replace("：", "：\n"))
    另有 9 件疑似重复（30 天内、200 米内同类、当时未办结，但地址不同、来电号码不同或未留）：
    未关联、未提升原案件风险，已在案件上列出，核实为同一事项的可“合并为重复反映”
    """
    return (
        f"另有 {suspected} 件疑似重复（{DEDUPE_DAYS} 天内、{DEDUPE_RADIUS_M:g} 米内同类、"
        "当时未办结，但地址不同、来电号码不同或未留）：未关联、未提升原案件风险，已在案件上列出，"
        "核实为同一事项的可“合并为重复反映”"
    )


def _write_suspects(
    conn: psycopg.Connection[Any], ids: npt.NDArray[np.int64], of: npt.NDArray[np.int64]
) -> None:
    """COPY the suspected repeats into :data:`SUSPECTS` (the ids the new cases drew)."""
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(SUSPECTS)))
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} (id bigint, suspected_of bigint) ON COMMIT DROP").format(
            sql.Identifier(SUSPECTS)
        )
    )
    copy_frame(conn, SUSPECTS, pd.DataFrame({"id": ids, "suspected_of": of}))


def record_suspects(conn: psycopg.Connection[Any], actor: str) -> int:
    """Write the ``repeat_suspected`` event of each suspected repeat an import inserted.

    Called after the insert, once the new cases exist (:data:`SUSPECTS`, written by
    :func:`link_staged_repeats`): the event lists the case for review
    (:func:`suspected_originals`) and names the original it looks like.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    actor : str
        Who imports (the events' ``actor_name``).

    Returns
    -------
    int
        Events written.
    """
    done = conn.execute(
        sql.SQL(
            "INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload)"
            " SELECT c.id, c.area_code, {actor}, {action}, c.state, c.state, {note},"
            " jsonb_build_object('suspected_of', o.id)"
            " FROM {suspects} AS s JOIN cases AS c ON c.id = s.id"
            " JOIN cases AS o ON o.id = s.suspected_of"
        ).format(
            actor=sql.Literal(actor[:50]),
            action=sql.Literal(SUSPECTED),
            note=_suspect_note(),
            suspects=sql.Identifier(SUSPECTS),
        )
    )
    return done.rowcount


def _suspect_note() -> sql.Composed:
    """Return the note of case ``c`` suspected of ``o`` (:data:`SUSPECTED_NOTE`), for SQL."""
    return sql.SQL(
        "replace(replace(replace({note}, '{{code}}', o.code), '{{metres}}',"
        " coalesce(round(ST_Distance(c.point::geography, o.point::geography))::text, '?')),"
        " '{{days}}', {days})"
    ).format(note=sql.Literal(SUSPECTED_NOTE), days=sql.Literal(str(DEDUPE_DAYS)))


def _new_cases(staging: str, *, points: bool, declared: bool) -> sql.Composed:
    """Return the query of the staged cases not on record that may repeat or be repeated.

    Those located only, unless the file flags its repeats itself: then all of them (a flagged
    row, or its original, may have no point).
    """
    lon, lat = sql.Identifier(LON_COLUMN), sql.Identifier(LAT_COLUMN)
    located = sql.SQL("s.{} IS NOT NULL AND s.{} IS NOT NULL AND ").format(lon, lat)
    at = sql.SQL("s.{} AS lon, s.{} AS lat").format(lon, lat)
    return sql.SQL(
        "SELECT s.{row} AS ref, s.{case_id} AS case_id, {at}, s.category,"
        " s.category || chr(31) || coalesce(s.subcategory, '') AS kind,"
        " coalesce(s.address, '') AS address, coalesce(s.reporter_phone, '') AS phone,"
        " date_part('epoch', s.reported_at) AS reported,"
        " date_part('epoch', s.closed_at) AS closed"
        " FROM {staging} AS s WHERE {located}"
        "NOT EXISTS (SELECT 1 FROM cases AS c WHERE {same})"
    ).format(
        row=sql.Identifier(ROW_COLUMN),
        case_id=sql.Identifier(STAGED_ID),
        at=at if points else sql.SQL("NULL::float8 AS lon, NULL::float8 AS lat"),
        staging=sql.Identifier(staging),
        located=located if points and not declared else sql.SQL(""),
        same=SAME_CASE,
    )


def _source_links(conn: psycopg.Connection[Any], staging: str, new: pd.DataFrame) -> SourceLinks:
    """Link the new cases the file flags as repeats to the work orders they name.

    A flagged row (是否重复件 not 否) whose 关联工单编号 is the number of a work order of its
    channel on record repeats that case's original (the case itself, or the case it repeats);
    one whose number is a new row of the file repeats that row's original, followed from
    row to row (a cycle links none of its rows). The originals of such links, and the rows
    flagged 否, are decided: the rule makes none of them a repeat. One statement: the numbers
    on record are found through the ``(channel, external_no)`` index.
    """
    named = _frame(
        conn,
        sql.SQL(
            "SELECT s.{row} AS ref, CASE WHEN s.{flag} THEN 1 WHEN NOT s.{flag} THEN 0"
            " ELSE -1 END AS flag, coalesce(s.{of}, '') AS number,"
            " coalesce(o.{row}, -1) AS in_file, coalesce(c.duplicate_of, c.id, 0) AS on_record"
            " FROM {s} AS s LEFT JOIN {s} AS o ON o.channel = s.channel"
            " AND o.external_no = s.{of}"
            " LEFT JOIN cases AS c ON c.channel = s.channel AND c.external_no = s.{of}"
            " WHERE (s.{of} IS NOT NULL OR s.{flag} IS NOT NULL)"
            " AND NOT EXISTS (SELECT 1 FROM cases AS k WHERE {same})"
        ).format(
            row=sql.Identifier(ROW_COLUMN),
            flag=sql.Identifier(REPEAT_FLAG),
            of=sql.Identifier(REPEAT_OF),
            s=sql.Identifier(staging),
            same=sql.SQL("k.channel = s.channel AND k.external_no = s.external_no"),
        ),
    )
    n = len(new)
    to_record = np.zeros(n, dtype=np.int64)
    to_new = np.full(n, -1, dtype=np.int64)
    decided = np.zeros(n, dtype=np.bool_)
    position = pd.Series(np.arange(n), index=new["ref"].to_numpy())
    rows = position.reindex(named["ref"].to_numpy()).to_numpy(dtype=np.int64)
    declined = (named["flag"] == 0).to_numpy()
    flagged = ~declined & (named["number"] != "").to_numpy()
    on_record = named["on_record"].to_numpy(dtype=np.int64)
    in_file = position.reindex(named["in_file"].to_numpy()).fillna(-1).to_numpy(np.int64)
    by_record = flagged & (on_record > 0)
    to_record[rows[by_record]] = on_record[by_record]
    by_file = flagged & (on_record == 0) & (in_file >= 0)
    to_new[rows[by_file]] = in_file[by_file]
    to_record, to_new = _roots(to_record, to_new)
    decided[rows[declined]] = True
    decided[to_new[to_new >= 0]] = True
    linked = (to_record > 0) | (to_new >= 0)
    unknown = flagged & ~linked[rows]
    return SourceLinks(
        to_record,
        to_new,
        decided,
        int(declined.sum()),
        named["number"].to_numpy()[unknown].astype(str).tolist(),
    )


def _roots(
    to_record: npt.NDArray[np.int64], to_new: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Follow the links among new cases to their originals (repeats of repeats are not made).

    Pointer jumping: each pass points every case at its original's original, so a chain of
    any length is followed in a few passes. A case whose chain never ends (a cycle, or a row
    naming itself) is linked to nothing.

    Examples
    --------
    >>> to_record, to_new = _roots(np.array([0, 0, 9, 0, 0, 0]), np.array([-1, 0, -1, 1, 5, 4]))
    >>> to_record.tolist(), to_new.tolist()
    ([0, 0, 9, 0, 0, 0], [-1, 0, -1, 0, -1, -1])
    """
    to_record, to_new = to_record.copy(), to_new.copy()
    for _ in range(64):
        up = np.maximum(to_new, 0)
        linked = to_new >= 0
        via_new = linked & (to_new[up] >= 0)
        via_record = linked & (to_record[up] > 0)
        if not (via_new.any() or via_record.any()):
            break
        to_record = np.where(via_record, to_record[up], to_record)
        to_new = np.where(via_record, -1, np.where(via_new, to_new[up], to_new))
    up = np.maximum(to_new, 0)
    endless = (to_new >= 0) & ((to_new[up] >= 0) | (to_record[up] > 0))
    to_new[endless] = -1
    return to_record, to_new


def _sweep(
    conn: psycopg.Connection[Any],
    new: pd.DataFrame,
    radius_m: float,
    days: int,
    *,
    undecided: npt.NDArray[np.int64] | None = None,
    settled: npt.NDArray[np.bool_] | None = None,
) -> tuple[pd.DataFrame, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Find which of ``new`` (located reports) repeat a case on record or one another.

    Returns the cases on record read as candidates (those of ``undecided``, ids of cases on
    record that are being decided too, left out), and for each of ``new`` the position of its
    original in the candidates then ``new`` (-1: none), as :func:`geo.nearrepeat.repeat_originals`,
    and the position of the original it only looks like (疑似重复, -1: none). The ``settled``
    of ``new`` (the source says they are no repeats) may be originals, and are never linked
    themselves.

    A repeat is of the same type, place and time as its original, and of its address or its
    caller's number (:mod:`layers.repeat_match`, trial BA S4): one sweep per key, then each
    link followed to its original (a report linked by its number to one linked by address).
    A report of the type, place and time alone is a suspected repeat of the original the
    rule found for it without the address.
    """
    # The box around the new cases, widened by twice the radius in degrees of longitude at
    # the case nearest a pole (where a degree spans the fewest metres); geo checks the
    # exact distance afterwards.
    east, _ = metres_per_degree(float(new["lat"].abs().max()))
    record = _on_record(conn, new, days, 2.0 * radius_m / east)
    if undecided is not None:
        record = record[~record["ref"].isin(undecided)].reset_index(drop=True)
    both = pd.concat([record, new], ignore_index=True)
    reported = both["reported"].to_numpy(dtype=np.float64)
    fixed = np.concatenate([np.ones(len(record), dtype=np.bool_), _or_none(settled, len(new))])

    def sweep(labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return repeat_originals(
            both["lon"].to_numpy(dtype=np.float64),
            both["lat"].to_numpy(dtype=np.float64),
            reported / _DAY_S,
            distance_m=radius_m,
            window_days=float(days),
            categories=labels,
            open_days=(both["closed"].to_numpy(dtype=np.float64) - reported) / _DAY_S,
            fixed=fixed,
        )

    kinds = pd.factorize(both["kind"].astype(str))[0].astype(np.int64)
    alike = sweep(kinds)
    original = alike.copy()
    if (alike >= 0).any():  # the place and type alone link nothing (trial BA S4)
        addresses = _key_codes(both, "address", address_key)
        if addresses.min() != addresses.max():  # one address for all: the type decides
            original = sweep(_paired(kinds, addresses))
        phones = _key_codes(both, "phone", phone_key)
        if phones.any():
            alone = phones.max() + 1 + np.arange(phones.size)  # no number: like no other
            by_phone = sweep(_paired(kinds, np.where(phones > 0, phones, alone)))
            original = np.where(original >= 0, original, by_phone)
            original = _followed(original)
    suspected = np.where((original < 0) & (alike >= 0), alike, -1)
    up = np.maximum(suspected, 0)
    suspected = np.where((suspected >= 0) & (original[up] >= 0), original[up], suspected)
    return record, original[len(record) :], suspected[len(record) :]


def _key_codes(
    frame: pd.DataFrame, column: str, key: Callable[[object], str]
) -> npt.NDArray[np.int64]:
    """Return a code per row of ``key`` of ``column`` (0: an empty key or no such column).

    Each distinct value is keyed once: a million reports share a few thousand addresses.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": ["x 1", "x1", None, "y"]})
    >>> _key_codes(frame, "a", lambda v: v.replace(" ", "") if isinstance(v, str) else "").tolist()
    [1, 1, 0, 2]
    >>> _key_codes(frame, "b", str).tolist()
    [0, 0, 0, 0]
    """
    if column not in frame:
        return np.zeros(len(frame), dtype=np.int64)
    raw, distinct = pd.factorize(frame[column])  # -1: missing
    keys = ["", *(key(value) for value in distinct), key(None)]  # '' first: code 0
    codes = pd.factorize(pd.Index(keys, dtype=object))[0].astype(np.int64)
    return codes[1:][raw]  # raw -1 takes the last: a missing value's key


def _paired(first: npt.NDArray[np.int64], second: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return one dense code per distinct pair of non-negative codes.

    Examples
    --------
    >>> _paired(np.array([0, 0, 1, 1]), np.array([5, 5, 5, 7])).tolist()
    [0, 0, 1, 2]
    """
    combined = first * (int(second.max()) + 1) + second
    return pd.factorize(combined)[0].astype(np.int64)


def _followed(original: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return each report's original followed to one that repeats none (-1 stays -1).

    Examples
    --------
    >>> _followed(np.array([-1, 0, 1, -1, 3])).tolist()
    [-1, 0, 0, -1, 3]
    """
    followed = original.copy()
    for _ in range(64):
        up = np.maximum(followed, 0)
        deeper = (followed >= 0) & (followed[up] >= 0)
        if not deeper.any():
            break
        followed = np.where(deeper, followed[up], followed)
    return followed


def _or_none(flags: npt.NDArray[np.bool_] | None, n: int) -> npt.NDArray[np.bool_]:
    """Return ``flags``, or ``n`` false ones when none are given."""
    return np.zeros(n, dtype=np.bool_) if flags is None else flags.astype(np.bool_)


def _frame(conn: psycopg.Connection[Any], query: sql.Composable) -> pd.DataFrame:
    """Read a query's rows through ``COPY … TO STDOUT`` (a million rows in about a second)."""
    buffer = io.BytesIO()
    with conn.cursor().copy(
        sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, HEADER)").format(query)
    ) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    return pd.read_csv(
        buffer,
        dtype={"category": str, "kind": str, "number": str, "address": str, "phone": str},
        keep_default_na=False,
        na_values={"closed": [""], "lon": [""], "lat": [""]},
    )


def _on_record(
    conn: psycopg.Connection[Any], new: pd.DataFrame, days: int, margin_deg: float
) -> pd.DataFrame:
    """Read the cases on record that could be the originals of the new ones.

    Those not repeats themselves, located, of the new ones' categories, reported in their
    time span (and the window before it) and near them.
    """
    return _frame(
        conn,
        sql.SQL(
            "SELECT id AS ref, ST_X(point) AS lon, ST_Y(point) AS lat, category,"
            " category || chr(31) || coalesce(subcategory, '') AS kind,"
            " coalesce(address, '') AS address, coalesce(reporter_phone, '') AS phone,"
            " date_part('epoch', reported_at) AS reported,"
            " date_part('epoch', closed_at) AS closed"
            " FROM cases WHERE duplicate_of IS NULL AND category = ANY({categories})"
            " AND reported_at BETWEEN to_timestamp({first}) - make_interval(days => {days})"
            " AND to_timestamp({last})"
            " AND point && ST_MakeEnvelope({west}, {south}, {east}, {north}, 4490)"
        ).format(
            categories=sql.Literal(sorted(new["category"].unique().tolist())),
            first=sql.Literal(float(new["reported"].min())),
            last=sql.Literal(float(new["reported"].max())),
            days=sql.Literal(days),
            west=sql.Literal(float(new["lon"].min()) - margin_deg),
            south=sql.Literal(float(new["lat"].min()) - margin_deg),
            east=sql.Literal(float(new["lon"].max()) + margin_deg),
            north=sql.Literal(float(new["lat"].max()) + margin_deg),
        ),
    )


def _write_links(
    conn: psycopg.Connection[Any],
    refs: npt.NDArray[np.int64],
    ids: npt.NDArray[np.int64],
    to_record: npt.NDArray[np.int64],
    to_new: npt.NDArray[np.int64],
) -> None:
    """COPY the links into :data:`LINKS`.

    ``refs`` are the new cases' staged rows and ``ids`` the ids they drew as they were staged;
    each repeats the case on record ``to_record`` (0: none) or the new case at position
    ``to_new`` (-1: none), whose id it points to.
    """
    in_file = to_new >= 0
    repeated = np.bincount(to_new[in_file], minlength=len(refs))
    duplicate_of = to_record.copy()
    duplicate_of[in_file] = ids[to_new[in_file]]
    marked = (duplicate_of > 0) | (repeated > 0)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(LINKS)))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {} ({} integer, duplicate_of bigint, repeat_count integer)"
            " ON COMMIT DROP"
        ).format(sql.Identifier(LINKS), sql.Identifier(ROW_COLUMN))
    )
    links = pd.DataFrame(
        {
            ROW_COLUMN: refs[marked],
            "duplicate_of": duplicate_of[marked],
            "repeat_count": repeated[marked],
        }
    )
    copy_frame(conn, LINKS, links)
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(LINKS)))


def _sooner_sql(risk: sql.Composable, config: dict[str, Any] | None) -> sql.Composed:
    """Return the SET of ``cases AS c``'s limits once its risk becomes ``risk`` (SQL).

    :func:`layers.deadlines.sooner` in SQL, as :func:`layers.cases.raise_risk` applies it: a
    raise brings each limit forward to the new risk's, never later; a risk not raised, or a
    case without that limit, keeps it (trial AZ S2); the 办结时限 is not brought before the
    date an extension approved (批准延期, :data:`_GRANTED`: trial AX S5).
    """
    sets = []
    for column, span in (("contact_deadline", "contact"), ("deadline", "close")):
        by_risk = []
        for level in RiskLevel:
            whens = [
                sql.SQL("WHEN {} THEN {}").format(
                    sql.Literal(c.value),
                    sql.Literal(getattr(deadlines.limits_for(c.value, int(level), config), span)),
                )
                for c in Category
            ]
            by_risk.append(
                sql.SQL("WHEN {} THEN CASE c.category {} END").format(
                    sql.Literal(int(level)), sql.SQL(" ").join(whens)
                )
            )
        sooner = sql.SQL("c.reported_at + CASE {risk} {by_risk} END").format(
            risk=risk, by_risk=sql.SQL(" ").join(by_risk)
        )
        if column == "deadline":  # greatest() skips the NULL of a case never extended
            sooner = sql.SQL("greatest({}, {})").format(sooner, _GRANTED)
        sets.append(
            sql.SQL(
                "{col} = CASE WHEN c.{col} IS NULL OR {risk} >= c.risk_level THEN c.{col}"
                " ELSE least(c.{col}, {sooner}) END"
            ).format(col=sql.Identifier(column), risk=risk, sooner=sooner)
        )
    return sql.SQL(", ").join(sets)


_GRANTED = sql.SQL(
    "(SELECT (e.payload ->> 'deadline')::timestamptz FROM case_events AS e"
    " WHERE e.case_id = c.id AND e.action = 'extension_approve' ORDER BY e.id DESC LIMIT 1)"
)
"""The 办结时限 the last extension approved on ``cases AS c`` set (as
:func:`layers.deadline_extensions.granted`), or NULL."""


_SOONER_NOTE = sql.SQL("")
"""What the ``repeat_linked`` note of a raise adds: nothing, its payload's ``deadline_changes``
says each limit brought forward with its time before, which the timeline shows (trial BA M4)."""
_SOONER_PAYLOAD = sql.SQL(
    " || jsonb_strip_nulls(jsonb_build_object("
    "'contact_deadline_to', CASE WHEN contact_deadline < contact_before THEN contact_deadline END,"
    " 'deadline_to', CASE WHEN deadline < deadline_before THEN deadline END)) || {}"
).format(
    deadlines.changes_sql(
        *(
            deadlines.change_sql(c, sql.Identifier(b), sql.Identifier(c), cases.RAISE_LIMITS)
            for c, b in (("contact_deadline", "contact_before"), ("deadline", "deadline_before"))
        )
    )
)
"""The limits a raise brought forward, in the event's payload (as :func:`cases.raise_risk`)."""


def _raise_on_record(
    conn: psycopg.Connection[Any],
    ids: list[int],
    counts: list[int],
    actor: str,
    config: dict[str, Any] | None = None,
) -> None:
    """Raise the cases on record that new cases repeat, with one event each."""
    if not ids:
        return
    conn.execute(
        sql.SQL(
            "WITH raised AS ("
            " UPDATE cases AS c SET repeat_count = c.repeat_count + r.n,"
            " risk_level = greatest(1, c.risk_level - r.n), {sooner}, version = c.version + 1"
            " FROM (SELECT u.id, u.n, o.risk_level AS before,"
            " o.contact_deadline AS contact_before, o.deadline AS deadline_before"
            " FROM unnest({ids}::bigint[], {counts}::integer[]) AS u (id, n)"
            " JOIN cases AS o ON o.id = u.id) AS r"
            " WHERE c.id = r.id RETURNING c.id, c.area_code, c.state, r.n, r.before, c.risk_level,"
            " r.contact_before, c.contact_deadline, r.deadline_before, c.deadline"
            ") INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload)"
            " SELECT id, area_code, {actor}, 'repeat_linked', state, state,"
            " '重复反映：导入 ' || n || ' 件'{note}, jsonb_build_object('imported_repeats', n,"
            " 'risk_from', before, 'risk_to', risk_level){payload} FROM raised"
        ).format(
            sooner=_sooner_sql(sql.SQL("greatest(1, c.risk_level - r.n)"), config),
            ids=sql.Literal(ids),
            counts=sql.Literal(counts),
            actor=sql.Literal(actor[:50]),
            note=_SOONER_NOTE,
            payload=_SOONER_PAYLOAD,
        )
    )


@dataclass(frozen=True)
class Relinked:
    """What :func:`relink_refreshed` changed.

    Attributes
    ----------
    unlinked : int
        Repeat links removed: cases no longer the repeat of the original they were linked to.
    linked : int
        Repeat links made: cases now the repeat of an original (a case linked anew to another
        original counts once in each).
    suspected : int
        Corrected cases now of the type and place of an open original only (疑似重复), listed
        on the case as a new row of the file would be.
    """

    unlinked: int
    linked: int
    suspected: int = 0

    def notes(self) -> list[str]:
        r"""Return what the import's summary says of the links changed.

        Examples
        --------
        >>> Relinked(2, 1).notes(), Relinked(0, 0).notes()
        (['重复反映关联更新：解除 2 件，新增 1 件'], [])
        >>> print(Relinked(0, 0, 1).notes()[0].replace("：", "：\n").replace("（", "\n（"))
        按更正后的数据另有 1 件疑似重复
        （30 天内、200 米内同类、当时未办结，但地址不同、来电号码不同或未留）：
        未关联、未提升原案件风险，已在案件上列出，核实为同一事项的可“合并为重复反映”
        """
        said = []
        if self.unlinked or self.linked:
            said.append(f"重复反映关联更新：解除 {self.unlinked} 件，新增 {self.linked} 件")
        if self.suspected:
            said.append("按更正后的数据" + suspects_line(self.suspected))
        return said


def relink_refreshed(
    conn: psycopg.Connection[Any],
    staging: str,
    moved: list[int],
    *,
    actor: str,
    radius_m: float = DEDUPE_RADIUS_M,
    days: int = DEDUPE_DAYS,
    limits_config: dict[str, Any] | None = None,
) -> Relinked:
    """Work out again the repeat links of the cases a file corrected in type, place or time.

    :func:`layers.case_import.refresh_untouched` gives the cases nobody has handled here the
    file's values; ``moved`` are those whose type, point or time changed. By the rule of
    :func:`link_staged_repeats`:

    * a corrected case that other cases repeat stays the original of those (not corrected
      themselves) that the rule still links to it, and keeps its standing: it is not made a
      repeat of another case while it has repeats of its own (repeats of repeats are not
      made). Its repeats the rule no longer links to it (too far, another type, or out of the
      window now) are unlinked;
    * every other corrected case, and every repeat so unlinked, is decided again, in time
      order, against the originals on record (cases that repeat no other, of its type, open
      when it came in) and against one another: it repeats the nearest, or it is an original;
    * the other cases on record keep their standing, as they do when new cases come in: a
      later original, or a later repeat of another case, that a corrected case now lies near
      is not made its repeat;
    * a case decided again that repeats none but now has the type, place and time of an open
      original, not its address nor its caller's number, is a 疑似重复 of it, as a new row
      would be (:func:`record_relinked_suspects`), unless it was listed as one already or an
      operator found the two another matter.

    Only a link that changes is written: the case's ``duplicate_of``, with a ``repeat_linked``
    or ``repeat_unlinked`` event, and each original's ``repeat_count``, with one such event
    saying how many repeats it lost and gained. An original nobody has handled here takes the
    risk the rule gives: the risk it was reported with (the file's, else its risk and repeats
    on record, as :func:`layers.case_import.keep_reported_risk`) one level higher per repeat,
    at most red. An original someone has handled here is raised one level per repeat gained,
    as a new repeat raises it, and keeps its risk when it loses one: that risk is the
    platform's (triage may have set it), and the event tells its handler.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction, after the refresh.
    staging : str
        Staging table of cases (their reported ``risk_level``).
    moved : list of int
        Ids of the cases corrected in type, point or time
        (:attr:`layers.case_import.Refreshed.moved`); none: nothing is read.
    actor : str
        Who imports (the events' ``actor_name``).
    radius_m, days : float, int
        Repeat window, as for :func:`layers.cases.register`.
    limits_config : dict, optional
        Deadline configuration (:func:`layers.deadlines.load`): an original whose risk is
        raised gets the new risk's limits where sooner, as :func:`layers.cases.raise_risk`.

    Returns
    -------
    Relinked
        How many links were removed and made, and how many cases are newly suspected.
    """
    if not moved:
        return Relinked(0, 0)
    free = _free_cases(conn, moved, radius_m, days)
    was = free["was"].to_numpy(dtype=np.int64)
    ids = free["ref"].to_numpy(dtype=np.int64)
    found, alike = _originals_now(conn, free, radius_m, days)
    now = _respect_declined(conn, ids, found)
    suspected = record_relinked_suspects(conn, ids, np.where(now > 0, 0, alike), actor)
    changed = now != was
    if not changed.any():
        return Relinked(0, 0, suspected)
    cases = ids[changed]
    _write_relinks(conn, cases, was[changed], now[changed])
    _relink_repeats(conn, actor)
    _recount_originals(conn, staging, actor, limits_config)
    return Relinked(int((was[changed] > 0).sum()), int((now[changed] > 0).sum()), suspected)


def record_relinked_suspects(
    conn: psycopg.Connection[Any],
    ids: npt.NDArray[np.int64],
    of: npt.NDArray[np.int64],
    actor: str,
) -> int:
    """Write the ``repeat_suspected`` event of each corrected case now a 疑似重复.

    A pair is left out when the case lists that original already (an earlier import's or
    registration's event), when an operator dismissed it (:func:`dismiss_suspected`), or
    when an operator unlinked the two (:func:`declined_pairs`): a file read again never
    brings back what an operator decided.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    ids : numpy.ndarray
        The cases decided again.
    of : numpy.ndarray
        Per case, the original it only looks like (0 or less: none).
    actor : str
        Who imports (the events' ``actor_name``).

    Returns
    -------
    int
        Events written.
    """
    listed = of > 0
    if not listed.any():
        return 0
    pairs = list(zip(ids[listed].tolist(), of[listed].tolist(), strict=True))
    declined = declined_pairs(conn, sorted({i for p in pairs for i in p}))
    pairs = [(a, b) for a, b in pairs if (a, b) not in declined and (b, a) not in declined]
    if not pairs:
        return 0
    done = conn.execute(
        sql.SQL(
            "INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload)"
            " SELECT c.id, c.area_code, {actor}, {action}, c.state, c.state, {note},"
            " jsonb_build_object('suspected_of', o.id)"
            " FROM unnest({ids}::bigint[], {of}::bigint[]) AS u (id, of)"
            " JOIN cases AS c ON c.id = u.id JOIN cases AS o ON o.id = u.of"
            " WHERE NOT EXISTS (SELECT 1 FROM case_events AS e WHERE e.case_id = u.id"
            " AND e.action = {action} AND u.of IN ((e.payload ->> 'suspected_of')::bigint,"
            " (e.payload ->> {dismissed})::bigint))"
        ).format(
            actor=sql.Literal(actor[:50]),
            action=sql.Literal(SUSPECTED),
            note=_suspect_note(),
            ids=sql.Literal([a for a, _ in pairs]),
            of=sql.Literal([b for _, b in pairs]),
            dismissed=sql.Literal(DISMISSED),
        )
    )
    return done.rowcount


def _respect_declined(
    conn: psycopg.Connection[Any], ids: npt.NDArray[np.int64], now: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Return ``now`` without the links an operator undid (:func:`unlink_repeat`).

    A case the rule would link to a case an operator found another matter (either way round)
    is linked to none: it stays an original.
    """
    linked = np.flatnonzero(now > 0)
    if not linked.size:
        return now
    pairs = declined_pairs(conn, sorted({*ids[linked].tolist(), *now[linked].tolist()}))
    if not pairs:
        return now
    kept = now.copy()
    for i in linked:
        case, original = int(ids[i]), int(now[i])
        if (case, original) in pairs or (original, case) in pairs:
            kept[i] = 0
    return kept


def _free_cases(
    conn: psycopg.Connection[Any], moved: list[int], radius_m: float, days: int
) -> pd.DataFrame:
    """Read the cases whose original is decided again, with their original now (``was``).

    The moved cases but those that unmoved repeats the rule still links to, and the unmoved
    repeats of moved cases that the rule no longer links to them.
    """
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(MOVED)))
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} (id bigint PRIMARY KEY) ON COMMIT DROP").format(
            sql.Identifier(MOVED)
        )
    )
    copy_frame(conn, MOVED, pd.DataFrame({"id": sorted(set(moved))}))
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(MOVED)))
    holds = sql.SQL(
        "coalesce(q.category = o.category AND q.subcategory IS NOT DISTINCT FROM o.subcategory"
        " AND o.reported_at BETWEEN q.reported_at - make_interval(days => {days})"
        " AND q.reported_at AND (o.closed_at IS NULL OR o.closed_at > q.reported_at)"
        " AND ST_DWithin(o.point::geography, q.point::geography, {radius}), false)"
    ).format(days=sql.Literal(days), radius=sql.Literal(radius_m))
    return _frame(
        conn,
        sql.SQL(
            "WITH repeats AS MATERIALIZED ("
            " SELECT q.id, q.duplicate_of AS original, {holds} AS holds"
            " FROM {moved} AS m JOIN cases AS o ON o.id = m.id JOIN cases AS q"
            " ON q.duplicate_of = o.id"
            " WHERE NOT EXISTS (SELECT 1 FROM {moved} AS k WHERE k.id = q.id)"
            "), free AS ("
            " SELECT m.id FROM {moved} AS m WHERE NOT EXISTS"
            " (SELECT 1 FROM repeats AS r WHERE r.original = m.id AND r.holds)"
            " UNION ALL SELECT r.id FROM repeats AS r WHERE NOT r.holds"
            ") SELECT f.id AS ref, ST_X(f.point) AS lon, ST_Y(f.point) AS lat, f.category,"
            " f.category || chr(31) || coalesce(f.subcategory, '') AS kind,"
            " coalesce(f.address, '') AS address, coalesce(f.reporter_phone, '') AS phone,"
            " date_part('epoch', f.reported_at) AS reported,"
            " date_part('epoch', f.closed_at) AS closed, coalesce(f.duplicate_of, 0) AS was"
            " FROM free JOIN cases AS f ON f.id = free.id ORDER BY f.id"
        ).format(moved=sql.Identifier(MOVED), holds=holds),
    )


def _originals_now(
    conn: psycopg.Connection[Any], free: pd.DataFrame, radius_m: float, days: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return the id of the original each of ``free`` repeats by the rule (0: none).

    Decided in time order against the originals on record but ``free`` themselves, and
    against one another; a case without a point repeats none. With it, the id of the
    original each only looks like (疑似重复, 0: none), as :func:`_sweep` finds it.
    """
    now = np.zeros(len(free), dtype=np.int64)
    alike = np.zeros(len(free), dtype=np.int64)
    located = free["lon"].notna().to_numpy()
    if not located.any():
        return now, alike
    new = free[located].reset_index(drop=True)
    undecided = free["ref"].to_numpy(dtype=np.int64)
    record, original, suspected = _sweep(conn, new, radius_m, days, undecided=undecided)
    ids = np.concatenate(
        [record["ref"].to_numpy(dtype=np.int64), new["ref"].to_numpy(dtype=np.int64)]
    )
    now[located] = np.where(original >= 0, ids[np.maximum(original, 0)], 0)
    alike[located] = np.where(suspected >= 0, ids[np.maximum(suspected, 0)], 0)
    return now, alike


def _write_relinks(
    conn: psycopg.Connection[Any],
    ids: npt.NDArray[np.int64],
    was: npt.NDArray[np.int64],
    now: npt.NDArray[np.int64],
) -> None:
    """COPY the cases whose original changes into :data:`RELINKS`."""
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(RELINKS)))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {} (id bigint, was_of bigint, now_of bigint) ON COMMIT DROP"
        ).format(sql.Identifier(RELINKS))
    )
    copy_frame(conn, RELINKS, pd.DataFrame({"id": ids, "was_of": was, "now_of": now}))
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(RELINKS)))


def _relink_repeats(conn: psycopg.Connection[Any], actor: str) -> None:
    """Give the cases of :data:`RELINKS` their new original (or none), with one event each."""
    conn.execute(
        sql.SQL(
            "WITH relinked AS ("
            " UPDATE cases AS c SET duplicate_of = nullif(r.now_of, 0), version = c.version + 1"
            " FROM {relinks} AS r WHERE c.id = r.id"
            " RETURNING c.id, c.area_code, c.state, r.was_of, r.now_of"
            ") INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload)"
            " SELECT r.id, r.area_code, {actor},"
            " CASE WHEN r.now_of > 0 THEN 'repeat_linked' ELSE 'repeat_unlinked' END,"
            " r.state, r.state,"
            " CASE WHEN r.now_of = 0"
            " THEN '重复反映关联解除：不再是案件 ' || w.code || ' 的重复反映'"
            " WHEN r.was_of = 0 THEN '重复反映：关联到案件 ' || n.code"
            " ELSE '重复反映：改为关联到案件 ' || n.code || '（原为案件 ' || w.code || '）' END,"
            " jsonb_build_object('duplicate_of_from', nullif(r.was_of, 0),"
            " 'duplicate_of_to', nullif(r.now_of, 0))"
            " FROM relinked AS r LEFT JOIN cases AS n ON n.id = r.now_of"
            " LEFT JOIN cases AS w ON w.id = r.was_of"
        ).format(relinks=sql.Identifier(RELINKS), actor=sql.Literal(actor[:50]))
    )


def _recount_originals(
    conn: psycopg.Connection[Any], staging: str, actor: str, config: dict[str, Any] | None
) -> None:
    """Count the repeats each original of :data:`RELINKS` lost and gained; set its risk.

    A risk raised brings the limits forward (:func:`_sooner_sql`); one lowered keeps them.
    """
    remaining = sql.SQL("c.repeat_count + d.gained - d.lost")
    conn.execute(
        sql.SQL(
            "WITH delta AS ("
            " SELECT id, sum(gained)::integer AS gained, sum(lost)::integer AS lost FROM ("
            " SELECT now_of AS id, 1 AS gained, 0 AS lost FROM {relinks} WHERE now_of > 0"
            " UNION ALL SELECT was_of, 0, 1 FROM {relinks} WHERE was_of > 0"
            ") AS d GROUP BY id"
            "), counted AS ("
            " SELECT d.id, d.gained, d.lost, c.risk_level AS before,"
            " c.contact_deadline AS contact_before, c.deadline AS deadline_before,"
            " greatest(0, {remaining}) AS repeats,"
            " CASE WHEN {untouched} THEN greatest(1, coalesce(s.risk_level,"
            " least(4, c.risk_level + c.repeat_count)) - greatest(0, {remaining}))"
            " ELSE greatest(1, c.risk_level - d.gained) END AS risk"
            " FROM delta AS d JOIN cases AS c ON c.id = d.id"
            " LEFT JOIN {staging} AS s ON {same}"
            "), recounted AS ("
            " UPDATE cases AS c SET repeat_count = k.repeats, risk_level = k.risk, {sooner},"
            " version = c.version + 1 FROM counted AS k WHERE c.id = k.id"
            " RETURNING c.id, c.area_code, c.state, k.gained, k.lost, k.before, c.risk_level,"
            " k.contact_before, c.contact_deadline, k.deadline_before, c.deadline"
            ") INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload)"
            " SELECT id, area_code, {actor},"
            " CASE WHEN gained > 0 THEN 'repeat_linked' ELSE 'repeat_unlinked' END, state, state,"
            " '重复反映关联更新：解除 ' || lost || ' 件，新增 ' || gained || ' 件'{note},"
            " jsonb_build_object('repeats_unlinked', lost, 'repeats_linked', gained,"
            " 'risk_from', before, 'risk_to', risk_level){payload} FROM recounted"
        ).format(
            sooner=_sooner_sql(sql.SQL("k.risk"), config),
            note=_SOONER_NOTE,
            payload=_SOONER_PAYLOAD,
            relinks=sql.Identifier(RELINKS),
            remaining=remaining,
            untouched=untouched("c"),
            staging=sql.Identifier(staging),
            same=SAME_CASE,
            actor=sql.Literal(actor[:50]),
        )
    )


UNLINK_REASON = "解除关联原因"
"""What the console calls the reason an operator gives for unlinking a repeat."""


@dataclass(frozen=True)
class Unlinked:
    """What :func:`unlink_repeat` changed.

    Attributes
    ----------
    case : Case
        The case that is no repeat any more (flushed).
    original : Case
        The case it had been linked to (flushed).
    risk_from, risk_to : int
        The original's risk level before and after (equal when the link raised none, or an
        operator set the risk by hand after it).
    """

    case: Case
    original: Case
    risk_from: int
    risk_to: int


def unlink_repeat(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    reason: str | None,
    expected_version: int | None = None,
) -> Unlinked:
    """Unlink a case from the original it was linked to as a repeat (解除关联：不是同一事项).

    The rule (or a file's flags) linked the case as a repeat report of an earlier one; an
    operator who finds it another matter (a leak 22 m away in another building) undoes what
    the link did: the case counts again in hot spots and trends (it has no ``duplicate_of``),
    the original's ``repeat_count`` drops by one, and its risk is worked out again without
    this repeat (:func:`risk_without`), unless an operator set it by hand (分类定级) after the
    link: that risk stays. Both cases' timelines say so, with the reason (one
    ``repeat_unlinked`` event each, the case's ``declined``: :func:`relink_refreshed` never
    links the two again), and the audit log has ``case.repeat_unlink``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        The repeat.
    actor : Actor
        Who unlinks: a commander or dispatcher whose scope holds both cases.
    reason : str or None
        Why they are not the same matter (required, no resident ID or mobile number).
    expected_version : int, optional
        The case's version the client saw.

    Returns
    -------
    Unlinked
        Both cases and the original's risk before and after.

    Raises
    ------
    Forbidden
        The role may not unlink, or the original lies outside the actor's scope (a superior
        who sees both decides).
    NotFound
        No such case in scope.
    Conflict
        The case is no repeat, or it changed since the client read it.
    InvalidInput
        No reason, or one holding a resident ID or mobile number.
    """
    if actor.role not in workflow.OPERATORS:
        raise Forbidden(f"{Role.label_of(actor.role)}不能解除重复反映关联")
    said = (reason or "").strip()
    if not said:
        raise InvalidInput(f"请填写{UNLINK_REASON}：为何不是同一事项")
    refuse_personal_numbers(said, field=UNLINK_REASON, advice=CASE_NOTE)
    case = cases.get_case(session, case_id, actor=actor, lock=True)
    cases.check_version(case, expected_version)
    if case.duplicate_of is None:
        raise Conflict(f"案件 {case.code} 未关联为重复反映，无需解除关联")
    original = session.scalars(
        select(Case).where(Case.id == case.duplicate_of).with_for_update()
    ).first()
    if original is None or not cases.in_scope(actor.scope_code, original.area_code):
        raise Forbidden(
            f"案件 {case.code} 关联的原案件不在您的辖区内：请由同时管辖两案的上级解除关联"
        )
    before = original.risk_level
    after = risk_without(session, original, case)
    case.duplicate_of = None
    original.repeat_count = max(0, original.repeat_count - 1)
    original.risk_level = after
    cases.flush_case(session)
    cases.append_event(
        session,
        case,
        actor,
        "repeat_unlinked",
        case.state,
        case.state,
        note=f"解除重复反映关联：与案件 {original.code} 不是同一事项。原因：{said}",
        payload={"duplicate_of_from": original.id, "declined": True},
    )
    cases.append_event(
        session,
        original,
        actor,
        "repeat_unlinked",
        original.state,
        original.state,
        note=f"解除重复反映关联：案件 {case.code} 不是同一事项。原因：{said}",
        payload={
            "repeat_case_id": case.id,
            "declined": True,
            "repeats_unlinked": 1,
            "risk_from": before,
            "risk_to": after,
        },
    )
    session.flush()
    cases.audit_case(
        session,
        actor,
        "repeat_unlink",
        case,
        {"original": original.id, "risk_from": before, "risk_to": after, "version": case.version},
    )
    return Unlinked(case, original, before, after)


MERGE_REPEAT = "合并为重复反映"
"""What the console calls linking a suspected repeat to its original (trial BA S4)."""


def suspected_originals(session: Session, case: Case) -> list[Case]:
    """Return the originals ``case`` looks like a repeat of, still to review (疑似重复).

    A report of the type, place and time of an open case, but not of its address nor its
    caller's number, was linked to nothing (:mod:`layers.repeat_match`): its
    ``repeat_suspected`` events name the cases it may repeat, listed until it is merged
    (:func:`confirm_repeat`) or an operator finds one another matter (:func:`dismiss_suspected`:
    an event of the same action whose payload names it as :data:`~layers.repeat_match.DISMISSED`;
    or a merge undone, :func:`unlink_repeat`). An original is listed only while the two still
    meet the rule's type, place and time (:func:`_still_alike`): a correction (a file's, or an
    edit here) that moves the case or its original far apart, or changes its type or time,
    takes it off the list, and one that brings them back lists it again, unless dismissed.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case : Case
        The case.

    Returns
    -------
    list of Case
        The originals (none once the case is a repeat), oldest first.
    """
    if case.duplicate_of is not None:
        return []
    named = session.execute(
        select(
            CaseEvent.payload["suspected_of"].as_integer(),
            CaseEvent.payload[DISMISSED].as_integer(),
            CaseEvent.payload["duplicate_of_from"].as_integer(),
            CaseEvent.payload["declined"].as_boolean(),
        ).where(
            CaseEvent.case_id == case.id,
            CaseEvent.action.in_([SUSPECTED, "repeat_unlinked"]),
        )
    ).all()
    ids = {int(of) for of, _, _, _ in named if of is not None}
    # dismissed, or unlinked by an operator (解除关联): another matter, not to review again
    ids -= {int(off) for _, off, _, _ in named if off is not None}
    ids -= {int(was) for _, _, was, declined in named if was is not None and declined}
    if not ids:
        return []
    this = aliased(Case)
    return list(
        session.scalars(
            select(Case)
            .join(this, this.id == case.id)
            .where(Case.id.in_(ids), *_still_alike(this))
            .order_by(Case.reported_at, Case.id)
        )
    )


def _still_alike(case: Any) -> list[Any]:
    """Return the conditions on an original that ``case`` (an alias of :class:`Case`) meets.

    The repeat rule's type, place and time as the two are on record now: the same category and
    subcategory, both located and within :data:`DEDUPE_RADIUS_M` metres, the original reported
    at most :data:`DEDUPE_DAYS` days before. Their address and caller are not read: a case that
    came to share them is still for an operator to merge (closing note s45, pa).
    """
    return [
        Case.category == case.category,
        Case.subcategory.is_not_distinct_from(case.subcategory),
        Case.reported_at <= case.reported_at,
        Case.reported_at >= case.reported_at - timedelta(days=DEDUPE_DAYS),
        func.ST_DWithin(func.geography(Case.point), func.geography(case.point), DEDUPE_RADIUS_M),
    ]


@dataclass(frozen=True)
class Merged:
    """What :func:`confirm_repeat` changed: the case, now a repeat, and its original."""

    case: Case
    original: Case
    risk_from: int


def confirm_repeat(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    original_id: int,
    now: Any,
    expected_version: int | None = None,
    limits_config: dict[str, Any] | None = None,
) -> Merged:
    """Merge a suspected repeat into its original (合并为重复反映): link it as a repeat then.

    The import or registration left it unlinked (疑似重复: the type and place of an open case
    but another address and caller, trial BA S4); an operator who finds it the same matter
    links it with one action, as the rule would have: ``duplicate_of`` is set, the original's
    repeat count and risk rise one level and its limits come forward
    (:func:`layers.cases.link_repeat`), both timelines say so, and the audit log has
    ``case.repeat_merge``. It may be unlinked again (:func:`unlink_repeat`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        The suspected repeat.
    actor : Actor
        A commander or dispatcher whose scope holds both cases.
    original_id : int
        The original it was suspected to repeat (:func:`suspected_originals`).
    now : datetime
        When.
    expected_version : int, optional
        The case's version the client saw.
    limits_config : dict, optional
        Deadline configuration (:func:`layers.deadlines.load`).

    Returns
    -------
    Merged
        Both cases and the original's risk before.

    Raises
    ------
    Forbidden
        The role may not merge, or the original lies outside the actor's scope.
    NotFound
        No such case in scope.
    Conflict
        The case is a repeat already or has repeats of its own, the original was not
        suspected, is a repeat itself or is closed, or the case changed since read.
    """
    if actor.role not in workflow.OPERATORS:
        raise Forbidden(f"{Role.label_of(actor.role)}不能{MERGE_REPEAT}")
    case = cases.get_case(session, case_id, actor=actor, lock=True)
    cases.check_version(case, expected_version)
    if case.duplicate_of is not None:
        raise Conflict(f"案件 {case.code} 已是重复反映，无需再合并")
    if original_id not in {c.id for c in suspected_originals(session, case)}:
        raise Conflict(f"案件 {case.code} 没有列出该疑似原案件，不能{MERGE_REPEAT}")
    original = session.scalars(select(Case).where(Case.id == original_id).with_for_update()).first()
    if original is None or not cases.in_scope(actor.scope_code, original.area_code):
        raise Forbidden(f"原案件不在您的辖区内：请由同时管辖两案的上级{MERGE_REPEAT}")
    if original.duplicate_of is not None:
        raise Conflict(f"案件 {original.code} 本身是重复反映，不能作为原案件")
    if original.state not in workflow.OPEN_STATES:
        raise Conflict(f"原案件 {original.code} 已办结，不能{MERGE_REPEAT}")
    has_repeats = session.scalar(select(func.count()).where(Case.duplicate_of == case.id))
    if has_repeats:
        raise Conflict(f"案件 {case.code} 已有重复反映，不能再合并到其他案件")
    before = original.risk_level
    case.duplicate_of = original.id
    cases.flush_case(session)
    cases.append_event(
        session,
        case,
        actor,
        "repeat_linked",
        case.state,
        case.state,
        note=f"{MERGE_REPEAT}：核实与案件 {original.code} 为同一事项",
        payload={"duplicate_of_to": original.id, "merged": True},
    )
    cases.link_repeat(session, case, original, actor, limits_config, now=now)
    session.flush()
    cases.audit_case(
        session,
        actor,
        "repeat_merge",
        case,
        {"original": original.id, "risk_from": before, "risk_to": original.risk_level},
    )
    return Merged(case, original, before)


@dataclass(frozen=True)
class Suspected:
    """A suspected original as the case page lists it (:func:`suspected_listing`).

    Attributes
    ----------
    case : Case
        The original the case looks like a repeat of.
    distance_m : int or None
        How far apart the two are, in metres (None when either has no point).
    """

    case: Case
    distance_m: int | None


def suspected_listing(session: Session, case: Case) -> list[Suspected]:
    """Return :func:`suspected_originals` with how far each lies from ``case``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case : Case
        The case.

    Returns
    -------
    list of Suspected
        The originals still to review, oldest first.
    """
    originals = suspected_originals(session, case)
    if not originals:
        return []
    this = aliased(Case)
    apart = func.ST_Distance(func.geography(Case.point), func.geography(this.point))
    metres: dict[int, Any] = {
        int(i): m
        for i, m in session.execute(
            select(Case.id, apart)
            .join(this, this.id == case.id)
            .where(Case.id.in_([c.id for c in originals]))
        )
    }
    return [
        Suspected(c, None if metres.get(c.id) is None else round(float(metres[c.id])))
        for c in originals
    ]


@dataclass(frozen=True)
class Dismissed:
    """What :func:`dismiss_suspected` did: the case, and the original no longer suspected."""

    case: Case
    original: Case


def dismiss_suspected(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    original_id: int,
    expected_version: int | None = None,
) -> Dismissed:
    """Find a suspected original another matter (不是同一事项): it is listed no more.

    The counterpart of :func:`confirm_repeat`, with the same permission: a
    ``repeat_suspected`` event on the case whose payload names the original as
    :data:`~layers.repeat_match.DISMISSED` takes it off :func:`suspected_originals`, its note
    says which (the timeline names who), and the audit log has ``case.repeat_dismiss``. An
    import never lists it again, nor links the two (:func:`declined_pairs`). Nothing else
    changes: neither case's risk, count or limits.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        The suspected repeat.
    actor : Actor
        A commander or dispatcher whose scope holds both cases.
    original_id : int
        The original it was suspected to repeat (:func:`suspected_originals`).
    expected_version : int, optional
        The case's version the client saw.

    Returns
    -------
    Dismissed
        The case and the original.

    Raises
    ------
    Forbidden
        The role may not decide it, or the original lies outside the actor's scope.
    NotFound
        No such case in scope.
    Conflict
        The original is not listed on the case (dismissed or merged already), or the case
        changed since read.
    """
    if actor.role not in workflow.OPERATORS:
        raise Forbidden(f"{Role.label_of(actor.role)}不能判定疑似重复（{DISMISS_LABEL}）")
    case = cases.get_case(session, case_id, actor=actor, lock=True)
    cases.check_version(case, expected_version)
    if original_id not in {c.id for c in suspected_originals(session, case)}:
        raise Conflict(f"案件 {case.code} 没有列出该疑似原案件，无需判定{DISMISS_LABEL}")
    original = session.scalars(select(Case).where(Case.id == original_id)).first()
    if original is None or not cases.in_scope(actor.scope_code, original.area_code):
        raise Forbidden(f"原案件不在您的辖区内：请由同时管辖两案的上级判定{DISMISS_LABEL}")
    cases.flush_case(session)
    cases.append_event(
        session,
        case,
        actor,
        SUSPECTED,
        case.state,
        case.state,
        note=DISMISSED_NOTE.format(code=original.code),
        payload={DISMISSED: original.id},
    )
    session.flush()
    cases.audit_case(
        session, actor, "repeat_dismiss", case, {"original": original.id, "version": case.version}
    )
    return Dismissed(case, original)


def risk_without(session: Session, original: Case, repeat: Case) -> int:
    """Return the risk level ``original`` has without its repeat ``repeat``.

    A link raises its original one level (4 blue → 1 red, at most red: :func:`register
    <layers.cases.register>`, :func:`link_staged_repeats`). Read from the original's events:

    * an operator's 分类定级 (``triage``) after the repeat was linked set the risk by hand:
      it stays;
    * after an earlier ``triage``, the risk it set less one level per repeat linked since
      and still linked;
    * else the risk the case was reported with (the ``risk_from`` of the first link that
      raised it; with none, its risk plus its repeats, as
      :func:`layers.case_import.keep_reported_risk` reads it) less one level per repeat
      still linked since then.

    Never a higher risk than it has now.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    original : Case
        The original.
    repeat : Case
        One of its repeats, about to be unlinked.

    Returns
    -------
    int
        The risk level, 1 red … 4 blue.
    """
    log = session.execute(
        select(CaseEvent.id, CaseEvent.action, CaseEvent.payload)
        .where(CaseEvent.case_id == original.id)
        .order_by(CaseEvent.id)
    ).all()
    linked_at = _linked_at(session, repeat, original.id)
    triages = [e for e in log if e.action == "triage" and "risk_level" in (e.payload or {})]
    if triages and triages[-1].id > linked_at:
        return original.risk_level
    if triages:
        base, since = int(triages[-1].payload["risk_level"]), triages[-1].id + 1
    else:
        raised = [e for e in log if "risk_from" in (e.payload or {})]
        if raised:
            base, since = int(raised[0].payload["risk_from"]), raised[0].id
        else:
            base, since = min(4, original.risk_level + original.repeat_count), 0
    if since:
        still = sum(_links_made(e.action, e.payload or {}) for e in log if e.id >= since) - 1
    else:
        still = original.repeat_count - 1
    return max(original.risk_level, max(1, base - max(0, still)))


def _linked_at(session: Session, repeat: Case, original_id: int) -> int:
    """Return the id of the event that linked ``repeat`` to its original.

    Its latest ``repeat_linked`` to it (an import's correction), else its first event (it was
    linked as it was registered or imported).
    """
    relinked = session.scalar(
        select(func.max(CaseEvent.id)).where(
            CaseEvent.case_id == repeat.id,
            CaseEvent.action == "repeat_linked",
            CaseEvent.payload["duplicate_of_to"].as_integer() == original_id,
        )
    )
    if relinked is not None:
        return int(relinked)
    first = session.scalar(select(func.min(CaseEvent.id)).where(CaseEvent.case_id == repeat.id))
    return int(first or 0)


def _links_made(action: str, payload: dict[str, Any]) -> int:
    """Return how many repeats an event of an original linked to it, less those unlinked.

    Examples
    --------
    >>> _links_made("repeat_linked", {"repeat_case_id": 7, "risk_from": 3, "risk_to": 2})
    1
    >>> _links_made("repeat_linked", {"imported_repeats": 3})
    3
    >>> _links_made("repeat_unlinked", {"repeats_unlinked": 2, "repeats_linked": 0})
    -2
    >>> _links_made("triage", {"risk_level": 2})
    0
    """
    registered = 1 if action == "repeat_linked" and "repeat_case_id" in payload else 0
    counts = (payload.get(k, 0) for k in ("imported_repeats", "repeats_linked"))
    return registered + sum(int(n) for n in counts) - int(payload.get("repeats_unlinked", 0))


def declined_pairs(conn: psycopg.Connection[Any], ids: list[int]) -> set[tuple[int, int]]:
    """Return the (repeat, original) pairs an operator unlinked, among cases ``ids``.

    :func:`unlink_repeat` records on the repeat a ``repeat_unlinked`` event marked
    ``declined``, :func:`dismiss_suspected` on a suspected repeat a ``repeat_suspected`` event
    naming the original :data:`~layers.repeat_match.DISMISSED`: the two are not the same
    matter, and no later linking makes them so.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection.
    ids : list of int
        Cases whose unlinking is read (the repeats of the pairs: to know whether a case may be
        linked to another, give both).

    Returns
    -------
    set of tuple
        ``(repeat id, original id)``.
    """
    if not ids:
        return set()
    rows = conn.execute(
        "SELECT case_id, (payload ->> 'duplicate_of_from')::bigint FROM case_events"
        " WHERE case_id = ANY(%(ids)s) AND action = 'repeat_unlinked'"
        " AND payload ->> 'declined' = 'true' AND payload ->> 'duplicate_of_from' IS NOT NULL"
        " UNION SELECT case_id, (payload ->> %(dismissed)s)::bigint FROM case_events"
        " WHERE case_id = ANY(%(ids)s) AND action = %(suspected)s"
        " AND payload ->> %(dismissed)s IS NOT NULL",
        {"ids": ids, "dismissed": DISMISSED, "suspected": SUSPECTED},
    ).fetchall()
    return {(int(a), int(b)) for a, b in rows}
