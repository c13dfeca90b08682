"""Re-solving from a published baseline changes only what must change, and the penalty is the
one the model pays (checked against the independent checker's score)."""

from __future__ import annotations

import threading

from solver import SolveParams, Stability, solve
from solver.check import check_schedule
from solver.scenario import Scenario
from solver.schedule import Group, Schedule
from solver.stability import moves, still_valid
from tests.solving.conftest import person, scenario


def assert_valid_with_disruption(sc: Scenario, schedule: Schedule) -> None:
    report = check_schedule(sc, schedule)
    assert report.violations == [], report.violations
    assert schedule.objective is not None
    # The checker scores the spec's terms; the solver's objective adds the disruption term.
    assert report.score == schedule.objective - schedule.score_terms["disruption"]


def two_activities(participants: list[dict], **changes: object) -> Scenario:
    activities = [
        {"id": "a1", "name": "Art", "sessions_per_week": 1, "min_size": 1, "max_size": 4, "max_groups": 2,
         "required_skills": [], "facilitators_per_group": 1, "room_features": []},
        {"id": "a2", "name": "Choir", "sessions_per_week": 1, "min_size": 1, "max_size": 4, "max_groups": 1,
         "required_skills": [], "facilitators_per_group": 1, "room_features": []},
    ]
    facilitators = [{"id": f"f{i}", "name": f"F{i}", "email": f"f{i}@example.org", "skills": [],
                     "available": ["MO", "TU", "WE"], "max_sessions_per_week": 5} for i in (1, 2, 3)]
    rooms = [{"id": f"r{i}", "name": f"Room {i}", "capacity": 10, "features": []} for i in (1, 2, 3)]
    return scenario(activities=activities, facilitators=facilitators, rooms=rooms, participants=participants,
                    **changes)


PEOPLE = [person(f"p{i}", ["a1", "a2"] if i % 2 else ["a2", "a1"]) for i in range(1, 9)]


def test_a_newcomer_and_a_leaver_move_nobody_else() -> None:
    before = two_activities(PEOPLE)
    baseline = solve(before, SolveParams(time_limit_s=10, workers=2, seed=1))
    assert baseline.status in ("OPTIMAL", "FEASIBLE")
    after = two_activities([p for p in PEOPLE if p["id"] != "p3"] + [person("p9", ["a1"])])
    stable = solve(after, SolveParams(time_limit_s=10, workers=2, seed=1, stability=Stability(baseline)))
    assert_valid_with_disruption(after, stable)
    moved = moves(baseline, stable.groups)
    assert moved.participants <= {"p3"}  # only the leaver lost a membership
    assert moved.slots == moved.rooms == moved.facilitators == 0
    assert any("p9" in g.members for g in stable.groups)


def _baseline_on_monday(sc: Scenario) -> Schedule:
    members = tuple(p.id for p in sc.participants if "MO" in p.available)
    return Schedule(status="FEASIBLE", groups=(Group("a1-1", "a1", ("MO",), "r1", ("f1",), members),))


def test_the_weights_decide_whether_a_group_moves_for_a_newcomer() -> None:
    # Three members can meet Monday or Tuesday; a newcomer can only come on Tuesday.
    regulars = [person(f"p{i}", ["a1"], ["MO", "TU"]) for i in (1, 2, 3)]
    sc = scenario(participants=[*regulars, person("p4", ["a1"], ["TU"])], activity={"max_groups": 1})
    baseline = _baseline_on_monday(scenario(participants=regulars, activity={"max_groups": 1}))
    # Covering one more person (100 + 10) is worth more than moving the group's slot (30).
    moved = solve(sc, SolveParams(time_limit_s=10, workers=2, stability=Stability(baseline)))
    assert_valid_with_disruption(sc, moved)
    assert moved.groups[0].sessions == ("TU",) and len(moved.groups[0].members) == 4
    assert moved.score_terms["disruption"] == -30
    # When a slot move costs more than a newcomer is worth, the group stays where it was.
    kept = solve(sc, SolveParams(time_limit_s=10, workers=2, stability=Stability(baseline, slot=500)))
    assert_valid_with_disruption(sc, kept)
    assert kept.groups[0].sessions == ("MO",) and "p4" not in kept.groups[0].members
    assert kept.score_terms["disruption"] == 0


def test_a_baseline_choice_made_impossible_is_a_fixed_cost() -> None:
    regulars = [person(f"p{i}", ["a1"], ["MO", "TU"]) for i in (1, 2, 3)]
    baseline = _baseline_on_monday(scenario(participants=regulars, activity={"max_groups": 1}))
    # p1 is no longer available on Mondays: they leave or the group moves; either costs something.
    changed = [replace_available(regulars[0], ["TU"]), *regulars[1:]]
    sc = scenario(participants=changed, activity={"max_groups": 1})
    result = solve(sc, SolveParams(time_limit_s=10, workers=2, stability=Stability(baseline)))
    assert_valid_with_disruption(sc, result)
    # Moving the slot (30) keeps everyone; dropping p1 (150 + 100 + 10 lost) would cost more.
    assert result.groups[0].sessions == ("TU",) and len(result.groups[0].members) == 3


def replace_available(p: dict, available: list[str]) -> dict:
    return {**p, "available": available}


def test_without_stability_there_is_no_disruption_term() -> None:
    result = solve(two_activities(PEOPLE), SolveParams(time_limit_s=5, workers=2))
    assert "disruption" not in result.score_terms


def test_a_build_stopped_before_its_search_keeps_the_valid_part_of_the_baseline() -> None:
    # The search never runs (cancelled at once); the published schedule must still come back, adjusted:
    # p1 can no longer come on Mondays and leaves the group, newcomer p4 takes a free seat, p2, p3 stay.
    regulars = [person(f"p{i}", ["a1"], ["MO", "TU"]) for i in (1, 2, 3)]
    baseline = _baseline_on_monday(scenario(participants=regulars, activity={"max_groups": 1}))
    now = [replace_available(regulars[0], ["TU"]), *regulars[1:], person("p4", ["a1"], ["MO"])]
    sc = scenario(participants=now, activity={"max_groups": 1})
    stop, shown = threading.Event(), []
    stop.set()
    result = solve(sc, SolveParams(time_limit_s=10, workers=2, stability=Stability(baseline, slot=500)),
                   on_progress=shown.append, cancel=stop)
    assert result.status == "FEASIBLE"
    assert_valid_with_disruption(sc, result)
    (group,) = result.groups
    assert (group.id, group.sessions, group.room, group.facilitators) == ("a1-1", ("MO",), "r1", ("f1",))
    assert set(group.members) == {"p2", "p3", "p4"}
    assert moves(baseline, result.groups).participants == {"p1"}
    assert shown and shown[-1].groups == result.groups  # the app keeps it as the best so far


def test_a_baseline_the_scenario_no_longer_allows_is_not_offered() -> None:
    # Its facilitator is no longer free on Mondays: thinning members cannot make it valid.
    regulars = [person(f"p{i}", ["a1"], ["MO", "TU"]) for i in (1, 2, 3)]
    baseline = _baseline_on_monday(scenario(participants=regulars, activity={"max_groups": 1}))
    sc = scenario(participants=regulars, activity={"max_groups": 1}, facilitator={"available": ["TU"]})
    assert still_valid(sc, baseline) is None
    assert still_valid(scenario(participants=regulars, activity={"max_groups": 1}), baseline) == list(baseline.groups)
