"""Reviewing, comparing and publishing versions. Versions are made here by hand, so these tests
are about the pages and the publishing rules, not about the solver."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import ScheduleVersion
from scheduler.services import versions
from scheduler.services.scenarios import find_center
from tests.conftest import scenario_path, sign_in
from tests.support.small_versions import V1, V2, schedule


@pytest.fixture
def north(client: FlaskClient, app: Flask, make_center: Callable[..., int],
          make_coordinator: Callable[..., None]) -> int:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    sign_in(client, "ana@example.org")
    scenario = json.loads(scenario_path("small").read_text())
    with app.app_context():
        for number, data in ((1, V1), (2, V2)):
            db.session.add(ScheduleVersion(center_id=center_id, number=number, solver_status="FEASIBLE",
                                           objective=100, bound=120, scenario=scenario, schedule=data))
        db.session.commit()
    return center_id


def test_review_page_shows_timetable_rosters_and_who_is_left_out(client: FlaskClient, north: int) -> None:
    html = client.get(f"/centers/{north}/schedule/versions/1").get_data(as_text=True)
    assert "Anxiety support group" in html
    assert "Monday" in html
    assert "Participant 1" in html  # roster
    # Why each person left out has no group, worked out from the version (the file's own words are English).
    assert "Wants only Family sessions: no group was opened (too few people could meet at common times)." in html
    assert "Participants placed" in html and "3 / 120" in html


def test_publish_asks_first_then_publishes(client: FlaskClient, north: int, app: Flask) -> None:
    confirm = client.get(f"/centers/{north}/schedule/versions/1/publish").get_data(as_text=True)
    assert "Publish version 1?" in confirm
    with app.app_context():
        assert db.session.scalar(select(ScheduleVersion).where(ScheduleVersion.number == 1)).status == "draft"
    response = client.post(f"/centers/{north}/schedule/versions/1/publish", follow_redirects=True)
    assert "Version 1 is published." in response.get_data(as_text=True)
    with app.app_context():
        version = db.session.scalar(select(ScheduleVersion).where(ScheduleVersion.number == 1))
        assert version.status == "published" and version.published_at is not None


def test_publishing_again_changes_nothing(client: FlaskClient, north: int, app: Flask) -> None:
    client.post(f"/centers/{north}/schedule/versions/1/publish")
    with app.app_context():
        first = db.session.scalar(select(ScheduleVersion.published_at).where(ScheduleVersion.number == 1))
    response = client.post(f"/centers/{north}/schedule/versions/1/publish", follow_redirects=True)
    assert "Version 1 is already published." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ScheduleVersion.published_at).where(ScheduleVersion.number == 1)) == first


def test_publishing_a_new_version_keeps_the_old_one(client: FlaskClient, north: int, app: Flask) -> None:
    client.post(f"/centers/{north}/schedule/versions/1/publish")
    client.post(f"/centers/{north}/schedule/versions/2/publish")
    with app.app_context():
        center = find_center("North")
        assert center is not None
        current = versions.current_published(center)
        assert current is not None and current.number == 2
        old = versions.find_version(center, 1)
        assert old is not None and old.status == "published" and old.schedule == V1
    overview = client.get(f"/centers/{north}/schedule/").get_data(as_text=True)
    assert "(current)" in overview


def test_a_version_without_groups_cannot_be_published(client: FlaskClient, north: int, app: Flask) -> None:
    with app.app_context():
        db.session.add(ScheduleVersion(center_id=north, number=3, solver_status="UNKNOWN",
                                       scenario=json.loads(scenario_path("small").read_text()),
                                       schedule=schedule([])))
        db.session.commit()
    response = client.post(f"/centers/{north}/schedule/versions/3/publish", follow_redirects=True)
    assert "Version 3 has no groups to publish." in response.get_data(as_text=True)


def test_compare_lists_who_moved_and_what_changed(client: FlaskClient, north: int) -> None:
    html = client.get(f"/centers/{north}/schedule/compare?a=1&b=2").get_data(as_text=True)
    assert "Version 2 is better: 1 more person placed" in html
    assert "New group Anxiety support group, group 2" in html  # named, never by its code (act1-2)
    assert "Group Anxiety support group, group 1 changed:" in html and "act1-" not in html.split("<main")[-1]
    assert "time: Monday 09:00–10:15 → Tuesday 09:00–10:15" in html
    assert "Participant 3" in html and "Participant 4" in html  # p3 moved group, p4 got one
    assert "Participant 1<" not in html  # p1 stayed


def test_unknown_version_is_404(client: FlaskClient, north: int) -> None:
    assert client.get(f"/centers/{north}/schedule/versions/99").status_code == 404
    assert client.post(f"/centers/{north}/schedule/versions/99/publish").status_code == 404
    assert client.get(f"/centers/{north}/schedule/compare?a=1&b=99").status_code == 404


def test_the_typed_reading_follows_a_rewritten_snapshot_and_reads_text_todays_rules_refuse(app: Flask) -> None:
    """Erasing a participant rewrites the snapshots: the typed reading must not keep the old name; and a
    snapshot holding text today's rules refuse (a line break) is still read (the outputs escape it)."""
    from tests.support.feeds import published_center

    with app.app_context():
        version = published_center()
        assert versions.version_data(version).participant_name("p1") == "Pat"
        scenario = json.loads(json.dumps(version.scenario))
        scenario["participants"][0]["name"] = "Former participant 1"
        scenario["rooms"][0]["name"] = "Room\r\nBEGIN:VEVENT"
        version.scenario = scenario
        data = versions.version_data(version)
        assert data.participant_name("p1") == "Former participant 1"
        assert data.room_name("r1") == "Room\r\nBEGIN:VEVENT"
        assert versions.version_data(version) is data  # read once per loaded row
