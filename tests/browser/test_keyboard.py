"""Keyboard only: no click, no fill, no select_option. Tab and Shift+Tab move between controls, the
arrow keys move inside a group, Space toggles, Enter follows links and presses buttons; every
control that receives focus shows a visible focus indicator.

* A participant opens their personal page, answers their times (one radio group per time: the
  arrow keys choose Yes / If need be / No), numbers the groups they want (the arrow keys change a
  closed list), ticks a need with Space and saves, in English; and once after switching the page
  to Spanish with the keyboard (the choice is remembered on the next visit).
* A coordinator fills in the same answers for a participant on the editing pages: the availability
  grid (arrow keys move between cells, Space cycles a cell) and the ranked list (Move up / Move down
  buttons; the focus comes back to the moved activity after each press).
Each walk ends by reading the stored answers, and axe checks the page in the state reached."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center
from scheduler.services.demo import DEMO_EMAIL
from scheduler.services.editing import current_scenario
from tests.browser.conftest import AxeAudit, LiveServer
from tests.support.browser import FullCenter, full_center

FOCUS_STATE = r"""() => {
  const e = document.activeElement;
  if (!e || e === document.body) { return null; }
  const style = getComputedStyle(e);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
  const fieldset = e.closest("fieldset");
  return {tag: e.tagName.toLowerCase(), type: e.type || "", name: e.name || "", id: e.id || "",
          value: e.value || "", checked: !!e.checked, text: (e.innerText || "").replace(/\s+/g, " ").trim(),
          label: label.trim(), aria: e.getAttribute("aria-label") || "",
          legend: fieldset && fieldset.querySelector("legend") ? fieldset.querySelector("legend").innerText : "",
          visible: outline || style.boxShadow !== "none"};
}"""


class Keyboard:
    """Presses keys and, after each, checks that the focused control shows where the focus is."""

    def __init__(self, page: Any):
        self.page = page
        self.presses = 0

    def focused(self) -> dict[str, Any]:
        state = self.page.evaluate(FOCUS_STATE)
        assert state is not None, "the focus was lost (it is on the page itself)"
        return state  # type: ignore[no-any-return]

    def press(self, key: str) -> dict[str, Any]:
        self.page.keyboard.press(key)
        self.presses += 1
        state = self.page.evaluate(FOCUS_STATE)
        if state is not None and state["tag"] not in ("main", "body"):
            assert state["visible"], f"after {key}, the focused {state} shows no focus indicator"
        return state  # type: ignore[no-any-return]

    def submit(self, key: str = "Enter") -> dict[str, Any] | None:
        """Press a key that sends a form or follows a link, wait for the page that comes back, and
        return where the focus is there (None on the page itself)."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.presses += 1
        self.page.wait_for_load_state()
        state = self.page.evaluate(FOCUS_STATE)
        if state is not None and state["tag"] not in ("main", "body"):
            assert state["visible"], f"after {key}, the focused {state} shows no focus indicator"
        return state  # type: ignore[no-any-return]

    def tab_until(self, wanted: Callable[[dict[str, Any]], bool], what: str, limit: int = 400,
                  key: str = "Tab") -> dict[str, Any]:
        for _ in range(limit):
            state = self.press(key)
            if state is not None and wanted(state):
                return state
        raise AssertionError(f"{what}: not reached with {limit} presses of {key}")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)


def answers_of(app: Flask, center_id: int, code: str) -> dict[str, Any]:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        data = current_scenario(center)
        return next(p for p in data["participants"] if p["id"] == code)


def scenario_of(app: Flask, center_id: int) -> dict[str, Any]:
    with app.app_context():
        center = db.session.scalars(select(Center).where(Center.id == center_id)).one()
        return current_scenario(center)


LEVELS = ["available", "if_needed", "no"]


def answer_times_with_arrows(keys: Keyboard, wanted: list[str]) -> None:
    """Focus is on the first radio group. For each time in turn: the arrow keys move the choice
    (and check it) until the wanted answer is checked; Tab goes on to the next time."""
    for n, level in enumerate(wanted):
        state = keys.focused()
        assert state["type"] == "radio" and state["checked"], state
        group = state["name"]
        for _ in range(len(LEVELS)):
            if state["value"] == level:
                break
            state = keys.press("ArrowDown" if n % 2 == 0 else "ArrowRight")
            assert state["name"] == group, f"the arrow key left the group {group}: {state}"
            assert state["checked"], f"the arrow key moved the focus without choosing: {state}"
        assert state["value"] == level, state
        # Space on the chosen answer keeps it chosen (a radio is never unticked by Space).
        assert keys.press("Space")["checked"]
        if n + 1 < len(wanted):
            keys.press("Tab")


