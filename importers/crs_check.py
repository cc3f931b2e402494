"""Is a file's CRS what was assumed? Its positions against its places and its records on file.

A CSV or workbook does not say which CRS its coordinates are in, and clerks rarely know: a
point picked on a map app is GCJ-02 (高德, 腾讯) or BD-09 (百度), while a GPS, a phone's own
positioning or 天地图 gives CGCS2000 / WGS84. Read in the wrong one, every point is off by a
few hundred metres, within the tolerance of the jurisdiction check: the map is silently wrong.
When the CRS was assumed (no ``--crs``, none declared by the file), two sources of evidence
tell which reading puts the file where it should be:

* the rows that name their grid or village (or whose address names it): which reading puts
  their points inside those places (points only; a village is large, so this sees a few
  hundred metres only near its boundary);
* the rows that update a record on file (same natural key: device ID, grid code, 工号 …)
  whose record has a geometry: which reading puts them within :data:`TOLERANCE_M` of it
  (points, and the centroids of grid and jurisdiction boundaries). A file that repeats what
  is on record agrees with it in its own CRS; a few rows that really moved do not matter.

Each source decides alone (:func:`better_reading`), and when neither alone is clear, the two
together do (:func:`refusal`). One reading that does clearly better refuses the file, naming
the ``--crs`` to use. A CRS the file declares is checked too, when it is geographic: a GeoJSON
or KML is WGS84 by definition, yet one drawn on a Chinese web map holds GCJ-02.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg

from geo.crs import SourceCrs, geodesic_metres, to_cgcs2000
from importers.rules import Problem
from layers.import_checks import (
    OnRecord,
    PlacedPoints,
    placed_points,
    points_inside,
    positions_on_record,
)

CANDIDATES = ("gcj02", "bd09")
"""The CRSs tried besides the assumed one: the web maps' (GCJ-02 and BD-09)."""

CRS_NAMES = {
    "cgcs2000": "CGCS2000（GPS、天地图）",
    "wgs84": "WGS84（GPS）",
    "gcj02": "GCJ-02（高德、腾讯地图）",
    "bd09": "BD-09（百度地图）",
}
"""How the message names each CRS."""

MIN_POINTS = 20
"""Fewer positions compared than this say nothing."""
MIN_SHARE = 0.8
"""A reading that agrees with fewer positions than this is no better guess."""
MIN_GAIN = 0.05
"""Share of the positions the better reading must add (and at least :data:`MIN_GAIN_POINTS`)."""
MIN_GAIN_POINTS = 5
"""Fewest positions the better reading must add."""
MISS_RATIO = 4
"""A reading that misses at most a quarter of the positions the assumed one misses is better."""
TOLERANCE_M = 30.0
"""How near (metres) a row's position must lie to its record's to agree with it.

Above what a re-survey moves a point (a GPS fix repeats within about 10 m; 5 decimals of a
degree are 1 m), below the smallest GCJ-02 offset anywhere in China (about 40 m; 100–700 m on
99% of its land, about 370 m in 玉溪) and far below BD-09's (another 760–980 m).
"""


@dataclass(frozen=True)
class Reading:
    """How many positions one CRS puts where the evidence says they are.

    Attributes
    ----------
    crs : str
        The CRS name (``cgcs2000``, ``gcj02`` …).
    inside : int
        Positions that agree: points inside the boundary of the grid or jurisdiction their row
        names, or rows within :data:`TOLERANCE_M` of their record.
    total : int
        Positions tried.
    """

    crs: str
    inside: int
    total: int

    @property
    def share(self) -> float:
        """Share of the positions that agree."""
        return self.inside / self.total if self.total else 0.0

    def __add__(self, other: Reading) -> Reading:
        """Pool two sources' readings of the same CRS."""
        return Reading(self.crs, self.inside + other.inside, self.total + other.total)


@dataclass(frozen=True)
class Unconfirmed:
    """A CRS the user did not give: assumed, or declared by the file.

    Attributes
    ----------
    crs : SourceCrs
        The CRS the points were read in.
    declared : bool
        The file declares it (a GIS file's own CRS); else it is the default.
    """

    crs: SourceCrs
    declared: bool


@dataclass(frozen=True)
class Records:
    """The records a file's rows update: where to find them, and what the message calls them.

    Attributes
    ----------
    table : str
        Their table.
    key : tuple of str
        The natural key a row matches its record by.
    label : str
        Their geometries in the message (``点位``, ``网格边界`` …).
    """

    table: str
    key: tuple[str, ...]
    label: str = "点位"


