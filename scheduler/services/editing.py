"""Editing a center's planning data one item at a time, with the import's rules.

Every change goes the same way: export the center as a scenario dict, apply the change to the
dict, run ``solver.scenario.validate_scenario`` on the result, and only when it has no problems
write the difference back to the rows. So a form accepts exactly what a file upload accepts.

Writing back is a sync by id (``code``), not ``import_scenario(replace=True)``: replacing would
re-create every person row, changing primary keys and dropping participants' personal links and
facilitators' user accounts. Nothing is committed here; the view commits once.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

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
from scheduler.services import audit
from scheduler.services.scenarios import export_scenario, find_center
from solver import scenario as sc

Scenario = dict[str, Any]
SECTIONS = ("slots", "rooms", "activities", "facilitators", "participants")
PAIR_SECTIONS = ("keep_apart", "keep_together")


@dataclass
class EditResult:
    """Problems of a refused change, split into those of the edited item's own fields (by field
    name) and the rest (other items the change broke)."""

    field_problems: dict[str, list[str]] = field(default_factory=dict)
    other_problems: list[sc.Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.field_problems and not self.other_problems


def current_scenario(center: Center) -> Scenario:
    return export_scenario(center).to_dict()


def split_problems(problems: list[sc.Problem], prefix: str) -> EditResult:
    """``activities[3].min_size`` under prefix ``activities[3]`` goes to field ``min_size``;
    ``participants[2].available[4]`` to ``available``; anything else is a form-level problem."""
    result = EditResult()
    for problem in problems:
        rest = problem.path[len(prefix):] if prefix and problem.path.startswith(prefix) else None
        if rest is not None and rest.startswith("."):
            name = rest[1:].split("[", 1)[0].split(".", 1)[0]
            result.field_problems.setdefault(name, []).append(problem.message)
        elif rest is not None and (rest == "" or rest.startswith("[")):
            result.field_problems.setdefault("__item__", []).append(problem.message)
        else:
            result.other_problems.append(problem)
    return result


def apply_change(center: Center, change: Callable[[Scenario], str], *,
                 before: Scenario | None = None) -> EditResult:
    """Apply ``change`` (which edits the dict in place and returns the JSON path of the edited
    item, "" for none) to the center's scenario; validate; write it if valid."""
    old = before if before is not None else current_scenario(center)
    new = copy.deepcopy(old)
    prefix = change(new)
    result = split_problems(sc.validate_scenario(new), prefix)
    if result.ok:
        new_name = new["center"]["name"]
        if new_name != center.name and find_center(new_name) is not None:
            result.field_problems["name"] = [_('a center named "%(name)s" already exists', name=new_name)]
            return result
        sync_rows(center, old, new)
        audit.people_changes(center.id, old, new)
    return result


# --------------------------------------------------------------------------- writing rows


def sync_rows(center: Center, old: Scenario, new: Scenario) -> None:
    """Make the rows say ``new`` (a valid scenario dict), touching only what differs from ``old``.
    Rows keep their primary keys by id; availability, preferences, holidays and pairs are small
    child rows with no identity of their own, so a changed owner's are rewritten."""
    cid = center.id
    info = new["center"]
    center.name = info["name"]
    center.timezone = info["timezone"]
    center.term_start = dt.date.fromisoformat(info["term_start"])
    center.term_end = dt.date.fromisoformat(info["term_end"])
    if info.get("holidays", []) != old["center"].get("holidays", []):
        db.session.execute(delete(Holiday).where(Holiday.center_id == cid))
        db.session.flush()
        rows = [{"center_id": cid, "date": dt.date.fromisoformat(d)} for d in info.get("holidays", [])]
        if rows:
            db.session.execute(insert(Holiday), rows)

    scenario = sc.load_scenario(new)  # typed values (minutes, day indices); already validated
    ids: dict[str, dict[str, int]] = {}
    for section, model, values in (
        ("slots", Slot, lambda i: _slot_values(scenario.slots[i])),
        ("rooms", Room, lambda i: _room_values(scenario.rooms[i])),
        ("activities", Activity, lambda i: _activity_values(scenario.activities[i])),
        ("facilitators", Facilitator, lambda i: _person_values(new["facilitators"][i], facilitator=True)),
        ("participants", Participant, lambda i: _person_values(new["participants"][i], facilitator=False)),
    ):
        ids[section] = _sync_section(cid, model, old[section], new[section], values)

    _sync_people_children(ids, old, new)
    if any(old.get(k, []) != new.get(k, []) for k in PAIR_SECTIONS) or _deleted(old, new, "participants"):
        db.session.execute(delete(ParticipantPair).where(ParticipantPair.center_id == cid))
        pairs = [(PairKind.APART, p) for p in new.get("keep_apart", [])]
        pairs += [(PairKind.TOGETHER, p) for p in new.get("keep_together", [])]
        rows = [{"center_id": cid, "kind": kind, "first_id": ids["participants"][a],
                 "second_id": ids["participants"][b], "position": i} for i, (kind, (a, b)) in enumerate(pairs)]
        if rows:
            db.session.execute(insert(ParticipantPair), rows)
    db.session.flush()
    db.session.expire(center)


def _deleted(old: Scenario, new: Scenario, section: str) -> bool:
    return bool({i["id"] for i in old[section]} - {i["id"] for i in new[section]})


