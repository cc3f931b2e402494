"""What importing grids or jurisdictions does to the records around them.

A grids file redraws a township's grids (网格调整): it renames some, moves boundaries, adds
grids, and leaves out the grids it merged away. Records placed by their point then lie in
another grid than the one they carry, and the grids the file leaves out still lie under the
new ones. Around the upsert of such a file, in its transaction (a dry run rolls it all back):

* :func:`snapshot` keeps the staged units as they were on record (code, name, and for grids
  the boundary) before the upsert;
* :func:`settle` then compares: the units renamed (a jurisdictions file too: 前冲村 →
  前冲村委会), the units whose boundary the file gives that overlap another unit in use of
  their kind (and level): one on record the file does not list, or another of the file's own
  (:data:`OVERLAP_SHARE`, :data:`OVERLAP_MIN_M2`; listed, not refused), the grids whose
  boundary moved more than :data:`layers.bulk.GEOMETRY_TOLERANCE` (Hausdorff distance), and,
  for those, the records their move left outside:

  - a special-population person's grid is derived from the residence point (importers give a
    person without a grid the grid the point lies in): a person whose point the old boundary
    covered and the new one does not moves to the grid of the county that now covers the
    point, when exactly one does (grid and village both); the others stay, counted;
  - an open case stays in its grid (the grid decides who handles it: moving open work
    silently is wrong), and is listed; a closed case keeps its historical grid, unsaid.

Cameras carry no grid (they are counted by location), and a worker's grid (home_grid) is
assigned by a roster, never derived from a point: neither is touched.

Before all that, while the rows are checked, :func:`names_in_use` finds the names a grids
file gives that another grid in use of the village keeps (a rename onto a name in use): the
importer refuses those rows, comparing the names as a roster finds grids by them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import GEOMETRY_TOLERANCE, ROW_COLUMN, staged_columns
from layers.unit_retirement import FORMER, STATUS
from layers.workflow import OPEN_STATES

UNIT_TABLES = ("jurisdictions", "grids")
"""The tables whose imports :func:`snapshot` and :func:`settle` follow."""

OVERLAP_SHARE = 0.05
"""How much of the smaller of two units their overlap must cover to be listed (areas on the
ellipsoid). Grids drawn separately along a shared edge overlap by a sliver: the edge's length
times the digitising error, so a share of about error / side of a square grid. Drawn by hand
or by phone (奥维) the error is 5–10 m: 2–4% of an urban grid 250 m across, 0.5–1% of a
rural one 1 km across. 5% is a strip deeper than 12 m along a whole side of the urban grid;
a grid left under a new one, or drawn over its neighbour, overlaps most of it."""
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
    its new units are named alike (柳岭村委会: 柳岭村, 南河社区居委会: 南河社区), as the villages
    beside them are: when the file names units on record so, or when the units in use of the
    new unit's township on record are all named without a committee (a layer of one merged
    village, 黄寨村委会 with its 原区划代码, names no unit on record, yet its township's villages
    are 黄坝村 and 高寨村).

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
    alike = sql.SQL(
        "true"
        if kept
        else "EXISTS (SELECT FROM jurisdictions AS b WHERE b.parent_code = s.parent_code"
        " AND b.retired_on IS NULL) AND NOT EXISTS (SELECT FROM jurisdictions AS b"
        " WHERE b.parent_code = s.parent_code AND b.retired_on IS NULL AND b.name ~ %(suffix)s)"
    )
    shortened = conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET name = CASE WHEN s.name ~ '村(民委员会|委会)$'"
            " AND {base} !~ '村$' THEN {base} || '村' ELSE {base} END"
            " WHERE s.name ~ %(suffix)s AND {base} <> ''"
            " AND NOT EXISTS (SELECT FROM jurisdictions AS j WHERE j.code = s.code) AND {alike}"
            " RETURNING s.code, s.name"
        ).format(s=sql.Identifier(staging), base=sql.SQL(_BASE), alike=alike),
        params,
    ).fetchall()
    return ShortNames(
        [str(name) for _, name in sorted(kept)], [str(name) for _, name in sorted(shortened)]
    )


@dataclass(frozen=True)
class Overlap:
    """A unit whose boundary the file gives, and another unit in use it overlaps.

    Attributes
    ----------
    code, name : str
        The file's unit (its boundary given by the file).
    other_code, other_name : str
        The unit it overlaps: on record and not in the file, or another of the file's.
    area_m2 : float
        The overlap's area (square metres, on the ellipsoid).
    in_file : bool
        Whether the other unit is in the file too.
    """

    code: str
    name: str
    other_code: str
    other_name: str
    area_m2: float
    in_file: bool = False


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
    table : str
        ``grids`` or ``jurisdictions``: what the notes call the units.
    renamed : list of (str, str)
        Old name → new name of the units on record the file renamed.
    moved : list of str
        Names of the grids whose boundary moved.
    overlaps : list of Overlap
        The file's units overlapping other units in use (on record and not in the file, or
        the file's own), largest first.
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

    table: str = "grids"
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
        notes += _overlap_notes(self.table, self.overlaps)
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


def _overlap_notes(table: str, overlaps: list[Overlap]) -> list[str]:
    """Return the lines on the overlaps: with units on record, then among the file's own."""
    on_record = [o for o in overlaps if not o.in_file]
    notes = []
    if on_record:
        notes.append(
            _record_overlap_note(on_record)
            if table == "grids"
            else _record_unit_overlap_note(on_record)
        )
    in_file = [o for o in overlaps if o.in_file]
    if in_file:
        notes.append(_file_overlap_note(table, in_file))
    return notes


