"""Stored hot-spot runs, their cells, and the risk alerts they raise."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import (
    Base,
    LabelledEnum,
    area_code_type,
    created_column,
    geometry,
    id_column,
)


class AlertState(LabelledEnum):
    """Handling state of an alert."""

    OPEN = ("open", "待处置")
    ACKNOWLEDGED = ("acknowledged", "已签收")
    CLOSED = ("closed", "已关闭")


class HotspotRun(Base):
    """One run of the hot-spot analytics over a scope and a time window."""

    __tablename__ = "hotspot_runs"

    id: Mapped[int] = id_column()
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
    method: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    created_at: Mapped[datetime] = created_column()
    created_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default="done")
    historic: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    """A look at a past window (:mod:`layers.hotspot_current`): no alerts, never the current run."""


class HotspotCell(Base):
    """One analysis unit of a run with its statistic and class."""

    __tablename__ = "hotspot_cells"
    __table_args__ = (Index("ix_hotspot_cells_run_id_area_code", "run_id", "area_code"),)

    id: Mapped[int] = id_column()
    run_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("hotspot_runs.id", ondelete="CASCADE")
    )
    area_code: Mapped[str] = mapped_column(area_code_type())
    unit_id: Mapped[str] = mapped_column(String(32))
    geom = mapped_column(geometry("POLYGON"), nullable=False)
    count: Mapped[int] = mapped_column(Integer)
    z: Mapped[float] = mapped_column(Float)
    p: Mapped[float] = mapped_column(Float)
    bin: Mapped[int] = mapped_column(SmallInteger)
    pattern: Mapped[str | None] = mapped_column(String(30))


class Alert(Base):
    """A risk alert addressed to a jurisdiction."""

    __tablename__ = "alerts"
    __table_args__ = (
        AlertState.check("state"),
        Index("ix_alerts_unclosed_unit_id", "unit_id", postgresql_where=text("state <> 'closed'")),
    )

    id: Mapped[int] = id_column()
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    level: Mapped[int] = mapped_column(SmallInteger, default=3)
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("hotspot_runs.id", ondelete="SET NULL")
    )
    cell_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("hotspot_cells.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_column()
    state: Mapped[str] = mapped_column(String(12), default=AlertState.OPEN)
    acknowledged_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None]
    unit_id: Mapped[str | None] = mapped_column(String(32))
    """The analysis cell (H3 index): a later run refreshes this alert while it is not closed."""
    refreshed_at: Mapped[datetime | None]
    """When a later run last found the hot spot alerting again (:mod:`layers.alerts`)."""
    closed_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    close_note: Mapped[str | None] = mapped_column(Text)
    """What was done (处置情况), said by whoever closed it."""
