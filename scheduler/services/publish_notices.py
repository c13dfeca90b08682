"""Who publishing a version tells, and what: the confirmation page shows the plan, publishing sends it.

Compared with the version published now (none: everyone placed is new): a person in a group for the
first time is told their group, its times, the place and their calendar link; a person whose groups
changed is told what changed (before and now); a person with no email address is named, so the
coordinator can tell them another way. Participants left out are listed. Each message is written in
the person's own language."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _

from scheduler.i18n import slot_text
from scheduler.models import Center, Facilitator, Participant, ScheduleVersion
from scheduler.services import feed_tokens
from scheduler.services.people_search import natural_key
from scheduler.services.term import members_on, rosters
from scheduler.services.versions import VersionData, current_published, version_data

LIST_LIMIT = 30  # names shown on the confirmation page before "and N more"

Person = Participant | Facilitator
# One group of a person: (activity code, its slot ids, room code); put in words in the reader's language.
Placement = tuple[str, tuple[str, ...], str]


@dataclass
class PublishPlan:
    left_out: list[str] = field(default_factory=list)          # participants' names
    new_members: list[Person] = field(default_factory=list)
    changed: list[Person] = field(default_factory=list)
    no_email: list[str] = field(default_factory=list)          # names of people to be told another way
    placements: dict[str, tuple[set[Placement], set[Placement]]] = field(default_factory=dict)  # key -> old, new
    before: VersionData | None = None
    after: VersionData | None = None

    @property
    def new_participants(self) -> list[Person]:
        return [p for p in self.new_members if not isinstance(p, Facilitator)]

    @property
    def new_facilitators(self) -> list[Person]:
        return [p for p in self.new_members if isinstance(p, Facilitator)]

    @property
    def changed_participants(self) -> list[Person]:
        return [p for p in self.changed if not isinstance(p, Facilitator)]

    @property
    def changed_facilitators(self) -> list[Person]:
        return [p for p in self.changed if isinstance(p, Facilitator)]

    @property
    def told(self) -> int:
        return len(self.new_members) + len(self.changed) - len(self.no_email)


def _key(person: Person) -> str:
    return ("f:" if isinstance(person, Facilitator) else "p:") + person.code


def _placements(data: VersionData | None, code: str, *, facilitator: bool) -> set[Placement]:
    if data is None:
        return set()
    found: set[Placement] = set()
    for group in data.schedule.groups:
        if code not in (group.facilitators if facilitator else group.members):
            continue
        found.add((group.activity, tuple(group.sessions), group.room))
    return found


def as_the_term_stands(published: ScheduleVersion, day: dt.date | None = None) -> VersionData:
    """The published version with each group's members as of ``day`` (today): after everyone who joined
    (from a waiting list, from "where they fit") or left since publishing. A draft built before such a
    change must be compared with this, or the person who just joined is not told they lose the seat."""
    data = version_data(published)
    on = max(day or dt.date.today(), data.center.term_start)
    return dataclasses.replace(data, schedule=members_on(data.schedule, rosters(published), on))


def plan(center: Center, version: ScheduleVersion) -> PublishPlan:
    """What publishing ``version`` would tell whom (nothing is written), compared with the published term
    as it stands today."""
    published = current_published(center)
    before = as_the_term_stands(published) if published is not None and published.id != version.id else None
    after = version_data(version)
    result = PublishPlan(before=before, after=after)
    placed = {m for g in after.schedule.groups for m in g.members}
    result.left_out = sorted((p.name for p in after.scenario.participants if p.id not in placed), key=natural_key)
    people: list[Person] = [*center.participants, *center.facilitators]
    for person in people:
        is_facilitator = isinstance(person, Facilitator)
        old = _placements(before, person.code, facilitator=is_facilitator)
        new = _placements(after, person.code, facilitator=is_facilitator)
        if old == new or not (old or new):
            continue
        (result.new_members if not old else result.changed).append(person)
        result.placements[_key(person)] = (old, new)
        if not person.email:
            result.no_email.append(person.name)
    result.no_email.sort(key=natural_key)
    return result


def _lines(data: VersionData | None, placements: set[Placement]) -> str:
    if data is None:
        return ""
    lines = []
    for activity, slot_ids, room in sorted(placements):
        times = ", ".join(slot_text(data.scenario.slot(i)) for i in slot_ids)
        lines.append(_("- %(group)s: %(times)s, in %(place)s", group=data.label(activity), times=times,
                       place=data.room_name(room)))
    return "\n".join(lines)


def messages(center: Center, version: ScheduleVersion, found: PublishPlan) -> list[tuple[str, str, str, str]]:
    """(email, name, subject, body) for everyone the plan tells, each in their own language. Makes a
    calendar link for a new member who has none (needs a request context for the link's address)."""
    address = version_data(version).address
    out: list[tuple[str, str, str, str]] = []
    # Changes first, newcomers last: the outbox lists the newest first, so a newcomer's notice (the
    # one a coordinator most often passes on by hand) is on its first page.
    for person in [*found.changed, *found.new_members]:
        if not person.email:
            continue
        old, new = found.placements[_key(person)]
        with force_locale(getattr(person, "locale", None) or "en"):
            place = _("The address: %(address)s.", address=address) + "\n\n" if address else ""
            if isinstance(person, Facilitator):
                subject, body = _facilitator_notice(center, found, person, old, new, place)
            elif not old:
                token = feed_tokens.token_for(person, create=True)
                link = feed_tokens.feed_urls(token)[1] if token else ""
                subject = _("%(center)s: your group", center=center.name)
                body = _("Hello %(name)s,\n\nYou have a place. Your meetings, every week of the term:\n\n%(groups)s\n\n"
                         "%(place)sTo have every meeting in your phone's calendar, open this link on your phone:\n"
                         "%(link)s\n\nIf you cannot come, please tell us, so someone else can have your place.\n\n"
                         "%(center)s", name=person.name, groups=_lines(found.after, new), place=place, link=link,
                         center=center.name)
            else:
                subject = _("%(center)s: your groups have changed", center=center.name)
                now = _lines(found.after, new) if new else _(
                    "You are in no group for now. We will tell you as soon as a place is free in a group you want.")
                body = _("Hello %(name)s,\n\nThe plan for the term has changed, and so have your meetings.\n\n"
                         "Before:\n%(before)s\n\nNow:\n%(now)s\n\n%(place)sYour calendar will follow by itself. "
                         "If the new times do not suit you, please tell us.\n\n%(center)s",
                         name=person.name, before=_lines(found.before, old), now=now, place=place, center=center.name)
        out.append((person.email, person.name, subject, body))
    return out


def _facilitator_notice(center: Center, found: PublishPlan, person: Person, old: set[Placement],
                        new: set[Placement], place: str) -> tuple[str, str]:
    """A facilitator leads groups rather than holding a place in one, so they are told which groups
    they lead (not asked to give up a place). Called inside the facilitator's own locale."""
    token = feed_tokens.token_for(person, create=True)
    link = feed_tokens.feed_urls(token)[1] if token else ""
    calendar = _("To have every meeting you lead in your phone's calendar, open this link on your phone:\n"
                 "%(link)s\n\n", link=link) if link else ""
    if not old:
        subject = _("%(center)s: the groups you lead", center=center.name)
        body = _("Hello %(name)s,\n\nThe plan for the term is ready. You lead these groups, every week of the "
                 "term:\n\n%(groups)s\n\n%(place)s%(calendar)s%(center)s", name=person.name,
                 groups=_lines(found.after, new), place=place, calendar=calendar, center=center.name)
        return subject, body
    now = _lines(found.after, new) if new else _("You lead no group for now.")
    subject = _("%(center)s: the groups you lead have changed", center=center.name)
    body = _("Hello %(name)s,\n\nThe plan for the term has changed, and so have the groups you lead.\n\n"
             "Before:\n%(before)s\n\nNow:\n%(now)s\n\n%(place)s%(calendar)s%(center)s", name=person.name,
             before=_lines(found.before, old), now=now, place=place, calendar=calendar, center=center.name)
    return subject, body
