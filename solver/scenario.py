"""The scenario: one center's planning problem for one term, typed and validated.

This module is the single place where a scenario is checked. The command line, the web upload
and the solver all call :func:`load_scenario`, so a file is accepted or refused the same way
everywhere. Every problem is reported with its JSON path (``participants[12].available[3]``)
and a plain message, and *all* problems are reported at once, so a coordinator can fix a file
in one pass instead of one error at a time.

Times are integer minutes after midnight (local time of the center); days are indices 0..6.
Tuples keep the order of the file so that exporting an imported scenario gives it back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

FORMAT = "sociotherapy-scenario/1"
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# xl.json, the largest shared scenario (2 000 participants), is about 1 MB; ten times that is a
# generous ceiling that still refuses a runaway upload before it is parsed into memory.
MAX_SCENARIO_BYTES = 10 * 1024 * 1024

_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ABSENT = object()
# Largest whole number any count may be (capacity, sizes, groups, sessions): far above any center,
# and small enough for every database's integer column.
MAX_COUNT = 100_000
# Longest texts, as the app's columns hold them: ids are codes, names and labels fit on a line.
MAX_ID, MAX_NAME, MAX_EMAIL, MAX_TAG = 64, 200, 320, 64
MAX_DESCRIPTION = 500  # an activity's description, as the coordinator's form allows
LENGTHS = {"id": MAX_ID, "name": MAX_NAME, "email": MAX_EMAIL, "language": 32, "timezone": 64}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located by its JSON path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    """Raised with every problem found; nothing should be written when this is raised."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Center:
    name: str
    timezone: str
    term_start: dt.date
    term_end: dt.date
    holidays: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class Slot:
    id: str
    day: int  # 0 = Monday .. 6 = Sunday
    start: int  # minutes after local midnight
    end: int

    @property
    def day_code(self) -> str:
        return DAYS[self.day]

    def overlaps(self, other: Slot) -> bool:
        return self.day == other.day and self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Room:
    id: str
    name: str
    capacity: int
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Activity:
    id: str
    name: str
    sessions_per_week: int
    min_size: int
    max_size: int
    max_groups: int
    facilitators_per_group: int
    required_skills: tuple[str, ...] = ()
    room_features: tuple[str, ...] = ()
    min_groups: int = 0
    language: str | None = None
    description: str = ""  # a sentence or two for participants choosing; may span lines


@dataclass(frozen=True)
class Facilitator:
    id: str
    name: str
    email: str
    skills: tuple[str, ...]
    available: tuple[str, ...]
    max_sessions_per_week: int
    if_needed: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def can_attend(self, slot_id: str) -> bool:
        return slot_id in self.available or slot_id in self.if_needed


@dataclass(frozen=True)
class Participant:
    id: str
    name: str
    email: str
    available: tuple[str, ...]
    preferences: tuple[str, ...]
    max_groups: int
    needs: tuple[str, ...] = ()
    if_needed: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def can_attend(self, slot_id: str) -> bool:
        return slot_id in self.available or slot_id in self.if_needed


@dataclass(frozen=True)
class Scenario:
    center: Center
    slots: tuple[Slot, ...]
    rooms: tuple[Room, ...]
    activities: tuple[Activity, ...]
    facilitators: tuple[Facilitator, ...]
    participants: tuple[Participant, ...]
    keep_apart: tuple[tuple[str, str], ...] = ()
    keep_together: tuple[tuple[str, str], ...] = ()
    _index: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        index = {
            "slots": {s.id: s for s in self.slots},
            "rooms": {r.id: r for r in self.rooms},
            "activities": {a.id: a for a in self.activities},
            "facilitators": {f.id: f for f in self.facilitators},
            "participants": {p.id: p for p in self.participants},
        }
        object.__setattr__(self, "_index", index)

    def slot(self, slot_id: str) -> Slot:
        return cast(Slot, self._index["slots"][slot_id])

    def room(self, room_id: str) -> Room:
        return cast(Room, self._index["rooms"][room_id])

    def activity(self, activity_id: str) -> Activity:
        return cast(Activity, self._index["activities"][activity_id])

    def facilitator(self, facilitator_id: str) -> Facilitator:
        return cast(Facilitator, self._index["facilitators"][facilitator_id])

    def participant(self, participant_id: str) -> Participant:
        return cast(Participant, self._index["participants"][participant_id])

    def to_dict(self) -> dict[str, Any]:
        """The interchange form; optional keys at their default are left out."""
        return scenario_to_dict(self)


