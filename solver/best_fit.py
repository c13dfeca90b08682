"""Best fit for a newcomer, mid-term: the groups one participant can join now without moving anyone.

Every hard rule the independent checker (``solver.check``) applies to a member is checked here for
one more member: the activity is wanted, they are in no other group of it and below their
``max_groups``, available (or "if need be") at every session and free then, not kept apart from a
member, with the group of a kept-together partner in that activity, speaking its language, the
room meeting their needs, and the group below its maximum size and its room's capacity. Rules
about facilitators, rooms' bookings and sessions do not change when a member joins.

The result is structured (kinds and ids, no wording): the app words it for people. For every
wanted activity with no joinable group it lists why, group by group, and the smallest change that
would make a join possible (one more seat, a bigger room, a slot asked "if need be", ...), or a new
group when no single group can be opened up that way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from solver.check import rank_points
from solver.scenario import Participant, Scenario
from solver.schedule import Group, Schedule

# Beyond this many partial combinations the search keeps the best found: far above any real case
# (a handful of wanted activities with a few groups each), it only bounds a pathological input.
MAX_COMBINATION_STEPS = 20_000


class Blocker(StrEnum):
    """Why a participant cannot join a group now."""

    NOT_WANTED = "not_wanted"                # the activity is not among their preferences
    ALREADY_IN_ACTIVITY = "already_in"       # they are in a group of this activity (``group``)
    MAX_GROUPS = "max_groups"                # they are in ``limit`` groups already, their most
    NOT_AVAILABLE = "not_available"          # neither available nor "if need be" at ``slot``
    BUSY = "busy"                            # in group ``group`` at ``slot``
    KEEP_APART = "keep_apart"                # ``person`` is a member
    KEEP_TOGETHER = "keep_together"          # ``person`` is in ``group``, another group of the activity
    LANGUAGE = "language"                    # they do not speak ``language``
    ROOM_LACKS = "room_lacks"                # the room lacks ``features`` they need
    FULL = "full"                            # the group has ``limit`` members, the activity's maximum
    ROOM_FULL = "room_full"                  # the room holds ``limit``, as many as the group has


@dataclass(frozen=True)
class Reason:
    kind: Blocker
    slot: str | None = None
    group: str | None = None
    person: str | None = None
    language: str | None = None
    features: tuple[str, ...] = ()
    limit: int | None = None


class ChangeKind(StrEnum):
    """A change to the center's data or to the newcomer's answers that would open a join."""

    ONE_MORE_SEAT = "one_more_seat"          # ``group`` takes one member more than the activity's maximum
    BIGGER_ROOM = "bigger_room"              # ``group`` moves to a room holding one more
    ASK_IF_NEEDED = "ask_if_needed"          # ask the newcomer about ``slots`` "if need be"
    ROOM_WITH_FEATURES = "room_with"         # ``group`` moves to a room with ``features``
    ONE_MORE_GROUP = "one_more_group"        # the newcomer may be in one group more
    NEW_GROUP = "new_group"                  # open a new group of ``activity`` (``within_limit``: allowed now)


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    activity: str
    group: str | None = None
    slots: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    within_limit: bool = True


# How much each change asks of people: asking the newcomer or adding a seat is light, moving a
# group's room touches every member. Only the order matters.
_COST = {ChangeKind.ASK_IF_NEEDED: 1, ChangeKind.ONE_MORE_SEAT: 1, ChangeKind.ONE_MORE_GROUP: 1,
         ChangeKind.BIGGER_ROOM: 2, ChangeKind.ROOM_WITH_FEATURES: 2, ChangeKind.NEW_GROUP: 5}


@dataclass(frozen=True)
class Fit:
    """A group the newcomer can join now."""

    group: str
    activity: str
    rank: int                      # of the activity in their preferences, 1 = most wanted
    if_needed: tuple[str, ...]     # the group's sessions they come to only "if need be"
    size: int                      # members now
    free_seats: int                # below both the activity's maximum and the room's capacity


@dataclass(frozen=True)
class Misfit:
    group: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class WhyNot:
    """A wanted activity with no group the newcomer can join now."""

    activity: str
    rank: int
    groups: tuple[Misfit, ...]     # every running group of it, with its reasons; empty when none runs
    changes: tuple[Change, ...]    # the smallest change that would open a join


@dataclass(frozen=True)
class BestFit:
    participant: str
    in_groups: tuple[str, ...]     # groups they are in already
    places_left: int               # how many more groups they may join
    fits: tuple[Fit, ...]          # ranked: preference, fewer "if need be" sessions, smaller group
    combination: tuple[Fit, ...]   # the best set they can join together (distinct activities, no clash)
    why_not: tuple[WhyNot, ...]    # wanted activities (not joined yet) with no joinable group, by rank


@dataclass(frozen=True)
class _Context:
    """What about the newcomer is looked up once rather than per group."""

    scenario: Scenario
    person: Participant
    joined: tuple[Group, ...]
    apart: frozenset[str]
    together_groups: dict[str, list[tuple[str, Group]]]  # activity -> (partner, the partner's group of it)


def _context(scenario: Scenario, groups: Iterable[Group], person: Participant) -> _Context:
    groups = tuple(groups)
    joined = tuple(g for g in groups if person.id in g.members)
    apart = frozenset(b if a == person.id else a for a, b in scenario.keep_apart if person.id in (a, b))
    partners = {b if a == person.id else a for a, b in scenario.keep_together if person.id in (a, b)}
    partners.discard(person.id)
    together: dict[str, list[tuple[str, Group]]] = {}
    if partners:
        for g in groups:
            for partner in sorted(partners & set(g.members)):
                together.setdefault(g.activity, []).append((partner, g))
    return _Context(scenario, person, joined, apart, together)


def _reasons(ctx: _Context, group: Group) -> tuple[Reason, ...]:
    scenario, person = ctx.scenario, ctx.person
    activity, room = scenario.activity(group.activity), scenario.room(group.room)
    found: list[Reason] = []
    if activity.id not in person.preferences:
        found.append(Reason(Blocker.NOT_WANTED))
    same = next((g for g in ctx.joined if g.activity == activity.id), None)
    if same is not None:
        found.append(Reason(Blocker.ALREADY_IN_ACTIVITY, group=same.id))
    elif len(ctx.joined) >= person.max_groups:
        found.append(Reason(Blocker.MAX_GROUPS, limit=person.max_groups))
    found += [Reason(Blocker.NOT_AVAILABLE, slot=s) for s in group.sessions if not person.can_attend(s)]
    found += [Reason(Blocker.BUSY, slot=s, group=g.id)
              for g in ctx.joined if g.id != group.id for s in g.sessions if s in group.sessions]
    found += [Reason(Blocker.KEEP_APART, person=m) for m in group.members if m in ctx.apart]
    found += [Reason(Blocker.KEEP_TOGETHER, person=partner, group=other.id)
              for partner, other in ctx.together_groups.get(activity.id, ()) if other.id != group.id]
    if activity.language is not None and activity.language not in person.languages:
        found.append(Reason(Blocker.LANGUAGE, language=activity.language))
    lacking = tuple(n for n in person.needs if n not in room.features)
    if lacking:
        found.append(Reason(Blocker.ROOM_LACKS, features=lacking))
    if person.id not in group.members:
        if len(group.members) >= activity.max_size:
            found.append(Reason(Blocker.FULL, limit=activity.max_size))
        if len(group.members) >= room.capacity:
            found.append(Reason(Blocker.ROOM_FULL, limit=room.capacity))
    return tuple(found)


def reasons_to_refuse(scenario: Scenario, groups: Iterable[Group], person: Participant,
                      group: Group) -> tuple[Reason, ...]:
    """Every hard rule ``person`` joining ``group`` would break, given the ``groups`` running now
    (their members as of today); empty when they can join. The waiting lists' check too."""
    return _reasons(_context(scenario, groups, person), group)


