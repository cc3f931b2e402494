"""Retiring the grids and jurisdictions a re-division abolished, and re-homing their records.

A township's annual grid re-division (网格调整) merges, splits and re-codes grids; a merger of
villages (撤并村) or a 村改居 abolishes villages. A unit is never deleted (the records of years
name it): it is retired (``retired_on``), with the unit that took it over (``successor_code``)
where one did. An import of grids or jurisdictions retires units three ways:

* a row whose 状态 says 撤销 (upserted with its ``retired_on`` and ``successor_code``);
* a row in use whose 原编码 (:data:`FORMER`) names the codes it replaces: a re-coded grid's old
  code, the villages merged into this one. They are retired with the row's unit as successor
  (a code two rows name, a unit split in two, has none; a code the file also lists lives on),
  on the row's 撤销日期 (调整日期, 变更日期: :data:`FORMER_ON`) when it gives one; a code
  retired before is then dated again (the new village's boundary came first, the 民政局's
  table with the real day after);
* ``--complete``: the file is the whole layer of ``--within``; the units of its kind there that
  it does not list are retired, each with the file's unit that covers most of it (at least
  :data:`MAJOR_SHARE`) as successor. A list that would retire many of the units in use there
  (half or more, the rule of every complete list: :func:`layers.complete_list.unconfirmed`) is
  likely a part of the layer (one village's new grids, imported as the whole of a county): it
  retires nothing unless ``--again`` confirms it; its rows load, and an alarm
  (:meth:`Retirement.alarm`) says how many it would retire of how many (trial AR S1: a
  province's administrator withdrew 691 of a county's 695 grids with one village's 4).

:func:`snapshot` keeps, before the upsert, which staged units were in use (and the day each
retired one was retired); :func:`retire` then retires the others and re-homes, in the import's
transaction (a dry run rolls it all back), the records of every unit retired: special-population
persons on the register, open cases and cameras go to the unit in use around their point, else
to the successor; workers (whose grid is a roster's assignment) to the successor. Each moved
case gets an event. History stays where it happened: closed cases and visits keep their unit
(it is where they were handled), except those dated on or after the retirement day that the
platform held in the unit only because it learnt of the re-division later (a retirement dated
in the past, or dated again to an earlier day): they follow the rules of today, as an import
of them would (:mod:`importers.names`). A grid is in use no longer than its village: the
closed cases of a grid retired after its village, dated since the village's day, go to the grid
in use around them too, whichever of the two files came first.

A retirement without a day is dated the import's day, and the summary says so, with the
column that gives the real one (``撤销区划 2 个（撤销日期按今天 2026-12-02 记；实际日期可在文件中
用“撤销日期”或“调整日期”列给出）``); a retirement dated again says from which day to which.

The units a file retires without a row of their own (a row's 原编码, ``--complete``) are records
the import changed, as the persons a complete list strikes off and the cameras it retires:
they count as updated (:attr:`Retirement.unlisted`), so the summary's 更新, the import's rows
loaded (``zongzhi imports``' 写入) and a file imported again say them; a 撤销 row's unit is
counted by the upsert, as any row. The records moved are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import staged_columns
from layers.china_time import TODAY, import_day
from layers.complete_list import Area, ending_share, unconfirmed
from layers.import_checks import RetiredUnit, live_successors, retired_units
from layers.model.dispatches import ACTIVE_DISPATCH
from layers.workflow import OPEN_STATES

CLOSED_AFTER = "撤销后登记的已办结案件"
"""What the summary calls the closed cases dated on or after their unit's retirement, moved."""
VISITS_AFTER = "撤销后的走访记录"
"""What it calls the visits dated on or after their unit's retirement, moved."""

RETIRED_ON = "retired_on"
"""Staged column: the day a row's unit is retired (its 撤销日期, else the import day)."""
SUCCESSOR = "successor_code"
"""Staged column: the unit that took a retired row's unit over (继承编码)."""
FORMER = "_former"
"""Staging helper: the codes a row's unit (in use) replaces (原编码), comma-separated."""
FORMER_ON = "_former_on"
"""Staging helper: the day the codes of :data:`FORMER` were retired (its 撤销日期, 调整日期)."""
STATUS = "_unit_status"
"""Staging helper: ``live`` or ``retired`` as the row's 状态 says; empty when it says nothing."""

INCOMPLETE_NOTE = (
    "有退回的行，未按 --complete 撤销文件未列的单位（退回行的单位并非不存在）："
    "改正退回的行后，再按 --complete 重新导入"
)
"""Said when ``--complete --partial`` loads a file with rejected rows: nothing is retired."""
MAJOR_SHARE = 0.5
"""How much of a unit ``--complete`` retires a unit of the file must cover to succeed it."""
SHOWN = 10
"""How many units a note lists before it says 等."""

_LABEL = {"grids": "网格", "jurisdictions": "区划"}
DATE_HEADERS = "“撤销日期”或“调整日期”"
"""The columns a note names for the real day of a retirement dated the import's day."""


@dataclass(frozen=True)
class Before:
    """The staged units on record before the upsert (:func:`snapshot`): in use, and retired."""

    table: str
    staging: str
    live: frozenset[str]
    retired: frozenset[str]
    dates: Mapping[str, date] = field(default_factory=dict)
    """The day each of :attr:`retired` was retired, as on record."""
    defaulted: frozenset[str] = frozenset()
    """Units a 撤销 row retires without a day: dated the import's day."""


