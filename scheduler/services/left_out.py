"""Why a participant has no group, in the reader's language.

The solver works out the reasons (``solver.explain.why_unassigned``) and writes them in English into
the schedule file, which is interchange; the pages say them again from the same structured reasons,
translated, with activities and times by name."""

from __future__ import annotations

from collections import Counter

from babel import Locale, UnknownLocaleError
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from scheduler.i18n import slots_text
from solver.explain import GroupWhy, Why, why_unassigned
from solver.scenario import Scenario
from solver.schedule import Schedule


def reasons(scenario: Scenario, schedule: Schedule) -> dict[str, str]:
    """Participant id -> why they have no group, for everyone the schedule leaves out."""
    return {code: _sentence(scenario, whys) for code, whys in why_unassigned(scenario, schedule).items()}


def _sentence(scenario: Scenario, whys: tuple[Why, ...]) -> str:
    if whys[0].kind == "no_preferences":
        return _("No wanted activities yet: add the ones they want.")
    if whys[0].kind == "no_times":
        return _("They gave no times at which they can come: ask them when they can.")
    parts = [_one(scenario, why) for why in whys]
    if len(parts) == 1:
        return _("Wants only %(reason)s.", reason=parts[0])
    return "; ".join(parts) + "."


def _one(scenario: Scenario, why: Why) -> str:
    try:
        activity = scenario.activity(why.activity).name
    except KeyError:
        activity = why.activity
    if why.kind == "language":
        return _("%(activity)s: it is held in %(language)s, which they do not list", activity=activity,
                 language=_language_name(why.language))
    if why.kind == "no_room":
        return _("%(activity)s: no suitable room has %(needs)s", activity=activity, needs=", ".join(why.needs))
    if why.kind == "too_few_days":
        return ngettext("%(activity)s: they can come on too few days when a facilitator can run it "
                        "(%(num)d day a week needed)",
                        "%(activity)s: they can come on too few days when a facilitator can run it "
                        "(%(num)d days a week needed)", why.sessions, activity=activity)
    if why.kind == "no_group":
        return _("%(activity)s: no group was opened (too few people could meet at common times)",
                 activity=activity)
    if len(why.groups) == 1:
        return _("%(activity)s: its one group %(why)s", activity=activity, why=_group(scenario, why.groups[0]))
    # Several groups: counted by why, not each with its times (a person wanting four activities of three
    # groups each would read a paragraph); the fit page has the details.
    counts = Counter(g.why for g in why.groups)
    if len(counts) == 1 and "full" in counts:
        return _("%(activity)s: all %(num)d groups are full", activity=activity, num=len(why.groups))
    if len(counts) == 1 and "not_available" in counts:
        return _("%(activity)s: all %(num)d groups meet when they cannot come", activity=activity,
                 num=len(why.groups))
    # Worked out first: pybabel does not find a message marked inside another's arguments.
    parts = [_count(kind, counts[kind]) for kind in ("not_available", "full", "kept_apart", "clash") if counts[kind]]
    return _("%(activity)s: %(groups)s", activity=activity, groups=", ".join(parts))


def _count(kind: str, num: int) -> str:
    if kind == "not_available":
        return ngettext("%(num)d group meets when they cannot come", "%(num)d groups meet when they cannot come", num)
    if kind == "full":
        return ngettext("%(num)d group is full", "%(num)d groups are full", num)
    if kind == "kept_apart":
        return ngettext("%(num)d group has someone they must be kept apart from",
                        "%(num)d groups have someone they must be kept apart from", num)
    return ngettext("adding them to %(num)d group would clash with other groups or rules",
                    "adding them to %(num)d groups would clash with other groups or rules", num)


def _group(scenario: Scenario, group: GroupWhy) -> str:
    when = slots_text(scenario, group.sessions, in_sentence=True)
    if group.why == "not_available":
        return _("meets %(when)s, when they cannot come", when=when)
    if group.why == "full":
        return _("meets %(when)s and is full", when=when)
    if group.why == "kept_apart":
        return _("meets %(when)s, with someone they must be kept apart from", when=when)
    return _("meets %(when)s; adding them would clash with other groups or rules", when=when)


def _language_name(code: str) -> str:
    """'Spanish' / 'español' for "es"; the code itself when it names no known language."""
    try:
        return Locale.parse(code).get_display_name(get_locale()) or code
    except (ValueError, UnknownLocaleError):
        return code
