"""Explanations in words a coordinator can act on.

* Why a participant has no group: looked up from the schedule and the scenario, per wanted activity.
* Why nothing is possible: a separate feasibility solve (no objective, one worker, because CP-SAT's
  assumptions combine with neither) where each requirement that may conflict (min_groups, pins) is
  an assumption; the core is then shrunk by deletion to a smallest conflicting set.
"""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from solver.model import build, could_join, eligible_facilitators, eligible_rooms
from solver.scenario import Scenario
from solver.schedule import Schedule

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def slot_words(scenario: Scenario, slot_id: str) -> str:
    s = scenario.slot(slot_id)
    return f"{DAY_NAMES[s.day]} {s.start // 60:02d}:{s.start % 60:02d}"


def explain_unassigned(scenario: Scenario, schedule: Schedule) -> dict[str, str]:
    placed = {p for g in schedule.groups for p in g.members}
    out: dict[str, str] = {}
    for p in scenario.participants:
        if p.id in placed:
            continue
        if not p.preferences:
            out[p.id] = "has no preferences: add the activities they want"
            continue
        if not p.available and not p.if_needed:
            # Not "too few days": they have told no times at all, so the coordinator asks them.
            out[p.id] = "gave no times at which they can come: ask them when they can"
            continue
        reasons = [_why_not(scenario, schedule, p, scenario.activity(a)) for a in p.preferences]
        if len(reasons) == 1:
            out[p.id] = f"wants only {reasons[0]}"
        else:
            out[p.id] = "; ".join(reasons)
    return out


def _why_not(scenario: Scenario, schedule: Schedule, p: Any, a: Any) -> str:
    rooms = eligible_rooms(scenario, a)
    if a.language and a.language not in p.languages:
        return f"{a.name}: it is held in {a.language}, which they do not list"
    facs = eligible_facilitators(scenario, a)
    slots = [s.id for s in scenario.slots
             if sum(scenario.facilitator(f).can_attend(s.id) for f in facs) >= a.facilitators_per_group]
    if not could_join(scenario, p, a, slots, rooms):
        if p.needs and not any(set(p.needs) <= set(scenario.room(r).features) for r in rooms):
            return f"{a.name}: no suitable room has {', '.join(p.needs)}"
        return f"{a.name}: they are available on too few days when a facilitator can run it " \
               f"({a.sessions_per_week} needed)"
    groups = [g for g in schedule.groups if g.activity == a.id]
    if not groups:
        return f"{a.name}: no group was opened (too few people could meet at common times)"
    parts = []
    for g in groups:
        missing = [s for s in g.sessions if not p.can_attend(s)]
        when = ", ".join(slot_words(scenario, s) for s in g.sessions)
        if missing:
            parts.append(f"meets {when}, when they are not available")
        elif len(g.members) >= a.max_size or len(g.members) >= scenario.room(g.room).capacity:
            parts.append(f"meets {when} and is full")
        elif any({p.id, q} <= set(g.members) | {p.id} and q in g.members
                 for pair in scenario.keep_apart if p.id in pair for q in pair if q != p.id):
            parts.append(f"meets {when}, with someone they must be kept apart from")
        else:
            parts.append(f"meets {when}; adding them would clash with other groups or rules")
    if len(groups) == 1:
        return f"{a.name}: its one group {parts[0]}"
    if all("full" in x for x in parts):
        return f"{a.name}: all {len(groups)} groups are full"
    return f"{a.name}: " + "; ".join(f"group {i + 1} {x}" for i, x in enumerate(parts))


def explain_infeasible(scenario: Scenario, params: Any, time_limit_s: float = 10.0) -> list[str]:
    b = build(scenario, symmetry_breaking=False, explaining=True, pins=params.pins)
    if not b.requirements:
        return ["the hard rules cannot all hold even without minimum group counts or pins; "
                "check that every activity has a suitable room and facilitators"]
    names = list(b.requirements)
    lits = [b.requirements[n] for n in names]

    def feasible(subset: list[int]) -> bool | None:
        m = b.model.clone()
        m.clear_assumptions()
        m.add_assumptions([m.get_bool_var_from_proto_index(lits[i].index) for i in subset])
        s = cp_model.CpSolver()
        s.parameters.max_time_in_seconds = time_limit_s / 4
        s.parameters.num_workers = 1
        # Most of these checks are feasible, and a plain search finds that at once: without presolve,
        # probing and the LP relaxation, one check on large.json takes 0.7 s instead of running out of
        # its time (small.json: 0.4 s instead of 1.4 s). An unknown answer only keeps a requirement in.
        s.parameters.cp_model_presolve = False
        s.parameters.cp_model_probing_level = 0
        s.parameters.linearization_level = 0
        s.parameters.random_seed = params.seed
        code = s.solve(m)
        if code == cp_model.INFEASIBLE:
            return False
        return True if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

    m = b.model.clone()
    m.add_assumptions([m.get_bool_var_from_proto_index(lit.index) for lit in lits])
    s = cp_model.CpSolver()
    s.parameters.max_time_in_seconds = time_limit_s
    s.parameters.num_workers = 1
    s.parameters.random_seed = params.seed
    if s.solve(m) != cp_model.INFEASIBLE:
        return []
    index = {lit.index: i for i, lit in enumerate(lits)}
    core = [index[i] for i in s.sufficient_assumptions_for_infeasibility() if i in index]
    if not core:
        return ["the hard rules cannot all hold together"]
    # Deletion: drop each requirement whose absence keeps the rest infeasible.
    for i in list(core):
        rest = [j for j in core if j != i]
        if rest and feasible(rest) is False:
            core = rest
    return ["these requirements cannot all hold together:"] + [names[i] for i in core]
