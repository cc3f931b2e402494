"""Files of video points (雪亮工程 cameras), as platforms and township lists export them."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from geo.codes import (
    parse_device_id,
)
from importers import vocabulary
from importers.kinds.base import (
    Context,
    Kind,
    Part,
    area_from,
    staged_points,
    staging_rows,
    unsaid_columns,
)
from importers.mapping import normalise_header
from importers.rules import MissingColumns, RowChecks
from importers.stations import INSTALL_ADDRESS, ORGANISATION
from importers.values import (
    ungrouped_code,
)
from layers.model import (
    Base,
    DirectionType,
    PositionType,
    PtzType,
    VideoStatus,
)
from layers.unread_values import UNREAD

RECORDER_TYPES = {"111": "DVR", "118": "NVR", "130": "HVR"}
"""GB/T 28181 type codes (digits 11–13 of a device ID) of video recorders, not cameras."""
RECORDER_WORDS = {
    "nvr": "NVR",
    "网络硬盘录像机": "NVR",
    "网络录像机": "NVR",
    "dvr": "DVR",
    "硬盘录像机": "DVR",
    "录像机": "DVR",
    "hvr": "HVR",
    "混合硬盘录像机": "HVR",
}
"""How a camera list's 设备类型 names a recorder (by :func:`importers.vocabulary.value_key`)."""
RECORDERS_NOTE = "{counted}：其通道已按摄像机导入（录像机本身不是视频点位，第 {rows} 行未导入）"
"""Said of the recorder rows a platform's device list holds."""
CHECKPOINT_NOTE = (
    "{counted}按固定枪机（3）导入：本平台的摄像机类型只有球机、半球、固定枪机、遥控枪机，"
    "没有卡口，地图上与枪机相同"
)
"""Said of the 人脸卡口, 车辆卡口 … a list gives: read as the closest camera type."""
DIRECTION_RULE = "必须是方向（东、朝南、东南方向等）或方位角度数（如 135、225°）"
"""Why a 监控方向 that is neither a point of the compass nor a bearing is refused."""
_BEARING = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(°|º|度)?")
"""A bearing in degrees, its unit written or not (``135``, ``225°``, ``225度``)."""
REMOVED = "_removed"
"""Staged helper column: the row's 在线状态 says its camera was taken down."""
REMOVED_LABEL = "已拆除"
"""How the template lists the 在线状态 of a camera taken down (:data:`REMOVED_WORDS`)."""
REMOVED_WORDS = frozenset(
    {
        REMOVED_LABEL,
        "拆除",
        "已拆",
        "拆机",
        "已拆机",
        "报废",
        "已报废",
        "撤除",
        "已撤除",
        "移除",
        "已移除",
    }
)
"""A camera list's 在线状态 of a camera taken down: the import retires exactly that camera
(:func:`layers.camera_retirement.settle`), without ``--complete`` (trial BB M6). 停用 and 损坏
stay 离线: a camera out of service may come back."""
CODE_LIKE_HEADERS = frozenset({"设备编号"})
"""Headers read as the 国标编码 only when they hold 20-digit codes (a township's own numbers
otherwise: ``QL-001``)."""


def _device_codes(checks: RowChecks) -> pd.Series:
    """Return the device codes as read: without the spaces that group them or a text mark.

    A column whose header only may name them (:data:`CODE_LIKE_HEADERS`) is refused as
    missing unless some of its values are 20-digit codes.
    """
    codes = checks.text("device_id").map(ungrouped_code, na_action="ignore").astype(object)
    header = normalise_header(checks.header("device_id"))
    if header in CODE_LIKE_HEADERS and not codes.str.fullmatch(r"[0-9]{20}", na=False).any():
        raise MissingColumns(
            ["device_id"],
            checks.file_headers,
            f"（列“{checks.header('device_id')}”的值不是 20 位国标编码，未作为国标编码读取）",
            labels=checks.labels,
            others=checks.others,
        )
    return codes


