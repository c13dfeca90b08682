"""Meetings: a published schedule expanded over the term, with per-date changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from scheduler.services.meetings import MeetingChange, expand, slot_dates

SCENARIO: dict[str, Any] = {
    "center": {"name": "North", "timezone": "Europe/Madrid", "term_start": "2027-01-11",
               "term_end": "2027-04-05", "holidays": ["2027-02-24"]},
    "slots": [{"id": "MO-0900", "day": "MO", "start": "09:00", "end": "10:30"},
              {"id": "WE-1700", "day": "WE", "start": "17:00", "end": "18:30"}],
}
SCHEDULE: dict[str, Any] = {
    "groups": [{"id": "g1", "activity": "choir", "sessions": ["MO-0900", "WE-1700"], "room": "r1",
                "facilitators": ["f1"], "members": ["p1", "p2"]}],
}


def test_term_dates_inclusive_and_without_holidays() -> None:
    mondays = slot_dates(SCENARIO, "MO")
    assert mondays[0] == dt.date(2027, 1, 11) and mondays[-1] == dt.date(2027, 4, 5)
    assert len(mondays) == 13
    wednesdays = slot_dates(SCENARIO, "WE")
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
