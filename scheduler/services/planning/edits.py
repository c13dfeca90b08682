"""Typed edit operations on a center's planning data: the only way forms, CSV imports, uploads,
the command line and the API change it.

Every change goes the same way: read the center as a scenario, apply the change to its interchange
form, run ``solver.scenario.validate_scenario`` on the result, and only when it has no problems sync
the difference into the rows (``planning.sync``). So a form accepts exactly what a file upload
accepts. An operation given ``expected_version`` first checks that the item is still as it was read
(``planning.versions``): a stale save is refused with what changed meanwhile, and nothing is written.
Every write first takes the center's lock (``planning.locking``), before it reads: the check and the
write are one step, so two saves at the same moment cannot both pass the check. Nothing is committed
here; the caller commits once (which also releases the lock), or rolls back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center
from scheduler.services.planning import versions
from scheduler.services.planning.locking import lock_center
from scheduler.services.planning.reading import read_center
from scheduler.services.planning.sync import Removal, removed_people, sync_center
from solver import scenario as sc

ScenarioDict = dict[str, Any]
SECTIONS = ("slots", "rooms", "activities", "facilitators", "participants")
PEOPLE_SECTIONS = ("facilitators", "participants")
PAIR_KINDS = ("keep_apart", "keep_together")


@dataclass
class EditResult:
    """Problems of a refused change: those of the edited item's own fields (by field name), the
    rest (other items the change broke), and, for a stale save, what changed since it was read."""

    field_problems: dict[str, list[str]] = field(default_factory=dict)
    other_problems: list[sc.Problem] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    version: str = ""  # the item's version after a saved change
    after: sc.Scenario | None = field(default=None, repr=False)  # the center as saved

    @property
    def ok(self) -> bool:
        return not self.field_problems and not self.other_problems and not self.stale

    def messages(self) -> list[str]:
        """Every problem as a line, for a page or an API answer that does not place them on fields."""
        return [*self.stale, *(m for ms in self.field_problems.values() for m in ms),
                *(str(p) for p in self.other_problems)]


def find_center(name: str) -> Center | None:
    return db.session.scalar(select(Center).where(Center.name == name))


# --------------------------------------------------------------------------- versions


def item_snapshot(scenario: sc.Scenario, section: str, code: str) -> versions.Item | None:
    """The normalised item ``code`` of ``section`` (None when there is none)."""
    for entity in getattr(scenario, section):
        if entity.id == code:
            return versions.normal(entity)
    return None


def center_snapshot(scenario: sc.Scenario) -> versions.Item:
    return versions.normal(scenario.center)


def pairs_snapshot(scenario: sc.Scenario) -> versions.Item:
    return {kind: [list(pair) for pair in getattr(scenario, kind)] for kind in PAIR_KINDS}


def item_version(center: Center, section: str, code: str) -> str | None:
    """The current version (ETag) of one item; None when it does not exist."""
    snapshot = item_snapshot(read_center(center), section, code)
    return None if snapshot is None else versions.fingerprint(snapshot)


def _stale(current: versions.Item | None, expected_version: str | None,
           read_as: Mapping[str, Any] | None, scenario: sc.Scenario) -> list[str]:
    """Empty when the item is as it was read; otherwise what changed, in words."""
    if expected_version is None and read_as is not None:
        expected_version = versions.fingerprint(dict(read_as))
    if expected_version is None:
        return []
    if current is None:
        return [_("Someone else deleted this while you were editing it; nothing was saved.")]
    if versions.fingerprint(current) == expected_version:
        return []
    lines = [_("Someone else changed this while you were editing it; nothing was saved. "
               "Here is what changed; check it and save again:")]
    changes = versions.describe(read_as, current, versions.field_names(scenario)) if read_as is not None else []
    return lines + (changes or [_("(the details are no longer known; the form now shows the current values)")])


# --------------------------------------------------------------------------- applying a change


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


def apply_change(center: Center, change: Callable[[ScenarioDict], str], *,
                 before: sc.Scenario | None = None) -> EditResult:
    """Apply ``change`` (which edits the interchange dict in place and returns the JSON path of the
    edited item, "" for none) to the center's scenario; validate; sync it into the rows if valid.
    ``before``, when given, was read under ``lock_center`` in this transaction."""
    if before is None:
        lock_center(center)
    old = before if before is not None else read_center(center)
    new_data = copy.deepcopy(old.to_dict())
    prefix = change(new_data)
    result = split_problems(sc.validate_scenario(new_data), prefix)
    if not result.ok:
        return result
    new_name = new_data["center"]["name"]
    if new_name != center.name and find_center(new_name) is not None:
        result.field_problems["name"] = [_('a center named "%(name)s" already exists', name=new_name)]
        return result
    result.after = sc.build_scenario(new_data)  # validated just above
    sync_center(center, result.after, old=old)
    return result


def _index(data: ScenarioDict, section: str, code: str) -> int | None:
    return next((i for i, item in enumerate(data[section]) if item.get("id") == code), None)


def _new_item_defaults(section: str, data: ScenarioDict) -> dict[str, Any]:
    """Lists a new person starts with; optional keys only when the file already uses them, so
    the export keeps its canonical form."""
    if section not in PEOPLE_SECTIONS:
        return {}
    item: dict[str, Any] = {"available": [], "email": ""}
    if section == "participants":
        item["preferences"] = []
    if any("if_needed" in p for p in data[section]):
        item["if_needed"] = []
    return item


def _guarded(center: Center, snapshot: Callable[[sc.Scenario], versions.Item | None],
             expected_version: str | None, read_as: Mapping[str, Any] | None,
             change: Callable[[ScenarioDict], str]) -> EditResult:
    """Refuse a stale change; otherwise apply it and return the item's new version. The check and
    the write happen under the center's lock."""
    lock_center(center)
    scenario = read_center(center)
    stale = _stale(snapshot(scenario), expected_version, read_as, scenario)
    if stale:
        return EditResult(stale=stale)
    result = apply_change(center, change, before=scenario)
    if result.ok and result.after is not None:
        after = snapshot(result.after)
        result.version = versions.fingerprint(after) if after is not None else ""
    return result


