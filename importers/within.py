"""``zongzhi import … --within CODE``: a file is for one jurisdiction, the rows outside refused.

``zongzhi divisions`` loads the boundaries of a whole province, so a mistyped point in a
county's file lands in the neighbouring county, and a row whose 所属社区 is another county's is
loaded into it. With ``--within`` the importing centre names its jurisdiction (:class:`Scope`):
once every placement step has run (the row's codes, the names it gives, its address, the
deepest boundary around its point), a row whose area code lies outside the jurisdiction's code
range (:func:`geo.codes.scope_range`) is refused, on the column that gave it its place
(:func:`refused_rows`).

For a file of jurisdictions or grids it is the unit's own code that must lie within. The
``--within`` unit itself may be in the file (a county's clerk importing its townships'
shapefile may find the county's outline in it too); the units above it may not: they are
another centre's to keep up (an import updates names, and boundaries it gives), and a county
that is in the database already has its parents there, so refusing them loses nothing. Such a
row is refused with a rule saying it is a unit above.

A jurisdiction a re-division retired is no ``--within``: the clerk is told the unit that took
it over (:func:`find_scope`).

Without ``--within``, the rows that load are counted by county (:class:`CountyRows`), and
:func:`county_note` tells the clerk when they lie in more than one, or some lie above any
county of the database (a city's 12345 export placed at the city where the database has no
boundaries of its other counties).

A row no step could place whose address begins with another county (``通海县秀山街道``, a
county the database does not hold, so that no unit of it is found) is told so by the official
list of divisions (:func:`addresses_elsewhere`): outside ``--within``, as a row whose address
names a unit of the database outside it (``玉溪市江川区…``, placed at 玉溪市); without
``--within``, in a county the database does not have. It is not merely 缺少所属辖区.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from geo.codes import CodeError, scope_range, written_division_code
from geo.places import Gazetteer
from importers.divisions import Division, divisions
from importers.kinds.base import AREA_NAME, GRID_NAME, TOWNSHIP_NAME
from importers.rules import Problem, RowChecks
from layers import import_checks
from layers.bulk import LON_COLUMN
from layers.import_checks import OutOfScope

SOURCE_COLUMNS = ("area_code", AREA_NAME, TOWNSHIP_NAME, GRID_NAME)
"""Columns of a part's rows, before their names are resolved, that tell what placed a row."""
GRID_COLUMNS = ("grid_code", "home_grid")
"""Columns naming a row's grid."""
UNIT_KINDS = ("jurisdictions", "grids")
"""Kinds whose rows are units: their own code must lie within."""
SHOWN_COUNTIES = 5
"""How many counties :func:`county_note` names."""
_POINT = "_point"
"""What :func:`refused_rows` calls a row placed by its point."""


class WithinError(ValueError):
    """``--within`` names no jurisdiction of the database (the message is for the clerk)."""


@dataclass(frozen=True)
class Scope:
    """The jurisdiction an import is for (``--within``).

    Attributes
    ----------
    code : str
        Its 12-digit code.
    name : str
        Its name in the database.
    """

    code: str
    name: str

    @property
    def range(self) -> tuple[str, str]:
        """``(lo, hi)``: the codes under it (:func:`geo.codes.scope_range`)."""
        return scope_range(self.code)

    @property
    def label(self) -> str:
        """``华宁县（530424000000）``."""
        return f"{self.name}（{self.code}）"


@dataclass(frozen=True)
class CountyRows:
    """How many rows of an import lie in one county.

    Attributes
    ----------
    code : str
        The county's 12-digit code.
    name : str
        Its name in the database (its code when it is not there).
    rows : int
        Rows loaded (or that would load, in a dry run).
    """

    code: str
    name: str
    rows: int