@dataclass(frozen=True)
class Redated:
    """A retired unit whose retirement a file dated again.

    Attributes
    ----------
    code, name : str
        The unit.
    old, new : datetime.date
        Its ``retired_on`` before and after.
    """

    code: str
    name: str
    old: date
    new: date


@dataclass
class Retirement:
    """What an import retired, and where the records of the retired units went.

    Attributes
    ----------
    table : str
        ``grids`` or ``jurisdictions``.
    retired : list of layers.import_checks.RetiredUnit
        The units retired, by code.
    reinstated : list of str
        Names of the retired units the file lists in use again.
    moved : collections.Counter
        What was moved (特殊人群, 在办案件, 网格员, 摄像机) → how many.
    stranded : collections.Counter
        What stays in a retired unit: no unit in use around its point, and no successor.
    accounts : list of str
        Log-in accounts whose scope is a retired jurisdiction.
    live_grids : collections.Counter
        Retired village's name → its grids still in use.
    unknown_former : list of str
        原编码 values on record nowhere (nothing to retire).
    leaders : list of str
        Successor grids without a 网格长 that took the leader of a grid they took over.
    defaulted : set of str
        Codes of :attr:`retired` dated the import's day, for want of a 撤销日期.
    redated : list of Redated
        Units retired before whose retirement the file dated again.
    unlisted : list of str
        Codes of :attr:`retired` the file has no row of (retired by a row's 原编码, or by
        ``--complete``): records the import changed beyond its rows, which its counts take as
        updated (a 撤销 row's unit is an updated row already).
    unconfirmed : tuple of (int, int) or None
        ``--complete`` retired none of the units the file leaves out, ``(those, the units in
        use of the area before)``: too many of the area's without ``--again``.
    area : Area or None
        The ``--complete`` area, which :meth:`alarm` names.
    """

    table: str
    retired: list[RetiredUnit] = field(default_factory=list)
    reinstated: list[str] = field(default_factory=list)
    moved: Counter[str] = field(default_factory=Counter)
    stranded: Counter[str] = field(default_factory=Counter)
    accounts: list[str] = field(default_factory=list)
    live_grids: Counter[str] = field(default_factory=Counter)
    unknown_former: list[str] = field(default_factory=list)
    leaders: list[str] = field(default_factory=list)
    defaulted: set[str] = field(default_factory=set)
    redated: list[Redated] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    unconfirmed: tuple[int, int] | None = None
    area: Area | None = None

    def alarm(self) -> str | None:
        """Return what the clerk must not miss: a ``--complete`` retirement left unconfirmed.

        Returns
        -------
        str or None
            How many units the list would retire, of how many in use (:func:`ending_share`),
            and how to confirm it (``--again``); ``None`` when nothing waits.

        Examples
        --------
        >>> r = Retirement("grids", unconfirmed=(691, 695), area=Area("530424000000", "华宁县"))
        >>> r.alarm().split("，")[1]
        '华宁县（530424000000）将撤销网格 691 个（占本范围 695 个的 99%）'
        """
        if self.unconfirmed is None:
            return None
        label, (ending, total) = _LABEL[self.table], self.unconfirmed
        area = self.area.label if self.area is not None else "本范围"
        name = self.area.name if self.area is not None else "本范围"
        part = "一个村、一个乡镇的网格" if self.table == "grids" else "一个乡镇的村（社区）"
        return (
            f"--complete 未撤销任何{label}：按本文件，{area}{ending_share(label, ending, total)}，"
            f"本文件可能只是一部分（如{part}）。请核对导入范围和文件；"
            f"如本文件确是{name}的全部{label}，加 --complete --again 重新导入即予撤销"
        )

    def notes(self) -> list[str]:
        """Return what the import's summary says of them (Chinese; counts and unit names).

        Examples
        --------
        >>> day = date(2026, 12, 2)
        >>> merged = RetiredUnit("530424101001012", "兴复第12网格", day, "", "兴复第8网格")
        >>> notes = Retirement(
        ...     "grids",
        ...     retired=[merged],
        ...     moved=Counter({"特殊人群": 4, "在办案件": 1}),
        ...     defaulted={"530424101001012"},
        ... ).notes()
        >>> notes[0].split("；")[0], notes[0].split("）：")[1]
        ('撤销网格 1 个（撤销日期按今天 2026-12-02 记', '兴复第12网格 → 兴复第8网格')
        >>> notes[1]
        '改属在用网格（按点位，否则归继承单位）：特殊人群 4 名、在办案件 1 件'
        """
        label = _LABEL[self.table]
        notes = self._retired_notes(label)
        if self.reinstated:
            notes.append(
                f"恢复使用已撤销的{label} {len(self.reinstated)} 个：{_listed(self.reinstated)}"
            )
        unit = "网格" if self.table == "grids" else "村（社区）"
        if self.moved:
            notes.append(f"改属在用{unit}（按点位，否则归继承单位）：{_counted(self.moved)}")
        if self.stranded:
            notes.append(
                f"仍留在已撤销{unit}中（点位不在任何在用{unit}内，也没有继承单位），"
                f"请在花名册或台账中改填：{_counted(self.stranded)}"
            )
        if self.accounts:
            notes.append(
                f"{len(self.accounts)} 个账号的管辖范围已撤销，请改为继承单位："
                f"{_listed(self.accounts)}"
            )
        if self.live_grids:
            shown = [f"{name} {n} 个" for name, n in sorted(self.live_grids.items())]
            notes.append(
                f"已撤销的村（社区）仍有在用网格：{_listed(shown)}；"
                "请导入新村（社区）的网格，并在原网格编码列写明它们"
            )
        if self.leaders:
            notes.append(
                f"{len(self.leaders)} 个网格沿用了所继承网格的网格长：{_listed(self.leaders)}"
            )
        if self.unknown_former:
            notes.append(
                f"原编码在库中没有，未撤销任何单位：{_listed(sorted(set(self.unknown_former)))}"
            )
        return notes

    def _retired_notes(self, label: str) -> list[str]:
        """Return the lines on the units retired, one per day, and on those dated again.

        Examples
        --------
        >>> old = RetiredUnit("530424102203", "黄坝村", date(2024, 6, 28), "530424102211", "黄寨村")
        >>> Retirement("jurisdictions", retired=[old])._retired_notes("区划")
        ['撤销区划 1 个（撤销日期 2024-06-28）：黄坝村 → 黄寨村']
        >>> again = Redated("530424102203", "黄坝村", date(2026, 12, 2), date(2024, 6, 28))
        >>> Retirement("jurisdictions", redated=[again])._retired_notes("区划")
        ['撤销日期改为 2024-06-28 的区划 1 个（原记为 2026-12-02）：黄坝村']
        """
        notes = []
        days: dict[tuple[date, bool], list[RetiredUnit]] = {}
        for unit in self.retired:
            days.setdefault((unit.retired_on, unit.code in self.defaulted), []).append(unit)
        for (day, today), units in sorted(days.items()):
            shown = [_retired_unit(u) for u in units]
            when = (
                f"撤销日期按今天 {day.isoformat()} 记；实际日期可在文件中用{DATE_HEADERS}列给出"
                if today
                else f"撤销日期 {day.isoformat()}"
            )
            notes.append(f"撤销{label} {len(shown)} 个（{when}）：{_listed(shown)}")
        again: dict[tuple[date, date], list[str]] = {}
        for moved in self.redated:
            again.setdefault((moved.new, moved.old), []).append(moved.name)
        for (new, old), names in sorted(again.items()):
            notes.append(
                f"撤销日期改为 {new.isoformat()} 的{label} {len(names)} 个"
                f"（原记为 {old.isoformat()}）：{_listed(names)}"
            )
        return notes


