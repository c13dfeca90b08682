"""The audit log in sentences: 'ana@example.org cancelled a meeting: Anxiety support group, group 1
Monday 09:00–10:15 Mon, Jan 25, 2027', never an internal event name or raw JSON. Codes of groups,
activities, rooms, times and staff become the names the center uses now (a code nobody has any more
stays as it is); a participant stays their code, so the log never shows a participant's name."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scheduler.i18n import date_text, slot_text
from scheduler.models import Center
from scheduler.models.swaps import AuditEntry
from scheduler.services import people_search, versions

ACTIONS = {
    "swap.requested": _l("asked for cover or a trade"), "swap.accepted": _l("took over meetings (cover accepted)"),
    "swap.assigned": _l("assigned cover"), "swap.declined": _l("declined a cover request"),
    "swap.cancelled": _l("withdrew a cover request"), "swap.approved": _l("approved cover"),
    "swap.rejected": _l("turned down cover"), "meeting.cancelled": _l("cancelled a meeting"),
    "meeting.moved": _l("moved a meeting"), "member.left": _l("recorded that a member left"),
    "seat.offered": _l("offered a seat in a group"), "seat.accepted": _l("accepted a seat in a group"),
    "seat.declined": _l("declined a seat in a group"), "seat.withdrawn": _l("withdrew a seat offer"),
    "person.added": _l("added"), "person.removed": _l("removed"), "person.changed": _l("changed the details of"),
    "person.erased": _l("erased the data of"), "person.exported": _l("exported the data of"),
    "person.exported.all": _l("exported everyone's data"),
    "center.two_factor": _l("changed whether coordinators must sign in with a code"),
    "api_key.created": _l("created"), "api_key.revoked": _l("revoked"), "api_key.used": _l("used"),
    "staff.joined": _l("joined as staff"), "attendance.recorded": _l("took the register"),
    "attendance.corrected": _l("corrected the register"),
    "attendance.anonymised": _l("made old attendance anonymous"), "follow_up.recorded": _l("recorded a follow-up"),
    "monitoring.settings": _l("changed the follow-up settings"),
    "version.settings_applied": _l("applied the center's settings to a published version"),
    "schedule.suggestion_tried": _l("tried a suggestion for the people left out of"),
}
VIEWED = _l("looked at")

# Pages and what they list, as the log stores them (English keys), in the reader's language
# (availability and preferences are named by WORDS, as the forms call them).
PAGES = {
    "answers": _l("answers"), "at risk": _l("at risk"),
    "calendar link": _l("calendar link"), "calendar links": _l("calendar links"),
    "comparison": _l("comparison"), "dashboard": _l("dashboard"), "delete": _l("delete"),
    "details": _l("details"), "list": _l("list"), "my groups": _l("my groups"), "outbox": _l("outbox"),
    "outcomes": _l("outcomes"), "pair": _l("pair"), "pairs": _l("pairs"), "participant": _l("participant"),
    "participants": _l("participants"), "facilitators": _l("facilitators"), "pins": _l("pins"),
    "privacy": _l("privacy"), "register": _l("register"),
    "rosters": _l("rosters"), "waiting lists": _l("waiting lists"), "suggestions": _l("suggestions"),
    "where they fit": _l("where they fit"),
}
SUBJECTS = {
    "emails to participants and facilitators": _l("emails to participants and facilitators"),
    "group members and waiting lists": _l("group members and waiting lists"),
    "participants and facilitators": _l("participants and facilitators"),
    "participants kept apart or together": _l("participants kept apart or together"),
    "pinned participants and groups": _l("pinned participants and groups"),
    "members of the facilitator's own groups": _l("members of the facilitator's own groups"),
    "outcome check-ins (averages)": _l("outcome check-ins (averages)"),
    "participants' and facilitators' names": _l("participants' and facilitators' names"),
    "participants' answers and links": _l("participants' answers and links"),
    "people at risk of dropping out and their follow-ups": _l("people at risk of dropping out and their follow-ups"),
}

WORDS = {
    "kind": _l("kind"), "status": _l("state"), "requester": _l("asked by"), "target": _l("asked of"),
    "accepted_by": _l("taken by"), "give": _l("meetings given"), "take": _l("meetings taken"),
    "cancelled": _l("cancelled"), "room": _l("room"), "time": _l("time"), "required": _l("required"),
    "from": _l("from"), "fields": _l("what changed"), "scope": _l("access"), "method": _l("request"),
    "path": _l("address"), "counts": _l("marks"), "changed": _l("people changed"), "marks": _l("marks"),
    "follow_ups": _l("follow-ups"), "version": _l("version"), "settings": _l("settings"),
    "labels": _l("calendar names"), "dropped": _l("dates dropped"),
    # Field names of people and activities, as the forms call them.
    "name": _l("name"), "email": _l("email"), "max_size": _l("largest group"), "min_size": _l("smallest group"),
    "max_groups": _l("most groups"), "min_groups": _l("fewest groups"), "needs": _l("needs"),
    "languages": _l("languages"), "skills": _l("skills"), "available": _l("times available"),
    "if_needed": _l("times if need be"), "preferences": _l("wanted activities"),
    "max_sessions_per_week": _l("most meetings a week"), "sessions_per_week": _l("meetings a week"),
    "locale": _l("language of messages"), "id": _l("code"),
    "open": _l("open"), "accepted": _l("accepted"), "declined": _l("declined"),
    "pending_approval": _l("waiting for approval"),
    "rejected": _l("turned down"), "expired": _l("expired"), "cover": _l("cover"), "trade": _l("trade"),
    "read": _l("read only"), "write": _l("read and write"),
    "True": _l("yes"), "False": _l("no"), "None": _l("nobody"),
}

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Sentence:
    at: dt.datetime
    who: str
    what: str      # the whole sentence after who
    details: str   # before → after, in words ('' when nothing more to say)


class Namer:
    """Codes to names, from the center as it is now and its published (else newest) version's groups."""

    def __init__(self, center: Center) -> None:
        # Participants stay as their codes: the log must not show (or outlive, after an erasure) a
        # participant's name; staff are named, as in every other page about the term.
        self.names: dict[str, str] = {f.code: f.name for f in center.facilitators}
        self.names |= {a.code: a.name for a in center.activities}
        self.names |= {r.code: r.name for r in center.rooms}
        version = versions.current_published(center) or next(iter(versions.list_versions(center)), None)
        if version is not None:
            data = versions.version_data(version)
            self.names |= people_search.group_titles(data.scenario, data.schedule)
            self.names |= {s.id: slot_text(s) for s in data.scenario.slots}

    def token(self, word: str) -> str:
        if word in self.names:
            return self.names[word]
        if DATE.fullmatch(word):
            return date_text(dt.date.fromisoformat(word))
        return str(WORDS.get(word, word))

    def text(self, value: Any) -> str:
        if value is None:
            return str(WORDS["None"])
        if isinstance(value, bool):
            return str(WORDS[str(value)])
        if isinstance(value, dict):
            return "; ".join(f"{self.token(str(k))}: {self.text(v)}" for k, v in value.items() if v not in (None, []))
        if isinstance(value, list | tuple):
            return ", ".join(self.text(v) for v in value) or "—"
        return " ".join(self.token(word) for word in str(value).split())


