"""Waiting lists: participants left without a group they wanted, and who gets a seat that frees up.

Someone waits on an activity's list when they listed it among their wanted activities, are in no
group of it (and did not leave one), and may still join another group. The order is fair in a way a coordinator can say
out loud: first those who have no group at all, then those who wanted the activity more (its rank
in their list), then by who has been a participant longest.

A seat is offered to the first person on the list who fits the group: available at all its
weekly slots and free then, not kept apart from a member, speaking its language, and the room
meets their needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, Participant, ScheduleVersion, User
from scheduler.models.accounts import utcnow
from scheduler.models.swaps import MemberChange, MemberChangeKind, OfferStatus, SeatOffer
from scheduler.services import feed_tokens
from scheduler.services.advice.best_fit import refusals
from scheduler.services.audit import record
from scheduler.services.term import TermState, term_state
from solver.schedule import Group


class WaitlistError(ValueError):
    pass


@dataclass(frozen=True)
class Waiting:
    participant: Participant
    rank: int          # 1 = the activity they wanted most
    groups_now: int


def _groups_of(state: TermState, day: dt.date) -> dict[str, list[str]]:
    """participant code -> the groups they are in on ``day``."""
    result: dict[str, list[str]] = {}
    for group in state.data.schedule.groups:
        for code in state.rosters[group.id].on(day):
            result.setdefault(code, []).append(group.id)
    return result


def _group(state: TermState, group_code: str) -> Group:
    return state.data.groups[group_code]


def waiting_list(state: TermState, center: Center, activity_code: str, day: dt.date) -> list[Waiting]:
    groups_now = _groups_of(state, day)
    activity_groups = {g.id for g in state.data.schedule.groups if g.activity == activity_code}
    # Someone who left a group of this activity chose to; they are not offered a seat back.
    left = {code for g in activity_groups for code in state.rosters[g].left}
    waiting: list[Waiting] = []
    for participant in center.participants:
        wanted = [p.activity.code for p in participant.preferences]
        if activity_code not in wanted or participant.code in left:
            continue
        mine = groups_now.get(participant.code, [])
        if activity_groups & set(mine) or len(mine) >= participant.max_groups:
            continue
        waiting.append(Waiting(participant, wanted.index(activity_code) + 1, len(mine)))
    return sorted(waiting, key=lambda w: (w.groups_now > 0, w.rank, w.participant.position, w.participant.code))


def misfits(state: TermState, center: Center, participant: Participant, group_code: str, day: dt.date) -> list[str]:
    """Why ``participant`` cannot join the group from ``day`` on; empty when they can. Every hard rule
    for a member is checked, by the same check as "where they fit now" (``services.advice.best_fit``)."""
    return refusals(state, center, participant, group_code, day)


def best_fit(state: TermState, center: Center, group_code: str, day: dt.date) -> Waiting | None:
    activity = _group(state, group_code).activity
    declined = set(db.session.scalars(select(SeatOffer.participant_code).where(
        SeatOffer.version_id == state.version.id, SeatOffer.group_code == group_code,
        SeatOffer.status == OfferStatus.DECLINED)))
    return next((w for w in waiting_list(state, center, activity, day)
                 if w.participant.code not in declined and not misfits(state, center, w.participant, group_code, day)),
                None)


def below_minimum(state: TermState, group_code: str, day: dt.date) -> bool:
    group = _group(state, group_code)
    return len(state.rosters[group_code].on(day)) < state.activity(group.activity).min_size


def _participant(center: Center, code: str) -> Participant:
    found = next((p for p in center.participants if p.code == code), None)
    if found is None:
        raise WaitlistError(_("No participant %(code)s at this center.", code=code))
    return found


def leave(version: ScheduleVersion, group_code: str, participant_code: str, day: dt.date,
          actor: User | None) -> MemberChange:
    """``participant_code`` leaves the group from ``day`` on (their earlier meetings stay in history)."""
    state = term_state(version)
    if group_code not in state.rosters:
        raise WaitlistError(_("There is no group %(group)s.", group=group_code))
    if participant_code not in state.rosters[group_code].on(day):
        raise WaitlistError(_("%(code)s is not in %(group)s on %(date)s.", code=participant_code, group=group_code,
                              date=day.isoformat()))
    change = MemberChange(center_id=version.center_id, version_id=version.id, group_code=group_code,
                          participant_code=participant_code, kind=MemberChangeKind.LEFT, effective=day)
    db.session.add(change)
    db.session.flush()
    record(version.center_id, actor, "member.left", f"{participant_code} {group_code}", None,
           {"from": day.isoformat()})
    participant = db.session.scalar(select(Participant).where(Participant.center_id == version.center_id,
                                                              Participant.code == participant_code))
    if participant is not None:
        feed_tokens.revoke_if_in_no_group(participant, term_state(version), day)
    return change


def offer(version: ScheduleVersion, group_code: str, participant_code: str, day: dt.date,
          actor: User | None) -> SeatOffer:
    center = db.session.get(Center, version.center_id)
    assert center is not None
    state = term_state(version)
    participant = _participant(center, participant_code)
    problems = misfits(state, center, participant, group_code, day)
    if problems:
        raise WaitlistError(" ".join(problems))
    pending = db.session.scalar(select(SeatOffer).where(
        SeatOffer.version_id == version.id, SeatOffer.group_code == group_code,
        SeatOffer.status == OfferStatus.OFFERED))
    if pending is not None:
        raise WaitlistError(_("The seat is already offered to %(code)s; withdraw that offer first.",
                              code=pending.participant_code))
    seat = SeatOffer(center_id=version.center_id, version_id=version.id, group_code=group_code,
                     participant_code=participant_code, effective=day, status=OfferStatus.OFFERED)
    db.session.add(seat)
    db.session.flush()
    record(version.center_id, actor, "seat.offered", f"{participant_code} {group_code}", None,
           {"from": day.isoformat()})
    return seat


def answer(seat: SeatOffer, accepted: bool, actor: User | None, now: dt.datetime | None = None) -> None:
    """The participant (or the coordinator on their behalf) takes or declines the seat."""
    if seat.status != OfferStatus.OFFERED:
        raise WaitlistError(_("This offer has already been answered."))
    version = db.session.get(ScheduleVersion, seat.version_id)
    assert version is not None
    if accepted:
        center = db.session.get(Center, seat.center_id)
        assert center is not None
        problems = misfits(term_state(version), center, _participant(center, seat.participant_code),
                           seat.group_code, seat.effective)
        if problems:
            raise WaitlistError(" ".join(problems))
        db.session.add(MemberChange(center_id=seat.center_id, version_id=seat.version_id, group_code=seat.group_code,
                                    participant_code=seat.participant_code, kind=MemberChangeKind.JOINED,
                                    effective=seat.effective))
    seat.status = OfferStatus.ACCEPTED if accepted else OfferStatus.DECLINED
    seat.answered_at = now or utcnow()
    record(seat.center_id, actor, "seat.accepted" if accepted else "seat.declined",
           f"{seat.participant_code} {seat.group_code}", None, {"from": seat.effective.isoformat()})


def withdraw(seat: SeatOffer, actor: User | None) -> None:
    if seat.status != OfferStatus.OFFERED:
        raise WaitlistError(_("This offer has already been answered."))
    seat.status = OfferStatus.WITHDRAWN
    record(seat.center_id, actor, "seat.withdrawn", f"{seat.participant_code} {seat.group_code}", None, None)


def tell_about_offer(center: Center, version: ScheduleVersion, seat: SeatOffer) -> None:
    """Email the participant that a place is free for them (through the outbox)."""
    from flask_babel import force_locale, format_date

    from scheduler.services import mail

    participant = _participant(center, seat.participant_code)
    if not participant.email:
        return
    state = term_state(version)
    group = _group(state, seat.group_code)
    label = state.data.label(group.activity)  # as its calendar shows it
    with force_locale(participant.locale or "en"):
        mail.send(center.id, participant.email, participant.name, _("A place is free for you"),
                  _("Hello %(name)s,\n\nA place is free for you in %(group)s from %(date)s. Please tell your "
                    "coordinator whether you would like it.\n\n%(center)s", name=participant.name,
                    group=label, date=format_date(seat.effective, "full"), center=center.name))
