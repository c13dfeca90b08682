"""What a center offers (activities) and who takes part: facilitators and participants,
their weekly availability, participants' ranked preferences and keep-apart/together pairs."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import db
from scheduler.models.types import str_enum

if TYPE_CHECKING:
    from scheduler.models.accounts import ParticipantLink, User
    from scheduler.models.centers import Center, Slot


class AvailabilityLevel(enum.StrEnum):
    AVAILABLE = "available"
    IF_NEEDED = "if_needed"  # usable, at a cost in the score


class PairKind(enum.StrEnum):
    APART = "apart"
    TOGETHER = "together"


class Activity(db.Model):
    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("center_id", "code"),
        CheckConstraint("sessions_per_week >= 1 AND sessions_per_week <= 3", name="sessions_per_week_range"),
        CheckConstraint("min_size >= 1 AND min_size <= max_size", name="min_size_le_max_size"),
        CheckConstraint("min_groups >= 0 AND min_groups <= max_groups", name="min_groups_le_max_groups"),
        CheckConstraint("facilitators_per_group >= 1 AND facilitators_per_group <= 2", name="facilitators_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    sessions_per_week: Mapped[int]
    min_size: Mapped[int]
    max_size: Mapped[int]
    min_groups: Mapped[int] = mapped_column(default=0)
    max_groups: Mapped[int]
    facilitators_per_group: Mapped[int]
    required_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    room_features: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int]
    # What participants' calendars call it; a sensitive activity can have a discreet label
    # ("Tuesday group") so a glance at someone's phone reveals nothing. None: the name.
    calendar_label: Mapped[str | None] = mapped_column(String(200))
    # A sentence or two for participants choosing what they want.
    description: Mapped[str] = mapped_column(String(500), default="", server_default="")

    center: Mapped[Center] = relationship(back_populates="activities")


class Facilitator(db.Model):
    __tablename__ = "facilitators"
    __table_args__ = (
        UniqueConstraint("center_id", "code"),
        CheckConstraint("max_sessions_per_week >= 0", name="load_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_sessions_per_week: Mapped[int]
    position: Mapped[int]
    # The account a facilitator signs in with, once invited.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    center: Mapped[Center] = relationship(back_populates="facilitators")
    user: Mapped[User | None] = relationship()
    availability: Mapped[list[FacilitatorAvailability]] = relationship(
        back_populates="facilitator", cascade="all, delete-orphan", order_by="FacilitatorAvailability.position"
    )


class Participant(db.Model):
    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("center_id", "code"),
        CheckConstraint("max_groups >= 0", name="max_groups_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    max_groups: Mapped[int]
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int]

    center: Mapped[Center] = relationship(back_populates="participants")
    availability: Mapped[list[ParticipantAvailability]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", order_by="ParticipantAvailability.position"
    )
    preferences: Mapped[list[Preference]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", order_by="Preference.rank"
    )
    links: Mapped[list[ParticipantLink]] = relationship(back_populates="participant", cascade="all, delete-orphan")
    # The language of their own page, emails and calendar (None: the center's default).
    locale: Mapped[str | None] = mapped_column(String(8))
    # When they (or someone on their behalf) last saved their answers on their own page.
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class FacilitatorAvailability(db.Model):
    """One slot a facilitator can take; ``position`` keeps the order the person gave."""

    __tablename__ = "facilitator_availability"

    facilitator_id: Mapped[int] = mapped_column(ForeignKey("facilitators.id", ondelete="CASCADE"), primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[AvailabilityLevel] = mapped_column(str_enum(AvailabilityLevel, "availability_level"))
    position: Mapped[int]

    facilitator: Mapped[Facilitator] = relationship(back_populates="availability")
    slot: Mapped[Slot] = relationship()


class ParticipantAvailability(db.Model):
    __tablename__ = "participant_availability"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[AvailabilityLevel] = mapped_column(str_enum(AvailabilityLevel, "availability_level"))
    position: Mapped[int]

    participant: Mapped[Participant] = relationship(back_populates="availability")
    slot: Mapped[Slot] = relationship()


class Preference(db.Model):
    """A wanted activity; rank 1 is the most wanted."""

    __tablename__ = "preferences"
    __table_args__ = (
        UniqueConstraint("participant_id", "rank"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int]

    participant: Mapped[Participant] = relationship(back_populates="preferences")
    activity: Mapped[Activity] = relationship()


class ParticipantPair(db.Model):
    """Two participants kept apart (never one group) or together (same group of a shared activity)."""

    __tablename__ = "participant_pairs"
    __table_args__ = (
        UniqueConstraint("kind", "first_id", "second_id"),
        CheckConstraint("first_id <> second_id", name="two_different_people"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PairKind] = mapped_column(str_enum(PairKind, "pair_kind"))
    first_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]

    center: Mapped[Center] = relationship(back_populates="pairs")
    first: Mapped[Participant] = relationship(foreign_keys=[first_id])
    second: Mapped[Participant] = relationship(foreign_keys=[second_id])
