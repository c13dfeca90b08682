"""Every feed of the demo center (each participant, each facilitator, the whole center, each group and
each room), read by three independent parsers over the whole term, holds exactly its meetings: the
right local hour on both sides of the daylight-saving change, no meeting on a holiday, a covered date
with the new facilitator, a cancelled date gone. Every participant carries a unique canary name, and
no feed names anyone it should not; a sensitive activity shows only its discreet label."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from flask import Flask
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Activity, Center, Facilitator, ScheduleVersion, VersionStatus
from scheduler.services import feed_content, feed_tokens, swaps
from scheduler.services import feeds as feeds_module
from scheduler.services.cover import eligible_colleagues
from scheduler.services.editing import current_scenario
from scheduler.services.meetings import Meeting
from scheduler.services.scenarios import import_scenario
from scheduler.services.term import MeetingKey, TermState, term_state
from solver import load_scenario
from solver.greedy import greedy_schedule
from tests import icaljs

DEMO = Path("scheduler/demo/demo-center.json")
DISCREET = "Thursday group"


@pytest.fixture
def demo(app_ctx: Flask) -> Iterator[ScheduleVersion]:
    """The demo center, with a unique canary name for every participant (random, so no name is part of
    another, as "Participant 1" is of "Participant 10"), a unique first name for every facilitator
    (so the covered date's facilitator can be told apart), and a discreet label on one activity."""
    raw = json.loads(DEMO.read_text())
    for participant in raw["participants"]:
        participant["name"] = f"Zq{secrets.token_hex(5)} Kw{secrets.token_hex(5)}"
    for facilitator in raw["facilitators"]:
        facilitator["name"] = f"Lead{secrets.token_hex(3)} Example"
    scenario = load_scenario(raw)
    center = import_scenario(scenario)
    db.session.flush()
    scenario = load_scenario(current_scenario(center))
    schedule = greedy_schedule(scenario)
    assert schedule is not None and schedule.groups
    activity = db.session.scalar(select(Activity).where(Activity.center_id == center.id,
                                                        Activity.code == schedule.groups[0].activity))
    assert activity is not None
    activity.calendar_label = DISCREET
    version = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                              published_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), solver_status="FEASIBLE",
                              scenario=scenario.to_dict(), schedule=schedule.to_dict())
    db.session.add(version)
    db.session.commit()
    yield version


@dataclass(frozen=True)
class Changes:
    covered: MeetingKey
    giver: Facilitator
    taker: Facilitator
    cancelled: MeetingKey


