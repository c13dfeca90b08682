"""Reading a center's planning data as the solver's typed :class:`Scenario`.

Read as plain rows, a few queries in all: loading tens of thousands of availability objects
through the ORM costs seconds for a large center."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
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
from scheduler.services.planning import mapping
from solver import scenario as sc

Grouped = dict[tuple[int, str], list[str]]


def _availability(cid: int, model: type[FacilitatorAvailability] | type[ParticipantAvailability],
                  owner: type[Facilitator] | type[Participant]) -> Grouped:
    owner_column = model.facilitator_id if model is FacilitatorAvailability else model.participant_id
    query = (select(owner_column, model.level, Slot.code).join(Slot, Slot.id == model.slot_id)
             .join(owner, owner.id == owner_column).where(owner.center_id == cid)
             .order_by(owner_column, model.level, model.position))
    grouped: Grouped = {}
    for owner_id, level, code in db.session.execute(query):
        grouped.setdefault((owner_id, level), []).append(code)
    return grouped


def _ordered(model: Any, cid: int) -> list[Any]:
    return list(db.session.scalars(select(model).where(model.center_id == cid).order_by(model.position)))


def read_center(center: Center) -> sc.Scenario:
    """The center's planning data, typed; ``read_center(c).to_dict()`` is its export file."""
    cid = center.id
    facilitator_slots = _availability(cid, FacilitatorAvailability, Facilitator)
    participant_slots = _availability(cid, ParticipantAvailability, Participant)

    def slots_of(grouped: Grouped, owner_id: int, level: str) -> tuple[str, ...]:
        return tuple(grouped.get((owner_id, level), ()))

    preferences: dict[int, list[str]] = {}
    for participant_id, code in db.session.execute(
        select(Preference.participant_id, Activity.code).join(Activity, Activity.id == Preference.activity_id)
        .where(Activity.center_id == cid).order_by(Preference.participant_id, Preference.rank)
    ):
        preferences.setdefault(participant_id, []).append(code)
    first, second = aliased(Participant), aliased(Participant)
    pairs = db.session.execute(
        select(ParticipantPair.kind, first.code, second.code)
        .join(first, first.id == ParticipantPair.first_id).join(second, second.id == ParticipantPair.second_id)
        .where(ParticipantPair.center_id == cid).order_by(ParticipantPair.position)
    ).all()
    holidays = db.session.scalars(select(Holiday.date).where(Holiday.center_id == cid).order_by(Holiday.date))
    available, if_needed = AvailabilityLevel.AVAILABLE, AvailabilityLevel.IF_NEEDED
    return sc.Scenario(
        center=sc.Center(name=center.name, timezone=center.timezone, term_start=center.term_start,
                         term_end=center.term_end, holidays=tuple(holidays)),
        slots=tuple(mapping.slot_of(row) for row in _ordered(Slot, cid)),
        rooms=tuple(mapping.room_of(row) for row in _ordered(Room, cid)),
        activities=tuple(mapping.activity_of(row) for row in _ordered(Activity, cid)),
        facilitators=tuple(
            mapping.facilitator_of(row, slots_of(facilitator_slots, row.id, available),
                                   slots_of(facilitator_slots, row.id, if_needed))
            for row in _ordered(Facilitator, cid)
        ),
        participants=tuple(
            mapping.participant_of(row, slots_of(participant_slots, row.id, available),
                                   slots_of(participant_slots, row.id, if_needed),
                                   tuple(preferences.get(row.id, ())))
            for row in _ordered(Participant, cid)
        ),
        keep_apart=tuple((a, b) for kind, a, b in pairs if kind == PairKind.APART),
        keep_together=tuple((a, b) for kind, a, b in pairs if kind == PairKind.TOGETHER),
    )
