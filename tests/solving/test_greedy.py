"""The greedy start, and the fill that completes a warm-up's schedule, are valid on every shared
scenario and on generated ones."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from solver import load_scenario, read_scenario_file
from solver.check import check_schedule
from solver.greedy import POLICIES, greedy_schedule, greedy_with_policy
from solver.scenario import Scenario
from solver.schedule import Schedule, Unassigned
from solver.seating import fill, trade
from tests.solving import strategies

SHARED = Path(__file__).resolve().parents[2] / "scenarios"


def with_unassigned(sc: Scenario, schedule: Schedule) -> Schedule:
    placed = {p for g in schedule.groups for p in g.members}
    return replace(schedule, unassigned=tuple(Unassigned(p.id, "not placed by the greedy start")
                                              for p in sc.participants if p.id not in placed))


@pytest.mark.parametrize("name", ["small", "medium", "medium-ifneeded", "large", "xl", "planted"])
def test_the_greedy_start_is_valid_on_the_shared_scenarios(name: str) -> None:
    sc = read_scenario_file(SHARED / f"{name}.json")
    schedule = greedy_schedule(sc)
    assert schedule is not None
    report = check_schedule(sc, with_unassigned(sc, schedule))
    assert report.violations == []
    assert report.score > 0 and len(schedule.groups) > 0
    # Every policy's schedule is valid, not only the one that wins, and the winner is the best.
    for policy in POLICIES:
        other = greedy_with_policy(sc, policy)
        assert other is not None
        other_report = check_schedule(sc, with_unassigned(sc, other))
        assert other_report.violations == [], policy
        assert other_report.score <= report.score


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.scenarios())
def test_the_greedy_start_is_valid_on_generated_scenarios(data: dict[str, Any]) -> None:
    sc = load_scenario(data)
    for policy in POLICIES:
        schedule = greedy_with_policy(sc, policy)
        if schedule is None:  # min_groups it could not honour: no start, never a wrong one
            assert any(a.min_groups for a in sc.activities)
            continue
        assert check_schedule(sc, with_unassigned(sc, schedule)).violations == [], policy


def first_choices_only(sc: Scenario, schedule: Schedule) -> list:
    """The schedule's groups with every member who is not there by their first choice taken out."""
    return [replace(g, members=tuple(p for p in g.members if sc.participant(p).preferences[0] == g.activity))
            for g in schedule.groups]


@pytest.mark.parametrize("name", ["small", "medium", "large", "planted"])
def test_fill_places_more_people_and_stays_valid(name: str) -> None:
    sc = read_scenario_file(SHARED / f"{name}.json")
    greedy = greedy_schedule(sc)
    assert greedy is not None
    # A warm-up on first choices leaves second choices out; fill must add people without breaking a rule.
    thinned = [g for g in first_choices_only(sc, greedy)
               if len(g.members) >= sc.activity(g.activity).min_size]
    before = check_schedule(sc, with_unassigned(sc, Schedule("FEASIBLE", tuple(thinned))))
    filled = fill(sc, thinned)
    after = check_schedule(sc, with_unassigned(sc, Schedule("FEASIBLE", tuple(filled))))
    assert before.violations == [] and after.violations == []
    assert after.score > before.score
    # People may move between groups, but nobody placed before is left without a group.
    assert {p for g in thinned for p in g.members} <= {p for g in filled for p in g.members}
    assert [(g.id, g.sessions, g.room, g.facilitators) for g in thinned] == [
        (g.id, g.sessions, g.room, g.facilitators) for g in filled]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.scenarios())
