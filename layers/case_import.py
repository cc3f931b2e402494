"""SQL of an import of cases: codes, levels, deadlines, first events, cases settled at the source.

The id each staged row drew as it was staged (:data:`STAGED_ID`), the code made of it, the
handling level and the deadlines run inside the ``INSERT … SELECT`` that moves
staged cases into ``cases`` (see :func:`layers.bulk.upsert`): they are computed from the staged
row (alias ``s``) after the database checks have filled in any missing area code, and the event
is appended by a data-modifying CTE over the newly inserted rows, so a case and its first event
are written by the same statement. Before the new rows go in, the cases imported earlier that
nobody has handled here since are brought up to the file: closed when their source system has
settled them (:func:`settle_from_source`), and given the file's values when it corrects them
(:func:`refresh_untouched`; the caller then works out again the repeat links of those corrected
in type, place or time, :func:`layers.case_repeats.relink_refreshed`). Before the database
checks, the rows that name a case by its platform code (an export of the platform's cases
imported back) are taken out: they are the cases on record and change nothing
(:func:`take_platform_cases`).

A history import (``zongzhi import cases FILE --history``) stores the rows its source still
calls open (正在调处, 办理中, 调解不成功, 已移交 …, or no status) as concluded history: state
``archived`` (out of every queue, never overdue), no deadlines, the closing time the source
gives (a failed mediation's 化解日期) or none, and a first event that keeps the source's own
status (``历史记录：原状态“调解不成功”``, payload ``settled: false``, ``outcome``
``mediation_failed`` for a mediation that ended unsettled or a referral, else ``unsettled``).
The resolution share does not count such a case as resolved (:func:`unsettled_history`); a
later file that says it was settled settles it (:func:`settle_from_source`). An import that
puts open cases into the queues says how many, and how many are old or overdue already
(:func:`queued_cases`).

A case its source system settled (已办结, 已回访 …, or a row with a 办结时间) is stored concluded
too, whatever the import: state ``archived`` (:func:`stored_state`), not the 待结案 of its
level (评价, 回访, 销号 are work its source did, not the operators'), with the closing time the
source gives and a first event that keeps the source's status (``历史记录：来源系统已办结，原状态
“已办结”``, payload ``settled: true``, :func:`settled_note`). The resolution share counts it as
resolved. A later file that says a case imported open is settled concludes it the same way.

The numbers made for a ledger's rows (``TZ…``, ``importers.kinds.cases.ledger_numbers``) leave the
channel out on purpose: a row carried into next month's sheet with its 排查方式 retyped names
the same case, whatever the channel (:func:`match_ledger_numbers`, :func:`rekey_edited_rows`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import deadlines
from layers.bulk import ROW_COLUMN
from layers.model.cases import CaseState, Category, Channel, RiskLevel
from layers.workflow import OPEN_STATES

UNTOUCHED_ACTIONS = ("import", "repeat_linked", "repeat_unlinked", "repeat_suspected", "rehomed")
"""Events that leave a case as its source system has it: imports, repeat links made or undone
(:mod:`layers.case_repeats`), and a move out of a unit a re-division retired."""
RULE_COLUMNS = ("category", "subcategory", "point", "reported_at", "address", "reporter_phone")
"""Columns of a case the repeat rule (重复反映) reads, besides its closing time: type, place and
time, and the address and caller's number a link needs (:mod:`layers.repeat_match`): a file
correcting an address only has the case's links and 疑似重复 worked out again."""
KEPT_FROM_FILE = ("channel", "external_no", "state", "closed_at", "import_id")
"""Staged columns :func:`refresh_untouched` does not write: the natural key, the state (see
:func:`settle_from_source`) and the import that brought the case in."""
SAME_CASE = sql.SQL("c.channel = s.channel AND c.external_no = s.external_no")
"""Case ``c`` is the one staged row ``s`` names (its natural key: channel and source number)."""
STATUS_GIVEN = "_status_given"
"""Staging column: the file's row says how far its case got (a status or a closing time)."""
EVENT_COLUMNS = ("id", "area_code", "state")
"""Columns of the inserted cases the first events are made from."""
HISTORY_STATUS = "_history_status"
"""Staging column: the status, as written, of a row stored as history: one its source settled
(any import), or one ``--history`` stores as concluded history (NULL when blank, and on the rows
still open at the source outside a history import)."""
HISTORY_ENDED = "_history_ended"
"""Staging column: set on the rows ``--history`` stores as concluded history (NULL on the
others); true where the source says the mediation ended unsettled or was referred on
(调解不成功, 已移交司法所, 引导诉讼 …)."""
UNTITLED_TYPE = "_untitled_type"
"""Staging column: the type of a case the file gives no title of its own (``邻里纠纷``; NULL on
the others), of which, with its place and day, :func:`place_titles` makes its title."""
UNTITLED_DAY = "_untitled_day"
"""Staging column: the day such a case was reported, as its title says it (``12月5日``)."""
UNTITLED_ADDRESS = "_untitled_address"
"""Staging column: such a case's address as its title may say it (no personal numbers), or
NULL."""
SUGGESTED_DEPARTMENT = "_department"
"""Staging column: the department the source sent the order to (a 12345 export's 承办单位), or
NULL; kept in the payload of the case's first event (``department``) as the department the
dispatch form suggests (:func:`suggested_department`, trial AX S4)."""
GIVEN_DEADLINE = "_given_deadline"
"""Staging column: the deadline the source gave (a 12345 export's 办理时限), or NULL; the case's
deadline when given (:func:`computed_columns`), not the platform's own limit (trial AX S4)."""
HAND_DEADLINES = ("extension_approve",)
"""Events by which someone here set a case's 办结时限 by hand (批准延期,
:mod:`layers.deadline_extensions`): a later file's 办理时限 does not move it
(:func:`move_given_deadlines`)."""
GIVEN_LIMIT_MOVED = "来源系统的办理时限有变"
"""Why a later file moved a case's limits (:func:`move_given_deadlines`), as the timeline says."""
REFRESHED_LIMITS = "来源系统的新数据：按类别、风险等级和办理时限重新计算"
"""Why a file correcting a case moved its limits (:func:`refresh_untouched`)."""
IMPORT_ACTOR = "数据导入（{name}）"
"""Who the timeline says did an import: the account that ran it, in brackets (trial AX m1)."""
LEDGER_PREFIX = "TZ"
"""Start of the source numbers the import makes for the rows of a ledger (台账) without numbers
(``importers.kinds.cases.ledger_numbers``: ``TZ20250302-`` and 12 hex digits)."""
LEDGER_NUMBER = re.compile(rf"{LEDGER_PREFIX}\d{{8}}-[0-9a-f]{{12}}")
"""A source number the import made (:data:`LEDGER_PREFIX`), not one its source gave."""
TITLE_PARTS = "·"
"""What separates the parts of a title made by :func:`place_titles`."""
SETTLED_AT_SOURCE = (CaseState.RESOLVED.value, CaseState.EVALUATED.value, CaseState.VISITED.value)
"""States a file's status may give that would put a case into its level's 待结案 (to evaluate,
visit and archive): a case its source settled is stored concluded instead (:func:`stored_state`)."""
OLD_DAYS = 90
"""An open case registered longer ago than this is likely a record of the past
(:func:`queued_cases`)."""
ALL_CHANNELS = sql.Literal([c.value for c in Channel])
"""Every channel: ``channel = ANY(…)`` lets the ``(channel, external_no)`` index find a number
whatever its channel (one index descent per channel)."""


STAGED_ID = "_case_id"
"""Staging column: the id a staged case is inserted with, drawn from the cases' own sequence as
the row is staged (:func:`staged_id_column`); its code (一案一码, :func:`case_code`) is made of
it, and a repeat in the file points to its original's."""
TRIAL_IDS = "zz_trial_case_ids"
"""Temporary sequence of the ids a trial run's staged cases take (-1, -2, …): not the cases'
own, so that a trial run uses up no case numbers (:func:`staged_id_column`)."""


