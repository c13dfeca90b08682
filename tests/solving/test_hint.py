"""The warm start: the greedy schedule, given to CP-SAT as a hint, is a whole solution of the model
(every variable hinted, every constraint kept) and worth exactly its score. A hint that misses a
variable is not taken as a first solution: on xl.json CP-SAT then reached the greedy's score only
16 s into its search."""

from __future__ import annotations

from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from solver import read_scenario_file
from solver.greedy import greedy_schedule
from solver.model import build
from solver.objective import Weights, add_objective, score_terms
from solver.search import apply_hint, canonical

SHARED = Path(__file__).resolve().parents[3] / "shared" / "scenarios"


@pytest.mark.parametrize("weights", [Weights(), Weights(size_balance=3, if_needed=4, facilitator_load=2)],
                         ids=["default weights", "every weight"])
@pytest.mark.parametrize("name", ["small", "medium-ifneeded"])
def test_the_hint_is_a_whole_solution_worth_the_greedy_score(name: str, weights: Weights) -> None:
    sc = read_scenario_file(SHARED / f"{name}.json")
    start = greedy_schedule(sc, score=lambda groups: sum(score_terms(sc, list(groups), weights).values()))
    assert start is not None
    groups = canonical(start.groups)
    b = build(sc, symmetry_breaking=True)
    add_objective(b, weights)
    apply_hint(b, groups)

    proto = b.model.proto
    hinted = set(proto.solution_hint.vars)
    unhinted = [v.name for i, v in enumerate(proto.variables)
                if i not in hinted and not (len(v.domain) == 2 and v.domain[0] == v.domain[1])]
    assert unhinted == []

    for index, value in zip(proto.solution_hint.vars, proto.solution_hint.values, strict=True):
        b.model.add(b.model.get_int_var_from_proto_index(index) == value)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 60
    assert solver.solve(b.model) == cp_model.OPTIMAL  # the only solution left is the hint
    assert round(solver.objective_value) == sum(score_terms(sc, groups, weights).values())
