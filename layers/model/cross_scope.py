"""A registration that met a record of another township: the notice that township reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import Base, area_code_type, created_column, id_column


class CrossScopeAttempt(Base):
    """One registration refused because its ID is on record in another township (trial AW M7).

    Filed under the township holding the record (``area_code``: its code, the village digits
    zeroed), which and whose county read it (row-level security); the person masked
    (``id_masked``, no name). Written only through ``zongzhi_note_cross_scope_attempt``
    (migration 0040), as the registrar's scope may not write a row of another township.
    """

    __tablename__ = "cross_scope_attempts"
    __table_args__ = (Index("ix_cross_scope_attempts_actor_at", "actor_id", "at"),)

    id: Mapped[int] = id_column()
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    id_masked: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(Text)
    actor_unit: Mapped[str] = mapped_column(area_code_type())
    actor_unit_name: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = created_column()
