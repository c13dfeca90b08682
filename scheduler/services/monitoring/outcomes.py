"""Outcome check-ins: how participants are doing at their first and at their last meeting of the term.

The questions are the four ONS personal well-being questions (UK Office for National Statistics,
free to use), each from 0 to 10, and, where the coordinator asks for it, one rating of the meeting.
A coordinator turns them on per activity. Answers are seen by nobody as a person's: coordinators
get the number of answers and the averages before and after, per activity, and an average is only
shown from :data:`MIN_ANSWERS` answers on, so no single person's answer can be read from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.models import (
    Activity,
    ActivityOutcomes,
    Center,
    CheckInPhase,
    MeetingRating,
    OutcomeAnswer,
    Participant,
    ScheduleVersion,
)
from scheduler.services.meetings import Meeting
from scheduler.services.term import TermState, term_state
from scheduler.services.versions import current_published, term_of, version_data

# (column, question). The wording is the ONS's; "anxious" is the one where lower is better.
QUESTIONS: tuple[tuple[str, object], ...] = (
    ("satisfied", _l("Overall, how satisfied are you with your life nowadays?")),
    ("worthwhile", _l("Overall, to what extent do you feel that the things you do in your life are worthwhile?")),
    ("happy", _l("Overall, how happy did you feel yesterday?")),
    ("anxious", _l("On a scale where 0 is “not at all anxious” and 10 is “completely anxious”, overall, how "
                   "anxious did you feel yesterday?")),
)
RATING_QUESTION = _l("How useful was today’s meeting for you? (0: not at all, 10: very)")
MIN_ANSWERS = 3
# The first check-in is open from a little before the person's first meeting until a week after it;
# the last from their last meeting until two weeks after it.
BEFORE_OPENS = dt.timedelta(days=2)
BEFORE_CLOSES = dt.timedelta(days=6)
AFTER_CLOSES = dt.timedelta(days=14)


@dataclass(frozen=True)
class CheckIn:
    """A check-in the person can answer now."""

    activity_code: str
    label: str
    phase: CheckInPhase
    meeting: Meeting
    ask_rating: bool


def settings(center: Center) -> dict[str, ActivityOutcomes]:
    """Activity code -> its outcomes switch, for the activities that have one."""
    by_id = {a.id: a.code for a in center.activities}
    return {by_id[row.activity_id]: row for row in db.session.scalars(
        select(ActivityOutcomes).where(ActivityOutcomes.center_id == center.id)) if row.activity_id in by_id}


def set_enabled(activity: Activity, enabled: bool, ask_rating: bool) -> None:
    row = db.session.get(ActivityOutcomes, activity.id)
    if row is None:
        row = ActivityOutcomes(activity_id=activity.id, center_id=activity.center_id)
        db.session.add(row)
    row.enabled, row.ask_rating = enabled, ask_rating and enabled


def _own_meetings(state: TermState, code: str, activity_code: str) -> list[Meeting]:
    return [m for m in state.meetings if m.activity_id == activity_code and code in m.members and not m.cancelled]


def open_check_ins(center: Center, participant: Participant, today: dt.date) -> list[CheckIn]:
    switches = {code: row for code, row in settings(center).items() if row.enabled}
    version = current_published(center) if switches else None
    if version is None:
        return []
    state = term_state(version)
    answered = {(a.activity_code, a.phase) for a in db.session.scalars(
        select(OutcomeAnswer).where(OutcomeAnswer.participant_id == participant.id,
                                    OutcomeAnswer.version_id.in_(term_version_ids(version))))}
    data = version_data(version)  # named as on the rest of their page: the calendar label, as published
    found = []
    for code, switch in switches.items():
        meetings = _own_meetings(state, participant.code, code)
        if not meetings:
            continue
        first, last = meetings[0], meetings[-1]
        if (code, CheckInPhase.BEFORE) not in answered and \
                first.date - BEFORE_OPENS <= today <= first.date + BEFORE_CLOSES:
            found.append(CheckIn(code, data.label(code), CheckInPhase.BEFORE, first, switch.ask_rating))
        if last is not first and (code, CheckInPhase.AFTER) not in answered and \
                last.date <= today <= last.date + AFTER_CLOSES:
            found.append(CheckIn(code, data.label(code), CheckInPhase.AFTER, last, switch.ask_rating))
    return found


def term_version_ids(version: ScheduleVersion) -> list[int]:
    """The versions of the same term as ``version`` (a re-planned term keeps its answers)."""
    def term(v: ScheduleVersion) -> tuple[dt.date, dt.date]:
        center = term_of(v)
        return center.term_start, center.term_end
    wanted = term(version)
    return [v.id for v in db.session.scalars(select(ScheduleVersion).where(
        ScheduleVersion.center_id == version.center_id)) if term(v) == wanted]


@dataclass
class Parsed:
    values: dict[str, int] = field(default_factory=dict)
    rating: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _score(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and 0 <= int(raw) <= 10 else None


def parse(form: Mapping[str, str], check_in: CheckIn) -> Parsed:
    from flask_babel import gettext as _

    parsed = Parsed()
    for name, _question in QUESTIONS:
        value = _score(form.get(name, ""))
        if value is None:
            parsed.errors[name] = _("Choose a number from 0 to 10.")
        else:
            parsed.values[name] = value
    raw_rating = form.get("rating", "").strip()
    if check_in.ask_rating and raw_rating:
        parsed.rating = _score(raw_rating)
        if parsed.rating is None:
            parsed.errors["rating"] = _("Choose a number from 0 to 10, or leave it empty.")
    return parsed


def save(center: Center, participant: Participant, check_in: CheckIn, parsed: Parsed) -> bool:
    """Store one check-in (the caller commits); False when it was already answered (another tab)."""
    version = current_published(center)
    assert version is not None and not parsed.errors
    meeting = check_in.meeting
    answer = OutcomeAnswer(center_id=center.id, participant_id=participant.id, version_id=version.id,
                           activity_code=check_in.activity_code, phase=check_in.phase, **parsed.values)
    rows: list[OutcomeAnswer | MeetingRating] = [answer]
    if parsed.rating is not None:
        rows.append(MeetingRating(center_id=center.id, participant_id=participant.id, version_id=version.id,
                                  activity_code=check_in.activity_code, group_code=meeting.group_id,
                                  slot_code=meeting.slot_id, date=meeting.date, rating=parsed.rating))
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class Averages:
    """Answers of one phase: how many, and each question's average (None below MIN_ANSWERS)."""

    n: int
    means: dict[str, float | None]


