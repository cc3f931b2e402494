"""Retiring the cameras the platform's export no longer lists, and naming their replacements.

The 雪亮工程 platform's export (设备通道导出) is the word on which cameras exist in an area, but
an upsert can only add and update cameras. A camera is never deleted (where it stood and what it
was called answer the questions of last month): it is retired (``video_points.retired_on``, the
import that retired it in ``retired_by``), which takes it off the live map and out of every
count (the OGC collection, the command feed's KPIs, the cameras of a case, hot-spot coverage).

* ``zongzhi import video FILE --within CODE --complete``: the file is the whole camera list of
  CODE's area; the cameras of that area on record and in use that it does not list are retired,
  dated the import's day, in the import's transaction (a dry run says what it would retire and
  rolls it back). A rejected row (loaded with ``--partial``) still lists the camera its
  国标编码 names, a row rejected as a duplicate of another too (a camera shared by 公安 and 综治
  is in the platform's export twice); a file with a rejected row whose code is missing or not
  a GB/T 28181 device ID retires nothing: the camera it meant may be on record under the right
  code (:data:`INCOMPLETE_NOTE`).
* A ``--complete`` list that would retire half the cameras in use of its area or more (or more
  than :data:`layers.complete_list.CONFIRM_MANY` and a third: the rule of every complete list,
  :func:`layers.complete_list.unconfirmed`) is likely a part of the list (an export split by
  source for its CRS, each part imported with ``--complete``, would retire the other part's
  cameras): it retires nothing unless ``--again`` confirms it. Its rows load; an
  alarm says how many it would retire and how to confirm, and a note lists them. A list that
  names none of the area's cameras in use is no sign of a whole list (a file of the wrong
  area or kind): its alarm says the area would have no camera left and asks to check the file
  before ``--again`` (trial X). A ``--complete`` file none of whose rows pass is refused before
  (:class:`importers.pipeline.NothingListed`).
* Nor does a ``--complete`` list retire, unless ``--again`` confirms it, the cameras it leaves
  out that another file imported the same day listed (:func:`listed_today`): they were just
  confirmed in use (trial V: an export split by source into 30 and 60 of 90 cameras; the
  60-camera part leaves out a third of the area's, under the guard above). It retires the
  others; an alarm names the files that listed them and how to confirm, and a note lists them.
  Each import records, on every camera its file lists (a rejected row's too), that it listed
  it last (``video_points.listed_by``, migration ``0019``); cameras on record before keep NULL.
* Held back either way, the command exits 1 (:func:`importers.cli.held_back`): a scheduled job
  must not take the retirement for done.
* A new camera within :data:`REPLACED_WITHIN_M` of a camera the import retires, with the same
  name (or either without one), is its replacement (a camera changed at the same place gets a
  new 国标编码): the summary pairs them, ``更换 N 个：`` and ``旧编码 → 新编码``.
* A camera retired before that a later file lists again is in use again (the upsert writes the
  staged NULLs of :data:`IN_USE` over its retirement, and counts it updated); the summary names it.
* Without ``--complete`` nothing is retired, but the summary names the cameras in use of the
  file's area (the ``--within`` area, else the smallest unit holding the townships its rows lie
  in) that the file does not list, and the option that would retire them: all of that area's,
  the count the note's area names and its ``--within … --complete`` would retire, whichever way
  the area was reached (trial AR S2: 玉溪市 found from the rows counted only the rows' townships,
  151, where ``--within 5304`` counted 320).
* A row whose 在线状态 says its camera was taken down (已拆除, 报废 …: the staged ``_removed``,
  :data:`importers.kinds.video.REMOVED_WORDS`) retires exactly that camera, without
  ``--complete``, dated the import's day; the summary names each (``按状态撤销视频点位 N 个``).
  A file that lists again a camera it already retired keeps its retirement as it was (trial BB
  M6: a 派出所's weekly list marks the 2 cameras it removed; ``--complete`` would have retired
  the township's 73 others it never lists).
* A file that has no row in some townships of its area (a 派出所's list of two of the county's
  townships) says which townships it holds and how many of the cameras it leaves out lie in
  the others (:class:`Coverage`); ``--within`` the area ``--complete`` retires nothing unless
  ``--again`` confirms that the others' cameras are gone too (trial BB m5: 「如本文件是华宁县的
  全部点位」 was advised for a file of 宁州街道 and 青龙镇). Refusing is the safer choice:
  retiring only within the townships held would silently take a county-wide ``--complete``
  for less than it says.
* Every camera the file renames is named with its old and new names (``视频点位改名 N 个：``):
  a re-import is counted 更新 like any other, and names shifted by a row in a clerk's sheet,
  or a platform that renamed its channels, show here before the map does.
* So is every camera whose 在线状态 the file changes, by direction (``转为离线的视频点位 N 个
  （原为在线）：``, then ``恢复在线的…``): a monthly export is how the office learns which
  cameras went dark, and a count in 更新 would hide them. A camera the file takes offline was
  last known online when the import before it listed it: that time becomes its
  ``last_heartbeat`` (最后在线) unless a later one is on record, so the list of offline cameras
  says since when and sorts it among the others (trial BB m4: 「最后在线 未记录」, listed last).

A note naming cameras is a head line, then one indented line per camera (``  国标编码 名称``):
the summary shows the first ten, in a dry run as in an import, and a CSV beside the report
lists them all, where the clerk checks which cameras a run retires
(:func:`importers.summary.shown_note`, :func:`importers.private_report.write_full_lists`;
trial X: a township's list named the county's 320 other cameras one a line).

The area and the day are those of every complete list (:mod:`layers.complete_list`; the persons'
is :mod:`layers.person_roster`).

:func:`snapshot` is taken before the upsert, :func:`settle` after it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg import sql

from geo.codes import scope_range
from layers.china_time import TODAY, import_day
from layers.complete_list import Area, ending_share, file_area, unconfirmed
from layers.model.video import VideoStatus

ONLINE, OFFLINE = VideoStatus.ONLINE.value, VideoStatus.OFFLINE.value
IN_USE: dict[str, None] = {"retired_on": None, "retired_by": None}
"""Staged with every camera a file lists: the upsert puts a retired one back in use."""
REPLACED_WITHIN_M = 30.0
"""How near (metres) a new camera must stand to a retired one to be taken as its replacement."""
INCOMPLETE_NOTE = (
    "有退回的行国标编码缺失或有误，未按 --complete 撤销文件未列的视频点位（库中的摄像机可能只是"
    "编码填错）：改正退回的行后，再按 --complete 重新导入"
)
"""Said when ``--complete --partial`` loads a file with rejected rows whose 国标编码 cannot be
read: nothing is retired (rows rejected for another reason still list their cameras)."""


CORRECTED_PART = "本文件为退回行的改正件，只含部分记录：不据此撤销库中其他点位"
"""Said instead of the cameras a corrected reject report leaves out and the ``--complete`` that
would retire them: the clerk imports the few rows he corrected, not the area's list."""