def staged_id_column(conn: psycopg.Connection[Any], *, trial: bool = False) -> dict[str, str]:
    """Return the staging column of the ids the staged cases take (for ``create_staging``).

    Each staged row draws its id as it is copied in (the column's default): a row on record
    already, or rejected, leaves a gap in the sequence, as a rolled-back registration does.

    A trial run (试运行, ``--dry-run``) draws none from the cases' sequence, whose numbers a
    rollback does not give back: a trial of 40,000 rows would leave a gap of 40,000 in the
    case numbers (一案一码). Its rows take negative ids from a temporary sequence of the
    transaction (:data:`TRIAL_IDS`), which no case on record has and which goes with the
    rollback.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    trial : bool
        The import is a trial run: everything it writes is rolled back.

    Returns
    -------
    dict
        :data:`STAGED_ID` → its SQL type and default.
    """
    if trial:
        conn.execute(
            sql.SQL(
                "CREATE TEMPORARY SEQUENCE IF NOT EXISTS {} INCREMENT BY -1 START WITH -1"
            ).format(sql.Identifier(TRIAL_IDS))
        )
        sequence = sql.Literal(f"pg_temp.{TRIAL_IDS}").as_string(conn)
    else:
        found = conn.execute("SELECT pg_get_serial_sequence('cases', 'id')").fetchone()
        sequence = sql.Literal(str(found[0]) if found else "cases_id_seq").as_string(conn)
    return {STAGED_ID: f"bigint NOT NULL DEFAULT nextval({sequence}::regclass)"}


def case_code() -> sql.Composed:
    """Return the SQL expression of an imported case's code (一案一码) over staging alias ``s``.

    The shape of a case registered here (:func:`layers.cases.register`): the county's six
    digits, the day it was reported (Beijing time) and its id, ``530424-20250103-00012345``,
    which an operator can read out over the phone.

    Returns
    -------
    psycopg.sql.Composed
        The expression.
    """
    return sql.SQL(
        "left(s.area_code::text, 6) || '-'"
        " || to_char(s.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'"
        " || lpad(s.{id}::text, greatest(8, length(s.{id}::text)), '0')"
    ).format(id=sql.Identifier(STAGED_ID))


def computed_columns(
    config: dict[str, Any] | None = None,
    *,
    history: bool = False,
    risk: sql.Composable | None = None,
    kept: sql.Composable | None = None,
    hold_at_county: bool = False,
) -> dict[str, sql.Composable]:
    """Return the columns of an imported case computed from its staged row (alias ``s``).

    Parameters
    ----------
    config : dict, optional
        Deadline configuration (:func:`layers.deadlines.load`); default the built-in limits.
        The deadline the source gave (:data:`GIVEN_DEADLINE`) is kept instead of its limit,
        and the first contact is due by it at the latest.
    history : bool
        The staging table is a history import's (:data:`HISTORY_ENDED`): the rows stored as
        concluded history get no deadlines.
    risk : psycopg.sql.Composable, optional
        The risk level the deadlines are of: default the staged one, else one its repeats in
        the same file raised (:attr:`layers.case_repeats.RepeatLinks.columns`, trial AZ S2).
    kept : psycopg.sql.Composable, optional
        The deadline the source gave before, kept where the row gives none (a case on record,
        :func:`refresh_untouched`).
    hold_at_county : bool
        ``--hold-at-county``: the file's cases stay at the county (:func:`handling_level`).

    Returns
    -------
    dict
        ``id`` (:data:`STAGED_ID`), ``code``, ``state`` (:func:`stored_state`),
        ``handling_level``, ``contact_deadline`` and ``deadline`` → SQL expression.
    """
    risk = sql.SQL("s.risk_level") if risk is None else risk
    given: sql.Composable = sql.SQL("s.{}").format(sql.Identifier(GIVEN_DEADLINE))
    if kept is not None:
        given = sql.SQL("coalesce({}, {})").format(given, kept)
    contact = sql.SQL("least({}, {})").format(
        _after_report(lambda limits: limits.contact, config, risk), given
    )
    limits: dict[str, sql.Composable] = {  # the source's own limit when it gives one
        # a 12345 order the platform sent to a 承办单位, whose 联系时限 passed before it came
        # in: the platform took the call and made the first contact, none is due here (trial
        # BA m6: red on arrival, the department's 受理 counted late)
        "contact_deadline": sql.SQL(
            "CASE WHEN s.channel = {hotline} AND s.{department} IS NOT NULL"
            " AND {contact} <= now() THEN NULL ELSE {contact} END"
        ).format(
            hotline=sql.Literal(Channel.HOTLINE_12345.value),
            department=sql.Identifier(SUGGESTED_DEPARTMENT),
            contact=contact,
        ),
        "deadline": sql.SQL("coalesce({}, {})").format(
            given, _after_report(lambda limits: limits.close, config, risk)
        ),
    }
    if history:
        limits = {
            column: sql.SQL("CASE WHEN s.{} IS NULL THEN {} END").format(
                sql.Identifier(HISTORY_ENDED), expression
            )
            for column, expression in limits.items()
        }
    identity = {"id": sql.SQL("s.{}").format(sql.Identifier(STAGED_ID)), "code": case_code()}
    level = handling_level(hold_at_county=hold_at_county)
    return {**identity, "state": stored_state(), "handling_level": level, **limits}


def stored_state(row: str = "s") -> sql.Composed:
    """Return the state an imported case is stored in, over its staged row.

    The state the file gives, except that a case its source settled short of 销号 (已办结,
    已评价, 已回访: :data:`SETTLED_AT_SOURCE`) is stored concluded, ``archived``: history for
    the analyses, in no operator's queue. Its first event keeps the source's own status
    (:func:`settled_note`).

    Parameters
    ----------
    row : str
        Alias of the staged row.

    Returns
    -------
    psycopg.sql.Composed
        The expression.
    """
    return sql.SQL(
        "CASE WHEN {r}.state = ANY({settled}) THEN {archived} ELSE {r}.state END"
    ).format(
        r=sql.Identifier(row),
        settled=sql.Literal(list(SETTLED_AT_SOURCE)),
        archived=sql.Literal(CaseState.ARCHIVED.value),
    )


def _after_report(
    span: Callable[[deadlines.Limits], timedelta],
    config: dict[str, Any] | None,
    risk: sql.Composable,
) -> sql.Composed:
    """Return ``s.reported_at`` + the span of the staged case's category and risk level.

    As for a case registered here (:func:`layers.cases.register`). The limits are written
    into the statement as a ``CASE`` by risk level, then by the categories whose limit differs
    from that level's usual one: a handful of comparisons a row, no join.
    """
    by_risk = []
    for level in RiskLevel:
        spans = {c.value: span(deadlines.limits_for(c.value, int(level), config)) for c in Category}
        usual = Counter(spans.values()).most_common(1)[0][0]
        special = [
            sql.SQL("WHEN {} THEN {}").format(sql.Literal(c), sql.Literal(t))
            for c, t in spans.items()
            if t != usual
        ]
        chosen = (
            sql.SQL("CASE s.category {} ELSE {} END").format(
                sql.SQL(" ").join(special), sql.Literal(usual)
            )
            if special
            else sql.Literal(usual)
        )
        by_risk.append(sql.SQL("WHEN {} THEN {}").format(sql.Literal(int(level)), chosen))
    return sql.SQL("s.reported_at + CASE {} {} END").format(risk, sql.SQL(" ").join(by_risk))


CONTACTED_NOTE = "；联系时限在导入前已过：已由12345平台联系，不再计联系时限"
"""What the import event adds of a 12345 order that came in past its 联系时限 (trial BA m6)."""
COUNTY_DEPARTMENT = "县"
"""What a 承办单位 of the county names (县人社局, 华宁县住建局) and no township's does."""
TOWNSHIP_WORDS = "(镇|乡|街道|村|社区)"
"""What names a township's or village's unit instead (宁州街道办事处, 盘溪镇政府)."""


def handling_level(*, hold_at_county: bool = False) -> sql.Composed:
    """Return the SQL expression of an imported case's handling level over staging alias ``s``.

    The level of its area, at most 4: an imported case has no registrar whose level it could
    stay at (:func:`layers.cases.default_handling_level`), and a file's cases (a 12345 export, a
    township's ledger) go to the township's desk, which sends a small matter down to its village.
    A 12345 order the platform sent to a county department (its 承办单位 names the county,
    县人社局, and no township) stays at the county's desk, which dispatches it to that
    department; and with ``hold_at_county`` (``--hold-at-county``) every order of the file
    does, for the county hotline desk to 按属地交办 (trial BA M1).

    Parameters
    ----------
    hold_at_county : bool
        Every case in a county stays at the county (level 3).

    Returns
    -------
    psycopg.sql.Composed
        1 (province) … 4 (township).
    """
    county = (
        sql.SQL("true")
        if hold_at_county
        else sql.SQL("coalesce(strpos(s.{d}, {c}) > 0 AND s.{d} !~ {t}, false)").format(
            d=sql.Identifier(SUGGESTED_DEPARTMENT),
            c=sql.Literal(COUNTY_DEPARTMENT),
            t=sql.Literal(TOWNSHIP_WORDS),
        )
    )
    return sql.SQL(
        "CASE WHEN substr(s.area_code::text, 3) = '0000000000' THEN 1"
        " WHEN substr(s.area_code::text, 5) = '00000000' THEN 2"
        " WHEN substr(s.area_code::text, 7) = '000000' OR {county} THEN 3 ELSE 4 END"
    ).format(county=county)


