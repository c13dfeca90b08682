"""Read models of a center for its pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduler.extensions import db
from scheduler.models import AvailabilityLevel, Center, PairKind, Participant
from solver.scenario import DAYS, format_minutes


@dataclass(frozen=True)
class ParticipantRow:
    code: str
    name: str
    preferences: list[str]  # activity names, most wanted first
    available: int
    if_needed: int
    max_groups: int
    needs: list[str]


@dataclass(frozen=True)
class CenterSummary:
    slots_by_day: list[tuple[str, list[str]]]  # ("MO", ["09:00-10:15", ...])
    participants: list[ParticipantRow]
    keep_apart: list[tuple[str, str]]
    keep_together: list[tuple[str, str]]


def center_summary(center: Center) -> CenterSummary:
    by_day: dict[int, list[str]] = {}
    for slot in sorted(center.slots, key=lambda s: (s.day, s.start_minute)):
        by_day.setdefault(slot.day, []).append(f"{format_minutes(slot.start_minute)}–{format_minutes(slot.end_minute)}")
    people = db.session.scalars(
        select(Participant).where(Participant.center_id == center.id).order_by(Participant.position)
        .options(selectinload(Participant.availability), selectinload(Participant.preferences))
    ).all()
    rows = [
        ParticipantRow(
            code=p.code, name=p.name, preferences=[pref.activity.name for pref in p.preferences],
            available=sum(1 for a in p.availability if a.level == AvailabilityLevel.AVAILABLE),
            if_needed=sum(1 for a in p.availability if a.level == AvailabilityLevel.IF_NEEDED),
            max_groups=p.max_groups, needs=list(p.needs),
        )
        for p in people
    ]
    pairs = sorted(center.pairs, key=lambda pair: pair.position)
    return CenterSummary(
        slots_by_day=[(DAYS[day], times) for day, times in sorted(by_day.items())],
        participants=rows,
        keep_apart=[(p.first.name, p.second.name) for p in pairs if p.kind == PairKind.APART],
        keep_together=[(p.first.name, p.second.name) for p in pairs if p.kind == PairKind.TOGETHER],
    )
