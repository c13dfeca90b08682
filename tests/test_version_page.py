"""A 600-person version's page in bounded, searchable sections; a small center's on one page."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import ScheduleVersion, SolveJob
from scheduler.models.schedules import JobStatus
from tests.large_center import large

__all__ = ["large"]  # the fixture


def test_a_large_version_opens_on_its_timetable_with_the_other_sections_a_click_away(
        client: FlaskClient, large: int) -> None:
    html = client.get(f"/centers/{large}/schedule/versions/2").get_data(as_text=True)
    assert "Weekly timetable" in html and "Key figures" in html
    assert 'id="rosters-heading"' not in html and 'id="unassigned-heading"' not in html
    for section in ("rosters", "left-out", "facilitators", "rooms", "pins"):
        assert f"/schedule/versions/2?section={section}#sections" in html, section
    assert "The score gives 100 points for each person placed" in html  # the score explained where shown


def test_rosters_are_paged_and_find_a_group_by_a_member(client: FlaskClient, large: int) -> None:
    base = f"/centers/{large}/schedule/versions/2?section=rosters"
    html = client.get(base).get_data(as_text=True)
    assert len(re.findall(r'<h3 id="group-', html)) == 10 and "Next page" in html
    html = client.get(f"{base}&q=Participant+417").get_data(as_text=True)
    groups = re.findall(r'<h3 id="group-', html)
    assert 1 <= len(groups) <= 3 and "Participant 417<" in html


def test_left_out_are_searchable(client: FlaskClient, large: int) -> None:
    html = client.get(f"/centers/{large}/schedule/versions/2?section=left-out").get_data(as_text=True)
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', html)
    assert 0 < len(rows) <= 50
    first = rows[0]
    found = client.get(f"/centers/{large}/schedule/versions/2?section=left-out&q={first}").get_data(as_text=True)
    assert first in re.findall(r'<tr><th scope="row">([^<]+)</th>', found)


def test_keep_a_participant_is_a_search_then_one_button(client: FlaskClient, large: int) -> None:
    html = client.get(f"/centers/{large}/schedule/versions/2?section=pins&q=participant+417").get_data(as_text=True)
    assert "<select" not in html.split('id="pins-heading"')[1]  # no select of 580 names
    buttons = re.findall(r'name="participant" value="([^"]+)"', html)
    if not buttons:  # p417 is left out of this version
        assert "Nobody placed in this version matches." in html
        return
    response = client.post(f"/centers/{large}/schedule/versions/2/pins/participant",
                           data={"participant": buttons[0]})
    assert response.headers["Location"].endswith("/schedule/versions/2?section=pins#pins-heading")
    assert "Pinned." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_pinning_a_group_returns_to_its_page_of_rosters(client: FlaskClient, large: int) -> None:
    html = client.get(f"/centers/{large}/schedule/versions/2?section=rosters&page=3").get_data(as_text=True)
    action = re.search(r'action="(/centers/\d+/schedule/versions/2/pins/groups/[^"]+)"', html)
    assert action is not None
    response = client.post(action.group(1).replace("&amp;", "&"), data={"room": "y"})
    location = response.headers["Location"]
    assert "section=rosters" in location and "page=3" in location and "#group-" in location


def test_a_build_stopped_by_the_coordinator_says_so(client: FlaskClient, app: Flask, large: int) -> None:
    with app.app_context():
        version = db.session.query(ScheduleVersion).filter_by(center_id=large, number=2).one()
        job = SolveJob(center_id=large, backend="thread", time_limit_s=60, scenario={}, params={},
                       status=JobStatus.FINISHED, cancel_requested=True)
        db.session.add(job)
        db.session.flush()
        version.job_id = job.id
        db.session.commit()
    for page in (f"/centers/{large}/schedule/versions/2", f"/centers/{large}/schedule/"):
        html = client.get(page).get_data(as_text=True)
        assert "Stopped by you; the best schedule found until then" in html, page
        assert "the time ran out" not in html, page
    version_one = client.get(f"/centers/{large}/schedule/versions/1").get_data(as_text=True)
    assert "the time limit was reached before it could be proven the best" in version_one
    dashboard = client.get(f"/centers/{large}/").get_data(as_text=True)
    assert "The last build: Stopped by you" in dashboard