_UNITS = {
    "特殊人群": "名",
    "在办案件": "件",
    CLOSED_AFTER: "件",
    VISITS_AFTER: "条",
    "网格员": "名",
    "摄像机": "路",
}


def _retired_unit(unit: RetiredUnit) -> str:
    """``兴复第12网格 → 兴复第8网格``; a unit re-coded under its name shows both codes."""
    if unit.successor_name is None:
        return unit.name
    if unit.successor_name == unit.name:
        return f"{unit.name}（{unit.code} → {unit.successor_code}）"
    return f"{unit.name} → {unit.successor_name}"


def _counted(counts: Counter[str]) -> str:
    return "、".join(f"{what} {counts[what]} {_UNITS[what]}" for what in _UNITS if counts[what])


def _listed(items: list[str]) -> str:
    return "、".join(items[:SHOWN]) + ("等" if len(items) > SHOWN else "")


def retired_rows(
    conn: psycopg.Connection[Any], table: str, staging: str
) -> list[tuple[int, str, str]]:
    """Return the staged rows that name a retired unit and do not say it is in use again.

    A file that lists a unit retired before, without a 状态 of 在用 (a layer drawn before the
    re-division, sent again), must not bring it back silently. Nor may a row retire a unit
    the database does not have (a mistyped code, or one never imported): it would make a new
    unit, retired, and retire nothing.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    table : str
        ``grids`` or ``jurisdictions``.
    staging : str
        Staging table of the file's rows.

    Returns
    -------
    list of (int, str, str)
        Row number, code and the rule (Chinese).
    """
    said = STATUS in staged_columns(conn, staging)
    rows = conn.execute(
        sql.SQL(
            "SELECT s._row, t.code, t.name, t.retired_on, h.name FROM {s} AS s"
            " JOIN {t} AS t ON t.code = s.code LEFT JOIN {t} AS h ON h.code = t.successor_code"
            " WHERE t.retired_on IS NOT NULL {unsaid} ORDER BY s._row"
        ).format(
            s=sql.Identifier(staging),
            t=sql.Identifier(table),
            unsaid=sql.SQL("AND s.{} IS NULL").format(sql.Identifier(STATUS))
            if said
            else sql.SQL(""),
        )
    ).fetchall()
    found = []
    for row, code, name, day, heir in rows:
        after = f"，由{heir}继承" if heir else ""
        found.append(
            (
                int(row),
                str(code),
                f"{name}已于{day.isoformat()}撤销{after}：要恢复使用，请在状态列写在用",
            )
        )
    return sorted(found + _unknown_retired(conn, table, staging))


