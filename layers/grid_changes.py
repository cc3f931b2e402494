"""What importing grids or jurisdictions does to the records around them.

A grids file redraws a township's grids (网格调整): it renames some, moves boundaries, adds
grids, and leaves out the grids it merged away. Records placed by their point then lie in
another grid than the one they carry, and the grids the file leaves out still lie under the
new ones. Around the upsert of such a file, in its transaction (a dry run rolls it all back):

* :func:`snapshot` keeps the staged units as they were on record (code, name, and for grids
  the boundary) before the upsert;
* :func:`settle` then compares: the units renamed (a jurisdictions file too: 前冲村 →
  前冲村委会), the grids whose boundary moved more than :data:`layers.bulk.GEOMETRY_TOLERANCE`
  (Hausdorff distance), the grids on record that the file does not list and that overlap one
  of its grids (:data:`OVERLAP_SHARE`, :data:`OVERLAP_MIN_M2`), and, for the grids whose
  boundary moved, the records their move left outside:

  - a special-population person's grid is derived from the residence point (importers give a
    person without a grid the grid the point lies in): a person whose point the old boundary
    covered and the new one does not moves to the grid of the county that now covers the
    point, when exactly one does (grid and village both); the others stay, counted;
  - an open case stays in its grid (the grid decides who handles it: moving open work
    silently is wrong), and is listed; a closed case keeps its historical grid, unsaid.

Cameras carry no grid (they are counted by location), and a worker's grid (home_grid) is
assigned by a roster, never derived from a point: neither is touched.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import GEOMETRY_TOLERANCE
from layers.workflow import OPEN_STATES

UNIT_TABLES = ("jurisdictions", "grids")
"""The tables whose imports :func:`snapshot` and :func:`settle` follow."""

OVERLAP_SHARE = 0.01
"""How much of the smaller of two grids their overlap must cover to be listed. Grids drawn
separately along a shared edge overlap by a sliver (the edge's length times a few metres of
digitising error, well under 1% of a grid); a grid left under a new one overlaps most of
it."""
OVERLAP_MIN_M2 = 100.0
"""And how large (square metres) at least: a sliver of small urban grids is no overlap."""

SHOWN = 10
"""How many renames, grids or overlaps a note lists before it says 等."""
SHOWN_CASES = 5
"""How many open cases a note lists."""


COMMITTEE_SUFFIX = "(村民委员会|村委会|居民委员会|居委会)$"
"""A unit's governing committee at the end of its name: 前冲村委会 (前冲 + 村委会, short for 前冲村
村民委员会), 邻村村民委员会, 新复社区居委会."""


@dataclass(frozen=True)
class ShortNames:
    """The names a jurisdictions file gave with its units' committees, as they are kept.

    Attributes
    ----------
    kept : list of str
        Names on record kept (前冲村 for 前冲村委会), by code.
    shortened : list of str
        New units named as the file's units on record are (柳岭村委会 → 柳岭村), by code.
    """

    kept: list[str]
    shortened: list[str]

    def notes(self) -> list[str]:
        """Return the summary's lines.

        Examples
        --------
        >>> ShortNames(["前冲村", "新复社区"], ["柳岭村"]).notes()  # doctest: +NORMALIZE_WHITESPACE
        ['名称只多“村委会”“居委会”等字样的 2 个未改名：前冲村、新复社区',
         '新单位 1 个同样不写“村委会”“居委会”等字样：柳岭村']
        """
        notes = []
        if self.kept:
            notes.append(
                f"名称只多“村委会”“居委会”等字样的 {len(self.kept)} 个未改名：{_listed(self.kept)}"
            )
        if self.shortened:
            notes.append(
                f"新单位 {len(self.shortened)} 个同样不写“村委会”“居委会”等字样："
                f"{_listed(self.shortened)}"
            )
        return notes


_BASE = "regexp_replace(s.name, %(suffix)s, '')"
"""SQL: staged unit ``s``'s name without its committee's suffix."""


def keep_short_names(conn: psycopg.Connection[Any], staging: str) -> ShortNames:
    """Keep the names on record that a jurisdictions file gives with the committee's suffix.

    A surveying bureau's layer names villages by their committees (XZQMC 前冲村委会): the same
    village as 前冲村 on record, not a rename. Its staged name becomes the one on record; and
    when the file names units on record so, its new units are named alike (柳岭村委会: 柳岭村,
    南河社区居委会: 南河社区), as the villages beside them are.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of a jurisdictions file (before the upsert).

    Returns
    -------
    ShortNames
        The names kept and those shortened.
    """
    params = {"suffix": COMMITTEE_SUFFIX}
    kept = conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET name = j.name FROM jurisdictions AS j"
            " WHERE j.code = s.code AND s.name ~ %(suffix)s"
            " AND j.name IN ({base}, {base} || '村') RETURNING j.code, j.name"
        ).format(s=sql.Identifier(staging), base=sql.SQL(_BASE)),
        params,
    ).fetchall()
    if not kept:
        return ShortNames([], [])
    shortened = conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET name = CASE WHEN s.name ~ '村(民委员会|委会)$'"
            " AND {base} !~ '村$' THEN {base} || '村' ELSE {base} END"
            " WHERE s.name ~ %(suffix)s AND {base} <> ''"
            " AND NOT EXISTS (SELECT FROM jurisdictions AS j WHERE j.code = s.code)"
            " RETURNING s.code, s.name"
        ).format(s=sql.Identifier(staging), base=sql.SQL(_BASE)),
        params,
    ).fetchall()
    return ShortNames(
        [str(name) for _, name in sorted(kept)], [str(name) for _, name in sorted(shortened)]
    )


@dataclass(frozen=True)
class Overlap:
    """A grid on record, not in the file, that overlaps one of the file's grids.

    Attributes
    ----------
    old_code, old_name : str
        The grid on record.
    new_code, new_name : str
        The file's grid it overlaps.
    area_m2 : float
        The overlap's area (square metres, on the ellipsoid).
    """

    old_code: str
    old_name: str
    new_code: str
    new_name: str
    area_m2: float


@dataclass(frozen=True)
class CaseOutside:
    """An open case whose point the move of its grid's boundary left outside it.

    Attributes
    ----------
    code : str
        The case's code.
    grid : str
        Its grid's name.
    lies_in : str or None
        The grids whose boundary covers its point now (names joined by 、), if any.
    """

    code: str
    grid: str
    lies_in: str | None


@dataclass(frozen=True)
class UnitChanges:
    """What an import of grids or jurisdictions changed around the units it names.

    Attributes
    ----------
    renamed : list of (str, str)
        Old name → new name of the units on record the file renamed.
    moved : list of str
        Names of the grids whose boundary moved.
    overlaps : list of Overlap
        Grids on record the file does not list that overlap its grids, largest first.
    rehomed : collections.Counter
        (old grid name, new grid name) → persons moved by their residence point.
    stranded : int
        Persons the move left outside their grid whose point lies in no other grid of their
        county, or in several: they stay.
    no_point : int
        Persons of the grids whose boundary moved that have no residence point: they stay.
    cases_outside : list of CaseOutside
        Open cases the move left outside their grid (not moved), by code.
    """

    renamed: list[tuple[str, str]] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    rehomed: Counter[tuple[str, str]] = field(default_factory=Counter)
    stranded: int = 0
    no_point: int = 0
    cases_outside: list[CaseOutside] = field(default_factory=list)

    def notes(self) -> list[str]:
        """Return what the import's summary says of them (Chinese; counts, names of units).

        Examples
        --------
        >>> UnitChanges(
        ...     renamed=[("前冲村", "前冲村委会")],
        ...     moved=["兴复第7网格"],
        ...     rehomed=Counter({("兴复第7网格", "兴复第8网格"): 4}),
        ...     no_point=2,
        ... ).notes()  # doctest: +NORMALIZE_WHITESPACE
        ['改名 1 个：前冲村 → 前冲村委会', '边界有变的网格 1 个：兴复第7网格',
         '4 名特殊人群按住址点位改属新网格（兴复第7网格 → 兴复第8网格 4 名）',
         '边界有变的网格中有 2 名特殊人群没有住址点位，仍属原网格，请核对']
        """
        notes = []
        if self.renamed:
            renames = [f"{old} → {new}" for old, new in self.renamed]
            notes.append(f"改名 {len(renames)} 个：{_listed(renames)}")
        if self.moved:
            notes.append(f"边界有变的网格 {len(self.moved)} 个：{_listed(self.moved)}")
        if self.overlaps:
            notes.append(_overlap_note(self.overlaps))
        if self.rehomed:
            moves = sorted(self.rehomed.items(), key=lambda item: (-item[1], item[0]))
            shown = [f"{old} → {new} {n} 名" for (old, new), n in moves]
            notes.append(
                f"{self.rehomed.total()} 名特殊人群按住址点位改属新网格（{_listed(shown)}）"
            )
        if self.stranded:
            notes.append(
                f"{self.stranded} 名特殊人群的住址点位已不在原网格内，但不在本县其他网格内"
                "（或同时在多个网格内），仍属原网格，请核对"
            )
        if self.no_point:
            notes.append(
                f"边界有变的网格中有 {self.no_point} 名特殊人群没有住址点位，仍属原网格，请核对"
            )
        if self.cases_outside:
            shown = [_case(c) for c in self.cases_outside[:SHOWN_CASES]]
            more = "等" if len(self.cases_outside) > SHOWN_CASES else ""
            notes.append(
                f"{len(self.cases_outside)} 件在办案件的点位已不在所属网格内，"
                f"未改动（仍由原网格办理）：{'、'.join(shown)}{more}"
            )
        return notes


def _listed(items: list[str]) -> str:
    return "、".join(items[:SHOWN]) + ("等" if len(items) > SHOWN else "")


def _area(m2: float) -> str:
    return f"{m2 / 1e6:.3f} 平方公里" if m2 >= 10_000 else f"{m2:.0f} 平方米"


def _overlap_note(overlaps: list[Overlap]) -> str:
    grids = len({o.old_code for o in overlaps})
    pairs = [
        f"{o.old_name}（{o.old_code}）与{o.new_name}（{o.new_code}）重叠 {_area(o.area_m2)}"
        for o in overlaps
    ]
    return (
        f"库中有 {grids} 个网格不在本文件中，却与本文件的网格重叠：{_listed(pairs)}。"
        "这些旧网格仍在使用，与新网格重叠，按点位定网格的人员和案件仍可能归入旧网格；"
        "如是文件漏列，请补入后重新导入；如已撤并，请在文件中写明（状态列写撤销，"
        "或在新网格的原网格编码列写旧编码），或者文件是乡镇的全部网格时，"
        "加 --within 乡镇代码 --complete 重新导入"
    )


def _case(case: CaseOutside) -> str:
    where = f"点位在{case.lies_in}" if case.lies_in else "点位不在任何网格内"
    return f"{case.code}（{case.grid}，{where}）"


def snapshot(conn: psycopg.Connection[Any], table: str, staging: str) -> str:
    """Keep the staged units as they are on record, before the upsert changes them.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    table : str
        ``grids`` or ``jurisdictions`` (:data:`UNIT_TABLES`).
    staging : str
        The staging table of the import (its ``code`` column), the rejected rows deleted.

    Returns
    -------
    str
        A TEMP table (dropped at commit) of each staged code with the unit's ``name`` and,
        for grids, ``boundary`` on record (NULL for a new unit): for :func:`settle`.
    """
    if table not in UNIT_TABLES:
        raise ValueError(f"not a unit table: {table}")
    name = f"{staging}_before"
    boundary = sql.SQL(", u.boundary") if table == "grids" else sql.SQL("")
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT DISTINCT ON (s.code) s.code,"
            " u.name{boundary} FROM {staging} AS s LEFT JOIN {table} AS u ON u.code = s.code"
            " WHERE s.code IS NOT NULL ORDER BY s.code"
        ).format(
            name=sql.Identifier(name),
            boundary=boundary,
            staging=sql.Identifier(staging),
            table=sql.Identifier(table),
        )
    )
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
    return name


def settle(conn: psycopg.Connection[Any], table: str, before: str) -> UnitChanges:
    """Compare the units with :func:`snapshot`'s; re-home the persons a grid's move moved.

    Run after the upsert, in its transaction.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    table : str
        ``grids`` or ``jurisdictions``.
    before : str
        The table :func:`snapshot` returned (dropped here).

    Returns
    -------
    UnitChanges
        Renames; for grids also the boundaries moved, the overlaps with grids the file does
        not list, the persons re-homed or left, the open cases left outside their grid.
    """
    names = sql.Identifier(before)
    renamed = conn.execute(
        sql.SQL(
            "SELECT b.name, u.name FROM {before} AS b JOIN {table} AS u USING (code)"
            " WHERE b.name IS DISTINCT FROM u.name AND b.name IS NOT NULL ORDER BY code"
        ).format(before=names, table=sql.Identifier(table))
    ).fetchall()
    changes = UnitChanges(renamed=[(str(old), str(new)) for old, new in renamed])
    if table == "grids":
        changes = _settle_grids(conn, before, changes)
    conn.execute(sql.SQL("DROP TABLE {}").format(names))
    return changes


def _settle_grids(conn: psycopg.Connection[Any], before: str, changes: UnitChanges) -> UnitChanges:
    names = sql.Identifier(before)
    moved = conn.execute(
        sql.SQL(
            "SELECT code, g.name FROM {before} AS b JOIN grids AS g USING (code)"
            " WHERE b.boundary IS NOT NULL AND g.boundary IS NOT NULL"
            " AND NOT ST_OrderingEquals(b.boundary, g.boundary)"
            " AND ST_HausdorffDistance(b.boundary, g.boundary) > %s ORDER BY code"
        ).format(before=names),
        (GEOMETRY_TOLERANCE,),
    ).fetchall()
    codes = [str(code) for code, _ in moved]
    rehomed, stranded, no_point = _rehome_persons(conn, before, codes) if codes else ({}, 0, 0)
    return UnitChanges(
        renamed=changes.renamed,
        moved=[str(name) for _, name in moved],
        overlaps=_overlaps(conn, before),
        rehomed=Counter(rehomed),
        stranded=stranded,
        no_point=no_point,
        cases_outside=_open_cases_outside(conn, before, codes) if codes else [],
    )


_LEFT_OUT = sql.SQL("ST_Covers(b.boundary, {point}) AND NOT ST_Covers(g.boundary, {point})")
"""SQL: the move of grid ``g`` (``b`` as it was) left ``point`` outside it."""
_COVERING = sql.SQL(
    "ST_Covers(n.boundary, {point}) AND left(n.area_code, 6) = left({area}, 6) AND n.code <> {grid}"
    " AND n.retired_on IS NULL"
)
"""SQL: grid ``n`` in use of the record's county, not its own, covers its ``point``."""


