"""A center, its term, and the weekly frame it plans in: slots and rooms."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import db

if TYPE_CHECKING:
    from scheduler.models.accounts import Membership
    from scheduler.models.people import Activity, Facilitator, Participant, ParticipantPair


class Center(db.Model):
    __tablename__ = "centers"
    __table_args__ = (CheckConstraint("term_end >= term_start", name="term_ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    term_start: Mapped[dt.date] = mapped_column(Date)
    term_end: Mapped[dt.date] = mapped_column(Date)
    # When set, a colleague's acceptance of a swap waits for a coordinator's approval.
    swaps_need_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    # After this date participants' answers on their own page are read-only.
    answers_deadline: Mapped[dt.date | None] = mapped_column(Date)
    # Facilitators may edit their own skills and languages (otherwise only the coordinator can).
    facilitators_edit_profile: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Where the center is, for calendar events (LOCATION) and emails.
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # Facilitators' calendars list their own group's members by first name (off: member counts only).
    feeds_name_members: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Every coordinator of this center must sign in with a code from an authenticator app too.
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=false())

    holidays: Mapped[list[Holiday]] = relationship(
        back_populates="center", cascade="all, delete-orphan", order_by="Holiday.date"
    )
    slots: Mapped[list[Slot]] = relationship(
        back_populates="center", cascade="all, delete-orphan", order_by="Slot.position"
    )
    rooms: Mapped[list[Room]] = relationship(
        back_populates="center", cascade="all, delete-orphan", order_by="Room.position"
    )
    activities: Mapped[list[Activity]] = relationship(
        back_populates="center", cascade="all, delete-orphan", order_by="Activity.position"
    )
    facilitators: Mapped[list[Facilitator]] = relationship(
        back_populates="center", cascade="all, delete-orphan", order_by="Facilitator.position"
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="center", cascade="all, delete-orphan", order_by="Participant.position"
    )
    pairs: Mapped[list[ParticipantPair]] = relationship(
        back_populates="center", cascade="all, delete-orphan", order_by="ParticipantPair.position"
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="center", cascade="all, delete-orphan")


class Holiday(db.Model):
    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("center_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)

    center: Mapped[Center] = relationship(back_populates="holidays")


class Slot(db.Model):
    """A weekly time slot; ``code`` is its id in scenario files (e.g. ``MO-0900``)."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("center_id", "code"),
        CheckConstraint("day >= 0 AND day <= 6", name="day_of_week"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute", name="start_before_end"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    day: Mapped[int]
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    position: Mapped[int]

    center: Mapped[Center] = relationship(back_populates="slots")


class Room(db.Model):
    __tablename__ = "rooms"
    __table_args__ = (
        UniqueConstraint("center_id", "code"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int]
    # Features are free tags ("accessible", "piano"); nothing refers to one, so a list is enough.
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int]

    center: Mapped[Center] = relationship(back_populates="rooms")