def _unknown_retired(
    conn: psycopg.Connection[Any], table: str, staging: str
) -> list[tuple[int, str, str]]:
    """Return the staged rows that retire a unit not on record: nothing to retire."""
    if STATUS not in staged_columns(conn, staging):
        return []
    rows = conn.execute(
        sql.SQL(
            "SELECT s._row, s.code FROM {s} AS s WHERE s.{status} = 'retired'"
            " AND s.code IS NOT NULL"
            " AND NOT EXISTS (SELECT FROM {t} AS t WHERE t.code = s.code) ORDER BY s._row"
        ).format(s=sql.Identifier(staging), t=sql.Identifier(table), status=sql.Identifier(STATUS))
    ).fetchall()
    label = _LABEL[table]
    return [
        (
            int(row),
            str(code),
            f"库中没有这个{label}，无可撤销：请核对编码；确实没有导入过的，从文件中删去此行",
        )
        for row, code in rows
    ]


def unknown_successors(
    conn: psycopg.Connection[Any], table: str, staging: str
) -> list[tuple[int, str]]:
    """Return the staged rows whose 继承编码 is neither in the file nor a unit in use.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    table : str
        ``grids`` or ``jurisdictions``.
    staging : str
        Staging table of the file's rows.

    Returns
    -------
    list of (int, str)
        Row number and the successor as written.
    """
    if SUCCESSOR not in staged_columns(conn, staging):
        return []
    rows = conn.execute(
        sql.SQL(
            "SELECT s._row, s.{h} FROM {s} AS s WHERE s.{h} IS NOT NULL"
            " AND NOT EXISTS (SELECT FROM {s} AS o WHERE o.code = s.{h}"
            " AND o.{status} IS DISTINCT FROM 'retired')"
            " AND NOT EXISTS (SELECT FROM {t} AS t WHERE t.code = s.{h} AND t.retired_on IS NULL)"
            " ORDER BY s._row"
        ).format(
            s=sql.Identifier(staging),
            t=sql.Identifier(table),
            h=sql.Identifier(SUCCESSOR),
            status=sql.Identifier(STATUS),
        )
    ).fetchall()
    return [(int(row), str(code)) for row, code in rows]


def unknown_successor_rule(table: str, code: str) -> str:
    """Return why a row's 继承编码 that names no unit in use is refused, and what to do.

    A 民政局's change table (原区划代码, 调整方式 撤并, 调整后区划代码, 撤销日期) is often imported
    before the new village exists: the new unit comes first (its boundary, or a row of its
    own in the same file).

    Parameters
    ----------
    table : str
        ``grids`` or ``jurisdictions``.
    code : str
        The successor as written.

    Returns
    -------
    str
        The rule (Chinese).

    Examples
    --------
    >>> unknown_successor_rule("jurisdictions", "530424102211").split("：")[1]
    '请先导入新村（社区）的边界或名单（含此代码），再导入本表；或在本文件中加一行写明这个新单位（状态为在用）'
    """
    label = "辖区" if table == "jurisdictions" else "网格"
    first = (
        "新村（社区）的边界或名单（含此代码）" if table == "jurisdictions" else "新网格（含此编码）"
    )
    return (
        f"{code} 不在数据库中在用的{label}里，也不是本文件中在用的{label}："
        f"请先导入{first}，再导入本表；或在本文件中加一行写明这个新单位（状态为在用）"
    )


def snapshot(conn: psycopg.Connection[Any], table: str, staging: str) -> Before:
    """Return which staged units are on record in use, and which retired, before the upsert.

    A row retiring its unit without a 撤销日期 is dated first: a unit retired before keeps its
    day (a retirement stated again), another is retired today (:attr:`Before.defaulted`, which
    the summary says).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    table : str
        ``grids`` or ``jurisdictions``.
    staging : str
        Staging table of the file's rows.

    Returns
    -------
    Before
        For :func:`retire`.
    """
    names = {"t": sql.Identifier(table), "s": sql.Identifier(staging)}
    defaulted: frozenset[str] = frozenset()
    if STATUS in staged_columns(conn, staging):  # 撤销 without a date: as on record, else today
        dated = conn.execute(
            sql.SQL(
                "UPDATE {s} AS s SET retired_on = coalesce((SELECT t.retired_on FROM {t} AS t"
                " WHERE t.code = s.code), {today}) WHERE s.{status} = 'retired'"
                " AND s.retired_on IS NULL RETURNING s.code, NOT EXISTS (SELECT FROM {t} AS t"
                " WHERE t.code = s.code AND t.retired_on IS NOT NULL)"
            ).format(today=TODAY, status=sql.Identifier(STATUS), **names)
        ).fetchall()
        defaulted = frozenset(str(code) for code, today in dated if today)
    rows = conn.execute(
        sql.SQL(
            "SELECT t.code, t.retired_on FROM {t} AS t JOIN {s} AS s ON s.code = t.code"
        ).format(**names)
    ).fetchall()
    live = frozenset(str(code) for code, day in rows if day is None)
    dates = {str(code): day for code, day in rows if day is not None}
    return Before(table, staging, live, frozenset(dates), dates, defaulted)


