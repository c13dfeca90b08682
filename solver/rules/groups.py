"""An open group has exactly sessions_per_week sessions in distinct slots on distinct days, and
between min_size and max_size members; each activity opens between min_groups and max_groups groups."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from solver.model import Built


def add(b: Built, _pins: Any) -> None:
    m, v = b.model, b.vars
    by_activity: dict[str, list[str]] = {}
    for g, info in b.groups.items():
        a = info.activity
        by_activity.setdefault(a.id, []).append(g)
        slots = b.group_slots[g]
        m.add(sum(v.sess[g, s] for s in slots) == a.sessions_per_week * v.open[g])
        days: dict[int, list[str]] = {}
        for s in slots:
            days.setdefault(b.scenario.slot(s).day, []).append(s)
        for same_day in days.values():
            if len(same_day) > 1:
                m.add_at_most_one(v.sess[g, s] for s in same_day)
        members = [x for (p, gg), x in v.x.items() if gg == g]
        m.add(v.size[g] == sum(members))
        m.add(v.size[g] >= a.min_size * v.open[g])
        m.add(v.size[g] <= a.max_size * v.open[g])
    for a in b.scenario.activities:
        gs = by_activity[a.id]
        if a.min_groups:
            lit = b.requirement(f"{a.name} must open at least {a.min_groups} group(s)")
            c = m.add(sum(v.open[g] for g in gs) >= a.min_groups)
            if lit is not None:
                c.only_enforce_if(lit)
        if b.symmetry_breaking:
            # Groups of one activity are interchangeable: open ones first, larger before smaller.
            for g1, g2 in pairwise(gs):
                m.add_implication(v.open[g2], v.open[g1])
                m.add(v.size[g1] >= v.size[g2])
