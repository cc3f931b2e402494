"""Who is still on the register of special populations, as a roster's 在册状态 says.

A 司法所 roster marks a 社区矫正 person whose supervision ended (解除矫正), others who died, moved
away or were struck off: such a person has left the register. ``persons.ended_on`` says when and
``ended_reason`` why (as the roster wrote it); NULL while the person is followed up. A person
who left stays on record, with their visits, but is off the map and out of the command KPIs and
the follow-up counts (each of those queries says ``ended_on IS NULL``). A later roster that
says 在册 again clears both: the person returned. A person a complete list struck off
(:data:`UNLISTED`, :mod:`layers.person_roster`) whom a later roster names is on the register
again though the roster says nothing of it (no 在册状态 column, or an empty cell): being listed
is what the striking-off lacked.

An import stages, per roster row, what it says (:data:`REGISTER`); :func:`settle_register`
brings the staged rows up to what is on record before the upsert, and counts the changes. It also
holds each person to the 管控级别 their 危险性评估 requires (trial AW S1,
:func:`layers.person_attributes.required_level`): a new row, or a row whose level is less strict,
is raised, and so is a person on record whom a roster without a 管控级别 column gives a higher
grade; and it counts the persons left without the dates their category's reminders need
(:data:`layers.person_attributes.ENTRY_REQUIRED`: an old roster still loads, trial AW m3).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from layers.model import ManagementLevel, PersonCategory
from layers.person_attributes import ENTRY_REQUIRED, missing_required, required_level_sql

REGISTER = "_register"
"""Staging column of persons: what the row says of the register, :data:`ON`, :data:`ENDED` or
:data:`ENDED_UNDATED`; NULL where it says nothing (an empty cell)."""
ON = "on"
"""The person is on the register (在册, 在矫 …)."""
ENDED = "ended"
"""The person left it on the staged ``ended_on`` (the roster's date)."""
ENDED_UNDATED = "ended_undated"
"""The person left it, the roster gives no date: the staged ``ended_on`` is the import day,
unless the person had already left (then that day stays)."""
UNLISTED = "名单未列"
"""``ended_reason`` of a person a complete list of their category no longer lists
(:mod:`layers.person_roster`): a roster's reasons are kept as written, this one the platform
writes."""
UNSAID: dict[str, None] = {"ended_on": None, "ended_reason": None, REGISTER: None}
"""Staged with the rows of a roster without a 在册状态 or 注销日期 column: it says nothing of the
register (:func:`settle_register` keeps what the person has), but it lists them."""
LEVEL_GIVEN = "_level_given"
"""Staging column of persons: non-NULL when the roster gives a 管控级别 column (the row's level is
then written); NULL when it gives none (a person on record keeps theirs, unless their
危险性评估 requires a stricter one): :func:`settle_register` stages the level to write."""


@dataclass(frozen=True)
class RegisterChanges:
    """What a roster changes of who is on the register.

    Attributes
    ----------
    left : collections.Counter
        Reason (as written) → persons on record, followed until now, who left.
    returned : int
        Persons on record who had left and are on the register again.
    first_ended : collections.Counter
        Reason → persons not on record, imported as having left (history).
    undated : int
        Of those two, the persons whose row gives no day: they left on the import's day.
    raised : collections.Counter
        Level required (1, 2) → persons whose 管控级别 was raised to what their 危险性评估
        requires.
    lacking : collections.Counter
        ``(category label, field label)`` → persons left without a date their category's
        reminders need (矫正结束日期, 释放日期).
    """

    left: Counter[str] = field(default_factory=Counter)
    returned: int = 0
    first_ended: Counter[str] = field(default_factory=Counter)
    undated: int = 0
    raised: Counter[int] = field(default_factory=Counter)
    lacking: Counter[tuple[str, str]] = field(default_factory=Counter)

    def notes(self) -> list[str]:
        """Return what an import's summary says of the changes (Chinese, counts only).

        Examples
        --------
        >>> RegisterChanges(Counter({"解除矫正": 3, "死亡": 1}), 2, Counter({"迁出": 1}), 1).notes()
        ... # doctest: +NORMALIZE_WHITESPACE
        ['4 人注销（解除矫正 3 人、死亡 1 人）：不再显示在地图上，不计入走访统计，走访记录保留',
         '2 人此前已注销，本文件为在册：已恢复在册',
         '另有 1 人库中原无记录、本文件即为注销（迁出 1 人）：作为历史记录导入，不显示在地图上',
         '其中 1 人没有注销日期，注销日期记为导入当天']
        >>> lacking = Counter({("刑满释放人员", "释放日期"): 3})
        >>> RegisterChanges(raised=Counter({1: 2}), lacking=lacking).notes()
        ... # doctest: +NORMALIZE_WHITESPACE
        ['2 名严重精神障碍患者的管控级别低于其危险性评估的要求，已按规定提级（危险性评估 3–5
          级提为重点管控 2 人），应访日期随之提前',
         '3 名刑满释放人员没有释放日期：照常导入；司法所的到期提醒要按此日期计算，请补齐']
        """
        notes = []
        if self.left:
            notes.append(
                f"{self.left.total()} 人注销（{_by_reason(self.left)}）："
                "不再显示在地图上，不计入走访统计，走访记录保留"
            )
        if self.returned:
            notes.append(f"{self.returned} 人此前已注销，本文件为在册：已恢复在册")
        if self.first_ended:
            notes.append(
                f"另有 {self.first_ended.total()} 人库中原无记录、本文件即为注销"
                f"（{_by_reason(self.first_ended)}）：作为历史记录导入，不显示在地图上"
            )
        if self.undated:
            notes.append(f"其中 {self.undated} 人没有注销日期，注销日期记为导入当天")
        if self.raised:
            by_level = "、".join(
                f"{_GRADES[level]}提为{ManagementLevel.label_of(str(level))} {n} 人"
                for level, n in sorted(self.raised.items())
            )
            notes.append(
                f"{self.raised.total()} 名严重精神障碍患者的管控级别低于其危险性评估的要求，"
                f"已按规定提级（{by_level}），应访日期随之提前"
            )
        for (category, label), n in sorted(self.lacking.items()):
            notes.append(
                f"{n} 名{category}没有{label}：照常导入；司法所的到期提醒要按此日期计算，请补齐"
            )
        return notes


_GRADES = {1: "危险性评估 3–5 级", 2: "危险性评估 1–2 级"}
"""The grades that require each level (:data:`layers.person_attributes.RISK_LEVELS`)."""


def _by_reason(counts: Counter[str]) -> str:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))  # the most first
    return "、".join(f"{reason} {n} 人" for reason, n in ordered)


