"""Colour is never the only carrier of meaning in the timetable (WCAG 1.4.1): each group's block
has a colour of its activity, and its text says the same thing and more (the activity's name, the
group, the room, the facilitators, the size). So every difference the colours show, the text shows
too, including when ten activities share eight colours; the stylesheet's colours only draw a border,
never hide or replace the text; and the status badge and the chart's bars are written in words and
numbers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion, VersionStatus
from scheduler.services.editing import current_scenario
from solver import load_scenario
from solver.greedy import greedy_schedule
from tests.conftest import sign_in

STYLE = Path(__file__).resolve().parents[1] / "static" / "style.css"


class Blocks(HTMLParser):
    """The timetable's group blocks: their colour class and their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self.depth = 0
        self.colour = ""
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self.depth:
            self.depth += tag != "br"
        elif tag == "div" and "block" in classes:
            self.depth, self.text = 1, []
            self.colour = next(c for c in classes if c.startswith("colour-"))

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag != "br":
            self.depth -= 1
            if not self.depth:
                self.blocks.append((self.colour, " ".join(" ".join(self.text).split())))

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)


@pytest.fixture
def version_page(app: Flask, client: FlaskClient, make_center: Callable[..., int],
                 make_coordinator: Callable[..., None]) -> tuple[str, dict[str, str]]:
    center_id = make_center("North")  # ten activities: more than the eight colours
    make_coordinator("ana@example.org", "North")
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        scenario = load_scenario(current_scenario(center))
        schedule = greedy_schedule(scenario)
        assert schedule is not None
        db.session.add(ScheduleVersion(center_id=center_id, number=1, status=VersionStatus.PUBLISHED,
                                       published_at=dt.datetime.now(dt.UTC), solver_status="FEASIBLE",
                                       scenario=scenario.to_dict(), schedule=schedule.to_dict()))
        db.session.commit()
        activity_of_group = {g.id: next(a.name for a in scenario.activities if a.id == g.activity)
                             for g in schedule.groups}
    sign_in(client, "ana@example.org")
    return client.get(f"/centers/{center_id}/schedule/versions/1").get_data(as_text=True), activity_of_group


def blocks_of(html: str) -> list[tuple[str, str]]:
    parser = Blocks()
    parser.feed(html)
    return parser.blocks


def test_every_difference_the_colours_show_the_text_shows_too(version_page: tuple[str, dict[str, str]]) -> None:
    html, activity_of_group = version_page
    blocks = blocks_of(html)
    assert len({colour for colour, _text in blocks}) >= 3, blocks  # a timetable with colours to tell apart
    named = {}
    for colour, text in blocks:
        # A block opens with its group's name: the activity's, and its number among that activity's groups.
        named_activities = [a for a in set(activity_of_group.values()) if text.startswith(a)]
        assert named_activities, f"a {colour} block does not name its activity: {text!r}"
        activity = max(named_activities, key=len)
        assert not any(gid in text for gid in activity_of_group), f"a block shows an internal group code: {text!r}"
        named[text] = (colour, activity)
    for (colour_a, activity_a), (colour_b, activity_b) in combinations(set(named.values()), 2):
        if colour_a != colour_b:
            assert activity_a != activity_b, f"{activity_a!r} has two colours"  # colour follows the activity
    # Colours are reused (ten activities, eight colours): then only the text tells them apart.
    by_colour: dict[str, set[str]] = {}
    for colour, activity in named.values():
        by_colour.setdefault(colour, set()).add(activity)
    assert any(len(names) > 1 for names in by_colour.values()), by_colour


def test_the_colours_only_draw_a_border() -> None:
    css = STYLE.read_text()
    rules = re.findall(r"\.colour-\d+\s*\{([^}]*)\}", css)
    assert len(rules) == 8
    for rule in rules:
        properties = {p.split(":")[0].strip() for p in rule.split(";") if p.strip()}
        assert properties == {"border-color"}, rule  # no text colour, background or hiding
    block = re.search(r"\.block\s*\{([^}]*)\}", css)
    assert block and "border-left: 6px solid" in block.group(1) and "background: #f5f6f8" in block.group(1)


def test_the_badge_and_the_chart_are_written_too(version_page: tuple[str, dict[str, str]]) -> None:
    html, _groups = version_page
    assert re.search(r'<span class="badge">\s*Published\s*</span>', html)
    chart = re.search(r'<svg class="chart".*?</svg>', html, re.S)
    assert chart
    bars = re.findall(r"<rect ", chart.group(0))
    counts = re.findall(r'<text x="[\d.]+" y="\d+" font-size="13">(\d+)</text>', chart.group(0))
    assert bars and len(counts) == len(bars)  # each bar's length is also written as a number
