"""Public-security video points (雪亮工程 cameras), keyed by GB/T 28181 device ID.

A camera the platform's export no longer lists is retired (``retired_on``, ``retired_by``:
:mod:`layers.camera_retirement`), never deleted: it leaves the live map and every count, and
stays on record with its last name, place and status.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import Base, LabelledEnum, area_code_type, geometry, id_column


class PtzType(LabelledEnum):
    """Camera kind (GB/T 28181 catalog PTZType)."""

    DOME = ("1", "球机")
    HALF_DOME = ("2", "半球")
    FIXED = ("3", "固定枪机")
    REMOTE_FIXED = ("4", "遥控枪机")


class PositionType(LabelledEnum):
    """Where a camera stands (GB/T 28181 catalog PositionType)."""

    CHECKPOINT = ("1", "省际检查站")
    GOVERNMENT = ("2", "党政机关")
    STATION_PORT = ("3", "车站码头")
    SQUARE = ("4", "中心广场")
    STADIUM = ("5", "体育场馆")
    COMMERCIAL = ("6", "商业中心")
    RELIGIOUS = ("7", "宗教场所")
    SCHOOL = ("8", "校园周边")
    COMPLEX_AREA = ("9", "治安复杂区域")
    ARTERIAL_ROAD = ("10", "交通干线")


#: Horizontal field of view of a camera whose list gives none (degrees): ``fov_deg``'s default.
DEFAULT_FOV_DEG = 60.0


class DirectionType(LabelledEnum):
    """Which way a camera looks (GB/T 28181 catalog DirectionType, 监视方位).

    Each code names a 45° sector of the compass; :attr:`bearing_deg` is the sector's centre.
    """

    EAST = ("1", "东")
    WEST = ("2", "西")
    SOUTH = ("3", "南")
    NORTH = ("4", "北")
    SOUTH_EAST = ("5", "东南")
    NORTH_EAST = ("6", "东北")
    SOUTH_WEST = ("7", "西南")
    NORTH_WEST = ("8", "西北")

    @property
    def bearing_deg(self) -> float:
        """Compass bearing of the sector's centre, degrees clockwise from north.

        Returns
        -------
        float
            北 0, 东北 45, 东 90, 东南 135, 南 180, 西南 225, 西 270, 西北 315.

        Examples
        --------
        >>> DirectionType.EAST.bearing_deg, DirectionType("8").bearing_deg
        (90.0, 315.0)
        >>> {d.label: d.bearing_deg for d in DirectionType}  # doctest: +NORMALIZE_WHITESPACE
        {'东': 90.0, '西': 270.0, '南': 180.0, '北': 0.0,
         '东南': 135.0, '东北': 45.0, '西南': 225.0, '西北': 315.0}
        """
        return _BEARING_DEG[self.name]


_BEARING_DEG = {
    "NORTH": 0.0,
    "NORTH_EAST": 45.0,
    "EAST": 90.0,
    "SOUTH_EAST": 135.0,
    "SOUTH": 180.0,
    "SOUTH_WEST": 225.0,
    "WEST": 270.0,
    "NORTH_WEST": 315.0,
}


class VideoStatus(LabelledEnum):
    """Online state of a device."""

    ONLINE = ("online", "在线")
    OFFLINE = ("offline", "离线")


class VideoPoint(Base):
    """One camera: where it is, where it looks, whether it is online, whether it is in use.

    ``retired_on`` is the day an import of the platform's whole camera list for an area
    (``--within … --complete``) found it no longer listed (NULL: in use), ``retired_by`` that
    import (``import_runs.id``). ``listed_by`` is the import whose file last listed it (a
    ``--complete`` list spares a camera another import of the same day listed).
    """

    __tablename__ = "video_points"
    __table_args__ = (
        VideoStatus.check("status"),
        CheckConstraint("fov_deg > 0 AND fov_deg <= 360", name="fov_range"),
        CheckConstraint("range_m > 0", name="range_positive"),
        CheckConstraint("direction_type BETWEEN 1 AND 8", name="direction_range"),
        CheckConstraint("retired_by IS NULL OR retired_on IS NOT NULL", name="retired_by_retired"),
    )

    id: Mapped[int] = id_column()
    device_id: Mapped[str] = mapped_column(CHAR(20, collation="C"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    ptz_type: Mapped[int | None] = mapped_column(SmallInteger)
    position_type: Mapped[int | None] = mapped_column(SmallInteger)
    direction_type: Mapped[int | None] = mapped_column(SmallInteger)
    azimuth_deg: Mapped[float | None] = mapped_column(Float)
    fov_deg: Mapped[float] = mapped_column(Float, default=DEFAULT_FOV_DEG)
    range_m: Mapped[float] = mapped_column(Float, default=80.0)
    status: Mapped[str] = mapped_column(String(10), default=VideoStatus.ONLINE)
    last_heartbeat: Mapped[datetime | None]
    stream_url: Mapped[str | None] = mapped_column(String(300))
    point = mapped_column(geometry("POINT"), nullable=False)
    area_code: Mapped[str] = mapped_column(
        area_code_type(), ForeignKey("jurisdictions.code"), index=True
    )
    retired_on: Mapped[date | None]
    retired_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("import_runs.id"), index=True
    )
    listed_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("import_runs.id"), index=True
    )
    install_address: Mapped[str | None] = mapped_column(Text)
    police_station: Mapped[str | None] = mapped_column(Text)
