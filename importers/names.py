"""Rows that name their jurisdiction or grid in words: their codes, from the database.

Before a part's rows are staged (:mod:`importers.loading`), the 所属社区, 所属乡镇 and 所属网格 a
file gives as names (the helper columns of :mod:`importers.kinds`) are looked up in the
database's jurisdictions and grids (:mod:`geo.places`). A row whose names mean no unit,
or more than one, or contradict its codes, is rejected with the places it could mean.

A row with no location is placed by its address when nothing else places it, or placed
deeper when its columns give only its township: ``宁州街道复安社区幸福路 3 号`` is in 复安社区. A
row with a location is placed by its point (:mod:`importers.loading`), never by its address.
A row whose grid (named or coded) lies in a village of the township or county it names is in
that village (a roster's 所属乡镇 beside its 所属网格). A person with no point and no grid,
whose village (from their address or 所属社区) has one grid in use, is in that grid
(:func:`place_in_only_grids`; trial AV M1).

A name that two places share and that the row's own columns do not tell apart is told apart
by the import's jurisdiction (``--within``), then by the unit the worksheet's or the file's
name names (``华溪镇网格员花名册.xlsx``): of the places it could mean, those inside it
(:class:`geo.places.Preference`); the summary says when the file's name did. A name
of a village or of a grid that still means several is told apart by the row's point (the unit
or grid around it, else the one whose village or township is), then by the unit its address
names; a boundary file's unit by a point of its boundary.

A current record (a person, a worker, a camera) is never placed in a unit a re-division
retired: a row whose codes or names mean a retired grid or village is recorded in the live
unit around its point (a grid split in two has no successor: the point tells the part), else
in the live unit that took it over (followed through later re-divisions), and the summary
says so once per unit; a row with neither is refused (:func:`follow_retired`). History stays
where it happened: an event row (a case, a visit) dated before the unit's ``retired_on`` stays
in the unit it names, as closed cases stay where they were handled when a unit retires
(``2023 年的 24 行写的“高寨村”（2024-06-28 撤销）按当时的村记录``); one dated on or after it follows
the rules above. A file imported before a re-division and again after it so moves nothing. A
file of grids or jurisdictions is of the units themselves: its codes are not followed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import psycopg
import shapely

from geo.codes import division_level, parent_code
from geo.places import Gazetteer, GridDirectory, GridPlace, Place, Preference
from importers.kinds.base import AREA_NAME, GRID_NAME, GRID_NAME_BESIDE, TOWNSHIP_NAME, UNIT_NAME
from importers.rules import Problem, RowChecks
from importers.stations import INSTALL_ADDRESS, STATION_NAME, place_by_station
from importers.within import Scope, division_elsewhere
from layers import import_checks, person_places
from layers.bulk import LAT_COLUMN, LON_COLUMN
from layers.import_checks import PlacedPoints, RetiredUnit
from layers.model import Level
from layers.unit_gazetteer import read_gazetteer

T = TypeVar("T")
Around = Callable[
    [psycopg.Connection[Any], Sequence[tuple[float, float]], Sequence[Sequence[str]]],
    list[str | None],
]
"""Points and each one's candidate codes → the candidate whose boundary is closest around it."""


class Directories:
    """The database's jurisdictions and grids by name, read when an import first needs them.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    within : str, optional
        Code of the jurisdiction the import is for (``--within``).
    named : sequence of str
        The worksheet's name, then the file's (without its extension): the first that names
        a unit (:meth:`geo.places.Gazetteer.in_address`) tells apart places of one name.

    Attributes
    ----------
    named_unit : tuple of str or None
        That name and the code of the unit it names (once :meth:`preference` has run).
    """

    def __init__(
        self, conn: psycopg.Connection[Any], within: str | None = None, named: Sequence[str] = ()
    ) -> None:
        self.conn = conn
        self._within = within
        self._named = named
        self._places: Gazetteer | None = None
        self._grids: GridDirectory | None = None
        self._preference: Preference | None = None
        self._retired: dict[str, RetiredUnit] | None = None
        self.named_unit: tuple[str, str] | None = None
        self._named_is_file = True

    def places(self) -> Gazetteer:
        """Return the jurisdictions."""
        if self._places is None:
            self._places = read_gazetteer(self.conn)
        return self._places

    def grids(self) -> GridDirectory:
        """Return the grids."""
        if self._grids is None:
            rows = import_checks.grid_names(self.conn)
            self._grids = GridDirectory((GridPlace(*row) for row in rows), self.places())
        return self._grids

    def retired(self) -> dict[str, RetiredUnit]:
        """Return the retired grids and jurisdictions by code, with the units they lead to."""
        if self._retired is None:
            self._retired = import_checks.retired_units(self.conn)
        return self._retired

    def preference(self) -> Preference:
        """Return the units that tell apart places of one name: ``within``, the one named."""
        if self._preference is None:
            places = self.places()
            for number, name in enumerate(self._named):
                code = places.in_address(name)[0]
                if code is not None:
                    self.named_unit = (name, code) if code != self._within else None
                    self._named_is_file = number == len(self._named) - 1
                    break
            codes = [self._within, self.named_unit[1] if self.named_unit else None]
            self._preference = Preference([c for c in codes if c is not None], scope=self._within)
        return self._preference

    def scope(self) -> Scope | None:
        """Return the import's jurisdiction (``--within``), if it has one in the database."""
        unit = self.places().unit(self._within) if self._within is not None else None
        return Scope(unit.code, unit.name) if unit is not None else None

    def named_note(self) -> str | None:
        """Return the note saying the file's name told apart places of one name, if it did.

        The note names the worksheet's or the file's name and the unit it took the places in
        (the rows it decided are not counted: a name is looked up once for all its rows).
        """
        if self.named_unit is None or self._preference is None:
            return None
        name, code = self.named_unit
        if code not in self._preference.decided:
            return None
        which = "文件名" if self._named_is_file else "工作表名"
        place = self.places().label_of(code)
        return f"同名的村（社区）、网格按{which}“{name}”取了{place}内的那个"


