"""A small published term for swaps, cover, notices and the access matrix: two Mondays and three
Tuesdays, five facilitators who differ in one thing each, one participant, three groups; and the
same term with accounts for Ana, Ben and Cruz and a coordinator, for the pages."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import CenterRole, Facilitator, Membership, ScheduleVersion, User, VersionStatus
from scheduler.services.accounts import hash_password
from scheduler.services.scenarios import import_scenario
from scheduler.services.term import MeetingKey, term_state
from solver import load_scenario
from tests.conftest import PASSWORD

# Mondays in term: 2027-01-11, 18, 25; the 18th is a holiday. Tuesdays: 12, 19, 26.
SCENARIO: dict[str, Any] = {
    "format": "sociotherapy-scenario/1",
    "center": {"name": "Swaps", "timezone": "Europe/Madrid", "term_start": "2027-01-11",
               "term_end": "2027-01-27", "holidays": ["2027-01-18"]},
    "slots": [{"id": "MO-0900", "day": "MO", "start": "09:00", "end": "10:30"},
              {"id": "MO-1100", "day": "MO", "start": "11:00", "end": "12:30"},
              {"id": "TU-0900", "day": "TU", "start": "09:00", "end": "10:30"}],
    "rooms": [{"id": "r1", "name": "Room 1", "capacity": 10, "features": []},
              {"id": "r2", "name": "Room 2", "capacity": 10, "features": []}],
    "activities": [
        {"id": "art", "name": "Art group", "sessions_per_week": 1, "min_size": 1, "max_size": 8, "max_groups": 2,
         "required_skills": ["art"], "facilitators_per_group": 1, "room_features": []},
        {"id": "talk", "name": "Spanish talk group", "sessions_per_week": 1, "min_size": 1, "max_size": 8,
         "max_groups": 1, "required_skills": [], "facilitators_per_group": 1, "room_features": [], "language": "es"},
    ],
    "facilitators": [
        {"id": "ana", "name": "Ana", "email": "ana@example.org", "skills": ["art"], "languages": ["es"],
         "available": ["MO-0900", "MO-1100", "TU-0900"], "max_sessions_per_week": 3},
        {"id": "ben", "name": "Ben", "email": "ben@example.org", "skills": ["art"], "languages": ["es"],
         "available": ["MO-0900", "MO-1100", "TU-0900"], "max_sessions_per_week": 3},
        {"id": "cruz", "name": "Cruz", "email": "cruz@example.org", "skills": ["art"], "languages": ["es"],
         "available": ["MO-0900", "TU-0900"], "max_sessions_per_week": 3},
        {"id": "dee", "name": "Dee", "email": "dee@example.org", "skills": [], "languages": ["es"],
         "available": ["MO-0900", "MO-1100", "TU-0900"], "max_sessions_per_week": 3},
        {"id": "eli", "name": "Eli", "email": "eli@example.org", "skills": ["art"], "languages": [],
         "available": ["MO-0900", "MO-1100", "TU-0900"], "max_sessions_per_week": 3},
    ],
    "participants": [
        {"id": "p1", "name": "Pat", "email": "p1@example.org", "available": ["MO-0900", "MO-1100", "TU-0900"],
         "preferences": ["art", "talk"], "max_groups": 2, "needs": [], "languages": ["es"]},
    ],
    "keep_apart": [], "keep_together": [],
}
SCHEDULE: dict[str, Any] = {
    "format": "sociotherapy-schedule/1", "status": "FEASIBLE", "objective": 1, "bound": 1, "wall_s": 0.1,
    "groups": [
        {"id": "art-1", "activity": "art", "sessions": ["MO-0900"], "room": "r1", "facilitators": ["ana"],
         "members": ["p1"]},
        {"id": "art-2", "activity": "art", "sessions": ["MO-1100"], "room": "r1", "facilitators": ["ben"],
         "members": []},
        {"id": "talk-1", "activity": "talk", "sessions": ["TU-0900"], "room": "r2", "facilitators": ["ben"],
         "members": ["p1"]},
    ],
    "unassigned": [],
}
BEFORE_TERM = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
ART1_JAN11 = MeetingKey(dt.date(2027, 1, 11), "MO-0900", "art-1")
ART1_JAN25 = MeetingKey(dt.date(2027, 1, 25), "MO-0900", "art-1")
ART2_JAN11 = MeetingKey(dt.date(2027, 1, 11), "MO-1100", "art-2")
TALK_JAN12 = MeetingKey(dt.date(2027, 1, 12), "TU-0900", "talk-1")


def make_term(scenario: dict[str, Any] = SCENARIO, *, approval: bool = False) -> ScheduleVersion:
    center = import_scenario(load_scenario(copy.deepcopy(scenario)))
    center.swaps_need_approval = approval
    db.session.flush()
    version = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                              published_at=BEFORE_TERM, solver_status="FEASIBLE", objective=1, bound=1,
                              scenario=copy.deepcopy(scenario), schedule=copy.deepcopy(SCHEDULE))
    db.session.add(version)
    db.session.commit()
    return version


def person(code: str) -> Facilitator:
    found = db.session.scalar(select(Facilitator).where(Facilitator.code == code))
    assert found is not None
    return found


def leaders(version: ScheduleVersion, key: MeetingKey) -> tuple[str, ...]:
    return term_state(version).by_key[key].facilitators


def facilitator_account(code: str, center_id: int) -> None:
    facilitator = db.session.scalar(select(Facilitator).where(Facilitator.code == code,
                                                              Facilitator.center_id == center_id))
    assert facilitator is not None
    user = User(email=f"{code}@staff.example.org", password_hash=hash_password(PASSWORD))
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, center_id=center_id, role=CenterRole.FACILITATOR))
    facilitator.user_id = user.id


def setup_term(app: Flask, make_coordinator: Callable[..., None]) -> int:
    with app.app_context():
        version = make_term()
        for code in ("ana", "ben", "cruz"):
            facilitator_account(code, version.center_id)
        db.session.commit()
        center_id = version.center_id
    make_coordinator("coord@example.org", "Swaps")
    return center_id


def meeting_data(key: object, **extra: str) -> dict[str, str]:
    return {"group": key.group, "slot": key.slot, "date": key.date.isoformat(), **extra}  # type: ignore[attr-defined]
