"""What would seat the people a schedule leaves out (solver.suggestions): each kind of change on a
tiny center whose answer is known by hand, and on the shared scenarios every suggestion is valid
under the independent checker and seats exactly the people it names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from solver import SolveParams, read_scenario_file, solve
from solver.check import check_schedule
from solver.scenario import Scenario, scenario_to_dict, validate_scenario
from solver.schedule import Group, Schedule, Unassigned
from solver.suggestions import Change, Moved, Suggestion, apply_change, suggest
from tests.solving.conftest import activities, facilitators, person, rooms, scenario

SHARED = Path(__file__).resolve().parents[2] / "scenarios"


def built(sc: Scenario, groups: list[Group]) -> Schedule:
    """A hand-made schedule: everyone outside ``groups`` is listed as unassigned; it must be valid."""
    placed = {m for g in groups for m in g.members}
    schedule = Schedule(status="FEASIBLE", groups=tuple(groups),
                        unassigned=tuple(Unassigned(p.id, "left out by hand") for p in sc.participants
                                         if p.id not in placed))
    assert check_schedule(sc, schedule).violations == []
    return schedule


def assert_sound(sc: Scenario, schedule: Schedule, suggestions: list[Suggestion], per_person: int = 3) -> None:
    """Every suggestion: valid for its scenario, seats exactly the people it names (left out before,
    in a group after), keeps the others' reasons, moves only whom it says, scores what the checker says."""
    left_out = {u.participant: u.reason for u in schedule.unassigned}
    before = {m: g.id for g in schedule.groups for m in g.members}
    score_before = check_schedule(sc, schedule).score
    named: dict[str, int] = {}
    for s in suggestions:
        report = check_schedule(s.scenario, s.schedule)
        assert report.violations == [], (s.change, report.violations)
        assert s.seats and set(s.seats) <= left_out.keys()
        after = {m: g.id for g in s.schedule.groups for m in g.members}
        assert set(after) == set(before) | set(s.seats)
        assert {u.participant: u.reason for u in s.schedule.unassigned} == {
            p: why for p, why in left_out.items() if p not in s.seats}
        changed = {m for m in before if after[m] != before[m]}
        assert changed == {m.participant for m in s.moved}
        assert s.score_change == report.score - score_before
        for p in s.seats:
            named[p] = named.get(p, 0) + 1
    assert all(n <= per_person for n in named.values())
    keys = [(-len(s.seats), -s.score_change, len(s.moved)) for s in suggestions]
    assert keys == sorted(keys)
    assert len({(s.change, frozenset(s.seats)) for s in suggestions}) == len(suggestions)


# --------------------------------------------------------------------------- one kind at a time


def test_a_new_group_at_the_free_slot_in_the_free_room_with_the_free_facilitator_seats_all_three() -> None:
    # Art may open one group, and it is open on Tuesday with F1. Three more want Art but can come on
    # Monday only; F2 is free then, and one of them needs the accessible room r2.
    sc = scenario(
        slots=[{"id": "MO", "day": "MO", "start": "10:00", "end": "11:30"},
               {"id": "TU", "day": "TU", "start": "10:00", "end": "11:30"}],
        rooms=[*rooms(1), {"id": "r2", "name": "Room 2", "capacity": 10, "features": ["accessible"]}],
        activity={"max_size": 3},
        facilitators=[{**f, "available": [day]} for f, day in zip(facilitators(2), ["TU", "MO"], strict=True)],
        participants=[person("p1", ["a1"], ["TU"]), person("p2", ["a1"], ["TU"]), person("p3", ["a1"], ["TU"]),
                      person("p4", ["a1"], ["MO"], needs=["accessible"]), person("p5", ["a1"], ["MO"]),
                      person("p6", ["a1"], ["MO"])],
    )
    schedule = built(sc, [Group("a1-1", "a1", ("TU",), "r1", ("f1",), ("p1", "p2", "p3"))])

    suggestions = suggest(sc, schedule)

    assert_sound(sc, schedule, suggestions)
    best = suggestions[0]
    assert best.change == Change("open_group", activity="a1", slots=("MO",), room="r2", facilitators=("f2",),
                                 to_group="a1-2", max_groups=2)
    assert sorted(best.seats) == ["p4", "p5", "p6"] and best.moved == ()
    assert best.score_change == 3 * (100 + 10)  # three seated at their first choice, both groups of 3
    assert best.scenario.activity("a1").max_groups == 2
    new = next(g for g in best.schedule.groups if g.id == "a1-2")
    assert (new.sessions, new.room, new.facilitators, sorted(new.members)) == (
        ("MO",), "r2", ("f2",), ["p4", "p5", "p6"])


