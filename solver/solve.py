"""The public API: ``solve(scenario, params, on_progress, cancel) -> Schedule``.

Every solve is explicit about its time limit, workers and seed. CP-SAT's log goes to ``logging``.
When the requirements (min_groups, pins) cannot all hold, a separate feasibility solve with
assumptions names the conflicting ones (``solver.explain``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solver.greedy import greedy_schedule
from solver.model import Built, build
from solver.objective import add_objective, rank_points, trivial_bound
from solver.scenario import Scenario
from solver.schedule import Group, Schedule, Unassigned
from solver.stability import Stability, add_disruption, moves

log = logging.getLogger("solver")


@dataclass(frozen=True)
class Weights:
    coverage: int = 100
    rank_points: tuple[int, ...] = (10, 7, 5, 3, 2, 1)  # last value repeats for rank 6+
    size_balance: int = 5
    if_needed: int = 2
    facilitator_load: int = 0


@dataclass(frozen=True)
class Pins:
    group_slots: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    group_rooms: Mapping[str, str] = field(default_factory=dict)
    group_facilitators: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    participant_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.group_slots or self.group_rooms or self.group_facilitators or self.participant_groups)


@dataclass(frozen=True)
class SolveParams:
    time_limit_s: float = 60.0
    workers: int = 2
    seed: int = 0
    weights: Weights = field(default_factory=Weights)
    pins: Pins = field(default_factory=Pins)
    hint: Schedule | None = None
    # Re-solving mid-term: stay close to this published schedule (see solver.stability).
    stability: Stability | None = None


@dataclass(frozen=True)
class Progress:
    elapsed_s: float
    objective: int
    bound: int
    covered: int


_STATUS = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.INFEASIBLE: "INFEASIBLE",
           cp_model.MODEL_INVALID: "UNKNOWN", cp_model.UNKNOWN: "UNKNOWN"}


def configure(solver: cp_model.CpSolver, time_limit_s: float, workers: int, seed: int) -> None:
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    # One presolve round instead of the default several: on large scenarios the extra rounds took
    # ~6 s before any solution, for no better final score (measured on large and planted, 30 s).
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.log_search_progress = log.isEnabledFor(logging.DEBUG)
    solver.parameters.log_to_stdout = False
    solver.log_callback = log.debug


def apply_hint(b: Built, hint: Schedule) -> None:
    """Warm start from a schedule; only groups with our ids are used, anything missing is hinted off."""
    v = b.vars
    by_id = {g.id: g for g in hint.groups}
    for g in b.groups:
        h = by_id.get(g)
        b.model.add_hint(v.open[g], h is not None)
        for s in b.group_slots[g]:
            b.model.add_hint(v.sess[g, s], h is not None and s in h.sessions)
    for (g, r), x in v.room.items():
        b.model.add_hint(x, g in by_id and by_id[g].room == r)
    for (g, f), x in v.fac.items():
        b.model.add_hint(x, g in by_id and f in by_id[g].facilitators)
    for (p, g), x in v.x.items():
        b.model.add_hint(x, g in by_id and p in by_id[g].members)
    # The auxiliary variables too: a hint that leaves them out makes CP-SAT search for their values
    # before it has a first solution, which on large scenarios costs most of a short time limit.
    def meets(g: str, s: str) -> bool:
        return g in by_id and s in by_id[g].sessions
    for (g, f, s), x in v.fac_sess.items():
        b.model.add_hint(x, meets(g, s) and f in by_id[g].facilitators)
    for (g, r, s), x in v.room_sess.items():
        b.model.add_hint(x, meets(g, s) and by_id[g].room == r)
    for (p, g, s), x in v.member_sess.items():
        b.model.add_hint(x, meets(g, s) and p in by_id[g].members)
    for g, size in v.size.items():
        b.model.add_hint(size, len([p for p in by_id[g].members if (p, g) in v.x]) if g in by_id else 0)
    hinted_members = {p for (p, g) in v.x if g in by_id and p in by_id[g].members}
    for p, covered in v.covered.items():
        b.model.add_hint(covered, p in hinted_members)


class _Watcher(cp_model.CpSolverSolutionCallback):
    def __init__(self, b: Built, t0: float, on_progress: Callable[[Progress], None] | None,
                 cancel: threading.Event | None, cap: int) -> None:
        super().__init__()
        self.b, self.t0, self.on_progress, self.cancel, self.cap = b, t0, on_progress, cancel, cap
        self.first_solution_s: float | None = None

    def on_solution_callback(self) -> None:
        elapsed = time.monotonic() - self.t0
        if self.first_solution_s is None:
            self.first_solution_s = elapsed
        if self.on_progress is not None:
            covered = sum(self.boolean_value(c) for c in self.b.vars.covered.values())
            bound = min(self.cap, math.floor(self.best_objective_bound + 1e-6))
            self.on_progress(Progress(elapsed, round(self.objective_value), bound, covered))
        if self.cancel is not None and self.cancel.is_set():
            self.stop_search()


# Filled by the last solve, for the benchmark (model build time and time to a first solution).
last_stats: dict[str, float | None] = {}


def solve(scenario: Scenario, params: SolveParams | None = None,
          on_progress: Callable[[Progress], None] | None = None,
          cancel: threading.Event | None = None) -> Schedule:
    from solver.explain import explain_infeasible, explain_unassigned

    params = params or SolveParams()
    t0 = time.monotonic()
    # Symmetry breaking reorders interchangeable groups; a hint or pins name groups, so it would conflict.
    b = build(scenario, symmetry_breaking=params.hint is None and not params.pins and params.stability is None,
              pins=params.pins)
    add_objective(b, params.weights)
    if params.stability is not None:
        b.terms["disruption"] = -add_disruption(b, params.stability)
        b.model.maximize(sum(b.terms.values()))
    hint = params.hint or (params.stability.baseline if params.stability else None)
    if hint is None and not params.pins:
        # No schedule to start from: a greedy one, valid by construction, so the search has a
        # first solution at once instead of after many seconds on large scenarios.
        hint = greedy_schedule(scenario)
    if hint is not None:
        apply_hint(b, hint)
    build_s = time.monotonic() - t0
    cap = trivial_bound(scenario, params.weights)
    solver = cp_model.CpSolver()
    configure(solver, params.time_limit_s - build_s, params.workers, params.seed)
    watcher = _Watcher(b, t0, on_progress, cancel, cap)
    done = threading.Event()

    def watch_cancel() -> None:  # cancel even before a first solution
        while cancel is not None and not done.wait(0.1):
            if cancel.is_set():
                solver.stop_search()
                return

    thread = threading.Thread(target=watch_cancel, daemon=True) if cancel is not None else None
    if thread:
        thread.start()
    try:
        code = solver.solve(b.model, watcher)
    finally:
        done.set()
    wall = round(time.monotonic() - t0, 3)
    last_stats.clear()
    last_stats.update(build_s=build_s, first_solution_s=watcher.first_solution_s, solve_s=wall - build_s)
    status = _STATUS.get(code, "UNKNOWN")
    if status == "INFEASIBLE" or (status == "UNKNOWN" and (params.pins or any(
            a.min_groups for a in scenario.activities))):
        explanation = explain_infeasible(scenario, params)
        if explanation:
            return Schedule(status="INFEASIBLE", wall_s=wall, explanation=tuple(explanation))
    if status not in ("OPTIMAL", "FEASIBLE"):
        return Schedule(status=status, wall_s=wall)
    v = b.vars
    groups = []
    for g, info in b.groups.items():
        if not solver.boolean_value(v.open[g]):
            continue
        sessions = tuple(s for s in b.group_slots[g] if solver.boolean_value(v.sess[g, s]))
        room = next(r for (gg, r), x in v.room.items() if gg == g and solver.boolean_value(x))
        facs = tuple(f for (gg, f), x in v.fac.items() if gg == g and solver.boolean_value(x))
        members = tuple(p for (p, gg), x in v.x.items() if gg == g and solver.boolean_value(x))
        groups.append(Group(g, info.activity.id, sessions, room, facs, members))
    # Coverage and the spreads are modelled with one-sided bounds (covered <= its memberships,
    # largest >= every size, smallest <= every size), exact only at the optimum; a search stopped
    # early can leave them slack. Report the score of the schedule actually returned.
    terms = _score_terms(scenario, groups, params.weights)
    if params.stability is not None:
        terms["disruption"] = -moves(params.stability.baseline, groups).points(params.stability)
    objective = sum(terms.values())
    bound = max(objective, min(cap, math.floor(solver.best_objective_bound + 1e-6)))
    if status == "OPTIMAL":
        bound = objective
    schedule = Schedule(status=status, groups=tuple(groups), objective=objective, bound=bound,
                        wall_s=wall, score_terms=terms)
    unassigned = tuple(Unassigned(p, reason) for p, reason in explain_unassigned(scenario, schedule).items())
    return Schedule(status=status, groups=schedule.groups, unassigned=unassigned, objective=objective,
                    bound=bound, wall_s=wall, score_terms=terms)



def _score_terms(scenario: Scenario, groups: list[Group], weights: Weights) -> dict[str, int]:
    """The named parts of the score of ``groups``, computed from the groups themselves."""
    sizes: dict[str, list[int]] = {}
    loads = {f.id: 0 for f in scenario.facilitators}
    covered: set[str] = set()
    points = if_needed = 0
    for group in groups:
        sizes.setdefault(group.activity, []).append(len(group.members))
        for p in group.members:
            person = scenario.participant(p)
            covered.add(p)
            points += rank_points(weights, person.preferences.index(group.activity))
            if_needed += sum(1 for s in group.sessions if s in person.if_needed)
        for f in group.facilitators:
            loads[f] += len(group.sessions)
            if_needed += sum(1 for s in group.sessions if s in scenario.facilitator(f).if_needed)
    spread = sum(max(s) - min(s) for s in sizes.values() if len(s) > 1)
    load_spread = max(loads.values()) - min(loads.values()) if len(loads) > 1 else 0
    return {"coverage": weights.coverage * len(covered), "rank_points": points,
            "size_balance": -weights.size_balance * spread, "if_needed": -weights.if_needed * if_needed,
            "facilitator_load": -weights.facilitator_load * load_spread}