@dataclass(frozen=True)
class Camera:
    """One camera named by a note.

    Attributes
    ----------
    device_id : str
        Its 国标编码.
    name : str
        Its name on record.
    retired_on : datetime.date or None
        The day it was retired (for a camera put back in use: the day it had been).
    """

    device_id: str
    name: str
    retired_on: date | None = None

    @property
    def label(self) -> str:
        """``53042400051325000105 民文社区加油站旁_枪机``."""
        return f"{self.device_id} {self.name}"


@dataclass(frozen=True)
class Coverage:
    """The townships a file holds, when its area has others where it has no row.

    Attributes
    ----------
    held : tuple of tuple of str
        ``(12-digit code, name)`` of the townships the file's rows lie in.
    elsewhere : int
        The cameras in use the file leaves out in the area's other townships.
    others : tuple of str
        Those other townships' names, in code order.
    """

    held: tuple[tuple[str, str], ...]
    elsewhere: int
    others: tuple[str, ...]

    @property
    def held_names(self) -> str:
        """``宁州街道、青龙镇``: the townships the file holds."""
        return "、".join(name for _, name in self.held)

    @property
    def others_names(self) -> str:
        """The other townships, the first three named (``盘溪镇、华溪镇、通红甸乡等 4 个``)."""
        named = "、".join(self.others[:3])
        return named + (f"等 {len(self.others)} 个" if len(self.others) > 3 else "")


@dataclass(frozen=True)
class Before:
    """What :func:`settle` needs from before the upsert (:func:`snapshot`).

    Attributes
    ----------
    staging : str
        The staging table of the file's cameras.
    listed : list of str
        Every 国标编码 the file gives, rejected rows' too: a camera a rejected row names is not
        missing from the file.
    last_id : int
        The highest camera id on record: the cameras the upsert inserts lie above it.
    retired : list of Camera
        The retired cameras the file lists again.
    recorded : dict
        国标编码 → ``(name, 在线状态)`` on record, of the cameras the staged rows update.
    removed : dict
        国标编码 → ``(retired_on, retired_by)`` on record (``None`` in use or new), of the
        cameras the file says were taken down.
    listed_at : dict
        国标编码 → when the import that last listed it before this one ran, of the staged
        cameras on record (those an import listed).
    sources : dict
        ``import_runs.id`` → file name of the imports that last listed those cameras.
    """

    staging: str
    listed: list[str]
    last_id: int
    retired: list[Camera]
    recorded: dict[str, tuple[str, str]] = field(default_factory=dict)
    removed: dict[str, tuple[date | None, int | None]] = field(default_factory=dict)
    listed_at: dict[str, datetime] = field(default_factory=dict)
    sources: dict[int, str] = field(default_factory=dict)