def _change_for(reason: Reason, group: Group) -> Change | None:
    """The change that removes ``reason``; None when only moving someone (or their answer about
    who they are, such as a language) would."""
    kind = {Blocker.FULL: ChangeKind.ONE_MORE_SEAT, Blocker.ROOM_FULL: ChangeKind.BIGGER_ROOM,
            Blocker.NOT_AVAILABLE: ChangeKind.ASK_IF_NEEDED, Blocker.ROOM_LACKS: ChangeKind.ROOM_WITH_FEATURES,
            Blocker.MAX_GROUPS: ChangeKind.ONE_MORE_GROUP}.get(reason.kind)
    if kind is None:
        return None
    on_group = kind in (ChangeKind.ONE_MORE_SEAT, ChangeKind.BIGGER_ROOM, ChangeKind.ROOM_WITH_FEATURES)
    return Change(kind, group.activity, group=group.id if on_group else None,
                  slots=(reason.slot,) if reason.slot else (), features=reason.features)


def _merged(changes: list[Change]) -> tuple[Change, ...]:
    """One question about several slots rather than one per slot."""
    asked = [c for c in changes if c.kind == ChangeKind.ASK_IF_NEEDED]
    rest = [c for c in changes if c.kind != ChangeKind.ASK_IF_NEEDED]
    if asked:
        rest.insert(0, Change(ChangeKind.ASK_IF_NEEDED, asked[0].activity,
                              slots=tuple(s for c in asked for s in c.slots)))
    return tuple(rest)


