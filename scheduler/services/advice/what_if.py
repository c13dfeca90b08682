"""What if a facilitator leaves, a room closes or a weekly slot goes: who the published term loses,
and a minimal-disruption re-plan as a draft version, without touching the center's live data.

The change is made to a copy of the center's scenario only (``dataclasses.replace``): the
facilitator, room or slot stays in the center's records, and nothing published changes until the
coordinator publishes the draft. The build stays close to the published version as the term stands
today (``solving.term_baseline``), so only the people the change reaches should move.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from scheduler.i18n import slot_text, slot_words
from scheduler.models import Center, ScheduleVersion, SolveJob, User
from scheduler.services import people_search, solving, versions
from scheduler.services.people_search import natural_key
from scheduler.services.scenarios import export_scenario
from scheduler.services.term import term_state
from solver.scenario import DAYS, Activity, Scenario, format_minutes, validate_scenario
from solver.schedule import Group, load_schedule

KINDS = ("facilitator", "room", "slot")
PURPOSE_KIND = "what_if"


class WhatIfError(ValueError):
    """A what-if that cannot be shown or started; the message says why, in words."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Choice:
    code: str
    label: str


@dataclass(frozen=True)
class Change:
    """What goes: a facilitator, a room or a slot, by its code, and how a coordinator names it."""

    kind: str
    code: str
    label: str

    @property
    def headline(self) -> str:
        return headline(self.kind, self.label)


@dataclass(frozen=True)
class AffectedGroup:
    id: str
    title: str
    members: list[str]          # names, as the term stands on the first day looked at
    meetings: list[dt.date]     # the dates it meets and the change reaches, from that day on


@dataclass(frozen=True)
class Impact:
    change: Change
    published: ScheduleVersion
    since: dt.date
    groups: list[AffectedGroup]
    people: int                 # distinct members of the affected groups
    problems: list[str] = field(default_factory=list)  # why the re-plan cannot start; empty: it can

    @property
    def meetings(self) -> int:
        return sum(len(g.meetings) for g in self.groups)


@dataclass(frozen=True)
class Moved:
    name: str
    before: list[str]  # group titles
    after: list[str]


@dataclass(frozen=True)
class Summary:
    """What a version built as a what-if shows: what it was built for and who it moves."""

    headline: str
    published_number: int | None
    moved: list[Moved]
    groups_changed: int


def headline(kind: str, label: str) -> str:
    if kind == "facilitator":
        return _("What if %(name)s leaves", name=label)
    if kind == "room":
        return _("What if %(room)s closes", room=label)
    return _("What if the weekly slot %(slot)s is removed", slot=label)


def choices(center: Center) -> dict[str, list[Choice]]:
    """The facilitators, rooms and slots of the center as it is now, to choose one from."""
    scenario = export_scenario(center)
    return {"facilitator": sorted((Choice(f.id, f.name) for f in scenario.facilitators),
                                  key=lambda c: natural_key(c.label)),
            "room": sorted((Choice(r.id, r.name) for r in scenario.rooms), key=lambda c: natural_key(c.label)),
            "slot": [Choice(s.id, slot_text(s)) for s in sorted(scenario.slots, key=lambda s: (s.day, s.start))]}


def find_change(scenario: Scenario, kind: str, code: str) -> Change:
    if kind not in KINDS:
        raise WhatIfError(_("Choose a facilitator, a room or a weekly slot."))
    if not code:
        raise WhatIfError({"facilitator": _("Facilitator: choose who leaves."),
                           "room": _("Room: choose the room that closes."),
                           "slot": _("Weekly slot: choose the slot that is removed.")}[kind])
    try:
        if kind == "facilitator":
            return Change(kind, code, scenario.facilitator(code).name)
        if kind == "room":
            return Change(kind, code, scenario.room(code).name)
        return Change(kind, code, slot_text(scenario.slot(code), in_sentence=True))
    except KeyError:
        raise WhatIfError({"facilitator": _("Facilitator: this center has no such facilitator."),
                           "room": _("Room: this center has no such room."),
                           "slot": _("Weekly slot: this center has no such slot.")}[kind]) from None


def published_baseline(center: Center) -> ScheduleVersion:
    published = versions.current_published(center)
    if published is None:
        raise WhatIfError(_("Nothing is published yet. A what-if re-plans the published schedule: publish a "
                            "version first, then ask what if."))
    return published


