"""A past term's attendance for the demo center, generated from a fixed seed, so that the register,
the at-risk list and the term's report have something true-to-life to show after ``make run``.

Most people come most weeks and sometimes send word; a few drift away (no-shows that start mid-term);
a few leave early now and then. The same seed always gives the same marks."""

from __future__ import annotations

import datetime as dt
import random

from scheduler.extensions import db
from scheduler.models import ScheduleVersion
from scheduler.models.monitoring import AttendanceMark, AttendanceStatus, FollowUp, FollowUpKind
from scheduler.services.term import term_state

SEED = 2026
DRIFTING_SHARE = 0.08      # people who stop coming partway through the term
ABSENT_WITH_NOTICE = 0.55  # of the other absences: notice given in time...
LATE_CANCELLATION = 0.20   # ...too late; the rest are no-shows
LEFT_EARLY = 0.04          # of those present


def generate(version: ScheduleVersion, until: dt.date, seed: int = SEED) -> int:
    """Marks for every meeting of ``version`` up to ``until`` (cancelled ones have none), and a call
    recorded for half the people who drifted away. Returns how many marks were written."""
    rng = random.Random(seed)
    state = term_state(version)
    meetings = [m for m in state.meetings if not m.cancelled and m.date <= until]
    people = sorted({(m.group_id, code) for m in meetings for code in m.members})
    dates = sorted({m.date for m in meetings})
    if not dates:
        return 0
    # Each member's own habits: how often they come, and for drifters the date they stop.
    reliability = {person: rng.uniform(0.72, 0.97) for person in people}
    drifts_from = {person: dates[rng.randrange(len(dates) // 3, len(dates))] for person in people
                   if rng.random() < DRIFTING_SHARE}
    written = 0
    for meeting in meetings:
        recorded_at = dt.datetime.combine(meeting.date, meeting.end, tzinfo=dt.UTC)
        for code in sorted(meeting.members):
            person = (meeting.group_id, code)
            stopped = person in drifts_from and meeting.date >= drifts_from[person]
            if stopped:
                status = AttendanceStatus.NO_SHOW if rng.random() < 0.8 else AttendanceStatus.EXCUSED
            elif rng.random() < reliability[person]:
                status = AttendanceStatus.PRESENT
            else:
                roll = rng.random()
                status = (AttendanceStatus.EXCUSED if roll < ABSENT_WITH_NOTICE else
                          AttendanceStatus.LATE_CANCEL if roll < ABSENT_WITH_NOTICE + LATE_CANCELLATION else
                          AttendanceStatus.NO_SHOW)
            left_early = status == AttendanceStatus.PRESENT and rng.random() < LEFT_EARLY
            db.session.add(AttendanceMark(
                center_id=version.center_id, version_id=version.id, group_code=meeting.group_id,
                slot_code=meeting.slot_id, date=meeting.date, participant_code=code, status=status,
                left_early=left_early, recorded_at=recorded_at))
            written += 1
    for (group, code), since in sorted(drifts_from.items())[::2]:
        db.session.add(FollowUp(center_id=version.center_id, version_id=version.id, group_code=group,
                                participant_code=code, kind=FollowUpKind.CALLED,
                                note="Demo: left a message, no answer yet.",
                                recorded_at=dt.datetime.combine(since + dt.timedelta(days=8), dt.time(10),
                                                                tzinfo=dt.UTC)))
    db.session.flush()
    return written
