"""Calendar feeds (RFC 5545) rendered from meetings; the only module that imports icalendar.

Rules: ``../shared/spec/feeds.md``. Each group slot is one weekly series with local times in the
center's TZID, ``RRULE:FREQ=WEEKLY;BYDAY=..;UNTIL=<UTC>``, and ``EXDATE`` for holidays and
cancelled dates. A cancelled date is an EXDATE in every feed holding the series, not an override
with STATUS:CANCELLED: the issue text mentions the latter, but feeds.md says clients disagree on it,
and the spec is the stricter common ground. A date with another room or facilitator is an override
with the series' UID and a RECURRENCE-ID. A facilitator who takes over one date of another group
gets a standalone event with its own UID. Each series carries the SEQUENCE and LAST-MODIFIED of its
last real change (see ``feed_content``), so untouched series keep theirs across publishes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vDuration, vRecur

from scheduler.services.meetings import WEEKDAYS, Meeting

PRODID = "-//Group sociotherapy scheduler//Feeds 1//EN"
UID_DOMAIN = "feeds.sociotherapy-scheduler.invalid"
REFRESH = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class EventText:
    summary: str
    location: str
    description: str


def series_uid(center_id: int, group_id: str, slot_id: str) -> str:
    """Stable across requests and publishes; ids only, no personal data."""
    return f"{center_id}-{group_id}-{slot_id}@{UID_DOMAIN}"


def cover_uid(center_id: int, meeting: Meeting) -> str:
    """A facilitator's standalone event for one date they took over from a colleague."""
    return f"{center_id}-{meeting.group_id}-{meeting.slot_id}-{meeting.date:%Y%m%d}-cover@{UID_DOMAIN}"


@dataclass(frozen=True, slots=True)
class Revision:
    sequence: int
    modified: dt.datetime  # UTC; also the DTSTAMP, so unchanged feeds are byte-identical


def _rule(transition: dt.date) -> vRecur:
    weekday = WEEKDAYS[transition.weekday()]
    last = (transition + dt.timedelta(days=7)).month != transition.month
    nth = -1 if last else (transition.day - 1) // 7 + 1
    return vRecur({"FREQ": "YEARLY", "BYMONTH": transition.month, "BYDAY": f"{nth}{weekday}"})


def vtimezone(tzid: str, year: int) -> Timezone:
    """One STANDARD and one DAYLIGHT block as yearly rules, read from zoneinfo's transitions of ``year``."""
    zone = ZoneInfo(tzid)
    component = Timezone()
    component.add("TZID", tzid)
    hour = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    previous = hour.astimezone(zone).utcoffset()
    for _ in range(366 * 24):
        hour += dt.timedelta(hours=1)
        local = hour.astimezone(zone)
        offset = local.utcoffset()
        if offset != previous:
            assert previous is not None and offset is not None
            block = TimezoneDaylight() if local.dst() else TimezoneStandard()
            # DTSTART of a block is the local time before the change, as RFC 5545 examples show.
            block.add("DTSTART", (hour + previous).replace(tzinfo=None))
            block.add("TZOFFSETFROM", previous)
            block.add("TZOFFSETTO", offset)
            block.add("TZNAME", local.tzname())
            block.add("RRULE", _rule(local.date()))
            component.add_component(block)
            previous = offset
    return component


