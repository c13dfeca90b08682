"""Translatable names shared by several pages, and the filters that write dates and times in the
reader's language and the center's time zone (the time zone is chosen in ``create_app``)."""

import datetime as dt
from collections.abc import Iterable

from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent
from flask import Flask
from flask_babel import format_date, format_time, get_locale, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from solver.scenario import Scenario, Slot, format_minutes

# The interface languages, each named in its own language (so never translated).
LANGUAGE_NAMES = {"en": "English", "es": "Español"}

DAY_NAMES = {
    "MO": _l("Monday"), "TU": _l("Tuesday"), "WE": _l("Wednesday"), "TH": _l("Thursday"),
    "FR": _l("Friday"), "SA": _l("Saturday"), "SU": _l("Sunday"),
}

# Inside a sentence ("not available on Monday 09:00"): Spanish writes day names in lower case there,
# while headings and lists start with a capital ("Lunes").
DAY_IN_SENTENCE = {
    "MO": _lp("inside a sentence", "Monday"), "TU": _lp("inside a sentence", "Tuesday"),
    "WE": _lp("inside a sentence", "Wednesday"), "TH": _lp("inside a sentence", "Thursday"),
    "FR": _lp("inside a sentence", "Friday"), "SA": _lp("inside a sentence", "Saturday"),
    "SU": _lp("inside a sentence", "Sunday"),
}


def slot_words(day_code: str, start: str, end: str, *, in_sentence: bool = False) -> str:
    """"Monday 09:00–10:30" in the reader's language; ``in_sentence`` for a slot named mid-sentence."""
    day = (DAY_IN_SENTENCE if in_sentence else DAY_NAMES)[day_code]
    return f"{day} {start}–{end}"


def slot_text(slot: Slot, *, in_sentence: bool = False) -> str:
    """:func:`slot_words` for one of a scenario's slots."""
    return slot_words(slot.day_code, format_minutes(slot.start), format_minutes(slot.end), in_sentence=in_sentence)


def slots_text(scenario: Scenario, slot_ids: Iterable[str], *, in_sentence: bool = False) -> str:
    """"Monday 09:00–10:30, Thursday 09:00–10:30" for slot ids of ``scenario``; an id it does not hold
    (a pin or a change naming a slot deleted since) is shown as it is."""
    def one(slot_id: str) -> str:
        try:
            return slot_text(scenario.slot(slot_id), in_sentence=in_sentence)
        except KeyError:
            return slot_id
    return ", ".join(one(slot_id) for slot_id in slot_ids)


SOLVER_STATUS = {
    "OPTIMAL": _l("The best possible"),
    "FEASIBLE": _l("Good; the time ran out before it was proven the best"),
    "INFEASIBLE": _l("Impossible as set up"),
    "UNKNOWN": _l("No result"),
}

JOB_STATUS = {
    "queued": _l("Waiting to start"),
    "running": _l("Searching"),
    "finished": _l("Finished"),
    "failed": _l("Failed"),
    "cancelled": _l("Stopped"),
    "interrupted": _l("Interrupted"),
}

CHANGE_LABEL = {"time": _l("time"), "room": _l("room"), "facilitators": _l("facilitators")}


def date_text(value: dt.date | dt.datetime) -> str:
    """'Mon, Jan 25, 2027' / 'lun, 25 ene 2027': the weekday matters to people planning weeks."""
    if isinstance(value, dt.datetime):
        value = to_user_timezone(value).date()
    return format_skeleton("yMMMEd", value, locale=get_locale())


def datetime_text(value: dt.datetime) -> str:
    """'Jan 25, 2027, 9:05 AM' / '25 ene 2027, 9:05', in the center's time zone."""
    return f"{format_date(value, 'medium')}, {format_time(value, 'short')}"


def number_text(value: float, places: int = 0) -> str:
    """'64,880' / '64.880', '3.5' / '3,5': a number as the reader's language writes it."""
    pattern = "#,##0" + ("." + "0" * places if places > 0 else "")
    return format_decimal(value, format=pattern, locale=get_locale())


def percent_text(share: float, places: int = 0) -> str:
    """'98.5%' / '98,5 %' for a share between 0 and 1, with up to ``places`` decimals."""
    if places <= 0:
        return format_percent(share, locale=get_locale())
    return format_percent(round(share, places + 2), locale=get_locale(), decimal_quantization=False)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["date_text"] = date_text
    app.jinja_env.filters["datetime_text"] = datetime_text
    app.jinja_env.filters["slot_text"] = slot_text
    app.jinja_env.filters["number_text"] = number_text
    app.jinja_env.filters["percent_text"] = percent_text
    app.jinja_env.filters["solver_status"] = lambda code: SOLVER_STATUS.get(str(code), code)
    app.jinja_env.filters["job_status"] = lambda code: JOB_STATUS.get(str(code), code)
    app.jinja_env.filters["change_label"] = lambda code: CHANGE_LABEL.get(str(code), code)
