"""Participants answer for themselves: their times, the groups they want (ranked), their needs and
languages, through their personal link. The same validation as every other edit applies; saving
twice updates, never duplicates. Coordinators invite, remind, and see who has answered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from scheduler.models import Center, Participant, User
from scheduler.models.accounts import utcnow
from scheduler.services import accounts, mail
from scheduler.services import editing as svc
from scheduler.services.term import term_state
from scheduler.services.versions import current_published

LEVELS = ("available", "if_needed", "no")


@dataclass
class Answers:
    levels: dict[str, str]            # slot id -> available | if_needed | no
    ranks: dict[str, int]             # activity id -> 1 for the most wanted
    needs: list[str]
    languages: list[str]
    errors: dict[str, str] = field(default_factory=dict)  # field name -> plain message


def current_answers(person: dict) -> Answers:
    levels = {s: "available" for s in person.get("available", [])}
    levels |= {s: "if_needed" for s in person.get("if_needed", [])}
    ranks = {a: n for n, a in enumerate(person.get("preferences", []), start=1)}
    return Answers(levels, ranks, list(person.get("needs", [])), list(person.get("languages", [])))


def choices(data: dict) -> tuple[list[str], list[str]]:
    """The needs (room features) and languages a person can pick from at this center."""
    features = sorted({f for room in data["rooms"] for f in room.get("features", [])})
    languages = sorted({lang for f in data["facilitators"] for lang in f.get("languages", [])}
                       | {a["language"] for a in data["activities"] if a.get("language")})
    return features, languages


def staff_choices(data: dict) -> tuple[list[str], list[str]]:
    """The skills and languages a facilitator can pick from at this center."""
    skills = sorted({s for a in data["activities"] for s in a.get("required_skills", [])}
                    | {s for f in data["facilitators"] for s in f.get("skills", [])})
    languages = sorted({lang for f in data["facilitators"] for lang in f.get("languages", [])}
                       | {a["language"] for a in data["activities"] if a.get("language")}
                       | {lang for p in data["participants"] for lang in p.get("languages", [])})
    return skills, languages


def parse(form: dict[str, str] | object, data: dict) -> Answers:
    """Read the page's fields; every problem is kept next to its field, in plain words."""
    get = form.get  # type: ignore[attr-defined]
    getlist = form.getlist  # type: ignore[attr-defined]
    answers = Answers({}, {}, [], [])
    for slot in data["slots"]:
        value = get(f"slot-{slot['id']}", "no")
        if value not in LEVELS:
            answers.errors[f"slot-{slot['id']}"] = _("Choose one of the three answers.")
            value = "no"
        answers.levels[slot["id"]] = value
    seen: dict[int, str] = {}
    for activity in data["activities"]:
        raw = get(f"rank-{activity['id']}", "")
        if not raw:
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= len(data["activities"]):
            answers.errors[f"rank-{activity['id']}"] = _("Choose a number from the list.")
            continue
        rank = int(raw)
        if rank in seen:
            answers.errors[f"rank-{activity['id']}"] = _(
                "You gave number %(n)d to two groups. Give each group a different number.", n=rank)
        seen[rank] = activity["id"]
        answers.ranks[activity["id"]] = rank
    features, languages = choices(data)
    answers.needs = [f for f in getlist("needs") if f in features]
    answers.languages = [lang for lang in getlist("languages") if lang in languages]
    return answers


def save(center: Center, participant: Participant, answers: Answers) -> svc.EditResult | None:
    """Write valid answers (one transaction, the caller commits); None when the page has errors."""
    if answers.errors:
        return None
    data = svc.current_scenario(center)
    index = svc.find_index(data, "participants", participant.code)
    assert index is not None
    person = dict(data["participants"][index])
    person["available"] = [s for s, v in answers.levels.items() if v == "available"]
    person["if_needed"] = [s for s, v in answers.levels.items() if v == "if_needed"]
    person["preferences"] = [a for a, _n in sorted(answers.ranks.items(), key=lambda item: item[1])]
    person["needs"] = answers.needs
    person["languages"] = answers.languages
    result = svc.apply_change(center, svc.put_item("participants", index, person), before=data)
    if result.ok:
        participant.answered_at = utcnow()
    return result


