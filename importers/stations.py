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

A camera list's 所属组织 (a 派出所: ``青龙派出所``, ``华宁县公安局宁州派出所``; or a township's
government: ``华溪镇人民政府``) and 安装位置 (an address: ``华宁县青龙镇西南社区主街十字路口``)
are read only to be held to the camera's point (they are not stored): a station means its
township as above, any other organisation or address the deepest unit its words name
(:meth:`geo.places.Gazetteer.in_address`). Once the staged cameras are placed by their
points (:mod:`importers.loading`), those whose point lies in another township than either
names are listed in one note, in a dry run too (:func:`cameras_elsewhere`,
:mod:`layers.camera_places`): not a rejection, since the point may be the right one. A name
that means no township, or several, says nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pandas as pd
import psycopg

from geo.codes import division_level
from geo.places import Place, place_key
from importers.rules import Problem, RowChecks
from layers import camera_places
from layers.bulk import LON_COLUMN
from layers.model import Level
from layers.unit_gazetteer import unit_places

if TYPE_CHECKING:
    from importers.names import Directories

STATION_NAME = "_station_name"
"""Helper column: the police station a row names (:mod:`importers.kinds`), read here."""
ORGANISATION = "_organisation"
"""Helper column: a camera's 所属组织 (a 派出所 or a township's government), checked here."""
INSTALL_ADDRESS = "_install_address"
"""Helper column: a camera's 安装位置, checked here and evidence of the file's CRS
(:func:`importers.names.address_places`)."""
ELSEWHERE_NOTE = (
    "{count} 个点位的所属组织或安装位置与点位所在乡镇不符（点位或所属组织、安装位置可能有误，"
    "请核对）："
)
"""The head of the note naming them, one camera per line after it."""
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
    places = unit_places(directories.conn)
    return [p for p in places if p.level == 4 and p.retired_on is None]


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


def cameras_elsewhere(
    conn: psycopg.Connection[Any],
    staging: str,
    records: pd.DataFrame,
    checks: RowChecks,
    directories: Directories,
) -> None:
    """Note the staged cameras whose point lies outside the township their file names.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        The part's staging table, its rows placed by their points.
    records : pandas.DataFrame
        The part's staging rows, with the helper columns :data:`ORGANISATION` and
        :data:`INSTALL_ADDRESS`.
    checks : RowChecks
        The file's checks: the note goes there; rejected rows are left out.
    directories : Directories
        The database's jurisdictions.
    """
    named = _named_townships(
        records[~checks.bad.reindex(records.index, fill_value=False)], directories
    )
    found = camera_places.placed_elsewhere(
        conn, staging, [(row, code) for row, said in named.items() for code in said.values()]
    )
    if not found:
        return
    places = directories.places()
    lines = []
    for row, area in sorted(found.items()):
        said = named[row]
        differ = [
            f"{checks.header(field)} {str(records.at[row, column])}"
            for field, column in (("police_station", ORGANISATION), ("address", INSTALL_ADDRESS))
            if column in said and said[column][:9] != area[:9]
        ]
        unit = places.unit(area)
        where = places.under_parent(unit) if unit is not None else area
        camera = f"{str(records.at[row, 'device_id'])} {str(records.at[row, 'name'])}"
        lines.append(f"  第 {row} 行 {camera}（{'，'.join(differ)}，点位在{where}）")
    checks.notes.append(ELSEWHERE_NOTE.format(count=len(lines)) + "\n" + "\n".join(lines))


def _named_townships(records: pd.DataFrame, directories: Directories) -> dict[int, dict[str, str]]:
    """Return, by row, the code of the unit (township or deeper) each of its columns names."""
    townships = _townships(directories)
    places, prefer = directories.places(), directories.preference()
    read: dict[tuple[str, str], str | None] = {}

    def unit_of(text: str, column: str) -> str | None:
        if (column, text) not in read:
            if column == ORGANISATION and _STATION.search(place_key(text)):
                code = _township(text, townships, directories)[0]
            else:
                code = places.in_address(text, prefer=prefer)[0]
            deep = code is not None and division_level(code) >= Level.TOWNSHIP
            read[(column, text)] = code if deep else None
        return read[(column, text)]

    named: dict[int, dict[str, str]] = {}
    for column in (ORGANISATION, INSTALL_ADDRESS):
        if column not in records.columns:
            continue
        for row, text in records[column].dropna().items():
            code = unit_of(str(text), column)
            if code is not None:
                named.setdefault(int(str(row)), {})[column] = code
    return named
