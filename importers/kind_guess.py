"""Whether a file refused for a missing column is a file of another kind.

A clerk who picks the wrong 数据类型 (a 12345 export uploaded as 视频点位, a camera list as 网格)
was told to rename columns, with a mapping file that read a camera's 设备编码 as the 网格编码
(trial X). When the file's headers fit another kind far better (:func:`likely_kind`), the
refusal says so first (``本文件像是视频点位文件（有 设备编码、点位名称、经度…），请检查数据
类型。``), and offers no mapping file that would read the other kind's columns as this kind's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from importers.kinds import KINDS, Kind
from importers.mapping import resolve_columns
from importers.rules import SHARED_FIELDS
from layers.console_wording import PAGE_KINDS

MORE_COLUMNS = 2
"""How many more of the file's columns another kind must read, none of them the chosen kind's,
for the file to look like that kind's."""
NAMED = 3
"""How many of those columns the note names."""
SHARED_PLACES = frozenset({"lon", "lat", "lonlat", "wkt", "address", "area_code", "grid_code"})
"""Fields many kinds' files have columns for: named after a kind's own (设备编码 before 经度)."""


@dataclass(frozen=True)
class OtherKind:
    """A kind whose files a file looks like.

    Attributes
    ----------
    kind : Kind
        The kind.
    headers : list of str
        The file's columns it reads and the chosen kind does not, in file order.
    """

    kind: Kind
    headers: list[str]

    def note(self) -> str:
        """Say that the file looks like this kind's, and which columns say so.

        Examples
        --------
        >>> OtherKind(KINDS["video"], ["设备编码", "点位名称", "设备状态", "安装位置"]).note()
        '本文件像是视频点位文件（有 设备编码、点位名称、设备状态…），请检查数据类型。'
        """
        shown = "、".join(self.headers[:NAMED]) + ("…" if len(self.headers) > NAMED else "")
        label = PAGE_KINDS.get(self.kind.name, self.kind.label)
        return f"本文件像是{label}文件（有 {shown}），请检查数据类型。"


def likely_kind(headers: Sequence[str], chosen: Kind, *, has_geometry: bool) -> OtherKind | None:
    """Return the kind a file's headers fit far better than the chosen one's, if any.

    Another kind fits far better when the file has a column for each field it requires (but
    those a whole file may share, :data:`importers.rules.SHARED_FIELDS`, or its name give) and
    it reads at least :data:`MORE_COLUMNS` more of the file's columns, none of which the chosen
    kind reads; of several, the one reading the most.

    Parameters
    ----------
    headers : sequence of str
        The file's headers.
    chosen : Kind
        What the file is imported as.
    has_geometry : bool
        The file is a GIS file (its geometry a column).

    Returns
    -------
    OtherKind or None
        The kind and its columns the chosen kind does not read.

    Examples
    --------
    >>> cameras = ["设备编码", "点位名称", "经度", "纬度", "设备状态", "安装位置"]
    >>> other = likely_kind(cameras, KINDS["grids"], has_geometry=False)
    >>> other.kind.name, other.headers
    ('video', ['设备编码', '点位名称', '经度', '纬度', '安装位置'])
    >>> likely_kind(cameras, KINDS["video"], has_geometry=False) is None
    True
    """
    read = {kind.name: _read(headers, kind, has_geometry) for kind in KINDS.values()}
    mine = read[chosen.name]
    best: OtherKind | None = None
    for kind in KINDS.values():
        columns = read[kind.name]
        if kind is chosen or not _has_required(kind, columns):
            continue
        fields = {header: field for field, header in columns.items()}
        theirs = sorted(
            (h for h in headers if h in fields and h not in mine.values()),
            key=lambda h: fields[h] in SHARED_PLACES,  # its own columns named first
        )
        far_better = len(set(columns.values())) >= len(set(mine.values())) + MORE_COLUMNS
        if far_better and len(theirs) >= MORE_COLUMNS:
            if best is None or len(theirs) > len(best.headers):
                best = OtherKind(kind, theirs)
    return best


def _read(headers: Sequence[str], kind: Kind, has_geometry: bool) -> dict[str, str]:
    """Return which of the file's columns feed which of ``kind``'s fields."""
    return resolve_columns(
        headers, kind.fields, {}, has_geometry=has_geometry, kind=kind.name, labels=kind.headers
    )


def _has_required(kind: Kind, columns: dict[str, str]) -> bool:
    """Tell whether the file has a column for each field ``kind`` requires of each row's own."""
    spared = set(kind.named_by_file) | SHARED_FIELDS
    if kind.coded_by_name and "name" in columns:
        spared.add("code")
    if kind.numbered_by_content:
        spared.add("external_no")
    return all(f in columns for f in kind.required if f not in spared)
