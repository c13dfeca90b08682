"""Rows, grouped by area. Every row belongs to a center, directly or through its owner."""

from scheduler.models.accounts import CenterRole, Membership, ParticipantLink, User
from scheduler.models.centers import Center, Holiday, Room, Slot
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
from scheduler.models.schedules import (
    ACTIVE_JOB_STATUSES,
    JobStatus,
    ScheduleVersion,
    SolveJob,
    VersionStatus,
)

__all__ = [
    "ACTIVE_JOB_STATUSES",
    "Activity",
    "AvailabilityLevel",
    "Center",
    "CenterRole",
    "Facilitator",
    "FacilitatorAvailability",
    "Holiday",
    "JobStatus",
    "Membership",
    "PairKind",
    "Participant",
    "ParticipantAvailability",
    "ParticipantLink",
    "ParticipantPair",
    "Preference",
    "Room",
    "ScheduleVersion",
    "Slot",
    "SolveJob",
    "User",
    "VersionStatus",
]
