"""Two versions' key figures side by side, and a plain verdict on which is better and why.

Better means, in this order: more people placed, then more first choices, then more second choices,
then a higher score. The verdict names what the better version gains and what it costs."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from scheduler.i18n import number_text
from scheduler.models import ScheduleVersion
from scheduler.services.review import Comparison, VersionView


@dataclass(frozen=True)
class KeyFigures:
    placed: int
    first_choice: int
    second_choice: int
    size_spread: int       # summed over activities with several groups: largest minus smallest group
    load_spread: int       # sessions a week of the busiest facilitator minus the least busy one
    score: int | None


@dataclass(frozen=True)
class Row:
    label: str
    old: str
    new: str
    better: str  # "old", "new" or ""


@dataclass(frozen=True)
class Verdict:
    sentence: str
    rows: list[Row]
    moved: int


def key_figures(view: VersionView, version: ScheduleVersion) -> KeyFigures:
    ranks = [count for _label, count in view.figures.rank_counts]
    loads = [load for _name, load, _most in view.figures.facilitator_load]
    return KeyFigures(
        placed=view.figures.covered, first_choice=view.figures.first_choice,
        second_choice=ranks[1] if len(ranks) > 1 else 0,
        size_spread=sum(high - low for _name, low, high in view.figures.size_spread),
        load_spread=(max(loads) - min(loads)) if loads else 0, score=version.objective)


def _better(old: int | None, new: int | None, higher_is_better: bool = True) -> str:
    if old is None or new is None or old == new:
        return ""
    return "new" if (new > old) == higher_is_better else "old"


def verdict(old_version: ScheduleVersion, old_view: VersionView, new_version: ScheduleVersion,
            new_view: VersionView, comparison: Comparison, *, same_data: bool = True) -> Verdict:
    """Which version is better and why, in one sentence; ``same_data`` False when they were built on
    different planning data (a what-if without a facilitator, say), which the sentence then says."""
    found = _verdict(old_version, old_view, new_version, new_view, comparison)
    if same_data:
        return found
    caveat = _("They were built on different data (listed below), so part of the difference comes from the "
               "data, not from the plan.")
    return Verdict(f"{found.sentence} {caveat}", found.rows, found.moved)


def _verdict(old_version: ScheduleVersion, old_view: VersionView, new_version: ScheduleVersion,
             new_view: VersionView, comparison: Comparison) -> Verdict:
    a, b = key_figures(old_view, old_version), key_figures(new_view, new_version)
    rows = [
        Row(_("People placed"), str(a.placed), str(b.placed), _better(a.placed, b.placed)),
        Row(_("First choices"), str(a.first_choice), str(b.first_choice), _better(a.first_choice, b.first_choice)),
        Row(_("Second choices"), str(a.second_choice), str(b.second_choice),
            _better(a.second_choice, b.second_choice)),
        Row(_("Group sizes: largest minus smallest, summed over activities"), str(a.size_spread),
            str(b.size_spread), _better(a.size_spread, b.size_spread, higher_is_better=False)),
        Row(_("Facilitators: busiest minus least busy, meetings a week"), str(a.load_spread), str(b.load_spread),
            _better(a.load_spread, b.load_spread, higher_is_better=False)),
        Row(_("Score"), "—" if a.score is None else number_text(a.score),
            "—" if b.score is None else number_text(b.score), _better(a.score, b.score)),
    ]
    order = [(a.placed, b.placed), (a.first_choice, b.first_choice), (a.second_choice, b.second_choice),
             (a.score or 0, b.score or 0)]
    winner = next((("new" if y > x else "old") for x, y in order if x != y), "")
    if not winner:
        sentence = _("Versions %(a)d and %(b)d are as good as each other: the same people placed, the same "
                     "first and second choices and the same score.", a=old_version.number, b=new_version.number)
        return Verdict(sentence, rows, len(comparison.moved))
    better, worse = (b, a) if winner == "new" else (a, b)
    number = new_version.number if winner == "new" else old_version.number
    gains, costs = [], []
    for difference, more, fewer in (
        (better.placed - worse.placed,
         ngettext("%(num)d more person placed", "%(num)d more people placed", abs(better.placed - worse.placed)),
         ngettext("%(num)d fewer person placed", "%(num)d fewer people placed", abs(better.placed - worse.placed))),
        (better.first_choice - worse.first_choice,
         ngettext("%(num)d more first choice", "%(num)d more first choices",
                  abs(better.first_choice - worse.first_choice)),
         ngettext("%(num)d fewer first choice", "%(num)d fewer first choices",
                  abs(better.first_choice - worse.first_choice))),
        (better.second_choice - worse.second_choice,
         ngettext("%(num)d more second choice", "%(num)d more second choices",
                  abs(better.second_choice - worse.second_choice)),
         ngettext("%(num)d fewer second choice", "%(num)d fewer second choices",
                  abs(better.second_choice - worse.second_choice))),
    ):
        if difference > 0:
            gains.append(more)
        elif difference < 0:
            costs.append(fewer)
    if better.size_spread > worse.size_spread:
        costs.append(_("less even group sizes"))
    if not gains:
        gains.append(_("a higher score"))
    sentence = _("Version %(n)d is better: %(gains)s.", n=number, gains=", ".join(gains))
    if costs:
        sentence += " " + _("It has %(costs)s.", costs=", ".join(costs))
    if comparison.moved:
        sentence += " " + ngettext("%(num)d person is in other groups between the two.",
                                   "%(num)d people are in other groups between the two.", len(comparison.moved))
    return Verdict(sentence, rows, len(comparison.moved))
