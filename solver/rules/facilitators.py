"""Each open group has exactly facilitators_per_group facilitators, each with every required skill and
the activity's language (only such facilitators get a variable), available at every session slot, in
at most one session per slot, and in at most max_sessions_per_week sessions in total."""

from __future__ import annotations

from typing import Any

from solver.model import Built, link_and


def add(b: Built, _pins: Any) -> None:
    m, v, sc = b.model, b.vars, b.scenario
    for g, info in b.groups.items():
        facs = [f for (gg, f) in v.fac if gg == g]
        m.add(sum(v.fac[g, f] for f in facs) == info.activity.facilitators_per_group * v.open[g])
        for s in b.group_slots[g]:
            here = []
            for f in facs:
                z = v.fac_sess.get((g, f, s))
                if z is None:  # not available then: not both this facilitator and this slot
                    m.add_bool_or([v.fac[g, f].Not(), v.sess[g, s].Not()])
                else:
                    link_and(m, z, v.fac[g, f], v.sess[g, s])
                    here.append(z)
            # Redundant, tightens the relaxation: a session has exactly its facilitators present.
            m.add(sum(here) == info.activity.facilitators_per_group * v.sess[g, s])
    per_fac_slot: dict[tuple[str, str], list[Any]] = {}
    per_fac: dict[str, list[Any]] = {}
    for (_g, f, s), z in v.fac_sess.items():
        per_fac_slot.setdefault((f, s), []).append(z)
        per_fac.setdefault(f, []).append(z)
    for zs in per_fac_slot.values():
        if len(zs) > 1:
            m.add_at_most_one(zs)
    for f, zs in per_fac.items():
        m.add(sum(zs) <= sc.facilitator(f).max_sessions_per_week)