def _skip_recorders(checks: RowChecks, codes: pd.Series) -> None:
    """Take out the rows of video recorders (NVR, DVR): their channels are the cameras.

    A recorder is told by its 设备类型 (:data:`RECORDER_WORDS`) or, when the row names no type,
    by the type code of its well-formed GB/T 28181 ID (:data:`RECORDER_TYPES`); the summary
    counts them (:data:`RECORDERS_NOTE`). A malformed ID is the code check's to refuse.
    """
    given = checks.text("ptz_type")
    written = given.map(
        lambda v: RECORDER_WORDS.get(vocabulary.value_key(str(v))), na_action="ignore"
    )
    # by the code only a well-formed one whose row names no type of its own (trial AL: a 枪机
    # whose 20th character was a mistyped X went as an HVR, out of the count and the report)
    well_formed = codes.str.fullmatch(r"[0-9]{20}", na=False) & given.isna()
    typed = codes.where(well_formed).str.slice(10, 13).map(RECORDER_TYPES, na_action="ignore")
    kind = written.where(written.notna(), typed)
    rows = checks.skip(kind.notna())
    if not rows:
        return
    counted = "、".join(f"{k} {n} 台" for k, n in kind.dropna().value_counts(sort=False).items())
    shown = "、".join(str(r) for r in rows[:10]) + ("等" if len(rows) > 10 else "")
    checks.notes.append(RECORDERS_NOTE.format(counted=counted, rows=shown))


def _checkpoints_note(checks: RowChecks, ptz: pd.Series) -> None:
    """Say how many 卡口 (人脸卡口, 车辆卡口 …) were read as fixed cameras, by written type."""
    written = checks.text("ptz_type")
    read = written.notna() & written.str.contains("卡口|电子警察", na=False)
    read &= ptz == PtzType.FIXED.value
    if not read.any():
        return
    counted = written[read].str.strip().value_counts(sort=False)
    listed = "、".join(f"{name} {n} 台" for name, n in counted.items())
    checks.notes.append(CHECKPOINT_NOTE.format(counted=listed))


def _bearings(raw: pd.Series) -> pd.Series:
    """Return the bearing each direction writes in degrees (NaN where it writes a word).

    A column of plain numbers 1–8 only is GB/T 28181's DirectionType codes: no bearings.

    Examples
    --------
    >>> _bearings(pd.Series(["东", "135", "225°", "225 度", None])).tolist()
    [nan, 135.0, 225.0, 225.0, nan]
    >>> _bearings(pd.Series(["1", "5"])).tolist()
    [nan, nan]
    """
    text = raw.map(lambda v: unicodedata.normalize("NFKC", str(v)).strip(), na_action="ignore")
    found = text.astype("string").str.extract(f"^{_BEARING.pattern}$")
    number = pd.to_numeric(found[0], errors="coerce")
    marked = found[1].notna()
    coded = number.notna() & ~marked & number.isin([1, 2, 3, 4, 5, 6, 7, 8])
    if not (marked | (number.notna() & ~coded)).any():
        return pd.Series(np.nan, index=raw.index)
    return number.astype(float)


def _direction(checks: RowChecks) -> tuple[pd.Series, pd.Series]:
    """Return the direction codes and the bearings of the rows.

    A 监控方向 column (direction_type) in a list without a 方位角 column may write either:
    a point of the compass (``东``, ``朝南``, ``东南方向``) is the direction's code, a number of
    degrees (``135``, ``225°``, ``225度``) the bearing (:func:`_bearings`).
    """
    azimuth = checks.number("azimuth_deg", low=0, high=360)
    bearing = _bearings(checks.text("direction_type"))
    if checks.has("azimuth_deg") or not bearing.notna().any():
        return checks.choice("direction_type", DirectionType), azimuth
    words = checks.recoded("direction_type").where(bearing.isna())
    codes = vocabulary.codes_of(words, DirectionType)
    checks.fail("direction_type", words.notna() & codes.isna(), DIRECTION_RULE)
    checks.fail("direction_type", bearing > 360, "方位角不能超过 360 度")
    direction = codes.astype(object).where(codes.notna(), None)
    return direction, bearing.where(bearing <= 360)


def _removed(checks: RowChecks) -> pd.Series:
    """Return whether each row's 在线状态 says its camera was taken down (已拆除, 报废 …).

    Such a row is read as 离线 (the mapping file's names of values first): the camera is
    retired after the upsert (:data:`REMOVED_WORDS`).
    """
    keys = {vocabulary.value_key(w) for w in REMOVED_WORDS}
    said = checks.recoded("status")
    removed = said.map(lambda v: pd.notna(v) and vocabulary.value_key(str(v)) in keys)
    removed = removed.astype(bool)
    if removed.any():  # read as offline: the retirement is the settle's
        names = checks.values.setdefault("status", {})
        names.update(dict.fromkeys(keys, VideoStatus.OFFLINE.label))
    return removed


