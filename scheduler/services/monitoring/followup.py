"""Follow-up: who is at risk of dropping out, by the center's thresholds, and what the coordinator did.

A member is at risk in a group when their latest marks there are ``no_shows_in_a_row`` no-shows, or
when they were present at fewer than ``min_attendance_percent`` of their last ``window_meetings``
registered meetings (only once they have had that many, so one bad first week is not a drop-out).
A group is flagged when, over its last ``window_meetings`` registers, fewer people came on average
than its activity's minimum size. "Left the group" frees the seat through the waiting list."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, User
from scheduler.models.monitoring import AttendanceStatus, FollowUp, FollowUpKind, MonitoringSettings
from scheduler.services import waitlist
from scheduler.services.audit import record
from scheduler.services.monitoring.attendance import Mark, counts_for_term, marks_for_term
from scheduler.services.term import TermState


class FollowUpError(ValueError):
    """A follow-up or a setting cannot be saved as sent; the message names the field."""


def settings_for(center: Center) -> MonitoringSettings:
    """The center's settings, or the defaults (not stored until the coordinator saves them)."""
    found = db.session.get(MonitoringSettings, center.id)
    return found or MonitoringSettings(
        center_id=center.id, no_shows_in_a_row=MonitoringSettings.DEFAULT_NO_SHOWS_IN_A_ROW,
        window_meetings=MonitoringSettings.DEFAULT_WINDOW_MEETINGS,
        min_attendance_percent=MonitoringSettings.DEFAULT_MIN_ATTENDANCE_PERCENT,
        retention_days=MonitoringSettings.DEFAULT_RETENTION_DAYS)


def save_settings(center: Center, *, no_shows_in_a_row: int, window_meetings: int, min_attendance_percent: int,
                  retention_days: int | None, actor: User | None) -> MonitoringSettings:
    checks = [(1 <= no_shows_in_a_row <= 20, _("No-shows in a row: a whole number from 1 to 20.")),
              (1 <= window_meetings <= 20, _("Meetings looked at: a whole number from 1 to 20.")),
              (0 <= min_attendance_percent <= 100, _("Minimum attendance: a percentage from 0 to 100.")),
              (retention_days is None or 1 <= retention_days <= 36_500,
               _("Keep per-person attendance for: a number of days from 1 to 36500, or empty to keep it."))]
    for ok, message in checks:
        if not ok:
            raise FollowUpError(message)
    row = db.session.get(MonitoringSettings, center.id)
    if row is None:
        row = MonitoringSettings(center_id=center.id)
        db.session.add(row)
    before = {"no_shows_in_a_row": row.no_shows_in_a_row, "window_meetings": row.window_meetings,
              "min_attendance_percent": row.min_attendance_percent, "retention_days": row.retention_days}
    row.no_shows_in_a_row, row.window_meetings = no_shows_in_a_row, window_meetings
    row.min_attendance_percent, row.retention_days = min_attendance_percent, retention_days
    after = {"no_shows_in_a_row": no_shows_in_a_row, "window_meetings": window_meetings,
             "min_attendance_percent": min_attendance_percent, "retention_days": retention_days}
    record(center.id, actor, "monitoring.settings", "monitoring settings", before, after)
    db.session.flush()
    return row


@dataclass(frozen=True)
class AtRisk:
    group: str
    participant: str
    no_shows_in_a_row: int
    present: int          # of the last ``looked_at`` registered meetings
    looked_at: int
    reasons: tuple[str, ...]
    last_follow_up: FollowUp | None


@dataclass(frozen=True)
class LowGroup:
    group: str
    average_present: float
    min_size: int
    meetings: int


def _trailing_no_shows(marks: list[Mark]) -> int:
    count = 0
    for mark in reversed(marks):
        if mark.status != AttendanceStatus.NO_SHOW:
            break
        count += 1
    return count


