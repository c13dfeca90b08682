"""Applying a settings change to the published term, on purpose.

A published version holds everything its outputs show, so changing the center's name, time zone,
term, holidays, address or an activity's calendar label touches no calendar, roster or email until a
new version is published. When the coordinator wants the change in the running term without a new
build, :func:`apply_to_published` records a new published version: the same groups, with the center's
settings as they are now, and every dated change of the term carried over (covers, cancellations,
moved dates, members leaving or joining). Dated changes that fall on a date the group no longer meets
(a new holiday, a shorter term) are dropped and listed. Everyone whose meetings move is told."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import (
    Center,
    Facilitator,
    MeetingOverride,
    MemberChange,
    Participant,
    ScheduleVersion,
    SeatOffer,
    SwapRequest,
    User,
    VersionStatus,
)
from scheduler.models.accounts import utcnow
from scheduler.models.swaps import OfferStatus, SwapStatus
from scheduler.services import notify
from scheduler.services.audit import record
from scheduler.services.meetings import slot_dates
from scheduler.services.term import MeetingKey, TermState, aware, term_state
from scheduler.services.versions import VersionError, presentation_of, version_data
from solver.scenario import ScenarioError, load_scenario

SETTING_NAMES = {"name": _l("name"), "timezone": _l("time zone"), "term_start": _l("term start"),
                 "term_end": _l("term end"), "holidays": _l("holidays"), "address": _l("address")}


@dataclass(frozen=True)
class Pending:
    """How the center's settings now differ from what the published version shows."""

    settings: list[str]           # names of the settings that differ, in words
    labels: list[str]             # activities whose calendar label differs
    dropped: list[MeetingKey] = field(default_factory=list)  # dated changes on dates that would be gone

    @property
    def any(self) -> bool:
        return bool(self.settings or self.labels)


def _center_section(center: Center) -> dict[str, object]:
    return {"name": center.name, "timezone": center.timezone, "term_start": center.term_start.isoformat(),
            "term_end": center.term_end.isoformat(), "holidays": sorted(h.date.isoformat() for h in center.holidays)}


def pending(center: Center, version: ScheduleVersion) -> Pending:
    data = version_data(version)
    now = {**_center_section(center), "address": center.address or ""}
    published = {"name": data.center.name, "timezone": data.center.timezone,
                 "term_start": data.center.term_start.isoformat(), "term_end": data.center.term_end.isoformat(),
                 "holidays": sorted(d.isoformat() for d in data.center.holidays), "address": data.address}
    settings = [str(SETTING_NAMES[key]) for key in SETTING_NAMES if now[key] != published[key]]
    labels_now = presentation_of(center)["labels"]
    labels = [data.activity_name(a.id) for a in data.scenario.activities
              if labels_now.get(a.id, "") != data.labels.get(a.id, "")]
    return Pending(settings, labels, _dropped(center, version))


def _new_scenario(center: Center, version: ScheduleVersion) -> dict[str, object]:
    scenario = copy.deepcopy(version.scenario)
    scenario["center"] = {**scenario.get("center", {}), **_center_section(center)}
    return scenario


def _dropped(center: Center, version: ScheduleVersion) -> list[MeetingKey]:
    """The dated changes of ``version`` that fall on a date the group would no longer meet."""
    try:
        scenario = load_scenario(_new_scenario(center, version))
    except ScenarioError:
        return []
    groups = version_data(version).groups
    dropped = []
    for o in db.session.scalars(select(MeetingOverride).where(MeetingOverride.version_id == version.id)
                                .order_by(MeetingOverride.date)):
        group = groups.get(o.group_code)
        if group is None or o.slot_code not in group.sessions or o.date not in slot_dates(
                scenario.center, scenario.slot(o.slot_code).day):
            dropped.append(MeetingKey(o.date, o.slot_code, o.group_code))
    return dropped


