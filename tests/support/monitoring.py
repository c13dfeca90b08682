"""Terms for the monitoring tests, all the swaps term: one with four participants of their own
languages for reminders, outcomes and the report; and a longer one (to 19 February) where Quinn and
Rosa join Pat in Ana's art-1, whose register is taken meeting by meeting."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import AttendanceStatus, Participant, ScheduleVersion, VersionStatus
from scheduler.services.monitoring import attendance
from scheduler.services.scenarios import import_scenario
from scheduler.services.term import term_state
from solver import load_scenario
from tests.support.swaps_term import BEFORE_TERM, SCENARIO, SCHEDULE, make_term

# Term 2027-01-11 .. 01-27 (Europe/Madrid), holiday 01-18. art-1 meets on Mondays at 09:00,
# talk-1 on Tuesdays at 09:00.
PEOPLE = [("p1", "Pat One", "p1@example.org", None), ("p2", "Paz Two", "p2@example.org", "es"),
          ("p3", "Pia Three", "p3@example.org", None), ("p4", "Poe Four", "", None)]


def monitoring_scenario(name: str = "Swaps") -> tuple[dict[str, Any], dict[str, Any]]:
    scenario = copy.deepcopy(SCENARIO)
    scenario["center"]["name"] = name
    template = scenario["participants"][0]
    scenario["participants"] = [template | {"id": code, "name": name, "email": email}
                                for code, name, email, _locale in PEOPLE]
    schedule = copy.deepcopy(SCHEDULE)
    members = {"art-1": ["p1", "p2", "p3"], "art-2": [], "talk-1": ["p1", "p4"]}
    schedule["groups"] = [{**g, "members": members[g["id"]]} for g in schedule["groups"]]
    return scenario, schedule


def make_monitoring_term(name: str = "Swaps") -> ScheduleVersion:
    scenario, schedule = monitoring_scenario(name)
    center = import_scenario(load_scenario(copy.deepcopy(scenario)))
    db.session.flush()
    for person in center.participants:
        person.locale = next(locale for code, _n, _e, locale in PEOPLE if code == person.code)
    version = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                              published_at=BEFORE_TERM, solver_status="FEASIBLE", objective=1, bound=1,
                              scenario=scenario, schedule=schedule)
    db.session.add(version)
    db.session.commit()
    return version


def participant(code: str, center_id: int | None = None) -> Participant:
    found = db.session.scalar(select(Participant).where(Participant.code == code).order_by(Participant.id.desc())
                              if center_id is None else
                              select(Participant).where(Participant.code == code, Participant.center_id == center_id))
    assert found is not None
    return found


# Three members in Ana's art-1 (Mondays 09:00): p1 Pat, p2 Quinn, p3 Rosa.
ART_MEMBERS = [{"id": code, "name": name, "email": "", "available": ["MO-0900", "MO-1100", "TU-0900"],
                "preferences": ["art"], "max_groups": 2, "needs": [], "languages": ["es"]}
               for code, name in (("p2", "Quinn"), ("p3", "Rosa"))]

P, E, N, L = (AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.NO_SHOW,
              AttendanceStatus.LATE_CANCEL)
# art-1 meets on Mondays: Jan 11, (18 is a holiday), 25, Feb 1, 8, 15.
MONDAYS = [dt.date(2027, 1, 11), dt.date(2027, 1, 25), dt.date(2027, 2, 1), dt.date(2027, 2, 8),
           dt.date(2027, 2, 15)]


def long_term() -> ScheduleVersion:
    scenario = copy.deepcopy(SCENARIO)
    scenario["center"]["term_end"] = "2027-02-19"
    scenario["participants"] += copy.deepcopy(ART_MEMBERS)
    scenario["activities"][0]["min_size"] = 2
    version = make_term(scenario)
    version.scenario = scenario
    version.schedule = {**version.schedule, "groups": [
        {**g, "members": ["p1", "p2", "p3"]} if g["id"] == "art-1" else g for g in version.schedule["groups"]]}
    db.session.commit()
    return version


def take(version: ScheduleVersion, day: dt.date, **statuses: AttendanceStatus) -> None:
    state = term_state(version)
    meeting = next(m for m in state.meetings if m.group_id == "art-1" and m.date == day)
    attendance.save_register(state, meeting, [attendance.Entry(code, status) for code, status in statuses.items()],
                             None)
    db.session.commit()