@dataclass
class Settled:
    """What an import of cameras retired, replaced, put back in use, or left out.

    Attributes
    ----------
    today : datetime.date
        The import's day (the retirements' date).
    retired : list of Camera
        The cameras retired (``--complete``).
    replaced : list of tuple of str
        ``(old, new)`` 国标编码 pairs: a retired camera and the new one in its place.
    back : list of Camera
        Retired cameras the file lists again, in use again.
    left_out : list of Camera
        Without ``--complete`` (or with rejected rows): the cameras in use of :attr:`area` the
        file does not list.
    area : Area or None
        The area compared (the ``--within`` area, or the townships' smallest common unit).
    held_back : bool
        ``--complete`` retired nothing because a rejected row's 国标编码 could not be read.
    unconfirmed_of : int or None
        ``--complete`` retired nothing because it would have retired :attr:`left_out`, too
        many of the area's cameras in use (this many before the import) without ``--again``
        (:func:`unconfirmed`).
    spared : list of Camera
        ``--complete`` did not retire these cameras it leaves out (without ``--again``):
        another file imported the same day listed them (:func:`listed_today`).
    spared_by : list of str
        Those files, as the alarm names them (``公安.csv（导入编号 12，10:32）``).
    renamed : list of tuple of str
        ``(国标编码, old name, new name)`` of the cameras on record the file renamed.
    went_offline : list of Camera
        The cameras on record online that the file lists offline.
    came_online : list of Camera
        The cameras on record offline that the file lists online.
    corrected_part : bool
        The file is the corrected rows of the platform's own reject report
        (:func:`importers.report.corrected_report`): a part of an earlier file, whose cameras
        left out are no sign of cameras gone (trial AV M6).
    taken_down : list of Camera
        The cameras in use the file says were taken down (已拆除, 报废 …), retired by it.
    coverage : Coverage or None
        The townships the file holds, when :attr:`area` has others where it has no row.
    beyond_held : bool
        ``--complete`` retired nothing: it would have retired cameras of townships where the
        file has no row (:attr:`coverage`), without ``--again``.
    dropped : list of Camera
        Of :attr:`left_out`, those last listed by an import that listed cameras of this file
        too (its previous week's list, say): likely the ones taken down since.
    dropped_by : list of str
        Those imports' file names.
    """

    today: date
    retired: list[Camera] = field(default_factory=list)
    replaced: list[tuple[str, str]] = field(default_factory=list)
    back: list[Camera] = field(default_factory=list)
    left_out: list[Camera] = field(default_factory=list)
    area: Area | None = None
    held_back: bool = False
    unconfirmed_of: int | None = None
    spared: list[Camera] = field(default_factory=list)
    spared_by: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    went_offline: list[Camera] = field(default_factory=list)
    came_online: list[Camera] = field(default_factory=list)
    corrected_part: bool = False
    taken_down: list[Camera] = field(default_factory=list)
    coverage: Coverage | None = None
    beyond_held: bool = False
    dropped: list[Camera] = field(default_factory=list)
    dropped_by: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        r"""Return the summary's lines (Simplified Chinese), but the alarm (:meth:`alarm`).

        Returns
        -------
        list of str
            The cameras retired (a head line, then one camera a line), their replacements,
            those another file listed today (not retired), those back in use, the cameras
            left out with the option that would retire them (or, unconfirmed, those it would
            have retired), the cameras renamed, and those gone offline or back online.

        Examples
        --------
        >>> s = Settled(date(2026, 12, 2), retired=[Camera("53042400051325000105", "加油站旁")],
        ...             replaced=[("53042400051325000112", "53042400051325000301")],
        ...             renamed=[("53042400051325000107", "桥头", "桥头_球机")],
        ...             went_offline=[Camera("53042400051325000108", "学校门口")])
        >>> for note in s.notes():
        ...     print(note.replace("（", "\n（"))
        撤销视频点位 1 个
        （文件未列，按今天 2026-12-02 记；不再显示在地图和统计中，记录保留）：
          53042400051325000105 加油站旁
        更换 1 个：
          53042400051325000112 → 53042400051325000301
        视频点位改名 1 个：
          53042400051325000107 桥头 → 桥头_球机
        转为离线的视频点位 1 个
        （原为在线）：
          53042400051325000108 学校门口
        """
        notes: list[str] = []
        if self.taken_down:
            notes.append(
                f"按状态撤销视频点位 {len(self.taken_down)} 个（文件的在线状态为已拆除、报废等，"
                f"按今天 {self.today.isoformat()} 记；不再显示在地图和统计中，记录保留）："
                f"{_lines(c.label for c in self.taken_down)}"
            )
        if self.retired:
            notes.append(
                f"撤销视频点位 {len(self.retired)} 个（文件未列，按今天 {self.today.isoformat()}"
                f" 记；不再显示在地图和统计中，记录保留）：{_lines(c.label for c in self.retired)}"
            )
        if self.replaced:
            pairs = (f"{old} → {new}" for old, new in self.replaced)
            notes.append(f"更换 {len(self.replaced)} 个：{_lines(pairs)}")
        if self.spared:
            notes.append(
                f"今天已由其他文件列出、未撤销的视频点位 {len(self.spared)} 个："
                f"{_lines(c.label for c in self.spared)}"
            )
        if self.back:
            days = sorted({c.retired_on.isoformat() for c in self.back if c.retired_on})
            since = f"（原于 {'、'.join(days[:3])} 撤销）" if days else ""
            notes.append(
                f"重新启用视频点位 {len(self.back)} 个{since}：文件又列出了这些已撤销的点位，"
                f"已恢复在用：{_lines(c.label for c in self.back)}"
            )
        if self.held_back:
            notes.append(INCOMPLETE_NOTE)
        if self.left_out and self.area is not None:
            notes.append(self._left_out_note(self.area))
        if self.dropped and self.left_out:  # trial BB M6: the few among the many left out
            files = "、".join(self.dropped_by[:3]) + ("等" if len(self.dropped_by) > 3 else "")
            notes.append(
                f"其中上次由{files}列出、本文件未列的视频点位 {len(self.dropped)} 个（如已拆除，"
                "可在本文件中列出并把在线状态填为已拆除后重新导入，只撤销这些）："
                f"{_lines(c.label for c in self.dropped)}"
            )
        if self.renamed:
            notes.append(self._renamed_note())
        for cameras, head in (
            (self.went_offline, "转为离线的视频点位 {n} 个（原为在线）："),
            (self.came_online, "恢复在线的视频点位 {n} 个（原为离线）："),
        ):
            if cameras:
                notes.append(head.format(n=len(cameras)) + _lines(c.label for c in cameras))
        return notes

    def _renamed_note(self) -> str:
        """Say which cameras the file renamed: a platform's names shifted by a row show here."""
        renames = (f"{code} {old} → {new}" for code, old, new in self.renamed)
        return f"视频点位改名 {len(self.renamed)} 个：{_lines(renames)}"

    def alarm(self) -> str | None:
        """Return what the clerk must not miss: a ``--complete`` retirement left unconfirmed.

        Returns
        -------
        str or None
            How many cameras the list would have retired, of how many in use (or how many
            another file listed today, and which), and how to confirm it (``--again``);
            ``None`` when nothing waits for confirmation.

        Examples
        --------
        >>> from layers.complete_list import Area
        >>> s = Settled(date(2026, 12, 2), left_out=[Camera("53042400051325000105", "加油站旁")],
        ...             area=Area("530424000000", "华宁县"), unconfirmed_of=2)
        >>> s.alarm().split("：")[0]
        '--complete 未撤销任何视频点位'
        >>> from dataclasses import replace  # not one of them listed: no sign of a whole list
        >>> replace(s, unconfirmed_of=1).alarm().split("：")[1].split("，")[0]
        '本文件没有列出华宁县（530424000000）在用的 1 个点位中的任何一个'
        >>> s = Settled(date(2026, 12, 2), spared=[Camera("53042400051325000105", "加油站旁")],
        ...             spared_by=["公安.csv（导入编号 12，10:32）"], area=s.area)
        >>> s.alarm().split("：")[0]
        '--complete 未撤销今天已由其他文件列出的视频点位 1 个'
        """
        if self.area is None:
            return None
        if self.beyond_held and self.coverage is not None:
            return self._beyond_alarm(self.area, self.coverage)
        if self.unconfirmed_of is None:
            return self._spared_alarm(self.area) if self.spared else None
        area, n, total = self.area, len(self.left_out), self.unconfirmed_of
        if n >= total:  # not one of the area's cameras: another area's list, or not a list
            return (
                f"--complete 未撤销任何视频点位：本文件没有列出{area.label}在用的 {total} 个点位中"
                f"的任何一个，按它{ending_share('视频点位', n, total)}，{area.name}将没有在用的"
                "点位。请核对文件是否选错（数据类型、辖区、导出时的筛选条件）；只有确知"
                f"{area.name}原有的点位已全部拆除时，才加 --complete --again 重新导入"
            )
        return (
            f"--complete 未撤销任何视频点位：本文件未列{area.label}在用的 {total} 个中的 {n} 个，"
            f"按它{ending_share('视频点位', n, total)}，可能只是一部分（如按来源、坐标系分开的"
            f"文件之一）。请核对下列点位；如本文件确是{area.name}的全部点位，加 --complete --again"
            " 重新导入即予撤销"
        )

    def _beyond_alarm(self, area: Area, coverage: Coverage) -> str:
        r"""Say that ``--complete`` would retire cameras where the file has no row, and what to do.

        Examples
        --------
        >>> from layers.complete_list import Area
        >>> s = Settled(date(2026, 12, 7), area=Area("530424000000", "华宁县"), beyond_held=True,
        ...             coverage=Coverage((("530424100000", "宁州街道"),), 73, ("盘溪镇",)))
        >>> print(s.alarm().split("。")[0].replace("，", "，\n"))
        --complete 未撤销任何视频点位：本文件只含宁州街道的点位，
        按它将撤销本文件没有一行的盘溪镇的在用视频点位 73 个（华宁县（530424000000）共未列 0 个）
        """
        one = coverage.held[0][0] if len(coverage.held) == 1 else None
        advice = (
            f"如只是{coverage.held_names}的全部点位，请改用 --within {one} --complete"
            if one
            else f"如只是{coverage.held_names}的全部点位，请按乡镇分别导入并用 --within 该乡镇"
        )
        return (
            f"--complete 未撤销任何视频点位：本文件只含{coverage.held_names}的点位，按它将撤销"
            f"本文件没有一行的{coverage.others_names}的在用视频点位 {coverage.elsewhere} 个"
            f"（{area.label}共未列 {len(self.left_out)} 个）。{advice}；"
            f"如本文件确是{area.name}的全部点位，加 --complete --again 重新导入即予撤销"
        )

    def _spared_alarm(self, area: Area) -> str:
        """Say which files listed today the cameras not retired, and how to retire them."""
        files = "、".join(self.spared_by[:3]) + ("等" if len(self.spared_by) > 3 else "")
        rest = f"；本文件未列的其余 {len(self.retired)} 个已照常撤销" if self.retired else ""
        return (
            f"--complete 未撤销今天已由其他文件列出的视频点位 {len(self.spared)} 个：本文件未列，"
            f"但今天导入的{files}列出了它们，刚确认在用；本文件可能只是{area.name}点位的"
            f"一部分（如按来源、坐标系分开的文件之一）{rest}。"
            f"如本文件确是{area.name}的全部点位，加 --complete --again 重新导入即予撤销"
        )

    def _left_out_note(self, area: Area) -> str:
        """Say which cameras in use the file does not list, and what would retire them."""
        cameras = _lines(c.label for c in self.left_out)
        n = len(self.left_out)
        if self.unconfirmed_of is not None:
            return f"文件未列、未撤销的{area.label}在用视频点位 {n} 个：{cameras}"
        said = f"库中{area.label}有在用视频点位 {n} 个不在本文件中"
        coverage = self.coverage
        if coverage is not None:  # trial BB m5: the file's townships, and the rest
            said += (
                f"（本文件只含{coverage.held_names}的点位，其中 {coverage.elsewhere} 个在本文件"
                f"没有一行的{coverage.others_names}）"
            )
        if self.held_back:
            return f"{said}：{cameras}"
        if self.corrected_part:  # a part of an earlier file: no --complete to advise
            return f"{CORRECTED_PART}（{area.label}另有在用视频点位 {n} 个不在本文件中，不必处理）"
        if coverage is not None and len(coverage.held) == 1:
            town = coverage.held[0]
            return (
                f"{said}；如本文件是{town[1]}的全部点位（如平台的设备通道导出），已拆除的可加"
                f" --within {town[0]} --complete 重新导入予以撤销（记录保留），从未撤销的不受影响："
                f"{cameras}"
            )
        return (
            f"{said}；如本文件是{area.name}的全部点位（如平台的设备通道导出），已拆除的可加"
            f" --within {area.code} --complete 重新导入予以撤销（记录保留），从未撤销的不受影响："
            f"{cameras}"
        )


