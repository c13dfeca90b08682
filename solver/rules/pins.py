"""A coordinator's pins are hard: a pinned group is open with exactly those slots, that room and
those facilitators; a pinned participant is a member of exactly those groups."""

from __future__ import annotations

from typing import Any

from solver.model import Built


def add(b: Built, pins: Any) -> None:
    if pins is None:
        return
    m, v, sc = b.model, b.vars, b.scenario

    def enforce(words: str, lits: list[Any]) -> None:
        """All of lits true (a False in lits makes the requirement impossible)."""
        lit = b.requirement(words)
        for x in lits:
            if isinstance(x, bool):
                if not x:
                    c = m.add_bool_or([])  # empty clause: cannot hold
                    if lit is not None:
                        c.only_enforce_if(lit)
                continue
            c = m.add_bool_and([x])
            if lit is not None:
                c.only_enforce_if(lit)

    def open_with(g: str, key: str, chosen: tuple[str, ...], table: dict[Any, Any]) -> list[Any]:
        if g not in b.groups:
            return [False]
        lits: list[Any] = [v.open[g]]
        for (gg, other), x in table.items():
            if gg == g:
                lits.append(x if other in chosen else x.Not())
        lits.extend(False for c in chosen if (g, c) not in table)
        return lits

    def name(g: str) -> str:
        if g in b.groups:
            return f"{b.groups[g].activity.name} group {b.groups[g].k}"
        return f"group {g}"

    for g, slots in pins.group_slots.items():
        when = ", ".join(_slot_words(sc, s) for s in slots)
        enforce(f"{name(g)} is pinned to {when}", open_with(g, "slot", tuple(slots), v.sess))
    for g, r in pins.group_rooms.items():
        enforce(f"{name(g)} is pinned to room {r}", open_with(g, "room", (r,), v.room))
    for g, fs in pins.group_facilitators.items():
        who = ", ".join(sc.facilitator(f).name if f in {x.id for x in sc.facilitators} else f for f in fs)
        enforce(f"{name(g)} is pinned to facilitator(s) {who}", open_with(g, "fac", tuple(fs), v.fac))
    for p, gs in pins.participant_groups.items():
        lits: list[Any] = []
        for (q, g), x in v.x.items():
            if q == p:
                lits.append(x if g in gs else x.Not())
        lits.extend(False for g in gs if (p, g) not in v.x)
        who = sc.participant(p).name if p in {x.id for x in sc.participants} else p
        enforce(f"{who} is pinned to {', '.join(name(g) for g in gs)}", lits)


def _slot_words(sc: Any, slot_id: str) -> str:
    try:
        s = sc.slot(slot_id)
    except KeyError:
        return slot_id
    return f"{('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday')[s.day]} " \
           f"{s.start // 60:02d}:{s.start % 60:02d}"
