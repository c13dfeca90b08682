"""Writing planning data: a new center from a scenario, and a whole scenario into an existing
center as a sync by stable codes.

A sync touches only what differs. Rows keep their primary keys by code, so everything that hangs
on a row and is not planning data survives: participants' personal links, answers, page language
and feed tokens, facilitators' linked accounts and feed tokens, pins and versions (which name
codes). Child rows with no identity of their own (availability, preferences, pairs, holidays) are
rewritten only for an owner whose lists changed. Nothing is committed here; the caller commits once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import delete, insert, select

from scheduler.extensions import db
from scheduler.models import (
    AvailabilityLevel,
    Center,
    FacilitatorAvailability,
    Holiday,
    PairKind,
    ParticipantAvailability,
    ParticipantPair,
    Preference,
)
from scheduler.services import audit
from scheduler.services.planning import mapping
from scheduler.services.planning.reading import read_center
from solver import scenario as sc

PEOPLE = {"participants": "participant", "facilitators": "facilitator"}


@dataclasses.dataclass(frozen=True)
class Removal:
    """A person a sync would delete (with their links, answers and history in groups)."""

    kind: str  # "participant" or "facilitator"
    code: str
    name: str


def removed_people(old: sc.Scenario, new: sc.Scenario) -> list[Removal]:
    """People in ``old`` whose code is not in ``new``, in the order of ``old``."""
    gone = []
    for section, kind in PEOPLE.items():
        kept = {person.id for person in getattr(new, section)}
        gone += [Removal(kind, person.id, person.name) for person in getattr(old, section) if person.id not in kept]
    return gone


def _bulk_insert(model: Any, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert rows in one statement; return code -> primary key for models that have a code.

    A 2 000-person scenario has some 60 000 rows, which the ORM's one-object-at-a-time unit of
    work takes seconds to flush."""
    if not rows:
        return {}
    if "code" not in rows[0]:
        db.session.execute(insert(model), rows)
        return {}
    result = db.session.execute(insert(model).returning(model.code, model.id), rows)
    return {code: row_id for code, row_id in result}


def _levels(available: tuple[str, ...], if_needed: tuple[str, ...]) -> Iterator[tuple[AvailabilityLevel, int, str]]:
    for j, slot_id in enumerate(available):
        yield AvailabilityLevel.AVAILABLE, j, slot_id
    for j, slot_id in enumerate(if_needed):
        yield AvailabilityLevel.IF_NEEDED, j, slot_id


def create_center(scenario: sc.Scenario, name: str | None = None) -> Center:
    """A new center holding ``scenario`` (named ``name``, or as in the file). Nothing is committed."""
    info = scenario.center
    center = Center(name=name or info.name, timezone=info.timezone, term_start=info.term_start,
                    term_end=info.term_end)
    db.session.add(center)
    db.session.flush()
    empty = dataclasses.replace(scenario, slots=(), rooms=(), activities=(), facilitators=(), participants=(),
                                keep_apart=(), keep_together=(),
                                center=dataclasses.replace(info, name=center.name, holidays=()))
    sync_center(center, dataclasses.replace(scenario, center=dataclasses.replace(info, name=center.name)),
                old=empty, record=False)
    return center


def sync_center(center: Center, new: sc.Scenario, *, old: sc.Scenario | None = None, record: bool = True) -> None:
    """Make the center's rows say ``new`` (a validated scenario), touching only what differs from
    ``old`` (read from the rows when not given). With ``record``, every person added, removed or
    changed gets an audit entry naming the fields that changed."""
    old = old if old is not None else read_center(center)
    cid = center.id
    info = new.center
    center.name, center.timezone = info.name, info.timezone
    center.term_start, center.term_end = info.term_start, info.term_end
    if info.holidays != old.center.holidays:
        db.session.execute(delete(Holiday).where(Holiday.center_id == cid))
        db.session.flush()
        _bulk_insert(Holiday, [{"center_id": cid, "date": day} for day in info.holidays])
    ids = {section.name: _sync_section(cid, section, section.entities(old), section.entities(new))
           for section in mapping.SECTIONS}
    _sync_availability(ids, FacilitatorAvailability, "facilitator_id", old.facilitators, new.facilitators,
                       "facilitators")
    _sync_availability(ids, ParticipantAvailability, "participant_id", old.participants, new.participants,
                       "participants")
    _sync_preferences(ids, old.participants, new.participants)
    people_gone = bool({p.id for p in old.participants} - {p.id for p in new.participants})
    if (old.keep_apart, old.keep_together) != (new.keep_apart, new.keep_together) or people_gone:
        db.session.execute(delete(ParticipantPair).where(ParticipantPair.center_id == cid))
        pairs = [(PairKind.APART, p) for p in new.keep_apart] + [(PairKind.TOGETHER, p) for p in new.keep_together]
        _bulk_insert(ParticipantPair, [
            {"center_id": cid, "kind": kind, "first_id": ids["participants"][a],
             "second_id": ids["participants"][b], "position": i} for i, (kind, (a, b)) in enumerate(pairs)])
    db.session.flush()
    db.session.expire(center)  # its collections were changed behind the ORM's back
    if record:
        record_people_changes(cid, old, new)


