"""A fast greedy schedule, valid by construction, to start the search from (a solution hint).

On large scenarios CP-SAT can take many seconds to find any schedule on its own; handed a complete,
valid one it starts improving at once, and the progress bar has something to show. The greedy
opens groups activity by activity, most wanted first: for each group it picks the weekly slots that
suit most of the people still waiting for the activity (someone in no group yet counts ten times),
a room, facilitators who are free then, and the members who fit (availability, language, needs,
groups they are already in, keep-apart, keep-together), people in no group first. A group that
cannot reach its minimum size is not opened. Groups of an activity are numbered largest first,
matching the model's symmetry breaking.

Which members to take first and which room to use are judgement calls that suit one scenario and
not another (on the shared scenarios the best of the policies below beats the worst by 2% to 7%),
so every policy is tried and the best-scoring schedule is kept; each run takes well under a second.

Anything it cannot do safely it leaves out. The tests validate its result with ``solver.check`` on
every shared scenario; the model treats it only as a hint."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any

from solver.objective import Weights, rank_points, score_terms
from solver.scenario import Activity, Facilitator, Participant, Room, Scenario
from solver.schedule import Group, Schedule

MAX_SLOT_SETS = 400  # slot combinations tried per group, the most promising first
DEFAULT_WEIGHTS = Weights()  # what local moves weigh; the caller's score still decides what is kept
FILL_ROUNDS = 5


class _State:
    def __init__(self, scenario: Scenario):
        self.sc = scenario
        self.room_busy: set[tuple[str, str]] = set()        # (room, slot)
        self.fac_busy: set[tuple[str, str]] = set()         # (facilitator, slot)
        self.fac_load: dict[str, int] = defaultdict(int)
        self.person_busy: set[tuple[str, str]] = set()      # (participant, slot)
        self.person_groups: dict[str, list[tuple[str, str]]] = defaultdict(list)  # p -> [(activity, group)]
        self.apart: dict[str, set[str]] = defaultdict(set)
        self.together: dict[str, set[str]] = defaultdict(set)
        for p, q in scenario.keep_apart:
            self.apart[p].add(q)
            self.apart[q].add(p)
        for p, q in scenario.keep_together:
            self.together[p].add(q)
            self.together[q].add(p)

    def may_join(self, p: Participant, a: Activity, gid: str, slots: tuple[str, ...], room_features: set[str],
                 members: list[str]) -> bool:
        if a.id not in p.preferences or len(self.person_groups[p.id]) >= p.max_groups:
            return False
        if any(act == a.id for act, _g in self.person_groups[p.id]):
            return False
        if a.language and a.language not in p.languages:
            return False
        if not set(p.needs) <= room_features:
            return False
        if any(not p.can_attend(s) or (p.id, s) in self.person_busy for s in slots):
            return False
        if self.apart[p.id] & set(members):
            return False
        # keep_together: a partner already in another group of this activity forbids this one.
        return not any(act == a.id and g != gid
                       for q in self.together[p.id] for act, g in self.person_groups[q])


@dataclass(frozen=True)
class Policy:
    """Who joins a group first (a sort key) and which free rooms are tried first."""

    member: Callable[[_State, Participant, Activity], tuple[Any, ...]]
    room: Callable[[Room, Activity], tuple[Any, ...]]


def _choices(p: Participant) -> int:
    return len(p.available) + len(p.if_needed)


# People in no group first, then: by how much they want it; or by how much they want it, then those
# free at fewest times; or those free at fewest times first; or those who want fewest activities.
MEMBER_ORDERS: tuple[Callable[[_State, Participant, Activity], tuple[Any, ...]], ...] = (
    lambda st, p, a: (bool(st.person_groups[p.id]), p.preferences.index(a.id), p.id),
    lambda st, p, a: (bool(st.person_groups[p.id]), p.preferences.index(a.id), _choices(p), p.id),
    lambda st, p, a: (bool(st.person_groups[p.id]), _choices(p), p.preferences.index(a.id), p.id),
    lambda st, p, a: (bool(st.person_groups[p.id]), p.preferences.index(a.id), len(p.preferences), p.id),
)
# The largest free room; or the smallest that seats a full group (large rooms kept for later).
ROOM_ORDERS: tuple[Callable[[Room, Activity], tuple[Any, ...]], ...] = (
    lambda r, a: (-r.capacity, r.id),
    lambda r, a: (r.capacity < a.max_size, r.capacity, r.id),
)
POLICIES = tuple(Policy(member, room) for member, room in product(MEMBER_ORDERS, ROOM_ORDERS))


def _slot_sets(sc: Scenario, a: Activity, candidates: list[str], score: dict[str, int]) -> list[tuple[str, ...]]:
    ranked = sorted(candidates, key=lambda s: -score[s])[:12]
    sets = []
    for combo in combinations(ranked, a.sessions_per_week):
        if len({sc.slot(s).day for s in combo}) == a.sessions_per_week:
            sets.append(combo)
    sets.sort(key=lambda combo: -min(score[s] for s in combo))
    return sets[:MAX_SLOT_SETS]


def greedy_schedule(sc: Scenario, score: Callable[[tuple[Group, ...]], int] | None = None,
                    on_better: Callable[[tuple[Group, ...]], None] | None = None) -> Schedule | None:
    """The best valid schedule of the policies, each polished by ``fill`` and ``trade``, by ``score``
    (by default the spec's score), or None when the greedy could not honour ``min_groups``.

    ``on_better`` hears of each schedule better than the ones before, as soon as it is made: the first
    comes within a fraction of a second even on xl.json, where polishing all policies takes seconds."""
    value = score or (lambda groups: _default_score(sc, groups))
    best: tuple[Group, ...] | None = None

    def consider(groups: tuple[Group, ...]) -> None:
        nonlocal best
        if best is None or value(groups) > value(best):
            best = groups
            if on_better is not None:
                on_better(groups)

    for policy in POLICIES:
        made = greedy_with_policy(sc, policy)
        if made is not None:
            consider(made.groups)
            consider(_polished(sc, made.groups, value).groups)
    return Schedule(status="FEASIBLE", groups=best) if best is not None else None


def _polished(sc: Scenario, groups: tuple[Group, ...], value: Callable[[tuple[Group, ...]], int]) -> Schedule:
    """``fill`` and ``trade`` again while they help: each round's moves open moves for the next (a few
    rounds at most)."""
    best = groups
    for _ in range(FILL_ROUNDS):
        better = tuple(trade(sc, fill(sc, list(best))))
        if value(better) <= value(best):
            break
        best = better
    return Schedule(status="FEASIBLE", groups=best)


def _default_score(sc: Scenario, groups: tuple[Group, ...]) -> int:
    return sum(score_terms(sc, groups, DEFAULT_WEIGHTS).values())


def greedy_with_policy(sc: Scenario, policy: Policy) -> Schedule | None:
    st = _State(sc)
    demand = {a.id: sum(1 for p in sc.participants if a.id in p.preferences) for a in sc.activities}
    groups: list[Group] = []
    # Activities that must open groups first, then the most wanted.
    for a in sorted(sc.activities, key=lambda a: (-a.min_groups, -demand[a.id], a.id)):
        opened: list[Group] = []
        facs = [f for f in sc.facilitators if set(a.required_skills) <= set(f.skills)
                and (not a.language or a.language in f.languages)]
        rooms = [r for r in sc.rooms if set(a.room_features) <= set(r.features) and r.capacity >= a.min_size]
        for k in range(1, a.max_groups + 1):
            gid = f"{a.id}-{k}"
            waiting = [p for p in sc.participants if a.id in p.preferences
                       and len(st.person_groups[p.id]) < p.max_groups
                       and all(act != a.id for act, _g in st.person_groups[p.id])]
            if not waiting and len(opened) >= a.min_groups:
                break
            # Someone in no group yet counts ten times: covering a person is worth ten first choices.
            score = {s.id: sum(1 if st.person_groups[p.id] else 10 for p in waiting
                               if p.can_attend(s.id) and (p.id, s.id) not in st.person_busy)
                     for s in sc.slots}
            candidates = [s.id for s in sc.slots
                          if sum(1 for f in facs if f.can_attend(s.id) and (f.id, s.id) not in st.fac_busy)
                          >= a.facilitators_per_group]
            made = _open_group(st, policy, a, gid, waiting, _slot_sets(sc, a, candidates, score), facs, rooms)
            if made is None:
                break
            opened.append(made)
        if len(opened) < a.min_groups:
            return None
        # Largest first, numbered 1..n, as the model's symmetry breaking orders them.
        for k, group in enumerate(sorted(opened, key=lambda g: -len(g.members)), start=1):
            groups.append(Group(f"{a.id}-{k}", a.id, group.sessions, group.room, group.facilitators, group.members))
    return Schedule(status="FEASIBLE", groups=tuple(groups))


def _open_group(st: _State, policy: Policy, a: Activity, gid: str, waiting: list[Participant],
                slot_sets: list[tuple[str, ...]], facs: list[Facilitator], rooms: list[Room]) -> Group | None:
    for slots in slot_sets:
        leaders = [f.id for f in facs
                   if all(f.can_attend(s) and (f.id, s) not in st.fac_busy for s in slots)
                   and st.fac_load[f.id] + len(slots) <= f.max_sessions_per_week]
        if len(leaders) < a.facilitators_per_group:
            continue
        leaders.sort(key=lambda f: st.fac_load[f])
        free_rooms = [r for r in rooms if all((r.id, s) not in st.room_busy for s in slots)]
        if not free_rooms:
            continue
        for room in sorted(free_rooms, key=lambda r: policy.room(r, a))[:3]:
            features = set(room.features)
            limit = min(a.max_size, room.capacity)
            members: list[str] = []
            for p in sorted(waiting, key=lambda p: policy.member(st, p, a)):
                if len(members) >= limit:
                    break
                if st.may_join(p, a, gid, slots, features, members):
                    members.append(p.id)
            if len(members) < a.min_size:
                continue
            chosen = tuple(leaders[: a.facilitators_per_group])
            for s in slots:
                st.room_busy.add((room.id, s))
                for f in chosen:
                    st.fac_busy.add((f, s))
                for p in members:
                    st.person_busy.add((p, s))
            for f in chosen:
                st.fac_load[f] += len(slots)
            for p in members:
                st.person_groups[p].append((a.id, gid))
            return Group(gid, a.id, tuple(slots), room.id, chosen, tuple(members))
    return None



def fill(sc: Scenario, groups: list[Group]) -> list[Group]:
    """``groups`` with more people placed: nobody loses a group unless they are in another one.

    For each person in no group, in order of how few times they are free: a seat in a group of an
    activity they want, if one is free; else a seat made free by moving a member to another group of
    the same activity, or by taking out a member who is in some other group too (covering someone
    is worth more than any preference points). Then everyone else gets a free seat in a group they
    want, if one fits. A warm-up search on first choices leaves second choices empty, and a greedy
    start leaves seats that only such a move can give; this puts back what obviously fits."""
    roster = _Roster(sc, groups)
    people = sorted(sc.participants, key=lambda p: (_choices(p), p.id))
    for p in people:
        if not roster.st.person_groups[p.id]:
            roster.seat(p, make_room=True)
    for p in people:
        roster.seat(p, make_room=False)
    for p in people:
        roster.upgrade(p)
    for activity_groups in roster.by_activity.values():
        roster.balance(activity_groups)
    return roster.groups()


def trade(sc: Scenario, groups: list[Group]) -> list[Group]:
    """``groups`` with seats traded: where seats run out, a person in no group takes the seat of someone
    who has no other group and gets fewer points from it (a lower-ranked choice, or an if-needed time),
    so as many people are covered and the points go up. Those who want fewest activities go first."""
    roster = _Roster(sc, groups)
    for p in sorted(sc.participants, key=lambda p: (len(p.preferences), p.id)):
        roster.trade(p)
    return roster.groups()


class _Roster:
    """Groups under local changes, with the bookkeeping ``may_join`` needs."""

    def __init__(self, sc: Scenario, groups: list[Group]) -> None:
        self.sc, self.original = sc, groups
        self.st = _State(sc)
        self.members: dict[str, list[str]] = {g.id: list(g.members) for g in groups}
        self.by_id = {g.id: g for g in groups}
        self.by_activity: dict[str, list[Group]] = defaultdict(list)
        for g in groups:
            self.by_activity[g.activity].append(g)
            for s in g.sessions:
                self.st.room_busy.add((g.room, s))
                for f in g.facilitators:
                    self.st.fac_busy.add((f, s))
            for p in g.members:
                self._add(p, g)

    def _add(self, p: str, g: Group) -> None:
        self.st.person_groups[p].append((g.activity, g.id))
        for s in g.sessions:
            self.st.person_busy.add((p, s))

    def _remove(self, p: str, g: Group) -> None:
        self.st.person_groups[p].remove((g.activity, g.id))
        for s in g.sessions:
            self.st.person_busy.discard((p, s))

    def _capacity(self, g: Group) -> int:
        return min(self.sc.activity(g.activity).max_size, self.sc.room(g.room).capacity)

    def _fits(self, p: Participant, g: Group, members: list[str] | None = None) -> bool:
        room = self.sc.room(g.room)
        return self.st.may_join(p, self.sc.activity(g.activity), g.id, g.sessions, set(room.features),
                                self.members[g.id] if members is None else members)

    def _could_fit(self, p: Participant, g: Group) -> bool:
        """Whether ``p`` could join ``g`` if a seat were free and nobody in it were to be kept apart
        from them: the cheap test that spares trying out each member."""
        return self._fits(p, g, members=[])

    def _join(self, p: Participant, g: Group, at: int | None = None) -> None:
        self.members[g.id].insert(len(self.members[g.id]) if at is None else at, p.id)
        self._add(p.id, g)

    def _leave(self, q: str, g: Group) -> int:
        """Take ``q`` out of ``g``; where they stood, to put them back unchanged."""
        at = self.members[g.id].index(q)
        del self.members[g.id][at]
        self._remove(q, g)
        return at

    def seat(self, p: Participant, *, make_room: bool) -> bool:
        """Give ``p`` a seat in one more group they want (most wanted first); True if they got one."""
        for activity_id in p.preferences:
            for g in sorted(self.by_activity[activity_id], key=lambda g: len(self.members[g.id])):
                if len(self.members[g.id]) < self._capacity(g):
                    if self._fits(p, g):
                        self._join(p, g)
                        return True
                elif make_room and self._make_room(p, g):
                    return True
        return False

    def _make_room(self, p: Participant, g: Group) -> bool:
        """Free a seat of the full group ``g`` for ``p``, moving or taking out one member; True if done."""
        if not self._could_fit(p, g):
            return False
        for q_id in list(self.members[g.id]):
            at = self._leave(q_id, g)
            if self._fits(p, g):
                q = self.sc.participant(q_id)
                for h in self.by_activity[g.activity]:
                    if h.id != g.id and len(self.members[h.id]) < self._capacity(h) and self._fits(q, h):
                        self._join(q, h)
                        self._join(p, g)
                        return True
                if self.st.person_groups[q_id]:  # in another group too: still covered without this one
                    self._join(p, g)
                    return True
            self._join(self.sc.participant(q_id), g, at)  # back where they were
        return False

    def _worth(self, p: Participant, g: Group) -> int:
        """What ``p``'s seat in ``g`` adds to the default score, besides covering them."""
        if_needed = sum(1 for s in g.sessions if s in p.if_needed)
        return rank_points(DEFAULT_WEIGHTS, p.preferences.index(g.activity)) - DEFAULT_WEIGHTS.if_needed * if_needed

    def trade(self, p: Participant) -> bool:
        """Give the seat of someone who has no other group to ``p`` (who has none either) where ``p``
        gets more from it: as many people covered, more points. True if a trade was made."""
        if self.st.person_groups[p.id]:
            return False
        best: tuple[int, Group, str] | None = None
        for activity_id in p.preferences:
            for g in self.by_activity[activity_id]:
                if not self._could_fit(p, g):
                    continue
                mine = self._worth(p, g)
                alone = [self.sc.participant(q) for q in self.members[g.id] if len(self.st.person_groups[q]) == 1]
                # The least rewarded first: the first that ``p`` can replace is the best trade in ``g``.
                for q in sorted(alone, key=lambda q: (self._worth(q, g), q.id)):
                    gain = mine - self._worth(q, g)
                    if gain <= 0 or (best is not None and gain <= best[0]):
                        break
                    at = self._leave(q.id, g)
                    fits = self._fits(p, g)
                    self._join(q, g, at)
                    if fits:
                        best = (gain, g, q.id)
                        break
        if best is None:
            return False
        _gain, g, q_id = best
        at = self._leave(q_id, g)
        self._join(p, g, at)
        return True

    def _movable(self, q: str, g: Group) -> bool:
        """Whether ``q`` may leave ``g`` (it keeps its minimum size). Where they may go, ``may_join``
        decides: it refuses another group of the activity a kept-together partner is in."""
        return len(self.members[g.id]) > self.sc.activity(g.activity).min_size

    def upgrade(self, p: Participant) -> None:
        """Move ``p`` from a group to a free seat in a group of an activity they rank higher."""
        for act, gid in sorted(self.st.person_groups[p.id], key=lambda ag: -p.preferences.index(ag[0])):
            g = self.by_id[gid]
            if not self._movable(p.id, g):
                continue
            at = self._leave(p.id, g)
            for better in p.preferences[: p.preferences.index(act)]:
                for h in self.by_activity[better]:
                    if len(self.members[h.id]) < self._capacity(h) and self._fits(p, h):
                        self._join(p, h)
                        return
            self._join(p, g, at)

    def balance(self, groups: list[Group]) -> None:
        """Move members from the largest group of an activity to its smallest while that narrows the gap."""
        while len(groups) > 1:
            small, large = min(groups, key=lambda g: len(self.members[g.id])), max(
                groups, key=lambda g: len(self.members[g.id]))
            if len(self.members[large.id]) - len(self.members[small.id]) < 2:
                return
            moved = False
            for q_id in list(self.members[large.id]):
                if not self._movable(q_id, large) or len(self.members[small.id]) >= self._capacity(small):
                    continue
                at = self._leave(q_id, large)
                if self._fits(self.sc.participant(q_id), small):
                    self._join(self.sc.participant(q_id), small)
                    moved = True
                    break
                self._join(self.sc.participant(q_id), large, at)
            if not moved:
                return

    def groups(self) -> list[Group]:
        return [Group(g.id, g.activity, g.sessions, g.room, g.facilitators, tuple(self.members[g.id]))
                for g in self.original]
