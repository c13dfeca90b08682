"""What each person's feed holds, from the published version with every change of the term.

A participant's feed: their groups on the dates they belong to them, under each activity's calendar
label, with the room and the facilitators' first names; no other participant is ever named. A
facilitator's feed: the groups they lead, minus the dates they handed over, plus a standalone event
for each date they took over from a colleague; member counts, never member names.

Each weekly series has a fingerprint of everything a reader could see in it; when it changes, the
series' SEQUENCE grows and its LAST-MODIFIED advances, and untouched series keep theirs. The state is
kept in ``feed_series`` so two requests with nothing changed return byte-identical bodies."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.models import Center, FeedSeries, FeedToken, MeetingOverride, MemberChange, ScheduleVersion
from scheduler.models.accounts import utcnow
from scheduler.services import feeds
from scheduler.services.meetings import Meeting
from scheduler.services.term import TermState, aware, term_state
from scheduler.services.versions import current_published


@dataclass(frozen=True)
class FeedBody:
    body: bytes
    etag: str
    last_modified: dt.datetime


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def _series_key(meeting: Meeting) -> tuple[str, str]:
    return meeting.group_id, meeting.slot_id


def _fingerprints(state: TermState) -> dict[tuple[str, str], str]:
    parts: dict[tuple[str, str], list[object]] = {}
    for m in state.meetings:
        parts.setdefault(_series_key(m), []).append(
            [m.date.isoformat(), m.start.isoformat(), m.end.isoformat(), m.room, list(m.facilitators),
             list(m.members), m.cancelled, m.change.sequence if m.change else 0])
    return {key: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
            for key, value in parts.items()}


def _revisions(center: Center, state: TermState, labels: dict[str, str]) -> dict[str, feeds.Revision]:
    """Each series' revision, advanced (and stored) where its fingerprint changed since last served."""
    prints = _fingerprints(state)
    group_activity = {g["id"]: g["activity"] for g in state.version.schedule["groups"]}
    wanted = {feeds.series_uid(center.id, g, s): hashlib.sha256(
        (fp + labels.get(group_activity[g], "")).encode()).hexdigest() for (g, s), fp in prints.items()}
    for _attempt in range(2):
        stored = {row.uid: row for row in db.session.scalars(
            select(FeedSeries).where(FeedSeries.center_id == center.id, FeedSeries.uid.in_(list(wanted))))}
        now = utcnow()
        changed = False
        for uid, fingerprint in wanted.items():
            row = stored.get(uid)
            if row is None:
                db.session.add(FeedSeries(center_id=center.id, uid=uid, fingerprint=fingerprint, sequence=0,
                                          modified_at=aware(state.version.published_at or now)))
                changed = True
            elif row.fingerprint != fingerprint:
                row.fingerprint, row.sequence, row.modified_at = fingerprint, row.sequence + 1, now
                changed = True
        if not changed:
            break
        try:
            db.session.commit()
            break
        except IntegrityError:  # another request stored the same series first; read theirs
            db.session.rollback()
    rows = db.session.scalars(select(FeedSeries).where(FeedSeries.center_id == center.id,
                                                       FeedSeries.uid.in_(list(wanted))))
    return {row.uid: feeds.Revision(row.sequence, aware(row.modified_at)) for row in rows}


def _labels(center: Center) -> dict[str, str]:
    return {a.code: a.calendar_label or a.name for a in center.activities}


def _location(center: Center, state: TermState, room: str) -> str:
    return ", ".join(part for part in (_room_name(state, room), center.name, center.address) if part)


def _room_name(state: TermState, code: str) -> str:
    return next((r["name"] for r in state.scenario["rooms"] if r["id"] == code), code)


# Rendered feeds by (token, everything they are made of): calendar apps poll often and most polls
# find nothing changed, so an unchanged feed is answered (and its ETag compared) without expanding
# the term again. Per process; bounded.
_CACHE: OrderedDict[tuple[object, ...], FeedBody] = OrderedDict()
CACHE_SIZE = 1024


def _cache_key(row: FeedToken, center: Center, version: ScheduleVersion | None, locale: str | None) -> tuple:
    # The token hash, not the row id: SQLite may reuse a deleted row's id for someone else's token.
    if version is None:
        return (row.token_hash, None, locale)
    overrides = db.session.execute(select(func.count(MeetingOverride.id), func.max(MeetingOverride.changed_at))
                                   .where(MeetingOverride.version_id == version.id)).one()
    members = db.session.execute(select(func.count(MemberChange.id), func.max(MemberChange.id))
                                 .where(MemberChange.version_id == version.id)).one()
    return (row.token_hash, version.id, version.published_at, tuple(overrides), tuple(members),
            tuple(sorted(_labels(center).items())), locale)


