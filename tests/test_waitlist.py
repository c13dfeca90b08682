"""Waiting lists: fair order, who fits a freed seat, offers and answers, and the minimum-size warning."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, OfferStatus, ScheduleVersion, SeatOffer
from scheduler.services import waitlist
from scheduler.services.term import term_state
from tests.support.waitlist import LATER, make_version


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
