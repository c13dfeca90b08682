"""A coordinator's whole path in a real browser: sign in, build the schedule, watch it finish,
see the timetable, publish."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, screenshot


def load_demo(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    match = re.search(r"password: (\S+)", result.output)
    assert match is not None
    return match.group(1)


def test_sign_in_build_watch_review_publish(page: Any, live_server: LiveServer, live_app: Flask) -> None:
    password = load_demo(live_app)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "sign-in")
    page.get_by_label("Email").fill("coordinator@demo.example")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside Community Center (demo)")
    screenshot(page, "dashboard")

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

    page.get_by_role("link", name="Publish this version").click()
    expect(page.get_by_role("heading", name="Publish version 1?")).to_be_visible()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Version 1 is published.")).to_be_visible()
    expect(page.locator(".badge")).to_have_text("Published")
