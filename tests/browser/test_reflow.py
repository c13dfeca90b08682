"""Works at 200% zoom and on a 360 px phone (WCAG 1.4.10, reflow): the main coordinator, facilitator
and participant pages, at 640 CSS px wide with two device pixels each (a 1280 px window zoomed to
200%) and at 360 px, never scroll the page body sideways, and every control can still be reached:
focused, it is inside the window and nothing covers it. Wide data tables may scroll inside their
own box (the exception WCAG makes for tables); the page around them may not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask

from scheduler.services.demo import DEMO_EMAIL
from tests.browser.conftest import LiveServer
from tests.support.browser import FACILITATOR_PASSWORD, FullCenter, full_center, sign_in, sign_out

VIEWPORTS = {"200% zoom": {"width": 640, "height": 450, "scale": 2}, "360 px phone": {"width": 360, "height": 740,
                                                                                       "scale": 3}}

# Runs in the page: what scrolls the body sideways, and which controls cannot be reached.
REFLOW_PROBLEMS = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width + 1) {
    // Name the widest elements that stick out, outside any box that scrolls by itself.
    const inScroller = (el) => {
      for (let p = el.parentElement; p; p = p.parentElement) {
        const style = getComputedStyle(p);
        if (["auto", "scroll"].includes(style.overflowX) && p.scrollWidth > p.clientWidth) { return true; }
      }
      return false;
    };
    const wide = [...document.body.querySelectorAll("*")]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !inScroller(el))
      .slice(-3).map((el) => el.outerHTML.slice(0, 120));
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px for ${width} px; ` +
                  wide.join(" | "));
  }
  const controls = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")]
    .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden"
                    && !el.closest(".sr-only") && !el.disabled);
  for (const el of controls) {
    el.focus();
    if (document.activeElement !== el) { continue; }  // not focusable here (a disabled field's label)
    // What a person does to a control half hidden in a box that scrolls (a wide table): scroll to it.
    el.scrollIntoView({block: "nearest", inline: "nearest"});
    const box = el.getClientRects()[0];
    const x = Math.min(Math.max(box.left + Math.min(box.width, 20) / 2, 0), width - 1);
    const y = box.top + box.height / 2;
    const hit = document.elementFromPoint(x, y);
    const inside = box.left >= -1 && box.right <= width + 1 && y >= 0 && y <= window.innerHeight;
    const labelled = el.labels && [...el.labels].some((label) => label.contains(hit));
    if (!inside || !hit || !(hit === el || el.contains(hit) || hit.contains(el) || labelled)) {
      problems.push(`cannot reach ${el.outerHTML.slice(0, 120)} (at ${Math.round(box.left)},${Math.round(box.top)} ` +
                    `${Math.round(box.width)}x${Math.round(box.height)}; ${hit ? hit.tagName : "nothing"} there)`);
    }
  }
  document.activeElement && document.activeElement.blur && document.activeElement.blur();
  window.scrollTo(0, 0);
  return problems;
}"""


def coordinator_urls(base: str, full: FullCenter) -> dict[str, str]:
    c = f"{base}/centers/{full.center_id}"
    return {
        "dashboard": f"{c}/",
        "participants list": f"{c}/participants/",
        "participant form": f"{c}/participants/{full.participant_code}/edit",
        "activity form": f"{c}/activities/act1/edit",
        "availability grid": f"{c}/facilitators/{full.facilitator_code}/availability",
        "preferences": f"{c}/participants/{full.participant_code}/preferences",
        "answers": f"{c}/answers/",
        "import": f"{c}/import",
        "schedule overview": f"{c}/schedule/",
        "published version (timetable)": f"{c}/schedule/versions/1",
        "compare versions": f"{c}/schedule/compare?a=1&b=2",
        "swaps overview": f"{c}/swaps/",
        "waiting lists": f"{c}/waitlists/",
        "audit log": f"{c}/audit",
        "calendars": f"{c}/calendars/",
        "glossary": f"{base}/glossary",
    }


