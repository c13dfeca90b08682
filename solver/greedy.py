"""A fast greedy schedule, valid by construction, to start the search from (a solution hint).

On large scenarios CP-SAT can take many seconds to find any schedule on its own; handed a complete,
valid one it starts improving at once, and the progress bar has something to show. The greedy
opens groups activity by activity, most wanted first: for each group it picks the weekly slots that
suit most of the people still waiting for the activity (someone in no group yet counts ten times),
a room, facilitators who are free then, and the members who fit (availability, language, needs,
groups they are already in, keep-apart, keep-together), people in no group first. A group that
cannot reach its minimum size is not opened. Groups of an activity are numbered largest first,
matching the model's symmetry breaking.

Which members to take first and which room to use are judgement calls that suit one scenario and
not another (on the shared scenarios the best of the policies below beats the worst by 2% to 7%),
so every policy is tried, each schedule is polished by moving people between its groups
(``solver.seating``: ``fill`` and ``trade``), and the best-scoring one is kept; each policy takes
well under a second.

Anything it cannot do safely it leaves out. The tests validate its result with ``solver.check`` on
every shared scenario; the model treats it only as a hint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any

from solver.objective import score_terms
from solver.scenario import Activity, Facilitator, Participant, Room, Scenario
from solver.schedule import Group, Schedule
from solver.seating import DEFAULT_WEIGHTS, Bookings, fill, free_times, trade

MAX_SLOT_SETS = 400  # slot combinations tried per group, the most promising first
FILL_ROUNDS = 5


@dataclass(frozen=True)
class Policy:
    """Who joins a group first (a sort key) and which free rooms are tried first."""

    member: Callable[[Bookings, Participant, Activity], tuple[Any, ...]]
    room: Callable[[Room, Activity], tuple[Any, ...]]


# People in no group first, then: by how much they want it; or by how much they want it, then those
# free at fewest times; or those free at fewest times first; or those who want fewest activities.
MEMBER_ORDERS: tuple[Callable[[Bookings, Participant, Activity], tuple[Any, ...]], ...] = (
    lambda st, p, a: (bool(st.person_groups[p.id]), p.preferences.index(a.id), p.id),
    lambda st, p, a: (bool(st.person_groups[p.id]), p.preferences.index(a.id), free_times(p), p.id),
    lambda st, p, a: (bool(st.person_groups[p.id]), free_times(p), p.preferences.index(a.id), p.id),
    lambda st, p, a: (bool(st.person_groups[p.id]), p.preferences.index(a.id), len(p.preferences), p.id),
)
# The largest free room; or the smallest that seats a full group (large rooms kept for later).
ROOM_ORDERS: tuple[Callable[[Room, Activity], tuple[Any, ...]], ...] = (
    lambda r, a: (-r.capacity, r.id),
    lambda r, a: (r.capacity < a.max_size, r.capacity, r.id),
)
POLICIES = tuple(Policy(member, room) for member, room in product(MEMBER_ORDERS, ROOM_ORDERS))


def _slot_sets(sc: Scenario, a: Activity, candidates: list[str], score: dict[str, int]) -> list[tuple[str, ...]]:
    ranked = sorted(candidates, key=lambda s: -score[s])[:12]
    sets = []
    for combo in combinations(ranked, a.sessions_per_week):
        if len({sc.slot(s).day for s in combo}) == a.sessions_per_week:
            sets.append(combo)
    sets.sort(key=lambda combo: -min(score[s] for s in combo))
    return sets[:MAX_SLOT_SETS]


def greedy_schedule(sc: Scenario, score: Callable[[tuple[Group, ...]], int] | None = None,
                    on_better: Callable[[tuple[Group, ...]], object] | None = None) -> Schedule | None:
    """The best valid schedule of the policies, each polished by ``fill`` and ``trade``, by ``score``
    (by default the spec's score), or None when the greedy could not honour ``min_groups``.

    ``on_better`` hears of each schedule better than the ones before, as soon as it is made: the first
    comes within a fraction of a second even on xl.json, where polishing all policies takes seconds."""
    value = score or (lambda groups: _default_score(sc, groups))
    best: tuple[Group, ...] | None = None

    def consider(groups: tuple[Group, ...]) -> None:
        nonlocal best
        if best is None or value(groups) > value(best):
            best = groups
            if on_better is not None:
                on_better(groups)

    for policy in POLICIES:
        made = greedy_with_policy(sc, policy)
        if made is not None:
            consider(made.groups)
            consider(polished(sc, made.groups, value))
    return Schedule(status="FEASIBLE", groups=best) if best is not None else None


def polished(sc: Scenario, groups: tuple[Group, ...], value: Callable[[tuple[Group, ...]], int]) -> tuple[Group, ...]:
    """``fill`` and ``trade`` again while they help: each round's moves open moves for the next (a few
    rounds at most). Also used on schedules a search found for another objective (coverage alone)."""
    best = groups
    for _ in range(FILL_ROUNDS):
        better = tuple(trade(sc, fill(sc, list(best))))
        if value(better) <= value(best):
            break
        best = better
    return best


def _default_score(sc: Scenario, groups: tuple[Group, ...]) -> int:
    return sum(score_terms(sc, groups, DEFAULT_WEIGHTS).values())


def greedy_with_policy(sc: Scenario, policy: Policy) -> Schedule | None:
    st = Bookings(sc)
    demand = {a.id: sum(1 for p in sc.participants if a.id in p.preferences) for a in sc.activities}
    groups: list[Group] = []
    # Activities that must open groups first, then the most wanted.
    for a in sorted(sc.activities, key=lambda a: (-a.min_groups, -demand[a.id], a.id)):
        opened: list[Group] = []
        facs = [f for f in sc.facilitators if set(a.required_skills) <= set(f.skills)
                and (not a.language or a.language in f.languages)]
        rooms = [r for r in sc.rooms if set(a.room_features) <= set(r.features) and r.capacity >= a.min_size]
        for k in range(1, a.max_groups + 1):
            gid = f"{a.id}-{k}"
            waiting = [p for p in sc.participants if a.id in p.preferences
                       and len(st.person_groups[p.id]) < p.max_groups
                       and all(act != a.id for act, _g in st.person_groups[p.id])]
            if not waiting and len(opened) >= a.min_groups:
                break
            # Someone in no group yet counts ten times: covering a person is worth ten first choices.
            score = {s.id: sum(1 if st.person_groups[p.id] else 10 for p in waiting
                               if p.can_attend(s.id) and (p.id, s.id) not in st.person_busy)
                     for s in sc.slots}
            candidates = [s.id for s in sc.slots
                          if sum(1 for f in facs if f.can_attend(s.id) and (f.id, s.id) not in st.fac_busy)
                          >= a.facilitators_per_group]
            made = _open_group(st, policy, a, gid, waiting, _slot_sets(sc, a, candidates, score), facs, rooms)
            if made is None:
                break
            opened.append(made)
        if len(opened) < a.min_groups:
            return None
        # Largest first, numbered 1..n, as the model's symmetry breaking orders them.
        for k, group in enumerate(sorted(opened, key=lambda g: -len(g.members)), start=1):
            groups.append(Group(f"{a.id}-{k}", a.id, group.sessions, group.room, group.facilitators, group.members))
    return Schedule(status="FEASIBLE", groups=tuple(groups))


def _open_group(st: Bookings, policy: Policy, a: Activity, gid: str, waiting: list[Participant],
                slot_sets: list[tuple[str, ...]], facs: list[Facilitator], rooms: list[Room]) -> Group | None:
    for slots in slot_sets:
        leaders = [f.id for f in facs
                   if all(f.can_attend(s) and (f.id, s) not in st.fac_busy for s in slots)
                   and st.fac_load[f.id] + len(slots) <= f.max_sessions_per_week]
        if len(leaders) < a.facilitators_per_group:
            continue
        leaders.sort(key=lambda f: st.fac_load[f])
        free_rooms = [r for r in rooms if all((r.id, s) not in st.room_busy for s in slots)]
        if not free_rooms:
            continue
        for room in sorted(free_rooms, key=lambda r: policy.room(r, a))[:3]:
            features = set(room.features)
            limit = min(a.max_size, room.capacity)
            members: list[str] = []
            for p in sorted(waiting, key=lambda p: policy.member(st, p, a)):
                if len(members) >= limit:
                    break
                if st.may_join(p, a, gid, slots, features, members):
                    members.append(p.id)
            if len(members) < a.min_size:
                continue
            chosen = tuple(leaders[: a.facilitators_per_group])
            for s in slots:
                st.room_busy.add((room.id, s))
                for f in chosen:
                    st.fac_busy.add((f, s))
                for member in members:
                    st.person_busy.add((member, s))
            for f in chosen:
                st.fac_load[f] += len(slots)
            for member in members:
                st.person_groups[member].append((a.id, gid))
            return Group(gid, a.id, tuple(slots), room.id, chosen, tuple(members))
    return None