def retire(
    conn: psycopg.Connection[Any],
    before: Before,
    *,
    complete: tuple[str, str] | None,
    actor: str,
    confirmed: bool = False,
    area: Area | None = None,
) -> Retirement:
    """Retire what the file retires, then re-home the records of every unit retired.

    Run after the upsert, in its transaction.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    before : Before
        From :func:`snapshot`.
    complete : (str, str) or None
        ``--complete``: the code range (``lo``, ``hi``) of ``--within``, whose units of this
        kind the file does not list are retired; ``None``: only what the rows say.
    actor : str
        Who imports (the moved cases' events name them).
    confirmed : bool
        ``--again``: retire the units ``complete`` leaves out even when they are many of the
        area's (:func:`layers.complete_list.unconfirmed`); else none is, and
        :attr:`Retirement.unconfirmed` says how many.
    area : Area, optional
        The ``--within`` area, as :meth:`Retirement.alarm` names it.

    Returns
    -------
    Retirement
        What was retired and moved; :attr:`Retirement.unlisted`, the units retired that the
        file has no row of, are the import's updates beyond its rows.
    """
    table, staging = before.table, before.staging
    done = Retirement(table, area=area)
    columns = staged_columns(conn, staging)
    if STATUS in columns:  # 在用: back in use (an empty cell keeps a retirement, kinds.keep)
        conn.execute(
            sql.SQL(
                "UPDATE {t} AS t SET retired_on = NULL, successor_code = NULL FROM {s} AS s"
                " WHERE s.code = t.code AND s.{status} = 'live' AND t.retired_on IS NOT NULL"
            ).format(
                t=sql.Identifier(table), s=sql.Identifier(staging), status=sql.Identifier(STATUS)
            )
        )
    staged = list(before.live | before.retired)
    retired_now = {
        str(code): str(name)
        for code, name in conn.execute(
            sql.SQL(
                "SELECT code, name FROM {t} WHERE code = ANY(%s) AND retired_on IS NOT NULL"
            ).format(t=sql.Identifier(table)),
            (staged,),
        )
    }
    newly = sorted(before.live & retired_now.keys())
    done.defaulted = set(before.defaulted)
    done.redated = _redated(conn, table, before)
    done.reinstated = [
        str(name)
        for (name,) in conn.execute(
            sql.SQL("SELECT name FROM {t} WHERE code = ANY(%s) ORDER BY code").format(
                t=sql.Identifier(table)
            ),
            (sorted(before.retired - retired_now.keys()),),
        )
    ]
    if FORMER in columns:
        done.unlisted += _retire_former(conn, table, staging, done)
    if complete is not None and not confirmed:
        ending, total = _missing_share(conn, before, complete)
        if unconfirmed(ending, total):
            done.unconfirmed = (ending, total)
            complete = None
    if complete is not None:
        missing = _retire_missing(conn, table, staging, complete)
        done.defaulted.update(missing)
        done.unlisted += missing
    newly += done.unlisted
    if done.redated:
        redated = {moved.code: moved.old for moved in done.redated}
        _heirs(conn, table, list(redated))
        _rehome(conn, table, redated, actor, done, dated_only=True)
        conn.execute("DROP TABLE zz_heirs")
        _follow_grids(conn, table, redated, actor)
    if not newly:
        return done
    found = retired_units(conn, newly)
    done.retired = [found[code] for code in sorted(found)]
    if table == "grids":
        done.leaders = _hand_over_leaders(conn, newly)
    _heirs(conn, table, newly)
    today = import_day(conn)
    _rehome(conn, table, dict.fromkeys(newly, today), actor, done)
    conn.execute("DROP TABLE zz_heirs")
    _follow_grids(conn, table, dict.fromkeys(newly, today), actor)
    return done


def _follow_grids(
    conn: psycopg.Connection[Any],
    table: str,
    villages: dict[str, date],
    actor: str,
) -> None:
    """Move the dated records of the retired grids of the retired ``villages`` dated since.

    A grid is in use no longer than its village: when the village's retirement is dated before
    its grids' (the township re-coded the grids on another day, or a change table dated the
    village again), the closed cases of those grids dated since the village's day go to the
    grid in use around their point, else the grid's successor, as their village went (the
    village's move counted them).
    """
    if table != "jurisdictions" or not villages:
        return
    grids = {
        str(code): villages[str(area)]
        for code, area in conn.execute(
            "SELECT code, area_code FROM grids WHERE area_code = ANY(%s)"
            " AND retired_on IS NOT NULL",
            (list(villages),),
        )
    }
    if not grids:
        return
    _heirs(conn, "grids", list(grids))
    _rehome(conn, "grids", grids, actor, Retirement("grids"), dated_only=True)
    conn.execute("DROP TABLE zz_heirs")


def _redated(conn: psycopg.Connection[Any], table: str, before: Before) -> list[Redated]:
    """Return the units retired before whose ``retired_on`` the file's 撤销 rows changed."""
    if not before.dates:
        return []
    rows = conn.execute(
        sql.SQL(
            "SELECT code, name, retired_on FROM {t} WHERE code = ANY(%s)"
            " AND retired_on IS NOT NULL ORDER BY code"
        ).format(t=sql.Identifier(table)),
        (sorted(before.dates),),
    ).fetchall()
    return [
        Redated(str(code), str(name), before.dates[str(code)], day)
        for code, name, day in rows
        if day != before.dates[str(code)]
    ]