def facilitator_urls(base: str, full: FullCenter) -> dict[str, str]:
    c = f"{base}/centers/{full.center_id}"
    return {"my cover": f"{c}/cover/", "my times": f"{c}/me/times",
            "ask for cover": f"{c}/cover/ask?{urlencode(full.meeting)}"}


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def small_page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    size = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": size["width"], "height": size["height"]},
                                  device_scale_factor=size["scale"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def check(page: Any, pages: dict[str, str]) -> list[str]:
    found = []
    for name, url in pages.items():
        response = page.goto(url)
        assert response is not None and response.ok, f"{name}: {url} answered {response and response.status}"
        found += [f"{name}: {problem}" for problem in page.evaluate(REFLOW_PROBLEMS)]
    return found


def test_main_pages_reflow_at_200_percent_and_on_a_phone(live_app: Flask, live_server: LiveServer,
                                                         small_page: Any) -> None:
    full = full_center(live_app)
    base = live_server.url
    problems = check(small_page, {"sign-in": base + "/sign-in"})
    sign_in(small_page, base, DEMO_EMAIL, full.coordinator_password)
    problems += check(small_page, coordinator_urls(base, full))
    sign_out(small_page)
    sign_in(small_page, base, full.facilitator_email, FACILITATOR_PASSWORD)
    problems += check(small_page, facilitator_urls(base, full))
    sign_out(small_page)
    problems += check(small_page, {"participant's page": f"{base}/p/{full.participant_token}"})
    assert not problems, "pages that do not reflow:\n" + "\n".join(problems)


def test_the_reflow_check_finds_a_page_too_wide(live_app: Flask, live_server: LiveServer, small_page: Any) -> None:
    small_page.goto(live_server.url + "/sign-in")
    small_page.evaluate("""() => {
        const wide = document.createElement("div");
        wide.style.width = "2000px";
        wide.textContent = "wide";
        document.querySelector("main").appendChild(wide);
        const hidden = document.createElement("button");
        hidden.textContent = "covered";
        hidden.style.cssText = "position: absolute; left: 10px; top: 10px";
        const cover = document.createElement("div");
        cover.style.cssText = "position: absolute; left: 0; top: 0; width: 300px; height: 100px; background: #fff";
        document.body.append(hidden, cover);
    }""")
    problems = small_page.evaluate(REFLOW_PROBLEMS)
    assert any("scrolls sideways" in p for p in problems), problems
    assert any("covered" in p for p in problems), problems


def test_at_200_percent_the_grid_shows_the_whole_cell_the_arrows_move_to(live_app: Flask, live_server: LiveServer,
                                                                         browser: Any) -> None:
    """The grid scrolls sideways at 200% zoom; moving with the arrows back to a cell that was half
    hidden brings all of it into view (focus alone would leave it half hidden)."""
    full = full_center(live_app)
    context = browser.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, DEMO_EMAIL, full.coordinator_password)
        page.goto(f"{live_server.url}/centers/{full.center_id}/facilitators/{full.facilitator_code}/availability")
        page.locator(".cell-button").first.focus()
        days = page.locator(".availability-grid thead th").count() - 1
        for _day in range(days - 1):
            page.keyboard.press("ArrowRight")
        assert page.evaluate("document.querySelector('.availability-grid table').scrollLeft") > 0
        page.keyboard.press("ArrowDown")
        for _day in range(days - 1):
            page.keyboard.press("ArrowLeft")
        shown = page.evaluate("""() => {
            const cell = document.activeElement.getBoundingClientRect();
            const box = document.querySelector('.availability-grid table').getBoundingClientRect();
            return [document.activeElement.getAttribute('aria-label'), cell.left >= box.left - 1,
                    cell.right <= box.right + 1];
        }""")
        assert shown[0].startswith("Monday") and shown[1:] == [True, True], shown
    finally:
        context.close()