def _lines(items: Iterable[str]) -> str:
    """Return ``items`` one a line, indented, after the head line of a note."""
    return "".join(f"\n  {item}" for item in items)


def snapshot(conn: psycopg.Connection[Any], staging: str, listed: Collection[str]) -> Before:
    """Keep what :func:`settle` compares with, before the upsert writes the staged cameras.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        The staging table of the file's cameras (``device_id``).
    listed : collection of str
        Every 国标编码 the file gives, the rejected rows' too.

    Returns
    -------
    Before
        The ids listed, the highest camera id on record, the retired cameras listed again,
        the names on record of the cameras the file updates.
    """
    row = conn.execute("SELECT coalesce(max(id), 0) FROM video_points").fetchone()
    last_id = int(row[0]) if row else 0
    on_record = conn.execute(  # the staged cameras on record: names, states, the retired
        sql.SQL(
            "SELECT v.device_id, v.name, v.status, v.retired_on, r.started_at, r.id, r.file_name"
            " FROM video_points AS v LEFT JOIN import_runs AS r ON r.id = v.listed_by"
            " WHERE v.device_id IN (SELECT s.device_id FROM {staging} AS s) ORDER BY v.device_id"
        ).format(staging=sql.Identifier(staging))
    ).fetchall()
    removed = conn.execute(  # the rows that say their camera was taken down
        sql.SQL(
            "SELECT s.device_id, v.retired_on, v.retired_by FROM {staging} AS s"
            " LEFT JOIN video_points AS v ON v.device_id = s.device_id WHERE s._removed"
        ).format(staging=sql.Identifier(staging))
    ).fetchall()
    return Before(
        staging=staging,
        listed=sorted({d for d in listed if isinstance(d, str) and d}),
        last_id=last_id,
        retired=[Camera(str(d), str(n), r) for d, n, _, r, *_ in on_record if r is not None],
        recorded={str(d): (str(n), str(s)) for d, n, s, *_ in on_record},
        listed_at={str(d): at for d, _, _, _, at, _, _ in on_record if at is not None},
        sources={int(run): str(f) for *_, run, f in on_record if run is not None},
        removed={str(d): (on, by) for d, on, by in removed},
    )


