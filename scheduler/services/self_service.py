"""Participants answer for themselves: their times, the groups they want (ranked), their needs and
languages, through their personal link. The same validation as every other edit applies; saving
twice updates, never duplicates. Coordinators invite, remind, and see who has answered."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from scheduler.models import Center, Participant, User
from scheduler.models.accounts import utcnow
from scheduler.services import accounts, mail, planning
from scheduler.services import editing as svc
from scheduler.services.review import DataChanges, data_changes
from scheduler.services.term import term_state
from scheduler.services.versions import current_published, list_versions, version_data
from solver.scenario import Scenario

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


def parse(form: dict[str, str] | object, data: dict, code: str | None = None) -> Answers:
    """Read the page's fields; every problem is kept next to its field, in plain words. With the
    person's ``code``, the needs and languages the page does not offer (none of the center's rooms or
    activities use them now) are kept as they are: the page cannot show them, so it cannot mean to
    remove them."""
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
            other = next((a["name"] for a in data["activities"] if a["id"] == seen[rank]), seen[rank])
            answers.errors[f"rank-{activity['id']}"] = _(
                "You gave number %(n)d to %(other)s too. Give each group a different number; nothing was saved.",
                n=rank, other=other)
        seen[rank] = activity["id"]
        answers.ranks[activity["id"]] = rank
    features, languages = choices(data)
    answers.needs = [f for f in getlist("needs") if f in features]
    answers.languages = [lang for lang in getlist("languages") if lang in languages]
    person = next((p for p in data["participants"] if p["id"] == code), None) if code is not None else None
    if person is not None:
        answers.needs += [f for f in person.get("needs", []) if f not in features]
        answers.languages += [lang for lang in person.get("languages", []) if lang not in languages]
    return answers


def save(center: Center, participant: Participant, answers: Answers,
         read_as: Mapping[str, Any] | None = None) -> svc.EditResult | None:
    """Write valid answers through the gateway (one transaction, the caller commits); None when the
    page has errors. ``read_as``: the person's item the page was read at; a stale page is refused
    (``result.stale``) and nothing is written."""
    if answers.errors:
        return None
    fields = {"available": [s for s, v in answers.levels.items() if v == "available"],
              "if_needed": [s for s, v in answers.levels.items() if v == "if_needed"],
              "preferences": [a for a, _n in sorted(answers.ranks.items(), key=lambda item: item[1])],
              "needs": answers.needs, "languages": answers.languages}
    result = planning.save_item(center, "participants", participant.code, fields, read_as=read_as)
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
    data = state.data  # labels and rooms as published, like the participant's calendar
    today = today or dt.date.today()
    found = []
    for m in state.meetings:
        if participant.code in m.members and m.date >= today:
            leaders = ", ".join(state.facilitator_name(f).split()[0] for f in m.facilitators)
            found.append(MyMeeting(m.date, m.start.strftime("%H:%M"), m.end.strftime("%H:%M"),
                                   data.label(m.activity_id), data.room_name(m.room), leaders,
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
                 "you. Please do not share it.\n\n%(center)s", name=participant.name, link=link,
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
    data: DataChanges

    @property
    def added(self) -> dict[str, list[str]]:
        return self.data.added

    @property
    def removed(self) -> dict[str, list[str]]:
        return self.data.removed

    @property
    def changed(self) -> dict[str, list[str]]:
        return self.data.changed

    @property
    def other(self) -> list[str]:
        return self.data.other

    @property
    def any(self) -> bool:
        return self.data.any


def changes_since_last_solve(center: Center) -> Changes | None:
    versions = list_versions(center)
    if not versions:
        return None
    latest = versions[0]
    # Both typed, so the comparison is of normalised data (a missing if_needed equals an empty one).
    return Changes(latest.number, data_changes(version_data(latest).scenario, planning.read_center(center)))


# --------------------------------------------------------------------------- a page read earlier

# A person's own answers as their page shows them; only these are compared and kept when a save is
# refused, and only their own item is ever read, so nothing about anyone else can appear.
_OWN_LISTS = ("available", "if_needed", "preferences", "needs", "languages", "skills")


def own_snapshot(scenario: Scenario, section: str, code: str) -> dict[str, Any] | None:
    """The person's item as the gateway normalises it: what their page is read at."""
    return planning.item_snapshot(scenario, section, code)


def read_as_text(snapshot: Mapping[str, Any] | None) -> str:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True) if snapshot is not None else ""


def read_as_value(raw: str | None) -> dict[str, Any] | None:
    """What the page was read at; None when the page sent nothing (then nothing is compared). A
    garbled value is an empty item: it never matches, so the save is refused and the page shown again."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _own_lists(item: Mapping[str, Any]) -> dict[str, list[str]]:
    """The lists of an item sent back by a browser, each as a list of texts whatever was sent."""
    lists = {}
    for key in _OWN_LISTS:
        value = item.get(key)
        lists[key] = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    return lists


def what_changed(read_as: Mapping[str, Any], current: Mapping[str, Any], data: dict,
                 day_names: Mapping[str, Any]) -> list[str]:
    """What differs in the person's own answers since their page was read, in their words."""
    was, now = current_answers(_own_lists(read_as)), current_answers(_own_lists(current))
    words = {"available": _("Yes"), "if_needed": _("If need be"), "no": _("No")}
    lines = []
    for slot in data["slots"]:
        before, after = was.levels.get(slot["id"], "no"), now.levels.get(slot["id"], "no")
        if before != after:
            lines.append(_("%(day)s %(start)s–%(end)s: now “%(now)s” (it was “%(was)s” when you opened this page).",
                           day=day_names.get(slot["day"], slot["day"]), start=slot["start"], end=slot["end"],
                           now=words[after], was=words[before]))
    if was.ranks != now.ranks:
        names = {a["id"]: a["name"] for a in data["activities"]}
        wanted = [names.get(a, a) for a, _n in sorted(now.ranks.items(), key=lambda item: item[1])]
        lines.append(_("The groups you want, in order: now %(groups)s.", groups=", ".join(wanted) or _("none")))
    old_lists, new_lists = _own_lists(read_as), _own_lists(current)
    for key, label in (("needs", _("What you need")), ("languages", _("Your languages")),
                       ("skills", _("Your skills"))):
        if key in current and sorted(old_lists[key]) != sorted(new_lists[key]):
            lines.append(_("%(what)s: now %(values)s.", what=label, values=", ".join(new_lists[key]) or _("none")))
    if not lines:
        lines.append(_("Other details on your page were changed."))
    return lines


def keep_typed(submitted: Answers, read_as: Mapping[str, Any], current: Mapping[str, Any]) -> Answers:
    """The current answers, with what the person typed kept wherever that part did not change
    meanwhile: they redo only what clashed."""
    was, now = current_answers(_own_lists(read_as)), current_answers(_own_lists(current))
    levels = {slot: (submitted.levels.get(slot, "no") if was.levels.get(slot, "no") == level else level)
              for slot, level in {**{s: "no" for s in submitted.levels}, **now.levels}.items()}
    return Answers(levels, submitted.ranks if was.ranks == now.ranks else now.ranks,
                   submitted.needs if sorted(was.needs) == sorted(now.needs) else now.needs,
                   submitted.languages if sorted(was.languages) == sorted(now.languages) else now.languages)


def kept_list(key: str, submitted: list[str], read_as: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """One list (a facilitator's skills) kept as typed unless it changed meanwhile."""
    was, now = _own_lists(read_as)[key], _own_lists(current)[key]
    return submitted if sorted(was) == sorted(now) else now