def resolve_names(
    records: pd.DataFrame, checks: RowChecks, directories: Directories
) -> pd.DataFrame:
    """Give the codes of the jurisdictions and grids rows name in words; drop rows that fail.

    Parameters
    ----------
    records : pandas.DataFrame
        A part's staging rows, with the name helper columns of :mod:`importers.kinds`.
    checks : RowChecks
        The file's checks: the rows that cannot be placed are rejected there.
    directories : Directories
        The database's jurisdictions and grids.

    Returns
    -------
    pandas.DataFrame
        The rows placed (area and grid codes filled), without the helper columns (they are
        not staged).
    """
    helpers = [
        c
        for c in (AREA_NAME, TOWNSHIP_NAME, GRID_NAME, GRID_NAME_BESIDE, UNIT_NAME)
        if c in records.columns
    ]
    if UNIT_NAME in records.columns:
        checks.add(_locate_named_units(records, checks, directories))
        records = records[~checks.bad.reindex(records.index, fill_value=False)]
    if AREA_NAME in records.columns and records[[AREA_NAME, TOWNSHIP_NAME]].notna().any(axis=None):
        checks.add(_locate_named_areas(records, checks, directories))
        records = records[~checks.bad.reindex(records.index, fill_value=False)]
    if GRID_NAME in records.columns and records[GRID_NAME].notna().any():
        checks.add(_locate_named_grids(records, checks, directories))
        records = records[~checks.bad.reindex(records.index, fill_value=False)]
    if GRID_NAME_BESIDE in records.columns and records[GRID_NAME_BESIDE].notna().any():
        checks.add(_hold_names_to_codes(records, checks, directories))
        records = records[~checks.bad.reindex(records.index, fill_value=False)]
    if "code" not in records.columns:  # a record's units: its grid's village, not above
        records = _place_in_grid_villages(records, directories)
    by_address = _placed_by_address(records)
    if by_address.any():
        checks.add(_locate_by_address(records, by_address, checks, directories))
        records = records[~checks.bad.reindex(records.index, fill_value=False)]
    if STATION_NAME in records.columns:  # 所属派出所: the rows nothing else placed
        records = records.copy()
        checks.add(place_by_station(records, checks, directories))
        records = records[~checks.bad.reindex(records.index, fill_value=False)]
    if "code" not in records.columns:  # a file of units: its codes are the units themselves
        checks.add(follow_retired(records, checks, directories))
        records = records[~checks.bad.reindex(records.index, fill_value=False)]
    if PERSON_HASH in records.columns:  # a person with no point and no grid: by their village
        records = place_in_only_grids(records, by_address, checks, directories)
    note = directories.named_note()
    if note is not None and note not in checks.notes:
        checks.notes.append(note)
    return records.drop(columns=helpers)


_FOLLOWED = (("grid_code", "网格"), ("home_grid", "网格"), ("area_code", None))
"""Columns of a record's units, its grid before its jurisdiction, and what a rule calls them."""
_GRID_COLUMNS = [column for column, what in _FOLLOWED if what is not None]
_LEVEL_WORDS = {4: "乡镇（街道）", 5: "村（社区）"}
_LISTED = 10
"""How many units a note lists before it says 等."""


def follow_retired(
    records: pd.DataFrame, checks: RowChecks, directories: Directories
) -> list[Problem]:
    """Record in units in use the rows whose grid or jurisdiction is retired; refuse others.

    A re-division retires a grid or a village (``retired_on``). An event row (a case) dated
    before that day stays in the old unit (:func:`_kept_in_their_time`): history stays where it
    happened. Another row naming the old one (its
    code, or its name: :mod:`geo.places`) that has a point is placed by its point: in
    the unit in use of that kind (and level) of the retired unit's county around it, as the
    re-division moved the records on record (a grid split in two has no successor, and the
    point tells which part). Without a point in such a unit, the row goes to the unit that
    took the old one over (``successor_code``, followed to the live unit); without one, it
    is refused, naming the unit and when it was retired. A roster's row is its worker's
    assignment, not where the worker was last seen: it follows the successor only. A row
    whose area is its retired grid's village moves with the grid. The summary says, once per
    unit, how many rows wrote it and where they went (``3 行写的“兴复第12网格”已于2026-03-10撤销，
    记入继承的“兴复第8网格”``, ``…撤销，按点位记入所在的在用网格（三东 2 行、三西 1 行）``).
    Vectorised: the retired units are few, looked up once (:meth:`Directories.retired`), and
    the points of the rows naming them in one statement.

    Parameters
    ----------
    records : pandas.DataFrame
        A record kind's staging rows, names resolved (changed in place).
    checks : RowChecks
        The file's checks: the notes go there.
    directories : Directories
        The database's retired units.

    Returns
    -------
    list of Problem
        The rows whose retired unit no live unit took over and whose point lies in none.
    """
    columns = [(c, what) for c, what in _FOLLOWED if c in records.columns]
    if not any(records[c].notna().any() for c, _ in columns):
        return []
    retired = directories.retired()
    if not retired:
        return []
    written = records[[c for c, _ in columns]].copy()  # the units as the rows wrote them
    if "area_code" in written.columns:  # not a grid's village (its first 12 digits)
        by_grid = _area_sources(records, checks, written.index).isin(_GRID_COLUMNS)
        written.loc[by_grid.to_numpy(), "area_code"] = None
    problems: list[Problem] = []
    day = _event_days(records)
    pinned = pd.Series(False, index=records.index)  # kept in their time's grid, and its village
    for column, what in columns:
        codes = records[column]
        hit = codes.isin(list(retired))
        kept = _kept_in_their_time(codes, hit, day, retired)
        if what is None:
            kept |= hit & pinned
        elif "area_code" in records.columns:
            village = codes[kept].str[:12] if kept.any() else codes[kept]
            pinned |= (records.loc[kept.index[kept], "area_code"] == village).reindex(
                records.index, fill_value=False
            )
        _note_kept(
            codes[kept & ~pinned] if what is None else codes[kept], day, retired, checks, what
        )
        hit &= ~kept
        if not hit.any():
            continue
        units = codes[hit].map(retired)
        around = _live_around(records.loc[hit], column, directories)
        by_point = around.unit.notna()
        lead = around.unit.where(by_point, units.map(_successor))
        moved = lead.notna()
        if what is not None and "area_code" in records.columns:  # the grid's village moves too
            along = moved & (records.loc[hit, "area_code"] == codes[hit].str[:12])
            records.loc[along.index[along], "area_code"] = lead[along].str[:12]
        records.loc[moved.index[moved], column] = lead[moved]
        placed_by_point = written[column].loc[by_point.index[by_point]]
        _note_by_point(placed_by_point, around, retired, checks, what)
        refused = units[~moved]
        fields = (
            pd.Series(column, index=refused.index)
            if what is not None
            else _area_sources(records, checks, refused.index)
        )
        for field in fields.unique():
            rules = [
                (int(row), _no_successor_rule(unit, what, bool(around.located[row])))
                for row, unit in refused[fields == field].items()
            ]
            problems += checks.problems_at(str(field), rules)
    for column in written.columns:
        _note_followed(written[column], records[column], retired, checks)
    return problems