def settle(
    conn: psycopg.Connection[Any],
    before: Before,
    *,
    within: str | None,
    complete: bool,
    held_back: bool,
    import_id: int | None,
    confirmed: bool = False,
) -> Settled:
    """Retire the cameras a complete list leaves out, pair their replacements, say the rest.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction, after the upsert.
    before : Before
        From :func:`snapshot`.
    within : str or None
        12-digit code of the ``--within`` area; ``None``: the smallest unit holding the
        townships of the file's rows.
    complete : bool
        The file is the whole camera list of ``within``: retire the cameras it leaves out.
    held_back : bool
        ``--complete`` was asked for, but a rejected row's 国标编码 could not be read: retire
        nothing, say why.
    import_id : int or None
        The import (``import_runs.id``) recorded as ``retired_by``.
    confirmed : bool
        ``--again``: retire the cameras left out even when they are many of the area's
        (:func:`unconfirmed`), or another file listed them today (:func:`listed_today`).

    Returns
    -------
    Settled
        What was retired, replaced, put back in use, and left out (or left unconfirmed, or
        spared).
    """
    _record_listed(conn, before, import_id)
    back = [c for c in _back_in_use(conn, before) if c.device_id not in before.removed]
    settled = Settled(today=import_day(conn), back=back, held_back=held_back)
    _say_changes(conn, before, settled)
    settled.taken_down = _take_down(conn, before, import_id)
    gone = set(before.removed)
    settled.went_offline = [c for c in settled.went_offline if c.device_id not in gone]
    _last_online(conn, before, settled.went_offline)
    area = file_area(conn, before.staging, within)
    if area is None:
        return settled
    lo, hi = scope_range(area.code)
    settled.left_out = _left_out(conn, before, (lo, hi))
    settled.area = area
    settled.coverage = _coverage(conn, before, (lo, hi)) if settled.left_out else None
    settled.dropped, settled.dropped_by = _dropped(conn, before, settled.left_out)
    if not complete or within is None:
        return settled
    in_use = _in_use_before(conn, before, (lo, hi), back)
    if not confirmed and settled.coverage is not None:
        settled.unconfirmed_of, settled.beyond_held = in_use, True
        return settled
    if not confirmed and unconfirmed(len(settled.left_out), in_use):
        settled.unconfirmed_of = in_use
        return settled
    if not confirmed:
        settled.spared, settled.spared_by = listed_today(conn, settled.left_out, import_id)
    settled.left_out = []
    spared = [c.device_id for c in settled.spared]
    settled.retired = _retire(conn, before, (lo, hi), import_id, spared)
    settled.replaced = _replacements(conn, before, [c.device_id for c in settled.retired])
    return settled


