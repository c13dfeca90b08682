"""One date of a group moved to another room or time: refused where the room, a facilitator or a
member is busy then; shown in every affected feed as an override of its series (read back by
recurring-ical-events, the strict ical parser and ical.js); everyone who will be there is told."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from flask import Flask
from flask.testing import FlaskClient
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import (
    AuditEntry,
    Facilitator,
    MeetingOverride,
    MemberChange,
    MemberChangeKind,
    OutboxMessage,
    Participant,
    ScheduleVersion,
)
from scheduler.services import feed_tokens, swaps
from scheduler.services.term import MeetingKey, term_state
from tests import icaljs
from tests.conftest import sign_in
from tests.support.feeds import person, published_center
from tests.support.swaps_term import BEFORE_TERM

MADRID = ZoneInfo("Europe/Madrid")
ART1_JAN25 = MeetingKey(dt.date(2027, 1, 25), "MO-0900", "art-1")  # Ana; Pat and the canary; Room 1
ELSEWHERE = swaps.Move("r2", dt.time(11), dt.time(12, 30))  # art-2 (Ben, nobody) is in Room 1 then


def version() -> ScheduleVersion:
    return db.session.scalars(select(ScheduleVersion)).one()


def test_a_free_room_and_time_is_accepted(app: Flask) -> None:
    with app.app_context():
        published_center()
        swaps.move_meeting(version(), ART1_JAN25, ELSEWHERE, None, now=BEFORE_TERM)
        db.session.commit()
        stored = db.session.scalars(select(MeetingOverride)).one()
        assert (stored.room_code, stored.start_minute, stored.end_minute) == ("r2", 660, 750)
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "meeting.moved")) is not None


@pytest.mark.parametrize(("move", "expected"), [
    (swaps.Move("r1", dt.time(11), dt.time(12, 30)), "Room 1 is taken then by Art group, group 2 (11:00–12:30)."),
    (swaps.Move("r2", dt.time(12), dt.time(11)), "The meeting must end after it starts (12:00–11:00)."),
    (swaps.Move("nowhere", dt.time(11), dt.time(12)), "Choose one of the center's rooms."),
    (swaps.Move("r1", dt.time(9), dt.time(10, 30)), "That is where and when the meeting already takes place."),
])
def test_clashes_and_nonsense_are_refused_in_words(app: Flask, move: swaps.Move, expected: str) -> None:
    with app.app_context():
        published_center()
        with pytest.raises(swaps.SwapError) as refused:
            swaps.move_meeting(version(), ART1_JAN25, move, None, now=BEFORE_TERM)
        assert expected in str(refused.value)
        db.session.rollback()
        assert db.session.scalars(select(MeetingOverride)).all() == []


def test_a_busy_facilitator_or_member_is_a_clash(app: Flask) -> None:
    with app.app_context():
        published_center()
        current = version()
        # Ana takes Ben's art-2 that Monday at 11:00, and Pat joins art-2 for the term.
        request = swaps.request_swap(current, person(Facilitator, "ben"), [MeetingKey(dt.date(2027, 1, 25),
                                                                                      "MO-1100", "art-2")],
                                     now=BEFORE_TERM)
        swaps.accept(request, person(Facilitator, "ana"), now=BEFORE_TERM)
        db.session.add(MemberChange(center_id=current.center_id, version_id=current.id, group_code="art-2",
                                    participant_code="p1", kind=MemberChangeKind.JOINED,
                                    effective=dt.date(2027, 1, 11)))
        db.session.commit()
        problems = swaps.move_problems(term_state(version()), ART1_JAN25, ELSEWHERE)
        assert "Ana leads Art group, group 2 (11:00–12:30) then." in problems
        assert "Pat is in Art group, group 2 (11:00–12:30) then." in problems


@pytest.fixture
def moved(app: Flask) -> dict[str, str]:
    """Art-1's 25 January moved to Room 2 at 11:00, and a feed for each kind of reader."""
    with app.app_context():
        current = published_center()
        links = {"pat": feed_tokens.issue(person(Participant, "p1")),
                 "ana": feed_tokens.issue(person(Facilitator, "ana")),
                 "room 1": feed_tokens.issue_scoped(current.center_id, "room", "r1"),
                 "room 2": feed_tokens.issue_scoped(current.center_id, "room", "r2"),
                 "center": feed_tokens.issue_scoped(current.center_id, "center", None)}
        db.session.commit()
        swaps.move_meeting(version(), ART1_JAN25, ELSEWHERE, None, now=BEFORE_TERM)
        db.session.commit()
    return links


MOVED_START = dt.datetime(2027, 1, 25, 11, tzinfo=MADRID)