def _prepare_video(checks: RowChecks, context: Context) -> list[Part]:
    """Read a camera list; a detail that cannot be read is left out, the camera kept.

    Every field of :data:`_CAMERA_DETAILS` is optional (:meth:`RowChecks.leave_out_unread`):
    a 摄像机类型 ``飞碟`` or a 在线状态 ``坏了吗`` is reported as repaired and left out, a camera
    on record keeps its own value of it (:mod:`layers.unread_values`) and a new one gets the
    default. The 所属组织 and 安装位置 are read only to be held to the point
    (:func:`importers.stations.cameras_elsewhere`).
    """
    codes = _device_codes(checks)
    _skip_recorders(checks, codes)
    codes = codes.reindex(checks.frame.index)
    checks.require_point()
    checks.code("device_id", parse_device_id, read=codes)
    checks.leave_out_unread(*_CAMERA_DETAILS)
    area, places = area_from(checks)
    ptz = checks.choice("ptz_type", PtzType)
    _checkpoints_note(checks, ptz)
    direction, azimuth = _direction(checks)
    removed = _removed(checks)
    status = checks.choice("status", VideoStatus, default=VideoStatus.ONLINE.value)
    status = status.where(~checks.unread_rows("status"), VideoStatus.ONLINE.value)
    records = staging_rows(
        checks,
        {
            "device_id": codes,
            "name": checks.text("name"),
            "ptz_type": ptz,
            "position_type": checks.choice("position_type", PositionType),
            "direction_type": direction,
            "azimuth_deg": azimuth,
            "fov_deg": checks.number("fov_deg", low=0.001, high=360).fillna(60.0),
            "range_m": checks.number("range_m", low=0.001).fillna(80.0),
            "status": status,
            "stream_url": checks.text("stream_url"),
            **staged_points(checks, context),
            "area_code": area,
            **places,
            ORGANISATION: checks.text("police_station"),
            INSTALL_ADDRESS: checks.text("address"),
            "install_address": checks.text("address"),
            "police_station": checks.text("police_station"),
            REMOVED: removed,
        },
    )
    if checks.unread:
        records[UNREAD] = checks.unread_fields()
    checks.duplicates("device_id", [codes])
    checks.note_unread()
    # A list without a column says nothing of it: its default (or empty) value is a new camera's,
    # not a reason to reset the view or the state another list or an operator gave a camera.
    unsaid = unsaid_columns(checks, (*_CAMERA_DETAILS, *_KEPT_PLACES), _KEPT_PLACES)
    return [Part(records, ("device_id",), True, insert_only=unsaid)]


_CAMERA_DETAILS = (
    "ptz_type",
    "position_type",
    "direction_type",
    "azimuth_deg",
    "fov_deg",
    "range_m",
    "status",
    "stream_url",
)
"""A camera's fields a list may leave out, or give in words that cannot be read (left out)."""
_KEPT_PLACES = {"install_address": ("address",), "police_station": ("police_station",)}
"""The columns that keep a camera's 安装位置 and 所属组织 (派出所), by the field giving each
(trial BB m1: dropped after the township check, the operator could not tell whom to phone)."""


VIDEO = Kind(
    "video",
    Base.metadata.tables["video_points"],
    (
        "device_id",
        "name",
        *_CAMERA_DETAILS,
        "lon",
        "lat",
        "lonlat",
        "wkt",
        "area_code",
        "township",
        "address",
        "police_station",
    ),
    _prepare_video,
    update=True,
    geometry="point",
    helpers={UNREAD: "text", ORGANISATION: "text", INSTALL_ADDRESS: "text", REMOVED: "boolean"},
    label="视频点位",
    required=("device_id", "name"),
    headers={
        "device_id": "国标编码",
        "name": "点位名称",
        "direction_type": "监视方位",
        "address": "安装位置",
        "police_station": "所属组织",
    },
)
"""What a file of video becomes."""
