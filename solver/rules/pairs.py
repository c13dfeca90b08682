"""keep_apart: the two participants are never in the same group. keep_together: if both join the
same activity, they join the same group of it."""

from __future__ import annotations

from typing import Any

from solver.model import Built


def add(b: Built, _pins: Any) -> None:
    m, v = b.model, b.vars
    for p, q in b.scenario.keep_apart:
        for g in b.groups:
            if (p, g) in v.x and (q, g) in v.x:
                m.add_bool_or([v.x[p, g].Not(), v.x[q, g].Not()])
    for p, q in b.scenario.keep_together:
        for a in b.scenario.activities:
            gs = [g for g, info in b.groups.items() if info.activity.id == a.id]
            if not all((p, g) in v.x and (q, g) in v.x for g in gs):
                continue  # at most one of them can join this activity: nothing to keep together
            joins_p = sum(v.x[p, g] for g in gs)
            joins_q = sum(v.x[q, g] for g in gs)
            for g in gs:
                # p in g and q in the activity => q in g (and the other way round).
                m.add(v.x[p, g] + joins_q - v.x[q, g] <= 1)
                m.add(v.x[q, g] + joins_p - v.x[p, g] <= 1)
