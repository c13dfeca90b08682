"""Meetings: a published schedule expanded over the term, with per-date changes."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.services.meetings import MeetingChange, expand, slot_dates
from tests.support.meetings import SCENARIO, SCHEDULE


def test_term_dates_inclusive_and_without_holidays() -> None:
    mondays = slot_dates(SCENARIO.center, 0)
    assert mondays[0] == dt.date(2027, 1, 11) and mondays[-1] == dt.date(2027, 4, 5)
    assert len(mondays) == 13
    wednesdays = slot_dates(SCENARIO.center, 2)
    assert dt.date(2027, 2, 24) not in wednesdays
    assert wednesdays[0] == dt.date(2027, 1, 13) and wednesdays[-1] == dt.date(2027, 3, 31)
    assert len(wednesdays) == 11


def test_expand_applies_changes() -> None:
    changes = [
        MeetingChange("g1", "MO-0900", dt.date(2027, 3, 29), cancelled=True),
        MeetingChange("g1", "WE-1700", dt.date(2027, 3, 3), facilitators=("f2",), room="r2"),
    ]
    meetings = expand(SCENARIO, SCHEDULE, changes)
    assert len(meetings) == 24
    assert meetings == sorted(meetings, key=lambda m: (m.date, m.start))
    by_date = {m.date: m for m in meetings}
    assert by_date[dt.date(2027, 3, 29)].cancelled
    swapped = by_date[dt.date(2027, 3, 3)]
    assert (swapped.facilitators, swapped.room, swapped.cancelled) == (("f2",), "r2", False)
    assert by_date[dt.date(2027, 3, 10)].facilitators == ("f1",)
    assert by_date[dt.date(2027, 3, 10)].start == dt.time(17, 0)


def test_change_on_a_date_without_meeting_is_refused() -> None:
    with pytest.raises(ValueError, match="does not meet in slot WE-1700 on 2027-02-24"):
        expand(SCENARIO, SCHEDULE, [MeetingChange("g1", "WE-1700", dt.date(2027, 2, 24), cancelled=True)])


def test_a_date_moved_to_another_time_keeps_its_slots_times_for_the_series() -> None:
    moved = MeetingChange("g1", "WE-1700", dt.date(2027, 3, 3), room="r2", start=dt.time(11), end=dt.time(12, 30))
    by_date = {m.date: m for m in expand(SCENARIO, SCHEDULE, [moved])}
    one = by_date[dt.date(2027, 3, 3)]
    assert (one.start, one.end, one.room, one.moved) == (dt.time(11), dt.time(12, 30), "r2", True)
    assert (one.usual_start, one.usual_end) == (dt.time(17), dt.time(18, 30))
    assert not by_date[dt.date(2027, 3, 10)].moved and by_date[dt.date(2027, 3, 10)].start == dt.time(17)
