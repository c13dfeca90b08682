"""Best fit for a newcomer: tiny hand-built centers whose answers are known by hand, one per reason and
per smallest change. Every group offered as joinable is verified by the independent checker: the
newcomer added to the scenario and to that group gives a valid schedule."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from solver.best_fit import BestFit, Blocker, Change, ChangeKind, Reason, best_fit, reasons_to_refuse
from solver.check import check_schedule
from solver.scenario import Participant, Scenario, load_scenario
from solver.schedule import Group, Schedule, Unassigned
from tests.solving.conftest import BASE, person

EVERY = ["MO", "TU", "WE"]


def activity(aid: str, max_size: int, max_groups: int = 1, **extra: Any) -> dict[str, Any]:
    return {"id": aid, "name": aid.title(), "sessions_per_week": 1, "min_size": 1, "max_size": max_size,
            "max_groups": max_groups, "required_skills": [], "facilitators_per_group": 1, "room_features": [],
            **extra}


MEMBERS = {"art-1": ["m1", "m2", "m3"], "art-2": ["m4"], "choir-1": ["m5"], "talk-1": ["m6"]}


def world(members: dict[str, list[str]] | None = None, newcomer: dict[str, Any] | None = None,
          keep_apart: list[list[str]] | None = None, keep_together: list[list[str]] | None = None,
          ) -> tuple[Scenario, Schedule, Participant]:
    """art-1 Monday in the big room (full at 3), art-2 Tuesday in the small room (2 seats, a ramp),
    choir-1 Wednesday in the big room, talk-1 (in Spanish) Monday in the small room; yoga runs no group.
    The newcomer ``n`` is in the scenario, in no group (listed as unassigned)."""
    members = {**MEMBERS, **(members or {})}
    data = copy.deepcopy(BASE)
    data["rooms"] = [{"id": "big", "name": "Big", "capacity": 10, "features": []},
                     {"id": "small", "name": "Small", "capacity": 2, "features": ["ramp"]}]
    data["activities"] = [activity("art", 3, 2), activity("choir", 5), activity("talk", 5, language="es"),
                          activity("yoga", 5)]
    data["facilitators"] = [{"id": f, "name": f.upper(), "email": f"{f}@example.org", "skills": [],
                             "available": EVERY, "max_sessions_per_week": 9, "languages": ["es"]}
                            for f in ("f1", "f2")]
    wants = {"art-1": "art", "art-2": "art", "choir-1": "choir", "talk-1": "talk"}
    people = [person(m, [wants[g]], languages=["es"]) for g, ms in members.items() for m in ms]
    new = {"id": "n", "name": "Nora", "email": "n@example.org", "available": EVERY,
           "preferences": ["art", "choir"], "max_groups": 2, "needs": [], "languages": [], "if_needed": []}
    new.update(newcomer or {})
    data["participants"] = [p for p in people if p["id"] != "n"] + [new]
    data["keep_apart"], data["keep_together"] = keep_apart or [], keep_together or []
    scenario = load_scenario(data)
    place = {"art-1": ("MO", "big", "f1"), "art-2": ("TU", "small", "f1"), "choir-1": ("WE", "big", "f1"),
             "talk-1": ("MO", "small", "f2")}
    groups = tuple(Group(g, wants[g], (place[g][0],), place[g][1], (place[g][2],), tuple(ms))
                   for g, ms in members.items())
    placed = {m for ms in members.values() for m in ms}
    schedule = Schedule("FEASIBLE", groups, tuple(Unassigned("n", "new") for _ in [0] if "n" not in placed))
    assert check_schedule(scenario, schedule).ok, check_schedule(scenario, schedule).violations
    return scenario, schedule, scenario.participant("n")


def on_tuesday(schedule: Schedule) -> Schedule:
    """talk-1 moved to Tuesday (the big room), the time of art-2."""
    return dataclasses.replace(schedule, groups=tuple(
        dataclasses.replace(g, sessions=("TU",), room="big") if g.id == "talk-1" else g for g in schedule.groups))


def joined(scenario: Scenario, schedule: Schedule, *group_ids: str) -> list[str]:
    """The checker's violations once the newcomer is in ``group_ids`` too."""
    groups = tuple(dataclasses.replace(g, members=(*g.members, "n")) if g.id in group_ids else g
                   for g in schedule.groups)
    return check_schedule(scenario, Schedule("FEASIBLE", groups)).violations


def verified(scenario: Scenario, schedule: Schedule, result: BestFit) -> None:
    for fit in result.fits:
        assert joined(scenario, schedule, fit.group) == [], fit.group
    if result.combination:
        assert joined(scenario, schedule, *(f.group for f in result.combination)) == []
    for why in result.why_not:  # and every refused group really is refused by the checker
        for misfit in why.groups:
            assert joined(scenario, schedule, misfit.group) != [], misfit.group