# --------------------------------------------------------------------------- operations


def save_item(center: Center, section: str, code: str | None, fields: Mapping[str, Any], *,
              expected_version: str | None = None, read_as: Mapping[str, Any] | None = None) -> EditResult:
    """Add an item (``code`` None; ``fields`` must hold its ``id``) or change one: ``fields`` holds
    interchange keys of ``section`` (``name``, ``capacity``, ...); keys not given keep their value,
    an optional key given as None or "" is removed (an activity's ``language``)."""
    def change(data: ScenarioDict) -> str:
        index = None if code is None else _index(data, section, code)
        if index is None:
            item = _new_item_defaults(section, data) | dict(fields)
            data[section].append({k: v for k, v in item.items() if v is not None})
            return f"{section}[{len(data[section]) - 1}]"
        item = {**data[section][index], **fields, "id": data[section][index]["id"]}
        for key in ("language", "min_groups"):
            if key in fields and fields[key] in (None, ""):
                item.pop(key, None)
        data[section][index] = item
        return f"{section}[{index}]"

    if code is None:
        return apply_change(center, change)
    return _guarded(center, lambda s: item_snapshot(s, section, code), expected_version, read_as, change)


def delete_item(center: Center, section: str, code: str, *, expected_version: str | None = None,
                read_as: Mapping[str, Any] | None = None) -> EditResult:
    """Delete an item and every reference to it (availability, preferences, pairs)."""
    def change(data: ScenarioDict) -> str:
        data[section] = [item for item in data[section] if item.get("id") != code]
        keys = {"slots": ("available", "if_needed"), "activities": ("preferences",)}.get(section, ())
        for people in PEOPLE_SECTIONS:
            for person in data[people]:
                for key in keys:
                    if key in person:
                        person[key] = [ref for ref in person[key] if ref != code]
        if section == "participants":
            for kind in PAIR_KINDS:
                data[kind] = [pair for pair in data.get(kind, []) if code not in pair]
        return ""

    return _guarded(center, lambda s: item_snapshot(s, section, code), expected_version, read_as, change)


