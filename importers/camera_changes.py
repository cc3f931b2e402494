"""The cameras a list renamed or took offline (or back online): listed in the report too.

The summary names them (:meth:`layers.camera_retirement.Settled.notes`), the first ten (the
rest in a CSV beside the report); a platform that renamed hundreds of channels, or a month
in which forty cameras went dark, needs the whole list where the clerk can sort and forward it.
The report lists every such row as ``变更`` (imported, not rejected), on the file's own header
of the name or the state, with what the record said before.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from importers.rules import Problem
from layers.camera_retirement import Settled
from layers.model.video import VideoStatus


def changed_problems(
    settled: Settled,
    records: pd.DataFrame,
    headers: tuple[str, str],
    *,
    rejected: Collection[int] = (),
) -> list[Problem]:
    """Return one report line per camera renamed and per camera whose state changed.

    Parameters
    ----------
    settled : Settled
        What the import of the camera list did (:func:`layers.camera_retirement.settle`).
    records : pandas.DataFrame
        The file's rows as parsed, indexed by row number, with their ``device_id``.
    headers : tuple of str
        The file's headers of the camera's name and of its 在线状态.
    rejected : collection of int
        Rows not loaded: the change came from the row of the same code that was.

    Returns
    -------
    list of Problem
        Marked ``changed``, in file order.

    Examples
    --------
    >>> from datetime import date
    >>> from layers.camera_retirement import Camera
    >>> done = Settled(date(2026, 12, 4), renamed=[("53042400051325000107", "桥头", "桥头东")],
    ...                went_offline=[Camera("53042400051325000107", "桥头东")])
    >>> rows = pd.DataFrame({"device_id": ["53042400051325000107"]}, index=[7])
    >>> for p in changed_problems(done, rows, ("点位名称", "设备状态")):
    ...     print(p.row, p.column, p.value, p.rule, p.severity)
    7 点位名称 桥头东 改名：库中原为“桥头” changed
    7 设备状态 离线 转为离线：库中原为在线 changed
    """
    kept = records.loc[~records.index.isin(list(rejected)), "device_id"].dropna()
    row_of = {code: int(row) for row, code in reversed(list(kept.items()))}
    name_header, status_header = headers
    online, offline = VideoStatus.ONLINE.label, VideoStatus.OFFLINE.label
    lines = [
        (code, name_header, new, f"改名：库中原为“{old}”") for code, old, new in settled.renamed
    ]
    lines += [
        (c.device_id, status_header, offline, f"转为{offline}：库中原为{online}")
        for c in settled.went_offline
    ]
    lines += [
        (c.device_id, status_header, online, f"恢复{online}：库中原为{offline}")
        for c in settled.came_online
    ]
    problems = [
        Problem(row_of[code], column, value, rule, "changed")
        for code, column, value, rule in lines
        if code in row_of
    ]
    return sorted(problems, key=lambda p: (p.row, p.column))