def _rehome_persons(
    conn: psycopg.Connection[Any], before: str, codes: list[str]
) -> tuple[dict[tuple[str, str], int], int, int]:
    """Move the persons the grids' move left outside to the one grid now covering them.

    Returns (old grid name, new grid name) → persons moved, the persons left (no grid, or
    several), and the persons of the moved grids without a point.
    """
    rows = conn.execute(
        sql.SQL(
            "WITH outside AS (SELECT p.id, p.grid_code, p.area_code, p.residence, g.name"
            " FROM persons AS p JOIN {before} AS b ON b.code = p.grid_code"
            " JOIN grids AS g ON g.code = p.grid_code"
            " WHERE p.grid_code = ANY(%(codes)s::char(15)[]) AND {left_out}),"
            " target AS (SELECT o.id, o.name AS old, count(n.code) AS grids,"
            " min(n.code) AS code, min(n.area_code) AS area_code, min(n.name) AS new"
            " FROM outside AS o LEFT JOIN grids AS n ON {covering} GROUP BY o.id, o.name),"
            " moved AS (UPDATE persons AS p SET grid_code = t.code, area_code = t.area_code"
            " FROM target AS t WHERE p.id = t.id AND t.grids = 1 RETURNING p.id)"
            " SELECT t.old, CASE WHEN t.grids = 1 THEN t.new END, count(*)"
            " FROM target AS t GROUP BY 1, 2"
        ).format(
            before=sql.Identifier(before),
            left_out=_LEFT_OUT.format(point=sql.SQL("p.residence")),
            covering=_COVERING.format(
                point=sql.SQL("o.residence"),
                area=sql.SQL("o.area_code"),
                grid=sql.SQL("o.grid_code"),
            ),
        ),
        {"codes": codes},
    ).fetchall()
    rehomed = {(str(old), str(new)): int(n) for old, new, n in rows if new is not None}
    stranded = sum(int(n) for _, new, n in rows if new is None)
    row = conn.execute(
        "SELECT count(*) FROM persons WHERE grid_code = ANY(%s::char(15)[]) AND residence IS NULL",
        (codes,),
    ).fetchone()
    return rehomed, stranded, int(row[0]) if row else 0


