"""Photos attached to a case's events: the on-site evidence of 处置反馈 and 办结."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import Base, area_code_type, created_column, id_column


class CasePhoto(Base):
    """One photo of a case event, as the server re-encoded it (JPEG, no EXIF), and its thumbnail.

    It is kept in the case's unit (``area_code``, row-level security as the case's events) and
    read by whoever may read its case (:mod:`layers.case_photos`).
    """

    __tablename__ = "case_photos"

    id: Mapped[int] = id_column()
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("case_events.id", ondelete="CASCADE"), index=True
    )
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
    at: Mapped[datetime] = created_column()
    uploaded_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
