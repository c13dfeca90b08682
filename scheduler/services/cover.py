"""Who may lead a meeting in someone else's place. Eligibility is computed, never assumed.

A facilitator may take a set of meetings when, for each of them: they have every skill the
activity requires and its language, they are available (or available if need be) at its weekly
slot, they do not already lead a meeting at that date and slot (other accepted swaps counted),
and the meetings they would lead that week stay within their weekly load. Meetings they hand
over in the same trade are taken off their week first, since a trade applies both halves."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.i18n import date_text
from scheduler.models import AvailabilityLevel, Facilitator
from scheduler.models.swaps import SwapHalf, SwapItem, SwapRequest, SwapStatus
from scheduler.services.term import MeetingKey, TermState

USABLE_LEVELS = (AvailabilityLevel.AVAILABLE, AvailabilityLevel.IF_NEEDED)


def _week(key: MeetingKey) -> tuple[int, int]:
    iso = key.date.isocalendar()
    return iso.year, iso.week


def problems_taking(state: TermState, facilitator: Facilitator, taking: Iterable[MeetingKey],
                    giving: Iterable[MeetingKey] = ()) -> list[str]:
    """Why ``facilitator`` cannot lead ``taking`` (after handing over ``giving``); empty when they can."""
    taking = sorted(set(taking))
    giving = set(giving)
    available = {a.slot.code for a in facilitator.availability if a.level in USABLE_LEVELS}
    current = [MeetingKey.of(m) for m in state.led_by(facilitator.code)]
    kept = [key for key in current if key not in giving]
    busy = {(key.date, key.slot) for key in kept}
    load = Counter(_week(key) for key in kept)
    problems: list[str] = []
    for key in taking:
        meeting = state.by_key.get(key)
        if meeting is None or meeting.cancelled:
            problems.append(_("The meeting of %(group)s on %(date)s does not take place.",
                              group=key.group, date=date_text(key.date)))
            continue
        activity = state.activity(meeting.activity_id)
        what = _("%(activity)s on %(date)s", activity=activity.name, date=date_text(key.date))
        missing = sorted(set(activity.required_skills) - set(facilitator.skills))
        if missing:
            problems.append(_("%(what)s needs the skills %(skills)s.", what=what, skills=", ".join(missing)))
        language = activity.language
        if language and language not in facilitator.languages:
            problems.append(_("%(what)s is held in %(language)s.", what=what, language=language))
        if key.slot not in available:
            problems.append(_("%(what)s is at a time %(name)s is not available.", what=what, name=facilitator.name))
        if (key.date, key.slot) in busy:
            problems.append(_("%(what)s: %(name)s already leads a meeting then.", what=what, name=facilitator.name))
        busy.add((key.date, key.slot))
        load[_week(key)] += 1
    for (year, week), count in sorted(load.items()):
        if count > facilitator.max_sessions_per_week and any(_week(k) == (year, week) for k in taking):
            problems.append(_("%(name)s would lead %(count)d meetings in week %(week)d of %(year)d; "
                              "the most they lead in a week is %(limit)d.", name=facilitator.name,
                              count=count, week=week, year=year, limit=facilitator.max_sessions_per_week))
    return problems


def covers_this_term(facilitator_ids: Iterable[int], version_id: int) -> Counter[int]:
    """How many meetings each facilitator has taken over for colleagues under this version."""
    rows = db.session.execute(
        select(SwapRequest.accepted_by_id, func.count(SwapItem.id))
        .join(SwapItem, SwapItem.request_id == SwapRequest.id)
        .where(SwapRequest.version_id == version_id, SwapRequest.status == SwapStatus.ACCEPTED,
               SwapItem.half == SwapHalf.GIVE, SwapRequest.accepted_by_id.in_(list(facilitator_ids)))
        .group_by(SwapRequest.accepted_by_id)
    )
    return Counter({fid: count for fid, count in rows if fid is not None})


@dataclass(frozen=True)
class Candidate:
    facilitator: Facilitator
    covers: int


def eligible_colleagues(state: TermState, requester: Facilitator, taking: Iterable[MeetingKey]) -> list[Candidate]:
    """Colleagues who could lead ``taking`` for ``requester``, fairest first (fewest covers this term)."""
    taking = list(taking)
    colleagues = [f for f in db.session.scalars(
        select(Facilitator).where(Facilitator.center_id == requester.center_id, Facilitator.id != requester.id))]
    able = [f for f in colleagues if not problems_taking(state, f, taking)]
    covers = covers_this_term([f.id for f in able], state.version.id)
    return sorted((Candidate(f, covers[f.id]) for f in able), key=lambda c: (c.covers, c.facilitator.name))
