"""Is a file's CRS what was assumed? Points against the places their rows name.

A CSV or workbook does not say which CRS its coordinates are in, and clerks rarely know: a
phone's map app gives GCJ-02 (高德, 腾讯) or BD-09 (百度), a GPS or 天地图 gives CGCS2000 /
WGS84. Read in the wrong one, every point is off by a few hundred metres, within the tolerance
of the jurisdiction check: the map is silently wrong. When the CRS was assumed (no ``--crs``,
none declared by the file), the rows that name their grid or village (or whose address names
it) tell which reading puts the points where the file says they are. One that does clearly
better refuses the file, naming the ``--crs`` to use. A CRS the file declares is checked too,
when it is geographic: a GeoJSON is WGS84 by definition, yet one drawn on a Chinese web map
holds GCJ-02.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg

from geo.crs import SourceCrs, to_cgcs2000
from layers.import_checks import PlacedPoints, placed_points, points_inside

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
"""Fewer placed points than this say nothing."""
MIN_SHARE = 0.8
"""A reading that puts fewer points inside their places than this is no better guess."""
MIN_GAIN = 0.05
"""Share of the points the better reading must add (and at least :data:`MIN_GAIN_POINTS`)."""
MIN_GAIN_POINTS = 5
"""Fewest points the better reading must add."""


@dataclass(frozen=True)
class Reading:
    """How many placed points one CRS puts inside their places.

    Attributes
    ----------
    crs : str
        The CRS name (``cgcs2000``, ``gcj02`` …).
    inside : int
        Points inside the boundary of the grid or jurisdiction their row names.
    total : int
        Points tried.
    """

    crs: str
    inside: int
    total: int

    @property
    def share(self) -> float:
        """Share of the points inside."""
        return self.inside / self.total if self.total else 0.0


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


class WrongCrs(ValueError):
    """The CRS read in puts clearly fewer points in their places than another (Chinese message).

    Parameters
    ----------
    assumed, better : Reading
        The reading of the CRS the points were read in, and the better one.
    declared : bool
        The file declares the CRS read in (else it was assumed).
    """

    def __init__(self, assumed: Reading, better: Reading, *, declared: bool = False) -> None:
        self.assumed = assumed
        self.better = better
        why = "文件注明的坐标系" if declared else "文件没有注明坐标系，"
        super().__init__(
            f"坐标系可能不对：{why}按 {CRS_NAMES[assumed.crs]}读取时，"
            f"抽查的 {assumed.total} 个点中 {assumed.share:.0%} 落在所填的网格或村（社区）内；"
            f"按 {CRS_NAMES[better.crs]}读取时 {better.share:.0%}。"
            f"请加 --crs {better.crs} 重新导入；"
            f"如坐标确为 {CRS_NAMES[assumed.crs]}，请加 --crs {assumed.crs}"
        )


def better_reading(assumed: Reading, others: list[Reading]) -> Reading | None:
    """Return the reading clearly better than the assumed one, if any.

    Clearly: at least :data:`MIN_POINTS` points, the better one puts at least :data:`MIN_SHARE`
    of them inside their places, and :data:`MIN_GAIN` of them (and :data:`MIN_GAIN_POINTS`)
    more than the assumed one does.

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
    """
    if assumed.total < MIN_POINTS or not others:
        return None
    best = max(others, key=lambda r: r.inside)
    gain = best.inside - assumed.inside
    clear = gain >= max(MIN_GAIN_POINTS, MIN_GAIN * assumed.total)
    return best if best.share >= MIN_SHARE and clear else None


def check_unconfirmed_crs(
    conn: psycopg.Connection[Any],
    staging: str,
    geometry: str,
    unconfirmed: Unconfirmed,
    *,
    grid_column: str | None,
    area_column: str | None,
    by_address: PlacedPoints | None = None,
) -> int:
    """Refuse the file when another CRS clearly puts its points where its rows say they are.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of the file's rows, before area codes are filled in from the points.
    geometry : str
        Its point column.
    unconfirmed : Unconfirmed
        The CRS the points were read in, which the user did not give. Only a geographic one
        (CGCS2000, WGS84) is checked.
    grid_column, area_column : str or None
        The staged columns naming each row's grid and jurisdiction.
    by_address : PlacedPoints, optional
        Points of rows that name no grid or jurisdiction, with the unit their address names
        (:func:`importers.names.address_places`): evidence too.

    Returns
    -------
    int
        The points checked: those whose row names a grid or jurisdiction on record (at most
        a sample). Fewer than :data:`MIN_POINTS` say nothing: the CRS stays unconfirmed (see
        :func:`unchecked_note`). 0 for a CRS that is not geographic (not checked).

    Raises
    ------
    WrongCrs
        Another reading is clearly better.
    """
    if unconfirmed.crs.kind not in ("cgcs2000", "wgs84"):
        return 0
    placed = placed_points(
        conn, staging, geometry, grid_column=grid_column, area_column=area_column
    )
    if by_address is not None:
        placed = PlacedPoints(
            placed.lon + by_address.lon,
            placed.lat + by_address.lat,
            placed.codes + by_address.codes,
        )
    total = len(placed.codes)
    if total < MIN_POINTS:
        return total
    as_read = Reading(
        unconfirmed.crs.name, points_inside(conn, placed.codes, placed.lon, placed.lat), total
    )
    others = []
    for name in CANDIDATES:
        lon, lat = to_cgcs2000(np.asarray(placed.lon), np.asarray(placed.lat), name)
        others.append(Reading(name, points_inside(conn, placed.codes, lon, lat), total))
    better = better_reading(as_read, others)
    if better is not None:
        raise WrongCrs(as_read, better, declared=unconfirmed.declared)
    return total


def unchecked_note(assumed: str, checked: int) -> str:
    """Return what the user is told when an assumed CRS could not be checked (Chinese).

    Parameters
    ----------
    assumed : str
        The CRS the points were read in (``cgcs2000`` …), the file naming none.
    checked : int
        The points that could be checked (fewer than :data:`MIN_POINTS`).

    Returns
    -------
    str
        The note, with the ``--crs`` of each usual source.

    Examples
    --------
    >>> note = unchecked_note("cgcs2000", 3)
    >>> note.startswith("坐标系未核对") and "只有 3 行" in note and "--crs gcj02" in note
    True
    """
    few = (
        f"只有 {checked} 行的点位能与所填的网格或村（社区）比对（至少要 {MIN_POINTS} 行）"
        if checked
        else "没有填了所属网格或村（社区）的行可与点位比对"
    )
    return (
        f"坐标系未核对：文件没有注明坐标系，已按 {CRS_NAMES[assumed]}读取；{few}。"
        "坐标如来自高德、腾讯地图或手机定位，应加 --crs gcj02；来自百度地图，应加 --crs bd09"
        "（导入前可先加 --dry-run 核对）"
    )
