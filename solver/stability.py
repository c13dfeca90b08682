"""Minimal disruption: re-solving mid-term from a published schedule (the *baseline*).

People have started coming to their groups, so the new schedule should change only what must
change. Every difference from the baseline costs points:

    disruption  − Σ  participant  × memberships of the baseline that are dropped
                     slot         × weekly slots of a baseline group that move
                     room         × baseline groups in another room
                     facilitator  × baseline facilitators no longer leading their group

A baseline choice the new scenario makes impossible (a participant who left, a slot someone is no
longer available in) costs its points whatever the solver does: it is a constant, not a choice.
The baseline is also the solution hint, so the search starts from "change nothing", and, thinned
to what is still valid (``still_valid``), the first schedule a re-solve offers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from solver.check import check_schedule
from solver.model import Built
from solver.scenario import Scenario
from solver.schedule import Group, Schedule, Unassigned
from solver.seating import Bookings


@dataclass(frozen=True)
class Stability:
    """The published schedule to stay close to, and what each kind of move costs (in score points;
    covering one more participant is worth 100 and a first choice 10 by default)."""

    baseline: Schedule
    # More than anything one move can win: covering someone new (100 + 10), a better choice for the
    # one moved (at most 9 points) and evener groups (5 a place, up to two places): nobody is moved
    # to make room. (At 120 the re-solve benchmark saw one unaffected participant moved in some runs.)
    participant: int = 150
    slot: int = 30
    room: int = 15
    facilitator: int = 30


def add_disruption(b: Built, stability: Stability) -> cp_model.LinearExprT:
    """The cost of moving away from the baseline, as a (positive) expression over the model's variables."""
    v = b.vars
    cost: list[cp_model.LinearExprT] = []
    for group in stability.baseline.groups:
        for p in group.members:
            cost.append(stability.participant * (1 - v.x[p, group.id]) if (p, group.id) in v.x
                        else stability.participant)
        for s in group.sessions:
            cost.append(stability.slot * (1 - v.sess[group.id, s]) if (group.id, s) in v.sess else stability.slot)
        cost.append(stability.room * (1 - v.room[group.id, group.room]) if (group.id, group.room) in v.room
                    else stability.room)
        for f in group.facilitators:
            cost.append(stability.facilitator * (1 - v.fac[group.id, f]) if (group.id, f) in v.fac
                        else stability.facilitator)
    return sum(cost)


@dataclass(frozen=True)
class Moves:
    participants: frozenset[str]  # anyone who lost a baseline membership
    memberships: int              # baseline memberships dropped
    slots: int
    rooms: int
    facilitators: int

    def points(self, stability: Stability) -> int:
        """The penalty these moves cost, the same sum the model minimises."""
        return (stability.participant * self.memberships + stability.slot * self.slots
                + stability.room * self.rooms + stability.facilitator * self.facilitators)


def moves(baseline: Schedule, groups: Iterable[Group]) -> Moves:
    """What changed between the baseline and ``groups``, counted the same way as the penalty."""
    by_id = {g.id: g for g in groups}
    moved: list[str] = []
    slots = rooms = facilitators = 0
    for old in baseline.groups:
        new = by_id.get(old.id)
        moved += [p for p in old.members if new is None or p not in new.members]
        slots += sum(1 for s in old.sessions if new is None or s not in new.sessions)
        rooms += int(new is None or new.room != old.room)
        facilitators += sum(1 for f in old.facilitators if new is None or f not in new.facilitators)
    return Moves(frozenset(moved), len(moved), slots, rooms, facilitators)


def still_valid(scenario: Scenario, baseline: Schedule) -> list[Group] | None:
    """The baseline's groups, thinned to what the current scenario still allows, or None if that is
    not a valid schedule (``solver.check`` decides). Offered as the first schedule of a re-solve, so a
    build stopped before its search finds anything still has the published schedule, adjusted.

    A group naming something the scenario no longer has is dropped; a member who may no longer sit in
    their group (left, no longer wants it or free then, too many for the room) leaves it; a group left
    below its minimum size is dropped. Anything else the scenario now forbids (a facilitator's
    availability, a room's features) makes the whole baseline unusable here: the search repairs it."""
    activities = {a.id: a for a in scenario.activities}
    rooms = {r.id: r for r in scenario.rooms}
    people = {p.id: p for p in scenario.participants}
    slots = {s.id for s in scenario.slots}
    facilitators = {f.id for f in scenario.facilitators}
    booked = Bookings(scenario)
    kept: list[Group] = []
    for g in baseline.groups:
        a, room = activities.get(g.activity), rooms.get(g.room)
        if a is None or room is None or not set(g.sessions) <= slots or not set(g.facilitators) <= facilitators:
            continue
        seats = min(a.max_size, room.capacity)
        members: list[str] = []
        for pid in g.members:
            p = people.get(pid)
            if p is None or len(members) >= seats or not booked.may_join(
                    p, a, g.id, g.sessions, set(room.features), members):
                continue
            members.append(pid)
            booked.person_groups[pid].append((a.id, g.id))
            booked.person_busy.update((pid, s) for s in g.sessions)
        if len(members) >= a.min_size:
            kept.append(replace(g, members=tuple(members)))
    return kept if valid(scenario, kept) else None


def valid(scenario: Scenario, groups: list[Group]) -> bool:
    """Whether ``groups`` obey every hard rule, by the independent checker (those in no group listed)."""
    placed = {m for g in groups for m in g.members}
    unplaced = tuple(Unassigned(p.id, "not placed yet") for p in scenario.participants if p.id not in placed)
    return check_schedule(scenario, Schedule(status="FEASIBLE", groups=tuple(groups), unassigned=unplaced)).ok
