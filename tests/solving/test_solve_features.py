"""Pins, infeasibility explanations, unassigned reasons, progress, cancel and determinism."""

from __future__ import annotations

import threading
from itertools import pairwise

from solver.solve import Pins, Progress, SolveParams, solve
from tests.solving.conftest import activities, assert_valid, facilitators, person, rooms, scenario


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


def test_someone_who_gave_no_times_is_not_told_too_few_days() -> None:
    sc = scenario(participants=[person("p1", ["a1"]), person("p2", ["a1"], [])])
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0))
    assert_valid(sc, result)
    reasons = {u.participant: u.reason for u in result.unassigned}
    assert reasons == {"p2": "gave no times at which they can come: ask them when they can"}


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
    acts = activities(2, sessions_per_week=2, min_size=2, max_size=3, max_groups=2)
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


def test_the_first_progress_is_the_greedy_schedule_and_progress_only_improves() -> None:
    from solver.greedy import POLICIES, greedy_schedule, greedy_with_policy
    from solver.objective import Weights, score_terms

    acts = activities(2, min_size=2, max_size=3, max_groups=2)
    people = [person(f"p{i}", ["a1", "a2"] if i % 2 else ["a2", "a1"], max_groups=2) for i in range(9)]
    sc = scenario(activities=acts, participants=people)
    seen: list[Progress] = []
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0), on_progress=seen.append)
    assert_valid(sc, result)
    # The progress bar has a valid schedule to show at once: the first greedy policy's, unpolished;
    # then every better one the greedy start makes, before CP-SAT has found one of its own.
    made: list[int] = []
    greedy_schedule(sc, on_better=lambda groups: made.append(sum(score_terms(sc, groups, Weights()).values())))
    first = greedy_with_policy(sc, POLICIES[0])
    assert first is not None and made[0] == sum(score_terms(sc, first.groups, Weights()).values())
    assert [p.objective for p in seen[: len(made)]] == made
    assert all(a.objective < b.objective for a, b in pairwise(seen))
    assert seen[-1].objective == result.objective


def test_when_first_choices_fit_everyone_the_trivial_bound_proves_it_optimal() -> None:
    # Everyone's first choice has room for them: reaching the trivial bound (everyone covered, each
    # in their first choice) is itself the proof, whichever search gets there.
    people = [person(f"p{i}", ["a1", "a2"] if i < 4 else ["a2", "a1"]) for i in range(8)]
    sc = scenario(activities=activities(2, max_size=4), participants=people, rooms=rooms(2),
                  facilitators=facilitators(2))
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0))
    assert_valid(sc, result)
    assert (result.status, result.objective, result.bound) == ("OPTIMAL", 8 * 110, 8 * 110)
    assert all(sc.participant(p).preferences[0] == g.activity for g in result.groups for p in g.members)


def test_when_seats_run_out_the_seat_bound_proves_the_optimum() -> None:
    # Five want the one group of two seats: the trivial bound (5 × 110) is far off; the seat bound
    # (2 × 110) is the optimum, so the solve can say OPTIMAL as soon as two are placed.
    sc = scenario(activity={"max_size": 2}, participants=[person(f"p{i}", ["a1"]) for i in range(5)])
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0))
    assert_valid(sc, result)
    assert (result.status, result.objective, result.bound) == ("OPTIMAL", 220, 220)


def test_negative_weights_are_refused_with_the_weight_named() -> None:
    import pytest

    from solver.solve import Weights

    with pytest.raises(ValueError, match="size_balance"):
        Weights(size_balance=-1)
    with pytest.raises(ValueError, match="rank points"):
        Weights(rank_points=(10, -1))


def test_the_first_choice_warm_up_is_tried_only_where_first_choices_could_reach_the_cap() -> None:
    from solver.bounds import seat_bound
    from solver.objective import Weights
    from solver.solve import first_choices_worth_a_warm_up

    shape = {"activities": activities(2, max_size=4), "rooms": rooms(2), "facilitators": facilitators(2)}
    # Half want a1 first, half a2: first choices alone can seat everyone.
    fits = scenario(**shape, participants=[person(f"p{i}", ["a1", "a2"] if i < 4 else ["a2", "a1"])
                                           for i in range(8)])
    # Everyone wants a1 first: first choices seat four of eight; second choices are needed.
    crowded = scenario(**shape, participants=[person(f"p{i}", ["a1", "a2"]) for i in range(8)])
    weights = Weights()
    shortened = first_choices_worth_a_warm_up(fits, weights, seat_bound(fits, weights))
    assert shortened is not None and all(len(p.preferences) == 1 for p in shortened.participants)
    assert first_choices_worth_a_warm_up(crowded, weights, seat_bound(crowded, weights)) is None


