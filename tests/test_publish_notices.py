"""Publishing tells people: the confirmation says who is left out and who will be told what; publishing
writes each notice to the outbox, in the person's language, and sends them in the background."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import MailBatch, OutboxMessage, Participant, ScheduleVersion
from scheduler.services import mail_batches
from tests.conftest import scenario_path, sign_in
from tests.support.small_versions import V1, V2


@pytest.fixture
def north(client: FlaskClient, app: Flask, make_center: Callable[..., int],
          make_coordinator: Callable[..., None]) -> int:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    sign_in(client, "ana@example.org")
    scenario = json.loads(scenario_path("small").read_text())
    with app.app_context():
        for number, data in ((1, V1), (2, V2)):
            db.session.add(ScheduleVersion(center_id=center_id, number=number, solver_status="FEASIBLE",
                                           objective=100, bound=120, scenario=scenario, schedule=data))
        participant = db.session.scalar(select(Participant).where(Participant.code == "p2"))
        assert participant is not None
        participant.locale = "es"
        db.session.scalar(select(Participant).where(Participant.code == "p3")).email = ""  # type: ignore[union-attr]
        db.session.commit()
    return center_id


def _messages(app: Flask) -> dict[str, OutboxMessage]:
    mail_batches.wait_for_batches(app)
    with app.app_context():
        return {m.to_email: m for m in db.session.scalars(select(OutboxMessage))}


def test_the_confirmation_says_who_is_left_out_and_who_will_be_told(client: FlaskClient, north: int) -> None:
    html = client.get(f"/centers/{north}/schedule/versions/1/publish").get_data(as_text=True)
    assert "117 participants have no group in this version" in html
    assert "Participant 4, Participant 5" in html and "and 87 more" in html  # bounded, natural order
    assert "Participant 120" not in html
    # p1, p2, p3 are in a group for the first time, and the facilitator fac1 leads one; p3 has no address.
    assert "3 people in a group for the first time" in html  # participants and facilitators counted apart
    assert "1 facilitator leading groups for the first time" in html
    assert "0 people whose groups change" in html
    assert "1 of them has no email address on file" in html and "Participant 3" in html


def test_publishing_queues_each_notice_and_sends_them_in_the_background(
        client: FlaskClient, north: int, app: Flask) -> None:
    response = client.post(f"/centers/{north}/schedule/versions/1/publish")
    assert "/outbox/batches/" in response.headers["Location"]
    sent = _messages(app)
    assert set(sent) == {"p1@example.org", "p2@example.org", "fac1@example.org"}
    first = sent["p1@example.org"]
    assert first.status == "outbox" and first.batch_id is not None
    assert first.body.startswith("Hello Participant 1,")
    assert "Anxiety support group: Monday 09:00–10:15, in Room 1" in first.body
    assert "webcal://" in first.body
    # In the person's own language.
    assert sent["p2@example.org"].body.startswith("Hola Participant 2,")
    # A facilitator is told the groups they lead, not asked to give up a place.
    staff = sent["fac1@example.org"]
    assert staff.subject.endswith(": the groups you lead")
    assert "You lead these groups" in staff.body and "Monday 09:00–10:15, in Room 1" in staff.body
    assert "webcal://" in staff.body
    assert "You have a place" not in staff.body and "someone else can have your place" not in staff.body
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Done: 3 emails sent or kept in the outbox." in page
    with app.app_context():
        batch = db.session.scalar(select(MailBatch))
        assert batch is not None and (batch.total, batch.done, batch.failed) == (3, 3, 0)
        assert batch.finished_at is not None


def test_a_later_version_tells_only_those_whose_groups_changed_and_what_changed(
        client: FlaskClient, north: int, app: Flask) -> None:
    client.post(f"/centers/{north}/schedule/versions/1/publish")
    mail_batches.wait_for_batches(app)
    with app.app_context():
        before = {m.id for m in db.session.scalars(select(OutboxMessage))}
    html = client.get(f"/centers/{north}/schedule/versions/2/publish").get_data(as_text=True)
    assert "1 person in a group for the first time" in html  # p4
    client.post(f"/centers/{north}/schedule/versions/2/publish")
    mail_batches.wait_for_batches(app)
    with app.app_context():
        new = {m.to_email: m for m in db.session.scalars(select(OutboxMessage)) if m.id not in before}
    assert "p4@example.org" in new and "You have a place" in new["p4@example.org"].body
    changed = new["p1@example.org"].body
    assert "Before:\n- Anxiety support group: Monday 09:00–10:15, in Room 1" in changed
    assert "Now:\n- Anxiety support group: Tuesday 09:00–10:15, in Room 1" in changed
    assert "p3@example.org" not in new  # no address: named on the confirmation instead