# --------------------------------------------------------------------------- reading


def read_scenario_file(path: str | os.PathLike[str], limit: int = MAX_SCENARIO_BYTES) -> Scenario:
    """Read, size-check, parse and validate a scenario file (raises :class:`ScenarioError`)."""
    file_path = Path(path)
    try:
        size = file_path.stat().st_size
    except OSError as exc:
        raise ScenarioError([Problem("file", f"cannot read {file_path}: {exc.strerror}")]) from exc
    _check_size(size, limit)
    return parse_scenario_bytes(file_path.read_bytes(), limit)


def parse_scenario_bytes(raw: bytes, limit: int = MAX_SCENARIO_BYTES) -> Scenario:
    """Parse JSON bytes into a validated :class:`Scenario`, refusing oversize input first."""
    _check_size(len(raw), limit)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem("file", f"not UTF-8 text (byte {exc.start})")]) from exc
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise ScenarioError([Problem("file", message)]) from exc
    except ValueError as exc:  # a number of thousands of digits (Python refuses to convert it)
        raise ScenarioError([Problem("file", "holds a number too long to be a count (thousands of digits)")]) from exc
    except RecursionError as exc:  # the parser recurses per nesting level; a scenario nests 4 deep
        raise ScenarioError([Problem("file", "nested too deeply to be a scenario")]) from exc
    return load_scenario(data)


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise ScenarioError(
            [Problem("file", f"the file is {_human_size(size)}; the limit is {_human_size(limit)}")]
        )


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB ({size} bytes)"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB ({size} bytes)"
    return f"{size} bytes"


def load_scenario(data: Any) -> Scenario:
    """Validate already-parsed JSON and build the typed scenario (raises :class:`ScenarioError`)."""
    problems = validate_scenario(data)
    if problems:
        raise ScenarioError(problems)
    return _build(data)


def build_scenario(data: dict[str, Any]) -> Scenario:
    """Build the typed scenario from a document validated once already (a stored version's copy),
    without checking it again: a rule added since must not make an old version unreadable."""
    return _build(data)


def validate_scenario(data: Any) -> list[Problem]:
    """Every problem in ``data``, in document order; an empty list means it is valid."""
    return _Validator().run(data)


# --------------------------------------------------------------------------- validation


