"""A participant's rights over their data: a copy of everything held about them, and erasure.

Erasure deletes their rows, links and calendar tokens, and the emails addressed to them. Published
versions are history that other people's calendars and the audit log rely on, so there the person
becomes an anonymous placeholder ("Former participant 3"): the groups keep their sizes, nobody can
tell who it was."""

from __future__ import annotations

import copy
import datetime as dt
import re
import secrets
from typing import Any

from sqlalchemy import delete, select

from scheduler.extensions import db
from scheduler.models import (
    AuditEntry,
    Center,
    FeedToken,
    MemberChange,
    OutboxMessage,
    Participant,
    ScheduleVersion,
    SeatOffer,
    User,
)
from scheduler.services.audit import record
from scheduler.services.editing import current_scenario


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_participant(center: Center, participant: Participant) -> dict[str, Any]:
    """Everything held about one participant, readable by them (no secrets: token values are never stored)."""
    person = next(p for p in current_scenario(center)["participants"] if p["id"] == participant.code)
    versions = db.session.scalars(select(ScheduleVersion).where(ScheduleVersion.center_id == center.id)
                                  .order_by(ScheduleVersion.number))
    return {
        "center": center.name,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "participant": person,
        "language": participant.locale,
        "answered_at": _iso(participant.answered_at),
        "keep_apart": [pair for pair in current_scenario(center)["keep_apart"] if participant.code in pair],
        "keep_together": [pair for pair in current_scenario(center)["keep_together"] if participant.code in pair],
        "personal_links": [{"created_at": _iso(link.created_at), "revoked_at": _iso(link.revoked_at)}
                           for link in participant.links],
        "calendar_links": [{"created_at": _iso(t.created_at), "revoked_at": _iso(t.revoked_at)}
                           for t in db.session.scalars(select(FeedToken).where(FeedToken.participant_id
                                                                               == participant.id))],
        "groups_in_schedule_versions": [
            {"version": v.number, "status": v.status.value,
             "groups": [g["id"] for g in v.schedule.get("groups", []) if participant.code in g["members"]]}
            for v in versions],
        "emails": [{"subject": m.subject, "status": m.status.value, "created_at": _iso(m.created_at)}
                   for m in db.session.scalars(select(OutboxMessage).where(
                       OutboxMessage.center_id == center.id, OutboxMessage.to_email == participant.email))
                   if participant.email],
    }


def _anonymise_snapshot(version: ScheduleVersion, code: str, placeholder: str, label: str) -> None:
    scenario, schedule = copy.deepcopy(version.scenario), copy.deepcopy(version.schedule)
    for person in scenario.get("participants", []):
        if person["id"] == code:
            person.update(id=placeholder, name=label, email="")
    for kind in ("keep_apart", "keep_together"):
        scenario[kind] = [[placeholder if x == code else x for x in pair] for pair in scenario.get(kind, [])]
    for group in schedule.get("groups", []):
        group["members"] = [placeholder if m == code else m for m in group["members"]]
    for item in schedule.get("unassigned", []):
        if item.get("participant") == code:
            item["participant"] = placeholder
    version.scenario, version.schedule = scenario, schedule


def erase_participant(center: Center, participant: Participant, actor: User | None) -> str:
    """Erase one participant; returns the placeholder that now stands for them in history."""
    code, email = participant.code, participant.email
    number = secrets.randbelow(900_000) + 100_000
    placeholder, label = f"former-{number}", f"Former participant {number}"
    for version in db.session.scalars(select(ScheduleVersion).where(ScheduleVersion.center_id == center.id)):
        if any(p["id"] == code for p in version.scenario.get("participants", [])):
            _anonymise_snapshot(version, code, placeholder, label)
    for model in (MemberChange, SeatOffer):
        for row in db.session.scalars(select(model).where(model.center_id == center.id,
                                                          model.participant_code == code)):
            row.participant_code = placeholder
    # Whole ids only: erasing "p1" must not touch "p10".
    whole = re.compile(rf"(?<![\w-]){re.escape(code)}(?![\w-])")
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.center_id == center.id,
                                                             AuditEntry.subject.contains(code, autoescape=True))):
        entry.subject = whole.sub(placeholder, entry.subject)
    if email:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.center_id == center.id,
                                                       OutboxMessage.to_email == email))
    db.session.delete(participant)  # availability, preferences, pairs, links and feed tokens go with it
    db.session.flush()
    record(center.id, actor, "person.erased", f"participant {placeholder}", None, None)
    return placeholder