def apply_to_published(center: Center, version: ScheduleVersion, user: User | None,
                       now: dt.datetime | None = None) -> ScheduleVersion:
    """Record and publish a new version: ``version``'s groups with the center's settings now, every
    dated change carried over, and a notice to everyone whose meeting dates or times change."""
    now = now or utcnow()
    found = pending(center, version)
    if not found.any:
        raise VersionError(_("The published term already shows the center's settings."))
    scenario = _new_scenario(center, version)
    try:
        load_scenario(scenario)
    except ScenarioError as error:
        raise VersionError(_("The settings cannot apply to the published term: %(problem)s",
                             problem=str(error))) from error
    before = term_state(version)
    number = (db.session.scalar(select(func.max(ScheduleVersion.number))
                                .where(ScheduleVersion.center_id == center.id)) or 0) + 1
    # Never stamped before the version it replaces (the current one is the latest published).
    published_at = max(now, aware(version.published_at or now) + dt.timedelta(seconds=1))
    new = ScheduleVersion(center_id=center.id, number=number, status=VersionStatus.PUBLISHED,
                          published_at=published_at,
                          published_by=user, solver_status=version.solver_status, objective=version.objective,
                          bound=version.bound, scenario=scenario, schedule=copy.deepcopy(version.schedule),
                          presentation=presentation_of(center))
    db.session.add(new)
    db.session.flush()
    dropped = set(found.dropped)
    for o in db.session.scalars(select(MeetingOverride).where(MeetingOverride.version_id == version.id)):
        if MeetingKey(o.date, o.slot_code, o.group_code) in dropped:
            continue
        db.session.add(MeetingOverride(center_id=o.center_id, version_id=new.id, group_code=o.group_code,
                                       slot_code=o.slot_code, date=o.date, cancelled=o.cancelled,
                                       facilitator_codes=o.facilitator_codes, room_code=o.room_code,
                                       start_minute=o.start_minute, end_minute=o.end_minute,
                                       sequence=o.sequence, changed_at=o.changed_at))
    for c in db.session.scalars(select(MemberChange).where(MemberChange.version_id == version.id)):
        db.session.add(MemberChange(center_id=c.center_id, version_id=new.id, group_code=c.group_code,
                                    participant_code=c.participant_code, kind=c.kind, effective=c.effective,
                                    created_at=c.created_at))
    # Requests and offers still open belong to the term, not to one version of it: they move along.
    for request in db.session.scalars(select(SwapRequest).where(
            SwapRequest.version_id == version.id,
            SwapRequest.status.in_([SwapStatus.OPEN, SwapStatus.PENDING_APPROVAL]))):
        request.version_id = new.id
    for offer in db.session.scalars(select(SeatOffer).where(SeatOffer.version_id == version.id,
                                                            SeatOffer.status == OfferStatus.OFFERED)):
        offer.version_id = new.id
    db.session.flush()
    record(center.id, user, "version.settings_applied", f"version {new.number}",
           {"version": version.number}, {"version": new.number, "settings": found.settings,
                                         "labels": found.labels, "dropped": [f"{k.group} {k.date}" for k in dropped]})
    notify.send_all(center.id, _moved_notices(center, before, term_state(new), now))
    return new


def _times(state: TermState, code: str, *, facilitator: bool) -> set[tuple[dt.date, str, str]]:
    return {(m.date, m.start.strftime("%H:%M"), m.end.strftime("%H:%M")) for m in state.meetings if not m.cancelled
            and (code in m.facilitators if facilitator else code in m.members)}


def _moved_notices(center: Center, before: TermState, after: TermState, now: dt.datetime) -> list[notify.Notice]:
    """One message to each person whose meeting dates or times differ, with the first few of each."""
    notices: list[notify.Notice] = []
    today = now.date()
    people: list[Participant | Facilitator] = [*center.participants, *center.facilitators]
    for person in people:
        is_facilitator = isinstance(person, Facilitator)
        old = {t for t in _times(before, person.code, facilitator=is_facilitator) if t[0] >= today}
        new = {t for t in _times(after, person.code, facilitator=is_facilitator) if t[0] >= today}
        if old == new or not person.email:
            continue
        with force_locale(getattr(person, "locale", None) or "en"):
            gone = ", ".join(f"{format_date(d, 'full')} {s}" for d, s, _e in sorted(old - new)[:5]) or "—"
            added = ", ".join(f"{format_date(d, 'full')} {s}" for d, s, _e in sorted(new - old)[:5]) or "—"
            body = _("The dates or times of your meetings have changed.\n\nNo longer: %(gone)s\nNow: %(added)s\n\n"
                     "Your calendar will follow.", gone=gone, added=added)
            notices.append(notify.Notice(person.email, person.name, _("Your meetings have changed"), body,
                                         urgent=False))
    return notices
