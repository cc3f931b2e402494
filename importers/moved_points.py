"""Rows that move a point on record far: said in the summary, listed in the report.

A monthly export that moves a camera 320 m, or a case's place typed from another map, is an
update like any other to the upsert (``更新``). A move of more than :data:`MOVED_M` is
usually a typo or a row in another CRS, so the clerk is told which rows moved and how far
before trusting the map: the summary names how many, with the first :data:`SHOWN` (row,
device code and name or case number, metres), and the report lists every one of them as
``点位移动`` (not rejected: the row is imported, or would be in a dry run). The distances come
from the same join of the staged rows to their records that gives the CRS check its sample
(:func:`layers.point_moves.match_points`).

The kinds whose points are places on record: cameras (:data:`MOVED_KINDS`), cases (only
those the file corrects: a case handled here keeps its place) and special-population persons
(their homes: the summary and report give the row and the distance only, never a name or a
position). A grid worker's position is the last one reported, which moves by nature.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import pandas as pd

from importers.rules import Problem
from importers.summary import crs_label
from layers.point_moves import Moved

MOVED_M = 100.0
"""A row whose point lies farther than this (metres) from its record's is a move to check.

Far above a re-survey's scatter (a GPS fix repeats within about 10 m), below a web map's
offset in most of China (GCJ-02 100–700 m, BD-09 another 760–980 m).
"""
SHOWN = 5
"""How many moved rows the summary names."""
MOVED_KINDS: dict[str, tuple[str, ...]] = {
    "video": ("device_id", "name"),
    "cases": ("external_no",),
    "persons": (),
}
"""The kinds whose moves are told, with the fields that name a row in the summary (none for
persons: personal data)."""
SENSITIVE_KINDS = frozenset({"persons"})
"""Kinds whose positions the report does not show (a special-population person's home)."""


def moved_problems(
    moved: Sequence[Moved], kind: str, column: str, *, leaving: Collection[int] = ()
) -> list[Problem]:
    """Return one report line per moved row, marked ``moved`` (imported, not rejected).

    Parameters
    ----------
    moved : sequence of Moved
        The rows farther than :data:`MOVED_M` from their records.
    kind : str
        What is imported (persons' positions are not shown).
    column : str
        The file's header of the point (``经度`` …).
    leaving : collection of int
        Rows left out (rejected, or whose record keeps its place).

    Returns
    -------
    list of Problem
        In file order.

    Examples
    --------
    >>> far = Moved(12, 880.4, 103.00295, 24.52679, 103.00949, 24.53256)
    >>> p = moved_problems([far], "video", "经度")[0]
    >>> p.value, p.severity
    ('103.002950, 24.526790', 'moved')
    >>> p.rule
    '点位比库中原有的移动了 880 米（原为 103.009490, 24.532560）'
    >>> (lambda p: (p.value, p.rule))(moved_problems([far], "persons", "经度")[0])
    (None, '住址点位比库中原有的移动了 880 米')
    """
    hidden = kind in SENSITIVE_KINDS
    return [
        Problem(
            m.row,
            column,
            None if hidden else f"{m.lon:.6f}, {m.lat:.6f}",
            f"住址点位比库中原有的移动了 {m.metres:.0f} 米"
            if hidden
            else f"点位比库中原有的移动了 {m.metres:.0f} 米（原为 {m.record_lon:.6f}, "
            f"{m.record_lat:.6f}）",
            "moved",
        )
        for m in moved
        if m.row not in leaving
    ]


def moved_note(moved: Sequence[Moved], kind: str, records: pd.DataFrame) -> str | None:
    """Return the summary's line of the rows that move a point on record far (Chinese).

    Parameters
    ----------
    moved : sequence of Moved
        The moved rows kept (:func:`moved_problems`'s), in file order.
    kind : str
        What is imported (:data:`MOVED_KINDS`).
    records : pandas.DataFrame
        The rows as parsed, indexed by row number: what names each (device code and name …).

    Returns
    -------
    str or None
        ``None`` when no row moved.

    Examples
    --------
    >>> rows = pd.DataFrame({"device_id": ["53042400051325000301"], "name": ["华福社区桥头"]},
    ...                     index=[12])
    >>> far = [Moved(12, 880.4, 103.00295, 24.52679, 103.00949, 24.53256)]
    >>> moved_note(far, "video", rows).split("：")[1].split("（")[0]
    '第 12 行 53042400051325000301 华福社区桥头 880 米'
    """
    if not moved:
        return None
    fields = [f for f in MOVED_KINDS.get(kind, ()) if f in records.columns]
    shown = []
    for m in moved[:SHOWN]:
        names = [str(records.at[m.row, f]) for f in fields if m.row in records.index]
        named = " ".join(n for n in names if n and n != "nan")
        shown.append(f"第 {m.row} 行 {named + ' ' if named else ''}{m.metres:.0f} 米")
    more = f"等 {len(moved)} 行" if len(moved) > SHOWN else f"共 {len(moved)} 行"
    return (
        f"点位比库中原有的移动超过 {MOVED_M:g} 米：{'；'.join(shown)}（{more}，"
        "全部列在报告中，标为“点位移动”）。移动这么远多是录入错误或坐标系混用，请核对"
    )


def corrected_note(moved: Sequence[Moved], was: str, given: str) -> str:
    """Return the summary's line of a ``--crs`` that corrects the points on record (Chinese).

    The moves are what the clerk asked for (trial AD: ``移动这么远多是录入错误`` of the very
    correction the refusal had advised), so they are said, with the farthest, not alarmed.

    Parameters
    ----------
    moved : sequence of Moved
        The rows farther than :data:`MOVED_M` from their records, kept.
    was, given : str
        The CRS the records were read in, and the one given now.

    Returns
    -------
    str
        One line.

    Examples
    --------
    >>> far = [Moved(2, 169.4, 103.0, 24.5, 103.001, 24.501)]
    >>> corrected_note(far, "cgcs2000", "gcj02").split("：")[-1]
    '移动 1 行，最远 169 米'
    """
    said = f"按 {crs_label(given)}更正坐标系（库中点位原按 {crs_label(was)}读入）"
    if not moved:
        return f"{said}：没有点位移动超过 {MOVED_M:g} 米"
    farthest = max(m.metres for m in moved)
    return f"{said}：移动 {len(moved)} 行，最远 {farthest:.0f} 米"