COUNTY_HELD_NOTE = "其中 {n} 件留在县级待派单（{why}），由县级派往承办单位或按属地交办"
"""The summary's line of the new open cases an import kept at the county (trial BA M1)."""


def county_held(
    conn: psycopg.Connection[Any], import_id: int, *, hold_at_county: bool
) -> list[str]:
    """Say how many new open cases of import ``import_id`` stay at the county's desk.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction, after the insert.
    import_id : int
        The import.
    hold_at_county : bool
        The file was imported with ``--hold-at-county``.

    Returns
    -------
    list of str
        :data:`COUNTY_HELD_NOTE`, or nothing when none stays there.
    """
    row = conn.execute(
        "SELECT count(*) FROM cases WHERE import_id = %(i)s AND handling_level = 3"
        " AND substr(area_code::text, 7) <> '000000' AND state = ANY(%(open)s)",
        {"i": import_id, "open": sorted(OPEN_STATES)},
    ).fetchone()
    n = int(row[0]) if row else 0
    if not n:
        return []
    why = "导入时选择了留在县级待派单" if hold_at_county else "承办单位为县级部门"
    return [COUNTY_HELD_NOTE.format(n=n, why=why)]


def first_events(
    actor: str, staging: str, *, history: bool = False, note: str = "从文件导入"
) -> sql.Composed:
    """Return the statement appending one ``import`` event per case of the ``inserted`` CTE.

    A case its source settled gets the note and payload of :func:`settled_note` and
    :func:`settled_payload`; with ``history``, one stored as concluded history those of
    :func:`history_note` and :func:`history_payload`; the others ``note``. The department the
    source named (:data:`SUGGESTED_DEPARTMENT`) joins the payload as ``department``, the
    deadline it gave (:data:`GIVEN_DEADLINE`) as ``time_limit`` (:func:`source_deadline`).

    Parameters
    ----------
    actor : str
        Who imports (``actor_name``, cut to 50 characters).
    staging : str
        The staging table of the import (``state``, :data:`HISTORY_STATUS`; with ``history``,
        :data:`HISTORY_ENDED`), each case's staged row found by its natural key (the
        ``inserted`` CTE carries :func:`event_columns`).
    history : bool
        A history import's staging table.
    note : str
        The note of the cases registered open.

    Returns
    -------
    psycopg.sql.Composed
        ``INSERT INTO case_events … SELECT … FROM inserted`` (:data:`EVENT_COLUMNS`).
    """
    notes = [
        settled_note(history=history),
        sql.SQL("CASE WHEN i.channel = {} AND i.contact_deadline IS NULL THEN {} END").format(
            sql.Literal(Channel.HOTLINE_12345.value), sql.Literal(note + CONTACTED_NOTE)
        ),
        sql.Literal(note),
    ]
    payloads = [settled_payload(history=history)]
    if history:
        notes.insert(0, history_note())
        payloads.insert(0, history_payload())
    return sql.SQL(
        "INSERT INTO case_events (case_id, area_code, actor_name, action, to_state, note,"
        " payload) SELECT i.id, i.area_code, {actor}, 'import', i.state,"
        " coalesce({notes}), nullif(coalesce({payloads}, '{{}}'::jsonb)"
        " || jsonb_strip_nulls(jsonb_build_object('department', s.{department},"
        " 'time_limit', s.{limit})), '{{}}'::jsonb)"
        " FROM inserted AS i"
        " LEFT JOIN {staging} AS s ON s.channel = i.channel AND s.external_no = i.external_no"
    ).format(
        actor=sql.Literal(actor[:50]),
        notes=sql.SQL(", ").join(notes),
        payloads=sql.SQL(", ").join(payloads),
        staging=sql.Identifier(staging),
        department=sql.Identifier(SUGGESTED_DEPARTMENT),
        limit=sql.Identifier(GIVEN_DEADLINE),
    )


def suggested_department(payload: dict[str, Any] | None) -> str | None:
    """Return the department the source sent a case to, from its first event's payload.

    Parameters
    ----------
    payload : dict or None
        The payload of the case's ``import`` event (:func:`first_events`).

    Returns
    -------
    str or None
        The 承办单位 as the file wrote it, or ``None``.

    Examples
    --------
    >>> suggested_department({"department": "县人社局"}), suggested_department(None)
    ('县人社局', None)
    """
    name = (payload or {}).get("department")
    return str(name) if name else None


def source_deadline(session: Session, case_id: int) -> datetime | None:
    """Return the deadline a case's source gave it (a 12345 order's 办理时限), if any.

    :func:`layers.cases.act`'s 分流 works the deadlines out again from the type and risk: a
    limit the hotline gave stays the case's deadline (trial AX S4).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case_id : int
        The case.

    Returns
    -------
    datetime or None
        The ``time_limit`` of its latest ``import`` event that gives one: its first, or the
        one of a later file that changed it (:func:`move_given_deadlines`).
    """
    given = session.execute(
        text(
            "SELECT payload ->> 'time_limit' FROM case_events WHERE case_id = :case"
            " AND action = 'import' AND payload ? 'time_limit' ORDER BY id DESC LIMIT 1"
        ),
        {"case": case_id},
    ).scalar_one_or_none()
    return datetime.fromisoformat(str(given)) if given else None


def shown_actor(action: str, actor_id: int | None, actor_name: str) -> str:
    """Return who a case's timeline says did an event: an import is 「数据导入（account）」.

    An import is recorded under the account that ran it (the OS account of the command line,
    ``root``), which names no person (trial AX m1).

    Parameters
    ----------
    action : str
        The event's action.
    actor_id : int or None
        The user who did it (none for an import).
    actor_name : str
        The name recorded.

    Returns
    -------
    str
        The name to show.

    Examples
    --------
    >>> shown_actor("import", None, "root"), shown_actor("dispatch", 7, "张三")
    ('数据导入（root）', '张三')
    """
    if action == "import" and actor_id is None:
        return IMPORT_ACTOR.format(name=actor_name)
    return actor_name


def event_columns() -> tuple[str, ...]:
    """Return the columns of the inserted cases :func:`first_events` reads.

    Returns
    -------
    tuple of str
        :data:`EVENT_COLUMNS`, and the natural key (``channel`` and ``external_no``) to find
        each case's staged row.
    """
    return (*EVENT_COLUMNS, "channel", "external_no", "contact_deadline")


def _settled_at_source(row: str, history: bool) -> sql.Composed:
    """Return the condition that staged row ``row`` is a case its source settled."""
    settled = sql.SQL("{}.state <> {}").format(
        sql.Identifier(row), sql.Literal(CaseState.REGISTERED.value)
    )
    if not history:
        return settled
    return sql.SQL("{} AND {}.{} IS NULL").format(
        settled, sql.Identifier(row), sql.Identifier(HISTORY_ENDED)
    )


def settled_note(row: str = "s", *, history: bool = False) -> sql.Composed:
    """Return the note of a case its source settled, over its staged row.

    ``历史记录：来源系统已办结，原状态“已办结”``, or ``历史记录：来源系统已办结（按办结时间）``
    for a row that gives a closing time and no status; NULL for the other rows.

    Parameters
    ----------
    row : str
        Alias of the staged row.
    history : bool
        A history import's staging table (its concluded rows are not settled ones).

    Returns
    -------
    psycopg.sql.Composed
        The expression.
    """
    return sql.SQL(
        "CASE WHEN {settled} THEN '历史记录：来源系统已办结' ||"
        " coalesce('，原状态“' || {r}.{status} || '”', '（按办结时间）') END"
    ).format(
        settled=_settled_at_source(row, history),
        r=sql.Identifier(row),
        status=sql.Identifier(HISTORY_STATUS),
    )


