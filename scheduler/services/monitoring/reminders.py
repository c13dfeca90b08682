"""Reminders the day before each meeting, for participants who asked for them.

People who are reminded come more often and, when they cannot, say so in time (absent with notice
rather than a no-show). The job runs from cron (``flask send-reminders``) as often as wanted: each
(person, meeting, channel) is written to ``reminders_sent`` before it goes out, under a unique key, so
a second run, or two at once, never sends it twice. It reads the term as everything else does
(:func:`term_state`): a cancelled date, a holiday, or a group the person has left gets no reminder.

A reminder names the activity by its calendar label: it lands on a lock screen or in a shared inbox,
so a discreet activity ("Tuesday group") is never named there, as in the calendar feeds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.models import Center, Participant, ReminderChannel, ReminderChoice, ReminderSent, ScheduleVersion
from scheduler.models.accounts import utcnow
from scheduler.services import mail
from scheduler.services.meetings import Meeting
from scheduler.services.monitoring import sms
from scheduler.services.term import term_state
from scheduler.services.versions import current_published, version_data


@dataclass(frozen=True)
class Due:
    """One reminder to send."""

    center: Center
    version: ScheduleVersion
    participant: Participant
    meeting: Meeting
    channel: ReminderChannel
    phone: str = ""


@dataclass
class Outcome:
    emails: int = 0
    texts: int = 0
    failed: int = 0


def tomorrow(center: Center, now: dt.datetime) -> dt.date:
    """The day after ``now`` on the center's own calendar."""
    return now.astimezone(ZoneInfo(center.timezone)).date() + dt.timedelta(days=1)


def choice_for(participant: Participant) -> ReminderChoice | None:
    return db.session.get(ReminderChoice, participant.id)


def set_choice(participant: Participant, by_email: bool, by_sms: bool, phone: str) -> ReminderChoice:
    """Store what the person chose (the caller commits). Validates nothing: the view has done it."""
    choice = choice_for(participant)
    if choice is None:
        choice = ReminderChoice(participant_id=participant.id, center_id=participant.center_id)
        db.session.add(choice)
    choice.by_email, choice.by_sms, choice.phone = by_email, by_sms, phone if by_sms else ""
    choice.changed_at = utcnow()
    return choice


def due(now: dt.datetime) -> list[Due]:
    """Every reminder owed for tomorrow's meetings (in each center's time zone) and not yet sent."""
    found: list[Due] = []
    for center in db.session.scalars(select(Center).order_by(Center.id)):
        choices = {c.participant_id: c for c in db.session.scalars(
            select(ReminderChoice).where(ReminderChoice.center_id == center.id))}
        if not any(c.by_email or c.by_sms for c in choices.values()):
            continue
        version = current_published(center)
        if version is None:
            continue
        day = tomorrow(center, now)
        people = {p.code: p for p in center.participants if p.id in choices}
        already = {(r.participant_id, r.group_code, r.slot_code, r.channel) for r in db.session.scalars(
            select(ReminderSent).where(ReminderSent.center_id == center.id, ReminderSent.date == day))}
        for meeting in term_state(version).meetings:
            if meeting.date != day or meeting.cancelled:
                continue
            for code in meeting.members:
                person = people.get(code)
                if person is None:
                    continue
                choice = choices[person.id]
                wanted = [(ReminderChannel.EMAIL, choice.by_email and bool(person.email)),
                          (ReminderChannel.SMS, choice.by_sms and bool(choice.phone))]
                for channel, wanted_here in wanted:
                    if wanted_here and (person.id, meeting.group_id, meeting.slot_id, channel) not in already:
                        found.append(Due(center, version, person, meeting, channel, choice.phone))
    return found


def message(item: Due) -> tuple[str, str]:
    """Subject and text, in the person's language."""
    meeting = item.meeting
    data = version_data(item.version)  # names, labels and the address as published, like the calendars
    with force_locale(item.participant.locale or "en"):
        when = _("%(date)s at %(time)s", date=format_date(meeting.date, "full"), time=meeting.start.strftime("%H:%M"))
        label = data.label(meeting.activity_id)
        subject = _("Reminder: %(group)s tomorrow", group=label)
        text = _("%(group)s meets tomorrow, %(when)s, in %(place)s.", group=label, when=when,
                 place=data.room_name(meeting.room))
        if item.channel == ReminderChannel.SMS:
            return subject, text + " " + _("Cannot come? Please tell %(center)s.", center=item.center.name)
        body = "\n\n".join([_("Hello %(name)s,", name=item.participant.name),
                            text,
                            _("If you cannot come, please tell us before the meeting, so someone else can "
                              "have your place."),
                            _("You asked for these reminders on your own page, where you can also stop them."),
                            item.center.name + (f"\n{data.address}" if data.address else "")])
    return subject, body


def _claim(item: Due) -> ReminderSent | None:
    """Write the sent row first, in a savepoint: a run that finds it already there sends nothing."""
    meeting = item.meeting
    row = ReminderSent(center_id=item.center.id, participant_id=item.participant.id, version_id=item.version.id,
                       group_code=meeting.group_id, slot_code=meeting.slot_id, date=meeting.date,
                       channel=item.channel)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    return row


def send_due(now: dt.datetime, texts: sms.SmsSender) -> Outcome:
    """Send every reminder owed now; each is committed on its own, so a crash halfway loses nothing."""
    outcome = Outcome()
    for item in due(now):
        row = _claim(item)
        if row is None:
            continue
        subject, body = message(item)
        if item.channel == ReminderChannel.EMAIL:
            mail.send(item.center.id, item.participant.email, item.participant.name, subject, body)
            outcome.emails += 1
        else:
            try:
                texts.send(item.phone, body)
            except sms.SmsError:
                db.session.delete(row)  # not sent: the next run tries again
                outcome.failed += 1
            else:
                outcome.texts += 1
        db.session.commit()
    return outcome