def latest_follow_ups(version_id: int) -> dict[tuple[str, str], FollowUp]:
    """The latest follow-up per (group, participant) of a version."""
    latest: dict[tuple[str, str], FollowUp] = {}
    for row in db.session.scalars(select(FollowUp).where(FollowUp.version_id == version_id)
                                  .order_by(FollowUp.recorded_at, FollowUp.id)):
        latest[(row.group_code, row.participant_code)] = row
    return latest


def at_risk(state: TermState, settings: MonitoringSettings, today: dt.date) -> list[AtRisk]:
    """Current members at risk, those nobody has followed up on since their latest mark first."""
    by_person: dict[tuple[str, str], list[Mark]] = defaultdict(list)
    for mark in marks_for_term(state.version.id):
        by_person[(mark.meeting.group, mark.participant)].append(mark)
    follow_ups = latest_follow_ups(state.version.id)
    found = []
    for (group, code), marks in by_person.items():
        roster = state.rosters.get(group)
        if roster is None or code not in roster.on(today):
            continue
        window = marks[-settings.window_meetings:]
        present = sum(1 for m in window if m.status == AttendanceStatus.PRESENT)
        no_shows = _trailing_no_shows(marks)
        reasons = []
        if no_shows >= settings.no_shows_in_a_row:
            reasons.append(_("%(num)d no-shows in a row", num=no_shows))
        if len(window) >= settings.window_meetings and present * 100 < settings.min_attendance_percent * len(window):
            reasons.append(_("present at %(present)d of the last %(num)d meetings", present=present, num=len(window)))
        if reasons:
            found.append(AtRisk(group, code, no_shows, present, len(window), tuple(reasons),
                                follow_ups.get((group, code))))

    def followed_up(item: AtRisk) -> bool:
        last = by_person[(item.group, item.participant)][-1].recorded_at
        return item.last_follow_up is not None and _aware(item.last_follow_up.recorded_at) >= _aware(last)

    return sorted(found, key=lambda item: (followed_up(item), item.group, item.participant))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def low_attendance_groups(state: TermState, settings: MonitoringSettings) -> list[LowGroup]:
    """Groups where, over their last registers, fewer came on average than the activity's minimum."""
    per_group: dict[str, list[tuple[dt.date, str, int]]] = defaultdict(list)
    for key, counts in counts_for_term(state.version.id).items():
        per_group[key.group].append((key.date, key.slot, counts.present))
    flagged = []
    for group in state.data.schedule.groups:
        recent = sorted(per_group.get(group.id, []))[-settings.window_meetings:]
        if not recent:
            continue
        average = sum(present for _date, _slot, present in recent) / len(recent)
        min_size = state.activity(group.activity).min_size
        if average < min_size:
            flagged.append(LowGroup(group.id, average, min_size, len(recent)))
    return flagged


def record_follow_up(state: TermState, group_code: str, participant_code: str, kind: FollowUpKind, note: str,
                     actor: User | None, today: dt.date) -> FollowUp:
    """Record what was done; "left the group" also takes them out of it from today on, which frees the
    seat for the waiting list (the coordinator offers it from the waiting lists page)."""
    version = state.version
    roster = state.rosters.get(group_code)
    if roster is None:
        raise FollowUpError(_("There is no group %(group)s.", group=group_code))
    if participant_code not in roster.on(today):
        raise FollowUpError(_("%(code)s is not in %(group)s on %(date)s.", code=participant_code, group=group_code,
                              date=today.isoformat()))
    if len(note) > 500:
        raise FollowUpError(_("Note: at most 500 characters."))
    if kind == FollowUpKind.LEFT_GROUP:
        try:
            waitlist.leave(version, group_code, participant_code, today, actor)
        except waitlist.WaitlistError as error:
            raise FollowUpError(str(error)) from error
    row = FollowUp(center_id=version.center_id, version_id=version.id, group_code=group_code,
                   participant_code=participant_code, kind=kind, note=note.strip(), recorded_by=actor)
    db.session.add(row)
    record(version.center_id, actor, "follow_up.recorded", f"{participant_code} {group_code}", None,
           {"kind": kind.value})
    db.session.flush()
    return row
