"""One tiny scenario per hard rule, where breaking the rule would be the only way to a higher score."""

from __future__ import annotations

from solver.scenario import Scenario
from solver.schedule import Schedule
from solver.solve import SolveParams, solve
from tests.solving.conftest import assert_valid, facilitators, person, rooms, scenario

FAST = SolveParams(time_limit_s=10, workers=1, seed=0)


def run(sc: Scenario) -> Schedule:
    result = solve(sc, FAST)
    assert result.status == "OPTIMAL"
    assert_valid(sc, result)
    return result


def members(result: Schedule) -> set[str]:
    return {p for g in result.groups for p in g.members}


def test_max_size_leaves_one_out() -> None:
    sc = scenario(activity={"max_size": 2}, participants=[person(f"p{i}", ["a1"]) for i in range(3)])
    assert len(members(run(sc))) == 2


def test_min_size_keeps_a_lonely_group_closed() -> None:
    sc = scenario(activity={"min_size": 2}, participants=[person("p1", ["a1"])])
    assert run(sc).groups == ()


def test_sessions_on_distinct_days() -> None:
    slots = [{"id": "MO1", "day": "MO", "start": "09:00", "end": "10:00"},
             {"id": "MO2", "day": "MO", "start": "11:00", "end": "12:00"}]
    sc = scenario(slots=slots, activity={"sessions_per_week": 2},
                  facilitators=[{"id": "f1", "name": "F", "email": "f@example.org", "skills": [],
                                 "available": ["MO1", "MO2"], "max_sessions_per_week": 5}],
                  participants=[person("p1", ["a1"], ["MO1", "MO2"])])
    assert run(sc).groups == ()


def test_participant_availability() -> None:
    sc = scenario(facilitator={"available": ["MO"]}, participants=[person("p1", ["a1"], ["TU"])])
    assert run(sc).groups == ()


def test_facilitator_skill() -> None:
    sc = scenario(activity={"required_skills": ["art"]}, participants=[person("p1", ["a1"])])
    assert run(sc).groups == ()


def test_facilitator_load() -> None:
    acts = [{"id": f"a{i}", "name": f"A{i}", "sessions_per_week": 1, "min_size": 1, "max_size": 5,
             "max_groups": 1, "required_skills": [], "facilitators_per_group": 1, "room_features": []}
            for i in (1, 2)]
    sc = scenario(activities=acts, facilitator={"max_sessions_per_week": 1},
                  participants=[person("p1", ["a1"]), person("p2", ["a2"])])
    assert len(run(sc).groups) == 1


def test_facilitator_double_booking() -> None:
    acts = [{"id": f"a{i}", "name": f"A{i}", "sessions_per_week": 1, "min_size": 1, "max_size": 5,
             "max_groups": 1, "required_skills": [], "facilitators_per_group": 1, "room_features": []}
            for i in (1, 2)]
    rooms = [{"id": "r1", "name": "R1", "capacity": 10, "features": []},
             {"id": "r2", "name": "R2", "capacity": 10, "features": []}]
    sc = scenario(activities=acts, rooms=rooms, facilitator={"available": ["MO"]},
                  participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a2"], ["MO"])])
    assert len(run(sc).groups) == 1


def test_room_capacity() -> None:
    sc = scenario(room={"capacity": 2}, participants=[person(f"p{i}", ["a1"]) for i in range(3)])
    assert len(members(run(sc))) == 2


def test_room_needs() -> None:
    sc = scenario(participants=[person("p1", ["a1"], needs=["accessible"]), person("p2", ["a1"])])
    assert members(run(sc)) == {"p2"}


def test_room_double_booking() -> None:
    acts = [{"id": f"a{i}", "name": f"A{i}", "sessions_per_week": 1, "min_size": 1, "max_size": 5,
             "max_groups": 1, "required_skills": [], "facilitators_per_group": 1, "room_features": []}
            for i in (1, 2)]
    facs = [{"id": f"f{i}", "name": f"F{i}", "email": f"f{i}@example.org", "skills": [], "available": ["MO"],
             "max_sessions_per_week": 5} for i in (1, 2)]
    sc = scenario(activities=acts, facilitators=facs,
                  participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a2"], ["MO"])])
    assert len(run(sc).groups) == 1


def test_only_wanted_activities() -> None:
    sc = scenario(participants=[person("p1", [])])
    assert run(sc).groups == ()


def test_participant_double_booking() -> None:
    acts = [{"id": f"a{i}", "name": f"A{i}", "sessions_per_week": 1, "min_size": 1, "max_size": 5,
             "max_groups": 1, "required_skills": [], "facilitators_per_group": 1, "room_features": []}
            for i in (1, 2)]
    rooms = [{"id": "r1", "name": "R1", "capacity": 10, "features": []},
             {"id": "r2", "name": "R2", "capacity": 10, "features": []}]
    facs = [{"id": f"f{i}", "name": f"F{i}", "email": f"f{i}@example.org", "skills": [], "available": ["MO"],
             "max_sessions_per_week": 5} for i in (1, 2)]
    sc = scenario(activities=acts, rooms=rooms, facilitators=facs,
                  participants=[person("p1", ["a1", "a2"], ["MO"], max_groups=2)])
    assert len(run(sc).groups) == 1


def test_participant_max_groups() -> None:
    acts = [{"id": f"a{i}", "name": f"A{i}", "sessions_per_week": 1, "min_size": 1, "max_size": 5,
             "max_groups": 1, "required_skills": [], "facilitators_per_group": 1, "room_features": []}
            for i in (1, 2)]
    sc = scenario(activities=acts, participants=[person("p1", ["a1", "a2"], max_groups=1)])
    assert len(run(sc).groups) == 1


def test_keep_apart() -> None:
    sc = scenario(participants=[person("p1", ["a1"]), person("p2", ["a1"])], keep_apart=[["p1", "p2"]])
    assert len(members(run(sc))) == 1


def test_keep_together() -> None:
    sc = scenario(activity={"max_groups": 2, "max_size": 1},
                  participants=[person("p1", ["a1"]), person("p2", ["a1"])], keep_together=[["p1", "p2"]])
    assert len(members(run(sc))) <= 1


def test_keep_together_across_two_groups() -> None:
    # p and s come only on Monday, t only on Tuesday, two seats a group: putting q on Tuesday would
    # seat all four, but q must sit with p, so one of the Monday people is left out.
    sc = scenario(activity={"max_groups": 2, "max_size": 2}, rooms=rooms(2), facilitators=facilitators(2),
                  participants=[person("p", ["a1"], ["MO"]), person("q", ["a1"]), person("s", ["a1"], ["MO"]),
                                person("t", ["a1"], ["TU"])],
                  keep_together=[["p", "q"]])
    result = run(sc)
    assert len(members(result)) == 3
    group_of = {m: g.id for g in result.groups for m in g.members}
    assert "p" not in group_of or "q" not in group_of or group_of["p"] == group_of["q"]


def test_language() -> None:
    sc = scenario(activity={"language": "es"}, facilitator={"languages": ["es"]},
                  participants=[person("p1", ["a1"], languages=["en"])])
    assert run(sc).groups == ()


def test_if_needed_slot_costs_two() -> None:
    sc = scenario(facilitator={"available": ["MO"]}, participants=[person("p1", ["a1"], [], if_needed=["MO"])])
    result = run(sc)
    assert result.score_terms["if_needed"] == -2
    assert result.objective == 100 + 10 - 2
