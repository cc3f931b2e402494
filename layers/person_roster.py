"""A complete list of a category ends the persons it no longer lists (名单未列).

司法局's 社区矫正 list, 卫健局's 严重精神障碍 list … is the word on who is in that category in its
area, but an upsert can only add and update persons: one who left (解除矫正, moved away, died)
and whom the next list simply leaves out would stay on the register and on the map for ever.

* ``zongzhi import persons FILE --within CODE --complete``: the file is the whole list, in CODE's
  area, of each category its rows name; the persons of those categories on the register there
  (``ended_on IS NULL``) whom it does not list (by resident-ID hash and category) leave the
  register in the import's transaction: ``ended_on`` the import's day (Asia/Shanghai),
  ``ended_reason`` :data:`layers.person_register.UNLISTED`, each striking-off audited
  (``person.end``, with the import's id). They stay on record with their visits, as any person
  who left. A dry run says what it would do and rolls it back.
* A rejected row (loaded with ``--partial``) still lists the person its resident ID names (in
  every category of the file when its own category cannot be read); a file with a rejected row
  whose resident ID is missing or cannot be read strikes off nobody: the person it meant may be
  on record (:data:`INCOMPLETE_NOTE`).
* A person struck off so whom a later list names is on the register again, said as any return
  (:func:`layers.person_register.settle_register`).
* Without ``--complete`` nobody is struck off, but a note counts, per category, the persons on
  the register of the file's area (the ``--within`` area, else the townships its rows lie in,
  :mod:`layers.complete_list`) and categories whom it does not list, and names the option.

The summary counts per category, never names nor IDs (``名单未列，注销 4 人（社区矫正人员）``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg import sql

from geo.codes import scope_range
from layers import audit
from layers.complete_list import TODAY, Area, file_area, import_day, in_townships_of
from layers.model import PersonCategory
from layers.person_register import UNLISTED

ACTION = "person.end"
"""Audit action of a person struck off by a complete list (one entry per person)."""
INCOMPLETE_NOTE = (
    "有退回的行身份证号缺失或有误，未按 --complete 注销文件未列的人员（库中的人员可能只是"
    "身份证号填错）：改正退回的行后，再按 --complete 重新导入"
)
"""Said when ``--complete --partial`` loads a file with rejected rows whose resident ID cannot
be read: nobody is struck off (rows rejected for another reason still list their persons)."""


@dataclass(frozen=True)
class Listed:
    r"""The persons a file lists, its rejected rows' too.

    Attributes
    ----------
    categories : list of str
        The categories its rows name (codes).
    hashes : list of str
        The resident-ID hash of each row whose ID reads, as staged (``\\x`` and hex digits).
    of_category : list of str or None
        Each hash's category; ``None`` where the row's category cannot be read: the person is
        listed whatever their category.
    """

    categories: list[str]
    hashes: list[str]
    of_category: list[str | None]

    @classmethod
    def of(cls, rows: Iterable[tuple[object, object]]) -> Listed:
        """Return what rows ``(category, id_hash)`` list; a missing value is not a string.

        Parameters
        ----------
        rows : iterable of tuple
            Each row's category code and staged resident-ID hash (``None`` or NaN: unread).

        Returns
        -------
        Listed
            The categories named, and the persons listed.
        """
        categories: set[str] = set()
        hashes: list[str] = []
        of_category: list[str | None] = []
        for category, id_hash in rows:
            named = category if isinstance(category, str) and category else None
            if named is not None:
                categories.add(named)
            if isinstance(id_hash, str) and id_hash:
                hashes.append(id_hash)
                of_category.append(named)
        return cls(sorted(categories), hashes, of_category)


@dataclass
class RosterEnds:
    """What a list of persons struck off, or left out.

    Attributes
    ----------
    today : datetime.date
        The import's day (the striking-off's date).
    struck : collections.Counter
        Category code → persons struck off (``--complete``).
    left_out : collections.Counter
        Without ``--complete`` (or held back): category code → persons on the register of
        :attr:`area` the file does not list.
    area : Area or None
        The area compared.
    held_back : bool
        ``--complete`` struck off nobody: a rejected row's resident ID could not be read.
    """

    today: date
    struck: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)
    area: Area | None = None
    held_back: bool = False

    def notes(self) -> list[str]:
        r"""Return the summary's lines (Simplified Chinese, counts only).

        Returns
        -------
        list of str
            The persons struck off per category, why nobody was, and those left out with the
            option that would strike them off.

        Examples
        --------
        >>> import re
        >>> ends = RosterEnds(date(2026, 12, 2), Counter({"correction": 4}),
        ...                   area=Area("530424000000", "华宁县"))
        >>> print(*re.split("(?<=[：；，])", ends.notes()[0]), sep="\n")
        名单未列，
        注销 4 人（社区矫正人员）：
        本文件为华宁县（530424000000）该类人员的全部名单（--complete），
        库中在册而本文件未列的按今天 2026-12-02 注销；
        不再显示在地图上，
        不计入走访统计，
        记录保留
        >>> left = RosterEnds(date(2026, 12, 2), left_out=Counter({"correction": 3, "mental": 1}),
        ...                   area=Area("530424000000", "华宁县"))
        >>> print(*re.split("(?<=[中；，])", left.notes()[0]), sep="\n")
        库中
        华宁县（530424000000）有在册人员 4 人不在本文件中
        （社区矫正人员 3 人、严重精神障碍患者 1 人）；
        如本文件是华宁县这些类别人员的全部名单（如司法局、卫健局的名单），
        已离开的可加 --within 530424000000 --complete 重新导入予以注销（记录保留）
        """
        notes: list[str] = []
        if self.struck and self.area is not None:
            notes.append(
                f"名单未列，注销 {self.struck.total()} 人（{_by_category(self.struck)}）："
                f"本文件为{self.area.label}{_kinds(self.struck)}的全部名单（--complete），"
                f"库中在册而本文件未列的按今天 {self.today.isoformat()} 注销；"
                "不再显示在地图上，不计入走访统计，记录保留"
            )
        if self.held_back:
            notes.append(INCOMPLETE_NOTE)
        if self.left_out and self.area is not None:
            notes.append(self._left_out_note(self.area))
        return notes

    def _left_out_note(self, area: Area) -> str:
        """Count the persons on the register the file does not list, and what would end them."""
        said = (
            f"库中{area.label}有在册人员 {self.left_out.total()} 人不在本文件中"
            f"（{_by_category(self.left_out)}）"
        )
        if self.held_back:
            return said
        return (
            f"{said}；如本文件是{area.name}{_kinds(self.left_out)}的全部名单（如司法局、卫健局的"
            f"名单），已离开的可加 --within {area.code} --complete 重新导入予以注销（记录保留）"
        )


def _by_category(counts: Counter[str]) -> str:
    """``社区矫正人员`` (one category), else ``社区矫正人员 3 人、严重精神障碍患者 1 人``."""
    labels = PersonCategory.labels()
    if len(counts) == 1:
        return labels.get(next(iter(counts)), next(iter(counts)))
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))  # the most first
    return "、".join(f"{labels.get(code, code)} {n} 人" for code, n in ordered)


def _kinds(counts: Counter[str]) -> str:
    return "该类人员" if len(counts) == 1 else "这些类别人员"


def settle(
    conn: psycopg.Connection[Any],
    listed: Listed,
    staging: str,
    *,
    within: str | None,
    complete: bool,
    held_back: bool,
    import_id: int | None,
    user: str,
) -> RosterEnds:
    """Strike off the persons a complete list leaves out, or count them.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction, after the upsert.
    listed : Listed
        The persons the file lists (:meth:`Listed.of`).
    staging : str
        Staging table of the file's loaded persons (``area_code``).
    within : str or None
        12-digit code of the ``--within`` area; ``None``: the townships the rows lie in.
    complete : bool
        The file is the whole list of its categories in ``within``: strike off the persons it
        leaves out.
    held_back : bool
        ``--complete`` was asked for, but a rejected row's resident ID could not be read:
        strike off nobody, say why.
    import_id : int or None
        The import (``import_runs.id``), recorded in each striking-off's audit entry.
    user : str
        Who imports (the audit entries' actor).

    Returns
    -------
    RosterEnds
        The persons struck off, or left out, per category.
    """
    ends = RosterEnds(today=import_day(conn), held_back=held_back)
    if not listed.categories:
        return ends
    ends.area = file_area(conn, staging, within)
    if ends.area is None:
        return ends
    area = scope_range(ends.area.code)
    if complete and within is not None:
        ends.struck = _strike_off(conn, listed, area, import_id, user)
    else:
        towns = in_townships_of(staging, "p") if within is None else None
        ends.left_out = _left_out(conn, listed, area, towns)
    return ends


_UNLISTED = sql.SQL(
    "p.area_code >= %(lo)s AND p.area_code < %(hi)s AND p.ended_on IS NULL"
    " AND p.category = ANY(%(named)s::text[]) AND NOT EXISTS (SELECT FROM"
    " unnest(%(categories)s::text[], %(hashes)s::text[]::bytea[]) AS l(category, id_hash)"
    " WHERE l.id_hash = p.id_hash AND (l.category IS NULL OR l.category = p.category))"
)
"""The persons on the register of an area and the file's categories whom the file does not list."""


def _parameters(listed: Listed, area: tuple[str, str]) -> dict[str, object]:
    return {
        "lo": area[0],
        "hi": area[1],
        "named": listed.categories,
        "categories": listed.of_category,
        "hashes": listed.hashes,
    }


def _strike_off(
    conn: psycopg.Connection[Any],
    listed: Listed,
    area: tuple[str, str],
    import_id: int | None,
    user: str,
) -> Counter[str]:
    """End the persons of ``area`` the file does not list, each audited; count them."""
    rows = conn.execute(
        sql.SQL(
            "UPDATE persons AS p SET ended_on = {today}, ended_reason = %(reason)s"
            " WHERE {unlisted} RETURNING p.id, p.category"
        ).format(today=TODAY, unlisted=_UNLISTED),
        {**_parameters(listed, area), "reason": UNLISTED},
    ).fetchall()
    audit.record_each(
        conn,
        [str(person) for person in sorted(int(person) for person, _ in rows)],
        actor_name=user,
        action=ACTION,
        object_type="person",
        detail={"import_id": import_id, "reason": UNLISTED},
    )
    return Counter(str(category) for _, category in rows)


def _left_out(
    conn: psycopg.Connection[Any],
    listed: Listed,
    area: tuple[str, str],
    towns: sql.Composable | None,
) -> Counter[str]:
    """Count, per category, the persons of ``area`` (of ``towns``) the file does not list."""
    within = sql.SQL(" AND ") + towns if towns is not None else sql.SQL("")
    rows = conn.execute(
        sql.SQL(
            "SELECT p.category, count(*) FROM persons AS p WHERE {unlisted}{within} GROUP BY 1"
        ).format(unlisted=_UNLISTED, within=within),
        _parameters(listed, area),
    ).fetchall()
    return Counter({str(category): int(n) for category, n in rows})