@dataclass(frozen=True)
class _Around:
    """Rows naming retired units: whether each has a point, and the unit in use around it."""

    located: pd.Series
    """Whether the row has a point."""
    unit: pd.Series
    """The code of the unit in use around it (NaN: none, or no point)."""
    name: pd.Series
    """That unit's name."""


def _live_around(rows: pd.DataFrame, column: str, directories: Directories) -> _Around:
    """Return the units in use around the points of ``rows``, in place of the retired ``column``.

    A worker's point is where they were last seen, not their assignment: a roster's rows
    (with a ``home_grid``) are placed by no point.
    """
    nothing = pd.Series(None, index=rows.index, dtype=object)
    if LON_COLUMN not in rows.columns or "home_grid" in rows.columns:
        return _Around(pd.Series(False, index=rows.index), nothing, nothing)
    lon, lat = rows[LON_COLUMN].astype(float), rows[LAT_COLUMN].astype(float)
    located = lon.notna() & lat.notna()
    if not located.any():
        return _Around(located, nothing, nothing)
    asked = pd.DataFrame({"lon": lon, "lat": lat, "code": rows[column]})[located]
    distinct = asked.drop_duplicates(ignore_index=True)
    table = "grids" if column in _GRID_COLUMNS else "jurisdictions"
    found = import_checks.live_units_around(
        directories.conn,
        table,
        list(zip(distinct["lon"], distinct["lat"], strict=True)),
        list(distinct["code"]),
    )
    distinct["unit"] = [f[0] if f is not None else None for f in found]
    distinct["name"] = [f[1] if f is not None else None for f in found]
    placed = asked.reset_index().merge(distinct, on=["lon", "lat", "code"], how="left")
    placed = placed.set_index(placed.columns[0])
    return _Around(
        located,
        placed["unit"].reindex(rows.index).astype(object),
        placed["name"].reindex(rows.index).astype(object),
    )


def _successor(unit: RetiredUnit) -> str | None:
    return unit.successor_code


_EVENT_DAYS = ("reported_at", "visited_on")
"""Columns that date an event row (:data:`layers.import_checks.EVENT_DAYS`), in order."""


def _event_days(records: pd.DataFrame) -> pd.Series | None:
    """Return each event row's local day (NaT where unknown); ``None`` for current records."""
    column = next((c for c in _EVENT_DAYS if c in records.columns), None)
    if column is None:
        return None
    when = pd.to_datetime(records[column], errors="coerce", utc=True, format="ISO8601")
    return when.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None).dt.normalize()


def _kept_in_their_time(
    codes: pd.Series, hit: pd.Series, day: pd.Series | None, retired: dict[str, RetiredUnit]
) -> pd.Series:
    """Return the rows naming a retired unit that are dated before its retirement: they stay.

    A case of 2023 that names 高寨村, merged away on 2024-06-28, happened in 高寨村: it is
    recorded there, as the closed cases of a unit stay where they were handled when it retires.
    Only an event row is dated; a person, a worker, a camera are current records. A grid
    outlives no village: one retired after its village (the township re-coded the grids later)
    was in use only while its village was.
    """
    if day is None or not hit.any():
        return pd.Series(False, index=codes.index)
    since = codes[hit].map(lambda code: pd.Timestamp(_in_use_until(str(code), retired)))
    before = day.reindex(since.index) < since
    return before.reindex(codes.index, fill_value=False).astype(bool)


def _in_use_until(code: str, retired: dict[str, RetiredUnit]) -> date:
    """Return the day the retired unit ``code`` stopped being in use: a grid's, or its village's."""
    until = retired[code].retired_on
    village = retired.get(code[:12]) if len(code) > 12 else None
    return min(until, village.retired_on) if village is not None else until


def _note_kept(
    kept: pd.Series,
    day: pd.Series | None,
    retired: dict[str, RetiredUnit],
    checks: RowChecks,
    what: str | None,
) -> None:
    """Say, once per retired unit, how many rows of its time stay in it, and of which years.

    ``2023 年的 24 行写的“高寨村”（2024-06-28 撤销）按当时的村记录``.
    """
    if day is None or kept.empty:
        return
    for code, rows in kept.groupby(kept, sort=True):
        unit = retired[str(code)]
        years = day.reindex(rows.index).dt.year
        first, last = int(years.min()), int(years.max())
        span = f"{first}" if first == last else f"{first}—{last}"
        note = (
            f"{span} 年的 {len(rows)} 行写的“{unit.name}”（{unit.retired_on.isoformat()} 撤销）"
            f"按当时的{_short_word(unit, what)}记录"
        )
        if note not in checks.notes:
            checks.notes.append(note)


