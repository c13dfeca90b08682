"""The independent checker: a valid hand-made schedule scores exactly what the spec says, and a
schedule breaking one rule alone gets exactly one message, naming that rule with its numbers."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import solver.check
from solver.check import check_schedule, rank_points
from solver.scenario import Scenario, load_scenario, read_scenario_file
from solver.schedule import Group, Schedule, Unassigned

SHARED = Path(__file__).resolve().parents[2] / "scenarios"
ALL_SLOTS = ["MO-0900", "MO-1100", "TU-0900", "WE-0900"]


def person(pid: str, prefs: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": pid, "name": pid.upper(), "email": f"{pid}@example.org", "available": ALL_SLOTS,
            "preferences": prefs, "max_groups": 1, "needs": [], **extra}


def scenario() -> Scenario:
    def slot(sid: str) -> dict[str, str]:
        day, hhmm = sid.split("-")
        return {"id": sid, "day": day, "start": f"{hhmm[:2]}:{hhmm[2:]}", "end": f"{int(hhmm[:2]) + 1:02d}:00"}

    def facilitator(fid: str, skills: list[str], available: list[str], most: int, **extra: Any) -> dict[str, Any]:
        return {"id": fid, "name": fid.upper(), "email": f"{fid}@example.org", "skills": skills,
                "available": available, "max_sessions_per_week": most, **extra}

    return load_scenario({
        "format": "sociotherapy-scenario/1",
        "center": {"name": "C", "timezone": "Europe/Madrid", "term_start": "2027-01-11",
                   "term_end": "2027-04-05", "holidays": []},
        "slots": [slot(s) for s in ALL_SLOTS],
        "rooms": [{"id": "r1", "name": "R1", "capacity": 3, "features": ["accessible"]},
                  {"id": "r2", "name": "R2", "capacity": 10, "features": []},
                  {"id": "r3", "name": "R3", "capacity": 10, "features": ["piano", "accessible"]},
                  {"id": "r4", "name": "R4", "capacity": 2, "features": ["accessible"]}],
        "activities": [
            {"id": "art", "name": "Art", "sessions_per_week": 1, "min_size": 2, "max_size": 3, "max_groups": 2,
             "required_skills": ["art"], "facilitators_per_group": 1, "room_features": []},
            {"id": "music", "name": "Music", "sessions_per_week": 2, "min_size": 1, "max_size": 4, "max_groups": 1,
             "min_groups": 1, "required_skills": [], "facilitators_per_group": 1, "room_features": ["piano"],
             "language": "es"},
        ],
        "facilitators": [
            facilitator("f1", ["art"], ["MO-0900", "TU-0900"], 2),
            facilitator("f2", [], ["MO-0900", "TU-0900", "MO-1100"], 3, if_needed=["WE-0900"], languages=["es"]),
            facilitator("f3", ["art"], ["MO-0900", "TU-0900"], 1),
            facilitator("f4", [], ALL_SLOTS, 5),
        ],
        "participants": [
            person("p1", ["art"]),
            person("p2", ["art", "music"], languages=["es"]),
            person("p3", ["art", "music"], needs=["accessible"], languages=["es"], max_groups=2),
            person("p4", []),
            person("p5", ["music", "art"], available=["MO-0900", "TU-0900"], if_needed=["WE-0900"],
                   languages=["es"]),
            person("p6", ["art"]),
            person("p7", ["art", "music"], available=["MO-0900", "MO-1100", "WE-0900"], languages=["es"]),
            person("p8", ["music", "art"], max_groups=2),
            person("p9", ["art"]),
        ],
        "keep_apart": [["p1", "p2"]],
        "keep_together": [["p5", "p7"], ["p2", "p6"]],
    })


VALID = {
    "art-1": Group("art-1", "art", ("MO-0900",), "r1", ("f1",), ("p1", "p3")),
    "art-2": Group("art-2", "art", ("TU-0900",), "r2", ("f1",), ("p2", "p6", "p8")),
    "music-1": Group("music-1", "music", ("MO-0900", "WE-0900"), "r3", ("f2",), ("p5", "p7")),
}


def schedule(changes: dict[str, dict[str, Any] | None] | None = None,
             extra: tuple[Group, ...] = ()) -> Schedule:
    """VALID with some groups changed (None removes one); everyone left out is listed with a reason."""
    groups = []
    for gid, group in VALID.items():
        change = (changes or {}).get(gid, {})
        if change is not None:
            groups.append(dataclasses.replace(group, **change))
    groups += extra
    placed = {m for g in groups for m in g.members}
    unassigned = tuple(Unassigned(p.id, "no place left") for p in scenario().participants if p.id not in placed)
    return Schedule(status="FEASIBLE", groups=tuple(groups), unassigned=unassigned)


def test_valid_schedule_scores_exactly_as_the_spec_says() -> None:
    report = check_schedule(scenario(), schedule())
    assert report.violations == []
    assert report.ok
    # Covered: p1 p2 p3 p5 p6 p7 p8 (p4 wants nothing, p9 is left out) = 7 x 100.
    # Ranks: p1 p3 p2 p6 in Art at rank 1 (4 x 10), p8 in Art at rank 2 (7), p5 in Music at rank 1 (10),
    #        p7 in Music at rank 2 (7) = 64.
    # Art groups have 2 and 3 members: -5 x 1. Music has one group: 0.
    # If-needed: p5 and f2 both attend WE-0900, an if-needed slot for each: -2 x 2.
    assert report.terms == {"coverage": 700, "rank_points": 64, "size_balance": -5, "if_needed": -4}
    assert report.score == 755


def test_rank_points_follow_the_spec_table() -> None:
    assert [rank_points(r) for r in range(1, 9)] == [10, 7, 5, 3, 2, 1, 1, 1]


def art3(members: tuple[str, ...]) -> Group:
    return Group("art-3", "art", ("MO-0900",), "r2", ("f3",), members)


def with_unassigned(*extra: Unassigned, drop: str | None = None, status: str = "FEASIBLE") -> Schedule:
    base = schedule()
    kept = tuple(u for u in base.unassigned if u.participant != drop)
    return dataclasses.replace(base, unassigned=kept + extra, status=status)


# (case id, the broken schedule, a distinctive part of the one message expected)
CASES: list[tuple[str, Callable[[], Schedule], str]] = [
    # Rule 1: sessions, sizes, groups per activity.
    ("session count", lambda: schedule({"music-1": {"sessions": ("MO-0900",)}}),
     "group music-1: 1 sessions a week, Music needs 2"),
    ("sessions on one day", lambda: schedule({"music-1": {"sessions": ("MO-0900", "MO-1100"), "members": ("p7",)}}),
     "group music-1: 2 sessions on the same day (MO)"),
    ("group too small", lambda: schedule({"art-1": {"members": ("p1",)}}), "group art-1: 1 members, Art takes 2 to 3"),
    ("group too large", lambda: schedule({"art-2": {"members": ("p2", "p6", "p8", "p9")}}),
     "group art-2: 4 members, Art takes 2 to 3"),
    ("too few groups", lambda: schedule({"music-1": None}),
     "activity music (Music): 0 groups open, must be between 1 and 1"),
    ("too many groups", lambda: schedule({"art-2": {"members": ("p2", "p6")}}, extra=(art3(("p8", "p9")),)),
     "activity art (Art): 3 groups open, must be between 0 and 2"),
    # Rule 2: facilitators.
    ("facilitator count", lambda: schedule({"art-1": {"facilitators": ("f1", "f3")}}),
     "group art-1: 2 facilitators, Art needs 1"),
    ("facilitator skill", lambda: schedule({"art-2": {"facilitators": ("f2",)}}),
     "group art-2: facilitator f2 (F2) lacks the skill(s) art"),
    ("facilitator language", lambda: schedule({"music-1": {"facilitators": ("f4",)}}),
     "group music-1: facilitator f4 (F4) does not speak es"),
    ("facilitator availability", lambda: schedule({"art-1": {"sessions": ("MO-1100",)}}),
     "group art-1: facilitator f1 (F1) is not available at MO-1100"),
    ("facilitator in two places", lambda: schedule({"art-2": {"sessions": ("MO-0900",)}}),
     "facilitator f1 (F1) has 2 sessions at MO-0900"),
    ("facilitator weekly load",
     lambda: schedule({"art-1": {"facilitators": ("f3",)}, "art-2": {"facilitators": ("f3",)}}),
     "facilitator f3 (F3): 2 sessions a week, at most 1"),
    # Rule 3: rooms.
    ("room booked twice", lambda: schedule({"art-1": {"room": "r3"}}), 'room "r3" has 2 sessions at MO-0900'),
    ("room capacity", lambda: schedule({"art-1": {"room": "r4", "members": ("p1", "p3", "p9")}}),
     'group art-1: room "r4" holds 2 but the group has 3 members'),
    ("room features of the activity", lambda: schedule({"music-1": {"room": "r2"}}),
     'group music-1: room "r2" lacks piano'),
    ("room needs of a member", lambda: schedule({"art-1": {"room": "r2"}}), 'group art-1: room "r2" lacks accessible'),
    # Rule 4: members.
    ("activity not wanted", lambda: schedule({"art-2": {"members": ("p2", "p6", "p4")}}),
     "group art-2: p4 (P4) did not ask for Art"),
    ("member language", lambda: schedule({"music-1": {"members": ("p5", "p7", "p8")}}),
     "group music-1: p8 (P8) does not speak es"),
    ("member availability",
     lambda: schedule({"art-2": {"members": ("p2", "p6", "p7")}, "music-1": {"members": ("p5",)}}),
     "group art-2: p7 (P7) is not available at TU-0900"),
    ("two groups of one activity", lambda: schedule({"art-1": {"members": ("p1", "p3", "p8")}}),
     "p8 (P8) is in 2 groups of Art"),
    ("too many groups for a member", lambda: schedule({"music-1": {"members": ("p5", "p7", "p2")}}),
     "p2 (P2) is in 2 groups, at most 1"),
    ("two groups at one slot", lambda: schedule({"music-1": {"members": ("p5", "p7", "p3")}}),
     "p3 (P3) has 2 groups at MO-0900"),
    # Rule 5: pairs.
    ("keep apart", lambda: schedule({"art-1": {"members": ("p3", "p9")}, "art-2": {"members": ("p1", "p2", "p6")}}),
     "p1 and p2 must be kept apart but are both in group art-2"),
    ("keep together", lambda: schedule({"art-1": {"members": ("p1", "p3", "p6")}, "art-2": {"members": ("p2", "p8")}}),
     "p2 and p6 must be together in Art"),
    # Referential sanity.
    ("unknown activity", lambda: schedule({"art-2": {"activity": "yoga"}}), 'group art-2: unknown activity "yoga"'),
    ("unknown room", lambda: schedule({"art-1": {"room": "r9"}}), 'group art-1: unknown room "r9"'),
    ("unknown slot", lambda: schedule({"music-1": {"sessions": ("MO-0900", "SU-0900")}}),
     'group music-1: unknown slot "SU-0900"'),
    ("unknown facilitator", lambda: schedule({"art-1": {"facilitators": ("f9",)}}),
     'group art-1: unknown facilitator "f9"'),
    ("unknown participant", lambda: schedule({"art-1": {"members": ("p1", "p3", "p99")}}),
     'group art-1: unknown participant "p99"'),
    ("duplicate group id", lambda: schedule({"art-2": {"id": "art-1"}}),
     'group id "art-1" is used by more than one group'),
    ("member listed twice", lambda: schedule({"art-1": {"members": ("p1", "p3", "p1")}}),
     'group art-1: member "p1" is listed 2 times'),
    ("session listed twice", lambda: schedule({"music-1": {"sessions": ("WE-0900", "WE-0900")}}),
     'group music-1: session "WE-0900" is listed 2 times'),
    ("facilitator listed twice", lambda: schedule({"art-1": {"facilitators": ("f1", "f1")}}),
     'group art-1: facilitator "f1" is listed 2 times'),
    # Everyone is placed or listed as unassigned with a reason.
    ("placed and unassigned", lambda: with_unassigned(Unassigned("p1", "none")),
     "p1 (P1) is in a group and also listed as unassigned"),
    ("left out silently", lambda: with_unassigned(drop="p4"), "p4 (P4) has no group and is not listed as unassigned"),
    ("no reason", lambda: with_unassigned(Unassigned("p4", "  "), drop="p4"), "p4 (P4) is unassigned without a reason"),
    ("unknown unassigned", lambda: with_unassigned(Unassigned("p99", "gone")), 'unassigned: unknown participant "p99"'),
    ("unassigned twice", lambda: with_unassigned(Unassigned("p4", "again")), 'participant "p4" is listed 2 times'),
    ("unknown status", lambda: with_unassigned(status="DONE"), 'status "DONE" is not one of'),
]


@pytest.mark.parametrize(("build", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_broken_rule_gets_exactly_its_message(build: Callable[[], Schedule], expected: str) -> None:
    violations = check_schedule(scenario(), build()).violations
    assert len(violations) == 1, violations
    assert expected in violations[0]


def test_the_unbroken_schedule_has_no_violations() -> None:
    assert check_schedule(scenario(), schedule()).violations == []


def test_keep_together_only_binds_when_both_join_the_same_activity() -> None:
    # p5 in Music, p7 in Art (p7 wants both): the pair joins different activities, which is allowed.
    broken = schedule({"art-2": {"members": ("p2", "p6", "p7")}, "music-1": {"members": ("p5",)}})
    assert all("must be together" not in v for v in check_schedule(scenario(), broken).violations)


def test_score_counts_only_what_is_there() -> None:
    report = check_schedule(scenario(), schedule({"music-1": None, "art-2": None}))
    # art-1 alone: p1 and p3 at rank 1; music's missing group is a violation but scores nothing.
    assert report.terms == {"coverage": 200, "rank_points": 20, "size_balance": 0, "if_needed": 0}
    assert report.score == 220


@pytest.mark.parametrize("status", ["INFEASIBLE", "UNKNOWN"])
def test_a_schedule_proposing_nothing_is_only_checked_for_sense(status: str) -> None:
    # min_groups of Music is not met and nobody is listed: fine, nothing is proposed.
    report = check_schedule(scenario(), Schedule(status=status, explanation=("Music needs a group",)))
    assert report.violations == []
    assert report.score == 0
    nonsense = Schedule(status=status, unassigned=(Unassigned("p99", "?"), Unassigned("p1", "")))
    assert check_schedule(scenario(), nonsense).violations == [
        'unassigned: unknown participant "p99"', "p1 (P1) is unassigned without a reason"]


def test_an_infeasible_status_with_groups_is_checked_in_full() -> None:
    broken = dataclasses.replace(schedule({"music-1": None}), status="INFEASIBLE")
    assert [v for v in check_schedule(scenario(), broken).violations if "0 groups open" in v]


@pytest.mark.parametrize("name", sorted(p.name for p in SHARED.glob("*.json")))
def test_an_empty_schedule_is_valid_on_every_shared_scenario(name: str) -> None:
    sc = read_scenario_file(SHARED / name)
    assert not any(a.min_groups for a in sc.activities)  # the shared files never ask for a group
    empty = Schedule(status="FEASIBLE", unassigned=tuple(Unassigned(p.id, "not planned yet") for p in sc.participants))
    report = check_schedule(sc, empty)
    assert report.violations == []
    assert report.score == 0
    assert report.terms == {"coverage": 0, "rank_points": 0, "size_balance": 0, "if_needed": 0}


def test_shared_scenarios_are_present() -> None:
    assert len(list(SHARED.glob("*.json"))) >= 6


def test_the_checker_shares_no_code_with_the_model() -> None:
    tree = ast.parse(Path(solver.check.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    ours = {m for m in imported if m and m.split(".")[0] == "solver"}
    assert ours <= {"solver.scenario", "solver.schedule"}, ours
