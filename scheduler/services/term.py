"""The term as it stands: the published version's meetings with every per-date change applied.

Swaps, cover, cancellations and the feeds all read the term through :func:`term_state`, so they
agree on who leads which meeting on which date."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import ScheduleVersion
from scheduler.models.swaps import MeetingOverride, MemberChange, MemberChangeKind
from scheduler.services.meetings import Meeting, MeetingChange, expand
from scheduler.services.versions import VersionData, version_data
from solver.scenario import Activity
from solver.schedule import Schedule


@dataclass(frozen=True, slots=True, order=True)
class MeetingKey:
    """Names one meeting: a group's weekly slot on one date."""

    date: dt.date
    slot: str
    group: str

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingKey:
        return cls(meeting.date, meeting.slot_id, meeting.group_id)


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def meeting_changes(version: ScheduleVersion) -> list[MeetingChange]:
    """The stored per-date changes of a version, in the form the meetings and feeds expect."""
    overrides = db.session.scalars(select(MeetingOverride).where(MeetingOverride.version_id == version.id))
    return [MeetingChange(group_id=o.group_code, slot_id=o.slot_code, date=o.date, cancelled=o.cancelled,
                          facilitators=tuple(o.facilitator_codes) if o.facilitator_codes is not None else None,
                          room=o.room_code, start=_clock(o.start_minute), end=_clock(o.end_minute),
                          sequence=o.sequence, changed_at=aware(o.changed_at))
            for o in overrides]


def _clock(minutes: int | None) -> dt.time | None:
    return None if minutes is None else dt.time(*divmod(min(minutes, 24 * 60 - 1), 60))


@dataclass(frozen=True)
class Roster:
    """A group's members over the term: the published roster, with leavers and joiners from a date on."""

    published: tuple[str, ...]
    left: dict[str, dt.date] = field(default_factory=dict)
    joined: dict[str, dt.date] = field(default_factory=dict)

    def on(self, day: dt.date) -> tuple[str, ...]:
        present = [p for p in self.published if not (p in self.left and self.left[p] <= day)]
        present += [p for p, since in sorted(self.joined.items()) if since <= day
                    and not (p in self.left and since <= self.left[p] <= day)]
        return tuple(present)


def rosters(version: ScheduleVersion) -> dict[str, Roster]:
    result = {g.id: Roster(g.members) for g in version_data(version).schedule.groups}
    changes = db.session.scalars(select(MemberChange).where(MemberChange.version_id == version.id))
    for change in changes:
        roster = result.get(change.group_code)
        if roster is not None:
            target = roster.left if change.kind == MemberChangeKind.LEFT else roster.joined
            target[change.participant_code] = change.effective
    return result


def members_on(schedule: Schedule, by_group: Mapping[str, Roster], day: dt.date) -> Schedule:
    """``schedule`` with each group's members on ``day``: after the joins and leaves of the term."""
    groups = tuple(dataclasses.replace(g, members=by_group[g.id].on(day)) for g in schedule.groups)
    return dataclasses.replace(schedule, groups=groups)


@dataclass
class TermState:
    version: ScheduleVersion
    meetings: list[Meeting]
    rosters: dict[str, Roster] = field(default_factory=dict)
    by_key: dict[MeetingKey, Meeting] = field(init=False)
    _led: dict[str, list[Meeting]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_key = {MeetingKey.of(m): m for m in self.meetings}
        self._led = defaultdict(list)
        for meeting in self.meetings:
            if not meeting.cancelled:
                for code in meeting.facilitators:
                    self._led[code].append(meeting)

    @property
    def data(self) -> VersionData:
        """The version, typed: its scenario, schedule, address and calendar labels as published."""
        return version_data(self.version)

    def led_by(self, facilitator_code: str) -> list[Meeting]:
        """Meetings this facilitator leads (cancelled ones left out), in date order."""
        return list(self._led.get(facilitator_code, ()))

    def starts_at(self, key: MeetingKey) -> dt.datetime:
        """When a meeting starts, as an aware UTC datetime."""
        meeting = self.by_key[key]
        zone = ZoneInfo(self.data.center.timezone)
        return dt.datetime.combine(meeting.date, meeting.start, tzinfo=zone).astimezone(dt.UTC)

    def activity(self, activity_code: str) -> Activity:
        return self.data.scenario.activity(activity_code)

    def facilitator_name(self, code: str) -> str:
        return self.data.facilitator_name(code)


def term_state(version: ScheduleVersion) -> TermState:
    by_group = rosters(version)
    data = version_data(version)
    meetings = [dataclasses.replace(m, members=by_group[m.group_id].on(m.date))
                for m in expand(data.scenario, data.schedule, meeting_changes(version))]
    return TermState(version, meetings, by_group)
