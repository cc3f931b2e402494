"""Dispatches: a case sent to a worker, a unit or a department, and how it went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import Base, LabelledEnum, area_code_type, created_column, id_column


class AssigneeKind(LabelledEnum):
    """Who a case is dispatched to."""

    WORKER = ("worker", "网格员")
    UNIT = ("unit", "下级单位")
    DEPARTMENT = ("department", "职能部门")


class DispatchStatus(LabelledEnum):
    """Progress of one dispatch."""

    ASSIGNED = ("assigned", "已派单")
    ACCEPTED = ("accepted", "已受理")
    ARRIVED = ("arrived", "已到场")
    FINISHED = ("finished", "已完成")
    RETURNED = ("returned", "已退回")
    CANCELLED = ("cancelled", "已取消")


ACTIVE_DISPATCH = "status IN ('assigned', 'accepted', 'arrived')"


class Dispatch(Base):
    """One assignment of a case."""

    __tablename__ = "dispatches"
    __table_args__ = (
        AssigneeKind.check("assignee_kind"),
        DispatchStatus.check("status"),
        CheckConstraint(
            "(assignee_kind = 'worker') = (worker_id IS NOT NULL)", name="worker_assignee"
        ),
        Index(
            "uq_dispatches_active_case",
            "case_id",
            unique=True,
            postgresql_where=text(ACTIVE_DISPATCH),
        ),
        # a worker holds up to :data:`layers.dispatch.OPEN_CASES_CAP` at once, counted under a
        # lock of his row (migration 0039: one at a time before)
        Index(
            "ix_dispatches_active_worker",
            "worker_id",
            postgresql_where=text(ACTIVE_DISPATCH + " AND worker_id IS NOT NULL"),
        ),
        Index(
            "ix_dispatches_departments",
            "area_code",
            postgresql_where=text("department IS NOT NULL"),
        ),
    )

    id: Mapped[int] = id_column()
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
    assignee_kind: Mapped[str] = mapped_column(String(12))
    worker_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("workers.id"), index=True)
    unit_code: Mapped[str | None] = mapped_column(
        area_code_type(), ForeignKey("jurisdictions.code"), index=True
    )
    department: Mapped[str | None] = mapped_column(String(100))
    assigned_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = created_column()
    accepted_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default=DispatchStatus.ASSIGNED)
