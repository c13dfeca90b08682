"""A participant on a 360 px phone: the link from the (outbox) email opens their page; they answer
their times and rank two groups with the keyboard and the touch screen; the answers are stored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from scheduler.extensions import db
from scheduler.models import Center, Participant
from scheduler.services import self_service
from scheduler.services.editing import current_scenario
from tests.browser.conftest import LiveServer, screenshot
from tests.support.demo import load_demo


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_participant_answers_from_the_emailed_link_on_a_phone(live_app: Flask, live_server: LiveServer,
                                                                phone: Any) -> None:
    load_demo(live_app)
    with live_app.test_request_context(base_url=live_server.url):
        participant = db.session.scalars(db.select(Participant).order_by(Participant.id)).first()
        assert participant is not None
        center = participant.center
        self_service.invite(center, participant)
        db.session.commit()
        from scheduler.models import OutboxMessage

        body = db.session.scalars(db.select(OutboxMessage)).one().body
        code, center_id = participant.code, center.id
    link = re.search(r"http://127\.0\.0\.1:\d+/p/\S+", body)
    assert link, body

    phone.goto(link.group(0))
    expect(phone.get_by_role("heading", name="When can you come?")).to_be_visible()
    # Nothing is wider than the phone: no sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    slots = phone.locator("fieldset.slot")
    first, second = slots.nth(0), slots.nth(1)
    first.get_by_label("Yes").check()
    second.get_by_label("If need be").check()
    # Keyboard: the third slot's radio group, moved with the arrow keys like any radio group.
    third = slots.nth(2)
    third.get_by_label("No").focus()
    phone.keyboard.press("ArrowLeft")
    expect(third.get_by_label("If need be")).to_be_checked()

    selects = phone.locator("select[id^=rank-]")
    selects.nth(1).select_option(label="Choice 1")
    selects.nth(0).select_option(label="Choice 2")
    for n in range(2, selects.count()):
        selects.nth(n).select_option("")
    screenshot(phone, "participant-page-phone")
    phone.get_by_role("button", name="Save my answers").click()
    expect(phone.get_by_text("Your answers are saved")).to_be_visible()

    with live_app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        data = current_scenario(center)
        person = next(p for p in data["participants"] if p["id"] == code)
        slot_ids = [s["id"] for s in data["slots"]]
        activity_ids = [a["id"] for a in data["activities"]]
        assert slot_ids[0] in person["available"]
        assert slot_ids[1] in person.get("if_needed", []) and slot_ids[2] in person.get("if_needed", [])
        assert person["preferences"] == [activity_ids[1], activity_ids[0]]
