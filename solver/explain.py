"""Explanations in words a coordinator can act on.

* Why a participant has no group: looked up from the schedule and the scenario, per wanted activity.
* Why nothing is possible: a separate feasibility solve (no objective, one worker, because CP-SAT's
  assumptions combine with neither) where each requirement that may conflict (min_groups, pins) is
  an assumption; the core is then shrunk by deletion to a smallest conflicting set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from solver.model import build, could_join, eligible_facilitators, eligible_rooms
from solver.scenario import Scenario
from solver.schedule import Schedule

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def slot_words(scenario: Scenario, slot_id: str) -> str:
    s = scenario.slot(slot_id)
    return f"{DAY_NAMES[s.day]} {s.start // 60:02d}:{s.start % 60:02d}"


@dataclass(frozen=True)
class GroupWhy:
    """Why one running group of a wanted activity has no place for the participant."""

    sessions: tuple[str, ...]  # slot ids
    why: str                   # "not_available" | "full" | "kept_apart" | "clash"


@dataclass(frozen=True)
class Why:
    """Why a participant has no group: one per wanted activity, or one for the person alone
    (``no_preferences``, ``no_times``). Structured, so the app can say it in the reader's language;
    :func:`explain_unassigned` says it in English for the schedule file."""

    kind: str  # no_preferences | no_times | language | no_room | too_few_days | no_group | groups
    activity: str = ""                  # the activity's id
    language: str = ""                  # kind language: the language it is held in
    needs: tuple[str, ...] = ()         # kind no_room: what the person needs
    sessions: int = 0                   # kind too_few_days: meetings a week
    groups: tuple[GroupWhy, ...] = ()   # kind groups: each running group and why not


def why_unassigned(scenario: Scenario, schedule: Schedule) -> dict[str, tuple[Why, ...]]:
    """Participant id -> why they have no group, for everyone the schedule leaves out."""
    placed = {p for g in schedule.groups for p in g.members}
    # What depends on the activity alone, worked out once (1 500 people, 500 left out: 0.8 s -> far less).
    options: dict[str, _Options] = {}
    out: dict[str, tuple[Why, ...]] = {}
    for p in scenario.participants:
        if p.id in placed:
            continue
        if not p.preferences:
            out[p.id] = (Why("no_preferences"),)
        elif not p.available and not p.if_needed:
            # Not "too few days": they have told no times at all, so the coordinator asks them.
            out[p.id] = (Why("no_times"),)
        else:
            for a in p.preferences:
                if a not in options:
                    options[a] = _options(scenario, schedule, scenario.activity(a))
            out[p.id] = tuple(_why_not(scenario, p, options[a]) for a in p.preferences)
    return out


@dataclass(frozen=True)
class _Options:
    """An activity's rooms, the slots its facilitators can run it in, and its running groups."""

    activity: Any
    rooms: list[str]
    slots: list[str]
    groups: list[Any]


def _options(scenario: Scenario, schedule: Schedule, a: Any) -> _Options:
    facs = eligible_facilitators(scenario, a)
    slots = [s.id for s in scenario.slots
             if sum(scenario.facilitator(f).can_attend(s.id) for f in facs) >= a.facilitators_per_group]
    return _Options(a, eligible_rooms(scenario, a), slots, [g for g in schedule.groups if g.activity == a.id])


def explain_unassigned(scenario: Scenario, schedule: Schedule) -> dict[str, str]:
    """Participant id -> why they have no group, in English (the schedule file's ``reason``)."""
    return {pid: _english(scenario, whys) for pid, whys in why_unassigned(scenario, schedule).items()}


def _english(scenario: Scenario, whys: tuple[Why, ...]) -> str:
    if whys[0].kind == "no_preferences":
        return "has no preferences: add the activities they want"
    if whys[0].kind == "no_times":
        return "gave no times at which they can come: ask them when they can"
    reasons = [_english_one(scenario, why) for why in whys]
    return f"wants only {reasons[0]}" if len(reasons) == 1 else "; ".join(reasons)


_GROUP_WORDS = {"not_available": "meets {when}, when they are not available", "full": "meets {when} and is full",
                "kept_apart": "meets {when}, with someone they must be kept apart from",
                "clash": "meets {when}; adding them would clash with other groups or rules"}