def save_settings(center: Center, fields: Mapping[str, Any], *, expected_version: str | None = None,
                  read_as: Mapping[str, Any] | None = None) -> EditResult:
    """The center's ``name``, ``timezone``, ``term_start``, ``term_end`` (YYYY-MM-DD texts) and
    ``holidays`` (a list of them); keys not given keep their value."""
    def change(data: ScenarioDict) -> str:
        data["center"] = {**data["center"], **fields}
        return "center"

    return _guarded(center, center_snapshot, expected_version, read_as, change)


def save_availability(center: Center, section: str, code: str, available: Sequence[str], if_needed: Sequence[str],
                      *, expected_version: str | None = None, read_as: Mapping[str, Any] | None = None) -> EditResult:
    """A facilitator's or participant's weekly times (slot codes): available, and if need be."""
    return save_item(center, section, code, {"available": list(available), "if_needed": list(if_needed)},
                     expected_version=expected_version, read_as=read_as)


def save_preferences(center: Center, code: str, wanted: Sequence[str], *, expected_version: str | None = None,
                     read_as: Mapping[str, Any] | None = None) -> EditResult:
    """A participant's wanted activities (codes), most wanted first."""
    return save_item(center, "participants", code, {"preferences": list(wanted)},
                     expected_version=expected_version, read_as=read_as)


def add_pair(center: Center, kind: str, first: str, second: str) -> EditResult:
    """Keep two participants apart (``kind`` "keep_apart") or together ("keep_together")."""
    def change(data: ScenarioDict) -> str:
        data.setdefault(kind, []).append([first, second])
        return f"{kind}[{len(data[kind]) - 1}]"

    return apply_change(center, change)


def save_pair(center: Center, kind: str, index: int, new_kind: str, first: str, second: str, *,
              expected_version: str | None = None, read_as: Mapping[str, Any] | None = None) -> EditResult:
    """Change pair ``index`` of ``kind``; a pair moved to the other kind goes to the end of its list."""
    def change(data: ScenarioDict) -> str:
        pair = [first, second]
        if new_kind == kind:
            data[kind][index] = pair
            return f"{kind}[{index}]"
        data[kind].pop(index)
        data.setdefault(new_kind, []).append(pair)
        return f"{new_kind}[{len(data[new_kind]) - 1}]"

    return _guarded(center, pairs_snapshot, expected_version, read_as, change)


def delete_pair(center: Center, kind: str, index: int, *, expected_version: str | None = None,
                read_as: Mapping[str, Any] | None = None) -> EditResult:
    def change(data: ScenarioDict) -> str:
        data[kind].pop(index)
        return ""

    return _guarded(center, pairs_snapshot, expected_version, read_as, change)


def save_participants(center: Center, participants: list[dict[str, Any]]) -> EditResult:
    """Replace the participants list (interchange dicts, in order) in one validated change: the CSV
    import. Problems point at ``participants[i]``."""
    def change(data: ScenarioDict) -> str:
        data["participants"] = participants
        return ""

    return apply_change(center, change)


# --------------------------------------------------------------------------- a whole scenario


class RemovalsNeedConfirmation(Exception):
    """Replacing would delete these people; nothing was written. Ask, then call again confirming."""

    def __init__(self, removals: list[Removal]):
        self.removals = removals
        super().__init__(", ".join(f"{r.kind} {r.code} ({r.name})" for r in removals))


def replace_scenario(center: Center, scenario: sc.Scenario, *, confirmed_removals: bool = False) -> list[Removal]:
    """Make the center's planning data the file's, as a sync by code (the center keeps its name):
    re-importing the center's own export changes nothing; a person whose name changed keeps their
    row, links and account. When people would be removed and ``confirmed_removals`` is false, raise
    :class:`RemovalsNeedConfirmation` listing them, writing nothing. Returns who was removed."""
    lock_center(center)
    old = read_center(center)
    new = sc.Scenario(**{**{f: getattr(scenario, f) for f in ("slots", "rooms", "activities", "facilitators",
                                                               "participants", "keep_apart", "keep_together")},
                         "center": sc.Center(center.name, scenario.center.timezone, scenario.center.term_start,
                                             scenario.center.term_end, scenario.center.holidays)})
    removals = removed_people(old, new)
    if removals and not confirmed_removals:
        raise RemovalsNeedConfirmation(removals)
    sync_center(center, new, old=old)
    return removals
