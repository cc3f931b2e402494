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
* A ``--complete`` list likely a part of its area's strikes off nobody unless ``--again``
  confirms it (:func:`layers.complete_list.unconfirmed`, the cameras' rule): one that would strike
  off half the persons on the register of its area and categories or more (or more than
  :data:`layers.complete_list.CONFIRM_MANY` and a third: a truncated export), so too of any one
  of its categories (two offices' lists in one file, one truncated), or that has no
  rows in half the townships with such persons or more (a 司法所's list of its township imported
  with its county's ``--within``). Striking off takes a person off the visit lists: nobody
  visits them any more. Its rows load; a red line (:meth:`RosterEnds.alarm`) says how many of
  how many it would strike off in each township (those the file has no rows in first,
  ``文件中没有 青龙镇 的人员``) and that ``--complete --again`` confirms it; no list of persons
  struck off is written (``--complete --again --dry-run`` writes the list of those it would
  strike off); the command exits 1 (:func:`importers.cli.held_back`), in a dry run too.
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
from layers.bulk import ROW_COLUMN
from layers.cases import mask_name
from layers.china_time import TODAY, import_day
from layers.complete_list import Area, file_area, in_townships_of, unconfirmed
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
NAMED_IN_ALARM = 10
"""How many townships the alarm of a striking-off held back names; the rest are summed up."""


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


@dataclass(frozen=True)
class TownshipEnds:
    """What a complete list would strike off in one township of its area.

    Attributes
    ----------
    name : str
        The township's name.
    ending : int
        The persons of the file's categories on its register whom the file does not list.
    on_register : int
        The persons of the file's categories on its register (not those the import added).
    in_file : bool
        Whether the file has rows in it.
    """

    name: str
    ending: int
    on_register: int
    in_file: bool

    @property
    def said(self) -> str:
        """Say how many of how many the township would lose, and when the file has no rows there.

        Examples
        --------
        >>> TownshipEnds("城关镇", 3, 6, True).said
        '城关镇将注销在册 6 人中的 3 人'
        >>> TownshipEnds("青龙镇", 2, 2, False).said
        '文件中没有 青龙镇 的人员，将注销在册 2 人中的 2 人'
        """
        head = self.name if self.in_file else f"文件中没有 {self.name} 的人员，"
        return f"{head}将注销在册 {self.on_register} 人中的 {self.ending} 人"


A_PART = 10
"""A file listing fewer than one person in this many of those it leaves out is a part of the
register (new registrations, a 补录), not a list that might be the whole one."""


def likely_a_part(towns: Iterable[TownshipEnds]) -> bool:
    """Tell whether a complete list, by what it would strike off, waits for ``--again``.

    By :func:`layers.complete_list.unconfirmed`, the rule of every complete list: of the persons
    on the register of its area and categories, and of the townships with such persons or rows
    of the file, those it would strike off wholly (it has no rows there).

    Parameters
    ----------
    towns : iterable of TownshipEnds
        Each township of the area with persons of the file's categories or rows of the file.

    Returns
    -------
    bool
        Whether the striking-off waits for ``--again``.

    Examples
    --------
    >>> town = TownshipEnds("城关镇", 0, 6, True)
    >>> likely_a_part([town, TownshipEnds("青龙镇", 2, 2, False)])  # no rows in 1 of 2
    True
    >>> likely_a_part([TownshipEnds("城关镇", 2, 6, True)])  # 2 of 6 left: an ordinary month
    False
    """
    towns = list(towns)
    ending = sum(town.ending for town in towns)
    on_register = sum(town.on_register for town in towns)
    left_out = sum(1 for town in towns if town.ending and not town.in_file)
    return unconfirmed(ending, on_register) or unconfirmed(left_out, len(towns))


@dataclass(frozen=True)
class CategoryEnds:
    """What a complete list would strike off of one of its categories in its area.

    Attributes
    ----------
    category : str
        The category's code.
    ending : int
        The persons of the category on the area's register whom the file does not list.
    on_register : int
        The persons of the category on the area's register (not those the import added).
    """

    category: str
    ending: int
    on_register: int

    @property
    def said(self) -> str:
        """Say how many of how many of the category would go.

        Examples
        --------
        >>> CategoryEnds("drug", 3, 4).said
        '吸毒人员将注销在册 4 人中的 3 人（75%）'
        """
        label = PersonCategory.labels().get(self.category, self.category)
        share = self.ending / max(self.on_register, 1)
        return f"{label}将注销在册 {self.on_register} 人中的 {self.ending} 人（{share:.0%}）"


def short_categories(categories: Iterable[CategoryEnds]) -> list[CategoryEnds]:
    """Return the categories of which a complete list would strike off too many on their own.

    By :func:`layers.complete_list.unconfirmed`, category by category: a file of two offices'
    lists, one whole and one truncated, would strike off most of the truncated one's category
    while the two together stay under the rule.

    Parameters
    ----------
    categories : iterable of CategoryEnds
        Each category of the file with persons on the area's register.

    Returns
    -------
    list of CategoryEnds
        Those whose striking-off waits for ``--again``.

    Examples
    --------
    >>> short_categories([CategoryEnds("correction", 1, 40), CategoryEnds("drug", 3, 4)])
    [CategoryEnds(category='drug', ending=3, on_register=4)]
    """
    return [c for c in categories if unconfirmed(c.ending, c.on_register)]


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
        Without ``--complete`` (or held back, or unconfirmed): category code → persons on the
        register of :attr:`area` the file does not list.
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
    unconfirmed_of : int or None
        ``--complete`` struck off nobody because it would have struck off :attr:`left_out`,
        too many of the area's (this many of the file's categories on the register) or whole
        townships (:func:`likely_a_part`), without ``--again``.
    townships : list of TownshipEnds
        Unconfirmed: each township of the area, those the file has no rows in first.
    categories : list of CategoryEnds
        Unconfirmed, of a file of two categories or more: what it would strike off of each
        (those of :func:`short_categories` are named in the alarm).
    listed : int or None
        Without ``--complete``: the persons the file lists. Under a tenth of those it leaves
        out (:data:`A_PART`), it is a part (a registration, a 补录), and the note does not offer
        ``--complete``.
    """

    today: date
    struck: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)
    area: Area | None = None
    held_back: bool = False
    whole: int = 0
    persons: list[StruckPerson] = field(default_factory=list)
    unconfirmed_of: int | None = None
    townships: list[TownshipEnds] = field(default_factory=list)
    categories: list[CategoryEnds] = field(default_factory=list)
    listed: int | None = None

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
        >>> few = RosterEnds(date(2026, 12, 2), left_out=Counter({"correction": 318}),
        ...                  area=Area("530424001000", "宁州街道"), listed=1)
        >>> print(few.notes()[0].split("；")[1])
        本文件只列了 1 人，是部分名单（新登记、补录等），未列的人员不受影响，无需处理
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

    def alarm(self) -> str | None:
        r"""Return what the clerk must not miss: a ``--complete`` striking-off left unconfirmed.

        Returns
        -------
        str or None
            How many persons the list would have struck off, of how many on the register, in
            each township (those the file has no rows in first), and how to confirm it
            (``--again``); ``None`` when nothing waits for confirmation.

        Examples
        --------
        >>> import re
        >>> ends = RosterEnds(date(2026, 12, 2), left_out=Counter({"correction": 2}),
        ...                   area=Area("530426000000", "守门县"), unconfirmed_of=8,
        ...                   townships=[TownshipEnds("青龙镇", 2, 2, False),
        ...                              TownshipEnds("城关镇", 0, 6, True)])
        >>> print(*re.split("(?<=[：；，。])", ends.alarm()), sep="\n")
        --complete 未注销任何人员：
        本文件未列守门县（530426000000）在册该类人员 8 人中的 2 人（25%），
        可能只是一部分名单（如一个乡镇的名单、截断的导出）：
        文件中没有 青龙镇 的人员，
        将注销在册 2 人中的 2 人。
        请核对；
        如本文件确是守门县该类人员的全部名单，
        加 --complete --again 重新导入即予注销（加 --dry-run 可先列出将注销的人员）
        """
        if self.unconfirmed_of is None or self.area is None:
            return None
        area, n, total = self.area, self.left_out.total(), self.unconfirmed_of
        kinds = _kinds(Counter(c.category for c in self.categories) or self.left_out)
        return (
            f"--complete 未注销任何人员：本文件未列{area.label}在册{kinds} {total} 人中的 {n} 人"
            f"（{n / max(total, 1):.0%}），可能只是一部分名单（如一个乡镇的名单、截断的导出）："
            f"{_townships_said(self.townships)}{_categories_said(short_categories(self.categories))}"
            "。请核对；"
            f"如本文件确是{area.name}{kinds}的全部"
            "名单，加 --complete --again 重新导入即予注销（加 --dry-run 可先列出将注销的人员）"
        )

    def _left_out_note(self, area: Area) -> str:
        """Count the persons on the register the file does not list, and what would end them."""
        if self.unconfirmed_of is not None:
            return (
                f"文件未列、未注销的{area.label}在册人员 {self.left_out.total()} 人"
                f"（{_by_category(self.left_out)}）"
            )
        said = (
            f"库中{area.counted}有在册人员 {self.left_out.total()} 人不在本文件中"
            f"（{_by_category(self.left_out)}）"
        )
        if self.held_back:
            return said
        if self.listed is not None and A_PART * self.listed < self.left_out.total():
            # a file of a few persons (trial AB: one person, and 318 offered to strike off)
            return (
                f"{said}；本文件只列了 {self.listed} 人，是部分名单（新登记、补录等），"
                "未列的人员不受影响，无需处理"
            )
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


def _categories_said(categories: list[CategoryEnds]) -> str:
    """Say what each category held back for its own share would lose (none: nothing)."""
    said = "；".join(category.said for category in categories)
    return f"；其中{said}" if said else ""


def _townships_said(towns: list[TownshipEnds]) -> str:
    """Say what each township would lose, the first :data:`NAMED_IN_ALARM`, then the rest summed."""
    ending = [town for town in towns if town.ending]
    said = [town.said for town in ending[:NAMED_IN_ALARM]]
    rest = ending[NAMED_IN_ALARM:]
    if rest:
        n = sum(town.ending for town in rest)
        said.append(f"另有 {len(rest)} 个乡镇（街道）共将注销 {n} 人")
    return "；".join(said)


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
    confirmed: bool = False,
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
    confirmed : bool
        ``--again``: strike off the persons left out even when the list is likely a part of
        its area's (:func:`likely_a_part`).

    Returns
    -------
    RosterEnds
        The persons struck off, or left out (or left unconfirmed), per category.
    """
    ends = RosterEnds(today=import_day(conn), held_back=held_back)
    if not listed.categories:
        return ends
    ends.area = file_area(conn, staging, within)
    if ends.area is None:
        return ends
    area = scope_range(ends.area.code)
    if complete and within is not None:
        townships = [] if confirmed else _by_township(conn, listed, area, staging, import_id)
        several = not confirmed and len(listed.categories) > 1
        categories = _per_category(conn, listed, area, import_id) if several else []
        if likely_a_part(townships) or short_categories(categories):  # until --again confirms
            ends.townships = townships
            ends.categories = categories
            ends.unconfirmed_of = sum(town.on_register for town in townships)
            ends.left_out = _left_out(conn, listed, area, None)
            return ends
        ends.persons = _strike_off(conn, listed, area, import_id, user)
        ends.struck = Counter(person.category for person in ends.persons)
    else:
        towns = in_townships_of(staging, "p") if within is None else None
        ends.left_out = _left_out(conn, listed, area, towns)
        ends.listed = len(listed.hashes)
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
_ON_REGISTER = sql.SQL(
    "p.area_code >= %(lo)s AND p.area_code < %(hi)s AND p.ended_on IS NULL"
    " AND p.category = ANY(%(named)s::text[])"
    " AND (%(run)s::bigint IS NULL OR p.import_id IS DISTINCT FROM %(run)s)"
)
"""The persons on the register of an area and the file's categories, but those the import
(``run``) added: what a complete list's striking-off is weighed against."""


def _parameters(listed: Listed, area: tuple[str, str]) -> dict[str, object]:
    return {
        "lo": area[0],
        "hi": area[1],
        "named": listed.categories,
        "categories": listed.of_category,
        "hashes": listed.hashes,
    }


def _by_township(
    conn: psycopg.Connection[Any],
    listed: Listed,
    area: tuple[str, str],
    staging: str,
    import_id: int | None,
) -> list[TownshipEnds]:
    """Return, per township of ``area``, whom the file would strike off of its register.

    The register: the persons of the file's categories on it but those the import added. The
    townships: those with such persons or rows of the file, those without rows first.
    """
    rows = conn.execute(
        sql.SQL(
            "WITH register AS (SELECT left(p.area_code, 9) AS town, count(*) AS on_register"
            " FROM persons AS p WHERE {register} GROUP BY 1),"
            # an anti-join of its own: in an aggregate's FILTER it is a subplan run per person
            " unlisted AS (SELECT left(p.area_code, 9) AS town, count(*) AS ending"
            " FROM persons AS p WHERE {unlisted} GROUP BY 1),"
            " rows AS (SELECT DISTINCT left(s.area_code, 9) AS town FROM {staging} AS s"
            " WHERE s.area_code IS NOT NULL),"
            " towns AS (SELECT coalesce(r.town, f.town) AS town, coalesce(u.ending, 0) AS ending,"
            " coalesce(r.on_register, 0) AS on_register, f.town IS NOT NULL AS in_file"
            " FROM register AS r FULL JOIN rows AS f ON f.town = r.town"
            " LEFT JOIN unlisted AS u ON u.town = coalesce(r.town, f.town))"
            " SELECT coalesce(j.name, rpad(t.town, 12, '0')), t.ending, t.on_register, t.in_file"
            " FROM towns AS t LEFT JOIN jurisdictions AS j ON j.code = rpad(t.town, 12, '0')"
            " ORDER BY t.in_file, t.town"
        ).format(register=_ON_REGISTER, unlisted=_UNLISTED, staging=sql.Identifier(staging)),
        {**_parameters(listed, area), "run": import_id},
    ).fetchall()
    return [
        TownshipEnds(str(name), int(n), int(of), bool(in_file)) for name, n, of, in_file in rows
    ]


def _per_category(
    conn: psycopg.Connection[Any], listed: Listed, area: tuple[str, str], import_id: int | None
) -> list[CategoryEnds]:
    """Return, per category of the file, whom it would strike off of ``area``'s register.

    The register: the persons of the category on it but those the import added.
    """
    rows = conn.execute(
        sql.SQL(
            "WITH register AS (SELECT p.category, count(*) AS on_register FROM persons AS p"
            " WHERE {register} GROUP BY 1),"
            " unlisted AS (SELECT p.category, count(*) AS ending FROM persons AS p"
            " WHERE {unlisted} GROUP BY 1)"
            " SELECT r.category, coalesce(u.ending, 0), r.on_register FROM register AS r"
            " LEFT JOIN unlisted AS u ON u.category = r.category ORDER BY r.category"
        ).format(register=_ON_REGISTER, unlisted=_UNLISTED),
        {**_parameters(listed, area), "run": import_id},
    ).fetchall()
    return [CategoryEnds(str(code), int(n), int(of)) for code, n, of in rows]


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


UNFOLLOWED_NOTE = (
    "{n} 名重点管控（严管）人员没有所属网格，也没有帮扶责任人，不在任何网格员的走访名单上"
    "（{rows}）：请在网格一栏填写其网格，或在帮扶责任人一栏填写网格员的姓名或工号后重新导入本表"
)
"""Said of the strict-control persons of a file whom nobody follows up (:func:`unfollowed`)."""


def unfollowed(conn: psycopg.Connection[Any], staging: str) -> list[int]:
    """Return the rows of the file's 重点管控 persons on the register whom nobody follows up.

    A worker's visit list holds the persons of the worker's grid and those the worker is
    named responsible for (:mod:`layers.visit_schedule`): a strict-control person (严管,
    management level 1) written with no grid and no 帮扶责任人 is on no list (trial AL M2),
    and the import's summary names their rows for the clerk to assign them.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction, after the persons and their responsible
        workers are written.
    staging : str
        Staging table of persons (rejected rows deleted).

    Returns
    -------
    list of int
        The file's row numbers, in order.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT DISTINCT s.{row} FROM {s} AS s JOIN persons AS p"
            " ON p.category = s.category AND p.id_hash = s.id_hash"
            " WHERE p.management_level = 1 AND p.ended_on IS NULL AND p.grid_code IS NULL"
            " AND NOT EXISTS (SELECT FROM person_responsibles AS r WHERE r.person_id = p.id)"
            " ORDER BY 1"
        ).format(s=sql.Identifier(staging), row=sql.Identifier(ROW_COLUMN)),
    ).fetchall()
    return [int(row[0]) for row in rows]


_UNPLACED_PLACE = "（经度、纬度，有坐标即划入所在网格）"
"""What a point does, as the advice of :meth:`Unplaced.note` says it."""


@dataclass(frozen=True)
class Unplaced:
    """The file's persons on the register with no residence point or no grid (trial AV M1).

    A roster with neither (司法局's and 卫健局's lists usually have an address only) puts its
    persons on no map and, without a 帮扶责任人, on no worker's visit list
    (:mod:`layers.visit_schedule`): the summary says how many, as a count when it is most of
    the file, else naming their rows (:meth:`note`).

    Attributes
    ----------
    persons : int
        The file's persons on the register.
    no_point : int
        Of those, with no residence point (未落图): on no map.
    no_grid : int
        Of those, with no grid (未划入网格).
    unlisted : int
        Of those with no grid, with no 帮扶责任人 either: on no worker's visit list.
    neither : int
        Of those, with no point and no grid.
    rows : list of int
        The file's rows of the persons with no point or no grid, in order.
    """

    persons: int
    no_point: int
    no_grid: int
    unlisted: int
    neither: int
    rows: list[int]

    def most(self) -> bool:
        """Return whether most of the file's persons have no point, or no grid."""
        return max(self.no_point, self.no_grid) * 2 > self.persons

    def note(self, rows: str) -> str | None:
        r"""Return what the summary says of the persons with no point or no grid (none: None).

        Parameters
        ----------
        rows : str
            Their rows as the summary names them (``第 3、6 行``), said only when they are
            not most of the file (:meth:`most`): then the note counts them.

        Returns
        -------
        str or None
            The note (Chinese).

        Examples
        --------
        >>> import re
        >>> def show(note):
        ...     print("\n".join(re.split("(?<=[：；])|(?<=），)", note)))
        >>> show(Unplaced(40, 40, 40, 40, 40, [2, 3]).note("第 2、3 行"))
        本表 40 名在册人员全部未落图、未划入网格（没有居住位置坐标，也没有所属网格），
        不会出现在网格员走访清单和地图上：
        请在本表补充居住位置的坐标（经度、纬度，有坐标即划入所在网格）或网格编码后重新导入本表；
        指挥台“走访”页选“未落图/未划入网格”可查看这些人员
        >>> show(Unplaced(10, 2, 1, 0, 1, [3, 6]).note("第 3、6 行"))
        本表 10 名在册人员中 2 人未落图（没有居住位置坐标），
        不会出现在地图上；
        1 人未划入网格（没有所属网格），
        只在其帮扶责任人的走访清单上（第 3、6 行）：
        请在本表补充居住位置的坐标（经度、纬度，有坐标即划入所在网格）或网格编码后重新导入本表；
        指挥台“走访”页选“未落图/未划入网格”可查看这些人员
        >>> Unplaced(10, 0, 0, 0, 0, []).note("") is None
        True
        """
        if not (self.no_point or self.no_grid):
            return None
        n = self.persons

        def share(k: int) -> str:
            return "全部" if k == n else f"{k} 人"

        same = self.neither == self.no_point == self.no_grid == self.unlisted
        if same:
            said = [
                f"{share(self.neither)}未落图、未划入网格（没有居住位置坐标，也没有所属网格），"
                "不会出现在网格员走访清单和地图上"
            ]
        else:
            said = []
            if self.no_point:
                said.append(f"{share(self.no_point)}未落图（没有居住位置坐标），不会出现在地图上")
            if self.no_grid:
                if self.unlisted == self.no_grid:
                    visits = "不会出现在网格员走访清单上"
                elif not self.unlisted:
                    visits = "只在其帮扶责任人的走访清单上"
                else:
                    visits = (
                        f"其中 {self.unlisted} 人也没有帮扶责任人，不会出现在任何网格员的走访清单上"
                    )
                said.append(f"{share(self.no_grid)}未划入网格（没有所属网格），{visits}")
        lead = f"本表 {n} 名在册人员" + ("" if said[0].startswith("全部") else "中 ")
        where = "" if self.most() else f"（{rows}）"
        if self.no_point and self.no_grid:
            fill = f"居住位置的坐标{_UNPLACED_PLACE}或网格编码"
        elif self.no_point:
            fill = "居住位置的坐标（经度、纬度）"
        else:
            fill = "网格编码"
        return (
            f"{lead}{'；'.join(said)}{where}：请在本表补充{fill}后重新导入本表；"
            "指挥台“走访”页选“未落图/未划入网格”可查看这些人员"
        )


def unplaced(conn: psycopg.Connection[Any], staging: str) -> Unplaced:
    """Count the file's persons on the register with no residence point or no grid.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction, after the persons and their responsible
        workers are written.
    staging : str
        Staging table of persons (rejected rows deleted).

    Returns
    -------
    Unplaced
        The counts, and the rows of the persons with no point or no grid.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT min(s.{row}), p.residence IS NULL, p.grid_code IS NULL,"
            " NOT EXISTS (SELECT FROM person_responsibles AS r WHERE r.person_id = p.id)"
            " FROM {s} AS s JOIN persons AS p"
            " ON p.category = s.category AND p.id_hash = s.id_hash"
            " WHERE p.ended_on IS NULL GROUP BY p.id ORDER BY 1"
        ).format(s=sql.Identifier(staging), row=sql.Identifier(ROW_COLUMN)),
    ).fetchall()
    no_point = [bool(row[1]) for row in rows]
    no_grid = [bool(row[2]) for row in rows]
    return Unplaced(
        persons=len(rows),
        no_point=sum(no_point),
        no_grid=sum(no_grid),
        unlisted=sum(bool(row[2] and row[3]) for row in rows),
        neither=sum(p and g for p, g in zip(no_point, no_grid, strict=True)),
        rows=[int(row[0]) for row, p, g in zip(rows, no_point, no_grid, strict=True) if p or g],
    )
