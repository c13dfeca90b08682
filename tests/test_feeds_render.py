"""Feeds read back as calendar apps would: icalendar, recurring-ical-events and the strict ical parser."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from ical.calendar_stream import IcsCalendarStream

from scheduler.services.feeds import EventText, render, vtimezone
from scheduler.services.meetings import Meeting, MeetingChange, expand
from solver.scenario import Center
from tests import icaljs
from tests.support.meetings import SCENARIO, SCHEDULE

MADRID = ZoneInfo("Europe/Madrid")
STAMP = dt.datetime(2027, 1, 1, 12, 0, tzinfo=dt.UTC)
CHANGES = [
    MeetingChange("g1", "MO-0900", dt.date(2027, 3, 29), cancelled=True),
    MeetingChange("g1", "WE-1700", dt.date(2027, 3, 3), facilitators=("f2",), room="r2"),
]


def text(meeting: Meeting) -> EventText:
    return EventText("Choir", meeting.room, " ".join(meeting.facilitators))


def feed() -> bytes:
    return render(center_id=7, uid_secret=b"render-test", name="North", tzid="Europe/Madrid",
                  term_start=dt.date(2027, 1, 11), term_end=dt.date(2027, 4, 5),
                  meetings=expand(SCENARIO, SCHEDULE, CHANGES), text=text, stamp=STAMP)


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


# Zones without daylight saving, southern-hemisphere ones (the change in April and in September or
# October), and Israel, whose spring change is "the Friday before the last Sunday" (2029: the 23rd,
# not the last Friday, the 30th). Each term crosses its zone's changes, if it has any.
ZONE_TERMS = [
    ("America/Bogota", dt.date(2027, 1, 11), dt.date(2027, 4, 5)),
    ("Asia/Tokyo", dt.date(2027, 1, 11), dt.date(2027, 4, 5)),
    ("America/Santiago", dt.date(2027, 3, 1), dt.date(2027, 6, 28)),
    ("America/Santiago", dt.date(2027, 8, 2), dt.date(2027, 11, 29)),
    ("Australia/Sydney", dt.date(2027, 3, 1), dt.date(2027, 6, 28)),
    ("Australia/Sydney", dt.date(2027, 8, 2), dt.date(2027, 12, 13)),
    ("Asia/Jerusalem", dt.date(2029, 3, 5), dt.date(2029, 4, 30)),
    ("Europe/Madrid", dt.date(2027, 9, 6), dt.date(2028, 4, 3)),  # a term across the new year
]


def zone_feed(tzid: str, start: dt.date, end: dt.date) -> tuple[bytes, list[Meeting]]:
    scenario = dataclasses.replace(SCENARIO, center=Center("North", tzid, start, end))
    meetings = expand(scenario, SCHEDULE)
    body = render(center_id=7, uid_secret=b"render-test", name="North", tzid=tzid, term_start=start,
                  term_end=end, meetings=meetings, text=text, stamp=STAMP)
    return body, meetings


@pytest.mark.parametrize(("tzid", "start", "end"), ZONE_TERMS)
def test_every_zone_has_a_vtimezone_strict_parsers_accept_with_zoneinfos_offsets(tzid: str, start: dt.date,
                                                                                  end: dt.date) -> None:
    zone = ZoneInfo(tzid)
    body, meetings = zone_feed(tzid, start, end)
    want = {dt.datetime.combine(m.date, m.start, zone).astimezone(dt.UTC) for m in meetings}
    changes = {dt.datetime.combine(m.date, m.start, zone).utcoffset() for m in meetings}

    (tz,) = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")
    assert len(tz.standard) == 1 and len(tz.daylight) == (1 if len(changes) > 1 else 0)
    vtz = tz.to_tz()
    for meeting in meetings:  # the VTIMEZONE alone gives zoneinfo's offset for every session
        local = dt.datetime.combine(meeting.date, meeting.start)
        assert local.replace(tzinfo=vtz).utcoffset() == local.replace(tzinfo=zone).utcoffset(), local

    strict = IcsCalendarStream.calendar_from_ics(body.decode())  # raises on a VTIMEZONE it rejects
    got = {e.dtstart.astimezone(dt.UTC) for e in strict.timeline_tz(zone).overlapping(
        dt.datetime.combine(start, dt.time(0), zone), dt.datetime.combine(end, dt.time(23, 59), zone))}
    assert got == want

    by_icaljs = icaljs.expand({"feed": body}, start, end)["feed"]
    assert {icaljs.utc(o) for o in by_icaljs} == want
    assert {o["zone"] for o in by_icaljs} == {tzid}


def test_a_zone_without_daylight_saving_gets_one_standard_block() -> None:
    for tzid, offset in (("America/Bogota", b"-0500"), ("Asia/Tokyo", b"+0900")):
        block = vtimezone(tzid, 2027).to_ical()
        assert block.count(b"BEGIN:STANDARD") == 1 and b"DAYLIGHT" not in block
        assert b"TZOFFSETFROM:" + offset in block and b"TZOFFSETTO:" + offset in block


def test_yearly_rules_follow_tzdata() -> None:
    """The onset's weekday is the rule's: Santiago changes at midnight starting a Sunday, not on the
    Saturday the clock shows after falling back."""
    santiago = vtimezone("America/Santiago", 2027).to_ical()
    assert b"BYDAY=SU;BYMONTHDAY=2,3,4,5,6,7,8;BYMONTH=4" in santiago and b"SA" not in santiago
    jerusalem = vtimezone("Asia/Jerusalem", 2029).to_ical()
    assert b"BYDAY=FR;BYMONTHDAY=23,24,25,26,27,28,29;BYMONTH=3" in jerusalem
    assert b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in vtimezone("Europe/Madrid", 2027).to_ical()