def _sync_section(cid: int, model: Any, old_items: list[dict[str, Any]], new_items: list[dict[str, Any]],
                  values: Callable[[int], dict[str, Any]]) -> dict[str, int]:
    """Update changed rows, insert new ones, delete gone ones; return id -> primary key."""
    existing = {row.code: row for row in db.session.scalars(select(model).where(model.center_id == cid))}
    old_by_id = {item["id"]: (i, item) for i, item in enumerate(old_items)}
    new_ids = {item["id"] for item in new_items}
    for code, row in existing.items():
        if code not in new_ids:
            db.session.delete(row)
    db.session.flush()
    for i, item in enumerate(new_items):
        row = existing.get(item["id"])
        before = old_by_id.get(item["id"])
        if row is None:
            row = model(center_id=cid, code=item["id"], position=i, **values(i))
            db.session.add(row)
            existing[item["id"]] = row
        elif before is None or before[1] != item or before[0] != i:
            for key, value in (values(i) | {"position": i}).items():
                setattr(row, key, value)
    db.session.flush()
    return {code: row.id for code, row in existing.items() if code in new_ids}


def _slot_values(slot: sc.Slot) -> dict[str, Any]:
    return {"day": slot.day, "start_minute": slot.start, "end_minute": slot.end}


def _room_values(room: sc.Room) -> dict[str, Any]:
    return {"name": room.name, "capacity": room.capacity, "features": list(room.features)}


def _activity_values(a: sc.Activity) -> dict[str, Any]:
    return {"name": a.name, "sessions_per_week": a.sessions_per_week, "min_size": a.min_size,
            "max_size": a.max_size, "min_groups": a.min_groups, "max_groups": a.max_groups,
            "facilitators_per_group": a.facilitators_per_group, "required_skills": list(a.required_skills),
            "room_features": list(a.room_features), "language": a.language}


def _person_values(item: dict[str, Any], *, facilitator: bool) -> dict[str, Any]:
    values = {"name": item["name"], "email": item.get("email", ""), "languages": list(item.get("languages", []))}
    if facilitator:
        values |= {"skills": list(item.get("skills", [])), "max_sessions_per_week": item["max_sessions_per_week"]}
    else:
        values |= {"needs": list(item.get("needs", [])), "max_groups": item["max_groups"]}
    return values


def _sync_people_children(ids: dict[str, dict[str, int]], old: Scenario, new: Scenario) -> None:
    """Rewrite availability (and preferences) of people whose lists changed."""
    slot_ids, activity_ids = ids["slots"], ids["activities"]
    for section, model, owner_column, owner_key in (
        ("facilitators", FacilitatorAvailability, FacilitatorAvailability.facilitator_id, "facilitator_id"),
        ("participants", ParticipantAvailability, ParticipantAvailability.participant_id, "participant_id"),
    ):
        old_items = {item["id"]: item for item in old[section]}
        changed = [item for item in new[section] if _lists(old_items.get(item["id"])) != _lists(item)]
        if not changed:
            continue
        owners = [ids[section][item["id"]] for item in changed]
        db.session.execute(delete(model).where(owner_column.in_(owners)))
        rows = [{owner_key: ids[section][item["id"]], "slot_id": slot_ids[code], "level": level, "position": j}
                for item in changed
                for level, key in ((AvailabilityLevel.AVAILABLE, "available"),
                                   (AvailabilityLevel.IF_NEEDED, "if_needed"))
                for j, code in enumerate(item.get(key, []))]
        if rows:
            db.session.execute(insert(model), rows)
        if section == "participants":
            db.session.execute(delete(Preference).where(Preference.participant_id.in_(owners)))
            prefs = [{"participant_id": ids[section][item["id"]], "activity_id": activity_ids[a], "rank": rank}
                     for item in changed for rank, a in enumerate(item.get("preferences", []), start=1)]
            if prefs:
                db.session.execute(insert(Preference), prefs)


def _lists(item: dict[str, Any] | None) -> tuple[Any, ...]:
    if item is None:
        return ()
    return tuple(tuple(item.get(key, [])) for key in ("available", "if_needed", "preferences"))


# --------------------------------------------------------------------------- changes


def find_index(data: Scenario, section: str, item_id: str) -> int | None:
    for i, item in enumerate(data[section]):
        if item.get("id") == item_id:
            return i
    return None


def put_item(section: str, index: int | None, item: dict[str, Any]) -> Callable[[Scenario], str]:
    """Replace ``section[index]`` with ``item`` (or append it when index is None)."""
    def change(data: Scenario) -> str:
        if index is None:
            data[section].append(item)
            return f"{section}[{len(data[section]) - 1}]"
        data[section][index] = item
        return f"{section}[{index}]"
    return change


@dataclass
class Consequences:
    """What goes with a deleted item, in numbers a coordinator can weigh."""

    participants: int = 0
    facilitators: int = 0
    pairs: int = 0


def consequences(data: Scenario, section: str, item_id: str) -> Consequences:
    found = Consequences()
    if section == "slots":
        for people, attr in (("participants", "participants"), ("facilitators", "facilitators")):
            count = sum(1 for p in data[people] if item_id in p.get("available", []) + p.get("if_needed", []))
            setattr(found, attr, count)
    elif section == "activities":
        found.participants = sum(1 for p in data["participants"] if item_id in p.get("preferences", []))
    elif section == "participants":
        found.pairs = sum(1 for k in PAIR_SECTIONS for pair in data.get(k, []) if item_id in pair)
    return found


def remove_item(section: str, item_id: str) -> Callable[[Scenario], str]:
    """Delete an item and every reference to it (availability, preferences, pairs)."""
    def change(data: Scenario) -> str:
        data[section] = [item for item in data[section] if item.get("id") != item_id]
        for people in ("facilitators", "participants"):
            for person in data[people]:
                keys = {"slots": ("available", "if_needed"), "activities": ("preferences",)}.get(section, ())
                for key in keys:
                    if key in person:
                        person[key] = [ref for ref in person[key] if ref != item_id]
        if section == "participants":
            for key in PAIR_SECTIONS:
                data[key] = [pair for pair in data.get(key, []) if item_id not in pair]
        return ""
    return change