def within_code(text: str) -> str:
    """Return the 12-digit code ``--within`` gives, as the scope is typed everywhere else.

    Parameters
    ----------
    text : str
        The code as typed: 12 digits, or a province's, city's, county's or township's
        significant 2, 4, 6 or 9 (:func:`geo.codes.written_division_code`).

    Returns
    -------
    str
        The 12-digit code.

    Raises
    ------
    WithinError
        If it is no division code.

    Examples
    --------
    >>> within_code("530424"), within_code(" 530424100 "), within_code("5304")
    ('530424000000', '530424100000', '530400000000')
    """
    try:
        return written_division_code(text)
    except CodeError as exc:
        raise WithinError(f"--within {text.strip()} 不是有效的行政区划代码：{exc.rule}") from exc


def find_scope(conn: psycopg.Connection[Any], text: str) -> Scope:
    """Return the jurisdiction ``--within`` names; it must be in the database.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection with scope = all.
    text : str
        The code as typed: 12 digits, or 2, 4, 6 or 9 (:func:`within_code`).

    Returns
    -------
    Scope
        The jurisdiction.

    Raises
    ------
    WithinError
        If the code is invalid, no jurisdiction of the database has it, or a re-division
        retired it (the message names the unit that took it over).
    """
    code = within_code(text)
    name = import_checks.unit_names(conn, [code]).get(code)
    if name is None:
        raise WithinError(
            f"--within {text.strip()} 不是数据库中的行政区划（数据库中没有 {code}）："
            "请检查代码，或先导入辖区（zongzhi divisions 或 zongzhi import jurisdictions）"
        )
    retired = import_checks.retired_units(conn, [code]).get(code)
    if retired is not None:
        said = f"--within {text.strip()} 是{retired.name}，已于{retired.retired_on.isoformat()}撤销"
        if retired.successor_code is None:
            raise WithinError(f"{said}，没有继承单位：请写现在的辖区代码")
        now = f"{retired.successor_name}（{retired.successor_code}）"
        raise WithinError(f"{said}，由{now}继承：请写 --within {retired.successor_code}")
    return Scope(code, name)


def refused_rows(
    found: Sequence[OutOfScope],
    scope: Scope,
    kind: str,
    checks: RowChecks,
    given: pd.DataFrame,
    placed: pd.DataFrame,
    places: Gazetteer,
) -> list[Problem]:
    """Return one problem per row outside ``scope``, on the column that gave the row its place.

    A row's place came from the first of these that gave it (in the order the import places
    rows): its area column (a code, or a name); its grid column (the grid's village); its
    township column; its address; else its point, found in the deepest boundary covering it.
    A visit's place is its person's. A jurisdiction's or grid's is its own code (see the
    module's notes for the units above ``scope``).

    Parameters
    ----------
    found : sequence of OutOfScope
        The rows outside (:func:`layers.import_checks.outside_scope`).
    scope : Scope
        The jurisdiction of the import.
    kind : str
        What is imported.
    checks : RowChecks
        The file's checks (headers and values as written).
    given : pandas.DataFrame
        The part's rows before their names were resolved: their :data:`SOURCE_COLUMNS`.
    placed : pandas.DataFrame
        The part's rows as staged (names and addresses resolved, before the points placed the
        rows that had no area yet).
    places : Gazetteer
        The database's jurisdictions, to name where each row lies.

    Returns
    -------
    list of Problem
        Not yet recorded (see :meth:`importers.rules.RowChecks.add`).
    """
    if not found:
        return []
    outside = f"不在 {scope.label}范围内（--within）"
    if kind in UNIT_KINDS:
        field = "code" if checks.has("code") else "name"
        rules = [(f.row, _unit_rule(f.code, scope, outside)) for f in found]
        return checks.problems_at(field, rules)
    labels = {code: places.label_of(code) for code in {f.code for f in found}}
    if kind == "visits":
        return checks.problems_at(
            "resident_id", [(f.row, f"人员属于{labels[f.code]}，{outside}") for f in found]
        )
    rows = pd.Index([f.row for f in found])
    point_column = checks.header(checks.point_source())
    written = _written_points(checks)
    problems: list[Problem] = []
    by_field: dict[str, list[tuple[int, str]]] = {}
    for f, source in zip(found, _sources(rows, checks, given, placed), strict=True):
        label = labels[f.code]
        if source == _POINT:
            shown = written.get(f.row)
            if shown is None and f.lon is not None:  # a GIS file's point: no text to show
                shown = f"{f.lon:.6f}, {f.lat:.6f}（CGCS2000）"
            problems.append(Problem(f.row, point_column, shown, f"点位在{label}，{outside}"))
        else:
            where = f"地址指{label}" if source == "address" else f"属于{label}"
            by_field.setdefault(source, []).append((f.row, f"{where}，{outside}"))
    for field, rules in by_field.items():
        problems += checks.problems_at(field, rules)
    return sorted(problems, key=lambda problem: problem.row)


