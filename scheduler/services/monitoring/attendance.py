"""The register, read side: attendance marks per meeting, group, person or term, and per-meeting
counts that include what retention has already folded into anonymous tallies.

Other modules (the at-risk list, the term's report) read attendance only through these functions,
so they agree on what a meeting's figures are."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.i18n import date_text
from scheduler.models import ScheduleVersion, User
from scheduler.models.accounts import utcnow
from scheduler.models.monitoring import AttendanceMark, AttendanceStatus, AttendanceTally
from scheduler.services.audit import record
from scheduler.services.meetings import Meeting
from scheduler.services.term import MeetingKey, TermState
from scheduler.services.versions import version_data
from solver.scenario import Activity


@dataclass(frozen=True, slots=True)
class Mark:
    """One person's attendance at one meeting."""

    meeting: MeetingKey
    participant: str  # the participant's code in the version's snapshot
    status: AttendanceStatus
    left_early: bool
    recorded_by_id: int | None
    recorded_at: dt.datetime


@dataclass(frozen=True, slots=True)
class MeetingCounts:
    """How many people had each status at one meeting (marks and anonymous tallies together)."""

    present: int = 0
    excused: int = 0
    no_show: int = 0
    late_cancel: int = 0
    left_early: int = 0

    @property
    def recorded(self) -> int:
        return self.present + self.excused + self.no_show + self.late_cancel

    def plus(self, other: MeetingCounts) -> MeetingCounts:
        return MeetingCounts(self.present + other.present, self.excused + other.excused,
                             self.no_show + other.no_show, self.late_cancel + other.late_cancel,
                             self.left_early + other.left_early)


def _mark(row: AttendanceMark) -> Mark:
    return Mark(MeetingKey(row.date, row.slot_code, row.group_code), row.participant_code, row.status,
                row.left_early, row.recorded_by_id, row.recorded_at)


def _marks(*conditions: object) -> list[Mark]:
    rows = db.session.scalars(select(AttendanceMark).where(*conditions)  # type: ignore[arg-type]
                              .order_by(AttendanceMark.date, AttendanceMark.slot_code, AttendanceMark.group_code,
                                        AttendanceMark.participant_code))
    return [_mark(row) for row in rows]


def marks_for_meeting(version_id: int, meeting: MeetingKey) -> dict[str, Mark]:
    """The marks of one meeting, by participant code."""
    return {m.participant: m for m in _marks(
        AttendanceMark.version_id == version_id, AttendanceMark.group_code == meeting.group,
        AttendanceMark.slot_code == meeting.slot, AttendanceMark.date == meeting.date)}


def marks_for_group(version_id: int, group_code: str) -> list[Mark]:
    """A group's marks over the term, in meeting order."""
    return _marks(AttendanceMark.version_id == version_id, AttendanceMark.group_code == group_code)


def marks_for_person(version_id: int, participant_code: str) -> list[Mark]:
    """One person's marks in every group of a version, in meeting order."""
    return _marks(AttendanceMark.version_id == version_id, AttendanceMark.participant_code == participant_code)


def marks_for_term(version_id: int) -> list[Mark]:
    """Every mark of a version (a term), in meeting order."""
    return _marks(AttendanceMark.version_id == version_id)


def counts_for_term(version_id: int) -> dict[MeetingKey, MeetingCounts]:
    """Per meeting with any attendance recorded: the counts of its marks plus its anonymous tally."""
    counts: dict[MeetingKey, MeetingCounts] = defaultdict(MeetingCounts)
    for mark in marks_for_term(version_id):
        one = MeetingCounts(**{mark.status.value: 1}, left_early=int(mark.left_early))
        counts[mark.meeting] = counts[mark.meeting].plus(one)
    for tally in db.session.scalars(select(AttendanceTally).where(AttendanceTally.version_id == version_id)):
        key = MeetingKey(tally.date, tally.slot_code, tally.group_code)
        counts[key] = counts[key].plus(MeetingCounts(tally.present, tally.excused, tally.no_show,
                                                     tally.late_cancel, tally.left_early))
    return dict(counts)


# --------------------------------------------------------------------------- taking the register


