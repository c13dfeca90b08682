"""Stored text can never break an output: hostile values written straight into every text field a
feed, an email or an export shows (the live rows and the published version's snapshot alike, past
any entry form) give no 500 and inject nothing: no second event or property in a calendar, no header
in an email, no markup in a page, valid JSON in an export."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import (
    Activity,
    Center,
    Facilitator,
    OutboxMessage,
    Participant,
    Room,
    ScheduleVersion,
)
from scheduler.services import accounts, feed_tokens, mail, notify, self_service, swaps, versions
from scheduler.services.term import MeetingKey, term_state
from tests.conftest import sign_in
from tests.support.feeds import person, published_center
from tests.support.swaps_term import BEFORE_TERM

INJECTION = "Evil\r\nBEGIN:VEVENT\r\nUID:injected\r\nSUMMARY:Injected\r\nEND:VEVENT"
HOSTILE = {
    "ics": INJECTION,
    "lines": "first\nsecond\rthird\u2028fourth",
    "controls": "nul\x00bell\x07esc\x1b[31mdel\x7f",
    "html": '<script>alert(1)</script><img src=x onerror=alert(2)>',
    "formula": "=HYPERLINK(\"http://evil.example\",\"x\")",
    "plus": "+1+2", "minus": "-3-4", "at": "@SUM(A1)",
    "header": "Pat\r\nBcc: everyone@evil.example",
    "long": "L" * 20_000,
}


def _value(kind: str, base: str) -> str:
    text = f"{base} {HOSTILE[kind]}" if kind != "long" else HOSTILE[kind]
    if db.engine.dialect.name == "postgresql":
        # PostgreSQL itself refuses NUL bytes and text longer than its column: never stored there.
        text = text.replace("\x00", "")[:200]
    return text


def poison(kind: str) -> None:
    """Every stored text an output shows, in the rows and in the published snapshot."""
    version = db.session.scalars(select(ScheduleVersion)).one()
    center = version.center
    center.name, center.address = _value(kind, "Center"), _value(kind, "Address")
    for activity in db.session.scalars(select(Activity)):
        activity.name = _value(kind, activity.name)
        activity.calendar_label = _value(kind, "Label") if activity.code == "art" else None
    for model in (Room, Facilitator, Participant):
        for row in db.session.scalars(select(model)):
            row.name = _value(kind, row.name)
    version.presentation = versions.presentation_of(center)
    scenario = json.loads(json.dumps(version.scenario))
    scenario["center"]["name"] = center.name
    for section in ("rooms", "activities", "facilitators", "participants"):
        for item in scenario[section]:
            item["name"] = _value(kind, item["name"])
    version.scenario = scenario
    db.session.commit()


def assert_calendar_is_whole(body: bytes) -> None:
    """One content line per property (folded lines start with a space), no control character but the
    line ends, and exactly the events the parser finds, none of them injected."""
    text = body.decode()
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    lines = text.split("\r\n")
    assert "\n" not in text.replace("\r\n", "") and "\r" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in lines)
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert lines.count("BEGIN:VEVENT") == len(events) > 0
    assert all(str(e["UID"]) != "injected" and str(e.get("SUMMARY")) != "Injected" for e in events)
    assert not any(line.startswith(("UID:injected", "SUMMARY:Injected")) for line in lines)


@pytest.mark.parametrize("kind", ["ics", "lines", "controls", "header", "long"])
def test_feeds_and_emails_stay_whole_whatever_the_stored_text(app: Flask, client: FlaskClient, kind: str) -> None:
    with app.app_context():
        version = published_center()
        center = version.center
        center.feeds_name_members = True
        links = [feed_tokens.issue(person(Participant, "p1")), feed_tokens.issue(person(Facilitator, "ana")),
                 feed_tokens.issue_scoped(center.id, "center", None),
                 feed_tokens.issue_scoped(center.id, "room", "r1"),
                 feed_tokens.issue_scoped(center.id, "group", "art-1")]
        db.session.commit()
        poison(kind)
        # A cover (a standalone event and an override), then emails that name the center, the group
        # (by its label), facilitators, rooms and times.
        version = db.session.scalars(select(ScheduleVersion)).one()
        request = swaps.request_swap(version, person(Facilitator, "ana"),
                                     [MeetingKey(dt.date(2027, 1, 11), "MO-0900", "art-1")], now=BEFORE_TERM)
        swaps.accept(request, person(Facilitator, "cruz"), now=BEFORE_TERM)
        notify.send_all(center.id, notify.swap_accepted(term_state(version), request, BEFORE_TERM))
        moved = MeetingKey(dt.date(2027, 1, 25), "MO-0900", "art-1")
        before = term_state(version).by_key[moved]
        swaps.move_meeting(version, moved, swaps.Move("r2", dt.time(11), dt.time(12, 30)), None, now=BEFORE_TERM)
        notify.send_all(center.id, notify.meeting_moved(term_state(version), moved, before, BEFORE_TERM))
        with app.test_request_context():
            self_service.invite(center, person(Participant, "p1"))
        db.session.commit()
        links.append(feed_tokens.issue(person(Facilitator, "cruz")))
        db.session.commit()
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert len(messages) >= 5
        for message in messages:
            for header in (message.subject, message.to_name, message.to_email):
                assert not re.search(r"[\x00-\x1f\x7f\u2028]", header), header
            assert "\x00" not in message.body
    for token in links:
        response = client.get(f"/feeds/{token}.ics")
        assert response.status_code == 200, token
        assert_calendar_is_whole(response.data)


def test_an_email_with_a_hostile_name_cannot_gain_a_header(app: Flask) -> None:
    with app.app_context():
        center_id = published_center().center_id
        message = mail.queue(center_id, "p1@example.org", HOSTILE["header"], "Hi\r\nBcc: x@evil.example", "Body")
        assert message.subject == "Hi Bcc: x@evil.example" and message.to_name == "Pat Bcc: everyone@evil.example"
        app.config["MAIL_SERVER"] = "127.0.0.1"
        app.config["MAIL_PORT"] = 9  # nothing listens: the message fails in words, never with a 500
        mail.deliver(message)
        assert message.status.value == "failed" and message.error


@pytest.mark.parametrize("kind", ["html", "formula", "long"])
def test_pages_and_exports_escape_the_stored_text(app: Flask, client: FlaskClient,
                                                 make_coordinator: Callable[..., None], kind: str) -> None:
    with app.app_context():
        published_center()
        link = accounts.issue_participant_link(person(Participant, "p1"))
        center_id = db.session.scalars(select(Center)).one().id
        db.session.commit()
    make_coordinator("coord@example.org", "Swaps")
    with app.app_context():
        poison(kind)
        swaps.cancel_meeting(db.session.scalars(select(ScheduleVersion)).one(),
                             MeetingKey(dt.date(2027, 1, 11), "MO-0900", "art-1"), None, now=BEFORE_TERM)  # type: ignore[arg-type]
        db.session.commit()
    sign_in(client, "coord@example.org")
    exported = client.get(f"/centers/{center_id}/export.json")
    assert exported.status_code == 200
    data = json.loads(exported.data)
    assert any(HOSTILE[kind][:50] in p["name"] for p in data["participants"])
    pages = [f"/p/{link}", f"/centers/{center_id}/swaps/", f"/centers/{center_id}/cover/",
             f"/centers/{center_id}/calendars/", f"/centers/{center_id}/waitlists/", f"/centers/{center_id}/outbox"]
    for page in pages:
        response = client.get(page)
        assert response.status_code < 500, page
        assert b"<script>alert(1)" not in response.data and b"<img src=x" not in response.data, page
