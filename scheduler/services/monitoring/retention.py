"""Attendance is health-adjacent: per-person records are kept only as long as the center says.

After ``retention_days`` (counted from the meeting's date, or from when a follow-up was recorded),
marks become anonymous counts per meeting (:class:`AttendanceTally`) and follow-ups are deleted, so
the term's figures stay right and nobody is named. Erasing a person does the same to all of theirs
at once. A person's export lists theirs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from scheduler.extensions import db
from scheduler.models import Center
from scheduler.models.accounts import utcnow
from scheduler.models.monitoring import AttendanceMark, AttendanceTally, FollowUp
from scheduler.services.audit import record
from scheduler.services.monitoring import outcomes
from scheduler.services.monitoring.attendance import local_today
from scheduler.services.monitoring.followup import settings_for


@dataclass(frozen=True)
class Forgotten:
    marks: int      # folded into anonymous counts
    follow_ups: int  # deleted


def _fold(rows: list[AttendanceMark]) -> None:
    """Add each mark to its meeting's anonymous tally, then delete the marks."""
    tallies: dict[tuple[int, str, str, dt.date], AttendanceTally] = {}
    for row in rows:
        key = (row.version_id, row.group_code, row.slot_code, row.date)
        tally = tallies.get(key) or db.session.scalar(select(AttendanceTally).where(
            AttendanceTally.version_id == row.version_id, AttendanceTally.group_code == row.group_code,
            AttendanceTally.slot_code == row.slot_code, AttendanceTally.date == row.date))
        if tally is None:
            tally = AttendanceTally(center_id=row.center_id, version_id=row.version_id, group_code=row.group_code,
                                    slot_code=row.slot_code, date=row.date, present=0, excused=0, no_show=0,
                                    late_cancel=0, left_early=0)
            db.session.add(tally)
        tallies[key] = tally
        setattr(tally, row.status.value, getattr(tally, row.status.value) + 1)
        tally.left_early += int(row.left_early)
        db.session.delete(row)
    db.session.flush()


def forget_old(center: Center, now: dt.datetime | None = None) -> Forgotten:
    """Apply the center's retention period; nothing happens when it keeps records (no period)."""
    days = settings_for(center).retention_days
    if days is None:
        return Forgotten(0, 0)
    now = now or utcnow()
    cutoff_date = local_today(center.timezone, now) - dt.timedelta(days=days)
    marks = list(db.session.scalars(select(AttendanceMark).where(AttendanceMark.center_id == center.id,
                                                                 AttendanceMark.date < cutoff_date)))
    _fold(marks)
    old = delete(FollowUp).where(FollowUp.center_id == center.id,
                                 FollowUp.recorded_at < now - dt.timedelta(days=days))
    follow_ups = db.session.execute(old).rowcount or 0
    # Check-ins and ratings: the same period; they stay in the averages, tied to nobody.
    outcomes.anonymise(center.id, now - dt.timedelta(days=days))
    if marks or follow_ups:
        record(center.id, None, "attendance.anonymised", f"older than {days} days", None,
               {"marks": len(marks), "follow_ups": follow_ups})
    return Forgotten(len(marks), follow_ups)


def forget_person(center_id: int, participant_code: str) -> Forgotten:
    """For erasure: all of one person's marks become counts, and their follow-ups go."""
    marks = list(db.session.scalars(select(AttendanceMark).where(AttendanceMark.center_id == center_id,
                                                                 AttendanceMark.participant_code == participant_code)))
    _fold(marks)
    follow_ups = db.session.execute(delete(FollowUp).where(
        FollowUp.center_id == center_id, FollowUp.participant_code == participant_code)).rowcount or 0
    return Forgotten(len(marks), follow_ups)


def export_person(center_id: int, participant_code: str) -> dict[str, list[dict[str, Any]]]:
    """A person's attendance and follow-ups, for their copy of their data."""
    marks = db.session.scalars(select(AttendanceMark).where(
        AttendanceMark.center_id == center_id, AttendanceMark.participant_code == participant_code)
        .order_by(AttendanceMark.date, AttendanceMark.group_code))
    follow_ups = db.session.scalars(select(FollowUp).where(
        FollowUp.center_id == center_id, FollowUp.participant_code == participant_code).order_by(FollowUp.recorded_at))
    return {
        "attendance": [{"group": m.group_code, "date": m.date.isoformat(), "status": m.status.value,
                        "left_early": m.left_early, "recorded_at": m.recorded_at.isoformat()} for m in marks],
        "follow_ups": [{"group": f.group_code, "kind": f.kind.value, "note": f.note,
                        "recorded_at": f.recorded_at.isoformat()} for f in follow_ups],
    }
