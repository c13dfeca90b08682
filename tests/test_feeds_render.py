"""Feeds read back as calendar apps would: icalendar, recurring-ical-events and the strict ical parser."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from ical.calendar_stream import IcsCalendarStream

from scheduler.services.feeds import EventText, render, vtimezone
from scheduler.services.meetings import Meeting, MeetingChange, expand
from tests.test_feeds_meetings import SCENARIO, SCHEDULE

MADRID = ZoneInfo("Europe/Madrid")
STAMP = dt.datetime(2027, 1, 1, 12, 0, tzinfo=dt.UTC)
CHANGES = [
    MeetingChange("g1", "MO-0900", dt.date(2027, 3, 29), cancelled=True),
    MeetingChange("g1", "WE-1700", dt.date(2027, 3, 3), facilitators=("f2",), room="r2"),
]


def text(meeting: Meeting) -> EventText:
    return EventText("Choir", meeting.room, " ".join(meeting.facilitators))


def feed() -> bytes:
    return render(center_id=7, name="North", tzid="Europe/Madrid", term_start=dt.date(2027, 1, 11),
                  term_end=dt.date(2027, 4, 5), meetings=expand(SCENARIO, SCHEDULE, CHANGES), text=text,
                  stamp=STAMP)


def expected() -> dict[dt.datetime, str]:
    return {dt.datetime.combine(m.date, m.start, MADRID): m.room
            for m in expand(SCENARIO, SCHEDULE, CHANGES) if not m.cancelled}


def test_envelope_and_determinism() -> None:
    body = feed()
    assert body == feed()
    assert b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    for line in (b"METHOD:PUBLISH", b"X-WR-CALNAME:North", b"REFRESH-INTERVAL;VALUE=DURATION:PT1H",
                 b"X-PUBLISHED-TTL:PT1H", b"X-WR-TIMEZONE:Europe/Madrid"):
        assert line in body.split(b"\r\n")
    assert b"UNTIL=20270405T215959Z" in body
    assert b"EXDATE;TZID=Europe/Madrid:20270224T170000" in body
    assert b"EXDATE;TZID=Europe/Madrid:20270329T090000" in body


def test_recurring_ical_events_expands_exactly_the_meetings() -> None:
    cal = icalendar.Calendar.from_ical(feed())
    got = {e["DTSTART"].dt: str(e["LOCATION"])
           for e in recurring_ical_events.of(cal).between(dt.date(2027, 1, 1), dt.date(2027, 5, 1))}
    assert got == expected()
    # Local hour on both sides of the 2027-03-28 change.
    assert got[dt.datetime(2027, 3, 22, 9, tzinfo=MADRID)] == "r1"
    assert dt.datetime(2027, 4, 5, 9, tzinfo=MADRID).utcoffset() == dt.timedelta(hours=2)
    assert dt.datetime(2027, 4, 5, 9, tzinfo=MADRID) in got


def test_strict_ical_parser_expands_exactly_the_meetings() -> None:
    calendar = IcsCalendarStream.calendar_from_ics(feed().decode())
    got = {}
    for event in calendar.timeline_tz(MADRID).overlapping(
            dt.datetime(2027, 1, 1, tzinfo=MADRID), dt.datetime(2027, 5, 1, tzinfo=MADRID)):
        got[event.dtstart] = event.location
    assert {k.astimezone(dt.UTC): v for k, v in got.items()} == {
        k.astimezone(dt.UTC): v for k, v in expected().items()}


def test_vtimezone_matches_zoneinfo_for_every_meeting() -> None:
    tz = vtimezone("Europe/Madrid", 2027)
    assert len(tz.standard) == 1 and len(tz.daylight) == 1
    zone = tz.to_tz()
    for meeting in expand(SCENARIO, SCHEDULE):
        local = dt.datetime.combine(meeting.date, meeting.start)
        assert local.replace(tzinfo=zone).utcoffset() == local.replace(tzinfo=MADRID).utcoffset()