class RegisterError(ValueError):
    """The register cannot be taken or saved as asked; the message says why, naming the person or field."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a register as sent: a member's status at the meeting."""

    participant: str
    status: AttendanceStatus
    left_early: bool = False


def local_today(center_timezone: str, now: dt.datetime | None = None) -> dt.date:
    """The date at the center, which is what "the day of the meeting" means to the people there."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(center_timezone)).date()


def register_meeting(state: TermState, key: MeetingKey, today: dt.date) -> Meeting:
    """The meeting whose register may be taken now: it exists, is not cancelled and has begun its day."""
    meeting = state.by_key.get(key)
    if meeting is None:
        raise RegisterError(_("That meeting does not exist."))
    if meeting.cancelled:
        raise RegisterError(_("This meeting was cancelled: there is no register to take."))
    if meeting.date > today:
        raise RegisterError(_("The register opens on the day of the meeting (%(date)s).",
                              date=date_text(meeting.date)))
    return meeting


def meetings_led(state: TermState, facilitator_code: str, today: dt.date) -> list[Meeting]:
    """The meetings a facilitator leads or covers whose register is open (from their day on), latest first."""
    return sorted((m for m in state.led_by(facilitator_code) if m.date <= today),
                  key=lambda m: (m.date, m.start), reverse=True)


def save_register(state: TermState, meeting: Meeting, entries: list[Entry], actor: User | None,
                  *, correction: bool = False) -> int:
    """Store one meeting's register, a mark for each member, in the request's transaction; returns
    how many marks are new or changed. Every member must have a line and nobody else may."""
    members = set(meeting.members)
    sent = [e.participant for e in entries]
    strangers = sorted(set(sent) - members)
    if strangers:
        raise RegisterError(_("%(code)s is not a member of this group on this date.", code=strangers[0]))
    if len(set(sent)) != len(sent):
        raise RegisterError(_("A member appears twice in the register."))
    missing = sorted(members - set(sent))
    if missing:
        raise RegisterError(_("Choose present or absent for %(name)s.", name=_member_name(state, missing[0])))
    for entry in entries:
        if entry.left_early and entry.status != AttendanceStatus.PRESENT:
            raise RegisterError(_("%(name)s: only someone present can leave early.",
                                  name=_member_name(state, entry.participant)))
    version = state.version
    existing = {row.participant_code: row for row in db.session.scalars(select(AttendanceMark).where(
        AttendanceMark.version_id == version.id, AttendanceMark.group_code == meeting.group_id,
        AttendanceMark.slot_code == meeting.slot_id, AttendanceMark.date == meeting.date))}
    changed: list[str] = []
    for entry in entries:
        row = existing.get(entry.participant)
        if row is None:
            db.session.add(AttendanceMark(
                center_id=version.center_id, version_id=version.id, group_code=meeting.group_id,
                slot_code=meeting.slot_id, date=meeting.date, participant_code=entry.participant,
                status=entry.status, left_early=entry.left_early, recorded_by=actor, recorded_at=utcnow()))
            changed.append(entry.participant)
        elif (row.status, row.left_early) != (entry.status, entry.left_early):
            row.status, row.left_early, row.recorded_by, row.recorded_at = (
                entry.status, entry.left_early, actor, utcnow())
            changed.append(entry.participant)
    if changed:
        # Counts and codes only: the log must not become a second store of who was absent.
        counts = Counter(e.status.value for e in entries)
        record(version.center_id, actor, "attendance.corrected" if correction else "attendance.recorded",
               f"register {meeting.group_id} {meeting.slot_id} {meeting.date.isoformat()}", None,
               {"counts": dict(sorted(counts.items())), "changed": sorted(changed)})
    db.session.flush()
    return len(changed)


def _member_name(state: TermState, code: str) -> str:
    return state.data.participant_name(code)


def participant_names(version: ScheduleVersion) -> dict[str, str]:
    """Participants' names by code, as the version's snapshot has them."""
    return {p.id: p.name for p in version_data(version).scenario.participants}


def activity_of(version: ScheduleVersion, activity_code: str) -> Activity:
    """An activity as the version's snapshot has it."""
    return version_data(version).scenario.activity(activity_code)
