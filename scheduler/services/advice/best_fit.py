"""Where a participant fits now: the published term as it stands today, the solver's best-fit check
(``solver.best_fit``), and its reasons and suggested changes in words for coordinators.

The term is the published version's groups with today's members (leavers and joiners applied), its
slots, rooms and activities as published; the participant's answers and the keep-apart/together
pairs are the center's current ones, so a newcomer added after publishing is judged on what they
said. The waiting lists' seat check (``waitlist.misfits``) is :func:`refusals` here: one check."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.i18n import slots_text
from scheduler.models import AvailabilityLevel, Center, PairKind, Participant, ScheduleVersion, User
from scheduler.models.swaps import MemberChange, MemberChangeKind, OfferStatus, SeatOffer
from scheduler.services import versions
from scheduler.services.audit import record
from scheduler.services.planning import mapping
from scheduler.services.term import TermState, members_on, term_state
from solver import best_fit as fit
from solver import scenario as sc
from solver.schedule import Schedule


class JoinError(ValueError):
    pass


@dataclass(frozen=True)
class Words:
    """One group or activity with what the page says about it."""

    group: str | None
    label: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class FitPage:
    """What the "where they fit now" page shows for one participant."""

    code: str
    name: str
    day: dt.date
    result: fit.BestFit
    fits: tuple[Words, ...]          # ranked; ``lines``: rank, "if need be" sessions, seats left
    combination: tuple[str, ...]     # group ids of the best set to join together (when more than one)
    why_not: tuple[Words, ...]       # per activity: its groups' reasons, then the smallest change


def today(state: TermState, day: dt.date | None = None) -> dt.date:
    return max(day or dt.date.today(), state.data.center.term_start)


def groups_on(state: TermState, day: dt.date) -> Schedule:
    """The published schedule with each group's members on ``day``."""
    return members_on(state.data.schedule, state.rosters, day)


def solver_participant(row: Participant) -> sc.Participant:
    """The participant's current answers, as the solver reads them."""
    available = tuple(a.slot.code for a in row.availability if a.level == AvailabilityLevel.AVAILABLE)
    if_needed = tuple(a.slot.code for a in row.availability if a.level == AvailabilityLevel.IF_NEEDED)
    return mapping.participant_of(row, available, if_needed, tuple(p.activity.code for p in row.preferences))


def scenario_now(state: TermState, center: Center) -> sc.Scenario:
    """The published scenario with the center's current pairs (who is kept apart or together now)."""
    apart = tuple((p.first.code, p.second.code) for p in center.pairs if p.kind == PairKind.APART)
    together = tuple((p.first.code, p.second.code) for p in center.pairs if p.kind == PairKind.TOGETHER)
    return dataclasses.replace(state.data.scenario, keep_apart=apart, keep_together=together)


def find_participant(center: Center, code: str) -> Participant | None:
    return db.session.scalar(select(Participant).where(Participant.center_id == center.id, Participant.code == code))


def refusals(state: TermState, center: Center, participant: Participant, group_code: str,
             day: dt.date) -> list[str]:
    """Why ``participant`` cannot join the group from ``day`` on, in words; empty when they can."""
    schedule = groups_on(state, day)
    group = next((g for g in schedule.groups if g.id == group_code), None)
    if group is None:
        return [_("Group: there is no group %(group)s.", group=group_code)]
    reasons = fit.reasons_to_refuse(scenario_now(state, center), schedule.groups, solver_participant(participant),
                                    group)
    return [reason_text(r, participant.name, state) for r in reasons]


