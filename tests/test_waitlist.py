"""Waiting lists: fair order, who fits a freed seat, offers and answers, and the minimum-size warning."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, OfferStatus, ScheduleVersion, SeatOffer, VersionStatus
from scheduler.services import waitlist
from scheduler.services.scenarios import import_scenario
from scheduler.services.term import term_state
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


def center_of(version: ScheduleVersion) -> Center:
    center = db.session.get(Center, version.center_id)
    assert center is not None
    return center


def test_the_waiting_list_is_in_a_fair_order(app_ctx: Flask) -> None:
    version = make_version()
    listed = waitlist.waiting_list(term_state(version), center_of(version), "art", LATER)
    # Nobody-in-a-group first, then by how much they wanted art, then by seniority; p1 and p2 are in it.
    assert [w.participant.code for w in listed] == ["p3", "p4", "p6", "p8", "p5", "p7"]
    assert [w.rank for w in listed][:5] == [1, 1, 1, 1, 2]


def test_a_freed_seat_goes_to_the_first_who_fits(app_ctx: Flask) -> None:
    version = make_version()
    center = center_of(version)
    waitlist.leave(version, "art-1", "p1", LATER, None)
    db.session.commit()
    state = term_state(version)
    assert state.rosters["art-1"].on(LATER) == ("p2",)
    assert state.rosters["art-1"].on(LATER - dt.timedelta(days=1)) == ("p1", "p2")  # history stays
    assert waitlist.below_minimum(state, "art-1", LATER)
    reasons = {code: waitlist.misfits(state, center, next(p for p in center.participants if p.code == code),
                                      "art-1", LATER) for code in ("p3", "p4", "p6", "p8")}
    assert "not available" in reasons["p3"][0]
    assert "kept apart" in reasons["p4"][0]
    assert "needs" in reasons["p6"][0]
    assert reasons["p8"] == []
    best = waitlist.best_fit(state, center, "art-1", LATER)
    assert best is not None and best.participant.code == "p8"


def test_offer_accept_puts_them_in_the_group_from_that_date(app_ctx: Flask) -> None:
    version = make_version()
    waitlist.leave(version, "art-1", "p1", LATER, None)
    seat = waitlist.offer(version, "art-1", "p8", LATER, None)
    with pytest.raises(waitlist.WaitlistError, match="already offered to p8"):
        waitlist.offer(version, "art-1", "p5", LATER, None)
    waitlist.answer(seat, True, None)
    db.session.commit()
    state = term_state(version)
    assert state.rosters["art-1"].on(LATER) == ("p2", "p8")
    meetings = [m for m in state.meetings if m.group_id == "art-1"]
    assert meetings[0].members == ("p1", "p2") and meetings[-1].members == ("p2", "p8")
    assert not waitlist.below_minimum(state, "art-1", LATER)
    with pytest.raises(waitlist.WaitlistError, match="already been answered"):
        waitlist.answer(seat, False, None)


def test_a_declined_seat_goes_to_the_next_person(app_ctx: Flask) -> None:
    version = make_version()
    center = center_of(version)
    waitlist.leave(version, "art-1", "p1", LATER, None)
    waitlist.answer(waitlist.offer(version, "art-1", "p8", LATER, None), False, None)
    db.session.commit()
    best = waitlist.best_fit(term_state(version), center, "art-1", LATER)
    assert best is not None and best.participant.code == "p5"


def test_offers_to_people_who_do_not_fit_are_refused(app_ctx: Flask) -> None:
    version = make_version()
    with pytest.raises(waitlist.WaitlistError, match="The group is full"):
        waitlist.offer(version, "art-1", "p8", LATER, None)
    waitlist.leave(version, "art-1", "p1", LATER, None)
    with pytest.raises(waitlist.WaitlistError, match="kept apart"):
        waitlist.offer(version, "art-1", "p4", LATER, None)
    with pytest.raises(waitlist.WaitlistError, match="is not in art-1"):
        waitlist.leave(version, "art-1", "p1", LATER, None)
    assert db.session.scalar(select(SeatOffer)) is None
    assert OfferStatus.OFFERED.value == "offered"