def test_a_room_move_shows_in_every_affected_feed_for_all_three_parsers(client: FlaskClient,
                                                                        moved: dict[str, str]) -> None:
    bodies = {who: client.get(f"/feeds/{token}.ics").data for who, token in moved.items()}
    for who in ("pat", "ana", "room 2", "center"):
        assert b"RECURRENCE-ID;TZID=Europe/Madrid:20270125T090000" in bodies[who], who
    moved_art1 = (MOVED_START, "Room 2")
    art2 = (MOVED_START, "Room 1")  # Ben's art-2 meets in Room 1 at 11:00 every Monday
    # What each reader has on that Monday: never art-1 at 9:00 in Room 1 any more.
    expected = {"pat": {moved_art1}, "ana": {moved_art1}, "room 1": {art2}, "room 2": {moved_art1},
                "center": {moved_art1, art2}}

    def room(location: str) -> str:
        return location.split(",")[0]

    # recurring-ical-events over icalendar
    for who, body in bodies.items():
        seen = {(e["DTSTART"].dt, room(str(e["LOCATION"]))) for e in recurring_ical_events.of(
            icalendar.Calendar.from_ical(body)).between(dt.date(2027, 1, 25), dt.date(2027, 1, 26))}
        assert seen == expected[who], who
    # the strict parser
    for who, body in bodies.items():
        calendar = IcsCalendarStream.calendar_from_ics(body.decode())
        seen = {(e.dtstart, room(e.location or "")) for e in calendar.timeline_tz(MADRID).overlapping(
            dt.datetime(2027, 1, 25, tzinfo=MADRID), dt.datetime(2027, 1, 26, tzinfo=MADRID))}
        assert seen == expected[who], who
    # ical.js, Thunderbird's parser (both ends of the range inclusive)
    for who, found in icaljs.expand(bodies, dt.date(2027, 1, 25), dt.date(2027, 1, 25)).items():
        seen = {(icaljs.utc(o), room(o["location"])) for o in found}
        assert seen == {(start.astimezone(dt.UTC), place) for start, place in expected[who]}, who


def test_the_coordinator_moves_a_meeting_after_a_confirmation_and_people_are_told(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    with app.app_context():
        current = published_center()
        cid = current.center_id
    make_coordinator("coord@example.org", "Swaps")
    sign_in(client, "coord@example.org")
    overview = client.get(f"/centers/{cid}/swaps/").get_data(as_text=True)
    assert "Move or cancel one meeting" in overview and 'value="art-1 MO-0900"' in overview
    meeting = {"group": "art-1", "slot": "MO-0900", "date": "2027-01-25"}
    form = client.get(f"/centers/{cid}/meetings/move", query_string={"series": "art-1 MO-0900",
                                                                      "date": "2027-01-25"})
    assert form.status_code == 200 and 'value="09:00"' in form.get_data(as_text=True)

    clash = client.post(f"/centers/{cid}/meetings/move", data={**meeting, "room": "r1", "start": "11:00",
                                                                "end": "12:30", "step": "check"})
    assert clash.status_code == 200 and "Room 1 is taken then by Art group, group 2" in clash.get_data(as_text=True)
    bad = client.post(f"/centers/{cid}/meetings/move", data={**meeting, "room": "r2", "start": "25:99",
                                                              "end": "12:30", "step": "confirm"})
    assert bad.status_code == 200 and "Starts at" in bad.get_data(as_text=True)
    for typed, says in (("9.30", "Write the time as HH:MM, for example 09:30."), ("", "Enter a time.")):
        answer = client.post(f"/centers/{cid}/meetings/move", data={**meeting, "room": "r2", "start": typed,
                                                                     "end": "12:30", "step": "confirm"})
        text = html.unescape(answer.get_data(as_text=True))
        assert answer.status_code == 200 and f"Starts at: {says}" in text, typed
        assert "This field is required" not in text and "Not a valid" not in text
    with app.app_context():
        assert db.session.scalars(select(MeetingOverride)).all() == []

    chosen = {**meeting, "room": "r2", "start": "11:00", "end": "12:30"}
    ask = client.post(f"/centers/{cid}/meetings/move", data={**chosen, "step": "check"})
    text = ask.get_data(as_text=True)
    assert "Move this meeting?" in text and "Room 2" in text and 'name="step" value="confirm"' in text
    with app.app_context():
        assert db.session.scalars(select(MeetingOverride)).all() == []  # nothing yet
    done = client.post(f"/centers/{cid}/meetings/move", data={**chosen, "step": "confirm"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(MeetingOverride)).one().room_code == "r2"
        told = {m.to_email: m for m in db.session.scalars(select(OutboxMessage))}
    assert {"p1@example.org", "canary@example.org", "ana@example.org"} <= set(told)
    assert "ben@example.org" not in told
    body = told["p1@example.org"].body
    assert "11:00" in body and "12:30" in body and "Room 2" in body and "Room 1" in body