def rank_with_arrows(keys: Keyboard, ranks: list[int | None], tapped: int | None = None) -> None:
    """Focus is on the first group's list. Home goes to "Not for me"; each ArrowDown is one number
    further (Choice 1, Choice 2, ...); Tab goes on to the group's tap-to-rank button, which says what
    the list holds (aria-pressed), then to the next group's list. The group at index `tapped` is left
    on "Not for me" in its list and chosen with Space on its button instead: it becomes the next choice,
    after the lists before it and ahead of those after it once the walk leaves them on "Not for me"."""
    for n, rank in enumerate(ranks):
        state = keys.focused()
        assert state["tag"] == "select" and state["name"].startswith("rank-"), state
        select_id = state["id"]
        state = keys.press("Home")
        assert state["value"] == "", state
        for _ in range(rank or 0):
            state = keys.press("ArrowDown")
        assert state["value"] == (str(rank) if rank else ""), state
        button = keys.press("Tab")
        assert button["tag"] == "button", f"after the list of {select_id}, its tap-to-rank button: {button}"
        pressed = keys.page.evaluate("document.activeElement.getAttribute('aria-pressed')")
        assert pressed == ("true" if rank else "false"), (select_id, pressed)
        if n == tapped:
            assert rank is None, "the tapped group starts on Not for me"
            # The next choice after every group chosen now (lists not reached yet keep the page's
            # stored answers until the walk sets them); a tap numbers the chosen groups 1, 2, 3, ...
            chosen = 1 + keys.page.evaluate(
                "[...document.querySelectorAll('select[id^=rank-]')].filter(s => s.value).length")
            state = keys.press("Space")
            assert state["tag"] == "button", state
            assert keys.page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "true"
            assert keys.page.evaluate(f"document.getElementById('{select_id}').value") == str(chosen)
        if n + 1 < len(ranks):
            keys.press("Tab")


def participant_walk(page: Any, app: Flask, full: FullCenter, audit: AxeAudit, *, saved: str,
                     save_button: str) -> None:
    """From the top of the participant's page to their saved answers, with the keyboard alone."""
    data = scenario_of(app, full.center_id)
    slots = [s["id"] for s in data["slots"]]
    activities = [a["id"] for a in data["activities"]]
    keys = Keyboard(page)

    # The first Tab reaches the skip link; Enter skips the header.
    state = keys.press("Tab")
    assert state["tag"] == "a" and "#main" in page.evaluate(
        "document.activeElement.getAttribute('href')"), state
    keys.press("Enter")
    first_radio = keys.tab_until(lambda s: s["type"] == "radio", "the first time's answers")
    assert first_radio["legend"], "a time's answers are a group named by its legend"

    wanted = [LEVELS[n % 3] for n in range(len(slots))]
    answer_times_with_arrows(keys, wanted)
    keys.tab_until(lambda s: s["tag"] == "select" and s["name"].startswith("rank-"), "the first group's list")
    ranks: list[int | None] = [None] * len(activities)
    ranks[2], ranks[0] = 1, 2
    rank_with_arrows(keys, ranks, tapped=5)  # the sixth group is choice 3, by its tap-to-rank button
    need = keys.tab_until(lambda s: s["type"] == "checkbox", "a need")
    state = keys.press("Space")
    assert state["checked"] != need["checked"], "Space toggles a checkbox"
    state = keys.press("Space")
    assert state["checked"] == need["checked"], "Space toggles it back"
    state = keys.press("Space")
    keys.tab_until(lambda s: s["tag"] == "button" and s["text"] == save_button, "the save button")
    keys.submit("Enter")
    expect(page.locator(".flashes[role=status]")).to_contain_text(saved)
    audit.check(f"participant's page after a keyboard walk ({page.locator('html').get_attribute('lang')})")

    person = answers_of(app, full.center_id, full.participant_code)
    assert sorted(person["available"]) == sorted(s for s, w in zip(slots, wanted, strict=True) if w == "available")
    assert sorted(person.get("if_needed", [])) == sorted(
        s for s, w in zip(slots, wanted, strict=True) if w == "if_needed")
    assert person["preferences"] == [activities[2], activities[0], activities[5]]
    # Space pressed three times: the need ends the other way round from how it started.
    assert (need["value"] in person.get("needs", [])) == (not need["checked"])
    # The page shows the stored answers again.
    for slot, level in zip(slots, wanted, strict=True):
        expect(page.locator(f'input[name="slot-{slot}"][value="{level}"]')).to_be_checked()
    print(f"keyboard walk ({page.locator('html').get_attribute('lang')}): {keys.presses} key presses")


def test_a_participant_answers_and_saves_with_the_keyboard_alone(live_app: Flask, live_server: LiveServer,
                                                                 axe_page: Any, axe_source: str) -> None:
    full = full_center(live_app)
    page = axe_page
    page.goto(f"{live_server.url}/p/{full.participant_token}")
    expect(page.get_by_role("heading", name="When can you come?")).to_be_visible()
    participant_walk(page, live_app, full, AxeAudit(page, axe_source), saved="Your answers are saved",
                     save_button="Save my answers")
    audit = AxeAudit(page, axe_source)
    audit.check("participant's page after saving")
    audit.assert_clean()