def _take_down(
    conn: psycopg.Connection[Any], before: Before, import_id: int | None
) -> list[Camera]:
    """Retire the cameras the file says were taken down; return those it retired now.

    One retired before keeps its retirement (the upsert put it back in use): a re-import of
    the same file changes nothing.
    """
    if not before.removed:
        return []
    for device_id, (on, by) in before.removed.items():
        if on is not None:
            conn.execute(
                "UPDATE video_points SET retired_on = %s, retired_by = %s WHERE device_id = %s",
                (on, by, device_id),
            )
    now = [d for d, (on, _) in before.removed.items() if on is None]
    rows = conn.execute(
        sql.SQL(
            "UPDATE video_points SET retired_on = {today}, retired_by = %(run)s"
            " WHERE device_id = ANY(%(ids)s) AND retired_on IS NULL"
            " RETURNING device_id, name, retired_on"
        ).format(today=TODAY),
        {"run": import_id, "ids": now},
    ).fetchall()
    return sorted((Camera(str(d), str(n), r) for d, n, r in rows), key=lambda c: c.device_id)


def _dropped(
    conn: psycopg.Connection[Any], before: Before, left_out: list[Camera]
) -> tuple[list[Camera], list[str]]:
    """Return those of ``left_out`` last listed by an import that listed this file's cameras."""
    if not left_out or not before.sources:
        return [], []
    rows = conn.execute(
        "SELECT device_id, listed_by FROM video_points"
        " WHERE device_id = ANY(%s) AND listed_by = ANY(%s)",
        ([c.device_id for c in left_out], list(before.sources)),
    ).fetchall()
    by = {str(d): int(r) for d, r in rows}
    runs = sorted(set(by.values()))
    return [c for c in left_out if c.device_id in by], [before.sources[r] for r in runs]