def _short_word(unit: RetiredUnit, what: str | None) -> str:
    """Return what ``unit`` is called in a sentence: 网格, 村, 社区, 乡镇 or 街道."""
    if what is not None:
        return what
    for word in ("村", "社区", "镇", "乡", "街道"):
        if unit.name.endswith(word):
            return "乡镇" if word in ("镇", "乡") else word
    return _unit_word(unit, what)


def _note_followed(
    written: pd.Series, placed: pd.Series, retired: dict[str, RetiredUnit], checks: RowChecks
) -> None:
    """Say, once per retired unit, how many rows that wrote it are recorded in its successor."""
    old = written[written.isin(list(retired))]
    followed = old[placed.reindex(old.index) == old.map(retired).map(_successor)]
    for code, rows in followed.value_counts(sort=False).items():
        unit = retired[str(code)]
        note = (
            f"{rows} 行写的“{unit.name}”已于{unit.retired_on.isoformat()}撤销，"
            f"记入继承的“{unit.successor_name}”"
        )
        if note not in checks.notes:
            checks.notes.append(note)


def _note_by_point(
    written: pd.Series,
    around: _Around,
    retired: dict[str, RetiredUnit],
    checks: RowChecks,
    what: str | None,
) -> None:
    """Say, once per retired unit, where its rows' points placed them (not in its successor).

    Rows placed in the successor itself are told with those that follow it
    (:func:`_note_followed`); ``what`` is what a unit of the column is called (``None``: by
    its level).
    """
    old = written[written.isin(list(retired))]
    elsewhere = around.unit.reindex(old.index) != old.map(retired).map(_successor)
    old = old[elsewhere]
    names = around.name.reindex(old.index)
    for code in old.unique():
        unit = retired[str(code)]
        counted = names[old == code].value_counts()
        most = sorted(counted.items(), key=lambda item: (-item[1], str(item[0])))
        shown = [f"{name} {n} 行" for name, n in most]
        listed = "、".join(shown[:_LISTED]) + ("等" if len(shown) > _LISTED else "")
        note = (
            f"{counted.sum()} 行写的“{unit.name}”已于{unit.retired_on.isoformat()}撤销，"
            f"按点位记入所在的在用{_unit_word(unit, what)}（{listed}）"
        )
        if note not in checks.notes:
            checks.notes.append(note)


def _unit_word(unit: RetiredUnit, what: str | None) -> str:
    """Return what a unit of ``unit``'s kind is called: ``what``, else by its level."""
    return what or _LEVEL_WORDS.get(division_level(unit.code), "辖区")


def _no_successor_rule(unit: RetiredUnit, what: str | None, located: bool = False) -> str:
    """Return why a row naming a retired unit that no unit took over is refused.

    ``located``: the row has a point, in no unit in use of that kind.
    """
    now = _unit_word(unit, what)
    said = f"“{unit.name}”已于{unit.retired_on.isoformat()}撤销，没有继承单位"
    if located:
        said += f"，点位也不在在用的{now}内"
    return f"{said}：请写现在的{now}"


def _area_sources(records: pd.DataFrame, checks: RowChecks, rows: pd.Index) -> pd.Series:
    """Return the field that gave each of ``rows`` its area (its area column, its grid's …)."""
    grid = next((c for c in _GRID_COLUMNS if c in records.columns), None)
    given = [
        (field, checks.text(field).reindex(rows).notna().to_numpy())
        for field in ("area_code", grid, "address", "township")
        if field is not None
    ]
    chosen = np.select([mask for _, mask in given], [field for field, _ in given], "area_code")
    return pd.Series(chosen, index=rows, dtype=object)


def _placed_by_address(records: pd.DataFrame) -> pd.Series:
    """Rows the address places: an address, no location, and no area or only a township's."""
    if "address" not in records.columns or "area_code" not in records.columns:
        return pd.Series(False, index=records.index)
    rows = records["address"].notna()
    if LON_COLUMN in records.columns:
        rows &= records[LON_COLUMN].isna()
    area = records.loc[rows, "area_code"]
    coarse = area.isna() | (area.map(division_level, na_action="ignore") < Level.VILLAGE)
    return rows & coarse.reindex(records.index, fill_value=False)


PERSON_HASH = "id_hash"
"""The staged column of a person's resident ID hash: a file of persons has it."""
PLACED_IN_ONLY_GRID_NOTE = (
    "{{n}} 人没有坐标和网格，已按{source}定到村（社区）：该村（社区）只有一个网格，已划入该网格，"
    "列入其网格员的走访清单（没有居住位置坐标，仍不上地图）"
)
"""Said of the persons :func:`place_in_only_grids` placed, by what gave their village."""
SEVERAL_GRIDS_NOTE = (
    "{{n}} 人没有坐标和网格，按现住址或所属社区只能定到村（社区），而所在的{villages}"
    "有多个网格，无法据此划入网格"
)
"""Said of the persons whose village has several grids: they stay without a grid."""


