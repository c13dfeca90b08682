"""Monitoring during the term: who came to each meeting (the register), the center's thresholds for
calling someone at risk of dropping out, and the follow-ups recorded for them.

Meetings and people are named as everywhere during the term: a group's code, a slot's code and a
date in the published version's snapshot, and the participant's code in it. Attendance is
health-adjacent: after the center's retention period the per-person marks are folded into
:class:`AttendanceTally` rows (counts per meeting, nobody named) and deleted."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import db
from scheduler.models.accounts import utcnow
from scheduler.models.types import str_enum

if TYPE_CHECKING:
    from scheduler.models.accounts import User


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"          # absent, and said so in time
    NO_SHOW = "no_show"          # absent without a word
    LATE_CANCEL = "late_cancel"  # said so, but too late to offer the seat


class AttendanceMark(db.Model):
    """One person's attendance at one meeting, as the facilitator (or a coordinator) recorded it."""

    __tablename__ = "attendance_marks"
    __table_args__ = (
        UniqueConstraint("version_id", "group_code", "slot_code", "date", "participant_code"),
        CheckConstraint("NOT left_early OR status = 'present'", name="left_early_only_if_present"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(String(64))
    slot_code: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    participant_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(str_enum(AttendanceStatus, "attendance_status"))
    left_early: Mapped[bool] = mapped_column(default=False, server_default=false())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    recorded_by: Mapped[User | None] = relationship()


class AttendanceTally(db.Model):
    """A meeting's attendance as counts only: what is left of its marks after the retention period
    (or of an erased person's marks), so the term's figures stay right without naming anyone."""

    __tablename__ = "attendance_tallies"
    __table_args__ = (
        UniqueConstraint("version_id", "group_code", "slot_code", "date"),
        CheckConstraint("present >= 0 AND excused >= 0 AND no_show >= 0 AND late_cancel >= 0 "
                        "AND left_early >= 0 AND left_early <= present", name="counts_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(String(64))
    slot_code: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date)
    present: Mapped[int] = mapped_column(default=0)
    excused: Mapped[int] = mapped_column(default=0)
    no_show: Mapped[int] = mapped_column(default=0)
    late_cancel: Mapped[int] = mapped_column(default=0)
    left_early: Mapped[int] = mapped_column(default=0)


class MonitoringSettings(db.Model):
    """A center's thresholds for the at-risk list and how long per-person attendance is kept.
    No row: the defaults below."""

    __tablename__ = "monitoring_settings"
    __table_args__ = (
        CheckConstraint("no_shows_in_a_row >= 1", name="no_shows_in_a_row_positive"),
        CheckConstraint("window_meetings >= 1", name="window_meetings_positive"),
        CheckConstraint("min_attendance_percent BETWEEN 0 AND 100", name="min_attendance_percent_range"),
        CheckConstraint("retention_days IS NULL OR retention_days >= 1", name="retention_days_positive"),
    )

    DEFAULT_NO_SHOWS_IN_A_ROW = 2
    DEFAULT_WINDOW_MEETINGS = 4
    DEFAULT_MIN_ATTENDANCE_PERCENT = 50
    DEFAULT_RETENTION_DAYS = 730

    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True)
    # At risk after this many no-shows in a row...
    no_shows_in_a_row: Mapped[int] = mapped_column(default=DEFAULT_NO_SHOWS_IN_A_ROW)
    # ...or when present at fewer than this percentage of their last ``window_meetings`` meetings.
    window_meetings: Mapped[int] = mapped_column(default=DEFAULT_WINDOW_MEETINGS)
    min_attendance_percent: Mapped[int] = mapped_column(default=DEFAULT_MIN_ATTENDANCE_PERCENT)
    # Per-person marks and follow-ups older than this become counts; None keeps them.
    retention_days: Mapped[int | None] = mapped_column(default=DEFAULT_RETENTION_DAYS)


class FollowUpKind(enum.StrEnum):
    CALLED = "called"
    MESSAGE_SENT = "message_sent"
    LEFT_GROUP = "left_group"  # frees the seat for the waiting list


class FollowUp(db.Model):
    """What the coordinator did about someone at risk in one group."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(String(64))
    participant_code: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[FollowUpKind] = mapped_column(str_enum(FollowUpKind, "follow_up_kind"))
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    recorded_by: Mapped[User | None] = relationship()