def _sync_section(cid: int, section: mapping.Section, old: tuple[Any, ...], new: tuple[Any, ...]) -> dict[str, int]:
    """Update changed rows, insert new ones, delete gone ones; return code -> primary key."""
    model = section.model
    new_codes = {entity.id for entity in new}
    old_at = {entity.id: (i, entity) for i, entity in enumerate(old)}
    changed = {entity.id for i, entity in enumerate(new)
               if entity.id in old_at and (old_at[entity.id][0] != i
                                           or section.columns(old_at[entity.id][1]) != section.columns(entity))}
    gone = set(old_at) - new_codes
    rows = {}
    if gone or changed:
        wanted = gone | changed
        rows = {row.code: row for row in db.session.scalars(select(model).where(model.center_id == cid))
                if row.code in wanted}
    for code in gone:
        if code in rows:
            db.session.delete(rows[code])  # the ORM cascades to links, tokens and child rows
    db.session.flush()
    for i, entity in enumerate(new):
        if entity.id in changed:
            for key, value in (section.columns(entity) | {"position": i}).items():
                setattr(rows[entity.id], key, value)
    added = _bulk_insert(model, [{"center_id": cid, "code": entity.id, "position": i, **section.columns(entity)}
                                 for i, entity in enumerate(new) if entity.id not in old_at])
    db.session.flush()
    kept = new_codes - set(added)
    ids: dict[str, int] = {}
    if kept:
        query = select(model.code, model.id).where(model.center_id == cid, model.code.in_(kept))
        ids = {code: row_id for code, row_id in db.session.execute(query)}
    return ids | added


def _owners_changed(old: Iterable[Any], new: Iterable[Any], *fields: str) -> list[Any]:
    before = {entity.id: tuple(getattr(entity, f) for f in fields) for entity in old}
    return [entity for entity in new if before.get(entity.id) != tuple(getattr(entity, f) for f in fields)]


def _sync_availability(ids: dict[str, dict[str, int]], model: Any, owner_key: str, old: Iterable[Any],
                       new: Iterable[Any], section: str) -> None:
    changed = _owners_changed(old, new, "available", "if_needed")
    if not changed:
        return
    owners = [ids[section][person.id] for person in changed]
    db.session.execute(delete(model).where(getattr(model, owner_key).in_(owners)))
    _bulk_insert(model, [{owner_key: ids[section][person.id], "slot_id": ids["slots"][code], "level": level,
                          "position": j}
                         for person in changed for level, j, code in _levels(person.available, person.if_needed)])


def _sync_preferences(ids: dict[str, dict[str, int]], old: Iterable[sc.Participant],
                      new: Iterable[sc.Participant]) -> None:
    changed = _owners_changed(old, new, "preferences")
    if not changed:
        return
    owners = [ids["participants"][person.id] for person in changed]
    db.session.execute(delete(Preference).where(Preference.participant_id.in_(owners)))
    _bulk_insert(Preference, [{"participant_id": ids["participants"][person.id],
                               "activity_id": ids["activities"][code], "rank": rank}
                              for person in changed for rank, code in enumerate(person.preferences, start=1)])


def changed_fields(old: Any, new: Any) -> list[str]:
    """Names of the fields that differ between two entities of one kind (typed, so a missing
    optional list and an empty one are the same)."""
    return [f.name for f in dataclasses.fields(new) if getattr(old, f.name) != getattr(new, f.name)]


def record_people_changes(center_id: int, old: sc.Scenario, new: sc.Scenario) -> None:
    """One audit entry per person added, removed or changed, naming the fields (never their values)."""
    for section, kind in PEOPLE.items():
        before = {p.id: p for p in getattr(old, section)}
        after = {p.id: p for p in getattr(new, section)}
        for code in sorted(before.keys() | after.keys()):
            if code not in before:
                action, fields = "person.added", [f.name for f in dataclasses.fields(after[code])]
            elif code not in after:
                action, fields = "person.removed", [f.name for f in dataclasses.fields(before[code])]
            elif before[code] != after[code]:
                action, fields = "person.changed", changed_fields(before[code], after[code])
            else:
                continue
            audit.record(center_id, audit.current_actor(), action, f"{kind} {code}", None, {"fields": sorted(fields)})

