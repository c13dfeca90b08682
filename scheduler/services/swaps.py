"""Swap and cover requests between facilitators, and the coordinator's cancellations.

A request moves meetings from one facilitator to another (a *cover*), or both ways (a *trade*,
which applies both halves or neither). Accepting is a claim: one conditional UPDATE moves the
request out of ``open``, so when two colleagues accept at the same moment exactly one wins; the
other is told it is taken. The winner's eligibility is checked again inside that transaction,
with their facilitator row locked, so two accepts by one person cannot double-book them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.i18n import date_text
from scheduler.models import Center, Facilitator, ScheduleVersion, User
from scheduler.models.accounts import utcnow
from scheduler.models.swaps import MeetingOverride, SwapHalf, SwapItem, SwapKind, SwapRequest, SwapStatus
from scheduler.services.audit import record
from scheduler.services.cover import problems_taking
from scheduler.services.people_search import natural_key
from scheduler.services.term import MeetingKey, TermState, term_state
from solver.scenario import format_minutes


class SwapError(ValueError):
    """A request that cannot be made or answered; the message says why, in plain words. The
    caller rolls the session back: a half-applied trade must never be committed."""


def _check_leads(state: TermState, facilitator: Facilitator, keys: list[MeetingKey], now: dt.datetime) -> None:
    if not keys:
        raise SwapError(_("Choose at least one meeting."))
    led = {MeetingKey.of(m) for m in state.led_by(facilitator.code)}
    for key in keys:
        if key not in led:
            raise SwapError(_("%(name)s does not lead %(group)s on %(date)s.",
                              name=facilitator.name, group=key.group, date=date_text(key.date)))
        if state.starts_at(key) <= now:
            raise SwapError(_("The meeting of %(group)s on %(date)s has already started.",
                              group=key.group, date=date_text(key.date)))


def request_swap(version: ScheduleVersion, requester: Facilitator, give: Iterable[MeetingKey], *,
                 target: Facilitator | None = None, take: Iterable[MeetingKey] = (), note: str = "",
                 now: dt.datetime | None = None) -> SwapRequest:
    """Ask for cover of ``give`` (to ``target``, or open to every eligible colleague); with ``take``,
    a trade: ``target`` leads ``give`` and ``requester`` leads ``take``."""
    now = now or utcnow()
    state = term_state(version)
    give, take = sorted(set(give)), sorted(set(take))
    _check_leads(state, requester, give, now)
    if target is not None and (target.id == requester.id or target.center_id != requester.center_id):
        raise SwapError(_("Choose a colleague of this center."))
    if take:
        if target is None:
            raise SwapError(_("A trade needs a named colleague."))
        _check_leads(state, target, take, now)
        mine = problems_taking(state, requester, take, giving=give)
        if mine:
            raise SwapError(" ".join(mine))
    if target is not None:
        theirs = problems_taking(state, target, give, giving=take)
        if theirs:
            raise SwapError(" ".join(theirs))
    request = SwapRequest(center_id=requester.center_id, version_id=version.id,
                          kind=SwapKind.TRADE if take else SwapKind.COVER, requester=requester, target=target,
                          note=note.strip()[:500], created_at=now,
                          expires_at=min(state.starts_at(k) for k in [*give, *take]))
    request.items = ([SwapItem(half=SwapHalf.GIVE, group_code=k.group, slot_code=k.slot, date=k.date) for k in give]
                     + [SwapItem(half=SwapHalf.TAKE, group_code=k.group, slot_code=k.slot, date=k.date)
                        for k in take])
    db.session.add(request)
    db.session.flush()
    record(requester.center_id, requester.user, "swap.requested", _subject(request), None, _describe(request))
    return request


def _keys(request: SwapRequest, half: SwapHalf) -> list[MeetingKey]:
    return [MeetingKey(i.date, i.slot_code, i.group_code) for i in request.items if i.half == half]


def _subject(request: SwapRequest) -> str:
    return f"swap request {request.id}"


def _describe(request: SwapRequest) -> dict[str, object]:
    return {"kind": request.kind.value, "status": request.status.value, "requester": request.requester.code,
            "target": request.target.code if request.target else None,
            "accepted_by": request.accepted_by.code if request.accepted_by else None,
            "give": [[k.date.isoformat(), k.slot, k.group] for k in _keys(request, SwapHalf.GIVE)],
            "take": [[k.date.isoformat(), k.slot, k.group] for k in _keys(request, SwapHalf.TAKE)]}


def expire_due(center: Center, now: dt.datetime | None = None) -> int:
    """Open requests whose first meeting has started can no longer be answered."""
    now = now or utcnow()
    result = db.session.execute(
        update(SwapRequest)
        .where(SwapRequest.center_id == center.id, SwapRequest.status == SwapStatus.OPEN,
               SwapRequest.expires_at <= now)
        .values(status=SwapStatus.EXPIRED, decided_at=now)
        .execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)  # an UPDATE's result is a CursorResult


def _claim(request: SwapRequest, new_status: SwapStatus, now: dt.datetime, accepted_by: Facilitator | None = None,
           from_status: SwapStatus = SwapStatus.OPEN) -> bool:
    values: dict[str, object] = {"status": new_status, "decided_at": now}
    if accepted_by is not None:
        values["accepted_by_id"] = accepted_by.id
    result = db.session.execute(
        update(SwapRequest).where(SwapRequest.id == request.id, SwapRequest.status == from_status)
        .values(**values).execution_options(synchronize_session=False))
    if getattr(result, "rowcount", 0) != 1:
        return False
    db.session.refresh(request)
    return True


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every stored one is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _answerable(request: SwapRequest, now: dt.datetime) -> None:
    if request.status == SwapStatus.OPEN and _aware(request.expires_at) <= now:
        raise SwapError(_("This request has expired: its first meeting has started."))
    if request.status != SwapStatus.OPEN:
        raise SwapError(_("This request has already been taken or closed."))


def accept(request: SwapRequest, facilitator: Facilitator, now: dt.datetime | None = None, *,
           assigned_by: User | None = None) -> SwapRequest:
    """``facilitator`` takes the request (or a coordinator, ``assigned_by``, gives it to them, which
    needs no further approval). Commits nothing; the caller commits once."""
    now = now or utcnow()
    _answerable(request, now)
    if facilitator.id == request.requester_id:
        raise SwapError(_("You cannot take your own request."))
    if request.target_id is not None and request.target_id != facilitator.id:
        raise SwapError(_("This request was addressed to a colleague."))
    center = db.session.get(Center, request.center_id)
    assert center is not None
    status = (SwapStatus.PENDING_APPROVAL if center.swaps_need_approval and assigned_by is None
              else SwapStatus.ACCEPTED)
    if not _claim(request, status, now, accepted_by=facilitator):
        raise SwapError(_("Someone else has just taken this request."))
    # Lock the taker's row: two accepts by one person wait for each other and see each other's meetings.
    db.session.execute(select(Facilitator.id).where(Facilitator.id == facilitator.id).with_for_update())
    state = term_state(request.version)
    problems = problems_taking(state, facilitator, _keys(request, SwapHalf.GIVE), giving=_keys(request, SwapHalf.TAKE))
    if request.kind == SwapKind.TRADE:
        problems += problems_taking(state, request.requester, _keys(request, SwapHalf.TAKE),
                                    giving=_keys(request, SwapHalf.GIVE))
    if problems:
        db.session.rollback()
        raise SwapError(" ".join(problems))
    if status == SwapStatus.ACCEPTED:
        _apply(request, state, facilitator, now)
    record(request.center_id, assigned_by or facilitator.user, "swap.assigned" if assigned_by else "swap.accepted",
           _subject(request), None, _describe(request))
    return request


def _apply(request: SwapRequest, state: TermState, taker: Facilitator, now: dt.datetime) -> None:
    """Both halves, or (on any conflict) neither: the caller's transaction rolls back as one."""
    moves = [(k, request.requester.code, taker.code) for k in _keys(request, SwapHalf.GIVE)]
    moves += [(k, taker.code, request.requester.code) for k in _keys(request, SwapHalf.TAKE)]
    for key, old, new in moves:
        meeting = state.by_key[key]
        if old not in meeting.facilitators:
            raise SwapError(_("%(group)s on %(date)s has changed since the request was made.",
                              group=key.group, date=date_text(key.date)))
        leaders = [new if code == old else code for code in meeting.facilitators]
        set_override(request.version_id, request.center_id, key, facilitators=leaders, now=now)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise SwapError(_("These meetings changed at the same moment; please try again.")) from error


