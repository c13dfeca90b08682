"""The audit log: every change made during the term, with who made it and the state before and after;
and who looked at or changed a person's data (``person.*`` entries, which name the fields changed
but never copy their values: the log must not become a second store of personal data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import User
from scheduler.models.swaps import AuditEntry


def record(center_id: int, actor: User | None, action: str, subject: str,
           before: dict[str, Any] | None, after: dict[str, Any] | None) -> AuditEntry:
    """Add an entry to the current transaction, so it is kept exactly when the change is."""
    entry = AuditEntry(center_id=center_id, actor=actor, action=action, subject=subject[:200],
                       before=before, after=after)
    db.session.add(entry)
    return entry


PEOPLE_SECTIONS = {"participants": "participant", "facilitators": "facilitator"}


def current_actor() -> User | None:
    """Whoever is signed in for this request (None for the command line or a personal link)."""
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[no-any-return]
    return None


def viewed(center_id: int, kind: str, code: str, page: str) -> AuditEntry:
    """A signed-in person opened a page showing one person's data (``kind``: participant or facilitator)."""
    return record(center_id, current_actor(), f"person.viewed.{page}", f"{kind} {code}", None, None)


def viewed_list(center_id: int, page: str, subject: str) -> AuditEntry:
    """A signed-in person opened a page showing several people's data (a roster, the answers, the
    outbox): one entry for the page, naming what it lists, never one per person, so the log stays
    readable."""
    return record(center_id, current_actor(), f"person.viewed.{page}", subject, None, None)


def people_changes(center_id: int, old: dict[str, Any], new: dict[str, Any]) -> list[AuditEntry]:
    """One entry per person added, removed or changed between two scenario dicts, with the names of
    the fields that changed."""
    recorded = []
    for section, kind in PEOPLE_SECTIONS.items():
        before = {p["id"]: p for p in old.get(section, [])}
        after = {p["id"]: p for p in new.get(section, [])}
        for code in sorted(before.keys() | after.keys()):
            was, now = before.get(code), after.get(code)
            if was == now:
                continue
            fields = sorted(k for k in (was or {}).keys() | (now or {}).keys()
                            if (was or {}).get(k) != (now or {}).get(k))
            action = "person.added" if was is None else "person.removed" if now is None else "person.changed"
            recorded.append(record(center_id, current_actor(), action, f"{kind} {code}", None, {"fields": fields}))
    return recorded


def entries(center_id: int, *, action_prefix: str = "", since: dt.datetime | None = None,
            limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.center_id == center_id)
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list(db.session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))