def place_in_only_grids(
    records: pd.DataFrame, by_address: pd.Series, checks: RowChecks, directories: Directories
) -> pd.DataFrame:
    """Return a file of persons, those with no point and no grid placed in their village's grid.

    A roster's person with a 现住址 or a 所属社区 but no coordinates and no 网格 (trial AV M1)
    lies in the village the address names (:func:`_locate_by_address`, as a case does) or
    the 所属社区 gives. A village with one grid in use is that grid: the person is given it
    (:func:`layers.person_places.only_grids`), and is on its workers' 走访 list. A village of
    several grids does not tell which: the row stays as it is, and the summary says why
    besides its warning of the unplaced. No point is made up (see :mod:`layers.person_places`).
    A person on record with a residence or a grid already (picked on the map, given by an
    earlier roster) keeps it: the row is not placed, and a roster imported again changes
    nothing.

    Parameters
    ----------
    records : pandas.DataFrame
        A part's staging rows of persons, their units resolved.
    by_address : pandas.Series
        The rows whose unit their address gave (:func:`_placed_by_address`).
    checks : RowChecks
        The file's checks: the notes go there.
    directories : Directories
        The database.

    Returns
    -------
    pandas.DataFrame
        ``records``, with the grid of the rows placed.
    """
    needed = {"area_code", "grid_code", LON_COLUMN, "category", PERSON_HASH}
    if not needed.issubset(records.columns):
        return records
    area = records["area_code"]
    unplaced = records[LON_COLUMN].isna() & records["grid_code"].isna() & area.notna()
    village = area[unplaced].map(division_level) == Level.VILLAGE
    rows = village.index[village]
    if rows.empty:
        return records
    conn = directories.conn
    grids = person_places.only_grids(conn, list(area[rows].astype(str)))
    hashes = records[PERSON_HASH]
    pairs = {
        row: (str(records.at[row, "category"]), bytes.fromhex(hashes[row][2:]))
        for row in rows
        if str(area[row]) in grids and isinstance(hashes[row], str)
    }
    placed_before = person_places.placed_on_record(conn, list(pairs.values()))
    records = records.copy()
    from_address: list[int] = []
    from_area: list[int] = []
    several: dict[str, list[int]] = {}
    for row, pair in pairs.items():
        count, grid = grids[str(area[row])]
        if pair in placed_before:
            continue
        if count > 1:
            several.setdefault(str(area[row]), []).append(int(row))
            continue
        records.at[row, "grid_code"] = grid
        (from_address if bool(by_address.get(row, False)) else from_area).append(int(row))
    for source, placed in (("现住址", from_address), ("所属社区", from_area)):
        checks.note_rows(PLACED_IN_ONLY_GRID_NOTE.format(source=source), placed)
    if several:
        places = directories.places()
        units = {code: places.unit(code) for code in several}
        named = [
            f"{places.under_parent(unit) if unit else code}（{grids[code][0]} 个网格）"
            for code, unit in units.items()
        ]
        villages = "、".join(named[:3]) + ("等" if len(named) > 3 else "")
        rows_of = [row for rows_here in several.values() for row in rows_here]
        checks.note_rows(SEVERAL_GRIDS_NOTE.format(villages=villages), rows_of)
    return records


