"""Read models of a schedule version for the review pages: the timetable, rosters, per-facilitator
and per-room views, who is left out and why, key figures, and the difference between versions.

Everything is computed from the version's own snapshot (scenario + schedule), so a version reads
the same however the center's data changes afterwards."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask_babel import lazy_gettext as _l

from scheduler.i18n import slot_text
from scheduler.services import left_out
from solver import Scenario
from solver.scenario import DAYS, format_minutes
from solver.schedule import Schedule

# Whole phrases, so each language writes its own ordinals ("1.ª opción"); short, to fit the chart.
RANK_LABELS = (_l("1st choice"), _l("2nd choice"), _l("3rd choice"), _l("4th choice"), _l("5th choice"),
               _l("6th or lower"))


@dataclass(frozen=True)
class GroupView:
    id: str
    activity: str
    activity_name: str
    slots: list[str]  # "Monday 09:00–10:15"
    room: str
    facilitators: list[str]
    members: list[tuple[str, str]]  # (participant id, name)
    colour: int  # index into the palette; the activity name is always printed too

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Cell:
    day: str
    slot_id: str
    time: str
    groups: list[GroupView]


@dataclass(frozen=True)
class Figures:
    participants: int
    covered: int
    first_choice: int
    memberships: int
    rank_counts: list[tuple[str, int]]  # memberships per preference rank
    size_spread: list[tuple[str, int, int]]  # (activity name, smallest, largest) with 2+ groups
    facilitator_load: list[tuple[str, int, int]]  # (name, sessions, most allowed)

    @property
    def coverage_pct(self) -> float:
        return 100.0 * self.covered / self.participants if self.participants else 0.0

    @property
    def first_choice_pct(self) -> float:
        return 100.0 * self.first_choice / self.participants if self.participants else 0.0


@dataclass(frozen=True)
class VersionView:
    scenario: Scenario
    schedule: Schedule
    groups: list[GroupView]
    days: list[str]
    times: list[str]
    grid: dict[tuple[str, str], Cell]  # (day, time) -> cell
    by_facilitator: list[tuple[str, list[GroupView]]]
    by_room: list[tuple[str, list[GroupView]]]
    figures: Figures

    @cached_property
    def unassigned(self) -> list[tuple[str, str, str]]:
        """(id, name, why) for each person left out. The reasons are said again from the solver's
        structured ones, in the reader's language (the file's are English); worked out only for a
        page that shows them (comparing two versions does not)."""
        reasons = {u.participant: u.reason for u in self.schedule.unassigned}
        reasons |= left_out.reasons(self.scenario, self.schedule)
        covered = {m for g in self.schedule.groups for m in g.members}
        return [(p.id, p.name, reasons.get(p.id, "")) for p in self.scenario.participants if p.id not in covered]


def version_view(scenario: Scenario, schedule: Schedule) -> VersionView:
    """A version laid out for its page (read it with ``versions.version_data``)."""
    activity_index = {a.id: i for i, a in enumerate(scenario.activities)}

    groups = [
        GroupView(
            id=g.id, activity=g.activity, activity_name=scenario.activity(g.activity).name,
            slots=[slot_text(scenario.slot(s)) for s in g.sessions], room=scenario.room(g.room).name,
            facilitators=[scenario.facilitator(f).name for f in g.facilitators],
            members=sorted(((m, scenario.participant(m).name) for m in g.members), key=lambda pair: pair[1]),
            colour=activity_index[g.activity] % 8,
        )
        for g in sorted(schedule.groups, key=lambda g: (activity_index[g.activity], g.id))
    ]
    by_id = {g.id: g for g in groups}

    grid: dict[tuple[str, str], Cell] = {}
    used_days = sorted({s.day for s in scenario.slots})
    times = sorted({(s.start, s.end) for s in scenario.slots})
    for slot in scenario.slots:
        time = f"{format_minutes(slot.start)}–{format_minutes(slot.end)}"
        grid[(slot.day_code, time)] = Cell(slot.day_code, slot.id, time, [])
    for g in schedule.groups:
        for slot_id in g.sessions:
            slot = scenario.slot(slot_id)
            grid[(slot.day_code, f"{format_minutes(slot.start)}–{format_minutes(slot.end)}")].groups.append(
                by_id[g.id])

    by_facilitator: dict[str, list[GroupView]] = defaultdict(list)
    by_room: dict[str, list[GroupView]] = defaultdict(list)
    for g in schedule.groups:
        for f in g.facilitators:
            by_facilitator[f].append(by_id[g.id])
        by_room[g.room].append(by_id[g.id])

    return VersionView(
        scenario=scenario, schedule=schedule, groups=groups, days=[DAYS[d] for d in used_days],
        times=[f"{format_minutes(a)}–{format_minutes(b)}" for a, b in times], grid=grid,
        by_facilitator=[(f.name, by_facilitator[f.id]) for f in scenario.facilitators if f.id in by_facilitator],
        by_room=[(r.name, by_room[r.id]) for r in scenario.rooms if r.id in by_room],
        figures=_figures(scenario, schedule),
    )


def _figures(scenario: Scenario, schedule: Schedule) -> Figures:
    ranks: Counter[int] = Counter()
    first_choice = set()
    for g in schedule.groups:
        for m in g.members:
            prefs = scenario.participant(m).preferences
            rank = prefs.index(g.activity) + 1 if g.activity in prefs else len(RANK_LABELS)
            ranks[min(rank, len(RANK_LABELS))] += 1
            if rank == 1:
                first_choice.add(m)
    sizes: dict[str, list[int]] = defaultdict(list)
    for g in schedule.groups:
        sizes[g.activity].append(len(g.members))
    load: Counter[str] = Counter()
    for g in schedule.groups:
        for f in g.facilitators:
            load[f] += len(g.sessions)
    return Figures(
        participants=len(scenario.participants),
        covered=len({m for g in schedule.groups for m in g.members}),
        first_choice=len(first_choice),
        memberships=sum(ranks.values()),
        rank_counts=[(str(label), ranks[i + 1]) for i, label in enumerate(RANK_LABELS)],
        size_spread=[(scenario.activity(a).name, min(s), max(s)) for a, s in sizes.items() if len(s) > 1],
        facilitator_load=[(f.name, load[f.id], f.max_sessions_per_week) for f in scenario.facilitators],
    )


# --------------------------------------------------------------------------- comparing versions


@dataclass(frozen=True)
class Move:
    participant: str
    name: str
    before: list[str]  # group ids
    after: list[str]


@dataclass(frozen=True)
class Comparison:
    moved: list[Move] = field(default_factory=list)
    groups_added: list[str] = field(default_factory=list)
    groups_removed: list[str] = field(default_factory=list)
    # (group id, [(what changed: "time" / "room" / "facilitators", before, after)])
    groups_changed: list[tuple[str, list[tuple[str, str, str]]]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # group id -> "Community choir (act2-1)"

    def label(self, group_id: str) -> str:
        return self.labels.get(group_id, group_id)


def compare_versions(old: VersionView, new: VersionView) -> Comparison:
    """Who moved between groups, and which groups appeared, went, or changed time, room or staff."""
    def memberships(view: VersionView) -> dict[str, list[str]]:
        result: dict[str, list[str]] = defaultdict(list)
        for g in view.schedule.groups:
            for m in g.members:
                result[m].append(g.id)
        return {k: sorted(v) for k, v in result.items()}

    before, after = memberships(old), memberships(new)
    names = {p.id: p.name for p in new.scenario.participants} | {p.id: p.name for p in old.scenario.participants}
    moved = [Move(pid, names.get(pid, pid), before.get(pid, []), after.get(pid, []))
             for pid in sorted(set(before) | set(after), key=lambda pid: names.get(pid, pid))
             if before.get(pid, []) != after.get(pid, [])]
    old_groups = {g.id: g for g in old.schedule.groups}
    new_groups = {g.id: g for g in new.schedule.groups}

    def described(view: VersionView, group_id: str, what: str) -> str:
        group = {g.id: g for g in view.groups}[group_id]
        return {"time": ", ".join(group.slots), "room": group.room, "facilitators": ", ".join(group.facilitators)}[what]

    changed = []
    for gid in sorted(old_groups.keys() & new_groups.keys()):
        a, b = old_groups[gid], new_groups[gid]
        what = [label for label, x, y in (("time", sorted(a.sessions), sorted(b.sessions)), ("room", a.room, b.room),
                                          ("facilitators", sorted(a.facilitators), sorted(b.facilitators)))
                if x != y]
        if what:
            changed.append((gid, [(w, described(old, gid, w), described(new, gid, w)) for w in what]))
    labels = {g.id: f"{g.activity_name} ({g.id})" for g in old.groups} | {
        g.id: f"{g.activity_name} ({g.id})" for g in new.groups}
    return Comparison(moved=moved, groups_added=sorted(new_groups.keys() - old_groups.keys()),
                      groups_removed=sorted(old_groups.keys() - new_groups.keys()), groups_changed=changed,
                      labels=labels)


# --------------------------------------------------------------------------- what changed in the data


@dataclass(frozen=True)
class DataChanges:
    """What differs between two versions of a center's planning data, item by item and in words.

    Compared on normalised items (``planning.versions.normal``): a person whose stored data lacks an
    optional list and one with that list empty are the same, so saving unchanged answers lists nobody."""

    added: dict[str, list[str]]  # section -> names
    removed: dict[str, list[str]]
    changed: dict[str, list[str]]  # section -> "Name (what changed: before → after; ...)"
    other: list[str] = field(default_factory=list)  # the center's settings and the pairs

    @property
    def any(self) -> bool:
        return self.count > 0

    @property
    def count(self) -> int:
        """How many lines the list of changes has."""
        return len(self.other) + sum(len(v) for d in (self.added, self.removed, self.changed) for v in d.values())


DATA_SECTIONS = ("slots", "rooms", "activities", "facilitators", "participants")


def _label(entity: Any) -> str:
    return str(getattr(entity, "name", "") or entity.id)


def data_changes(old: Scenario, new: Scenario) -> DataChanges:
    """Exactly who and what changed from ``old`` to ``new``."""
    from scheduler.services.planning.versions import describe, field_names, normal

    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    changed: dict[str, list[str]] = {}
    names = field_names(old, new)
    for section in DATA_SECTIONS:
        before = {e.id: e for e in getattr(old, section)}
        after = {e.id: e for e in getattr(new, section)}
        added[section] = [_label(after[code]) for code in after if code not in before]
        removed[section] = [_label(before[code]) for code in before if code not in after]
        changed[section] = []
        for code in after:
            if code in before and (was := normal(before[code])) != (now := normal(after[code])):
                lines = describe(was, now, names)
                changed[section].append(f"{_label(after[code])} ({'; '.join(lines)})")
    other = [str(_l("Center: %(what)s", what=line)) for line in describe(normal(old.center), normal(new.center))]
    pairs_before = {k: [list(p) for p in getattr(old, k)] for k in ("keep_apart", "keep_together")}
    pairs_after = {k: [list(p) for p in getattr(new, k)] for k in ("keep_apart", "keep_together")}
    other += describe(pairs_before, pairs_after, names)
    return DataChanges(added, removed, changed, other)
