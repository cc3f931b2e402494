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
  :mod:`layers.complete_list`) and categories whom it does not list, and names the option. It
  names the area it counted: the townships (by name when few, else their number), not their
  county; and when the ``--within`` it names is wider than them, how many that would strike
  off (``…予以注销：将注销华宁县（530424000000）在册而本文件未列的 547 人``): a clerk who read
  425 must not strike off 547 unawares.

The summary counts per category, never names nor IDs (``名单未列，注销 4 人（社区矫正人员）``);
its line carries the persons struck off, masked (name's first character, category, village:
:class:`StruckOffNote`), which the command line writes to an owner-only file beside the report
(:func:`importers.private_report.write_struck_off`), in a dry run too, for the data officer to
check whom the list dropped. The persons struck off count as updated in the import's counts.
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
from layers.cases import mask_name
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


@dataclass(frozen=True)
class StruckPerson:
    """A person a complete list struck off, as a private list may show them (masked).

    Attributes
    ----------
    name_masked : str
        The name with all but its first character masked (``钱*``).
    category : str
        The category's code.
    place : str
        The name of the unit the person is recorded in (their village, else township).
    """

    name_masked: str
    category: str
    place: str

    @property
    def category_label(self) -> str:
        """``社区矫正人员``."""
        return PersonCategory.labels().get(self.category, self.category)


class StruckOffNote(str):
    """The summary's line of the persons struck off, carrying them (masked) for a private list.

    The summary prints the line (counts only); the command line writes :attr:`persons` to an
    owner-only file beside the report (:func:`importers.private_report.write_struck_off`).
    """

    persons: tuple[StruckPerson, ...]

    def __new__(cls, said: str, persons: Iterable[StruckPerson]) -> StruckOffNote:
        """Return the line ``said``, carrying ``persons``."""
        note = super().__new__(cls, said)
        note.persons = tuple(persons)
        return note


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
    whole : int
        When only the townships of the rows were compared (:attr:`Area.townships`): the
        persons of the file's categories on the register of the whole area it does not list,
        whom ``--within`` that area ``--complete`` would strike off.
    persons : list of StruckPerson
        The persons struck off, masked, by place, category and masked name.
    """

    today: date
    struck: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)
    area: Area | None = None
    held_back: bool = False
    whole: int = 0
    persons: list[StruckPerson] = field(default_factory=list)

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
            said = (
                f"名单未列，注销 {self.struck.total()} 人（{_by_category(self.struck)}）："
                f"本文件为{self.area.label}{_kinds(self.struck)}的全部名单（--complete），"
                f"库中在册而本文件未列的按今天 {self.today.isoformat()} 注销；"
                "不再显示在地图上，不计入走访统计，记录保留"
            )
            notes.append(StruckOffNote(said, self.persons))
        if self.held_back:
            notes.append(INCOMPLETE_NOTE)
        if self.left_out and self.area is not None:
            notes.append(self._left_out_note(self.area))
        return notes

    def _left_out_note(self, area: Area) -> str:
        """Count the persons on the register the file does not list, and what would end them."""
        said = (
            f"库中{area.counted}有在册人员 {self.left_out.total()} 人不在本文件中"
            f"（{_by_category(self.left_out)}）"
        )
        if self.held_back:
            return said
        ends = "予以注销"
        if area.townships:  # the whole area holds more than the townships counted
            ends += f"：将注销{area.label}在册而本文件未列的 {self.whole} 人"
        return (
            f"{said}；如本文件是{area.name}{_kinds(self.left_out)}的全部名单（如司法局、卫健局的"
            f"名单），已离开的可加 --within {area.code} --complete 重新导入{ends}（记录保留）"
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
        ends.persons = _strike_off(conn, listed, area, import_id, user)
        ends.struck = Counter(person.category for person in ends.persons)
    else:
        towns = in_townships_of(staging, "p") if within is None else None
        ends.left_out = _left_out(conn, listed, area, towns)
        if ends.left_out and ends.area.townships:
            ends.whole = _left_out(conn, listed, area, None).total()
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
) -> list[StruckPerson]:
    """End the persons of ``area`` the file does not list, each audited; return them, masked."""
    rows = conn.execute(
        sql.SQL(
            "WITH ended AS (UPDATE persons AS p SET ended_on = {today}, ended_reason = %(reason)s"
            " WHERE {unlisted} RETURNING p.id, p.category, p.name, p.area_code)"
            " SELECT e.id, e.category, e.name, coalesce(j.name, e.area_code) FROM ended AS e"
            " LEFT JOIN jurisdictions AS j ON j.code = e.area_code"
        ).format(today=TODAY, unlisted=_UNLISTED),
        {**_parameters(listed, area), "reason": UNLISTED},
    ).fetchall()
    audit.record_each(
        conn,
        [str(person) for person in sorted(int(row[0]) for row in rows)],
        actor_name=user,
        action=ACTION,
        object_type="person",
        detail={"import_id": import_id, "reason": UNLISTED},
    )
    persons = [
        StruckPerson(mask_name(str(name)) or "", str(code), str(place))
        for _, code, name, place in rows
    ]
    return sorted(persons, key=lambda p: (p.place, p.category, p.name_masked))


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
