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
brings the staged rows up to what is on record before the upsert, and counts the changes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

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
    """

    left: Counter[str] = field(default_factory=Counter)
    returned: int = 0
    first_ended: Counter[str] = field(default_factory=Counter)
    undated: int = 0

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
        return notes


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
    )