def address_places(
    records: pd.DataFrame, directories: Directories, limit: int = 2000
) -> PlacedPoints | None:
    """Return located rows that name no place but whose address names one, for the CRS check.

    Up to ``limit`` rows, spread over the file, whose address names one unit with a boundary
    (:meth:`geo.places.Gazetteer.in_address`). The address is evidence of where the
    point should be, independent of the point: a 12345 export with 经度/纬度 and 事发地址 but no
    所属社区 can then be checked, and so can a camera list by its 安装位置
    (:data:`importers.stations.INSTALL_ADDRESS`, read only for such checks).

    Parameters
    ----------
    records : pandas.DataFrame
        A part's staging rows (their points in :data:`layers.bulk.LON_COLUMN` …).
    directories : Directories
        The database's jurisdictions.
    limit : int
        Most rows looked at.

    Returns
    -------
    PlacedPoints or None
        The points and units, ``None`` when no row qualifies.
    """
    written = "address" if "address" in records.columns else INSTALL_ADDRESS
    if not {written, "area_code", LON_COLUMN}.issubset(records.columns):
        return None
    unplaced = records[written].notna() & records[LON_COLUMN].notna()
    unplaced &= records["area_code"].isna()
    for column in ("grid_code", "home_grid"):
        if column in records.columns:
            unplaced &= records[column].isna()
    rows = records[unplaced]
    if rows.empty:
        return None
    rows = rows.iloc[:: max(1, len(rows) // limit)]
    places, prefer = directories.places(), directories.preference()
    codes = [places.in_address(str(a), prefer=prefer)[0] for a in rows[written]]
    found = [(i, c) for i, c in enumerate(codes) if c is not None]
    with_boundary = import_checks.bounded(directories.conn, [c for _, c in found])
    kept = [(i, c) for i, c in found if c in with_boundary]
    if not kept:
        return None
    lon, lat = rows[LON_COLUMN].to_numpy(float), rows[LAT_COLUMN].to_numpy(float)
    return PlacedPoints(
        [float(lon[i]) for i, _ in kept], [float(lat[i]) for i, _ in kept], [c for _, c in kept]
    )


def _locate_named_areas(
    records: pd.DataFrame, checks: RowChecks, directories: Directories
) -> list[Problem]:
    """Fill the area code of rows that name their jurisdiction; return the rows that cannot.

    A name that means one unit gives the area code; one that several units share is told
    apart by the row's point, then its address (:func:`_settle_shared`). Where the row has a
    code already (its own, or its grid's), the name must be that unit or one above or below it
    (the deeper one is kept); a name the gazetteer cannot place is then left alone, the code
    governs.
    """
    places, prefer = directories.places(), directories.preference()
    names = records[AREA_NAME]
    towns = records[TOWNSHIP_NAME]
    named = names.notna() | towns.notna()
    pairs = [(_text(n), _text(t)) for n, t in zip(names[named], towns[named], strict=True)]
    found = {pair: places.locate(*pair, prefer=prefer) for pair in set(pairs)}
    scope = directories.scope()
    if scope is not None:  # a unit of another county is outside, not one to import first
        found |= _named_elsewhere(found, places, prefer, scope)
    rows = records.index[named]
    codes = list(records.loc[rows, "area_code"])
    # A row without a code whose name stays shared: its point, then its address, may tell.
    uncoded = [
        at
        for at, (pair, have) in enumerate(zip(pairs, codes, strict=True))
        if not isinstance(have, str) and found[pair][0] is None
    ]
    settled = _settle_shared_units(
        records.loc[rows[uncoded]], [pairs[at] for at in uncoded], directories
    )
    problems: list[tuple[int, str]] = []
    for at, (row, pair, have) in enumerate(zip(rows, pairs, codes, strict=True)):
        unit, rule = settled.get(row) or found[pair]
        if unit is None:
            if not isinstance(have, str):
                problems.append((int(row), rule))
        elif not isinstance(have, str) or places.within(unit, have):
            codes[at] = unit
        elif places.within(unit, places.current(have)):  # a retired village, by its new name
            codes[at] = unit
        elif have in places and not (
            places.within(have, unit) or places.within(have, places.current(unit))
        ):
            meant = places.label_of(unit)
            problems.append((int(row), f"此名称指{meant}，与编码所示辖区 {have} 不一致"))
    records.loc[rows, "area_code"] = codes
    by_name = [(row, text) for row, text in problems if _text(names.at[row]) is not None]
    by_town = [(row, text) for row, text in problems if _text(names.at[row]) is None]
    return checks.problems_at("area_code", by_name) + checks.problems_at("township", by_town)


def _named_elsewhere(
    found: dict[tuple[str | None, str | None], tuple[str | None, str]],
    places: Gazetteer,
    prefer: Preference,
    scope: Scope,
) -> dict[tuple[str | None, str | None], tuple[str | None, str]]:
    """Return the rules of the names the database lacks that name a division outside ``scope``.

    ``found`` maps each ``(name, township)`` to what :meth:`Gazetteer.locate` said; a pair
    that means no unit of the database and names a division elsewhere in the country
    (:func:`importers.within.division_elsewhere`) is refused as outside the jurisdiction.
    """
    elsewhere: dict[tuple[str | None, str | None], tuple[str | None, str]] = {}
    for pair, (code, _) in found.items():
        if code is not None or places.candidates(*pair, prefer):
            continue
        rules = (division_elsewhere(written, scope) for written in pair[::-1] if written)
        rule = next((r for r in rules if r is not None), None)  # the township first
        if rule is not None:
            elsewhere[pair] = (None, rule)
    return elsewhere


def _locate_by_address(
    records: pd.DataFrame, placed: pd.Series, checks: RowChecks, directories: Directories
) -> list[Problem]:
    """Fill (or deepen) the area code of the ``placed`` rows from their addresses.

    A row without an area code whose address could mean several units is rejected with them;
    one whose address names no unit is left to the missing-area rule. A township's row is
    placed deeper only by a unit inside that township.
    """
    places, prefer = directories.places(), directories.preference()
    rows = records.index[placed]
    codes = [_text(c) for c in records.loc[rows, "area_code"]]
    pairs = list(zip(records.loc[rows, "address"], codes, strict=True))
    found = {pair: places.in_address(*pair, prefer=prefer) for pair in set(pairs)}
    problems: list[tuple[int, str]] = []
    for at, (row, pair) in enumerate(zip(rows, pairs, strict=True)):
        unit, rule = found[pair]
        if unit is not None:
            codes[at] = unit
        elif rule and pair[1] is None:
            problems.append((int(row), rule))
    records.loc[rows, "area_code"] = codes
    return checks.problems_at("address", problems)


def _locate_named_grids(
    records: pd.DataFrame, checks: RowChecks, directories: Directories
) -> list[Problem]:
    """Fill the grid code of rows that name their grid (and their area code when missing).

    A row's area above the grid's village (its 所属乡镇) is deepened afterwards, as for a
    grid code (:func:`_place_in_grid_villages`).
    """
    grids, prefer = directories.grids(), directories.preference()
    if "code" in records.columns:  # the grids of a boundary file without codes
        return _locate_grids_by_name(records, checks, grids, prefer)
    column = "home_grid" if "home_grid" in records.columns else "grid_code"
    named = records[GRID_NAME].notna()
    rows = records.index[named]
    codes = list(records.loc[rows, column])
    areas = list(records.loc[rows, "area_code"])
    pairs = [(str(n), _text(a)) for n, a in zip(records[GRID_NAME][named], areas, strict=True)]
    found = {pair: grids.locate(*pair, prefer=prefer) for pair in set(pairs)}
    settled = _settle_shared_grids(records.loc[rows], pairs, directories)
    problems: list[tuple[int, str]] = []
    for at, (row, pair) in enumerate(zip(rows, pairs, strict=True)):
        grid, rule = settled.get(row) or found[pair]
        if grid is None:
            problems.append((int(row), rule))
            continue
        codes[at] = grid.code
        if not isinstance(areas[at], str):
            areas[at] = grid.area_code
    records.loc[rows, column] = codes
    records.loc[rows, "area_code"] = areas
    return checks.problems_at(column, problems)


def _place_in_grid_villages(records: pd.DataFrame, directories: Directories) -> pd.DataFrame:
    """Return ``records``, the rows filed above their grid's village (a township …) in it.

    A roster's 所属乡镇 beside its 所属网格 (``东街街道``, ``县府街社区第1网格``) places the row in
    the township first; the grid, named or coded, lies in one village of it, and the worker
    works there: a village's users see them, and an account opened for them is the village's
    (trial AV S1: 20 of 29 workers stayed at their township, out of their village's sight). A
    grid outside the row's unit leaves the row as it is (the checks of names and codes said
    so where they could), and so does a retired area (:func:`follow_retired` leads it to its
    successor and says so); a grid the database lacks is refused later. Vectorised over the
    distinct pairs of grid and area.
    """
    column = next((c for c in _GRID_COLUMNS if c in records.columns), None)
    if column is None or "area_code" not in records.columns:
        return records
    pairs = records[[column, "area_code"]].dropna()
    pairs = pairs[pairs[column].str[:12] != pairs["area_code"]]
    if pairs.empty:
        return records
    grids, places = directories.grids(), directories.places()
    village: dict[tuple[str, str], str] = {}
    for code, area in pairs.drop_duplicates().itertuples(index=False):
        grid = grids.grid(str(code))
        if grid is not None and grid.area_code != area and places.within(grid.area_code, area):
            village[str(code), str(area)] = grid.area_code
    if not village:
        return records
    deeper = pd.Series(
        [village.get((str(c), str(a))) for c, a in pairs.itertuples(index=False)],
        index=pairs.index,
        dtype=object,
    ).dropna()
    records = records.copy()
    records.loc[deeper.index, "area_code"] = deeper
    return records


NAME_AGAINST_CODE = "所属网格“{name}”与网格编码 {code}（{actual}）不符：请核对是哪一列填错"
"""Why a row whose grid name beside its grid code names another grid is refused."""
UNKNOWN_CODE_BESIDE_NAME = (
    "网格编码 {code} 库中没有此网格（所属网格按名称是网格 {named}）：请核对网格编码"
)
"""Why a row whose grid code no grid has, beside the name of a grid, is refused: the code is
what is wrong, and the name is the row's value, which the summary names beside the reason
(trial AR m1: its reason led with 所属网格“…”, the name cut out as the value it quoted)."""


def _hold_names_to_codes(
    records: pd.DataFrame, checks: RowChecks, directories: Directories
) -> list[Problem]:
    """Refuse the rows whose grid name, beside the code read, names another grid.

    A roster's 网格编码 is read first and its 所属网格 kept beside it (trial AL S2: 南河第1网格
    beside the code of 南河第2网格 went in as the code said, unsaid): the name is looked up in
    the code's village; another grid's name there refuses the row (a name no grid bears, as a
    former name, is left to the code), and so does a code no grid has beside a grid's name.
    """
    grids = directories.grids()
    column = "home_grid" if "home_grid" in records.columns else "grid_code"
    problems: list[tuple[int, str]] = []
    for row, name, code in zip(
        records.index, records[GRID_NAME_BESIDE], records[column], strict=True
    ):
        if not isinstance(name, str) or not isinstance(code, str):
            continue
        grid, _ = grids.locate(name, code[:12])
        if grid is None or grid.code == code:  # a former name the code stands for, or its own
            continue
        coded = grids.grid(code)
        if coded is None:
            rule = UNKNOWN_CODE_BESIDE_NAME.format(code=code, named=grid.code)
        else:
            rule = NAME_AGAINST_CODE.format(name=name, code=code, actual=coded.name)
        problems.append((int(row), rule))
    return checks.problems_at(column, problems)


def _settle_shared_grids(
    rows: pd.DataFrame, pairs: list[tuple[str, str | None]], directories: Directories
) -> dict[Any, tuple[GridPlace, str]]:
    """Return the grids of the rows whose grid name several grids share, told apart by the row.

    Its point tells first: the grid whose boundary (else village's, township's) covers it
    (:func:`layers.import_checks.grids_around_points`); then its address: the grid in the unit
    the address names (``华溪镇新复社区幸福路 3 号``).
    """
    grids, prefer = directories.grids(), directories.preference()
    shared = {pair: grids.candidates(*pair, prefer=prefer) for pair in set(pairs)}
    at = [i for i, pair in enumerate(pairs) if len(shared[pair]) > 1]
    chosen = _settle_shared(
        rows.iloc[at],
        [shared[pairs[i]] for i in at],
        _grid_code,
        _grid_area,
        import_checks.grids_around_points,
        directories,
    )
    return {row: (grid, "") for row, grid in chosen.items()}


def _settle_shared_units(
    rows: pd.DataFrame,
    pairs: Sequence[tuple[str | None, str | None]],
    directories: Directories,
    taken_over: bool = True,
) -> dict[Any, tuple[str, str]]:
    """Return the units of the rows whose name (and township) several units share, told apart.

    As grids (:func:`_settle_shared_grids`): the row's point (or a point of its boundary)
    tells first, the unit whose own boundary, else township's, covers it
    (:func:`layers.import_checks.units_around_points`); then its address. ``taken_over`` as
    :meth:`geo.places.Gazetteer.candidates` (``False`` for a file of units).
    """
    places, prefer = directories.places(), directories.preference()
    shared = {
        pair: places.candidates(*pair, prefer=prefer, taken_over=taken_over) for pair in set(pairs)
    }
    at = [i for i, pair in enumerate(pairs) if len(shared[pair]) > 1]
    chosen = _settle_shared(
        rows.iloc[at],
        [shared[pairs[i]] for i in at],
        _unit_code,
        _unit_code,
        import_checks.units_around_points,
        directories,
    )
    return {row: (unit.code, "") for row, unit in chosen.items()}


def _settle_shared(
    rows: pd.DataFrame,
    candidates: list[list[T]],
    code_of: Callable[[T], str],
    area_of: Callable[[T], str],
    around: Around,
    directories: Directories,
) -> dict[Any, T]:
    """Return, of the places each row's shared name means, the one the row itself tells.

    Its point first (:data:`Around`: the candidate whose boundary, else whose village's or
    township's, covers it), else its address: the candidate in the unit the address names.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows whose names mean several places, with their points (or boundaries) and addresses.
    candidates : list of list
        Each row's places (units or grids).
    code_of, area_of : callable
        A place → its code; → the code of the jurisdiction it lies in.
    around : callable
        The database check of points against the candidates' boundaries.
    directories : Directories
        The database's jurisdictions (for the addresses).

    Returns
    -------
    dict
        Row index → its place, for the rows told apart.
    """
    chosen: list[T | None] = [None] * len(candidates)
    points = _row_points(rows)
    located = [i for i, point in enumerate(points) if point is not None]
    if located:
        found = around(
            directories.conn,
            [p for p in points if p is not None],
            [[code_of(c) for c in candidates[i]] for i in located],
        )
        for i, code in zip(located, found, strict=True):
            chosen[i] = next((c for c in candidates[i] if code_of(c) == code), None)
    if "address" in rows.columns:
        places, prefer = directories.places(), directories.preference()
        for i, address in enumerate(rows["address"]):
            if chosen[i] is None and isinstance(address, str):
                unit = places.in_address(address, prefer=prefer)[0]
                if unit is not None:
                    narrowed = places.preferred(candidates[i], area_of, Preference([unit]))
                    chosen[i] = narrowed[0] if len(narrowed) == 1 else None
    return {row: place for row, place in zip(rows.index, chosen, strict=True) if place is not None}


def _row_points(rows: pd.DataFrame) -> list[tuple[float, float] | None]:
    """Return each row's point: its own, else a point on its boundary's surface (or ``None``)."""
    if LON_COLUMN in rows.columns:
        lon = rows[LON_COLUMN].to_numpy(dtype=float)
        lat = rows[LAT_COLUMN].to_numpy(dtype=float)
    elif "boundary" in rows.columns:
        shapes = shapely.from_wkb(rows["boundary"].to_numpy(dtype=object))
        surface = shapely.point_on_surface(shapes)
        lon, lat = shapely.get_x(surface), shapely.get_y(surface)
    else:
        return [None] * len(rows)
    return [
        (float(x), float(y)) if x == x and y == y else None  # NaN: no point
        for x, y in zip(lon, lat, strict=True)
    ]


def _grid_code(grid: GridPlace) -> str:
    return grid.code


def _grid_area(grid: GridPlace) -> str:
    return grid.area_code


def _unit_code(unit: Place) -> str:
    return unit.code


def _locate_grids_by_name(
    records: pd.DataFrame, checks: RowChecks, grids: GridDirectory, prefer: Preference
) -> list[Problem]:
    """Give each row of a grid file without codes the grid it names; reject the others.

    The row takes the grid's code, name and village. A row that names no grid (or several),
    or one an earlier row named, is rejected.
    """
    found: list[GridPlace | None] = []
    problems: list[tuple[int, str]] = []
    for row, name, area in zip(
        records.index, records[GRID_NAME], records["area_code"], strict=True
    ):
        grid, rule = (
            grids.locate(str(name), _text(area), prefer, taken_over=False)
            if isinstance(name, str)
            else (None, "")
        )
        found.append(grid)
        if grid is None and rule:
            problems.append((int(row), rule))
    records["code"] = [g.code if g else None for g in found]
    records["name"] = [g.name if g else None for g in found]
    records["area_code"] = [
        g.area_code if g else a for g, a in zip(found, records["area_code"], strict=True)
    ]
    problems += _named_again(records["code"], "网格")
    return checks.problems_at("name", problems)


def _locate_named_units(
    records: pd.DataFrame, checks: RowChecks, directories: Directories
) -> list[Problem]:
    """Give each row of a boundary file without codes the unit it names; reject the others.

    The row takes the unit's code, level and parent. A name several units share is told
    apart by the row's township (所属乡镇), then by where its boundary lies (the unit, else the
    township, whose boundary covers a point of it). A row that names no unit (or several), or
    one an earlier row named, is rejected.
    """
    places, prefer = directories.places(), directories.preference()
    names = records[UNIT_NAME]
    towns = records.get(TOWNSHIP_NAME, pd.Series(None, index=records.index, dtype=object))
    pairs = [(_text(n), _text(t)) for n, t in zip(names, towns, strict=True)]
    named = {pair for pair in pairs if pair[0] is not None}
    found = {pair: places.locate(*pair, prefer=prefer, taken_over=False) for pair in named}
    shared = [at for at, pair in enumerate(pairs) if pair in found and found[pair][0] is None]
    settled = _settle_shared_units(
        records.iloc[shared], [pairs[at] for at in shared], directories, taken_over=False
    )
    unknown = {town for _, town in named if town is not None and not places.find(town)}
    problems: list[tuple[int, str]] = []
    by_town: list[tuple[int, str]] = []  # a township the database lacks: its column's problem
    codes: list[str | None] = []
    for row, pair in zip(records.index, pairs, strict=True):
        code, rule = settled.get(row) or found.get(pair, (None, ""))
        codes.append(code)
        if code is None and rule:
            (by_town if pair[1] in unknown else problems).append((int(str(row)), rule))
    coded = pd.Series(codes, index=records.index, dtype=object)
    records["code"] = coded
    records["name"] = coded.map(lambda c: _unit_name(places, c), na_action="ignore")  # its own
    records["level"] = coded.map(lambda c: str(division_level(c)), na_action="ignore")
    records["parent_code"] = coded.map(parent_code, na_action="ignore")
    problems += _named_again(coded, "辖区")
    return checks.problems_at("name", problems) + checks.problems_at("township", by_town)


def _unit_name(places: Gazetteer, code: str) -> str | None:
    unit = places.unit(code)
    return unit.name if unit is not None else None


def _named_again(codes: pd.Series, what: str) -> list[tuple[int, str]]:
    """Rows naming a unit an earlier row named (by another name, or the same)."""
    placed = codes.dropna()
    first = placed.groupby(placed, sort=False).transform(lambda rows: rows.index[0])
    again = placed.index[placed.duplicated(keep="first")]
    return [
        (int(row), f"与第 {int(first[row])} 行是同一个{what}（{placed[row]}）") for row in again
    ]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
