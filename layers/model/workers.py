"""Grid workers and other staff who can be dispatched, with their position history."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import (
    SRID,
    Base,
    LabelledEnum,
    area_code_type,
    geometry,
    grid_code_type,
    id_column,
)


class WorkerRole(LabelledEnum):
    """Kind of dispatchable staff."""

    GRID_WORKER = ("grid_worker", "专职网格员")
    PART_TIME = ("part_time", "兼职网格员")
    GRID_LEADER = ("grid_leader", "网格长")
    MEDIATOR = ("mediator", "人民调解员")
    POLICE = ("police", "社区民警")
    DEPARTMENT = ("department", "部门工作人员")


class WorkerStatus(LabelledEnum):
    """Availability of a worker."""

    ON_DUTY = ("on_duty", "在岗")
    OFF_DUTY = ("off_duty", "离岗")
    BUSY = ("busy", "处置中")
    LEFT = ("left", "已离职")


#: The statuses of a worker who may be sent a case: on duty, or busy with fewer open cases than
#: :data:`layers.dispatch.OPEN_CASES_CAP` (which :func:`layers.dispatch.assign` counts).
DISPATCHABLE = "status IN ('on_duty', 'busy')"


class Worker(Base):
    """A person who can be sent to a case."""

    __tablename__ = "workers"
    __table_args__ = (
        WorkerRole.check("role"),
        WorkerStatus.check("status"),
        Index(
            "ix_workers_dispatchable_position",
            "last_position",
            postgresql_using="gist",
            # a busy worker below his cap of open cases may be sent more (migration 0039)
            postgresql_where=text(DISPATCHABLE),
        ),
    )

    id: Mapped[int] = id_column()
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20), default=WorkerRole.GRID_WORKER)
    unit: Mapped[str | None] = mapped_column(String(100))
    home_grid: Mapped[str | None] = mapped_column(
        grid_code_type(), ForeignKey("grids.code"), index=True
    )
    area_code: Mapped[str] = mapped_column(
        area_code_type(), ForeignKey("jurisdictions.code"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default=WorkerStatus.OFF_DUTY)
    last_position = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False), nullable=True)
    last_seen_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class WorkerPosition(Base):
    """One reported position of a worker."""

    __tablename__ = "worker_positions"
    __table_args__ = (Index("ix_worker_positions_worker_id_at", "worker_id", "at"),)

    id: Mapped[int] = id_column()
    worker_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("workers.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    point = mapped_column(geometry("POINT"), nullable=False)
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
