"""What the complete lists of an area share: the area a file is compared with, and the day.

An office's export is the word on what exists in an area: the 雪亮工程 platform's cameras
(:mod:`layers.camera_retirement`), the 司法局's 社区矫正 persons, the 卫健局's 严重精神障碍
patients (:mod:`layers.person_roster`). With ``--within CODE --complete`` the file is the whole
list of CODE's area, and what is on record there that it does not list is ended on the import's
day (:data:`layers.china_time.TODAY`). Without it, a note says what the file leaves out of its area:
the ``--within`` area, else the smallest unit holding the townships its rows lie in
(:func:`file_area`), compared township by township (:func:`in_townships_of`). A note says the
area it counted (:attr:`Area.counted`): the townships by name (a few) or their number, not their
county, whose ``--within`` would end more than the note counts. A list that would end many of
its area's records is likely a part of the list, and waits for ``--again`` (:func:`unconfirmed`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

_LEVELS = (9, 6, 4, 2)
"""Significant prefix lengths of township, county, city and province codes."""


NAMED_TOWNSHIPS = 3
"""How many townships :attr:`Area.counted` names; more are given by their number."""
CONFIRM_MANY = 50
"""Ending more records than this, and at least a third of the area's, needs ``--again`` (as
ending half of them does): :func:`unconfirmed`."""


def unconfirmed(ending: int, on_record: int) -> bool:
    """Tell whether a complete list ending ``ending`` of an area's ``on_record`` needs ``--again``.

    Half of them or more, or more than :data:`CONFIRM_MANY` and a third or more: such a list
    is likely a part of the area's (split by source, by CRS, by township; a truncated export).
    The one rule of every complete list: the cameras it would retire of those in use
    (:mod:`layers.camera_retirement`), the persons it would strike off of those on the
    register, and the townships it has no rows in of those with persons on it
    (:mod:`layers.person_roster`).

    Parameters
    ----------
    ending : int
        The records (cameras, persons, townships) a ``--complete`` list would end.
    on_record : int
        Those of its area before the import.

    Returns
    -------
    bool
        Whether the ending waits for ``--again``.

    Examples
    --------
    >>> unconfirmed(7, 154), unconfirmed(75, 154), unconfirmed(3, 6), unconfirmed(2, 6)
    (False, True, True, False)
    """
    if ending <= 0:
        return False
    return 2 * ending >= on_record or (ending > CONFIRM_MANY and 3 * ending >= on_record)


def ending_share(label: str, ending: int, on_record: int) -> str:
    """Say how many records a complete list would end, of how many in use in its area.

    The phrase a ``--complete`` held back until ``--again`` says (grids, jurisdictions,
    cameras), which the console's 正式导入 repeats beside the box that confirms it
    (trial AR S1).

    Parameters
    ----------
    label : str
        What is ended (网格, 区划, 视频点位).
    ending : int
        How many the list would end.
    on_record : int
        How many of the area's were in use before the import.

    Returns
    -------
    str
        ``将撤销网格 691 个（占本范围 695 个的 99%）``.

    Examples
    --------
    >>> ending_share("网格", 691, 695)
    '将撤销网格 691 个（占本范围 695 个的 99%）'
    """
    share = ending / max(on_record, 1)
    return f"将撤销{label} {ending} 个（占本范围 {on_record} 个的 {share:.0%}）"


ENDING_SHARE = re.compile(r"将撤销(\S+?) (\d+) 个（占本范围 (\d+) 个的 \d+%）")
"""Finds :func:`ending_share`'s phrase in a summary's alarm."""


@dataclass(frozen=True)
class Area:
    """The area a file is compared with.

    Attributes
    ----------
    code : str
        Its code (12 digits): the ``--within`` area, or the smallest unit holding the townships
        the file's rows lie in.
    name : str
        Its name.
    townships : tuple of str
        When the area was found from the rows and they lie in several townships: those
        townships' names, the only part of the area compared (:func:`in_townships_of`).
    """

    code: str
    name: str
    townships: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``华宁县（530424000000）``."""
        return f"{self.name}（{self.code}）"

    @property
    def counted(self) -> str:
        """Return the area a note counted in: the label, or the townships compared.

        Examples
        --------
        >>> Area("530424000000", "华宁县").counted
        '华宁县（530424000000）'
        >>> Area("530424000000", "华宁县", ("宁州街道", "盘溪镇")).counted
        '宁州街道、盘溪镇（本文件各行所在的乡镇）'
        >>> Area("530424000000", "华宁县", tuple("甲乙丙丁")).counted
        '华宁县（530424000000）中本文件各行所在的 4 个乡镇（街道）'
        """
        if not self.townships:
            return self.label
        if len(self.townships) <= NAMED_TOWNSHIPS:
            return f"{'、'.join(self.townships)}（本文件各行所在的乡镇）"
        return f"{self.label}中本文件各行所在的 {len(self.townships)} 个乡镇（街道）"


def file_area(conn: psycopg.Connection[Any], staging: str, within: str | None) -> Area | None:
    """Return the ``--within`` area, else the smallest unit holding the staged rows' townships.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of the file's rows (``area_code``).
    within : str or None
        12-digit code of the ``--within`` area.

    Returns
    -------
    Area or None
        ``None`` when no staged row has a place, or its townships lie in several provinces;
        found from the rows in several townships, it names them (:attr:`Area.townships`).
    """
    towns = [] if within else _townships(conn, staging)
    code = within or _common_unit(towns)
    if code is None:
        return None
    compared = tuple(_name(conn, t.ljust(12, "0")) for t in towns) if len(towns) > 1 else ()
    return Area(code, _name(conn, code), compared)


def _name(conn: psycopg.Connection[Any], code: str) -> str:
    """Return the jurisdiction's name (its code when it has none on record)."""
    row = conn.execute("SELECT name FROM jurisdictions WHERE code = %s", (code,)).fetchone()
    return str(row[0]) if row else code


def in_townships_of(staging: str, alias: str) -> sql.Composable:
    """Return the condition that ``alias``'s row lies in a township of a staged row.

    Parameters
    ----------
    staging : str
        Staging table of the file's rows (``area_code``).
    alias : str
        The compared table's alias in the query (its ``area_code``).

    Returns
    -------
    psycopg.sql.Composable
        ``left(alias.area_code, 9) IN (…)``, to ``AND`` into a ``WHERE``.
    """
    return sql.SQL(
        "left({alias}.area_code, 9) IN (SELECT left(s.area_code, 9) FROM {staging} AS s)"
    ).format(alias=sql.Identifier(alias), staging=sql.Identifier(staging))


def _townships(conn: psycopg.Connection[Any], staging: str) -> list[str]:
    """Return the 9-digit prefixes of the townships the staged rows lie in, in code order."""
    rows = conn.execute(
        sql.SQL(
            "SELECT DISTINCT left(s.area_code, 9) FROM {staging} AS s"
            " WHERE s.area_code IS NOT NULL ORDER BY 1"
        ).format(staging=sql.Identifier(staging))
    ).fetchall()
    return [str(r[0]) for r in rows]


def _common_unit(towns: list[str]) -> str | None:
    """Return the 12-digit code of the smallest unit holding every township (9-digit prefix)."""
    if not towns:
        return None
    for length in _LEVELS:
        prefixes = {t[:length] for t in towns}
        if len(prefixes) == 1:
            return prefixes.pop().ljust(12, "0")
    return None
