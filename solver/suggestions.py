"""What would seat the people a schedule leaves out: the few smallest changes, each verified.

After a build, every participant in ``schedule.unassigned`` who wanted something is a question a
coordinator asks: what would it take? This module answers with concrete changes of four kinds,

    open_group      one more group of an activity, at named free slots, in a named free room, with
                    named free facilitators (raising the activity's ``max_groups`` when all are open)
    add_seat        one more seat in a full group (the activity's ``max_size`` + 1; the room holds it)
    if_needed_time  a participant asked whether a time they did not mark would do "if need be"
    move_member     a member of a full group moved to another group they wanted, freeing their seat

each with the schedule it leads to: the given schedule with only that change made and the people it
seats placed, checked by :func:`solver.check.check_schedule` against the changed scenario. A
suggestion whose schedule the checker refuses is never offered.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from solver.check import check_schedule
from solver.objective import Weights, rank_points, score_terms
from solver.scenario import Activity, Participant, Scenario
from solver.schedule import Group, Schedule
from solver.seating import Bookings

ChangeKind = Literal["open_group", "add_seat", "if_needed_time", "move_member"]

# The score the checker computes (and the benchmark uses): suggestions are compared by it.
DEFAULT_WEIGHTS = Weights()
# For a new group, the slot combinations tried in full per person (most left-out people free first):
# the rest can seat no more people, and each full try costs a room and member search.
COMBINATIONS_TRIED = 8
# The share of the time limit the search for changes may take; the rest is the checker's.
SEARCH_SHARE = 0.5
# Equal in seats, score and moves, the change that asks least comes first.
KIND_ORDER: dict[str, int] = {"add_seat": 0, "if_needed_time": 1, "open_group": 2, "move_member": 3}


@dataclass(frozen=True)
class Change:
    """One change to the scenario and/or the schedule. Which fields are set depends on ``kind``:

    open_group      activity, slots (when it meets), room, facilitators, to_group (the new group's id in
                    the suggestion's schedule), max_groups (the activity's new maximum when every group
                    it allowed was open, else None)
    add_seat        activity, group (the full group the seat is added to), max_size (the activity's new
                    maximum size: every group of the activity may take one more)
    if_needed_time  participant (who is asked), slots (the times they did not mark), to_group (the
                    group those times let them join), activity (that group's activity)
    move_member     participant (the member who moves), group (the full group they leave, where the
                    left-out person takes their seat), to_group (where the member goes), activity
                    (the activity of ``group``)
    """

    kind: ChangeKind
    activity: str | None = None          # open_group, add_seat: the activity; the others: the seated's group's
    group: str | None = None             # add_seat: the full group; move_member: the group the member leaves
    slots: tuple[str, ...] = ()          # open_group: when the new group meets; if_needed_time: the slot(s) asked for
    room: str | None = None              # open_group: the free room
    facilitators: tuple[str, ...] = ()   # open_group: who is free to lead it
    participant: str | None = None       # if_needed_time: who is asked; move_member: the member who moves
    to_group: str | None = None          # if_needed_time: the group it opens; move_member: where the member goes;
    #                                      open_group: the new group's id
    max_groups: int | None = None        # open_group: the activity's new max_groups when raised, else None
    max_size: int | None = None          # add_seat: the activity's new max_size


@dataclass(frozen=True)
class Moved:
    """A participant already seated whose group changes under a suggestion (what it costs others)."""

    participant: str
    from_group: str
    to_group: str
    from_rank: int   # 1 = their first choice
    to_rank: int


@dataclass(frozen=True)
class Suggestion:
    change: Change
    seats: tuple[str, ...]          # participants left out by the schedule that this change seats
    moved: tuple[Moved, ...]        # others whose group changes
    score_change: int               # score of ``schedule`` minus the given schedule's (check_schedule's scores)
    scenario: Scenario              # the scenario with the change made (== the given one for move_member)
    schedule: Schedule              # the given schedule with the change made; valid for ``scenario``


def apply_change(scenario: Scenario, change: Change) -> Scenario:
    """The scenario as the change leaves it (what the app writes to the center's data before building).

    Opening a group within the activity's ``max_groups`` and moving a member change only the
    schedule: the scenario comes back as it is. Raises ``ValueError`` naming the field when the
    change names something the scenario does not hold."""
    if change.kind == "add_seat":
        activity = _activity(scenario, change.activity)
        size = max(activity.max_size + 1 if change.max_size is None else change.max_size, activity.max_size)
        return _with_activity(scenario, replace(activity, max_size=size))
    if change.kind == "open_group":
        activity = _activity(scenario, change.activity)
        if change.max_groups is None or change.max_groups <= activity.max_groups:
            return scenario
        return _with_activity(scenario, replace(activity, max_groups=change.max_groups))
    if change.kind == "if_needed_time":
        person = _participant(scenario, change.participant)
        known = {s.id for s in scenario.slots}
        for slot_id in change.slots:
            if slot_id not in known:
                raise ValueError(f'change.slots: unknown slot "{slot_id}"')
        # A slot already marked stays where it is: a slot is in available or in if_needed, never both.
        asked = tuple(s for s in dict.fromkeys(change.slots) if not person.can_attend(s))
        if not asked:
            return scenario
        changed = replace(person, if_needed=person.if_needed + asked)
        return replace(scenario, participants=tuple(changed if p.id == person.id else p for p in scenario.participants))
    if change.kind == "move_member":
        return scenario
    raise ValueError(f'change.kind: "{change.kind}" is not one of {", ".join(KIND_ORDER)}')


def _activity(scenario: Scenario, activity_id: str | None) -> Activity:
    if activity_id is None or activity_id not in {a.id for a in scenario.activities}:
        raise ValueError(f'change.activity: unknown activity "{activity_id}"')
    return scenario.activity(activity_id)


def _participant(scenario: Scenario, participant_id: str | None) -> Participant:
    if participant_id is None or participant_id not in {p.id for p in scenario.participants}:
        raise ValueError(f'change.participant: unknown participant "{participant_id}"')
    return scenario.participant(participant_id)


def _with_activity(scenario: Scenario, activity: Activity) -> Scenario:
    # dataclasses.replace goes through Scenario.__init__, so its index is rebuilt from the new tuples.
    return replace(scenario, activities=tuple(activity if a.id == activity.id else a for a in scenario.activities))


# --------------------------------------------------------------------------- finding suggestions


@dataclass(frozen=True)
class _Candidate:
    """A change found to seat ``seats``, before the checker has seen it; ``estimate`` is the score change
    worked out from the parts that move (the checker's score decides what is reported)."""

    change: Change
    seats: tuple[str, ...]
    moved: tuple[Moved, ...]
    groups: tuple[Group, ...]
    estimate: int
    touches: int  # how much it asks: slots asked, a limit raised

    def order(self) -> tuple[int, int, int, int, int, str]:
        return (-len(self.seats), -self.estimate, len(self.moved), self.touches, KIND_ORDER[self.change.kind],
                repr((self.change, self.seats)))


def suggest(scenario: Scenario, schedule: Schedule, *, per_person: int = 3,
            time_limit_s: float = 10.0) -> list[Suggestion]:
    """For the people ``schedule`` leaves out, up to ``per_person`` suggestions naming each, best first
    (most seated, then highest ``score_change``, then fewest moved); every one verified.

    A schedule the checker refuses for ``scenario`` (built for another version of it, say) gets no
    suggestions: nothing could be verified against it. Past ``time_limit_s`` the search stops and
    what is verified by then is returned."""
    start = time.monotonic()
    deadline = start + time_limit_s
    # The search for changes stops halfway, so that the checker has time to verify the best of them.
    search_deadline = start + time_limit_s * SEARCH_SHARE
    before = check_schedule(scenario, schedule)
    if before.violations or per_person < 1:
        return []
    state = _State(scenario, schedule)
    left_out = state.left_out(schedule)
    if not left_out:
        return []
    candidates: list[_Candidate] = []
    for find in (state.added_seats, state.if_needed_times, state.new_groups, state.member_moves):
        if time.monotonic() > search_deadline:
            break
        candidates += find(left_out, search_deadline)
    named: dict[str, int] = defaultdict(int)
    seen: set[tuple[Change, tuple[str, ...]]] = set()
    out: list[Suggestion] = []
    for candidate in sorted(candidates, key=_Candidate.order):
        if time.monotonic() > deadline:
            break
        key = (candidate.change, candidate.seats)
        if key in seen or any(named[p] >= per_person for p in candidate.seats):
            continue
        seen.add(key)
        suggestion = _verified(scenario, schedule, before.score, candidate)
        if suggestion is None:
            continue
        out.append(suggestion)
        for p in candidate.seats:
            named[p] += 1
    out.sort(key=lambda s: (-len(s.seats), -s.score_change, len(s.moved)))
    return out


def _verified(scenario: Scenario, schedule: Schedule, score_before: int, candidate: _Candidate) -> Suggestion | None:
    """The suggestion with its schedule, if the checker finds no fault with it under the changed scenario."""
    changed = apply_change(scenario, candidate.change)
    seated = set(candidate.seats)
    terms = score_terms(changed, candidate.groups, DEFAULT_WEIGHTS)
    after = Schedule(status="FEASIBLE", groups=candidate.groups,
                     unassigned=tuple(u for u in schedule.unassigned if u.participant not in seated),
                     objective=sum(terms.values()), score_terms=terms)
    report = check_schedule(changed, after)
    if report.violations or not seated <= {m for g in candidate.groups for m in g.members}:
        return None
    return Suggestion(candidate.change, candidate.seats, candidate.moved, report.score - score_before, changed, after)


class _State:
    """The given schedule's groups and what they have taken (rooms, facilitators, people at each slot)."""

    def __init__(self, scenario: Scenario, schedule: Schedule) -> None:
        self.sc = scenario
        self.groups = list(schedule.groups)
        self.book = Bookings(scenario)
        self.by_activity: dict[str, list[Group]] = defaultdict(list)
        for g in self.groups:
            self.by_activity[g.activity].append(g)
            for s in g.sessions:
                self.book.room_busy.add((g.room, s))
                for f in g.facilitators:
                    self.book.fac_busy.add((f, s))
            for f in g.facilitators:
                self.book.fac_load[f] += len(g.sessions)
            for m in g.members:
                self.enter(m, g)

    def left_out(self, schedule: Schedule) -> list[Participant]:
        """Who the schedule lists as unassigned, wanting some activity and free to join a group."""
        known = {p.id for p in self.sc.participants}
        out = []
        for u in schedule.unassigned:
            if u.participant in known and not self.book.person_groups[u.participant]:
                p = self.sc.participant(u.participant)
                if p.preferences and p.max_groups >= 1:
                    out.append(p)
        return out

    # -- bookkeeping

    def enter(self, pid: str, g: Group) -> None:
        self.book.person_groups[pid].append((g.activity, g.id))
        for s in g.sessions:
            self.book.person_busy.add((pid, s))

    def leave(self, pid: str, g: Group) -> None:
        self.book.person_groups[pid].remove((g.activity, g.id))
        for s in g.sessions:
            self.book.person_busy.discard((pid, s))

    def may_join(self, p: Participant, g: Group, members: Sequence[str]) -> bool:
        return self.book.may_join(p, self.sc.activity(g.activity), g.id, g.sessions,
                                  set(self.sc.room(g.room).features), list(members))

    def capacity(self, g: Group) -> int:
        return min(self.sc.activity(g.activity).max_size, self.sc.room(g.room).capacity)

    def with_group(self, changed: Group) -> tuple[Group, ...]:
        return tuple(changed if g.id == changed.id else g for g in self.groups)

    # -- the score's parts that a change moves

    def worth(self, p: Participant, activity_id: str, sessions: Sequence[str]) -> int:
        """Rank points of ``p`` in a group of the activity, less their if-needed sessions there."""
        if_needed = sum(1 for s in sessions if s in p.if_needed)
        return rank_points(DEFAULT_WEIGHTS, p.preferences.index(activity_id)) - DEFAULT_WEIGHTS.if_needed * if_needed

    def seated_worth(self, p: Participant, activity_id: str, sessions: Sequence[str]) -> int:
        return DEFAULT_WEIGHTS.coverage + self.worth(p, activity_id, sessions)

    def balance_cost(self, activity_id: str, grown: dict[str, int], new_size: int | None = None) -> int:
        """What the size balance term loses when groups of the activity grow by ``grown`` (and a new
        group of ``new_size`` opens)."""
        sizes = [len(g.members) for g in self.by_activity[activity_id]]
        after = [len(g.members) + grown.get(g.id, 0) for g in self.by_activity[activity_id]]
        if new_size is not None:
            after.append(new_size)
        return DEFAULT_WEIGHTS.size_balance * (_spread(after) - _spread(sizes))

    # -- the four kinds

    def added_seats(self, left_out: list[Participant], deadline: float) -> list[_Candidate]:
        """One more seat in a full group whose room holds one more."""
        out = []
        for p in left_out:
            for activity_id in p.preferences:
                a = self.sc.activity(activity_id)
                for g in self.by_activity[activity_id]:
                    size = len(g.members)
                    if size < a.max_size or self.sc.room(g.room).capacity <= size or not self.may_join(p, g, g.members):
                        continue
                    grown = replace(g, members=(*g.members, p.id))
                    estimate = self.seated_worth(p, activity_id, g.sessions) - self.balance_cost(activity_id, {g.id: 1})
                    change = Change("add_seat", activity=activity_id, group=g.id, max_size=a.max_size + 1)
                    out.append(_Candidate(change, (p.id,), (), self.with_group(grown), estimate, 1))
            if time.monotonic() > deadline:
                break
        return out

    def if_needed_times(self, left_out: list[Participant], deadline: float) -> list[_Candidate]:
        """A group with a free seat that meets at times the person did not mark: asked "if need be".
        Only people who marked some time are asked; someone who marked none has told no times at all."""
        out = []
        for p in left_out:
            if not p.available and not p.if_needed:
                continue
            for activity_id in p.preferences:
                for g in self.by_activity[activity_id]:
                    asked = tuple(s for s in g.sessions if not p.can_attend(s))
                    if not asked or len(g.members) >= self.capacity(g):
                        continue
                    willing = replace(p, if_needed=p.if_needed + asked)
                    if not self.may_join(willing, g, g.members):
                        continue
                    joined = replace(g, members=(*g.members, p.id))
                    estimate = (self.seated_worth(willing, activity_id, g.sessions)
                                - self.balance_cost(activity_id, {g.id: 1}))
                    change = Change("if_needed_time", activity=activity_id, slots=asked, participant=p.id,
                                    to_group=g.id)
                    out.append(_Candidate(change, (p.id,), (), self.with_group(joined), estimate, len(asked)))
            if time.monotonic() > deadline:
                break
        return out

    def member_moves(self, left_out: list[Participant], deadline: float) -> list[_Candidate]:
        """A member of a full group moved to a free seat in another group they wanted; the left-out
        person takes their seat. One move per full group and person: the one that costs least."""
        out = []
        free = [h for h in self.groups if len(h.members) < self.capacity(h)]
        options: dict[tuple[str, str], list[tuple[int, Group]]] = {}
        for p in left_out:
            for activity_id in p.preferences:
                for g in self.by_activity[activity_id]:
                    if len(g.members) < self.capacity(g) or not self.may_join(p, g, ()):
                        continue
                    best: tuple[int, str, str, Group, Participant] | None = None
                    for q_id in g.members:
                        q = self.sc.participant(q_id)
                        if (q_id, g.id) not in options:
                            options[q_id, g.id] = self.moves_for(q, g, free)
                        for cost, h in options[q_id, g.id]:
                            if best is not None and (cost, q_id, h.id) >= best[:3]:
                                break
                            if self.swap_fits(p, q, g, h):
                                best = (cost, q_id, h.id, h, q)
                                break
                    if best is None:
                        continue
                    cost, _q, _h, h, q = best
                    groups = tuple(
                        replace(x, members=tuple(p.id if m == q.id else m for m in x.members)) if x.id == g.id
                        else replace(x, members=(*x.members, q.id)) if x.id == h.id else x
                        for x in self.groups)
                    moved = Moved(q.id, g.id, h.id, q.preferences.index(g.activity) + 1,
                                  q.preferences.index(h.activity) + 1)
                    change = Change("move_member", activity=activity_id, group=g.id, participant=q.id, to_group=h.id)
                    estimate = self.seated_worth(p, activity_id, g.sessions) - cost
                    out.append(_Candidate(change, (p.id,), (moved,), groups, estimate, 1))
            if time.monotonic() > deadline:
                break
        return out

    def moves_for(self, q: Participant, g: Group, free: list[Group]) -> list[tuple[int, Group]]:
        """Where ``q`` could go from ``g`` (free seats in groups they wanted), cheapest first, with what
        the move costs the score (points they lose, if-needed sessions, size balance)."""
        out = []
        self.leave(q.id, g)
        try:
            for h in free:
                if h.id == g.id or h.activity not in q.preferences or not self.may_join(q, h, h.members):
                    continue
                cost = (self.worth(q, g.activity, g.sessions) - self.worth(q, h.activity, h.sessions)
                        + self.balance_cost(h.activity, {h.id: 1}))
                out.append((cost, h))
        finally:
            self.enter(q.id, g)
        out.sort(key=lambda option: (option[0], option[1].id))
        return out

    def swap_fits(self, p: Participant, q: Participant, g: Group, h: Group) -> bool:
        """Whether ``p`` may take ``q``'s seat in ``g`` while ``q`` joins ``h`` (in that order, so that a
        kept-together or kept-apart pair of the two is seen)."""
        self.leave(q.id, g)
        try:
            rest = [m for m in g.members if m != q.id]
            if not self.may_join(p, g, rest):
                return False
            self.enter(p.id, g)
            try:
                return self.may_join(q, h, h.members)
            finally:
                self.leave(p.id, g)
        finally:
            self.enter(q.id, g)

    def new_groups(self, left_out: list[Participant], deadline: float) -> list[_Candidate]:
        """One more group of an activity at free slots, in a free room, with free facilitators, seating
        as many left-out people as fit (at least the activity's minimum size, nobody else moved in).
        Per person and wanted activity, the best such group that seats them."""
        out = []
        wanted: dict[str, list[Participant]] = defaultdict(list)
        for p in left_out:
            for activity_id in p.preferences:
                wanted[activity_id].append(p)
        for activity_id, people in wanted.items():
            if time.monotonic() > deadline:
                break
            out += _NewGroup(self, self.sc.activity(activity_id), people).candidates(deadline)
        return out


class _NewGroup:
    """Where and when one more group of ``activity`` could meet, and who of ``people`` it would seat."""

    def __init__(self, state: _State, activity: Activity, people: list[Participant]) -> None:
        self.st, self.a = state, activity
        sc, book = state.sc, state.book
        taken = {g.id for g in state.groups}
        k = len(state.by_activity[activity.id]) + 1
        while f"{activity.id}-{k}" in taken:
            k += 1
        self.gid = f"{activity.id}-{k}"
        # Those whom nothing but its times and room could keep out of a new group (not its language, nor
        # a kept-together partner in another group of it); the bits below say who can come when.
        self.people = [p for p in people if book.may_join(p, activity, self.gid, (), set(p.needs), [])]
        self.points = [rank_points(DEFAULT_WEIGHTS, p.preferences.index(activity.id)) for p in self.people]
        leaders = [f for f in sc.facilitators if set(activity.required_skills) <= set(f.skills)
                   and (not activity.language or activity.language in f.languages)
                   and book.fac_load[f.id] + activity.sessions_per_week <= f.max_sessions_per_week]
        rooms = [r for r in sc.rooms if set(activity.room_features) <= set(r.features)
                 and r.capacity >= max(activity.min_size, 1)]
        # Per slot: the free rooms, the free facilitators, and (as bits) who of ``people`` can come.
        self.slots: list[tuple[str, frozenset[str], frozenset[str], int]] = []
        for s in sc.slots:
            free_rooms = frozenset(r.id for r in rooms if (r.id, s.id) not in book.room_busy)
            free_leaders = frozenset(f.id for f in leaders if f.can_attend(s.id) and (f.id, s.id) not in book.fac_busy)
            can_come = sum(1 << i for i, p in enumerate(self.people) if p.can_attend(s.id))
            if free_rooms and len(free_leaders) >= activity.facilitators_per_group and can_come:
                self.slots.append((s.id, free_rooms, free_leaders, can_come))

    def combinations(self) -> list[tuple[tuple[str, ...], frozenset[str], frozenset[str], int]]:
        """Every set of ``sessions_per_week`` usable slots on different days with a room and enough
        facilitators free at all of them, and who could come to all of them."""
        out = []
        for combo in itertools.combinations(self.slots, self.a.sessions_per_week):
            days = {self.st.sc.slot(s[0]).day for s in combo}
            if len(days) < len(combo):
                continue
            rooms = frozenset.intersection(*(s[1] for s in combo))
            leaders = frozenset.intersection(*(s[2] for s in combo))
            mask = -1
            for s in combo:
                mask &= s[3]
            if rooms and len(leaders) >= self.a.facilitators_per_group and mask.bit_count() >= self.a.min_size:
                out.append((tuple(s[0] for s in combo), rooms, leaders, mask))
        return out

    def candidates(self, deadline: float) -> list[_Candidate]:
        """Per person, the best group that seats them; a person already seated by a group found for
        someone before is not searched for again (their best group is that one, or one much like it)."""
        combos = self.combinations()
        out: list[_Candidate] = []
        seated: set[str] = set()
        for i, p in enumerate(self.people):
            if time.monotonic() > deadline:
                break
            if p.id in seated:
                continue
            mine = [c for c in combos if c[3] >> i & 1]
            # Most people free first, then fewest of the person's own if-needed times.
            mine.sort(key=lambda c: (-c[3].bit_count(), sum(1 for s in c[0] if s in p.if_needed), c[0]))
            best: tuple[int, int, _Candidate] | None = None
            for slots, rooms, leaders, mask in mine[:COMBINATIONS_TRIED]:
                if best is not None and mask.bit_count() < best[0]:
                    break  # fewer could come at all than the best group seats
                found = self.group_at(i, slots, rooms, leaders, mask)
                if found is not None and (best is None or found[:2] > best[:2]):
                    best = found
            if best is not None:
                out.append(best[2])
                seated.update(best[2].seats)
        return out

    def group_at(self, i: int, slots: tuple[str, ...], rooms: frozenset[str], leaders: frozenset[str],
                 mask: int) -> tuple[int, int, _Candidate] | None:
        """The best group at ``slots`` that seats ``people[i]``: the room seating most (the smallest of
        those), the facilitators with fewest if-needed times, then least busy. (seated, estimate, candidate)."""
        st, sc, a, p = self.st, self.st.sc, self.a, self.people[i]
        chosen = tuple(sorted(leaders, key=lambda f: (sum(1 for s in slots if s in sc.facilitator(f).if_needed),
                                                      st.book.fac_load[f], f))[: a.facilitators_per_group])
        # Who else could come, those the group earns most from first (rank points, no if-needed times).
        worth = {j: self.worth(j, slots) for j in _bits(mask)}
        others = sorted((j for j in worth if j != i), key=lambda j: (-worth[j], -self.points[j], self.people[j].id))
        best: tuple[int, int, _Candidate] | None = None
        tried: set[tuple[frozenset[str], int]] = set()
        for room in sorted((sc.room(r) for r in rooms), key=lambda r: (r.capacity, r.id)):
            features, limit = frozenset(room.features), min(a.max_size, room.capacity)
            if not set(p.needs) <= features or (features, limit) in tried:
                continue
            tried.add((features, limit))  # a room like one tried seats the same people
            members = [i]
            ids = {p.id}
            for j in others:
                if len(members) >= limit:
                    break
                q = self.people[j]
                if set(q.needs) <= features and not st.book.apart[q.id] & ids:
                    members.append(j)
                    ids.add(q.id)
            if len(members) < a.min_size:
                continue
            # The order of the left-out list, so that the same group found for two of its members is one.
            members.sort()
            if_needed = sum(1 for f in chosen for s in slots if s in sc.facilitator(f).if_needed)
            estimate = (sum(DEFAULT_WEIGHTS.coverage + worth[j] for j in members)
                        - DEFAULT_WEIGHTS.if_needed * if_needed - st.balance_cost(a.id, {}, len(members)))
            if best is not None and (len(members), estimate) <= best[:2]:
                continue
            opened = len(st.by_activity[a.id])
            raised = opened + 1 if opened >= a.max_groups else None
            seats = tuple(self.people[j].id for j in members)
            group = Group(self.gid, a.id, slots, room.id, chosen, seats)
            change = Change("open_group", activity=a.id, slots=slots, room=room.id, facilitators=chosen,
                            to_group=self.gid, max_groups=raised)
            best = (len(members), estimate,
                    _Candidate(change, seats, (), (*st.groups, group), estimate, 1 + (raised is not None)))
            if len(members) >= a.max_size:
                break  # a larger room seats no more
        return best

    def worth(self, j: int, slots: tuple[str, ...]) -> int:
        person = self.people[j]
        return self.points[j] - DEFAULT_WEIGHTS.if_needed * sum(1 for s in slots if s in person.if_needed)


def _bits(mask: int) -> list[int]:
    """The positions of the bits set in ``mask``."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _spread(sizes: list[int]) -> int:
    return max(sizes) - min(sizes) if len(sizes) > 1 else 0


__all__ = ["Change", "ChangeKind", "Moved", "Suggestion", "apply_change", "suggest"]
