"""A participant's rights over their data: a copy of everything held about them, and erasure.

Erasure deletes their rows, links, calendar tokens and pins, and the emails addressed to them.
Schedule versions and the builds that made them are history that other people's calendars and the
audit log rely on, so there the person becomes an anonymous placeholder ("Former participant
304512"): the groups keep their sizes, nobody can tell who it was. Their name and email go from
every snapshot and their code from every snapshot, text and log entry of the center
(``tests/test_privacy.py`` searches every column of every table for them afterwards)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from scheduler.extensions import db
from scheduler.models import (
    AuditEntry,
    Center,
    FeedToken,
    MemberChange,
    OutboxMessage,
    Participant,
    Pin,
    PinKind,
    ScheduleVersion,
    SeatOffer,
    SolveJob,
    User,
)
from scheduler.services.audit import record
from scheduler.services.monitoring import outcomes
from scheduler.services.monitoring.retention import export_person, forget_person
from scheduler.services.planning import read_center
from scheduler.services.versions import version_data


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_participant(center: Center, participant: Participant) -> dict[str, Any]:
    """Everything held about one participant, readable by them (no secrets: token values are never stored)."""
    live = read_center(center)
    # Their record as the center's export file has it (the interchange form is what they get a copy of).
    person = next(p for p in live.to_dict()["participants"] if p["id"] == participant.code)
    versions = db.session.scalars(select(ScheduleVersion).where(ScheduleVersion.center_id == center.id)
                                  .order_by(ScheduleVersion.number))
    return {
        "center": center.name,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "participant": person,
        "language": participant.locale,
        "answered_at": _iso(participant.answered_at),
        "keep_apart": [list(pair) for pair in live.keep_apart if participant.code in pair],
        "keep_together": [list(pair) for pair in live.keep_together if participant.code in pair],
        "personal_links": [{"created_at": _iso(link.created_at), "revoked_at": _iso(link.revoked_at)}
                           for link in participant.links],
        "calendar_links": [{"created_at": _iso(t.created_at), "revoked_at": _iso(t.revoked_at)}
                           for t in db.session.scalars(select(FeedToken).where(FeedToken.participant_id
                                                                               == participant.id))],
        "groups_in_schedule_versions": [
            {"version": v.number, "status": v.status.value,
             "groups": [g.id for g in version_data(v).schedule.groups if participant.code in g.members]}
            for v in versions],
        "emails": [{"subject": m.subject, "status": m.status.value, "created_at": _iso(m.created_at)}
                   for m in db.session.scalars(select(OutboxMessage).where(
                       OutboxMessage.center_id == center.id, OutboxMessage.to_email == participant.email))
                   if participant.email],
        **export_person(center.id, participant.code),  # attendance and follow-ups
        **outcomes.export_person(participant),  # reminders chosen and sent, check-ins, ratings
    }


class PrivacyError(ValueError):
    """Erasure cannot happen now; the message says why and what to do."""


class _Scrub:
    """Rewrites JSON snapshots and texts so that one participant is no longer in them: their record
    becomes the placeholder's, their code becomes the placeholder anywhere (whole ids only: erasing
    "p1" must not touch "p10"), and their name and email go from free text (solver messages that
    name a pinned participant, say). Other people's records are left exactly as they are, even a
    namesake's."""

    def __init__(self, code: str, name: str, email: str, placeholder: str, label: str):
        self.code, self.name, self.email, self.placeholder, self.label = code, name, email, placeholder, label
        self.whole_code = re.compile(rf"(?<![\w-]){re.escape(code)}(?![\w-])")
        self.whole_name = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)") if name.strip() else None

    def text(self, value: str) -> str:
        value = self.whole_code.sub(self.placeholder, value)
        if self.whole_name is not None:
            value = self.whole_name.sub(self.label, value)
        if self.email:
            value = re.sub(re.escape(self.email), self.label, value, flags=re.IGNORECASE)
        return value

    def json(self, value: Any, *, records: bool = False) -> Any:
        """``records``: ``value`` is a list of people (a scenario's participants or facilitators)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item, records=records) for item in value]
        if not isinstance(value, dict):
            return value
        if records and "id" in value:
            if value["id"] == self.code:
                return {**{k: self.json(v) for k, v in value.items()}, "id": self.placeholder, "name": self.label,
                        "email": ""}
            return {k: v if k in ("name", "email") else self.json(v) for k, v in value.items()}
        return {self.text(k): self.json(v, records=k in ("participants", "facilitators")) for k, v in value.items()}


def erase_participant(center: Center, participant: Participant, actor: User | None) -> str:
    """Erase one participant; returns the placeholder that now stands for them in history."""
    from scheduler.services.solving import active_job

    if active_job(center) is not None:
        # The build has the person in its copy of the data and would write them back into a new version.
        raise PrivacyError(_("A schedule is being built from data that includes this person. Wait for it to "
                             "finish, or cancel it, then erase."))
    code, email = participant.code, participant.email
    number = secrets.randbelow(900_000) + 100_000
    placeholder, label = f"former-{number}", f"Former participant {number}"
    scrub = _Scrub(code, participant.name, email, placeholder, label)
    versions = list(db.session.scalars(select(ScheduleVersion).where(ScheduleVersion.center_id == center.id)))
    jobs = list(db.session.scalars(select(SolveJob).where(SolveJob.center_id == center.id)))
    # Addresses they had earlier (snapshots keep them), so emails sent there go too. Read from the stored
    # JSON itself, which is what erasure rewrites (a build's input is only ever JSON).
    addresses = {email.lower()} | {str(person.get("email", "")).lower() for snapshot in versions + jobs
                                   for person in snapshot.scenario.get("participants", []) if person.get("id") == code}
    for version in versions:
        version.scenario, version.schedule = scrub.json(version.scenario), scrub.json(version.schedule)
    for job in jobs:
        job.scenario, job.params = scrub.json(job.scenario), scrub.json(job.params)
        job.message = scrub.text(job.message) if job.message else job.message
    # A pin keeping them in their groups means nothing once they are gone.
    db.session.execute(delete(Pin).where(Pin.center_id == center.id, Pin.kind == PinKind.PARTICIPANT_GROUPS,
                                         Pin.subject == code))
    forget_person(center.id, code)  # their attendance becomes anonymous counts; follow-ups go
    for model in (MemberChange, SeatOffer):
        for row in db.session.scalars(select(model).where(model.center_id == center.id,
                                                          model.participant_code == code)):
            row.participant_code = placeholder
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.center_id == center.id)):
        subject, before, after = scrub.text(entry.subject), scrub.json(entry.before), scrub.json(entry.after)
        if (subject, before, after) != (entry.subject, entry.before, entry.after):
            entry.subject, entry.before, entry.after = subject, before, after
    addresses.discard("")
    if addresses:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.center_id == center.id,
                                                       func.lower(OutboxMessage.to_email).in_(addresses)))
    db.session.delete(participant)  # availability, preferences, pairs, links and feed tokens go with it
    db.session.flush()
    record(center.id, actor, "person.erased", f"participant {placeholder}", None, None)
    return placeholder
