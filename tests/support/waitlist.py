"""A published term for the waiting lists ("Waiting", from 11 January 2027): groups full and not,
and participants waiting for them; LATER is a date in term when a freed seat is offered."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from scheduler.extensions import db
from scheduler.models import ScheduleVersion, VersionStatus
from scheduler.services.scenarios import import_scenario
from solver import load_scenario

ALL = ["MO-0900", "TU-0900"]


def participant(code: str, wants: list[str], available: list[str] = ALL, **extra: Any) -> dict[str, Any]:
    return {"id": code, "name": code.upper(), "email": f"{code}@example.org", "available": available,
            "preferences": wants, "max_groups": 1, "needs": [], **extra}


SCENARIO: dict[str, Any] = {
    "format": "sociotherapy-scenario/1",
    "center": {"name": "Waiting", "timezone": "Europe/Madrid", "term_start": "2027-01-11",
               "term_end": "2027-02-28", "holidays": []},
    "slots": [{"id": "MO-0900", "day": "MO", "start": "09:00", "end": "10:30"},
              {"id": "TU-0900", "day": "TU", "start": "09:00", "end": "10:30"}],
    "rooms": [{"id": "r1", "name": "Room 1", "capacity": 10, "features": []}],
    "activities": [
        {"id": "art", "name": "Art", "sessions_per_week": 1, "min_size": 2, "max_size": 2, "max_groups": 1,
         "required_skills": [], "facilitators_per_group": 1, "room_features": []},
        {"id": "choir", "name": "Choir", "sessions_per_week": 1, "min_size": 1, "max_size": 5, "max_groups": 1,
         "required_skills": [], "facilitators_per_group": 1, "room_features": []},
    ],
    "facilitators": [{"id": "f1", "name": "F1", "email": "f1@example.org", "skills": [], "available": ALL,
                      "max_sessions_per_week": 5}],
    "participants": [
        participant("p1", ["art"]), participant("p2", ["art"]),
        participant("p3", ["art"], available=["TU-0900"]),       # not free on Mondays
        participant("p4", ["art"]),                               # kept apart from p2
        participant("p5", ["choir", "art"]),                      # wants art second
        participant("p6", ["art"], needs=["accessible"]),         # room 1 is not accessible
        participant("p7", ["art", "choir"], max_groups=2),        # already in the choir
        participant("p8", ["art"]),
    ],
    "keep_apart": [["p4", "p2"]], "keep_together": [],
}
SCHEDULE: dict[str, Any] = {
    "format": "sociotherapy-schedule/1", "status": "FEASIBLE", "objective": 1, "bound": 1, "wall_s": 0.1,
    "groups": [
        {"id": "art-1", "activity": "art", "sessions": ["MO-0900"], "room": "r1", "facilitators": ["f1"],
         "members": ["p1", "p2"]},
        {"id": "choir-1", "activity": "choir", "sessions": ["TU-0900"], "room": "r1", "facilitators": ["f1"],
         "members": ["p7"]},
    ],
    "unassigned": [],
}
LATER = dt.date(2027, 2, 1)


def make_version() -> ScheduleVersion:
    center = import_scenario(load_scenario(copy.deepcopy(SCENARIO)))
    db.session.flush()
    version = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                              published_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC), solver_status="FEASIBLE",
                              scenario=copy.deepcopy(SCENARIO), schedule=copy.deepcopy(SCHEDULE))
    db.session.add(version)
    db.session.commit()
    return version