def settled_payload(row: str = "s", *, history: bool = False) -> sql.Composed:
    """Return the payload of the first event of a case its source settled.

    ``{"settled": true, "source_status": …, "source_state": …}``: the status as written (null
    when the row gives only a closing time) and the state it means (``resolved``,
    ``visited`` …), the case being stored concluded (:func:`stored_state`); NULL for the other
    rows. ``settled`` true counts the case as resolved (:func:`unsettled_history`).

    Parameters
    ----------
    row : str
        Alias of the staged row.
    history : bool
        A history import's staging table.

    Returns
    -------
    psycopg.sql.Composed
        The expression.
    """
    return sql.SQL(
        "CASE WHEN {settled} THEN jsonb_build_object('settled', true,"
        " 'source_status', {r}.{status}, 'source_state', {r}.state) END"
    ).format(
        settled=_settled_at_source(row, history),
        r=sql.Identifier(row),
        status=sql.Identifier(HISTORY_STATUS),
    )


def history_note(row: str = "s") -> sql.Composed:
    """Return the note of a case stored as concluded history, over its staged row.

    ``历史记录：原状态“调解不成功”``, or ``历史记录：原状态未填写``; NULL for the other rows.

    Parameters
    ----------
    row : str
        Alias of the staged row.

    Returns
    -------
    psycopg.sql.Composed
        The expression.
    """
    return sql.SQL(
        "CASE WHEN {r}.{ended} IS NOT NULL THEN '历史记录：' ||"
        " coalesce('原状态“' || {r}.{status} || '”', '原状态未填写') END"
    ).format(
        r=sql.Identifier(row),
        ended=sql.Identifier(HISTORY_ENDED),
        status=sql.Identifier(HISTORY_STATUS),
    )


def history_payload(row: str = "s") -> sql.Composed:
    """Return the payload of the first event of a case stored as concluded history.

    ``{"settled": false, "source_status": …, "outcome": "mediation_failed" | "unsettled"}``;
    NULL for the other rows. ``settled`` false keeps the case out of the resolved share
    (:func:`unsettled_history`).

    Parameters
    ----------
    row : str
        Alias of the staged row.

    Returns
    -------
    psycopg.sql.Composed
        The expression.
    """
    return sql.SQL(
        "CASE WHEN {r}.{ended} IS NOT NULL THEN jsonb_build_object('settled', false,"
        " 'source_status', {r}.{status}, 'outcome',"
        " CASE WHEN {r}.{ended} THEN 'mediation_failed' ELSE 'unsettled' END) END"
    ).format(
        r=sql.Identifier(row),
        ended=sql.Identifier(HISTORY_ENDED),
        status=sql.Identifier(HISTORY_STATUS),
    )


def unsettled_history(case: str = "c") -> str:
    """Return the SQL condition that a case is concluded history its source never settled.

    Stored so by a history import (state ``archived``, the latest ``import`` event that says
    whether the source settled it says it did not), and untouched here since. Such a case is
    no open work, and no case resolved either: a resolution share leaves it out of the
    resolved ones (:mod:`layers.command`). Cheap for the cases registered here (no
    ``import_id``): only imported archived cases read their events.

    Parameters
    ----------
    case : str
        Alias of the case (a row of ``cases``).

    Returns
    -------
    str
        A boolean SQL expression.

    Examples
    --------
    >>> unsettled_history("k")[:55]
    "(k.import_id IS NOT NULL AND k.state = 'archived' AND c"
    """
    return (
        f"({case}.import_id IS NOT NULL AND {case}.state = '{CaseState.ARCHIVED.value}'"
        " AND coalesce((SELECT e.payload ->> 'settled' = 'false' FROM case_events e"
        f" WHERE e.case_id = {case}.id AND e.action = 'import'"
        " AND e.payload ->> 'settled' IS NOT NULL ORDER BY e.id DESC LIMIT 1), false)"
        f" AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = {case}.id"
        f" AND e.action <> ALL(ARRAY[{', '.join(repr(a) for a in UNTOUCHED_ACTIONS)}])))"
    )


@dataclass(frozen=True)
class SourceSettled:
    """What an import did with cases whose state in the file differs from the platform's.

    Attributes
    ----------
    closed : list of int
        Staged rows whose case was concluded as the file says: untouched since it was
        imported, open, or settled at its source and imported before settled cases were
        stored concluded (those are in ``concluded`` too).
    kept : list of tuple
        ``(row, file_state, state)`` of the file's rows whose case stays as the platform has
        it: handled here while the file says settled, or settled here while the file says
        open (reopening is the platform's decision, not a file's).
    history : frozenset of int
        The rows of ``kept`` that a history import would have stored as concluded history.
    concluded : frozenset of int
        The rows of ``closed`` whose case was settled already (已办结, 已评价 or 已回访, from
        an earlier release's import) and waited in its level's 待结案.
    """

    closed: list[int]
    kept: list[tuple[int, str, str]]
    history: frozenset[int] = frozenset()
    concluded: frozenset[int] = frozenset()

    def notes(self) -> list[str]:
        """Return what the import's summary says of the cases closed (besides 更新).

        Examples
        --------
        >>> print(SourceSettled([2, 5, 9], []).notes()[0])
        按来源系统办结 3 件（此前导入、本平台尚未办理的案件，按文件改为已办结，作为历史记录归档）
        >>> SourceSettled([], []).notes()
        []
        >>> print(SourceSettled([2, 5], [], concluded=frozenset({5})).notes()[1])
        此前导入的来源系统已办结案件 1 件移出待结案，作为历史记录归档（本平台尚未办理）
        """
        said = []
        opened = len(self.closed) - len(self.concluded)
        if opened:
            said.append(
                f"按来源系统办结 {opened} 件（此前导入、本平台尚未办理的案件，"
                "按文件改为已办结，作为历史记录归档）"
            )
        if self.concluded:
            said.append(
                f"此前导入的来源系统已办结案件 {len(self.concluded)} 件移出待结案，"
                "作为历史记录归档（本平台尚未办理）"
            )
        return said


def settle_from_source(
    conn: psycopg.Connection[Any], staging: str, actor: str, *, history: bool = False
) -> SourceSettled:
    """Apply the staged states of cases already imported that their source system has settled.

    A 12345 export of this week holds last week's open work orders, now closed. A case still
    as it was imported (registered, no event but its import) is concluded as a case the
    source settled is imported (:func:`stored_state`), with the file's closing time and an
    ``import`` event saying so (:func:`settled_note`). So is one an earlier release imported
    settled (已办结, 已评价, 已回访) and left in its level's 待结案, if nobody has handled it
    here. One being handled here, or settled here while the file says open, is left alone and
    reported. A case a history import stored as concluded history that its source never
    settled (:func:`unsettled_history`) is settled the same way when a file says it was. With
    ``history``, the rows stored as concluded history (:data:`HISTORY_ENDED`) conclude their
    registered cases so too: no deadlines, and the event keeps the source's status
    (:func:`history_note`).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases (``channel``, ``external_no``, ``state``, ``closed_at``,
        :data:`STATUS_GIVEN` and :data:`HISTORY_STATUS`; with ``history``,
        :data:`HISTORY_ENDED`).
    actor : str
        Who imports (the events' ``actor_name``).
    history : bool
        A history import's staging table.

    Returns
    -------
    SourceSettled
        Cases closed, and the rows whose case keeps the platform's state.
    """
    registered = sql.Literal(CaseState.REGISTERED.value)
    settled = sql.SQL("s.state <> {}").format(registered)
    as_history = sql.SQL("s.{} IS NOT NULL").format(sql.Identifier(HISTORY_ENDED))
    truly = sql.SQL("{} AND NOT {}").format(settled, as_history) if history else settled
    limits = (  # concluded history has no deadlines
        sql.SQL(
            ", contact_deadline = CASE WHEN {h} THEN NULL ELSE c.contact_deadline END,"
            " deadline = CASE WHEN {h} THEN NULL ELSE c.deadline END"
        ).format(h=as_history)
        if history
        else sql.SQL("")
    )
    notes = [settled_note(history=history), sql.Literal("来源系统已办结")]
    payloads = [settled_payload(history=history)]
    if history:
        notes.insert(0, history_note())
        payloads.insert(0, history_payload())
    match = SAME_CASE
    closed = conn.execute(
        sql.SQL(
            "WITH closed AS ("
            " UPDATE cases c SET state = {stored}, closed_at = CASE WHEN c.state = ANY({waiting})"
            " THEN coalesce(s.closed_at, c.closed_at) ELSE s.closed_at END,"
            " version = c.version + 1{limits}"
            " FROM {staging} s WHERE {match} AND {untouched} AND (({settled} AND c.state = {open})"
            " OR ({truly} AND (c.state = ANY({waiting}) OR {unsettled})))"
            " RETURNING s.{row}, c.id, c.area_code, c.state,"
            " (SELECT b.state FROM cases AS b WHERE b.id = c.id) AS was,"
            " coalesce({notes}) AS note, coalesce({payloads}) AS payload"
            "), logged AS ("
            " INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload) SELECT id, area_code, {actor}, 'import', was, state,"
            " note, payload FROM closed"
            ") SELECT {row}, was = ANY({waiting}) FROM closed"
        ).format(
            stored=stored_state(),
            limits=limits,
            staging=sql.Identifier(staging),
            settled=settled,
            truly=truly,
            waiting=sql.Literal(list(SETTLED_AT_SOURCE)),
            unsettled=sql.SQL(unsettled_history("c")),
            match=match,
            open=registered,
            untouched=untouched(),
            notes=sql.SQL(", ").join(notes),
            payloads=sql.SQL(", ").join(payloads),
            actor=sql.Literal(actor[:50]),
            row=sql.Identifier(ROW_COLUMN),
        )
    ).fetchall()
    kept = conn.execute(
        sql.SQL(
            "SELECT s.{row}, s.state, c.state, {as_history} FROM {staging} s JOIN cases c"
            " ON {match} WHERE s.{given} AND ({settled}) = (c.state = ANY({open_states}))"
            " ORDER BY s.{row}"
        ).format(
            row=sql.Identifier(ROW_COLUMN),
            as_history=as_history if history else sql.SQL("false"),
            staging=sql.Identifier(staging),
            match=match,
            given=sql.Identifier(STATUS_GIVEN),
            settled=settled,
            open_states=sql.Literal(sorted(OPEN_STATES)),
        )
    ).fetchall()
    return SourceSettled(
        sorted(int(r) for r, _ in closed),
        [(int(r), str(f), str(c)) for r, f, c, _ in kept],
        frozenset(int(r) for r, _, _, h in kept if h),
        frozenset(int(r) for r, waited in closed if waited),
    )


