"""No time-out loses a half-filled form: a coordinator's session ends while a form is open; the form
is sent, the sign-in page comes; after signing in the same form comes back with what was typed
(static/js/drafts.js keeps a draft in the tab's sessionStorage), and once saved the draft is gone.
Passwords, the CSRF token and pages whose address is a secret are never written there."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Participant
from scheduler.services.demo import DEMO_EMAIL
from tests.browser.conftest import LiveServer
from tests.support.browser import full_center, sign_in

RESTORED = "What you typed before is back in this form. Check it, then save."


def stored(page: Any) -> str:
    """Everything the tab's sessionStorage holds, as one text."""
    return str(page.evaluate("JSON.stringify(Object.assign({}, window.sessionStorage))"))


def test_a_form_sent_after_the_session_timed_out_comes_back_filled_in(
        live_app: Flask, live_server: LiveServer, page: Any) -> None:
    full = full_center(live_app)
    base = live_server.url
    new_form = f"{base}/centers/{full.center_id}/participants/new"
    sign_in(page, base, DEMO_EMAIL, full.coordinator_password)
    assert full.coordinator_password not in stored(page)

    page.goto(new_form)
    page.get_by_label("Id", exact=True).fill("late1")
    page.get_by_label("Name", exact=True).fill("Rosa Late")
    page.get_by_label("Most groups", exact=True).fill("2")
    page.get_by_label("Language of their page and emails").select_option("es")
    csrf = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert csrf and csrf not in stored(page)

    # The coffee break was longer than the idle limit: the next request finds the session over.
    live_app.config["IDLE_TIMEOUT_S"] = -1
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("You were signed out after a while. Please sign in again.")).to_be_visible()
    live_app.config["IDLE_TIMEOUT_S"] = 7200

    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(full.coordinator_password)
    page.get_by_role("button", name="Sign in").click()
    # Back on the same form, as it was left.
    expect(page).to_have_url(new_form)
    expect(page.get_by_role("status").filter(has_text=RESTORED)).to_be_visible()
    expect(page.get_by_label("Id", exact=True)).to_have_value("late1")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Rosa Late")
    expect(page.get_by_label("Most groups", exact=True)).to_have_value("2")
    expect(page.get_by_label("Language of their page and emails")).to_have_value("es")
    assert full.coordinator_password not in stored(page)

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved participant late1.")).to_be_visible()
    with live_app.app_context():
        saved = db.session.scalar(select(Participant).where(Participant.code == "late1"))
        assert saved is not None and saved.name == "Rosa Late" and saved.locale == "es"
    # drafts.js is deferred: it runs before DOMContentLoaded, which may come after the text shows.
    page.wait_for_load_state("domcontentloaded")
    assert "late1" not in stored(page)  # saved: the draft is gone
    page.goto(new_form)
    expect(page.get_by_label("Id", exact=True)).to_have_value("")
    expect(page.get_by_text(RESTORED)).to_have_count(0)


def test_a_draft_comes_back_after_a_reload_and_can_be_cleared(
        live_app: Flask, live_server: LiveServer, page: Any) -> None:
    full = full_center(live_app)
    base = live_server.url
    edit = f"{base}/centers/{full.center_id}/activities/act1/edit"
    sign_in(page, base, DEMO_EMAIL, full.coordinator_password)
    page.goto(edit)
    name = page.get_by_label("Name", exact=True)
    saved_name = name.input_value()
    name.fill("Art therapy (draft)")
    page.reload()
    expect(name).to_have_value("Art therapy (draft)")
    page.get_by_role("button", name="Clear what I typed before").click()
    expect(name).to_have_value(saved_name)
    expect(page.get_by_text(RESTORED)).to_have_count(0)
    page.reload()
    expect(name).to_have_value(saved_name)  # cleared for good


def test_pages_whose_address_is_a_secret_keep_no_drafts(live_app: Flask, live_server: LiveServer,
                                                         page: Any) -> None:
    full = full_center(live_app)
    page.goto(f"{live_server.url}/p/{full.participant_token}")
    page.locator("select[id^=rank-]").first.select_option("1")
    page.locator("select[id^=rank-]").first.dispatch_event("input")
    assert stored(page) == "{}"
    assert full.participant_token not in stored(page)


def test_the_availability_grid_keeps_its_draft_too(live_app: Flask, live_server: LiveServer, page: Any) -> None:
    """The grid's buttons stand in for its selects: a click is kept, and a restored draft redraws them."""
    full = full_center(live_app)
    sign_in(page, live_server.url, DEMO_EMAIL, full.coordinator_password)
    page.goto(f"{live_server.url}/centers/{full.center_id}/facilitators/fac1/availability")
    cell = page.get_by_role("button", name=re.compile(r"^Wednesday 10:30-11:45: "))
    before = cell.inner_text()
    cell.click()
    after = cell.inner_text()
    assert after != before
    page.reload()
    expect(page.get_by_role("button", name=re.compile(r"^Wednesday 10:30-11:45: "))).to_have_text(after)
    expect(page.get_by_text(RESTORED)).to_be_visible()