def _written_points(checks: RowChecks) -> pd.Series:
    """Return each row's point as the file writes it (``102.905, 24.205``), for the report.

    The clerk looks the row up in the file: the coordinates as written, not as converted.
    """
    source = checks.point_source()
    if source != "lon":
        return checks.text(source)
    lon, lat = checks.text("lon"), checks.text("lat")
    return (lon + ", " + lat).where(lon.notna() & lat.notna(), None)


def _unit_rule(code: str, scope: Scope, outside: str) -> str:
    """Return the rule of a jurisdiction or grid outside ``scope`` (a unit above says so)."""
    if len(code) == 12 and scope.code.startswith(scope_range(code)[0]):
        return f"是{scope.label}的上级辖区，不在其范围内（--within）：上级辖区由上级中心导入"
    return outside


def _sources(
    rows: pd.Index, checks: RowChecks, given: pd.DataFrame, placed: pd.DataFrame
) -> list[str]:
    """Return the field that gave each of ``rows`` its place (:data:`_POINT`: its point).

    Vectorised over the rows: the area code before the names were resolved and after, and
    which columns the row filled, tell it.
    """

    def column(frame: pd.DataFrame, name: str) -> pd.Series:
        if name not in frame.columns:
            return pd.Series(None, index=rows, dtype=object)
        return frame[name].reindex(rows)

    before, after = column(given, "area_code"), column(placed, "area_code")
    named_area = column(given, AREA_NAME).notna().to_numpy()
    written = checks.text("area_code").reindex(rows).notna().to_numpy() & ~named_area
    kept = (before.notna() & (before == after)).to_numpy()  # the code the row came with
    address = (column(placed, "address").notna() & column(placed, LON_COLUMN).isna()).to_numpy()
    village = (after.astype("string").str[9:12] != "000").fillna(False).to_numpy(dtype=bool)
    grid = next((c for c in GRID_COLUMNS if c in placed.columns), "area_code")
    choices = np.select(
        [
            after.isna().to_numpy(),  # placed in staging, by its point
            kept & written,
            kept,  # the village of its grid code
            named_area,
            column(given, GRID_NAME).notna().to_numpy(),
            address & village,  # a township's name gives a township, an address a village
            column(given, TOWNSHIP_NAME).notna().to_numpy(),
            address,
        ],
        [_POINT, "area_code", grid, "area_code", grid, "address", "township", "address"],
        default="area_code",
    )
    return [str(c) for c in choices]


def county_rows(conn: psycopg.Connection[Any], counts: dict[str, int]) -> list[CountyRows]:
    """Return the counties of ``counts`` with their names, the most rows first.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection with scope = all.
    counts : dict
        6-digit county prefix → rows (:func:`layers.import_checks.rows_by_county`).

    Returns
    -------
    list of CountyRows
        One per county; a county not in the database is named by its code.
    """
    codes = {prefix: prefix.ljust(12, "0") for prefix in counts}
    names = import_checks.unit_names(conn, list(codes.values())) if codes else {}
    found = [CountyRows(c, names.get(c, c), counts[p]) for p, c in codes.items()]
    return sorted(found, key=lambda county: (-county.rows, county.code))


