"""Every person's feed of the demo center, read by two independent parsers over the whole term,
holds exactly their meetings: the right local hour across the daylight-saving change, no meeting on
a holiday, a covered date with the new facilitator, a cancelled date gone, nobody else's name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from flask import Flask
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, Facilitator, Participant, ScheduleVersion, VersionStatus
from scheduler.services import feed_content, feed_tokens, swaps
from scheduler.services.cover import eligible_colleagues
from scheduler.services.editing import current_scenario
from scheduler.services.scenarios import import_scenario
from scheduler.services.term import MeetingKey, term_state
from solver import load_scenario
from solver.greedy import greedy_schedule

DEMO = "scheduler/demo/demo-center.json"


@pytest.fixture
def demo(app_ctx: Flask) -> Iterator[ScheduleVersion]:
    from solver import read_scenario_file

    center = import_scenario(read_scenario_file(DEMO))
    db.session.flush()
    scenario = load_scenario(current_scenario(center))
    schedule = greedy_schedule(scenario)
    assert schedule is not None and schedule.groups
    version = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                              published_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), solver_status="FEASIBLE",
                              scenario=scenario.to_dict(), schedule=schedule.to_dict())
    db.session.add(version)
    db.session.commit()
    yield version


def occurrences(body: bytes, zone: ZoneInfo, start: dt.date, end: dt.date) -> tuple[set, set]:
    """(start, summary, description) of every occurrence, by recurring-ical-events and by ``ical``."""
    calendar = icalendar.Calendar.from_ical(body)
    first = {(e["DTSTART"].dt.astimezone(dt.UTC), str(e["SUMMARY"]), str(e.get("DESCRIPTION", "")))
             for e in recurring_ical_events.of(calendar).between(start, end + dt.timedelta(days=1))}
    strict = IcsCalendarStream.calendar_from_ics(body.decode())
    second = {(e.dtstart.astimezone(dt.UTC), e.summary, e.description or "")
              for e in strict.timeline_tz(zone).overlapping(dt.datetime.combine(start, dt.time(0), zone),
                                                            dt.datetime.combine(end, dt.time(23, 59), zone))}
    return first, second


def test_every_feed_of_the_demo_center_expands_to_exactly_its_meetings(demo: ScheduleVersion) -> None:
    center = db.session.get(Center, demo.center_id)
    assert center is not None
    zone = ZoneInfo(center.timezone)
    # A change of each kind before reading: one date covered by a colleague, one date cancelled.
    state = term_state(demo)
    led = [m for m in state.meetings if m.facilitators]
    giver = db.session.scalar(select(Facilitator).where(Facilitator.center_id == center.id,
                                                        Facilitator.code == led[0].facilitators[0]))
    assert giver is not None
    key = MeetingKey.of(led[0])
    taker = next(c.facilitator for c in eligible_colleagues(state, giver, [key]))
    request = swaps.request_swap(demo, giver, [key], now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    swaps.accept(request, taker, now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    cancelled = MeetingKey.of(next(m for m in led if MeetingKey.of(m) != key and m.group_id != key.group))
    swaps.cancel_meeting(demo, cancelled, None, now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))  # type: ignore[arg-type]
    db.session.commit()

    state = term_state(demo)
    labels = {a.code: a.calendar_label or a.name for a in center.activities}
    other_names = {p.name for p in center.participants}
    checked = 0
    for person in [*center.participants, *center.facilitators]:
        body = feed_content.feed_for(feed_tokens.resolve(feed_tokens.issue(person)))  # type: ignore[arg-type]
        if isinstance(person, Participant):
            mine = [m for m in state.meetings if person.code in m.members and not m.cancelled]
            for name in other_names - {person.name}:
                assert name not in body.body.decode(), f"{name} appears in {person.name}'s feed"
        else:
            mine = [m for m in state.meetings if person.code in m.facilitators and not m.cancelled]
        want = {dt.datetime.combine(m.date, m.start, zone).astimezone(dt.UTC) for m in mine}
        first, second = occurrences(body.body, zone, center.term_start, center.term_end)
        assert {o[0] for o in first} == want, person.name
        assert {o[0] for o in second} == want, person.name
        if isinstance(person, Participant):
            assert {o[1] for o in first} <= set(labels.values())
        checked += 1
    assert checked == len(center.participants) + len(center.facilitators)

    # The covered date shows the new facilitator to its members; the cancelled date is gone for all.
    member = next(p for p in center.participants if p.code in state.by_key[key].members)
    body = feed_content.feed_for(feed_tokens.resolve(feed_tokens.token_for(member)))  # type: ignore[arg-type]
    first, _second = occurrences(body.body, zone, center.term_start, center.term_end)
    when = dt.datetime.combine(key.date, state.by_key[key].start, zone).astimezone(dt.UTC)
    description = next(o[2] for o in first if o[0] == when)
    assert taker.name.split()[0] in description
    holidays = {h.date for h in center.holidays}
    assert not any(o[0].astimezone(zone).date() in holidays for o in first)
