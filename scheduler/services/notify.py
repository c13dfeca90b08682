"""Telling the people concerned when the term changes: who gets a message, and what it says.

Calendar apps may take a day to refresh a subscribed feed, so a change to a meeting in the next 7
days is marked urgent and always goes out by email; the feeds follow on their own. Messages name the
meeting and what changed, never other participants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Facilitator, Participant, SwapHalf, SwapRequest
from scheduler.services.meetings import Meeting
from scheduler.services.term import MeetingKey, TermState

URGENT_WITHIN = dt.timedelta(days=7)


@dataclass(frozen=True)
class Notice:
    email: str
    name: str
    subject: str
    body: str
    urgent: bool


def _urgent(state: TermState, keys: Iterable[MeetingKey], now: dt.datetime) -> bool:
    return any(state.starts_at(k) - now <= URGENT_WITHIN for k in keys if k in state.by_key)


def _when(state: TermState, key: MeetingKey) -> str:
    meeting = state.by_key[key]
    # The date in words, in the reader's language ("lunes, 25 de enero de 2027"), never 2027-01-25.
    return _("%(date)s at %(time)s", date=format_date(key.date, "full"), time=meeting.start.strftime("%H:%M"))


def _participants(center_id: int, codes: Iterable[str]) -> list[Participant]:
    return list(db.session.scalars(select(Participant).where(Participant.center_id == center_id,
                                                             Participant.code.in_(set(codes)))))


def _locale(person: Participant | Facilitator) -> str:
    return getattr(person, "locale", None) or "en"


def _notice(person: Participant | Facilitator, subject: str, body: str, urgent: bool) -> Notice | None:
    if not person.email:
        return None  # no address to write to; the calendar feed still shows the change
    prefix = _("Soon: ") if urgent else ""
    return Notice(person.email, person.name, prefix + subject, body, urgent)


def swap_accepted(state: TermState, request: SwapRequest, now: dt.datetime) -> list[Notice]:
    """The two colleagues (a cover is not a swap: only a trade says both sides), and the members of
    every meeting whose facilitator changed: what, when, where, who, and that they need do nothing."""
    keys = [MeetingKey(i.date, i.slot_code, i.group_code) for i in request.items]
    urgent = _urgent(state, keys, now)
    assert request.accepted_by is not None
    given = [MeetingKey(i.date, i.slot_code, i.group_code) for i in request.items if i.half == SwapHalf.GIVE]
    taken = [MeetingKey(i.date, i.slot_code, i.group_code) for i in request.items if i.half == SwapHalf.TAKE]
    notices: list[Notice | None] = []
    for person, other in ((request.requester, request.accepted_by), (request.accepted_by, request.requester)):
        with force_locale(_locale(person)):
            gives = ", ".join(_when(state, k) for k in given if k in state.by_key)
            takes = ", ".join(_when(state, k) for k in taken if k in state.by_key)
            if taken:
                yours, theirs = (takes, gives) if person is request.requester else (gives, takes)
                notices.append(_notice(person, _("Trade arranged"), _(
                    "Hello %(name)s,\n\n%(other)s and you have traded meetings. You now lead: %(yours)s. "
                    "%(other)s leads: %(theirs)s.\n\nYour calendar will follow; there is nothing else to do.",
                    name=person.name, other=other.name, yours=yours, theirs=theirs), urgent))
            elif person is request.requester:
                notices.append(_notice(person, _("Cover arranged"), _(
                    "Hello %(name)s,\n\n%(other)s will cover for you on %(dates)s. Your calendar will follow; "
                    "there is nothing else to do.", name=person.name, other=other.name, dates=gives), urgent))
            else:
                notices.append(_notice(person, _("Cover arranged"), _(
                    "Hello %(name)s,\n\nThank you: you are covering for %(other)s on %(dates)s. The meetings are "
                    "in your calendar and on your cover page.", name=person.name, other=other.name, dates=gives),
                    urgent))
    for item in request.items:
        key = MeetingKey(item.date, item.slot_code, item.group_code)
        meeting = state.by_key.get(key)
        if meeting is None:
            continue
        leader, usual = ((request.accepted_by, request.requester) if item.half == SwapHalf.GIVE
                         else (request.requester, request.accepted_by))
        for participant in _participants(request.center_id, meeting.members):
            with force_locale(_locale(participant)):
                label = state.data.label(meeting.activity_id)
                notices.append(_notice(participant, _("A change to your group"), _(
                    "Hello %(name)s,\n\nOn %(when)s, %(group)s is led by %(leader)s instead of %(usual)s. It meets "
                    "as usual, from %(start)s to %(end)s in %(place)s.\n\nThere is nothing to do: come as usual. "
                    "If you cannot come, please tell us.", name=participant.name, when=_when(state, key),
                    group=label, leader=leader.name.split()[0], usual=usual.name.split()[0],
                    start=meeting.start.strftime("%H:%M"), end=meeting.end.strftime("%H:%M"),
                    place=state.data.room_name(meeting.room)), urgent))
    return [n for n in notices if n is not None]


def meeting_cancelled(state: TermState, key: MeetingKey, now: dt.datetime) -> list[Notice]:
    """Everyone who would have been there."""
    meeting = state.by_key[key]
    urgent = _urgent(state, [key], now)
    people: list[Participant | Facilitator] = [*_participants(state.version.center_id, meeting.members)]
    people += db.session.scalars(select(Facilitator).where(Facilitator.center_id == state.version.center_id,
                                                           Facilitator.code.in_(meeting.facilitators)))
    notices = []
    for person in people:
        with force_locale(_locale(person)):
            label = state.data.label(meeting.activity_id)
            notices.append(_notice(person, _("A meeting is cancelled"),
                                   _("%(group)s on %(when)s will not take place. The other dates stay as they were.",
                                     group=label, when=_when(state, key)), urgent))
    return [n for n in notices if n is not None]


def meeting_moved(state: TermState, key: MeetingKey, before: Meeting, now: dt.datetime) -> list[Notice]:
    """Everyone who will be there (members that day, facilitators), once the move is stored: where and
    when it now takes place, and where and when it would have."""
    meeting = state.by_key[key]
    urgent = _urgent(state, [key], now)
    people: list[Participant | Facilitator] = [*_participants(state.version.center_id, meeting.members)]
    people += db.session.scalars(select(Facilitator).where(Facilitator.center_id == state.version.center_id,
                                                           Facilitator.code.in_(meeting.facilitators)))
    data = state.data
    notices = []
    for person in people:
        with force_locale(_locale(person)):
            notices.append(_notice(person, _("A meeting moves"), _(
                "%(group)s on %(date)s takes place from %(start)s to %(end)s in %(room)s (it was %(old_start)s to "
                "%(old_end)s in %(old_room)s). The other dates stay as they were.",
                group=data.label(meeting.activity_id), date=format_date(key.date, "full"),
                start=meeting.start.strftime("%H:%M"), end=meeting.end.strftime("%H:%M"),
                room=data.room_name(meeting.room), old_start=before.start.strftime("%H:%M"),
                old_end=before.end.strftime("%H:%M"), old_room=data.room_name(before.room)), urgent))
    return [n for n in notices if n is not None]


def swap_requested(state: TermState, request: SwapRequest, recipients: Iterable[Facilitator],
                   now: dt.datetime) -> list[Notice]:
    keys = [MeetingKey(i.date, i.slot_code, i.group_code) for i in request.items if i.half == SwapHalf.GIVE]
    urgent = _urgent(state, keys, now)
    notices = []
    for person in recipients:
        with force_locale(_locale(person)):
            dates = ", ".join(_when(state, k) for k in keys if k in state.by_key)
            notices.append(_notice(person, _("Can you cover?"),
                                   _("%(name)s asks for cover on %(dates)s. Answer on your cover page.",
                                     name=request.requester.name, dates=dates), urgent))
    return [n for n in notices if n is not None]


def send_all(center_id: int, notices: Iterable[Notice]) -> int:
    """Queue and send every notice through the outbox, in the caller's transaction."""
    from scheduler.services import mail

    count = 0
    for notice in notices:
        mail.send(center_id, notice.email, notice.name, notice.subject, notice.body)
        count += 1
    return count
