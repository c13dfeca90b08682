"""The audit log: every change made during the term, with who made it and the state before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

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


def entries(center_id: int, *, action_prefix: str = "", since: dt.datetime | None = None,
            limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.center_id == center_id)
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list(db.session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))
