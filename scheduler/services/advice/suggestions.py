"""What would seat the people a version leaves out: the solver's suggestions in words, and trying one.

``solver.suggestions.suggest`` finds the few smallest changes (one more group, one more seat, a time
asked "if need be", a member moved), each with the schedule it leads to. Here they are read for a
version from its own snapshot (cached per version: computing them takes seconds at 600 people) and
worded as the version page words things; :func:`try_suggestion` writes the one chosen into the
center's planning data through the planning gateway and starts a build that stays close to the
suggestion's schedule, so the people it promised stay seated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from scheduler.i18n import slots_text
from scheduler.models import Center, ScheduleVersion, SolveJob, User
from scheduler.services import audit, people_search, planning, review, solving
from scheduler.services.versions import snapshot_digest, version_data
from solver.scenario import Scenario
from solver.schedule import Schedule
from solver.suggestions import Change, Suggestion, suggest

log = logging.getLogger(__name__)

PER_PERSON = 3
TIME_LIMIT_S = 10.0
SHOWN = 50            # suggestions listed on their own page; the rest are counted
SHOWN_ON_VERSION = 5  # on the version's page, above its figures: the best few, and a link to the rest
PURPOSE_KIND = "suggestion"


class SuggestionError(ValueError):
    """A suggestion that cannot be tried now; ``message`` says why, in words."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class SuggestionView:
    key: str                 # names the change in a form (a digest: no codes in the page)
    kind: str
    headline: str            # what the change is, in words
    data_change: str         # what it writes to the center's data ("" when nothing)
    seats: list[str]         # names of the people left out it seats
    moved: list[str]         # others whose group changes, in words
    score_change: int


@dataclass(frozen=True)
class SuggestionsPage:
    left_out: int            # people the version leaves out
    suggestions: list[SuggestionView]
    more: int                # found but not listed
    beyond_reach: int        # people left out whom no suggestion found seats


@dataclass(frozen=True)
class PurposeView:
    """What a version built from a suggestion was built for, and whether it kept its promise."""

    from_version: int | None
    headline: str
    data_change: str
    seated: list[str]        # promised and seated in this version
    not_seated: list[str]    # promised but not seated here


# --------------------------------------------------------------------------- computing, cached per version

