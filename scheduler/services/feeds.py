"""Calendar feeds (RFC 5545) rendered from meetings; the only module that imports icalendar.

Rules: ``../shared/spec/feeds.md``. Each group slot is one weekly series with local times in the
center's TZID, ``RRULE:FREQ=WEEKLY;BYDAY=..;UNTIL=<UTC>``, and ``EXDATE`` for holidays and
cancelled dates. A cancelled date is an EXDATE in every feed holding the series, not an override
with STATUS:CANCELLED: the issue text mentions the latter, but feeds.md says clients disagree on it,
and the spec is the stricter common ground. A date with another room or facilitator is an override
with the series' UID and a RECURRENCE-ID. A facilitator who takes over one date of another group
gets a standalone event with its own UID. Each series carries the SEQUENCE and LAST-MODIFIED of its
last change as this feed shows it (see ``feed_content``), so untouched series keep theirs across
publishes. UIDs are opaque: see ``_opaque``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
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


def _opaque(secret: bytes, key: str) -> str:
    # A UID is readable by anyone holding the feed and is kept by every calendar it reaches. Group ids
    # start with the activity's code ("recovery-1"), which would name a sensitive activity that the
    # feed itself shows only under a discreet label; an HMAC keyed by the app's secret is stable
    # across requests, restarts and publishes (the same ids give the same UID) and reveals nothing.
    return hmac.new(secret, b"feed-uid:" + key.encode(), hashlib.sha256).hexdigest()[:32] + "@" + UID_DOMAIN


def series_uid(secret: bytes, center_id: int, group_id: str, slot_id: str) -> str:
    """A group's weekly series: the same in every feed holding it, and opaque."""
    return _opaque(secret, f"series:{center_id}:{group_id}:{slot_id}")


def cover_uid(secret: bytes, center_id: int, meeting: Meeting) -> str:
    """A facilitator's standalone event for one date they took over from a colleague."""
    return _opaque(secret, f"cover:{center_id}:{meeting.group_id}:{meeting.slot_id}:{meeting.date:%Y%m%d}")


@dataclass(frozen=True, slots=True)
class Revision:
    sequence: int
    modified: dt.datetime  # UTC; also the DTSTAMP, so unchanged feeds are byte-identical


# Given each weekly series' fingerprint (by UID), the revision each is at; see ``render``.
Reviser = Callable[[Mapping[str, str]], Mapping[str, Revision]]


@dataclass(frozen=True, slots=True)
class _Transition:
    before: dt.datetime  # naive local wall-clock time just before the change, as a block's DTSTART
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    name: str
    daylight: bool


@lru_cache(maxsize=256)
def _transitions(tzid: str, year: int) -> tuple[_Transition, ...]:
    """Every change of UTC offset in ``year``, from zoneinfo (to the hour: no zone changes mid-hour now)."""
    zone = ZoneInfo(tzid)
    found = []
    hour = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    previous = hour.astimezone(zone).utcoffset()
    while hour.year == year:
        hour += dt.timedelta(hours=1)
        local = hour.astimezone(zone)
        offset = local.utcoffset()
        if offset != previous:
            assert previous is not None and offset is not None
            found.append(_Transition((hour + previous).replace(tzinfo=None), previous, offset,
                                     local.tzname() or "", bool(local.dst())))
            previous = offset
    return tuple(found)


RULE_YEARS = 8  # enough years for the change to fall on every weekday of its month


