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
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.models import (
    Activity,
    Center,
    FeedSeries,
    FeedToken,
    MeetingOverride,
    MemberChange,
    Participant,
    ScheduleVersion,
    VersionStatus,
)
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
# find nothing changed, so an unchanged feed is answered (and its ETag compared) from here, after a few
# narrow queries and without loading the version or expanding the term. Per process; bounded.
_CACHE: OrderedDict[tuple[object, ...], FeedBody] = OrderedDict()
CACHE_SIZE = 1024


def _fingerprint_statements() -> tuple[Select[Any], Select[Any], Select[Any]]:
    """Built once: polls are frequent, and building a statement costs more than running it."""
    center_id, participant_id = bindparam("center_id"), bindparam("participant_id")
    latest = select(ScheduleVersion.id).where(
        ScheduleVersion.center_id == center_id, ScheduleVersion.status == VersionStatus.PUBLISHED,
    ).order_by(ScheduleVersion.published_at.desc(), ScheduleVersion.number.desc()).limit(1).scalar_subquery()

    def of_latest(column: Any, model: Any) -> Any:
        return select(column).where(model.version_id == latest).scalar_subquery()

    state = select(
        Center.name, Center.address, Center.timezone, Center.term_start, Center.term_end, Center.feeds_name_members,
        latest, select(ScheduleVersion.published_at).where(ScheduleVersion.id == latest).scalar_subquery(),
        of_latest(func.count(MeetingOverride.id), MeetingOverride),
        of_latest(func.max(MeetingOverride.changed_at), MeetingOverride),
        of_latest(func.count(MemberChange.id), MemberChange), of_latest(func.max(MemberChange.id), MemberChange),
        select(Participant.locale).where(Participant.id == participant_id).scalar_subquery(),
    ).where(Center.id == center_id)
    labels = (select(Activity.code, Activity.name, Activity.calendar_label)
              .where(Activity.center_id == center_id).order_by(Activity.code))
    names = (select(Participant.code, Participant.name)
             .where(Participant.center_id == center_id).order_by(Participant.code))
    return state, labels, names


_STATE, _LABELS, _NAMES = _fingerprint_statements()


def _fingerprint(row: FeedToken) -> tuple[object, ...]:
    """Everything a feed's bytes depend on, read column by column (no JSON decoded): the center's own
    text and options, the current version and every change made to it since, the activities' labels
    (and, for a facilitator's feed that names members, their names). The token hash, not the row id,
    names the feed: SQLite may reuse a deleted row's id for someone else's token."""
    params = {"center_id": row.center_id, "participant_id": row.participant_id}
    state = tuple(db.session.execute(_STATE, params).one())
    labels = tuple(tuple(r) for r in db.session.execute(_LABELS, params))
    names_members = row.facilitator_id is not None and state[5]
    names = tuple(tuple(r) for r in db.session.execute(_NAMES, params)) if names_members else ()
    return (row.token_hash, state, labels, names)


def feed_for(row: FeedToken) -> FeedBody:
    """The feed behind a token, in its participant's language (staff feeds in English)."""
    key = _fingerprint(row)
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    center = db.session.get(Center, row.center_id)
    assert center is not None
    locale = row.participant.locale if row.participant is not None else None
    result = _build(row, center, current_published(center), locale)
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
    # Members' first names only where the center allows it, and only in the facilitator's own groups,
    # never in a colleague's group they cover for one date.
    first_names = _member_first_names(center) if center.feeds_name_members else {}

    def text(m: Meeting) -> feeds.EventText:
        activity = state.activity(m.activity_id)["name"]
        summary = _("Group %(group)s, %(count)d members", group=m.group_id, count=len(m.members))
        names = sorted(first_names[p] for p in m.members if p in first_names) if m.group_id in own_groups else []
        if names:
            summary = _("Group %(group)s, %(count)d members: %(names)s", group=m.group_id,
                        count=len(m.members), names=", ".join(names))
        return feeds.EventText(activity, _location(center, state, m.room), summary)

    return _render(center, version, series, text, revisions, taken_over)


def _member_first_names(center: Center) -> dict[str, str]:
    # The live rows, not the published scenario: an erased participant has no row and is not named,
    # and someone who joined mid-term is.
    return {code: _first_name(name) for code, name in db.session.execute(
        select(Participant.code, Participant.name).where(Participant.center_id == center.id))}


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
