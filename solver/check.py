"""An independent check of any schedule against every hard rule of the spec, and its score.

Written apart from the model on purpose: it imports only the interchange types, never
``solver.model``, ``solver.rules``, ``solver.objective`` or ``solver.solve``, so a mistake in the
model cannot hide behind the same mistake here. Plain loops over the schedule, one rule at a time,
in the order of the spec's "Hard rules" section; every message states the numbers and names
things the way a coordinator knows them (group id, participant id and name).

A schedule that proposes nothing (status INFEASIBLE or UNKNOWN and no groups) is only checked for
being sensible: what it lists must exist. Everything else must obey every rule.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from solver.scenario import Activity, Facilitator, Participant, Room, Scenario, Slot
from solver.schedule import STATUSES, Group, Schedule

POINTS = (10, 7, 5, 3, 2)  # rank 1..5; rank 6 and beyond earn 1
COVERAGE, SIZE_BALANCE, IF_NEEDED = 100, 5, 2


@dataclass(frozen=True)
class CheckReport:
    violations: list[str]  # empty means valid; each a plain sentence with the numbers
    score: int  # the spec's default score
    terms: dict[str, int] = field(default_factory=dict)  # signed parts that sum to the score

    @property
    def ok(self) -> bool:
        return not self.violations


def rank_points(rank: int) -> int:
    """Points for a membership in the activity at 1-based preference ``rank``."""
    return POINTS[rank - 1] if rank <= len(POINTS) else 1


def _repeats(values: Iterable[str]) -> list[tuple[str, int]]:
    return [(v, n) for v, n in Counter(values).items() if n > 1]


@dataclass(frozen=True)
class _Lookup:
    """The scenario's items by id, and the groups that name only known things."""

    scenario: Scenario
    schedule: Schedule
    groups: list[Group]
    slots: dict[str, Slot]
    rooms: dict[str, Room]
    activities: dict[str, Activity]
    facilitators: dict[str, Facilitator]
    participants: dict[str, Participant]

    @property
    def proposes_nothing(self) -> bool:
        return self.schedule.status in ("INFEASIBLE", "UNKNOWN") and not self.schedule.groups

    def who(self, pid: str) -> str:
        return f"{pid} ({self.participants[pid].name})"

    def member_groups(self) -> dict[str, list[Group]]:
        joined: dict[str, list[Group]] = defaultdict(list)
        for g in self.groups:
            for m in g.members:
                joined[m].append(g)
        return joined


def check_schedule(scenario: Scenario, schedule: Schedule) -> CheckReport:
    """Every violation of every hard rule (one function per rule, in the spec's order) and the score."""
    bad: list[str] = []
    if schedule.status not in STATUSES:
        bad.append(f'status "{schedule.status}" is not one of {", ".join(STATUSES)}')
    activities = {a.id: a for a in scenario.activities}
    slots = {s.id: s for s in scenario.slots}
    rooms = {r.id: r for r in scenario.rooms}
    facilitators = {f.id: f for f in scenario.facilitators}
    participants = {p.id: p for p in scenario.participants}
    groups, problems = _known_groups(schedule, slots, rooms, activities, facilitators, participants)
    bad += problems
    seen = _Lookup(scenario, schedule, groups, slots, rooms, activities, facilitators, participants)
    for rule in (_rule_1_groups, _rule_2_facilitators, _rule_3_rooms, _rule_4_members, _rule_5_pairs,
                 _everyone_listed):
        bad += rule(seen)
    terms = _score(scenario, groups)
    return CheckReport(violations=bad, score=sum(terms.values()), terms=terms)


def _known_groups(schedule: Schedule, slots: dict[str, Slot], rooms: dict[str, Room],
                  activities: dict[str, Activity], facilitators: dict[str, Facilitator],
                  participants: dict[str, Participant]) -> tuple[list[Group], list[str]]:
    """Referential sanity first: a group naming unknown things, or naming one thing twice, is
    reported as such and checked no further (its other messages would only be noise)."""
    groups: list[Group] = []
    bad: list[str] = []
    seen_ids: set[str] = set()
    for g in schedule.groups:
        problems = []
        if g.id in seen_ids:
            problems.append(f'group id "{g.id}" is used by more than one group')
        seen_ids.add(g.id)
        if g.activity not in activities:
            problems.append(f'group {g.id}: unknown activity "{g.activity}"')
        if g.room not in rooms:
            problems.append(f'group {g.id}: unknown room "{g.room}"')
        problems += [f'group {g.id}: unknown slot "{s}"' for s in g.sessions if s not in slots]
        problems += [f'group {g.id}: unknown facilitator "{f}"' for f in g.facilitators if f not in facilitators]
        problems += [f'group {g.id}: unknown participant "{m}"' for m in g.members if m not in participants]
        for label, values in (("session", g.sessions), ("facilitator", g.facilitators), ("member", g.members)):
            problems += [f'group {g.id}: {label} "{v}" is listed {n} times' for v, n in _repeats(values)]
        bad += problems
        if not problems:
            groups.append(g)
    return groups, bad