@dataclass(frozen=True)
class ActivityOutcome:
    activity_code: str
    name: str
    before: Averages
    after: Averages
    ratings: int
    rating_mean: float | None


def _averages(answers: list[OutcomeAnswer]) -> Averages:
    shown = len(answers) >= MIN_ANSWERS
    return Averages(len(answers), {name: (sum(getattr(a, name) for a in answers) / len(answers) if shown else None)
                                   for name, _q in QUESTIONS})


def summary(center: Center, version: ScheduleVersion) -> list[ActivityOutcome]:
    """Before/after per activity that has the check-in on or has answers, in the activities' order."""
    ids = term_version_ids(version)
    answers = list(db.session.scalars(select(OutcomeAnswer).where(OutcomeAnswer.center_id == center.id,
                                                                  OutcomeAnswer.version_id.in_(ids))))
    ratings = list(db.session.scalars(select(MeetingRating).where(MeetingRating.center_id == center.id,
                                                                  MeetingRating.version_id.in_(ids))))
    switched_on = {code for code, row in settings(center).items() if row.enabled}
    names = {a.id: a.name for a in version_data(version).scenario.activities}
    codes = [code for code in names if code in switched_on or any(a.activity_code == code for a in answers)]
    result = []
    for code in codes:
        mine = [a for a in answers if a.activity_code == code]
        rated = [r.rating for r in ratings if r.activity_code == code]
        result.append(ActivityOutcome(
            code, names[code],
            _averages([a for a in mine if a.phase == CheckInPhase.BEFORE]),
            _averages([a for a in mine if a.phase == CheckInPhase.AFTER]),
            len(rated), sum(rated) / len(rated) if len(rated) >= MIN_ANSWERS else None))
    return result


# --------------------------------------------------------------------------- privacy


def anonymise(center_id: int, answered_before: dt.datetime) -> int:
    """The center's retention period: answers and ratings older than this are tied to nobody from now
    on (they still count in the averages). Returns how many rows were anonymised."""
    count = 0
    for model in (OutcomeAnswer, MeetingRating):
        count += db.session.execute(update(model).where(
            model.center_id == center_id, model.participant_id.is_not(None),
            model.answered_at < answered_before).values(participant_id=None)).rowcount or 0
    return count


def export_person(participant: Participant) -> dict[str, Any]:
    """What a person's copy of their data holds of reminders and check-ins."""
    from scheduler.models import ReminderChoice, ReminderSent

    choice = db.session.get(ReminderChoice, participant.id)
    sent = db.session.scalars(select(ReminderSent).where(ReminderSent.participant_id == participant.id)
                              .order_by(ReminderSent.date))
    answers = db.session.scalars(select(OutcomeAnswer).where(OutcomeAnswer.participant_id == participant.id)
                                 .order_by(OutcomeAnswer.answered_at))
    ratings = db.session.scalars(select(MeetingRating).where(MeetingRating.participant_id == participant.id)
                                 .order_by(MeetingRating.date))
    return {
        "reminders": None if choice is None else {"by_email": choice.by_email, "by_sms": choice.by_sms,
                                                  "phone": choice.phone},
        "reminders_sent": [{"group": r.group_code, "date": r.date.isoformat(), "channel": r.channel.value,
                            "sent_at": r.sent_at.isoformat()} for r in sent],
        "check_ins": [{"activity": a.activity_code, "phase": a.phase.value,
                       **{name: getattr(a, name) for name, _q in QUESTIONS},
                       "answered_at": a.answered_at.isoformat()} for a in answers],
        "meeting_ratings": [{"group": r.group_code, "date": r.date.isoformat(), "rating": r.rating}
                            for r in ratings],
    }
