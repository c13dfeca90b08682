"""What each feed holds, from the published version with every change of the term.

A participant's feed: their groups on the dates they belong to them, with the room and the
facilitators' first names; no other participant is ever named. A facilitator's feed: the groups they
lead, minus the dates they handed over, plus a standalone event for each date they took over from a
colleague; member counts, and members' first names only where the center allows it. Staff feeds (the
whole center, a group, a room): member counts, never a participant's name.

Every feed names an activity by its calendar label, the facilitator's own included. Feeds leave our
hands: they are copied to the calendar provider's servers, shown on lock screens and in
notifications, shared or delegated, and room and center calendars hang on a wall. A discreet label
("Tuesday group") exists so that none of those places says what the group is about; the real name
stays in the app, where a facilitator or coordinator sees it after signing in. For the same reason a
group of a discreetly labelled activity is named by its number, not by its code ("recovery-1").

Each weekly series, as each feed shows it, has a fingerprint; when it changes, the series' SEQUENCE
in that feed grows and its LAST-MODIFIED advances, and untouched series keep theirs. The state is
kept per feed in ``feed_series``, so two requests with nothing changed return byte-identical bodies,
and a change one reader cannot see (someone joining another participant's group) changes nothing in
that reader's feed."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, select, update
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
from scheduler.services.versions import VersionData, current_published


@dataclass(frozen=True)
class FeedBody:
    body: bytes
    etag: str
    last_modified: dt.datetime


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def _reviser(row: FeedToken, used: dict[str, feeds.Revision]) -> feeds.Reviser:
    """Each component's revision in this feed, advanced (and stored) where its fingerprint changed since
    this feed last served it. The revisions handed out are also left in ``used``."""

    def revise(prints: Mapping[str, feeds.Print]) -> dict[str, feeds.Revision]:
        for _attempt in range(2):
            stored = {r.uid: r for r in db.session.scalars(
                select(FeedSeries).where(FeedSeries.token_id == row.id, FeedSeries.uid.in_(list(prints))))}
            # A series first seen in a feed that has served others before is news now; in a feed's first
            # answer everything dates from the publish, so the first answer too is stable.
            served_before = bool(stored) or db.session.scalar(
                select(FeedSeries.id).where(FeedSeries.token_id == row.id).limit(1)) is not None
            now = utcnow()
            changed = False
            for uid, shown in prints.items():
                found = stored.get(uid)
                fingerprint = shown.fingerprint
                if found is None:
                    db.session.add(FeedSeries(token_id=row.id, uid=uid, fingerprint=fingerprint, sequence=0,
                                              modified_at=now if served_before else shown.since))
                    changed = True
                elif found.fingerprint != fingerprint:
                    # Never backwards, even where a publish was stamped ahead of this clock: clients
                    # compare LAST-MODIFIED with what they hold.
                    later = max(now, aware(found.modified_at) + dt.timedelta(seconds=1))
                    # Conditional, so two workers seeing the same change raise the SEQUENCE once.
                    db.session.execute(update(FeedSeries).where(
                        FeedSeries.id == found.id, FeedSeries.fingerprint == found.fingerprint,
                    ).values(fingerprint=fingerprint, sequence=FeedSeries.sequence + 1, modified_at=later))
                    changed = True
            if not changed:
                break
            try:
                db.session.commit()
                break
            except IntegrityError:  # another request stored the same series first; read theirs
                db.session.rollback()
        rows = db.session.scalars(select(FeedSeries).where(FeedSeries.token_id == row.id,
                                                           FeedSeries.uid.in_(list(prints)))
                                  .execution_options(populate_existing=True))
        used.update({r.uid: feeds.Revision(r.sequence, aware(r.modified_at)) for r in rows})
        return used

    return revise


@dataclass(frozen=True)
class _Names:
    """How feeds name activities and groups: by calendar label, and a discreet activity's groups by number."""

    labels: dict[str, str]
    discreet: frozenset[str]

    @classmethod
    def of(cls, data: VersionData) -> _Names:
        return cls({a.id: data.label(a.id) for a in data.scenario.activities},
                   frozenset(a.id for a in data.scenario.activities if data.discreet(a.id)))

    def activity(self, code: str) -> str:
        return self.labels.get(code, code)

    def group(self, meeting: Meeting) -> str:
        if meeting.activity_id in self.discreet:
            return meeting.group_id.removeprefix(meeting.activity_id + "-")
        return meeting.group_id


def _location(data: VersionData, room: str) -> str:
    return ", ".join(part for part in (data.room_name(room), data.center.name, data.address) if part)


# Rendered feeds by (token, everything they are made of): calendar apps poll often and most polls
# find nothing changed, so an unchanged feed is answered (and its ETag compared) from here, after a few
# narrow queries and without loading the version or expanding the term. Per process; bounded.
_CACHE: OrderedDict[tuple[object, ...], FeedBody] = OrderedDict()
CACHE_SIZE = 1024