def county_note(counties: Sequence[CountyRows]) -> str | None:
    """Return the note of rows lying in more than one county, ``None`` if they lie in one.

    Rows placed above any county (:func:`is_above_county`: a city's cases from counties the
    database has no boundaries of) count as lying elsewhere, named by the unit they fell in.

    Parameters
    ----------
    counties : sequence of CountyRows
        The rows of each county, the most first (:func:`county_rows`).

    Returns
    -------
    str or None
        The note, naming the first :data:`SHOWN_COUNTIES` counties.

    Examples
    --------
    >>> county_note([CountyRows("530424000000", "华宁县", 3998),
    ...              CountyRows("530421000000", "江川区", 2)])
    '数据分布在 2 个县（区）：华宁县 3,998 行、江川区 2 行；如只应导入本辖区，请加 --within 代码'
    >>> note = county_note([CountyRows("530400000000", "玉溪市", 230),
    ...                     CountyRows("530424000000", "华宁县", 170)])
    >>> note.split("；")  # doctest: +NORMALIZE_WHITESPACE
    ['数据在华宁县 170 行', '另有 230 行不在本库任何县（区）内，落在玉溪市',
     '如只应导入本辖区，请加 --within 代码']
    >>> county_note([CountyRows("530424000000", "华宁县", 3)]) is None
    True
    """
    above = [c for c in counties if is_above_county(c.code)]
    inside = [c for c in counties if not is_above_county(c.code)]
    if not inside or len(inside) + len(above) < 2:
        return None
    shown = "、".join(f"{c.name} {c.rows:,} 行" for c in inside[:SHOWN_COUNTIES])
    more = " 等" if len(inside) > SHOWN_COUNTIES else ""
    spread = (
        f"数据分布在 {len(inside)} 个县（区）：{shown}{more}"
        if len(inside) > 1
        else f"数据在{shown}"
    )
    if above:
        units = [c.name if len(above) == 1 else f"{c.name} {c.rows:,} 行" for c in above]
        rows = sum(c.rows for c in above)
        spread += f"；另有 {rows:,} 行不在本库任何县（区）内，落在{'、'.join(units)}"
    return f"{spread}；如只应导入本辖区，请加 --within 代码"


def is_above_county(code: str) -> bool:
    """Whether a 12-digit code is a province's or a city's (above any county).

    Examples
    --------
    >>> is_above_county("530400000000"), is_above_county("530424000000")
    (True, False)
    >>> is_above_county("441900003000")  # a township of a city without counties
    False
    """
    return code[4:6] == "00" and code[6:] == "000000"


_LEVEL_WORDS = {1: "省（区、市）", 2: "市（州）", 3: "县（区）"}
"""What a unit of the official list above the townships is called, by level."""


def addresses_elsewhere(addresses: pd.Series, scope: Scope | None) -> dict[int, str]:
    """Return the rule of each row whose address begins with a division elsewhere.

    The address is read from its start as the official divisions it names, each in the one
    before (``云南省玉溪市通海县…``, ``通海县…``; full names only). A row whose deepest one (a
    city or a county) lies outside ``scope`` and above none of it is refused on its address,
    as a row placed outside ``scope`` is; without ``scope``, its county is said to be missing
    from the database (run for rows no unit of the database placed). Without the official list
    (:func:`importers.divisions.divisions`), no row is.

    Parameters
    ----------
    addresses : pandas.Series
        The addresses of the rows no step placed, indexed by row number.
    scope : Scope or None
        The jurisdiction of the import (``--within``).

    Returns
    -------
    dict
        Row number → rule (Chinese), for the rows whose address says where they lie.
    """
    rules: dict[str, str | None] = {}
    found: dict[int, str] = {}
    written = addresses.dropna().astype(str)
    for row, text in zip(written.index.tolist(), written.tolist(), strict=True):
        if text not in rules:  # once per distinct address
            rules[text] = _elsewhere_rule(text, scope)
        rule = rules[text]
        if rule is not None:
            found[int(row)] = rule
    return found