def test_a_new_group_within_the_activitys_limit_leaves_the_scenario_as_it_is() -> None:
    sc = scenario(activity={"max_groups": 2, "max_size": 2}, facilitators=facilitators(2), rooms=rooms(2),
                  participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], ["MO"]),
                                person("p3", ["a1"], ["TU"]), person("p4", ["a1"], ["TU"])])
    schedule = built(sc, [Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("p1", "p2"))])

    suggestions = suggest(sc, schedule)

    assert_sound(sc, schedule, suggestions)
    opened = [s for s in suggestions if s.change.kind == "open_group"]
    assert [sorted(s.seats) for s in opened] == [["p3", "p4"]]
    assert opened[0].change.max_groups is None and opened[0].change.slots == ("TU",)
    assert opened[0].scenario == sc


@pytest.mark.parametrize(("f3_sessions", "leaders"), [(0, []), (1, [("f3",)])])
def test_a_new_group_is_led_only_by_a_facilitator_with_the_skill_and_a_session_to_spare(
        f3_sessions: int, leaders: list[tuple[str, ...]]) -> None:
    # f1 leads the one group and has no session left; f2 lacks the skill; f3 has it, and maybe a session.
    skilled: dict[str, Any] = {"skills": ["art"], "max_sessions_per_week": 1}
    sc = scenario(activity={"max_groups": 2, "max_size": 2, "required_skills": ["art"]}, rooms=rooms(2),
                  facilitators=[{**f, **extra} for f, extra in zip(facilitators(3), [
                      skilled, {"skills": []}, {**skilled, "max_sessions_per_week": f3_sessions}], strict=True)],
                  participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], ["MO"]),
                                person("p3", ["a1"], ["TU"])])
    schedule = built(sc, [Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("p1", "p2"))])

    suggestions = suggest(sc, schedule)

    assert_sound(sc, schedule, suggestions)
    assert [s.change.facilitators for s in suggestions if s.change.kind == "open_group"] == leaders


def test_a_new_group_needs_the_activitys_minimum_size_from_the_left_out_alone() -> None:
    # Two are left out but a group needs three: nobody already seated is moved in to make up the number.
    sc = scenario(activity={"max_groups": 2, "min_size": 3}, facilitators=facilitators(2), rooms=rooms(2),
                  participants=[person(p, ["a1"], ["MO"]) for p in ("p1", "p2", "p3")]
                  + [person("p4", ["a1"], ["TU"]), person("p5", ["a1"], ["TU"]), person("p6", ["a1"], ["MO", "TU"])])
    schedule = built(sc, [Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("p1", "p2", "p3", "p6"))])

    assert [s for s in suggest(sc, schedule) if s.change.kind == "open_group"] == []


def full_group(room_capacity: int) -> tuple[Scenario, Schedule]:
    """Art's one group is full (two of two) on Monday, the only time the third person can come and the
    only time its facilitator works."""
    sc = scenario(activity={"max_size": 2}, room={"capacity": room_capacity},
                  facilitator={"available": ["MO"]},
                  participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], ["MO"]),
                                person("p3", ["a1"], ["MO"])])
    return sc, built(sc, [Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("p1", "p2"))])


def test_one_more_seat_in_a_full_group_whose_room_holds_it() -> None:
    sc, schedule = full_group(room_capacity=10)

    suggestions = suggest(sc, schedule)

    assert_sound(sc, schedule, suggestions)
    assert [(s.change, s.seats, s.score_change) for s in suggestions] == [
        (Change("add_seat", activity="a1", group="a1-1", max_size=3), ("p3",), 110)]
    assert suggestions[0].scenario.activity("a1").max_size == 3
    assert sc.activity("a1").max_size == 2


def test_no_extra_seat_when_the_room_is_full_too() -> None:
    sc, schedule = full_group(room_capacity=2)

    assert suggest(sc, schedule) == []