def settle_register(conn: psycopg.Connection[Any], staging: str) -> RegisterChanges:
    """Bring staged persons up to the register as on record; return what the rows change.

    A row that says nothing of the register (NULL :data:`REGISTER`) keeps what the person
    has, unless a complete list struck the person off (:data:`UNLISTED`): listed again, they
    return. A row saying the person left, without a date, keeps the day a person who had
    already left left. Run on the rows that will load (rejected ones deleted), before the upsert.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of persons (``category``, ``id_hash``, ``ended_on``, ``ended_reason``,
        :data:`REGISTER`).

    Returns
    -------
    RegisterChanges
        Persons who left, returned, or come in as having left.
    """
    staged = sql.Identifier(staging)
    register = sql.Identifier(REGISTER)
    match = sql.SQL("p.category = s.category AND p.id_hash = s.id_hash")
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET ended_on = p.ended_on, ended_reason = p.ended_reason"
            " FROM persons AS p WHERE {match} AND s.{register} IS NULL"
            " AND p.ended_reason IS DISTINCT FROM %s"
        ).format(s=staged, match=match, register=register),
        (UNLISTED,),
    )
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET ended_on = p.ended_on FROM persons AS p"
            " WHERE {match} AND s.{register} = %s AND p.ended_on IS NOT NULL"
        ).format(s=staged, match=match, register=register),
        (ENDED_UNDATED,),
    )
    rows = conn.execute(
        sql.SQL(
            "SELECT s.ended_reason, p.id IS NULL AS new, s.{register} = %s AS undated,"
            " count(*) FROM {s} AS s LEFT JOIN persons AS p ON {match}"
            " WHERE s.{register} IN (%s, %s) AND (p.id IS NULL OR p.ended_on IS NULL)"
            " GROUP BY 1, 2, 3"
        ).format(s=staged, match=match, register=register),
        (ENDED_UNDATED, ENDED, ENDED_UNDATED),
    ).fetchall()
    returned = conn.execute(
        sql.SQL(
            "SELECT count(*) FROM {s} AS s JOIN persons AS p ON {match}"
            " WHERE p.ended_on IS NOT NULL"
            " AND (s.{register} = %s OR s.{register} IS NULL AND p.ended_reason = %s)"
        ).format(s=staged, match=match, register=register),
        (ON, UNLISTED),
    ).fetchone()
    left: Counter[str] = Counter()
    first_ended: Counter[str] = Counter()
    for reason, new, _, n in rows:
        (first_ended if new else left)[str(reason)] += int(n)
    return RegisterChanges(
        left=left,
        returned=int(returned[0]) if returned else 0,
        first_ended=first_ended,
        undated=sum(int(n) for _, _, undated, n in rows if undated),
        raised=_raise_levels(conn, staged, match),
        lacking=_lacking_dates(conn, staged, match),
    )