def _elsewhere_rule(address: str, scope: Scope | None) -> str | None:
    """Return why a row at ``address`` lies elsewhere, ``None`` when its address does not say."""
    named = _divisions_named(address)
    if not named or named[0].level < 2:  # a province alone says too little
        return None
    if scope is not None and any(_related(d.code, scope.code) for d in named):
        return None
    label = _label(named)
    if scope is not None:
        return f"地址指{label}，不在 {scope.label}范围内（--within）"
    return f"缺少所属辖区：地址指{label}，数据库中没有这个{_LEVEL_WORDS[named[0].level]}"


def division_elsewhere(name: str, scope: Scope) -> str | None:
    """Return why a unit named ``name``, not in the database, lies outside ``scope``.

    The national division table tells where the name (a county of another prefecture,
    ``通海县``) lies: a row naming it is refused as outside the import's jurisdiction, not
    asked to import the unit first.

    Parameters
    ----------
    name : str
        The unit as the row names it.
    scope : Scope
        The import's jurisdiction.

    Returns
    -------
    str or None
        The rule, or ``None`` when the name is no division, or one in or above ``scope``.

    Examples
    --------
    >>> division_elsewhere("通海县", Scope("530424101000", "盘溪镇"))
    '“通海县”指云南省玉溪市通海县（530423000000），不在 盘溪镇（530424101000）范围内（--within）'
    >>> division_elsewhere("华宁县", Scope("530424101000", "盘溪镇")) is None
    True
    """
    named = _divisions_named(name)
    if not named or named[0].level < 2 or any(_related(d.code, scope.code) for d in named):
        return None
    return f"“{name}”指{_label(named)}，不在 {scope.label}范围内（--within）"


def _related(code: str, scope: str) -> bool:
    """Whether a division lies in ``scope`` or above it."""
    lo, hi = scope_range(code)
    inside_lo, inside_hi = scope_range(scope)
    return lo <= scope < hi or inside_lo <= code < inside_hi


def _label(named: Sequence[Division]) -> str:
    """Return ``云南省玉溪市通海县（530423000000）``, or the name alone for several divisions."""
    if len(named) > 1:
        return f"“{named[0].name}”"
    every = divisions()
    chain, unit = [named[0]], named[0]
    while unit.parent_code is not None and unit.parent_code in every:
        unit = every[unit.parent_code]
        chain.append(unit)
    return "".join(d.name for d in reversed(chain)) + f"（{named[0].code}）"


def _divisions_named(address: str) -> list[Division]:
    """Return the deepest divisions the start of ``address`` names, each in the one before.

    Examples
    --------
    >>> [d.code for d in _divisions_named("云南省玉溪市通海县秀山街道")]
    ['530423000000']
    >>> [d.code for d in _divisions_named("通海县秀山街道")], _divisions_named("阳光小区")
    (['530423000000'], [])
    """
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", address))
    names, lengths = _official_names()
    named: list[Division] = []
    at = 0
    while True:
        found: list[Division] = []
        for length in lengths:
            found = [d for d in names.get(text[at : at + length], ()) if _within_all(d, named)]
            if found:
                at += length
                break
        if not found:
            return named
        named = found


def _within_all(unit: Division, above: Sequence[Division]) -> bool:
    """Whether ``unit`` lies in one of ``above`` (the divisions the address named before it)."""
    if not above:
        return True
    return any(scope_range(d.code)[0] <= unit.code < scope_range(d.code)[1] for d in above)


@cache
def _official_names() -> tuple[dict[str, tuple[Division, ...]], tuple[int, ...]]:
    """Return the official provinces, cities and counties by full name, and the names' lengths.

    Empty when the list is not installed (:func:`importers.divisions.divisions`).
    """
    try:
        every = divisions()
    except FileNotFoundError:
        return {}, ()
    named: dict[str, list[Division]] = {}
    for unit in every.values():
        if unit.level <= 3:
            named.setdefault(unit.name, []).append(unit)
    lengths = sorted({len(name) for name in named}, reverse=True)
    return {name: tuple(units) for name, units in named.items()}, tuple(lengths)