@dataclass(frozen=True)
class MovedDeadlines:
    """The cases on record whose 办结时限 a later file's 办理时限 moved, or would have.

    What :func:`move_given_deadlines` did.

    Attributes
    ----------
    moved : list of int
        Staged rows whose case took the file's 办理时限 as its 办结时限.
    kept : list of int
        Staged rows whose case keeps the 办结时限 approved here by hand (批准延期).
    """

    moved: list[int]
    kept: list[int]

    def notes(self) -> list[str]:
        """Return what the import's summary says of them.

        Examples
        --------
        >>> print(MovedDeadlines([3, 5], [7]).notes()[0])
        已登记的未办结案件 2 件按文件的办理时限更新了办结时限（第 3、5 行）
        >>> print(MovedDeadlines([], [7]).notes()[0])
        1 件的办理时限有变，但本平台已批准延期，保留批准的办结时限（第 7 行）
        >>> MovedDeadlines([], []).notes()
        []
        """
        said = []
        if self.moved:
            said.append(
                f"已登记的未办结案件 {len(self.moved)} 件按文件的办理时限更新了办结时限"
                f"（第 {_rows(self.moved)} 行）"
            )
        if self.kept:
            said.append(
                f"{len(self.kept)} 件的办理时限有变，但本平台已批准延期，保留批准的办结时限"
                f"（第 {_rows(self.kept)} 行）"
            )
        return said


def move_given_deadlines(conn: psycopg.Connection[Any], staging: str, actor: str) -> MovedDeadlines:
    """Give the open cases on record the 办结时限 a later file's changed 办理时限 says.

    A 12345 platform extends an order's 办理时限 (or shortens it) and the next export says so;
    the case imported earlier kept the first one (:func:`refresh_untouched` writes only a case
    nobody has handled here, and only when a column of ``cases`` changed). Each staged row
    that gives a limit (:data:`GIVEN_DEADLINE`) other than the one its case's source gave last
    (the ``time_limit`` of its latest ``import`` event, :func:`source_deadline`) moves the
    case's ``deadline`` to it, and its ``contact_deadline`` no later, if the case is still open
    (handled here or not) and nobody here approved a 办结时限 by hand (:data:`HAND_DEADLINES`:
    that one stands, the row is reported, and an ``import`` event keeps the limit said as
    ``time_limit_kept``, which 分流 does not read). An ``import`` event says so, its payload the
    new ``time_limit`` (which 分流 keeps) and the deadline it replaced. A limit said before,
    kept or not, is not said again. One statement over the
    staged rows that give a limit; run only for a file with a 办理时限 column, before
    :func:`refresh_untouched` (which then agrees).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases (``channel``, ``external_no``, :data:`GIVEN_DEADLINE`).
    actor : str
        Who imports (the events' ``actor_name``).

    Returns
    -------
    MovedDeadlines
        The rows whose case's deadline moved, and those whose case kept one set by hand.
    """
    rows = conn.execute(
        sql.SQL(
            "WITH found AS ("
            " SELECT s.{row} AS row, c.id, s.{given} AS given, EXISTS (SELECT 1 FROM case_events"
            " AS e WHERE e.case_id = c.id AND e.action = ANY({hand})) AS by_hand"
            " FROM {s} AS s JOIN cases AS c ON {same}"
            " WHERE s.{given} IS NOT NULL AND c.state = ANY({open})"
            " AND c.deadline IS DISTINCT FROM s.{given}"
            " AND {last} IS DISTINCT FROM s.{given}"
            "), moved AS ("
            " UPDATE cases AS c SET deadline = f.given,"
            # none due stays none: the 12345 platform made the contact (trial BA m6)
            " contact_deadline = CASE WHEN c.contact_deadline IS NOT NULL"
            " THEN least(c.contact_deadline, f.given) END, version = c.version + 1"
            " FROM found AS f WHERE c.id = f.id AND NOT f.by_hand"
            " RETURNING f.row, c.id, c.area_code, c.state, f.given, c.contact_deadline,"
            " (SELECT b.deadline FROM cases AS b WHERE b.id = c.id) AS was,"
            " (SELECT b.contact_deadline FROM cases AS b WHERE b.id = c.id) AS contact_was"
            "), logged AS ("
            " INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload) SELECT id, area_code, {actor}, 'import', state, state,"
            " '来源系统的办理时限改为 '"
            " || to_char(given AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),"
            " jsonb_build_object('time_limit', given, 'deadline_from', was) || {changes}"
            " FROM moved"
            "), kept AS ("
            " INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload) SELECT c.id, c.area_code, {actor}, 'import', c.state,"
            " c.state, '来源系统的办理时限改为 '"
            " || to_char(f.given AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')"
            " || '，本平台已批准延期，办结时限不变',"
            " jsonb_build_object('time_limit_kept', f.given) FROM found AS f"
            " JOIN cases AS c ON c.id = f.id WHERE f.by_hand RETURNING case_id"
            ") SELECT row, true FROM moved UNION ALL"
            " SELECT row, false FROM found WHERE by_hand ORDER BY 1"
        ).format(
            row=sql.Identifier(ROW_COLUMN),
            given=sql.Identifier(GIVEN_DEADLINE),
            hand=sql.Literal(list(HAND_DEADLINES)),
            last=_last_given("said_limit"),
            s=sql.Identifier(staging),
            same=SAME_CASE,
            open=sql.Literal(sorted(OPEN_STATES)),
            actor=sql.Literal(actor[:50]),
            changes=deadlines.changes_sql(  # said with the times before (trial BA M4)
                deadlines.change_sql(
                    "contact_deadline",
                    sql.SQL("contact_was"),
                    sql.SQL("contact_deadline"),
                    GIVEN_LIMIT_MOVED,
                ),
                deadlines.change_sql(
                    "deadline", sql.SQL("was"), sql.SQL("given"), GIVEN_LIMIT_MOVED
                ),
            ),
        )
    ).fetchall()
    return MovedDeadlines(
        [int(r) for r, moved in rows if moved], [int(r) for r, moved in rows if not moved]
    )


@dataclass(frozen=True)
class Refreshed:
    """The cases :func:`refresh_untouched` gave the file's values.

    Attributes
    ----------
    rows : list of int
        Staged rows whose case was updated.
    moved : list of int
        Ids of those cases whose type, point or time (:data:`RULE_COLUMNS`) changed: their
        repeat links are worked out again (:func:`layers.case_repeats.relink_refreshed`).
    """

    rows: list[int]
    moved: list[int]


