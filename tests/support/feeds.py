"""The swaps term published for calendar feeds, with a second participant whose name is a canary (a
feed, page or log that shows it to anyone but its owner and staff is caught), and finding its people."""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Facilitator, Participant, ScheduleVersion, VersionStatus
from scheduler.services.scenarios import import_scenario
from solver import load_scenario
from tests.support.swaps_term import BEFORE_TERM, SCENARIO, SCHEDULE

CANARY = "Zebulon Canary-7f3a"


def published_center() -> ScheduleVersion:
    scenario = copy.deepcopy(SCENARIO)
    scenario["participants"].append({"id": "p2", "name": CANARY, "email": "canary@example.org",
                                     "available": ["MO-0900", "MO-1100", "TU-0900"], "preferences": ["art"],
                                     "max_groups": 1, "needs": [], "languages": ["es"]})
    schedule = copy.deepcopy(SCHEDULE)
    schedule["groups"][0]["members"] = ["p1", "p2"]
    center = import_scenario(load_scenario(scenario))
    db.session.flush()
    version = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                              published_at=BEFORE_TERM, solver_status="FEASIBLE", scenario=scenario,
                              schedule=schedule)
    db.session.add(version)
    db.session.commit()
    return version


def person(model: type[Participant] | type[Facilitator], code: str) -> Any:
    found = db.session.scalar(select(model).where(model.code == code))
    assert found is not None
    return found


def swaps_center(app: Flask) -> int:
    from scheduler.services.scenarios import find_center

    with app.app_context():
        center = find_center("Swaps")
        assert center is not None
        return center.id
