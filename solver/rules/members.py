"""Members join only activities they want (only those get a variable), at most one group per activity
and at most max_groups groups; they are available at every session slot of their groups and never in
two groups at one slot. A participant is covered when in at least one group."""

from __future__ import annotations

from typing import Any

from solver.model import Built, link_and


def add(b: Built, _pins: Any) -> None:
    m, v, sc = b.model, b.vars, b.scenario
    mine: dict[str, list[str]] = {}
    for (p, g), x in v.x.items():
        mine.setdefault(p, []).append(g)
        m.add_implication(x, v.open[g])
        person = sc.participant(p)
        for s in b.group_slots[g]:
            if not person.can_attend(s):
                m.add_bool_or([x.Not(), v.sess[g, s].Not()])
    at_slot: dict[tuple[str, str], list[Any]] = {}
    for (p, g, s), z in v.member_sess.items():
        link_and(m, z, v.x[p, g], v.sess[g, s])
        at_slot.setdefault((p, s), []).append(z)
    for zs in at_slot.values():
        if len(zs) > 1:
            m.add_at_most_one(zs)
    for person in sc.participants:
        gs = mine.get(person.id, [])
        per_activity: dict[str, list[Any]] = {}
        for g in gs:
            per_activity.setdefault(b.groups[g].activity.id, []).append(v.x[person.id, g])
        for xs in per_activity.values():
            m.add_at_most_one(xs)
        if len(per_activity) > person.max_groups:
            m.add(sum(v.x[person.id, g] for g in gs) <= person.max_groups)
        m.add(v.covered[person.id] <= sum(v.x[person.id, g] for g in gs))