# --------------------------------------------------------------------------- who is affected


def impact(center: Center, kind: str, code: str, day: dt.date | None = None) -> Impact:
    """Who the change reaches in the published term, from ``day`` (today) on, and whether a re-plan
    can start. Raises :class:`WhatIfError` when nothing is published or the choice is unknown."""
    published = published_baseline(center)
    current = export_scenario(center)
    change = find_change(current, kind, code)
    state = term_state(published)
    data = state.data
    since = max(day or dt.date.today(), data.center.term_start)

    def reaches(group_slots: tuple[str, ...], room: str, facilitators: tuple[str, ...]) -> bool:
        return {"facilitator": code in facilitators, "room": room == code, "slot": code in group_slots}[kind]

    dates: dict[str, list[dt.date]] = {}
    for meeting in state.meetings:
        if meeting.date >= since and not meeting.cancelled and reaches(
                (meeting.slot_id,), meeting.room, meeting.facilitators):
            dates.setdefault(meeting.group_id, []).append(meeting.date)
    groups: list[AffectedGroup] = []
    people: set[str] = set()
    for group in data.schedule.groups:
        if group.id not in dates and not reaches(group.sessions, group.room, group.facilitators):
            continue
        roster = state.rosters.get(group.id)
        members = roster.on(since) if roster is not None else group.members
        people.update(members)
        groups.append(AffectedGroup(group.id, people_search.group_title(data.scenario, group.id, group.activity),
                                    sorted((data.participant_name(m) for m in members), key=natural_key),
                                    sorted(set(dates.get(group.id, [])))))
    after = changed_scenario(current, change)
    return Impact(change, published, since, groups, len(people), problems=obvious_problems(after, change))


# --------------------------------------------------------------------------- the changed scenario


