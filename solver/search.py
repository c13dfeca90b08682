"""One CP-SAT search over one built model, and the incumbent that a whole solve shares between searches.

A solve runs several searches in turn (see ``solver.solve``): warm-up searches over smaller models
and then the full model. They share one :class:`Incumbent`, the best valid schedule found so far, so
progress is reported once per real improvement, whichever search found it, and the last search
starts from the best of the earlier ones.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.model import Built
from solver.schedule import Group

log = logging.getLogger("solver")

STATUS_NAMES = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.INFEASIBLE: "INFEASIBLE",
                cp_model.MODEL_INVALID: "UNKNOWN", cp_model.UNKNOWN: "UNKNOWN"}


@dataclass(frozen=True)
class Progress:
    elapsed_s: float
    objective: int
    bound: int
    covered: int
    # The schedule worth ``objective`` when it is in hand (the greedy start, a finished warm-up), so a
    # caller can keep the best so far should the process die; None when a running search has only
    # noted its objective (its solutions are decoded once it ends).
    groups: tuple[Group, ...] | None = None


class Incumbent:
    """The best valid schedule of a solve so far, and the progress shown for it.

    ``score`` maps groups to their score (the spec's terms, plus disruption when re-solving). A
    running search only *notes* its solutions (their model objective, cheap to read); they are
    decoded into groups once, when the search ends, since decoding every one of the hundreds a
    search finds would stall CP-SAT's workers inside the callback. The model objective never
    exceeds what a solution is worth (see ``score_terms``), so progress never overstates.

    The bound shown is ``cap`` (the seat bound) until a better one is proved: by the whole model, or
    by the coverage warm-up, whose proven coverage caps the seat bound. The first-choice warm-up runs
    on a smaller model, whose bound says nothing about the whole."""

    def __init__(self, t0: float, cap: int, score: Callable[[list[Group]], int],
                 on_progress: Callable[[Progress], None] | None) -> None:
        self.t0, self.cap, self.score_of, self.on_progress = t0, cap, score, on_progress
        self.groups: list[Group] | None = None
        self.score: int | None = None
        self.shown: int | None = None  # the best objective reported as progress
        self.bound = cap
        self.first_solution_s: float | None = None
        self.improved_at = t0  # monotonic time of the last improvement, noted or offered
        self.lock = threading.Lock()

    def offer(self, groups: list[Group]) -> bool:
        """Keep ``groups`` if they score better than the incumbent; True if kept."""
        value = self.score_of(groups)
        with self.lock:
            if self.score is not None and value <= self.score:
                return False
            self.groups, self.score = groups, value
        self.note(value, len({p for g in groups for p in g.members}), groups)
        return True

    def note(self, objective: int, covered: int, groups: list[Group] | None = None) -> None:
        """A search has found a schedule worth at least ``objective``: show it if it is the best yet."""
        with self.lock:
            if self.shown is not None and objective <= self.shown:
                return
            self.shown = objective
            self.improved_at = time.monotonic()
            if self.first_solution_s is None:
                self.first_solution_s = self.improved_at - self.t0
            progress = Progress(self.improved_at - self.t0, objective, max(self.bound, objective), covered,
                                tuple(groups) if groups is not None else None)
        if self.on_progress is not None:
            self.on_progress(progress)

    def tighten(self, bound: float) -> None:
        with self.lock:
            self.bound = min(self.bound, math.floor(bound + 1e-6))
            known = [v for v in (self.score, self.shown) if v is not None]
            if known:  # a proven bound is never below a schedule in hand
                self.bound = max(self.bound, *known)

    def reaches(self, objective: float) -> bool:
        """Whether a schedule worth ``objective`` is proven optimal by the bound known now."""
        return objective >= self.bound

    @property
    def proven_optimal(self) -> bool:
        return self.score is not None and self.reaches(self.score)


def configure(solver: cp_model.CpSolver, time_limit_s: float, workers: int, seed: int) -> None:
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    # One presolve round instead of the default several: on large scenarios the extra rounds took
    # ~6 s before any solution, for no better final score (measured on large and planted, 30 s).
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.log_search_progress = log.isEnabledFor(logging.DEBUG)
    solver.parameters.log_to_stdout = False
    solver.log_callback = log.debug


def apply_hint(b: Built, groups: Iterable[Group]) -> None:
    """Warm start from a schedule; only groups with our ids are used, anything missing is hinted off."""
    v = b.vars
    by_id = {g.id: g for g in groups}
    for g in b.groups:
        h = by_id.get(g)
        b.model.add_hint(v.open[g], h is not None)
        for s in b.group_slots[g]:
            b.model.add_hint(v.sess[g, s], h is not None and s in h.sessions)
    for (g, r), x in v.room.items():
        b.model.add_hint(x, g in by_id and by_id[g].room == r)
    for (g, f), x in v.fac.items():
        b.model.add_hint(x, g in by_id and f in by_id[g].facilitators)
    for (p, g), x in v.x.items():
        b.model.add_hint(x, g in by_id and p in by_id[g].members)

    # The auxiliary variables too: a hint that leaves them out makes CP-SAT search for their values
    # before it has a first solution, which on large scenarios costs most of a short time limit.
    def meets(g: str, s: str) -> bool:
        return g in by_id and s in by_id[g].sessions

    for (g, f, s), x in v.fac_sess.items():
        b.model.add_hint(x, meets(g, s) and f in by_id[g].facilitators)
    for (g, r, s), x in v.room_sess.items():
        b.model.add_hint(x, meets(g, s) and by_id[g].room == r)
    for (p, g, s), x in v.member_sess.items():
        b.model.add_hint(x, meets(g, s) and p in by_id[g].members)
    for g, size in v.size.items():
        b.model.add_hint(size, len([p for p in by_id[g].members if (p, g) in v.x]) if g in by_id else 0)
    hinted_members = {p for (p, g) in v.x if g in by_id and p in by_id[g].members}
    for p, covered in v.covered.items():
        b.model.add_hint(covered, p in hinted_members)


def canonical(schedule_groups: Iterable[Group]) -> list[Group]:
    """The same groups numbered as the model's symmetry breaking expects: per activity, largest first."""
    by_activity: dict[str, list[Group]] = {}
    for g in schedule_groups:
        by_activity.setdefault(g.activity, []).append(g)
    out = []
    for activity, groups in by_activity.items():
        ordered = sorted(groups, key=lambda g: (-len(g.members), g.id))
        out += [Group(f"{activity}-{k}", activity, g.sessions, g.room, g.facilitators, g.members)
                for k, g in enumerate(ordered, start=1)]
    return out


def decode(b: Built, value: Callable[[cp_model.IntVar], int]) -> list[Group]:
    """The open groups of a solution, read through ``value`` (a solver's or a callback's)."""
    v = b.vars
    rooms: dict[str, str] = {}
    for (g, r), x in v.room.items():
        if value(x):
            rooms[g] = r
    facilitators: dict[str, list[str]] = {}
    for (g, f), x in v.fac.items():
        if value(x):
            facilitators.setdefault(g, []).append(f)
    members: dict[str, list[str]] = {}
    for (p, g), x in v.x.items():
        if value(x):
            members.setdefault(g, []).append(p)
    groups = []
    for g, info in b.groups.items():
        if value(v.open[g]):
            sessions = tuple(s for s in b.group_slots[g] if value(v.sess[g, s]))
            groups.append(Group(g, info.activity.id, sessions, rooms[g], tuple(facilitators.get(g, ())),
                                tuple(members.get(g, ()))))
    return groups


@dataclass
class Live:
    """What a running search has shown so far, for a caller's ``give_up`` rule."""

    started: float  # monotonic
    bound: float | None = None  # this model's proven bound, once CP-SAT has one (after its first LP)
    improved_at: float | None = None  # monotonic time of this search's last better solution or bound

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def set_bound(self, bound: float) -> None:
        self.bound = bound
        self.improved_at = time.monotonic()


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Passes each improving solution to the incumbent; stops on cancel or once the cap is reached."""

    def __init__(self, b: Built, incumbent: Incumbent, live: Live, cancel: threading.Event | None,
                 proves_bound: bool, reports: bool) -> None:
        super().__init__()
        self.b, self.incumbent, self.live, self.cancel = b, incumbent, live, cancel
        self.proves_bound, self.reports = proves_bound, reports

    def on_solution_callback(self) -> None:
        self.live.improved_at = time.monotonic()
        if self.proves_bound:
            self.incumbent.tighten(self.best_objective_bound)
        if self.reports:
            objective = round(self.objective_value)
            self.incumbent.note(objective, sum(self.boolean_value(c) for c in self.b.vars.covered.values()))
            if self.incumbent.reaches(objective):
                self.stop_search()
        if self.cancel is not None and self.cancel.is_set():
            self.stop_search()


@dataclass(frozen=True)
class SearchResult:
    status: str  # CP-SAT's status of this search
    groups: list[Group] | None  # its best solution
    bound: float | None


def search(b: Built, incumbent: Incumbent, time_limit_s: float, workers: int, seed: int,
           cancel: threading.Event | None, *, proves_bound: bool, reports: bool = True,
           give_up: Callable[[Live], bool] | None = None) -> SearchResult:
    """Solve ``b`` (already hinted) within the time limit; improvements go to ``incumbent`` as found.

    ``proves_bound``: ``b`` is the whole problem, so its bound is a bound of the solve.
    ``reports``: ``b``'s objective is never more than the score of its solutions, so each one found
    is shown as progress at once; otherwise (another objective) only the final solution is offered.
    ``give_up``: checked ten times a second; the search stops when it says so (a warm-up that no
    longer helps is not worth the rest of its time)."""
    solver = cp_model.CpSolver()
    configure(solver, time_limit_s, workers, seed)
    done = threading.Event()
    live = Live(time.monotonic())
    if give_up is not None:
        solver.best_bound_callback = live.set_bound

    def watch() -> None:  # cancel or give up, even before a first solution
        while not done.wait(0.1):
            if (cancel is not None and cancel.is_set()) or (give_up is not None and give_up(live)):
                solver.stop_search()
                return

    thread = threading.Thread(target=watch, daemon=True) if cancel is not None or give_up is not None else None
    if thread:
        thread.start()
    try:
        code = solver.solve(b.model, _Watcher(b, incumbent, live, cancel, proves_bound, reports))
    finally:
        done.set()
    status = STATUS_NAMES.get(code, "UNKNOWN")
    if status not in ("OPTIMAL", "FEASIBLE"):
        return SearchResult(status, None, None)
    groups = decode(b, solver.boolean_value)
    incumbent.offer(groups)
    if proves_bound:
        incumbent.tighten(solver.best_objective_bound)
    return SearchResult(status, groups, solver.best_objective_bound)
