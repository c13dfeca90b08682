"""Reminders and outcomes: what participants chose to be reminded of, which reminders went out, and
what they answered in the outcome check-ins.

Meetings are named as everywhere during the term: a group's code, a slot's code and a date in the
published version's snapshot. Outcome answers are health-adjacent: only the person themselves and the
center's coordinators (as counts and averages) ever see them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.extensions import db
from scheduler.models.accounts import utcnow
from scheduler.models.types import str_enum


class ReminderChannel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class ReminderChoice(db.Model):
    """A participant's opt-in to reminders the day before each meeting (no row: no reminders)."""

    __tablename__ = "reminder_choices"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    by_email: Mapped[bool] = mapped_column(default=False, server_default=false())
    by_sms: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Only for text-message reminders; never shown to anyone but the person and the coordinators.
    phone: Mapped[str] = mapped_column(String(32), default="", server_default="")
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReminderSent(db.Model):
    """One reminder that went out. The unique key is what makes the job safe to run any number of
    times, even twice at once: a meeting is reminded once per person and channel."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("participant_id", "group_code", "slot_code", "date", "channel",
                                       name="uq_reminders_sent_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(String(64))
    slot_code: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[ReminderChannel] = mapped_column(str_enum(ReminderChannel, "reminder_channel"))
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ActivityOutcomes(db.Model):
    """An activity whose participants are asked the outcome check-in (no row: not asked)."""

    __tablename__ = "activity_outcomes"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Also ask the one-question rating of the meeting with each check-in.
    ask_rating: Mapped[bool] = mapped_column(default=False, server_default=false())


class CheckInPhase(enum.StrEnum):
    BEFORE = "before"  # at the first meeting of the term
    AFTER = "after"    # at the last


def _zero_to_ten(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0 AND {column} <= 10", name=f"{column}_0_to_10")


class OutcomeAnswer(db.Model):
    """The four ONS personal well-being questions (0 to 10), once before and once after, per activity.
    ``anxious`` is asked as in the ONS set: a higher answer is worse."""

    __tablename__ = "outcome_answers"
    __table_args__ = (UniqueConstraint("participant_id", "version_id", "activity_code", "phase",
                                       name="uq_outcome_answers_once"),
                      _zero_to_ten("satisfied"), _zero_to_ten("worthwhile"), _zero_to_ten("happy"),
                      _zero_to_ten("anxious"))

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    # None once anonymous: the person was erased, or the center's retention period has passed. The
    # answer still counts in the before/after averages, tied to nobody.
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"),
                                                       index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True)
    activity_code: Mapped[str] = mapped_column(String(64))
    phase: Mapped[CheckInPhase] = mapped_column(str_enum(CheckInPhase, "check_in_phase"))
    satisfied: Mapped[int]
    worthwhile: Mapped[int]
    happy: Mapped[int]
    anxious: Mapped[int]
    answered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MeetingRating(db.Model):
    """The optional one-question rating of one meeting (0 to 10), given with a check-in."""

    __tablename__ = "meeting_ratings"
    __table_args__ = (UniqueConstraint("participant_id", "group_code", "slot_code", "date",
                                       name="uq_meeting_ratings_once"),
                      _zero_to_ten("rating"))

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    # None once anonymous: the person was erased, or the center's retention period has passed. The
    # answer still counts in the before/after averages, tied to nobody.
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"),
                                                       index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True)
    activity_code: Mapped[str] = mapped_column(String(64))
    group_code: Mapped[str] = mapped_column(String(64))
    slot_code: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date)
    rating: Mapped[int]
    answered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
