"""The dashboard says where the term stands, each figure a link, at the size of the large example
scenario, and its lists of people stay bounded."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import ScheduleVersion
from tests.conftest import sign_in
from tests.large_center import large

__all__ = ["large"]  # the fixture


def test_the_term_in_figures_each_a_link(client: FlaskClient, app: Flask, large: int) -> None:
    html = client.get(f"/centers/{large}/").get_data(as_text=True)
    status = html[html.index('id="status-heading"'):html.index('id="slots"')]
    assert "Answers in: 0 of 600 participants" in status
    assert f'href="/centers/{large}/answers/?answered=no#people"' in status  # who has not answered, one click
    assert "Published: version 1" in status and "Newest: version 2" in status
    with app.app_context():
        published = db.session.query(ScheduleVersion).filter_by(center_id=large, number=1).one()
        placed = {m for g in published.schedule["groups"] for m in g["members"]}
    left_out = 600 - len(placed)
    link = rf'href="/centers/{large}/schedule/versions/1\?section=left-out">{left_out} people left out'
    assert re.search(link, status)
    assert "0 open cover requests" in status
    assert re.search(r"\d+ groups? under (its|their) minimum size", status)
    for target in (f"/centers/{large}/report/", f"/centers/{large}/outcomes/", f"/centers/{large}/attendance/",
                   f"/centers/{large}/follow-up/", f"/centers/{large}/api-keys/"):
        assert f'href="{target}"' in status, target


def test_participants_on_the_dashboard_are_a_search_not_a_list(client: FlaskClient, large: int) -> None:
    html = client.get(f"/centers/{large}/").get_data(as_text=True)
    assert "Participants (600)" in html
    assert f'action="/centers/{large}/participants/' in html and 'name="q"' in html
    assert html.count("Participant 1") < 20  # not 600 rows (Participant 1, 10, 100… would all match)


def test_an_empty_center_says_nothing_is_built_yet(client: FlaskClient, make_center: Callable[..., int],
                                                    make_coordinator: Callable[..., None]) -> None:
    center_id = make_center("North")
    make_coordinator("bo@example.org", "North")
    sign_in(client, "bo@example.org")
    html = client.get(f"/centers/{center_id}/").get_data(as_text=True)
    assert "No schedule has been built yet." in html and "Nothing is published yet." in html
    assert "left out of the published version" not in html
