"""A participant answers through their personal link; the coordinator invites, reminds, sees who
answered, and reads the outbox. Revoked links get a friendly page; bad input writes nothing."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import Center, CenterRole, MailStatus, Membership, OutboxMessage, Participant, User
from scheduler.services import accounts, planning
from scheduler.services.editing import current_scenario
from tests.conftest import sign_in
from tests.support.links import link_for


@pytest.fixture
def center_id(make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    cid = make_center("North")
    make_coordinator("ana@example.org", "North")
    return cid


def person(app: Flask, center_id: int, code: str = "p1") -> dict[str, Any]:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        return next(p for p in current_scenario(center)["participants"] if p["id"] == code)


def test_the_page_shows_their_answers_and_saves_new_ones(app: Flask, client: FlaskClient, center_id: int) -> None:
    url = link_for(app)
    page = client.get(url)
    # Only the origin ever leaves in a Referer: the CSRF check needs it over HTTPS, and it names nobody.
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "strict-origin"
    text = page.get_data(as_text=True)
    assert "When can you come?" in text and "What we keep, and who sees it" in text
    for word in ("solver", "CP-SAT", "roster"):
        assert word not in text
    before = person(app, center_id)
    data = current_scenario_slots(app, center_id)
    form = {f"slot-{s}": "no" for s in data}
    form[f"slot-{data[0]}"] = "available"
    form[f"slot-{data[1]}"] = "if_needed"
    form["rank-act2"], form["rank-act1"] = "1", "2"
    response = client.post(url, data=form, follow_redirects=True)
    assert "Your answers are saved" in response.get_data(as_text=True)
    after = person(app, center_id)
    assert after["available"] == [data[0]] and after["if_needed"] == [data[1]]
    assert after["preferences"] == ["act2", "act1"]
    assert after["name"] == before["name"] and after["email"] == before["email"]
    # Answering twice updates, never duplicates.
    client.post(url, data={**form, "rank-act2": "", "rank-act1": "1"})
    assert person(app, center_id)["preferences"] == ["act1"]
    with app.app_context():
        p1 = db.session.scalar(db.select(Participant).where(Participant.code == "p1"))
        assert p1 is not None and p1.answered_at is not None


def current_scenario_slots(app: Flask, center_id: int) -> list[str]:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        return [s["id"] for s in current_scenario(center)["slots"]]


def test_two_groups_with_one_number_are_refused_next_to_the_field(app: Flask, client: FlaskClient, center_id: int,
                                                                  counts: Callable[[], dict[str, int]]) -> None:
    url = link_for(app)
    before, answers = counts(), person(app, center_id)
    response = client.post(url, data={"rank-act1": "1", "rank-act2": "1", "slot-MO-0900": "maybe"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="rank-act2-error"' in text and "You gave number 1 to Anxiety support group too" in text
    assert 'id="slot-MO-0900-error"' in text
    assert counts() == before and person(app, center_id) == answers


def test_a_revoked_or_unknown_link_gets_a_friendly_page(app: Flask, client: FlaskClient, center_id: int) -> None:
    url = link_for(app)
    with app.app_context():
        p1 = db.session.scalar(db.select(Participant).where(Participant.code == "p1"))
        assert p1 is not None
        accounts.revoke_participant_links(p1)
        db.session.commit()
    for target in (url, "/p/not-a-real-token", "/p/" + "x" * 500):
        response = client.get(target)
        assert response.status_code == 404
        assert "This link no longer works" in response.get_data(as_text=True)
    assert client.post(url, data={"rank-act1": "1"}).status_code == 404


def test_after_the_deadline_the_page_is_read_only(app: Flask, client: FlaskClient, center_id: int) -> None:
    import datetime as dt

    url = link_for(app)
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        center.answers_deadline = dt.date.today() - dt.timedelta(days=1)
        db.session.commit()
    text = client.get(url).get_data(as_text=True)
    assert "The time for answers has passed" in text and "Save my answers" not in text
    before = person(app, center_id)
    client.post(url, data={"rank-act1": "1"})
    assert person(app, center_id) == before


def test_a_link_works_only_for_its_own_person(app: Flask, client: FlaskClient, center_id: int) -> None:
    url = link_for(app, "p1")
    text = client.get(url).get_data(as_text=True)
    name = person(app, center_id, "p1")["name"]
    assert f"Hello {name}" in text


def test_invite_remind_and_outbox(app: Flask, client: FlaskClient, center_id: int) -> None:
    sign_in(client, "ana@example.org")
    page = client.get(f"/centers/{center_id}/answers/").get_data(as_text=True)
    assert "0 of 120 have answered." in page
    response = client.post(f"/centers/{center_id}/answers/p1/invite", follow_redirects=True)
    assert "waiting in the outbox" in response.get_data(as_text=True)
    outbox = client.get(f"/centers/{center_id}/outbox").get_data(as_text=True)
    link = re.search(r"http://localhost(/p/[A-Za-z0-9_-]+)", outbox)
    assert link, outbox
    client.post("/sign-out")
    assert client.get(link.group(1)).status_code == 200  # the emailed link opens their page
    sign_in(client, "ana@example.org")
    response = client.post(f"/centers/{center_id}/answers/remind", follow_redirects=True)
    assert "Reminded 120 people. 0 have no email address." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(OutboxMessage).count() == 121


def test_a_failed_send_is_shown_and_can_be_retried(app: Flask, client: FlaskClient, center_id: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []

    class Refusing:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionRefusedError("connection refused")

    class Accepting:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            self.host = host

        def __enter__(self) -> Accepting:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def starttls(self) -> None:
            return None

        def send_message(self, message: Any) -> None:
            sent.append(message)

    app.config["MAIL_SERVER"] = "mail.example.org"
    monkeypatch.setattr(smtplib, "SMTP", Refusing)
    sign_in(client, "ana@example.org")
    response = client.post(f"/centers/{center_id}/answers/p1/invite", follow_redirects=True)
    assert "could not be sent: ConnectionRefusedError" in response.get_data(as_text=True)
    with app.app_context():
        message = db.session.query(OutboxMessage).one()
        assert message.status == MailStatus.FAILED
        message_id = message.id
    monkeypatch.setattr(smtplib, "SMTP", Accepting)
    response = client.post(f"/centers/{center_id}/outbox/{message_id}/retry", follow_redirects=True)
    assert "Sent the link" in response.get_data(as_text=True)
    assert len(sent) == 1 and "/p/" in sent[0].get_content()
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert message is not None and message.status == MailStatus.SENT and message.attempts == 2


def test_coordinator_pages_are_404_for_another_center(app: Flask, client: FlaskClient, center_id: int,
                                                      make_center: Callable[..., int],
                                                      make_coordinator: Callable[..., None]) -> None:
    make_center("South", "small")
    make_coordinator("bo@example.org", "South")
    sign_in(client, "bo@example.org")
    assert client.get(f"/centers/{center_id}/answers/").status_code == 404
    assert client.post(f"/centers/{center_id}/answers/p1/invite").status_code == 404
    assert client.get(f"/centers/{center_id}/outbox").status_code == 404


def test_email_bodies_with_links_never_reach_the_log(app: Flask, client: FlaskClient, center_id: int,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.INFO)
    sign_in(client, "ana@example.org")
    client.post(f"/centers/{center_id}/answers/p1/invite")
    assert "in the outbox" in caplog.text and "/p/" not in caplog.text


def test_a_facilitator_is_invited_chooses_a_password_and_keeps_their_times(
        app: Flask, client: FlaskClient, center_id: int, counts: Callable[[], dict[str, int]]) -> None:
    sign_in(client, "ana@example.org")
    response = client.post(f"/centers/{center_id}/answers/facilitators/fac1/invite", follow_redirects=True)
    assert "waiting in the outbox" in response.get_data(as_text=True)
    outbox = client.get(f"/centers/{center_id}/outbox").get_data(as_text=True)
    link = re.search(r"http://localhost(/welcome/[A-Za-z0-9_.-]+)", outbox)
    assert link, outbox
    client.post("/sign-out")

    welcome = link.group(1)
    before = counts()
    short = client.post(welcome, data={"password": "short", "again": "short"})
    assert "at least" in short.get_data(as_text=True)
    differ = client.post(welcome, data={"password": "a long enough sentence", "again": "another long sentence"})
    assert "not the same" in differ.get_data(as_text=True)
    common = client.post(welcome, data={"password": "password2027", "again": "password2027"})
    assert "too easy to guess" in common.get_data(as_text=True)
    assert counts() == before
    response = client.post(welcome, data={"password": "a long enough sentence", "again": "a long enough sentence"})
    # The link sets the password and no more: signing in (with a code, where needed) is the normal way.
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert client.get("/").headers["Location"].startswith("/sign-in")
    assert client.get(welcome).status_code == 404  # used once, then it stops working
    sign_in(client, "fac1@example.org", "a long enough sentence")
    assert client.get("/").headers["Location"] == f"/centers/{center_id}/cover/"

    page = client.get(f"/centers/{center_id}/me/times").get_data(as_text=True)
    assert "My available times" in page
    slots = current_scenario_slots(app, center_id)
    form = {f"slot-{s}": "no" for s in slots} | {f"slot-{slots[0]}": "available", f"slot-{slots[2]}": "if_needed"}
    response = client.post(f"/centers/{center_id}/me/times", data=form, follow_redirects=True)
    assert "Your times are saved" in response.get_data(as_text=True)
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        fac1 = next(f for f in current_scenario(center)["facilitators"] if f["id"] == "fac1")
        assert fac1["available"] == [slots[0]] and fac1["if_needed"] == [slots[2]]
    client.post("/sign-out")
    assert client.post("/sign-in", data={"email": "fac1@example.org", "password": "a long enough sentence"}
                       ).status_code == 302


def test_a_forged_or_foreign_welcome_link_does_nothing(client: FlaskClient, center_id: int) -> None:
    assert client.get("/welcome/not-a-token").status_code == 404
    assert client.post("/welcome/eyJ1IjoxfQ.forged.sig", data={"password": "x" * 20, "again": "x" * 20}
                       ).status_code == 404


def test_the_coordinator_sees_what_changed_since_the_last_solve(app: Flask, client: FlaskClient,
                                                                center_id: int) -> None:
    import datetime as dt

    from scheduler.models import ScheduleVersion, VersionStatus

    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        db.session.add(ScheduleVersion(center_id=center_id, number=1, status=VersionStatus.DRAFT,
                                       created_at=dt.datetime.now(dt.UTC), solver_status="FEASIBLE",
                                       scenario=current_scenario(center),
                                       schedule={"format": "sociotherapy-schedule/1", "status": "FEASIBLE",
                                                 "groups": []}))
        db.session.commit()
    sign_in(client, "ana@example.org")
    page = client.get(f"/centers/{center_id}/answers/").get_data(as_text=True)
    assert "Nothing has changed since then." in page
    name = person(app, center_id)["name"]
    client.post("/sign-out")
    client.post(link_for(app), data={"rank-act3": "1"})
    sign_in(client, "ana@example.org")
    page = client.get(f"/centers/{center_id}/answers/").get_data(as_text=True)
    assert "Changed since version 1 was built" in page and f"changed: {name}" in page


def test_facilitators_edit_their_skills_only_when_the_center_allows(app: Flask, client: FlaskClient,
                                                                    center_id: int) -> None:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        fac1 = next(f for f in center.facilitators if f.code == "fac1")
        user = User(email="fac1@staff.example.org", password_hash=accounts.hash_password("a long enough sentence"))
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, center_id=center_id, role=CenterRole.FACILITATOR))
        fac1.user_id = user.id
        db.session.commit()
        skills_before = list(fac1.skills)
    slots = current_scenario_slots(app, center_id)
    form = {f"slot-{s}": "available" for s in slots} | {"skills": ["cbt"], "languages": []}
    sign_in(client, "fac1@staff.example.org", "a long enough sentence")
    assert 'name="skills"' not in client.get(f"/centers/{center_id}/me/times").get_data(as_text=True)
    client.post(f"/centers/{center_id}/me/times", data=form)
    with app.app_context():
        fac = next(f for f in current_scenario(db.session.get(Center, center_id))["facilitators"]  # type: ignore[arg-type]
                   if f["id"] == "fac1")
        assert fac["skills"] == skills_before  # not allowed: unchanged

    client.post("/sign-out")
    sign_in(client, "ana@example.org")
    client.post(f"/centers/{center_id}/answers/deadline", data={"facilitators_edit_profile": "y"})
    client.post("/sign-out")
    sign_in(client, "fac1@staff.example.org", "a long enough sentence")
    assert 'name="skills"' in client.get(f"/centers/{center_id}/me/times").get_data(as_text=True)
    client.post(f"/centers/{center_id}/me/times", data=form)
    with app.app_context():
        fac = next(f for f in current_scenario(db.session.get(Center, center_id))["facilitators"]  # type: ignore[arg-type]
                   if f["id"] == "fac1")
        assert fac["skills"] == ["cbt"]


def test_the_coordinator_writes_what_participants_read_and_a_discreet_calendar_name(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    sign_in(client, "ana@example.org")
    page = client.get(f"/centers/{center_id}/answers/activities/act1").get_data(as_text=True)
    assert "What participants see about" in page
    client.post(f"/centers/{center_id}/answers/activities/act1",
                data={"calendar_label": "Tuesday group", "description": "We meet, talk and learn calm."})
    response = client.post(f"/centers/{center_id}/answers/activities/act1", data={"description": "x" * 501})
    assert "Field cannot be longer than 500 characters" in response.get_data(as_text=True)
    # The description is planning data, written by the gateway: it is in the center's export.
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        exported = {a.id: a.description for a in planning.read_center(center).activities}
        assert exported["act1"] == "We meet, talk and learn calm."
    # A calendar name is one line (a pasted line break is refused, naming the field), and nothing is saved.
    refused = client.post(f"/centers/{center_id}/answers/activities/act1",
                          data={"calendar_label": "Tuesday\ngroup", "description": "Changed"})
    assert refused.status_code == 200 and "This must be a single line of text" in refused.get_data(as_text=True)
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        assert next(a for a in center.activities if a.code == "act1").calendar_label == "Tuesday group"
        assert {a.id: a.description for a in planning.read_center(center).activities}["act1"] == exported["act1"]
    client.post("/sign-out")
    text = client.get(link_for(app)).get_data(as_text=True)
    assert "We meet, talk and learn calm." in text
    assert client.get(f"/centers/{center_id}/answers/activities/nothing").status_code == 302  # signed out


def test_every_facilitator_not_invited_yet_is_invited_at_once(app: Flask, client: FlaskClient, center_id: int) -> None:
    sign_in(client, "ana@example.org")
    response = client.post(f"/centers/{center_id}/answers/facilitators/invite-all", follow_redirects=True)
    assert "Invited 8 facilitators. 0 have no email address." in response.get_data(as_text=True)
    response = client.post(f"/centers/{center_id}/answers/facilitators/invite-all", follow_redirects=True)
    assert "Invited 0 facilitators." in response.get_data(as_text=True)  # nobody twice
    with app.app_context():
        assert db.session.query(OutboxMessage).count() == 8
