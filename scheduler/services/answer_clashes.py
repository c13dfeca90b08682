"""Answers that clash with the published groups: a participant who now answers "No" at the time one of
their own groups meets. The participant is warned on their page; the coordinator sees every clash on
the dashboard (templates/coordinator/_answer_clashes.html), since the group goes on meeting then."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.i18n import slot_text
from scheduler.models import Center
from scheduler.services.planning import read_center
from scheduler.services.versions import current_published, version_data


@dataclass(frozen=True)
class Clash:
    participant_code: str
    participant_name: str
    group: str     # the activity's name in the published version
    when: str      # "Monday 09:00–10:15"
    when_in_sentence: str  # the same, to name inside a sentence (Spanish "el lunes 09:00–10:15")


def clashes(center: Center, participant_code: str | None = None) -> list[Clash]:
    """Each (participant, group meeting time) answered "No" now; only one participant's with a code."""
    version = current_published(center)
    if version is None:
        return []
    live = read_center(center)
    slots = {s.id for s in live.slots}
    can_come = {p.id: {*p.available, *p.if_needed} for p in live.participants
                if participant_code is None or p.id == participant_code}
    data = version_data(version)
    found: list[Clash] = []
    for group in data.schedule.groups:
        for member in group.members:
            if member not in can_come:
                continue
            for slot_id in group.sessions:
                if slot_id in slots and slot_id not in can_come[member]:
                    slot = data.scenario.slot(slot_id)
                    found.append(Clash(member, data.participant_name(member), data.activity_name(group.activity),
                                       slot_text(slot), slot_text(slot, in_sentence=True)))
    return sorted(found, key=lambda c: (c.participant_name, c.when))
