"""Translatable names shared by several pages."""

from flask import Flask
from flask_babel import lazy_gettext as _l

# The interface languages, each named in its own language (so never translated).
LANGUAGE_NAMES = {"en": "English", "es": "Español"}

DAY_NAMES = {
    "MO": _l("Monday"), "TU": _l("Tuesday"), "WE": _l("Wednesday"), "TH": _l("Thursday"),
    "FR": _l("Friday"), "SA": _l("Saturday"), "SU": _l("Sunday"),
}

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


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["solver_status"] = lambda code: SOLVER_STATUS.get(str(code), code)
    app.jinja_env.filters["job_status"] = lambda code: JOB_STATUS.get(str(code), code)
    app.jinja_env.filters["change_label"] = lambda code: CHANGE_LABEL.get(str(code), code)
