"""Pins, infeasibility explanations, unassigned reasons, progress, cancel and determinism."""

from __future__ import annotations

import threading

from solver.solve import Pins, Progress, SolveParams, solve
from tests.solving.conftest import assert_valid, person, scenario


def test_min_groups_conflict_is_infeasible_with_an_explanation() -> None:
    sc = scenario(activity={"min_groups": 1, "min_size": 2}, participants=[person("p1", ["a1"])])
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0))
    assert result.status == "INFEASIBLE"
    assert any("Art must open at least 1 group" in line for line in result.explanation)


def test_conflicting_pins_are_named() -> None:
    sc = scenario(participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], ["TU"])])
    pins = Pins(group_slots={"a1-1": ("TU",)}, participant_groups={"p1": ("a1-1",)})
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0, pins=pins))
    assert result.status == "INFEASIBLE"
    text = " ".join(result.explanation)
    assert "pinned to Tuesday 10:00" in text and "P1 is pinned" in text


def test_pins_are_honoured() -> None:
    sc = scenario(participants=[person("p1", ["a1"])])
    pins = Pins(group_slots={"a1-1": ("WE",)})
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0, pins=pins))
    assert result.status == "OPTIMAL" and result.groups[0].sessions == ("WE",)
    assert_valid(sc, result)


def test_unassigned_reason_names_the_meeting_time() -> None:
    sc = scenario(facilitator={"available": ["MO"]},
                  participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], ["TU"])])
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0))
    assert_valid(sc, result)
    reasons = {u.participant: u.reason for u in result.unassigned}
    assert set(reasons) == {"p2"}
    assert "Art" in reasons["p2"] and "available" in reasons["p2"]


def test_full_groups_are_named() -> None:
    sc = scenario(activity={"max_size": 1}, participants=[person("p1", ["a1"]), person("p2", ["a1"])])
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0))
    assert_valid(sc, result)
    assert "full" in result.unassigned[0].reason


def test_progress_reports_scores_and_bounds() -> None:
    sc = scenario(participants=[person(f"p{i}", ["a1"]) for i in range(4)])
    seen: list[Progress] = []
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0), on_progress=seen.append)
    assert_valid(sc, result)
    assert seen and seen[-1].objective == result.objective
    assert all(p.bound >= p.objective for p in seen)
    assert seen[-1].covered == 4


def test_cancel_stops_cleanly() -> None:
    cancel = threading.Event()
    cancel.set()
    sc = scenario(participants=[person(f"p{i}", ["a1"]) for i in range(4)])
    result = solve(sc, SolveParams(time_limit_s=30, workers=1, seed=0), cancel=cancel)
    assert result.status in ("OPTIMAL", "FEASIBLE", "UNKNOWN")
    if result.groups:
        assert_valid(sc, result)


def test_one_worker_and_a_seed_are_deterministic() -> None:
    acts = [{"id": f"a{i}", "name": f"A{i}", "sessions_per_week": 2, "min_size": 2, "max_size": 3,
             "max_groups": 2, "required_skills": [], "facilitators_per_group": 1, "room_features": []}
            for i in (1, 2)]
    people = [person(f"p{i}", ["a1", "a2"] if i % 2 else ["a2", "a1"], max_groups=2) for i in range(8)]
    sc = scenario(activities=acts, participants=people)
    params = SolveParams(time_limit_s=5, workers=1, seed=3)
    first, second = solve(sc, params), solve(sc, params)
    assert_valid(sc, first)
    assert first.groups == second.groups and first.objective == second.objective


def test_bound_never_weaker_than_trivial() -> None:
    sc = scenario(participants=[person("p1", ["a1"]), person("p2", ["a1"])])
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0))
    assert result.bound is not None and result.bound <= 2 * (100 + 10)
