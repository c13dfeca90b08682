"""The only adapter between rows and the solver's interchange format.

``import_scenario`` turns a validated :class:`solver.Scenario` into a center's rows;
``export_scenario`` turns them back. Both are exact inverses, which the round-trip tests check
on every shared scenario. Validation itself lives in ``solver.scenario`` and is not repeated here.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import aliased

from scheduler.extensions import db
from scheduler.models import (
    Activity,
    AvailabilityLevel,
    Center,
    Facilitator,
    FacilitatorAvailability,
    Holiday,
    PairKind,
    Participant,
    ParticipantAvailability,
    ParticipantPair,
    Preference,
    Room,
    Slot,
)
from solver import scenario as sc


class CenterExistsError(ValueError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f'a center named "{name}" already exists')


def find_center(name: str) -> Center | None:
    return db.session.scalar(select(Center).where(Center.name == name))


def import_scenario(scenario: sc.Scenario, center_name: str | None = None, *, replace: bool = False) -> Center:
    """Create a center from ``scenario`` (or, with ``replace``, swap an existing center's planning
    data for it, keeping the center's accounts). Nothing is committed here.

    Rows go in as bulk inserts: a 2 000-person scenario has some 60 000 rows, which the ORM's
    one-object-at-a-time unit of work takes seconds to flush."""
    name = center_name or scenario.center.name
    center = find_center(name)
    if center is not None and not replace:
        raise CenterExistsError(name)
    if center is None:
        center = Center(name=name)
        db.session.add(center)
    else:
        _clear_planning_data(center)
    info = scenario.center
    center.timezone = info.timezone
    center.term_start = info.term_start
    center.term_end = info.term_end
    db.session.flush()
    cid = center.id

    def insert_all(model: type, rows: list[dict[str, object]]) -> dict[str, int]:
        """Insert rows; return code -> id for models that have a code."""
        if not rows:
            return {}
        if "code" not in rows[0]:
            db.session.execute(insert(model), rows)
            return {}
        result = db.session.execute(insert(model).returning(model.code, model.id), rows)  # type: ignore[attr-defined]
        return {code: row_id for code, row_id in result}

    insert_all(Holiday, [{"center_id": cid, "date": day} for day in info.holidays])
    slot_ids = insert_all(Slot, [{"center_id": cid, "code": s.id, "day": s.day, "start_minute": s.start,
                                  "end_minute": s.end, "position": i} for i, s in enumerate(scenario.slots)])
    insert_all(Room, [{"center_id": cid, "code": r.id, "name": r.name, "capacity": r.capacity,
                       "features": list(r.features), "position": i} for i, r in enumerate(scenario.rooms)])
    activity_ids = insert_all(Activity, [
        {"center_id": cid, "code": a.id, "name": a.name, "sessions_per_week": a.sessions_per_week,
         "min_size": a.min_size, "max_size": a.max_size, "min_groups": a.min_groups, "max_groups": a.max_groups,
         "facilitators_per_group": a.facilitators_per_group, "required_skills": list(a.required_skills),
         "room_features": list(a.room_features), "language": a.language, "position": i}
        for i, a in enumerate(scenario.activities)
    ])
    facilitator_ids = insert_all(Facilitator, [
        {"center_id": cid, "code": f.id, "name": f.name, "email": f.email, "skills": list(f.skills),
         "languages": list(f.languages), "max_sessions_per_week": f.max_sessions_per_week, "position": i}
        for i, f in enumerate(scenario.facilitators)
    ])
    participant_ids = insert_all(Participant, [
        {"center_id": cid, "code": p.id, "name": p.name, "email": p.email, "max_groups": p.max_groups,
         "needs": list(p.needs), "languages": list(p.languages), "position": i}
        for i, p in enumerate(scenario.participants)
    ])
    insert_all(FacilitatorAvailability, [
        {"facilitator_id": facilitator_ids[f.id], "slot_id": slot_ids[slot_id], "level": level, "position": j}
        for f in scenario.facilitators for level, j, slot_id in _availability(f.available, f.if_needed)
    ])
    insert_all(ParticipantAvailability, [
        {"participant_id": participant_ids[p.id], "slot_id": slot_ids[slot_id], "level": level, "position": j}
        for p in scenario.participants for level, j, slot_id in _availability(p.available, p.if_needed)
    ])
    insert_all(Preference, [
        {"participant_id": participant_ids[p.id], "activity_id": activity_ids[a], "rank": rank}
        for p in scenario.participants for rank, a in enumerate(p.preferences, start=1)
    ])
    pairs = [(PairKind.APART, pair) for pair in scenario.keep_apart]
    pairs += [(PairKind.TOGETHER, pair) for pair in scenario.keep_together]
    insert_all(ParticipantPair, [
        {"center_id": cid, "kind": kind, "first_id": participant_ids[a], "second_id": participant_ids[b],
         "position": i}
        for i, (kind, (a, b)) in enumerate(pairs)
    ])
    db.session.expire(center)  # its collections were filled behind the ORM's back
    return center


def _availability(
    available: tuple[str, ...], if_needed: tuple[str, ...]
) -> Iterator[tuple[AvailabilityLevel, int, str]]:
    for j, slot_id in enumerate(available):
        yield AvailabilityLevel.AVAILABLE, j, slot_id
    for j, slot_id in enumerate(if_needed):
        yield AvailabilityLevel.IF_NEEDED, j, slot_id


def _clear_planning_data(center: Center) -> None:
    # People, activities, slots, rooms and holidays; their availability, preferences and pairs
    # go with them through ON DELETE CASCADE. Accounts and memberships stay.
    for model in (ParticipantPair, Participant, Facilitator, Activity, Room, Slot, Holiday):
        db.session.execute(delete(model).where(model.center_id == center.id))  # type: ignore[attr-defined]
    db.session.expire(center)


def export_scenario(center: Center) -> sc.Scenario:
    """The center's planning data in the interchange format.

    Read as plain rows, a few queries in all: loading tens of thousands of availability objects
    through the ORM costs seconds for a large center."""
    cid = center.id
    rows = db.session.execute

    def availability(model: type[FacilitatorAvailability] | type[ParticipantAvailability],
                     owner: type[Facilitator] | type[Participant]) -> dict[tuple[int, str], list[str]]:
        owner_column = model.facilitator_id if model is FacilitatorAvailability else model.participant_id
        query = (select(owner_column, model.level, Slot.code).join(Slot, Slot.id == model.slot_id)
                 .join(owner, owner.id == owner_column).where(owner.center_id == cid)
                 .order_by(owner_column, model.level, model.position))
        grouped: dict[tuple[int, str], list[str]] = {}
        for owner_id, level, code in rows(query):
            grouped.setdefault((owner_id, level), []).append(code)
        return grouped

    def slots_of(grouped: dict[tuple[int, str], list[str]], owner_id: int, level: str) -> tuple[str, ...]:
        return tuple(grouped.get((owner_id, level), ()))

    available, if_needed = AvailabilityLevel.AVAILABLE, AvailabilityLevel.IF_NEEDED
    facilitator_slots = availability(FacilitatorAvailability, Facilitator)
    participant_slots = availability(ParticipantAvailability, Participant)
    preferences: dict[int, list[str]] = {}
    for participant_id, code in rows(
        select(Preference.participant_id, Activity.code).join(Activity, Activity.id == Preference.activity_id)
        .where(Activity.center_id == cid).order_by(Preference.participant_id, Preference.rank)
    ):
        preferences.setdefault(participant_id, []).append(code)
    first, second = aliased(Participant), aliased(Participant)
    pairs = rows(
        select(ParticipantPair.kind, first.code, second.code)
        .join(first, first.id == ParticipantPair.first_id).join(second, second.id == ParticipantPair.second_id)
        .where(ParticipantPair.center_id == cid).order_by(ParticipantPair.position)
    ).all()

    def ordered(model: type) -> list:  # type: ignore[type-arg]
        return list(db.session.scalars(select(model).where(model.center_id == cid).order_by(model.position)))

    holidays = db.session.scalars(select(Holiday.date).where(Holiday.center_id == cid).order_by(Holiday.date))
    return sc.Scenario(
        center=sc.Center(name=center.name, timezone=center.timezone, term_start=center.term_start,
                         term_end=center.term_end, holidays=tuple(holidays)),
        slots=tuple(sc.Slot(s.code, s.day, s.start_minute, s.end_minute) for s in ordered(Slot)),
        rooms=tuple(sc.Room(r.code, r.name, r.capacity, tuple(r.features)) for r in ordered(Room)),
        activities=tuple(
            sc.Activity(
                id=a.code, name=a.name, sessions_per_week=a.sessions_per_week, min_size=a.min_size,
                max_size=a.max_size, max_groups=a.max_groups, facilitators_per_group=a.facilitators_per_group,
                required_skills=tuple(a.required_skills), room_features=tuple(a.room_features),
                min_groups=a.min_groups, language=a.language,
            )
            for a in ordered(Activity)
        ),
        facilitators=tuple(
            sc.Facilitator(
                id=f.code, name=f.name, email=f.email, skills=tuple(f.skills),
                available=slots_of(facilitator_slots, f.id, available),
                max_sessions_per_week=f.max_sessions_per_week,
                if_needed=slots_of(facilitator_slots, f.id, if_needed), languages=tuple(f.languages),
            )
            for f in ordered(Facilitator)
        ),
        participants=tuple(
            sc.Participant(
                id=p.code, name=p.name, email=p.email, available=slots_of(participant_slots, p.id, available),
                preferences=tuple(preferences.get(p.id, ())), max_groups=p.max_groups, needs=tuple(p.needs),
                if_needed=slots_of(participant_slots, p.id, if_needed), languages=tuple(p.languages),
            )
            for p in ordered(Participant)
        ),
        keep_apart=tuple((a, b) for kind, a, b in pairs if kind == PairKind.APART),
        keep_together=tuple((a, b) for kind, a, b in pairs if kind == PairKind.TOGETHER),
    )