def refresh_untouched(
    conn: psycopg.Connection[Any],
    staging: str,
    columns: list[str],
    actor: str,
    config: dict[str, Any] | None = None,
    *,
    history: bool = False,
) -> Refreshed:
    """Give the cases imported earlier, and untouched here since, the file's corrected values.

    A case nobody has handled here is still its source system's record: when a later file (or
    the same file, corrected) says otherwise of its type, place, text, time or risk, the case
    takes the file's values, its handling level and deadlines are worked out again (the
    办理时限 its source gave last stays its deadline where the row gives none), and an
    ``import`` event says so. A clerk who fixes a row and imports the file again sees the fix.
    The case's code (一案一码) and its state (see :func:`settle_from_source`) stay; repeats
    linked to it keep raising its risk. Its repeat links are left to the caller: those of the
    cases whose type, point or time changed (:attr:`Refreshed.moved`) no longer need to hold
    (:func:`layers.case_repeats.relink_refreshed`).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases.
    columns : list of str
        Its columns of ``cases``; those of :data:`KEPT_FROM_FILE` are not written.
    actor : str
        Who imports (the events' ``actor_name``).
    config : dict, optional
        Deadline configuration (:func:`layers.deadlines.load`).
    history : bool
        A history import's staging table (:func:`computed_columns`).

    Returns
    -------
    Refreshed
        Staged rows whose case was updated, and the ids of those cases the file moved.
    """
    written = [c for c in columns if c not in KEPT_FROM_FILE]
    values = {
        c: sql.SQL("greatest(1, s.risk_level - c.repeat_count)")
        if c == "risk_level"
        else sql.SQL("s.{}").format(sql.Identifier(c))
        for c in written
    }
    computed = computed_columns(config, history=history, kept=_last_given()).items()
    derived = {k: v for k, v in computed if k not in ("id", "code", "state")}
    targets = sql.SQL(", ").join(sql.Identifier(c) for c in [*values, *derived])
    rows = conn.execute(
        sql.SQL(
            "WITH refreshed AS ("
            " UPDATE cases c SET ({targets}) = ROW({new}), version = c.version + 1"
            " FROM {staging} s WHERE {same} AND ({old}) IS DISTINCT FROM ({given})"
            " AND {untouched}"
            " RETURNING s.{row}, c.id, c.area_code, c.state, {moved} AS moved,"
            " c.contact_deadline, c.deadline,"
            " (SELECT b.contact_deadline FROM cases AS b WHERE b.id = c.id) AS contact_was,"
            " (SELECT b.deadline FROM cases AS b WHERE b.id = c.id) AS was"
            "), logged AS ("
            " INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload) SELECT id, area_code, {actor}, 'import', state, state,"
            " '按来源系统的新数据更新', nullif({changes}, '{{}}'::jsonb) FROM refreshed"
            ") SELECT {row}, id, moved FROM refreshed"
        ).format(
            targets=targets,
            new=sql.SQL(", ").join([*values.values(), *derived.values()]),
            staging=sql.Identifier(staging),
            old=sql.SQL(", ").join(sql.SQL("c.{}").format(sql.Identifier(c)) for c in values),
            given=sql.SQL(", ").join(values.values()),
            same=SAME_CASE,
            untouched=untouched(),
            row=sql.Identifier(ROW_COLUMN),
            moved=_moved(),
            actor=sql.Literal(actor[:50]),
            changes=deadlines.changes_sql(  # said with the times before (trial BA M4)
                *(
                    deadlines.change_sql(c, sql.SQL(w), sql.Identifier(c), REFRESHED_LIMITS)
                    for c, w in (("contact_deadline", "contact_was"), ("deadline", "was"))
                )
            ),
        )
    ).fetchall()
    return Refreshed([int(r) for r, _, _ in rows], [int(i) for _, i, moved in rows if moved])


def _last_given(key: str = "time_limit") -> sql.Composed:
    """Return the deadline case ``c``'s source gave last (:func:`source_deadline`), for SQL.

    A later file without a 办理时限 (or with the cell blank) keeps it when it corrects the
    case: evaluated for the cases updated only. With ``key`` ``said_limit``, the last one
    said, kept as a deadline or not (:func:`move_given_deadlines`).
    """
    said = (
        sql.SQL("coalesce(e.payload ->> 'time_limit', e.payload ->> 'time_limit_kept')")
        if key == "said_limit"
        else sql.SQL("e.payload ->> 'time_limit'")
    )
    return sql.SQL(
        "(SELECT ({said})::timestamptz FROM case_events AS e"
        " WHERE e.case_id = c.id AND e.action = 'import' AND {said} IS NOT NULL"
        " ORDER BY e.id DESC LIMIT 1)"
    ).format(said=said)


def _moved() -> sql.Composed:
    """Return whether the updated case ``c`` changed in :data:`RULE_COLUMNS`, for ``RETURNING``.

    ``c`` there is the row as updated; the subquery reads the case as it was, since a statement
    does not see its own changes.
    """
    columns = [sql.Identifier(c) for c in RULE_COLUMNS]
    return sql.SQL(
        "(SELECT ({before}) IS DISTINCT FROM ({after}) FROM cases AS b WHERE b.id = c.id)"
    ).format(
        before=sql.SQL(", ").join(sql.SQL("b.{}").format(c) for c in columns),
        after=sql.SQL(", ").join(sql.SQL("c.{}").format(c) for c in columns),
    )


def rekey_edited_rows(
    conn: psycopg.Connection[Any], staging: str, prefix: str, alike: Sequence[str]
) -> list[int]:
    """Give a case on record the new source number of the file's row that edits it.

    A ledger without work-order numbers has its rows numbered from their day and texts
    (``importers.kinds.cases.ledger_numbers``), so a row whose text the clerk corrected comes back
    with a new number and would be a second case. A staged row whose number (starting with
    ``prefix``) names no case on record names instead the one ledger case of its day, village
    and type, and of one of its ``alike`` values, that no row of the file names by its number,
    if that case is found by this row only; its channel does not count (the numbers leave it
    out, and :func:`match_ledger_numbers` then corrects it). The case takes the row's number,
    so that the row now names it, and :func:`refresh_untouched` gives it the corrected texts.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases (``channel``, ``external_no``, ``area_code``, ``category`` and
        the ``alike`` columns).
    prefix : str
        What the numbers made for a ledger's rows start with (letters), before their day.
    alike : sequence of str
        Columns of which one at least must be the same (the party, the title, the text);
        none: nothing is matched.

    Returns
    -------
    list of int
        Staged rows whose case on record was given their number.
    """
    if not alike:
        return []
    staged, numbered = sql.Identifier(staging), sql.Literal(prefix + "%")
    day = sql.Literal(len(prefix) + len("YYYYMMDD"))
    rows = conn.execute(
        sql.SQL(
            "WITH found AS ("
            " SELECT s.{row} AS row, c.id, count(*) OVER (PARTITION BY s.{row}) AS per_row,"
            " count(*) OVER (PARTITION BY c.id) AS per_case"
            " FROM {s} AS s JOIN cases AS c ON c.channel = ANY({channels})"
            " AND c.external_no >= left(s.external_no, {day})"
            " AND c.external_no < left(s.external_no, {day}) || '~'"
            " AND c.external_no LIKE {numbered} AND left(c.external_no, {day}) ="
            " left(s.external_no, {day}) AND c.area_code = s.area_code"
            " AND c.category = s.category AND ({alike})"
            " WHERE s.external_no LIKE {numbered}"
            " AND NOT EXISTS (SELECT 1 FROM cases AS k WHERE k.channel = ANY({channels})"
            " AND k.external_no = s.external_no)"
            " AND NOT EXISTS (SELECT 1 FROM {s} AS o WHERE o.external_no = c.external_no)"
            "), rekeyed AS ("
            " UPDATE cases AS c SET external_no = s.external_no, version = c.version + 1"
            " FROM found, {s} AS s WHERE found.per_row = 1 AND found.per_case = 1"
            " AND c.id = found.id AND s.{row} = found.row RETURNING s.{row}"
            ") SELECT {row} FROM rekeyed ORDER BY 1"
        ).format(
            row=sql.Identifier(ROW_COLUMN),
            s=staged,
            channels=ALL_CHANNELS,
            numbered=numbered,
            day=day,
            alike=sql.SQL(" OR ").join(
                sql.SQL("c.{0} = s.{0}").format(sql.Identifier(c)) for c in alike
            ),
        )
    ).fetchall()
    return [int(r) for (r,) in rows]


