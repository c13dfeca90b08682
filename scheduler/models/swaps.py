"""During the term: per-date changes to a published version's meetings, facilitators' swap and
cover requests that produce them, and the audit log of every such change.

Groups, slots, rooms and facilitators are named by their codes in the published version's
snapshot (``ScheduleVersion.scenario`` / ``.schedule``): a published version never changes, so
its codes stay meaningful even if the live rows are later renamed or deleted."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import db
from scheduler.models.accounts import utcnow
from scheduler.models.types import str_enum

if TYPE_CHECKING:
    from scheduler.models.accounts import User
    from scheduler.models.people import Facilitator
    from scheduler.models.schedules import ScheduleVersion


class MeetingOverride(db.Model):
    """One meeting (group, slot, date) of a published version that differs from the weekly pattern:
    cancelled, led by other facilitators, or moved to another room or time that same day.
    ``sequence`` counts its revisions."""

    __tablename__ = "meeting_overrides"
    __table_args__ = (UniqueConstraint("version_id", "group_code", "slot_code", "date"),
                      CheckConstraint("sequence >= 1", name="sequence_positive"),
                      CheckConstraint("(start_minute IS NULL) = (end_minute IS NULL)", name="moved_time_whole"),
                      CheckConstraint("start_minute IS NULL OR (0 <= start_minute AND start_minute < end_minute "
                                      "AND end_minute <= 1440)", name="moved_time_in_day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(String(64))
    slot_code: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date)
    cancelled: Mapped[bool] = mapped_column(default=False)
    # None keeps the group's own facilitators; otherwise the codes of who leads this date.
    facilitator_codes: Mapped[list[str] | None] = mapped_column(JSON)
    # None keeps the group's room / the slot's time; otherwise where and when (minutes after local
    # midnight, as the scenario counts them) this one date takes place.
    room_code: Mapped[str | None] = mapped_column(String(64))
    start_minute: Mapped[int | None]
    end_minute: Mapped[int | None]
    sequence: Mapped[int] = mapped_column(default=1)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    version: Mapped[ScheduleVersion] = relationship()


class SwapKind(enum.StrEnum):
    COVER = "cover"   # a colleague takes my meetings
    TRADE = "trade"   # a colleague takes mine and I take theirs: both halves or neither


class SwapStatus(enum.StrEnum):
    OPEN = "open"
    PENDING_APPROVAL = "pending_approval"  # accepted, the center's coordinator must approve
    ACCEPTED = "accepted"                    # applied to the meetings
    DECLINED = "declined"
    REJECTED = "rejected"                    # by the coordinator
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class SwapHalf(enum.StrEnum):
    GIVE = "give"  # the requester's meetings, led by the colleague who accepts
    TAKE = "take"  # a trade's other half: the colleague's meetings, led by the requester


class SwapRequest(db.Model):
    __tablename__ = "swap_requests"
    __table_args__ = (
        CheckConstraint("kind <> 'trade' OR target_id IS NOT NULL", name="trade_names_a_colleague"),
        CheckConstraint("target_id IS NULL OR target_id <> requester_id", name="not_to_oneself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SwapKind] = mapped_column(str_enum(SwapKind, "swap_kind"))
    status: Mapped[SwapStatus] = mapped_column(str_enum(SwapStatus, "swap_status"), default=SwapStatus.OPEN)
    requester_id: Mapped[int] = mapped_column(ForeignKey("facilitators.id", ondelete="CASCADE"), index=True)
    # None: open to every eligible colleague.
    target_id: Mapped[int | None] = mapped_column(ForeignKey("facilitators.id", ondelete="CASCADE"), index=True)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("facilitators.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # When its first meeting starts; an open request expires then.
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    version: Mapped[ScheduleVersion] = relationship()
    requester: Mapped[Facilitator] = relationship(foreign_keys=[requester_id])
    target: Mapped[Facilitator | None] = relationship(foreign_keys=[target_id])
    accepted_by: Mapped[Facilitator | None] = relationship(foreign_keys=[accepted_by_id])
    items: Mapped[list[SwapItem]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                 order_by="(SwapItem.date, SwapItem.slot_code)")


class SwapItem(db.Model):
    """One meeting a request moves from one facilitator to another."""

    __tablename__ = "swap_items"
    __table_args__ = (UniqueConstraint("request_id", "group_code", "slot_code", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("swap_requests.id", ondelete="CASCADE"), index=True)
    half: Mapped[SwapHalf] = mapped_column(str_enum(SwapHalf, "swap_half"))
    group_code: Mapped[str] = mapped_column(String(64))
    slot_code: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date)

    request: Mapped[SwapRequest] = relationship(back_populates="items")


class AuditEntry(db.Model):
    """Who changed what, when, with the state before and after."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship()


class MemberChangeKind(enum.StrEnum):
    LEFT = "left"
    JOINED = "joined"


class MemberChange(db.Model):
    """A participant leaves or joins a published group from a date on (the group's earlier dates
    keep their old roster, so history and calendars stay true)."""

    __tablename__ = "member_changes"
    __table_args__ = (UniqueConstraint("version_id", "group_code", "participant_code", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(String(64))
    participant_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[MemberChangeKind] = mapped_column(str_enum(MemberChangeKind, "member_change_kind"))
    effective: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OfferStatus(enum.StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class SeatOffer(db.Model):
    """A free seat in a group offered to someone on the activity's waiting list."""

    __tablename__ = "seat_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(String(64))
    participant_code: Mapped[str] = mapped_column(String(64))
    effective: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus, "offer_status"), default=OfferStatus.OFFERED)
    offered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
