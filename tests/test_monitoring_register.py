"""The register: a facilitator takes attendance for meetings they lead or cover, from the day of the
meeting on; the coordinator corrects it; cancelled dates have none; every save and view is logged."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import AttendanceMark, AttendanceStatus, AuditEntry, ScheduleVersion, User
from scheduler.services import swaps
from scheduler.services.monitoring import attendance
from scheduler.services.term import term_state
from tests.conftest import sign_in
from tests.support.access import fast_passwords, staff_account  # noqa: F401  (a fixture)
from tests.support.monitoring import ART_MEMBERS
from tests.support.swaps_term import ART1_JAN11, ART1_JAN25, BEFORE_TERM, SCENARIO, make_term, person

REGISTER = "/centers/{center}/register/art-1/MO-0900/{day}"
CORRECT = "/centers/{center}/attendance/art-1/MO-0900/{day}"


def register_term() -> ScheduleVersion:
    scenario = copy.deepcopy(SCENARIO)
    scenario["participants"] += copy.deepcopy(ART_MEMBERS)
    version = make_term(scenario)
    version.schedule = {**version.schedule, "groups": [
        {**g, "members": ["p1", "p2", "p3"]} if g["id"] == "art-1" else g for g in version.schedule["groups"]]}
    db.session.commit()
    return version


@pytest.fixture
def term(app: Flask, make_coordinator: Callable[..., None], monkeypatch: pytest.MonkeyPatch,
         fast_passwords: None) -> dict[str, Any]:  # noqa: F811
    """The term with Ana and Ben signed up as facilitators and a coordinator; "today" is settable."""
    today = {"date": ART1_JAN11.date}
    monkeypatch.setattr(attendance, "local_today", lambda _zone, now=None: today["date"])
    with app.app_context():
        version = register_term()
        ana, ben = staff_account("ana", version.center_id), staff_account("ben", version.center_id)
        db.session.commit()
        found = {"center": version.center_id, "version": version.id, "ana": ana.email, "ben": ben.email,
                 "today": today}
    make_coordinator("coord@example.org", "Swaps")
    return found


def marks(version_id: int) -> dict[str, tuple[str, bool]]:
    return {m.participant: (m.status.value, m.left_early)
            for m in attendance.marks_for_meeting(version_id, ART1_JAN11).values()}


FULL = {"status-p1": "present", "status-p2": "no_show", "status-p3": "present", "left_early-p3": "yes"}


def test_a_facilitator_takes_the_register_in_one_request_and_a_reload_keeps_it(app: Flask, term: dict) -> None:
    client = app.test_client()
    sign_in(client, term["ana"])
    url = REGISTER.format(center=term["center"], day="2027-01-11")
    page = client.get(url).get_data(as_text=True)
    assert "Quinn" in page and 'value="present" checked' in page  # everyone starts as present
    response = client.post(url, data=FULL)
    assert response.status_code == 302
    with app.app_context():
        assert marks(term["version"]) == {"p1": ("present", False), "p2": ("no_show", False),
                                          "p3": ("present", True)}
        ana = db.session.scalar(select(User).where(User.email == term["ana"]))
        row = db.session.scalar(select(AttendanceMark).where(AttendanceMark.participant_code == "p2"))
        assert row is not None and ana is not None and row.recorded_by_id == ana.id
        logged = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert "attendance.recorded" in logged and "person.viewed.register" in logged
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "attendance.recorded"))
        assert entry is not None and "Quinn" not in str(entry.after) and "no_show" in str(entry.after)
    again = client.get(url).get_data(as_text=True)
    assert 'name="status-p2" value="no_show" checked' in again
    assert 'name="left_early-p3" value="yes" checked' in again
    assert f"by {term['ana']}" in again  # who recorded it


@pytest.mark.parametrize(("form", "message"), [
    ({"status-p1": "present", "status-p2": "present"}, "Choose present or absent for Rosa"),
    ({**FULL, "status-p1": "sleeping"}, "Choose present or absent for Pat"),
    ({**FULL, "status-p2": "no_show", "left_early-p2": "yes"}, "Quinn: only someone present can leave early"),
])
def test_an_incomplete_or_wrong_register_is_refused_by_name_and_saves_nothing(
        app: Flask, term: dict, form: dict[str, str], message: str) -> None:
    client = app.test_client()
    sign_in(client, term["ana"])
    response = client.post(REGISTER.format(center=term["center"], day="2027-01-11"), data=form)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    with app.app_context():
        assert marks(term["version"]) == {}


def test_the_register_opens_on_the_day_of_the_meeting_not_before(app: Flask, term: dict) -> None:
    client = app.test_client()
    sign_in(client, term["ana"])
    term["today"]["date"] = dt.date(2027, 1, 10)
    url = REGISTER.format(center=term["center"], day="2027-01-11")
    response = client.post(url, data=FULL, follow_redirects=True)
    assert "The register opens on the day of the meeting" in response.get_data(as_text=True)
    listing = client.get(f"/centers/{term['center']}/register/").get_data(as_text=True)
    assert "2027-01-11" not in listing
    term["today"]["date"] = dt.date(2027, 1, 26)  # later: still open, for a forgotten register
    assert client.post(url, data=FULL).status_code == 302
    listing = client.get(f"/centers/{term['center']}/register/").get_data(as_text=True)
    assert "/register/art-1/MO-0900/2027-01-11" in listing and "/register/art-1/MO-0900/2027-01-25" in listing
    with app.app_context():
        assert len(marks(term["version"])) == 3


def test_a_facilitator_who_does_not_lead_the_meeting_gets_404_and_a_cover_takes_the_register(
        app: Flask, term: dict) -> None:
    ben = app.test_client()
    sign_in(ben, term["ben"])
    url = REGISTER.format(center=term["center"], day="2027-01-25")
    assert ben.get(url).status_code == 404
    assert ben.post(url, data=FULL).status_code == 404
    with app.app_context():
        version = db.session.get(ScheduleVersion, term["version"])
        assert version is not None
        request = swaps.request_swap(version, person("ana"), [ART1_JAN25], target=person("ben"), now=BEFORE_TERM)
        swaps.accept(request, person("ben"), now=BEFORE_TERM)
        db.session.commit()
    term["today"]["date"] = ART1_JAN25.date
    assert ben.post(url, data={k: v for k, v in FULL.items()}).status_code == 302
    ana = app.test_client()
    sign_in(ana, term["ana"])
    assert ana.get(url).status_code == 404  # covered: Ana does not lead it that day
    assert ana.get(REGISTER.format(center=term["center"], day="2027-01-11")).status_code == 200


def test_a_cancelled_date_has_no_register(app: Flask, term: dict) -> None:
    with app.app_context():
        version = db.session.get(ScheduleVersion, term["version"])
        coordinator = db.session.scalar(select(User).where(User.email == "coord@example.org"))
        assert version is not None and coordinator is not None
        swaps.cancel_meeting(version, ART1_JAN11, coordinator, now=BEFORE_TERM)
        db.session.commit()
        state = term_state(version)
        with pytest.raises(attendance.RegisterError, match="cancelled"):
            attendance.register_meeting(state, ART1_JAN11, ART1_JAN25.date)
        assert all(m.date != ART1_JAN11.date for m in attendance.meetings_led(state, "ana", ART1_JAN25.date))
    client = app.test_client()
    sign_in(client, term["ana"])
    refused = client.post(REGISTER.format(center=term["center"], day="2027-01-11"), data=FULL, follow_redirects=True)
    assert "This meeting was cancelled" in refused.get_data(as_text=True)
    coordinator_client = app.test_client()
    sign_in(coordinator_client, "coord@example.org")
    page = coordinator_client.post(CORRECT.format(center=term["center"], day="2027-01-11"), data=FULL,
                                   follow_redirects=True).get_data(as_text=True)
    assert "This meeting was cancelled" in page
    with app.app_context():
        assert marks(term["version"]) == {}


def test_the_coordinator_corrects_a_register_and_the_correction_is_logged(app: Flask, term: dict) -> None:
    facilitator = app.test_client()
    sign_in(facilitator, term["ana"])
    facilitator.post(REGISTER.format(center=term["center"], day="2027-01-11"), data=FULL)
    coordinator = app.test_client()
    sign_in(coordinator, "coord@example.org")
    overview = coordinator.get(f"/centers/{term['center']}/attendance/").get_data(as_text=True)
    assert "2 present of 3" in overview
    response = coordinator.post(CORRECT.format(center=term["center"], day="2027-01-11"),
                                data={**FULL, "status-p2": "excused"})
    assert response.status_code == 302
    with app.app_context():
        assert marks(term["version"])["p2"] == ("excused", False)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "attendance.corrected"))
        assert entry is not None and entry.after is not None and entry.after["changed"] == ["p2"]
    # The facilitator's page cannot be used by the coordinator, nor the coordinator's by the facilitator.
    assert coordinator.get(REGISTER.format(center=term["center"], day="2027-01-11")).status_code == 404
    assert facilitator.get(CORRECT.format(center=term["center"], day="2027-01-11")).status_code == 404


def test_counts_for_term_add_marks_and_anonymous_tallies(app_ctx: Flask) -> None:
    from scheduler.models import AttendanceTally

    version = register_term()
    state = term_state(version)
    meeting = state.by_key[ART1_JAN11]
    attendance.save_register(state, meeting, [
        attendance.Entry("p1", AttendanceStatus.PRESENT, left_early=True),
        attendance.Entry("p2", AttendanceStatus.LATE_CANCEL), attendance.Entry("p3", AttendanceStatus.PRESENT)],
        None)
    db.session.add(AttendanceTally(center_id=version.center_id, version_id=version.id, group_code="art-1",
                                   slot_code="MO-0900", date=ART1_JAN11.date, present=1, excused=0, no_show=2,
                                   late_cancel=0, left_early=0))
    db.session.commit()
    counts = attendance.counts_for_term(version.id)[ART1_JAN11]
    assert (counts.present, counts.late_cancel, counts.no_show, counts.left_early, counts.recorded) == (3, 1, 2, 1, 6)
    assert [m.participant for m in attendance.marks_for_person(version.id, "p2")] == ["p2"]
    assert len(attendance.marks_for_group(version.id, "art-1")) == 3


@pytest.mark.parametrize("path", ["art-1/MO-0900/not-a-date", "art-1/MO-0900/2027-02-30", "art-1/TU-0900/2027-01-11",
                                  "nope/MO-0900/2027-01-11"])
def test_a_meeting_that_does_not_exist_is_404_for_the_facilitator(app: Flask, term: dict, path: str) -> None:
    client = app.test_client()
    sign_in(client, term["ana"])
    assert client.get(f"/centers/{term['center']}/register/{path}").status_code == 404
    assert client.post(f"/centers/{term['center']}/register/{path}", data=FULL).status_code == 404
