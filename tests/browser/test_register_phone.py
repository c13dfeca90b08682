"""The register on a 360 px phone: a facilitator takes attendance for their last two meetings in a few
taps each (one request per register; a reload keeps it), and the coordinator sees the at-risk list
change and records a follow-up. axe checks the register, the list of registers and the follow-up page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, CenterRole, Membership, ScheduleVersion, User, VersionStatus
from scheduler.services import accounts
from scheduler.services.editing import current_scenario
from scheduler.services.monitoring import attendance
from scheduler.services.term import term_state
from solver import load_scenario
from solver.greedy import greedy_schedule
from tests.browser.conftest import AxeAudit, LiveServer, screenshot
from tests.support.browser import sign_in
from tests.support.demo import load_demo

PASSWORD = "walnut-ember-timber-river-2c9d"


@dataclass(frozen=True)
class Term:
    center_id: int
    coordinator_password: str
    facilitator_email: str
    meetings: list[tuple[str, str, str]]  # (group, slot, date) of one group's last two meetings so far
    member_name: str                      # a member of that group


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    # bypass_csp: only so that axe-core can be injected (see tests/browser/conftest.py).
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def running_term(app: Flask) -> Term:
    """The demo center with a published term that began three weeks ago, and one facilitator's account."""
    password = load_demo(app)
    with app.app_context():
        center = db.session.scalars(select(Center)).one()
        today = attendance.local_today(center.timezone)
        scenario = current_scenario(center)
        scenario["center"] = {**scenario["center"], "term_start": (today - dt.timedelta(days=21)).isoformat(),
                              "term_end": (today + dt.timedelta(days=60)).isoformat(), "holidays": []}
        schedule = greedy_schedule(load_scenario(scenario))
        assert schedule is not None
        version = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                                  published_at=dt.datetime.now(dt.UTC), solver_status="FEASIBLE",
                                  scenario=scenario, schedule=schedule.to_dict())
        db.session.add(version)
        db.session.flush()
        state = term_state(version)
        group = next(g for g in schedule.groups if len(g.members) >= 3)
        facilitator = next(f for f in center.facilitators if f.code == group.facilitators[0])
        user = User(email="leader@staff.example.org", password_hash=accounts.hash_password(PASSWORD))
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, center_id=center.id, role=CenterRole.FACILITATOR))
        facilitator.user_id = user.id
        past = [m for m in state.meetings if m.group_id == group.id and m.date <= today and not m.cancelled]
        names = {p["id"]: p["name"] for p in scenario["participants"]}
        member = sorted(past[-1].members)[0]
        db.session.commit()
        return Term(center.id, password, user.email,
                    [(m.group_id, m.slot_id, m.date.isoformat()) for m in past[-2:]], names[member])


def take_register(phone: Any, base: str, term: Term, meeting: tuple[str, str, str], audit: AxeAudit | None) -> None:
    group, slot, day = meeting
    phone.goto(f"{base}/centers/{term.center_id}/register/")
    link = phone.locator(f'a[href$="/register/{group}/{slot}/{day}"]')
    expect(link).to_be_visible()
    if audit is not None:
        audit.check("register list (phone)")
    link.click()
    expect(phone.get_by_role("heading", name="Register")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "sideways scrolling"
    card = phone.get_by_role("group", name=term.member_name, exact=True)
    card.get_by_label("No-show").tap()  # the few taps: one for the absent member, one to save
    if audit is not None:
        audit.check("register (phone)")
        screenshot(phone, "register-phone")
    phone.get_by_role("button", name="Save the register").tap()
    expect(phone.get_by_text("Saved:")).to_be_visible()
    phone.reload()
    expect(phone.get_by_role("group", name=term.member_name, exact=True).get_by_label("No-show")).to_be_checked()


def test_a_facilitator_takes_the_register_on_a_phone_and_the_coordinator_follows_up(
        live_app: Flask, live_server: LiveServer, phone: Any, axe_page: Any, axe_source: str) -> None:
    term = running_term(live_app)
    base = live_server.url
    phone_audit = AxeAudit(phone, axe_source)
    sign_in(phone, base, term.facilitator_email, PASSWORD)
    take_register(phone, base, term, term.meetings[0], phone_audit)

    coordinator = axe_page
    desk_audit = AxeAudit(coordinator, axe_source)
    sign_in(coordinator, base, "coordinator@demo.example", term.coordinator_password)
    risk_url = f"{base}/centers/{term.center_id}/follow-up/"
    coordinator.goto(risk_url)
    expect(coordinator.get_by_role("heading", name="People at risk of dropping out")).to_be_visible()
    listed = f"{term.member_name} · {term.meetings[0][0]}"
    expect(coordinator.get_by_role("heading", name=listed, exact=True)).to_have_count(0)  # one no-show: not yet

    take_register(phone, base, term, term.meetings[1], None)  # a second no-show in a row
    coordinator.goto(risk_url)
    person = coordinator.get_by_role("article", name=listed, exact=True)
    expect(person).to_contain_text("2 no-shows in a row")
    expect(person).to_contain_text("No follow-up yet.")
    desk_audit.check("people at risk")
    person.get_by_label("Called").check()
    person.get_by_label("Note (optional)").fill("She will be back next week.")
    person.get_by_role("button", name="Record the follow-up").click()
    expect(coordinator.get_by_text("Follow-up recorded.")).to_be_visible()
    person = coordinator.get_by_role("article", name=listed, exact=True)
    expect(person).to_contain_text("Last follow-up: Called")
    expect(person).to_contain_text("She will be back next week.")
    desk_audit.check("people at risk, followed up")
    coordinator.goto(f"{base}/centers/{term.center_id}/attendance/")
    desk_audit.check("attendance")
    phone_audit.assert_clean()
    desk_audit.assert_clean()