def _open_cases_outside(
    conn: psycopg.Connection[Any], before: str, codes: list[str]
) -> list[CaseOutside]:
    """Return the open cases the grids' move left outside their grid (not moved)."""
    rows = conn.execute(
        sql.SQL(
            "SELECT c.code, g.name, (SELECT string_agg(n.name, '、' ORDER BY n.code)"
            " FROM grids AS n WHERE {covering})"
            " FROM cases AS c JOIN {before} AS b ON b.code = c.grid_code"
            " JOIN grids AS g ON g.code = c.grid_code"
            " WHERE c.grid_code = ANY(%(codes)s::varchar(15)[]) AND c.state = ANY(%(open)s)"
            " AND {left_out} ORDER BY c.code"
        ).format(
            before=sql.Identifier(before),
            left_out=_LEFT_OUT.format(point=sql.SQL("c.point")),
            covering=_COVERING.format(
                point=sql.SQL("c.point"), area=sql.SQL("c.area_code"), grid=sql.SQL("c.grid_code")
            ),
        ),
        {"codes": codes, "open": sorted(OPEN_STATES)},
    ).fetchall()
    return [CaseOutside(str(code), str(grid), lies_in) for code, grid, lies_in in rows]


def _overlaps(conn: psycopg.Connection[Any], before: str) -> list[Overlap]:
    """Return the grids in use on record, not in the file, that overlap the file's grids in use.

    One statement: each grid of the file finds the grids whose box meets its own by the
    GiST index, and only those the file does not list are intersected with it, once.
    """
    rows = conn.execute(
        sql.SQL(
            "WITH near AS MATERIALIZED (SELECT o.code AS old, o.name AS old_name, f.code AS new,"
            " f.name AS new_name, o.boundary AS a, f.boundary AS b"
            " FROM {before} AS s JOIN grids AS f ON f.code = s.code"
            " JOIN grids AS o ON o.boundary && f.boundary AND o.retired_on IS NULL"
            " WHERE f.retired_on IS NULL"
            " AND NOT EXISTS (SELECT FROM {before} AS t WHERE t.code = o.code)),"
            " shared AS MATERIALIZED (SELECT *, ST_Intersection(a, b) AS shared FROM near)"
            " SELECT old, old_name, new, new_name, ST_Area(shared::geography) AS m2 FROM shared"
            " WHERE ST_Area(shared) > %(share)s * least(ST_Area(a), ST_Area(b))"
            " AND ST_Area(shared::geography) > %(least)s ORDER BY m2 DESC, old, new"
        ).format(before=sql.Identifier(before)),
        {"share": OVERLAP_SHARE, "least": OVERLAP_MIN_M2},
    ).fetchall()
    return [
        Overlap(str(old), str(old_name), str(new), str(new_name), float(area))
        for old, old_name, new, new_name, area in rows
    ]
