"""The term's report for a funder or a board: per activity and for the center, from the published
version, its changes during the term and the register.

Every figure is kept as counts (numerator and denominator), never as a stored rate, so activities
add up to the center and centers to a network exactly; a rate is None where nothing was counted.

- asked: people who listed the activity among their wishes (center: who listed anything).
- placed: people in one of its groups at any time in the term, joiners included (center: in any group).
- first choice: of those placed, who got the activity they ranked first (center: of everyone placed).
- fill: seats filled when the schedule was published, of the seats its groups offer (their maximum size).
- attendance and no-shows: present (or no-show) of the attendance recorded in registers.
- retention: of the members at a group's first meeting, who are still members at its last one.
- waiting: people who joined from the waiting list and the days from the term's start to joining;
  who asked but were never placed.
- meetings: held as planned, cancelled, and led by someone other than the group's own facilitators."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field

from scheduler.models import Center, ScheduleVersion
from scheduler.services.monitoring import outcomes
from scheduler.services.monitoring.attendance import MeetingCounts, counts_for_term
from scheduler.services.term import MeetingKey, TermState, term_state
from scheduler.services.versions import current_published


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    asked: int = 0
    placed: int = 0
    first_choice: int = 0
    seats: int = 0
    filled: int = 0
    recorded: int = 0
    present: int = 0
    no_show: int = 0
    started: int = 0
    stayed: int = 0
    waited_days: list[int] = field(default_factory=list)
    still_waiting: int = 0
    meetings: int = 0
    cancelled: int = 0
    covered: int = 0

    def add(self, other: Figures) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)

    @property
    def first_choice_rate(self) -> float | None:
        return rate(self.first_choice, self.placed)

    @property
    def fill_rate(self) -> float | None:
        return rate(self.filled, self.seats)

    @property
    def attendance_rate(self) -> float | None:
        return rate(self.present, self.recorded)

    @property
    def no_show_rate(self) -> float | None:
        return rate(self.no_show, self.recorded)

    @property
    def retention_rate(self) -> float | None:
        return rate(self.stayed, self.started)

    @property
    def joined_from_waiting(self) -> int:
        return len(self.waited_days)

    @property
    def median_wait_days(self) -> float | None:
        return statistics.median(self.waited_days) if self.waited_days else None


@dataclass(frozen=True)
class FacilitatorLoad:
    code: str
    name: str
    led: int          # meetings led, covers included
    covers: int       # meetings led for a colleague
    handed_over: int  # own meetings a colleague led


@dataclass
class ActivityReport:
    code: str
    name: str
    groups: int
    figures: Figures
    outcome: outcomes.ActivityOutcome | None = None


@dataclass
class CenterReport:
    center: Center
    version: ScheduleVersion
    term_start: dt.date
    term_end: dt.date
    activities: list[ActivityReport]
    figures: Figures
    facilitators: list[FacilitatorLoad]

    @property
    def groups(self) -> int:
        return sum(a.groups for a in self.activities)

    def per_activity(self, rate_name: str) -> list[tuple[str, float | None]]:
        """(activity name, one of its rates), for a chart."""
        return [(a.name, getattr(a.figures, rate_name)) for a in self.activities]


def _activity_figures(state: TermState, code: str, counts: dict[MeetingKey, MeetingCounts],
                      term_start: dt.date) -> tuple[Figures, set[str]]:
    """One activity's figures, and who was placed in it."""
    # The version's own typed snapshot, as published.
    data = state.data
    activity = data.scenario.activity(code)
    groups = [g for g in data.schedule.groups if g.activity == code]
    own = {g.id: set(g.facilitators) for g in groups}
    figures = Figures(seats=activity.max_size * len(groups), filled=sum(len(g.members) for g in groups))
    wanted = {p.id: list(p.preferences) for p in data.scenario.participants}
    figures.asked = sum(1 for wishes in wanted.values() if code in wishes)
    placed: set[str] = set()
    for group in groups:
        roster = state.rosters[group.id]
        placed |= set(roster.published) | set(roster.joined)
        figures.waited_days += [(since - term_start).days for person, since in roster.joined.items()
                                if person not in roster.published]
        held = [m for m in state.meetings if m.group_id == group.id and not m.cancelled]
        if held:
            first, last = set(held[0].members), set(held[-1].members)
            figures.started += len(first)
            figures.stayed += len(first & last)
    figures.placed = len(placed)
    figures.first_choice = sum(1 for person in placed if wanted.get(person, [None])[:1] == [code])
    figures.still_waiting = sum(1 for person, wishes in wanted.items() if code in wishes and person not in placed)
    for meeting in state.meetings:
        if meeting.activity_id != code:
            continue
        if meeting.cancelled:
            figures.cancelled += 1
            continue
        figures.meetings += 1
        figures.covered += set(meeting.facilitators) != own[meeting.group_id]
        found = counts.get(MeetingKey.of(meeting))
        if found is not None:
            figures.recorded += found.recorded
            figures.present += found.present
            figures.no_show += found.no_show
    return figures, placed


