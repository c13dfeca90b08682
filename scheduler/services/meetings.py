"""Meetings: a published version expanded into dated sessions (a group on one date).

A group meets in each of its weekly slots on every such weekday from the term's start to its end
(both inclusive), except on holidays. Per-date changes (a cancellation, another facilitator, another
room or time on that same day) arrive as :class:`MeetingChange` values. Everything here works on the
version's typed scenario and schedule, so it is pure and deterministic (no database, no clock)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from solver.scenario import Center, Scenario
from solver.schedule import Schedule

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class MeetingChange:
    """One date of one group's slot that differs from the weekly pattern."""

    group_id: str
    slot_id: str
    date: dt.date
    cancelled: bool = False
    room: str | None = None                     # room id; None keeps the group's room
    facilitators: tuple[str, ...] | None = None  # facilitator ids; None keeps the group's
    start: dt.time | None = None                 # another time that same day; None keeps the slot's
    end: dt.time | None = None
    sequence: int = 1
    changed_at: dt.datetime | None = None       # UTC


@dataclass(frozen=True, slots=True)
class Meeting:
    """A group on one date, at a local wall-clock time of the center's time zone."""

    group_id: str
    activity_id: str
    slot_id: str
    date: dt.date
    start: dt.time
    end: dt.time
    room: str
    facilitators: tuple[str, ...]
    members: tuple[str, ...]
    cancelled: bool = False
    change: MeetingChange | None = None
    # The slot's own times: a weekly series and its RECURRENCE-IDs keep them when one date moves.
    usual_start: dt.time | None = None
    usual_end: dt.time | None = None

    @property
    def moved(self) -> bool:
        """This date takes place at another time than its weekly slot."""
        return self.usual_start is not None and (self.start, self.end) != (self.usual_start, self.usual_end)


def _clock(minutes: int) -> dt.time:
    """Minutes after local midnight (the scenario's unit) as a wall-clock time; 24:00 reads 23:59."""
    return dt.time(*divmod(min(minutes, 24 * 60 - 1), 60))


def slot_dates(center: Center, day: int) -> list[dt.date]:
    """Every date of the term falling on ``day`` (0 = Monday .. 6 = Sunday), holidays left out."""
    holidays = set(center.holidays)
    first = center.term_start + dt.timedelta(days=(day - center.term_start.weekday()) % 7)
    dates = []
    current = first
    while current <= center.term_end:
        if current not in holidays:
            dates.append(current)
        current += dt.timedelta(days=7)
    return dates


def expand(scenario: Scenario, schedule: Schedule, changes: Iterable[MeetingChange] = ()) -> list[Meeting]:
    """All meetings of the schedule over the term, in date and time order, with ``changes`` applied.

    A cancelled meeting is kept with ``cancelled=True`` so renderers can exclude it explicitly.
    A change for a date on which the group does not meet is an error, not silently ignored."""
    by_key = {(c.group_id, c.slot_id, c.date): c for c in changes}
    meetings: list[Meeting] = []
    used: set[tuple[str, str, dt.date]] = set()
    for group in schedule.groups:
        for slot_id in group.sessions:
            slot = scenario.slot(slot_id)
            usual_start, usual_end = _clock(slot.start), _clock(slot.end)
            for date in slot_dates(scenario.center, slot.day):
                change = by_key.get((group.id, slot_id, date))
                room, facilitators = group.room, tuple(group.facilitators)
                start, end = usual_start, usual_end
                if change is not None:
                    used.add((group.id, slot_id, date))
                    room = change.room or room
                    facilitators = change.facilitators if change.facilitators is not None else facilitators
                    start, end = change.start or start, change.end or end
                meetings.append(Meeting(
                    group_id=group.id, activity_id=group.activity, slot_id=slot_id, date=date,
                    start=start, end=end, room=room, facilitators=facilitators, members=tuple(group.members),
                    cancelled=bool(change and change.cancelled), change=change,
                    usual_start=usual_start, usual_end=usual_end,
                ))
    unknown = sorted(set(by_key) - used)
    if unknown:
        group_id, slot_id, date = unknown[0]
        raise ValueError(f"Group {group_id} does not meet in slot {slot_id} on {date.isoformat()}")
    meetings.sort(key=lambda m: (m.date, m.start, m.group_id))
    return meetings
