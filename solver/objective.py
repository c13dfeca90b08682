"""The soft terms of the score, each with a name; weights come from the caller, never from the rules.

    coverage          weight × participants in at least one group
    rank_points       points of each membership by preference rank (10, 7, 5, 3, 2, then 1)
    size_balance      − weight × Σ activities (largest − smallest open group)
    if_needed         − weight × sessions a member or facilitator attends in an if-needed slot
    facilitator_load  − weight × (busiest − least busy facilitator, in sessions); off by default
``add_objective`` states them over the model's variables; ``score_terms`` computes them from a
schedule's groups, which is what a schedule is really worth. (The ``disruption`` term of a re-solve
lives in ``solver.stability``.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from solver.model import Built
from solver.scenario import Scenario
from solver.schedule import Group


@dataclass(frozen=True)
class Weights:
    """What the score rewards (coverage, rank points) and what it charges (the rest), all at least 0."""

    coverage: int = 100
    rank_points: tuple[int, ...] = (10, 7, 5, 3, 2, 1)  # last value repeats for rank 6+
    size_balance: int = 5
    if_needed: int = 2
    facilitator_load: int = 0

    def __post_init__(self) -> None:
        # A negative weight would turn a reward into a charge or the other way round, and the bounds
        # (solver.bounds) rely on the signs.
        for name in ("coverage", "size_balance", "if_needed", "facilitator_load"):
            if getattr(self, name) < 0:
                raise ValueError(f"weight {name} must be 0 or more, not {getattr(self, name)}")
        if any(points < 0 for points in self.rank_points):
            raise ValueError(f"rank points must be 0 or more, not {list(self.rank_points)}")


def rank_points(weights: Any, rank: int) -> int:
    """Points for a membership in the activity at 0-based preference position ``rank``."""
    pts = weights.rank_points
    return pts[min(rank, len(pts) - 1)] if pts else 0


def add_objective(b: Built, weights: Any) -> dict[str, cp_model.LinearExprT]:
    m, v, sc = b.model, b.vars, b.scenario
    terms: dict[str, cp_model.LinearExprT] = {}
    terms["coverage"] = weights.coverage * sum(v.covered.values())
    terms["rank_points"] = sum(
        rank_points(weights, sc.participant(p).preferences.index(b.groups[g].activity.id)) * x
        for (p, g), x in v.x.items())
    spread = []
    if weights.size_balance:
        for a in sc.activities:
            gs = [g for g, info in b.groups.items() if info.activity.id == a.id]
            if len(gs) < 2:
                continue
            hi = m.new_int_var(0, a.max_size, f"largest[{a.id}]")
            lo = m.new_int_var(0, a.max_size, f"smallest[{a.id}]")
            for g in gs:
                m.add(hi >= v.size[g])
                m.add(lo <= v.size[g] + a.max_size * (1 - v.open[g]))
            m.add(lo <= hi)
            spread.append(hi - lo)
    terms["size_balance"] = -weights.size_balance * sum(spread)
    if_needed = [z for (p, _g, s), z in v.member_sess.items() if s in sc.participant(p).if_needed]
    if_needed += [z for (_g, f, s), z in v.fac_sess.items() if s in sc.facilitator(f).if_needed]
    terms["if_needed"] = -weights.if_needed * sum(if_needed)
    load_spread: cp_model.LinearExprT = 0
    if weights.facilitator_load and len(sc.facilitators) > 1:
        loads: dict[str, list[Any]] = {f.id: [] for f in sc.facilitators}
        for (_g, f, _s), z in v.fac_sess.items():
            loads[f].append(z)
        cap = max(f.max_sessions_per_week for f in sc.facilitators)
        hi = m.new_int_var(0, cap, "busiest")
        lo = m.new_int_var(0, cap, "least_busy")
        for zs in loads.values():
            m.add(hi >= sum(zs))
            m.add(lo <= sum(zs))
        load_spread = hi - lo
    terms["facilitator_load"] = -weights.facilitator_load * load_spread
    m.maximize(sum(terms.values()))
    b.terms = terms
    return terms


def trivial_bound(scenario: Any, weights: Any) -> int:
    """Every participant covered, each in their top max_groups wanted activities."""
    total = 0
    for p in scenario.participants:
        n = min(p.max_groups, len(p.preferences))
        if n:
            total += weights.coverage + sum(rank_points(weights, r) for r in range(n))
    return total


def score_terms(scenario: Scenario, groups: Iterable[Group], weights: Any) -> dict[str, int]:
    """The named parts of the score of ``groups``, computed from the groups themselves.

    The model states coverage and the spreads with one-sided bounds (covered <= its memberships,
    largest >= every size), exact only at the optimum, so a search stopped early can under-count
    its own solution; this is what the schedule is really worth."""
    sizes: dict[str, list[int]] = {}
    loads = {f.id: 0 for f in scenario.facilitators}
    covered: set[str] = set()
    points = if_needed = 0
    for group in groups:
        sizes.setdefault(group.activity, []).append(len(group.members))
        for p in group.members:
            person = scenario.participant(p)
            covered.add(p)
            points += rank_points(weights, person.preferences.index(group.activity))
            if_needed += sum(1 for s in group.sessions if s in person.if_needed)
        for f in group.facilitators:
            loads[f] += len(group.sessions)
            if_needed += sum(1 for s in group.sessions if s in scenario.facilitator(f).if_needed)
    spread = sum(max(s) - min(s) for s in sizes.values() if len(s) > 1)
    load_spread = max(loads.values()) - min(loads.values()) if len(loads) > 1 else 0
    return {"coverage": weights.coverage * len(covered), "rank_points": points,
            "size_balance": -weights.size_balance * spread, "if_needed": -weights.if_needed * if_needed,
            "facilitator_load": -weights.facilitator_load * load_spread}
