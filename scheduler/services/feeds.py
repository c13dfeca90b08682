"""Calendar feeds (RFC 5545) rendered from meetings; the only module that imports icalendar.

Rules: ``docs/feeds.md``. Each group slot is one weekly series with local times in the
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
import re
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


@dataclass(frozen=True, slots=True)
class Print:
    """One component as a feed shows it (everything but DTSTAMP, LAST-MODIFIED and SEQUENCE), and the
    moment what it shows came about (the publish, or its date's last change), which it carries when a
    feed shows it in its very first answer."""

    fingerprint: str
    since: dt.datetime


# Given each component's print (by its key: the UID, or UID/date for an override), the revision each
# is at; see ``render``.
Reviser = Callable[[Mapping[str, Print]], Mapping[str, Revision]]

# The key of the feed's own entry: a print of which components it holds, so that removing one moves
# the feed's Last-Modified too.
WHOLE_FEED = "@feed"


def override_key(uid: str, day: dt.date) -> str:
    return f"{uid}/{day:%Y%m%d}"


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
        only = TimezoneStandard()
        only.add("DTSTART", dt.datetime(1970, 1, 1))
        only.add("TZOFFSETFROM", moment.utcoffset())
        only.add("TZOFFSETTO", moment.utcoffset())
        only.add("TZNAME", moment.tzname())
        component.add_component(only)
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
    every other weekly date of a series becomes an EXDATE. ``revise`` is handed the print of every
    component as this feed shows it (each series, each override, each standalone event, and the feed's
    list of them) and gives back each one's SEQUENCE and LAST-MODIFIED, so only what this reader can see
    counts as a change; without it, a series has ``stamp`` and no SEQUENCE. An override's SEQUENCE is
    its series' plus its own (an override whose SEQUENCE fell below its series' could be dropped as
    stale)."""
    zone = ZoneInfo(tzid)
    cal = Calendar()
    name = plain_text(name)
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
    series: list[tuple[Event, dt.datetime]] = []
    overrides: dict[str, list[tuple[str, Event, Meeting]]] = {}
    for (group_id, slot_id), items in sorted(by_series.items()):
        items.sort(key=lambda m: m.date)
        base = items[0]
        # The series starts on its first weekly date of the term, at the slot's own time, even when this
        # reader's first date is later (they handed earlier dates over, or joined later) or moved: DTSTART
        # stays the same for every reader and every revision, and the dates they do not attend are EXDATEs.
        usual_start, usual_end = base.usual_start or base.start, base.usual_end or base.end
        first = term_start + dt.timedelta(days=(base.date.weekday() - term_start.weekday()) % 7)
        start = dt.datetime.combine(first, usual_start, zone)
        length = dt.datetime.combine(first, usual_end) - dt.datetime.combine(first, usual_start)
        held = {m.date for m in items if not m.cancelled}
        weekly = [first + dt.timedelta(days=7 * n) for n in range((term_end - first).days // 7 + 1)]
        # The weekly pattern's text comes from an unchanged date, even if the first one is changed.
        pattern = next((m for m in items if m.change is None), base)
        uid = series_uid(uid_secret, center_id, group_id, slot_id)
        event = _event(uid, start, start + length, text(pattern))
        event.add("RRULE", vRecur({"FREQ": "WEEKLY", "BYDAY": WEEKDAYS[base.date.weekday()], "UNTIL": until}))
        for day in weekly:
            if day not in held:
                event.add("EXDATE", dt.datetime.combine(day, usual_start, zone))
        series.append((event, stamp))
        for meeting in items:
            if meeting.change is None or meeting.cancelled:
                continue
            override = _event(uid, dt.datetime.combine(meeting.date, meeting.start, zone),
                              dt.datetime.combine(meeting.date, meeting.end, zone), text(meeting))
            override.add("RECURRENCE-ID", dt.datetime.combine(meeting.date, usual_start, zone))
            overrides.setdefault(uid, []).append((override_key(uid, meeting.date), override, meeting))
    singles: list[tuple[Event, Meeting]] = []
    for meeting in sorted(standalone, key=lambda m: (m.date, m.start, m.group_id)):
        if meeting.cancelled or meeting.change is None:
            continue
        singles.append((_event(cover_uid(uid_secret, center_id, meeting),
                               dt.datetime.combine(meeting.date, meeting.start, zone),
                               dt.datetime.combine(meeting.date, meeting.end, zone), text(meeting)), meeting))

    prints = {str(e["UID"]): Print(_print(e), since) for e, since in series}
    prints |= {key: Print(_print(e), m.change.changed_at or stamp) for found in overrides.values()
               for key, e, m in found if m.change is not None}
    prints |= {str(e["UID"]): Print(_print(e), m.change.changed_at or stamp) for e, m in singles
               if m.change is not None}
    prints[WHOLE_FEED] = Print(hashlib.sha256("\n".join(sorted(prints)).encode()).hexdigest(), stamp)
    revisions = revise(prints) if revise is not None else {}

    for event, _since in series:
        uid = str(event["UID"])
        own = revisions.get(uid)
        _stamp(event, own.modified if own else stamp, own.sequence if own else None)
        cal.add_component(event)
        for key, override, meeting in overrides.get(uid, []):
            assert meeting.change is not None
            changed = meeting.change.changed_at or stamp
            mine = revisions.get(key)
            if own is not None and mine is not None:
                # Above its series' SEQUENCE always (an override at or below it may be dropped as stale),
                # and rising with either.
                _stamp(override, max(mine.modified, own.modified), own.sequence + mine.sequence + 1)
            else:
                _stamp(override, changed, meeting.change.sequence)
            cal.add_component(override)
    for single, meeting in singles:
        assert meeting.change is not None
        mine = revisions.get(str(single["UID"]))
        if mine is not None:
            _stamp(single, mine.modified, mine.sequence)
        else:
            _stamp(single, meeting.change.changed_at or stamp, meeting.change.sequence - 1)
        cal.add_component(single)
    return cal.to_ical()


def _print(event: Event) -> str:
    return hashlib.sha256(event.to_ical()).hexdigest()


TEXT_LIMIT = 1000  # characters of one text property; more is no use on any screen
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def plain_text(value: str) -> str:
    """One line of text, safe in any property: stored text should never hold a line break or a control
    character (the entry forms refuse them), but a feed must not break, or carry a second event, when
    one gets in some other way. Each run of them becomes one space; the rest is escaped by icalendar."""
    return _CONTROL.sub(" ", value).strip()[:TEXT_LIMIT]


def _event(uid: str, start: dt.datetime, end: dt.datetime, text: EventText) -> Event:
    """What a reader sees of one event; ``_stamp`` adds when and how often it changed."""
    event = Event()
    event.add("UID", uid)
    event.add("DTSTART", start)
    event.add("DTEND", end)
    event.add("SUMMARY", plain_text(text.summary))
    event.add("LOCATION", plain_text(text.location))
    event.add("DESCRIPTION", plain_text(text.description))
    event.add("TRANSP", "OPAQUE")
    return event


def _stamp(event: Event, modified: dt.datetime, sequence: int | None) -> None:
    event.add("DTSTAMP", modified.astimezone(dt.UTC))
    if sequence is not None:
        event.add("SEQUENCE", sequence)
        event.add("LAST-MODIFIED", modified.astimezone(dt.UTC))
