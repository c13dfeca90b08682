"""A coordinator's whole path in a real browser: sign in, create an activity, mark availability in
the grid, rank preferences, build the schedule, watch it finish, see the timetable, pin, publish."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, screenshot
from tests.support.demo import load_demo


def create_activity(page: Any) -> None:
    page.locator('section[aria-labelledby="activities"]').get_by_role("link", name="Add").click()
    expect(page.get_by_role("heading", name="Add an activity")).to_be_visible()
    for label, value in (("Id", "garden"), ("Name", "Garden club"), ("Meetings a week (1 to 3)", "1"),
                         ("Smallest group", "2"), ("Largest group", "8"), ("Fewest groups", "0"),
                         ("Most groups", "1"), ("Facilitators per group (1 or 2)", "1")):
        page.get_by_label(label, exact=True).fill(value)
    screenshot(page, "activity-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved activity garden.")).to_be_visible()
    expect(page.get_by_role("cell", name="Garden club").or_(page.get_by_text("Garden club")).first).to_be_visible()


def mark_availability(page: Any, dashboard: str) -> None:
    """Facilitator 1 cannot come on Wednesday at 10:30 or 13:00. A click cycles a cell through
    available -> if need be -> not available, so one click makes 10:30 available and two make
    13:00 "if need be"."""
    page.goto(dashboard)
    page.get_by_role("link", name="Edit facilitators").click()
    page.get_by_role("link", name="Availability fac1").click()
    expect(page.get_by_role("heading", name="Availability of Facilitator 1")).to_be_visible()
    morning = page.get_by_role("button", name=re.compile(r"^Wednesday 10:30-11:45: "))
    afternoon = page.get_by_role("button", name=re.compile(r"^Wednesday 13:00-14:15: "))
    expect(morning).to_have_text("Not available")
    expect(afternoon).to_have_text("Not available")
    morning.click()
    expect(morning).to_have_text("Available")
    afternoon.click()
    afternoon.click()
    expect(afternoon).to_have_text("If need be")
    screenshot(page, "availability-grid")
    page.get_by_role("button", name="Save availability").click()
    page.get_by_role("link", name="Availability fac1").click()
    expect(page.locator("#slot-WE-1030")).to_have_value("available")
    expect(page.locator("#slot-WE-1300")).to_have_value("if_needed")


def rank_preferences(page: Any, dashboard: str) -> None:
    page.goto(dashboard)
    page.get_by_role("link", name="Edit participants").click()
    page.get_by_role("link", name="Wanted activities p1", exact=True).click()
    page.get_by_label("Add a wanted activity").select_option(label="Garden club")
    page.get_by_role("button", name="Add", exact=True).click()
    ranked = page.locator("ol.ranked .ranked-name")
    expect(ranked.last).to_have_text("Garden club")
    while ranked.first.text_content() != "Garden club":
        page.get_by_role("button", name="Move up Garden club").click()
    page.get_by_role("button", name="Move down Peer support circle").click()
    expect(ranked).to_have_text(["Garden club", "Art therapy", "Peer support circle", "Youth social skills",
                                 "Seniors' connection group"])
    screenshot(page, "preferences")


def test_sign_in_edit_build_watch_review_publish(page: Any, live_server: LiveServer, live_app: Flask) -> None:
    password = load_demo(live_app)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "sign-in")
    page.get_by_label("Email").fill("coordinator@demo.example")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside Community Center (demo)")
    screenshot(page, "dashboard")
    dashboard = page.url

    create_activity(page)
    page.goto(dashboard)
    mark_availability(page, dashboard)
    rank_preferences(page, dashboard)

    page.goto(dashboard)
    page.get_by_role("link", name="Schedule: build, review and publish").click()
    page.get_by_label("Time to spend searching").select_option("10")
    page.get_by_role("button", name="Build schedule").click()
    expect(page.get_by_role("heading", name="Building the schedule")).to_be_visible()
    # The page follows the solve by itself and shows the result link when it is done.
    expect(page.get_by_role("link", name="See the schedule")).to_be_visible(timeout=60_000)
    expect(page.locator('[data-field="status"]')).to_have_text("Finished")
    screenshot(page, "progress-finished")

    page.get_by_role("link", name="See the schedule").click()
    expect(page.get_by_role("heading", name="Weekly timetable")).to_be_visible()
    expect(page.locator(".timetable .block").first).to_be_visible()
    screenshot(page, "timetable")

    # Pin the first group's times and room for the next build; the pins list shows it.
    page.locator(".pin-form").first.get_by_label("its times").check()
    page.locator(".pin-form").first.get_by_label("its room").check()
    page.locator(".pin-form").first.get_by_role("button", name="Pin").click()
    expect(page.get_by_text("2 pins kept. The next build keeps them.")).to_be_visible()
    page.get_by_role("link", name="See and remove pins").click()
    expect(page.get_by_role("cell", name="Kept in the next build")).to_have_count(2)
    screenshot(page, "pins")
    page.go_back()

    version_page = page.url
    page.get_by_role("link", name="Publish this version").click()
    expect(page.get_by_role("heading", name="Publish version 1?")).to_be_visible()
    page.get_by_role("button", name="Publish version 1").click()
    # Everyone with a group is told: publishing goes to the sending page, which follows the notices.
    expect(page.get_by_text("Version 1 is published.")).to_be_visible()
    expect(page.get_by_role("heading", name="Notices of version 1")).to_be_visible()
    expect(page.locator("#batch-words")).to_contain_text("Done:", timeout=60_000)
    expect(page.get_by_text("could not be sent")).to_have_count(0)
    page.get_by_role("link", name="Open the outbox").click()
    expect(page.get_by_role("heading", name="Outbox", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Riverside Community Center (demo): your group").first).to_be_visible()
    page.goto(version_page)
    expect(page.locator(".badge")).to_have_text("Published")