def _smallest_change(scenario: Scenario, activity_id: str, misfits: list[tuple[Group, tuple[Reason, ...]]],
                     running: int) -> tuple[Change, ...]:
    options: list[tuple[tuple[int, int, int], tuple[Change, ...]]] = []
    for group, reasons in misfits:
        changes = [_change_for(r, group) for r in reasons]
        if all(c is not None for c in changes):
            fixes = [c for c in changes if c is not None]
            cost = sum(_COST[c.kind] for c in fixes)
            options.append(((cost, len(fixes), len(group.members)), _merged(fixes)))
    if options:
        return min(options, key=lambda option: option[0])[1]
    activity = scenario.activity(activity_id)
    return (Change(ChangeKind.NEW_GROUP, activity_id, within_limit=running < activity.max_groups),)


def _fit(ctx: _Context, group: Group, rank: int) -> Fit:
    activity, room = ctx.scenario.activity(group.activity), ctx.scenario.room(group.room)
    free = min(activity.max_size, room.capacity) - len(group.members)
    return Fit(group.id, group.activity, rank, tuple(s for s in group.sessions if s in ctx.person.if_needed),
               len(group.members), free)


def _fit_order(fit: Fit) -> tuple[int, int, int, str]:
    return fit.rank, len(fit.if_needed), fit.size, fit.group


def best_fit(scenario: Scenario, schedule: Schedule, person: Participant) -> BestFit:
    """The groups of ``schedule`` (today's members) ``person`` can join now, ranked, the best set of
    them they can join together, and for each wanted activity without one: why, and what would change it."""
    ctx = _context(scenario, schedule.groups, person)
    done = {g.activity for g in ctx.joined}
    by_activity: dict[str, list[Group]] = {}
    for g in schedule.groups:
        by_activity.setdefault(g.activity, []).append(g)
    fits: list[Fit] = []
    why_not: list[WhyNot] = []
    known = {a.id for a in scenario.activities}
    for rank, activity_id in enumerate(person.preferences, start=1):
        if activity_id in done:
            continue
        if activity_id not in known:  # added since the term was published: no group of it can run yet
            why_not.append(WhyNot(activity_id, rank, (), (Change(ChangeKind.NEW_GROUP, activity_id),)))
            continue
        running = by_activity.get(activity_id, [])
        judged = [(g, _reasons(ctx, g)) for g in running]
        joinable = [_fit(ctx, g, rank) for g, reasons in judged if not reasons]
        if joinable:
            fits += joinable
            continue
        why_not.append(WhyNot(activity_id, rank, tuple(Misfit(g.id, reasons) for g, reasons in judged),
                              _smallest_change(scenario, activity_id, judged, len(running))))
    fits.sort(key=_fit_order)
    places = max(0, person.max_groups - len(ctx.joined))
    return BestFit(person.id, tuple(g.id for g in ctx.joined), places, tuple(fits),
                   _best_combination(fits, {g.id: g for g in schedule.groups}, places), tuple(why_not))


def _best_combination(fits: list[Fit], groups: dict[str, Group], places: int) -> tuple[Fit, ...]:
    """The set of fits, one per activity, no two at one slot, at most ``places`` of them, that is
    best: most groups, then most preference points (the checker's), then fewest "if need be"
    sessions, then smallest groups. A depth-first search over activities in preference order."""
    if places == 0 or not fits:
        return ()
    per_activity: dict[str, list[Fit]] = {}
    for fit in fits:
        per_activity.setdefault(fit.activity, []).append(fit)
    options = list(per_activity.values())
    best: tuple[tuple[int, int, int, int], tuple[Fit, ...]] = ((0, 0, 0, 0), ())
    steps = 0

    def score(chosen: tuple[Fit, ...]) -> tuple[int, int, int, int]:
        return (len(chosen), sum(rank_points(f.rank) for f in chosen),
                -sum(len(f.if_needed) for f in chosen), -sum(f.size for f in chosen))

    def search(index: int, chosen: tuple[Fit, ...], busy: frozenset[str]) -> None:
        nonlocal best, steps
        steps += 1
        if score(chosen) > best[0]:
            best = (score(chosen), chosen)
        if index == len(options) or len(chosen) == places or steps > MAX_COMBINATION_STEPS:
            return
        for fit in options[index]:
            sessions = frozenset(groups[fit.group].sessions)
            if not sessions & busy:
                search(index + 1, (*chosen, fit), busy | sessions)
        search(index + 1, chosen, busy)

    search(0, (), frozenset())
    return best[1]
