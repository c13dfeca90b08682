"""The 600-participant example scenario in a browser at 1280x800: a coordinator finds any participant
in two actions (type the name, press Enter), no page of the main path grows past 6 000 px, and
axe-core finds nothing serious on them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from scheduler.extensions import db
from scheduler.services.accounts import create_coordinator
from scheduler.services.scenarios import import_scenario
from solver import read_scenario_file
from tests.browser.conftest import AxeAudit, LiveServer, screenshot
from tests.conftest import PASSWORD, scenario_path
from tests.large_center import add_versions

TALLEST = 6_000


@pytest.fixture
def large_live(live_app: Flask) -> int:
    with live_app.app_context():
        center = import_scenario(read_scenario_file(scenario_path("large")), "Large")
        create_coordinator("ana@example.org", PASSWORD, center)
        db.session.commit()
        center_id = center.id
    add_versions(live_app, center_id)
    return center_id


@pytest.fixture
def screen(browser: Any) -> Iterator[Any]:
    """1280x800, and axe-core may be injected (see axe_page in conftest)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def height(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


def test_find_anyone_in_two_actions_on_short_clean_pages(large_live: int, live_server: LiveServer, screen: Any,
                                                         axe_source: str) -> None:
    base, page = live_server.url, screen
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill("ana@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    center = f"{base}/centers/{large_live}"
    expect(page.get_by_role("heading", name="Where the term stands")).to_be_visible()
    screenshot(page, "term-dashboard")

    # Two actions: type the name in the dashboard's search box, press Enter.
    page.get_by_label("Find a participant").fill("Participant 417")
    page.keyboard.press("Enter")
    row = page.locator("#person-p417")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Participant 417")

    audit = AxeAudit(page, axe_source)
    heights = {}
    for name, url in [("dashboard", f"{center}/"), ("answers", f"{center}/answers/"),
                      ("participants", f"{center}/participants/"),
                      ("version", f"{center}/schedule/versions/2"),
                      ("version rosters", f"{center}/schedule/versions/2?section=rosters"),
                      ("version left out", f"{center}/schedule/versions/2?section=left-out"),
                      ("version facilitators", f"{center}/schedule/versions/2?section=facilitators"),
                      ("version pins", f"{center}/schedule/versions/2?section=pins&q=Participant+41"),
                      ("compare", f"{center}/schedule/compare?a=1&b=2"), ("audit log", f"{center}/audit")]:
        audit.visit(name, url)
        heights[name] = height(page)
        if name == "version":
            screenshot(page, "version-sections")
        elif name == "compare":
            screenshot(page, "compare-verdict")
    print("page heights at 1280x800:", heights)
    assert {name: h for name, h in heights.items() if h > TALLEST} == {}
    audit.assert_clean()

    # With JavaScript, the search box suggests names while typing; choosing one searches at once.
    page.goto(f"{center}/answers/")
    box = page.get_by_label("Find a participant")
    box.press_sequentially("Participant 52", delay=20)
    expect(page.locator("#find-q-suggestions option").first).to_be_attached()
    assert page.locator("#find-q-suggestions option").count() <= 8
