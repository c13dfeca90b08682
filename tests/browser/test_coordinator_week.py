"""A coordinator's week on the 600-participant example, in a browser at 1280x800: find a person from
the dashboard in two actions, change their answers so the published schedule no longer fits them (they
can no longer come at one of their group's times), build a new version (which starts from the published
schedule, so only what must change does), compare it with the published one, publish it, follow the
notices until all are handled and find that person's notice in the outbox by their name. Then someone
told who has a group now (that person, if the build seated them elsewhere), on a 360 px phone: their
personal page, rank by tapping, save, see their group. Every page: axe-core clean; at 1280x800 no
page taller than 6 000 px, on the phone nothing wider than the screen.

``UPDATE_SCREENSHOTS=1`` rewrites docs/screenshots/week-*.png; otherwise the test writes no files."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from scheduler.extensions import db
from scheduler.models import OutboxMessage, Participant, ScheduleVersion
from scheduler.services import self_service
from scheduler.services.accounts import create_coordinator
from scheduler.services.scenarios import import_scenario
from solver import read_scenario_file
from tests.browser.conftest import SCREENSHOTS, AxeAudit, LiveServer, screenshot
from tests.conftest import PASSWORD, scenario_path
from tests.large_center import add_versions

TALLEST = 6_000
DAY_WORDS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday", "SA": "Saturday",
             "SU": "Sunday"}
BUILD_SECONDS = "10"  # the build form's shortest choice
# What a code of the example looks like (activity, slot, room, participant, facilitator): none may
# reach a person's email, which says names, days and times in words.
RAW_CODE = re.compile(r"\b(?:act\d+|room\d+|fac\d+|p\d+|(?:MO|TU|WE|TH|FR|SA|SU)-\d{4})\b")


@pytest.fixture
def large_live(live_app: Flask) -> int:
    """The large center (version 1 published, 2 a draft), ana@example.org its coordinator."""
    with live_app.app_context():
        center = import_scenario(read_scenario_file(scenario_path("large")), "Large")
        create_coordinator("ana@example.org", PASSWORD, center)
        db.session.commit()
        center_id = center.id
    add_versions(live_app, center_id)
    return center_id


def _context(browser: Any, **options: Any) -> Iterator[Any]:
    # bypass_csp only so axe-core can be injected (see axe_page in conftest).
    context = browser.new_context(bypass_csp=True, **options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    yield from _context(browser, viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    yield from _context(browser, viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                        has_touch=True)


def _shoot(page: Any, name: str, *, whole_page: bool = True) -> None:
    if os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    if whole_page:
        screenshot(page, name)
    else:  # a phone page is many screens long: one screen says more
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


class Walk:
    """Checks each page the walk reaches: axe-core, and its height (or, on the phone, its width)."""

    def __init__(self, page: Any, audit: AxeAudit, *, phone: bool = False):
        self.page, self.audit, self.phone = page, audit, phone
        self.heights: dict[str, int] = {}
        self.too_wide: list[str] = []
        self.started = time.monotonic()
        self.timings: dict[str, float] = {}

    def check(self, name: str) -> None:
        self.page.wait_for_load_state()
        self.audit.check(name)
        self.heights[name] = int(self.page.evaluate("document.body.scrollHeight"))
        if self.phone and not self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            self.too_wide.append(name)
        self.timings[name] = round(time.monotonic() - self.started, 1)
        print(f"{name}: {self.heights[name]} px high, {self.timings[name]} s")  # shown with -s, even on a failure

    def too_tall(self) -> dict[str, int]:
        return {} if self.phone else {name: h for name, h in self.heights.items() if h > TALLEST}


def _ranks(page: Any) -> list[str]:
    return page.eval_on_selector_all("select[id^=rank-]", "els => els.map(e => e.value)")


def test_a_coordinators_week_and_a_participants_phone(large_live: int, live_server: LiveServer, live_app: Flask,
                                                      desk: Any, phone: Any, axe_source: str) -> None:
    base, page = live_server.url, desk
    center = f"{base}/centers/{large_live}"
    audit = AxeAudit(page, axe_source)
    walk = Walk(page, audit)

    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill("ana@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Where the term stands")).to_be_visible()
    walk.check("dashboard")
    _shoot(page, "week-dashboard")

    # Find one person in two actions: type the name, press Enter.
    page.get_by_label("Find a participant").fill("Participant 417")
    page.keyboard.press("Enter")
    row = page.locator("#person-p417")
    expect(row).to_contain_text("Participant 417")
    walk.check("found")

    # Change their answers: they can no longer come at one of their published group's times, so the
    # next build must move them (or their group) and publishing must tell them.
    with live_app.app_context():
        published = db.session.scalars(db.select(ScheduleVersion).where(ScheduleVersion.center_id == large_live,
                                                                         ScheduleVersion.number == 1)).one()
        groups = [g for g in published.schedule["groups"] if "p417" in g["members"]]
    assert groups, "Participant 417 has no group in the published version"
    slot = groups[0]["sessions"][0]
    row.get_by_role("link", name="Availability p417", exact=True).click()
    expect(page.get_by_role("heading", name="Availability of Participant 417")).to_be_visible()
    day, start = slot.split("-")
    cell = page.get_by_role("button", name=re.compile(rf"^{DAY_WORDS[day]} {start[:2]}:{start[2:]}-"))
    for _ in range(3):  # a click cycles available -> if need be -> not available
        if cell.text_content() == "Not available":
            break
        cell.click()
    expect(cell).to_have_text("Not available")
    walk.check("availability")
    availability = page.url
    page.get_by_role("button", name="Save availability").click()
    page.wait_for_load_state()
    page.goto(availability)  # saved: the grid shows the new answer when opened again
    expect(page.locator(f"#slot-{slot}")).to_have_value("no")

    # Build a new version with the shortest time limit and wait for it.
    page.goto(center + "/")
    page.get_by_role("link", name="Schedule: build, review and publish").click()
    walk.check("schedule")
    page.get_by_label("Time to spend searching").select_option(BUILD_SECONDS)
    page.get_by_role("button", name="Build schedule").click()
    expect(page.get_by_role("heading", name="Building the schedule")).to_be_visible()
    walk.check("build progress")
    expect(page.get_by_role("link", name="See the schedule")).to_be_visible(timeout=60_000)
    walk.timings["build finished"] = round(time.monotonic() - walk.started, 1)
    page.get_by_role("link", name="See the schedule").click()
    expect(page).to_have_url(re.compile(r"/schedule/versions/\d+"))
    built = int(page.url.rsplit("/", 1)[-1].split("?")[0])
    assert built == 3
    walk.check("version")
    _shoot(page, "week-version")

    # Compare it with the published version: the page gives a verdict.
    page.goto(center + "/schedule/")
    page.locator("#compare-a").select_option("1")
    page.locator("#compare-b").select_option(str(built))
    page.get_by_role("button", name="Compare", exact=True).click()
    verdict = page.locator("#verdict")
    expect(verdict).to_be_visible()
    assert len((verdict.text_content() or "").strip()) > 20, verdict.text_content()
    walk.check("compare")
    _shoot(page, "week-compare")

    # Publish: the confirmation names who is left out and who will be told.
    page.goto(f"{center}/schedule/versions/{built}")
    page.get_by_role("link", name="Publish this version").click()
    expect(page.get_by_role("heading", name=f"Publish version {built}?")).to_be_visible()
    left_out = page.locator('section[aria-labelledby="left-out-heading"]')
    expect(left_out).to_contain_text(re.compile(r"participants? ha(s|ve) no group in this version:\s+Participant \d+"
                                                r"|Every participant has a group"))
    told = page.locator('section[aria-labelledby="told-heading"]')
    expect(told).to_contain_text(re.compile(r"\d+ (person|people) in a group for the first time"))
    expect(told).to_contain_text(re.compile(r"[1-9]\d* (person|people) whose groups change"))
    walk.check("publish confirmation")
    page.get_by_role("button", name=f"Publish version {built}").click()
    # The notices' progress page follows by itself until every message is handled.
    expect(page.locator("#batch-words")).to_contain_text("Done:", timeout=60_000)
    expect(page.get_by_text("could not be sent")).to_have_count(0)
    walk.check("notices")
    walk.timings["notices done"] = round(time.monotonic() - walk.started, 1)

    # The outbox: find Participant 417's notice by their name; it says what was and what is, in words.
    page.get_by_role("link", name="Open the outbox").click()
    walk.check("outbox")
    page.get_by_label(re.compile("Find a message")).fill("Participant 417")
    page.get_by_role("button", name="Find", exact=True).click()
    article = page.locator("article.outbox-message").filter(has_text="your groups have changed")
    expect(article).to_have_count(1)
    expect(article).to_contain_text("Participant 417 <p417@example.org>")
    walk.check("outbox search")
    article.locator("summary").click()
    expect(article.locator(".mail-body")).to_contain_text("Before:")
    shown = article.locator(".mail-body").inner_text()
    assert "Hello Participant 417," in shown and "Now:" in shown, shown
    assert not RAW_CODE.findall(shown), (RAW_CODE.findall(shown), shown)
    # On the phone: someone told who has a group now (Participant 417 if the build seated them again).
    with live_app.app_context():
        new_version = db.session.scalars(db.select(ScheduleVersion).where(ScheduleVersion.center_id == large_live,
                                                                           ScheduleVersion.number == built)).one()
        seated = {m for g in new_version.schedule["groups"] for m in g["members"]}
        told_emails = set(db.session.scalars(db.select(OutboxMessage.to_email)
                                             .where(OutboxMessage.subject.like("%: your group%"))))
        candidates = sorted(db.session.scalars(db.select(Participant).where(Participant.center_id == large_live,
                                                                            Participant.code.in_(seated),
                                                                            Participant.email.in_(told_emails))),
                            key=lambda p: (p.code != "p417", p.id))
        assert candidates, "publishing told nobody who has a group in the new version"
        name, email = candidates[0].name, candidates[0].email

    # The person told, on their phone: the personal link the app makes, rank by tapping, save, their group.
    with live_app.test_request_context(base_url=base):
        person = db.session.scalars(db.select(Participant).where(Participant.center_id == large_live,
                                                                 Participant.email == email)).one()
        invitation = self_service.invite(person.center, person)
        assert invitation is not None
        db.session.commit()
        link = re.search(r"http://127\.0\.0\.1:\d+/p/\S+", invitation.body)
    assert link, "the invitation has no personal link"
    phone_audit = AxeAudit(phone, axe_source)
    on_phone = Walk(phone, phone_audit, phone=True)
    phone.goto(link.group(0))
    expect(phone.get_by_role("heading", name=f"Hello {name}")).to_be_visible()
    meetings = phone.locator("ul.meetings li")
    expect(meetings.first).to_be_visible()
    on_phone.check("personal page")
    taps = phone.locator("button.tap-rank")
    expect(taps.first).to_be_visible()
    for n in range(taps.count()):  # start from nothing chosen
        if taps.nth(n).get_attribute("aria-pressed") == "true":
            taps.nth(n).tap()
    taps.nth(1).tap()
    taps.nth(0).tap()
    assert _ranks(phone)[:2] == ["2", "1"]
    taps.nth(0).scroll_into_view_if_needed()
    _shoot(phone, "week-phone", whole_page=False)
    phone.get_by_role("button", name="Save my answers").click()
    expect(phone.get_by_text("Your answers are saved")).to_be_visible()
    expect(meetings.first).to_be_visible()
    on_phone.check("personal page, saved")

    print("heights at 1280x800:", walk.heights)
    print("heights on the phone:", on_phone.heights)
    print("seconds from sign-in:", walk.timings, "phone:", on_phone.timings)
    problems = [*(f"taller than {TALLEST} px at 1280x800: {name} ({h} px)" for name, h in walk.too_tall().items()),
                *(f"wider than the phone: {name}" for name in on_phone.too_wide),
                *audit.failures, *phone_audit.failures]
    assert not problems, "\n\n".join(problems)