class _Validator:
    """Walks the document once, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # -- typed field readers; each returns None (and records a problem) when the value is wrong

    def obj(self, value: Any, path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(path, f"must be an object, not {_kind(value)}")
            return None
        return value

    def keys(self, item: dict[str, Any], path: str, required: set[str], optional: set[str]) -> None:
        for key in sorted(required - item.keys()):
            self.add(_join(path, key), "is missing")
        for key in item:
            if key not in required and key not in optional:
                self.add(_join(path, key), "is not a known field")

    def text(self, item: dict[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
        if key not in item:
            return None
        value = item[key]
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(_join(path, key), "must be a non-empty text" if required else "must be a text")
            return None
        return self.single_line(value, _join(path, key), LENGTHS.get(key, MAX_NAME))

    def single_line(self, value: str, path: str, longest: int) -> str | None:
        """Names, labels and codes are one line of printable text: they go into calendar lines,
        email headers, CSV cells and page titles, where a line break or control character breaks
        or forges what follows."""
        problem = single_line_problem(value, longest)
        if problem:
            self.add(path, problem)
            return None
        return value

    def integer(self, item: dict[str, Any], key: str, path: str, low: int, high: int | None = None) -> int | None:
        if key not in item:
            return None
        value = item[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(_join(path, key), f"must be a whole number, not {_kind(value)}")
            return None
        if value < low or value > (high if high is not None else MAX_COUNT):
            bounds = f"between {low} and {high if high is not None else MAX_COUNT}"
            shown = str(value) if abs(value) < 10**12 else f"a number of {len(str(abs(value)))} digits"
            self.add(_join(path, key), f"must be {bounds}, not {shown}")
            return None
        return value

    def strings(self, item: dict[str, Any], key: str, path: str) -> list[str]:
        """A list of distinct non-empty strings; bad entries are reported and dropped."""
        if key not in item:
            return []
        value = item[key]
        if not isinstance(value, list):
            self.add(_join(path, key), f"must be a list, not {_kind(value)}")
            return []
        seen: set[str] = set()
        result: list[str] = []
        for i, entry in enumerate(value):
            entry_path = f"{_join(path, key)}[{i}]"
            if not isinstance(entry, str) or not entry.strip():
                self.add(entry_path, "must be a non-empty text")
            elif self.single_line(entry, entry_path, MAX_TAG) is None:
                pass
            elif entry in seen:
                self.add(entry_path, f'"{entry}" is listed twice')
            else:
                seen.add(entry)
                result.append(entry)
        return result

    def references(self, item: dict[str, Any], key: str, path: str, known: Iterable[str], what: str) -> list[str]:
        known_ids = set(known)
        result = []
        for i, ref in enumerate(self.strings(item, key, path)):
            if ref in known_ids:
                result.append(ref)
            else:
                self.add(f"{_join(path, key)}[{i}]", f'unknown {what} "{ref}"')
        return result

    def date(self, item: dict[str, Any], key: str, path: str) -> dt.date | None:
        raw = self.text(item, key, path)
        return None if raw is None else self.parse_date(raw, _join(path, key))

    def parse_date(self, raw: Any, path: str) -> dt.date | None:
        if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                pass
        self.add(path, f"must be a date written YYYY-MM-DD, not {json.dumps(raw)}")
        return None

    def time(self, item: dict[str, Any], key: str, path: str) -> int | None:
        raw = self.text(item, key, path)
        if raw is None:
            return None
        match = _TIME_RE.match(raw)
        if not match:
            self.add(_join(path, key), f'must be a time written HH:MM (24-hour), not "{raw}"')
            return None
        return int(match.group(1)) * 60 + int(match.group(2))

    def unique_ids(self, items: list[dict[str, Any] | None], section: str) -> set[str]:
        ids: dict[str, int] = {}
        for i, item in enumerate(items):
            if item is None:
                continue
            item_id = self.text(item, "id", f"{section}[{i}]")
            if item_id is None:
                continue
            if item_id in ids:
                self.add(f"{section}[{i}].id", f'"{item_id}" is already used by {section}[{ids[item_id]}]')
            else:
                ids[item_id] = i
        return set(ids)

    def section(self, data: dict[str, Any], key: str) -> list[dict[str, Any] | None]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.add(key, f"must be a list, not {_kind(value)}")
            return []
        return [self.obj(item, f"{key}[{i}]") for i, item in enumerate(value)]

    # -- the document

    def run(self, data: Any) -> list[Problem]:
        doc = self.obj(data, "scenario")
        if doc is None:
            return self.problems
        self.keys(doc, "", {"format", "center", "slots", "rooms", "activities", "facilitators", "participants"},
                  {"keep_apart", "keep_together"})
        if "format" in doc and doc["format"] != FORMAT:
            self.add("format", f'must be "{FORMAT}", not {json.dumps(doc["format"])}')
        self.center(doc.get("center", _ABSENT))
        slot_ids = self.slots(self.section(doc, "slots"))
        room_items = self.section(doc, "rooms")
        self.unique_ids(room_items, "rooms")
        for i, room in enumerate(room_items):
            if room is not None:
                self.room(room, f"rooms[{i}]")
        activity_items = self.section(doc, "activities")
        activity_ids = self.unique_ids(activity_items, "activities")
        for i, activity in enumerate(activity_items):
            if activity is not None:
                self.activity(activity, f"activities[{i}]")
        facilitator_items = self.section(doc, "facilitators")
        self.unique_ids(facilitator_items, "facilitators")
        for i, facilitator in enumerate(facilitator_items):
            if facilitator is not None:
                self.facilitator(facilitator, f"facilitators[{i}]", slot_ids)
        participant_items = self.section(doc, "participants")
        participant_ids = self.unique_ids(participant_items, "participants")
        for i, participant in enumerate(participant_items):
            if participant is not None:
                self.participant(participant, f"participants[{i}]", slot_ids, activity_ids)
        self.pairs(doc, "keep_apart", participant_ids)
        self.pairs(doc, "keep_together", participant_ids)
        return self.problems

    def center(self, value: Any) -> None:
        if value is _ABSENT:
            return  # reported as missing by keys()
        center = self.obj(value, "center")
        if center is None:
            return
        self.keys(center, "center", {"name", "timezone", "term_start", "term_end"}, {"holidays"})
        self.text(center, "name", "center")
        zone = self.text(center, "timezone", "center")
        if zone is not None and not _is_time_zone(zone):
            self.add("center.timezone", f'unknown time zone "{zone}" (use an IANA name such as "Europe/Madrid")')
        start = self.date(center, "term_start", "center")
        end = self.date(center, "term_end", "center")
        if start and end and end < start:
            self.add("center.term_end", f"{end.isoformat()} is before term_start {start.isoformat()}")
        holidays = center.get("holidays", [])
        if not isinstance(holidays, list):
            self.add("center.holidays", f"must be a list, not {_kind(holidays)}")
            return
        seen: set[dt.date] = set()
        for i, raw in enumerate(holidays):
            path = f"center.holidays[{i}]"
            day = self.parse_date(raw, path)
            if day is None:
                continue
            if day in seen:
                self.add(path, f"{day.isoformat()} is listed twice")
            seen.add(day)
            if start and end and start <= end and not start <= day <= end:
                self.add(path, f"{day.isoformat()} is outside the term ({start.isoformat()} to {end.isoformat()})")

    def slots(self, items: list[dict[str, Any] | None]) -> set[str]:
        ids = self.unique_ids(items, "slots")
        parsed: list[tuple[int, str, int, int, int]] = []
        for i, slot in enumerate(items):
            if slot is None:
                continue
            path = f"slots[{i}]"
            self.keys(slot, path, {"id", "day", "start", "end"}, set())
            day = slot.get("day")
            if "day" in slot and day not in DAYS:
                self.add(f"{path}.day", f"must be one of {', '.join(DAYS)}, not {json.dumps(day)}")
            start = self.time(slot, "start", path)
            end = self.time(slot, "end", path)
            if start is not None and end is not None and end <= start:
                self.add(f"{path}.end", f"{slot['end']} is not after start {slot['start']}")
            elif start is not None and end is not None and day in DAYS:
                parsed.append((i, str(slot.get("id")), DAYS.index(day), start, end))
        for a, (i, id_a, day_a, start_a, end_a) in enumerate(parsed):
            for j, id_b, day_b, start_b, end_b in parsed[a + 1:]:
                if day_a == day_b and start_a < end_b and start_b < end_a:
                    self.add(f"slots[{j}]", f'"{id_b}" overlaps slot "{id_a}" (slots[{i}])')
        return ids

    def room(self, room: dict[str, Any], path: str) -> None:
        self.keys(room, path, {"id", "name", "capacity"}, {"features"})
        self.text(room, "name", path)
        self.integer(room, "capacity", path, 1)
        self.strings(room, "features", path)

    def activity(self, activity: dict[str, Any], path: str) -> None:
        self.keys(activity, path,
                  {"id", "name", "sessions_per_week", "min_size", "max_size", "max_groups", "facilitators_per_group"},
                  {"required_skills", "room_features", "min_groups", "language", "description"})
        self.text(activity, "name", path)
        self.integer(activity, "sessions_per_week", path, 1, 3)
        min_size = self.integer(activity, "min_size", path, 1)
        max_size = self.integer(activity, "max_size", path, 1)
        if min_size is not None and max_size is not None and min_size > max_size:
            self.add(f"{path}.min_size", f"{min_size} is larger than max_size {max_size}")
        max_groups = self.integer(activity, "max_groups", path, 0)
        min_groups = self.integer(activity, "min_groups", path, 0)
        if min_groups is not None and max_groups is not None and min_groups > max_groups:
            self.add(f"{path}.min_groups", f"{min_groups} is larger than max_groups {max_groups}")
        self.integer(activity, "facilitators_per_group", path, 1, 2)
        self.strings(activity, "required_skills", path)
        self.strings(activity, "room_features", path)
        if "language" in activity:
            self.text(activity, "language", path)
        description = activity.get("description", "")
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            self.add(_join(path, "description"), f"must be a text of at most {MAX_DESCRIPTION} characters")

    def person(self, person: dict[str, Any], path: str, slot_ids: set[str]) -> None:
        self.text(person, "name", path)
        email = self.text(person, "email", path, required=False)
        if email and not _EMAIL_RE.match(email):
            self.add(f"{path}.email", f'"{email}" is not an email address')
        available = self.references(person, "available", path, slot_ids, "slot")
        if_needed = self.references(person, "if_needed", path, slot_ids, "slot")
        for i, slot_id in enumerate(person.get("if_needed", []) if isinstance(person.get("if_needed"), list) else []):
            if slot_id in available and slot_id in if_needed:
                self.add(f"{path}.if_needed[{i}]", f'"{slot_id}" is also in available; a slot is in at most one')
        self.strings(person, "languages", path)

    def facilitator(self, facilitator: dict[str, Any], path: str, slot_ids: set[str]) -> None:
        self.keys(facilitator, path, {"id", "name", "email", "skills", "available", "max_sessions_per_week"},
                  {"if_needed", "languages"})
        self.person(facilitator, path, slot_ids)
        self.strings(facilitator, "skills", path)
        self.integer(facilitator, "max_sessions_per_week", path, 0)

    def participant(self, participant: dict[str, Any], path: str, slot_ids: set[str], activity_ids: set[str]) -> None:
        self.keys(participant, path, {"id", "name", "email", "available", "preferences", "max_groups"},
                  {"needs", "if_needed", "languages"})
        self.person(participant, path, slot_ids)
        self.references(participant, "preferences", path, activity_ids, "activity")
        self.integer(participant, "max_groups", path, 0)
        self.strings(participant, "needs", path)

    def pairs(self, doc: dict[str, Any], key: str, participant_ids: set[str]) -> None:
        value = doc.get(key, [])
        if not isinstance(value, list):
            self.add(key, f"must be a list, not {_kind(value)}")
            return
        seen: set[frozenset[str]] = set()
        for i, pair in enumerate(value):
            path = f"{key}[{i}]"
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                self.add(path, "must be a pair of two participant ids")
                continue
            for j, ref in enumerate(pair):
                if ref not in participant_ids:
                    self.add(f"{path}[{j}]", f'unknown participant "{ref}"')
            if pair[0] == pair[1]:
                self.add(path, f'pairs a participant with themselves ("{pair[0]}")')
            elif frozenset(pair) in seen:
                self.add(path, f'the pair "{pair[0]}", "{pair[1]}" is listed twice')
            seen.add(frozenset(pair))


def single_line_problem(value: str, longest: int = MAX_NAME) -> str | None:
    """Why ``value`` cannot be a name, label or code (None when it can): a line break, a control
    or invalid character, or more than ``longest`` characters."""
    for ch in value:
        if ch in "\r\n\u2028\u2029\u0085":
            return "must be a single line (it holds a line break)"
        if unicodedata.category(ch) in ("Cc", "Cs"):
            return f"must not hold a control or invalid character (U+{ord(ch):04X})"
    if len(value) > longest:
        return f"must be at most {longest} characters, not {len(value)}"
    return None


def _join(path: str, key: str) -> str:
    # A key that is not a plain word (empty, spaces, dots) is quoted so the path still points at it.
    name = key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"[{json.dumps(key)}]"
    return f"{path}.{name}" if path and not name.startswith("[") else f"{path}{name}"


def _kind(value: Any) -> str:
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a text", bool: "true/false",
                              int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _is_time_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- building and export


def _build(data: dict[str, Any]) -> Scenario:
    center = data["center"]
    def tup(item: dict[str, Any], key: str) -> tuple[str, ...]:
        return tuple(item.get(key, ()))
    return Scenario(
        center=Center(
            name=center["name"],
            timezone=center["timezone"],
            term_start=dt.date.fromisoformat(center["term_start"]),
            term_end=dt.date.fromisoformat(center["term_end"]),
            holidays=tuple(dt.date.fromisoformat(d) for d in center.get("holidays", [])),
        ),
        slots=tuple(
            Slot(s["id"], DAYS.index(s["day"]), _minutes(s["start"]), _minutes(s["end"])) for s in data["slots"]
        ),
        rooms=tuple(Room(r["id"], r["name"], r["capacity"], tup(r, "features")) for r in data["rooms"]),
        activities=tuple(
            Activity(
                id=a["id"], name=a["name"], sessions_per_week=a["sessions_per_week"], min_size=a["min_size"],
                max_size=a["max_size"], max_groups=a["max_groups"],
                facilitators_per_group=a["facilitators_per_group"], required_skills=tup(a, "required_skills"),
                room_features=tup(a, "room_features"), min_groups=a.get("min_groups", 0),
                language=a.get("language"), description=a.get("description", ""),
            )
            for a in data["activities"]
        ),
        facilitators=tuple(
            Facilitator(
                id=f["id"], name=f["name"], email=f["email"], skills=tup(f, "skills"),
                available=tup(f, "available"), max_sessions_per_week=f["max_sessions_per_week"],
                if_needed=tup(f, "if_needed"), languages=tup(f, "languages"),
            )
            for f in data["facilitators"]
        ),
        participants=tuple(
            Participant(
                id=p["id"], name=p["name"], email=p["email"], available=tup(p, "available"),
                preferences=tup(p, "preferences"), max_groups=p["max_groups"], needs=tup(p, "needs"),
                if_needed=tup(p, "if_needed"), languages=tup(p, "languages"),
            )
            for p in data["participants"]
        ),
        keep_apart=tuple((a, b) for a, b in data.get("keep_apart", [])),
        keep_together=tuple((a, b) for a, b in data.get("keep_together", [])),
    )


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def format_minutes(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The interchange form. Optional keys are written when they carry something: an activity's
    ``min_groups``/``language`` when set, and a person list's ``if_needed``/``languages`` on every
    person of that list as soon as one person uses them (the canonical form of the shared files)."""
    c = scenario.center
    activities = []
    for a in scenario.activities:
        item: dict[str, Any] = {
            "id": a.id, "name": a.name, "sessions_per_week": a.sessions_per_week, "min_size": a.min_size,
            "max_size": a.max_size, "max_groups": a.max_groups, "required_skills": list(a.required_skills),
            "facilitators_per_group": a.facilitators_per_group, "room_features": list(a.room_features),
        }
        if a.min_groups:
            item["min_groups"] = a.min_groups
        if a.language is not None:
            item["language"] = a.language
        if a.description:
            item["description"] = a.description
        activities.append(item)
    facilitators = [
        {"id": f.id, "name": f.name, "email": f.email, "skills": list(f.skills), "available": list(f.available),
         "max_sessions_per_week": f.max_sessions_per_week}
        for f in scenario.facilitators
    ]
    participants = [
        {"id": p.id, "name": p.name, "email": p.email, "available": list(p.available),
         "preferences": list(p.preferences), "max_groups": p.max_groups, "needs": list(p.needs)}
        for p in scenario.participants
    ]
    for people, rows in ((scenario.facilitators, facilitators), (scenario.participants, participants)):
        for key in ("if_needed", "languages"):
            if any(getattr(person, key) for person in people):
                for person, row in zip(people, rows, strict=True):
                    row[key] = list(getattr(person, key))
    return {
        "format": FORMAT,
        "center": {"name": c.name, "timezone": c.timezone, "term_start": c.term_start.isoformat(),
                   "term_end": c.term_end.isoformat(), "holidays": [d.isoformat() for d in c.holidays]},
        "slots": [{"id": s.id, "day": s.day_code, "start": format_minutes(s.start), "end": format_minutes(s.end)}
                  for s in scenario.slots],
        "rooms": [{"id": r.id, "name": r.name, "capacity": r.capacity, "features": list(r.features)}
                  for r in scenario.rooms],
        "activities": activities,
        "facilitators": facilitators,
        "participants": participants,
        "keep_apart": [list(pair) for pair in scenario.keep_apart],
        "keep_together": [list(pair) for pair in scenario.keep_together],
    }