def test_fill_keeps_every_rule_on_generated_scenarios(data: dict[str, Any]) -> None:
    sc = load_scenario(data)
    schedule = greedy_schedule(sc)
    if schedule is None:
        return
    emptied = [replace(g, members=g.members[: sc.activity(g.activity).min_size]) for g in schedule.groups]
    filled = fill(sc, emptied)
    assert check_schedule(sc, with_unassigned(sc, Schedule("FEASIBLE", tuple(filled)))).violations == []
    traded = trade(sc, list(schedule.groups))
    before, after = (check_schedule(sc, with_unassigned(sc, Schedule("FEASIBLE", tuple(g))))
                     for g in (schedule.groups, traded))
    assert after.violations == []
    assert len({p for g in traded for p in g.members}) == len({p for g in schedule.groups for p in g.members})
    assert after.terms["rank_points"] + after.terms["if_needed"] >= before.terms["rank_points"] + before.terms[
        "if_needed"]


def test_trade_gives_a_seat_to_whoever_wants_it_more_when_seats_run_out() -> None:
    from solver.schedule import Group
    from tests.solving.conftest import person, scenario

    # One seat; q has it as their third choice, p as their first, and neither has another group.
    sc = scenario(activity={"max_size": 1},
                  activities=[{"id": a, "name": a.upper(), "sessions_per_week": 1, "min_size": 1, "max_size": 1,
                               "max_groups": 1, "required_skills": [], "facilitators_per_group": 1,
                               "room_features": []} for a in ("a1", "a2", "a3")],
                  participants=[person("p", ["a1"]), person("q", ["a2", "a3", "a1"])])
    seat = Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("q",))
    traded = trade(sc, [seat])
    assert traded == [replace(seat, members=("p",))]
    report = check_schedule(sc, with_unassigned(sc, Schedule("FEASIBLE", tuple(traded))))
    assert report.violations == [] and report.terms["rank_points"] == 10


def test_fill_never_splits_a_pair_kept_together_to_make_room() -> None:
    from solver.schedule import Group
    from tests.solving.conftest import facilitators, person, rooms, scenario

    # p can only come on Monday, when the group is full; q and r (kept together) could move to the
    # Tuesday group, but only one of them would fit there, which would split them; s cannot move.
    sc = scenario(activity={"max_groups": 2, "max_size": 3}, rooms=rooms(2), facilitators=facilitators(2),
                  participants=[person("p", ["a1"], ["MO"]), person("q", ["a1"]), person("r", ["a1"]),
                                person("s", ["a1"], ["MO"]), person("t", ["a1"], ["TU"]), person("u", ["a1"], ["TU"])],
                  keep_together=[["q", "r"]])
    monday = Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("q", "r", "s"))
    tuesday = Group("a1-2", "a1", ("TU",), "r2", ("f2",), ("t", "u"))
    filled = fill(sc, [monday, tuesday])
    assert check_schedule(sc, with_unassigned(sc, Schedule("FEASIBLE", tuple(filled)))).violations == []
    assert filled == [monday, tuesday]


def test_fill_never_moves_someone_away_from_the_partner_who_takes_their_seat() -> None:
    from solver.schedule import Group
    from tests.solving.conftest import facilitators, person, rooms, scenario

    # Found by the generated scenarios: p (Monday only) is kept together with q, who sits in the full
    # Monday group. Moving q to Tuesday's free seat frees a seat for p, and p fits it while q is out of
    # every group, but that splits them. s cannot leave Monday either, so nothing may change.
    sc = scenario(activity={"max_groups": 2, "max_size": 2}, rooms=rooms(2), facilitators=facilitators(2),
                  participants=[person("p", ["a1"], ["MO"]), person("q", ["a1"]), person("s", ["a1"], ["MO"]),
                                person("t", ["a1"], ["TU"])],
                  keep_together=[["p", "q"]])
    monday = Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("q", "s"))
    tuesday = Group("a1-2", "a1", ("TU",), "r2", ("f2",), ("t",))
    for moved in (fill(sc, [monday, tuesday]), trade(sc, [monday, tuesday])):
        assert check_schedule(sc, with_unassigned(sc, Schedule("FEASIBLE", tuple(moved)))).violations == []
        assert moved == [monday, tuesday]
    greedy = greedy_schedule(sc)
    assert greedy is not None
    assert check_schedule(sc, with_unassigned(sc, greedy)).violations == []