def where_they_fit(center: Center, participant: Participant, day: dt.date | None = None,
                   state: TermState | None = None) -> FitPage | None:
    """The page's data; None when no schedule is published. A page showing several people passes
    the term's ``state`` it has read already."""
    if state is None:
        version = versions.current_published(center)
        if version is None:
            return None
        state = term_state(version)
    on = today(state, day)
    result = fit.best_fit(scenario_now(state, center), groups_on(state, on), solver_participant(participant))
    data = state.data
    fits = tuple(Words(f.group, group_title(state, f.group), _fit_lines(f, state))
                 for f in result.fits)
    why_not = tuple(Words(None, data.activity_name(w.activity), _why_not_lines(w, participant.name, state))
                    for w in result.why_not)
    combination = tuple(group_title(state, f.group) for f in result.combination) if len(result.combination) > 1 else ()
    return FitPage(participant.code, participant.name, on, result, fits, combination, why_not)


def join(center: Center, group_code: str, participant_code: str, day: dt.date | None,
         actor: User | None) -> MemberChange:
    """``participant_code`` joins the published group from ``day`` (today) on, checked again now: a
    seat taken meanwhile refuses the join. Nothing is committed here."""
    version = versions.current_published(center)
    if version is None:
        raise JoinError(_("No schedule is published yet."))
    state = term_state(version)
    participant = find_participant(center, participant_code)
    if participant is None:
        raise JoinError(_("Participant: there is no participant %(code)s at this center.", code=participant_code))
    on = today(state, day)
    problems = refusals(state, center, participant, group_code, on)
    if not problems and _full_with_offers(state, version, group_code, participant_code, on):
        problems = [_("The free seat is already offered to someone else.")]
    if problems:
        raise JoinError(" ".join(problems))
    earlier = db.session.scalar(select(MemberChange).where(
        MemberChange.version_id == version.id, MemberChange.group_code == group_code,
        MemberChange.participant_code == participant_code, MemberChange.kind == MemberChangeKind.JOINED))
    if earlier is not None:
        # One join per person and group a term: a second one would rewrite when they were there.
        raise JoinError(_("%(name)s joined %(group)s and left it earlier this term; they cannot join it again "
                          "until the next schedule is published.", name=participant.name,
                          group=group_title(state, group_code)))
    change = MemberChange(center_id=center.id, version_id=version.id, group_code=group_code,
                          participant_code=participant_code, kind=MemberChangeKind.JOINED, effective=on)
    db.session.add(change)
    db.session.flush()
    record(center.id, actor, "member.joined", f"{participant_code} {group_code}", None, {"from": on.isoformat()})
    return change


def _seats_promised(version: ScheduleVersion, group_code: str, participant_code: str) -> int:
    return db.session.scalar(select(func.count()).select_from(SeatOffer).where(
        SeatOffer.version_id == version.id, SeatOffer.group_code == group_code,
        SeatOffer.status == OfferStatus.OFFERED, SeatOffer.participant_code != participant_code)) or 0


def _full_with_offers(state: TermState, version: ScheduleVersion, group_code: str, participant_code: str,
                      day: dt.date) -> bool:
    """Seats offered to others and not answered yet count as taken."""
    group = state.data.groups[group_code]
    limit = min(state.activity(group.activity).max_size, state.data.scenario.room(group.room).capacity)
    taken = len(state.rosters[group_code].on(day)) + _seats_promised(version, group_code, participant_code)
    return taken >= limit


# --------------------------------------------------------------------------- words


def published_group_title(center: Center, code: str) -> str:
    """How the center's published schedule names group ``code`` (the code itself when none is)."""
    version = versions.current_published(center)
    if version is None:
        return code
    return versions.version_data(version).group_title(code)


def group_title(state: TermState, code: str | None) -> str:
    """'Family sessions, group 4', as the version page names the group, never its code."""
    return state.data.group_title(code or "")


def _slots(state: TermState, codes: Iterable[str]) -> str:
    """"Monday 09:00–10:30" as said inside a sentence, in the reader's language."""
    return slots_text(state.data.scenario, codes, in_sentence=True)