def test_joinable_groups_are_ranked_by_preference_and_valid() -> None:
    scenario, schedule, n = world(newcomer={"preferences": ["choir", "art"]})
    result = best_fit(scenario, schedule, n)
    assert [(f.group, f.rank, f.size, f.free_seats) for f in result.fits] == [("choir-1", 1, 1, 4),
                                                                            ("art-2", 2, 1, 1)]
    assert [f.group for f in result.combination] == ["choir-1", "art-2"]
    assert result.why_not == () and result.places_left == 2
    verified(scenario, schedule, result)


def test_fewer_if_need_be_sessions_then_the_smaller_group_rank_first() -> None:
    scenario, schedule, n = world(members={"art-1": ["m1", "m2"]}, newcomer={"preferences": ["art"]})
    assert [f.group for f in best_fit(scenario, schedule, n).fits] == ["art-2", "art-1"]  # 1 member, then 2
    scenario, schedule, n = world(members={"art-1": ["m1", "m2"]},
                                  newcomer={"preferences": ["art"], "available": ["MO", "WE"], "if_needed": ["TU"]})
    result = best_fit(scenario, schedule, n)
    assert [(f.group, f.if_needed) for f in result.fits] == [("art-1", ()), ("art-2", ("TU",))]
    verified(scenario, schedule, result)


def test_full_group_and_kept_apart_member_give_one_more_seat() -> None:
    scenario, schedule, n = world(newcomer={"preferences": ["art"]}, keep_apart=[["n", "m4"]])
    result = best_fit(scenario, schedule, n)
    assert result.fits == ()
    (why,) = result.why_not
    assert {m.group: m.reasons for m in why.groups} == {
        "art-1": (Reason(Blocker.FULL, limit=3),), "art-2": (Reason(Blocker.KEEP_APART, person="m4"),)}
    assert why.changes == (Change(ChangeKind.ONE_MORE_SEAT, "art", group="art-1"),)
    verified(scenario, schedule, result)


def test_not_available_at_a_slot_asks_about_it_if_need_be() -> None:
    scenario, schedule, n = world(newcomer={"preferences": ["choir"], "available": ["MO", "TU"]})
    (why,) = best_fit(scenario, schedule, n).why_not
    assert why.groups[0].reasons == (Reason(Blocker.NOT_AVAILABLE, slot="WE"),)
    assert why.changes == (Change(ChangeKind.ASK_IF_NEEDED, "choir", slots=("WE",)),)
    verified(scenario, schedule, best_fit(scenario, schedule, n))


def test_a_room_lacking_what_they_need_suggests_a_room_with_it() -> None:
    scenario, schedule, n = world(newcomer={"preferences": ["choir", "art"], "needs": ["ramp"]})
    result = best_fit(scenario, schedule, n)
    assert [f.group for f in result.fits] == ["art-2"]  # the small room has a ramp
    (why,) = result.why_not
    assert why.groups[0].reasons == (Reason(Blocker.ROOM_LACKS, features=("ramp",)),)
    assert why.changes == (Change(ChangeKind.ROOM_WITH_FEATURES, "choir", group="choir-1", features=("ramp",)),)
    verified(scenario, schedule, result)


def test_a_full_room_suggests_a_bigger_one() -> None:
    scenario, schedule, n = world(members={"art-2": ["m4", "m7"]}, newcomer={"preferences": ["art"]},
                                  keep_apart=[["m1", "n"]])
    (why,) = best_fit(scenario, schedule, n).why_not
    assert why.groups[1].reasons == (Reason(Blocker.ROOM_FULL, limit=2),)
    assert why.changes == (Change(ChangeKind.BIGGER_ROOM, "art", group="art-2"),)
    verified(scenario, schedule, best_fit(scenario, schedule, n))


def test_a_language_they_do_not_speak_needs_a_new_group() -> None:
    scenario, schedule, n = world(newcomer={"preferences": ["talk"]})
    (why,) = best_fit(scenario, schedule, n).why_not
    assert why.groups[0].reasons == (Reason(Blocker.LANGUAGE, language="es"),)
    assert why.changes == (Change(ChangeKind.NEW_GROUP, "talk", within_limit=False),)  # talk allows one group
    verified(scenario, schedule, best_fit(scenario, schedule, n))


def test_an_activity_without_groups_needs_a_new_group() -> None:
    scenario, schedule, n = world(newcomer={"preferences": ["yoga"]})
    (why,) = best_fit(scenario, schedule, n).why_not
    assert why.groups == () and why.changes == (Change(ChangeKind.NEW_GROUP, "yoga", within_limit=True),)


def test_kept_together_only_the_partners_group() -> None:
    scenario, schedule, n = world(members={"art-1": ["m1", "m2"]}, newcomer={"preferences": ["art"]},
                                  keep_together=[["m4", "n"]])
    result = best_fit(scenario, schedule, n)
    assert [f.group for f in result.fits] == ["art-2"]
    art_1 = next(g for g in schedule.groups if g.id == "art-1")
    assert reasons_to_refuse(scenario, schedule.groups, n, art_1) == (
        Reason(Blocker.KEEP_TOGETHER, person="m4", group="art-2"),)
    assert joined(scenario, schedule, "art-1") != []
    verified(scenario, schedule, result)


