"""Grids (网格): the smallest management unit, inside one village."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import Base, area_code_type, geometry, grid_code_type


class Grid(Base):
    """A grid: 15-digit code = village code + 3-digit serial.

    A grid a re-division merged away or re-coded is retired (``retired_on``), never deleted:
    the records of years name it. ``successor_code`` is the grid that took it over, if one did.
    """

    __tablename__ = "grids"
    __table_args__ = (
        CheckConstraint(
            "successor_code IS NULL OR retired_on IS NOT NULL", name="successor_retired"
        ),
    )

    code: Mapped[str] = mapped_column(grid_code_type(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str] = mapped_column(
        area_code_type(), ForeignKey("jurisdictions.code"), index=True
    )
    boundary = mapped_column(geometry("POLYGON"), nullable=True)
    leader_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("workers.id", use_alter=True, ondelete="SET NULL"), index=True
    )
    retired_on: Mapped[date | None]
    successor_code: Mapped[str | None] = mapped_column(
        grid_code_type(), ForeignKey("grids.code"), index=True
    )