def _page_words(namer: Namer, page: str) -> str:
    return str(PAGES[page]) if page in PAGES else namer.text(page)


def subject_words(namer: Namer, entry: AuditEntry) -> str:
    words = entry.subject.split()
    if len(words) == 2 and words[0] == "participant":
        return _("participant %(code)s", code=words[1])
    if len(words) == 2 and words[0] == "facilitator":
        return namer.token(words[1])  # 'facilitator f3' -> 'Facilitator 3'
    if words[:2] == ["swap", "request"]:
        return _("cover request %(n)s", n=" ".join(words[2:]))
    if words[:1] == ["register"]:
        return _("the register of %(what)s", what=namer.text(" ".join(words[1:])))
    if entry.subject in SUBJECTS:
        return str(SUBJECTS[entry.subject])
    return namer.text(entry.subject)


def sentence(namer: Namer, entry: AuditEntry) -> Sentence:
    who = entry.actor.email if entry.actor else _("Someone without an account")
    if entry.action.startswith("person.viewed."):
        what = _("%(did)s %(what)s (page: %(page)s)", did=VIEWED, what=subject_words(namer, entry),
                 page=_page_words(namer, entry.action.removeprefix("person.viewed.").replace("_", " ")))
    else:
        did = ACTIONS.get(entry.action)
        what = f"{did}: {subject_words(namer, entry)}" if did else _("made a change: %(what)s",
                                                                       what=subject_words(namer, entry))
    before, after = entry.before or {}, entry.after or {}
    details = ""
    if before and after:
        details = "; ".join(_("%(what)s: %(before)s → %(after)s", what=namer.token(key),
                              before=namer.text(before.get(key)), after=namer.text(after.get(key)))
                            for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key))
    elif after or before:
        details = namer.text(after or before)
    return Sentence(at=entry.at, who=who, what=what, details=details)