def test_the_coverage_warm_up_proves_how_many_can_be_seated_and_tightens_the_bound() -> None:
    """Three want the one Art group, each free on a different day: the seat bound, blind to the
    timetable, counts three seats (3 × 110); only one can be seated, which the coverage-only search
    proves, so the bound falls to 110. Its schedule is offered scored in full: the progress shown
    is 110, never the coverage count (1) its own objective would say."""
    import time

    from solver.bounds import seat_bound
    from solver.objective import Weights, score_terms
    from solver.search import Incumbent
    from solver.solve import coverage_warm_up

    sc = scenario(participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], ["TU"]),
                                person("p3", ["a1"], ["WE"])])
    weights = Weights()
    assert seat_bound(sc, weights) == 330
    assert seat_bound(sc, weights, max_covered=1) == 110

    def score(groups: list) -> int:
        return sum(score_terms(sc, groups, weights).values())

    seen: list[Progress] = []
    incumbent = Incumbent(time.monotonic(), seat_bound(sc, weights), score, seen.append)
    coverage_warm_up(sc, incumbent, SolveParams(time_limit_s=10, workers=1, seed=0), None, score)
    assert incumbent.groups is not None and incumbent.score == 110
    assert [p.objective for p in seen] == [110]
    assert incumbent.bound == 110 and incumbent.proven_optimal
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0))
    assert_valid(sc, result)
    assert (result.status, result.objective, result.bound) == ("OPTIMAL", 110, 110)


def test_the_timetable_bound_sees_who_can_meet_when() -> None:
    """One Art group, wanted by three people free on three different days, and by two free on
    Monday: the seat bound counts five seats; the timetable bound sees that one group meets on one
    day, so at most the two Monday people (2 × 110), and the solve proves that optimal."""
    from solver.bounds import seat_bound, timetable_bound
    from solver.objective import Weights

    sc = scenario(participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], ["TU"]),
                                person("p3", ["a1"], ["WE"]), person("p4", ["a1"], ["MO"]),
                                person("p5", ["a1"], ["MO", "TU"])])
    weights = Weights()
    assert seat_bound(sc, weights) == 550
    assert timetable_bound(sc, weights, time_limit_s=5) == 330
    result = solve(sc, SolveParams(time_limit_s=10, workers=1, seed=0))
    assert_valid(sc, result)
    assert (result.status, result.objective, result.bound) == ("OPTIMAL", 330, 330)


def test_no_coverage_warm_up_when_coverage_earns_nothing() -> None:
    """With the coverage weight at 0 the warm-up's objective says nothing about the score: skipped.
    (Here the greedy start cannot reach the seat bound, so with the default weights it runs. The
    timetable bound would prove the greedy start optimal, and nothing would run: it is left out.)"""
    from unittest import mock

    from solver.check import check_schedule
    from solver.objective import Weights

    sc = scenario(participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], ["TU"])])
    with mock.patch("solver.solve.coverage_warm_up") as warm_up, \
            mock.patch("solver.solve.timetable_bound", return_value=None):
        result = solve(sc, SolveParams(time_limit_s=5, workers=1, seed=0, weights=Weights(coverage=0)))
        assert not warm_up.called
        solve(sc, SolveParams(time_limit_s=5, workers=1, seed=0))
        assert warm_up.called
    assert check_schedule(sc, result).violations == []


def test_the_coverage_warm_up_is_skipped_when_the_start_seats_nearly_everyone_who_could_be() -> None:
    from solver.greedy import greedy_schedule
    from solver.solve import coverage_worth_a_warm_up

    # Two free on different days want the one group: the seat bound could seat both, the greedy one.
    apart = scenario(participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], ["TU"])])
    start = greedy_schedule(apart)
    assert start is not None and coverage_worth_a_warm_up(apart, list(start.groups))
    assert coverage_worth_a_warm_up(apart, None)
    # Everyone free at the same time: the greedy start seats all who could be seated.
    together = scenario(participants=[person(f"p{i}", ["a1"]) for i in range(4)])
    start = greedy_schedule(together)
    assert start is not None and not coverage_worth_a_warm_up(together, list(start.groups))