def _retire_former(
    conn: psycopg.Connection[Any], table: str, staging: str, done: Retirement
) -> list[str]:
    """Retire the codes the rows' 原编码 name (a code two rows name has no successor).

    On the row's day (:data:`FORMER_ON`), else the import's (:attr:`Retirement.defaulted`);
    a code retired before that the row dates is dated again (:attr:`Retirement.redated`).
    """
    dated = FORMER_ON in staged_columns(conn, staging)
    names = {
        "t": sql.Identifier(table),
        "s": sql.Identifier(staging),
        "f": sql.Identifier(FORMER),
        "day": sql.SQL("min(s.{})::date").format(sql.Identifier(FORMER_ON))
        if dated
        else sql.SQL("NULL::date"),
    }
    claimed = sql.SQL(
        "SELECT f.code, CASE WHEN count(*) = 1 THEN min(s.code) END AS heir, {day} AS day"
        " FROM {s} AS s CROSS JOIN LATERAL unnest(string_to_array(s.{f}, ',')) AS f (code)"
        " WHERE s.{f} IS NOT NULL AND NOT EXISTS (SELECT FROM {s} AS o WHERE o.code = f.code)"
        " GROUP BY f.code"
    ).format(**names)
    done.redated += [
        Redated(str(code), str(name), old, new)
        for code, name, old, new in conn.execute(
            sql.SQL(
                "UPDATE {t} AS t SET retired_on = c.day FROM ({claimed}) AS c, {t} AS o"
                " WHERE t.code = c.code AND o.code = t.code AND t.retired_on IS NOT NULL"
                " AND c.day IS NOT NULL AND c.day <> t.retired_on"
                " RETURNING t.code, t.name, o.retired_on, t.retired_on"
            ).format(claimed=claimed, **names)
        )
    ]
    done.unknown_former = [
        str(code)
        for (code,) in conn.execute(
            sql.SQL(
                "SELECT c.code FROM ({claimed}) AS c"
                " WHERE NOT EXISTS (SELECT FROM {t} AS t WHERE t.code = c.code) ORDER BY 1"
            ).format(claimed=claimed, **names)
        )
    ]
    retired = conn.execute(
        sql.SQL(
            "UPDATE {t} AS t SET retired_on = coalesce(c.day, {today}), successor_code = c.heir"
            " FROM ({claimed}) AS c WHERE t.code = c.code AND t.retired_on IS NULL"
            " RETURNING t.code, c.day IS NULL"
        ).format(claimed=claimed, today=TODAY, **names)
    ).fetchall()
    done.defaulted.update(str(code) for code, today in retired if today)
    return [str(code) for code, _ in retired]


def _under(table: str, staging: str) -> sql.Composable:
    """Return the condition that a unit ``t`` lies under ``--within``, at the file's levels.

    The half-open range ``[lo, hi)`` (:func:`geo.codes.scope_range`): a village's ``hi`` is the
    next village's code, whose grids a ``BETWEEN`` took in (and retired) too.
    """
    if table == "grids":
        return sql.SQL("t.area_code >= %(lo)s AND t.area_code < %(hi)s")
    return sql.SQL(
        "t.code >= %(lo)s AND t.code < %(hi)s AND t.code <> %(lo)s"
        " AND t.level IN (SELECT level FROM {s})"
    ).format(s=sql.Identifier(staging))


def _missing_share(
    conn: psycopg.Connection[Any], before: Before, within: tuple[str, str]
) -> tuple[int, int]:
    """Return the units ``--complete`` would retire, and those in use there before the import.

    In use before: those it would retire, and those the file lists that were in use (not the
    units it creates, nor those it puts back in use).
    """
    names = {"t": sql.Identifier(before.table), "s": sql.Identifier(before.staging)}
    where = _under(before.table, before.staging)
    row = conn.execute(
        sql.SQL(
            "SELECT count(*) FILTER (WHERE t.retired_on IS NULL"
            " AND NOT EXISTS (SELECT FROM {s} AS s WHERE s.code = t.code)),"
            " count(*) FILTER (WHERE t.code = ANY(%(live)s))"
            " FROM {t} AS t WHERE {where}"
        ).format(where=where, **names),
        {"lo": within[0], "hi": within[1], "live": sorted(before.live)},
    ).fetchone()
    ending, listed = (int(row[0]), int(row[1])) if row else (0, 0)
    return ending, ending + listed


def _retire_missing(
    conn: psycopg.Connection[Any], table: str, staging: str, within: tuple[str, str]
) -> list[str]:
    """Retire the units in use under ``within`` of the file's kind (and levels) it leaves out."""
    where = _under(table, staging)
    return [
        str(code)
        for (code,) in conn.execute(
            sql.SQL(
                "WITH missing AS (SELECT t.code, t.boundary FROM {t} AS t"
                " WHERE {where} AND t.retired_on IS NULL"
                " AND NOT EXISTS (SELECT FROM {s} AS s WHERE s.code = t.code)),"
                " heir AS (SELECT DISTINCT ON (m.code) m.code, n.code AS heir FROM missing AS m"
                " JOIN {t} AS n ON n.code IN (SELECT code FROM {s}) AND n.retired_on IS NULL"
                " AND ST_Intersects(n.boundary, m.boundary)"
                " WHERE ST_Area(ST_Intersection(n.boundary, m.boundary))"
                " >= %(share)s * ST_Area(m.boundary)"
                " ORDER BY m.code, ST_Area(ST_Intersection(n.boundary, m.boundary)) DESC)"
                " UPDATE {t} AS t SET retired_on = {today}, successor_code = h.heir"
                " FROM missing AS m LEFT JOIN heir AS h ON h.code = m.code"
                " WHERE t.code = m.code RETURNING t.code"
            ).format(
                t=sql.Identifier(table),
                s=sql.Identifier(staging),
                where=where,
                today=TODAY,
            ),
            {"lo": within[0], "hi": within[1], "share": MAJOR_SHARE},
        )
    ]