@dataclass(frozen=True)
class LedgerChannels:
    """The ledger rows whose case on record has another channel (:func:`match_ledger_numbers`).

    Attributes
    ----------
    corrected : list of int
        Staged rows whose case took the file's channel (nobody has handled it here).
    kept : list of int
        Staged rows that take their case's channel: it is being handled here, and the
        platform's record stands.
    """

    corrected: list[int]
    kept: list[int]

    def notes(self) -> list[str]:
        """Return what the import's summary says of them.

        Examples
        --------
        >>> LedgerChannels([4, 7], [9]).notes()[0].split("；")[0].split("，")
        ['2 行台账与库中同一编号的案件来源渠道不同（如排查方式改写）',
         '已按文件更正来源渠道（第 4、7 行）']
        >>> LedgerChannels([], []).notes()
        []
        """
        said = []
        if self.corrected:
            said.append(
                f"{len(self.corrected)} 行台账与库中同一编号的案件来源渠道不同（如排查方式改写），"
                f"已按文件更正来源渠道（第 {_rows(self.corrected)} 行）"
            )
        if self.kept:
            said.append(
                f"{len(self.kept)} 行台账与库中同一编号的案件来源渠道不同，该案件已在本平台办理，"
                f"保留平台的来源渠道（第 {_rows(self.kept)} 行）"
            )
        return ["；".join(said)] if said else []


def _rows(rows: list[int]) -> str:
    """Return row numbers as a note lists them: the first ten, then 等."""
    return "、".join(str(r) for r in rows[:10]) + ("等" if len(rows) > 10 else "")


def match_ledger_numbers(
    conn: psycopg.Connection[Any], staging: str, prefix: str, actor: str
) -> LedgerChannels:
    """Make each ledger row name the case of its generated number, whatever the channel.

    A ledger row's number (``prefix`` + day + ``-`` + 12 hex digits,
    ``importers.kinds.cases.ledger_numbers``) is made from what the row says, the channel left out
    on purpose: a row carried into next month's sheet with its 排查方式 retyped (电话反映 →
    网格员排查) has the same number, and is the same case. When no case has the row's channel
    and number but one has the number in another channel (the first such, if an earlier
    import made several), that case is the row's: nobody has handled it here, it takes the
    file's channel as a correction (an ``import`` event says so, with the channels in its
    payload); it is being handled here, the row takes the case's channel. Then the natural
    key (channel, number) matches as usual, and the unique index on it holds. Set-based: the
    numbers are found through the index, one descent per channel (:data:`ALL_CHANNELS`).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of a ledger's cases (numbers made by ``importers.kinds.cases.ledger_numbers``,
        one row per number: the file's duplicate check refuses the others).
    prefix : str
        What the generated numbers start with (``TZ``).
    actor : str
        Who imports (the events' ``actor_name``).

    Returns
    -------
    LedgerChannels
        The rows whose case was corrected, and those that took their case's channel.
    """
    found = "zz_ledger_channels"
    shape = sql.Literal(prefix + "_" * len("YYYYMMDD") + "-" + "_" * 12)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(found)))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {found} ON COMMIT DROP AS"
            " SELECT DISTINCT ON (s.{row}) s.{row} AS row, c.id, c.channel AS was,"
            " s.channel AS now, {untouched} AS free"
            " FROM {s} AS s JOIN cases AS c ON c.channel = ANY({channels})"
            " AND c.external_no = s.external_no"
            " WHERE s.external_no LIKE {shape} AND c.channel <> s.channel"
            " AND NOT EXISTS (SELECT 1 FROM cases AS k WHERE k.channel = s.channel"
            " AND k.external_no = s.external_no)"
            " ORDER BY s.{row}, c.id"
        ).format(
            found=sql.Identifier(found),
            row=sql.Identifier(ROW_COLUMN),
            untouched=untouched(),
            s=sql.Identifier(staging),
            channels=ALL_CHANNELS,
            shape=shape,
        )
    )
    corrected = conn.execute(
        sql.SQL(
            "WITH corrected AS ("
            " UPDATE cases AS c SET channel = f.now, version = c.version + 1 FROM {found} AS f"
            " WHERE c.id = f.id AND f.free RETURNING f.row, c.id, c.area_code, c.state, f.was,"
            " f.now"
            "), logged AS ("
            " INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload) SELECT id, area_code, {actor}, 'import', state, state,"
            " '来源渠道按来源文件更正', jsonb_build_object('channel_from', was, 'channel_to', now)"
            " FROM corrected"
            ") SELECT row FROM corrected ORDER BY row"
        ).format(found=sql.Identifier(found), actor=sql.Literal(actor[:50]))
    ).fetchall()
    kept = conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET channel = f.was FROM {found} AS f"
            " WHERE s.{row} = f.row AND NOT f.free RETURNING s.{row}"
        ).format(
            s=sql.Identifier(staging), found=sql.Identifier(found), row=sql.Identifier(ROW_COLUMN)
        )
    ).fetchall()
    return LedgerChannels([int(r) for (r,) in corrected], sorted(int(r) for (r,) in kept))


@dataclass(frozen=True)
class QueuedCases:
    """The open cases an import adds to the queues, and the settled ones it stores as history.

    What :func:`queued_cases` counts.

    Attributes
    ----------
    open : int
        New cases registered open (to be triaged).
    overdue : int
        Of those, past their deadline already.
    old : int
        Of those, registered more than :data:`OLD_DAYS` days ago.
    settled : int
        New cases their source settled, stored concluded (:func:`stored_state`).
    """

    open: int
    overdue: int
    old: int
    settled: int = 0

    def notes(self) -> list[str]:
        """Return what the import's summary says of them (nothing when none is new).

        Examples
        --------
        >>> print(QueuedCases(41, 40, 40).notes()[0])
        新增未办结案件 41 件进入待分流，其中 40 件登记于 90 天前、已超期：如为历史记录，请加
        --history
        >>> print(QueuedCases(5, 3, 1).notes()[0])
        新增未办结案件 5 件进入待分流，其中 3 件已超期，1 件登记于 90 天前：如为历史记录，请加
        --history
        >>> QueuedCases(2, 0, 0).notes(), QueuedCases(0, 0, 0).notes()
        (['新增未办结案件 2 件进入待分流'], [])
        >>> print(QueuedCases(0, 0, 0, settled=26).notes()[0])
        来源系统已办结的新增案件 26 件作为历史记录存档（已销号，不进入待结案，计入办结率）
        """
        said = (
            f"来源系统已办结的新增案件 {self.settled} 件作为历史记录存档"
            "（已销号，不进入待结案，计入办结率）"
        )
        return self._open_notes() + ([said] if self.settled else [])

    def _open_notes(self) -> list[str]:
        """Say the open cases, and how many of them look like history."""
        if not self.open:
            return []
        said = f"新增未办结案件 {self.open} 件进入待分流"
        if not (self.overdue or self.old):
            return [said]
        if self.overdue == self.old:
            which = f"{self.old} 件登记于 {OLD_DAYS} 天前、已超期"
        else:
            parts = [f"{self.overdue} 件已超期"] if self.overdue else []
            parts += [f"{self.old} 件登记于 {OLD_DAYS} 天前"] if self.old else []
            which = "，".join(parts)
        return [f"{said}，其中 {which}：如为历史记录，请加 --history"]


def queued_cases(conn: psycopg.Connection[Any], import_id: int) -> QueuedCases:
    """Count the new open cases of import ``import_id``, and the settled ones stored as history.

    The open ones are the work the import gives the operators.

    A township's 2023 ledger or a city's 2023–2024 export brought into a live platform has
    rows still marked open; each becomes a case to triage, overdue since long. The summary
    says so, in a dry run too, so that the clerk imports history with ``--history``; and it
    says how many settled rows went to history, in no queue (trial AG: nothing counted them).
    Cases on record the file names are not new (``import_id`` is written for new cases only);
    one pass over the import's cases through the ``import_id`` index.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction, after the upsert.
    import_id : int
        ``import_runs.id``.

    Returns
    -------
    QueuedCases
        The counts (``now()`` is the import's start).
    """
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE state = %(open)s),"
        " count(*) FILTER (WHERE state = %(open)s AND deadline < now()),"
        " count(*) FILTER (WHERE state = %(open)s"
        "  AND reported_at < now() - make_interval(days => %(days)s)),"
        " count(*) FILTER (WHERE state = %(archived)s AND EXISTS (SELECT 1 FROM case_events AS e"
        "  WHERE e.case_id = c.id AND e.action = 'import' AND e.payload @> '{\"settled\": true}'))"
        " FROM cases AS c WHERE import_id = %(id)s AND state IN (%(open)s, %(archived)s)",
        {
            "id": import_id,
            "days": OLD_DAYS,
            "open": CaseState.REGISTERED.value,
            "archived": CaseState.ARCHIVED.value,
        },
    ).fetchone()
    return QueuedCases(*(int(v) for v in row)) if row else QueuedCases(0, 0, 0)


