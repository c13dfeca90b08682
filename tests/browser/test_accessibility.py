"""axe-core on every page of the main paths, as a coordinator, a facilitator and a participant:
any serious or critical WCAG 2.x A/AA violation fails the test, and the message lists them all
(rule, impact, the elements). Pages are checked as people see them: with their scripts run, with
a validation error shown, and the participant's page in Spanish too."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

import pyotp
from flask import Flask
from playwright.sync_api import expect

from scheduler.extensions import db
from scheduler.models import (
    Center,
    CenterRole,
    JobStatus,
    Membership,
    SolveJob,
    User,
)
from scheduler.services import accounts, staff_invitations, two_factor
from scheduler.services.demo import DEMO_EMAIL
from scheduler.services.editing import current_scenario
from tests.browser.conftest import AxeAudit, LiveServer
from tests.support.browser import FACILITATOR_PASSWORD, FullCenter, full_center, sign_in, sign_out


def assert_errors_announced_and_linked(page: Any, field_ids: list[str]) -> None:
    """Errors come back in a summary the page focuses when it opens (so it is read at once); each
    failing field is marked invalid, described by its error, and linked from the summary; following
    the link with the keyboard moves the focus to the field."""
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    for field_id in field_ids:
        field = page.locator(f"#{field_id}")
        expect(field).to_have_attribute("aria-invalid", "true")
        described = (field.get_attribute("aria-describedby") or "").split()
        assert described, f"#{field_id} is not described by its error"
        error = page.locator(f"#{described[-1]}").inner_text().strip()
        assert error, f"#{field_id}'s error is empty"
        expect(summary.locator(f'a[href="#{field_id}"]')).to_contain_text(error)
    page.keyboard.press("Tab")
    expect(summary.locator(f'a[href="#{field_ids[0]}"]')).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{field_ids[0]}")).to_be_focused()


def coordinator_pages(audit: AxeAudit, base: str, full: FullCenter) -> None:
    page = audit.page
    c = f"{base}/centers/{full.center_id}"
    audit.visit("sign-in page", base + "/sign-in")
    sign_in(page, base, DEMO_EMAIL, full.coordinator_password)
    audit.check("dashboard")
    for section in ("activities", "rooms", "slots", "facilitators", "participants"):
        audit.visit(f"{section} list", f"{c}/{section}/")
    audit.visit("activity edit form", f"{c}/activities/act1/edit")
    # A validation error: the name and the smallest group size emptied.
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_label("Smallest group", exact=True).fill("")
    page.get_by_role("button", name="Save").click()
    audit.check("activity edit form with errors")
    assert_errors_announced_and_linked(page, ["name", "min_size"])
    audit.visit("new participant form", f"{c}/participants/new")
    audit.visit("settings", f"{c}/settings")
    audit.visit("pairs", f"{c}/pairs/")
    audit.visit("import", f"{c}/import")
    audit.visit("delete confirmation", f"{c}/rooms/{_first_code(page, c, 'rooms')}/delete")
    audit.visit("facilitator availability", f"{c}/facilitators/{full.facilitator_code}/availability")
    audit.visit("participant availability", f"{c}/participants/{full.participant_code}/availability")
    audit.visit("participant preferences", f"{c}/participants/{full.participant_code}/preferences")
    audit.visit("answers from participants", f"{c}/answers/")
    audit.visit("outbox", f"{c}/outbox")
    audit.visit("participant's data (privacy)", f"{c}/answers/{full.participant_code}/privacy")
    audit.visit("activity text", f"{c}/answers/activities/act1")
    audit.visit("schedule overview", f"{c}/schedule/")
    audit.visit("published version", f"{c}/schedule/versions/1")
    audit.visit("draft version", f"{c}/schedule/versions/2")
    audit.visit("publish confirmation", f"{c}/schedule/versions/2/publish")
    audit.visit("compare versions", f"{c}/schedule/compare?a=1&b=2")
    audit.visit("pins", f"{c}/schedule/pins")
    audit.visit("swaps overview", f"{c}/swaps/")
    audit.visit("cancel a meeting", f"{c}/meetings/cancel?{urlencode(full.meeting)}")
    audit.visit("audit log", f"{c}/audit")
    audit.visit("waitlists", f"{c}/waitlists/")
    leave = {"group": full.meeting["group"], "participant": full.participant_code, "effective": "2027-02-01"}
    audit.visit("leave a group", f"{c}/waitlists/leave?{urlencode(leave)}")
    audit.visit("calendars", f"{c}/calendars/")
    audit.visit("a person's calendar", f"{c}/calendars/participants/{full.participant_code}")
    sign_out(page)


def _first_code(page: Any, center_url: str, section: str) -> str:
    page.goto(f"{center_url}/{section}/")
    href = page.locator(f'a[href*="/{section}/"][href$="/edit"]').first.get_attribute("href")
    match = re.search(rf"/{section}/(.+)/edit$", href or "")
    assert match, href
    return match.group(1)


def facilitator_pages(audit: AxeAudit, base: str, full: FullCenter) -> None:
    c = f"{base}/centers/{full.center_id}"
    sign_in(audit.page, base, full.facilitator_email, FACILITATOR_PASSWORD)
    audit.check("facilitator's start page (my cover: swaps mine)")
    audit.visit("my times", f"{c}/me/times")
    audit.visit("ask for cover", f"{c}/cover/ask?{urlencode(full.meeting)}")
    sign_out(audit.page)


def participant_pages(audit: AxeAudit, base: str, full: FullCenter) -> None:
    page = audit.page
    audit.visit("participant's page", f"{base}/p/{full.participant_token}")
    # Two groups given the same number, as a browser without scripts can send them (with scripts,
    # static/js/ranking.js moves the other group on): the answers come back with errors marked.
    page.evaluate("() => { const s = document.querySelectorAll('select[id^=rank-]'); "
                  "s[0].value = '1'; s[1].value = '1'; }")
    page.get_by_role("button", name="Save my answers").click()
    audit.check("participant's page with errors")
    # Only the second group given a number already taken is marked.
    marked = [page.locator("select[aria-invalid=true]").nth(n).get_attribute("id")
              for n in range(page.locator("select[aria-invalid=true]").count())]
    assert marked, "no answer is marked"
    assert_errors_announced_and_linked(page, marked)
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    audit.check("participant's page in Spanish")


def test_every_main_page_has_no_serious_accessibility_violation(live_app: Flask, live_server: LiveServer,
                                                                axe_page: Any, axe_source: str) -> None:
    full = full_center(live_app)
    audit = AxeAudit(axe_page, axe_source)
    coordinator_pages(audit, live_server.url, full)
    facilitator_pages(audit, live_server.url, full)
    participant_pages(audit, live_server.url, full)
    print(f"axe checked {len(audit.checked)} pages: {', '.join(audit.checked)}")
    audit.assert_clean()


def extra_accounts(app: Flask, full: FullCenter) -> dict[str, Any]:
    """A coordinator with two-factor sign-in on, a facilitator invited but not yet welcomed, and a
    build of the schedule that is running and one that has finished."""
    with app.app_context():
        center = db.session.get(Center, full.center_id)
        assert center is not None
        secret = pyotp.random_base32()
        careful = User(email="careful@demo.example", password_hash=accounts.hash_password(FACILITATOR_PASSWORD),
                       totp_secret=two_factor.seal(secret))
        newcomer = User(email="newcomer@staff.example.org", password_hash="!")
        db.session.add_all([careful, newcomer])
        db.session.flush()
        db.session.add(Membership(user_id=careful.id, center_id=center.id, role=CenterRole.COORDINATOR))
        scenario = current_scenario(center)
        now = dt.datetime.now(dt.UTC)
        running = SolveJob(center_id=center.id, status=JobStatus.RUNNING, backend="thread", time_limit_s=60,
                           scenario=scenario, params={}, started_at=now, heartbeat_at=now, elapsed_s=3,
                           best_score=42, covered=30, cancel_requested=False)
        finished = SolveJob(center_id=center.id, status=JobStatus.FINISHED, backend="thread", time_limit_s=60,
                            scenario=scenario, params={}, started_at=now, finished_at=now, elapsed_s=60,
                            best_score=12, bound=10, covered=55, message="", cancel_requested=False)
        db.session.add_all([running, finished])
        db.session.commit()
        welcome = staff_invitations.issue_welcome_link(newcomer)
        db.session.commit()
        return {"totp": secret, "welcome": welcome, "running": running.id, "finished": finished.id}


def account_pages(audit: AxeAudit, base: str, full: FullCenter, extra: dict[str, Any]) -> None:
    page = audit.page
    c = f"{base}/centers/{full.center_id}"
    sign_in(page, base, DEMO_EMAIL, full.coordinator_password)
    audit.visit("two-factor set-up", f"{base}/account/two-factor")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    audit.check("two-factor set-up with a wrong code")
    audit.visit("confirm password", f"{base}/confirm-password")
    page.get_by_role("button", name="Continue").click()
    audit.check("confirm password with an error")
    audit.visit("a build of the schedule, running", f"{c}/schedule/jobs/{extra['running']}")
    expect(page.get_by_role("button", name="Stop and keep the best so far")).to_be_visible()
    audit.visit("a build of the schedule, finished", f"{c}/schedule/jobs/{extra['finished']}")
    sign_out(page)
    # The code step after the password.
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill("careful@demo.example")
    page.get_by_label("Password").fill(FACILITATOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    audit.check("two-factor code step")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    audit.check("two-factor code step with a wrong code")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(extra["totp"]).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    sign_out(page)
    # A facilitator's welcome page, where they choose a password.
    audit.visit("facilitator welcome", f"{base}/welcome/{extra['welcome']}")
    page.get_by_label("The same password again").fill("not the same")
    page.get_by_role("button", name="Save my password").click()
    audit.check("facilitator welcome with errors")


def test_sign_in_steps_welcome_and_build_pages_have_no_serious_accessibility_violation(
        live_app: Flask, live_server: LiveServer, axe_page: Any, axe_source: str) -> None:
    full = full_center(live_app)
    extra = extra_accounts(live_app, full)
    audit = AxeAudit(axe_page, axe_source)
    account_pages(audit, live_server.url, full, extra)
    print(f"axe checked {len(audit.checked)} pages: {', '.join(audit.checked)}")
    assert len(audit.checked) == 10
    audit.assert_clean()
