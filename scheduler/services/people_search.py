"""Finding one person among hundreds: a search and filters read from the query string, names sorted
as people count (Participant 2 before Participant 10), and bounded pages. Every list of people uses
it, so a search typed on one page reads the same on the others, and a page never holds 600 rows."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from flask_babel import gettext as _

from solver.scenario import Scenario
from solver.schedule import Schedule

PER_PAGE = 50
ANSWERED_CHOICES = ("", "yes", "no")

T = TypeVar("T")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """'Participant 10' after 'Participant 9': digit runs compare as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.casefold())
                 for part in re.split(r"(\d+)", text) if part)


@dataclass(frozen=True)
class PeopleQuery:
    """What the person typed and chose above a list; empty means 'everyone'."""

    text: str = ""
    answered: str = ""      # "yes", "no" or "" (either)
    group: str = ""         # a group id of the version shown, or ""
    left_out: bool = False  # only people in no group of that version
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> PeopleQuery:
        """Lenient on purpose: a hand-edited or stale query string narrows nothing rather than failing."""
        answered = args.get("answered", "")
        try:
            page = max(1, min(int(args.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        return cls(text=" ".join(args.get("q", "").split())[:200],
                   answered=answered if answered in ANSWERED_CHOICES else "",
                   group=args.get("group", "")[:100], left_out=args.get("left_out", "") in ("1", "y", "on"),
                   page=page)

    @property
    def narrowed(self) -> bool:
        return bool(self.text or self.answered or self.group or self.left_out)

    def args(self, **changes: object) -> dict[str, str | int]:
        """The query string for a link to this list (another page of it, or back to it after an action)."""
        query = replace(self, **changes)  # type: ignore[arg-type]
        result: dict[str, str | int] = {}
        if query.text:
            result["q"] = query.text
        if query.answered:
            result["answered"] = query.answered
        if query.group:
            result["group"] = query.group
        if query.left_out:
            result["left_out"] = "1"
        if query.page > 1:
            result["page"] = query.page
        return result

    def link(self, base: Mapping[str, object], **changes: object) -> dict[str, object]:
        """``base`` (the route's own arguments) and this query's: one mapping for ``url_for(endpoint, **...)``."""
        return {**base, **self.args(**changes)}

    def matches_text(self, *fields: str) -> bool:
        """Every word typed appears in the name or the code, in any order and case."""
        haystack = " ".join(fields).casefold()
        return all(word in haystack for word in self.text.casefold().split())


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int          # how many matched, over all pages
    number: int         # this page, from 1
    pages: int
    per_page: int = PER_PAGE
    everyone: int = 0   # how many there are before any search or filter

    @property
    def first_shown(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.items) - 1 if self.items else 0


def paged(rows: list[T], number: int, per_page: int = PER_PAGE, everyone: int | None = None) -> Page[T]:
    pages = max(1, math.ceil(len(rows) / per_page))
    number = min(max(1, number), pages)
    start = (number - 1) * per_page
    return Page(items=rows[start:start + per_page], total=len(rows), number=number, pages=pages,
                per_page=per_page, everyone=len(rows) if everyone is None else everyone)


@dataclass(frozen=True)
class PersonFacts:
    """What the filters look at for one participant; any fact not known is None."""

    answered: bool | None = None
    groups: frozenset[str] = field(default_factory=frozenset)  # group ids in the version shown
    placed: bool | None = None


def search(rows: Iterable[T], query: PeopleQuery, *, name: Callable[[T], str], code: Callable[[T], str],
           facts: Callable[[T], PersonFacts] | None = None, per_page: int = PER_PAGE) -> Page[T]:
    """The rows that match, sorted by name as people count, one page of them."""
    everything = list(rows)
    chosen = []
    for row in everything:
        if query.text and not query.matches_text(name(row), code(row)):
            continue
        if facts is not None and (query.answered or query.group or query.left_out):
            known = facts(row)
            if query.answered and known.answered is not (query.answered == "yes"):
                continue
            if query.group and query.group not in known.groups:
                continue
            if query.left_out and known.placed is not False:
                continue
        chosen.append(row)
    chosen.sort(key=lambda row: (natural_key(name(row)), code(row)))
    return paged(chosen, query.page, per_page, everyone=len(everything))


def group_titles(scenario: Scenario, schedule: Schedule) -> dict[str, str]:
    """Group id -> 'Community choir, group 2', so no internal code shows. The number is the one in the
    id (as the pins list says it), so a group keeps its name from one version to the next; an activity
    that runs one group at most is named alone."""
    return {group.id: group_title(scenario, group.id, group.activity) for group in schedule.groups}


def group_title(scenario: Scenario, group_id: str, activity_code: str) -> str:
    """The title :func:`group_titles` gives one group."""
    try:
        activity = scenario.activity(activity_code)
    except KeyError:
        return _title(group_id, activity_code, 2)
    return _title(group_id, activity.name, activity.max_groups)


def _title(group_id: str, activity_name: str, max_groups: int) -> str:
    _code, _sep, number = group_id.rpartition("-")
    if max_groups <= 1 or not number.isdigit():
        return activity_name
    return _("%(activity)s, group %(k)s", activity=activity_name, k=number)


def placements(schedule: Schedule | None) -> dict[str, frozenset[str]]:
    """Participant code -> the ids of the groups they are in (none without a schedule)."""
    found: dict[str, set[str]] = {}
    for group in schedule.groups if schedule is not None else ():
        for member in group.members:
            found.setdefault(member, set()).add(group.id)
    return {code: frozenset(ids) for code, ids in found.items()}
