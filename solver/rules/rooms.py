"""Each open group keeps one room for all its sessions; a room holds at most one session per slot,
seats at least the group's members, and has every feature of the activity (only such rooms get a
variable) and every need of every member."""

from __future__ import annotations

from typing import Any

from solver.model import Built, link_and


def add(b: Built, _pins: Any) -> None:
    m, v, sc = b.model, b.vars, b.scenario
    rooms_of: dict[str, list[str]] = {}
    for (g, r) in v.room:
        rooms_of.setdefault(g, []).append(r)
    per_room_slot: dict[tuple[str, str], list[Any]] = {}
    for g in b.groups:
        rs = rooms_of.get(g, [])
        m.add(sum(v.room[g, r] for r in rs) == v.open[g])
        m.add(v.size[g] <= sum(sc.room(r).capacity * v.room[g, r] for r in rs))
        for s in b.group_slots[g]:
            here = []
            for r in rs:
                z = v.room_sess[g, r, s]
                link_and(m, z, v.room[g, r], v.sess[g, s])
                here.append(z)
                per_room_slot.setdefault((r, s), []).append(z)
            m.add(sum(here) == v.sess[g, s])  # redundant: a session is in exactly one room
    for zs in per_room_slot.values():
        if len(zs) > 1:
            m.add_at_most_one(zs)
    for (p, g), x in v.x.items():
        needs = set(sc.participant(p).needs)
        if needs:
            for r in rooms_of.get(g, []):
                if not needs <= set(sc.room(r).features):
                    m.add_bool_or([x.Not(), v.room[g, r].Not()])