def changed_scenario(scenario: Scenario, change: Change) -> Scenario:
    """The scenario without the facilitator, room or slot (a slot also leaves everyone's lists)."""
    if change.kind == "facilitator":
        return dataclasses.replace(scenario, facilitators=tuple(f for f in scenario.facilitators
                                                                if f.id != change.code))
    if change.kind == "room":
        return dataclasses.replace(scenario, rooms=tuple(r for r in scenario.rooms if r.id != change.code))

    def without(ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(s for s in ids if s != change.code)

    return dataclasses.replace(
        scenario, slots=tuple(s for s in scenario.slots if s.id != change.code),
        facilitators=tuple(dataclasses.replace(f, available=without(f.available), if_needed=without(f.if_needed))
                           for f in scenario.facilitators),
        participants=tuple(dataclasses.replace(p, available=without(p.available), if_needed=without(p.if_needed))
                           for p in scenario.participants))


def _qualified(scenario: Scenario, activity: Activity) -> int:
    # As the solver reads it (solver.model.eligible_facilitators), without importing OR-Tools here.
    return sum(1 for f in scenario.facilitators if set(activity.required_skills) <= set(f.skills)
               and (not activity.language or activity.language in f.languages))


def _suitable_rooms(scenario: Scenario, activity: Activity) -> int:
    return sum(1 for r in scenario.rooms
               if set(activity.room_features) <= set(r.features) and r.capacity >= max(activity.min_size, 1))


def obvious_problems(after: Scenario, change: Change) -> list[str]:
    """Why the changed center could not be planned at all, found without a search: nothing of that
    kind left, or an activity that must run losing everything it needs. Empty when none is obvious."""
    if change.kind == "facilitator" and not after.facilitators:
        return [_("No facilitator would be left, so no group could run.")]
    if change.kind == "room" and not after.rooms:
        return [_("No room would be left, so no group could meet.")]
    if change.kind == "slot" and not after.slots:
        return [_("No weekly slot would be left, so no group could meet.")]
    problems = []
    days = len({s.day for s in after.slots})
    for activity in after.activities:
        if activity.min_groups <= 0:
            continue  # an activity that may close: the re-plan may leave it out
        if change.kind == "facilitator" and _qualified(after, activity) < activity.facilitators_per_group:
            problems.append(_("%(activity)s must run, and it needs %(n)d qualified facilitators for a group: "
                              "without this facilitator there would be fewer.",
                              activity=activity.name, n=activity.facilitators_per_group))
        if change.kind == "room" and not _suitable_rooms(after, activity):
            problems.append(_("%(activity)s must run, and no other room suits it.", activity=activity.name))
        if change.kind == "slot" and days < activity.sessions_per_week:
            problems.append(_("%(activity)s must run and meets on %(n)d days a week, but fewer days would "
                              "have a slot.", activity=activity.name, n=activity.sessions_per_week))
    # The copy is checked as an upload would be, so a build never starts on a center the solver refuses.
    problems += [str(problem) for problem in validate_scenario(after.to_dict())]
    return problems


# --------------------------------------------------------------------------- starting the re-plan


def start(center: Center, user: User | None, kind: str, code: str, time_limit_s: float) -> SolveJob:
    """Start the re-plan as a draft: a build of the changed copy that stays close to the published
    version. Refuses (``WhatIfError``, ``solving.SolveRefusedError``) before anything is written."""
    found = impact(center, kind, code)
    if found.problems:
        raise WhatIfError(_("This re-plan cannot start: %(why)s", why=" ".join(found.problems)))
    change = found.change
    purpose: dict[str, Any] = {"kind": PURPOSE_KIND, "change": change.kind, "code": change.code,
                               "name": change.label, "published": found.published.number,
                               "groups": len(found.groups), "people": found.people}
    if change.kind == "slot":  # the slot in words is written when shown, in the reader's language
        slot = export_scenario(center).slot(change.code)
        purpose["slot"] = {"day": slot.day_code, "start": format_minutes(slot.start), "end": format_minutes(slot.end)}
    after = changed_scenario(export_scenario(center), change)
    job = solving.create_job(center, user, time_limit_s, stay_close_to=found.published, scenario=after,
                             purpose=purpose)
    solving.commit_new_job(job)
    solving.dispatch(job)
    return job


# --------------------------------------------------------------------------- on the draft's page


def summary(version: ScheduleVersion) -> Summary | None:
    """For a version built as a what-if: what it was built for and who it moves from the published
    term as it stood when the build started. None for any other version."""
    purpose = solving.purpose_of(version)
    if not purpose or purpose.get("kind") != PURPOSE_KIND:
        return None
    kind, label = str(purpose.get("change", "")), str(purpose.get("name", purpose.get("code", "")))
    slot = purpose.get("slot")
    if kind == "slot" and isinstance(slot, dict) and slot.get("day") in DAYS:
        label = slot_words(slot["day"], str(slot.get("start", "")), str(slot.get("end", "")), in_sentence=True)
    number = purpose.get("published")
    published = versions.find_version(version.center, number) if isinstance(number, int) else None
    data = versions.version_data(version)
    before_data = versions.version_data(published) if published is not None else data
    params = version.job.params if version.job is not None else {}
    # The published term as the build started from it (with joins and leaves since publishing).
    baseline = (load_schedule(params["baseline"]) if params.get("baseline")
                else before_data.schedule if published is not None else None)
    old_groups = {g.id: g for g in baseline.groups} if baseline is not None else {}

    def name(code: str) -> str:
        found = data.participant_name(code)
        return found if found != code else before_data.participant_name(code)

    def title(group_id: str) -> str:
        group = data.groups.get(group_id) or old_groups.get(group_id)
        scenario = data.scenario if group_id in data.groups else before_data.scenario
        return people_search.group_title(scenario, group_id, group.activity) if group is not None else group_id

    before, after = people_search.placements(baseline), people_search.placements(data.schedule)
    moved = sorted((Moved(name(code), sorted(title(g) for g in groups),
                          sorted(title(g) for g in after.get(code, frozenset())))
                    for code, groups in before.items() if after.get(code, frozenset()) != groups),
                   key=lambda m: natural_key(m.name))
    changed = sum(1 for g in data.schedule.groups if g.id in old_groups and _group_moved(old_groups[g.id], g))
    return Summary(headline(kind, label), number if isinstance(number, int) else None, moved, changed)


def _group_moved(old: Group, new: Group) -> bool:
    """Whether a group meets at other times, in another room or with other facilitators."""
    return (sorted(old.sessions) != sorted(new.sessions) or old.room != new.room
            or sorted(old.facilitators) != sorted(new.facilitators))