@dataclass(frozen=True)
class Checked:
    """The positions an unconfirmed CRS was checked with.

    Attributes
    ----------
    places : int
        Points compared with the place their row names.
    on_record : int
        Rows compared with their record on file.
    doubt : str or None
        What the user is told when another reading did better, though not clearly (Chinese;
        :func:`doubt_note`).
    """

    places: int = 0
    on_record: int = 0
    doubt: str | None = None

    @property
    def total(self) -> int:
        """All the positions compared."""
        return self.places + self.on_record


class WrongCrs(ValueError):
    """The CRS read in puts clearly fewer positions where they belong than another (Chinese).

    Parameters
    ----------
    assumed, better : Reading
        The reading of the CRS the points were read in, and the better one.
    declared : bool
        The file declares the CRS read in (else it was assumed).
    compared : str, optional
        What the assumed reading was compared with, and how it fared (Chinese); by default
        the places the rows name.

    Attributes
    ----------
    problems : list of importers.rules.Problem
        The rows' own problems found before the CRS was (set by the loader), for a report
        that lets the clerk correct them before importing again with ``--crs``.
    """

    def __init__(
        self,
        assumed: Reading,
        better: Reading,
        *,
        declared: bool = False,
        compared: str | None = None,
    ) -> None:
        self.assumed = assumed
        self.better = better
        self.problems: list[Problem] = []
        why = "文件注明的坐标系" if declared else "文件没有注明坐标系，"
        compared = compared or (
            f"抽查的 {assumed.total} 个点中 {assumed.share:.0%} 落在所填的网格或村（社区）内"
        )
        super().__init__(
            f"坐标系可能不对：{why}按 {CRS_NAMES[assumed.crs]}读取时，{compared}；"
            f"按 {CRS_NAMES[better.crs]}读取时 {better.share:.0%}。"
            f"请加 --crs {better.crs} 重新导入；"
            f"如坐标确为 {CRS_NAMES[assumed.crs]}，请加 --crs {assumed.crs}"
        )


def better_reading(assumed: Reading, others: list[Reading]) -> Reading | None:
    """Return the reading clearly better than the assumed one, if any.

    Clearly: at least :data:`MIN_POINTS` positions, the better one agrees with at least
    :data:`MIN_SHARE` of them, and with :data:`MIN_GAIN_POINTS` more than the assumed one
    does: :data:`MIN_GAIN` of them, or all but a :data:`MISS_RATIO` th of those the assumed
    one misses (in a county of large grids, a 370 m shift moves few points out of theirs, and
    the right reading moves them all back in).

    Parameters
    ----------
    assumed : Reading
        The assumed CRS's.
    others : list of Reading
        The other candidates'.

    Returns
    -------
    Reading or None
        The best of the others, when clearly better.

    Examples
    --------
    >>> better_reading(Reading("cgcs2000", 70, 100), [Reading("gcj02", 99, 100)]).crs
    'gcj02'
    >>> better_reading(Reading("cgcs2000", 97, 100), [Reading("gcj02", 99, 100)]) is None
    True
    >>> better_reading(Reading("cgcs2000", 5, 10), [Reading("gcj02", 10, 10)]) is None
    True
    >>> better_reading(Reading("cgcs2000", 174, 183), [Reading("gcj02", 183, 183)]).crs
    'gcj02'
    >>> better_reading(Reading("cgcs2000", 174, 183), [Reading("gcj02", 180, 183)]) is None
    True
    """
    if assumed.total < MIN_POINTS or not others:
        return None
    best = max(others, key=lambda r: r.inside)
    gain = best.inside - assumed.inside
    misses = assumed.total - assumed.inside
    fewer_misses = (best.total - best.inside) * MISS_RATIO <= misses
    clear = gain >= MIN_GAIN_POINTS and (gain >= MIN_GAIN * assumed.total or fewer_misses)
    return best if best.share >= MIN_SHARE and clear else None