def _pair(first: tuple[str, str], second: tuple[str, str], m2: float) -> str:
    return f"{first[0]}（{first[1]}）与{second[0]}（{second[1]}）重叠 {_area(m2)}"


def _record_overlap_note(overlaps: list[Overlap]) -> str:
    grids = len({o.other_code for o in overlaps})
    pairs = [_pair((o.other_name, o.other_code), (o.name, o.code), o.area_m2) for o in overlaps]
    return (
        f"库中有 {grids} 个网格不在本文件中，却与本文件的网格重叠：{_listed(pairs)}。"
        "这些旧网格仍在使用，与新网格重叠，按点位定网格的人员和案件仍可能归入旧网格；"
        "如是文件漏列，请补入后重新导入；如已撤并，请在文件中写明（状态列写撤销，"
        "或在新网格的原网格编码列写旧编码），或者文件是乡镇的全部网格时，"
        "加 --within 乡镇代码 --complete 重新导入"
    )


def _record_unit_overlap_note(overlaps: list[Overlap]) -> str:
    """Return the line on the file's jurisdictions overlapping others of their level on record.

    A village drawn over another township's village (a boundary traced from the wrong sheet,
    a code typed for the wrong unit) lies inside the county and passes the parent's check;
    its records would then fall in either by their point.
    """
    pairs = [_pair((o.name, o.code), (o.other_name, o.other_code), o.area_m2) for o in overlaps]
    return (
        f"本文件有 {len({o.code for o in overlaps})} 个辖区与库中在用、不在本文件中的同级辖区"
        f"重叠：{_listed(pairs)}。请核对这些边界（是否画错了村、坐标系是否对），"
        "重叠处的人员和案件按点位可能归入其中任一个"
    )