def _rule_1_groups(seen: _Lookup) -> list[str]:
    """Sessions, sizes, number of groups per activity."""
    bad = []
    for g in seen.groups:
        a = seen.activities[g.activity]
        if len(g.sessions) != a.sessions_per_week:
            bad.append(f"group {g.id}: {len(g.sessions)} sessions a week, {a.name} needs {a.sessions_per_week}")
        for day, n in _repeats(seen.slots[s].day_code for s in g.sessions):
            bad.append(f"group {g.id}: {n} sessions on the same day ({day}); sessions must be on different days")
        if not a.min_size <= len(g.members) <= a.max_size:
            bad.append(f"group {g.id}: {len(g.members)} members, {a.name} takes {a.min_size} to {a.max_size}")
    if not seen.proposes_nothing:
        # Every listed group is open, even one refused above for naming unknown things.
        opened_by_activity = Counter(g.activity for g in seen.schedule.groups)
        for a in seen.scenario.activities:
            opened = opened_by_activity[a.id]
            if not a.min_groups <= opened <= a.max_groups:
                bad.append(f"activity {a.id} ({a.name}): {opened} groups open, "
                           f"must be between {a.min_groups} and {a.max_groups}")
    return bad


def _rule_2_facilitators(seen: _Lookup) -> list[str]:
    """Count, skills, language, availability, one place at a time, weekly load."""
    bad = []
    facilitator_slots: dict[str, list[str]] = defaultdict(list)
    for g in seen.groups:
        a = seen.activities[g.activity]
        if len(g.facilitators) != a.facilitators_per_group:
            bad.append(f"group {g.id}: {len(g.facilitators)} facilitators, {a.name} needs {a.facilitators_per_group}")
        for fid in g.facilitators:
            f = seen.facilitators[fid]
            missing = [skill for skill in a.required_skills if skill not in f.skills]
            if missing:
                bad.append(f"group {g.id}: facilitator {fid} ({f.name}) lacks the skill(s) {', '.join(missing)}")
            if a.language is not None and a.language not in f.languages:
                bad.append(f"group {g.id}: facilitator {fid} ({f.name}) does not speak {a.language}")
            for s in g.sessions:
                if s not in f.available and s not in f.if_needed:
                    bad.append(f"group {g.id}: facilitator {fid} ({f.name}) is not available at {s}")
                facilitator_slots[fid].append(s)
    for fid, used in facilitator_slots.items():
        f = seen.facilitators[fid]
        bad += [f"facilitator {fid} ({f.name}) has {n} sessions at {s}" for s, n in _repeats(used)]
        if len(used) > f.max_sessions_per_week:
            bad.append(f"facilitator {fid} ({f.name}): {len(used)} sessions a week, "
                       f"at most {f.max_sessions_per_week}")
    return bad


def _rule_3_rooms(seen: _Lookup) -> list[str]:
    """One group per room and slot, capacity, features of the activity and of every member."""
    bad = []
    room_slots: dict[str, list[str]] = defaultdict(list)
    for g in seen.groups:
        a, r = seen.activities[g.activity], seen.rooms[g.room]
        room_slots[r.id] += g.sessions
        if len(g.members) > r.capacity:
            bad.append(f'group {g.id}: room "{r.id}" holds {r.capacity} but the group has {len(g.members)} members')
        needed = set(a.room_features) | {need for m in g.members for need in seen.participants[m].needs}
        missing = sorted(needed - set(r.features))
        if missing:
            bad.append(f'group {g.id}: room "{r.id}" lacks {", ".join(missing)}')
    for rid, used in room_slots.items():
        bad += [f'room "{rid}" has {n} sessions at {s}' for s, n in _repeats(used)]
    return bad