def refusal(
    places: list[Reading],
    on_record: list[Reading],
    *,
    declared: bool = False,
    label: str = "点位",
) -> WrongCrs | None:
    """Return the refusal the evidence calls for, if any.

    The records on file decide first (a row within metres of its record in one reading and
    hundreds of metres off in the others is the strongest evidence), then the places, each
    alone: one clear source is enough, however the other fares (a file matching records that
    were themselves loaded in the wrong CRS still puts its points outside their places). When
    neither alone is clear (each too few, say 15 updated cameras and 10 named villages), the
    two are pooled.

    Parameters
    ----------
    places, on_record : list of Reading
        Each source's readings, the CRS read in first, then :data:`CANDIDATES`; empty when
        the source has nothing.
    declared : bool
        The file declares the CRS read in.
    label : str
        What the records' geometries are called (``点位``, ``网格边界`` …).

    Returns
    -------
    WrongCrs or None
        The error to raise.

    Examples
    --------
    >>> moved = [Reading("cgcs2000", 0, 15), Reading("gcj02", 15, 15), Reading("bd09", 0, 15)]
    >>> inside = [Reading("cgcs2000", 28, 30), Reading("gcj02", 30, 30), Reading("bd09", 9, 30)]
    >>> refusal([], moved) is None  # too few alone
    True
    >>> refusal(inside, moved).better.crs
    'gcj02'
    >>> refusal(inside, [r + r for r in moved]).assumed.total  # enough alone: records decide
    30
    """
    both = bool(places and on_record)
    pooled = [a + b for a, b in zip(places, on_record, strict=True)] if both else []
    near = f"在原处 {TOLERANCE_M:g} 米内"
    sources = {
        f"与库中已有的 {{total}} 个{label}比对，{{share}} {near}": on_record,
        "抽查的 {total} 个点中 {share} 落在所填的网格或村（社区）内": places,
        f"与所填的网格或村（社区）及库中已有的{label}共比对 {{total}} 次，"
        f"{{share}} 相符（落在其内或{near}）": pooled,
    }
    for compared, readings in sources.items():
        better = better_reading(readings[0], readings[1:]) if readings else None
        if better is not None:
            assumed = readings[0]
            said = compared.format(total=assumed.total, share=f"{assumed.share:.0%}")
            return WrongCrs(assumed, better, declared=declared, compared=said)
    return None


def check_unconfirmed_crs(
    conn: psycopg.Connection[Any],
    staging: str,
    geometry: str,
    unconfirmed: Unconfirmed,
    *,
    grid_column: str | None,
    area_column: str | None,
    by_address: PlacedPoints | None = None,
    records: Records | None = None,
) -> Checked:
    """Refuse the file when another CRS clearly puts its positions where the evidence says.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of the file's rows, before area codes are filled in from the points.
    geometry : str
        Its geometry column: points, or polygons (checked against their records only).
    unconfirmed : Unconfirmed
        The CRS the points were read in, which the user did not give. Only a geographic one
        (CGCS2000, WGS84) is checked.
    grid_column, area_column : str or None
        The staged columns naming each point's grid and jurisdiction (``None`` for polygons).
    by_address : PlacedPoints, optional
        Points of rows that name no grid or jurisdiction, with the unit their address names
        (:func:`importers.names.address_places`): evidence too.
    records : Records, optional
        The table and natural key of the records the rows update: those with a geometry are
        evidence too.

    Returns
    -------
    Checked
        The positions checked (at most a sample of each source). Fewer than
        :data:`MIN_POINTS` in all say nothing: the CRS stays unconfirmed (see
        :func:`unchecked_note`). None for a CRS that is not geographic (not checked).

    Raises
    ------
    WrongCrs
        Another reading is clearly better.
    """
    if unconfirmed.crs.kind not in ("cgcs2000", "wgs84"):
        return Checked()
    placed = placed_points(
        conn, staging, geometry, grid_column=grid_column, area_column=area_column
    )
    if by_address is not None:
        placed = PlacedPoints(
            placed.lon + by_address.lon,
            placed.lat + by_address.lat,
            placed.codes + by_address.codes,
        )
    found = (
        positions_on_record(conn, staging, geometry, records.table, records.key)
        if records is not None
        else OnRecord([], [], [], [])
    )
    checked = Checked(len(placed.codes), len(found.lon))
    if checked.total < MIN_POINTS:
        return checked
    places = _place_readings(conn, placed, unconfirmed.crs.name)
    on_record = _record_readings(found, unconfirmed.crs.name)
    label = records.label if records is not None else "点位"
    refused = refusal(places, on_record, declared=unconfirmed.declared, label=label)
    if refused is not None:
        raise refused
    doubt = next(filter(None, (doubt_note(r) for r in (on_record, places) if r)), None)
    return Checked(checked.places, checked.on_record, doubt)


