"""The public API: ``solve(scenario, params, on_progress, cancel) -> Schedule``.

Every solve is explicit about its time limit, workers and seed. CP-SAT's log goes to ``logging``.
When the requirements (min_groups, pins) cannot all hold, a separate feasibility solve with
assumptions names the conflicting ones (``solver.explain``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from solver.bounds import seat_bound, timetable_bound
from solver.greedy import greedy_schedule, polished
from solver.model import build
from solver.objective import Weights, add_objective, score_terms
from solver.scenario import Scenario
from solver.schedule import Group, Schedule, Unassigned
from solver.search import (
    Incumbent,
    Live,
    Progress,
    SearchResult,
    apply_hint,
    canonical,
    search,
)
from solver.seating import fill
from solver.stability import Stability, add_disruption, moves, still_valid, valid


@dataclass(frozen=True)
class Pins:
    group_slots: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    group_rooms: Mapping[str, str] = field(default_factory=dict)
    group_facilitators: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    participant_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.group_slots or self.group_rooms or self.group_facilitators or self.participant_groups)


@dataclass(frozen=True)
class SolveParams:
    time_limit_s: float = 60.0
    workers: int = 2
    seed: int = 0
    weights: Weights = field(default_factory=Weights)
    pins: Pins = field(default_factory=Pins)
    hint: Schedule | None = None
    # Re-solving mid-term: stay close to this published schedule (see solver.stability).
    stability: Stability | None = None


log = logging.getLogger("solver")

# Warm-up before the whole model: the same scenario with every participant's preferences cut to their
# first choice. Far fewer memberships, so the search moves fast, and whatever it finds is valid for
# the whole scenario. It is worth it only when first choices alone can come within WARM_UP_NEAR_CAP of
# the cap (nearly everyone can have their first choice, as in planted.json): the seat bound of the
# first-choice scenario tells before anything is built (on the other shared scenarios it is 85% to 91%
# of the cap, and the warm-up is skipped), and the warm-up's own proven bound, once known, can still
# say otherwise. It goes on, up to WARM_UP_MAX_SHARE of the time limit, while it keeps improving the
# best schedule at least every WARM_UP_STALL of the time limit; without a bound by WARM_UP_SHARE, it stops.
WARM_UP_SHARE = 0.1
WARM_UP_MAX_SHARE = 0.5
WARM_UP_NEAR_CAP = 0.01
WARM_UP_STALL = 0.1

# Then a second warm-up: the whole scenario with coverage alone as the objective (how many people
# are in a group). CP-SAT finds schedules that seat many more people this way than under the full
# score, whose rank points pull the search towards seating the same people well; the best of them,
# polished like the greedy start (free seats filled, better-ranked seats taken), becomes the start
# of the whole model, which then earns the points. It runs for up to COVERAGE_WARM_UP_SHARE of the
# time limit, and stops once neither its coverage nor its bound has moved for COVERAGE_WARM_UP_STALL of it.
# It is skipped when the greedy start already seats all but COVERAGE_WARM_UP_NEAR_ALL of the people the
# seat bound could seat (xl.json: 1 479 of 1 488), as the search has next to nothing to find there and
# its build and presolve take time from the whole model.
COVERAGE_WARM_UP_SHARE = 0.15
COVERAGE_WARM_UP_STALL = 0.04
COVERAGE_WARM_UP_NEAR_ALL = 0.01
COVERAGE_ONLY = Weights(coverage=1, rank_points=(), size_balance=0, if_needed=0)

# The timetable bound (``solver.bounds.timetable_bound``, a linear program over slot patterns) is much
# tighter than the seat bound where the timetable decides who can join what (medium.json: 32 704
# against 33 529, proven in about a second), and CP-SAT's own bound does not get there in a minute.
# It is worked out only when the best schedule so far is more than TIMETABLE_BOUND_WORTH below the seat
# bound: on xl.json, 1.1% below, it gains 56 points for about 10 s taken from the search. GLOP gets at
# most TIMETABLE_BOUND_SHARE of the time limit.
TIMETABLE_BOUND_WORTH = 0.02
TIMETABLE_BOUND_SHARE = 0.1


# Filled by the last solve, for the benchmark (model build time and time to a first solution).
last_stats: dict[str, float | None] = {}


def solve(scenario: Scenario, params: SolveParams | None = None,
          on_progress: Callable[[Progress], None] | None = None,
          cancel: threading.Event | None = None) -> Schedule:
    """The best schedule found within ``params.time_limit_s``, with its score, a proven bound and reasons.

    Without pins, a hint or a baseline, the solve is a cascade: a greedy schedule (valid by
    construction, reported at once), then, where first choices alone could come near the seat bound,
    a warm-up search on the first-choice scenario (see WARM_UP_SHARE), then a search for coverage
    alone (see COVERAGE_WARM_UP_SHARE), then the whole model, started from the best schedule so far.
    The bound is the seat bound, capped by the timetable bound where the start is far from it (see
    TIMETABLE_BOUND_WORTH), by the coverage the coverage search proves, and by the whole model's own.
    When staying close to a published schedule, that schedule, thinned to what is still valid
    (``offer_baseline``), is the first schedule instead of the greedy one."""
    from solver.explain import explain_infeasible, explain_unassigned

    params = params or SolveParams()
    t0 = time.monotonic()
    deadline = t0 + params.time_limit_s
    weights = params.weights
    cap = seat_bound(scenario, weights)  # proven without search; reaching it proves optimality

    def score(groups: list[Group]) -> int:
        total = sum(score_terms(scenario, groups, weights).values())
        if params.stability is not None:
            total -= moves(params.stability.baseline, groups).points(params.stability)
        return total

    incumbent = Incumbent(t0, cap, score, on_progress)

    def more_to_find() -> bool:  # each search in turn runs only if this still holds
        return not incumbent.proven_optimal and not (cancel is not None and cancel.is_set())

    free = params.hint is None and not params.pins and params.stability is None
    start = params.hint or (params.stability.baseline if params.stability else None)
    if free:
        greedy_schedule(scenario, score=lambda groups: score(list(groups)),
                        on_better=lambda groups: incumbent.offer(list(groups)))
        shortened = first_choices_worth_a_warm_up(scenario, weights, cap)
        if shortened is not None and more_to_find():
            _warm_up(shortened, scenario, incumbent, params, cancel)
        if more_to_find() and (incumbent.score is None or incumbent.score < (1 - TIMETABLE_BOUND_WORTH) * cap):
            tighter = timetable_bound(scenario, weights, TIMETABLE_BOUND_SHARE * params.time_limit_s)
            log.info("timetable bound %s (seat bound %s), %.1f s in", tighter, cap, time.monotonic() - t0)
            if tighter is not None:
                incumbent.tighten(tighter)
        if weights.coverage > 0 and coverage_worth_a_warm_up(scenario, incumbent.groups) and more_to_find():
            coverage_warm_up(scenario, incumbent, params, cancel, score)
    elif params.stability is not None:
        offer_baseline(scenario, params.stability.baseline, params.pins, incumbent)
    build_t0 = time.monotonic()
    # Symmetry breaking numbers interchangeable groups; pins, a given hint or a baseline name groups.
    b = build(scenario, symmetry_breaking=free, pins=params.pins)
    add_objective(b, weights)
    if params.stability is not None:
        b.terms["disruption"] = -add_disruption(b, params.stability)
        b.model.maximize(sum(b.terms.values()))
    if free and incumbent.groups is not None:
        apply_hint(b, canonical(incumbent.groups))
    elif start is not None:
        apply_hint(b, start.groups)
    build_s = time.monotonic() - build_t0
    result = SearchResult("UNKNOWN", None, None)
    if more_to_find():
        result = search(b, incumbent, deadline - time.monotonic(), params.workers, params.seed, cancel,
                        proves_bound=True)
    wall = round(time.monotonic() - t0, 3)
    last_stats.clear()
    last_stats.update(build_s=build_s, first_solution_s=incumbent.first_solution_s, solve_s=wall - build_s)
    if result.status == "INFEASIBLE" or (incumbent.groups is None and (params.pins or any(
            a.min_groups for a in scenario.activities))):
        explanation = explain_infeasible(scenario, params)
        if explanation:
            return Schedule(status="INFEASIBLE", wall_s=wall, explanation=tuple(explanation))
    if incumbent.groups is None or incumbent.score is None:
        return Schedule(status=result.status if result.status != "INFEASIBLE" else "UNKNOWN", wall_s=wall)
    groups = canonical(incumbent.groups) if free else incumbent.groups
    terms = score_terms(scenario, groups, weights)
    if params.stability is not None:
        terms["disruption"] = -moves(params.stability.baseline, groups).points(params.stability)
    objective = sum(terms.values())
    # The whole model's OPTIMAL has tightened the bound to its objective, so this covers it too.
    status = "OPTIMAL" if incumbent.proven_optimal else "FEASIBLE"
    bound = max(objective, incumbent.bound)
    schedule = Schedule(status=status, groups=tuple(groups), objective=objective, bound=bound,
                        wall_s=wall, score_terms=terms)
    unassigned = tuple(Unassigned(p, reason) for p, reason in explain_unassigned(scenario, schedule).items())
    return replace(schedule, unassigned=unassigned)


def offer_baseline(scenario: Scenario, baseline: Schedule, pins: Pins, incumbent: Incumbent) -> None:
    """Staying close to a published schedule: offer it, thinned to what is still valid, as the first
    schedule, then that with free seats filled (``fill``; its moves cost disruption, so the score
    decides). On large.json the model takes seconds to build and the search may find nothing before
    a short time limit or a cancel; the build then still ends with the published schedule, adjusted."""
    kept = still_valid(scenario, baseline)
    if kept is None or not honours(pins, kept):
        return
    incumbent.offer(kept)
    filled = fill(scenario, kept)
    if valid(scenario, filled) and honours(pins, filled):
        incumbent.offer(filled)


def honours(pins: Pins, groups: list[Group]) -> bool:
    """Whether ``groups`` keep every pin (see ``solver.rules.pins``): pins are hard, the checker knows none."""
    by_id = {g.id: g for g in groups}
    joined: dict[str, set[str]] = {}
    for g in groups:
        for p in g.members:
            joined.setdefault(p, set()).add(g.id)
    return (all(g in by_id and set(by_id[g].sessions) == set(s) for g, s in pins.group_slots.items())
            and all(g in by_id and by_id[g].room == r for g, r in pins.group_rooms.items())
            and all(g in by_id and set(by_id[g].facilitators) == set(fs) for g, fs in pins.group_facilitators.items())
            and all(joined.get(p, set()) == set(gs) for p, gs in pins.participant_groups.items()))


def first_choices_worth_a_warm_up(scenario: Scenario, weights: Weights, cap: int) -> Scenario | None:
    """The scenario with every participant's preferences cut to their first, if its seat bound comes
    within WARM_UP_NEAR_CAP of ``cap``; None if not, or if that cuts nothing."""
    if all(len(p.preferences) <= 1 for p in scenario.participants):
        return None
    people = tuple(replace(p, preferences=p.preferences[:1]) for p in scenario.participants)
    shortened = replace(scenario, participants=people)
    return shortened if seat_bound(shortened, weights) >= (1 - WARM_UP_NEAR_CAP) * cap else None


def _warm_up(shortened: Scenario, scenario: Scenario, incumbent: Incumbent, params: SolveParams,
             cancel: threading.Event | None) -> list[Group] | None:
    """Search the first-choice model (see WARM_UP_NEAR_CAP); its best schedule, second choices filled in."""
    b = build(shortened)
    add_objective(b, params.weights)
    if incumbent.groups is not None:
        apply_hint(b, canonical(incumbent.groups))
    limit = params.time_limit_s

    def give_up(live: Live) -> bool:
        if live.bound is None:
            return live.elapsed() > WARM_UP_SHARE * limit
        if live.bound < (1 - WARM_UP_NEAR_CAP) * incumbent.cap:
            return True
        return time.monotonic() - max(live.started, incumbent.improved_at) > WARM_UP_STALL * limit

    started = time.monotonic()
    warmed = search(b, incumbent, WARM_UP_MAX_SHARE * limit, params.workers, params.seed, cancel,
                    proves_bound=False, give_up=give_up)
    log.info("first-choice warm-up: %.1f s, %s, its bound %s, best score so far %s",
             time.monotonic() - started, warmed.status, warmed.bound, incumbent.score)
    if warmed.groups is None:
        return None
    filled = fill(scenario, warmed.groups)
    incumbent.offer(filled)
    return filled


def coverage_worth_a_warm_up(scenario: Scenario, groups: list[Group] | None) -> bool:
    """Whether ``groups`` (the greedy start) leave more than COVERAGE_WARM_UP_NEAR_ALL of those who could
    be seated at all without a group."""
    covered = len({p for g in groups for p in g.members}) if groups else 0
    return covered < (1 - COVERAGE_WARM_UP_NEAR_ALL) * seat_bound(scenario, COVERAGE_ONLY)


def coverage_warm_up(scenario: Scenario, incumbent: Incumbent, params: SolveParams,
                      cancel: threading.Event | None, score: Callable[[list[Group]], int]) -> None:
    """Search the whole scenario for coverage alone (see COVERAGE_WARM_UP_SHARE), and offer its best
    schedule, polished, to the incumbent. Its objective is not the score, so it shows no progress of
    its own: only what it offers at the end, scored in full. The coverage it proves no schedule can
    beat tightens the seat bound (see ``solver.bounds``)."""
    b = build(scenario)
    add_objective(b, COVERAGE_ONLY)
    if incumbent.groups is not None:
        apply_hint(b, canonical(incumbent.groups))
    limit = params.time_limit_s

    def give_up(live: Live) -> bool:  # until its first solution or bound, only its time limit stops it
        return live.improved_at is not None and time.monotonic() - live.improved_at > COVERAGE_WARM_UP_STALL * limit

    started = time.monotonic()
    found = search(b, incumbent, COVERAGE_WARM_UP_SHARE * limit, params.workers, params.seed, cancel,
                   proves_bound=False, reports=False, give_up=give_up)
    if found.groups is not None:
        incumbent.offer(list(polished(scenario, tuple(found.groups), lambda groups: score(list(groups)))))
    if found.bound is not None:  # proven: no schedule seats more people than this
        incumbent.tighten(seat_bound(scenario, params.weights, max_covered=math.floor(found.bound + 1e-6)))
    log.info("coverage warm-up: %.1f s, %s, coverage bound %s, best score so far %s, bound %s",
             time.monotonic() - started, found.status, found.bound, incumbent.score, incumbent.bound)