def feed_for(row: FeedToken, locale: str | None = None) -> FeedBody:
    center = db.session.get(Center, row.center_id)
    assert center is not None
    version = current_published(center)
    key = _cache_key(row, center, version, locale)
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    result = _build(row, center, version, locale)
    _CACHE[key] = result
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


def _build(row: FeedToken, center: Center, version: ScheduleVersion | None, locale: str | None) -> FeedBody:
    with force_locale(locale or "en"):
        if version is None:
            return _finish(center, _render_empty(center), aware(_epoch(center)))
        state = term_state(version)
        labels = _labels(center)
        revisions = _revisions(center, state, labels)
        if row.participant is not None:
            body = _participant_feed(center, version, state, row.participant.code, labels, revisions)
        elif row.facilitator is not None:
            body = _facilitator_feed(center, version, state, row.facilitator.code, revisions)
        else:
            body = _staff_feed(center, version, state, row.scope, row.subject, revisions)
    stamps = [r.modified for r in revisions.values()] + [
        m.change.changed_at for m in state.meetings if m.change and m.change.changed_at]
    return _finish(center, body, max(stamps, default=aware(version.published_at or utcnow())))


def _epoch(center: Center) -> dt.datetime:
    """A fixed stamp for a feed with nothing published yet, so it too is byte-identical across requests."""
    return dt.datetime(center.term_start.year, 1, 1, tzinfo=dt.UTC)


def _finish(center: Center, body: bytes, modified: dt.datetime) -> FeedBody:
    return FeedBody(body, '"' + hashlib.sha256(body).hexdigest()[:40] + '"', modified.replace(microsecond=0))


def _calendar_name(center: Center) -> str:
    return _("Groups at %(center)s", center=center.name)


def _render(center: Center, version: ScheduleVersion, meetings: list[Meeting],
            text: Callable[[Meeting], feeds.EventText], revisions: dict[str, feeds.Revision],
            standalone: list[Meeting] | None = None) -> bytes:
    return feeds.render(center_id=center.id, name=_calendar_name(center), tzid=center.timezone,
                        term_start=center.term_start, term_end=center.term_end, meetings=meetings, text=text,
                        stamp=aware(version.published_at or utcnow()), revisions=revisions,
                        standalone=standalone or [])


def _render_empty(center: Center) -> bytes:
    return feeds.render(center_id=center.id, name=_calendar_name(center), tzid=center.timezone,
                        term_start=center.term_start, term_end=center.term_end, meetings=[], text=_no_text,
                        stamp=_epoch(center))


def _no_text(meeting: Meeting) -> feeds.EventText:
    raise AssertionError("no meetings to describe")


def _participant_feed(center: Center, version: ScheduleVersion, state: TermState, code: str, labels: dict[str, str],
                      revisions: dict[str, feeds.Revision]) -> bytes:
    mine = [m for m in state.meetings if code in m.members]

    def text(m: Meeting) -> feeds.EventText:
        leaders = ", ".join(_first_name(state.facilitator_name(f)) for f in m.facilitators)
        return feeds.EventText(labels.get(m.activity_id, m.activity_id),
                               _location(center, state, m.room),
                               _("With %(names)s", names=leaders) if leaders else "")

    return _render(center, version, mine, text, revisions)


def _facilitator_feed(center: Center, version: ScheduleVersion, state: TermState, code: str,
                      revisions: dict[str, feeds.Revision]) -> bytes:
    own_groups = {g["id"] for g in version.schedule["groups"] if code in g["facilitators"]}
    series = [m for m in state.meetings if m.group_id in own_groups and (code in m.facilitators or m.cancelled)]
    taken_over = [m for m in state.meetings if m.group_id not in own_groups and code in m.facilitators]

    def text(m: Meeting) -> feeds.EventText:
        activity = state.activity(m.activity_id)["name"]
        return feeds.EventText(activity, _location(center, state, m.room),
                               _("Group %(group)s, %(count)d members", group=m.group_id, count=len(m.members)))

    return _render(center, version, series, text, revisions, taken_over)


def _staff_feed(center: Center, version: ScheduleVersion, state: TermState, scope: str, subject: str | None,
                revisions: dict[str, feeds.Revision]) -> bytes:
    """The whole center, one group or one room: activity, room, facilitators' first names and member
    counts; never a participant's name."""
    meetings = [m for m in state.meetings
                if scope == "center" or (scope == "group" and m.group_id == subject)
                or (scope == "room" and m.room == subject)]

    def text(m: Meeting) -> feeds.EventText:
        leaders = ", ".join(_first_name(state.facilitator_name(f)) for f in m.facilitators)
        return feeds.EventText(state.activity(m.activity_id)["name"], _location(center, state, m.room),
                               _("Group %(group)s, %(count)d members; with %(names)s", group=m.group_id,
                                 count=len(m.members), names=leaders))

    return _render(center, version, meetings, text, revisions)