def _raise_levels(
    conn: psycopg.Connection[Any], staged: sql.Identifier, match: sql.SQL
) -> Counter[int]:
    """Hold the staged persons to the 管控级别 their 危险性评估 requires; count those raised.

    The grade is the row's, else the record's (the attributes merge); the level is the row's
    when the roster gives one (:data:`LEVEL_GIVEN`) or the person is new, else the record's.
    Each staged row is given the level it comes to, which the upsert writes (a person on record
    whom a roster without a 管控级别 column gives a higher grade is raised by the upsert, and
    the change is the import's, as any other field's).
    """
    merged = "(coalesce(p.attributes, '{}'::jsonb) || coalesce(s.attributes, '{}'::jsonb))"
    required = sql.SQL(required_level_sql("s.category", merged))
    given = sql.SQL("(s.{g} IS NOT NULL OR p.id IS NULL)").format(g=sql.Identifier(LEVEL_GIVEN))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE zz_required_levels ON COMMIT DROP AS"
            " SELECT s._row, {required} AS required,"
            " CASE WHEN {given} THEN s.management_level ELSE p.management_level END AS level"
            " FROM {s} AS s LEFT JOIN persons AS p ON {match}"
        ).format(required=required, given=given, s=staged, match=match)
    )
    try:
        conn.execute(
            sql.SQL(
                "UPDATE {s} AS s SET management_level = least(r.level, coalesce(r.required, 3))"
                " FROM zz_required_levels r WHERE r._row = s._row"
            ).format(s=staged)
        )
        rows = conn.execute(
            "SELECT required, count(*) FROM zz_required_levels WHERE level > required GROUP BY 1"
        ).fetchall()
    finally:
        conn.execute("DROP TABLE zz_required_levels")
    return Counter({int(level): int(n) for level, n in rows})


def _lacking_dates(
    conn: psycopg.Connection[Any], staged: sql.Identifier, match: sql.SQL
) -> Counter[tuple[str, str]]:
    """Count the staged persons on the register left without a date their category needs."""
    merged = sql.SQL("(coalesce(p.attributes, '{}'::jsonb) || coalesce(s.attributes, '{}'::jsonb))")
    lacking: Counter[tuple[str, str]] = Counter()
    for category, names in ENTRY_REQUIRED.items():
        labels = missing_required(category, {})  # each field's label, in their order
        for name, field_label in zip(names, labels, strict=True):
            n = conn.execute(
                sql.SQL(
                    "SELECT count(*) FROM {s} AS s LEFT JOIN persons AS p ON {match}"
                    " WHERE s.category = %s AND s.ended_on IS NULL"
                    " AND nullif({merged} ->> %s, '') IS NULL"
                ).format(s=staged, match=match, merged=merged),
                (category, name),
            ).fetchone()
            if n and n[0]:
                lacking[(PersonCategory.label_of(category), field_label)] += int(n[0])
    return lacking
