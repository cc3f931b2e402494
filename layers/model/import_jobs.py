"""Imports asked for in the console (浏览器导入): one row per file submitted, queued, then run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import Base, LabelledEnum, created_column


class JobState(LabelledEnum):
    """Where a console import is: waiting its turn, running, or ended (and how)."""

    QUEUED = ("queued", "排队中")
    RUNNING = ("running", "正在导入")
    FINISHED = ("finished", "已完成")
    INTERRUPTED = ("interrupted", "已中断")
    CANCELLED = ("cancelled", "已取消")


class ImportJob(Base):
    """A file uploaded in the console and imported by ``zongzhi import`` in a child process.

    The upload and what the command writes beside it live in ``$ZONGZHI_HOME/imports/<id>/``;
    ``upload_kept`` says whether the upload is still there (kept after a dry run only, so
    that the same file can be imported for real: ``follows_job_id`` of that import).
    ``result`` is what the command said it did (``zongzhi import --summary-json``, migration
    0020): stored while it runs and at its end, so that a job stopped after its import
    committed says so (:mod:`layers.import_jobs`).
    """

    __tablename__ = "import_jobs"
    __mapper_args__ = {"eager_defaults": True}  # submitted_at comes back with the INSERT
    __table_args__ = (
        JobState.check("state"),
        Index(
            "ix_import_jobs_queued",
            "submitted_at",
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(Text)
    scope_code: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(CHAR(64))
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(Text, default=JobState.QUEUED.value)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    output: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    upload_kept: Mapped[bool] = mapped_column(Boolean, default=True)
    submitted_at: Mapped[datetime] = created_column()
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    follows_job_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("import_jobs.id", ondelete="SET NULL"), index=True
    )


Index(
    "ix_import_jobs_account_id_submitted_at",
    ImportJob.account_id,
    ImportJob.submitted_at.desc(),
)
"""An account's jobs, newest first: the console's list."""