# Keyed by version id and a digest of its snapshots (an erasure rewrites them). Per process; bounded.
_CACHE: OrderedDict[tuple[int, str], list[Suggestion]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 8


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _compute(scenario: Scenario, schedule: Schedule) -> list[Suggestion]:
    if not schedule.unassigned:
        return []
    return suggest(scenario, schedule, per_person=PER_PERSON, time_limit_s=TIME_LIMIT_S)


def suggestions_for(version: ScheduleVersion) -> list[Suggestion]:
    """The suggestions for the people ``version`` leaves out, computed on its own snapshot."""
    key = (version.id, snapshot_digest(version))
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    data = version_data(version)
    # Computed outside the lock: two first readers of one version may both compute; both get the same.
    found = _compute(data.scenario, data.schedule)
    with _CACHE_LOCK:
        _CACHE[key] = found
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return found


def cached(version: ScheduleVersion) -> bool:
    """Whether the suggestions of ``version`` are at hand (the page can show them at once)."""
    with _CACHE_LOCK:
        return (version.id, snapshot_digest(version)) in _CACHE


def suggestion_key(suggestion: Suggestion) -> str:
    """Names one offered suggestion. The change alone is not enough: one more seat in a group is offered
    once for each left-out person who fits it, and one new group can seat different sets of people."""
    return _digest({"change": dataclasses.asdict(suggestion.change), "seats": sorted(suggestion.seats)})[:20]


# --------------------------------------------------------------------------- in words


def _group_title(scenario: Scenario, schedule: Schedule, group_id: str | None, activity: str | None = None) -> str:
    if not group_id:
        return ""
    group = next((g for g in schedule.groups if g.id == group_id), None)
    code = group.activity if group is not None else activity or group_id.rpartition("-")[0]
    return people_search.group_title(scenario, group_id, code)


def _name(lookup: Any, code: str | None) -> str:
    try:
        return str(lookup(code).name)
    except KeyError:
        return code or ""


def _rank(rank: int) -> str:
    return str(review.RANK_LABELS[min(max(rank, 1), len(review.RANK_LABELS)) - 1])


def describe_change(change: Change, scenario: Scenario, schedule: Schedule,
                    changed: Mapping[str, tuple[Any, Any]]) -> tuple[str, str]:
    """The change in words (headline) and what it writes to the center's data; ``changed`` holds
    the activity's or participant's fields the change sets, as (before, after)."""
    activity = _name(scenario.activity, change.activity)
    slots = slots_text(scenario, change.slots, in_sentence=True)
    if change.kind == "open_group":
        headline = _("Open one more group of %(activity)s on %(slots)s in %(room)s, led by %(facilitators)s.",
                     activity=activity, slots=slots, room=_name(scenario.room, change.room),
                     facilitators=", ".join(_name(scenario.facilitator, f) for f in change.facilitators))
        if "max_groups" in changed:
            before, after = changed["max_groups"]
            return headline, _("%(activity)s may then run up to %(after)d groups (now %(before)d).",
                               activity=activity, after=after, before=before)
        return headline, ""
    if change.kind == "add_seat":
        headline = _("Add one seat to %(group)s.", group=_group_title(scenario, schedule, change.group,
                                                                         change.activity))
        if "max_size" in changed:
            before, after = changed["max_size"]
            return headline, _("Groups of %(activity)s may then have up to %(after)d members (now %(before)d).",
                               activity=activity, after=after, before=before)
        return headline, ""
    person = _name(scenario.participant, change.participant)
    if change.kind == "if_needed_time":
        headline = _("Ask %(person)s whether %(slots)s would do if need be; then they can join %(group)s.",
                     person=person, slots=slots,
                     group=_group_title(scenario, schedule, change.to_group))
        return headline, ngettext("%(slots)s is added to the times %(person)s can come if need be.",
                                  "%(slots)s are added to the times %(person)s can come if need be.",
                                  len(change.slots), slots=slots, person=person)
    headline = _("Move %(person)s from %(group)s to %(to_group)s, which frees a seat.", person=person,
                 group=_group_title(scenario, schedule, change.group),
                 to_group=_group_title(scenario, schedule, change.to_group))
    return headline, ""


def _section_of(change: Change) -> tuple[str, str] | None:
    """The one item of the center's data the change writes: (section, code); None for none."""
    if change.kind in ("open_group", "add_seat") and change.activity:
        return "activities", change.activity
    if change.kind == "if_needed_time" and change.participant:
        return "participants", change.participant
    return None


def _item(data: Mapping[str, Any], section: str, code: str) -> dict[str, Any]:
    return next((dict(item) for item in data[section] if item.get("id") == code), {})


def data_changes(before: Scenario, suggestion: Suggestion) -> dict[str, tuple[Any, Any]]:
    """The fields of the one item the suggestion changes, as (before, after)."""
    target = _section_of(suggestion.change)
    if target is None:
        return {}
    old = _item(before.to_dict(), *target)
    new = _item(suggestion.scenario.to_dict(), *target)
    return {k: (old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)}


def describe(suggestion: Suggestion, scenario: Scenario, schedule: Schedule) -> SuggestionView:
    headline, data_change = describe_change(suggestion.change, scenario, schedule,
                                            data_changes(scenario, suggestion))
    moved = [_("%(person)s: from %(group)s (%(from_rank)s) to %(to_group)s (%(to_rank)s)",
               person=_name(scenario.participant, m.participant),
               group=_group_title(scenario, schedule, m.from_group),
               from_rank=_rank(m.from_rank), to_group=_group_title(suggestion.scenario, suggestion.schedule,
                                                                   m.to_group),
               to_rank=_rank(m.to_rank)) for m in suggestion.moved]
    return SuggestionView(key=suggestion_key(suggestion), kind=suggestion.change.kind, headline=headline,
                          data_change=data_change, seats=[_name(scenario.participant, p) for p in suggestion.seats],
                          moved=moved, score_change=suggestion.score_change)


def suggestions_page(version: ScheduleVersion, shown: int = SHOWN) -> SuggestionsPage:
    data = version_data(version)
    found = suggestions_for(version)
    left_out = {u.participant for u in data.schedule.unassigned}
    reached = {code for s in found for code in s.seats}
    return SuggestionsPage(left_out=len(left_out),
                           suggestions=[describe(s, data.scenario, data.schedule) for s in found[:shown]],
                           more=max(0, len(found) - shown), beyond_reach=len(left_out - reached))


def offered(version: ScheduleVersion, key: str) -> SuggestionView | None:
    """The suggestion ``key`` as the version page offered it, in words, for the page that confirms it."""
    data = version_data(version)
    found = next((s for s in suggestions_for(version) if suggestion_key(s) == key), None)
    return describe(found, data.scenario, data.schedule) if found is not None else None


# --------------------------------------------------------------------------- trying one


def _stale_message(number: int) -> str:
    return _("The center's data changed since version %(number)d was built, and this suggestion no longer "
             "applies to it. Nothing was changed. Build a new version to see what would help now.", number=number)


def _current_suggestion(center: Center, version: ScheduleVersion, key: str) -> tuple[Scenario, Suggestion]:
    """The suggestion ``key`` as it applies to the center's data now, with the scenario it was found on.
    When the data changed since the version, the suggestions are found again on today's data; the one
    chosen must still be there and still seat the same people."""
    data = version_data(version)
    offered = next((s for s in suggestions_for(version) if suggestion_key(s) == key), None)
    if offered is None:
        raise SuggestionError(_("That suggestion is not offered for version %(number)d. Nothing was changed.",
                                number=version.number))
    now = planning.read_center(center)
    # Typed, so the same data however its file would be written; the center's name does not count.
    renamed = dataclasses.replace(now.center, name=data.scenario.center.name)
    if dataclasses.replace(now, center=renamed) == data.scenario:
        return data.scenario, offered
    try:
        again = _compute(now, data.schedule)
    except Exception:  # the version's schedule no longer fits today's data (someone removed, a slot gone)
        log.info("suggestions for version %s could not be found again on today's data", version.id, exc_info=True)
        raise SuggestionError(_stale_message(version.number)) from None
    same = next((s for s in again if s.change == offered.change and set(s.seats) == set(offered.seats)), None)
    if same is None:
        raise SuggestionError(_stale_message(version.number))
    return now, same


def _with_item_of(base: Scenario, changed: Scenario, target: tuple[str, str] | None) -> Scenario:
    """``base`` with the one item ``target`` as ``changed`` has it."""
    if target is None:
        return base
    section, code = target
    item = next((x for x in getattr(changed, section) if x.id == code), None)
    if item is None:
        return base
    items = tuple(item if x.id == code else x for x in getattr(base, section))
    if section == "activities":
        return dataclasses.replace(base, activities=items)
    return dataclasses.replace(base, participants=items)


def try_suggestion(center: Center, version: ScheduleVersion, key: str, user: User | None,
                   time_limit_s: float) -> SolveJob:
    """Write suggestion ``key`` of ``version`` into the center's data and queue a build that stays close
    to its schedule. The caller commits with :func:`solving.commit_new_job` and dispatches; on
    :class:`SuggestionError` or :class:`solving.SolveRefusedError` it rolls back, and nothing changed."""
    if solving.active_job(center) is not None:
        raise SuggestionError(_("A schedule for this center is already being built. Wait for it to finish, or "
                                "cancel it, then try the suggestion again. Nothing was changed."))
    base, suggestion = _current_suggestion(center, version, key)
    target = _section_of(suggestion.change)
    changed = data_changes(base, suggestion)
    # The suggestion's scenario may differ from today's data in its one item only: anything else it
    # would write is not what the page said, so it is not written.
    if _with_item_of(base, suggestion.scenario, target) != suggestion.scenario:
        raise SuggestionError(_stale_message(version.number))
    if target is not None and changed:
        section, code = target
        read_at = planning.item_snapshot(base, section, code)
        result = planning.save_item(center, section, code, {k: after for k, (_b, after) in changed.items()},
                                    expected_version=planning.fingerprint(read_at) if read_at is not None else None)
        if not result.ok:
            raise SuggestionError(" ".join([_stale_message(version.number), *result.messages()]))
    personal = target is not None and target[0] == "participants"
    # Activity limits are not personal: the entry keeps them. Of a person, only the fields' names.
    subject = f"version {version.number}" + (f" {target[1]}" if target is not None and not personal else "")
    audit.record(center.id, user, "schedule.suggestion_tried", subject,
                 None if personal else {k: before for k, (before, _a) in changed.items()},
                 {"fields": sorted(changed)} if personal else {k: after for k, (_b, after) in changed.items()})
    purpose: dict[str, Any] = {
        "kind": PURPOSE_KIND, "version": version.number,
        "change": {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(suggestion.change).items()},
        "changed": {k: [before, after] for k, (before, after) in changed.items()} if not personal else {},
        "seats": list(suggestion.seats)}  # codes, never names: the version page words them in its reader's language
    return solving.create_job(center, user, time_limit_s, start_from=suggestion.schedule.to_dict(), purpose=purpose)


# --------------------------------------------------------------------------- a version built from one


def _stored_change(stored: Any) -> Change | None:
    """The change a purpose keeps (JSON), typed again; None when it is not one."""
    if not isinstance(stored, dict) or stored.get("kind") not in ("open_group", "add_seat", "if_needed_time",
                                                                   "move_member"):
        return None

    def text(key: str) -> str | None:
        value = stored.get(key)
        return str(value) if value is not None else None

    def texts(key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in stored.get(key) or ())

    return Change(kind=stored["kind"], activity=text("activity"), group=text("group"), slots=texts("slots"),
                  room=text("room"), facilitators=texts("facilitators"), participant=text("participant"),
                  to_group=text("to_group"))


def purpose(version: ScheduleVersion) -> PurposeView | None:
    """What ``version`` was built to try, when it was built from a suggestion; None otherwise."""
    kept = solving.purpose_of(version)
    if not kept or kept.get("kind") != PURPOSE_KIND:
        return None
    data = version_data(version)
    change = _stored_change(kept.get("change"))
    changed = {k: (v[0], v[1]) for k, v in (kept.get("changed") or {}).items() if isinstance(v, list) and len(v) == 2}
    headline, data_change = describe_change(change, data.scenario, data.schedule, changed) if change else ("", "")
    placed = {m for g in data.schedule.groups for m in g.members}
    promised = [str(p) for p in kept.get("seats", [])]
    number = kept.get("version")
    return PurposeView(from_version=number if isinstance(number, int) else None, headline=headline,
                       data_change=data_change,
                       seated=[data.participant_name(p) for p in promised if p in placed],
                       not_seated=[data.participant_name(p) for p in promised if p not in placed])

