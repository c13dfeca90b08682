"""The demo center's past term: `flask load-demo-past-term` publishes a schedule for twelve weeks
before today with every meeting's register taken (seeded), so the at-risk list and the term's report
have something to show after `make run`; run again, it changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import AttendanceMark, Center, ScheduleVersion, VersionStatus
from scheduler.services import versions
from scheduler.services.demo import past_term_dates
from scheduler.services.monitoring import attendance, followup
from scheduler.services.term import term_state
from tests.conftest import ThrowawayDatabases, make_app


def test_the_demo_ships_a_past_term_with_its_attendance(databases: ThrowawayDatabases, tmp_path: Path) -> None:
    app = make_app(databases.new(), tmp_path / "instance")
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    first = runner.invoke(args=["load-demo-past-term"])
    assert first.exit_code == 0, first.output
    assert re.search(r"Added the past term \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(version 1\)", first.output)
    with app.app_context():
        center = db.session.scalars(select(Center)).one()
        version = db.session.scalars(select(ScheduleVersion)).one()
        start, end = past_term_dates(center, dt.date.today())
        assert version.status == VersionStatus.PUBLISHED and end < dt.date.today() and end < center.term_start
        assert version.scenario["center"]["term_start"] == start.isoformat()
        # Published as publishing holds it: the address and calendar labels as they were (self-contained).
        assert version.presentation == versions.presentation_of(center)
        assert set(version.presentation["labels"]) == {a.code for a in center.activities}
        state = term_state(version)
        expected = {(m.group_id, m.slot_id, m.date, code) for m in state.meetings for code in m.members}
        marks = attendance.marks_for_term(version.id)
        assert {(m.meeting.group, m.meeting.slot, m.meeting.date, m.participant) for m in marks} == expected
        statuses = Counter(m.status.value for m in marks)
        assert set(statuses) == {"present", "excused", "no_show", "late_cancel"}
        assert 0.7 < statuses["present"] / len(marks) < 0.95  # true to life: most come, not all
        assert followup.at_risk(state, followup.settings_for(center), end)  # the list has people on it
        count = db.session.scalar(select(func.count()).select_from(AttendanceMark))
    again = runner.invoke(args=["load-demo-past-term"])
    assert again.exit_code == 0 and "Kept the past term" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AttendanceMark)) == count