def _coverage(
    conn: psycopg.Connection[Any], before: Before, area: tuple[str, str]
) -> Coverage | None:
    """Return the townships the file holds if it leaves out cameras in others of ``area``."""
    towns = sql.SQL(
        "SELECT DISTINCT left(s.area_code, 9) FROM {staging} AS s WHERE s.area_code IS NOT NULL"
    ).format(staging=sql.Identifier(before.staging))
    others = conn.execute(
        sql.SQL(
            "SELECT left(v.area_code, 9) AS t, count(*) FROM video_points AS v"
            " WHERE v.area_code >= %(lo)s AND v.area_code < %(hi)s AND v.retired_on IS NULL"
            " AND v.device_id <> ALL(%(listed)s::text[]) AND left(v.area_code, 9) NOT IN ({towns})"
            " GROUP BY 1 ORDER BY 1"
        ).format(towns=towns),
        {"lo": area[0], "hi": area[1], "listed": before.listed},
    ).fetchall()
    if not others:
        return None
    held = conn.execute(sql.SQL("SELECT t FROM ({towns}) AS h(t) ORDER BY 1").format(towns=towns))
    held_codes = [str(t).ljust(12, "0") for (t,) in held.fetchall()]
    names = _names(conn, held_codes + [str(t).ljust(12, "0") for t, _ in others])
    return Coverage(
        held=tuple((c, names.get(c, c)) for c in held_codes),
        elsewhere=sum(int(n) for _, n in others),
        others=tuple(names.get(str(t).ljust(12, "0"), str(t)) for t, _ in others),
    )


def _names(conn: psycopg.Connection[Any], codes: list[str]) -> dict[str, str]:
    """Return the names on record of the jurisdictions ``codes``."""
    rows = conn.execute(
        "SELECT code, name FROM jurisdictions WHERE code = ANY(%s)", (codes,)
    ).fetchall()
    return {str(c): str(n) for c, n in rows}


def _last_online(conn: psycopg.Connection[Any], before: Before, cameras: list[Camera]) -> None:
    """Date the cameras the file took offline as last online when the import before it ran.

    The import that listed a camera online last is the last word that it was; a heartbeat
    recorded later stays.
    """
    for camera in cameras:
        at = before.listed_at.get(camera.device_id)
        if at is None:
            continue
        conn.execute(
            "UPDATE video_points SET last_heartbeat = %(at)s WHERE device_id = %(d)s"
            " AND (last_heartbeat IS NULL OR last_heartbeat < %(at)s)",
            {"at": at, "d": camera.device_id},
        )


def _say_changes(conn: psycopg.Connection[Any], before: Before, settled: Settled) -> None:
    """Put on ``settled`` the cameras the upsert renamed, took offline or brought online."""
    if not before.recorded:
        return
    now = conn.execute(
        "SELECT device_id, name, status FROM video_points WHERE device_id = ANY(%s)"
        " ORDER BY device_id",
        (list(before.recorded),),
    ).fetchall()
    for device_id, name, status in now:
        old_name, old_status = before.recorded[device_id]
        if old_name != name:
            settled.renamed.append((device_id, old_name, name))
        if (old_status, status) == (ONLINE, OFFLINE):
            settled.went_offline.append(Camera(device_id, name))
        elif (old_status, status) == (OFFLINE, ONLINE):
            settled.came_online.append(Camera(device_id, name))


def _record_listed(conn: psycopg.Connection[Any], before: Before, import_id: int | None) -> None:
    """Record the import as the last to list each camera the file names (rejected rows' too)."""
    if import_id is None or not before.listed:
        return
    conn.execute(
        "UPDATE video_points SET listed_by = %s WHERE device_id = ANY(%s)",
        (import_id, before.listed),
    )


def listed_today(
    conn: psycopg.Connection[Any], cameras: list[Camera], import_id: int | None
) -> tuple[list[Camera], list[str]]:
    """Return the ``cameras`` another import of the import's day listed last, and those imports.

    A camera a file imported today listed is in use: a ``--complete`` list that leaves it out
    is likely a part of the area's list (an export split by source), not the word that it is
    gone. Which import listed a camera last is ``video_points.listed_by``.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    cameras : list of Camera
        The cameras in use a ``--complete`` list leaves out.
    import_id : int or None
        This import (``import_runs.id``): its own listing does not count.

    Returns
    -------
    tuple of (list of Camera, list of str)
        Those of ``cameras`` another import listed today, in their order; and those imports,
        oldest first, as ``公安.csv（导入编号 12，10:32）``.
    """
    if not cameras:
        return [], []
    rows = conn.execute(
        sql.SQL(
            "SELECT v.device_id, r.id, r.file_name,"
            " to_char(r.started_at AT TIME ZONE 'Asia/Shanghai', 'HH24:MI')"
            " FROM video_points AS v JOIN import_runs AS r ON r.id = v.listed_by"
            " WHERE v.device_id = ANY(%(ids)s) AND r.id IS DISTINCT FROM %(run)s"
            " AND (r.started_at AT TIME ZONE 'Asia/Shanghai')::date = {today} ORDER BY r.id"
        ).format(today=TODAY),
        {"ids": [c.device_id for c in cameras], "run": import_id},
    ).fetchall()
    listed = {str(device) for device, *_ in rows}
    runs = {int(run): f"{name}（导入编号 {run}，{at}）" for _, run, name, at in rows}
    return [c for c in cameras if c.device_id in listed], list(runs.values())


