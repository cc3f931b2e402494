"""Grids (网格): the smallest management unit, inside one village."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import Base, area_code_type, geometry, grid_code_type


class Grid(Base):
    """A grid: 15-digit code = village code + 3-digit serial."""

    __tablename__ = "grids"

    code: Mapped[str] = mapped_column(grid_code_type(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str] = mapped_column(
        area_code_type(), ForeignKey("jurisdictions.code"), index=True
    )
    boundary = mapped_column(geometry("POLYGON"), nullable=True)
    leader_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("workers.id", use_alter=True, ondelete="SET NULL"), index=True
    )