def set_override(version_id: int, center_id: int, key: MeetingKey, *, facilitators: list[str] | None = None,
                 cancelled: bool | None = None, now: dt.datetime) -> MeetingOverride:
    """The stored change of one meeting, made or revised (its sequence grows with each revision)."""
    override = db.session.scalar(select(MeetingOverride).where(
        MeetingOverride.version_id == version_id, MeetingOverride.group_code == key.group,
        MeetingOverride.slot_code == key.slot, MeetingOverride.date == key.date))
    if override is None:
        override = MeetingOverride(version_id=version_id, center_id=center_id, group_code=key.group,
                                   slot_code=key.slot, date=key.date, sequence=1)
        db.session.add(override)
    else:
        override.sequence += 1
    if facilitators is not None:
        override.facilitator_codes = facilitators
    if cancelled is not None:
        override.cancelled = cancelled
    override.changed_at = now
    return override


def decline(request: SwapRequest, facilitator: Facilitator, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    if request.target_id != facilitator.id:
        raise SwapError(_("Only the colleague it was addressed to can decline a request."))
    _answerable(request, now)
    if not _claim(request, SwapStatus.DECLINED, now):
        raise SwapError(_("This request has already been taken or closed."))
    record(request.center_id, facilitator.user, "swap.declined", _subject(request), None, _describe(request))


def cancel(request: SwapRequest, facilitator: Facilitator, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    if request.requester_id != facilitator.id:
        raise SwapError(_("Only the person who asked can cancel a request."))
    if not _claim(request, SwapStatus.CANCELLED, now):
        raise SwapError(_("This request has already been answered and can no longer be cancelled."))
    record(request.center_id, facilitator.user, "swap.cancelled", _subject(request), None, _describe(request))


def approve(request: SwapRequest, coordinator: User, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    if not _claim(request, SwapStatus.ACCEPTED, now, from_status=SwapStatus.PENDING_APPROVAL):
        raise SwapError(_("This request is not waiting for approval."))
    assert request.accepted_by is not None
    _apply(request, term_state(request.version), request.accepted_by, now)
    record(request.center_id, coordinator, "swap.approved", _subject(request), None, _describe(request))


def reject(request: SwapRequest, coordinator: User, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    if not _claim(request, SwapStatus.REJECTED, now, from_status=SwapStatus.PENDING_APPROVAL):
        raise SwapError(_("This request is not waiting for approval."))
    record(request.center_id, coordinator, "swap.rejected", _subject(request), None, _describe(request))


def cancel_meeting(version: ScheduleVersion, key: MeetingKey, coordinator: User,
                   now: dt.datetime | None = None) -> MeetingOverride:
    """The coordinator calls off one date of a group (nobody can lead it, or the room is gone)."""
    now = now or utcnow()
    state = term_state(version)
    meeting = state.by_key.get(key)
    if meeting is None:
        raise SwapError(_("%(group)s does not meet on %(date)s.", group=key.group, date=date_text(key.date)))
    if meeting.cancelled:
        raise SwapError(_("%(group)s on %(date)s is already cancelled.", group=key.group, date=date_text(key.date)))
    override = set_override(version.id, version.center_id, key, cancelled=True, now=now)
    record(version.center_id, coordinator, "meeting.cancelled", f"{key.group} {key.slot} {key.date.isoformat()}",
           {"cancelled": False}, {"cancelled": True})
    return override


@dataclass(frozen=True)
class Move:
    """Where and when one meeting is to take place instead, that same day."""

    room: str  # a room of the published version
    start: dt.time
    end: dt.time


def _minutes(moment: dt.time) -> int:
    return moment.hour * 60 + moment.minute


def _span(start: dt.time, end: dt.time) -> str:
    return f"{start:%H:%M}–{end:%H:%M}"


def move_problems(state: TermState, key: MeetingKey, move: Move) -> list[str]:
    """Why the meeting cannot take place as ``move`` says; empty when it can. Checked against every
    other meeting held that day at an overlapping time: the room, the facilitators and the members
    must all be free."""
    data = state.data
    meeting = state.by_key.get(key)
    when = date_text(key.date)
    if meeting is None or meeting.cancelled:
        return [_("The meeting of %(group)s on %(date)s does not take place.", group=data.group_title(key.group),
                  date=when)]
    problems: list[str] = []
    rooms = {r.id: r for r in data.scenario.rooms}
    if move.room not in rooms:
        problems.append(_("Choose one of the center's rooms."))
    if move.start >= move.end:
        problems.append(_("The meeting must end after it starts (%(span)s).", span=_span(move.start, move.end)))
    if problems:
        return problems
    if (move.room, move.start, move.end) == (meeting.room, meeting.start, meeting.end):
        return [_("That is where and when the meeting already takes place.")]
    room = rooms[move.room]
    if room.capacity < len(meeting.members):
        problems.append(_("%(room)s holds %(capacity)d; the group has %(count)d members.", room=room.name,
                          capacity=room.capacity, count=len(meeting.members)))
    for other in state.meetings:
        if (other.date != key.date or other.cancelled or MeetingKey.of(other) == key
                or not (other.start < move.end and move.start < other.end)):
            continue
        then = _("%(group)s (%(span)s)", group=data.group_title(other.group_id), span=_span(other.start, other.end))
        if other.room == move.room:
            problems.append(_("%(room)s is taken then by %(other)s.", room=room.name, other=then))
        for code in sorted(set(other.facilitators) & set(meeting.facilitators)):
            problems.append(_("%(name)s leads %(other)s then.", name=data.facilitator_name(code), other=then))
        shared = sorted((data.participant_name(code) for code in set(other.members) & set(meeting.members)),
                        key=natural_key)
        if shared:
            problems.append(ngettext("%(names)s is in %(other)s then.", "%(names)s are in %(other)s then.",
                                     len(shared), names=", ".join(shared), other=then))
    return problems


def move_meeting(version: ScheduleVersion, key: MeetingKey, move: Move, coordinator: User | None,
                 now: dt.datetime | None = None) -> MeetingOverride:
    """The coordinator moves one date of a group to another room or time that day (the weekly pattern
    stays). Refused, with every reason, where the room, a facilitator or a member is busy then."""
    now = now or utcnow()
    state = term_state(version)
    problems = move_problems(state, key, move)
    if problems:
        raise SwapError(" ".join(problems))
    meeting = state.by_key[key]
    group = state.data.groups[key.group]
    override = set_override(version.id, version.center_id, key, now=now)
    override.room_code = None if move.room == group.room else move.room
    usual = (meeting.usual_start, meeting.usual_end)
    if (move.start, move.end) == usual:
        override.start_minute = override.end_minute = None
    else:
        override.start_minute, override.end_minute = _minutes(move.start), _minutes(move.end)
    record(version.center_id, coordinator, "meeting.moved", f"{key.group} {key.slot} {key.date.isoformat()}",
           {"room": meeting.room, "time": _span(meeting.start, meeting.end)},
           {"room": move.room, "time": _span(move.start, move.end)})
    return override


def meetings_from(state: TermState, facilitator: Facilitator, first: MeetingKey,
                  until: dt.date | None) -> list[MeetingKey]:
    """``first`` and, up to ``until`` (inclusive), the later dates of the same group and slot that
    ``facilitator`` leads: "this date", "until a date" and "the rest of the term" in one."""
    last = until or first.date
    return [MeetingKey.of(m) for m in state.led_by(facilitator.code)
            if m.group_id == first.group and m.slot_id == first.slot and first.date <= m.date <= last]


def requests_for(center: Center, facilitator: Facilitator | None = None,
                 statuses: Iterable[SwapStatus] | None = None) -> list[SwapRequest]:
    query = select(SwapRequest).where(SwapRequest.center_id == center.id)
    if facilitator is not None:
        query = query.where((SwapRequest.requester_id == facilitator.id) | (SwapRequest.target_id == facilitator.id)
                            | (SwapRequest.target_id.is_(None)))
    if statuses is not None:
        query = query.where(SwapRequest.status.in_(list(statuses)))
    return list(db.session.scalars(query.order_by(SwapRequest.expires_at, SwapRequest.id)))


@dataclass(frozen=True)
class WeeklyTime:
    day: str  # MO..SU
    start: str
    end: str


@dataclass(frozen=True)
class LedGroup:
    """One of a facilitator's own groups as their cover page shows it, from the published version."""

    id: str
    activity: str
    times: list[WeeklyTime]
    room: str
    members: list[str]  # names, sorted


def groups_led(state: TermState, facilitator_code: str | None, on: dt.date) -> list[LedGroup]:
    """The groups ``facilitator_code`` leads (None: every group), with their members on ``on``."""
    data = state.data
    found = []
    for group in data.schedule.groups:
        if facilitator_code is not None and facilitator_code not in group.facilitators:
            continue
        slots = [data.scenario.slot(s) for s in group.sessions]
        found.append(LedGroup(
            group.id, data.activity_name(group.activity),
            [WeeklyTime(s.day_code, format_minutes(s.start), format_minutes(s.end)) for s in slots],
            data.room_name(group.room), sorted(data.participant_name(p) for p in state.rosters[group.id].on(on))))
    return found
