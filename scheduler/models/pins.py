"""A coordinator's pins: parts of a reviewed version to keep when the schedule is built again.

A pin names things by their codes in the interchange format (group "choir-1", slot "MO-0900",
room "hall", facilitator "fac1", participant "p12"), exactly as the solver's ``Pins`` does, so it
survives edits that keep those codes. When something it names has gone since, the pin is *stale*:
services show it as such and never send it to the solver."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import db
from scheduler.models.accounts import utcnow
from scheduler.models.types import str_enum

if TYPE_CHECKING:
    from scheduler.models.accounts import User
    from scheduler.models.centers import Center
    from scheduler.models.schedules import ScheduleVersion


class PinKind(enum.StrEnum):
    GROUP_SLOTS = "group_slots"  # subject: a group id; values: its slot codes
    GROUP_ROOM = "group_room"  # subject: a group id; values: one room code
    GROUP_FACILITATORS = "group_facs"  # subject: a group id; values: facilitator codes
    PARTICIPANT_GROUPS = "member_groups"  # subject: a participant code; values: group ids


class Pin(db.Model):
    __tablename__ = "pins"
    # One pin of each kind per subject: pinning again replaces the earlier one.
    __table_args__ = (UniqueConstraint("center_id", "kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PinKind] = mapped_column(str_enum(PinKind, "pin_kind"))
    subject: Mapped[str] = mapped_column(String(200))
    values: Mapped[list[str]] = mapped_column(JSON)
    # The version it was pinned from: the next build starts its search from that schedule.
    version_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_versions.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    center: Mapped[Center] = relationship()
    version: Mapped[ScheduleVersion | None] = relationship()
    created_by: Mapped[User | None] = relationship()