def _facilitator_load(state: TermState) -> list[FacilitatorLoad]:
    own = {g.id: set(g.facilitators) for g in state.data.schedule.groups}
    led: Counter[str] = Counter()
    covers: Counter[str] = Counter()
    handed: Counter[str] = Counter()
    for meeting in state.meetings:
        if meeting.cancelled:
            continue
        leading = set(meeting.facilitators)
        for code in leading:
            led[code] += 1
            covers[code] += code not in own[meeting.group_id]
        for code in own[meeting.group_id] - leading:
            handed[code] += 1
    return [FacilitatorLoad(f.id, f.name, led[f.id], covers[f.id], handed[f.id])
            for f in state.data.scenario.facilitators if led[f.id] or handed[f.id]]


def center_report(center: Center, version: ScheduleVersion | None = None) -> CenterReport | None:
    """The report of the center's published term (None: nothing published)."""
    version = version or current_published(center)
    if version is None:
        return None
    state = term_state(version)
    data = state.data
    term_start, term_end = data.center.term_start, data.center.term_end
    counts = counts_for_term(version.id)
    by_outcome = {o.activity_code: o for o in outcomes.summary(center, version)}
    total = Figures()
    placed_in: dict[str, set[str]] = {}  # activity code -> who was placed in it
    activities = []
    for activity in data.scenario.activities:
        figures, placed_in[activity.id] = _activity_figures(state, activity.id, counts, term_start)
        groups = sum(1 for g in data.schedule.groups if g.activity == activity.id)
        activities.append(ActivityReport(activity.id, activity.name, groups, figures, by_outcome.get(activity.id)))
        total.add(figures)
    # People are counted once for the center, however many activities they asked for or joined.
    wanted = {p.id: list(p.preferences) for p in data.scenario.participants}
    everyone_placed = set().union(*placed_in.values())
    total.asked = sum(1 for wishes in wanted.values() if wishes)
    total.placed = len(everyone_placed)
    total.first_choice = sum(1 for person in everyone_placed
                             if wanted.get(person) and person in placed_in.get(wanted[person][0], set()))
    total.still_waiting = sum(1 for person, wishes in wanted.items() if wishes and person not in everyone_placed)
    return CenterReport(center, version, term_start, term_end, activities, total, _facilitator_load(state))


@dataclass
class NetworkReport:
    centers: list[CenterReport]
    figures: Figures


def network_report(centers: list[Center]) -> NetworkReport:
    reports = [r for r in (center_report(c) for c in centers) if r is not None]
    total = Figures()
    for report in reports:
        total.add(report.figures)
    return NetworkReport(reports, total)


# --------------------------------------------------------------------------- CSV

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that could start a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


CSV_HEADER = ("center", "scope", "activity", "groups", "asked", "placed", "first_choice_percent", "seats",
              "filled", "fill_percent", "attendance_recorded", "present", "attendance_percent", "no_shows",
              "no_show_percent", "members_at_start", "members_at_end", "retention_percent",
              "joined_from_waiting_list", "median_days_waited", "still_waiting", "meetings_held",
              "meetings_cancelled", "meetings_covered", "outcome_answers_before", "outcome_answers_after",
              *(f"{name}_before" for name, _q in outcomes.QUESTIONS),
              *(f"{name}_after" for name, _q in outcomes.QUESTIONS))


def _mean(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _row(center: str, scope: str, activity: str, groups: int | str, f: Figures,
         outcome: outcomes.ActivityOutcome | None) -> list[str]:
    cells: list[object] = [center, scope, activity, groups, f.asked, f.placed, _percent(f.first_choice_rate),
                           f.seats, f.filled, _percent(f.fill_rate), f.recorded, f.present,
                           _percent(f.attendance_rate), f.no_show, _percent(f.no_show_rate), f.started, f.stayed,
                           _percent(f.retention_rate), f.joined_from_waiting,
                           "" if f.median_wait_days is None else f.median_wait_days, f.still_waiting, f.meetings,
                           f.cancelled, f.covered]
    if outcome is None:
        cells += [""] * (2 + 2 * len(outcomes.QUESTIONS))
    else:
        cells += [outcome.before.n, outcome.after.n]
        cells += [_mean(outcome.before.means[name]) for name, _q in outcomes.QUESTIONS]
        cells += [_mean(outcome.after.means[name]) for name, _q in outcomes.QUESTIONS]
    return [csv_cell(c) for c in cells]


def csv_rows(reports: list[CenterReport], network: Figures | None = None) -> list[list[str]]:
    rows = [list(CSV_HEADER)]
    for report in reports:
        name = report.center.name
        rows += [_row(name, "activity", a.name, a.groups, a.figures, a.outcome) for a in report.activities]
        rows.append(_row(name, "center", "", report.groups, report.figures, None))
    if network is not None:
        rows.append(_row("", "network", "", "", network, None))
    return rows
