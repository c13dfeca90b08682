"""Reviewing, comparing and publishing versions. Versions are made here by hand, so these tests
are about the pages and the publishing rules, not about the solver."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import ScheduleVersion
from scheduler.services import versions
from scheduler.services.scenarios import find_center
from tests.conftest import scenario_path, sign_in


def schedule(groups: list[dict[str, Any]], unassigned: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"format": "sociotherapy-schedule/1", "status": "FEASIBLE", "objective": 100, "bound": 120,
            "wall_s": 1.0, "groups": groups, "unassigned": unassigned or []}


def group(gid: str, slots: list[str], room: str, facilitators: list[str], members: list[str]) -> dict[str, Any]:
    return {"id": gid, "activity": gid.split("-")[0], "sessions": slots, "room": room,
            "facilitators": facilitators, "members": members}


V1 = schedule([group("act1-1", ["MO-0900"], "room1", ["fac1"], ["p1", "p2", "p3"])],
              [{"participant": "p4", "reason": "wants only Community choir; its one group is full"}])
V2 = schedule([group("act1-1", ["TU-0900"], "room1", ["fac1"], ["p1", "p2", "p4"]),
               group("act1-2", ["WE-0900"], "room2", ["fac1"], ["p3"])])


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
    assert "wants only Community choir; its one group is full" in html
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
    assert "New group Anxiety support group (act1-2)" in html
    assert "Group Anxiety support group (act1-1) changed:" in html
    assert "time: Monday 09:00–10:15 → Tuesday 09:00–10:15" in html
    assert "Participant 3" in html and "Participant 4" in html  # p3 moved group, p4 got one
    assert "Participant 1<" not in html  # p1 stayed


def test_unknown_version_is_404(client: FlaskClient, north: int) -> None:
    assert client.get(f"/centers/{north}/schedule/versions/99").status_code == 404
    assert client.post(f"/centers/{north}/schedule/versions/99/publish").status_code == 404
    assert client.get(f"/centers/{north}/schedule/compare?a=1&b=99").status_code == 404
