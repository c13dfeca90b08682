"""Property-based tests of the solver: on small random valid scenarios, whatever it returns is
checked by the independent checker (``solver.check``), which shares no code with the model, and
its optimum is compared with a greedy schedule built without the model.

For every result: a known status; a proposed schedule obeys every hard rule; the reported
objective is the checker's score and its named terms agree; the bound is not below the
objective (and equals it when OPTIMAL); everyone left out has a reason; INFEASIBLE comes with an
explanation, and only when something is actually required (``min_groups``), since otherwise the
empty schedule is valid.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from hypothesis import HealthCheck, assume, given, settings

from solver.check import check_schedule
from solver.scenario import Scenario, load_scenario, validate_scenario
from solver.schedule import Group, Schedule, Unassigned
from solver.solve import SolveParams, solve
from tests.solving.strategies import scenarios

PARAMS = SolveParams(time_limit_s=2, workers=1, seed=0)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_generated_scenario_is_valid(data: dict[str, Any]) -> None:
    assert validate_scenario(data) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_result_passes_the_independent_check(data: dict[str, Any]) -> None:
    scenario = load_scenario(data)
    schedule = solve(scenario, PARAMS)

    assert schedule.status in ("OPTIMAL", "FEASIBLE", "INFEASIBLE")
    report = check_schedule(scenario, schedule)
    assert report.violations == [], report.violations
    if schedule.groups or schedule.status in ("OPTIMAL", "FEASIBLE"):
        assert schedule.objective == report.score, (schedule.score_terms, report.terms)
        for name, value in report.terms.items():
            assert schedule.score_terms.get(name) == value, (name, schedule.score_terms, report.terms)
    if schedule.objective is not None and schedule.bound is not None:
        assert schedule.bound >= schedule.objective
    if schedule.status == "OPTIMAL":
        assert schedule.bound == schedule.objective
    assert all(u.reason.strip() for u in schedule.unassigned)
    if schedule.status == "INFEASIBLE":
        assert schedule.explanation and all(line.strip() for line in schedule.explanation)
        assert any(a.min_groups for a in scenario.activities), "the empty schedule was valid"




def greedy_schedule(scenario: Scenario) -> Schedule:
    """A valid schedule built without the model: try every group shape in turn (activity, sessions
    on distinct days, room, facilitators), fill it with whoever can join, and keep it only if the
    independent checker finds nothing wrong. Any valid schedule's score is a lower bound on the
    optimum, so this catches a model that forbids what the rules allow."""
    day = {s.id: s.day for s in scenario.slots}
    groups: list[Group] = []

    def problems(candidate: list[Group]) -> list[str]:
        placed = {m for g in candidate for m in g.members}
        unassigned = tuple(Unassigned(p.id, "not placed") for p in scenario.participants if p.id not in placed)
        return check_schedule(scenario, Schedule("FEASIBLE", tuple(candidate), unassigned)).violations

    for a in scenario.activities:
        for sessions in itertools.combinations([s.id for s in scenario.slots], a.sessions_per_week):
            if len({day[s] for s in sessions}) < len(sessions):
                continue
            for room in scenario.rooms:
                for facilitators in itertools.combinations([f.id for f in scenario.facilitators],
                                                           a.facilitators_per_group):
                    new = Group(f"g{len(groups)}", a.id, sessions, room.id, facilitators, ())
                    for p in scenario.participants:
                        if len(new.members) < a.max_size and a.id in p.preferences:
                            grown = dataclasses.replace(new, members=(*new.members, p.id))
                            # While the group is still growing, being too small is the only thing allowed.
                            too_small = f"group {grown.id}: {len(grown.members)} members, "
                            if all(v.startswith(too_small) for v in problems([*groups, grown])):
                                new = grown
                    if not problems([*groups, new]):
                        groups.append(new)
    placed = {m for g in groups for m in g.members}
    return Schedule("FEASIBLE", tuple(groups), tuple(
        Unassigned(p.id, "not placed") for p in scenario.participants if p.id not in placed))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_optimum_is_at_least_as_good_as_a_greedy_schedule(data: dict[str, Any]) -> None:
    scenario = load_scenario(data)
    assume(not any(a.min_groups for a in scenario.activities))  # then any partial greedy result is valid
    greedy = greedy_schedule(scenario)
    report = check_schedule(scenario, greedy)
    assert report.ok, report.violations
    schedule = solve(scenario, PARAMS)
    assert schedule.status in ("OPTIMAL", "FEASIBLE")
    if schedule.status == "OPTIMAL":
        assert schedule.objective is not None and schedule.objective >= report.score, (
            f"optimum {schedule.objective} below a valid greedy schedule's {report.score}: {greedy.groups}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_no_schedule_beats_the_timetable_bound(data: dict[str, Any]) -> None:
    """The timetable bound is a linear program relaxing the problem: neither the model's own optimum
    (solved here without any bound in the way) nor a valid greedy schedule may score above it."""
    from ortools.sat.python import cp_model

    from solver.bounds import seat_bound, timetable_bound
    from solver.model import build
    from solver.objective import add_objective
    from solver.solve import Weights

    scenario = load_scenario(data)
    bound = timetable_bound(scenario, Weights(), time_limit_s=5)
    assert bound is not None
    built = build(scenario)
    add_objective(built, Weights())
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5
    if solver.solve(built.model) == cp_model.OPTIMAL:
        assert solver.objective_value <= bound, (solver.objective_value, bound, seat_bound(scenario, Weights()))
    if not any(a.min_groups for a in scenario.activities):
        assert check_schedule(scenario, greedy_schedule(scenario)).score <= bound


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_no_schedule_beats_the_seat_bound(data: dict[str, Any]) -> None:
    """The seat bound relaxes the problem, so neither the model's own optimum (solved here without
    any bound in the way) nor any valid schedule may score above it, even with coverage capped at
    the optimum's; and it is never weaker than the trivial bound."""
    from ortools.sat.python import cp_model

    from solver.bounds import seat_bound, trivial_bound
    from solver.model import build
    from solver.objective import add_objective
    from solver.solve import Weights

    scenario = load_scenario(data)
    bound = seat_bound(scenario, Weights())
    assert bound <= trivial_bound(scenario, Weights())
    built = build(scenario)
    add_objective(built, Weights())
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5
    if solver.solve(built.model) == cp_model.OPTIMAL:
        assert solver.objective_value <= bound
        # Capped at the optimum's own coverage (as a coverage-only search proves it), still a bound.
        covered = sum(solver.boolean_value(c) for c in built.vars.covered.values())
        assert solver.objective_value <= seat_bound(scenario, Weights(), max_covered=covered) <= bound
    if not any(a.min_groups for a in scenario.activities):
        assert check_schedule(scenario, greedy_schedule(scenario)).score <= bound
