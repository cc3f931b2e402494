"""Photos of a special-population visit (走访): the person as the worker found them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import Base, area_code_type, created_column, id_column


class VisitPhoto(Base):
    """One photo of a visit, as the server re-encoded it (JPEG, no EXIF), and its thumbnail.

    It shows a special-population person: it is that person's personal data, kept in the visit's
    unit (``area_code``, row-level security as ``person_visits``) and read as
    :mod:`layers.visit_photos` says (the worker who took it; else an audited unmasked read).
    """

    __tablename__ = "visit_photos"

    id: Mapped[int] = id_column()
    visit_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("person_visits.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
    at: Mapped[datetime] = created_column()
    uploaded_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
