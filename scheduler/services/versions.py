"""Schedule versions: every solve leaves a draft; one is published at a time, and published
versions are kept unchanged forever (the feeds and the term's history read them)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion, User, VersionStatus
from scheduler.models.accounts import utcnow


class VersionError(ValueError):
    pass


def list_versions(center: Center) -> list[ScheduleVersion]:
    return list(db.session.scalars(
        select(ScheduleVersion).where(ScheduleVersion.center_id == center.id).order_by(ScheduleVersion.number.desc())
    ))


def find_version(center: Center, number: int) -> ScheduleVersion | None:
    return db.session.scalar(
        select(ScheduleVersion).where(ScheduleVersion.center_id == center.id, ScheduleVersion.number == number)
    )


def current_published(center: Center) -> ScheduleVersion | None:
    """The version people see: the one published most recently."""
    return db.session.scalar(
        select(ScheduleVersion)
        .where(ScheduleVersion.center_id == center.id, ScheduleVersion.status == VersionStatus.PUBLISHED)
        .order_by(ScheduleVersion.published_at.desc(), ScheduleVersion.number.desc())
        .limit(1)
    )


def publish(version: ScheduleVersion, user: User | None) -> None:
    """Publish a draft. Earlier published versions stay as they are; this one becomes current."""
    if version.status == VersionStatus.PUBLISHED:
        raise VersionError(_("Version %(number)d is already published.", number=version.number))
    if not version.schedule.get("groups"):
        raise VersionError(_("Version %(number)d has no groups to publish.", number=version.number))
    version.status = VersionStatus.PUBLISHED
    version.published_at = utcnow()
    version.published_by = user
