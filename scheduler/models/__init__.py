"""Rows, grouped by area. Every row belongs to a center, directly or through its owner."""

from scheduler.models.accounts import CenterRole, Membership, ParticipantLink, User
from scheduler.models.centers import Center, Holiday, Room, Slot
from scheduler.models.feeds import FeedSeries, FeedToken
from scheduler.models.mail import MailStatus, OutboxMessage
from scheduler.models.people import (
    Activity,
    AvailabilityLevel,
    Facilitator,
    FacilitatorAvailability,
    PairKind,
    Participant,
    ParticipantAvailability,
    ParticipantPair,
    Preference,
)
from scheduler.models.pins import Pin, PinKind
from scheduler.models.schedules import (
    ACTIVE_JOB_STATUSES,
    JobStatus,
    ScheduleVersion,
    SolveJob,
    VersionStatus,
)
from scheduler.models.swaps import (
    AuditEntry,
    MeetingOverride,
    MemberChange,
    MemberChangeKind,
    OfferStatus,
    SeatOffer,
    SwapHalf,
    SwapItem,
    SwapKind,
    SwapRequest,
    SwapStatus,
)

__all__ = [
    "ACTIVE_JOB_STATUSES",
    "Activity",
    "AuditEntry",
    "AvailabilityLevel",
    "Center",
    "CenterRole",
    "Facilitator",
    "FacilitatorAvailability",
    "FeedSeries",
    "FeedToken",
    "Holiday",
    "JobStatus",
    "MailStatus",
    "MeetingOverride",
    "MemberChange",
    "MemberChangeKind",
    "Membership",
    "OfferStatus",
    "OutboxMessage",
    "PairKind",
    "Participant",
    "ParticipantAvailability",
    "ParticipantLink",
    "ParticipantPair",
    "Pin",
    "PinKind",
    "Preference",
    "Room",
    "ScheduleVersion",
    "SeatOffer",
    "Slot",
    "SolveJob",
    "SwapHalf",
    "SwapItem",
    "SwapKind",
    "SwapRequest",
    "SwapStatus",
    "User",
    "VersionStatus",
]