def _hand_over_leaders(conn: psycopg.Connection[Any], codes: list[str]) -> list[str]:
    """Give a successor without a 网格长 the leader of a grid it took over; return its name."""
    rows = conn.execute(
        "UPDATE grids AS n SET leader_id = o.leader_id FROM (SELECT DISTINCT ON (successor_code)"
        " successor_code, leader_id FROM grids WHERE code = ANY(%s) AND leader_id IS NOT NULL"
        " ORDER BY successor_code, code) AS o"
        " WHERE n.code = o.successor_code AND n.leader_id IS NULL RETURNING n.code, n.name",
        (codes,),
    ).fetchall()
    return [str(name) for _, name in sorted(rows)]


def _heirs(conn: psycopg.Connection[Any], table: str, codes: list[str]) -> None:
    """Make ``zz_heirs (origin, heir)``: each retired unit's successor in use (through chains)."""
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE zz_heirs ON COMMIT DROP AS SELECT c.code AS origin, c.live AS heir"
            " FROM ({chain}) AS c WHERE c.code = ANY(%s)"
        ).format(chain=live_successors(table)),
        (codes,),
    )


@dataclass(frozen=True)
class _Records:
    """A table of records that lie in a unit, and which of them a retirement moves.

    ``current`` is over the record ``r``, its retired unit ``o`` and ``d.until``: the day the
    platform learnt of the retirement (the import's, or the day it was on record before it
    was dated again). ``dated``: only records dated on or after the retirement move (history
    dated before stays where it happened), also when a retirement is dated again.
    """

    label: str
    table: str
    column: str
    point: str | None
    current: sql.Composable
    dated: bool = False


_OPEN = sql.SQL("r.state IN ({})").format(sql.SQL(", ").join(map(sql.Literal, sorted(OPEN_STATES))))
_CASE_DAY = "(r.reported_at AT TIME ZONE 'Asia/Shanghai')::date"
_GRID_UNTIL = (
    "coalesce((SELECT least(o.retired_on, v.retired_on) FROM jurisdictions AS v"
    " WHERE v.code = o.area_code AND v.retired_on IS NOT NULL), o.retired_on)"
)
"""SQL: the day retired grid ``o`` stopped being in use: its own, or its village's if earlier."""
_CLOSED_AFTER = {
    table: sql.SQL("NOT {open} AND {day} >= {since} AND {day} < d.until").format(
        open=_OPEN, day=sql.SQL(_CASE_DAY), since=sql.SQL(since)
    )
    for table, since in (("grids", _GRID_UNTIL), ("jurisdictions", "o.retired_on"))
}
"""SQL: a closed case dated on or after its retired unit stopped being in use (by kind)."""
_VISITED_AFTER = sql.SQL("r.visited_on >= o.retired_on AND r.visited_on < d.until")
_PERSONS = sql.SQL("r.ended_on IS NULL")
_WORKING = sql.SQL("r.status <> 'left'")
_ALL = sql.SQL("true")

_AROUND = {
    "grids": (
        "SELECT g.code, g.area_code FROM grids AS g WHERE g.retired_on IS NULL"
        " AND ST_Covers(g.boundary, r.{p}) AND left(g.area_code, 6) = left(r.area_code, 6)"
        " ORDER BY g.code LIMIT 1"
    ),
    "jurisdictions": (
        "SELECT j.code, j.code AS area_code FROM jurisdictions AS j WHERE j.retired_on IS NULL"
        " AND j.level = (SELECT o.level FROM jurisdictions AS o WHERE o.code = r.area_code)"
        " AND ST_Covers(j.boundary, r.{p}) AND left(j.code, 6) = left(r.area_code, 6)"
        " ORDER BY j.code LIMIT 1"
    ),
}
"""SQL: the unit in use of record ``r``'s county around its point ``{p}``, by kind of unit."""
_MOVED = {
    "grids": (
        _Records("特殊人群", "persons", "grid_code", "residence", _PERSONS),
        _Records("在办案件", "cases", "grid_code", "point", _OPEN),
        _Records(CLOSED_AFTER, "cases", "grid_code", "point", _CLOSED_AFTER["grids"], True),
        _Records("网格员", "workers", "home_grid", None, _WORKING),
    ),
    "jurisdictions": (
        _Records("特殊人群", "persons", "area_code", "residence", _PERSONS),
        _Records("在办案件", "cases", "area_code", "point", _OPEN),
        _Records(CLOSED_AFTER, "cases", "area_code", "point", _CLOSED_AFTER["jurisdictions"], True),
        _Records(VISITS_AFTER, "person_visits", "area_code", "point", _VISITED_AFTER, dated=True),
        _Records("网格员", "workers", "area_code", None, _WORKING),
        _Records("摄像机", "video_points", "area_code", "point", _ALL),
    ),
}
"""The records a retired unit's kind moves: a grid's, a village's (and cameras, by village)."""


