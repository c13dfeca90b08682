"""Who may sit where, and local moves that seat more people in a schedule whose groups are set.

``Bookings`` keeps what a valid schedule has taken (rooms, facilitators and people at each slot,
everyone's groups) and says whether someone may join a group. ``fill`` and ``trade`` move people
between the groups of a schedule without touching the groups' times, rooms or facilitators, and
keep every hard rule; the greedy start polishes its schedules with them, and the first-choice
warm-up completes its schedule with ``fill``."""

from __future__ import annotations

from collections import defaultdict

from solver.objective import Weights, rank_points
from solver.scenario import Activity, Participant, Scenario
from solver.schedule import Group

DEFAULT_WEIGHTS = Weights()  # what local moves weigh; a caller's score still decides what is kept


class Bookings:
    """What a schedule has taken so far: rooms, facilitators and people at each slot, and everyone's groups."""

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
        """Whether ``p`` may join group ``gid`` of ``a`` (at ``slots``, in a room with ``room_features``,
        with ``members``) under every hard rule that concerns a member; seats are the caller's business."""
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


def free_times(p: Participant) -> int:
    return len(p.available) + len(p.if_needed)



def fill(sc: Scenario, groups: list[Group]) -> list[Group]:
    """``groups`` with more people placed: nobody loses a group unless they are in another one.

    For each person in no group, in order of how few times they are free: a seat in a group of an
    activity they want, if one is free; else a seat made free by moving a member to another group of
    the same activity, or by taking out a member who is in some other group too (covering someone
    is worth more than any preference points). Then everyone else gets a free seat in a group they
    want, if one fits. A warm-up search on first choices leaves second choices empty, and a greedy
    start leaves seats that only such a move can give; this puts back what obviously fits."""
    roster = _Roster(sc, groups)
    people = sorted(sc.participants, key=lambda p: (free_times(p), p.id))
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
        self.st = Bookings(sc)
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
                # ``p`` sits down before ``q`` looks for another group: were they kept together,
                # ``may_join`` must see ``p`` in ``g`` to refuse ``q`` any other group of the activity.
                self._join(p, g)
                q = self.sc.participant(q_id)
                for h in self.by_activity[g.activity]:
                    if h.id != g.id and len(self.members[h.id]) < self._capacity(h) and self._fits(q, h):
                        self._join(q, h)
                        return True
                if self.st.person_groups[q_id]:  # in another group too: still covered without this one
                    return True
                self._leave(p.id, g)
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