def test_asking_a_time_if_need_be_opens_a_group_with_a_free_seat() -> None:
    # The group meets on Monday; p2 marked Tuesday only, and nobody can lead a group on Tuesday.
    sc = scenario(facilitator={"available": ["MO"]},
                  participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], ["TU"])])
    schedule = built(sc, [Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("p1",))])

    suggestions = suggest(sc, schedule)

    assert_sound(sc, schedule, suggestions)
    assert [(s.change, s.seats) for s in suggestions] == [
        (Change("if_needed_time", activity="a1", slots=("MO",), participant="p2", to_group="a1-1"), ("p2",))]
    assert suggestions[0].score_change == 100 + 10 - 2  # seated at a first choice, one if-needed session
    assert suggestions[0].scenario.participant("p2").if_needed == ("MO",)
    assert suggestions[0].scenario.participant("p2").available == ("TU",)
    assert sc.participant("p2").if_needed == ()


def test_every_time_the_group_meets_that_they_did_not_mark_is_asked() -> None:
    sc = scenario(activity={"sessions_per_week": 2}, facilitator={"available": ["MO", "TU"]},
                  participants=[person("p1", ["a1"]), person("p2", ["a1"], ["WE"])])
    schedule = built(sc, [Group("a1-1", "a1", ("MO", "TU"), "r1", ("f1",), ("p1",))])

    suggestions = suggest(sc, schedule)

    assert_sound(sc, schedule, suggestions)
    assert [(s.change.slots, s.score_change) for s in suggestions] == [(("MO", "TU"), 100 + 10 - 4)]


def move_scenario(**extra: Any) -> Scenario:
    """Art (two seats) is full on Monday; Choir has room on Tuesday. p1 would also take Choir, p2 only
    Art; p4 wants Art and can come only on Monday, when no other group can open."""
    return scenario(
        activities=[{**a, "max_size": 2 if a["id"] == "a1" else 5} for a in activities(2)],
        facilitators=[{**f, "available": [day]} for f, day in zip(facilitators(2), ["MO", "TU"], strict=True)],
        participants=[person("p1", ["a1", "a2"], ["MO", "TU"]), person("p2", ["a1"], ["MO"]),
                      person("p3", ["a2"], ["TU"]), person("p4", ["a1"], ["MO"])],
        **extra,
    )


def move_schedule(sc: Scenario) -> Schedule:
    return built(sc, [Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("p1", "p2")),
                      Group("a2-1", "a2", ("TU",), "r1", ("f2",), ("p3",))])


def test_a_member_moved_to_another_group_they_wanted_frees_their_seat() -> None:
    sc = move_scenario()
    schedule = move_schedule(sc)

    suggestions = suggest(sc, schedule)

    assert_sound(sc, schedule, suggestions)
    # One more seat costs nobody anything, so it comes first; the move costs p1 their first choice.
    assert [s.change.kind for s in suggestions] == ["add_seat", "move_member"]
    move = suggestions[1]
    assert move.change == Change("move_member", activity="a1", group="a1-1", participant="p1", to_group="a2-1")
    assert move.seats == ("p4",)
    assert move.moved == (Moved("p1", "a1-1", "a2-1", from_rank=1, to_rank=2),)
    assert move.score_change == 100 + 10 - 10 + 7
    assert move.scenario == sc
    groups = {g.id: sorted(g.members) for g in move.schedule.groups}
    assert groups == {"a1-1": ["p2", "p4"], "a2-1": ["p1", "p3"]}


def test_nobody_is_moved_into_a_group_with_someone_they_are_kept_apart_from() -> None:
    sc = move_scenario(keep_apart=[["p1", "p3"]])
    schedule = move_schedule(sc)

    suggestions = suggest(sc, schedule)

    assert_sound(sc, schedule, suggestions)
    assert [s.change.kind for s in suggestions] == ["add_seat"]


def test_nobody_is_moved_away_from_a_kept_together_partner() -> None:
    sc = move_scenario(keep_together=[["p1", "p2"]])
    schedule = move_schedule(sc)

    suggestions = suggest(sc, schedule)

    assert_sound(sc, schedule, suggestions)
    # Moving p1 to Choir is fine (p2 is in no Choir group); the checker has the final word.
    assert {s.change.kind for s in suggestions} == {"add_seat", "move_member"}


def test_someone_available_at_no_time_gets_no_suggestion() -> None:
    sc = scenario(facilitators=facilitators(2), rooms=rooms(2),
                  participants=[person("p1", ["a1"], ["MO"]), person("p2", ["a1"], []), person("p3", ["a1"], ["TU"])])
    schedule = built(sc, [Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("p1",))])

    suggestions = suggest(sc, schedule)

    assert_sound(sc, schedule, suggestions)
    assert suggestions, "p3 can be seated (asked about Monday, or a second group on Tuesday)"
    assert all("p2" not in s.seats for s in suggestions)