def doubt_note(readings: list[Reading]) -> str | None:
    """Return what the user is told when another reading did better, though not clearly.

    Too few positions to refuse the file (a few more inside their places, say 20 of 20 against
    16 of 20), yet more than chance: the assumed reading misses at least two positions, and
    another misses at most a :data:`MISS_RATIO` th of them.

    Parameters
    ----------
    readings : list of Reading
        One source's readings, the CRS read in first.

    Returns
    -------
    str or None
        The note, or ``None`` when no other reading did better.

    Examples
    --------
    >>> readings = [Reading("cgcs2000", 16, 20), Reading("gcj02", 20, 20), Reading("bd09", 16, 20)]
    >>> doubt_note(readings).split("，")[:2]  # doctest: +NORMALIZE_WHITESPACE
    ['坐标系存疑：按 CGCS2000（GPS、天地图）读取时 20 个点中 80% 相符',
     '按 GCJ-02（高德、腾讯地图）读取时 100%']
    >>> doubt_note([Reading("cgcs2000", 19, 20), Reading("gcj02", 20, 20)]) is None
    True
    """
    assumed, others = readings[0], readings[1:]
    best = max(others, key=lambda r: r.inside)
    misses = assumed.total - assumed.inside
    if best.inside - assumed.inside < 2 or (best.total - best.inside) * MISS_RATIO > misses:
        return None
    return (
        f"坐标系存疑：按 {CRS_NAMES[assumed.crs]}读取时 {assumed.total} 个点中 "
        f"{assumed.share:.0%} 相符，按 {CRS_NAMES[best.crs]}读取时 {best.share:.0%}，"
        f"点数太少，未据此退回。坐标如是在高德、腾讯地图（或以其为底图的平台）上取的点，"
        f"应加 --crs {best.crs}（导入前可先加 --dry-run 核对）"
    )


def _place_readings(
    conn: psycopg.Connection[Any], placed: PlacedPoints, read_in: str
) -> list[Reading]:
    """Each reading's points inside their places: the CRS read in first (none: empty)."""
    total = len(placed.codes)
    if not total:
        return []
    lon, lat = np.asarray(placed.lon), np.asarray(placed.lat)
    readings = [Reading(read_in, points_inside(conn, placed.codes, lon, lat), total)]
    for name in CANDIDATES:
        x, y = to_cgcs2000(lon, lat, name)
        readings.append(Reading(name, points_inside(conn, placed.codes, x, y), total))
    return readings


def _record_readings(found: OnRecord, read_in: str) -> list[Reading]:
    """Each reading's rows near their records: the CRS read in first (none: empty)."""
    total = len(found.lon)
    if not total:
        return []
    lon, lat = np.asarray(found.lon), np.asarray(found.lat)
    readings = [Reading(read_in, _near(found, lon, lat), total)]
    for name in CANDIDATES:
        readings.append(Reading(name, _near(found, *to_cgcs2000(lon, lat, name)), total))
    return readings


def _near(found: OnRecord, lon: npt.ArrayLike, lat: npt.ArrayLike) -> int:
    """Count the positions within :data:`TOLERANCE_M` of their records'."""
    distance = geodesic_metres(lon, lat, found.record_lon, found.record_lat)
    return int(np.count_nonzero(distance <= TOLERANCE_M))


def unchecked_note(assumed: str, checked: int, on_record: int = 0) -> str:
    """Return what the user is told when an assumed CRS could not be checked (Chinese).

    Parameters
    ----------
    assumed : str
        The CRS the points were read in (``cgcs2000`` …), the file naming none.
    checked : int
        The points that could be compared with the place their row names.
    on_record : int
        The rows that could be compared with their record on file (together with
        ``checked``, fewer than :data:`MIN_POINTS`).

    Returns
    -------
    str
        The note, with the ``--crs`` of each usual source.

    Examples
    --------
    >>> note = unchecked_note("cgcs2000", 3)
    >>> note.startswith("坐标系未核对") and "只有 3 行" in note and "--crs gcj02" in note
    True
    >>> "只有 3 行的点位能与所填的网格或村（社区）比对、5 行能与库中已有的点位比对（" in (
    ...     unchecked_note("cgcs2000", 3, 5)
    ... )
    True
    """
    compared = [
        f"{checked} 行的点位能与所填的网格或村（社区）比对" if checked else "",
        f"{on_record} 行能与库中已有的点位比对" if on_record else "",
    ]
    few = (
        f"只有 {'、'.join(c for c in compared if c)}（至少要 {MIN_POINTS} 行）"
        if checked or on_record
        else "没有填了所属网格或村（社区）的行可与点位比对"
    )
    return (
        f"坐标系未核对：文件没有注明坐标系，已按 {CRS_NAMES[assumed]}读取；"
        f"{few}。"
        "坐标如是在高德、腾讯地图（或以其为底图的平台）上取的点，应加 --crs gcj02；"
        "在百度地图上取的，应加 --crs bd09；GPS 或手机定位直接测得的按默认读取即可"
        "（导入前可先加 --dry-run 核对）"
    )
