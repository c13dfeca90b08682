"""Meetings: a published version expanded into dated sessions (a group on one date).

A group meets in each of its weekly slots on every such weekday from the term's start to its end
(both inclusive), except on holidays. Per-date changes (a cancellation, another facilitator, another
room) arrive as :class:`MeetingChange` values; issue 7 will store them, the feeds render them.
Everything here works on the version's ``scenario`` and ``schedule`` snapshots, so it is pure and
deterministic (no database, no clock)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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


def _parse_time(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def slot_dates(scenario: Mapping[str, Any], day: str) -> list[dt.date]:
    """Every date of the term falling on ``day`` (``MO``..``SU``), holidays left out."""
    center = scenario["center"]
    start = dt.date.fromisoformat(center["term_start"])
    end = dt.date.fromisoformat(center["term_end"])
    holidays = {dt.date.fromisoformat(h) for h in center.get("holidays", [])}
    first = start + dt.timedelta(days=(WEEKDAYS.index(day) - start.weekday()) % 7)
    dates = []
    current = first
    while current <= end:
        if current not in holidays:
            dates.append(current)
        current += dt.timedelta(days=7)
    return dates


def expand(scenario: Mapping[str, Any], schedule: Mapping[str, Any],
           changes: Iterable[MeetingChange] = ()) -> list[Meeting]:
    """All meetings of the schedule over the term, in date and time order, with ``changes`` applied.

    A cancelled meeting is kept with ``cancelled=True`` so renderers can exclude it explicitly.
    A change for a date on which the group does not meet is an error, not silently ignored."""
    slots = {slot["id"]: slot for slot in scenario["slots"]}
    by_key = {(c.group_id, c.slot_id, c.date): c for c in changes}
    meetings: list[Meeting] = []
    used: set[tuple[str, str, dt.date]] = set()
    for group in schedule.get("groups", []):
        for slot_id in group["sessions"]:
            slot = slots[slot_id]
            for date in slot_dates(scenario, slot["day"]):
                change = by_key.get((group["id"], slot_id, date))
                room = group["room"]
                facilitators = tuple(group["facilitators"])
                if change is not None:
                    used.add((group["id"], slot_id, date))
                    room = change.room or room
                    facilitators = change.facilitators if change.facilitators is not None else facilitators
                meetings.append(Meeting(
                    group_id=group["id"], activity_id=group["activity"], slot_id=slot_id, date=date,
                    start=_parse_time(slot["start"]), end=_parse_time(slot["end"]), room=room,
                    facilitators=facilitators, members=tuple(group["members"]),
                    cancelled=bool(change and change.cancelled), change=change,
                ))
    unknown = sorted(set(by_key) - used)
    if unknown:
        group_id, slot_id, date = unknown[0]
        raise ValueError(f"Group {group_id} does not meet in slot {slot_id} on {date.isoformat()}")
    meetings.sort(key=lambda m: (m.date, m.start, m.group_id))
    return meetings
