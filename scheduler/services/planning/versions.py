"""Normalised items: what an edit form was read at (its version), and a change described in words.

An item is normalised from the typed entity, so every field is present (a missing optional
``if_needed`` and an empty one are the same list), the key order does not matter, and neither does
the order of a list that is a set (times, needs, languages, skills, features, holidays; a person's
wanted activities are ranked, so their order counts). Its version
is a short hash of that form: an edit form carries the version it was read at, an API write its
ETag, and a save whose version is no longer the current one is refused instead of overwriting.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scheduler.i18n import slot_text
from solver import scenario as sc

Item = dict[str, Any]

# Field names in words, for "what changed" lines.
FIELD_WORDS = {
    "name": _l("name"), "email": _l("email"), "available": _l("times available"),
    "if_needed": _l("times if need be"), "preferences": _l("wanted activities"), "max_groups": _l("most groups"),
    "needs": _l("needs"), "languages": _l("languages"), "skills": _l("skills"),
    "max_sessions_per_week": _l("most sessions a week"), "capacity": _l("capacity"), "features": _l("features"),
    "sessions_per_week": _l("sessions a week"), "min_size": _l("smallest group"), "max_size": _l("largest group"),
    "min_groups": _l("fewest groups"), "facilitators_per_group": _l("facilitators per group"),
    "required_skills": _l("skills needed"), "room_features": _l("room features needed"), "language": _l("language"),
    "day": _l("day"), "start": _l("start"), "end": _l("end"), "timezone": _l("time zone"),
    "term_start": _l("term start"), "term_end": _l("term end"), "holidays": _l("holidays"),
    "keep_apart": _l("kept apart"), "keep_together": _l("joining together"),
}


# The list fields whose order means nothing: kept sorted in a normalised item.
SET_FIELDS = frozenset({"available", "if_needed", "needs", "languages", "skills", "features", "required_skills",
                        "room_features", "holidays"})


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def normal(entity: Any) -> Item:
    """A typed entity (slot, room, activity, person, center) as a plain dict with every field; a
    slot's day and times as written in files."""
    item = {f.name: _plain(getattr(entity, f.name)) for f in dataclasses.fields(entity)}
    for key in SET_FIELDS & item.keys():
        item[key] = sorted(item[key])
    if isinstance(entity, sc.Slot):
        item |= {"day": entity.day_code, "start": sc.format_minutes(entity.start), "end": sc.format_minutes(entity.end)}
    return item


def fingerprint(item: Mapping[str, Any] | list[Any]) -> str:
    """The version of a normalised item (or list of pairs): a short hash of its canonical JSON."""
    text = json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def field_names(*scenarios: sc.Scenario) -> dict[str, dict[str, str]]:
    """Field -> (code -> words) for the codes a person's lists and the pairs hold: times,
    activities, people, as the scenarios name them (the last one's words win)."""
    times = {s.id: slot_text(s) for scenario in scenarios for s in scenario.slots}
    activities = {a.id: a.name for scenario in scenarios for a in scenario.activities}
    people = {p.id: p.name for scenario in scenarios for p in scenario.participants}
    return {"available": times, "if_needed": times, "preferences": activities, "keep_apart": people,
            "keep_together": people}


def _shown(value: Any, names: Mapping[str, str]) -> str:
    if value is None or value == "" or value == []:
        return _("nothing")
    if isinstance(value, list):
        return ", ".join(" + ".join(names.get(x, x) for x in v) if isinstance(v, list) else names.get(str(v), str(v))
                         for v in value)
    return str(value)


def describe(before: Mapping[str, Any], after: Mapping[str, Any],
             names: Mapping[str, Mapping[str, str]] | None = None) -> list[str]:
    """Each field that differs, in words: "name: Ana Ruiz → Ana Ruiz Gil"; lists say what was added
    and removed ("times available: added Monday 09:00–10:30; removed ..."). ``names``: field -> (code
    -> words) for the codes a field's list holds (times, activities, people), so no code shows."""
    lines = []
    for key in after:
        if key == "id" or before.get(key) == after.get(key):
            continue
        was, now = before.get(key), after.get(key)
        words = str(FIELD_WORDS.get(key, key))
        named = (names or {}).get(key, {})
        if isinstance(was, list) and isinstance(now, list) and key != "preferences":
            added = [v for v in now if v not in was]
            removed = [v for v in was if v not in now]
            parts = []
            if added:
                parts.append(_("added %(values)s", values=_shown(added, named)))
            if removed:
                parts.append(_("removed %(values)s", values=_shown(removed, named)))
            if not parts:
                parts.append(_("new order %(values)s", values=_shown(now, named)))
            lines.append(f"{words}: {'; '.join(parts)}")
        else:
            lines.append(f"{words}: {_shown(was, named)} → {_shown(now, named)}")
    return lines
