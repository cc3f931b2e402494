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

A ``--crs`` the user gives is trusted unless the records on file say otherwise
(:func:`check_given_crs`): when it puts under half of the rows that update a record (at least
:data:`MIN_POINTS`) within :data:`TOLERANCE_M` of it while another reading is clearly better,
the file is refused, naming that reading, unless an earlier import of the same file was read
in it (the ``--crs`` forgotten the first time, now added: a correction). Whatever the CRS
read in, given or not, when no single reading puts most of those rows at their records but
two together do (:func:`mixed_pair`: a platform's export whose 公安 cameras are in BD-09 and
whose 乡镇自建 ones were picked on 高德), the file mixes CRSs (:class:`MixedCrs`): it is refused
with each reading's share, and told to be split by source and each part imported with its
``--crs``, without ``--complete`` (each part would retire the other's). No flag accepts it: one
``--crs`` cannot be right for both parts. The rows that move far from their records whatever
the CRS are told by :mod:`importers.moved_points`.

Grid and jurisdiction boundaries are checked against their records on file, and against the
boundaries of their places on record (a grid's village, a unit's parent, or the nearest unit
above with a boundary, :func:`check_boundaries`): grids divide their village, so a web map's
shift of a few hundred metres leaves a strip of every grid on the village's edge outside it,
while the right reading leaves only what tracing the boundary by hand leaves. How wide that
strip is on average (:class:`Fit`) tells the readings apart even for the handful of grids
of one village. When neither source can tell, the summary says the CRS was not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
import shapely

from geo.codes import division_level
from geo.crs import (
    SourceCrs,
    gauss_kruger_zones,
    geodesic_metres,
    looks_like_gauss_kruger,
    metres_per_degree,
    to_cgcs2000,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from importers.rules import Problem
from importers.values import split_pair
from layers.import_checks import (
    OnRecord,
    PlacedPoints,
    ShapesInPlaces,
    inside_bounded_units,
    placed_points,
    points_inside,
    positions_on_record,
    shapes_in_places,
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
MIN_BAND_M = 5.0
"""Mean width (metres) of the strip a reading leaves outside the places, below which it fits.

Above what tracing a village's edge by hand leaves (grids drawn up to 20 m off their villages'
edges leave about 3 m); below what a web map's shift leaves (甘州区's 160 m GCJ-02 offset
leaves 35 m on its townships' grids; a county's grids, most of them inside their villages,
are left less, and the smallest offsets, about 40 m, may say nothing).
"""
PLACES = {"grids": "area_code", "jurisdictions": "parent_code"}
"""The staged column naming the place of each boundary of a table: a grid's village, a unit's
parent (:func:`layers.import_checks.shapes_in_places` goes up to the nearest with a boundary)."""
PLACE_WORDS = {
    "grids": ("所在村（社区）", "所在村（社区）或其乡镇、县"),
    "jurisdictions": ("上级辖区", "上级辖区"),
}
"""How the messages name those places: villages only, and with the units above them."""
TOLERANCE_M = 30.0
"""How near (metres) a row's position must lie to its record's to agree with it.

Above what a re-survey moves a point (a GPS fix repeats within about 10 m; 5 decimals of a
degree are 1 m), below the smallest GCJ-02 offset anywhere in China (about 40 m; 100–700 m on
99% of its land, about 370 m in 玉溪) and far below BD-09's (another 760–980 m).
"""
PLACES_NAMED = "所填的网格或村（社区）"
"""What points were compared with, when the caller does not say (:func:`places_compared`)."""
PLACE_LEVELS = {6: "网格", 5: "村（社区）", 4: "乡镇（街道）", 3: "县（区）", 2: "市", 1: "省"}
"""How the messages name the places points are compared with, by level (6: a grid)."""


def places_compared(named: Sequence[str], by_address: Sequence[str] = ()) -> str:
    """Return what points were compared with, as the messages say it (Chinese).

    The places are those the rows name (their grid, or the jurisdiction of their 村（社区） or
    乡镇（街道） column) and those their address names: a file with a 乡镇 column and no 网格
    or 村 is checked against its townships, and the messages say so.

    Parameters
    ----------
    named : sequence of str
        The 15-digit grid or 12-digit jurisdiction code of each point whose row names it.
    by_address : sequence of str
        The jurisdiction code of each point whose address names it.

    Returns
    -------
    str
        ``所填的…`` and ``地址所在的…``, finest level first; empty when there is none.

    Examples
    --------
    >>> places_compared(["530424100001001", "530424100001"])
    '所填的网格或村（社区）'
    >>> places_compared(["530424100000"])
    '所填的乡镇（街道）'
    >>> places_compared([], ["530424100001", "530424100000"])
    '地址所在的村（社区）或乡镇（街道）'
    >>> places_compared(["530424100000"], ["530424100000"])
    '所填或地址所在的乡镇（街道）'
    >>> places_compared(["530424100001001"], ["530424100001"])
    '所填的网格或地址所在的村（社区）'
    >>> places_compared([])
    ''
    """

    def levels(codes: Sequence[str]) -> str:
        found = {6 if len(c) == 15 else division_level(c) for c in codes}
        return "或".join(PLACE_LEVELS[n] for n in sorted(found, reverse=True))

    mine, addressed = levels(named), levels(by_address)
    if mine and mine == addressed:
        return f"所填或地址所在的{mine}"
    said = [f"所填的{mine}" if mine else "", f"地址所在的{addressed}" if addressed else ""]
    return "或".join(w for w in said if w)


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
class Fit:
    """How far one CRS puts a file's boundaries out of their places.

    Attributes
    ----------
    crs : str
        The CRS name (``cgcs2000``, ``gcj02`` …).
    shapes : int
        Boundaries compared.
    outside : float
        Share of their area outside their places.
    band_m : float
        That area over the length of their outlines: the mean width (metres) of the strip
        sticking out.
    """

    crs: str
    shapes: int
    outside: float
    band_m: float


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
        :func:`doubt_note`), or when boundaries could not be checked
        (:func:`unchecked_boundaries_note`).
    where : str or None
        What the points were compared with (:func:`places_compared`: ``所填的乡镇（街道）``,
        ``地址所在的村（社区）`` …); empty when rows name places but none with a boundary,
        ``None`` when none does (no grid or jurisdiction filled in, no address that gives one).
    """

    places: int = 0
    on_record: int = 0
    doubt: str | None = None
    where: str | None = ""

    @property
    def total(self) -> int:
        """All the positions compared."""
        return self.places + self.on_record


class WrongCrs(ValueError):
    """The CRS read in puts clearly fewer positions where they belong than another (Chinese).

    Parameters
    ----------
    assumed, better : Reading or Fit
        The reading of the CRS the points were read in, and the better one.
    declared : bool
        The file declares the CRS read in (else it was assumed).
    given : bool
        The user gave the CRS read in (``--crs``): the message offers the better one, and the
        way to correct records an earlier import of the same file put in it.
    compared : str, optional
        What the assumed reading was compared with, and how it fared (Chinese); by default
        the places the rows name (required for a :class:`Fit`).
    said : str, optional
        How the better reading fared (Chinese); by default its share of positions that agree.

    Attributes
    ----------
    problems : list of importers.rules.Problem
        The rows' own problems found before the CRS was (set by the loader), for a report
        that lets the clerk correct them before importing again with ``--crs``.
    """

    def __init__(
        self,
        assumed: Reading | Fit,
        better: Reading | Fit,
        *,
        declared: bool = False,
        given: bool = False,
        compared: str | None = None,
        said: str | None = None,
    ) -> None:
        self.assumed = assumed
        self.better = better
        self.problems: list[Problem] = []
        why = "文件注明的坐标系" if declared else "文件没有注明坐标系，"
        if compared is None and isinstance(assumed, Reading):
            compared = (
                f"抽查的 {assumed.total} 个点中 {assumed.share:.0%} 落在所填的网格或村（社区）内"
            )
        if said is None and isinstance(better, Reading):
            said = f"{better.share:.0%}"
        old, new = CRS_NAMES[assumed.crs], CRS_NAMES[better.crs]
        fix = (
            f"请改用 --crs {better.crs} 重新导入；如库中这些点位是当初把本文件按 {new}"
            f"误导入的，用当初导入的同一个文件加 --crs {assumed.crs} 重新导入即可更正"
            if given
            else f"请加 --crs {better.crs} 重新导入；如坐标确为 {old}，请加 --crs {assumed.crs}"
        )
        read = f"按所给的 --crs {assumed.crs}（{old}）" if given else f"{why}按 {old}"
        super().__init__(f"坐标系可能不对：{read}读取时，{compared}；按 {new}读取时 {said}。{fix}")


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
    where: str = PLACES_NAMED,
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
    where : str
        What the points were compared with (:func:`places_compared`).

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
        f"抽查的 {{total}} 个点中 {{share}} 落在{where}内": places,
        f"与{where}及库中已有的{label}共比对 {{total}} 次，"
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
    found: OnRecord | None = None,
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
        The staged columns naming each point's grid and jurisdiction (``None`` for polygons,
        and when no row fills them).
    by_address : PlacedPoints, optional
        Points of rows that name no grid or jurisdiction, with the unit their address names
        (:func:`importers.names.address_places`): evidence too.
    records : Records, optional
        The table and natural key of the records the rows update: those with a geometry are
        evidence too. Boundaries of a table of :data:`PLACES` are checked by
        :func:`check_boundaries`.
    found : OnRecord, optional
        The positions of the rows that update those records, when the caller looked them up
        already (:func:`layers.point_moves.match_points`).

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
    if records is not None and records.table in PLACES:
        return check_boundaries(conn, staging, geometry, unconfirmed, records)
    placed = placed_points(
        conn, staging, geometry, grid_column=grid_column, area_column=area_column
    )
    addressed = by_address.codes if by_address is not None else []
    where: str | None = places_compared(placed.codes, addressed)
    if not where and grid_column is None and area_column is None and not addressed:
        where = None  # no row names a place: nothing to say of grids or villages
    if by_address is not None:
        placed = PlacedPoints(
            placed.lon + by_address.lon,
            placed.lat + by_address.lat,
            placed.codes + by_address.codes,
        )
    if found is None:
        found = (
            positions_on_record(conn, staging, geometry, records.table, records.key)
            if records is not None
            else OnRecord([], [], [], [])
        )
    checked = Checked(len(placed.codes), len(found.lon), where=where)
    if checked.total < MIN_POINTS:
        return checked
    places = _place_readings(conn, placed, unconfirmed.crs.name)
    on_record = _record_readings(found, unconfirmed.crs.name)
    label = records.label if records is not None else "点位"
    said = where or PLACES_NAMED
    refused = refusal(places, on_record, declared=unconfirmed.declared, label=label, where=said)
    if refused is not None:
        raise refused
    pair = mixed_pair(_near_records(found, unconfirmed.crs.name))
    if pair is not None:
        raise MixedCrs(pair, on_record[0], label=label)
    doubt = next(filter(None, (doubt_note(r) for r in (on_record, places) if r)), None)
    if doubt is None and not unconfirmed.declared and len(found.lon) < MIN_POINTS and places:
        doubt = indistinct_note(places, where=said)  # places too coarse for a few hundred metres
    return Checked(checked.places, checked.on_record, doubt, where)


def check_boundaries(
    conn: psycopg.Connection[Any],
    staging: str,
    geometry: str,
    unconfirmed: Unconfirmed,
    records: Records,
) -> Checked:
    """Refuse a file of boundaries when another CRS clearly puts them where they belong.

    The records on file decide first, as for points (at least :data:`MIN_POINTS` of them);
    then how well each reading fits the boundaries inside their places (:func:`better_fit`),
    which a handful of boundaries can tell. When neither confirms the CRS read in, the summary
    says so (:func:`unchecked_boundaries_note`), even for a CRS the file declares: a KML or
    GeoJSON says WGS84, yet grids are drawn in 奥维 on a GCJ-02 map.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of the file's rows.
    geometry : str
        Its boundary column.
    unconfirmed : Unconfirmed
        The geographic CRS the boundaries were read in, which the user did not give.
    records : Records
        Their table (one of :data:`PLACES`), natural key and label.

    Returns
    -------
    Checked
        The boundaries compared with their places and with their records, and the note, if
        any (a doubt, or the CRS not checked).

    Raises
    ------
    WrongCrs
        Another reading is clearly better.
    """
    read_in = unconfirmed.crs.name
    found = positions_on_record(conn, staging, geometry, records.table, records.key)
    on_record = _record_readings(found, read_in)
    label = records.label
    refused = refusal([], on_record, declared=unconfirmed.declared, label=label)
    if refused is not None:
        raise refused
    placed = shapes_in_places(conn, staging, geometry, PLACES[records.table])
    villages, wider = PLACE_WORDS[records.table]
    above = not placed.places or any(c.endswith("000") for c in placed.places)
    place = wider if above else villages  # a village's code ends in its own 3 digits
    fits = _fits(placed, read_in)
    confirmed = fits_best(fits)
    better = better_fit(fits)
    if better is not None:
        assumed = fits[0]
        raise WrongCrs(
            assumed,
            better,
            declared=unconfirmed.declared,
            compared=f"抽查的 {assumed.shapes} 个{label}有 {assumed.outside:.1%} 的面积"
            f"在{place}的边界外",
            said=f"{better.outside:.1%}",
        )
    note = None
    if not confirmed:  # the places confirm the CRS read in, whatever the records say
        doubt = doubt_note(on_record, label=label) if on_record else None
        note = doubt or fit_doubt_note(fits, label, place)
    unsure = placed.staged > 0 and len(found.lon) < MIN_POINTS and not confirmed
    if note is None and unsure and not all_on_record(on_record):
        note = unchecked_boundaries_note(
            unconfirmed, label, place, compared=len(placed.shapes), on_record=len(found.lon)
        )
    return Checked(len(placed.shapes), len(found.lon), note)


def all_on_record(readings: list[Reading]) -> bool:
    """Tell whether every record compared lies where it is read, and none read otherwise.

    Too few records to refuse a file confirm the CRS read in when each of them is where the
    file puts it and no other reading puts any there: the same boundaries sent again
    (trial Y: 10 villages re-imported were said unchecked, 至少要 20 个).

    Examples
    --------
    >>> all_on_record([Reading("cgcs2000", 10, 10), Reading("gcj02", 0, 10)])
    True
    >>> all_on_record([Reading("cgcs2000", 9, 10), Reading("gcj02", 0, 10)])
    False
    >>> all_on_record([])
    False
    """
    if not readings or not readings[0].total:
        return False
    assumed, others = readings[0], readings[1:]
    return assumed.inside == assumed.total and not any(r.inside for r in others)


def _fits(placed: ShapesInPlaces, read_in: str) -> list[Fit]:
    """Each reading's fit of the boundaries in their places: the CRS read in first (none: empty).

    Areas and lengths are measured in metres on a plane scaled at the boundaries' latitude.
    Each place is first cut to the box around its boundary in every reading: a village
    surveyed to the metre has tens of thousands of vertices, a grid a few dozen.
    """
    shapes = shapely.from_wkb(np.array(placed.shapes, dtype=object))
    kept = ~shapely.is_empty(shapes)
    shapes, drawn_at = shapes[kept], np.array(placed.places, dtype=object)[kept]
    if not len(shapes):
        return []
    bounds = shapely.bounds(shapes)
    scale = np.array(metres_per_degree(float(np.mean(bounds[:, [1, 3]]))))
    names = (read_in, *CANDIDATES)
    drawn = [
        _flat(shapes if name == read_in else shapely.transform(shapes, _reader(name)), scale)
        for name in names
    ]
    around = np.stack([shapely.bounds(d) for d in drawn])
    boxes = np.hstack([around[:, :, :2].min(axis=0), around[:, :, 2:].max(axis=0)])
    whole = {
        code: _flat(np.array([shapely.from_wkb(wkb)], dtype=object), scale)[0]
        for code, wkb in placed.boundaries.items()
    }
    cut = [
        shapely.clip_by_rect(whole[code], *box) for code, box in zip(drawn_at, boxes, strict=True)
    ]
    places = _valid(np.array(cut, dtype=object))
    fits = []
    for name, shape in zip(names, drawn, strict=True):
        area = float(shapely.area(shape).sum()) or 1.0
        outside = area - float(shapely.area(shapely.intersection(shape, places)).sum())
        length = float(shapely.length(shape).sum()) or 1.0
        fits.append(Fit(name, len(shape), outside / area, outside / length))
    return fits


def _reader(crs: str) -> Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]:
    """Return what reads coordinates taken as CGCS2000 in ``crs`` instead."""

    def read(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack(to_cgcs2000(xy[:, 0], xy[:, 1], crs))

    return read


def _flat(
    geometries: npt.NDArray[np.object_], scale: npt.NDArray[np.float64]
) -> npt.NDArray[np.object_]:
    """Return the geometries in metres (degrees times ``scale``), made valid where not."""
    return _valid(shapely.transform(geometries, lambda xy: xy * scale))


def _valid(geometries: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Return the geometries, made valid where not (in place)."""
    invalid = ~shapely.is_valid(geometries)
    if invalid.any():
        geometries[invalid] = shapely.make_valid(geometries[invalid])
    return geometries


def better_fit(fits: list[Fit]) -> Fit | None:
    """Return the reading that clearly fits the boundaries better in their places, if any.

    Clearly: the CRS read in leaves a strip at least :data:`MIN_BAND_M` wide on average
    outside the places, and the best of the others at most a :data:`MISS_RATIO` th of it.

    Parameters
    ----------
    fits : list of Fit
        The CRS read in first, then :data:`CANDIDATES` (empty: no boundary has a place).

    Returns
    -------
    Fit or None
        The best of the others, when clearly better.

    Examples
    --------
    >>> fits = [Fit("cgcs2000", 3, 0.11, 31.0), Fit("gcj02", 3, 0.0, 0.0)]
    >>> better_fit(fits).crs
    'gcj02'
    >>> better_fit([Fit("cgcs2000", 3, 0.01, 3.0), *fits[1:]]) is None  # traced by hand
    True
    >>> better_fit([Fit("cgcs2000", 3, 0.11, 31.0), Fit("gcj02", 3, 0.05, 12.0)]) is None
    True
    """
    if not fits:
        return None
    assumed, others = fits[0], fits[1:]
    best = min(others, key=lambda f: f.band_m)
    clear = assumed.band_m >= MIN_BAND_M and best.band_m * MISS_RATIO <= assumed.band_m
    return best if clear else None


def fits_best(fits: list[Fit]) -> bool:
    """Tell whether the CRS read in clearly fits the boundaries best (:func:`better_fit`'s mirror).

    Parameters
    ----------
    fits : list of Fit
        The CRS read in first, then :data:`CANDIDATES`.

    Returns
    -------
    bool
        Every other reading leaves a strip at least :data:`MIN_BAND_M` wide outside the
        places, and :data:`MISS_RATIO` times as wide as the CRS read in leaves.

    Examples
    --------
    >>> fits_best([Fit("cgcs2000", 3, 0.01, 3.0), Fit("gcj02", 3, 0.1, 30.0)])
    True
    >>> fits_best([Fit("cgcs2000", 10, 0.0, 0.0), Fit("gcj02", 10, 0.0, 0.0)])  # all inside
    False
    >>> fits_best([])
    False
    """
    if not fits:
        return False
    nearest = min(f.band_m for f in fits[1:])
    return nearest >= MIN_BAND_M and fits[0].band_m * MISS_RATIO <= nearest


def fit_doubt_note(fits: list[Fit], label: str, place: str) -> str | None:
    """Return what the user is told when another reading fits the boundaries better, not clearly.

    Better: it leaves at most half the strip the CRS read in leaves outside the places (and
    that strip is at least :data:`MIN_BAND_M` wide).

    Parameters
    ----------
    fits : list of Fit
        The CRS read in first, then :data:`CANDIDATES`.
    label, place : str
        What the boundaries and their places are called (``网格边界``, ``所在村（社区）``).

    Returns
    -------
    str or None
        The note (Chinese), or ``None``.

    Examples
    --------
    >>> fits = [Fit("cgcs2000", 3, 0.05, 12.0), Fit("gcj02", 3, 0.02, 5.0)]
    >>> fit_doubt_note(fits, "网格边界", "所在村（社区）").split("，")[:2]
    ['坐标系存疑：按 CGCS2000（GPS、天地图）读取时',
     '抽查的 3 个网格边界有 5.0% 的面积在所在村（社区）的边界外']
    """
    if not fits:
        return None
    assumed = fits[0]
    best = min(fits[1:], key=lambda f: f.band_m)
    if assumed.band_m < MIN_BAND_M or best.band_m * 2 > assumed.band_m:
        return None
    return (
        f"坐标系存疑：按 {CRS_NAMES[assumed.crs]}读取时，抽查的 {assumed.shapes} 个{label}"
        f"有 {assumed.outside:.1%} 的面积在{place}的边界外，按 {CRS_NAMES[best.crs]}读取时 "
        f"{best.outside:.1%}，差别不够大，未据此退回。边界如是在高德、腾讯地图（或以其为底图的"
        f"奥维等软件）上画的，应加 --crs {best.crs}（导入前可先加 --dry-run 核对）"
    )


def doubt_note(readings: list[Reading], *, label: str | None = None) -> str | None:
    """Return what the user is told when another reading did better, though not clearly.

    Too few positions to refuse the file (a few more inside their places, say 20 of 20 against
    16 of 20), yet more than chance: the assumed reading misses at least two positions, and
    another misses at most a :data:`MISS_RATIO` th of them.

    Parameters
    ----------
    readings : list of Reading
        One source's readings, the CRS read in first.
    label : str, optional
        What boundaries compared with their records are called (``网格边界``); by default
        the readings are points'.

    Returns
    -------
    str or None
        The note, or ``None`` when no other reading did better.

    Examples
    --------
    >>> readings = [Reading("cgcs2000", 16, 20), Reading("gcj02", 20, 20), Reading("bd09", 16, 20)]
    >>> doubt_note(readings).split("，")[:2]
    ['坐标系存疑：按 CGCS2000（GPS、天地图）读取时 20 个点中 80% 相符',
     '按 GCJ-02（高德、腾讯地图）读取时 100%']
    >>> doubt_note([Reading("cgcs2000", 19, 20), Reading("gcj02", 20, 20)]) is None
    True
    >>> moved = [Reading("wgs84", 0, 15), Reading("gcj02", 15, 15)]
    >>> doubt_note(moved, label="网格边界").split("，")[0]
    '坐标系存疑：按 WGS84（GPS）读取时 15 个网格边界中 0% 在原处 30 米内'
    """
    assumed, others = readings[0], readings[1:]
    best = max(others, key=lambda r: r.inside)
    misses = assumed.total - assumed.inside
    if best.inside - assumed.inside < 2 or (best.total - best.inside) * MISS_RATIO > misses:
        return None
    if label is not None:
        return (
            f"坐标系存疑：按 {CRS_NAMES[assumed.crs]}读取时 {assumed.total} 个{label}中 "
            f"{assumed.share:.0%} 在原处 {TOLERANCE_M:g} 米内，按 {CRS_NAMES[best.crs]}读取时 "
            f"{best.share:.0%}，个数太少，未据此退回。边界如是在高德、腾讯地图（或以其为底图的"
            f"奥维等软件）上画的，应加 --crs {best.crs}（导入前可先加 --dry-run 核对）"
        )
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
    return [Reading(name, int(near.sum()), total) for name, near in _near_records(found, read_in)]


def readings_tried(read_in: str) -> tuple[str, ...]:
    """Return the CRSs a file read in ``read_in`` is tried in: it first, then the others.

    Examples
    --------
    >>> readings_tried("cgcs2000"), readings_tried("bd09")
    (('cgcs2000', 'gcj02', 'bd09'), ('bd09', 'cgcs2000', 'gcj02'))
    """
    geographic = read_in in ("cgcs2000", "wgs84")
    return (
        read_in,
        *(
            c
            for c in ("cgcs2000", *CANDIDATES)
            if c != read_in and not (geographic and c == "cgcs2000")
        ),
    )


def _near_records(found: OnRecord, read_in: str) -> list[tuple[str, npt.NDArray[np.bool_]]]:
    """Each reading and which positions it puts within :data:`TOLERANCE_M` of their records.

    The staged positions were converted from ``read_in``: the file's own numbers are found
    again by the exact forward conversion, then read in each other CRS.
    """
    if not found.lon:
        return []
    lon, lat = np.asarray(found.lon), np.asarray(found.lat)
    raw = _as_written(lon, lat, read_in)
    return [
        (name, _near(found, *((lon, lat) if name == read_in else to_cgcs2000(*raw, name))))
        for name in readings_tried(read_in)
    ]


def _as_written(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], read_in: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return the numbers a file read in ``read_in`` had, from their CGCS2000 positions."""
    if read_in == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if read_in == "bd09":
        return wgs84_to_bd09(lon, lat)
    return lon, lat


def _near(found: OnRecord, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Tell which positions lie within :data:`TOLERANCE_M` of their records'."""
    distance = geodesic_metres(lon, lat, found.record_lon, found.record_lat)
    return np.asarray(distance <= TOLERANCE_M)


CHECKED_GIVEN = frozenset({"cgcs2000", "wgs84", "gcj02", "bd09"})
"""The CRSs a ``--crs`` may give that are checked against the records on file."""


class MixedCrs(WrongCrs):
    """Two readings together put the rows at their records, neither alone does (Chinese).

    A platform's export whose 公安 cameras are in BD-09 and whose 乡镇自建 ones were picked on
    高德 (GCJ-02): no single ``--crs`` is right for the file.

    Parameters
    ----------
    pair : tuple of Reading
        The two readings, the one that puts more rows at their records first.
    used : Reading
        The reading of the CRS the points were read in.
    label : str
        What the records' geometries are called (``点位``).
    """

    def __init__(
        self, pair: tuple[Reading, Reading], used: Reading, *, label: str = "点位"
    ) -> None:
        shown = [*pair, *([used] if used.crs not in {r.crs for r in pair} else [])]
        said = "，".join(
            f"按{'所用的 ' if r.crs == used.crs else ' '}{CRS_NAMES[r.crs]}"
            f"{'读取 ' if i == 0 else ' '}{r.share:.0%}"
            + (f" 在原处 {TOLERANCE_M:g} 米内" if i == 0 else "")
            for i, r in enumerate(shown)
        )
        ValueError.__init__(
            self,
            f"文件中的坐标可能混用了坐标系：与库中已有的 {used.total} 个{label}比对，{said}。"
            "一个文件只能按一种坐标系读取：请按来源（如建设单位、取点所用的地图）把文件分开，"
            "各加其 --crs 分别导入（百度地图取的点 --crs bd09，高德、腾讯地图取的 --crs gcj02，"
            "GPS 实测的 --crs cgcs2000；导入前可先加 --dry-run 核对）。"
            f"各部分都不是全部{label}，分别导入时不要加 --complete（否则每一部分都会撤销其他部分的"
            f"{label}）",
        )
        self.assumed, self.better, self.pair = used, pair[1], pair
        self.problems = []


def mixed_pair(near: list[tuple[str, npt.NDArray[np.bool_]]]) -> tuple[Reading, Reading] | None:
    """Return the two readings that together put most rows at their records, when none alone does.

    Most: at least :data:`MIN_SHARE` of at least :data:`MIN_POINTS` rows; each of the two
    puts at least :data:`MIN_GAIN_POINTS` rows and :data:`MIN_GAIN` of them there (a row
    within metres of its record in a reading whose offset is hundreds of metres is no chance).

    Parameters
    ----------
    near : list of (str, numpy.ndarray of bool)
        Each reading and which rows it puts within :data:`TOLERANCE_M` of their records.

    Returns
    -------
    tuple of Reading or None
        The pair, the one that puts more rows there first.

    Examples
    --------
    >>> bd = np.arange(100) < 56
    >>> near = [("cgcs2000", np.zeros(100, bool)), ("gcj02", ~bd), ("bd09", bd)]
    >>> [(r.crs, r.inside) for r in mixed_pair(near)]
    [('bd09', 56), ('gcj02', 44)]
    >>> mixed_pair([("cgcs2000", np.arange(100) < 90), ("gcj02", np.arange(100) >= 90)]) is None
    True
    >>> mixed_pair([("cgcs2000", np.arange(100) < 78), ("gcj02", np.arange(100) >= 97)]) is None
    True
    """
    total = len(near[0][1]) if near else 0
    if total < MIN_POINTS or any(n.sum() >= MIN_SHARE * total for _, n in near):
        return None
    least = max(MIN_GAIN_POINTS, MIN_GAIN * total)
    pairs = [
        (int((a | b).sum()), (name_a, a), (name_b, b))
        for i, (name_a, a) in enumerate(near)
        for name_b, b in near[i + 1 :]
        if a.sum() >= least and b.sum() >= least
    ]
    if not pairs:
        return None
    together, *two = max(pairs, key=lambda p: p[0])
    if together < MIN_SHARE * total:
        return None
    first, second = sorted(
        (Reading(name, int(n.sum()), total) for name, n in two), key=lambda r: -r.inside
    )
    return first, second


def check_given_crs(
    found: OnRecord,
    given: str,
    *,
    label: str = "点位",
    corrects: Callable[[str], bool] | None = None,
) -> None:
    """Refuse a file whose ``--crs`` puts the rows that update records far from them.

    The user's word is trusted unless the records say otherwise: when it puts under half of
    at least :data:`MIN_POINTS` rows within :data:`TOLERANCE_M` of their records while
    another reading is clearly better (:func:`better_reading`), or when two readings together
    put most of them there (:func:`mixed_pair`). The one exception: an earlier import of the
    same file read in the better CRS put the records there, and the ``--crs`` now given
    corrects it (a clerk who adds the ``--crs`` forgotten the first time).

    Parameters
    ----------
    found : OnRecord
        The rows that update a record on file, and their records' positions.
    given : str
        The CRS the user gave (``bd09`` …); one not of :data:`CHECKED_GIVEN` is not checked.
    label : str
        What the records' geometries are called (``点位``).
    corrects : callable, optional
        Tells whether this file was imported before read in a CRS (its name).

    Raises
    ------
    WrongCrs
        Another reading is clearly better (:class:`MixedCrs`: two readings together).
    """
    if given not in CHECKED_GIVEN:
        return
    near = _near_records(found, given)
    if len(found.lon) < MIN_POINTS:
        return
    readings = [Reading(name, int(n.sum()), len(found.lon)) for name, n in near]
    used = readings[0]
    better = better_reading(used, readings[1:]) if used.share < 0.5 else None
    if better is not None and not (corrects is not None and corrects(better.crs)):
        compared = (
            f"与库中已有的 {used.total} 个{label}比对，{used.share:.0%} 在原处 {TOLERANCE_M:g} 米内"
        )
        raise WrongCrs(used, better, given=True, compared=compared)
    pair = mixed_pair(near) if better is None else None
    if pair is not None:
        raise MixedCrs(pair, used, label=label)


def unchecked_boundaries_note(
    unconfirmed: Unconfirmed, label: str, place: str, *, compared: int, on_record: int = 0
) -> str:
    """Return what the user is told when the CRS of boundaries could not be checked (Chinese).

    Parameters
    ----------
    unconfirmed : Unconfirmed
        The CRS the boundaries were read in: assumed, or declared by the file.
    label, place : str
        What the boundaries and their places are called (``网格边界``, ``所在村（社区）``).
    compared : int
        Boundaries compared with their places' (none of the readings fitting clearly best).
    on_record : int
        Boundaries compared with their records on file (fewer than :data:`MIN_POINTS`).

    Returns
    -------
    str
        The note, with the ``--crs`` of each usual source.

    Examples
    --------
    >>> wgs84 = Unconfirmed(SourceCrs.parse("wgs84"), declared=True)
    >>> place = "所在村（社区）或其乡镇、县"
    >>> note = unchecked_boundaries_note(wgs84, "网格边界", place, compared=0)
    >>> note.split("。")[0].split("；")
    ['坐标系未核对：已按文件注明的 WGS84（GPS）读取',
     '库中没有所在村（社区）或其乡镇、县的边界可与网格边界比对']
    >>> "4 个网格边界与所在村（社区）的边界比对" in unchecked_boundaries_note(
    ...     wgs84, "网格边界", "所在村（社区）", compared=4
    ... )
    True
    """
    name = CRS_NAMES[unconfirmed.crs.name]
    read = (
        f"已按文件注明的 {name}读取"
        if unconfirmed.declared
        else (f"文件没有注明坐标系，已按 {name}读取")
    )
    few = (
        f"{compared} 个{label}与{place}的边界比对，按各坐标系读取差别不大，无法据此判断"
        if compared
        else f"库中没有{place}的边界可与{label}比对"
    )
    if on_record:
        few += f"；只有 {on_record} 个能与库中已有的{label}比对（至少要 {MIN_POINTS} 个）"
    return (
        f"坐标系未核对：{read}；{few}。"
        "边界如是在高德、腾讯地图（或以其为底图的奥维等软件）上画的，应加 --crs gcj02；"
        "在百度地图上画的，应加 --crs bd09；GPS 实测或自然资源部门提供的按现在的读取即可"
        "（导入前可先加 --dry-run 核对）"
    )


def indistinct_note(readings: list[Reading], *, where: str = PLACES_NAMED) -> str | None:
    """Return what the user is told when the places confirm every reading alike.

    A township or village is kilometres across: GCJ-02's offset of a few hundred metres
    leaves most points inside the place their row (or address) names, whichever way they are
    read, and the check confirms nothing.

    Parameters
    ----------
    readings : list of Reading
        The places' readings, the CRS read in first.
    where : str
        What the points were compared with (:func:`places_compared`).

    Returns
    -------
    str or None
        The note, or ``None`` when every other reading fits worse.

    Examples
    --------
    >>> alike = [Reading("cgcs2000", 22, 22), Reading("gcj02", 22, 22), Reading("bd09", 15, 22)]
    >>> note = indistinct_note(alike)
    >>> note.startswith("坐标系未能核对：文件没有注明坐标系，已按 CGCS2000（GPS、天地图）读取")
    True
    >>> "按 GCJ-02（高德、腾讯地图）读取时，所填的网格或村（社区）也同样相符" in note
    True
    >>> indistinct_note([Reading("cgcs2000", 22, 22), Reading("gcj02", 15, 22)]) is None
    True
    """
    assumed, others = readings[0], readings[1:]
    alike = [r for r in others if r.inside >= assumed.inside]
    if not alike:
        return None
    names = "、".join(CRS_NAMES[r.crs] for r in alike)
    return (
        f"坐标系未能核对：文件没有注明坐标系，已按 {CRS_NAMES[assumed.crs]}读取；"
        f"按 {names}读取时，{where}也同样相符"
        "（这些辖区比各坐标系之间几百米的偏差大，分辨不出）；" + CRS_ADVICE
    )


CRS_ADVICE = (
    "坐标如是在高德、腾讯地图（或以其为底图的平台）上取的点，应加 --crs gcj02；"
    "在百度地图上取的，应加 --crs bd09；GPS 或手机定位直接测得的按默认读取即可"
    "（导入前可先加 --dry-run 核对）"
)
"""Which ``--crs`` each usual source of points needs (:func:`unchecked_note`)."""


NO_BOUNDED_PLACE = "所填的网格、辖区在库中都没有边界，点位无从比对"
"""Said of the places when rows name grids or jurisdictions, none with a boundary."""
NO_PLACE = (
    "各行都没有填写所属网格、村（社区）或乡镇（街道），也没有能定到有边界辖区的地址，点位无从比对"
)
"""Said of the places when no row names one (nor its address one with a boundary)."""


def unchecked_note(
    assumed: str, checked: int, on_record: int = 0, *, where: str | None = None
) -> str:
    """Return what the user is told when an assumed CRS could not be checked (Chinese).

    Parameters
    ----------
    assumed : str
        The CRS the points were read in (``cgcs2000`` …), the file naming none.
    checked : int
        The points that could be compared with the place their row (or its address) names.
    on_record : int
        The rows that could be compared with their record on file (together with
        ``checked``, fewer than :data:`MIN_POINTS`).
    where : str or None
        What those points were compared with (:attr:`Checked.where`; by default
        :data:`PLACES_NAMED`): empty when the rows name places without a boundary, ``None``
        when no row names one (then nothing is said of what the file does not have).

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
    >>> "只有 9 行的点位能与所填的乡镇（街道）比对（" in (
    ...     unchecked_note("cgcs2000", 9, where="所填的乡镇（街道）")
    ... )
    True
    >>> "网格" in unchecked_note("cgcs2000", 0, 4).split("。")[0]
    False
    """
    compared = [
        f"{checked} 行的点位能与{where or PLACES_NAMED}比对" if checked else "",
        f"{on_record} 行能与库中已有的点位比对" if on_record else "",
    ]
    few = (
        f"只有 {'、'.join(c for c in compared if c)}（至少要 {MIN_POINTS} 行）"
        if checked or on_record
        else (NO_PLACE if where is None else NO_BOUNDED_PLACE)
    )
    return f"坐标系未核对：文件没有注明坐标系，已按 {CRS_NAMES[assumed]}读取；{few}。{CRS_ADVICE}"


ZONE_SAMPLE = 200
"""Most positions of a file in metres tried in each 3-degree zone (:func:`fitting_zone_note`)."""


def fitting_zone_note(
    conn: psycopg.Connection[Any],
    rows: pd.DataFrame | None,
    columns: Mapping[str, str],
    west: float,
    east: float,
) -> str | None:
    """Return the one 3-degree zone that puts a file's eastings without prefix in the database.

    A county across a zones' boundary (甘州区, 100.1°–100.9°E, between 99°E and 102°E) offers
    two zones, and the wrong one puts the layer 255 km off. Read in each zone, the file's
    positions (a point on each polygon's surface) either fall inside the bounded counties,
    townships and villages on record or far from them.

    Parameters
    ----------
    conn : psycopg.Connection
        A connection (its scope set to the whole database).
    rows : pandas.DataFrame or None
        The rows refused for coordinates in metres, as the file has them (its headers).
    columns : mapping
        Field → the file's header that feeds it (``wkt``, ``lon`` and ``lat``, or ``lonlat``).
    west, east : float
        The longitudes the database's bounded jurisdictions span
        (:func:`layers.import_checks.bounded_longitudes`).

    Returns
    -------
    str or None
        The summary's line (Chinese) when one zone puts at least :data:`MIN_SHARE` of the
        positions inside; ``None`` when none does (then every zone of the span is offered).
    """
    x, y = _metres(rows, columns)
    if not len(x):
        return None
    inside = {}
    for meridian, epsg in gauss_kruger_zones(west, east):
        try:
            lon, lat = to_cgcs2000(x, y, f"EPSG:{epsg}")
        except ValueError:  # not in this zone's range
            continue
        inside[(meridian, epsg)] = inside_bounded_units(conn, lon, lat)
    fitting = [zone for zone, n in inside.items() if n >= MIN_SHARE * len(x)]
    if len(fitting) != 1:
        return None
    (meridian, epsg) = fitting[0]
    others = "，".join(f"按 EPSG:{e} 读取时 {n} 处" for (_, e), n in inside.items() if e != epsg)
    return (
        f"本库辖区在东经 {west:.1f}°—{east:.1f}°，没有带号的 3 度带坐标应为 "
        f"--crs EPSG:{epsg}（中央经线 {meridian}°E）：按它读取，抽查的 {len(x)} 处中 "
        f"{inside[fitting[0]]} 处落在本库有边界的辖区内" + (f"（{others}）" if others else "")
    )


def _metres(
    rows: pd.DataFrame | None, columns: Mapping[str, str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return up to :data:`ZONE_SAMPLE` positions of ``rows`` that are metres without a zone."""
    x = y = pd.Series(dtype=float)
    if rows is not None and "wkt" in columns and columns["wkt"] in rows:
        shapes = [
            g if isinstance(g, shapely.Geometry) else shapely.from_wkt(g, on_invalid="ignore")
            for g in rows[columns["wkt"]].dropna()
        ]
        points = shapely.point_on_surface(np.array([g for g in shapes if g], dtype=object))
        x, y = pd.Series(shapely.get_x(points)), pd.Series(shapely.get_y(points))
    elif rows is not None and "lonlat" in columns and columns["lonlat"] in rows:
        x, y = split_pair(rows[columns["lonlat"]])
    elif rows is not None and {"lon", "lat"} <= columns.keys():
        if columns["lon"] in rows and columns["lat"] in rows:
            x, y = rows[columns["lon"]], rows[columns["lat"]]
    xs = pd.to_numeric(x, errors="coerce").to_numpy(float)
    ys = pd.to_numeric(y, errors="coerce").to_numpy(float)
    kept = looks_like_gauss_kruger(xs, ys) & (xs > 0) & (xs < 1_000_000)
    every = max(1, int(kept.sum()) // ZONE_SAMPLE)
    return xs[kept][::every][:ZONE_SAMPLE], ys[kept][::every][:ZONE_SAMPLE]