def _fingerprint_statements() -> tuple[Select[Any], Select[Any], Select[Any]]:
    """Built once: polls are frequent, and building a statement costs more than running it."""
    center_id: Any = bindparam("center_id")
    participant_id: Any = bindparam("participant_id")
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
    return cast("Select[Any]", state), cast("Select[Any]", labels), cast("Select[Any]", names)


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
            return _finish(_render_empty(center), aware(_epoch(center.term_start)))
        state = term_state(version)
        used: dict[str, feeds.Revision] = {}
        feed = _Feed(center, version, state, _Names.of(state.data), _reviser(row, used))
        if row.participant is not None:
            body = _participant_feed(feed, row.participant.code)
        elif row.facilitator is not None:
            body = _facilitator_feed(feed, row.facilitator.code)
        else:
            body = _staff_feed(feed, row.scope, row.subject)
    # The latest change this feed shows (its own components, and the list of them), not any in the center.
    return _finish(body, max((r.modified for r in used.values()), default=feed.published))


@dataclass(frozen=True)
class _Feed:
    """What every kind of feed is made from: the published version as it stands, and how it is named."""

    center: Center  # the row: its id, and whether facilitators' feeds may name members
    version: ScheduleVersion
    state: TermState
    names: _Names
    revise: feeds.Reviser

    @property
    def data(self) -> VersionData:
        return self.state.data

    @property
    def published(self) -> dt.datetime:
        return aware(self.version.published_at or self.version.created_at)

    def location(self, room: str) -> str:
        return _location(self.data, room)

    def render(self, meetings: list[Meeting], text: Callable[[Meeting], feeds.EventText],
               standalone: list[Meeting] | None = None) -> bytes:
        """Zone, term, center name and address come from the version, never the live center."""
        center = self.data.center
        return feeds.render(center_id=self.center.id, uid_secret=_uid_secret(), name=_calendar_name(center.name),
                            tzid=center.timezone, term_start=center.term_start, term_end=center.term_end,
                            meetings=meetings, text=text, stamp=self.published, revise=self.revise,
                            standalone=standalone or [])


def _epoch(term_start: dt.date) -> dt.datetime:
    """A fixed stamp for a feed with nothing published yet, so it too is byte-identical across requests."""
    return dt.datetime(term_start.year, 1, 1, tzinfo=dt.UTC)


def _finish(body: bytes, modified: dt.datetime) -> FeedBody:
    return FeedBody(body, '"' + hashlib.sha256(body).hexdigest()[:40] + '"', modified.replace(microsecond=0))


def _calendar_name(center_name: str) -> str:
    return _("Groups at %(center)s", center=center_name)


def _uid_secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode()


def _render_empty(center: Center) -> bytes:
    return feeds.render(center_id=center.id, uid_secret=_uid_secret(), name=_calendar_name(center.name),
                        tzid=center.timezone, term_start=center.term_start, term_end=center.term_end, meetings=[],
                        text=_no_text, stamp=_epoch(center.term_start))


def _no_text(meeting: Meeting) -> feeds.EventText:
    raise AssertionError("no meetings to describe")


def _leaders(state: TermState, meeting: Meeting) -> str:
    return ", ".join(_first_name(state.facilitator_name(f)) for f in meeting.facilitators)


def _participant_feed(feed: _Feed, code: str) -> bytes:
    mine = [m for m in feed.state.meetings if code in m.members]

    def text(m: Meeting) -> feeds.EventText:
        leaders = _leaders(feed.state, m)
        return feeds.EventText(feed.names.activity(m.activity_id), feed.location(m.room),
                               _("With %(names)s", names=leaders) if leaders else "")

    return feed.render(mine, text)


def _facilitator_feed(feed: _Feed, code: str) -> bytes:
    state, names = feed.state, feed.names
    own_groups = {g.id for g in feed.data.schedule.groups if code in g.facilitators}
    series = [m for m in state.meetings if m.group_id in own_groups and (code in m.facilitators or m.cancelled)]
    taken_over = [m for m in state.meetings if m.group_id not in own_groups and code in m.facilitators]
    # Members' first names only where the center allows it, and only in the facilitator's own groups,
    # never in a colleague's group they cover for one date. The option is read live: turning it off is
    # a privacy decision and takes effect at once.
    first_names = _member_first_names(feed.center) if feed.center.feeds_name_members else {}

    def text(m: Meeting) -> feeds.EventText:
        group = names.group(m)
        summary = _("Group %(group)s, %(count)d members", group=group, count=len(m.members))
        members = sorted(first_names[p] for p in m.members if p in first_names) if m.group_id in own_groups else []
        if members:
            summary = _("Group %(group)s, %(count)d members: %(names)s", group=group,
                        count=len(m.members), names=", ".join(members))
        return feeds.EventText(names.activity(m.activity_id), feed.location(m.room), summary)

    return feed.render(series, text, taken_over)


def _member_first_names(center: Center) -> dict[str, str]:
    # The live rows, not the published scenario: an erased participant has no row and is not named,
    # and someone who joined mid-term is.
    return {code: _first_name(name) for code, name in db.session.execute(
        select(Participant.code, Participant.name).where(Participant.center_id == center.id))}


def _staff_feed(feed: _Feed, scope: str, subject: str | None) -> bytes:
    """The whole center, one group or one room: activity label, room, facilitators' first names and
    member counts; never a participant's name."""
    meetings = [m for m in feed.state.meetings
                if scope == "center" or (scope == "group" and m.group_id == subject)
                or (scope == "room" and m.room == subject)]

    def text(m: Meeting) -> feeds.EventText:
        return feeds.EventText(feed.names.activity(m.activity_id), feed.location(m.room),
                               _("Group %(group)s, %(count)d members; with %(names)s", group=feed.names.group(m),
                                 count=len(m.members), names=_leaders(feed.state, m)))

    return feed.render(meetings, text)