def _file_overlap_note(table: str, overlaps: list[Overlap]) -> str:
    """Return the line on the file's units overlapping each other (each pair once).

    Examples
    --------
    >>> overlap = Overlap("530424101001001", "华福第1网格", "530424101001002", "华福第2网格", 12e3)
    >>> _file_overlap_note("grids", [overlap]).split("：")[0]
    '本文件的网格相互重叠 1 处'
    >>> _file_overlap_note("grids", [overlap]).split("。")[0].split("与")[1]
    '华福第2网格（530424101001002）重叠 0.012 平方公里'
    """
    pairs = [_pair((o.name, o.code), (o.other_name, o.other_code), o.area_m2) for o in overlaps]
    unit = "网格" if table == "grids" else "同级辖区"
    return (
        f"本文件的{unit}相互重叠 {len(overlaps)} 处：{_listed(pairs)}。"
        "请核对这些边界（是否画错、坐标系是否对），重叠处的人员和案件按点位可能归入其中任一个"
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
        for grids, ``boundary`` on record (NULL for a new unit), and whether the file gives
        the unit a boundary (``drawn``): for :func:`settle`.
    """
    if table not in UNIT_TABLES:
        raise ValueError(f"not a unit table: {table}")
    name = f"{staging}_before"
    boundary = sql.SQL(", u.boundary") if table == "grids" else sql.SQL("")
    given = "boundary" in staged_columns(conn, staging)
    drawn = sql.SQL("s.boundary IS NOT NULL" if given else "false")
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT DISTINCT ON (s.code) s.code,"
            " u.name{boundary}, {drawn} AS drawn FROM {staging} AS s"
            " LEFT JOIN {table} AS u ON u.code = s.code"
            " WHERE s.code IS NOT NULL ORDER BY s.code"
        ).format(
            name=sql.Identifier(name),
            boundary=boundary,
            drawn=drawn,
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
        Renames and overlaps; for grids also the boundaries moved, the persons re-homed or
        left, the open cases left outside their grid.
    """
    names = sql.Identifier(before)
    renamed = conn.execute(
        sql.SQL(
            "SELECT b.name, u.name FROM {before} AS b JOIN {table} AS u USING (code)"
            " WHERE b.name IS DISTINCT FROM u.name AND b.name IS NOT NULL ORDER BY code"
        ).format(before=names, table=sql.Identifier(table))
    ).fetchall()
    changes = UnitChanges(
        table=table,
        renamed=[(str(old), str(new)) for old, new in renamed],
        overlaps=overlaps(conn, table, before),
    )
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
        table=changes.table,
        renamed=changes.renamed,
        moved=[str(name) for _, name in moved],
        overlaps=changes.overlaps,
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


def overlaps(conn: psycopg.Connection[Any], table: str, before: str) -> list[Overlap]:
    """Return the overlaps of the units whose boundary the file gives with other units in use.

    The other unit is one of the table's (of the same level, for jurisdictions), in use: on
    record and not in the file, or another of the file's, each pair of the file's own once.
    Units drawn separately along a shared edge overlap by a sliver, and units drawn on one
    topology touch without overlapping: an overlap counts when it covers more than
    :data:`OVERLAP_SHARE` of the smaller unit and more than :data:`OVERLAP_MIN_M2`.

    One statement: the GiST index pairs each unit the file draws with the units whose
    boundary meets it (``ST_Intersects``); only the pairs whose insides meet (not those that
    only touch along an edge) are intersected, once, and the overlap measured on the
    ellipsoid.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction, after the upsert and the retirements.
    table : str
        ``grids`` or ``jurisdictions``.
    before : str
        The table :func:`snapshot` returned.

    Returns
    -------
    list of Overlap
        Largest first.
    """
    if table not in UNIT_TABLES:
        raise ValueError(f"not a unit table: {table}")
    level = sql.SQL(" AND o.level = f.level" if table == "jurisdictions" else "")
    rows = conn.execute(
        sql.SQL(
            "WITH drawn AS MATERIALIZED (SELECT code FROM {before} WHERE drawn),"
            " near AS MATERIALIZED (SELECT f.code, f.name, o.code AS other, o.name AS other_name,"
            " EXISTS (SELECT FROM {before} AS t WHERE t.code = o.code) AS in_file,"
            " f.boundary AS a, o.boundary AS b"
            " FROM drawn AS d JOIN {t} AS f ON f.code = d.code"
            " JOIN {t} AS o ON ST_Intersects(o.boundary, f.boundary) AND o.code <> f.code"
            " AND o.retired_on IS NULL{level}"
            " WHERE f.retired_on IS NULL AND NOT ST_Touches(o.boundary, f.boundary)"
            " AND NOT (o.code < f.code AND EXISTS (SELECT FROM drawn AS e WHERE e.code = o.code))),"
            " shared AS MATERIALIZED (SELECT code, name, other, other_name, in_file, a, b,"
            " ST_Area(ST_Intersection(a, b)::geography) AS m2 FROM near)"
            " SELECT code, name, other, other_name, m2, in_file FROM shared"
            " WHERE m2 > %(least)s"
            " AND m2 > %(share)s * least(ST_Area(a::geography), ST_Area(b::geography))"
            " ORDER BY m2 DESC, code, other"
        ).format(before=sql.Identifier(before), t=sql.Identifier(table), level=level),
        {"share": OVERLAP_SHARE, "least": OVERLAP_MIN_M2},
    ).fetchall()
    return [
        Overlap(str(code), str(name), str(other), str(other_name), float(m2), bool(in_file))
        for code, name, other, other_name, m2, in_file in rows
    ]


@dataclass(frozen=True)
class NameInUse:
    """A grid in use of a staged row's village, that keeps its name after the import.

    Attributes
    ----------
    row : int
        The staged row (its number in the file).
    name : str
        The name the row gives its grid.
    other_code, other_name : str
        The other grid, as it is on record.
    """

    row: int
    name: str
    other_code: str
    other_name: str


def names_in_use(
    conn: psycopg.Connection[Any],
    staging: str,
    *,
    refused: Sequence[int] = (),
    retiring: tuple[str, str] | None = None,
) -> list[NameInUse]:
    """Return, for each staged grid in use, the grids of its village that keep their names.

    A grids file that gives grid A the name grid B of its village has (a rename onto a name
    in use, or a new grid named so) leaves two grids in use of one name, unless the file
    renames B too (names swapped), retires it (its row says 撤销, or a row in use names it in
    its 原编码 :data:`layers.unit_retirement.FORMER`), or ``--complete`` retires it. The
    grids returned are those that keep their names: in use on record, of the row's village,
    not listed by a row that is not refused, nor retired by one; whose names match the row's
    is for the caller to say (:func:`geo.places.grid_key`: 第一网格 is 第1网格).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction, before the upsert.
    staging : str
        Staging table of a grids file (``_row``, ``code``, ``name``, ``area_code``, and the
        re-division's helpers when the file says anything of it).
    refused : sequence of int
        Rows refused so far: they are not loaded, so rename or retire nothing.
    retiring : (str, str) or None
        ``--complete``'s code range (``lo``, ``hi``) when it will retire the grids there that
        the file leaves out (no row refused), as :func:`layers.unit_retirement.retire` does.

    Returns
    -------
    list of NameInUse
        By row, then the other grid's code.
    """
    columns = staged_columns(conn, staging)
    names = {
        "s": sql.Identifier(staging),
        "row": sql.Identifier(ROW_COLUMN),
        "status": sql.Identifier(STATUS),
        "former": sql.Identifier(FORMER),
    }
    in_use = sql.SQL(" AND s.{status} IS DISTINCT FROM 'retired'" if STATUS in columns else "")
    replaced = (
        sql.SQL(
            " AND NOT EXISTS (SELECT FROM {s} AS f"
            " CROSS JOIN LATERAL unnest(string_to_array(f.{former}, ',')) AS c (code)"
            " WHERE c.code = g.code AND NOT f.{row} = ANY(%(refused)s))"
        )
        if FORMER in columns
        else sql.SQL("")
    )
    complete = sql.SQL(
        " AND g.area_code NOT BETWEEN %(lo)s AND %(hi)s" if retiring is not None else ""
    )
    rows = conn.execute(
        sql.SQL(
            "SELECT s.{row}, s.name, g.code, g.name FROM {s} AS s"
            " JOIN grids AS g ON g.area_code = s.area_code AND g.retired_on IS NULL"
            " WHERE s.name IS NOT NULL AND NOT s.{row} = ANY(%(refused)s){in_use}"
            " AND NOT EXISTS (SELECT FROM {s} AS l WHERE l.code = g.code"
            " AND NOT l.{row} = ANY(%(refused)s)){replaced}{complete}"
            " ORDER BY s.{row}, g.code"
        ).format(
            in_use=in_use.format(**names),
            replaced=replaced.format(**names),
            complete=complete,
            **names,
        ),
        {
            "refused": list(refused),
            "lo": retiring[0] if retiring else None,
            "hi": retiring[1] if retiring else None,
        },
    ).fetchall()
    return [
        NameInUse(int(row), str(name), str(code), str(other)) for row, name, code, other in rows
    ]
