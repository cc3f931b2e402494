"""Users, their ended sessions, the append-only audit log, and the provenance of imported files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import Base, LabelledEnum, area_code_type, created_column, id_column


class Role(LabelledEnum):
    """What a user may do; where is given by the scope code."""

    ADMIN = ("admin", "系统管理员")
    AUDITOR = ("auditor", "安全审计员")
    COMMANDER = ("commander", "指挥中心值班员")
    DISPATCHER = ("dispatcher", "乡镇调度员")
    GRID_WORKER = ("grid_worker", "网格员")
    DEPARTMENT = ("department", "部门处置人员")
    ANALYST = ("analyst", "研判分析员")


class User(Base):
    """An account of the platform."""

    __tablename__ = "users"
    __table_args__ = (Role.check("role"),)

    id: Mapped[int] = id_column()
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    scope_code: Mapped[str] = mapped_column(area_code_type(), ForeignKey("jurisdictions.code"))
    can_unmask: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    worker_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("workers.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    failed_logins: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = created_column()
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    created_at: Mapped[datetime] = created_column()
    previous_password_hashes: Mapped[list[str]] = mapped_column(
        ARRAY(String(200)), default=list, server_default="{}"
    )
    """The hashes of the passwords before the current one, the latest first, as many as the
    password policy remembers (:func:`layers.accounts.set_password`)."""
    sessions_ended_at: Mapped[datetime | None]
    """Every token issued up to then is refused: when the account was last disabled (set by a
    trigger whenever ``active`` turns false, migration 0029), so enabling it again revives no
    token issued before."""
    login_address: Mapped[str | None] = mapped_column(String(64))
    """The client address of the last successful login: a lock does not hold there unless one
    of its failures came from it too (:func:`layers.accounts.authenticate`, migration 0032)."""
    failed_at_login_address: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    """A failure came from ``login_address`` since the last success or the end of the last
    lock: the lock then holds there as well."""


class EndedSession(Base):
    """A token ended before its expiry (logout): refused from then on.

    The row is of no use once the token expired (``expires_at``):
    :func:`layers.accounts.end_session` purges those.
    """

    __tablename__ = "ended_sessions"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    ended_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)


class UnknownLoginName(Base):
    """Failed logins under a name no account has, counted and locked as an account's are.

    The name is kept as a keyed hash (:func:`layers.accounts.authenticate`), never as typed: a
    password typed into the name box is not kept.
    """

    __tablename__ = "unknown_login_names"

    digest: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    failures: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    last_failed_at: Mapped[datetime] = mapped_column(index=True)


class FailedLoginAddress(Base):
    """A login name that failed from a client address lately: the address throttle's counts.

    One row per address and name (a keyed hash of the name, never as typed), with the latest
    failure (:mod:`layers.login_throttle`). Kept in the database, not a server's memory, so a
    restart does not lift a throttle and an administrator can list and lift one.
    """

    __tablename__ = "failed_login_addresses"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_digest: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    failed_at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """One append-only audit record, chained to the previous one by a hash."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object_type_object_id", "object_type", "object_id"),)

    id: Mapped[int] = id_column()
    at: Mapped[datetime] = created_column()
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    prev_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class ImportRun(Base):
    """Provenance of one imported file."""

    __tablename__ = "import_runs"

    id: Mapped[int] = id_column()
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source_crs: Mapped[str | None] = mapped_column(String(30))
    crs_assumed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    started_at: Mapped[datetime] = created_column()
    finished_at: Mapped[datetime | None]
    username: Mapped[str] = mapped_column(String(50))
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_loaded: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default="running")
    area_code: Mapped[str | None] = mapped_column(area_code_type())
    rows_inserted: Mapped[int | None]
    rows_updated: Mapped[int | None]
    rows_unchanged: Mapped[int | None]
    rows_ended: Mapped[int | None]
    refusal: Mapped[str | None] = mapped_column(Text)
