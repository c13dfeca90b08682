"""Outcome check-ins: open at a person's first and last meeting of an activity that asks them,
answered once, and seen by the coordinator only as counts and averages."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import Activity, CheckInPhase, MeetingRating, OutcomeAnswer
from scheduler.services import accounts
from scheduler.services.monitoring import outcomes
from scheduler.services.versions import current_published
from scheduler.views.monitoring import outcomes as outcome_views
from tests.conftest import sign_in
from tests.support.monitoring import make_monitoring_term, participant

ANSWERS = {"satisfied": "6", "worthwhile": "7", "happy": "5", "anxious": "4"}


def switch_on(code: str = "art", rating: bool = True) -> None:
    activity = db.session.scalar(select(Activity).where(Activity.code == code))
    assert activity is not None
    outcomes.set_enabled(activity, True, rating)
    db.session.commit()


def opened(code: str, day: int) -> list[tuple[str, str, str]]:
    person = participant(code)
    return [(c.activity_code, c.phase.value, c.meeting.date.isoformat())
            for c in outcomes.open_check_ins(person.center, person, dt.date(2027, 1, day))]


def test_check_ins_open_at_the_first_and_the_last_meeting(app_ctx: Flask) -> None:
    make_monitoring_term()
    assert opened("p1", 10) == []  # nothing is switched on
    switch_on()
    # art-1 meets on 11 and 25 January (the 18th is a holiday); talk asks nothing.
    assert opened("p1", 8) == []
    assert opened("p1", 9) == [("art", "before", "2027-01-11")]
    assert opened("p1", 17) == [("art", "before", "2027-01-11")]
    assert opened("p1", 18) == []
    assert opened("p1", 25) == [("art", "after", "2027-01-25")]
    assert opened("p4", 25) == []  # not in an art group


def _post(client: FlaskClient, token: str, **fields: str) -> tuple[int, str]:
    response = client.post(f"/p/{token}/check-in", data={"activity": "art", "phase": "before", **fields})
    return response.status_code, response.get_data(as_text=True)


def test_a_participant_answers_once_and_bad_answers_store_nothing(app: Flask, client: FlaskClient,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outcome_views, "today", lambda: dt.date(2027, 1, 11))
    with app.app_context():
        make_monitoring_term()
        switch_on()
        token = accounts.issue_participant_link(participant("p1"))
        db.session.commit()
    page = client.get(f"/p/{token}").get_data(as_text=True)
    assert "/check-in?activity=art&amp;phase=before" in page
    form = client.get(f"/p/{token}/check-in?activity=art&phase=before")
    assert form.status_code == 200 and "worthwhile" in form.get_data(as_text=True)
    status, text = _post(client, token, **{**ANSWERS, "anxious": "11", "rating": "12"})
    assert status == 400 and "Choose a number from 0 to 10" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutcomeAnswer)) == 0
    status, _text = _post(client, token, **ANSWERS, rating="9")
    assert status == 302
    status, _text = _post(client, token, **ANSWERS)
    assert status == 302  # closed now: sent back to the page, nothing added
    with app.app_context():
        answers = list(db.session.scalars(select(OutcomeAnswer)))
        assert [(a.phase, a.satisfied, a.anxious) for a in answers] == [(CheckInPhase.BEFORE, 6, 4)]
        rating = db.session.scalar(select(MeetingRating))
        assert rating is not None and (rating.rating, rating.date) == (9, dt.date(2027, 1, 11))
    assert "/check-in?" not in client.get(f"/p/{token}").get_data(as_text=True)
    # The after check-in is not open yet: it cannot be answered early.
    status, _text = _post(client, token, **{**ANSWERS, "phase": "after"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutcomeAnswer)) == 1


def test_coordinators_see_counts_and_averages_only_from_three_answers(app: Flask, client: FlaskClient,
                                                                      make_coordinator: object) -> None:
    with app.app_context():
        version = make_monitoring_term()
        switch_on()
        people = [participant(code) for code in ("p1", "p2", "p3")]
        for person, (before, after) in zip(people, [(2, 8), (4, 6), (6, 10)], strict=True):
            for phase, value in ((CheckInPhase.BEFORE, before), (CheckInPhase.AFTER, after)):
                db.session.add(OutcomeAnswer(center_id=version.center_id, participant_id=person.id,
                                             version_id=version.id, activity_code="art", phase=phase,
                                             satisfied=value, worthwhile=value, happy=value, anxious=10 - value))
        db.session.commit()
        center = version.center
        summary = {o.activity_code: o for o in outcomes.summary(center, current_published(center))}
        assert summary["art"].before.n == 3 and summary["art"].before.means["satisfied"] == 4.0
        assert summary["art"].after.means["anxious"] == pytest.approx(10 - 8.0)
        # One answer fewer after: the count is shown, the average is not.
        db.session.delete(db.session.scalars(select(OutcomeAnswer).where(
            OutcomeAnswer.phase == CheckInPhase.AFTER)).first())
        db.session.commit()
        summary = {o.activity_code: o for o in outcomes.summary(center, current_published(center))}
        assert summary["art"].after.n == 2 and summary["art"].after.means["satisfied"] is None
        center_name = center.name
    make_coordinator("coord@example.org", center_name)  # type: ignore[operator]
    sign_in(client, "coord@example.org")
    with app.app_context():
        center_id = version.center_id
    page = client.get(f"/centers/{center_id}/outcomes/").get_data(as_text=True)
    assert "4.0" in page and "(n = 2)" in page
    assert "Pat One" not in page and "Paz Two" not in page


def test_erasure_and_retention_leave_answers_counted_but_tied_to_nobody(app_ctx: Flask) -> None:
    from scheduler.services import privacy
    from scheduler.services.monitoring import reminders

    version = make_monitoring_term()
    switch_on()
    for code in ("p1", "p2", "p3"):
        db.session.add(OutcomeAnswer(center_id=version.center_id, participant_id=participant(code).id,
                                     version_id=version.id, activity_code="art", phase=CheckInPhase.BEFORE,
                                     satisfied=5, worthwhile=5, happy=5, anxious=5))
    reminders.set_choice(participant("p1"), True, True, "+34612345678")
    db.session.commit()
    mine = outcomes.export_person(participant("p1"))
    assert len(mine["check_ins"]) == 1 and mine["reminders"]["phone"] == "+34612345678"

    privacy.erase_participant(version.center, participant("p1"), None)
    db.session.commit()
    owners = list(db.session.scalars(select(OutcomeAnswer.participant_id)))
    assert len(owners) == 3 and owners.count(None) == 1  # still counted, tied to nobody
    assert outcomes.summary(version.center, version)[0].before.n == 3
    assert outcomes.anonymise(version.center_id, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) == 0
    assert outcomes.anonymise(version.center_id, dt.datetime.now(dt.UTC) + dt.timedelta(days=1)) == 2
    assert set(db.session.scalars(select(OutcomeAnswer.participant_id))) == {None}