def history_rows(conn: psycopg.Connection[Any], staging: str) -> list[str]:
    """Say what a history import concludes: its source's open rows, by their status there.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction (rejected rows deleted from the staging).
    staging : str
        Staging table of a history import (:data:`HISTORY_STATUS`, :data:`HISTORY_ENDED`).

    Returns
    -------
    list of str
        ``历史记录：来源中未办结的 6 行按历史记录归档（…）：正在调处 3、未填写 1 …``, or none.
    """
    counted = conn.execute(
        sql.SQL(
            "SELECT coalesce({status}, '未填写'), count(*) FROM {s} WHERE {ended} IS NOT NULL"
            " GROUP BY 1 ORDER BY 2 DESC, 1"
        ).format(
            status=sql.Identifier(HISTORY_STATUS),
            s=sql.Identifier(staging),
            ended=sql.Identifier(HISTORY_ENDED),
        )
    ).fetchall()
    if not counted:
        return []
    total = sum(int(n) for _, n in counted)
    words = "、".join(f"{word} {n}" for word, n in counted[:10]) + (
        "等" if len(counted) > 10 else ""
    )
    return [
        f"历史记录：来源中未办结的 {total} 行按历史记录归档（不进入待办、不计超期、不算办结，"
        f"原状态记在案件的第一条记录中）：{words}"
    ]


PLATFORM_CODE_SHAPES = ("IM" + "_" * 30, "_" * 6 + "-" + "_" * 8 + "-" + "_" * 8 + "%")
"""``LIKE`` patterns of the platform's own case codes (一案一码): a case registered here or
imported (:func:`layers.cases.register`, :func:`case_code`: ``530424-20261202-00000123``), and
one imported before codes took that shape (``IM``, 12 digits, 18 hex digits of a hash). Only a
staged number of one of these shapes is looked up among the codes, so that a file of source
numbers costs no join."""


@dataclass(frozen=True)
class PlatformCases:
    """The rows of a file that name cases of the platform by their own code (一案一码).

    A clerk who exports the platform's cases (or a ledger that copies the 案件编号 the platform
    gave) and imports the file again writes each case's platform code where a source number
    goes. Such a row is the case on record, never a new one, and changes nothing: the platform
    is the source of truth for a case handled in it (a correction is made in the platform).

    Attributes
    ----------
    rows : list of int
        The staged rows so recognised (taken out of the staging table).
    """

    rows: list[int]

    def notes(self, header: str = "案件编号") -> list[str]:
        """Return what the import's summary says of them.

        Parameters
        ----------
        header : str
            The file's column of the numbers.

        Returns
        -------
        list of str
            One note, or none when no row named a case so.

        Examples
        --------
        >>> PlatformCases([2, 5, 9]).notes("事件编号")[0].split("；")
        ['平台已有案件 3 件（按事件编号，第 2、5、9 行），未重复导入',
         '这些案件以平台为准，文件中对它们的改动未导入（请在平台中修改）']
        >>> PlatformCases([]).notes()
        []
        """
        if not self.rows:
            return []
        shown = "、".join(str(r) for r in self.rows[:10]) + ("等" if len(self.rows) > 10 else "")
        return [
            f"平台已有案件 {len(self.rows)} 件（按{header}，第 {shown} 行），未重复导入；"
            "这些案件以平台为准，文件中对它们的改动未导入（请在平台中修改）"
        ]


def take_platform_cases(conn: psycopg.Connection[Any], staging: str) -> PlatformCases:
    """Take out of the staging table the rows whose number is the code of a case on record.

    A row whose source number is a case's platform code (:data:`PLATFORM_CODE_SHAPES`) names
    that case, unless a case imported earlier has that number from the row's channel (its
    natural key, which keeps naming it as before). The rows taken out are neither checked nor
    loaded, nor linked as repeats: the import leaves their cases as they are
    (:class:`PlatformCases`). One statement over the staging table; the codes' unique index
    serves the few numbers of those shapes.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases (``channel``, ``external_no``), before the database checks.

    Returns
    -------
    PlatformCases
        The rows taken out.
    """
    rows = conn.execute(
        sql.SQL(
            "WITH own AS ("
            " DELETE FROM {s} AS s USING cases AS c"
            " WHERE s.external_no LIKE ANY({shapes}) AND c.code = s.external_no"
            " AND NOT EXISTS (SELECT 1 FROM cases AS k WHERE {same})"
            " RETURNING s.{row}"
            ") SELECT {row} FROM own ORDER BY 1"
        ).format(
            s=sql.Identifier(staging),
            shapes=sql.Literal(list(PLATFORM_CODE_SHAPES)),
            same=sql.SQL("k.channel = s.channel AND k.external_no = s.external_no"),
            row=sql.Identifier(ROW_COLUMN),
        )
    ).fetchall()
    return PlatformCases([int(r) for (r,) in rows])


def keep_reported_risk(conn: psycopg.Connection[Any], staging: str) -> None:
    """Give staged cases already on record the risk they were reported with, for a file without one.

    A file with no risk column stages the lowest risk; :func:`refresh_untouched` would lower
    an untouched case's risk to it, and work out its deadlines again from it. The risk a case
    was reported with is its risk before its repeats raised it (one level each, up to red).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases.
    """
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET risk_level = least(4, c.risk_level + c.repeat_count) "
            "FROM cases c WHERE {same}"
        ).format(s=sql.Identifier(staging), same=SAME_CASE)
    )


def place_titles(conn: psycopg.Connection[Any], staging: str) -> None:
    """Title the staged cases the file gives no title of their own by their type, place and day.

    A file of cases with no title and no description column titled every case with its
    category: a list of them read 矛盾纠纷, 矛盾纠纷, 矛盾纠纷 … (trial AN N5). Such a case
    (:data:`UNTITLED_TYPE` set) is titled ``邻里纠纷·龙泉社区·12月5日``: its type, the village
    (community) it is placed in, else its address (:data:`UNTITLED_ADDRESS`), else the unit it
    is placed in, and its day (:data:`UNTITLED_DAY`). Run once the area codes are filled in
    (from the points too), before the staged rows are written or refresh cases on record.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases.
    """
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET title = left(concat_ws({parts}, s.{type}, coalesce("
            "(SELECT j.name FROM jurisdictions AS j WHERE j.code = s.area_code AND j.level = 5),"
            " s.{address},"
            " (SELECT j.name FROM jurisdictions AS j WHERE j.code = s.area_code)), s.{day}), 200)"
            " WHERE s.{type} IS NOT NULL"
        ).format(
            s=sql.Identifier(staging),
            parts=sql.Literal(TITLE_PARTS),
            type=sql.Identifier(UNTITLED_TYPE),
            address=sql.Identifier(UNTITLED_ADDRESS),
            day=sql.Identifier(UNTITLED_DAY),
        )
    )


def made_number(external_no: str | None) -> bool:
    """Return whether a case's source number was made by the import, not given by its source.

    A ledger without numbers has its rows numbered from what they say (:data:`LEDGER_NUMBER`).
    Such a number finds the case again on re-import, but no clerk knows it: the console does not
    show it as the case's 工单 number (trial AP m10).

    Examples
    --------
    >>> made_number("TZ20250302-0123456789ab"), made_number("GD2026120500031"), made_number(None)
    (True, False, False)
    """
    return external_no is not None and LEDGER_NUMBER.fullmatch(external_no) is not None


def untouched(case: str = "c") -> sql.Composed:
    """Return the condition that a case has no event but :data:`UNTOUCHED_ACTIONS`.

    Nobody has handled it here: it is as its source system has it.

    Parameters
    ----------
    case : str
        Alias of the case (a row of ``cases``) in the statement.

    Returns
    -------
    psycopg.sql.Composed
        ``NOT EXISTS (…)`` over ``case_events``.
    """
    return sql.SQL(
        "NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = {}.id AND e.action <> ALL({}))"
    ).format(sql.Identifier(case), sql.Literal(list(UNTOUCHED_ACTIONS)))