def _english_one(scenario: Scenario, why: Why) -> str:
    name = scenario.activity(why.activity).name
    if why.kind == "language":
        return f"{name}: it is held in {why.language}, which they do not list"
    if why.kind == "no_room":
        return f"{name}: no suitable room has {', '.join(why.needs)}"
    if why.kind == "too_few_days":
        return f"{name}: they are available on too few days when a facilitator can run it ({why.sessions} needed)"
    if why.kind == "no_group":
        return f"{name}: no group was opened (too few people could meet at common times)"
    parts = [_GROUP_WORDS[g.why].format(when=", ".join(slot_words(scenario, s) for s in g.sessions))
             for g in why.groups]
    if len(parts) == 1:
        return f"{name}: its one group {parts[0]}"
    if all(g.why == "full" for g in why.groups):
        return f"{name}: all {len(parts)} groups are full"
    return f"{name}: " + "; ".join(f"group {i + 1} {x}" for i, x in enumerate(parts))


def _why_not(scenario: Scenario, p: Any, options: _Options) -> Why:
    a, rooms, groups = options.activity, options.rooms, options.groups
    if a.language and a.language not in p.languages:
        return Why("language", a.id, language=a.language)
    if not could_join(scenario, p, a, options.slots, rooms):
        if p.needs and not any(set(p.needs) <= set(scenario.room(r).features) for r in rooms):
            return Why("no_room", a.id, needs=tuple(p.needs))
        return Why("too_few_days", a.id, sessions=a.sessions_per_week)
    if not groups:
        return Why("no_group", a.id)
    found = []
    for g in groups:
        if any(not p.can_attend(s) for s in g.sessions):
            why = "not_available"
        elif len(g.members) >= a.max_size or len(g.members) >= scenario.room(g.room).capacity:
            why = "full"
        elif any(q in g.members for pair in scenario.keep_apart if p.id in pair for q in pair if q != p.id):
            why = "kept_apart"
        else:
            why = "clash"
        found.append(GroupWhy(tuple(g.sessions), why))
    return Why("groups", a.id, groups=tuple(found))


def explain_infeasible(scenario: Scenario, params: Any, time_limit_s: float = 10.0) -> list[str]:
    b = build(scenario, symmetry_breaking=False, explaining=True, pins=params.pins)
    if not b.requirements:
        return ["the hard rules cannot all hold even without minimum group counts or pins; "
                "check that every activity has a suitable room and facilitators"]
    names = list(b.requirements)
    lits = [b.requirements[n] for n in names]

    def feasible(subset: list[int]) -> bool | None:
        m = b.model.clone()
        m.clear_assumptions()
        m.add_assumptions([m.get_bool_var_from_proto_index(lits[i].index) for i in subset])
        s = cp_model.CpSolver()
        s.parameters.max_time_in_seconds = time_limit_s / 4
        s.parameters.num_workers = 1
        # Most of these checks are feasible, and a plain search finds that at once: without presolve,
        # probing and the LP relaxation, one check on large.json takes 0.7 s instead of running out of
        # its time (small.json: 0.4 s instead of 1.4 s). An unknown answer only keeps a requirement in.
        s.parameters.cp_model_presolve = False
        s.parameters.cp_model_probing_level = 0
        s.parameters.linearization_level = 0
        s.parameters.random_seed = params.seed
        code = s.solve(m)
        if code == cp_model.INFEASIBLE:
            return False
        return True if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

    m = b.model.clone()
    m.add_assumptions([m.get_bool_var_from_proto_index(lit.index) for lit in lits])
    s = cp_model.CpSolver()
    s.parameters.max_time_in_seconds = time_limit_s
    s.parameters.num_workers = 1
    s.parameters.random_seed = params.seed
    if s.solve(m) != cp_model.INFEASIBLE:
        return []
    index = {lit.index: i for i, lit in enumerate(lits)}
    core = [index[i] for i in s.sufficient_assumptions_for_infeasibility() if i in index]
    if not core:
        return ["the hard rules cannot all hold together"]
    # Deletion: drop each requirement whose absence keeps the rest infeasible.
    for i in list(core):
        rest = [j for j in core if j != i]
        if rest and feasible(rest) is False:
            core = rest
    return ["these requirements cannot all hold together:"] + [names[i] for i in core]
