"""A version's page in sections (timetable, groups and members, left out, facilitators, rooms, pins),
each bounded and searchable, so a 600-person version is a few screens, not 40 000 px. A small center
(up to ONE_PAGE_UP_TO participants) still sees every section on one page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from scheduler.models import ScheduleVersion
from scheduler.services import compare_verdict, people_search, review, term_status, versions
from scheduler.services.people_search import Page, PeopleQuery

ONE_PAGE_UP_TO = 150
GROUPS_PER_PAGE = 10
PEOPLE_PER_PAGE = 50
# Each person left out comes with a reason of a line or three: fewer per page keeps the page short.
LEFT_OUT_PER_PAGE = 25
PIN_MATCHES = 10

SECTIONS = {"timetable": _l("Weekly timetable"), "rosters": _l("Groups and members"),
            "left-out": _l("Left out"), "facilitators": _l("By facilitator"), "rooms": _l("By room"),
            "pins": _l("Pins")}


@dataclass(frozen=True)
class VersionPage:
    view: review.VersionView
    titles: dict[str, str]                      # group id -> 'Community choir, group 2'
    shown: tuple[str, ...]                      # the sections on this page
    section: str                                # the one chosen, or "" when all are shown
    query: PeopleQuery
    groups: Page[review.GroupView]              # the rosters on this page
    left_out: Page[tuple[str, str, str]]        # (code, name, why)
    pin_matches: list[tuple[str, str]]          # placed participants matching the pin search (code, name)
    outcome: str                                # how the search that made it ended, in words
    score_sentence: str                         # what its score means


def back_args(args: Mapping[str, str]) -> dict[str, object]:
    """The section, search and page a form was sent from, to return to after the action."""
    section = args.get("section", "")
    return PeopleQuery.from_args(args).link({"section": section} if section in SECTIONS else {})


def version_page(version: ScheduleVersion, args: Mapping[str, str]) -> VersionPage:
    data = versions.version_data(version)
    view = review.version_view(data.scenario, data.schedule)
    titles = people_search.group_titles(data.scenario, data.schedule)
    query = PeopleQuery.from_args(args)
    section = args.get("section", "")
    if section not in SECTIONS:
        section = "" if len(view.scenario.participants) <= ONE_PAGE_UP_TO else "timetable"
    shown = tuple(SECTIONS) if not section else (section,)
    # One search box per section: in rosters it finds a group by its name or by a member's name.
    groups = people_search.search(
        view.groups, query if section == "rosters" else PeopleQuery(),
        name=lambda g: titles.get(g.id, g.activity_name),
        code=lambda g: " ".join(name for _pid, name in g.members),
        per_page=GROUPS_PER_PAGE if section else max(1, len(view.groups)))
    left_out = people_search.search(view.unassigned, query if section == "left-out" else PeopleQuery(),
                                    name=lambda row: row[1], code=lambda row: row[0],
                                    per_page=LEFT_OUT_PER_PAGE if section else max(1, len(view.unassigned)))
    placed = {m for g in view.schedule.groups for m in g.members}
    pin_matches: list[tuple[str, str]] = []
    if section == "pins" and query.text:
        found = people_search.search([p for p in view.scenario.participants if p.id in placed], query,
                                     name=lambda p: p.name, code=lambda p: p.id, per_page=PIN_MATCHES)
        pin_matches = [(p.id, p.name) for p in found.items]
    return VersionPage(view=view, titles=titles, shown=shown, section=section, query=query, groups=groups,
                       left_out=left_out, pin_matches=pin_matches, outcome=term_status.build_outcome(version),
                       score_sentence=term_status.score_sentence(version.objective, version.bound))


@dataclass(frozen=True)
class ComparePage:
    comparison: review.Comparison
    verdict: compare_verdict.Verdict
    titles: dict[str, str]             # group id -> its name, as the newer version names it
    query: PeopleQuery
    moved: Page[review.Move]
    data: review.DataChanges           # what differs in the data the two were built on


def compare_page(old: ScheduleVersion, new: ScheduleVersion, args: Mapping[str, str]) -> ComparePage:
    old_data, new_data = versions.version_data(old), versions.version_data(new)
    old_view = review.version_view(old_data.scenario, old_data.schedule)
    new_view = review.version_view(new_data.scenario, new_data.schedule)
    comparison = review.compare_versions(old_view, new_view)
    query = PeopleQuery.from_args(args)
    moved = people_search.search(comparison.moved, query, name=lambda m: m.name, code=lambda m: m.participant,
                                 per_page=PEOPLE_PER_PAGE)
    titles = people_search.group_titles(old_data.scenario, old_data.schedule) | people_search.group_titles(
        new_data.scenario, new_data.schedule)
    data = review.data_changes(old_data.scenario, new_data.scenario)
    found = compare_verdict.verdict(old, old_view, new, new_view, comparison, same_data=not data.any)
    return ComparePage(comparison=comparison, query=query, moved=moved, titles=titles, data=data, verdict=found)