def change_two_dates(version: ScheduleVersion, center: Center) -> Changes:
    """One date covered by a colleague, one date (of another group) cancelled."""
    state = term_state(version)
    led = [m for m in state.meetings if m.facilitators]
    giver = db.session.scalar(select(Facilitator).where(Facilitator.center_id == center.id,
                                                        Facilitator.code == led[0].facilitators[0]))
    assert giver is not None
    covered = MeetingKey.of(led[0])
    taker = next(c.facilitator for c in eligible_colleagues(state, giver, [covered]))
    request = swaps.request_swap(version, giver, [covered], now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    swaps.accept(request, taker, now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    cancelled = MeetingKey.of(next(m for m in led if m.group_id != covered.group))
    swaps.cancel_meeting(version, cancelled, None, now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))  # type: ignore[arg-type]
    db.session.commit()
    return Changes(covered, giver, taker, cancelled)


@dataclass(frozen=True)
class Feed:
    kind: str  # participant, facilitator, center, group, room
    subject: str | None  # the person's, group's or room's code
    token: str


def every_feed(center: Center, version: ScheduleVersion) -> dict[str, Feed]:
    feeds = {f"participant:{p.code}": Feed("participant", p.code, feed_tokens.issue(p)) for p in center.participants}
    feeds |= {f"facilitator:{f.code}": Feed("facilitator", f.code, feed_tokens.issue(f)) for f in center.facilitators}
    feeds["center"] = Feed("center", None, feed_tokens.issue_scoped(center.id, "center", None))
    for group in version.schedule["groups"]:
        feeds[f"group:{group['id']}"] = Feed("group", group["id"],
                                            feed_tokens.issue_scoped(center.id, "group", group["id"]))
    for room in center.rooms:
        feeds[f"room:{room.code}"] = Feed("room", room.code, feed_tokens.issue_scoped(center.id, "room", room.code))
    db.session.commit()
    return feeds


def shows(feed: Feed, meeting: Meeting) -> bool:
    """Whether the feed should hold this meeting: the schedule, read independently of the feed code."""
    if meeting.cancelled:
        return False
    return {"participant": lambda: feed.subject in meeting.members,
            "facilitator": lambda: feed.subject in meeting.facilitators,
            "center": lambda: True,
            "group": lambda: meeting.group_id == feed.subject,
            "room": lambda: meeting.room == feed.subject}[feed.kind]()


def body_of(feed: Feed) -> bytes:
    row = feed_tokens.resolve(feed.token)
    assert row is not None
    return feed_content.feed_for(row).body


def unfolded(body: bytes) -> str:
    # A name may be split across a folded line; search what a parser reads.
    return body.decode().replace("\r\n ", "").replace("\\,", ",")


Occurrence = tuple[dt.datetime, str, str]  # UTC start, summary, description


def by_python_parsers(body: bytes, zone: ZoneInfo, start: dt.date, end: dt.date) -> dict[str, list[Occurrence]]:
    calendar = icalendar.Calendar.from_ical(body)
    first = [(e["DTSTART"].dt.astimezone(dt.UTC), str(e["SUMMARY"]), str(e.get("DESCRIPTION", "")))
             for e in recurring_ical_events.of(calendar).between(start, end + dt.timedelta(days=1))]
    strict = IcsCalendarStream.calendar_from_ics(body.decode())
    second = [(e.dtstart.astimezone(dt.UTC), e.summary or "", e.description or "")
              for e in strict.timeline_tz(zone).overlapping(dt.datetime.combine(start, dt.time(0), zone),
                                                            dt.datetime.combine(end, dt.time(23, 59), zone))]
    return {"recurring-ical-events": first, "ical": second}


def read_all(bodies: dict[str, bytes], center: Center) -> dict[str, dict[str, list[Occurrence]]]:
    """Per feed, per parser: every occurrence of the term."""
    zone = ZoneInfo(center.timezone)
    result = {key: by_python_parsers(body, zone, center.term_start, center.term_end) for key, body in bodies.items()}
    for key, found in icaljs.expand(bodies, center.term_start, center.term_end).items():
        result[key]["ical.js"] = [(icaljs.utc(o), o["summary"], o["description"]) for o in found]
        # ical.js's own local reading, not only the instant: the wall-clock hour of the slot.
        for o in found:
            assert o["zone"] == center.timezone, (key, o)
    return result


def leader_first_name(state: TermState, code: str) -> str:
    return state.facilitator_name(code).split()[0]


def test_every_feed_of_the_demo_center_expands_to_exactly_its_meetings(demo: ScheduleVersion) -> None:
    center = db.session.get(Center, demo.center_id)
    assert center is not None
    zone = ZoneInfo(center.timezone)
    changes = change_two_dates(demo, center)
    state = term_state(demo)
    feeds = every_feed(center, demo)
    assert len(feeds) == len(center.participants) + len(center.facilitators) + 1 + len(demo.schedule["groups"]) \
        + len(center.rooms)
    bodies = {key: body_of(feed) for key, feed in feeds.items()}
    read = read_all(bodies, center)
    labels = {a.code: a.calendar_label or a.name for a in center.activities}

    for key, feed in feeds.items():
        # Each meeting once (two groups may meet at the same hour), at its slot's local hour, under
        # its activity's calendar label.
        want = sorted((dt.datetime.combine(m.date, m.start, zone).astimezone(dt.UTC), labels[m.activity_id])
                      for m in state.meetings if shows(feed, m))
        assert want or feed.kind != "group", key  # a group meets; a person or a room may have nothing
        for parser, found in read[key].items():
            assert sorted((o[0], o[1]) for o in found) == want, f"{parser} reads {key} wrong"

    # The term crosses the change to summer time, and the hour stays put on both sides of it.
    whole = {o[0] for o in read["center"]["ical.js"]}
    assert {s.astimezone(zone).utcoffset() for s in whole} == {dt.timedelta(hours=1), dt.timedelta(hours=2)}
    holidays = {h.date for h in center.holidays}
    assert holidays and not any(s.astimezone(zone).date() in holidays for s in whole)
    # The cancelled date is gone from its group's feed in every parser; in the center's feed only the
    # other groups meeting at that hour (two groups may share a slot in different rooms) remain.
    cancelled = state.by_key[changes.cancelled]
    gone = dt.datetime.combine(cancelled.date, cancelled.start, zone).astimezone(dt.UTC)
    assert cancelled.cancelled
    for parser, found in read[f"group:{cancelled.group_id}"].items():
        assert gone not in {o[0] for o in found}, parser
    others = [m for m in state.meetings if not m.cancelled and m.date == cancelled.date and m.start == cancelled.start]
    assert [o[0] for o in read["center"]["ical.js"]].count(gone) == len(others)

    # The covered date shows the new facilitator, in every parser, to its members and in its group's feed.
    covered = state.by_key[changes.covered]
    when = dt.datetime.combine(covered.date, covered.start, zone).astimezone(dt.UTC)
    taker, giver = changes.taker.name.split()[0], changes.giver.name.split()[0]
    readers = [f"participant:{code}" for code in covered.members] + [f"group:{covered.group_id}"]
    assert len(readers) > 1
    for key in readers:
        for parser, found in read[key].items():
            (description,) = [o[2] for o in found if o[0] == when]
            assert taker in description and giver not in description, (parser, key, description)
    other_date = next(m for m in state.meetings if m.group_id == covered.group_id and m.date != covered.date
                      and m.slot_id == covered.slot_id)
    other_when = dt.datetime.combine(other_date.date, other_date.start, zone).astimezone(dt.UTC)
    for parser, found in read[f"group:{covered.group_id}"].items():
        assert giver in next(o[2] for o in found if o[0] == other_when), parser
    # The taker sees the date among their own; the giver no longer does.
    assert when in {o[0] for o in read[f"facilitator:{changes.taker.code}"]["ical.js"]}
    assert when not in {o[0] for o in read[f"facilitator:{changes.giver.code}"]["ical.js"]}


def test_every_participants_canary_name_appears_in_no_feed_but_their_own(demo: ScheduleVersion) -> None:
    center = db.session.get(Center, demo.center_id)
    assert center is not None
    change_two_dates(demo, center)
    state = term_state(demo)
    feeds = every_feed(center, demo)
    texts = {key: unfolded(body_of(feed)) for key, feed in feeds.items()}
    participants = list(center.participants)
    assert len(participants) == 120

    def holders(word: str) -> set[str]:
        return {key for key, text in texts.items() if word in text}

    for p in participants:
        for part in (p.name, *p.name.split()):
            assert holders(part) <= {f"participant:{p.code}"}, f"{part} ({p.code}) leaks"
        assert holders(p.code) == set() or p.code.startswith("act")  # no participant id either
    # The sensitive activity: its label wherever it meets, never its name or its code.
    (sensitive,) = [a for a in center.activities if a.calendar_label]
    holding = {key for key, feed in feeds.items() if any(shows(feed, m) and m.activity_id == sensitive.code
                                                         for m in state.meetings)}
    assert holding and holders(DISCREET) == holding
    for word in (sensitive.name, f"{sensitive.code}-"):
        assert holders(word) == set(), word
    for text in texts.values():
        assert "ATTENDEE" not in text and "ORGANIZER" not in text

    # Where the center lets facilitators' calendars list their members' first names: exactly the
    # facilitators who lead that participant's groups see it, and nobody else.
    center.feeds_name_members = True
    db.session.commit()
    texts = {key: unfolded(body_of(feed)) for key, feed in feeds.items()}
    groups = demo.schedule["groups"]
    named = 0
    for p in participants:
        first = p.name.split()[0]
        leaders = {f"facilitator:{f}" for g in groups if p.code in g["members"] for f in g["facilitators"]}
        assert holders(first) == leaders, p.code
        assert holders(p.name.split()[1]) == set() and holders(p.name) == set()
        named += bool(leaders)
    assert named == len({code for g in groups for code in g["members"]}) > 80


def test_uids_name_no_activity_and_no_person(demo: ScheduleVersion) -> None:
    center = db.session.get(Center, demo.center_id)
    assert center is not None
    change_two_dates(demo, center)
    feeds = every_feed(center, demo)
    uids: set[str] = set()
    for feed in feeds.values():
        uids |= {str(e["UID"]) for e in icalendar.Calendar.from_ical(body_of(feed)).walk("VEVENT")}
    # 32 hex digits and the fixed domain: no room for a group's id ("act6-1"), an activity's code or a
    # person's; and the same series has the same UID in every feed that holds it.
    assert all(set(g["id"]) - set("0123456789abcdef") for g in demo.schedule["groups"])
    for uid in uids:
        local, _at, domain = uid.partition("@")
        assert len(local) == 32 and set(local) <= set("0123456789abcdef") and domain == feeds_module.UID_DOMAIN
    assert len(uids) > len(demo.schedule["groups"])  # one per series, plus the covered date's own event