def _rehome(
    conn: psycopg.Connection[Any],
    table: str,
    codes: dict[str, date],
    actor: str,
    done: Retirement,
    *,
    dated_only: bool = False,
) -> None:
    """Move the records of the retired ``codes`` (→ the day the platform learnt of each).

    ``dated_only``: a retirement dated again moves only the records dated since its new day.
    """
    for records in _MOVED[table]:
        if records.dated or not dated_only:
            _move(conn, records, codes, _AROUND[table], table, actor, done)
    if table == "jurisdictions" and not dated_only:
        _left_with_retired_areas(conn, list(codes), done)


def _left_with_retired_areas(
    conn: psycopg.Connection[Any], codes: list[str], done: Retirement
) -> None:
    """Note the accounts scoped to retired jurisdictions and the grids still in use in them."""
    done.accounts = [
        str(name)
        for (name,) in conn.execute(
            "SELECT username FROM users WHERE scope_code = ANY(%s) AND active ORDER BY 1",
            (codes,),
        )
    ]
    done.live_grids = Counter(
        {
            str(name): int(n)
            for name, n in conn.execute(
                "SELECT j.name, count(*) FROM grids AS g JOIN jurisdictions AS j"
                " ON j.code = g.area_code WHERE g.area_code = ANY(%s) AND g.retired_on IS NULL"
                " GROUP BY j.name",
                (codes,),
            )
        }
    )


def _move(
    conn: psycopg.Connection[Any],
    records: _Records,
    codes: dict[str, date],
    cover: str,
    units: str,
    actor: str,
    done: Retirement,
) -> None:
    """Move the current records of the retired ``codes`` to the unit around them, else the heir.

    The area code follows the new grid's village; a moved case gets an event.
    """
    names = {
        "r": sql.Identifier(records.table),
        "c": sql.Identifier(records.column),
        "u": sql.Identifier(units),
    }
    around = (
        sql.SQL("LEFT JOIN LATERAL (" + cover + ") AS a ON true").format(
            p=sql.Identifier(records.point)
        )
        if records.point is not None
        else sql.SQL("LEFT JOIN (SELECT NULL::text AS code, NULL::text AS area_code) AS a ON true")
    )
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE zz_moves ON COMMIT DROP AS"
            " SELECT r.id, r.{c} AS old, coalesce(a.code, h.heir) AS new FROM {r} AS r"
            " JOIN unnest(%s::text[], %s::date[]) AS d (code, until) ON d.code = r.{c}"
            " JOIN {u} AS o ON o.code = r.{c}"
            " LEFT JOIN zz_heirs AS h ON h.origin = r.{c} {around}"
            " WHERE {current}"
        ).format(around=around, current=records.current, **names),
        (list(codes), list(codes.values())),
    )
    area = sql.SQL(", area_code = u.area_code" if records.column != "area_code" else "")
    version = sql.SQL(", version = r.version + 1" if records.table == "cases" else "")
    moved = conn.execute(
        sql.SQL(
            "UPDATE {r} AS r SET {c} = m.new{area}{version}"
            " FROM zz_moves AS m JOIN {u} AS u ON u.code = m.new"
            " WHERE r.id = m.id AND m.new IS NOT NULL"
        ).format(area=area, version=version, **names)
    ).rowcount
    stranded = conn.execute("SELECT count(*) FROM zz_moves WHERE new IS NULL").fetchone()
    if moved:
        done.moved[records.label] += moved
    if stranded and stranded[0]:
        done.stranded[records.label] += int(stranded[0])
    if records.table == "persons":
        conn.execute(
            "UPDATE person_responsibles AS p SET area_code = r.area_code FROM zz_moves AS m"
            " JOIN persons AS r ON r.id = m.id WHERE p.person_id = m.id AND m.new IS NOT NULL"
        )
    if records.table == "cases":
        conn.execute(
            sql.SQL(
                "INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
                " to_state, note, payload)"
                " SELECT r.id, r.area_code, %s, 'rehomed', r.state, r.state, '区划网格调整：'"
                " || CASE WHEN o.name = u.name THEN o.name || '（' || o.code || ' → ' || u.code"
                " || '）' ELSE o.name || ' → ' || u.name END,"
                " jsonb_build_object('from', m.old, 'to', m.new)"
                " FROM zz_moves AS m JOIN cases AS r ON r.id = m.id"
                " JOIN {u} AS o ON o.code = m.old JOIN {u} AS u ON u.code = m.new"
            ).format(**names),
            (actor[:50],),
        )
        _move_dispatches(conn, units)
    conn.execute("DROP TABLE zz_moves")


def _move_dispatches(conn: psycopg.Connection[Any], units: str) -> None:
    """Keep the dispatches of the cases moved (``zz_moves``) in their case's unit.

    A dispatch is read in its case's jurisdiction (its ``area_code``): the new unit's commander
    must see who handles the case. An open dispatch to a retired village goes to its successor.
    """
    conn.execute(
        "UPDATE dispatches AS d SET area_code = c.area_code FROM zz_moves AS m"
        " JOIN cases AS c ON c.id = m.id WHERE d.case_id = m.id AND m.new IS NOT NULL"
    )
    if units == "jurisdictions":
        conn.execute(
            "UPDATE dispatches SET unit_code = h.heir FROM zz_heirs AS h"
            f" WHERE dispatches.unit_code = h.origin AND {ACTIVE_DISPATCH}"
        )
