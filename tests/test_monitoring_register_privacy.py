"""Attendance and follow-ups are health-adjacent: in a person's export, gone at erasure (as anonymous
counts, so the figures stay), and made anonymous after the center's retention period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import (
    AttendanceMark,
    AttendanceTally,
    AuditEntry,
    Center,
    FollowUp,
    FollowUpKind,
    Participant,
    ScheduleVersion,
)
from scheduler.services import privacy
from scheduler.services.monitoring import attendance, followup, retention
from scheduler.services.term import term_state
from tests.support.monitoring import MONDAYS, N, P, long_term, take


def with_history(version: ScheduleVersion) -> None:
    take(version, MONDAYS[0], p1=P, p2=N, p3=P)
    take(version, MONDAYS[1], p1=P, p2=N, p3=P)
    followup.record_follow_up(term_state(version), "art-1", "p2", FollowUpKind.CALLED, "Said she is unwell", None,
                              MONDAYS[1])
    db.session.commit()


def participant(center_id: int, code: str) -> Participant:
    found = db.session.scalar(select(Participant).where(Participant.center_id == center_id, Participant.code == code))
    assert found is not None
    return found


def test_a_persons_export_has_their_attendance_and_follow_ups_and_nobody_elses(app_ctx: Flask) -> None:
    version = long_term()
    with_history(version)
    center = db.session.get(Center, version.center_id)
    assert center is not None
    exported = privacy.export_participant(center, participant(center.id, "p2"))
    assert [(m["date"], m["status"]) for m in exported["attendance"]] == [("2027-01-11", "no_show"),
                                                                          ("2027-01-25", "no_show")]
    assert [(f["kind"], f["note"]) for f in exported["follow_ups"]] == [("called", "Said she is unwell")]
    assert privacy.export_participant(center, participant(center.id, "p3"))["follow_ups"] == []


def test_erasure_turns_their_marks_into_counts_and_deletes_their_follow_ups(app_ctx: Flask) -> None:
    version = long_term()
    with_history(version)
    center = db.session.get(Center, version.center_id)
    assert center is not None
    before = attendance.counts_for_term(version.id)
    privacy.erase_participant(center, participant(center.id, "p2"), None)
    db.session.commit()
    assert attendance.counts_for_term(version.id) == before  # the term's figures do not move
    assert sorted(db.session.scalars(select(AttendanceMark.participant_code).distinct())) == ["p1", "p3"]
    assert db.session.scalar(select(FollowUp)) is None
    tallies = db.session.scalars(select(AttendanceTally)).all()
    assert sorted((t.date, t.no_show) for t in tallies) == [(MONDAYS[0], 1), (MONDAYS[1], 1)]
    for entry in db.session.scalars(select(AuditEntry)):  # the register's log names codes; p2's is gone
        assert "p2" not in str(entry.after) and "p2" not in entry.subject.split()


@pytest.mark.parametrize("days", [None, 30])
def test_retention_makes_old_marks_anonymous_counts_and_keeps_recent_ones(app_ctx: Flask, days: int | None) -> None:
    version = long_term()
    with_history(version)
    take(version, MONDAYS[3], p1=P, p2=P, p3=N)
    center = db.session.get(Center, version.center_id)
    assert center is not None
    followup.save_settings(center, no_shows_in_a_row=2, window_meetings=4, min_attendance_percent=50,
                           retention_days=days, actor=None)
    db.session.commit()
    before = attendance.counts_for_term(version.id)
    # 30 days after Feb 8: the Jan 11 and Jan 25 registers are older than 30 days, Feb 8's is not.
    now = dt.datetime(2027, 3, 10, 12, tzinfo=dt.UTC)
    done = retention.forget_old(center, now)
    db.session.commit()
    assert attendance.counts_for_term(version.id) == before
    left = sorted({m.date for m in db.session.scalars(select(AttendanceMark))})
    if days is None:
        assert (done.marks, done.follow_ups, left) == (0, 0, [MONDAYS[0], MONDAYS[1], MONDAYS[3]])
    else:
        assert (done.marks, done.follow_ups, left) == (6, 1, [MONDAYS[3]])
        assert db.session.scalar(select(FollowUp)) is None
        assert retention.forget_old(center, now) == retention.Forgotten(0, 0)  # again: nothing more to do


def test_the_retention_command_runs_over_every_center(app: Flask, make_center: Callable[..., int],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "utcnow", lambda: dt.datetime(2027, 1, 13, tzinfo=dt.UTC))
    make_center("North")  # keeps everything: no retention period of its own but the default, and no marks
    with app.app_context():
        version = long_term()
        take(version, MONDAYS[0], p1=P, p2=N, p3=P)
        center = db.session.get(Center, version.center_id)
        assert center is not None
        followup.save_settings(center, no_shows_in_a_row=2, window_meetings=4, min_attendance_percent=50,
                               retention_days=1, actor=None)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["forget-old-attendance"])
    assert result.exit_code == 0, result.output
    assert "Swaps: 3 attendance marks made anonymous" in result.output
    with app.app_context():
        assert db.session.scalar(select(AttendanceMark)) is None
        assert db.session.scalar(select(AttendanceTally.present)) == 2
    assert "North: 0 attendance marks made anonymous" in result.output
