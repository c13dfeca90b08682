"""The CP-SAT model: one container of variables, built from the rule list in ``solver.rules``.

Only variables that can be true are created: a participant gets a membership variable only for
the groups of activities they want, speak the language of and could meet in; a facilitator only
for groups whose skills and language they have. Groups of one activity are interchangeable, so
unless a hint or pins name groups, open groups come first and larger groups before smaller ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solver.scenario import Activity, Participant, Scenario


@dataclass(frozen=True)
class GroupInfo:
    id: str
    activity: Activity
    k: int  # 1-based position among the activity's groups


@dataclass
class Vars:
    """Every decision variable of the model, keyed by ids."""

    open: dict[str, cp_model.IntVar] = field(default_factory=dict)  # group
    sess: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)  # (group, slot)
    room: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)  # (group, room)
    fac: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)  # (group, facilitator)
    fac_sess: dict[tuple[str, str, str], cp_model.IntVar] = field(default_factory=dict)  # (group, fac, slot)
    room_sess: dict[tuple[str, str, str], cp_model.IntVar] = field(default_factory=dict)  # (group, room, slot)
    x: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)  # (participant, group)
    member_sess: dict[tuple[str, str, str], cp_model.IntVar] = field(default_factory=dict)  # (p, group, slot)
    size: dict[str, cp_model.IntVar] = field(default_factory=dict)  # group
    covered: dict[str, cp_model.IntVar] = field(default_factory=dict)  # participant


@dataclass
class Built:
    """A model ready to solve, with its variables and the requirement literals used to explain."""

    scenario: Scenario
    model: cp_model.CpModel
    vars: Vars
    groups: dict[str, GroupInfo]
    group_slots: dict[str, list[str]]  # candidate slots per group
    symmetry_breaking: bool
    # Requirements that may conflict (min_groups, pins): words -> literal that enforces them.
    requirements: dict[str, cp_model.IntVar] = field(default_factory=dict)
    terms: dict[str, cp_model.LinearExprT] = field(default_factory=dict)  # named soft terms (weighted)

    def requirement(self, words: str) -> cp_model.IntVar | None:
        """A literal enforcing one nameable requirement when explaining, else None (always enforced)."""
        if words in self.requirements:
            return self.requirements[words]
        if not self.explaining:
            return None
        lit = self.model.new_bool_var(f"req{len(self.requirements)}")
        self.requirements[words] = lit
        return lit

    explaining: bool = False


def group_ids(activity: Activity) -> list[str]:
    return [f"{activity.id}-{k}" for k in range(1, activity.max_groups + 1)]


def eligible_facilitators(scenario: Scenario, activity: Activity) -> list[str]:
    out = []
    for f in scenario.facilitators:
        if not set(activity.required_skills) <= set(f.skills):
            continue
        if activity.language and activity.language not in f.languages:
            continue
        out.append(f.id)
    return out


def eligible_rooms(scenario: Scenario, activity: Activity) -> list[str]:
    return [r.id for r in scenario.rooms
            if set(activity.room_features) <= set(r.features) and r.capacity >= max(activity.min_size, 1)]


def could_join(scenario: Scenario, p: Participant, activity: Activity, slots: list[str], rooms: list[str]) -> bool:
    """Cheap necessary conditions, so hopeless memberships get no variable."""
    if activity.language and activity.language not in p.languages:
        return False
    days = {scenario.slot(s).day for s in slots if p.can_attend(s)}
    if len(days) < activity.sessions_per_week:
        return False
    return any(set(p.needs) <= set(scenario.room(r).features) for r in rooms)


def build(scenario: Scenario, *, symmetry_breaking: bool = True, explaining: bool = False,
          pins: object | None = None) -> Built:
    """Variables for every group, slot, room, facilitator and membership that can be true, then the rules."""
    from solver.rules import RULES  # late import: rules import this module for the types

    m = cp_model.CpModel()
    v = Vars()
    groups: dict[str, GroupInfo] = {}
    group_slots: dict[str, list[str]] = {}
    for a in scenario.activities:
        facs = eligible_facilitators(scenario, a)
        rooms = eligible_rooms(scenario, a)
        # A slot is usable only if enough eligible facilitators could be there.
        slots = [s.id for s in scenario.slots
                 if sum(scenario.facilitator(f).can_attend(s.id) for f in facs) >= a.facilitators_per_group]
        for k, g in enumerate(group_ids(a), start=1):
            groups[g] = GroupInfo(g, a, k)
            group_slots[g] = slots
            v.open[g] = m.new_bool_var(f"open[{g}]")
            for s in slots:
                v.sess[g, s] = m.new_bool_var(f"sess[{g},{s}]")
            for r in rooms:
                v.room[g, r] = m.new_bool_var(f"room[{g},{r}]")
            for f in facs:
                v.fac[g, f] = m.new_bool_var(f"fac[{g},{f}]")
                for s in slots:
                    if scenario.facilitator(f).can_attend(s):
                        v.fac_sess[g, f, s] = m.new_bool_var(f"fs[{g},{f},{s}]")
            for r in rooms:
                for s in slots:
                    v.room_sess[g, r, s] = m.new_bool_var(f"rs[{g},{r},{s}]")
            v.size[g] = m.new_int_var(0, a.max_size, f"size[{g}]")
        for p in scenario.participants:
            if a.id in p.preferences and could_join(scenario, p, a, slots, rooms):
                for g in group_ids(a):
                    v.x[p.id, g] = m.new_bool_var(f"x[{p.id},{g}]")
    for p in scenario.participants:
        v.covered[p.id] = m.new_bool_var(f"covered[{p.id}]")
    by_person: dict[str, list[str]] = {}
    for (pid, g) in v.x:
        by_person.setdefault(pid, []).append(g)
    for pid, gs in by_person.items():
        p = scenario.participant(pid)
        # Who is in a group at a slot only matters to forbid two groups at once (possible only with
        # two wanted activities) and to count if-needed sessions.
        several = p.max_groups >= 2 and len({groups[g].activity.id for g in gs}) >= 2
        for g in gs:
            for s in group_slots[g]:
                if p.can_attend(s) and (several or s in p.if_needed):
                    v.member_sess[pid, g, s] = m.new_bool_var(f"ms[{pid},{g},{s}]")
    built = Built(scenario, m, v, groups, group_slots, symmetry_breaking, explaining=explaining)
    for rule in RULES:
        rule(built, pins)
    return built


def link_and(m: cp_model.CpModel, z: cp_model.IntVar, a: cp_model.IntVar, b: cp_model.IntVar) -> None:
    """z == a AND b. Both directions, so z can be counted exactly (loads, if-needed sessions)."""
    m.add_bool_or([a.Not(), b.Not(), z])
    m.add_implication(z, a)
    m.add_implication(z, b)
