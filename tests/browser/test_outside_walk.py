"""An outside tester's walk of a coordinator's week on the 600-participant example scenario (issue 17),
kept as tests: what held up (find anyone in two actions, the publish confirmation, short pages) and
the defects the walk found (the outbox after publishing, raw group codes on a facilitator's
phone, a participant's first choice dropped without a word)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from scheduler.extensions import db
from scheduler.services.accounts import create_coordinator
from scheduler.services.scenarios import import_scenario
from solver import read_scenario_file
from tests.browser.conftest import LiveServer
from tests.conftest import PASSWORD, scenario_path
from tests.large_center import add_versions

TALLEST = 6_000
RAW_GROUP_CODE = re.compile(r"\bact\d+-\d+\b")
LINK = re.compile(r"https?://\S+")


def large_center(app: Flask, publish_first: bool) -> int:
    with app.app_context():
        center = import_scenario(read_scenario_file(scenario_path("large")), "Large")
        create_coordinator("ana@example.org", PASSWORD, center)
        db.session.commit()
        center_id = center.id
    add_versions(app, center_id, publish_first=publish_first)
    return center_id


@pytest.fixture
def large_draft(live_app: Flask) -> int:
    """The large center with two draft versions and nothing published."""
    return large_center(live_app, publish_first=False)


@pytest.fixture
def large_published(live_app: Flask) -> int:
    """The large center, version 1 published, version 2 a draft."""
    return large_center(live_app, publish_first=True)


def new_page(browser: Any, phone: bool = False) -> Iterator[Any]:
    size = {"width": 360, "height": 740} if phone else {"width": 1280, "height": 800}
    context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone,
                                  device_scale_factor=2 if phone else 1)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    yield from new_page(browser)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    yield from new_page(browser, phone=True)


def sign_in(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def height(page: Any) -> int:
    return int(page.evaluate("document.body.scrollHeight"))


def newest_outbox_link(page: Any, center: str) -> str:
    page.goto(f"{center}/outbox")
    body = page.locator(".mail-body").first.text_content() or ""
    found = LINK.findall(body)
    assert found, f"the newest message in the outbox has no link:\n{body}"
    return found[0]


def test_anyone_found_in_two_actions_and_the_review_pages_stay_short(
        large_published: int, live_server: LiveServer, desk: Any) -> None:
    """What held up in the walk: type a name, press Enter; the pages of a week's review stay short."""
    base, page = live_server.url, desk
    center = f"{base}/centers/{large_published}"
    sign_in(page, base, "ana@example.org")
    page.get_by_label("Find a participant").fill("Participant 283")
    page.keyboard.press("Enter")
    expect(page.locator("tr", has_text="Participant 283")).to_have_count(1)
    heights = {"found": height(page)}
    for name, path in [("dashboard", "/"), ("version", "/schedule/versions/2"),
                       ("left out", "/schedule/versions/2?section=left-out"),
                       ("compare", "/schedule/compare?a=1&b=2"), ("publish", "/schedule/versions/2/publish")]:
        page.goto(center + path)
        heights[name] = height(page)
    assert {name: h for name, h in heights.items() if h > TALLEST} == {}, heights


def test_publishing_600_people_tells_them_and_the_outbox_shows_every_notice(
        large_draft: int, live_server: LiveServer, desk: Any) -> None:
    base, page = live_server.url, desk
    center = f"{base}/centers/{large_draft}"
    sign_in(page, base, "ana@example.org")

    # Works: the confirmation names who is left out and counts who will be told.
    page.goto(f"{center}/schedule/versions/1/publish")
    expect(page.get_by_text(re.compile(r"\d+ participants have no group in this version"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d+ people in a group for the first time"))).to_be_visible()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text(re.compile(r"emails sent or kept in the outbox"))).to_be_visible(timeout=30_000)

    page.goto(f"{center}/outbox")
    text = page.inner_text("main")
    problems = []
    written = int(re.search(r"Notices of version 1: (\d+) emails", text).group(1))
    shown = len(re.findall(r"^To .+<", text, re.M))
    if shown < written and page.locator("main input[type=search]").count() == 0 \
            and page.get_by_role("link", name=re.compile(r"older|next|more", re.I)).count() == 0:
        problems.append(f"{written} notices written, {shown} listed, with no search and no way to the older "
                        "ones: most people's notices cannot be read or passed on")
    if height(page) > TALLEST:
        problems.append(f"the outbox is {height(page)} px tall at 1280x800 (at most {TALLEST})")
    bodies = [body or "" for body in page.locator(".mail-body").all_text_contents()]
    to_staff = [body for body in bodies if body.startswith("Hello Facilitator")]
    if any("someone else can have your place" in body for body in to_staff):
        problems.append("facilitators are told, as members would be, 'You have a place … so someone else "
                        "can have your place'")
    assert problems == []


def test_phones_a_facilitators_groups_in_words_a_participants_first_choice_kept(
        large_published: int, live_server: LiveServer, desk: Any, phone: Any) -> None:
    """On a 360 px phone: a facilitator's page names their groups in words;
    Participant 5 wants four activities, and giving another one "Choice 1" must not silently turn
    their former first choice into "Not for me" (it should move down, or the page should say so)."""
    base = live_server.url
    center = f"{base}/centers/{large_published}"
    sign_in(desk, base, "ana@example.org")
    problems = []

    desk.goto(f"{center}/answers/")
    desk.get_by_role("button", name="Invite Facilitator 1", exact=True).click()
    desk.wait_for_load_state()
    phone.goto(newest_outbox_link(desk, center))
    for field in phone.locator("input[type=password]").all():
        field.fill("a facilitator's own long password")
    phone.locator("main button[type=submit]").first.click()
    phone.wait_for_load_state()
    sign_in(phone, base, "fac1@example.org", "a facilitator's own long password")
    phone.goto(f"{center}/cover/")
    expect(phone.get_by_role("heading", name="Your groups")).to_be_visible()
    codes = sorted(set(RAW_GROUP_CODE.findall(phone.inner_text("main"))))
    if codes:
        problems.append(f"facilitator's page shows raw group codes: {codes}")

    desk.goto(f"{center}/answers/?q=Participant+5")
    desk.locator("#person-p5").get_by_role("button", name=re.compile("Send a link")).click()
    desk.wait_for_load_state()
    phone.goto(newest_outbox_link(desk, center))
    ranked = {s.get_attribute("id"): s.input_value() for s in phone.locator("select[id^=rank-]").all()}
    assert sum(1 for rank in ranked.values() if rank) == 4
    first = next(name for name, rank in ranked.items() if rank == "1")
    unranked = next(name for name, rank in ranked.items() if rank == "")
    phone.locator(f"#{unranked}").select_option("1")
    after = {s.get_attribute("id"): s.input_value() for s in phone.locator("select[id^=rank-]").all()}
    assert after[unranked] == "1"
    if after[first] == "":
        problems.append(f"giving {unranked} choice 1 turned {first}, the former first choice, into 'Not for me' "
                        f"without a word ({sum(1 for rank in after.values() if rank)} groups wanted, not 5)")
    assert problems == []
