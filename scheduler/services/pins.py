"""Pinning parts of a reviewed version, and turning a center's pins into the solver's ``Pins``.

A coordinator pins from a version's review page: a group's times, room or facilitators, or the
groups a participant is in. The next "Build schedule" sends every pin that still makes sense and
starts its search from the version pinned from. A pin whose group, slot, room, facilitator or
participant has gone since (or whose activity now meets a different number of times, or with a
different number of facilitators) is *stale*: listed as such, never sent, until removed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.i18n import slots_text
from scheduler.models import Center, Pin, PinKind, ScheduleVersion, User
from scheduler.services.scenarios import export_scenario
from scheduler.services.versions import schedule_of
from solver import Scenario
from solver.schedule import Schedule

GROUP_PARTS = {"slots": PinKind.GROUP_SLOTS, "room": PinKind.GROUP_ROOM,
               "facilitators": PinKind.GROUP_FACILITATORS}


class PinError(ValueError):
    """A pin that cannot be made; the message says why, in words."""


@dataclass(frozen=True)
class PinView:
    """A pin as the pins list shows it, named with the center's current data."""

    id: int
    kind: PinKind
    subject: str  # "Community choir, group 1" / "Participant 12"
    values: str  # "Monday 09:00–10:15" / "Hall" / "Ana, Bea" / "choir-1"
    version_number: int | None
    stale: str | None  # why it is no longer sent, or None when it is


@dataclass(frozen=True)
class SolverPins:
    """What a build sends: the pins in the interchange vocabulary (``solver.solve.Pins`` fields,
    kept as plain data so a job can store them), the version to start from, and what was left out."""

    pins: dict[str, dict[str, Any]]
    hint_version_id: int | None
    stale: list[PinView]

    @property
    def count(self) -> int:
        return sum(len(table) for table in self.pins.values())


# --------------------------------------------------------------------------- making and removing


def pin_group(center: Center, version: ScheduleVersion, group_id: str, parts: Iterable[str],
              user: User | None) -> list[Pin]:
    """Pin the chosen parts of one of the version's groups ("slots", "room", "facilitators",
    "members": each member keeps the groups they have in this version). The caller commits."""
    chosen = set(parts)
    if not chosen:
        raise PinError(_("Choose what to keep: its times, its room, its facilitators or its members."))
    unknown = chosen - set(GROUP_PARTS) - {"members"}
    if unknown:
        raise PinError(_("Unknown part to pin: %(part)s.", part=", ".join(sorted(unknown))))
    schedule = schedule_of(version)
    group = next((g for g in schedule.groups if g.id == group_id), None)
    if group is None:
        raise PinError(_("Version %(number)d has no group %(group)s.", number=version.number, group=group_id))
    scenario = export_scenario(center)
    made = []
    wanted = {"slots": list(group.sessions), "room": [group.room], "facilitators": list(group.facilitators)}
    for part, kind in GROUP_PARTS.items():
        if part in chosen:
            made.append(_save(center, version, kind, group.id, wanted[part], scenario, user))
    if "members" in chosen:
        for member in group.members:
            made.append(_save(center, version, PinKind.PARTICIPANT_GROUPS, member, _groups_of(schedule, member),
                              scenario, user))
    return made


def pin_participant(center: Center, version: ScheduleVersion, participant: str, user: User | None) -> Pin:
    """Keep a participant in the groups they have in ``version``. The caller commits."""
    schedule = schedule_of(version)
    groups = _groups_of(schedule, participant)
    if not groups:
        raise PinError(_("This participant has no group in version %(number)d; only a placed participant "
                         "can be pinned.", number=version.number))
    return _save(center, version, PinKind.PARTICIPANT_GROUPS, participant, groups, export_scenario(center), user)


def remove_pin(center: Center, pin_id: int) -> bool:
    """Remove one of the center's pins; False when there is no such pin (already removed)."""
    pin = db.session.get(Pin, pin_id)
    if pin is None or pin.center_id != center.id:
        return False
    db.session.delete(pin)
    return True


def _groups_of(schedule: Schedule, participant: str) -> list[str]:
    return sorted(g.id for g in schedule.groups if participant in g.members)


def _save(center: Center, version: ScheduleVersion, kind: PinKind, subject: str, values: list[str],
          scenario: Scenario, user: User | None) -> Pin:
    # A pin that would be stale at once is refused: it would silently do nothing.
    problem = stale_reason(scenario, kind, subject, values)
    if problem:
        raise PinError(_("This cannot be pinned: %(reason)s", reason=problem))
    pin = db.session.scalar(select(Pin).where(Pin.center_id == center.id, Pin.kind == kind, Pin.subject == subject))
    if pin is None:
        pin = Pin(center_id=center.id, kind=kind, subject=subject)
        db.session.add(pin)
    pin.values, pin.version, pin.created_by = list(values), version, user
    return pin


# --------------------------------------------------------------------------- reading


def center_pins(center: Center) -> list[Pin]:
    return list(db.session.scalars(select(Pin).where(Pin.center_id == center.id).order_by(Pin.kind, Pin.subject)))


def pin_views(center: Center, scenario: Scenario | None = None) -> list[PinView]:
    scenario = scenario or export_scenario(center)
    return [_view(scenario, pin) for pin in center_pins(center)]