def _rule_4_members(seen: _Lookup) -> list[str]:
    """Wanted, spoken, available; at most one group per activity, max_groups, one group per slot."""
    bad = []
    for g in seen.groups:
        a = seen.activities[g.activity]
        for m in g.members:
            p = seen.participants[m]
            if a.id not in p.preferences:
                bad.append(f"group {g.id}: {seen.who(m)} did not ask for {a.name}")
            if a.language is not None and a.language not in p.languages:
                bad.append(f"group {g.id}: {seen.who(m)} does not speak {a.language}")
            bad += [f"group {g.id}: {seen.who(m)} is not available at {s}"
                    for s in g.sessions if s not in p.available and s not in p.if_needed]
    for m, joined in seen.member_groups().items():
        p = seen.participants[m]
        if len(joined) > p.max_groups:
            bad.append(f"{seen.who(m)} is in {len(joined)} groups, at most {p.max_groups}")
        bad += [f"{seen.who(m)} is in {n} groups of {seen.activities[a].name}"
                for a, n in _repeats(g.activity for g in joined)]
        bad += [f"{seen.who(m)} has {n} groups at {s}" for s, n in _repeats(s for g in joined for s in g.sessions)]
    return bad


def _rule_5_pairs(seen: _Lookup) -> list[str]:
    """Kept apart: never one group; kept together: the same group of a shared activity."""
    bad = []
    member_groups = seen.member_groups()
    for a_id, b_id in seen.scenario.keep_apart:
        shared = {g.id for g in member_groups.get(a_id, [])} & {g.id for g in member_groups.get(b_id, [])}
        bad += [f"{a_id} and {b_id} must be kept apart but are both in group {g}" for g in sorted(shared)]
    for a_id, b_id in seen.scenario.keep_together:
        for ga in member_groups.get(a_id, []):
            for gb in member_groups.get(b_id, []):
                if ga.activity == gb.activity and ga.id != gb.id:
                    bad.append(f"{a_id} and {b_id} must be together in {seen.activities[ga.activity].name} "
                               f"but are in groups {ga.id} and {gb.id}")
    return bad


def _everyone_listed(seen: _Lookup) -> list[str]:
    """Everyone without a group is listed as unassigned, with a reason; nobody is both. A member of a
    group refused above still counts as placed here, so one mistake gives one message."""
    bad = []
    placed = {m for g in seen.schedule.groups for m in g.members}
    listed = Counter(u.participant for u in seen.schedule.unassigned)
    for u in seen.schedule.unassigned:
        if u.participant not in seen.participants:
            bad.append(f'unassigned: unknown participant "{u.participant}"')
        elif u.participant in placed:
            bad.append(f"{seen.who(u.participant)} is in a group and also listed as unassigned")
        elif not u.reason.strip():
            bad.append(f"{seen.who(u.participant)} is unassigned without a reason")
    bad += [f'participant "{pid}" is listed {n} times as unassigned' for pid, n in listed.items() if n > 1]
    if not seen.proposes_nothing:
        bad += [f"{seen.who(p.id)} has no group and is not listed as unassigned"
                for p in seen.scenario.participants if p.id not in placed and p.id not in listed]
    return bad


def _score(scenario: Scenario, groups: list[Group]) -> dict[str, int]:
    """The spec's default score of the groups that name only known things."""
    participants = {p.id: p for p in scenario.participants}
    facilitators = {f.id: f for f in scenario.facilitators}
    covered = {m for g in groups for m in g.members}
    points = 0
    if_needed = 0
    sizes: dict[str, list[int]] = defaultdict(list)
    for g in groups:
        sizes[g.activity].append(len(g.members))
        for m in g.members:
            prefs = participants[m].preferences
            if g.activity in prefs:
                points += rank_points(prefs.index(g.activity) + 1)
            if_needed += sum(1 for s in g.sessions if s in participants[m].if_needed)
        for f in g.facilitators:
            if_needed += sum(1 for s in g.sessions if s in facilitators[f].if_needed)
    spread = sum(max(s) - min(s) for s in sizes.values() if len(s) > 1)
    return {"coverage": COVERAGE * len(covered), "rank_points": points, "size_balance": -SIZE_BALANCE * spread,
            "if_needed": -IF_NEEDED * if_needed}