def _rule(tzid: str, year: int, index: int) -> vRecur:
    """The yearly rule of the ``index``-th change of ``year``, read from the same change in the years
    that follow: "the Nth/last <weekday> of <month>" where that holds every year, otherwise tzdata's
    own form, "<weekday> on or after day D" (Israel's "Friday before the last Sunday" is one)."""
    first = _transitions(tzid, year)[index]
    weekday = WEEKDAYS[first.before.weekday()]
    days = {first.before.day}
    for later in range(year + 1, year + RULE_YEARS):
        same = [t for t in _transitions(tzid, later) if t.before.month == first.before.month
                and t.daylight == first.daylight and t.before.weekday() == first.before.weekday()]
        days.update(t.before.day for t in same[:1])
    month = first.before.month
    length = ((dt.date(year + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)).day
    nths = {(d - 1) // 7 + 1 for d in days}
    if len(nths) == 1 and min(nths) <= 4:
        return vRecur({"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"{min(nths)}{weekday}"})
    if all(d + 7 > length for d in days):
        return vRecur({"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"-1{weekday}"})
    low = min(days)
    return vRecur({"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": weekday,
                   "BYMONTHDAY": list(range(low, low + 7))})


def vtimezone(tzid: str, year: int) -> Timezone:
    """The zone's VTIMEZONE for a term in ``year``: one STANDARD and one DAYLIGHT block as yearly rules,
    read from zoneinfo; a zone without daylight saving (Bogotá, Tokyo) gets one STANDARD block, which
    strict parsers require. Each block's onset is written in the year before, so every session of the
    term comes after both onsets whatever the hemisphere (a reader must not guess an offset before
    the first onset)."""
    zone = ZoneInfo(tzid)
    component = Timezone()
    component.add("TZID", tzid)
    changes = _transitions(tzid, year)
    if not changes:
        moment = dt.datetime(year, 1, 1, tzinfo=zone)
        block = TimezoneStandard()
        block.add("DTSTART", dt.datetime(1970, 1, 1))
        block.add("TZOFFSETFROM", moment.utcoffset())
        block.add("TZOFFSETTO", moment.utcoffset())
        block.add("TZNAME", moment.tzname())
        component.add_component(block)
        return component
    earlier = _transitions(tzid, year - 1)
    yearly = len(changes) == 2
    for index, change in enumerate(changes):
        block = TimezoneDaylight() if change.daylight else TimezoneStandard()
        onset = change.before
        if yearly and len(earlier) == 2 and (earlier[index].offset_from, earlier[index].offset_to) == (
                change.offset_from, change.offset_to):
            onset = earlier[index].before
        # DTSTART of a block is the local time before the change, as RFC 5545 examples show.
        block.add("DTSTART", onset)
        block.add("TZOFFSETFROM", change.offset_from)
        block.add("TZOFFSETTO", change.offset_to)
        block.add("TZNAME", change.name)
        if yearly:
            block.add("RRULE", _rule(tzid, year, index))
        component.add_component(block)
    return component


def render(*, center_id: int, uid_secret: bytes, name: str, tzid: str, term_start: dt.date, term_end: dt.date,
           meetings: Iterable[Meeting], text: Callable[[Meeting], EventText], stamp: dt.datetime,
           revise: Reviser | None = None, standalone: Iterable[Meeting] = ()) -> bytes:
    """One calendar holding the weekly series of every (group, slot) among ``meetings``, then one
    standalone event per meeting in ``standalone``.

    ``meetings`` are the dates of those series this feed's reader attends (cancelled ones included);
    every other weekly date of a series becomes an EXDATE. ``revise`` is handed the fingerprint of each
    series as this feed shows it (everything but DTSTAMP, LAST-MODIFIED and SEQUENCE) and gives back
    each one's SEQUENCE and LAST-MODIFIED, so only what this reader can see counts as a change; without
    it, a series has ``stamp`` and no SEQUENCE. A series' overrides carry its revision too (an override
    whose SEQUENCE fell below its series' could be dropped as stale)."""
    zone = ZoneInfo(tzid)
    cal = Calendar()
    for key, value in (("PRODID", PRODID), ("VERSION", "2.0"), ("CALSCALE", "GREGORIAN"),
                       ("METHOD", "PUBLISH"), ("NAME", name), ("X-WR-CALNAME", name),
                       ("X-WR-TIMEZONE", tzid)):
        cal.add(key, value)
    cal.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    cal.add_component(vtimezone(tzid, term_start.year))

    by_series: dict[tuple[str, str], list[Meeting]] = {}
    for meeting in meetings:
        by_series.setdefault((meeting.group_id, meeting.slot_id), []).append(meeting)
    until = dt.datetime.combine(term_end, dt.time(23, 59, 59), zone).astimezone(dt.UTC)
    drafts: list[tuple[Event, list[Meeting], dt.datetime]] = []
    for (group_id, slot_id), items in sorted(by_series.items()):
        items.sort(key=lambda m: m.date)
        base = items[0]
        # The series starts on its first weekly date of the term even when this reader's first date
        # is later (they handed earlier dates over, or joined later): DTSTART stays the same for
        # every reader and every revision, and the dates they do not attend are EXDATEs.
        first = term_start + dt.timedelta(days=(base.date.weekday() - term_start.weekday()) % 7)
        start = dt.datetime.combine(first, base.start, zone)
        length = dt.datetime.combine(first, base.end) - dt.datetime.combine(first, base.start)
        held = {m.date for m in items if not m.cancelled}
        weekly = [first + dt.timedelta(days=7 * n) for n in range((term_end - first).days // 7 + 1)]
        # The weekly pattern's text comes from an unchanged date, even if the first one is changed.
        pattern = next((m for m in items if m.change is None), base)
        event = _event(series_uid(uid_secret, center_id, group_id, slot_id), start, start + length, text(pattern))
        event.add("RRULE", vRecur({"FREQ": "WEEKLY", "BYDAY": WEEKDAYS[base.date.weekday()], "UNTIL": until}))
        for day in weekly:
            if day not in held:
                event.add("EXDATE", dt.datetime.combine(day, base.start, zone))
        drafts.append((event, items, start))
    prints = {str(e["UID"]): hashlib.sha256(e.to_ical()).hexdigest() for e, _items, _start in drafts}
    revisions = revise(prints) if revise is not None else {}
    for event, items, start in drafts:
        uid = str(event["UID"])
        revision = revisions.get(uid)
        _stamp(event, revision.modified if revision else stamp, revision.sequence if revision else None)
        cal.add_component(event)
        for meeting in items:
            if meeting.change is None or meeting.cancelled:
                continue
            original = dt.datetime.combine(meeting.date, start.time(), zone)
            override = _event(uid, dt.datetime.combine(meeting.date, meeting.start, zone),
                              dt.datetime.combine(meeting.date, meeting.end, zone), text(meeting))
            override.add("RECURRENCE-ID", original)
            changed = meeting.change.changed_at or stamp
            if revision is not None:
                _stamp(override, max(changed, revision.modified), meeting.change.sequence + revision.sequence)
            else:
                _stamp(override, changed, meeting.change.sequence)
            cal.add_component(override)
    for meeting in sorted(standalone, key=lambda m: (m.date, m.start, m.group_id)):
        if meeting.cancelled or meeting.change is None:
            continue
        single = _event(cover_uid(uid_secret, center_id, meeting),
                        dt.datetime.combine(meeting.date, meeting.start, zone),
                        dt.datetime.combine(meeting.date, meeting.end, zone), text(meeting))
        _stamp(single, meeting.change.changed_at or stamp, meeting.change.sequence - 1)
        cal.add_component(single)
    return cal.to_ical()


def _event(uid: str, start: dt.datetime, end: dt.datetime, text: EventText) -> Event:
    """What a reader sees of one event; ``_stamp`` adds when and how often it changed."""
    event = Event()
    event.add("UID", uid)
    event.add("DTSTART", start)
    event.add("DTEND", end)
    event.add("SUMMARY", text.summary)
    event.add("LOCATION", text.location)
    event.add("DESCRIPTION", text.description)
    event.add("TRANSP", "OPAQUE")
    return event


def _stamp(event: Event, modified: dt.datetime, sequence: int | None) -> None:
    event.add("DTSTAMP", modified.astimezone(dt.UTC))
    if sequence is not None:
        event.add("SEQUENCE", sequence)
        event.add("LAST-MODIFIED", modified.astimezone(dt.UTC))
