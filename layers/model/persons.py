"""Special populations (GB/T 31000-2015) and the visits that follow them up.

Resident IDs are never stored in clear: ``id_hash`` (keyed HMAC) matches records, ``id_masked``
is what screens show, and ``id_sealed`` (AES-GCM, key outside the database) is opened only for a
user with the unmask permission who states a reason; that read is audited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
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
    grid_code_type,
    id_column,
)


class PersonCategory(LabelledEnum):
    """Special-population categories."""

    RELEASED = ("released", "刑满释放人员")
    CORRECTION = ("correction", "社区矫正人员")
    MENTAL = ("mental", "严重精神障碍患者")
    DRUG = ("drug", "吸毒人员")
    AIDS_RISK = ("aids_risk", "艾滋病危险人员")
    YOUTH = ("youth", "重点青少年")


class ManagementLevel(LabelledEnum):
    """How closely a person is followed up."""

    KEY = ("1", "重点管控")
    ATTENTION = ("2", "关注")
    ROUTINE = ("3", "一般")


class Person(Base):
    """One special-population record."""

    __tablename__ = "persons"
    __table_args__ = (
        PersonCategory.check("category"),
        CheckConstraint("management_level BETWEEN 1 AND 3", name="management_level_range"),
        CheckConstraint("jsonb_typeof(attributes) = 'object'", name="attributes_object"),
        UniqueConstraint("category", "id_hash"),
        Index("ix_persons_id_hash", "id_hash"),
    )

    id: Mapped[int] = id_column()
    category: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(50))
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    id_masked: Mapped[str] = mapped_column(String(18))
    id_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    management_level: Mapped[int] = mapped_column(SmallInteger, default=3)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    residence = mapped_column(geometry("POINT"), nullable=True)
    address: Mapped[str | None] = mapped_column(String(200))
    grid_code: Mapped[str | None] = mapped_column(
        grid_code_type(), ForeignKey("grids.code"), index=True
    )
    area_code: Mapped[str] = mapped_column(
        area_code_type(), ForeignKey("jurisdictions.code"), index=True
    )
    import_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("import_runs.id"))
    ended_on: Mapped[date | None] = mapped_column(Date)
    """The day the person left the register (解除矫正, 死亡, 迁出 …); NULL while followed."""
    ended_reason: Mapped[str | None] = mapped_column(String(50))
    on_record_since: Mapped[date | None] = mapped_column(
        Date, server_default=text("CAST(now() AT TIME ZONE 'Asia/Shanghai' AS date)")
    )
    """The day the person was put on record: a person never visited is overdue from there
    (:mod:`layers.visits_due`); NULL: unknown (on record before migration 0012)."""


class PersonResponsible(Base):
    """A worker responsible for following a person up (帮扶责任人)."""

    __tablename__ = "person_responsibles"

    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
    duty: Mapped[str | None] = mapped_column(String(50))


class VisitOutcome(LabelledEnum):
    """What a follow-up visit found (走访结果).

    Only a visit that reached the person restarts the interval (:data:`layers.visits_due.REACHED`).
    """

    MET = ("met", "见到本人")
    CONTACTED = ("contacted", "电话/视频联系")
    ABSENT = ("absent", "未见到本人（人户分离）")
    MISSING = ("missing", "失联（去向不明）")


class PersonVisit(Base):
    """One follow-up visit (走访) of a person."""

    __tablename__ = "person_visits"
    __table_args__ = (
        Index("ix_person_visits_person_id_visited_on", "person_id", "visited_on"),
        VisitOutcome.check("outcome"),
    )

    id: Mapped[int] = id_column()
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("persons.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    visitor_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("workers.id"), index=True)
    point = mapped_column(geometry("POINT"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    import_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("import_runs.id"))
    """The import that recorded the visit; NULL: recorded otherwise (the worker app, the demo),
    which a later import never corrects (:mod:`layers.visit_import`)."""
    outcome: Mapped[str] = mapped_column(
        String(12), default=VisitOutcome.MET.value, server_default=VisitOutcome.MET.value
    )
    """:class:`VisitOutcome` code (走访结果); a visit before migration 0038 is ``met``."""


class VisitRule(Base):
    """How often a person of a category and management level must be visited."""

    __tablename__ = "visit_rules"
    __table_args__ = (PersonCategory.check("category"),)

    category: Mapped[str] = mapped_column(String(12), primary_key=True)
    management_level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    interval_days: Mapped[int] = mapped_column(SmallInteger)


class ErasedPerson(Base):
    """The trace an erased record leaves, once its person left the register long ago.

    Written by :mod:`layers.person_erasure`. Only what keeps the audit log answerable: the
    record's id (the object id of the entries about it), its category and masked name (what the
    auditor is shown), the keyed hash of the resident ID (a citizen asking who read their record
    is found by it; the ID cannot be recovered from it without the platform key), the unit, the
    day the person left and the day of erasure.
    """

    __tablename__ = "erased_persons"
    __table_args__ = (PersonCategory.check("category"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    category: Mapped[str] = mapped_column(String(12))
    name_masked: Mapped[str] = mapped_column(String(50))
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
    ended_on: Mapped[date] = mapped_column(Date)
    erased_at: Mapped[datetime] = created_column()