def test_kept_together_with_two_people_in_different_groups_fits_neither() -> None:
    scenario, schedule, n = world(members={"art-1": ["m1", "m2"]}, newcomer={"preferences": ["art"]},
                                  keep_together=[["n", "m1"], ["m4", "n"]])
    result = best_fit(scenario, schedule, n)
    assert result.fits == ()
    (why,) = result.why_not
    assert {m.group: m.reasons for m in why.groups} == {
        "art-1": (Reason(Blocker.KEEP_TOGETHER, person="m4", group="art-2"),),
        "art-2": (Reason(Blocker.KEEP_TOGETHER, person="m1", group="art-1"),)}
    assert why.changes == (Change(ChangeKind.NEW_GROUP, "art", within_limit=False),)
    verified(scenario, schedule, result)


def test_an_activity_the_published_term_does_not_know_needs_a_new_group() -> None:
    scenario, schedule, _n = world()
    stranger = Participant("x", "X", "", ("WE",), ("pottery", "choir"), 1)
    result = best_fit(scenario, schedule, stranger)
    assert [f.group for f in result.fits] == ["choir-1"]
    assert [(w.activity, w.rank, w.changes) for w in result.why_not] == [
        ("pottery", 1, (Change(ChangeKind.NEW_GROUP, "pottery"),))]


def test_someone_already_in_a_group_is_busy_then_and_counts_it() -> None:
    scenario, schedule, n = world(members={"talk-1": ["m6", "n"]},
                                  newcomer={"preferences": ["talk", "art"], "languages": ["es"]})
    schedule = on_tuesday(schedule)  # talk-1 now at the time of art-2
    assert check_schedule(scenario, schedule).ok
    result = best_fit(scenario, schedule, n)
    assert result.in_groups == ("talk-1",) and result.places_left == 1 and result.fits == ()
    (why,) = result.why_not
    reasons = {m.group: m.reasons for m in why.groups}
    assert reasons["art-2"] == (Reason(Blocker.BUSY, slot="TU", group="talk-1"),)
    assert why.changes == (Change(ChangeKind.ONE_MORE_SEAT, "art", group="art-1"),)


def test_at_their_most_groups_asks_for_one_more() -> None:
    scenario, schedule, n = world(members={"choir-1": ["m5", "n"], "art-1": ["m1", "m2"]},
                                  newcomer={"preferences": ["choir", "art"], "max_groups": 1})
    result = best_fit(scenario, schedule, n)
    assert result.fits == () and result.places_left == 0 and result.combination == ()
    (why,) = result.why_not
    assert why.groups[0].reasons == (Reason(Blocker.MAX_GROUPS, limit=1),)
    assert why.changes == (Change(ChangeKind.ONE_MORE_GROUP, "art"),)


def test_the_best_combination_skips_a_clash() -> None:
    # talk-1 moved to Tuesday clashes with art-2: talk (choice 1) and choir (3) beat art (2) and choir.
    scenario, schedule, n = world(newcomer={"preferences": ["talk", "art", "choir"], "max_groups": 3,
                                            "languages": ["es"]})
    schedule = on_tuesday(schedule)
    assert check_schedule(scenario, schedule).ok
    result = best_fit(scenario, schedule, n)
    assert [f.group for f in result.fits] == ["talk-1", "art-2", "choir-1"]
    assert [f.group for f in result.combination] == ["talk-1", "choir-1"]
    assert joined(scenario, schedule, "talk-1", "art-2") != []
    verified(scenario, schedule, result)


def test_a_newcomer_not_in_the_scenario_is_judged_on_their_answers() -> None:
    scenario, schedule, _n = world(newcomer={"preferences": ["choir"]})
    stranger = Participant("x", "X", "", ("WE",), ("choir", "art"), 1)
    result = best_fit(scenario, schedule, stranger)
    assert [f.group for f in result.fits] == ["choir-1"]
    assert [w.activity for w in result.why_not] == ["art"]


def test_random_newcomers_agree_with_the_checker() -> None:
    """Every joinable group, every combination and every refusal, for newcomers with random answers,
    agrees with the independent checker (seeded, so a failure is repeatable)."""
    import random

    chance = random.Random(20)
    for _ in range(150):
        slots = sorted(chance.sample(EVERY, chance.randint(0, 3)))
        newcomer = {"available": slots, "if_needed": [s for s in EVERY if s not in slots and chance.random() < 0.5],
                    "preferences": chance.sample(["art", "choir", "talk", "yoga"], chance.randint(1, 4)),
                    "max_groups": chance.randint(1, 3), "needs": ["ramp"] if chance.random() < 0.3 else [],
                    "languages": ["es"] if chance.random() < 0.5 else []}
        others = ["m1", "m4", "m5", "m6"]
        apart = [["n", m] for m in others if chance.random() < 0.15]
        together = [[m, "n"] for m in others if chance.random() < 0.15 and ["n", m] not in apart]
        scenario, schedule, n = world(newcomer=newcomer, keep_apart=apart, keep_together=together)
        if chance.random() < 0.5:
            schedule = on_tuesday(schedule)
        verified(scenario, schedule, best_fit(scenario, schedule, n))
