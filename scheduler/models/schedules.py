"""Solver runs and their results.

A :class:`SolveJob` is one "Build schedule" request and its live progress; its result is a
:class:`ScheduleVersion`. A version keeps a snapshot of the scenario it was solved from and the
schedule itself, both in the interchange format, so it stays exactly as it was even when the
center's data changes later. A published version is never modified (services enforce it)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import db
from scheduler.models.accounts import utcnow
from scheduler.models.types import str_enum

if TYPE_CHECKING:
    from scheduler.models.accounts import User
    from scheduler.models.centers import Center


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the process running it went away (restart, crash)


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class SolveJob(db.Model):
    __tablename__ = "solve_jobs"
    __table_args__ = (
        # At most one queued or running solve per center, even when two requests race.
        Index("uq_solve_jobs_one_active_per_center", "center_id", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
        CheckConstraint("time_limit_s > 0", name="time_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, "job_status"), default=JobStatus.QUEUED)
    backend: Mapped[str] = mapped_column(String(16))  # "thread" or "rq"
    time_limit_s: Mapped[float] = mapped_column(Float)
    # The scenario as it was when the coordinator pressed the button, and the solve parameters.
    scenario: Mapped[dict[str, Any]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    worker: Mapped[str | None] = mapped_column(String(200))
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # Live progress, written by the worker at each improvement.
    elapsed_s: Mapped[float | None] = mapped_column(Float)
    best_score: Mapped[int | None]
    bound: Mapped[int | None]
    covered: Mapped[int | None]
    message: Mapped[str | None] = mapped_column(Text)  # why it failed, in words
    # The best schedule in hand while it runs (interchange format, groups and score only), written by
    # the heartbeat, so that a build whose worker dies still leaves a version.
    best_schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # None is SQL NULL

    center: Mapped[Center] = relationship()
    created_by: Mapped[User | None] = relationship()
    version: Mapped[ScheduleVersion | None] = relationship(back_populates="job")

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_JOB_STATUSES


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class ScheduleVersion(db.Model):
    __tablename__ = "schedule_versions"
    __table_args__ = (UniqueConstraint("center_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1, 2, 3... per center, as coordinators talk about them
    job_id: Mapped[int | None] = mapped_column(ForeignKey("solve_jobs.id", ondelete="SET NULL"), unique=True)
    status: Mapped[VersionStatus] = mapped_column(str_enum(VersionStatus, "version_status"),
                                                  default=VersionStatus.DRAFT)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    solver_status: Mapped[str] = mapped_column(String(16))
    objective: Mapped[int | None]
    bound: Mapped[int | None]
    scenario: Mapped[dict[str, Any]] = mapped_column(JSON)
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the version's outputs show beyond the scenario (which already holds the center's name, time
    # zone, term and holidays), as it was when published: the address and each activity's calendar
    # label. Feeds, rosters and emails read these, never the live center, so a settings change reaches
    # them only through a new version. None until published.
    presentation: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # None is SQL NULL

    center: Mapped[Center] = relationship()
    job: Mapped[SolveJob | None] = relationship(back_populates="version")
    published_by: Mapped[User | None] = relationship()