def _in_use_before(
    conn: psycopg.Connection[Any], before: Before, area: tuple[str, str], back: list[Camera]
) -> int:
    """Count the cameras of ``area`` in use before the import: not inserted nor put back by it."""
    row = conn.execute(
        "SELECT count(*) FROM video_points WHERE area_code >= %(lo)s AND area_code < %(hi)s"
        " AND retired_on IS NULL AND id <= %(last)s AND device_id <> ALL(%(back)s::text[])",
        {"lo": area[0], "hi": area[1], "last": before.last_id, "back": [c.device_id for c in back]},
    ).fetchone()
    return int(row[0]) if row else 0


def _back_in_use(conn: psycopg.Connection[Any], before: Before) -> list[Camera]:
    """Return the retired cameras the file listed that the upsert put back in use."""
    if not before.retired:
        return []
    ids = [c.device_id for c in before.retired]
    rows = conn.execute(
        "SELECT device_id FROM video_points WHERE device_id = ANY(%s) AND retired_on IS NULL",
        (ids,),
    ).fetchall()
    back = {str(r[0]) for r in rows}
    return [c for c in before.retired if c.device_id in back]


def _retire(
    conn: psycopg.Connection[Any],
    before: Before,
    area: tuple[str, str],
    import_id: int | None,
    spared: list[str],
) -> list[Camera]:
    """Retire the cameras in use of ``area`` the file does not list, but ``spared``; return them."""
    rows = conn.execute(
        sql.SQL(
            "UPDATE video_points AS v SET retired_on = {today}, retired_by = %(run)s"
            " WHERE v.area_code >= %(lo)s AND v.area_code < %(hi)s AND v.retired_on IS NULL"
            " AND v.device_id NOT IN (SELECT unnest(%(listed)s::text[]))"
            " AND v.device_id <> ALL(%(spared)s::text[])"
            " RETURNING v.device_id, v.name, v.retired_on"
        ).format(today=TODAY),
        {
            "run": import_id,
            "lo": area[0],
            "hi": area[1],
            "listed": before.listed,
            "spared": spared,
        },
    ).fetchall()
    return sorted((Camera(str(d), str(n), r) for d, n, r in rows), key=lambda c: c.device_id)


def _left_out(conn: psycopg.Connection[Any], before: Before, area: tuple[str, str]) -> list[Camera]:
    """Return the cameras in use of ``area`` the file does not list (all of the area's)."""
    rows = conn.execute(
        "SELECT v.device_id, v.name FROM video_points AS v"
        " WHERE v.area_code >= %(lo)s AND v.area_code < %(hi)s AND v.retired_on IS NULL"
        " AND v.device_id NOT IN (SELECT unnest(%(listed)s::text[]))"
        " ORDER BY v.device_id",
        {"lo": area[0], "hi": area[1], "listed": before.listed},
    ).fetchall()
    return [Camera(str(d), str(n)) for d, n in rows]


def _replacements(
    conn: psycopg.Connection[Any], before: Before, retired: list[str]
) -> list[tuple[str, str]]:
    """Pair each retired camera with the nearest camera this import inserted in its place.

    In its place: within :data:`REPLACED_WITHIN_M`, with the same name, or either without one.
    A new camera replaces one retired camera at most (the nearest).
    """
    if not retired:
        return []
    rows = conn.execute(
        sql.SQL(
            "SELECT o.device_id, n.device_id FROM video_points AS o"
            " JOIN video_points AS n ON n.id > %(last)s"
            " AND n.device_id IN (SELECT s.device_id FROM {staging} AS s)"
            " AND ST_DWithin(geography(n.point), geography(o.point), %(within)s)"
            " AND (btrim(n.name) = btrim(o.name) OR btrim(n.name) = '' OR btrim(o.name) = '')"
            " WHERE o.device_id = ANY(%(retired)s)"
            " ORDER BY ST_Distance(geography(n.point), geography(o.point)), o.device_id"
        ).format(staging=sql.Identifier(before.staging)),
        {"last": before.last_id, "within": REPLACED_WITHIN_M, "retired": retired},
    ).fetchall()
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for old, new in rows:  # nearest pairs first
        if old not in pairs and new not in taken:
            pairs[str(old)] = str(new)
            taken.add(str(new))
    return sorted(pairs.items())