def _fit_lines(f: fit.Fit, state: TermState) -> tuple[str, ...]:
    lines = [_("Choice %(rank)d.", rank=f.rank),
             _("%(n)d members now, %(free)d seats free.", n=f.size, free=f.free_seats)]
    if f.if_needed:
        lines.append(_("Only if need be at: %(slots)s.", slots=_slots(state, f.if_needed)))
    return tuple(lines)


def reason_text(reason: fit.Reason, name: str, state: TermState) -> str:
    """One reason in words; the waiting lists show the same sentences."""
    kind, blocker = reason.kind, fit.Blocker
    if kind == blocker.NOT_WANTED:
        return _("%(name)s did not ask for this activity.", name=name)
    if kind == blocker.ALREADY_IN_ACTIVITY:
        return _("%(name)s is already in group %(group)s of this activity.", name=name,
                 group=group_title(state, reason.group))
    if kind == blocker.MAX_GROUPS:
        return _("%(name)s is already in as many groups as they asked for (%(n)d).", name=name, n=reason.limit or 0)
    if kind == blocker.NOT_AVAILABLE:
        return _("%(name)s is not available at %(slot)s.", name=name, slot=_slots(state, [reason.slot or ""]))
    if kind == blocker.BUSY:
        return _("%(name)s is in another group (%(group)s) at %(slot)s.", name=name,
                 group=group_title(state, reason.group), slot=_slots(state, [reason.slot or ""]))
    if kind == blocker.KEEP_APART:
        return _("%(name)s is to be kept apart from %(member)s, a member of this group.", name=name,
                 member=state.data.participant_name(reason.person or ""))
    if kind == blocker.KEEP_TOGETHER:
        return _("%(name)s is to be kept together with %(partner)s, who is in group %(group)s.", name=name,
                 partner=state.data.participant_name(reason.person or ""), group=group_title(state, reason.group))
    if kind == blocker.LANGUAGE:
        return _("The group is held in %(language)s.", language=reason.language)
    if kind == blocker.ROOM_LACKS:
        return _("The group's room lacks %(features)s, which %(name)s needs.", features=", ".join(reason.features),
                 name=name)
    if kind == blocker.FULL:
        return _("The group is full.")
    return _("The group's room holds no more than %(n)d people.", n=reason.limit or 0)


def change_text(change: fit.Change, state: TermState) -> str:
    kind = change.kind
    if kind == fit.ChangeKind.ONE_MORE_SEAT:
        return _("One more seat in group %(group)s.", group=group_title(state, change.group))
    if kind == fit.ChangeKind.BIGGER_ROOM:
        return _("A room for group %(group)s that holds one more person.", group=group_title(state, change.group))
    if kind == fit.ChangeKind.ASK_IF_NEEDED:
        return _("Ask whether they could come at %(slots)s if need be.",
                 slots=_slots(state, change.slots))
    if kind == fit.ChangeKind.ROOM_WITH_FEATURES:
        return _("A room with %(features)s for group %(group)s.", features=", ".join(change.features),
                 group=group_title(state, change.group))
    if kind == fit.ChangeKind.ONE_MORE_GROUP:
        return _("Ask whether they could take part in one more group.")
    if change.within_limit:
        return _("Open a new group of %(activity)s.", activity=state.data.activity_name(change.activity))
    return _("Open a new group of %(activity)s (it already has as many groups as planned).",
             activity=state.data.activity_name(change.activity))


def _why_not_lines(w: fit.WhyNot, name: str, state: TermState) -> tuple[str, ...]:
    lines = [_("Choice %(rank)d.", rank=w.rank)]
    if not w.groups:
        lines.append(_("No group of it runs this term."))
    for misfit in w.groups:
        lines.append(_("%(group)s: %(reasons)s", group=group_title(state, misfit.group),
                       reasons=" ".join(reason_text(r, name, state) for r in misfit.reasons)))
    lines.append(_("Smallest change: %(change)s", change=" ".join(change_text(c, state) for c in w.changes)))
    return tuple(lines)
