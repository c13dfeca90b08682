"""Schedule versions: every solve leaves a draft; one is published at a time, and published
versions are kept unchanged forever (the feeds and the term's history read them)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion, User, VersionStatus
from scheduler.models.accounts import utcnow
from scheduler.services import people_search
from solver.scenario import Center as ScenarioCenter
from solver.scenario import Scenario, build_scenario
from solver.schedule import Group, Schedule, load_schedule


class VersionError(ValueError):
    pass


def list_versions(center: Center) -> list[ScheduleVersion]:
    return list(db.session.scalars(
        select(ScheduleVersion).where(ScheduleVersion.center_id == center.id).order_by(ScheduleVersion.number.desc())
    ))


def find_version(center: Center, number: int) -> ScheduleVersion | None:
    return db.session.scalar(
        select(ScheduleVersion).where(ScheduleVersion.center_id == center.id, ScheduleVersion.number == number)
    )


def current_published(center: Center) -> ScheduleVersion | None:
    """The version people see: the one published most recently."""
    return db.session.scalar(
        select(ScheduleVersion)
        .where(ScheduleVersion.center_id == center.id, ScheduleVersion.status == VersionStatus.PUBLISHED)
        .order_by(ScheduleVersion.published_at.desc(), ScheduleVersion.number.desc())
        .limit(1)
    )


def publish(version: ScheduleVersion, user: User | None) -> None:
    """Publish a draft. Earlier published versions stay as they are; this one becomes current."""
    if version.status == VersionStatus.PUBLISHED:
        raise VersionError(_("Version %(number)d is already published.", number=version.number))
    if not version_data(version).schedule.groups:
        raise VersionError(_("Version %(number)d has no groups to publish.", number=version.number))
    version.status = VersionStatus.PUBLISHED
    version.presentation = presentation_of(version.center)
    version.published_at = utcnow()
    version.published_by = user


# --------------------------------------------------------------------------- reading a version, typed


@dataclass(frozen=True)
class VersionData:
    """A version as its outputs read it: the solver's typed scenario and schedule, and what the version
    shows beyond them (address, calendar labels). Everything a feed, roster, participant's page or
    email shows of a published version comes from here, never from the live center, so the published
    term only moves when a new version is published."""

    scenario: Scenario
    schedule: Schedule
    address: str
    labels: Mapping[str, str]  # activity code -> its discreet calendar label, where it has one
    groups: Mapping[str, Group] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", {g.id: g for g in self.schedule.groups})

    @property
    def center(self) -> ScenarioCenter:
        return self.scenario.center

    def label(self, activity_code: str) -> str:
        """How calendars and messages name an activity: its calendar label, else its name."""
        if self.labels.get(activity_code):
            return self.labels[activity_code]
        return self.activity_name(activity_code)

    def discreet(self, activity_code: str) -> bool:
        return bool(self.labels.get(activity_code))

    def activity_name(self, code: str) -> str:
        return _name_or_code(self.scenario.activity, code)

    def room_name(self, code: str) -> str:
        return _name_or_code(self.scenario.room, code)

    def facilitator_name(self, code: str) -> str:
        return _name_or_code(self.scenario.facilitator, code)

    def participant_name(self, code: str) -> str:
        return _name_or_code(self.scenario.participant, code)

    def group_title(self, group_id: str) -> str:
        """'Community choir, group 2', as the pages name a group of this version (its id, for one the
        version does not hold)."""
        group = self.groups.get(group_id)
        return people_search.group_title(self.scenario, group_id, group.activity) if group is not None else group_id


def _name_or_code(lookup: Callable[[str], Any], code: str) -> str:
    # A code the snapshot does not know (a room added after the build, for a moved date) shows as itself.
    try:
        return str(lookup(code).name)
    except KeyError:
        return code


def presentation_of(center: Center) -> dict[str, Any]:
    """What a version shows beyond its scenario, read from the center now (at publishing)."""
    return {"address": center.address or "",
            "labels": {a.code: a.calendar_label or "" for a in center.activities}}


# Typed snapshots by their content: every feed, roster and participant's page of a term reads the same
# one, and building a 600-person scenario takes some 30 ms. Keyed by a digest of the
# content itself, so a snapshot rewritten by an erasure is read afresh. Per process; bounded.
_PARSED: OrderedDict[str, tuple[Scenario, Schedule]] = OrderedDict()
PARSED_SIZE = 16


def _digest_of(scenario_data: Any, schedule_data: Any) -> str:
    return hashlib.sha256(json.dumps([scenario_data, schedule_data], sort_keys=True).encode()).hexdigest()


def snapshot_digest(version: ScheduleVersion) -> str:
    """A digest of what a version's snapshots hold now: the same until an erasure rewrites them."""
    return _digest_of(version.scenario, version.schedule)


def _parsed(scenario_data: Any, schedule_data: Any) -> tuple[Scenario, Schedule]:
    digest = _digest_of(scenario_data, schedule_data)
    found = _PARSED.get(digest)
    if found is not None:
        _PARSED.move_to_end(digest)
        return found
    # Checked once when it was built; not again, so a rule added since (names on one line) never makes an
    # old version unreadable. What its text holds, the outputs escape.
    found = (build_scenario(scenario_data), load_schedule(schedule_data))
    _PARSED[digest] = found
    while len(_PARSED) > PARSED_SIZE:
        _PARSED.popitem(last=False)
    return found


def term_of(version: ScheduleVersion) -> ScenarioCenter:
    """The center section of a version alone (zone, term, holidays), typed: for going through all of a
    center's versions by term without parsing each one's people."""
    center = version.scenario["center"]
    return ScenarioCenter(name=center["name"], timezone=center["timezone"],
                          term_start=dt.date.fromisoformat(center["term_start"]),
                          term_end=dt.date.fromisoformat(center["term_end"]),
                          holidays=tuple(dt.date.fromisoformat(d) for d in center.get("holidays", [])))


def schedule_of(version: ScheduleVersion) -> Schedule:
    """A version's schedule alone, typed: for listing versions without parsing each one's people."""
    return load_schedule(version.schedule)


def version_data(version: ScheduleVersion) -> VersionData:
    """The typed reading of a version, built once per loaded row (a version's snapshots never change
    once written; erasing a participant rewrites them and loads the row afresh)."""
    # Keyed by the snapshot objects themselves (held here, so never mistaken for later ones).
    sources = (version.scenario, version.schedule, version.presentation)
    cached: tuple[tuple[object, ...], VersionData] | None = getattr(version, "_typed_data", None)
    if cached is not None and all(a is b for a, b in zip(cached[0], sources, strict=True)):
        return cached[1]
    shown = version.presentation if version.presentation is not None else presentation_of(version.center)
    scenario, schedule = _parsed(version.scenario, version.schedule)
    data = VersionData(scenario, schedule, str(shown.get("address", "")), dict(shown.get("labels", {})))
    version._typed_data = (sources, data)  # type: ignore[attr-defined]
    return data