def test_in_spanish_a_participant_switches_language_and_answers_with_the_keyboard(
        live_app: Flask, live_server: LiveServer, axe_page: Any, axe_source: str) -> None:
    full = full_center(live_app)
    page = axe_page
    link = f"{live_server.url}/p/{full.participant_token}"
    page.goto(link)
    keys = Keyboard(page)
    # The language list is in the header: Tab to it, ArrowDown to Español, Tab to the button, Enter.
    keys.tab_until(lambda s: s["tag"] == "select" and s["name"] == "locale", "the language list")
    state = keys.press("ArrowDown")
    assert state["value"] == "es", state
    keys.press("Tab")
    keys.submit("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="¿Cuándo puede venir?")).to_be_visible()
    # Remembered: the next visit opens in Spanish.
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="Guardar mis respuestas")).to_be_visible()

    audit = AxeAudit(page, axe_source)
    participant_walk(page, live_app, full, audit, saved="Sus respuestas están guardadas",
                     save_button="Guardar mis respuestas")
    audit.assert_clean()


def test_a_coordinator_fills_a_participants_grid_and_ranking_with_the_keyboard(
        live_app: Flask, live_server: LiveServer, axe_page: Any, axe_source: str) -> None:
    full = full_center(live_app)
    page = axe_page
    audit = AxeAudit(page, axe_source)
    keys = Keyboard(page)
    page.goto(live_server.url + "/sign-in")
    keys.tab_until(lambda s: s["type"] == "email" or s["name"] == "email", "the email box")
    keys.type(DEMO_EMAIL)
    keys.press("Tab")
    keys.type(full.coordinator_password)
    keys.submit("Enter")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    # The availability grid: one cell in the tab order; the arrows move; Space cycles the cell.
    center = f"{live_server.url}/centers/{full.center_id}"
    page.goto(f"{center}/participants/{full.participant_code}/availability")
    first = keys.tab_until(lambda s: "cell-button" in page.evaluate("document.activeElement.className"),
                           "the availability grid")
    assert re.match(r"^\w+ \d\d:\d\d-\d\d:\d\d: ", first["aria"]), first
    cycle = ["Available", "If need be", "Not available"]
    state = first
    # Along the first row: the first cell made "If need be", the next "Available", the next "Not available".
    plan = ["If need be", "Available", "Not available"]
    marked: list[str] = []
    for n, target in enumerate(plan):
        for _ in range(len(cycle)):
            if state["text"] == target:
                break
            state = keys.press("Space")
        assert state["text"] == target and state["aria"].endswith(": " + target), state
        marked.append(page.evaluate("document.activeElement.closest('td').querySelector('select').id"))
        if n + 1 < len(plan):
            before = state["aria"]
            state = keys.press("ArrowRight")
            assert state["aria"] != before, "ArrowRight moves to the next cell"
    # Down and back up lands on the same cell; Tab leaves the grid for the save button.
    here = state["aria"]
    keys.press("ArrowDown")
    assert keys.press("ArrowUp")["aria"] == here
    keys.tab_until(lambda s: s["tag"] == "button" and s["text"] == "Save availability", "Save availability")
    keys.submit("Enter")
    expect(page.locator(".flashes[role=status]")).to_contain_text("Saved the availability of")
    person = answers_of(live_app, full.center_id, full.participant_code)
    slot_ids = [m.removeprefix("slot-") for m in marked]
    assert slot_ids[0] in person.get("if_needed", []) and slot_ids[1] in person["available"]
    assert slot_ids[2] not in person["available"] and slot_ids[2] not in person.get("if_needed", [])

    # The ranked list: the last activity goes to the top with Move up, pressed with Enter; after
    # each press the page comes back with the focus on the same activity's button.
    page.goto(f"{center}/participants/{full.participant_code}/preferences")
    before = page.locator("ol.ranked .ranked-name").all_inner_texts()
    assert len(before) >= 3, before
    moving = before[-1]
    state = keys.tab_until(lambda s: s["tag"] == "button" and s["text"] == f"Move up {moving}", f"Move up {moving}")
    for _ in range(len(before) - 1):
        keys.submit("Enter")
        expect(page.locator(".flashes[role=status]")).to_contain_text("Saved the wanted activities")
        state = keys.focused()
        assert moving in state["text"], f"the focus came back to {state}, not to {moving}'s button"
    assert state["text"].startswith("Move down"), "at the top, the focus is on the activity's Move down"
    audit.check("preferences after moving with the keyboard")
    # Space presses a button too: one step back down.
    keys.submit("Space")
    expect(page.locator(".flashes[role=status]")).to_contain_text("Saved the wanted activities")
    expected = [before[0], moving, *before[1:-1]]
    expect(page.locator("ol.ranked .ranked-name")).to_have_text(expected)
    names = {a["id"]: a["name"] for a in scenario_of(live_app, full.center_id)["activities"]}
    stored = answers_of(live_app, full.center_id, full.participant_code)["preferences"]
    assert [names[code] for code in stored] == expected
    audit.assert_clean()