def test_a_schedule_that_seats_everyone_gets_no_suggestion() -> None:
    sc = scenario(participants=[person("p1", ["a1"])])
    assert suggest(sc, built(sc, [Group("a1-1", "a1", ("MO",), "r1", ("f1",), ("p1",))])) == []


def test_at_most_per_person_suggestions_name_anyone() -> None:
    # Four groups with a free seat, each on a day p9 did not mark: four ways to ask them, two kept.
    sc = scenario(
        slots=[{"id": d, "day": d, "start": "10:00", "end": "11:30"} for d in ("MO", "TU", "WE", "TH", "FR")],
        activities=activities(4),
        facilitator={"available": ["MO", "TU", "WE", "TH"]},
        participants=[person("p1", ["a1", "a2", "a3", "a4"], ["MO", "TU", "WE", "TH"], max_groups=4),
                      person("p9", ["a1", "a2", "a3", "a4"], ["FR"])],
    )
    schedule = built(sc, [Group(f"a{i}-1", f"a{i}", (day,), "r1", ("f1",), ("p1",))
                          for i, day in enumerate(["MO", "TU", "WE", "TH"], start=1)])

    suggestions = suggest(sc, schedule, per_person=2)

    assert_sound(sc, schedule, suggestions, per_person=2)
    # The best two: p9's first and second choices.
    assert [s.change.to_group for s in suggestions] == ["a1-1", "a2-1"]


def test_out_of_time_returns_what_is_verified_so_far() -> None:
    sc, schedule = full_group(room_capacity=10)
    assert suggest(sc, schedule, time_limit_s=0) == []


# --------------------------------------------------------------------------- apply_change


def test_apply_change_leaves_the_original_scenario_unchanged_and_gives_a_valid_one() -> None:
    sc = move_scenario()
    original = scenario_to_dict(sc)
    changes = [Change("add_seat", activity="a1", group="a1-1", max_size=3),
               Change("open_group", activity="a2", slots=("WE",), room="r1", facilitators=("f1",), max_groups=2),
               Change("if_needed_time", participant="p4", slots=("TU", "WE"), to_group="a1-1"),
               Change("move_member", group="a1-1", participant="p1", to_group="a2-1")]

    changed = [apply_change(sc, c) for c in changes]

    assert scenario_to_dict(sc) == original
    for result in changed:
        assert validate_scenario(scenario_to_dict(result)) == []
    assert changed[0].activity("a1").max_size == 3 and changed[0].activity("a2").max_size == 5
    assert changed[1].activity("a2").max_groups == 2
    assert changed[2].participant("p4").if_needed == ("TU", "WE")
    assert changed[2].participant("p4") in changed[2].participants  # the index follows the new tuples
    assert changed[3] == sc


def test_apply_change_refuses_what_the_scenario_does_not_hold() -> None:
    sc = move_scenario()
    with pytest.raises(ValueError, match=r"change\.activity"):
        apply_change(sc, Change("add_seat", activity="nope", group="a1-1"))
    with pytest.raises(ValueError, match=r"change\.participant"):
        apply_change(sc, Change("if_needed_time", participant="nobody", slots=("MO",)))
    with pytest.raises(ValueError, match=r"change\.slots"):
        apply_change(sc, Change("if_needed_time", participant="p4", slots=("SU",)))


# --------------------------------------------------------------------------- the shared scenarios


@pytest.mark.parametrize("name", ["small", "medium"])
def test_every_suggestion_on_a_shared_scenario_is_valid_and_seats_whom_it_names(name: str) -> None:
    sc = read_scenario_file(SHARED / f"{name}.json")
    schedule = solve(sc, SolveParams(time_limit_s=5, workers=2, seed=0))
    assert schedule.unassigned, "a short solve leaves people out on the shared scenarios"

    suggestions = suggest(sc, schedule)

    assert suggestions
    assert_sound(sc, schedule, suggestions)
    for s in suggestions:
        seated = {m for g in s.schedule.groups for m in g.members}
        assert set(s.seats) <= seated
        assert validate_scenario(scenario_to_dict(s.scenario)) == []
