"""The demo center made ready for the browser tests (a published schedule and a draft, a facilitator
who signs in and has asked for cover, a participant's link), and signing in and out in the page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import (
    Center,
    CenterRole,
    Facilitator,
    Membership,
    Participant,
    ScheduleVersion,
    User,
    VersionStatus,
)
from scheduler.services import accounts, swaps
from scheduler.services.editing import current_scenario
from scheduler.services.term import MeetingKey, term_state
from solver import load_scenario
from solver.greedy import greedy_schedule
from tests.support.demo import load_demo

FACILITATOR_PASSWORD = "lantern-quartz-walnut-orbit-7f3a"


@dataclass(frozen=True)
class FullCenter:
    """The demo center with a published schedule (version 1), a draft (version 2), a facilitator
    who can sign in and has asked for cover, and a participant's personal link."""

    center_id: int
    coordinator_password: str
    facilitator_email: str
    facilitator_code: str
    meeting: dict[str, str]  # group, slot, date of one of the facilitator's meetings
    participant_code: str
    participant_token: str


def full_center(app: Flask) -> FullCenter:
    password = load_demo(app)
    with app.app_context():
        center = db.session.scalars(select(Center)).one()
        scenario = load_scenario(current_scenario(center))
        schedule = greedy_schedule(scenario)
        assert schedule is not None and schedule.groups
        published = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                                    published_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), solver_status="FEASIBLE",
                                    scenario=scenario.to_dict(), schedule=schedule.to_dict())
        draft = ScheduleVersion(center_id=center.id, number=2, status=VersionStatus.DRAFT, solver_status="FEASIBLE",
                                scenario=scenario.to_dict(), schedule=schedule.to_dict())
        db.session.add_all([published, draft])
        db.session.flush()

        state = term_state(published)
        facilitator = next(f for f in sorted(center.facilitators, key=lambda f: f.id) if state.led_by(f.code))
        email = f"{facilitator.code}@staff.example.org"
        user = User(email=email, password_hash=accounts.hash_password(FACILITATOR_PASSWORD))
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, center_id=center.id, role=CenterRole.FACILITATOR))
        facilitator.user_id = user.id
        db.session.flush()
        led = state.led_by(facilitator.code)
        # One open request for cover, so the swaps pages have a row to show.
        swaps.request_swap(published, db.session.get(Facilitator, facilitator.id), [MeetingKey.of(led[1])],  # type: ignore[arg-type]
                           note="Dentist")
        participant = db.session.scalars(select(Participant).where(Participant.center_id == center.id)
                                         .order_by(Participant.id)).first()
        assert participant is not None
        token = accounts.issue_participant_link(participant)
        db.session.commit()
        meeting = {"group": led[0].group_id, "slot": led[0].slot_id, "date": led[0].date.isoformat()}
        return FullCenter(center.id, password, email, facilitator.code, meeting, participant.code, token)


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
