"""The term's report: on a small fixture term with generated attendance, every figure equals what
is counted here by hand; the CSV cannot run formulas; the page reads without colour; the network
adds its centers up."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import (
    Center,
    CheckInPhase,
    MeetingOverride,
    MemberChange,
    MemberChangeKind,
    OutcomeAnswer,
    ScheduleVersion,
)
from scheduler.models.monitoring import AttendanceMark, AttendanceStatus
from scheduler.services.monitoring import report as svc
from tests.conftest import sign_in
from tests.support.monitoring import make_monitoring_term, participant

P, E, N, L = (AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.NO_SHOW,
              AttendanceStatus.LATE_CANCEL)
# (group, slot, day of January 2027) -> each member's mark. art-1 (p1 p2 p3) meets on Mondays 11 and
# 25 (18 is a holiday); talk-1 (p1 p4) on Tuesdays 12, 19 and 26; the 26th has no register yet.
MARKS = {("art-1", "MO-0900", 11): {"p1": P, "p2": N, "p3": P},
         ("art-1", "MO-0900", 25): {"p1": P, "p2": E, "p3": N},
         ("talk-1", "TU-0900", 12): {"p1": P, "p4": P},
         ("talk-1", "TU-0900", 19): {"p1": L, "p4": P}}


def make_report_term(name: str = "Swaps") -> ScheduleVersion:
    """The reminders' fixture term, lived through: marks, a cover, a leaver, a joiner, check-ins."""
    version = make_monitoring_term(name)
    for (group, slot, day), marks in MARKS.items():
        for code, status in marks.items():
            db.session.add(AttendanceMark(center_id=version.center_id, version_id=version.id, group_code=group,
                                          slot_code=slot, date=dt.date(2027, 1, day), participant_code=code,
                                          status=status, left_early=False))
    # Cruz covers Ben's talk-1 on the 19th; art-2 (Ben, nobody in it) is cancelled on the 11th.
    db.session.add_all([
        MeetingOverride(center_id=version.center_id, version_id=version.id, group_code="talk-1",
                        slot_code="TU-0900", date=dt.date(2027, 1, 19), facilitator_codes=["cruz"]),
        MeetingOverride(center_id=version.center_id, version_id=version.id, group_code="art-2",
                        slot_code="MO-1100", date=dt.date(2027, 1, 11), cancelled=True),
        # p4 leaves talk-1 from the 20th, and joins art-2 from the waiting list on the 25th.
        MemberChange(center_id=version.center_id, version_id=version.id, group_code="talk-1",
                     participant_code="p4", kind=MemberChangeKind.LEFT, effective=dt.date(2027, 1, 20)),
        MemberChange(center_id=version.center_id, version_id=version.id, group_code="art-2",
                     participant_code="p4", kind=MemberChangeKind.JOINED, effective=dt.date(2027, 1, 25)),
    ])
    for code, before, after in (("p1", 3, 6), ("p2", 5, 5), ("p3", 4, 7)):
        for phase, value in ((CheckInPhase.BEFORE, before), (CheckInPhase.AFTER, after)):
            person = participant(code, version.center_id)
            db.session.add(OutcomeAnswer(center_id=version.center_id, participant_id=person.id,
                                         version_id=version.id, activity_code="art", phase=phase,
                                         satisfied=value, worthwhile=value, happy=value, anxious=10 - value))
    db.session.commit()
    return version