def is_read_only(center: Center, today: dt.date | None = None) -> bool:
    today = today or dt.date.today()
    return center.answers_deadline is not None and today > center.answers_deadline


@dataclass(frozen=True)
class MyMeeting:
    date: dt.date
    start: str
    end: str
    activity: str
    place: str
    leaders: str
    cancelled: bool


def my_meetings(center: Center, participant: Participant, today: dt.date | None = None,
                limit: int = 12) -> list[MyMeeting] | None:
    """Their coming meetings in the published schedule (None: nothing published yet)."""
    version = current_published(center)
    if version is None:
        return None
    state = term_state(version)
    labels = {a.code: a.calendar_label or a.name for a in center.activities}
    rooms = {r["id"]: r["name"] for r in state.scenario["rooms"]}
    today = today or dt.date.today()
    found = []
    for m in state.meetings:
        if participant.code in m.members and m.date >= today:
            leaders = ", ".join(state.facilitator_name(f).split()[0] for f in m.facilitators)
            found.append(MyMeeting(m.date, m.start.strftime("%H:%M"), m.end.strftime("%H:%M"),
                                   labels.get(m.activity_id, m.activity_id), rooms.get(m.room, m.room), leaders,
                                   m.cancelled))
    return found[:limit]


def invite(center: Center, participant: Participant, *, reminder: bool = False) -> mail.OutboxMessage | None:
    """A new personal link by email (earlier links keep working until revoked). None without an address."""
    if not participant.email:
        return None
    token = accounts.issue_participant_link(participant)
    link = url_for("self_service.page", token=token, _external=True)
    with force_locale(participant.locale or "en"):
        subject = (_("Reminder: tell us when you can come") if reminder
                   else _("%(center)s: tell us when you can come", center=center.name))
        body = _("Hello %(name)s,\n\nPlease open your personal page and tell us which times suit you and which "
                 "groups you would like to join. It takes about a minute:\n\n%(link)s\n\nThis link is only for "
                 "you. Please do not share it.\n\n%(center)s", name=participant.name.split()[0], link=link,
                 center=center.name)
    return mail.send(center.id, participant.email, participant.name, subject, body)


def remind_unanswered(center: Center, coordinator: User | None) -> tuple[int, int]:
    """Remind everyone who has not answered; returns (sent or kept in the outbox, without an address)."""
    sent = missing = 0
    for participant in center.participants:
        if participant.answered_at is not None:
            continue
        if invite(center, participant, reminder=True) is None:
            missing += 1
        else:
            sent += 1
    return sent, missing


@dataclass(frozen=True)
class Changes:
    """What differs between the center's data now and the scenario the latest version was built from."""

    since_version: int
    added: dict[str, list[str]]    # section -> names
    removed: dict[str, list[str]]
    changed: dict[str, list[str]]

    @property
    def any(self) -> bool:
        return any(self.added.values()) or any(self.removed.values()) or any(self.changed.values())


SECTIONS = ("slots", "rooms", "activities", "facilitators", "participants")


def _label(item: dict) -> str:
    return str(item.get("name") or item["id"])


def changes_since_last_solve(center: Center) -> Changes | None:
    from scheduler.services.versions import list_versions

    versions = list_versions(center)
    if not versions:
        return None
    latest = versions[0]
    now = svc.current_scenario(center)
    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    changed: dict[str, list[str]] = {}
    for section in SECTIONS:
        old = {item["id"]: item for item in latest.scenario.get(section, [])}
        new = {item["id"]: item for item in now.get(section, [])}
        added[section] = [_label(new[i]) for i in new if i not in old]
        removed[section] = [_label(old[i]) for i in old if i not in new]
        changed[section] = [_label(new[i]) for i in new if i in old and new[i] != old[i]]
    return Changes(latest.number, added, removed, changed)