def for_solver(center: Center, scenario: Scenario) -> SolverPins:
    """The pins a build of ``scenario`` sends, the version its search starts from, and the stale
    pins it leaves out."""
    tables: dict[str, dict[str, Any]] = {"group_slots": {}, "group_rooms": {}, "group_facilitators": {},
                                         "participant_groups": {}}
    stale: list[PinView] = []
    sources: list[Pin] = []
    for pin in center_pins(center):
        view = _view(scenario, pin)
        if view.stale:
            stale.append(view)
            continue
        sources.append(pin)
        if pin.kind == PinKind.GROUP_SLOTS:
            tables["group_slots"][pin.subject] = list(pin.values)
        elif pin.kind == PinKind.GROUP_ROOM:
            tables["group_rooms"][pin.subject] = pin.values[0]
        elif pin.kind == PinKind.GROUP_FACILITATORS:
            tables["group_facilitators"][pin.subject] = list(pin.values)
        else:
            tables["participant_groups"][pin.subject] = list(pin.values)
    # The newest pin's version: pins from it are all satisfied by its schedule, a good place to start.
    pinned_from = [p for p in sources if p.version_id is not None]
    hint = max(pinned_from, key=lambda p: (p.created_at, p.id)).version_id if pinned_from else None
    return SolverPins(pins=tables, hint_version_id=hint, stale=stale)


def stale_reason(scenario: Scenario, kind: PinKind, subject: str, values: list[str]) -> str | None:
    """Why a pin no longer fits the center's data, or None when it does."""
    slots = {s.id for s in scenario.slots}
    rooms = {r.id for r in scenario.rooms}
    facilitators = {f.id for f in scenario.facilitators}
    participants = {p.id for p in scenario.participants}
    if kind == PinKind.PARTICIPANT_GROUPS:
        if subject not in participants:
            return _("the participant %(code)s has been deleted.", code=subject)
        for group in values:
            problem = _group_problem(scenario, group)
            if problem:
                return problem
        return None
    problem = _group_problem(scenario, subject)
    if problem:
        return problem
    activity = scenario.activity(_activity_code(subject))
    if kind == PinKind.GROUP_SLOTS:
        gone = [s for s in values if s not in slots]
        if gone:
            return _("the weekly slot %(code)s has been deleted.", code=", ".join(gone))
        if len(values) != activity.sessions_per_week:
            return _("%(activity)s now meets %(n)d times a week, not %(m)d.", activity=activity.name,
                     n=activity.sessions_per_week, m=len(values))
    elif kind == PinKind.GROUP_ROOM:
        if not values or values[0] not in rooms:
            return _("the room %(code)s has been deleted.", code=", ".join(values))
    elif kind == PinKind.GROUP_FACILITATORS:
        gone = [f for f in values if f not in facilitators]
        if gone:
            return _("the facilitator %(code)s has been deleted.", code=", ".join(gone))
        if len(values) != activity.facilitators_per_group:
            return _("%(activity)s now has %(n)d facilitators per group, not %(m)d.", activity=activity.name,
                     n=activity.facilitators_per_group, m=len(values))
    return None


def _activity_code(group_id: str) -> str:
    return group_id.rsplit("-", 1)[0]


def _group_problem(scenario: Scenario, group_id: str) -> str | None:
    # Group ids are "<activity>-<k>", k = 1..max_groups, as solver.model.group_ids makes them
    # (not imported: it would load OR-Tools into every web server).
    code, _sep, k = group_id.rpartition("-")
    activities = {a.id: a for a in scenario.activities}
    if code not in activities:
        return _("the activity of group %(group)s has been deleted.", group=group_id)
    if not k.isdigit() or not 1 <= int(k) <= activities[code].max_groups:
        return _("%(activity)s now runs at most %(n)d groups, so group %(group)s no longer exists.",
                 activity=activities[code].name, n=activities[code].max_groups, group=group_id)
    return None


def _view(scenario: Scenario, pin: Pin) -> PinView:
    values = list(pin.values)
    return PinView(id=pin.id, kind=pin.kind, subject=_subject_label(scenario, pin), values=_values_label(scenario,
                   pin.kind, values), version_number=pin.version.number if pin.version else None,
                   stale=stale_reason(scenario, pin.kind, pin.subject, values))


def group_label(scenario: Scenario, group_id: str) -> str:
    code, _sep, k = group_id.rpartition("-")
    names = {a.id: a.name for a in scenario.activities}
    if code in names:
        return _("%(activity)s, group %(k)s", activity=names[code], k=k)
    return group_id


def _subject_label(scenario: Scenario, pin: Pin) -> str:
    if pin.kind == PinKind.PARTICIPANT_GROUPS:
        names = {p.id: p.name for p in scenario.participants}
        return names.get(pin.subject, pin.subject)
    return group_label(scenario, pin.subject)


def _values_label(scenario: Scenario, kind: PinKind, values: list[str]) -> str:
    if kind == PinKind.GROUP_SLOTS:
        return slots_text(scenario, values)
    if kind == PinKind.GROUP_ROOM:
        rooms = {r.id: r.name for r in scenario.rooms}
        return ", ".join(rooms.get(v, v) for v in values)
    if kind == PinKind.GROUP_FACILITATORS:
        people = {f.id: f.name for f in scenario.facilitators}
        return ", ".join(people.get(v, v) for v in values)
    return ", ".join(group_label(scenario, v) for v in values)