def test_the_report_matches_figures_counted_by_hand(app_ctx: Flask) -> None:
    version = make_report_term()
    report = svc.center_report(version.center)
    assert report is not None
    art, talk = report.activities
    # Everyone wants art first, then talk.
    assert (art.figures.asked, talk.figures.asked) == (4, 4)
    # art: p1 p2 p3 from the start, p4 joined art-2; talk: p1 p4.
    assert (art.figures.placed, talk.figures.placed) == (4, 2)
    assert art.figures.first_choice_rate == 4 / 4 and talk.figures.first_choice_rate == 0 / 2
    # Two art groups of at most 8 with 3 members published; one talk group of 8 with 2.
    assert (art.figures.filled, art.figures.seats, talk.figures.filled, talk.figures.seats) == (3, 16, 2, 8)
    # Registers: art 3 present of 6 (2 no-shows); talk 3 present of 4 (no no-show).
    assert (art.figures.present, art.figures.recorded, art.figures.no_show) == (3, 6, 2)
    assert (talk.figures.present, talk.figures.recorded, talk.figures.no_show) == (3, 4, 0)
    assert art.figures.attendance_rate == 0.5 and talk.figures.no_show_rate == 0
    # art-1 keeps its 3; art-2 starts empty (its first held meeting is the 25th, with p4: 1 of 1);
    # talk-1 starts with 2 and ends with p1.
    assert (art.figures.started, art.figures.stayed) == (4, 4)
    assert (talk.figures.started, talk.figures.stayed) == (2, 1)
    # p4 waited from the term's start (11th) to the 25th; p2 and p3 never got talk.
    assert art.figures.waited_days == [14] and art.figures.still_waiting == 0
    assert talk.figures.still_waiting == 2
    # Meetings: art-1 2 + art-2 1 held (one cancelled); talk 3, one of them covered.
    assert (art.figures.meetings, art.figures.cancelled, art.figures.covered) == (3, 1, 0)
    assert (talk.figures.meetings, talk.figures.cancelled, talk.figures.covered) == (3, 0, 1)
    # The center: 4 people asked, 4 placed, all in their first choice; registers added up.
    center = report.figures
    assert (center.asked, center.placed, center.first_choice, center.still_waiting) == (4, 4, 4, 0)
    assert (center.present, center.recorded) == (6, 10) and center.no_show_rate == 0.2
    assert center.retention_rate == 5 / 6
    assert center.fill_rate == 5 / 24
    # Facilitators: Ana led art-1 twice; Ben art-2 once and talk-1 twice, handing the 19th to Cruz.
    loads = {f.code: (f.led, f.covers, f.handed_over) for f in report.facilitators}
    assert loads == {"ana": (2, 0, 0), "ben": (3, 0, 1), "cruz": (1, 1, 0)}
    # Outcomes: before 3, 5, 4 -> 4.0; after 6, 5, 7 -> 6.0; three answers each.
    assert art.outcome is not None and (art.outcome.before.n, art.outcome.after.n) == (3, 3)
    assert art.outcome.before.means["happy"] == 4.0 and art.outcome.after.means["anxious"] == 4.0
    assert talk.outcome is None


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tTAB"])
def test_csv_cells_cannot_run_as_formulas(name: str) -> None:
    assert svc.csv_cell(name).startswith("'")
    assert svc.csv_cell("Art group") == "Art group" and svc.csv_cell(12) == "12"


def _coordinator(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> int:
    with app.app_context():
        version = make_report_term()
        # A name someone typed that a spreadsheet would run.
        version.scenario = {**version.scenario, "activities": [
            {**a, "name": "=cmd|' /C calc'!A0"} if a["id"] == "talk" else a for a in version.scenario["activities"]]}
        db.session.commit()
        center_id, name = version.center_id, version.center.name
    make_coordinator("coord@example.org", name)
    sign_in(client, "coord@example.org")
    return center_id


def test_the_csv_matches_and_is_safe(app: Flask, client: FlaskClient,
                                     make_coordinator: Callable[..., None]) -> None:
    center_id = _coordinator(app, client, make_coordinator)
    response = client.get(f"/centers/{center_id}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_scope = {(r["scope"], r["activity"]): r for r in rows}
    assert by_scope[("activity", "Art group")]["attendance_percent"] == "50.0"
    assert by_scope[("center", "")]["no_show_percent"] == "20.0"
    assert by_scope[("activity", "Art group")]["happy_after"] == "6.00"
    risky = [r for r in rows if r["activity"].lstrip("'").startswith("=")]
    assert len(risky) == 1 and risky[0]["activity"].startswith("'=")
    assert all(not cell.startswith(tuple("=+-@")) for r in rows for cell in r.values())


def test_the_page_has_charts_with_text_and_a_print_layout(app: Flask, client: FlaskClient,
                                                          make_coordinator: Callable[..., None]) -> None:
    center_id = _coordinator(app, client, make_coordinator)
    page = client.get(f"/centers/{center_id}/report/").get_data(as_text=True)
    assert '<svg role="img"' in page and "<desc" in page
    assert "Art group: 50%" in page  # the chart's text alternative
    assert "(n = 3)" in page and "Cruz" in page  # outcomes, facilitators
    assert "monitoring_report.css" in page and "Pat One" not in page
    stylesheet = client.get("/static/monitoring_report.css")
    css = stylesheet.get_data(as_text=True)
    stylesheet.close()  # a file response holds its file open until closed
    assert "@media print" in css


def test_the_network_adds_its_centers_up(app: Flask, client: FlaskClient,
                                         make_coordinator: Callable[..., None]) -> None:
    center_id = _coordinator(app, client, make_coordinator)
    with app.app_context():
        one = db.session.get(Center, center_id)
        assert one is not None
        other = make_report_term("Second")  # a second center, its own copy of the fixture term
        second_name = other.center.name
        network = svc.network_report([one, other.center])
        assert network.figures.present == 12 and network.figures.recorded == 20
        assert network.figures.asked == 8
    make_coordinator("coord@example.org", second_name)
    text = client.get("/report/network/").get_data(as_text=True)
    assert second_name in text and "All centers" in text
    rows = list(csv.reader(io.StringIO(client.get("/report/network.csv").get_data(as_text=True))))
    assert rows[-1][1] == "network" and rows[-1][rows[0].index("present")] == "12"
