"""Upper bounds on the score that need no search.

``trivial_bound`` gives every participant their top choices. ``seat_bound`` is never weaker: it
forgets the timetable but keeps the seats. Each activity offers at most
``groups × min(max_size, its largest suitable room)`` seats, with groups limited by ``max_groups``
and by how many sessions its facilitators can lead; each participant takes at most ``max_groups``
seats, one per activity they want and could join, and is covered by their first. The best way to
share the seats is a min-cost flow, solved exactly:

    source ─(1 unit: coverage, then max_groups − 1 units: 0)→ participant
           ─(1 unit: points of its rank)→ activity ─(seats)→ sink

When a search has proved that no schedule puts more than ``max_covered`` people in a group (a
coverage-only search, see ``solver.solve``), the coverage units pass through one more node first,
which lets through ``max_covered`` of them: every schedule is still one of the flows, so the bound
still holds, and it loses the coverage of those the timetable cannot seat.

Dropping the timetable, the rooms per slot and the penalty terms only relaxes the problem, so
the flow's value is a proven bound. On xl.json, where 2 000 people want 1 488 seats, it is about
a quarter below the trivial bound; where seats are plentiful it equals the trivial bound less the
people who cannot join anything they want.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

from ortools.graph.python import min_cost_flow
from ortools.linear_solver import pywraplp

from solver.model import could_join, eligible_facilitators, eligible_rooms
from solver.objective import rank_points, trivial_bound
from solver.scenario import Activity, Scenario

__all__ = ["seat_bound", "timetable_bound", "trivial_bound"]


def seats(scenario: Scenario, activity: Activity) -> tuple[int, list[str], list[str]]:
    """How many seats ``activity`` can offer at most, with its usable slots and suitable rooms."""
    facilitators = [scenario.facilitator(f) for f in eligible_facilitators(scenario, activity)]
    rooms = eligible_rooms(scenario, activity)
    slots = [s.id for s in scenario.slots
             if sum(f.can_attend(s.id) for f in facilitators) >= activity.facilitators_per_group]
    if not rooms or len({scenario.slot(s).day for s in slots}) < activity.sessions_per_week:
        return 0, slots, rooms
    sessions = sum(min(f.max_sessions_per_week, sum(f.can_attend(s) for s in slots)) for f in facilitators)
    staffed = sessions // (activity.sessions_per_week * activity.facilitators_per_group)
    housed = len(rooms) * len(slots) // activity.sessions_per_week
    groups = min(activity.max_groups, staffed, housed)
    size = min(activity.max_size, max(scenario.room(r).capacity for r in rooms))
    return groups * size, slots, rooms


def seat_bound(scenario: Scenario, weights: Any, max_covered: int | None = None) -> int:
    """The best score of any sharing of the seats (see the module text); at most the trivial bound."""
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    people = {p.id: 2 + i for i, p in enumerate(scenario.participants)}
    offered = {a.id: 2 + len(people) + i for i, a in enumerate(scenario.activities)}
    coverage = source
    if max_covered is not None:
        coverage = 2 + len(people) + len(offered)
        flow.add_arc_with_capacity_and_unit_cost(source, coverage, max(0, max_covered), 0)
    supply = 0
    for a in scenario.activities:
        count, slots, rooms = seats(scenario, a)
        if count:
            flow.add_arc_with_capacity_and_unit_cost(offered[a.id], sink, count, 0)
        for p in scenario.participants:
            if count and a.id in p.preferences and could_join(scenario, p, a, slots, rooms):
                points = rank_points(weights, p.preferences.index(a.id))
                flow.add_arc_with_capacity_and_unit_cost(people[p.id], offered[a.id], 1, -points)
    for p in scenario.participants:
        flow.add_arc_with_capacity_and_unit_cost(coverage, people[p.id], 1, -weights.coverage)
        if p.max_groups > 1:
            flow.add_arc_with_capacity_and_unit_cost(source, people[p.id], p.max_groups - 1, 0)
        supply += p.max_groups
    flow.add_arc_with_capacity_and_unit_cost(source, sink, supply, 0)  # seats left unused
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    if flow.solve() != flow.OPTIMAL:  # cannot happen for this network; the trivial bound still holds
        return trivial_bound(scenario, weights)
    return min(trivial_bound(scenario, weights), -int(flow.optimal_cost()))



def timetable_bound(scenario: Scenario, weights: Any, time_limit_s: float) -> int | None:
    """A bound on the score that sees when groups meet: the optimum of a linear program (GLOP), or
    None if GLOP does not solve it within ``time_limit_s``. Never below the optimum, because every
    schedule gives a solution of this relaxation (with whole numbers) worth at least its score:

    - y(a, P) counts the open groups of activity a meeting at slot pattern P: sessions_per_week slots
      on different days where enough of its facilitators are available. At most as many as there are
      rooms for it, and as its facilitators available at every slot of P allow (groups at the same
      slots need different ones); per activity at most the groups ``seats`` allows; per slot, the
      groups meeting then need facilitators_per_group each of the facilitators available then;
    - z(p, a) = 1 says p joins a group of a, which needs some group of a at a pattern p can attend
      (and ``could_join``); each person joins at most max_groups, each activity seats at most its
      groups × min(max_size, its largest room); p counts as covered only with some z(p, a).

    The objective is coverage plus rank points; the charges (size balance, if-needed sessions,
    facilitator load, disruption) are all at least 0 and left out, as are rooms per slot, the
    facilitators' weekly sessions, each person's own slot clashes and the pairs. So a schedule's
    groups and memberships satisfy all of it, and the linear program's optimum is at least the
    best of them. Unlike ``seat_bound`` (and CP-SAT's own LP, whose groups may meet a little at
    every slot at once), a choice counts only as far as groups of it can meet when the person can
    come: with one group of an activity spread evenly over all patterns, someone who can come to
    half of them gets half a seat. On medium.json the bound falls from 33 529 to 32 704, large.json
    from 66 632 to 65 168, small.json from 12 766 to 12 182, each in a second or two. (SCIP on the
    same program with whole numbers proves about 10 points less, in several seconds more.)"""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    bit = {s.id: 1 << i for i, s in enumerate(scenario.slots)}
    day = {s.id: s.day for s in scenario.slots}

    def mask(slot_ids: Any) -> int:
        return sum(bit[slot] for slot in set(slot_ids))

    attends = {p.id: mask(p.available) | mask(p.if_needed) for p in scenario.participants}
    at_slot: dict[str, list[Any]] = {s.id: [] for s in scenario.slots}
    reach: dict[tuple[str, str], list[Any]] = {}
    seated: dict[str, Any] = {}
    for a in scenario.activities:
        count, slots, rooms = seats(scenario, a)
        if not count:
            continue
        size = min(a.max_size, max(scenario.room(r).capacity for r in rooms))
        facilitators = [mask(scenario.facilitator(f).available) | mask(scenario.facilitator(f).if_needed)
                        for f in eligible_facilitators(scenario, a)]
        wanted = [p.id for p in scenario.participants
                  if a.id in p.preferences and could_join(scenario, p, a, slots, rooms)]
        groups = []
        for pattern in combinations(slots, a.sessions_per_week):
            if len({day[slot] for slot in pattern}) < a.sessions_per_week:
                continue
            need = mask(pattern)
            staffed = sum(f & need == need for f in facilitators) // a.facilitators_per_group
            who = [pid for pid in wanted if attends[pid] & need == need]
            most = min(count // size, staffed, len(rooms))
            if most <= 0 or not who:
                continue
            y = solver.NumVar(0, most, "")
            groups.append(y)
            for slot in pattern:
                at_slot[slot].append(a.facilitators_per_group * y)
            for pid in who:
                reach.setdefault((pid, a.id), []).append(y)
        if groups:
            solver.Add(sum(groups) <= count // size)
            seated[a.id] = (size * sum(groups), [])
    for s in scenario.slots:
        if at_slot[s.id]:
            solver.Add(sum(at_slot[s.id]) <= sum(f.can_attend(s.id) for f in scenario.facilitators))
    objective = []
    for p in scenario.participants:
        joins = []
        for rank, a_id in enumerate(p.preferences):
            if (p.id, a_id) in reach:
                z = solver.NumVar(0, 1, "")
                solver.Add(z <= sum(reach[p.id, a_id]))
                joins.append(z)
                seated[a_id][1].append(z)
                objective.append(rank_points(weights, rank) * z)
        if joins:
            solver.Add(sum(joins) <= p.max_groups)
            covered = solver.NumVar(0, 1, "")
            solver.Add(covered <= sum(joins))
            objective.append(weights.coverage * covered)
    for seats_of, members in seated.values():
        if members:
            solver.Add(sum(members) <= seats_of)
    if not objective:
        return 0
    solver.Maximize(sum(objective))
    solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    # A schedule's score is a whole number, so the floor still bounds it; the small allowance is for
    # GLOP's tolerances, should an optimum that is a whole number come out a hair below it.
    bound = solver.Objective().Value()
    return math.floor(bound + 0.01) if math.isfinite(bound) else None
