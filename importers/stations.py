"""A roster's 所属派出所 read as the township the police station serves.

A 公安 list (吸毒人员花名册) places its people by the station that follows them (``宁州派出所``,
``华宁县公安局青龙派出所``), not by village. A station is named after its township: ``宁州派出所``
serves 宁州街道, ``通红甸派出所`` 通红甸彝族苗族乡. So a row that nothing else places (no 所属社区,
所属乡镇 or 所属网格, no point, no address that names a unit) lies in the one township in use
whose name starts with the station's name without ``派出所`` (and without the 公安局 before it);
:func:`place_by_station` fills its area code, and the summary names each station read so. A
station that no township's name starts with, or several do (the import's ``--within`` and the
file's name tell them apart first), is refused for the rows it would place, on the station's
column. A row placed otherwise keeps its place: the station is not checked against it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from importers.places import Place, place_key
from importers.rules import Problem, RowChecks
from layers import import_checks
from layers.bulk import LON_COLUMN

if TYPE_CHECKING:
    from importers.names import Directories

STATION_NAME = "_station_name"
"""Helper column: the police station a row names (:mod:`importers.kinds`), read here."""
_FORCE = re.compile(r"^.*(?:公安分局|公安局)")
"""What may stand before a station's own name: its county's 公安局."""
_STATION = re.compile(r"(?:公安)?(?:派出所|警务室|警务站)$")
"""The word ending a station's name."""
_LISTED = 3


def station_stem(name: str) -> str:
    """Return the part of a station's name its township's name starts with.

    Examples
    --------
    >>> station_stem("宁州派出所"), station_stem("华宁县公安局 青龙派出所"), station_stem("盘溪镇")
    ('宁州', '青龙', '盘溪镇')
    """
    key = _FORCE.sub("", place_key(name))
    return _STATION.sub("", key) or key


def place_by_station(
    records: pd.DataFrame, checks: RowChecks, directories: Directories
) -> list[Problem]:
    """Place by their station the rows nothing else placed; drop the helper column.

    Parameters
    ----------
    records : pandas.DataFrame
        A part's staging rows, names and addresses resolved (changed in place).
    checks : RowChecks
        The file's checks: the note goes there.
    directories : Directories
        The database's jurisdictions.

    Returns
    -------
    list of Problem
        The rows whose station names no township, or several.
    """
    if STATION_NAME not in records.columns:
        return []
    stations = records.pop(STATION_NAME)
    unplaced = stations.notna() & records["area_code"].isna()
    if LON_COLUMN in records.columns:
        unplaced &= records[LON_COLUMN].isna()
    if not unplaced.any():
        return []
    townships = _townships(directories)
    found = {
        name: _township(str(name), townships, directories) for name in stations[unplaced].unique()
    }
    read: dict[str, tuple[str, int]] = {}
    problems: list[tuple[int, str]] = []
    for row, name in stations[unplaced].items():
        code, rule = found[name]
        if code is None:
            problems.append((int(str(row)), rule))
            continue
        records.at[row, "area_code"] = code
        label = directories.places().label_of(code)
        read[str(name)] = (label, read.get(str(name), (label, 0))[1] + 1)
    if read:
        listed = "、".join(f"{name} → {label}（{n} 行）" for name, (label, n) in read.items())
        checks.notes.append(f"所属派出所按其所在乡镇（街道）读取：{listed}")
    return checks.problems_at("police_station", problems)


def _townships(directories: Directories) -> list[Place]:
    """Return the townships in use of the database."""
    rows = import_checks.jurisdiction_names(directories.conn)
    return [p for p in (Place(*row) for row in rows) if p.level == 4 and p.retired_on is None]


def _township(
    station: str, townships: list[Place], directories: Directories
) -> tuple[str | None, str]:
    """Return the code of the one township a station's name means, or ``None`` and why not."""
    stem = station_stem(station)
    found = [p for p in townships if place_key(p.name).startswith(stem)]
    found = directories.places().preferred(found, lambda p: p.code, directories.preference())
    if len(found) == 1:
        return found[0].code, ""
    if not found:
        return None, (
            f"没有名称以“{stem}”开头的乡镇（街道），无法按派出所确定所在地：请填写所属乡镇或所属社区"
        )
    shown = "、".join(directories.places().label(p) for p in found[:_LISTED])
    more = "等" if len(found) > _LISTED else ""
    return None, (
        f"名称以“{stem}”开头的乡镇（街道）有 {len(found)} 个：{shown}{more}。"
        "请填写所属乡镇或所属社区"
    )
