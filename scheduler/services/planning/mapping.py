"""Each planning entity's row <-> field mapping, declared once.

The scenario's typed entities (``solver.scenario``) are the fields; the models (``scheduler.models``)
are the rows. Creating a center, syncing a whole scenario into one, editing one item and reading a
center back all go through the functions here, so a column and its field can never disagree
between two writers. A row's ``code`` is the entity's ``id``; ``position`` keeps the file's order.
Child rows (availability, preferences, pairs, holidays) have no identity of their own and are
written by ``planning.sync`` from the lists here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scheduler.models import Activity, Facilitator, Participant, Room, Slot
from solver import scenario as sc

Columns = dict[str, Any]


def slot_columns(slot: sc.Slot) -> Columns:
    return {"day": slot.day, "start_minute": slot.start, "end_minute": slot.end}


def slot_of(row: Slot) -> sc.Slot:
    return sc.Slot(row.code, row.day, row.start_minute, row.end_minute)


def room_columns(room: sc.Room) -> Columns:
    return {"name": room.name, "capacity": room.capacity, "features": list(room.features)}


def room_of(row: Room) -> sc.Room:
    return sc.Room(row.code, row.name, row.capacity, tuple(row.features))


def activity_columns(a: sc.Activity) -> Columns:
    return {"name": a.name, "sessions_per_week": a.sessions_per_week, "min_size": a.min_size,
            "max_size": a.max_size, "min_groups": a.min_groups, "max_groups": a.max_groups,
            "facilitators_per_group": a.facilitators_per_group, "required_skills": list(a.required_skills),
            "room_features": list(a.room_features), "language": a.language, "description": a.description}


def activity_of(row: Activity) -> sc.Activity:
    return sc.Activity(id=row.code, name=row.name, sessions_per_week=row.sessions_per_week, min_size=row.min_size,
                       max_size=row.max_size, max_groups=row.max_groups,
                       facilitators_per_group=row.facilitators_per_group, required_skills=tuple(row.required_skills),
                       room_features=tuple(row.room_features), min_groups=row.min_groups, language=row.language,
                       description=row.description or "")


def facilitator_columns(f: sc.Facilitator) -> Columns:
    # Only the planning fields: the linked account (user_id) and feed tokens are the row's own.
    return {"name": f.name, "email": f.email, "skills": list(f.skills), "languages": list(f.languages),
            "max_sessions_per_week": f.max_sessions_per_week}


def facilitator_of(row: Facilitator, available: tuple[str, ...], if_needed: tuple[str, ...]) -> sc.Facilitator:
    return sc.Facilitator(id=row.code, name=row.name, email=row.email, skills=tuple(row.skills),
                          available=available, max_sessions_per_week=row.max_sessions_per_week,
                          if_needed=if_needed, languages=tuple(row.languages))


def participant_columns(p: sc.Participant) -> Columns:
    # Only the planning fields: personal links, page language and answer time are the row's own.
    return {"name": p.name, "email": p.email, "max_groups": p.max_groups, "needs": list(p.needs),
            "languages": list(p.languages)}


def participant_of(row: Participant, available: tuple[str, ...], if_needed: tuple[str, ...],
                   preferences: tuple[str, ...]) -> sc.Participant:
    return sc.Participant(id=row.code, name=row.name, email=row.email, available=available,
                          preferences=preferences, max_groups=row.max_groups, needs=tuple(row.needs),
                          if_needed=if_needed, languages=tuple(row.languages))


@dataclass(frozen=True)
class Section:
    """One list of the scenario and the table holding it."""

    name: str  # the scenario's key: "slots", "rooms", ...
    model: Any
    columns: Callable[[Any], Columns]

    def entities(self, scenario: sc.Scenario) -> tuple[Any, ...]:
        return tuple(getattr(scenario, self.name))


SECTIONS = (
    Section("slots", Slot, slot_columns),
    Section("rooms", Room, room_columns),
    Section("activities", Activity, activity_columns),
    Section("facilitators", Facilitator, facilitator_columns),
    Section("participants", Participant, participant_columns),
)
SECTION = {section.name: section for section in SECTIONS}
