"""A participant ranks groups on a 360 px phone by tapping them in order (static/js/ranking.js): never a
duplicate number, nothing wider than the screen, axe-core clean; and the coordinator's outbox on the
same phone: links clickable, nothing wider than the screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from scheduler.extensions import db
from scheduler.models import Center, OutboxMessage, Participant
from scheduler.services import self_service
from scheduler.services.editing import current_scenario
from tests.browser.conftest import LiveServer, axe_violations, describe_violations, screenshot
from tests.support.demo import load_demo


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    # bypass_csp only so axe-core can be injected; the page's own scripts load as in real use.
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _ranks(phone: Any) -> list[str]:
    return phone.eval_on_selector_all("select[id^=rank-]", "els => els.map(e => e.value)")


def test_a_participant_ranks_by_tapping_and_the_coordinator_reads_the_outbox_on_a_phone(
        live_app: Flask, live_server: LiveServer, phone: Any, axe_source: str) -> None:
    password = load_demo(live_app)
    with live_app.test_request_context(base_url=live_server.url):
        participant = db.session.scalars(db.select(Participant).order_by(Participant.id)).first()
        assert participant is not None
        center_id, code = participant.center_id, participant.code
        self_service.invite(participant.center, participant)
        db.session.commit()
        body = db.session.scalars(db.select(OutboxMessage)).one().body
    link = re.search(r"http://127\.0\.0\.1:\d+/p/\S+", body)
    assert link, body

    phone.goto(link.group(0))
    taps = phone.locator("button.tap-rank")
    expect(taps.first).to_be_visible()  # shown only with the script
    for n in range(taps.count()):  # start from nothing chosen
        if taps.nth(n).get_attribute("aria-pressed") == "true":
            taps.nth(n).tap()
    assert set(_ranks(phone)) == {""}
    taps.nth(2).tap()
    taps.nth(0).tap()
    taps.nth(1).tap()
    assert _ranks(phone)[:3] == ["2", "3", "1"]
    expect(taps.nth(2)).to_have_text("Choice 1: tap to take out")
    taps.nth(2).tap()  # taken out: the later ones move up
    assert _ranks(phone)[:3] == ["1", "2", ""]
    # A number chosen in a select that another group holds: the two swap, never a duplicate.
    phone.locator("select[id^=rank-]").nth(1).select_option("1")
    assert _ranks(phone)[:3] == ["2", "1", ""]
    # A group not chosen yet takes choice 1: the others move down one, none becomes "Not for me".
    phone.locator("select[id^=rank-]").nth(2).select_option("1")
    assert _ranks(phone)[:3] == ["3", "2", "1"]
    taps.nth(2).tap()  # taken out again: the later ones move up
    assert _ranks(phone)[:3] == ["2", "1", ""]
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    violations = axe_violations(phone, axe_source)
    assert not violations, describe_violations("participant page, 360 px", violations)
    screenshot(phone, "participant-phone-ranking")
    phone.get_by_role("button", name="Save my answers").click()
    expect(phone.get_by_text("Your answers are saved")).to_be_visible()
    # Answered: the parts fold away.
    expect(phone.locator("details#wanted-part")).not_to_have_attribute("open", "")
    with live_app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        data = current_scenario(center)
        person = next(p for p in data["participants"] if p["id"] == code)
        ids = [a["id"] for a in data["activities"]]
        assert person["preferences"] == [ids[1], ids[0]]

    # The coordinator, on the same phone: the outbox fits and its link can be opened.
    phone.goto(live_server.url + "/")
    phone.get_by_label("Email").fill("coordinator@demo.example")
    phone.get_by_label("Password").fill(password)
    phone.get_by_role("button", name="Sign in").click()
    phone.goto(f"{live_server.url}/centers/{center_id}/outbox")
    phone.locator("details summary").first.click()
    expect(phone.locator(".mail-body a[href*='/p/']").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    violations = axe_violations(phone, axe_source)
    assert not violations, describe_violations("outbox, 360 px", violations)
