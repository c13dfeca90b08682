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

from typing import Any

from ortools.graph.python import min_cost_flow

from solver.model import could_join, eligible_facilitators, eligible_rooms
from solver.objective import rank_points, trivial_bound
from solver.scenario import Activity, Scenario

__all__ = ["seat_bound", "trivial_bound"]


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