def render(*, center_id: int, name: str, tzid: str, term_start: dt.date, term_end: dt.date,
           meetings: Iterable[Meeting], text: Callable[[Meeting], EventText], stamp: dt.datetime,
           revisions: Mapping[str, Revision] | None = None, standalone: Iterable[Meeting] = ()) -> bytes:
    """One calendar holding the weekly series of every (group, slot) among ``meetings``, then one
    standalone event per meeting in ``standalone``.

    ``meetings`` are the dates of those series this feed's reader attends (cancelled ones included);
    every other weekly date of a series becomes an EXDATE. ``revisions`` gives each series UID its
    SEQUENCE and LAST-MODIFIED; without one, a series has ``stamp`` and no SEQUENCE."""
    revisions = revisions or {}
    zone = ZoneInfo(tzid)
    cal = Calendar()
    for key, value in (("PRODID", PRODID), ("VERSION", "2.0"), ("CALSCALE", "GREGORIAN"),
                       ("METHOD", "PUBLISH"), ("NAME", name), ("X-WR-CALNAME", name),
                       ("X-WR-TIMEZONE", tzid)):
        cal.add(key, value)
    cal.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    cal.add_component(vtimezone(tzid, term_start.year))

    series: dict[tuple[str, str], list[Meeting]] = {}
    for meeting in meetings:
        series.setdefault((meeting.group_id, meeting.slot_id), []).append(meeting)
    until = dt.datetime.combine(term_end, dt.time(23, 59, 59), zone).astimezone(dt.UTC)
    for (group_id, slot_id), items in sorted(series.items()):
        items.sort(key=lambda m: m.date)
        base = items[0]
        # The series starts on its first weekly date of the term even when this reader's first date
        # is later (they handed earlier dates over, or joined later): DTSTART stays the same for
        # every reader and every revision, and the dates they do not attend are EXDATEs.
        first = term_start + dt.timedelta(days=(base.date.weekday() - term_start.weekday()) % 7)
        start = dt.datetime.combine(first, base.start, zone)
        length = dt.datetime.combine(first, base.end) - dt.datetime.combine(first, base.start)
        uid = series_uid(center_id, group_id, slot_id)
        held = {m.date for m in items if not m.cancelled}
        weekly = [first + dt.timedelta(days=7 * n) for n in range((term_end - first).days // 7 + 1)]
        skipped = [d for d in weekly if d not in held]
        # The weekly pattern's text comes from an unchanged date, even if the first one is changed.
        pattern = next((m for m in items if m.change is None), base)
        revision = revisions.get(uid)
        event = _event(uid, start, start + length, text(pattern), revision.modified if revision else stamp)
        if revision is not None:
            event.add("SEQUENCE", revision.sequence)
            event.add("LAST-MODIFIED", revision.modified.astimezone(dt.UTC))
        event.add("RRULE", vRecur({"FREQ": "WEEKLY", "BYDAY": WEEKDAYS[base.date.weekday()], "UNTIL": until}))
        for day in skipped:
            event.add("EXDATE", dt.datetime.combine(day, base.start, zone))
        cal.add_component(event)
        for meeting in items:
            if meeting.change is None or meeting.cancelled:
                continue
            original = dt.datetime.combine(meeting.date, base.start, zone)
            override = _event(uid, dt.datetime.combine(meeting.date, meeting.start, zone),
                              dt.datetime.combine(meeting.date, meeting.end, zone), text(meeting),
                              meeting.change.changed_at or stamp)
            override.add("RECURRENCE-ID", original)
            override.add("SEQUENCE", meeting.change.sequence + (revision.sequence if revision else 0))
            cal.add_component(override)
    for meeting in sorted(standalone, key=lambda m: (m.date, m.start, m.group_id)):
        if meeting.cancelled or meeting.change is None:
            continue
        changed = meeting.change.changed_at or stamp
        single = _event(cover_uid(center_id, meeting), dt.datetime.combine(meeting.date, meeting.start, zone),
                        dt.datetime.combine(meeting.date, meeting.end, zone), text(meeting), changed)
        single.add("SEQUENCE", meeting.change.sequence - 1)
        single.add("LAST-MODIFIED", changed.astimezone(dt.UTC))
        cal.add_component(single)
    return cal.to_ical()


def _event(uid: str, start: dt.datetime, end: dt.datetime, text: EventText, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("UID", uid)
    event.add("DTSTAMP", stamp.astimezone(dt.UTC))
    event.add("DTSTART", start)
    event.add("DTEND", end)
    event.add("SUMMARY", text.summary)
    event.add("LOCATION", text.location)
    event.add("DESCRIPTION", text.description)
    event.add("TRANSP", "OPAQUE")
    return event
